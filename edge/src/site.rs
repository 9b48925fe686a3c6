//! The `Site` Durable Object: one per site. It holds the site's policy (which origins
//! may embed the widget), the inbox of conversation summaries, and the operators'
//! inbox sockets, to which it pushes every change live. Operators with an inbox socket
//! open are the ones online: presence is derived from the sockets (which survive
//! hibernation), never kept separately where it could go stale.

use natter_shared::ids::SiteId;
use natter_shared::protocol::{
    parse_client_frame, ClientFrame, ConversationSummary, InboxFrame, OperatorPresence, SettingsDocument,
};
use natter_shared::settings::WidgetSettings;
use natter_shared::token::OperatorClaims;
use serde::Deserialize;
use worker::{
    durable_object, DurableObject, Env, Request, Response, SqlStorage, State, WebSocket, WebSocketIncomingMessage,
    WebSocketPair,
};

use crate::dev;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, SitePolicy};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS policy (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    allowed_origins TEXT NOT NULL
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
);";

/// How many conversations the inbox socket sends when it opens.
const INBOX_PAGE: i64 = 200;

#[derive(Deserialize)]
struct PolicyRow {
    allowed_origins: String,
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

#[durable_object]
pub struct Site {
    state: State,
    env: Env,
}

impl DurableObject for Site {
    fn new(state: State, env: Env) -> Self {
        internal::create_tables(&state, "site", SCHEMA);
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        Ok(self.route(&mut req).await.unwrap_or_else(EdgeError::into_response))
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> worker::Result<()> {
        // The inbox socket only listens; a client may say hello, anything else is refused.
        let refusal = match internal::frame_text(message).and_then(|text| parse_client_frame(&text)) {
            Ok(ClientFrame::Hello { .. }) => None,
            Ok(_) => Some(natter_shared::Error::UnknownFrame),
            Err(e) => Some(e),
        };
        if let Some(error) = refusal {
            let _ = ws.send(&InboxFrame::Error((&error).into()));
        }
        Ok(())
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
        match req.path().as_str() {
            "/policy" => {
                let site: SiteId = internal::context(req)?;
                Ok(Response::from_json(&self.policy(&site)?)?)
            }
            "/settings" => {
                let site: SiteId = internal::context(req)?;
                self.policy(&site)?;
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
                let claims: OperatorClaims = internal::context(req)?;
                let pair = WebSocketPair::new()?;
                self.state.accept_websocket_with_tags(&pair.server, &["operator"]);
                pair.server.serialize_attachment(&claims)?;
                pair.server.send(&InboxFrame::Inbox { conversations: self.inbox()? })?;
                self.announce_presence(None);
                Ok(Response::from_websocket(pair.client)?)
            }
            "/summary" => {
                let summary: ConversationSummary = req.json().await?;
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
                if cursor.rows_written() == 0 {
                    return Ok(Response::from_json(&serde_json::json!({}))?);
                }
                self.broadcast(&InboxFrame::Conversation(summary));
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            other => Err(EdgeError::NotFound(format!("No site route {other}"))),
        }
    }

    fn broadcast(&self, frame: &InboxFrame) {
        for ws in self.state.get_websockets_with_tag("operator") {
            // A closing socket misses this; its console reloads the inbox on reconnect.
            let _ = ws.send(frame);
        }
    }

    /// Tells every console who is online, leaving out a socket that is closing.
    fn announce_presence(&self, leaving: Option<&WebSocket>) {
        let mut online: Vec<OperatorPresence> = self
            .state
            .get_websockets_with_tag("operator")
            .iter()
            .filter(|ws| Some(*ws) != leaving)
            .filter_map(|ws| ws.deserialize_attachment::<OperatorClaims>().ok().flatten())
            .map(|claims| OperatorPresence { id: claims.operator, name: claims.name })
            .collect();
        online.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        online.dedup_by(|a, b| a.id == b.id);
        self.broadcast(&InboxFrame::Presence { online });
    }

    /// The site's policy; the dev site is created on first use when running locally.
    fn policy(&self, site: &SiteId) -> EdgeResult<SitePolicy> {
        let rows: Vec<PolicyRow> = self.sql().exec("SELECT allowed_origins FROM policy WHERE id = 1", None)?.to_array()?;
        if let Some(row) = rows.first() {
            return Ok(SitePolicy { allowed_origins: serde_json::from_str(&row.allowed_origins)? });
        }
        if dev::enabled(&self.env) && site.as_str() == dev::SITE {
            let policy = SitePolicy { allowed_origins: vec!["*".into()] };
            self.sql().exec(
                "INSERT INTO policy (id, allowed_origins) VALUES (1, ?)",
                vec![serde_json::to_string(&policy.allowed_origins)?.into()],
            )?;
            return Ok(policy);
        }
        Err(EdgeError::NotFound(format!("Site {site} does not exist")))
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
