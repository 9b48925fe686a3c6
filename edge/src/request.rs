//! Reading a request at the edge: bodies (capped), socket upgrades, who is asking.

use futures_util::StreamExt;
use natter_shared::limits::{check_size, MAX_FRAME_BYTES};
use natter_shared::protocol::PROTOCOL_VERSION;
use serde::de::DeserializeOwned;
use worker::Request;

use crate::error::{EdgeError, EdgeResult};

/// Reads a JSON body of at most [`natter_shared::limits::MAX_FRAME_BYTES`].
pub async fn json_body<T: DeserializeOwned>(req: &mut Request) -> EdgeResult<T> {
    Ok(serde_json::from_slice(&capped_body(req).await?)?)
}

/// Reads a body of at most [`natter_shared::limits::MAX_FRAME_BYTES`]: a declared length
/// over it is refused before anything is read, and an undeclared (chunked) one as soon
/// as what came exceeds it, so a huge body never sits in memory.
pub async fn capped_body(req: &mut Request) -> EdgeResult<Vec<u8>> {
    capped_body_of(req, MAX_FRAME_BYTES).await
}

/// [`capped_body`] with another cap (messengers' updates are bigger than ours).
pub async fn capped_body_of(req: &mut Request, limit: usize) -> EdgeResult<Vec<u8>> {
    check_size(declared_length(req)?.unwrap_or(0).try_into().unwrap_or(usize::MAX), limit)?;
    let Ok(mut stream) = req.stream() else { return Ok(Vec::new()) }; // No body at all.
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        check_size(body.len() + chunk.len(), limit)?;
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The body's length as the client declared it (`Content-Length`), if it did.
pub fn declared_length(req: &Request) -> EdgeResult<Option<u64>> {
    match req.headers().get("Content-Length")? {
        None => Ok(None),
        Some(value) => value
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| EdgeError::BadRequest("Content-Length is not a number".into())),
    }
}

/// Checks a socket request: a real upgrade, speaking a version we know.
pub fn check_socket(req: &Request) -> EdgeResult<()> {
    if !req.headers().get("Upgrade")?.is_some_and(|v| v.eq_ignore_ascii_case("websocket")) {
        return Err(EdgeError::BadRequest("This route expects a WebSocket upgrade".into()));
    }
    let url = req.url()?;
    let version = url.query_pairs().find(|(k, _)| k == "v").map(|(_, v)| v.into_owned());
    if version.as_deref() != Some(&PROTOCOL_VERSION.to_string()) {
        return Err(EdgeError::UnsupportedProtocol(version.unwrap_or_default()));
    }
    Ok(())
}

pub fn user_agent(req: &Request) -> String {
    let ua = req.headers().get("User-Agent").ok().flatten().unwrap_or_default();
    natter_shared::limits::clip_context(&ua)
}

/// The caller's IP address as Cloudflare gives it (`CF-Connecting-IP`).
pub fn client_ip(req: &Request) -> String {
    req.headers().get("CF-Connecting-IP").ok().flatten().unwrap_or_else(|| "unknown".into())
}

/// The edge's own origin, as the caller reached it: links in e-mails point here.
pub fn edge_origin(req: &Request) -> EdgeResult<String> {
    Ok(req.url()?.origin().ascii_serialization())
}

/// A query parameter.
pub fn query(req: &Request, key: &str) -> EdgeResult<Option<String>> {
    Ok(req.url()?.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned()))
}
