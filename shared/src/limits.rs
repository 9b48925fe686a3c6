//! Limits checked at the edge (and, for a quick answer, in the widget too).

use serde::{Deserialize, Serialize};

use crate::Error;

/// Longest message body, in characters (Unicode scalar values).
pub const MAX_MESSAGE_CHARS: usize = 4_000;
/// Largest WebSocket frame or JSON request body, in bytes.
pub const MAX_FRAME_BYTES: usize = 16 * 1024;
/// Largest messenger webhook body, in bytes: a Telegram update quotes the message it
/// answers (two texts of 4,096 characters, with their entities); Viber's run to 7,000.
pub const MAX_CHANNEL_UPDATE_BYTES: usize = 64 * 1024;
/// Longest page URL, title, referrer or user agent we keep about a visitor.
pub const MAX_CONTEXT_CHARS: usize = 1_000;
/// How long a visitor token is valid: a year, so a returning visitor keeps history.
pub const VISITOR_TOKEN_TTL_MS: u64 = 365 * 24 * 3600 * 1000;
/// How long an operator's console session is valid.
pub const OPERATOR_SESSION_TTL_MS: u64 = 12 * 3600 * 1000;

/// Trims a message and checks it is neither empty nor too long.
pub fn check_message(text: &str) -> Result<&str, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::EmptyMessage);
    }
    let chars = text.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        return Err(Error::MessageTooLong { chars, limit: MAX_MESSAGE_CHARS });
    }
    Ok(text)
}

/// Like [`check_message`], for a message that carries a file: its text may be empty.
pub fn check_caption(text: &str) -> Result<&str, Error> {
    if text.trim().is_empty() {
        Ok("")
    } else {
        check_message(text)
    }
}

/// Checks a raw frame's size before it is parsed.
pub fn check_frame_size(bytes: usize) -> Result<(), Error> {
    check_size(bytes, MAX_FRAME_BYTES)
}

/// Checks a raw body's size against its `limit` before it is parsed.
pub fn check_size(bytes: usize, limit: usize) -> Result<(), Error> {
    if bytes > limit {
        return Err(Error::FrameTooLarge { bytes, limit });
    }
    Ok(())
}

/// Cuts a piece of visitor context (URL, title…) to the stored length.
pub fn clip_context(value: &str) -> String {
    value.chars().take(MAX_CONTEXT_CHARS).collect()
}

/// How many messages a socket gets at most for one `hello`, `resume` or `earlier`.
pub const REPLAY_PAGE: u64 = 50;
/// Pages a socket may ask for at once (its `hello` included)…
pub const REPLAY_BURST: u32 = 10;
/// …and then a minute: a reader scrolling back gets a page a second.
pub const REPLAYS_PER_MINUTE: u32 = 60;

/// How fast a stranger may use a site, set per site (Widget settings → Conversations);
/// private, never sent to the widget. The defaults are safe for a site that never
/// looked at them. The per-IP ceilings on visitor tokens, uploads, `identify` and
/// operators' replies are the deployment's, in wrangler.toml's `[[ratelimits]]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimits {
    /// Messages a visitor may send at once, in one conversation…
    pub message_burst: u32,
    /// …and how many a minute after that (the burst refills at this rate).
    pub messages_per_minute: u32,
    /// New conversations one IP address may start in an hour.
    pub conversations_per_hour: u32,
}

/// The highest value any of [`RateLimits`] accepts.
pub const MAX_RATE_LIMIT: u32 = 100_000;

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits { message_burst: 10, messages_per_minute: 30, conversations_per_hour: 10 }
    }
}

impl RateLimits {
    pub fn is_default(&self) -> bool {
        *self == RateLimits::default()
    }
}

pub fn check_rate_limits(limits: &RateLimits) -> Result<(), String> {
    let values = [limits.message_burst, limits.messages_per_minute, limits.conversations_per_hour];
    if values.iter().any(|v| *v == 0 || *v > MAX_RATE_LIMIT) {
        return Err(format!("Each limit is 1 to {MAX_RATE_LIMIT}"));
    }
    Ok(())
}

/// A token bucket: `burst` at once, refilled at `per_minute`. A conversation keeps a
/// visitor's in memory (it restarts full when the object is evicted, which takes
/// longer than refilling a burst at any allowed rate); a socket keeps its replays'.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    tokens: f64,
    at: u64,
}

impl Bucket {
    pub fn full(burst: u32, now: u64) -> Bucket {
        Bucket { tokens: f64::from(burst), at: now }
    }

    /// Takes one token, or says in how many whole seconds (at least 1) one is there.
    pub fn take(&mut self, burst: u32, per_minute: u32, now: u64) -> Result<(), u32> {
        let per_ms = f64::from(per_minute.max(1)) / 60_000.0;
        let elapsed = now.saturating_sub(self.at) as f64;
        self.tokens = (self.tokens + elapsed * per_ms).min(f64::from(burst));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let wait_ms = (1.0 - self.tokens) / per_ms;
            Err(((wait_ms / 1000.0).ceil() as u32).max(1))
        }
    }

    /// Gives back a token taken for what turned out not to count (a retry).
    pub fn give_back(&mut self, burst: u32) {
        self.tokens = (self.tokens + 1.0).min(f64::from(burst));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_trimmed_and_bounded() {
        assert_eq!(check_message("  hi \n"), Ok("hi"));
        assert_eq!(check_message(" \n\t"), Err(Error::EmptyMessage));
        let long = "я".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(
            check_message(&long),
            Err(Error::MessageTooLong { chars: MAX_MESSAGE_CHARS + 1, limit: MAX_MESSAGE_CHARS })
        );
        assert!(check_message(&"я".repeat(MAX_MESSAGE_CHARS)).is_ok());
    }

    #[test]
    fn frames_are_bounded() {
        assert!(check_frame_size(MAX_FRAME_BYTES).is_ok());
        assert!(check_frame_size(MAX_FRAME_BYTES + 1).is_err());
        assert!(check_size(MAX_FRAME_BYTES + 1, MAX_CHANNEL_UPDATE_BYTES).is_ok());
        assert_eq!(
            check_size(MAX_CHANNEL_UPDATE_BYTES + 1, MAX_CHANNEL_UPDATE_BYTES),
            Err(Error::FrameTooLarge { bytes: MAX_CHANNEL_UPDATE_BYTES + 1, limit: MAX_CHANNEL_UPDATE_BYTES })
        );
    }

    #[test]
    fn a_bucket_allows_a_burst_then_the_steady_rate() {
        let (burst, per_minute) = (3, 30);
        let mut bucket = Bucket::full(burst, 1_000);
        for _ in 0..3 {
            assert_eq!(bucket.take(burst, per_minute, 1_000), Ok(()));
        }
        // One token every 2 s.
        assert_eq!(bucket.take(burst, per_minute, 1_000), Err(2));
        assert_eq!(bucket.take(burst, per_minute, 2_500), Err(1));
        assert_eq!(bucket.take(burst, per_minute, 3_000), Ok(()));
        // A long pause refills only up to the burst.
        assert_eq!(bucket.take(burst, per_minute, 1_000_000), Ok(()));
        assert_eq!(bucket.take(burst, per_minute, 1_000_000), Ok(()));
        assert_eq!(bucket.take(burst, per_minute, 1_000_000), Ok(()));
        assert!(bucket.take(burst, per_minute, 1_000_000).is_err());
        // A token given back is there again, never beyond the burst.
        bucket.give_back(burst);
        assert_eq!(bucket.take(burst, per_minute, 1_000_000), Ok(()));
        for _ in 0..5 {
            bucket.give_back(burst);
        }
        for _ in 0..3 {
            assert_eq!(bucket.take(burst, per_minute, 1_000_000), Ok(()));
        }
        assert!(bucket.take(burst, per_minute, 1_000_000).is_err());
    }

    #[test]
    fn rate_limits_are_bounded() {
        assert!(check_rate_limits(&RateLimits::default()).is_ok());
        assert!(check_rate_limits(&RateLimits { message_burst: 0, ..RateLimits::default() }).is_err());
        assert!(check_rate_limits(&RateLimits { conversations_per_hour: MAX_RATE_LIMIT + 1, ..RateLimits::default() }).is_err());
    }
}
