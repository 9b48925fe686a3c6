//! The `Site` Durable Object: one per site. It holds the site's policy (which origins
//! may embed the widget), the inbox of conversation summaries, and the operators'
//! inbox sockets, to which it pushes every change live. Operators with an inbox socket
//! open are the ones online: presence is derived from the sockets (which survive
//! hibernation), never kept separately where it could go stale; an operator who
//! stepped away still has a socket but does not count as online for visitors.
//! It also delivers offline messages to the site's webhook: each is kept in a table
//! until the receiver answers 2xx, retried with backoff by the object's alarm.

use std::cell::{Cell, RefCell};

use natter_shared::ids::{ConversationId, OperatorId, SiteId, VisitorId};
use natter_shared::protocol::{
    parse_client_frame, ClientFrame, ConversationSummary, InboxFrame, OfflineNotice, OperatorPresence, Role,
    SettingsDocument, SiteSecret, SiteStatus,
};
use natter_shared::shift::{ConversationState, EventKind, EventNotice, OperatorRef};
use natter_shared::settings::WidgetSettings;
use serde::Deserialize;
use worker::{
    durable_object, DurableObject, Env, Request, Response, SqlStorage, SqlStorageValue, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair,
};

use crate::attachments::Attachments;
use crate::auth;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{
    self, Act, BlockCall, Identified, IdentifyCall, InboxWatcher, PageOrigin, SitePlacement, SummaryReport, WatchAnswer, SESSION_ENDED,
};
use crate::inbox::PageCall;
use crate::live::{LiveContext, PresencePolicy};
use crate::throttle::StartCall;
use crate::notifications::{self, CountsCall, Letterhead};
use crate::{canned, channels, crm, inbox, throttle, webhooks};


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
-- Replaced by `conversations` (issue 13): summaries come back on their next change.
DROP TABLE IF EXISTS inbox;
-- Every conversation's latest summary; closed ones stay (out of the inbox).
CREATE TABLE IF NOT EXISTS conversations (
    conversation TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    owner TEXT,
    waiting_since INTEGER,
    summary TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_by_state ON conversations (state, last_at);
-- The site's own id (objects are named by it, but do not know their name).
CREATE TABLE IF NOT EXISTS identity (id INTEGER PRIMARY KEY CHECK (id = 1), site TEXT NOT NULL);
-- IP addresses whose visitors the operators blocked: they get no visitor token.
CREATE TABLE IF NOT EXISTS blocked_ips (ip TEXT PRIMARY KEY, at INTEGER NOT NULL);
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
";

/// `/place`: who may embed the site, and who it is in its letters.
#[derive(serde::Serialize, Deserialize)]
pub struct Placed {
    #[serde(flatten)]
    pub placement: SitePlacement,
    #[serde(flatten)]
    pub letterhead: Letterhead,
}

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
struct StateRow {
    state: String,
    owner: Option<String>,
}

#[derive(Deserialize)]
struct SummaryRow {
    summary: String,
}

#[derive(Deserialize)]
struct IdentityRow {
    site: String,
}

#[derive(Deserialize)]
struct WaitingRow {
    conversation: String,
}

#[derive(Deserialize)]
struct LoadRow {
    owner: String,
    n: i64,
}

/// Whether an operator's inbox shows a conversation: everyone's does, unless `hide`
/// (an agent on a site that hides others' conversations): then only their own and
/// unassigned ones.
fn visible(summary: &ConversationSummary, watcher: &InboxWatcher, hide: bool) -> bool {
    !hide || summary.owner.as_ref().is_none_or(|owner| owner.id == watcher.operator)
}

#[durable_object]
pub struct Site {
    pub(crate) state: State,
    pub(crate) env: Env,
    /// Its organisation has placed it (it has tables): known once, not asked per
    /// request, since every visitor message reaches this object.
    placed: Cell<bool>,
    /// The settings as last read or saved: every visitor message's report needs them,
    /// and parsing the document each time cost more than the rest of the report.
    settings: RefCell<Option<SettingsDocument>>,
    /// It has stored its own id (once per object).
    knows_id: Cell<bool>,
    /// Whether someone is online, and when that was worked out: every report asks, and
    /// working it out reads every inbox socket. Forgotten when presence changes, and
    /// worked out again after [`ONLINE_FRESH_MS`] (a session may have expired).
    online: Cell<Option<(bool, u64)>>,
    /// Who watches on each inbox socket, as in its attachment (read for every report).
    watchers: Attachments<InboxWatcher>,
    /// A bot token being connected: its messenger may call the webhook back before
    /// it answers (Viber does), signed with it.
    pub(crate) connecting: RefCell<Option<String>>,
    /// CRM jobs under way (see `crm::run_crm_job`).
    pub(crate) crm_running: RefCell<Vec<i64>>,
}

const ONLINE_FRESH_MS: u64 = 1_000;

impl DurableObject for Site {
    fn new(state: State, env: Env) -> Self {
        internal::update_tables(&state, "site", SCHEMA);
        internal::update_tables(&state, "site", webhooks::SCHEMA);
        internal::update_tables(&state, "site", canned::SCHEMA);
        internal::update_tables(&state, "site", throttle::SITE_SCHEMA);
        internal::update_tables(&state, "site", inbox::SCHEMA);
        internal::update_tables(&state, "site", notifications::SCHEMA);
        internal::update_tables(&state, "site", channels::SCHEMA);
        internal::update_tables(&state, "site", crm::SCHEMA);
        let placed = Cell::new(internal::has_tables(&state));
        Self { state, env, placed, settings: RefCell::new(None), knows_id: Cell::new(false), online: Cell::new(None), watchers: Attachments::default(), connecting: RefCell::new(None), crm_running: RefCell::default() }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        Ok(self.route(&mut req).await.unwrap_or_else(EdgeError::into_response))
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> worker::Result<()> {
        let expires = self.watchers.get(&ws).ok().flatten().and_then(|w| w.expires);
        if internal::close_if_expired(&ws, expires) {
            return Ok(());
        }
        // The inbox socket listens; a client may say hello or step away and back.
        let refusal = match internal::frame_text(message).and_then(|text| parse_client_frame(&text)) {
            Ok(ClientFrame::Hello { .. }) => None,
            Ok(ClientFrame::Away { away }) => self.set_away(&ws, away).await.err(),
            Ok(_) => Some(natter_shared::Error::UnknownFrame.into()),
            Err(e) => Some(e.into()),
        };
        if let Some(error) = refusal {
            let _ = ws.send(&InboxFrame::Error(error.body()));
        }
        Ok(())
    }

    async fn alarm(&self) -> worker::Result<Response> {
        if let Err(e) = self.dispatch().await {
            worker::console_error!("auto-assignment: {e}");
        }
        if let Err(e) = self.deliver().await {
            worker::console_error!("webhook delivery: {e}");
        }
        if let Err(e) = self.send_mails().await {
            worker::console_error!("e-mail to the owner: {e}");
        }
        if let Err(e) = self.run_crm_jobs().await {
            worker::console_error!("CRM jobs: {e}");
        }
        Response::empty()
    }

    async fn websocket_close(&self, ws: WebSocket, code: usize, _reason: String, _clean: bool) -> worker::Result<()> {
        internal::complete_close(&ws, code);
        self.announce_presence(Some(&ws));
        self.watchers.forget(&ws);
        Ok(())
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> worker::Result<()> {
        self.announce_presence(Some(&ws));
        self.watchers.forget(&ws);
        Ok(())
    }
}

impl Site {
    pub(crate) fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    async fn route(&self, req: &mut Request) -> EdgeResult<Response> {
        // Only its organisation creates a site (`/place`); any other request for a site
        // that was never placed stores nothing.
        if req.path() == "/place" {
            internal::create_tables(&self.state, "site", SCHEMA);
            internal::create_tables(&self.state, "site", webhooks::SCHEMA);
            internal::create_tables(&self.state, "site", canned::SCHEMA);
            internal::create_tables(&self.state, "site", throttle::SITE_SCHEMA);
            internal::create_tables(&self.state, "site", inbox::SCHEMA);
            internal::create_tables(&self.state, "site", notifications::SCHEMA);
            internal::create_tables(&self.state, "site", channels::SCHEMA);
            internal::create_tables(&self.state, "site", crm::SCHEMA);
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
                self.remember_id(&internal::context(req)?)?;
                let Placed { placement, letterhead } = req.json().await?;
                self.set_letterhead(&letterhead)?;
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
                *self.settings.borrow_mut() = None;
                self.placed.set(false);
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            "/watch" => {
                let (operator, conversation, role): (OperatorId, ConversationId, Role) = req.json().await?;
                self.sql().exec(
                    "INSERT OR IGNORE INTO watching (operator, conversation) VALUES (?, ?)",
                    vec![operator.as_str().into(), conversation.as_str().into()],
                )?;
                Ok(Response::from_json(&WatchAnswer { restricted: self.restricts(role)? })?)
            }
            "/admit" => {
                let page: PageOrigin = internal::context(req)?;
                self.placement(&page.site)?.admits(&page)?;
                let blocked = self.sql().exec("SELECT ip FROM blocked_ips WHERE ip = ?", vec![page.ip.as_str().into()])?;
                if blocked.to_array::<serde_json::Value>()?.is_empty() {
                    Ok(Response::from_json(&serde_json::json!({}))?)
                } else {
                    Err(EdgeError::Blocked)
                }
            }
            "/block" => {
                // A conversation without a known address blocks only itself.
                let call: BlockCall = req.json().await?;
                match (call.ip.is_empty(), call.blocked) {
                    (true, _) => {}
                    (false, true) => {
                        self.sql().exec(
                            "INSERT OR IGNORE INTO blocked_ips (ip, at) VALUES (?, ?)",
                            vec![call.ip.as_str().into(), (auth::now() as i64).into()],
                        )?;
                    }
                    (false, false) => {
                        self.sql().exec("DELETE FROM blocked_ips WHERE ip = ?", vec![call.ip.as_str().into()])?;
                    }
                }
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            "/restricts" => {
                let role: Role = req.json().await?;
                Ok(Response::from_json(&WatchAnswer { restricted: self.restricts(role)? })?)
            }
            "/team" => Ok(Response::from_json(&self.presence(None))?),
            "/presence-policy" => {
                let site: SiteId = internal::context(req)?;
                let live_visitors = self.settings()?.settings.live_visitors;
                Ok(Response::from_json(&PresencePolicy { placement: self.placement(&site)?, live_visitors })?)
            }
            "/live-context" => {
                let ids: Vec<ConversationId> = internal::request_json(req).await?;
                let summaries = self.summaries(&ids)?;
                let priority_pages = self.settings()?.settings.priority_pages;
                Ok(Response::from_json(&LiveContext { summaries, priority_pages })?)
            }
            "/event" => {
                let notice: EventNotice = req.json().await?;
                self.queue_event(&notice).await?;
                self.crm_event(&notice).await?;
                if notice.event == EventKind::ConversationClosed {
                    self.notify_closed(&notice).await?;
                }
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            "/canned" => {
                let call: canned::CannedCall = req.json().await?;
                self.canned(call)
            }
            "/transcript-terms" => {
                let allowed = self.settings()?.settings.transcripts;
                Ok(Response::from_json(&crate::transcripts::TranscriptTerms { allowed, letterhead: self.letterhead()? })?)
            }
            "/offline-counts" => {
                let call: CountsCall = req.json().await?;
                Ok(Response::from_json(&self.offline_counts(&call)?)?)
            }
            "/deliveries" => Ok(Response::from_json(&self.recent_deliveries()?)?),
            "/deliveries/resend" => {
                let id: String = req.json().await?;
                self.resend(&id).await?;
                Ok(Response::from_json(&self.recent_deliveries()?)?)
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
                Ok(Response::from_json(&self.save_settings(settings)?)?)
            }
            path if path.starts_with("/channels") => self.channel_route(req).await,
            path if path.starts_with("/crm") => self.crm_route(req).await,
            "/inbox" => {
                let watcher: InboxWatcher = internal::context(req)?;
                let pair = WebSocketPair::new()?;
                self.state.accept_websocket_with_tags(&pair.server, &["operator", watcher.operator.as_str()]);
                pair.server.serialize_attachment(&watcher)?;
                pair.server.send(&self.inbox_opening(&watcher)?)?;
                self.announce_presence(None);
                self.dispatch_soon().await?;
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
            "/inbox/page" => {
                let call: PageCall = req.json().await?;
                Ok(Response::from_json(&self.inbox_page(&call.watcher, call.filter, call.after.as_ref())?)?)
            }
            "/start" => {
                let call: StartCall = req.json().await?;
                self.admit_start(&call)?;
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            "/offline" => {
                let notice: OfflineNotice = req.json().await?;
                self.queue_delivery(&notice).await?;
                self.notify_offline(&notice).await?;
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            "/summary" => {
                self.remember_id(&internal::context(req)?)?;
                let SummaryReport { mut summary, notices } = internal::request_json(req).await?;
                // A visitor's new message with nobody online is an offline message:
                // decided here, where presence is known, as it is reported.
                let online = self.is_online();
                if !online && !notices.is_empty() {
                    summary.offline = true;
                    for notice in &notices {
                        self.queue_delivery(notice).await?;
                        self.notify_offline(notice).await?;
                    }
                }
                if let Some(counts_changed) = self.keep_summary(&summary)? {
                    self.broadcast_summary(&summary, counts_changed);
                    self.dispatch_soon().await?;
                }
                Ok(Response::from_json(&SiteStatus { online })?)
            }
            other => Err(EdgeError::NotFound(format!("No site route {other}"))),
        }
    }

    fn broadcast(&self, frame: &InboxFrame) {
        for (ws, _) in self.watchers() {
            // A closing socket misses this; its console reloads the inbox on reconnect.
            let _ = ws.send(frame);
        }
    }

    /// The open inbox sockets and who watches on each. One whose session expired is
    /// closed instead: it gets nothing more and counts as nobody.
    fn watchers(&self) -> Vec<(WebSocket, InboxWatcher)> {
        self.state
            .get_websockets_with_tag("operator")
            .into_iter()
            .filter_map(|ws| self.watchers.get(&ws).ok().flatten().map(|w| (ws, w)))
            .filter(|(ws, watcher)| !internal::close_if_expired(ws, watcher.expires))
            .collect()
    }

    /// The operators with a console open, each once, with whether they stepped away;
    /// `leaving` (a socket that is closing) is left out.
    fn presence(&self, leaving: Option<&WebSocket>) -> Vec<OperatorPresence> {
        let away: Vec<OperatorRow> =
            self.sql().exec("SELECT operator FROM away", None).and_then(|c| c.to_array()).unwrap_or_default();
        let mut online: Vec<OperatorPresence> = self
            .watchers()
            .into_iter()
            .filter(|(ws, _)| Some(ws) != leaving)
            .map(|(_, watcher)| OperatorPresence {
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
        let now = auth::now();
        if let Some((online, _)) = self.online.get().filter(|(_, at)| now.saturating_sub(*at) < ONLINE_FRESH_MS) {
            return online;
        }
        let online = self.presence(None).iter().any(|operator| !operator.away);
        self.online.set(Some((online, now)));
        online
    }

    /// Tells every console who is online, leaving out a socket that is closing.
    fn announce_presence(&self, leaving: Option<&WebSocket>) {
        self.online.set(None);
        self.broadcast(&InboxFrame::Presence { online: self.presence(leaving) });
    }

    /// Marks the socket's operator away (in all their tabs) or back.
    async fn set_away(&self, ws: &WebSocket, away: bool) -> EdgeResult<()> {
        let watcher: InboxWatcher =
            self.watchers.get(ws)?.ok_or_else(|| EdgeError::Internal("Inbox socket without attachment".into()))?;
        let sql = if away { "INSERT OR IGNORE INTO away (operator) VALUES (?)" } else { "DELETE FROM away WHERE operator = ?" };
        self.sql().exec(sql, vec![watcher.operator.as_str().into()])?;
        self.announce_presence(None);
        self.dispatch_soon().await
    }

    /// The site secret, which signs webhook requests; made on first use.
    pub(crate) fn secret(&self) -> EdgeResult<String> {
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
    pub(crate) fn settings(&self) -> EdgeResult<SettingsDocument> {
        if let Some(document) = self.settings.borrow().as_ref() {
            return Ok(document.clone());
        }
        let rows: Vec<SettingsRow> = self.sql().exec("SELECT revision, document FROM settings WHERE id = 1", None)?.to_array()?;
        let document = match rows.first() {
            // Read leniently: a document saved by a newer version must not break this one.
            Some(row) => SettingsDocument { revision: row.revision, settings: WidgetSettings::parse_lenient(&row.document) },
            None => SettingsDocument { revision: 0, settings: WidgetSettings::default() },
        };
        *self.settings.borrow_mut() = Some(document.clone());
        Ok(document)
    }

    /// Wakes the alarm at `at` (ms) unless it is set sooner: each of its errands
    /// (deliveries, letters, CRM jobs, hand-outs) asks for its own time, and none pushes
    /// another's back.
    pub(crate) async fn alarm_no_later_than(&self, at: u64) -> EdgeResult<()> {
        internal::alarm_no_later_than(&self.state, at).await
    }

    /// Stores a new revision of the settings.
    pub(crate) fn save_settings(&self, settings: WidgetSettings) -> EdgeResult<SettingsDocument> {
        let revision = self.settings()?.revision + 1;
        self.sql().exec(
            "INSERT INTO settings (id, revision, document) VALUES (1, ?, ?)
             ON CONFLICT(id) DO UPDATE SET revision = excluded.revision, document = excluded.document",
            vec![(revision as i64).into(), serde_json::to_string(&settings)?.into()],
        )?;
        let document = SettingsDocument { revision, settings };
        *self.settings.borrow_mut() = Some(document.clone());
        Ok(document)
    }

    /// Whether an operator of this role sees only their own and unassigned conversations.
    pub(crate) fn restricts(&self, role: Role) -> EdgeResult<bool> {
        Ok(role == Role::Agent && self.settings()?.settings.routing.hide_others)
    }

    /// Refuses an operator kept to their own conversations ([`Self::restricts`]) one that
    /// another operator has, as the conversation itself does.
    pub(crate) fn refuse_others(&self, operator: &OperatorId, role: Role, conversation: &ConversationId) -> EdgeResult<()> {
        #[derive(Deserialize)]
        struct OwnerRow {
            owner: Option<String>,
        }
        if !self.restricts(role)? {
            return Ok(());
        }
        let rows: Vec<OwnerRow> =
            self.sql().exec("SELECT owner FROM conversations WHERE conversation = ?", vec![conversation.as_str().into()])?.to_array()?;
        if rows.first().and_then(|row| row.owner.as_deref()).is_some_and(|owner| owner != operator.as_str()) {
            return Err(EdgeError::Forbidden("Another operator has this conversation"));
        }
        Ok(())
    }

    /// Keeps a conversation's summary unless a newer one is kept already (reports may
    /// arrive out of order: a conversation's object takes other events while one is in
    /// flight). If it was kept: whether the inbox's counts may have changed (a new
    /// conversation, another state or owner).
    fn keep_summary(&self, summary: &ConversationSummary) -> EdgeResult<Option<bool>> {
        let before: Vec<StateRow> = self
            .sql()
            .exec("SELECT state, owner FROM conversations WHERE conversation = ?", vec![summary.id.as_str().into()])?
            .to_array()?;
        let counts_changed = before.first().is_none_or(|row| {
            row.state != summary.state.as_str() || row.owner.as_deref() != summary.owner.as_ref().map(|o| o.id.as_str())
        });
        let cursor = self.sql().exec(
            "INSERT INTO conversations (conversation, revision, last_at, state, owner, waiting_since, summary)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(conversation) DO UPDATE
             SET revision = excluded.revision, last_at = excluded.last_at, state = excluded.state, owner = excluded.owner,
                 waiting_since = excluded.waiting_since, summary = excluded.summary
             WHERE excluded.revision >= conversations.revision",
            vec![
                summary.id.as_str().into(),
                (summary.revision as i64).into(),
                (summary.last_at as i64).into(),
                summary.state.as_str().into(),
                summary.owner.as_ref().map(|o| o.id.as_str()).into(),
                summary.waiting_since.map(|at| SqlStorageValue::Integer(at as i64)).unwrap_or(SqlStorageValue::Null),
                serde_json::to_string(summary)?.into(),
            ],
        )?;
        Ok((cursor.rows_written() > 0).then_some(counts_changed))
    }

    /// Sends a changed summary to every console that sees it; the others (and all of
    /// them, once it is closed) are told it left their inbox. Counts go along when they
    /// may have changed (they are counted per console over every open conversation).
    fn broadcast_summary(&self, summary: &ConversationSummary, counts_changed: bool) {
        let hide = self.settings().map(|d| d.settings.routing.hide_others).unwrap_or(false);
        let removed = InboxFrame::Removed { id: summary.id.clone() };
        let changed = InboxFrame::Conversation(summary.clone());
        for (ws, watcher) in self.watchers() {
            let open = summary.state != ConversationState::Closed;
            let frame = if open && visible(summary, &watcher, hide && watcher.role == Role::Agent) { &changed } else { &removed };
            // A closing socket misses this; its console reloads the inbox on reconnect.
            let _ = ws.send(frame);
            if !counts_changed {
                continue;
            }
            match self.inbox_counts(&watcher) {
                Ok(counts) => {
                    let _ = ws.send(&InboxFrame::Counts(counts));
                }
                Err(e) => worker::console_error!("inbox counts: {e}"),
            }
        }
    }

    /// The summaries of these conversations (those the site has).
    fn summaries(&self, ids: &[ConversationId]) -> EdgeResult<Vec<ConversationSummary>> {
        let mut summaries = Vec::new();
        for id in ids {
            let rows: Vec<SummaryRow> =
                self.sql().exec("SELECT summary FROM conversations WHERE conversation = ?", vec![id.as_str().into()])?.to_array()?;
            for row in rows {
                summaries.push(serde_json::from_str(&row.summary)?);
            }
        }
        Ok(summaries)
    }

    fn remember_id(&self, site: &SiteId) -> EdgeResult<()> {
        if !self.knows_id.get() {
            self.sql().exec("INSERT OR IGNORE INTO identity (id, site) VALUES (1, ?)", vec![site.as_str().into()])?;
            self.knows_id.set(true);
        }
        Ok(())
    }

    pub(crate) fn site_id(&self) -> EdgeResult<SiteId> {
        let rows: Vec<IdentityRow> = self.sql().exec("SELECT site FROM identity WHERE id = 1", None)?.to_array()?;
        Ok(SiteId::parse(&rows.first().ok_or_else(|| EdgeError::Internal("The site does not know its id yet".into()))?.site)?)
    }

    /// With auto-assignment on and someone waiting unassigned, hands out conversations
    /// soon (from the alarm, not inside the call that noticed).
    async fn dispatch_soon(&self) -> EdgeResult<()> {
        if !self.settings()?.settings.routing.auto_assign {
            return Ok(());
        }
        let waiting: Vec<serde_json::Value> = self
            .sql()
            .exec("SELECT conversation FROM conversations WHERE state = 'waiting' AND owner IS NULL LIMIT 1", None)?
            .to_array()?;
        if !waiting.is_empty() {
            self.state.storage().set_alarm(0).await?;
        }
        Ok(())
    }

    /// Auto-assignment: each waiting, unassigned conversation (longest waiting first)
    /// goes to the online, not-away operator with the fewest active conversations,
    /// below the site's limit; when nobody is below it, the rest wait.
    async fn dispatch(&self) -> EdgeResult<()> {
        let routing = self.settings()?.settings.routing;
        if !routing.auto_assign {
            return Ok(());
        }
        let waiting: Vec<WaitingRow> = self
            .sql()
            .exec(
                "SELECT conversation FROM conversations WHERE state = 'waiting' AND owner IS NULL
                 ORDER BY COALESCE(waiting_since, last_at) LIMIT 50",
                None,
            )?
            .to_array()?;
        let site = self.site_id()?;
        for row in waiting {
            let loads: Vec<LoadRow> = self
                .sql()
                .exec("SELECT owner, COUNT(*) AS n FROM conversations WHERE state = 'active' AND owner IS NOT NULL GROUP BY owner", None)?
                .to_array()?;
            let load = |id: &OperatorId| loads.iter().find(|l| l.owner == id.as_str()).map_or(0, |l| l.n);
            let chosen = self
                .presence(None)
                .into_iter()
                .filter(|o| !o.away && load(&o.id) < i64::from(routing.assign_limit))
                .min_by(|a, b| (load(&a.id), &a.name, &a.id).cmp(&(load(&b.id), &b.name, &b.id)));
            let Some(operator) = chosen else { break };
            let conversation = ConversationId::parse(&row.conversation)?;
            let to = OperatorRef { id: operator.id.clone(), name: operator.name };
            let stub = internal::conversation_stub(&self.env, &site, &conversation)?;
            match internal::call::<_, _, serde_json::Value>(&stub, "/act", &(), Some(&Act::Assign { to })).await {
                Ok(_) => {
                    // Counted at once, unless its own report came first: it may have been
                    // closed meanwhile (then it must not count as active, ever).
                    self.sql().exec(
                        "UPDATE conversations SET state = 'active', owner = ?
                         WHERE conversation = ? AND state = 'waiting' AND owner IS NULL",
                        vec![operator.id.as_str().into(), conversation.as_str().into()],
                    )?;
                }
                Err(e) => worker::console_log!("auto-assigning {conversation}: {e}"),
            }
        }
        Ok(())
    }
}
