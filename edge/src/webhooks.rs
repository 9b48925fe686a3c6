//! The site's webhook: offline messages and conversation events, each posted once per
//! id (signed with the site secret, the event in the body and the `X-Natter-Event`
//! header), kept in a table until the receiver answers 2xx, retried with backoff by
//! the `Site` object's alarm. The last deliveries are listed for the settings page.

use natter_shared::protocol::OfflineNotice;
use natter_shared::shift::{DeliveryInfo, DeliveryState, EventKind, EventNotice};
use natter_shared::token::webhook_signature;
use serde::{Deserialize, Serialize};
use worker::{Fetch, Headers, Method, Request, RequestInit};

use crate::auth;
use crate::error::{EdgeError, EdgeResult};
use crate::site::Site;

pub const SCHEMA: &str = "
-- Deliveries not yet acknowledged by the webhook's receiver.
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL
);
-- Deliveries settled: the receiver answered 2xx (or there was no webhook to tell).
-- A report of one again (a visitor's retried send) is never posted again.
CREATE TABLE IF NOT EXISTS delivered (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
-- The last deliveries and how they went, for the settings page (and re-sending).
CREATE TABLE IF NOT EXISTS delivery_log (
    id TEXT PRIMARY KEY,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    status INTEGER,
    at INTEGER NOT NULL
);";

/// The longest wait between two webhook attempts.
const MAX_RETRY_MS: u64 = 10 * 60 * 1000;
/// Deliveries tried per alarm; the rest wait for the next one.
const DELIVERIES_PER_ALARM: i64 = 20;
/// Deliveries kept in the log.
const LOG_SIZE: i64 = 100;
/// Deliveries the settings page lists.
const LOG_PAGE: i64 = 30;

#[derive(Deserialize)]
struct DeliveryRow {
    id: String,
    body: String,
    attempts: u32,
}

#[derive(Deserialize)]
struct NextRow {
    next_at: Option<i64>,
}

#[derive(Deserialize)]
struct LogRow {
    id: String,
    event: String,
    state: String,
    attempts: u32,
    status: Option<u16>,
    at: u64,
    #[serde(default)]
    body: String,
}

/// The event a delivery's body names (offline notices stored before it had one are
/// offline messages).
#[derive(Deserialize)]
struct EventOnly {
    #[serde(default = "offline")]
    event: EventKind,
}

fn offline() -> EventKind {
    EventKind::OfflineMessage
}

fn event_of(body: &str) -> EventKind {
    serde_json::from_str::<EventOnly>(body).map_or(EventKind::OfflineMessage, |e| e.event)
}

/// The wait before attempt `attempts + 1`: 1 s, 2 s, 4 s … up to ten minutes.
pub(crate) fn retry_delay(attempts: u32) -> u64 {
    1000u64.saturating_mul(1 << attempts.min(20)).min(MAX_RETRY_MS)
}

fn state_column(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Pending => "pending",
        DeliveryState::Delivered => "delivered",
        DeliveryState::Dropped => "dropped",
    }
}

impl Site {
    /// Queues an offline message for the webhook: once, and never again once its
    /// receiver has it (a retried send reports it again).
    pub(crate) async fn queue_delivery(&self, notice: &OfflineNotice) -> EdgeResult<()> {
        self.queue(&notice.id, notice).await
    }

    /// Queues a conversation event, if the site has a webhook that wants it.
    pub(crate) async fn queue_event(&self, notice: &EventNotice) -> EdgeResult<()> {
        let settings = self.settings()?.settings;
        if settings.webhook_url.is_none() || !settings.webhook_events.contains(&notice.event) {
            return Ok(());
        }
        self.queue(&notice.id, notice).await
    }

    async fn queue<B: Serialize>(&self, id: &str, body: &B) -> EdgeResult<()> {
        let body = serde_json::to_string(body)?;
        let now = auth::now() as i64;
        let queued = self.sql().exec(
            "INSERT OR IGNORE INTO deliveries (id, body, next_at)
             SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM delivered WHERE id = ?)",
            vec![id.into(), body.as_str().into(), now.into(), id.into()],
        )?;
        if queued.rows_written() > 0 {
            self.log(id, &body, DeliveryState::Pending, 0, None)?;
            self.state.storage().set_alarm(0).await?;
        }
        Ok(())
    }

    fn log(&self, id: &str, body: &str, state: DeliveryState, attempts: u32, status: Option<u16>) -> EdgeResult<()> {
        self.sql().exec(
            "INSERT INTO delivery_log (id, event, body, state, attempts, status, at) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET state = excluded.state, attempts = excluded.attempts, status = excluded.status",
            vec![
                id.into(),
                event_of(body).as_str().into(),
                body.into(),
                state_column(state).into(),
                i64::from(attempts).into(),
                status.map(i64::from).into(),
                (auth::now() as i64).into(),
            ],
        )?;
        self.sql().exec(
            "DELETE FROM delivery_log WHERE id NOT IN (SELECT id FROM delivery_log ORDER BY at DESC LIMIT ?)",
            vec![LOG_SIZE.into()],
        )?;
        Ok(())
    }

    /// The last deliveries, newest first.
    pub(crate) fn recent_deliveries(&self) -> EdgeResult<Vec<DeliveryInfo>> {
        let rows: Vec<LogRow> = self
            .sql()
            .exec("SELECT id, event, state, attempts, status, at FROM delivery_log ORDER BY at DESC LIMIT ?", vec![LOG_PAGE.into()])?
            .to_array()?;
        Ok(rows
            .into_iter()
            .map(|row| DeliveryInfo {
                state: match row.state.as_str() {
                    "delivered" => DeliveryState::Delivered,
                    "dropped" => DeliveryState::Dropped,
                    _ => DeliveryState::Pending,
                },
                id: row.id,
                event: row.event,
                attempts: row.attempts,
                status: row.status,
                at: row.at,
            })
            .collect())
    }

    /// Posts a logged delivery again, as an admin asked (even one delivered already).
    pub(crate) async fn resend(&self, id: &str) -> EdgeResult<()> {
        let rows: Vec<LogRow> = self.sql().exec("SELECT * FROM delivery_log WHERE id = ?", vec![id.into()])?.to_array()?;
        let row = rows.into_iter().next().ok_or_else(|| EdgeError::NotFound("No such delivery".into()))?;
        self.sql().exec("DELETE FROM delivered WHERE id = ?", vec![id.into()])?;
        self.sql().exec(
            "INSERT OR REPLACE INTO deliveries (id, body, attempts, next_at) VALUES (?, ?, 0, ?)",
            vec![id.into(), row.body.as_str().into(), (auth::now() as i64).into()],
        )?;
        self.log(id, &row.body, DeliveryState::Pending, 0, None)?;
        self.state.storage().set_alarm(0).await?;
        Ok(())
    }

    /// Posts every due delivery to the webhook; what fails waits longer each time.
    /// Without a webhook URL (or for an event it no longer wants) there is nobody to
    /// tell, and the delivery is dropped (the messages are in their conversations).
    pub(crate) async fn deliver(&self) -> EdgeResult<()> {
        let settings = self.settings()?.settings;
        let secret = self.secret()?;
        let due: Vec<DeliveryRow> = self
            .sql()
            .exec(
                "SELECT id, body, attempts FROM deliveries WHERE next_at <= ? ORDER BY next_at LIMIT ?",
                vec![(auth::now() as i64).into(), DELIVERIES_PER_ALARM.into()],
            )?
            .to_array()?;
        for delivery in due {
            let event = event_of(&delivery.body);
            let status = match &settings.webhook_url {
                Some(url) if settings.webhook_events.contains(&event) => Some(post_webhook(url, &secret, &delivery, event).await),
                _ => None,
            };
            let settled = match status {
                None => Some(DeliveryState::Dropped),
                Some(Some(code)) if (200..300).contains(&code) => Some(DeliveryState::Delivered),
                Some(_) => None,
            };
            if let Some(state) = settled {
                self.sql().exec("DELETE FROM deliveries WHERE id = ?", vec![delivery.id.as_str().into()])?;
                self.sql().exec(
                    "INSERT OR IGNORE INTO delivered (id, at) VALUES (?, ?)",
                    vec![delivery.id.as_str().into(), (auth::now() as i64).into()],
                )?;
                self.log(&delivery.id, &delivery.body, state, delivery.attempts + u32::from(status.is_some()), status.flatten())?;
            } else {
                let next_at = auth::now() + retry_delay(delivery.attempts);
                self.sql().exec(
                    "UPDATE deliveries SET attempts = attempts + 1, next_at = ? WHERE id = ?",
                    vec![(next_at as i64).into(), delivery.id.as_str().into()],
                )?;
                self.log(&delivery.id, &delivery.body, DeliveryState::Pending, delivery.attempts + 1, status.flatten())?;
            }
        }
        let next: Vec<NextRow> = self.sql().exec("SELECT MIN(next_at) AS next_at FROM deliveries", None)?.to_array()?;
        if let Some(next_at) = next.first().and_then(|row| row.next_at) {
            self.alarm_no_later_than(next_at.max(0) as u64).await?;
        }
        Ok(())
    }
}

/// One attempt to post a delivery: the receiver's status, or none if unreachable.
async fn post_webhook(url: &str, secret: &str, delivery: &DeliveryRow, event: EventKind) -> Option<u16> {
    let attempt = async {
        let headers = Headers::new();
        headers.set("Content-Type", "application/json")?;
        headers.set("X-Natter-Delivery", &delivery.id)?;
        headers.set("X-Natter-Event", event.as_str())?;
        headers.set("X-Natter-Signature", &webhook_signature(secret.as_bytes(), auth::now(), &delivery.body))?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(delivery.body.as_str().into()));
        let response = Fetch::Request(Request::new_with_init(url, &init)?).send().await?;
        Ok::<u16, worker::Error>(response.status_code())
    };
    match attempt.await {
        Ok(status) => Some(status),
        Err(e) => {
            worker::console_log!("webhook {url} unreachable: {e}");
            None
        }
    }
}
