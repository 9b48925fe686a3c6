//! Protocol v1. Frames are internally tagged JSON objects (`{"type": "send", …}`).
//! Each enum has an `Unknown` catch-all, so an older peer survives frames that a newer
//! one sends: the server answers them with an `unknown_frame` error, clients ignore them.

use serde::{Deserialize, Serialize};

use crate::contact::VisitorDetails;
use crate::files::Attachment;
use crate::identity::{Identity, VerifiedUser};
use crate::ids::{ClientMessageId, ConversationId, OperatorId, Seq, SiteId, VisitorId};
use crate::inbox::InboxCounts;
use crate::limits::check_frame_size;
use crate::settings::{FieldError, JsonObject, WidgetSettings};
use crate::shift::{ConversationState, ConversationStatus, EventKind, OperatorRef, Rating};
use crate::Error;

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u16 = 1;

/// The close code of a socket whose session ended (revoked, or its token expired while
/// it was open): a console signs in again, a widget gets a new visitor token and keeps
/// its outbox.
pub const SESSION_ENDED: u16 = 4001;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = u64;

/// Who wrote something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    Visitor,
    Operator,
}

/// A message's author as shown to the other side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub kind: AuthorKind,
    /// Display name: the operator's name, or the visitor's name or placeholder.
    pub name: String,
    /// The operator's picture (an https URL, or one the edge serves), as their profile
    /// had it when the message was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
}

/// A stored message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub seq: Seq,
    pub client_id: ClientMessageId,
    pub author: Author,
    /// May be empty when the message carries a file.
    pub text: String,
    pub at: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    /// Sent by one of the site's auto-action rules (the author's name is the rule's).
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto: bool,
}

/// What the visitor's page tells about where the visitor is (sent in `hello`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageContext {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub referrer: String,
    #[serde(default)]
    pub language: String,
}

/// What operators see about a visitor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorInfo {
    /// The name the visitor gave, or a placeholder.
    pub name: String,
    /// What the visitor told about themselves (empty until they introduce themselves).
    #[serde(default)]
    pub details: VisitorDetails,
    pub page: PageContext,
    /// The browser's user agent, as the edge saw it.
    pub user_agent: String,
    /// A signed-in user of the host site whose signature the edge checked (`identify`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<VerifiedUser>,
    /// The visitor has the site open now (a tab with the chat connected).
    #[serde(default)]
    pub online: bool,
    /// The operators' private note on the visitor.
    #[serde(default)]
    pub note: String,
    /// The messenger the visitor writes from, if not the widget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<crate::channels::ChannelKind>,
}

/// Frames a client (a visitor's widget or an operator's console) sends on a
/// conversation socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClientFrame {
    /// First frame on a socket: the version, the last `seq` the client has, and (from
    /// the widget) the page the visitor is on. The server answers `welcome`, then every
    /// message after `after`.
    Hello {
        protocol: u16,
        #[serde(default)]
        after: Seq,
        #[serde(default)]
        page: Option<PageContext>,
    },
    /// A new message. Sending the same `client_id` again stores nothing new and is
    /// acknowledged with the original `seq`.
    Send {
        client_id: ClientMessageId,
        text: String,
        /// Left through the offline form. The edge decides by itself whether a message
        /// is an offline one (nobody online when it is stored); this flag only says the
        /// visitor believed so, which counts when presence cannot be learned.
        #[serde(default, skip_serializing_if = "is_false")]
        offline: bool,
        /// A file uploaded first (`POST …/files`); the text may then be empty.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attachment: Option<Attachment>,
    },
    /// A message an auto-action rule sent in the visitor's widget, shown as the
    /// operator's. Kept by the edge until the visitor's first message creates the
    /// conversation (then stored before it), stored at once after that; acked like
    /// `send`. Dropped (quietly: the visitor cannot help it) unless the site has that
    /// rule with that text.
    Auto { client_id: ClientMessageId, rule: String, text: String },
    /// The visitor's own details ("Introduce yourself"); sent again on every connect.
    Introduce { details: VisitorDetails },
    /// On the inbox socket: the operator steps away (not counted as online) or back.
    Away { away: bool },
    /// The author started or stopped typing.
    Typing { typing: bool },
    /// The client has shown every message up to `seq`.
    Read { seq: Seq },
    /// Asks again for the messages after `after` (e.g. after a gap was noticed): at
    /// most a page ([`REPLAY_PAGE`](crate::limits::REPLAY_PAGE)), oldest first; ask
    /// again from the last one for more.
    Resume { after: Seq },
    /// Asks for the page of messages just before `before` (scrolling back): answered
    /// with an `earlier` frame.
    Earlier { before: Seq },
    /// The visitor rates a closed conversation (again: the rating is replaced).
    Rate { good: bool, #[serde(default)] comment: String },
    #[serde(other)]
    Unknown,
}

/// Frames the server sends on a conversation socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ServerFrame {
    /// The answer to `hello`.
    Welcome {
        protocol: u16,
        conversation: ConversationId,
        /// The newest `seq` stored (0 when the conversation has no message yet).
        last_seq: Seq,
        /// How far the visitor and the operators have read.
        visitor_read: Seq,
        operator_read: Seq,
        /// The catch-up that follows holds the messages after this `seq`: at most the
        /// newest page. Messages up to it that the client does not have are earlier
        /// ones, to page back to with `earlier`, not a gap.
        #[serde(default)]
        from: Seq,
    },
    /// A `send` was stored as `seq`. `offline`: nobody was online when it was stored,
    /// so it is an offline message (marked for operators, sent to the site's webhook),
    /// whatever the widget believed when it sent it.
    Ack {
        client_id: ClientMessageId,
        seq: Seq,
        #[serde(default, skip_serializing_if = "is_false")]
        offline: bool,
    },
    /// A stored message, live or caught up after `hello` / `resume`.
    Message(Message),
    Typing { author: AuthorKind, name: String, typing: bool },
    /// `by` has read every message up to `seq`.
    Read { by: AuthorKind, seq: Seq },
    /// Who the visitor is and where (sent to operators only).
    Visitor(VisitorInfo),
    /// How the conversation stands: after `welcome`, and on every change.
    Status(ConversationStatus),
    /// The answer to `earlier`: the messages just before the `seq` asked, oldest
    /// first (at most a page; none when there are no earlier ones).
    Earlier { before: Seq, messages: Vec<Message> },
    /// The last frame (or request) was refused; the socket stays open.
    Error(ErrorBody),
    #[serde(other)]
    Unknown,
}

impl ServerFrame {
    /// Reads a frame by its `type` first, then only that kind's members, each by its
    /// own type's rules. The widget reads frames so: serde's way for an internally
    /// tagged enum buffers every frame into a tree first, which cost the widget ≈ 20 KB
    /// of its download. `None` if it is not such a frame; a `type` this version does
    /// not know is `Unknown`, as serde reads it.
    pub fn read_object<O: JsonObject>(mut object: O) -> Option<ServerFrame> {
        fn need<T: serde::de::DeserializeOwned>(object: &mut impl JsonObject, key: &str) -> Option<T> {
            object.take(key)?.ok()
        }
        fn or_default<T: serde::de::DeserializeOwned + Default>(object: &mut impl JsonObject, key: &str) -> Option<T> {
            object.take(key).map_or(Some(T::default()), Result::ok)
        }
        let kind: String = need(&mut object, "type")?;
        let o = &mut object;
        Some(match kind.as_str() {
            "welcome" => ServerFrame::Welcome {
                protocol: need(o, "protocol")?,
                conversation: need(o, "conversation")?,
                last_seq: need(o, "last_seq")?,
                visitor_read: need(o, "visitor_read")?,
                operator_read: need(o, "operator_read")?,
                from: or_default(o, "from")?,
            },
            "ack" => ServerFrame::Ack { client_id: need(o, "client_id")?, seq: need(o, "seq")?, offline: or_default(o, "offline")? },
            "typing" => ServerFrame::Typing { author: need(o, "author")?, name: need(o, "name")?, typing: need(o, "typing")? },
            "read" => ServerFrame::Read { by: need(o, "by")?, seq: need(o, "seq")? },
            "earlier" => ServerFrame::Earlier { before: need(o, "before")?, messages: need(o, "messages")? },
            "message" => ServerFrame::Message(object.into_value()?),
            "visitor" => ServerFrame::Visitor(object.into_value()?),
            "status" => ServerFrame::Status(object.into_value()?),
            "error" => ServerFrame::Error(object.into_value()?),
            _ => ServerFrame::Unknown,
        })
    }
}

/// A conversation as listed in the operators' inbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub visitor_name: String,
    pub last_text: String,
    pub last_author: AuthorKind,
    pub last_at: Millis,
    pub last_seq: Seq,
    /// Visitor messages the operators have not read yet.
    pub unread: u64,
    pub page_url: String,
    /// The visitor's last message was left through the offline form.
    #[serde(default)]
    pub offline: bool,
    #[serde(default)]
    pub state: ConversationState,
    /// The operator answering it.
    #[serde(default)]
    pub owner: Option<OperatorRef>,
    /// Since when the visitor has waited for an answer: their oldest message no
    /// operator has answered (automatic messages are no answer).
    #[serde(default)]
    pub waiting_since: Option<Millis>,
    /// The last message was sent by an auto-action rule.
    #[serde(default)]
    pub last_auto: bool,
    /// Who wrote the last message (an operator's name, the rule's, the visitor's).
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub rating: Option<Rating>,
    /// The visitor's browser language, as the widget told it.
    #[serde(default)]
    pub language: String,
    /// Grows with every report, so the site keeps the newest.
    #[serde(default)]
    pub revision: u64,
    /// The messenger the visitor writes from (their bot's users), if not the widget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<crate::channels::ChannelKind>,
}

/// An operator of the site who is online (has a console open).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorPresence {
    pub id: OperatorId,
    pub name: String,
    /// Console open but stepped away: not counted as online for visitors.
    #[serde(default)]
    pub away: bool,
}

/// Frames the server sends on an operator's inbox socket (one per console tab).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum InboxFrame {
    /// Sent when the socket opens: the first page of every open conversation, in the
    /// inbox's order (`crate::inbox::order`); `more` when there are further pages
    /// (`GET …/inbox?filter=…`), and how many each filter holds.
    Inbox {
        conversations: Vec<ConversationSummary>,
        #[serde(default)]
        more: bool,
        #[serde(default)]
        counts: Option<InboxCounts>,
    },
    /// How many conversations each filter holds now (after a change).
    Counts(InboxCounts),
    /// One conversation was created or changed.
    Conversation(ConversationSummary),
    /// Who is online now, each operator once, by name; sent whenever it changes.
    Presence { online: Vec<OperatorPresence> },
    /// The conversation left this operator's inbox (closed, or, with "hide others'
    /// conversations", now another agent's).
    Removed { id: ConversationId },
    Error(ErrorBody),
    #[serde(other)]
    Unknown,
}

/// Stable error codes: clients switch on these, people read `message`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    BadFrame,
    UnknownFrame,
    FrameTooLarge,
    MessageTooLong,
    EmptyMessage,
    InvalidInput,
    UnsupportedProtocol,
    Unauthorized,
    TokenExpired,
    Forbidden,
    NotFound,
    OriginNotAllowed,
    MethodNotAllowed,
    /// A settings document was refused; `fields` says where and why.
    InvalidSettings,
    /// A file over the size limit.
    FileTooLarge,
    /// A file of a type that is not accepted, or not what its name says.
    UnsupportedFile,
    /// `identify` was refused: the signature is missing, wrong or expired.
    IdentityRefused,
    /// Too many attempts: wait the `Retry-After` seconds and try again.
    RateLimited,
    /// The site's owner switched its chat off.
    SiteDisabled,
    /// It already exists (an e-mail with an account), or the change would leave an
    /// organisation without an admin; or another operator has the conversation.
    Conflict,
    /// The visitor was blocked by the site's operators (told neutrally).
    Blocked,
    Internal,
    #[serde(other)]
    Unknown,
}

/// An error as clients see it: a frame on a socket, or the body of an HTTP error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// With `rate_limited`: the seconds to wait before trying again (what HTTP's
    /// `Retry-After` says, also on a socket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
}

/// The HTTP 422 body of a refused settings document: an [`ErrorBody`] with code
/// `invalid_settings`, plus where and why. A type of its own, so the widget (which
/// never saves settings) carries no code for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidSettingsBody {
    pub code: ErrorCode,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl From<&Error> for ErrorBody {
    fn from(error: &Error) -> Self {
        ErrorBody { code: error.code(), message: error.to_string(), retry_after: None }
    }
}

fn offline_event() -> EventKind {
    EventKind::OfflineMessage
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Parses a client frame from a socket, checking its size first.
pub fn parse_client_frame(raw: &str) -> Result<ClientFrame, Error> {
    check_frame_size(raw.len())?;
    match serde_json::from_str::<ClientFrame>(raw) {
        Ok(ClientFrame::Unknown) => Err(Error::UnknownFrame),
        Ok(frame) => Ok(frame),
        Err(e) => Err(Error::BadFrame(e.to_string())),
    }
}

// REST bodies.

/// `POST /v1/sites/{site}/visitors`: a new anonymous visitor and their conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorSession {
    pub token: String,
    pub visitor: VisitorId,
    pub conversation: ConversationId,
}

/// `POST /v1/console/sign-in` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    pub email: String,
    pub password: String,
}

/// What an operator may do on their site.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Answers conversations.
    #[default]
    Agent,
    /// Also changes the site's settings.
    Admin,
}

/// `POST /v1/console/sign-in` answer (and of signing up, joining, resetting a
/// password): the console keeps `token` for its requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorSession {
    pub token: String,
    pub operator: OperatorId,
    pub name: String,
    #[serde(default)]
    pub role: Role,
}

/// `GET` and `PUT /v1/console/settings` answer: the site's widget settings and their
/// revision (part of the `ETag` of `GET /v1/sites/{site}/widget`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingsDocument {
    pub revision: u64,
    pub settings: WidgetSettings,
}

/// `GET /v1/sites/{site}/status` answer: whether an operator is there to chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteStatus {
    pub online: bool,
}

/// `GET /v1/conversations/{id}/unread` answer: the operators' messages the visitor has
/// not read (what a returning visitor's launcher shows before the widget loads).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unread {
    pub unread: u64,
}

/// `GET /v1/console/secret` answer: the site secret (admins only), which signs the
/// notification webhook's requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteSecret {
    pub secret: String,
    /// Signs signed-in users for `identify` (docs/js-api.md); rotatable on its own.
    #[serde(default)]
    pub identity: String,
}

/// `POST /v1/sites/{site}/identify` request: a signed user, and the browser's current
/// visitor token (if any), whose conversation a user without one takes over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentifyRequest {
    pub identity: Identity,
    #[serde(default)]
    pub token: Option<String>,
}

/// The body POSTed to the site's webhook for each offline message. `id` is the same on
/// every retry, so a receiver shows it once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineNotice {
    pub id: String,
    /// Always `offline_message` (the body's type, as for every webhook event).
    #[serde(default = "offline_event")]
    pub event: EventKind,
    pub site: SiteId,
    pub conversation: ConversationId,
    pub seq: Seq,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub text: String,
    pub page_url: String,
    pub at: Millis,
}

/// `POST /v1/conversations/{id}/transcript` body: e-mail the conversation to `email`,
/// in `language` (the widget's), with times in `time_zone` (the browser's; the site's
/// organisation's if absent or unknown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptRequest {
    pub email: String,
    #[serde(default)]
    pub language: crate::settings::Language,
    #[serde(default)]
    pub time_zone: String,
}

/// How many transcripts one conversation may send in an hour.
pub const TRANSCRIPTS_PER_HOUR: usize = 3;

/// `GET /v1/console/conversations/{id}/messages` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub messages: Vec<Message>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use serde_json::{Map, Value};
    use std::fmt::Debug;

    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: T) {
        let json = serde_json::to_string(&value).unwrap();
        let back: T = serde_json::from_str(&json).unwrap();
        assert_eq!(back, value, "{json}");
    }

    fn cid(s: &str) -> ClientMessageId {
        ClientMessageId::parse(s).unwrap()
    }

    fn message() -> Message {
        Message {
            seq: Seq(7),
            client_id: cid("c1"),
            author: Author { kind: AuthorKind::Operator, name: "Anna".into(), avatar: None },
            text: "Здравствуйте!".into(),
            at: 1_700_000_000_000,
            attachment: None,
            auto: false,
        }
    }

    fn summary() -> ConversationSummary {
        ConversationSummary {
            id: ConversationId::parse("conv1").unwrap(),
            visitor_name: "Visitor 1a2b".into(),
            last_text: "hello".into(),
            last_author: AuthorKind::Visitor,
            last_at: 5,
            last_seq: Seq(3),
            unread: 2,
            page_url: "https://shop.example/cart".into(),
            offline: true,
            state: ConversationState::Active,
            owner: Some(OperatorRef { id: OperatorId::parse("o1").unwrap(), name: "Anna".into() }),
            waiting_since: Some(4),
            last_auto: false,
            last_name: "Anna".into(),
            rating: Some(Rating { good: false, comment: "slow".into(), at: 9 }),
            language: "ru".into(),
            revision: 3,
            channel: None,
        }
    }

    #[test]
    fn every_client_frame_round_trips() {
        let page = PageContext { url: "u".into(), title: "t".into(), referrer: "r".into(), language: "ru".into() };
        round_trip(ClientFrame::Hello { protocol: 1, after: Seq(4), page: Some(page) });
        round_trip(ClientFrame::Hello { protocol: 1, after: Seq(0), page: None });
        round_trip(ClientFrame::Send { client_id: cid("a-1"), text: "hi".into(), offline: false, attachment: None });
        round_trip(ClientFrame::Send { client_id: cid("a-2"), text: "hi".into(), offline: true, attachment: None });
        let details = VisitorDetails {
            name: "Anna".into(),
            email: "a@b.co".into(),
            phone: String::new(),
            attributes: [("plan".to_owned(), "pro".to_owned())].into(),
        };
        round_trip(ClientFrame::Introduce { details });
        round_trip(ClientFrame::Away { away: true });
        round_trip(ClientFrame::Auto { client_id: cid("auto-1"), rule: "Greeting".into(), text: "Hello!".into() });
        round_trip(ClientFrame::Typing { typing: true });
        round_trip(ClientFrame::Read { seq: Seq(9) });
        round_trip(ClientFrame::Resume { after: Seq(2) });
        round_trip(ClientFrame::Earlier { before: Seq(51) });
        round_trip(ClientFrame::Rate { good: false, comment: "Too slow".into() });
        round_trip(ClientFrame::Unknown);
    }

    /// Serde's way and `read_object` (the widget's) read a frame alike.
    fn server_round_trip(frame: ServerFrame) {
        round_trip(frame.clone());
        let Value::Object(object) = serde_json::to_value(&frame).unwrap() else { panic!("not an object") };
        assert_eq!(ServerFrame::read_object(object), Some(frame));
    }

    #[test]
    fn read_object_reads_what_serde_reads_and_refuses_what_it_refuses() {
        let read = |json: &str| ServerFrame::read_object(serde_json::from_str::<Map<String, Value>>(json).unwrap());
        assert_eq!(read(r#"{"type":"ack","client_id":"a","seq":3}"#), Some(ServerFrame::Ack { client_id: cid("a"), seq: Seq(3), offline: false }));
        assert_eq!(read(r#"{"type":"ack","client_id":"a"}"#), None, "a missing member");
        assert_eq!(read(r#"{"type":"ack","client_id":"a","seq":"3"}"#), None, "a member of the wrong type");
        assert_eq!(read(r#"{"type":"read","by":"operator","seq":1,"later":true}"#), Some(ServerFrame::Read { by: AuthorKind::Operator, seq: Seq(1) }));
        assert_eq!(read(r#"{"type":"from_the_future","x":1}"#), Some(ServerFrame::Unknown));
        assert_eq!(read(r#"{"seq":1}"#), None, "no type");
        for json in [r#"{"type":"ack","client_id":"a"}"#, r#"{"type":"from_the_future"}"#, r#"{"type":"read","by":"operator","seq":1}"#] {
            assert_eq!(read(json), serde_json::from_str::<ServerFrame>(json).ok(), "{json}");
        }
    }

    #[test]
    fn every_server_frame_round_trips() {
        server_round_trip(ServerFrame::Welcome {
            protocol: 1,
            conversation: ConversationId::parse("c").unwrap(),
            last_seq: Seq(3),
            visitor_read: Seq(1),
            operator_read: Seq(2),
            from: Seq(0),
        });
        server_round_trip(ServerFrame::Earlier { before: Seq(3), messages: Vec::new() });
        server_round_trip(ServerFrame::Ack { client_id: cid("x"), seq: Seq(1), offline: false });
        server_round_trip(ServerFrame::Ack { client_id: cid("y"), seq: Seq(2), offline: true });
        server_round_trip(ServerFrame::Message(message()));
        let file = Attachment { key: "demo/c/r".into(), name: "a.pdf".into(), content_type: "application/pdf".into(), size: 9 };
        server_round_trip(ServerFrame::Message(Message { text: String::new(), attachment: Some(file.clone()), ..message() }));
        server_round_trip(ServerFrame::Message(Message { auto: true, ..message() }));
        round_trip(ClientFrame::Send { client_id: cid("f"), text: String::new(), offline: false, attachment: Some(file) });
        server_round_trip(ServerFrame::Typing { author: AuthorKind::Visitor, name: "V".into(), typing: false });
        server_round_trip(ServerFrame::Read { by: AuthorKind::Operator, seq: Seq(5) });
        server_round_trip(ServerFrame::Visitor(VisitorInfo::default()));
        server_round_trip(ServerFrame::Status(ConversationStatus {
            state: ConversationState::Closed,
            owner: Some(OperatorRef { id: OperatorId::parse("o").unwrap(), name: "Anna".into() }),
            rating: Some(Rating { good: true, comment: String::new(), at: 1 }),
            blocked: false,
        }));
        server_round_trip(ServerFrame::Error(ErrorBody { code: ErrorCode::FrameTooLarge, message: "big".into(), retry_after: None }));
        server_round_trip(ServerFrame::Unknown);
    }

    #[test]
    fn every_inbox_frame_and_rest_body_round_trips() {
        round_trip(InboxFrame::Inbox { conversations: vec![summary()], more: true, counts: Some(InboxCounts { waiting: 1, mine: 0, active: 2 }) });
        round_trip(InboxFrame::Counts(InboxCounts { waiting: 1, mine: 0, active: 2 }));
        round_trip(InboxFrame::Conversation(summary()));
        round_trip(InboxFrame::Presence {
            online: vec![OperatorPresence { id: OperatorId::parse("o1").unwrap(), name: "Anna".into(), away: true }],
        });
        round_trip(InboxFrame::Error(ErrorBody { code: ErrorCode::Forbidden, message: "no".into(), retry_after: Some(3) }));
        round_trip(InvalidSettingsBody {
            code: ErrorCode::InvalidSettings,
            message: "no".into(),
            fields: vec![FieldError { field: "pattern".into(), message: "Unknown variant".into() }],
        });
        round_trip(SettingsDocument { revision: 3, settings: WidgetSettings::default() });
        round_trip(InboxFrame::Removed { id: ConversationId::parse("c").unwrap() });
        round_trip(InboxFrame::Unknown);
        round_trip(VisitorSession {
            token: "t".into(),
            visitor: VisitorId::parse("v").unwrap(),
            conversation: ConversationId::parse("c").unwrap(),
        });
        round_trip(SignIn { email: "a@b".into(), password: "p".into() });
        round_trip(OperatorSession {
            token: "t".into(),
            operator: OperatorId::parse("o").unwrap(),
            name: "Anna".into(),
            role: Role::Admin,
        });
        round_trip(History { messages: vec![message()] });
        round_trip(SiteStatus { online: true });
        round_trip(SiteSecret { secret: "s".into(), identity: "i".into() });
        round_trip(IdentifyRequest {
            identity: Identity { id: "u".into(), name: "Ann".into(), email: String::new(), expires: 1, signature: "ab".into() },
            token: Some("t".into()),
        });
        round_trip(OfflineNotice {
            id: "demo/c/1".into(),
            event: EventKind::OfflineMessage,
            site: SiteId::parse("demo").unwrap(),
            conversation: ConversationId::parse("c").unwrap(),
            seq: Seq(1),
            name: "Anna".into(),
            email: "a@b.co".into(),
            phone: String::new(),
            text: "Call me".into(),
            page_url: "https://shop.example/".into(),
            at: 5,
        });
    }

    #[test]
    fn frames_look_as_documented() {
        let json = serde_json::to_value(ServerFrame::Message(message())).unwrap();
        assert_eq!(json["type"], "message");
        assert_eq!(json["seq"], 7);
        assert_eq!(json["author"]["kind"], "operator");
        let ack = serde_json::to_value(ServerFrame::Ack { client_id: cid("x"), seq: Seq(2), offline: false }).unwrap();
        assert_eq!(ack, serde_json::json!({"type": "ack", "client_id": "x", "seq": 2}));
        let offline = serde_json::to_value(ServerFrame::Ack { client_id: cid("x"), seq: Seq(2), offline: true }).unwrap();
        assert_eq!(offline, serde_json::json!({"type": "ack", "client_id": "x", "seq": 2, "offline": true}));
        // An online message carries no offline flag: older edges read it unchanged.
        let send = serde_json::to_value(ClientFrame::Send { client_id: cid("x"), text: "t".into(), offline: false, attachment: None }).unwrap();
        assert_eq!(send, serde_json::json!({"type": "send", "client_id": "x", "text": "t"}));
    }

    #[test]
    fn unknown_frames_are_tolerated_by_clients_and_refused_by_the_server() {
        let from_newer_server: ServerFrame = serde_json::from_str(r#"{"type":"sticker","id":3}"#).unwrap();
        assert_eq!(from_newer_server, ServerFrame::Unknown);
        let code: ErrorCode = serde_json::from_str("\"brand_new_code\"").unwrap();
        assert_eq!(code, ErrorCode::Unknown);
        assert_eq!(parse_client_frame(r#"{"type":"sticker"}"#), Err(Error::UnknownFrame));
    }

    #[test]
    fn malformed_and_oversized_frames_are_refused() {
        assert!(matches!(parse_client_frame("not json"), Err(Error::BadFrame(_))));
        assert!(matches!(parse_client_frame(r#"{"type":"send"}"#), Err(Error::BadFrame(_))));
        assert!(matches!(
            parse_client_frame(r#"{"type":"send","client_id":"bad id","text":"x"}"#),
            Err(Error::BadFrame(_))
        ));
        let big = format!(r#"{{"type":"send","client_id":"a","text":"{}"}}"#, "x".repeat(20_000));
        assert!(matches!(parse_client_frame(&big), Err(Error::FrameTooLarge { .. })));
    }
}
