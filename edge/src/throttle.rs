//! The limits a site sets itself (`RateLimits` in its settings), counted exactly by its
//! own objects: a visitor's messages by their `Conversation` (a token bucket in
//! memory), new conversations per IP address by the `Site` (a table of the last hour's
//! starts). Operators' replies are counted by the Rate Limiting binding (see
//! [`crate::ratelimit`]), since an operator writes in many conversations.

use natter_shared::ids::SiteId;
use natter_shared::limits::{Bucket, RateLimits};
use natter_shared::protocol::{AuthorKind, SettingsDocument};
use serde::{Deserialize, Serialize};

use crate::auth;
use crate::conversation::Conversation;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Participant};
use crate::ratelimit::{self, Limit};
use crate::site::Site;

pub const SITE_SCHEMA: &str = "
-- When each conversation of the last hour started, and from which address.
CREATE TABLE IF NOT EXISTS starts (ip TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS starts_by_ip ON starts (ip, at);
";

const HOUR_MS: u64 = 3_600_000;
/// How long a conversation trusts the limits it read from its site.
const LIMITS_FRESH_MS: u64 = 60_000;

/// A conversation asks its site whether `ip` may start one more.
#[derive(Serialize, Deserialize)]
pub struct StartCall {
    pub ip: String,
}

#[derive(Deserialize)]
struct StartRow {
    n: i64,
    oldest: Option<i64>,
}

/// What the conversation keeps in memory: the site's limits (and when it read them)
/// and the visitor's bucket.
#[derive(Default)]
pub struct Pace {
    limits: Option<(RateLimits, u64)>,
    bucket: Option<Bucket>,
}

/// Seconds (at least 1) until `until`.
pub fn seconds_until(until: u64, now: u64) -> u32 {
    (until.saturating_sub(now).div_ceil(1000) as u32).max(1)
}

impl Site {
    /// Counts a new conversation from `ip`, or refuses it past the site's hourly limit.
    pub(crate) fn admit_start(&self, call: &StartCall) -> EdgeResult<()> {
        let limit = self.settings()?.settings.rate_limits.conversations_per_hour;
        let now = auth::now();
        let since = now.saturating_sub(HOUR_MS) as i64;
        self.sql().exec("DELETE FROM starts WHERE at <= ?", vec![since.into()])?;
        let rows: Vec<StartRow> = self
            .sql()
            .exec("SELECT COUNT(*) AS n, MIN(at) AS oldest FROM starts WHERE ip = ?", vec![call.ip.as_str().into()])?
            .to_array()?;
        let row = rows.first().ok_or_else(|| EdgeError::Internal("COUNT returned no row".into()))?;
        if row.n >= i64::from(limit) {
            let oldest = row.oldest.unwrap_or(since) as u64;
            return Err(EdgeError::TooFast(seconds_until(oldest + HOUR_MS, now)));
        }
        self.sql().exec("INSERT INTO starts (ip, at) VALUES (?, ?)", vec![call.ip.as_str().into(), (now as i64).into()])?;
        Ok(())
    }
}

impl Conversation {
    /// The site's limits, read again once a minute.
    async fn rate_limits(&self, site: &SiteId) -> EdgeResult<RateLimits> {
        let now = auth::now();
        if let Some((limits, read_at)) = self.pace.borrow().limits {
            if now.saturating_sub(read_at) < LIMITS_FRESH_MS {
                return Ok(limits);
            }
        }
        let stub = internal::site_stub(&self.env, site)?;
        let document: SettingsDocument = internal::call(&stub, "/settings", site, None::<&()>).await?;
        let limits = document.settings.rate_limits;
        self.pace.borrow_mut().limits = Some((limits, now));
        Ok(limits)
    }

    /// Whether one more message from `author` may be stored now: a visitor's are
    /// counted in this conversation's bucket, an operator's over all their
    /// conversations. Past the limit: `TooFast` with the seconds to wait.
    pub(crate) async fn admit_message(&self, author: &Participant) -> EdgeResult<()> {
        match author.role {
            AuthorKind::Visitor => {
                let limits = self.rate_limits(&author.site).await?;
                let now = auth::now();
                let mut pace = self.pace.borrow_mut();
                let bucket = pace.bucket.get_or_insert_with(|| Bucket::full(limits.message_burst, now));
                bucket.take(limits.message_burst, limits.messages_per_minute, now).map_err(EdgeError::TooFast)
            }
            AuthorKind::Operator => {
                let operator = author.operator.as_ref().map_or("", |o| o.as_str());
                ratelimit::check(&self.env, Limit::RepliesByOperator, operator).await
            }
        }
    }

    /// A visitor's message that took a token turned out to be stored already (a retry):
    /// the token goes back.
    pub(crate) fn give_back_message(&self) {
        let mut pace = self.pace.borrow_mut();
        if let (Some((limits, _)), Some(bucket)) = (pace.limits, pace.bucket.as_mut()) {
            bucket.give_back(limits.message_burst);
        }
    }

    /// Asks the site whether the visitor's address may start one more conversation.
    pub(crate) async fn admit_start(&self, author: &Participant) -> EdgeResult<()> {
        let stub = internal::site_stub(&self.env, &author.site)?;
        let call = StartCall { ip: author.ip.clone() };
        let _: serde_json::Value = internal::call(&stub, "/start", &author.site, Some(&call)).await?;
        Ok(())
    }
}
