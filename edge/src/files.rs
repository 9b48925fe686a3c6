//! Files in R2: what visitors and operators send, and operators' pictures; stored after
//! checks, served so that nothing in them can run.

use natter_shared::files::{self, Attachment};
use natter_shared::ids::{ConversationId, OrgId, SiteId};
use futures_util::StreamExt;
use worker::{Env, FixedLengthStream, Request, Response};

use crate::auth;
use crate::error::{EdgeError, EdgeResult};
use crate::request;

/// Whether `name` could be a stored file's own name: the 32 hex digits [`upload`] gives.
/// Anything else names no file, and never reaches the store (whose errors about an
/// overlong or odd key are not ours to show).
pub fn is_stored_name(name: &str) -> bool {
    name.len() == 32 && name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The key of a file sent in a conversation, if the three parts could name one.
pub fn conversation_file(site: &str, conversation: &str, name: &str) -> EdgeResult<String> {
    let (site, conversation) = (SiteId::parse(site), ConversationId::parse(conversation));
    match (site, conversation) {
        (Ok(site), Ok(conversation)) if is_stored_name(name) => Ok(format!("{site}/{conversation}/{name}")),
        _ => Err(EdgeError::NotFound("No such file".into())),
    }
}

/// The key of an operator's picture, if the parts could name one.
pub fn avatar_file(org: &str, name: &str) -> EdgeResult<String> {
    match OrgId::parse(org) {
        Ok(org) if is_stored_name(name) => Ok(format!("avatars/{org}/{name}")),
        _ => Err(EdgeError::NotFound("No such file".into())),
    }
}

/// Serves a stored file. Only images are shown inline; everything else downloads, and
/// nothing is sniffed or allowed to run.
pub async fn download(env: &Env, key: &str) -> EdgeResult<Response> {
    let object = env.bucket("FILES")?.get(key).execute().await?;
    let object = object.ok_or_else(|| EdgeError::NotFound("No such file".into()))?;
    let name = object.custom_metadata()?.remove("name").unwrap_or_else(|| "file".into());
    let content_type = object.http_metadata().content_type.unwrap_or_else(|| "application/octet-stream".into());
    let body = object.body().ok_or_else(|| EdgeError::NotFound("No such file".into()))?.bytes().await?;
    let disposition = if files::is_image(&content_type) { "inline" } else { "attachment" };
    let encoded: String = name
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    let mut response = Response::from_bytes(body)?;
    let headers = response.headers_mut();
    headers.set("Content-Type", &content_type)?;
    headers.set("Content-Disposition", &format!("{disposition}; filename*=UTF-8''{encoded}"))?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Content-Security-Policy", "default-src 'none'; sandbox")?;
    headers.set("Cache-Control", "private, max-age=31536000, immutable")?;
    Ok(response)
}

/// Stores an uploaded file under `prefix/`. The declared length is checked before the
/// body is read, the bytes after; the name decides the type (allow-list) and images
/// and PDFs must start as they should.
pub async fn upload(req: &mut Request, env: &Env, prefix: &str) -> EdgeResult<Response> {
    let name = request::query(req, "name")?.map(|v| files::clean_name(&v));
    let name = name.ok_or_else(|| EdgeError::BadRequest("Say the file's name: ?name=".into()))?;
    // The size is declared and checked before anything is read; the body then streams
    // on to the store, which takes exactly that many bytes (so it is never all in memory).
    let size = request::declared_length(req)?.ok_or(EdgeError::LengthRequired)?;
    files::check(&name, size).map_err(EdgeError::File)?;
    let mut body = req.stream()?;
    let mut start = Vec::new();
    while start.len() < files::START_BYTES {
        match body.next().await {
            Some(chunk) => start.extend_from_slice(&chunk?),
            None => break,
        }
    }
    let content_type = files::check_start(&name, size, &start).map_err(EdgeError::File)?;
    let random: String = auth::random_bytes()?.iter().map(|b| format!("{b:02x}")).collect();
    let attachment = Attachment { key: format!("{prefix}/{random}"), name: name.clone(), content_type: content_type.into(), size };
    let whole = futures_util::stream::once(async move { Ok(start) }).chain(body);
    store(env, &attachment, FixedLengthStream::wrap(whole, size)).await.map_err(|e| {
        worker::console_error!("upload of {}: {e}", attachment.key);
        EdgeError::BadRequest("The upload did not arrive whole: send the file again".into())
    })?;
    Ok(Response::from_json(&attachment)?.with_status(201))
}

/// Puts a checked file's bytes in the store under its key, with its type and name
/// (which [`download`] serves it with).
pub async fn store(env: &Env, attachment: &Attachment, bytes: impl Into<worker::Data>) -> worker::Result<()> {
    let metadata = worker::HttpMetadata { content_type: Some(attachment.content_type.clone()), ..Default::default() };
    env.bucket("FILES")?
        .put(attachment.key.as_str(), bytes)
        .http_metadata(metadata)
        .custom_metadata([("name".to_owned(), attachment.name.clone())])
        .execute()
        .await?;
    Ok(())
}

/// A stored file's bytes (to send it on).
pub async fn read(env: &Env, key: &str) -> worker::Result<Vec<u8>> {
    let object = env.bucket("FILES")?.get(key).execute().await?;
    match object.as_ref().and_then(|o| o.body()) {
        Some(body) => body.bytes().await,
        None => Err(worker::Error::RustError(format!("no file {key}"))),
    }
}

/// Like [`upload`], for a picture only (an operator's avatar).
pub async fn upload_picture(req: &mut Request, env: &Env, prefix: &str) -> EdgeResult<Response> {
    let name = request::query(req, "name")?.unwrap_or_default();
    if !files::content_type(&files::clean_name(&name)).is_ok_and(files::is_image) {
        return Err(EdgeError::BadRequest("Avatar: upload a picture (PNG, JPEG, GIF or WebP)".into()));
    }
    upload(req, env, prefix).await
}
