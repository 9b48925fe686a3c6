//! Serving stored files (what visitors and operators sent, operators' pictures) from R2.

use natter_shared::files;
use worker::{Env, Response};

use crate::error::{EdgeError, EdgeResult};

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
