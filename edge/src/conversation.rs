//! The `Conversation` Durable Object: one per conversation. It keeps the message log
//! in SQLite, numbers messages with a gap-free `seq`, stores a `send` at most once per
//! client message id, acknowledges only after the write, and relays everything to the
//! hibernating sockets of the visitor's tabs and the operators watching.
//! After each change it sends the conversation's summary to its [`crate::site::Site`].

use std::cell::{Cell, RefCell};

use natter_shared::contact::VisitorDetails;
use natter_shared::identity::VerifiedUser;
use natter_shared::ids::{ClientMessageId, OperatorId, Seq};
use natter_shared::files::Attachment;
use natter_shared::protocol::SettingsDocument;
use natter_shared::rules::Action;
use natter_shared::ids::{ConversationId, SiteId};
use natter_shared::limits::{check_caption, check_message, clip_context, Bucket, REPLAYS_PER_MINUTE, REPLAY_BURST, REPLAY_PAGE};
use natter_shared::protocol::{
    parse_client_frame, Author, AuthorKind, ClientFrame, History, Message, OfflineNotice, Unread,
    PageContext, ServerFrame, VisitorInfo, PROTOCOL_VERSION,
};
use serde::{Deserialize, Serialize};
use worker::{
    durable_object, DurableObject, Env, Request, Response, SqlStorage, SqlStorageValue, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair,
};

use crate::attachments::Attachments;
use crate::auth;
use crate::channels;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Participant};
use crate::journal_report;
use crate::lifecycle;
use crate::summaries::Reporting;
use crate::throttle::{self, Pace};
use crate::transcripts;
use crate::turns::Turns;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    site TEXT NOT NULL,
    conversation TEXT NOT NULL,
    visitor TEXT NOT NULL,
    visitor_name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    visitor_read INTEGER NOT NULL DEFAULT 0,
    operator_read INTEGER NOT NULL DEFAULT 0,
    page_url TEXT NOT NULL DEFAULT '',
    page_title TEXT NOT NULL DEFAULT '',
    referrer TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
-- seq is the rowid: SQLite gives max+1, and rows are never deleted, so it has no gaps.
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    author_kind TEXT NOT NULL,
    author_name TEXT NOT NULL,
    body TEXT NOT NULL,
    at INTEGER NOT NULL
);
-- A visitor who writes has read everything before their message (written here, in the
-- insert's statement; the operators' mark is written by the code, since a rule's
-- message is stored as theirs and marks nothing).
CREATE TRIGGER IF NOT EXISTS visitor_writes_read AFTER INSERT ON messages WHEN NEW.author_kind = 'visitor'
BEGIN UPDATE meta SET visitor_read = MAX(visitor_read, NEW.seq) WHERE id = 1; END;
-- Each report to the site counts the visitor's unread messages and finds their last.
CREATE INDEX IF NOT EXISTS messages_by_author ON messages (author_kind, seq);
-- What the visitor told about themselves (tables, not columns, so older objects
-- need no migration).
CREATE TABLE IF NOT EXISTS details (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL
);
-- Custom attributes the host page set (`setAttributes`).
CREATE TABLE IF NOT EXISTS attributes (name TEXT PRIMARY KEY, value TEXT NOT NULL);
-- The host site's signed-in user, verified by `identify` (JSON of VerifiedUser).
CREATE TABLE IF NOT EXISTS verified (id INTEGER PRIMARY KEY CHECK (id = 1), user TEXT NOT NULL);
-- Messages left through the offline form.
CREATE TABLE IF NOT EXISTS offline_messages (seq INTEGER PRIMARY KEY);
-- The file a message carries (JSON of shared::files::Attachment).
CREATE TABLE IF NOT EXISTS attachments (seq INTEGER PRIMARY KEY, attachment TEXT NOT NULL);
-- Messages sent by the site's auto-action rules.
CREATE TABLE IF NOT EXISTS auto_messages (seq INTEGER PRIMARY KEY);
-- The picture of the operator who wrote a message, as their profile had it then.
CREATE TABLE IF NOT EXISTS author_avatars (seq INTEGER PRIMARY KEY, url TEXT NOT NULL);";

/// Messages with their file, if any, and whether a rule sent them.
pub(crate) const MESSAGES: &str = "SELECT m.*, a.attachment, (am.seq IS NOT NULL) AS auto, av.url AS author_avatar FROM messages m
    LEFT JOIN attachments a ON a.seq = m.seq LEFT JOIN auto_messages am ON am.seq = m.seq
    LEFT JOIN author_avatars av ON av.seq = m.seq";

/// Most automatic messages kept for a conversation that does not exist yet.
const MAX_HELD_AUTOS: usize = 20;

/// An automatic message shown in the widget before the conversation existed.
#[derive(Clone, Serialize, Deserialize)]
struct HeldAuto {
    client_id: ClientMessageId,
    rule: String,
    text: String,
    at: u64,
}

/// What a socket carries through hibernation (its attachment).
#[derive(Clone, Serialize, Deserialize)]
struct SocketState {
    participant: Participant,
    /// The page the visitor's tab is on, from its `hello`.
    page: Option<PageContext>,
    /// The visitor's details, from `introduce`, kept here until the conversation exists.
    #[serde(default)]
    details: Option<VisitorDetails>,
    /// Automatic messages, kept here until the visitor's first message.
    #[serde(default)]
    autos: Vec<HeldAuto>,
    /// It has had its `hello` answered (welcome and catch-up): only then does it get
    /// live frames, so a live message never overtakes the ones before it. (Sockets
    /// accepted before this field existed had theirs.)
    #[serde(default = "already_ready")]
    ready: bool,
    /// A send from it was refused as too fast: until this time (ms) its later sends are
    /// refused too, so the refused one, sent again first, keeps its place.
    #[serde(default)]
    held_until: u64,
    /// Its share of history replays (see [`Conversation::take_replay`]).
    #[serde(default)]
    replays: Option<Bucket>,
}

fn already_ready() -> bool {
    true
}

#[derive(Clone, Deserialize)]
pub(crate) struct Meta {
    pub site: String,
    pub conversation: String,
    pub visitor_name: String,
    pub(crate) created_at: u64,
    visitor_read: u64,
    pub(crate) operator_read: u64,
    pub page_url: String,
    page_title: String,
    pub(crate) referrer: String,
    pub(crate) language: String,
    user_agent: String,
}

impl Meta {
    fn visitor_info(&self, details: VisitorDetails, verified: Option<VerifiedUser>) -> VisitorInfo {
        VisitorInfo {
            verified,
            online: false,
            note: String::new(),
            channel: None,
            name: self.visitor_name.clone(),
            details,
            page: PageContext {
                url: self.page_url.clone(),
                title: self.page_title.clone(),
                referrer: self.referrer.clone(),
                language: self.language.clone(),
            },
            user_agent: self.user_agent.clone(),
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct MessageRow {
    seq: u64,
    client_id: String,
    author_kind: String,
    author_name: String,
    body: String,
    at: u64,
    #[serde(default)]
    attachment: Option<String>,
    #[serde(default)]
    auto: u8,
    #[serde(default)]
    author_avatar: Option<String>,
}

impl MessageRow {
    pub(crate) fn into_message(self) -> EdgeResult<Message> {
        Ok(Message {
            seq: Seq(self.seq),
            client_id: ClientMessageId::parse(&self.client_id)?,
            author: Author { kind: kind_from_column(&self.author_kind)?, name: self.author_name, avatar: self.author_avatar },
            text: self.body,
            at: self.at,
            attachment: self.attachment.map(|json| serde_json::from_str(&json)).transpose()?,
            auto: self.auto != 0,
        })
    }
}

#[derive(Deserialize)]
struct SeqRow {
    seq: u64,
}

#[derive(Deserialize)]
struct StoredRow {
    seq: u64,
    offline: u8,
}

#[derive(Deserialize)]
struct AttributeRow {
    name: String,
    value: String,
}

#[derive(Deserialize)]
struct UserRow {
    user: String,
}

#[derive(Deserialize)]
pub(crate) struct CountRow {
    pub(crate) n: u64,
}

fn kind_column(kind: AuthorKind) -> &'static str {
    match kind {
        AuthorKind::Visitor => "visitor",
        AuthorKind::Operator => "operator",
    }
}

fn kind_from_column(column: &str) -> EdgeResult<AuthorKind> {
    match column {
        "visitor" => Ok(AuthorKind::Visitor),
        "operator" => Ok(AuthorKind::Operator),
        other => Err(EdgeError::Internal(format!("Stored author kind {other:?}"))),
    }
}

/// Whom a visitor's (or an operator's) typing and read marks are for.
fn other_side(kind: AuthorKind) -> AuthorKind {
    match kind {
        AuthorKind::Visitor => AuthorKind::Operator,
        AuthorKind::Operator => AuthorKind::Visitor,
    }
}

pub(crate) fn int(value: u64) -> SqlStorageValue {
    // Sequence numbers and milliseconds fit in i64 for the next 290 million years.
    SqlStorageValue::Integer(value as i64)
}

fn clip_page(page: PageContext) -> PageContext {
    PageContext {
        url: clip_context(&page.url),
        title: clip_context(&page.title),
        referrer: clip_context(&page.referrer),
        language: clip_context(&page.language),
    }
}

#[durable_object]
pub struct Conversation {
    pub(crate) state: State,
    pub(crate) env: Env,
    /// Sends and automatic messages are stored in the order they came in.
    pub(crate) turns: Turns,
    /// It has tables (a first message created it): known once, not asked per frame.
    exists: Cell<bool>,
    /// The site's rate limits and the visitor's bucket.
    pub(crate) pace: RefCell<Pace>,
    /// What the site was last told (see [`crate::summaries`]).
    pub(crate) reporting: RefCell<Reporting>,
    /// Rows every message reads, kept between writes.
    pub(crate) cached: RefCell<Cached>,
    /// Each socket's state, as in its attachment.
    sockets: Attachments<SocketState>,
}

/// Rows a message reads, as last read or written: the object is their only writer, so
/// they stay true until it writes them (every write goes through a method that updates
/// or forgets its copy). After an eviction they are read again.
#[derive(Default)]
pub(crate) struct Cached {
    meta: Option<Meta>,
    pub(crate) status: Option<lifecycle::StatusRow>,
    /// Summary revisions reserved in storage and not handed out yet: the next, and the
    /// end of the block (see [`Conversation::next_revision`]).
    pub(crate) revisions: Option<(u64, u64)>,
    pub(crate) blocked: Option<bool>,
    /// The conversation's messenger, once read (`None`: not yet; `Some(None)`: none).
    pub(crate) channel: Option<Option<channels::outbox::ChannelLink>>,
}

impl DurableObject for Conversation {
    fn new(state: State, env: Env) -> Self {
        // Tables come with the visitor's first message (`create`): a socket that never
        // writes stores nothing.
        internal::update_tables(&state, "conversation", SCHEMA);
        internal::update_tables(&state, "conversation", lifecycle::SCHEMA);
        internal::update_tables(&state, "conversation", journal_report::SCHEMA);
        internal::update_tables(&state, "conversation", transcripts::SCHEMA);
        internal::update_tables(&state, "conversation", channels::outbox::SCHEMA);
        let exists = Cell::new(internal::has_tables(&state));
        Self {
            state,
            env,
            turns: Turns::default(),
            exists,
            pace: RefCell::default(),
            reporting: RefCell::default(),
            cached: RefCell::default(),
            sockets: Attachments::default(),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        Ok(self.route(req).await.unwrap_or_else(EdgeError::into_response))
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> worker::Result<()> {
        let result = match internal::frame_text(message) {
            Ok(text) => self.on_text(&ws, &text).await,
            Err(e) => Err(e.into()),
        };
        if let Err(error) = result {
            send(&ws, &ServerFrame::Error(error.body()));
        }
        Ok(())
    }

    async fn websocket_close(&self, ws: WebSocket, code: usize, _reason: String, _clean: bool) -> worker::Result<()> {
        internal::complete_close(&ws, code);
        if self.visitor_left(&ws) {
            // Leaving unanswered makes it missed.
            self.journal_soon().await;
        }
        Ok(())
    }

    async fn alarm(&self) -> worker::Result<Response> {
        // Coalesced messages are reported (after an eviction this reports the latest
        // state once more, which changes nothing).
        if self.reporting.borrow().wants_alarm_report(auth::now()) {
            self.report_coalesced().await;
        }
        // The rating window of a closing ended: its event goes without one.
        self.closed_event_if_due().await;
        self.report_to_journal().await;
        if let Err(e) = self.send_to_channel().await {
            worker::console_error!("messenger outbox: {e}");
        }
        // Woken early (for the journal): the coalesced report keeps its time.
        let due = self.reporting.borrow().due_later();
        if let Some(at) = due {
            if let Err(e) = self.alarm_at(at).await {
                worker::console_error!("inbox update not scheduled: {e}");
            }
        }
        Response::empty()
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> worker::Result<()> {
        if self.visitor_left(&ws) {
            self.journal_soon().await;
        }
        Ok(())
    }
}

/// Sends a frame to one socket. A socket that is closing cannot take it, and that is
/// no error: its client catches up with `hello { after }` when it reconnects.
fn send(ws: &WebSocket, frame: &ServerFrame) {
    let _ = ws.send(frame);
}

impl Conversation {
    pub(crate) fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    /// A visitor's tab closed: the operators see whether any is still there. True if
    /// it was a visitor's.
    fn visitor_left(&self, ws: &WebSocket) -> bool {
        let visitor = self.sockets.get(ws).ok().flatten().is_some_and(|s| s.participant.role == AuthorKind::Visitor);
        self.sockets.forget(ws);
        if visitor {
            if let Err(e) = self.announce_visitor_leaving(Some(ws)) {
                worker::console_error!("visitor presence: {e}");
            }
        }
        visitor
    }

    async fn route(&self, mut req: Request) -> EdgeResult<Response> {
        if req.path() == "/act" {
            return self.act(req.json().await?).await;
        }
        if req.path() == "/crm-subject" {
            return self.crm_subject();
        }
        if req.path() == "/channel-message" {
            return self.channel_message(internal::request_json(&req).await?).await;
        }
        if req.path() == "/operator-starts" {
            return self.operator_starts(internal::request_json(&req).await?).await;
        }
        if req.path() == "/revoke" {
            // An operator's session ended: their open sockets here close (and are refused after).
            let operator: OperatorId = internal::context(&req)?;
            for ws in self.state.get_websockets_with_tag(operator.as_str()) {
                let _ = ws.close(Some(internal::SESSION_ENDED), Some("session ended"));
            }
            return Ok(Response::from_json(&serde_json::json!({}))?);
        }
        let participant: Participant = internal::context(&req)?;
        let meta = self.meta()?;
        if participant.role == AuthorKind::Operator && meta.is_none() {
            return Err(EdgeError::NotFound(format!("Conversation {} does not exist", participant.conversation)));
        }
        self.check_restricted(&participant)?;
        match req.path().as_str() {
            "/socket" => {
                let pair = WebSocketPair::new()?;
                // Operators' sockets carry their id too, so an ended session closes them.
                let operator = participant.operator.as_ref().map(|o| o.as_str().to_owned());
                let mut tags = vec![kind_column(participant.role)];
                tags.extend(operator.as_deref());
                self.state.accept_websocket_with_tags(&pair.server, &tags);
                pair.server.serialize_attachment(SocketState { participant, page: None, details: None, autos: Vec::new(), ready: false, held_until: 0, replays: None })?;
                Ok(Response::from_websocket(pair.client)?)
            }
            "/history" => Ok(Response::from_json(&History { messages: self.messages_after(Seq(0))? })?),
            "/transcript" if participant.role == AuthorKind::Visitor => self.send_transcript(req.json().await?).await,
            "/unread" => Ok(Response::from_json(&Unread { unread: self.unread_by_visitor(meta.as_ref())? })?),
            other => Err(EdgeError::NotFound(format!("No conversation route {other}"))),
        }
    }

    /// The conversation's row, kept in memory between writes (every frame reads it).
    pub(crate) fn meta(&self) -> EdgeResult<Option<Meta>> {
        if !self.exists.get() {
            return Ok(None);
        }
        if let Some(meta) = self.cached.borrow().meta.as_ref() {
            return Ok(Some(meta.clone()));
        }
        let meta = self.sql().exec("SELECT * FROM meta WHERE id = 1", None)?.to_array::<Meta>()?.pop();
        self.cached.borrow_mut().meta.clone_from(&meta);
        Ok(meta)
    }

    /// Writes to the conversation's row (and forgets what `meta` kept).
    fn write_meta(&self, sql: &str, values: Vec<SqlStorageValue>) -> EdgeResult<()> {
        self.cached.borrow_mut().meta.take();
        self.sql().exec(sql, values)?;
        Ok(())
    }

    /// The operators' messages (a rule's too) after the visitor's read mark.
    fn unread_by_visitor(&self, meta: Option<&Meta>) -> EdgeResult<u64> {
        let Some(meta) = meta else { return Ok(0) };
        let rows: Vec<CountRow> = self
            .sql()
            .exec("SELECT COUNT(*) AS n FROM messages WHERE author_kind = 'operator' AND seq > ?", vec![int(meta.visitor_read)])?
            .to_array()?;
        Ok(rows.first().map_or(0, |r| r.n))
    }

    fn last_seq(&self) -> EdgeResult<Seq> {
        if !self.exists.get() {
            return Ok(Seq(0));
        }
        let rows: Vec<SeqRow> = self.sql().exec("SELECT COALESCE(MAX(seq), 0) AS seq FROM messages", None)?.to_array()?;
        Ok(Seq(rows.first().map_or(0, |r| r.seq)))
    }

    pub(crate) fn messages_after(&self, after: Seq) -> EdgeResult<Vec<Message>> {
        self.messages_where("m.seq > ? ORDER BY m.seq", vec![int(after.0)])
    }

    /// At most a page of the messages after `after`, oldest first.
    fn page_after(&self, after: Seq) -> EdgeResult<Vec<Message>> {
        self.messages_where("m.seq > ? ORDER BY m.seq LIMIT ?", vec![int(after.0), int(REPLAY_PAGE)])
    }

    /// At most a page of the messages just before `before`, oldest first.
    fn page_before(&self, before: Seq) -> EdgeResult<Vec<Message>> {
        let mut page = self.messages_where("m.seq < ? ORDER BY m.seq DESC LIMIT ?", vec![int(before.0), int(REPLAY_PAGE)])?;
        page.reverse();
        Ok(page)
    }

    fn messages_where(&self, condition: &str, values: Vec<SqlStorageValue>) -> EdgeResult<Vec<Message>> {
        if !self.exists.get() {
            return Ok(Vec::new());
        }
        let rows: Vec<MessageRow> = self.sql().exec(&format!("{MESSAGES} WHERE {condition}"), values)?.to_array()?;
        rows.into_iter().map(MessageRow::into_message).collect()
    }

    pub(crate) fn broadcast(&self, to: Option<AuthorKind>, frame: &ServerFrame) {
        let sockets = match to {
            Some(kind) => self.state.get_websockets_with_tag(kind_column(kind)),
            None => self.state.get_websockets(),
        };
        // Written once for all of them.
        let Ok(text) = serde_json::to_string(frame) else { return };
        for ws in sockets {
            let Some(socket) = self.sockets.get(&ws).ok().flatten() else { continue };
            // A socket whose credentials expired is closed instead.
            if socket.ready && !internal::close_if_expired(&ws, socket.participant.expires) {
                let _ = ws.send_with_str(&text);
            }
        }
    }

    async fn on_text(&self, ws: &WebSocket, text: &str) -> EdgeResult<()> {
        let frame = parse_client_frame(text)?;
        let mut socket: SocketState = self
            .sockets
            .get(ws)?
            .ok_or_else(|| EdgeError::Internal("Socket without attachment".into()))?;
        // Nothing is done for credentials that expired while the socket was open.
        if internal::close_if_expired(ws, socket.participant.expires) {
            return Ok(());
        }
        let role = socket.participant.role;
        match frame {
            ClientFrame::Hello { protocol, after, page } => {
                if protocol != PROTOCOL_VERSION {
                    let error = EdgeError::UnsupportedProtocol(protocol.to_string());
                    send(ws, &ServerFrame::Error(error.body()));
                    let _ = ws.close(Some(1002), Some("unsupported protocol"));
                    return Ok(());
                }
                self.take_replay(ws, &mut socket)?;
                self.welcome(ws, &socket.participant, after)?;
                // From here on it gets live frames (nothing awaited since the catch-up).
                socket.ready = true;
                self.sockets.set(ws, &socket)?;
                self.keep_ip(&socket.participant)?;
                if self.store_verified(&socket.participant)? || role == AuthorKind::Visitor {
                    // (A visitor's tab connecting: operators see them on the site.)
                    self.announce_visitor()?;
                }
                if let (AuthorKind::Visitor, Some(page)) = (role, page) {
                    socket.page = Some(clip_page(page));
                    self.sockets.set(ws, &socket)?;
                    self.update_page(&socket).await?;
                }
                Ok(())
            }
            ClientFrame::Send { client_id, text, offline, attachment } => {
                let sent = self.on_send(ws, &socket, client_id, &text, offline, attachment).await;
                self.hold_if_too_fast(ws, &mut socket, sent)
            }
            ClientFrame::Auto { client_id, rule, text } if role == AuthorKind::Visitor => {
                let held = HeldAuto { client_id, rule, text, at: auth::now() };
                if self.meta()?.is_none() {
                    // Opening the widget creates no conversation: keep it (without waiting
                    // for anything, so a message right behind it finds it) until the
                    // visitor's first message; it is checked then.
                    if !socket.autos.iter().any(|a| a.client_id == held.client_id) && socket.autos.len() < MAX_HELD_AUTOS {
                        socket.autos.push(held);
                        self.sockets.set(ws, &socket)?;
                    }
                    return Ok(());
                }
                // Stored in its turn, like a `send`, and counted like one.
                let turn = self.turns.take().await;
                if self.is_site_auto(&socket.participant.site, &held.rule, &held.text).await? {
                    if self.stored_seq(&held.client_id)?.is_none() {
                        let admitted = self.admit(&socket).await;
                        self.hold_if_too_fast(ws, &mut socket, admitted)?;
                    }
                    self.insert_auto(ws, held)?;
                    drop(turn);
                    self.report_to_site().await;
                }
                Ok(())
            }
            ClientFrame::Introduce { details } if role == AuthorKind::Visitor => {
                if !details.is_acceptable() {
                    return Err(EdgeError::BadRequest("These details are not valid: check the name, e-mail and phone".into()));
                }
                socket.details = Some(details.trimmed());
                self.sockets.set(ws, &socket)?;
                self.save_details(&socket).await
            }
            ClientFrame::Typing { typing } => {
                let name = socket.participant.name.clone();
                self.broadcast(Some(other_side(role)), &ServerFrame::Typing { author: role, name, typing });
                Ok(())
            }
            ClientFrame::Read { seq } => self.on_read(role, seq).await,
            ClientFrame::Rate { good, comment } if role == AuthorKind::Visitor => self.rate(good, &comment).await,
            ClientFrame::Resume { after } => {
                self.take_replay(ws, &mut socket)?;
                for message in self.page_after(after)? {
                    send(ws, &ServerFrame::Message(message));
                }
                Ok(())
            }
            ClientFrame::Earlier { before } => {
                self.take_replay(ws, &mut socket)?;
                send(ws, &ServerFrame::Earlier { before, messages: self.page_before(before)? });
                Ok(())
            }
            _ => Err(natter_shared::Error::UnknownFrame.into()),
        }
    }

    /// Answers `hello`: where the conversation stands, then the messages after `after`,
    /// but no more than the newest page (the client pages back for earlier ones).
    fn welcome(&self, ws: &WebSocket, participant: &Participant, after: Seq) -> EdgeResult<()> {
        let meta = self.meta()?;
        let last_seq = self.last_seq()?;
        let from = Seq(after.0.max(last_seq.0.saturating_sub(REPLAY_PAGE)));
        send(
            ws,
            &ServerFrame::Welcome {
                protocol: PROTOCOL_VERSION,
                conversation: participant.conversation.clone(),
                last_seq,
                visitor_read: Seq(meta.as_ref().map_or(0, |m| m.visitor_read)),
                operator_read: Seq(meta.as_ref().map_or(0, |m| m.operator_read)),
                from,
            },
        );
        if let (AuthorKind::Operator, Some(meta)) = (participant.role, &meta) {
            send(ws, &ServerFrame::Visitor(self.visitor_info(meta)?));
        }
        if meta.is_some() {
            send(ws, &ServerFrame::Status(self.status(participant.role)?));
        }
        for message in self.page_after(from)? {
            send(ws, &ServerFrame::Message(message));
        }
        Ok(())
    }

    /// Keeps the visitor's current page, once the conversation exists (before that it
    /// lives only in the socket's attachment: opening the widget stores nothing).
    async fn update_page(&self, socket: &SocketState) -> EdgeResult<()> {
        let Some(page) = &socket.page else { return Ok(()) };
        if self.meta()?.is_none() {
            return Ok(());
        }
        self.write_meta(
            "UPDATE meta SET page_url = ?, page_title = ?, referrer = ?, language = ?, user_agent = ? WHERE id = 1",
            vec![
                page.url.as_str().into(),
                page.title.as_str().into(),
                page.referrer.as_str().into(),
                page.language.as_str().into(),
                socket.participant.user_agent.as_str().into(),
            ],
        )?;
        self.announce_visitor()?;
        self.report_to_site().await;
        Ok(())
    }

    pub(crate) fn details(&self) -> EdgeResult<VisitorDetails> {
        let rows: Vec<VisitorDetails> = self.sql().exec("SELECT name, email, phone FROM details WHERE id = 1", None)?.to_array()?;
        let mut details = rows.into_iter().next().unwrap_or_default();
        let attributes: Vec<AttributeRow> = self.sql().exec("SELECT name, value FROM attributes", None)?.to_array()?;
        details.attributes = attributes.into_iter().map(|a| (a.name, a.value)).collect();
        Ok(details)
    }

    fn verified(&self) -> EdgeResult<Option<VerifiedUser>> {
        let rows: Vec<UserRow> = self.sql().exec("SELECT user FROM verified WHERE id = 1", None)?.to_array()?;
        Ok(rows.into_iter().next().and_then(|row| serde_json::from_str(&row.user).ok()))
    }

    fn visitor_info(&self, meta: &Meta) -> EdgeResult<VisitorInfo> {
        self.visitor_info_leaving(meta, None)
    }

    fn visitor_info_leaving(&self, meta: &Meta, leaving: Option<&WebSocket>) -> EdgeResult<VisitorInfo> {
        Ok(VisitorInfo {
            online: self.visitor_online(leaving),
            note: self.note()?,
            channel: self.channel()?.map(|c| c.kind),
            ..meta.visitor_info(self.details()?, self.verified()?)
        })
    }

    /// Tells the operators watching who the visitor is now.
    pub(crate) fn announce_visitor(&self) -> EdgeResult<()> {
        self.announce_visitor_leaving(None)
    }

    fn announce_visitor_leaving(&self, leaving: Option<&WebSocket>) -> EdgeResult<()> {
        if let Some(meta) = self.meta()? {
            self.broadcast(Some(AuthorKind::Operator), &ServerFrame::Visitor(self.visitor_info_leaving(&meta, leaving)?));
        }
        Ok(())
    }

    /// Keeps the signed-in user a visitor's token names (checked by the Worker), once
    /// the conversation exists: true if it changed.
    fn store_verified(&self, participant: &Participant) -> EdgeResult<bool> {
        let Some(user) = &participant.user else { return Ok(false) };
        if self.meta()?.is_none() || self.verified()?.as_ref() == Some(user) {
            return Ok(false);
        }
        self.sql().exec(
            "INSERT INTO verified (id, user) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET user = excluded.user",
            vec![serde_json::to_string(user)?.into()],
        )?;
        Ok(true)
    }

    /// Keeps the visitor's details once the conversation exists (before that they wait
    /// in the socket's attachment); a given name becomes the visitor's name.
    async fn save_details(&self, socket: &SocketState) -> EdgeResult<()> {
        if self.store_details(socket)? {
            self.report_to_site().await;
        }
        Ok(())
    }

    /// [`Self::save_details`] without telling the site: true if anything changed.
    fn store_details(&self, socket: &SocketState) -> EdgeResult<bool> {
        let Some(details) = &socket.details else { return Ok(false) };
        if self.meta()?.is_none() || self.details()? == *details {
            return Ok(false);
        }
        self.write_details(details)?;
        self.announce_visitor()?;
        Ok(true)
    }

    /// Stores the visitor's details; a given name becomes the visitor's name.
    pub(crate) fn write_details(&self, details: &VisitorDetails) -> EdgeResult<()> {
        self.sql().exec(
            "INSERT INTO details (id, name, email, phone) VALUES (1, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, email = excluded.email, phone = excluded.phone",
            vec![details.name.as_str().into(), details.email.as_str().into(), details.phone.as_str().into()],
        )?;
        self.sql().exec("DELETE FROM attributes", None)?;
        for (name, value) in &details.attributes {
            self.sql().exec("INSERT INTO attributes (name, value) VALUES (?, ?)", vec![name.as_str().into(), value.as_str().into()])?;
        }
        if !details.name.is_empty() {
            self.write_meta("UPDATE meta SET visitor_name = ? WHERE id = 1", vec![details.name.as_str().into()])?;
        }
        Ok(())
    }

    fn create(&self, socket: &SocketState) -> EdgeResult<()> {
        self.create_for(&socket.participant, socket.page.clone().unwrap_or_default())
    }

    /// Creates the conversation of visitor `p` (a participant with a visitor), on `page`.
    pub(crate) fn create_for(&self, p: &Participant, page: PageContext) -> EdgeResult<()> {
        internal::create_tables(&self.state, "conversation", SCHEMA);
        internal::create_tables(&self.state, "conversation", lifecycle::SCHEMA);
        internal::create_tables(&self.state, "conversation", journal_report::SCHEMA);
        internal::create_tables(&self.state, "conversation", transcripts::SCHEMA);
        internal::create_tables(&self.state, "conversation", channels::outbox::SCHEMA);
        self.exists.set(true);
        let visitor = p.visitor.as_ref().ok_or_else(|| EdgeError::Internal("Visitor socket without visitor".into()))?;
        self.write_meta(
            "INSERT INTO meta (id, site, conversation, visitor, visitor_name, created_at, page_url, page_title, referrer, language, user_agent)
             VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                p.site.as_str().into(),
                p.conversation.as_str().into(),
                visitor.as_str().into(),
                p.name.as_str().into(),
                int(auth::now()),
                page.url.into(),
                page.title.into(),
                page.referrer.into(),
                page.language.into(),
                p.user_agent.as_str().into(),
            ],
        )?;
        Ok(())
    }

    async fn on_send(
        &self,
        ws: &WebSocket,
        socket: &SocketState,
        client_id: ClientMessageId,
        text: &str,
        offline: bool,
        attachment: Option<Attachment>,
    ) -> EdgeResult<()> {
        let author = &socket.participant;
        // Until this message is stored, later ones from any socket wait.
        let turn = self.turns.take().await;
        if author.role == AuthorKind::Visitor && self.meta()?.is_some() && self.is_blocked()? {
            return Err(EdgeError::Blocked);
        }
        let mut meta = self.meta()?;
        let mut created = false;
        let attachment = match attachment {
            Some(claimed) => Some(self.stored_file(&author.site, &author.conversation, &claimed.key).await?),
            None => None,
        };
        let text = if attachment.is_some() { check_caption(text)? } else { check_message(text)? };
        // A retry, or the same message from another tab: answered as stored, nothing
        // stored or relayed again, and not counted against any limit. An operator's is
        // looked for first (the binding that counts replies gives nothing back); a
        // visitor's is found by its insert (one statement where most are new), which
        // gives back the token it took, or, refused as too fast, looked for then.
        let operator = author.role == AuthorKind::Operator;
        if meta.is_some() && operator && self.ack_stored(ws, &client_id).await? {
            return Ok(());
        }
        if let Err(refused) = self.admit(socket).await {
            if meta.is_some() && !operator && self.ack_stored(ws, &client_id).await? {
                return Ok(());
            }
            return Err(refused);
        }
        if meta.is_none() {
            self.admit_start(author).await?;
            // Only a visitor's first message creates a conversation, with what the
            // widget showed before it (the site's own rules' messages) stored first.
            // The checks wait on the site; from creating to storing nothing does, so no
            // other frame can slip in between.
            let mut autos = Vec::new();
            for held in &socket.autos {
                if self.is_site_auto(&author.site, &held.rule, &held.text).await? {
                    autos.push(held.clone());
                }
            }
            if self.meta()?.is_none() {
                created = true;
                self.create(socket)?;
                self.keep_ip(&socket.participant)?;
                self.store_details(socket)?;
                self.store_verified(&socket.participant)?;
                for held in autos {
                    self.insert_auto(ws, held)?;
                }
            }
            meta = self.meta()?;
            // (Another socket's copy may have created it meanwhile.)
            if !created && self.ack_stored(ws, &client_id).await? {
                return Ok(());
            }
        }
        let author_name = match author.role {
            AuthorKind::Visitor => meta.map_or_else(|| author.name.clone(), |m| m.visitor_name),
            AuthorKind::Operator => author.name.clone(),
        };
        let at = auth::now();
        let Some(seq) = self.insert_message(&client_id, author.role, &author_name, text, at)? else {
            self.give_back_message();
            if !self.ack_stored(ws, &client_id).await? {
                return Err(EdgeError::Internal("A message neither stored nor new".into()));
            }
            return Ok(());
        };
        if let Some(attachment) = &attachment {
            self.sql().exec(
                "INSERT INTO attachments (seq, attachment) VALUES (?, ?)",
                vec![int(seq.0), serde_json::to_string(attachment)?.into()],
            )?;
        }
        let avatar = self.keep_avatar(author, seq)?;
        // An answer to a messenger user goes out from the outbox, written with it.
        let queued = author.role == AuthorKind::Operator && self.queue_for_channel(seq)?;
        // Whoever writes has read everything before their own message (a visitor's
        // mark is written by the insert's trigger).
        match author.role {
            AuthorKind::Visitor => {
                self.marked_read(AuthorKind::Visitor, seq)?;
            }
            AuthorKind::Operator => self.mark_read(AuthorKind::Operator, seq)?,
        }
        let message = Message {
            seq,
            client_id: client_id.clone(),
            author: Author { kind: author.role, name: author_name, avatar },
            text: text.to_owned(),
            at,
            attachment,
            auto: false,
        };
        // The output gate holds these frames until the write above is durable.
        self.broadcast(None, &ServerFrame::Message(message));
        drop(turn);
        let offline = match author.role {
            AuthorKind::Visitor => {
                let changed = self.on_visitor_message(at, created).await?;
                self.settle_visitor_message(seq, offline, changed).await?
            }
            AuthorKind::Operator => {
                let changed = self.on_operator_message(author).await?;
                self.report_soon(changed).await;
                if queued {
                    if let Err(e) = self.alarm_at(auth::now()).await {
                        worker::console_error!("messenger outbox not scheduled: {e}");
                    }
                }
                false
            }
        };
        send(ws, &ServerFrame::Ack { client_id, seq, offline });
        Ok(())
    }

    /// Stores a message unless one with its client id is stored: its seq if it is new.
    pub(crate) fn insert_message(&self, client_id: &ClientMessageId, kind: AuthorKind, name: &str, text: &str, at: u64) -> EdgeResult<Option<Seq>> {
        let rows: Vec<SeqRow> = self
            .sql()
            .exec(
                "INSERT INTO messages (client_id, author_kind, author_name, body, at) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (client_id) DO NOTHING RETURNING seq",
                vec![client_id.as_str().into(), kind_column(kind).into(), name.into(), text.into(), int(at)],
            )?
            .to_array()?;
        Ok(rows.first().map(|row| Seq(row.seq)))
    }

    /// Keeps the picture an operator's message was written with: theirs now.
    pub(crate) fn keep_avatar(&self, author: &Participant, seq: Seq) -> EdgeResult<Option<String>> {
        let avatar = author.avatar.clone().filter(|_| author.role == AuthorKind::Operator);
        if let Some(url) = &avatar {
            self.sql().exec("INSERT INTO author_avatars (seq, url) VALUES (?, ?)", vec![int(seq.0), url.as_str().into()])?;
        }
        Ok(avatar)
    }

    /// Counts a page asked for (`hello`, `resume`, `earlier`) against the socket's
    /// share, so that no socket can keep the object busy replaying history.
    fn take_replay(&self, ws: &WebSocket, socket: &mut SocketState) -> EdgeResult<()> {
        let now = auth::now();
        let bucket = socket.replays.get_or_insert_with(|| Bucket::full(REPLAY_BURST, now));
        let taken = bucket.take(REPLAY_BURST, REPLAYS_PER_MINUTE, now);
        self.sockets.set(ws, socket)?;
        taken.map_err(EdgeError::ReplayTooFast)
    }

    /// A socket refused as too fast holds back its later sends until the time it was
    /// told, so that what it sends again comes in its order; a socket that is held back
    /// is refused without counting.
    async fn admit(&self, socket: &SocketState) -> EdgeResult<()> {
        let now = auth::now();
        if now < socket.held_until {
            return Err(EdgeError::TooFast(throttle::seconds_until(socket.held_until, now)));
        }
        self.admit_message(&socket.participant).await
    }

    /// Remembers on the socket until when a `TooFast` refusal holds it back.
    fn hold_if_too_fast(&self, ws: &WebSocket, socket: &mut SocketState, result: EdgeResult<()>) -> EdgeResult<()> {
        if let Err(EdgeError::TooFast(seconds)) = &result {
            let until = auth::now() + u64::from(*seconds) * 1000;
            if until > socket.held_until {
                socket.held_until = until;
                self.sockets.set(ws, socket)?;
            }
        }
        result
    }

    /// Acks a message stored already (a retry, or another tab's copy): same `seq`,
    /// nothing stored or relayed again. An offline one is reported to the site again in
    /// case the first report was lost; the site delivers each once. False if not stored.
    async fn ack_stored(&self, ws: &WebSocket, client_id: &ClientMessageId) -> EdgeResult<bool> {
        let stored: Vec<StoredRow> = self
            .sql()
            .exec(
                "SELECT m.seq, (o.seq IS NOT NULL) AS offline FROM messages m
                 LEFT JOIN offline_messages o ON o.seq = m.seq WHERE m.client_id = ?",
                vec![client_id.as_str().into()],
            )?
            .to_array()?;
        let Some(row) = stored.into_iter().next() else { return Ok(false) };
        let offline = row.offline != 0;
        if offline {
            self.notify_offline(Seq(row.seq)).await?;
        }
        send(ws, &ServerFrame::Ack { client_id: client_id.clone(), seq: Seq(row.seq), offline });
        Ok(true)
    }

    /// Whether an automatic message is one the site's rules send: that rule, that text.
    async fn is_site_auto(&self, site: &SiteId, rule: &str, text: &str) -> EdgeResult<bool> {
        let stub = self.env.durable_object("SITES")?.get_by_name(site.as_str())?;
        let document: SettingsDocument = internal::call(&stub, "/settings", site, None::<&()>).await?;
        // Disabled rules too: page code may run them (`runAction`).
        Ok(document.settings.rules().iter().any(|r| r.action == Action::Message && r.name == rule && r.text.says(text)))
    }

    /// The seq of the message stored with this client id, if any.
    fn stored_seq(&self, client_id: &ClientMessageId) -> EdgeResult<Option<Seq>> {
        let rows: Vec<SeqRow> = self.sql().exec("SELECT seq FROM messages WHERE client_id = ?", vec![client_id.as_str().into()])?.to_array()?;
        Ok(rows.first().map(|row| Seq(row.seq)))
    }

    /// Stores an automatic message (once per client id) as the operators', acks it,
    /// and relays it. The caller tells the site.
    fn insert_auto(&self, ws: &WebSocket, held: HeldAuto) -> EdgeResult<()> {
        if let Some(seq) = self.stored_seq(&held.client_id)? {
            send(ws, &ServerFrame::Ack { client_id: held.client_id, seq, offline: false });
            return Ok(());
        }
        let rows: Vec<SeqRow> = self
            .sql()
            .exec(
                "INSERT INTO messages (client_id, author_kind, author_name, body, at) VALUES (?, 'operator', ?, ?, ?) RETURNING seq",
                vec![held.client_id.as_str().into(), held.rule.as_str().into(), held.text.as_str().into(), int(held.at)],
            )?
            .to_array()?;
        let seq = Seq(rows.first().ok_or_else(|| EdgeError::Internal("Insert returned no seq".into()))?.seq);
        self.sql().exec("INSERT INTO auto_messages (seq) VALUES (?)", vec![int(seq.0)])?;
        send(ws, &ServerFrame::Ack { client_id: held.client_id.clone(), seq, offline: false });
        let message = Message {
            seq,
            client_id: held.client_id,
            author: Author { kind: AuthorKind::Operator, name: held.rule, avatar: None },
            text: held.text,
            at: held.at,
            attachment: None,
            auto: true,
        };
        self.broadcast(None, &ServerFrame::Message(message));
        Ok(())
    }

    /// The file a message claims, as actually stored: it must have been uploaded to
    /// this conversation, and its name, type and size are read from the store, not
    /// taken from the client.
    async fn stored_file(&self, site: &SiteId, conversation: &ConversationId, key: &str) -> EdgeResult<Attachment> {
        let prefix = format!("{site}/{conversation}/");
        let refused = || EdgeError::BadRequest("The file is not one uploaded to this conversation".into());
        if !key.strip_prefix(&prefix).is_some_and(crate::files::is_stored_name) {
            return Err(refused());
        }
        let object = self.env.bucket("FILES")?.head(key).await?.ok_or_else(refused)?;
        Ok(Attachment {
            key: key.to_owned(),
            name: object.custom_metadata()?.remove("name").unwrap_or_else(|| "file".into()),
            content_type: object.http_metadata().content_type.unwrap_or_default(),
            size: object.size(),
        })
    }

    /// What the owner's webhook is told of an offline message.
    pub(crate) fn offline_notice(&self, seq: Seq) -> EdgeResult<OfflineNotice> {
        let meta = self.meta()?.ok_or_else(|| EdgeError::Internal("Offline message without a conversation".into()))?;
        let rows: Vec<MessageRow> = self.sql().exec(&format!("{MESSAGES} WHERE m.seq = ?"), vec![int(seq.0)])?.to_array()?;
        let message = rows.into_iter().next().ok_or_else(|| EdgeError::Internal("Offline message not stored".into()))?;
        let details = self.details()?;
        Ok(OfflineNotice {
            event: natter_shared::shift::EventKind::OfflineMessage,
            id: format!("{}/{}/{}", meta.site, meta.conversation, seq.0),
            site: SiteId::parse(&meta.site)?,
            conversation: ConversationId::parse(&meta.conversation)?,
            seq,
            name: meta.visitor_name.clone(),
            email: details.email,
            phone: details.phone,
            text: message.body,
            page_url: meta.page_url.clone(),
            at: message.at,
        })
    }

    /// Hands an offline message to the site, which posts it to the owner's webhook once.
    pub(crate) async fn notify_offline(&self, seq: Seq) -> EdgeResult<()> {
        let notice = self.offline_notice(seq)?;
        let stub = self.env.durable_object("SITES")?.get_by_name(notice.site.as_str())?;
        internal::call::<_, _, serde::de::IgnoredAny>(&stub, "/offline", &notice.site, Some(&notice)).await?;
        Ok(())
    }

    pub(crate) fn mark_read(&self, by: AuthorKind, seq: Seq) -> EdgeResult<()> {
        let column = match by {
            AuthorKind::Visitor => "visitor_read",
            AuthorKind::Operator => "operator_read",
        };
        if self.marked_read(by, seq)? {
            self.sql().exec(&format!("UPDATE meta SET {column} = MAX({column}, ?) WHERE id = 1"), vec![int(seq.0)])?;
        }
        Ok(())
    }

    /// Moves the kept copy of a read mark to `seq` (its row is written by the caller):
    /// whether it moved.
    pub(crate) fn marked_read(&self, by: AuthorKind, seq: Seq) -> EdgeResult<bool> {
        let Some(mut meta) = self.meta()? else { return Ok(false) };
        let read = match by {
            AuthorKind::Visitor => &mut meta.visitor_read,
            AuthorKind::Operator => &mut meta.operator_read,
        };
        if *read >= seq.0 {
            return Ok(false);
        }
        *read = seq.0;
        self.cached.borrow_mut().meta = Some(meta);
        Ok(true)
    }

    async fn on_read(&self, by: AuthorKind, seq: Seq) -> EdgeResult<()> {
        if self.meta()?.is_none() {
            return Ok(());
        }
        let seq = seq.min(self.last_seq()?);
        self.mark_read(by, seq)?;
        self.broadcast(Some(other_side(by)), &ServerFrame::Read { by, seq });
        if by == AuthorKind::Operator {
            self.report_to_site().await;
        }
        Ok(())
    }

}
