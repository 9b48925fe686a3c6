//! The `Site` Durable Object: one per site. It holds the site's policy (which origins
//! may embed the widget), the inbox of conversation summaries, and the operators'
//! inbox sockets, to which it pushes every change live. Operators with an inbox socket
//! open are the ones online: presence is derived from the sockets (which survive
//! hibernation), never kept separately where it could go stale; an operator who
//! stepped away still has a socket but does not count as online for visitors.
//! It also delivers offline messages to the site's webhook: each is kept in a table
//! until the receiver answers 2xx, retried with backoff by the object's alarm.

use std::cell::Cell;

use natter_shared::ids::{ConversationId, OperatorId, SiteId, VisitorId};
use natter_shared::protocol::{
    parse_client_frame, ClientFrame, ConversationSummary, InboxFrame, OfflineNotice, OperatorPresence,
    SettingsDocument, SiteSecret, SiteStatus,
};
use natter_shared::settings::WidgetSettings;
use natter_shared::token::webhook_signature;
use serde::Deserialize;
use worker::{
    durable_object, DurableObject, Env, Fetch, Headers, Method, Request, RequestInit, Response, SqlStorage, State,
    WebSocket, WebSocketIncomingMessage, WebSocketPair,
};

use crate::auth;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Identified, IdentifyCall, InboxWatcher, PageOrigin, SitePlacement, SummaryReport, SESSION_ENDED};


const SCHEMA: &str = "
DROP TABLE IF EXISTS policy;
-- Set by the site's organisation: who may embed it, whether it is on.
CREATE TABLE IF NOT EXISTS placement (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    allowed_origins TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL,
    document TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS inbox (
    conversation TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    summary TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS away (operator TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value TEXT NOT NULL
);
-- Signs the host site's signed-in users (`identify`); rotated apart from `secret`.
CREATE TABLE IF NOT EXISTS identity_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value TEXT NOT NULL
);
-- Each verified user's conversation, so it follows them to any browser.
CREATE TABLE IF NOT EXISTS users (
    user TEXT PRIMARY KEY,
    visitor TEXT NOT NULL,
    conversation TEXT NOT NULL
);
-- The conversations each operator has opened a socket to, so that ending their
-- session closes those sockets too.
CREATE TABLE IF NOT EXISTS watching (
    operator TEXT NOT NULL,
    conversation TEXT NOT NULL,
    PRIMARY KEY (operator, conversation)
);
-- Offline messages not yet acknowledged by the webhook's receiver.
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL
);
-- Offline messages settled: the receiver answered 2xx (or there was no webhook to
-- tell). A report of one again (a visitor's retried send) is never posted again.
CREATE TABLE IF NOT EXISTS delivered (id TEXT PRIMARY KEY, at INTEGER NOT NULL);";

/// The longest wait between two webhook attempts.
const MAX_RETRY_MS: u64 = 10 * 60 * 1000;
/// Deliveries tried per alarm; the rest wait for the next one.
const DELIVERIES_PER_ALARM: i64 = 20;

/// How many conversations the inbox socket sends when it opens.
const INBOX_PAGE: i64 = 200;

#[derive(Deserialize)]
struct PlacementRow {
    allowed_origins: String,
    disabled: i64,
}

#[derive(Deserialize)]
struct SettingsRow {
    revision: u64,
    document: String,
}

#[derive(Deserialize)]
struct SummaryRow {
    summary: String,
}

#[derive(Deserialize)]
struct OperatorRow {
    operator: String,
}

#[derive(Deserialize)]
struct ValueRow {
    value: String,
}

#[derive(Deserialize)]
struct WatchRow {
    conversation: String,
}

#[derive(Deserialize)]
struct UserRow {
    visitor: String,
    conversation: String,
}

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

/// The wait before attempt `attempts + 1`: 1 s, 2 s, 4 s … up to ten minutes.
fn retry_delay(attempts: u32) -> u64 {
    1000u64.saturating_mul(1 << attempts.min(20)).min(MAX_RETRY_MS)
}

#[durable_object]
pub struct Site {
    state: State,
    env: Env,
    /// Its organisation has placed it (it has tables): known once, not asked per
    /// request, since every visitor message reaches this object.
    placed: Cell<bool>,
}

impl DurableObject for Site {
    fn new(state: State, env: Env) -> Self {
        internal::update_tables(&state, "site", SCHEMA);
        let placed = Cell::new(internal::has_tables(&state));
        Self { state, env, placed }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        Ok(self.route(&mut req).await.unwrap_or_else(EdgeError::into_response))
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> worker::Result<()> {
        // The inbox socket listens; a client may say hello or step away and back.
        let refusal = match internal::frame_text(message).and_then(|text| parse_client_frame(&text)) {
            Ok(ClientFrame::Hello { .. }) => None,
            Ok(ClientFrame::Away { away }) => self.set_away(&ws, away).err(),
            Ok(_) => Some(natter_shared::Error::UnknownFrame.into()),
            Err(e) => Some(e.into()),
        };
        if let Some(error) = refusal {
            let _ = ws.send(&InboxFrame::Error(error.body()));
        }
        Ok(())
    }

    async fn alarm(&self) -> worker::Result<Response> {
        if let Err(e) = self.deliver().await {
            worker::console_error!("webhook delivery: {e}");
        }
        Response::empty()
    }

    async fn websocket_close(&self, ws: WebSocket, code: usize, _reason: String, _clean: bool) -> worker::Result<()> {
        internal::complete_close(&ws, code);
        self.announce_presence(Some(&ws));
        Ok(())
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> worker::Result<()> {
        self.announce_presence(Some(&ws));
        Ok(())
    }
}

impl Site {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    async fn route(&self, req: &mut Request) -> EdgeResult<Response> {
        // Only its organisation creates a site (`/place`); any other request for a site
        // that was never placed stores nothing.
        if req.path() == "/place" {
            internal::create_tables(&self.state, "site", SCHEMA);
            self.placed.set(true);
        } else if !self.placed.get() {
            return Err(EdgeError::NotFound("This site does not exist".into()));
        }
        match req.path().as_str() {
            "/policy" => {
                let site: SiteId = internal::context(req)?;
                Ok(Response::from_json(&self.placement(&site)?)?)
            }
            "/place" => {
                let placement: SitePlacement = req.json().await?;
                self.sql().exec(
                    "INSERT INTO placement (id, allowed_origins, disabled) VALUES (1, ?, ?)
                     ON CONFLICT(id) DO UPDATE SET allowed_origins = excluded.allowed_origins, disabled = excluded.disabled",
                    vec![
                        serde_json::to_string(&placement.allowed_origins)?.into(),
                        i64::from(placement.disabled).into(),
                    ],
                )?;
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            "/destroy" => {
                for ws in self.state.get_websockets() {
                    let _ = ws.close(Some(SESSION_ENDED), Some("site deleted"));
                }
                self.state.storage().delete_alarm().await?;
                // Nothing left: the site now answers "does not exist" (404).
                self.state.storage().delete_all().await?;
                self.placed.set(false);
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            "/watch" => {
                let (operator, conversation): (OperatorId, ConversationId) = req.json().await?;
                self.sql().exec(
                    "INSERT OR IGNORE INTO watching (operator, conversation) VALUES (?, ?)",
                    vec![operator.as_str().into(), conversation.as_str().into()],
                )?;
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            "/revoke" => {
                let site: SiteId = internal::context(req)?;
                let operator: OperatorId = req.json().await?;
                for ws in self.state.get_websockets_with_tag(operator.as_str()) {
                    let _ = ws.close(Some(SESSION_ENDED), Some("session ended"));
                }
                self.announce_presence(None);
                let watched: Vec<WatchRow> = self
                    .sql()
                    .exec("SELECT conversation FROM watching WHERE operator = ?", vec![operator.as_str().into()])?
                    .to_array()?;
                for row in watched {
                    let conversation = ConversationId::parse(&row.conversation)?;
                    let stub = internal::conversation_stub(&self.env, &site, &conversation)?;
                    if let Err(e) = internal::call::<_, _, serde_json::Value>(&stub, "/revoke", &operator, Some(&())).await {
                        worker::console_error!("closing {operator}'s socket on {conversation}: {e}");
                    }
                }
                self.sql().exec("DELETE FROM watching WHERE operator = ?", vec![operator.as_str().into()])?;
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            "/presence" => Ok(Response::from_json(&self.presence(None))?),
            "/settings" => {
                let site: SiteId = internal::context(req)?;
                self.placement(&site)?;
                Ok(Response::from_json(&self.settings()?)?)
            }
            // The loader's settings: only for a page that may have the widget now.
            "/widget" => {
                let page: PageOrigin = internal::context(req)?;
                self.placement(&page.site)?.admits(&page)?;
                Ok(Response::from_json(&self.settings()?)?)
            }
            "/settings/save" => {
                // Validated by the Worker (shared's strict parser) before it came here.
                let settings: WidgetSettings = req.json().await?;
                let revision = self.settings()?.revision + 1;
                self.sql().exec(
                    "INSERT INTO settings (id, revision, document) VALUES (1, ?, ?)
                     ON CONFLICT(id) DO UPDATE SET revision = excluded.revision, document = excluded.document",
                    vec![(revision as i64).into(), serde_json::to_string(&settings)?.into()],
                )?;
                Ok(Response::from_json(&SettingsDocument { revision, settings })?)
            }
            "/inbox" => {
                let watcher: InboxWatcher = internal::context(req)?;
                let pair = WebSocketPair::new()?;
                self.state.accept_websocket_with_tags(&pair.server, &["operator", watcher.operator.as_str()]);
                pair.server.serialize_attachment(&watcher)?;
                pair.server.send(&InboxFrame::Inbox { conversations: self.inbox()? })?;
                self.announce_presence(None);
                Ok(Response::from_websocket(pair.client)?)
            }
            "/status" => {
                let site: SiteId = internal::context(req)?;
                self.placement(&site)?;
                Ok(Response::from_json(&SiteStatus { online: self.is_online() })?)
            }
            "/secret" => Ok(Response::from_json(&self.secrets()?)?),
            "/secret/identity/rotate" => {
                self.sql().exec("DELETE FROM identity_secret", None)?;
                Ok(Response::from_json(&self.secrets()?)?)
            }
            "/identify" => {
                let call: IdentifyCall = req.json().await?;
                Ok(Response::from_json(&self.identify(call)?)?)
            }
            "/offline" => {
                let notice: OfflineNotice = req.json().await?;
                self.queue_delivery(&notice).await?;
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            "/summary" => {
                let SummaryReport { mut summary, notice } = req.json().await?;
                // A visitor's new message with nobody online is an offline message:
                // decided here, where presence is known, as it is reported.
                let online = self.is_online();
                if let Some(notice) = notice.filter(|_| !online) {
                    summary.offline = true;
                    self.queue_delivery(&notice).await?;
                }
                // Reports may arrive out of order (a conversation's object takes other
                // events while one is in flight): never let an older one win.
                let cursor = self.sql().exec(
                    "INSERT INTO inbox (conversation, last_seq, last_at, summary) VALUES (?, ?, ?, ?)
                     ON CONFLICT(conversation) DO UPDATE
                     SET last_seq = excluded.last_seq, last_at = excluded.last_at, summary = excluded.summary
                     WHERE excluded.last_seq >= inbox.last_seq",
                    vec![
                        summary.id.as_str().into(),
                        (summary.last_seq.0 as i64).into(),
                        (summary.last_at as i64).into(),
                        serde_json::to_string(&summary)?.into(),
                    ],
                )?;
                if cursor.rows_written() > 0 {
                    self.broadcast(&InboxFrame::Conversation(summary));
                }
                Ok(Response::from_json(&SiteStatus { online })?)
            }
            other => Err(EdgeError::NotFound(format!("No site route {other}"))),
        }
    }

    /// Queues an offline message for the webhook: once, and never again once its
    /// receiver has it (a retried send reports it again).
    async fn queue_delivery(&self, notice: &OfflineNotice) -> EdgeResult<()> {
        let queued = self.sql().exec(
            "INSERT OR IGNORE INTO deliveries (id, body, next_at)
             SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM delivered WHERE id = ?)",
            vec![
                notice.id.as_str().into(),
                serde_json::to_string(notice)?.into(),
                (auth::now() as i64).into(),
                notice.id.as_str().into(),
            ],
        )?;
        if queued.rows_written() > 0 {
            self.state.storage().set_alarm(0).await?;
        }
        Ok(())
    }

    fn broadcast(&self, frame: &InboxFrame) {
        for ws in self.state.get_websockets_with_tag("operator") {
            // A closing socket misses this; its console reloads the inbox on reconnect.
            let _ = ws.send(frame);
        }
    }

    /// The operators with a console open, each once, with whether they stepped away;
    /// `leaving` (a socket that is closing) is left out.
    fn presence(&self, leaving: Option<&WebSocket>) -> Vec<OperatorPresence> {
        let away: Vec<OperatorRow> =
            self.sql().exec("SELECT operator FROM away", None).and_then(|c| c.to_array()).unwrap_or_default();
        let mut online: Vec<OperatorPresence> = self
            .state
            .get_websockets_with_tag("operator")
            .iter()
            .filter(|ws| Some(*ws) != leaving)
            .filter_map(|ws| ws.deserialize_attachment::<InboxWatcher>().ok().flatten())
            .map(|watcher| OperatorPresence {
                away: away.iter().any(|row| row.operator == watcher.operator.as_str()),
                id: watcher.operator,
                name: watcher.name,
            })
            .collect();
        online.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        online.dedup_by(|a, b| a.id == b.id);
        online
    }

    /// Visitors can chat: some operator has a console open and is not away.
    fn is_online(&self) -> bool {
        self.presence(None).iter().any(|operator| !operator.away)
    }

    /// Tells every console who is online, leaving out a socket that is closing.
    fn announce_presence(&self, leaving: Option<&WebSocket>) {
        self.broadcast(&InboxFrame::Presence { online: self.presence(leaving) });
    }

    /// Marks the socket's operator away (in all their tabs) or back.
    fn set_away(&self, ws: &WebSocket, away: bool) -> EdgeResult<()> {
        let watcher: InboxWatcher =
            ws.deserialize_attachment()?.ok_or_else(|| EdgeError::Internal("Inbox socket without attachment".into()))?;
        let sql = if away { "INSERT OR IGNORE INTO away (operator) VALUES (?)" } else { "DELETE FROM away WHERE operator = ?" };
        self.sql().exec(sql, vec![watcher.operator.as_str().into()])?;
        self.announce_presence(None);
        Ok(())
    }

    /// The site secret, which signs webhook requests; made on first use.
    fn secret(&self) -> EdgeResult<String> {
        self.secret_in("secret")
    }

    /// A 256-bit random secret kept in `table`, made on first use.
    fn secret_in(&self, table: &str) -> EdgeResult<String> {
        let rows: Vec<ValueRow> = self.sql().exec(&format!("SELECT value FROM {table} WHERE id = 1"), None)?.to_array()?;
        if let Some(row) = rows.into_iter().next() {
            return Ok(row.value);
        }
        let bytes = [auth::random_bytes()?, auth::random_bytes()?].concat();
        let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        self.sql().exec(&format!("INSERT INTO {table} (id, value) VALUES (1, ?)"), vec![secret.as_str().into()])?;
        Ok(secret)
    }

    fn secrets(&self) -> EdgeResult<SiteSecret> {
        Ok(SiteSecret { secret: self.secret()?, identity: self.secret_in("identity_secret")? })
    }

    /// Checks a signed user and gives their conversation: the one they had, else the
    /// browser's anonymous one (so a chat begun before signing in goes on), else a new one.
    fn identify(&self, call: IdentifyCall) -> EdgeResult<Identified> {
        let user = call
            .identity
            .verify(&call.site, self.secret_in("identity_secret")?.as_bytes(), auth::now())
            .map_err(EdgeError::IdentityRefused)?;
        let rows: Vec<UserRow> =
            self.sql().exec("SELECT visitor, conversation FROM users WHERE user = ?", vec![user.id.as_str().into()])?.to_array()?;
        if let Some(row) = rows.into_iter().next() {
            return Ok(Identified { visitor: VisitorId::parse(&row.visitor)?, conversation: ConversationId::parse(&row.conversation)?, user });
        }
        // A conversation already some user's is never taken over (an old anonymous token
        // of it may still be around).
        let taken = |conversation: &ConversationId| -> EdgeResult<bool> {
            let rows: Vec<UserRow> = self
                .sql()
                .exec("SELECT visitor, conversation FROM users WHERE conversation = ?", vec![conversation.as_str().into()])?
                .to_array()?;
            Ok(!rows.is_empty())
        };
        let (visitor, conversation) = match call.anonymous {
            Some((visitor, conversation)) if !taken(&conversation)? => (visitor, conversation),
            _ => (VisitorId::from_random(auth::random_bytes()?), ConversationId::from_random(auth::random_bytes()?)),
        };
        self.sql().exec(
            "INSERT INTO users (user, visitor, conversation) VALUES (?, ?, ?)",
            vec![user.id.as_str().into(), visitor.as_str().into(), conversation.as_str().into()],
        )?;
        Ok(Identified { visitor, conversation, user })
    }

    /// Posts every due offline message to the webhook; what fails waits longer each
    /// time. Without a webhook URL there is nobody to tell, and the queue is dropped
    /// (the messages themselves are in their conversations).
    async fn deliver(&self) -> EdgeResult<()> {
        let Some(url) = self.settings()?.settings.webhook_url else {
            self.sql().exec("INSERT OR IGNORE INTO delivered (id, at) SELECT id, ? FROM deliveries", vec![(auth::now() as i64).into()])?;
            self.sql().exec("DELETE FROM deliveries", None)?;
            return Ok(());
        };
        let secret = self.secret()?;
        let due: Vec<DeliveryRow> = self
            .sql()
            .exec(
                "SELECT id, body, attempts FROM deliveries WHERE next_at <= ? ORDER BY next_at LIMIT ?",
                vec![(auth::now() as i64).into(), DELIVERIES_PER_ALARM.into()],
            )?
            .to_array()?;
        for delivery in due {
            if post_webhook(&url, &secret, &delivery).await {
                self.sql().exec("DELETE FROM deliveries WHERE id = ?", vec![delivery.id.as_str().into()])?;
                self.sql().exec(
                    "INSERT OR IGNORE INTO delivered (id, at) VALUES (?, ?)",
                    vec![delivery.id.as_str().into(), (auth::now() as i64).into()],
                )?;
            } else {
                let next_at = auth::now() + retry_delay(delivery.attempts);
                self.sql().exec(
                    "UPDATE deliveries SET attempts = attempts + 1, next_at = ? WHERE id = ?",
                    vec![(next_at as i64).into(), delivery.id.as_str().into()],
                )?;
            }
        }
        let next: Vec<NextRow> = self.sql().exec("SELECT MIN(next_at) AS next_at FROM deliveries", None)?.to_array()?;
        if let Some(next_at) = next.first().and_then(|row| row.next_at) {
            self.state.storage().set_alarm(next_at - auth::now() as i64).await?;
        }
        Ok(())
    }

    /// Who may embed the site and whether it is on, as its organisation set it; a site
    /// no organisation placed does not exist.
    fn placement(&self, site: &SiteId) -> EdgeResult<SitePlacement> {
        let rows: Vec<PlacementRow> = self.sql().exec("SELECT * FROM placement WHERE id = 1", None)?.to_array()?;
        let row = rows.into_iter().next().ok_or_else(|| EdgeError::NotFound(format!("Site {site} does not exist")))?;
        Ok(SitePlacement {
            allowed_origins: serde_json::from_str(&row.allowed_origins)?,
            disabled: row.disabled != 0,
        })
    }

    /// The saved settings, or the defaults (revision 0) for a site that saved none.
    fn settings(&self) -> EdgeResult<SettingsDocument> {
        let rows: Vec<SettingsRow> = self.sql().exec("SELECT revision, document FROM settings WHERE id = 1", None)?.to_array()?;
        Ok(match rows.first() {
            // Read leniently: a document saved by a newer version must not break this one.
            Some(row) => SettingsDocument { revision: row.revision, settings: WidgetSettings::parse_lenient(&row.document) },
            None => SettingsDocument { revision: 0, settings: WidgetSettings::default() },
        })
    }

    fn inbox(&self) -> EdgeResult<Vec<ConversationSummary>> {
        let rows: Vec<SummaryRow> = self
            .sql()
            .exec("SELECT summary FROM inbox ORDER BY last_at DESC LIMIT ?", vec![INBOX_PAGE.into()])?
            .to_array()?;
        rows.iter().map(|row| Ok(serde_json::from_str(&row.summary)?)).collect()
    }
}

/// One attempt to post a delivery; true when the receiver acknowledged it (2xx).
async fn post_webhook(url: &str, secret: &str, delivery: &DeliveryRow) -> bool {
    let attempt = async {
        let headers = Headers::new();
        headers.set("Content-Type", "application/json")?;
        headers.set("X-Natter-Delivery", &delivery.id)?;
        headers.set("X-Natter-Signature", &webhook_signature(secret.as_bytes(), auth::now(), &delivery.body))?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(delivery.body.as_str().into()));
        let response = Fetch::Request(Request::new_with_init(url, &init)?).send().await?;
        Ok::<bool, worker::Error>((200..300).contains(&response.status_code()))
    };
    match attempt.await {
        Ok(acknowledged) => acknowledged,
        Err(e) => {
            worker::console_log!("webhook {url} unreachable: {e}");
            false
        }
    }
}
