//! The `Site`'s inbox, page by page: each filter's pages in the inbox's one order
//! (`natter_shared::inbox::InboxKey`), and the counts the console's filters show,
//! both as one operator may see them (an agent on a site that hides others'
//! conversations sees only their own and unassigned ones).

use natter_shared::inbox::{InboxCounts, InboxFilter, InboxKey, InboxPage, INBOX_PAGE};
use natter_shared::protocol::{ConversationSummary, InboxFrame};
use serde::{Deserialize, Serialize};
use worker::SqlStorageValue;

use crate::error::EdgeResult;
use crate::internal::InboxWatcher;
use crate::site::Site;

pub const SCHEMA: &str = "
CREATE INDEX IF NOT EXISTS conversations_by_rank ON conversations (state, COALESCE(waiting_since, 100000000000000 - last_at), conversation);
CREATE INDEX IF NOT EXISTS conversations_by_owner ON conversations (owner, state);
";

/// A page asked for by an operator's console.
#[derive(Serialize, Deserialize)]
pub struct PageCall {
    pub watcher: InboxWatcher,
    pub filter: InboxFilter,
    pub after: Option<InboxKey>,
}

#[derive(Deserialize)]
struct SummaryRow {
    summary: String,
}

#[derive(Deserialize)]
struct CountsRow {
    waiting: u64,
    mine: u64,
    active: u64,
}

impl Site {
    /// What a filter holds for this operator, as SQL over `conversations`.
    fn filter_sql(&self, watcher: &InboxWatcher, filter: InboxFilter) -> EdgeResult<(String, Vec<SqlStorageValue>)> {
        let me: SqlStorageValue = watcher.operator.as_str().into();
        let (mut sql, mut values) = match filter {
            InboxFilter::Waiting => ("state = 'waiting' AND owner IS NULL".to_owned(), vec![]),
            InboxFilter::Mine => ("state != 'closed' AND owner = ?".to_owned(), vec![me.clone()]),
            InboxFilter::Active => ("state != 'closed'".to_owned(), vec![]),
        };
        if self.restricts(watcher.role)? {
            sql.push_str(" AND (owner IS NULL OR owner = ?)");
            values.push(me);
        }
        Ok((sql, values))
    }

    /// A page of `filter` after `after` (or from the start).
    pub(crate) fn inbox_page(&self, watcher: &InboxWatcher, filter: InboxFilter, after: Option<&InboxKey>) -> EdgeResult<InboxPage> {
        let rank = InboxKey::SQL_RANK;
        let (mut sql, mut values) = self.filter_sql(watcher, filter)?;
        if let Some(after) = after {
            sql.push_str(&format!(" AND ({rank} > ? OR ({rank} = ? AND conversation > ?))"));
            values.extend([after.rank.into(), after.rank.into(), after.id.as_str().into()]);
        }
        values.push((INBOX_PAGE as i64 + 1).into());
        let rows: Vec<SummaryRow> = self
            .sql()
            .exec(&format!("SELECT summary FROM conversations WHERE {sql} ORDER BY {rank}, conversation LIMIT ?"), values)?
            .to_array()?;
        let more = rows.len() > INBOX_PAGE;
        let conversations =
            rows.iter().take(INBOX_PAGE).map(|row| Ok(serde_json::from_str(&row.summary)?)).collect::<EdgeResult<Vec<ConversationSummary>>>()?;
        Ok(InboxPage { filter, conversations, more })
    }

    /// How many conversations each filter holds for this operator.
    pub(crate) fn inbox_counts(&self, watcher: &InboxWatcher) -> EdgeResult<InboxCounts> {
        let mut parts = Vec::new();
        let mut values = Vec::new();
        for (filter, name) in [(InboxFilter::Waiting, "waiting"), (InboxFilter::Mine, "mine"), (InboxFilter::Active, "active")] {
            let (sql, filter_values) = self.filter_sql(watcher, filter)?;
            parts.push(format!("(SELECT COUNT(*) FROM conversations WHERE {sql}) AS {name}"));
            values.extend(filter_values);
        }
        let rows: Vec<CountsRow> = self.sql().exec(&format!("SELECT {}", parts.join(", ")), values)?.to_array()?;
        Ok(rows.first().map_or_else(InboxCounts::default, |r| InboxCounts { waiting: r.waiting, mine: r.mine, active: r.active }))
    }

    /// The frame a console gets when its inbox socket opens: the first page of every
    /// open conversation, and the counts.
    pub(crate) fn inbox_opening(&self, watcher: &InboxWatcher) -> EdgeResult<InboxFrame> {
        let page = self.inbox_page(watcher, InboxFilter::Active, None)?;
        Ok(InboxFrame::Inbox { conversations: page.conversations, more: page.more, counts: Some(self.inbox_counts(watcher)?) })
    }
}
