//! A conversation's life, kept by its `Conversation` object: waiting → active →
//! closed, who owns it, the visitor's rating, blocking, the operators' edits, and the
//! events told to the site's webhook. The message log is in [`crate::conversation`].

use natter_shared::ids::{ConversationId, OperatorId, Seq, SiteId};
use natter_shared::protocol::{AuthorKind, Millis, ServerFrame};
use natter_shared::shift::{
    check_comment, ConversationState, ConversationStatus, EventKind, EventNotice, EventVisitor, OperatorRef, Rating,
    TranscriptLine, RATING_WINDOW_MS,
};
use serde::Deserialize;
use worker::{Response, WebSocket};

use crate::auth;
use crate::conversation::{int, Conversation};
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Act, Actor, BlockCall, Participant};

/// How many summary revisions a conversation reserves in storage at a time.
const REVISION_BLOCK: u64 = 1_000;

/// The tables of a conversation's life (created with the message log's).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS status (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    state TEXT NOT NULL,
    owner TEXT,
    owner_name TEXT,
    waiting_since INTEGER,
    revision INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS rating (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    good INTEGER NOT NULL,
    comment TEXT NOT NULL,
    at INTEGER NOT NULL
);
-- A closing whose `conversation_closed` event waits for the rating (or the alarm).
CREATE TABLE IF NOT EXISTS closing (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    operator TEXT NOT NULL,
    operator_name TEXT NOT NULL,
    at INTEGER NOT NULL,
    -- The number that makes the closed event's id unique (a revision).
    event TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blocked (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS visitor_ip (id INTEGER PRIMARY KEY CHECK (id = 1), ip TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY CHECK (id = 1), text TEXT NOT NULL);";

#[derive(Clone, Debug, Deserialize)]
pub struct StatusRow {
    pub state: String,
    pub owner: Option<String>,
    pub owner_name: Option<String>,
    pub waiting_since: Option<u64>,
    pub revision: u64,
}

impl StatusRow {
    pub fn state(&self) -> ConversationState {
        ConversationState::parse(&self.state).unwrap_or_default()
    }

    pub fn owner(&self) -> Option<OperatorRef> {
        let id = OperatorId::parse(self.owner.as_deref()?).ok()?;
        Some(OperatorRef { id, name: self.owner_name.clone().unwrap_or_default() })
    }

    fn owned_by_other(&self, me: &OperatorId) -> bool {
        self.owner.as_deref().is_some_and(|owner| owner != me.as_str())
    }
}

#[derive(Deserialize)]
struct RevisionRow {
    revision: u64,
}

#[derive(Deserialize)]
struct RatingRow {
    good: u8,
    comment: String,
    at: u64,
}

#[derive(Deserialize)]
struct ClosingAt {
    at: u64,
}

#[derive(Deserialize)]
struct ClosingRow {
    operator: String,
    operator_name: String,
    event: String,
}

#[derive(Deserialize)]
struct TextRow {
    text: String,
}

#[derive(Deserialize)]
struct IpRow {
    ip: String,
}

#[derive(Deserialize)]
struct AtRow {
    at: Option<u64>,
}


impl Conversation {
    /// How the conversation stands. One stored before this table existed is read from
    /// its log: waiting since the visitor's first unanswered message, else active.
    pub fn status_row(&self) -> EdgeResult<StatusRow> {
        if let Some(row) = self.cached.borrow().status.as_ref() {
            return Ok(row.clone());
        }
        let rows: Vec<StatusRow> = self.sql().exec("SELECT * FROM status WHERE id = 1", None)?.to_array()?;
        if let Some(row) = rows.into_iter().next() {
            self.cached.borrow_mut().status = Some(row.clone());
            return Ok(row);
        }
        let waiting_since = self.unanswered_since()?;
        Ok(StatusRow {
            state: if waiting_since.is_some() { "waiting" } else { "active" }.into(),
            owner: None,
            owner_name: None,
            waiting_since,
            revision: 0,
        })
    }

    /// When the visitor's oldest message after the last operator's answer was written.
    fn unanswered_since(&self) -> EdgeResult<Option<u64>> {
        let rows: Vec<AtRow> = self
            .sql()
            .exec(
                "SELECT MIN(at) AS at FROM messages WHERE author_kind = 'visitor' AND seq > (
                    SELECT COALESCE(MAX(m.seq), 0) FROM messages m LEFT JOIN auto_messages a ON a.seq = m.seq
                    WHERE m.author_kind = 'operator' AND a.seq IS NULL)",
                None,
            )?
            .to_array()?;
        Ok(rows.into_iter().next().and_then(|r| r.at))
    }

    fn save_status(&self, row: &StatusRow) -> EdgeResult<()> {
        // (Its revision stays the stored one: read again.)
        self.cached.borrow_mut().status.take();
        self.sql().exec(
            "INSERT INTO status (id, state, owner, owner_name, waiting_since, revision) VALUES (1, ?, ?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET state = excluded.state, owner = excluded.owner,
             owner_name = excluded.owner_name, waiting_since = excluded.waiting_since",
            vec![
                row.state.as_str().into(),
                row.owner.as_deref().into(),
                row.owner_name.as_deref().into(),
                row.waiting_since.map(int).unwrap_or(worker::SqlStorageValue::Null),
                int(row.revision),
            ],
        )?;
        Ok(())
    }

    /// The next revision of the conversation's summary: reports may reach the site out
    /// of order, and the site keeps the highest. Unique and rising for the object's whole
    /// life, so it also numbers events. Reserved in storage a block at a time (a write
    /// per report cost a fifth of the report), handed out from memory; after an eviction
    /// the rest of the block is skipped.
    pub fn next_revision(&self) -> EdgeResult<u64> {
        if let Some((next, _)) = self.cached.borrow_mut().revisions.as_mut().filter(|(next, end)| next < end) {
            *next += 1;
            return Ok(*next - 1);
        }
        let bump = || -> EdgeResult<Option<u64>> {
            let rows: Vec<RevisionRow> = self
                .sql()
                .exec("UPDATE status SET revision = revision + ? WHERE id = 1 RETURNING revision", vec![int(REVISION_BLOCK)])?
                .to_array()?;
            Ok(rows.first().map(|r| r.revision))
        };
        let reserved = match bump()? {
            Some(top) => top,
            None => {
                // A conversation stored before statuses were: its status is read from its
                // log once.
                self.save_status(&self.status_row()?)?;
                bump()?.ok_or_else(|| EdgeError::Internal("No status to number".into()))?
            }
        };
        let mut cached = self.cached.borrow_mut();
        if let Some(row) = cached.status.as_mut() {
            row.revision = reserved;
        }
        // `reserved` is the block's last: the block is the numbers after the one before.
        let first = reserved + 1 - REVISION_BLOCK;
        cached.revisions = Some((first + 1, reserved + 1));
        Ok(first)
    }

    pub fn rating(&self) -> EdgeResult<Option<Rating>> {
        let rows: Vec<RatingRow> = self.sql().exec("SELECT good, comment, at FROM rating WHERE id = 1", None)?.to_array()?;
        Ok(rows.into_iter().next().map(|r| Rating { good: r.good != 0, comment: r.comment, at: r.at }))
    }

    pub fn is_blocked(&self) -> EdgeResult<bool> {
        if let Some(blocked) = self.cached.borrow().blocked {
            return Ok(blocked);
        }
        let blocked = !self.sql().exec("SELECT at FROM blocked WHERE id = 1", None)?.to_array::<AtRow>()?.is_empty();
        self.cached.borrow_mut().blocked = Some(blocked);
        Ok(blocked)
    }

    pub fn note(&self) -> EdgeResult<String> {
        let rows: Vec<TextRow> = self.sql().exec("SELECT text FROM note WHERE id = 1", None)?.to_array()?;
        Ok(rows.into_iter().next().map(|r| r.text).unwrap_or_default())
    }

    /// The status as `role` sees it: a visitor is never told they are blocked.
    pub fn status(&self, role: AuthorKind) -> EdgeResult<ConversationStatus> {
        let row = self.status_row()?;
        Ok(ConversationStatus {
            state: row.state(),
            owner: row.owner(),
            rating: self.rating()?,
            blocked: role == AuthorKind::Operator && self.is_blocked()?,
        })
    }

    /// Tells every socket how the conversation stands now.
    pub fn announce_status(&self) -> EdgeResult<()> {
        for role in [AuthorKind::Operator, AuthorKind::Visitor] {
            self.broadcast(Some(role), &ServerFrame::Status(self.status(role)?));
        }
        Ok(())
    }

    /// Refuses an agent who may see only their own and unassigned conversations.
    pub fn check_restricted(&self, participant: &Participant) -> EdgeResult<()> {
        match &participant.operator {
            Some(operator) => self.refuse_others(participant.restricted, operator),
            None => Ok(()),
        }
    }

    /// An operator who may see only their own and unassigned conversations (and this
    /// one is someone else's) is refused.
    fn refuse_others(&self, restricted: bool, operator: &OperatorId) -> EdgeResult<()> {
        if restricted && self.status_row()?.owned_by_other(operator) {
            return Err(EdgeError::Forbidden("Another operator has this conversation"));
        }
        Ok(())
    }

    /// A visitor's new message: a closed conversation opens again as waiting, and the
    /// wait starts at the visitor's first unanswered message. A new conversation is an
    /// event.
    /// Returns whether the conversation's state changed (the inbox must hear at once).
    pub async fn on_visitor_message(&self, at: Millis, created: bool) -> EdgeResult<bool> {
        let mut row = self.status_row()?;
        let reopened = row.state() == ConversationState::Closed;
        if reopened {
            self.send_closed_event().await;
            row.state = ConversationState::Waiting.as_str().into();
            row.owner = None;
            row.owner_name = None;
        }
        // Most messages change nothing here (the visitor waits already, or is answered).
        let changed = reopened || created || row.waiting_since.is_none();
        if changed {
            row.waiting_since.get_or_insert(at);
            self.save_status(&row)?;
            self.announce_status()?;
        }
        if created {
            self.emit(EventKind::ConversationStarted, None, None, None).await;
        }
        Ok(changed)
    }

    /// An operator's own message answers the visitor; the first to answer an
    /// unassigned conversation becomes its owner.
    /// Returns whether the conversation's state changed (the inbox must hear at once).
    pub async fn on_operator_message(&self, author: &Participant) -> EdgeResult<bool> {
        let Some(operator) = author.operator.clone() else { return Ok(false) };
        let me = OperatorRef { id: operator, name: author.name.clone() };
        let mut row = self.status_row()?;
        let take = row.owner.is_none() || row.state() == ConversationState::Closed;
        if !take && row.waiting_since.is_none() {
            return Ok(false);
        }
        row.waiting_since = None;
        if take {
            row.state = ConversationState::Active.as_str().into();
            row.owner = Some(me.id.to_string());
            row.owner_name = Some(me.name.clone());
        }
        self.save_status(&row)?;
        self.announce_status()?;
        if take {
            self.emit(EventKind::ConversationAssigned, Some(me), None, None).await;
        }
        Ok(true)
    }

    /// `POST /act`: an operator's action (checked here against the conversation's
    /// state; who the operator is and may do was checked by the Worker).
    pub async fn act(&self, act: Act) -> EdgeResult<Response> {
        if self.meta()?.is_none() {
            return Err(EdgeError::NotFound("This conversation does not exist".into()));
        }
        let mut row = self.status_row()?;
        match act {
            Act::Take { by } => {
                self.check_actor(&by)?;
                if row.owned_by_other(&by.operator.id) && row.state() != ConversationState::Closed {
                    let name = row.owner_name.clone().unwrap_or_default();
                    return Err(EdgeError::Conflict(format!("{name} is answering this conversation: ask them to transfer it")));
                }
                self.assign(&mut row, by.operator, None).await?;
            }
            Act::Assign { to } => {
                if row.owner.is_some() || row.state() != ConversationState::Waiting {
                    return Err(EdgeError::Conflict("It is not waiting any more".into()));
                }
                self.assign(&mut row, to, None).await?;
            }
            Act::Transfer { by, to } => {
                self.check_actor(&by)?;
                if row.owned_by_other(&by.operator.id) && !by.admin {
                    return Err(EdgeError::Forbidden("Only its operator or an admin can transfer this conversation"));
                }
                if row.owner.as_deref() == Some(to.id.as_str()) {
                    return Err(EdgeError::Conflict(format!("{} has this conversation already", to.name)));
                }
                let previous = row.owner();
                self.assign(&mut row, to, previous).await?;
            }
            Act::Close { by } => {
                self.check_actor(&by)?;
                if row.state() == ConversationState::Closed {
                    return Err(EdgeError::Conflict("This conversation is closed already".into()));
                }
                row.state = ConversationState::Closed.as_str().into();
                row.waiting_since = None;
                self.save_status(&row)?;
                // The `closed` event waits for the visitor's rating, a few minutes at most.
                self.sql().exec("DELETE FROM rating", None)?;
                self.sql().exec(
                    "INSERT OR REPLACE INTO closing (id, operator, operator_name, at, event) VALUES (1, ?, ?, ?, ?)",
                    vec![
                        by.operator.id.as_str().into(),
                        by.operator.name.as_str().into(),
                        int(auth::now()),
                        self.next_revision()?.to_string().into(),
                    ],
                )?;
                self.alarm_at(auth::now() + RATING_WINDOW_MS).await?;
                self.announce_status()?;
            }
            Act::Block { by, blocked } => {
                self.check_actor(&by)?;
                self.block(blocked).await?;
            }
            Act::EditVisitor { by, edit } => {
                self.check_actor(&by)?;
                let (details, note) = edit.checked().map_err(EdgeError::BadRequest)?;
                let attributes = self.details()?.attributes;
                self.write_details(&natter_shared::contact::VisitorDetails { attributes, ..details })?;
                self.sql().exec("INSERT OR REPLACE INTO note (id, text) VALUES (1, ?)", vec![note.into()])?;
                self.announce_visitor()?;
            }
        }
        self.report_to_site().await;
        Ok(Response::from_json(&self.status(AuthorKind::Operator)?)?)
    }

    fn check_actor(&self, by: &Actor) -> EdgeResult<()> {
        self.refuse_others(by.restricted, &by.operator.id)
    }

    async fn assign(&self, row: &mut StatusRow, to: OperatorRef, previous: Option<OperatorRef>) -> EdgeResult<()> {
        if row.state() == ConversationState::Closed {
            self.send_closed_event().await;
        }
        row.state = ConversationState::Active.as_str().into();
        row.owner = Some(to.id.to_string());
        row.owner_name = Some(to.name.clone());
        self.save_status(row)?;
        self.announce_status()?;
        self.emit(EventKind::ConversationAssigned, Some(to), previous, None).await;
        Ok(())
    }

    /// The visitor rates the conversation after it was closed.
    pub async fn rate(&self, good: bool, comment: &str) -> EdgeResult<()> {
        if self.meta()?.is_none() || self.status_row()?.state() != ConversationState::Closed {
            return Err(EdgeError::BadRequest("A conversation can be rated once it has ended".into()));
        }
        let comment = check_comment(comment).map_err(|e| EdgeError::BadRequest(format!("Comment: {e}")))?;
        let rating = Rating { good, comment, at: auth::now() };
        self.sql().exec(
            "INSERT OR REPLACE INTO rating (id, good, comment, at) VALUES (1, ?, ?, ?)",
            vec![i64::from(good).into(), rating.comment.as_str().into(), int(rating.at)],
        )?;
        self.announce_status()?;
        self.emit(EventKind::VisitorRated, None, None, Some(rating)).await;
        self.send_closed_event().await;
        self.report_to_site().await;
        Ok(())
    }

    /// Sends the `conversation_closed` event of the last closing, if it still waits.
    /// From the alarm: the `closed` event once the rating window has passed (the alarm
    /// also serves coalesced reports, so it may come sooner: then it is set again).
    pub async fn closed_event_if_due(&self) {
        let due = async {
            let rows: Vec<ClosingAt> = self.sql().exec("SELECT at FROM closing WHERE id = 1", None)?.to_array()?;
            Ok::<_, EdgeError>(rows.first().map(|closing| closing.at + RATING_WINDOW_MS))
        }
        .await;
        match due {
            Ok(Some(due)) if due <= auth::now() => self.send_closed_event().await,
            Ok(Some(due)) => {
                if let Err(e) = self.alarm_at(due).await {
                    worker::console_error!("closed event alarm: {e}");
                }
            }
            Ok(None) => {}
            Err(e) => worker::console_error!("closed event: {e}"),
        }
    }

    pub async fn send_closed_event(&self) {
        let result = async {
            let rows: Vec<ClosingRow> = self.sql().exec("SELECT * FROM closing WHERE id = 1", None)?.to_array()?;
            let Some(closing) = rows.into_iter().next() else { return Ok(()) };
            self.sql().exec("DELETE FROM closing", None)?;
            let by = OperatorRef { id: OperatorId::parse(&closing.operator)?, name: closing.operator_name };
            let mut notice = self.event(EventKind::ConversationClosed, closing.event, Some(by), None, self.rating()?)?;
            notice.transcript = Some(self.transcript()?);
            self.tell_site(&notice).await
        }
        .await;
        if let Err(e) = result {
            worker::console_error!("closed event: {e}");
        }
    }

    pub(crate) fn transcript(&self) -> EdgeResult<Vec<TranscriptLine>> {
        Ok(self
            .messages_after(Seq(0))?
            .into_iter()
            .map(|m| TranscriptLine {
                author: m.author.kind,
                name: m.author.name,
                text: m.text,
                at: m.at,
                auto: m.auto,
                file: m.attachment.map(|a| a.name),
            })
            .collect())
    }

    /// An event's notice; `number` (a revision of the conversation) makes its id unique.
    fn event(
        &self,
        kind: EventKind,
        number: impl std::fmt::Display,
        operator: Option<OperatorRef>,
        previous: Option<OperatorRef>,
        rating: Option<Rating>,
    ) -> EdgeResult<EventNotice> {
        let meta = self.meta()?.ok_or_else(|| EdgeError::Internal("An event without a conversation".into()))?;
        let details = self.details()?;
        Ok(EventNotice {
            id: format!("{}/{}/{}/{number}", kind.as_str(), meta.site, meta.conversation),
            event: kind,
            site: SiteId::parse(&meta.site)?,
            conversation: ConversationId::parse(&meta.conversation)?,
            at: auth::now(),
            visitor: EventVisitor { name: meta.visitor_name.clone(), email: details.email, phone: details.phone, page_url: meta.page_url.clone() },
            operator,
            previous,
            rating,
            transcript: None,
        })
    }

    /// Tells the site's webhook (if it wants this event). Best effort: the chat goes on
    /// whatever happens to the notice.
    async fn emit(&self, kind: EventKind, operator: Option<OperatorRef>, previous: Option<OperatorRef>, rating: Option<Rating>) {
        let result = async {
            let notice = self.event(kind, self.next_revision()?, operator, previous, rating)?;
            self.tell_site(&notice).await
        }
        .await;
        if let Err(e) = result {
            worker::console_error!("{} event: {e}", kind.as_str());
        }
    }

    async fn tell_site(&self, notice: &EventNotice) -> EdgeResult<()> {
        let stub = internal::site_stub(&self.env, &notice.site)?;
        internal::call::<_, _, serde::de::IgnoredAny>(&stub, "/event", &notice.site, Some(notice)).await?;
        Ok(())
    }

    /// Blocks (or unblocks) the visitor here and their IP address at the site.
    async fn block(&self, blocked: bool) -> EdgeResult<()> {
        let ip: Vec<IpRow> = self.sql().exec("SELECT ip FROM visitor_ip WHERE id = 1", None)?.to_array()?;
        let ip = ip.into_iter().next().map(|r| r.ip).unwrap_or_default();
        let site = SiteId::parse(&self.meta()?.map(|m| m.site).unwrap_or_default())?;
        let stub = internal::site_stub(&self.env, &site)?;
        let call = BlockCall { ip, blocked };
        internal::call::<_, _, serde::de::IgnoredAny>(&stub, "/block", &site, Some(&call)).await?;
        self.cached.borrow_mut().blocked.take();
        if blocked {
            self.sql().exec("INSERT OR IGNORE INTO blocked (id, at) VALUES (1, ?)", vec![int(auth::now())])?;
        } else {
            self.sql().exec("DELETE FROM blocked", None)?;
        }
        self.announce_status()
    }

    /// Keeps the visitor's IP address (for blocking), once the conversation exists.
    pub fn keep_ip(&self, participant: &Participant) -> EdgeResult<()> {
        // "unknown" (no `CF-Connecting-IP`) is no address: blocking it would block everyone.
        let known = !participant.ip.is_empty() && participant.ip != "unknown";
        if participant.role == AuthorKind::Visitor && known && self.meta()?.is_some() {
            self.sql().exec("INSERT OR REPLACE INTO visitor_ip (id, ip) VALUES (1, ?)", vec![participant.ip.as_str().into()])?;
        }
        Ok(())
    }

    /// Whether the visitor has a tab connected now, leaving out a socket that is closing.
    pub fn visitor_online(&self, leaving: Option<&WebSocket>) -> bool {
        self.state.get_websockets_with_tag("visitor").iter().any(|ws| Some(ws) != leaving)
    }
}
