//! Live visitors: what a host page's loader reports (a page view, held open as a long
//! poll while the tab is visible, so a chat an operator starts reaches it at once), the
//! rows the console's Visitors table shows, and the checks on both.

use serde::{Deserialize, Serialize};

use crate::ids::{ConversationId, SiteId};
use crate::limits::clip_context;
use crate::protocol::{Millis, VisitorSession};
use crate::shift::OperatorRef;

/// Shards of a site's presence: visitors are spread over this many objects by their id.
pub const SHARDS: u32 = 16;
/// How long the edge holds a page view before answering "nothing" (the loader asks
/// again at once): one request a minute per visible tab.
pub const HOLD_MS: u64 = 55_000;
/// A visitor with no page view held open and none asked for this long is gone (a tab
/// asks again at once after each answer; a hidden or closed one stops asking).
pub const GONE_MS: u64 = 15_000;
/// Rows one Visitors table shows (the total is told too).
pub const MAX_ROWS: usize = 500;
/// Pages of one visit kept per visitor.
pub const MAX_PAGES: usize = 50;
/// Most priority pages a site lists.
pub const MAX_PRIORITY_PAGES: usize = 20;

/// A visitor's id for presence: random, made by the loader and kept in the browser.
pub fn check_presence_id(id: &str) -> Result<(), String> {
    if id.len() < 16 || id.len() > 64 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("The visitor's id must be 16 to 64 hexadecimal characters".into());
    }
    Ok(())
}

/// The shard a visitor's presence lives in (FNV-1a of the id).
pub fn shard_of(id: &str) -> u32 {
    let hash = id.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    hash % SHARDS
}

/// What the loader sends with each page view (and each time it asks again).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageView {
    pub id: String,
    /// This tab's own random id, so two tabs of one visitor are told apart.
    pub tab: String,
    pub url: String,
    #[serde(default)]
    pub title: String,
    /// This page's referrer; the first page's of a visit says where the visitor came
    /// from (the browser keeps no page data: the edge keeps it for the visit).
    #[serde(default)]
    pub referrer: String,
    /// The visit as the loader counts it (for the rules too).
    #[serde(default)]
    pub visit: VisitCounts,
    /// The visitor's conversation, if they have one.
    #[serde(default)]
    pub conversation: Option<ConversationId>,
}

/// The loader's count of the visit (`shared::rules::Visit` as it keeps it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitCounts {
    /// Visits so far, this one included.
    #[serde(default)]
    pub visits: u32,
    /// When this visit began (the browser's clock).
    #[serde(default)]
    pub started: Millis,
    /// Pages viewed in this visit.
    #[serde(default)]
    pub pages_viewed: u32,
}

impl PageView {
    /// Checks the ids and clips the page's texts as stored elsewhere.
    pub fn checked(mut self) -> Result<PageView, String> {
        check_presence_id(&self.id)?;
        check_presence_id(&self.tab)?;
        self.url = clip_context(&self.url);
        self.title = clip_context(&self.title);
        self.referrer = clip_context(&self.referrer);
        Ok(self)
    }
}

/// The edge's answer to a page view: an operator started a chat (a session the loader
/// keeps as its own, then loads the widget), or nothing (ask again).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceAnswer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<Invitation>,
}

/// A chat an operator started: a new visitor session for a visitor who had none, or
/// just the word for one whose widget is not loaded yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<VisitorSession>,
    pub conversation: ConversationId,
}

/// A page of the visit and when the visitor came to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitedPage {
    pub url: String,
    pub title: String,
    pub at: Millis,
}

/// A visitor on the site now, as the Visitors table shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveVisitor {
    pub id: String,
    pub site: SiteId,
    /// Their name in the conversation, or "Visitor 1a2b".
    pub name: String,
    /// This visit's pages, oldest first; the last is the current one.
    pub pages: Vec<VisitedPage>,
    pub referrer: String,
    pub visits: u32,
    /// Pages viewed in this visit (as the browser counted, over every tab).
    pub page_views: u32,
    pub visit_started: Millis,
    pub last_seen: Millis,
    #[serde(default)]
    pub conversation: Option<ConversationId>,
    /// Messages in their conversation.
    #[serde(default)]
    pub messages: u64,
    /// The operator talking to them.
    #[serde(default)]
    pub operator: Option<OperatorRef>,
    /// The current page is one the owner listed as a priority page.
    #[serde(default)]
    pub priority: bool,
}

impl LiveVisitor {
    pub fn current(&self) -> Option<&VisitedPage> {
        self.pages.last()
    }
}

/// The Visitors table: up to [`MAX_ROWS`] rows, priority pages first, then the longest
/// on the site; `total` counts them all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorsList {
    pub visitors: Vec<LiveVisitor>,
    pub total: usize,
}

/// An operator starts a chat with a visitor on the site: their first message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatStart {
    pub text: String,
}

/// Whether a page is one of the site's priority pages: its address contains one of
/// them (compared without case).
pub fn is_priority(url: &str, priority_pages: &[String]) -> bool {
    let url = url.to_lowercase();
    priority_pages.iter().map(|p| p.trim().to_lowercase()).any(|p| !p.is_empty() && url.contains(&p))
}

/// Sorts rows as the table shows them and keeps the first [`MAX_ROWS`].
pub fn order(mut visitors: Vec<LiveVisitor>) -> VisitorsList {
    let total = visitors.len();
    visitors.sort_by(|a, b| (!a.priority, a.visit_started, &a.id).cmp(&(!b.priority, b.visit_started, &b.id)));
    visitors.truncate(MAX_ROWS);
    VisitorsList { visitors, total }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_hex_and_spread_over_every_shard() {
        assert!(check_presence_id("0123456789abcdef").is_ok());
        assert!(check_presence_id("0123").is_err());
        assert!(check_presence_id("0123456789abcdeg").is_err());
        let mut seen = [0u32; SHARDS as usize];
        for i in 0..16_000u32 {
            seen[shard_of(&format!("{:016x}", u64::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15))) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800 && n < 1_200), "{seen:?}");
    }

    #[test]
    fn a_page_view_is_checked_and_clipped() {
        let view = PageView { id: "a".repeat(16), tab: "b".repeat(16), url: "x".repeat(5_000), ..PageView::default() };
        assert!(view.clone().checked().unwrap().url.chars().count() < 5_000);
        assert_eq!(PageView { tab: "no".into(), ..view }.checked(), Err("The visitor's id must be 16 to 64 hexadecimal characters".into()));
    }

    #[test]
    fn priority_pages_match_by_containing_any_case() {
        let pages = vec!["/Checkout".to_owned(), " ".to_owned()];
        assert!(is_priority("https://shop.example/checkout/step-2", &pages));
        assert!(!is_priority("https://shop.example/catalog", &pages));
        assert!(!is_priority("https://shop.example/", &[]));
    }

    #[test]
    fn priority_first_then_the_longest_on_the_site() {
        let row = |id: &str, started, priority| LiveVisitor {
            id: id.into(),
            site: SiteId::parse("demo").unwrap(),
            name: id.into(),
            pages: vec![],
            referrer: String::new(),
            visits: 1,
            page_views: 1,
            visit_started: started,
            last_seen: 0,
            conversation: None,
            messages: 0,
            operator: None,
            priority,
        };
        let list = order(vec![row("a", 5, false), row("b", 9, true), row("c", 1, false)]);
        assert_eq!(list.visitors.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(), ["b", "c", "a"]);
        assert_eq!(list.total, 3);
    }
}
