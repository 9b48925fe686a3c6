//! Reading a request at the edge: bodies (capped), socket upgrades, who is asking.

use natter_shared::protocol::PROTOCOL_VERSION;
use serde::de::DeserializeOwned;
use worker::Request;

use crate::error::{EdgeError, EdgeResult};

/// Reads a JSON body of at most [`natter_shared::limits::MAX_FRAME_BYTES`]: a declared
/// length over it is refused before the body is read.
pub async fn json_body<T: DeserializeOwned>(req: &mut Request) -> EdgeResult<T> {
    let declared = req.headers().get("Content-Length")?.and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
    natter_shared::limits::check_frame_size(declared)?;
    let text = req.text().await?;
    natter_shared::limits::check_frame_size(text.len())?;
    Ok(serde_json::from_str(&text)?)
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
