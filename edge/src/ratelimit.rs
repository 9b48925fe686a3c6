//! Rate limits on the doors strangers can knock on, with Cloudflare's Rate Limiting
//! binding (`[[ratelimits]]` in wrangler.toml; `wrangler dev` simulates it). Each
//! binding counts calls per key in a fixed window of 60 s. (The limits a site sets
//! itself, on messages and new conversations, are counted exactly by its objects: see
//! `natter_shared::limits::RateLimits`.)

use worker::Env;

use crate::error::{EdgeError, EdgeResult};

/// A limit: its binding and what it counts.
#[derive(Clone, Copy)]
pub enum Limit {
    /// Sign-ins (and password reset requests) per IP address.
    SignInByIp,
    /// Sign-ins, sign-ups and password reset requests per e-mail address.
    SignInByEmail,
    /// New organisations per IP address (sign-up and bootstrap).
    SignUpByIp,
    /// Uses of one-time links (invitations, resets) per IP address.
    LinksByIp,
    /// Invitations per admin (each tells whether an address has an account already).
    InvitesByOperator,
    /// New visitor tokens per IP address.
    VisitorsByIp,
    /// `identify` calls per IP address.
    IdentifyByIp,
    /// Visitors' file uploads per IP address.
    UploadsByIp,
    /// Replies per operator, over all their conversations.
    RepliesByOperator,
    /// Loaders' page views (live visitors) per IP address.
    PresenceByIp,
    /// Visitors' "Send transcript" per IP address.
    TranscriptsByIp,
    /// Messengers' webhook calls per IP address (Telegram's and Viber's servers).
    ChannelsByIp,
}

impl Limit {
    fn binding(self) -> &'static str {
        match self {
            Limit::SignInByIp => "SIGN_IN_BY_IP",
            Limit::SignInByEmail => "SIGN_IN_BY_EMAIL",
            Limit::SignUpByIp => "SIGN_UP_BY_IP",
            Limit::LinksByIp => "LINKS_BY_IP",
            Limit::InvitesByOperator => "INVITES_BY_OPERATOR",
            Limit::VisitorsByIp => "VISITORS_BY_IP",
            Limit::IdentifyByIp => "IDENTIFY_BY_IP",
            Limit::PresenceByIp => "PRESENCE_BY_IP",
            Limit::TranscriptsByIp => "TRANSCRIPTS_BY_IP",
            Limit::ChannelsByIp => "CHANNELS_BY_IP",
            Limit::UploadsByIp => "UPLOADS_BY_IP",
            Limit::RepliesByOperator => "REPLIES_BY_OPERATOR",
        }
    }
}

/// The window every binding is configured with, and so when to retry.
const PERIOD_SECONDS: u32 = 60;

/// Counts one call for `key`; past the limit, `429` with `Retry-After`.
pub async fn check(env: &Env, limit: Limit, key: &str) -> EdgeResult<()> {
    let outcome = env.rate_limiter(limit.binding())?.limit(key.to_owned()).await?;
    match (outcome.success, limit) {
        (true, _) => Ok(()),
        (false, Limit::RepliesByOperator) => Err(EdgeError::TooFast(PERIOD_SECONDS)),
        (false, _) => Err(EdgeError::RateLimited(PERIOD_SECONDS)),
    }
}
