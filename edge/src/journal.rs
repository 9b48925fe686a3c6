//! The `Journal` Durable Object: one per site, the archive the console's journal reads.
//! Every conversation of the site has a row (how it stands now) and the text of its
//! messages and its visitor's details are in a full-text index (SQLite's FTS5), so a
//! page of any filter is a few index reads however large the site grows.
//!
//! It is apart from the [`crate::site::Site`] on purpose: a Durable Object does one
//! thing at a time, and a search over a million messages must never hold up the
//! inbox, presence and every visitor's report that the `Site` serves. Conversations
//! report here from their alarm (see [`crate::journal_report`]), a second after a
//! change, never in a visitor's or an operator's way.

use natter_shared::ids::{OperatorId, SiteId};
use natter_shared::journal::{fts_query, JournalEntry, JournalKind, JournalPage, JournalQuery, JournalReport, RatingFilter};
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorage, SqlStorageValue, State};

use crate::error::{EdgeError, EdgeResult};
use crate::internal;

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS entries (
    conversation TEXT PRIMARY KEY,
    started_at INTEGER NOT NULL,
    outgoing INTEGER NOT NULL,
    missed INTEGER NOT NULL,
    owner TEXT,
    -- 1 good, 0 bad, NULL not rated.
    rating INTEGER,
    -- The last message whose text is in `words`.
    indexed_seq INTEGER NOT NULL DEFAULT 0,
    -- The visitor's details as indexed (a contentless index forgets them by this text).
    details TEXT NOT NULL DEFAULT '',
    entry TEXT NOT NULL
);
-- Each filter reads its own index in the journal's order, newest first.
CREATE INDEX IF NOT EXISTS entries_by_time ON entries (started_at, conversation);
CREATE INDEX IF NOT EXISTS entries_by_kind ON entries (outgoing, started_at, conversation);
CREATE INDEX IF NOT EXISTS entries_by_missed ON entries (missed, started_at, conversation);
CREATE INDEX IF NOT EXISTS entries_by_owner ON entries (owner, started_at, conversation);
CREATE INDEX IF NOT EXISTS entries_by_rating ON entries (rating, started_at, conversation);
-- Messages' text and visitors' details, found by word (or the start of one) in any
-- alphabet; «Ёлка» finds «елка». Only the index is kept (`content=''`): a row's id says
-- whose it is (the entry's rowid × 2^24 + the message's seq, 0 for the details), so a
-- search reads no text back, only ids.
CREATE VIRTUAL TABLE IF NOT EXISTS words USING fts5(body, content = '', tokenize = 'unicode61 remove_diacritics 2');
";

/// A `words` row's id is its entry's rowid shifted by this many bits, plus the seq.
const SEQ_BITS: u32 = 24;

/// A page asked of one site's journal.
#[derive(Serialize, Deserialize)]
pub struct PageCall {
    /// The journal's site.
    pub site: SiteId,
    pub query: JournalQuery,
    /// An agent of a site that hides others' conversations sees only their own and
    /// unassigned ones.
    pub only_for: Option<OperatorId>,
    pub limit: usize,
}

/// The journal's answer to a report: the last message whose text it has.
#[derive(Serialize, Deserialize)]
pub struct Indexed {
    pub seq: u64,
}

/// Made-up conversations for `make bench` (dev only).
#[derive(Serialize, Deserialize)]
pub struct FillCall {
    pub entries: Vec<JournalEntry>,
    /// Each entry's messages.
    pub texts: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct EntryRow {
    entry: String,
}

#[derive(Deserialize)]
struct IndexRow {
    id: i64,
    indexed_seq: u64,
    details: String,
}

#[durable_object]
pub struct Journal {
    state: State,
    #[allow(dead_code)]
    env: Env,
}

impl DurableObject for Journal {
    fn new(state: State, env: Env) -> Self {
        internal::update_tables(&state, "journal", SCHEMA);
        Self { state, env }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        Ok(self.route(req).await.unwrap_or_else(EdgeError::into_response))
    }
}

fn int(value: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(value as i64)
}

impl Journal {
    pub(crate) fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    async fn route(&self, req: Request) -> EdgeResult<Response> {
        match req.path().as_str() {
            "/report" => {
                let report: JournalReport = internal::request_json(&req).await?;
                internal::create_tables(&self.state, "journal", SCHEMA);
                Ok(Response::from_json(&Indexed { seq: self.keep(&report)? })?)
            }
            "/page" => {
                let call: PageCall = internal::request_json(&req).await?;
                // A site nobody wrote to yet has no journal, and gets none by being read.
                if !internal::has_tables(&self.state) {
                    return Ok(Response::from_json(&JournalPage::default())?);
                }
                Ok(Response::from_json(&self.page(&call)?)?)
            }
            "/figures" => {
                let call: crate::figures::FiguresCall = internal::request_json(&req).await?;
                if !internal::has_tables(&self.state) {
                    return Ok(Response::from_json(&Vec::<()>::new())?);
                }
                Ok(Response::from_json(&self.tallies(&call)?)?)
            }
            "/fill" => {
                let call: FillCall = internal::request_json(&req).await?;
                internal::create_tables(&self.state, "journal", SCHEMA);
                for (entry, texts) in call.entries.iter().zip(&call.texts) {
                    let texts = texts.iter().enumerate().map(|(i, t)| (i as u64 + 1, t.clone())).collect();
                    self.keep(&JournalReport { entry: entry.clone(), texts })?;
                }
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            "/destroy" => {
                self.state.storage().delete_all().await?;
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            other => Err(EdgeError::NotFound(format!("No journal route {other}"))),
        }
    }

    /// Keeps a conversation's row and indexes the texts it has not indexed yet; answers
    /// the last message indexed.
    fn keep(&self, report: &JournalReport) -> EdgeResult<u64> {
        let entry = &report.entry;
        let id = entry.id.as_str();
        let before: Option<IndexRow> = self
            .sql()
            .exec("SELECT rowid AS id, indexed_seq, details FROM entries WHERE conversation = ?", vec![id.into()])?
            .to_array()?
            .pop();
        let details = entry.details_text();
        let mut indexed = before.as_ref().map_or(0, |b| b.indexed_seq);
        let rows: Vec<IndexRow> = self
            .sql()
            .exec(
                "INSERT INTO entries (conversation, started_at, outgoing, missed, owner, rating, indexed_seq, details, entry)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (conversation) DO UPDATE SET started_at = excluded.started_at, outgoing = excluded.outgoing,
                     missed = excluded.missed, owner = excluded.owner, rating = excluded.rating, details = excluded.details,
                     entry = excluded.entry
                 RETURNING rowid AS id, indexed_seq, details",
                vec![
                    id.into(),
                    int(entry.started_at),
                    i64::from(entry.outgoing).into(),
                    i64::from(entry.missed).into(),
                    entry.owner.as_ref().map(|o| o.id.as_str()).into(),
                    entry.rating.map_or(SqlStorageValue::Null, |good| i64::from(good).into()),
                    int(indexed),
                    details.as_str().into(),
                    serde_json::to_string(entry)?.into(),
                ],
            )?
            .to_array()?;
        let row = rows.first().ok_or_else(|| EdgeError::Internal("A journal row was not kept".into()))?.id;
        let word_id = |seq: u64| SqlStorageValue::Integer((row << SEQ_BITS) + (seq as i64 & ((1 << SEQ_BITS) - 1)));
        // The details are the row's seq 0: a contentless index forgets a row by being
        // told its old text.
        let old_details = before.as_ref().map(|b| b.details.as_str()).unwrap_or_default();
        if old_details != details {
            if !old_details.is_empty() {
                self.sql().exec("INSERT INTO words (words, rowid, body) VALUES ('delete', ?, ?)", vec![word_id(0), old_details.into()])?;
            }
            if !details.is_empty() {
                self.sql().exec("INSERT INTO words (rowid, body) VALUES (?, ?)", vec![word_id(0), details.as_str().into()])?;
            }
        }
        for (seq, text) in &report.texts {
            // Beyond 2^24 messages a conversation's texts are not searched (its row is).
            if *seq > indexed && *seq < (1 << SEQ_BITS) {
                if !text.trim().is_empty() {
                    self.sql().exec("INSERT INTO words (rowid, body) VALUES (?, ?)", vec![word_id(*seq), text.as_str().into()])?;
                }
                indexed = *seq;
            }
        }
        self.sql().exec("UPDATE entries SET indexed_seq = ? WHERE rowid = ?", vec![int(indexed), row.into()])?;
        Ok(indexed)
    }

    /// A page of the journal in its order, newest first.
    fn page(&self, call: &PageCall) -> EdgeResult<JournalPage> {
        let query = &call.query;
        let mut conditions: Vec<String> = Vec::new();
        let mut values: Vec<SqlStorageValue> = Vec::new();
        match query.kind {
            JournalKind::All => {}
            JournalKind::Incoming => conditions.push("outgoing = 0".into()),
            JournalKind::Outgoing => conditions.push("outgoing = 1".into()),
            JournalKind::Missed => conditions.push("missed = 1".into()),
        }
        if let Some(since) = query.since {
            conditions.push("started_at >= ?".into());
            values.push(int(since));
        }
        if let Some(until) = query.until {
            conditions.push("started_at < ?".into());
            values.push(int(until));
        }
        if let Some(operator) = &query.operator {
            conditions.push("owner = ?".into());
            values.push(operator.as_str().into());
        }
        if let Some(me) = &call.only_for {
            conditions.push("(owner IS NULL OR owner = ?)".into());
            values.push(me.as_str().into());
        }
        match query.rating {
            RatingFilter::Any => {}
            RatingFilter::Good => conditions.push("rating = 1".into()),
            RatingFilter::Bad => conditions.push("rating = 0".into()),
            RatingFilter::None => conditions.push("rating IS NULL".into()),
        }
        if let Some(words) = fts_query(&query.search) {
            conditions.push(format!("rowid IN (SELECT rowid >> {SEQ_BITS} FROM words WHERE words MATCH ?)"));
            values.push(words.into());
        }
        if let Some(after) = &query.after {
            // The rows after `after` in this site: earlier, or as early with an id below
            // the bound (see `JournalKey::id_bound_for`).
            match after.id_bound_for(&call.site) {
                None => {
                    conditions.push("started_at <= ?".into());
                    values.push(int(after.at));
                }
                Some(bound) => {
                    conditions.push("(started_at < ? OR (started_at = ? AND conversation < ?))".into());
                    values.extend([int(after.at), int(after.at), bound.into()]);
                }
            }
        }
        let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        values.push(((call.limit + 1) as i64).into());
        let rows: Vec<EntryRow> = self
            .sql()
            .exec(&format!("SELECT entry FROM entries {filter} ORDER BY started_at DESC, conversation DESC LIMIT ?"), values)
            .map_err(|e| EdgeError::BadRequest(format!("The search could not be done: {e}")))?
            .to_array()?;
        let more = rows.len() > call.limit;
        let entries = rows.iter().take(call.limit).map(|row| Ok(serde_json::from_str(&row.entry)?)).collect::<EdgeResult<Vec<_>>>()?;
        Ok(JournalPage { entries, more })
    }
}
