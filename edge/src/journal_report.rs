//! How a conversation keeps its site's [`crate::journal::Journal`] up to date: from its
//! alarm, [`JOURNAL_DELAY_MS`] after a change (so a burst of messages is one report,
//! and no visitor or operator ever waits for the journal), it sends its row and the
//! text of the messages the journal has not indexed yet. What it last sent is stored,
//! so an unchanged conversation sends nothing and one evicted meanwhile resumes where
//! the journal stopped.

use natter_shared::files::Attachment;
use natter_shared::ids::{ConversationId, SiteId};
use natter_shared::journal::{JournalEntry, JournalReport};
use serde::Deserialize;

use crate::auth;
use crate::conversation::{int, Conversation};
use crate::error::EdgeResult;
use crate::internal;
use crate::journal::Indexed;

pub const SCHEMA: &str = "
-- What the journal was last sent: the last message it indexed and the row (JSON).
CREATE TABLE IF NOT EXISTS journaled (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, entry TEXT NOT NULL);";

/// How long after a change the journal is told.
pub const JOURNAL_DELAY_MS: u64 = 1_000;
/// Most messages' texts in one report; the rest go with the next, right after.
const TEXTS_PER_REPORT: usize = 500;

#[derive(Deserialize)]
struct JournaledRow {
    seq: u64,
    entry: String,
}

#[derive(Deserialize)]
struct FactsRow {
    messages: Option<u64>,
    last_at: Option<u64>,
    first_visitor_at: Option<u64>,
    first_answer_at: Option<u64>,
    last_visitor: Option<u64>,
    last_answer: Option<u64>,
    first_author: Option<String>,
}

#[derive(Deserialize)]
struct TextRow {
    seq: u64,
    body: String,
    attachment: Option<String>,
}

/// Counted over the messages (each by an index on `(author_kind, seq)`). An answer is
/// an operator's message that no rule sent.
const FACTS: &str = "SELECT
    (SELECT MAX(seq) FROM messages) AS messages,
    (SELECT at FROM messages ORDER BY seq DESC LIMIT 1) AS last_at,
    (SELECT at FROM messages WHERE author_kind = 'visitor' ORDER BY seq LIMIT 1) AS first_visitor_at,
    (SELECT at FROM messages WHERE author_kind = 'operator' AND seq NOT IN (SELECT seq FROM auto_messages) ORDER BY seq LIMIT 1) AS first_answer_at,
    (SELECT MAX(seq) FROM messages WHERE author_kind = 'visitor') AS last_visitor,
    (SELECT MAX(seq) FROM messages WHERE author_kind = 'operator' AND seq NOT IN (SELECT seq FROM auto_messages)) AS last_answer,
    (SELECT author_kind FROM messages WHERE seq NOT IN (SELECT seq FROM auto_messages) ORDER BY seq LIMIT 1) AS first_author";

impl Conversation {
    /// Has the alarm tell the journal in a moment (unless it is due sooner anyway).
    pub(crate) async fn journal_soon(&self) {
        if self.reporting.borrow().journal_due || self.meta().ok().flatten().is_none() {
            return;
        }
        match self.alarm_at(auth::now() + JOURNAL_DELAY_MS).await {
            Ok(()) => self.reporting.borrow_mut().journal_due = true,
            Err(e) => worker::console_error!("journal report not scheduled: {e}"),
        }
    }

    /// The conversation's row in the journal, as it stands now.
    fn journal_entry(&self) -> EdgeResult<Option<(SiteId, JournalEntry)>> {
        let Some(meta) = self.meta()? else { return Ok(None) };
        let facts: Option<FactsRow> = self.sql().exec(FACTS, None)?.to_array()?.pop();
        let Some(facts) = facts else { return Ok(None) };
        let status = self.status_row()?;
        let details = self.details()?;
        let outgoing = facts.first_author.as_deref() == Some("operator");
        let first_response_ms = match (outgoing, facts.first_visitor_at, facts.first_answer_at) {
            (false, Some(asked), Some(answered)) if answered >= asked => Some(answered - asked),
            _ => None,
        };
        let unanswered = facts.last_visitor.unwrap_or(0) > facts.last_answer.unwrap_or(0);
        let state = status.state();
        let gone = state == natter_shared::shift::ConversationState::Closed || !self.visitor_online(None);
        let site = SiteId::parse(&meta.site)?;
        let entry = JournalEntry {
            site: site.clone(),
            id: ConversationId::parse(&meta.conversation)?,
            visitor_name: meta.visitor_name.clone(),
            email: details.email,
            phone: details.phone,
            owner: status.owner(),
            started_at: meta.created_at,
            last_at: facts.last_at.unwrap_or(meta.created_at),
            messages: facts.messages.unwrap_or(0),
            first_response_ms,
            outgoing,
            missed: unanswered && gone,
            state,
            rating: self.rating()?.map(|r| r.good),
            page_url: meta.page_url.clone(),
            referrer: meta.referrer.clone(),
        };
        Ok(Some((site, entry)))
    }

    /// Sends the journal what changed since it was last told. Best effort: on failure
    /// nothing is marked sent, and the next change sends it again.
    pub(crate) async fn report_to_journal(&self) {
        self.reporting.borrow_mut().journal_due = false;
        if let Err(e) = self.try_report_to_journal().await {
            worker::console_error!("journal report failed: {e}");
        }
    }

    async fn try_report_to_journal(&self) -> EdgeResult<()> {
        let Some((site, entry)) = self.journal_entry()? else { return Ok(()) };
        let before: Option<JournaledRow> = self.sql().exec("SELECT seq, entry FROM journaled WHERE id = 1", None)?.to_array()?.pop();
        let after = before.as_ref().map_or(0, |b| b.seq);
        let rows: Vec<TextRow> = self
            .sql()
            .exec(
                "SELECT m.seq, m.body, a.attachment FROM messages m LEFT JOIN attachments a ON a.seq = m.seq
                 WHERE m.seq > ? ORDER BY m.seq LIMIT ?",
                vec![int(after), int(TEXTS_PER_REPORT as u64)],
            )?
            .to_array()?;
        let json = serde_json::to_string(&entry)?;
        if rows.is_empty() && before.as_ref().is_some_and(|b| b.entry == json) {
            return Ok(());
        }
        let full = rows.len() == TEXTS_PER_REPORT;
        let texts = rows
            .into_iter()
            .map(|row| {
                // A file is found by its name.
                let file = row.attachment.and_then(|json| serde_json::from_str::<Attachment>(&json).ok()).map(|a| a.name);
                let text = [row.body, file.unwrap_or_default()].join(" ");
                (row.seq, text)
            })
            .collect();
        let stub = internal::journal_stub(&self.env, &site)?;
        let indexed: Indexed = internal::call(&stub, "/report", &(), Some(&JournalReport { entry, texts })).await?;
        self.sql().exec("INSERT OR REPLACE INTO journaled (id, seq, entry) VALUES (1, ?, ?)", vec![int(indexed.seq), json.into()])?;
        if full {
            self.journal_soon().await;
        }
        Ok(())
    }
}
