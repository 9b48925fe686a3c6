//! The site's e-mail: the owner's copy of every closed conversation and every offline
//! message (to the settings' `notify_email`), written in the site's default language
//! when the event comes, kept in a table and sent by the `Site` object's alarm, once
//! per event, retried with backoff while the binding refuses. It also counts offline
//! messages by time for the figures.

use natter_shared::letters::{self, Letter};
use natter_shared::protocol::{Millis, OfflineNotice};
use natter_shared::shift::EventNotice;
use serde::{Deserialize, Serialize};

use crate::auth;
use crate::error::EdgeResult;
use crate::mail;
use crate::site::Site;

pub const SCHEMA: &str = "
-- What the site's letters say it is: its name, its organisation's time zone.
CREATE TABLE IF NOT EXISTS letterhead (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL
);
-- Letters to the owner: waiting (sent_at NULL) or sent (kept a week, so that an event
-- reported again is not mailed again).
CREATE TABLE IF NOT EXISTS mails (
    id TEXT PRIMARY KEY,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX IF NOT EXISTS mails_due ON mails (sent_at, next_at);
-- Every offline message by time, for the figures.
CREATE TABLE IF NOT EXISTS offline_messages (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS offline_messages_by_time ON offline_messages (at);
";

/// Attempts before a letter is given up (the last waits about an hour).
const MAX_ATTEMPTS: i64 = 12;
/// Letters sent per alarm; the rest wait for the next one.
const MAILS_PER_ALARM: i64 = 20;
const KEEP_SENT_MS: u64 = 7 * 24 * 3600 * 1000;

/// Who the site is in its letters, as its organisation says (see `/place`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Letterhead {
    #[serde(default)]
    pub name: String,
    #[serde(default = "utc")]
    pub time_zone: String,
}

fn utc() -> String {
    "UTC".into()
}

#[derive(Deserialize)]
struct MailRow {
    id: String,
    sender: String,
    recipient: String,
    subject: String,
    body: String,
    attempts: i64,
}

#[derive(Deserialize)]
struct AtRow {
    at: Option<i64>,
}

/// `/offline-counts`: how many offline messages came in each of the periods between
/// consecutive `bounds`.
#[derive(Serialize, Deserialize)]
pub struct CountsCall {
    pub bounds: Vec<Millis>,
}

#[derive(Deserialize)]
struct CountRow {
    n: i64,
}

/// The time as the letters show it: `YYYY-MM-DD HH:MM` in the zone.
pub fn stamper(time_zone: &str) -> impl Fn(Millis) -> String + '_ {
    move |ms| natter_shared::clock::local_time(ms, time_zone)
}

impl Site {
    pub(crate) fn letterhead(&self) -> EdgeResult<Letterhead> {
        let rows: Vec<Letterhead> = self.sql().exec("SELECT name, time_zone FROM letterhead WHERE id = 1", None)?.to_array()?;
        Ok(rows.into_iter().next().unwrap_or_else(|| Letterhead { name: String::new(), time_zone: utc() }))
    }

    pub(crate) fn set_letterhead(&self, letterhead: &Letterhead) -> EdgeResult<()> {
        self.sql().exec(
            "INSERT OR REPLACE INTO letterhead (id, name, time_zone) VALUES (1, ?, ?)",
            vec![letterhead.name.as_str().into(), letterhead.time_zone.as_str().into()],
        )?;
        Ok(())
    }

    /// An offline message: counted, and mailed to the owner if they asked.
    pub(crate) async fn notify_offline(&self, notice: &OfflineNotice) -> EdgeResult<()> {
        self.sql().exec("INSERT OR IGNORE INTO offline_messages (id, at) VALUES (?, ?)", vec![notice.id.as_str().into(), (notice.at as i64).into()])?;
        self.queue_mail(&notice.id, |language, site, zone| letters::offline_message(language, site, notice, zone, &stamper(zone))).await
    }

    /// A closed conversation (with its transcript and rating), mailed to the owner if
    /// they asked.
    pub(crate) async fn notify_closed(&self, notice: &EventNotice) -> EdgeResult<()> {
        self.queue_mail(&notice.id, |language, site, zone| letters::closed_conversation(language, site, notice, zone, &stamper(zone))).await
    }

    async fn queue_mail(&self, id: &str, write: impl Fn(natter_shared::settings::Language, &str, &str) -> Letter) -> EdgeResult<()> {
        let settings = self.settings()?.settings;
        let Some(to) = settings.notify_email.filter(|_| mail::enabled(&self.env)) else { return Ok(()) };
        let head = self.letterhead()?;
        let sender = site_name(&head);
        let letter = write(settings.default_language, &sender, &head.time_zone);
        let now = auth::now() as i64;
        let queued = self.sql().exec(
            "INSERT OR IGNORE INTO mails (id, sender, recipient, subject, body, next_at) VALUES (?, ?, ?, ?, ?, ?)",
            vec![id.into(), sender.as_str().into(), to.as_str().into(), letter.subject.as_str().into(), letter.text.as_str().into(), now.into()],
        )?;
        if queued.rows_written() > 0 {
            self.state.storage().set_alarm(0).await?;
        }
        Ok(())
    }

    /// Sends the letters that are due; one the binding refuses waits longer each time.
    pub(crate) async fn send_mails(&self) -> EdgeResult<()> {
        let now = auth::now() as i64;
        self.sql().exec("DELETE FROM mails WHERE sent_at IS NOT NULL AND sent_at < ?", vec![(now - KEEP_SENT_MS as i64).into()])?;
        let due: Vec<MailRow> = self
            .sql()
            .exec(
                "SELECT id, sender, recipient, subject, body, attempts FROM mails WHERE sent_at IS NULL AND next_at <= ? ORDER BY next_at LIMIT ?",
                vec![now.into(), MAILS_PER_ALARM.into()],
            )?
            .to_array()?;
        for letter in due {
            if mail::send(&self.env, Some(&letter.sender), &letter.recipient, &letter.subject, &letter.body).await || letter.attempts + 1 >= MAX_ATTEMPTS {
                self.sql().exec("UPDATE mails SET sent_at = ? WHERE id = ?", vec![(auth::now() as i64).into(), letter.id.as_str().into()])?;
            } else {
                let wait = 1000i64 << letter.attempts.clamp(0, 22);
                self.sql().exec(
                    "UPDATE mails SET attempts = attempts + 1, next_at = ? WHERE id = ?",
                    vec![(auth::now() as i64 + wait.min(3_600_000)).into(), letter.id.as_str().into()],
                )?;
            }
        }
        let next: Vec<AtRow> = self.sql().exec("SELECT MIN(next_at) AS at FROM mails WHERE sent_at IS NULL", None)?.to_array()?;
        if let Some(at) = next.first().and_then(|row| row.at) {
            self.alarm_no_later_than(at.max(0) as u64).await?;
        }
        Ok(())
    }

    /// The offline messages between each two consecutive bounds.
    pub(crate) fn offline_counts(&self, call: &CountsCall) -> EdgeResult<Vec<u64>> {
        let mut counts = Vec::new();
        for pair in call.bounds.windows(2) {
            let rows: Vec<CountRow> = self
                .sql()
                .exec("SELECT COUNT(*) AS n FROM offline_messages WHERE at >= ? AND at < ?", vec![(pair[0] as i64).into(), (pair[1] as i64).into()])?
                .to_array()?;
            counts.push(rows.first().map_or(0, |r| r.n.max(0) as u64));
        }
        Ok(counts)
    }
}

/// The site's name in letters ("Natter" for a site placed before sites had names here).
pub fn site_name(head: &Letterhead) -> String {
    if head.name.trim().is_empty() { "Natter".into() } else { head.name.clone() }
}
