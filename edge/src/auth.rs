//! Tokens, time and randomness at the edge: the thin layer between `shared::token` and
//! the Worker's environment (the `TOKEN_SECRET` secret, the clock, crypto).

use natter_shared::protocol::Millis;
use natter_shared::token::{self, Claims, OperatorClaims, VisitorClaims};
use worker::{Env, Request};

use crate::error::{EdgeError, EdgeResult};

/// The HMAC key for tokens: `wrangler secret put TOKEN_SECRET` in production,
/// `.dev.vars` locally.
fn secret(env: &Env) -> EdgeResult<Vec<u8>> {
    let secret = env
        .secret("TOKEN_SECRET")
        .map_err(|_| EdgeError::Internal("TOKEN_SECRET is not set".into()))?
        .to_string();
    if secret.len() < 32 {
        return Err(EdgeError::Internal("TOKEN_SECRET must be at least 32 characters".into()));
    }
    Ok(secret.into_bytes())
}

pub fn now() -> Millis {
    worker::Date::now().as_millis()
}

pub fn random_bytes() -> EdgeResult<[u8; 16]> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| EdgeError::Internal(format!("No randomness: {e}")))?;
    Ok(bytes)
}

pub fn sign(env: &Env, claims: &Claims) -> EdgeResult<String> {
    Ok(token::sign(claims, &secret(env)?))
}

/// A value only this deployment can make from `data` (hex HMAC with `TOKEN_SECRET`):
/// a secret it hands out and later checks without storing it.
pub fn keyed(env: &Env, data: &str) -> EdgeResult<String> {
    Ok(token::hmac_hex(&secret(env)?, data.as_bytes()))
}

/// Whether `given` is [`keyed`] of `data`, compared in constant time.
pub fn is_keyed(env: &Env, data: &str, given: &str) -> EdgeResult<bool> {
    Ok(token::is_hmac_hex(&secret(env)?, data.as_bytes(), given))
}

fn verify(env: &Env, token: &str) -> EdgeResult<Claims> {
    Ok(token::verify(token, &secret(env)?, now())?)
}

pub fn visitor(env: &Env, token: &str) -> EdgeResult<VisitorClaims> {
    match verify(env, token)? {
        Claims::Visitor(claims) => Ok(claims),
        Claims::Operator(_) => Err(EdgeError::Unauthorized),
    }
}

pub fn operator(env: &Env, token: &str) -> EdgeResult<OperatorClaims> {
    match verify(env, token)? {
        Claims::Operator(claims) => Ok(claims),
        Claims::Visitor(_) => Err(EdgeError::Unauthorized),
    }
}

/// The token a request carries: `Authorization: Bearer …`, or `?token=` for
/// WebSockets (browsers cannot set headers on them).
pub fn bearer(req: &Request) -> EdgeResult<String> {
    if let Ok(Some(header)) = req.headers().get("Authorization") {
        if let Some(token) = header.strip_prefix("Bearer ") {
            return Ok(token.to_owned());
        }
    }
    let url = req.url()?;
    url.query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .ok_or(EdgeError::Unauthorized)
}
