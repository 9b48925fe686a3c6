//! The operator's shift: a conversation's life (waiting → active → closed), who owns
//! it, the visitor's rating, canned replies, routing options and the event webhooks.
//! Frames that carry these are in [`crate::protocol`]; the rules of who may do what
//! are enforced by the edge's `Conversation` object.

use serde::{Deserialize, Serialize};

use crate::contact::VisitorDetails;
use crate::ids::{ConversationId, OperatorId, SiteId};
use crate::protocol::{AuthorKind, Millis};
use crate::settings::Language;

/// Longest comment on a rating, and longest private note on a visitor, in characters.
pub const MAX_COMMENT_CHARS: usize = 1_000;
/// Longest canned reply title and text, in characters.
pub const MAX_CANNED_TITLE_CHARS: usize = 80;
pub const MAX_CANNED_TEXT_CHARS: usize = 2_000;
/// Most canned replies per site, and per operator.
pub const MAX_CANNED: usize = 200;
/// Highest per-operator limit of active conversations under auto-assignment.
pub const MAX_ASSIGN_LIMIT: u8 = 50;
/// How long after closing the `conversation_closed` event waits for the visitor's
/// rating (it goes at once when they rate, or write again).
pub const RATING_WINDOW_MS: u64 = 5 * 60 * 1000;

/// Where a conversation is in its life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationState {
    /// The visitor wrote and no operator has answered (or taken it) yet.
    #[default]
    Waiting,
    /// An operator has it.
    Active,
    /// An operator closed it; the visitor writing again makes it waiting again.
    Closed,
}

impl ConversationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationState::Waiting => "waiting",
            ConversationState::Active => "active",
            ConversationState::Closed => "closed",
        }
    }

    pub fn parse(column: &str) -> Option<ConversationState> {
        match column {
            "waiting" => Some(ConversationState::Waiting),
            "active" => Some(ConversationState::Active),
            "closed" => Some(ConversationState::Closed),
            _ => None,
        }
    }
}

/// An operator as others see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorRef {
    pub id: OperatorId,
    pub name: String,
}

/// The visitor's rating of a closed conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub good: bool,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub at: Millis,
}

/// Checks a rating's comment (or a private note): at most [`MAX_COMMENT_CHARS`].
pub fn check_comment(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.chars().count() > MAX_COMMENT_CHARS {
        return Err(format!("At most {MAX_COMMENT_CHARS} characters"));
    }
    Ok(text.to_owned())
}

/// How a conversation stands, sent on its socket when it opens and on every change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationStatus {
    pub state: ConversationState,
    /// The operator answering it.
    #[serde(default)]
    pub owner: Option<OperatorRef>,
    #[serde(default)]
    pub rating: Option<Rating>,
    /// Refused at the edge (operators only; a visitor is never told).
    #[serde(default)]
    pub blocked: bool,
}

/// `POST …/conversations/{id}/transfer`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferRequest {
    pub to: OperatorId,
}

/// `POST …/conversations/{id}/block`: block (`true`) or unblock the visitor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRequest {
    pub blocked: bool,
}

/// `PUT …/conversations/{id}/visitor`: what an operator corrects about the visitor,
/// and their private note.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorEdit {
    pub name: String,
    pub email: String,
    pub phone: String,
    #[serde(default)]
    pub note: String,
}

impl VisitorEdit {
    /// The details it sets (attributes stay as the page set them), or what is wrong.
    pub fn checked(&self) -> Result<(VisitorDetails, String), String> {
        let details = VisitorDetails { name: self.name.clone(), email: self.email.clone(), phone: self.phone.clone(), attributes: Default::default() }
            .trimmed();
        if !details.is_acceptable() {
            return Err("These details are not valid: check the name, e-mail and phone".into());
        }
        let note = check_comment(&self.note).map_err(|e| format!("Note: {e}"))?;
        Ok((details, note))
    }
}

/// An operator of the site, for the transfer dialog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Teammate {
    pub id: OperatorId,
    pub name: String,
    pub online: bool,
    pub away: bool,
}

/// A canned reply: the site's (admins manage them) or one operator's own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedReply {
    pub id: String,
    pub title: String,
    pub text: String,
    pub language: Language,
    /// Only its author sees it.
    pub personal: bool,
}

/// `POST …/canned` and `PUT …/canned/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedDraft {
    pub title: String,
    pub text: String,
    pub language: Language,
    pub personal: bool,
}

impl CannedDraft {
    pub fn check(&self) -> Result<(), String> {
        let title = self.title.trim().chars().count();
        if title == 0 || title > MAX_CANNED_TITLE_CHARS || self.title.chars().any(char::is_control) {
            return Err(format!("Title: 1 to {MAX_CANNED_TITLE_CHARS} characters on one line"));
        }
        let text = self.text.trim().chars().count();
        if text == 0 || text > MAX_CANNED_TEXT_CHARS {
            return Err(format!("Text: 1 to {MAX_CANNED_TEXT_CHARS} characters"));
        }
        Ok(())
    }
}

/// The canned replies that match what the operator typed after "/", best first: the
/// visitor's language before the others, then titles that start with the query, then
/// titles or texts that contain it (case-insensitively).
pub fn search_canned<'a>(replies: &'a [CannedReply], query: &str, language: Option<Language>) -> Vec<&'a CannedReply> {
    let query = query.trim().to_lowercase();
    let mut found: Vec<(u8, &CannedReply)> = replies
        .iter()
        .filter_map(|reply| {
            let title = reply.title.to_lowercase();
            let rank = if title.starts_with(&query) {
                0
            } else if title.contains(&query) || reply.text.to_lowercase().contains(&query) {
                1
            } else {
                return None;
            };
            let other_language = u8::from(language.is_some_and(|l| l != reply.language));
            Some((other_language * 2 + rank, reply))
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.title.cmp(&b.1.title)));
    found.into_iter().map(|(_, reply)| reply).collect()
}

/// Per site: how conversations find operators, and what agents see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Routing {
    /// A new waiting conversation goes to the online, not-away operator with the fewest
    /// active conversations (under `assign_limit`); the rest wait in a shared queue.
    pub auto_assign: bool,
    pub assign_limit: u8,
    /// Agents see only their own and unassigned conversations; admins see all.
    pub hide_others: bool,
}

impl Default for Routing {
    fn default() -> Self {
        Routing { auto_assign: false, assign_limit: 3, hide_others: false }
    }
}

impl Routing {
    pub fn is_default(&self) -> bool {
        *self == Routing::default()
    }
}

pub fn check_routing(routing: &Routing) -> Result<(), String> {
    if routing.assign_limit == 0 || routing.assign_limit > MAX_ASSIGN_LIMIT {
        return Err(format!("The limit is 1 to {MAX_ASSIGN_LIMIT} conversations per operator"));
    }
    Ok(())
}

/// What the site's webhook can be told of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    ConversationStarted,
    /// Taken, auto-assigned, or transferred (again on each transfer).
    ConversationAssigned,
    /// With the transcript and the rating.
    ConversationClosed,
    OfflineMessage,
    VisitorRated,
}

impl EventKind {
    pub const ALL: [EventKind; 5] = [
        EventKind::ConversationStarted,
        EventKind::ConversationAssigned,
        EventKind::ConversationClosed,
        EventKind::OfflineMessage,
        EventKind::VisitorRated,
    ];

    /// As in the body's `event` and the `X-Natter-Event` header.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ConversationStarted => "conversation_started",
            EventKind::ConversationAssigned => "conversation_assigned",
            EventKind::ConversationClosed => "conversation_closed",
            EventKind::OfflineMessage => "offline_message",
            EventKind::VisitorRated => "visitor_rated",
        }
    }
}

/// Which events the webhook gets: offline messages only, unless the admin chose more.
pub fn default_webhook_events() -> Vec<EventKind> {
    vec![EventKind::OfflineMessage]
}

#[allow(clippy::ptr_arg)] // serde's `skip_serializing_if` passes a `&Vec`
pub fn are_default_events(events: &Vec<EventKind>) -> bool {
    *events == default_webhook_events()
}

#[allow(clippy::ptr_arg)] // the settings reader checks a `&T`, here `T = Vec<EventKind>`
pub fn check_webhook_events(events: &Vec<EventKind>) -> Result<(), String> {
    match events.iter().enumerate().any(|(i, e)| events[..i].contains(e)) {
        true => Err("An event is listed twice".into()),
        false => Ok(()),
    }
}

/// A line of a transcript.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLine {
    pub author: AuthorKind,
    pub name: String,
    pub text: String,
    pub at: Millis,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto: bool,
    /// The file it carried, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// The visitor as an event tells of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventVisitor {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub page_url: String,
}

/// The body POSTed to the site's webhook for a conversation event (offline messages
/// keep their own body, [`crate::protocol::OfflineNotice`], with `event` added). `id`
/// is the same on every retry, so a receiver acts on it once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventNotice {
    pub id: String,
    pub event: EventKind,
    pub site: SiteId,
    pub conversation: ConversationId,
    pub at: Millis,
    pub visitor: EventVisitor,
    /// The operator it went to (assigned) or who closed it (closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<OperatorRef>,
    /// The operator it was taken from (a transfer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<OperatorRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<Vec<TranscriptLine>>,
}

/// How a webhook delivery went, for the settings page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not tried yet, or failed and to be retried.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Dropped: the site had no webhook when it came due.
    Dropped,
}

/// One of the site's recent webhook deliveries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryInfo {
    pub id: String,
    pub event: String,
    pub state: DeliveryState,
    pub attempts: u32,
    /// The receiver's last HTTP status (none: not tried, or unreachable).
    pub status: Option<u16>,
    pub at: Millis,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(title: &str, text: &str, language: Language) -> CannedReply {
        CannedReply { id: title.into(), title: title.into(), text: text.into(), language, personal: false }
    }

    #[test]
    fn canned_replies_are_found_by_title_then_text_in_the_visitors_language_first() {
        let replies = [
            reply("Delivery", "We deliver in 2 days", Language::En),
            reply("Доставка", "Доставим за 2 дня", Language::Ru),
            reply("Payment", "Cards and delivery on credit", Language::En),
            reply("Hello", "Hello! How can I help?", Language::En),
        ];
        let titles = |found: Vec<&CannedReply>| found.iter().map(|r| r.title.clone()).collect::<Vec<_>>();
        assert_eq!(titles(search_canned(&replies, "deli", Some(Language::En))), ["Delivery", "Payment"]);
        assert_eq!(titles(search_canned(&replies, "ДОСТ", None)), ["Доставка"]);
        assert_eq!(titles(search_canned(&replies, "", Some(Language::Ru)))[0], "Доставка");
        assert!(search_canned(&replies, "zzz", None).is_empty());
    }

    #[test]
    fn drafts_routing_and_events_are_checked() {
        let good = CannedDraft { title: "Hi".into(), text: "Hello!".into(), language: Language::En, personal: true };
        assert_eq!(good.check(), Ok(()));
        assert!(CannedDraft { title: " ".into(), ..good.clone() }.check().unwrap_err().starts_with("Title"));
        assert!(CannedDraft { text: "x".repeat(2_001), ..good }.check().unwrap_err().starts_with("Text"));
        assert!(check_routing(&Routing { assign_limit: 0, ..Routing::default() }).is_err());
        assert_eq!(check_routing(&Routing::default()), Ok(()));
        assert!(check_webhook_events(&vec![EventKind::VisitorRated, EventKind::VisitorRated]).is_err());
        assert_eq!(serde_json::to_value(EventKind::ConversationClosed).unwrap(), "conversation_closed");
        for kind in EventKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert!(check_comment(&"x".repeat(1_001)).is_err());
        assert_eq!(check_comment("  fine "), Ok("fine".into()));
    }

    #[test]
    fn a_visitor_edit_is_checked_like_the_introduce_form() {
        let edit = VisitorEdit { name: " Anna ".into(), email: "anna@shop.example".into(), phone: String::new(), note: "VIP".into() };
        let (details, note) = edit.checked().unwrap();
        assert_eq!((details.name.as_str(), note.as_str()), ("Anna", "VIP"));
        assert!(VisitorEdit { email: "not an email".into(), ..edit }.checked().is_err());
    }
}
