//! The operators' inbox, page by page: its filters, its one order, and the counts the
//! filters show. The site answers pages in this order; the console sorts live changes
//! into it the same way.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::ids::{ConversationId, OperatorId};
use crate::protocol::ConversationSummary;
use crate::shift::ConversationState;

/// How many conversations a page of the inbox holds.
pub const INBOX_PAGE: usize = 50;

/// Put after every waiting visitor: conversations nobody waits in sort by this minus
/// their last message's time (newest first), far above any time a visitor waits since.
const NOT_WAITING: i64 = 100_000_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxFilter {
    /// Nobody has answered or taken them.
    Waiting,
    /// This operator's.
    Mine,
    /// Waiting and taken: every open conversation.
    Active,
}

impl InboxFilter {
    pub const ALL: [InboxFilter; 3] = [InboxFilter::Waiting, InboxFilter::Mine, InboxFilter::Active];

    pub fn admits(self, summary: &ConversationSummary, me: Option<&OperatorId>) -> bool {
        match self {
            InboxFilter::Waiting => summary.state == ConversationState::Waiting && summary.owner.is_none(),
            InboxFilter::Mine => summary.state != ConversationState::Closed && summary.owner.as_ref().is_some_and(|o| Some(&o.id) == me),
            InboxFilter::Active => summary.state != ConversationState::Closed,
        }
    }
}

/// Where a conversation stands in the inbox: the visitor who has waited longest first,
/// then the rest, newest first; ties by id. (The site's SQL sorts by the same.)
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InboxKey {
    pub rank: i64,
    pub id: ConversationId,
}

impl InboxKey {
    pub fn of(summary: &ConversationSummary) -> InboxKey {
        let rank = match summary.waiting_since {
            Some(since) => since as i64,
            None => NOT_WAITING - summary.last_at as i64,
        };
        InboxKey { rank, id: summary.id.clone() }
    }

    /// The same rank in SQL, over the site's `conversations` table.
    pub const SQL_RANK: &'static str = "COALESCE(waiting_since, 100000000000000 - last_at)";
}

/// The inbox's order (see [`InboxKey`]).
pub fn order(a: &ConversationSummary, b: &ConversationSummary) -> Ordering {
    InboxKey::of(a).cmp(&InboxKey::of(b))
}

/// How many conversations each filter holds for one operator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxCounts {
    pub waiting: u64,
    pub mine: u64,
    pub active: u64,
}

impl InboxCounts {
    pub fn get(&self, filter: InboxFilter) -> u64 {
        match filter {
            InboxFilter::Waiting => self.waiting,
            InboxFilter::Mine => self.mine,
            InboxFilter::Active => self.active,
        }
    }
}

/// A page of one filter, in the inbox's order, after the key asked (or from the
/// start); `more` when later ones exist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxPage {
    pub filter: InboxFilter,
    pub conversations: Vec<ConversationSummary>,
    pub more: bool,
}

impl InboxPage {
    /// Where the next page starts: after the last conversation of this one.
    pub fn last_key(&self) -> Option<InboxKey> {
        self.conversations.last().map(InboxKey::of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::AuthorKind;

    fn summary(id: &str, waiting_since: Option<u64>, last_at: u64) -> ConversationSummary {
        ConversationSummary {
            id: ConversationId::parse(id).unwrap(),
            visitor_name: "V".into(),
            last_text: String::new(),
            last_author: AuthorKind::Visitor,
            last_at,
            last_seq: crate::ids::Seq(1),
            unread: 0,
            page_url: String::new(),
            offline: false,
            state: if waiting_since.is_some() { ConversationState::Waiting } else { ConversationState::Active },
            owner: None,
            waiting_since,
            last_auto: false,
            last_name: String::new(),
            rating: None,
            language: String::new(),
            revision: 1,
            channel: None,
        }
    }

    #[test]
    fn the_longest_waiting_come_first_then_the_newest() {
        let mut list = vec![
            summary("a", None, 1_796_000_000_000),
            summary("b", Some(1_796_000_000_500), 1_796_000_000_500),
            summary("c", None, 1_796_000_009_000),
            summary("d", Some(1_796_000_000_100), 1_796_000_009_999),
            summary("e", Some(1_796_000_000_100), 1_796_000_000_100),
        ];
        list.sort_by(order);
        let ids: Vec<&str> = list.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["d", "e", "b", "c", "a"]);
    }
}
