//! Messenger channels: a site's Telegram or Viber bot. Its users' messages come into
//! the site's inbox as conversations, and the operators' answers go back through the
//! messenger's API. Here is what both sides agree on: what an admin sets and sees, the
//! subset of each API's updates Natter reads, and the ids derived from them. The calls
//! themselves are the edge's (`edge/src/channels`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::ids::{ClientMessageId, ConversationId, VisitorId};

/// A messenger a site can connect a bot of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Telegram,
    Viber,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 2] = [ChannelKind::Telegram, ChannelKind::Viber];

    /// How it is written in paths, tables and settings.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Telegram => "telegram",
            ChannelKind::Viber => "viber",
        }
    }

    pub fn parse(text: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// Its name, the same in every language.
    pub fn name(self) -> &'static str {
        match self {
            ChannelKind::Telegram => "Telegram",
            ChannelKind::Viber => "Viber",
        }
    }

    /// The real service's API, used unless the admin names another (a self-hosted
    /// Telegram Bot API server, or a test's local fake).
    pub fn default_api(self) -> &'static str {
        match self {
            ChannelKind::Telegram => "https://api.telegram.org",
            ChannelKind::Viber => "https://chatapi.viber.com/pa",
        }
    }

    /// The widget's messenger button for a bot: its username (Telegram) or URI (Viber),
    /// as [`crate::contact::Messenger`] takes it.
    pub fn messenger(self) -> crate::contact::Messenger {
        match self {
            ChannelKind::Telegram => crate::contact::Messenger::Telegram,
            ChannelKind::Viber => crate::contact::Messenger::Viber,
        }
    }
}

/// What an admin sends to connect a bot, change it or switch it off.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelChange {
    /// The bot's token; empty keeps the one stored.
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub enabled: bool,
    /// The API's address; empty means the real service's.
    #[serde(default)]
    pub api: String,
}

/// How a site's bot stands, as the console shows it: never the token itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelState {
    pub kind: ChannelKind,
    pub enabled: bool,
    pub api: String,
    /// The token's last four characters, to tell which one is stored.
    pub token_end: String,
    /// The bot as the messenger names it: `@username` (Telegram), its URI (Viber).
    pub bot: String,
    /// Where visitors reach it (the widget's button).
    pub link: String,
}

/// A bot token as the messenger issues it, checked before any call: Telegram's
/// `123456:ABC-…` (its id, a colon, the secret part), Viber's one word.
pub fn check_token(kind: ChannelKind, token: &str) -> Result<(), String> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let ok = match kind {
        ChannelKind::Telegram => token
            .split_once(':')
            .is_some_and(|(id, secret)| !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()) && secret.len() >= 20 && secret.len() <= 100 && secret.chars().all(word)),
        ChannelKind::Viber => token.len() >= 20 && token.len() <= 100 && token.chars().all(word),
    };
    if ok {
        Ok(())
    } else {
        Err(match kind {
            ChannelKind::Telegram => "This is not a Telegram bot token: copy the whole token BotFather gave, like 123456789:AAH…".into(),
            ChannelKind::Viber => "This is not a Viber bot token: copy the token from the bot's Info page in Viber Admin Panel".into(),
        })
    }
}

/// The bot's id in a Telegram token (the part before the colon).
pub fn telegram_bot_id(token: &str) -> &str {
    token.split_once(':').map_or("", |(id, _)| id)
}

/// An API address as given: `https://` anywhere, `http://` only on this machine (a
/// test's fake), no query. Empty is the real service's. Gives it without a final `/`.
pub fn check_api(kind: ChannelKind, api: &str) -> Result<String, String> {
    check_address(api, kind.default_api())
}

/// An outside service's address, or `default` when empty (see [`check_api`]).
pub fn check_address(api: &str, default: &str) -> Result<String, String> {
    let api = api.trim().trim_end_matches('/');
    if api.is_empty() {
        return Ok(default.into());
    }
    let local = ["http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/"];
    let scheme_ok = api.starts_with("https://") || local.iter().any(|start| format!("{api}/").starts_with(start));
    let host = api.split_once("://").map_or("", |(_, rest)| rest.split('/').next().unwrap_or(""));
    if !scheme_ok || host.is_empty() || api.contains(['?', '#', ' ', '@']) || api.len() > 200 {
        return Err(format!("\"{api}\" is not an API address: write one that starts with https://, e.g. {default}"));
    }
    Ok(api.into())
}

/// A messenger user's message, as the edge stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incoming {
    /// Where answers go: the Telegram chat id, the Viber user id.
    pub chat: String,
    /// The user's name as the messenger shows it.
    pub name: String,
    /// The update's own id: the same update delivered again is stored once.
    pub client_id: ClientMessageId,
    pub text: String,
    /// A photo or a document the user sent.
    pub file: Option<RemoteFile>,
}

/// A file still at the messenger: Telegram's `file_id`, Viber's download URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteFile {
    pub id: String,
    pub name: String,
    pub size: u64,
}

fn text_of(value: &Value, key: &str) -> String {
    value.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() && s.len() <= 100 => Some(s.clone()),
        _ => None,
    }
}

/// A Telegram `Update` (JSON): the user's message, or `None` for updates Natter does
/// not take (edits, a bot added to a group, a sticker). An update that is not one is
/// an error.
pub fn telegram_update(body: &[u8]) -> Result<Option<Incoming>, String> {
    let update: Value = serde_json::from_slice(body).map_err(|e| format!("The update is not JSON: {e}"))?;
    let update_id = update.get("update_id").and_then(Value::as_i64).ok_or("The update has no update_id")?;
    let Some(message) = update.get("message") else { return Ok(None) };
    let chat = id_text(message.get("chat").and_then(|c| c.get("id"))).ok_or("The message has no chat id")?;
    // A group the bot was added to is no customer's own chat with the site.
    if message.get("chat").and_then(|c| c.get("type")).and_then(Value::as_str).is_some_and(|kind| kind != "private") {
        return Ok(None);
    }
    let from = message.get("from").cloned().unwrap_or(Value::Null);
    let full = format!("{} {}", text_of(&from, "first_name"), text_of(&from, "last_name"));
    let name = match (full.trim(), text_of(&from, "username")) {
        ("", username) if !username.is_empty() => format!("@{username}"),
        ("", _) => format!("Telegram {chat}"),
        (name, _) => name.to_owned(),
    };
    let photo = message.get("photo").and_then(Value::as_array).and_then(|sizes| sizes.last()).map(|largest| RemoteFile {
        id: text_of(largest, "file_id"),
        name: format!("photo-{}.jpg", message.get("message_id").and_then(Value::as_i64).unwrap_or(update_id)),
        size: largest.get("file_size").and_then(Value::as_u64).unwrap_or(0),
    });
    let document = message.get("document").map(|document| RemoteFile {
        id: text_of(document, "file_id"),
        name: match text_of(document, "file_name") {
            name if name.is_empty() => "file".into(),
            name => name,
        },
        size: document.get("file_size").and_then(Value::as_u64).unwrap_or(0),
    });
    let file = photo.or(document).filter(|file| !file.id.is_empty());
    let text = match text_of(message, "text") {
        text if text.is_empty() => text_of(message, "caption"),
        text => text,
    };
    if text.trim().is_empty() && file.is_none() {
        return Ok(None);
    }
    let client_id = ClientMessageId::parse(&format!("telegram-{update_id}")).map_err(|e| e.to_string())?;
    Ok(Some(Incoming { chat, name, client_id, text, file }))
}

/// A Viber callback (JSON) that needs doing: a user's message. Others (`webhook`,
/// `subscribed`, `delivered`, `seen` …) are answered and dropped.
pub fn viber_callback(body: &[u8]) -> Result<Option<Incoming>, String> {
    let callback: Value = serde_json::from_slice(body).map_err(|e| format!("The callback is not JSON: {e}"))?;
    let event = callback.get("event").and_then(Value::as_str).ok_or("The callback has no event")?;
    if event != "message" {
        return Ok(None);
    }
    let sender = callback.get("sender").ok_or("The message has no sender")?;
    let chat = id_text(sender.get("id")).ok_or("The sender has no id")?;
    let token = id_text(callback.get("message_token")).ok_or("The message has no message_token")?;
    let message = callback.get("message").ok_or("The callback has no message")?;
    let name = match text_of(sender, "name") {
        name if name.trim().is_empty() => "Viber user".into(),
        name => name,
    };
    let file = match message.get("type").and_then(Value::as_str) {
        Some("picture" | "file") => Some(RemoteFile {
            id: text_of(message, "media"),
            name: match text_of(message, "file_name") {
                name if name.is_empty() => "picture.jpg".into(),
                name => name,
            },
            size: message.get("size").and_then(Value::as_u64).unwrap_or(0),
        }),
        _ => None,
    }
    .filter(|file| file.id.starts_with("https://") || file.id.starts_with("http://"));
    let text = text_of(message, "text");
    if text.trim().is_empty() && file.is_none() {
        return Ok(None);
    }
    let client_id = ClientMessageId::parse(&format!("viber-{token}")).map_err(|e| e.to_string())?;
    Ok(Some(Incoming { chat, name, client_id, text, file }))
}

/// A short hex digest: messenger ids may hold characters ours do not.
fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// The conversation of one messenger user with the site's bot: the same one every time
/// they write (reopened after closing, as a widget visitor's is).
pub fn conversation_id(kind: ChannelKind, chat: &str) -> ConversationId {
    ConversationId::parse(&format!("{}-{}", kind.as_str(), digest(chat))).expect("a prefix and hex digits make an id")
}

/// The visitor a messenger user is.
pub fn visitor_id(kind: ChannelKind, chat: &str) -> VisitorId {
    VisitorId::parse(&format!("{}-{}", kind.as_str(), digest(chat))).expect("a prefix and hex digits make an id")
}

/// The secret Telegram sends back with every update (`X-Telegram-Bot-Api-Secret-Token`)
/// for one site's bot: made from the edge's secret, so that checking it needs no
/// storage (64 hex digits; Telegram allows A-Z, a-z, 0-9, `_` and `-`).
pub fn telegram_secret_input(site: &str, bot_id: &str) -> String {
    format!("telegram-webhook:{site}:{bot_id}")
}

/// One call that sends (part of) an operator's message to a messenger user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// The file, with the text as its caption (empty: none).
    File { caption: String },
    /// The text on its own.
    Text,
}

/// The calls an operator's message takes, in order: a text is one; a file carries a
/// short text as its caption (Telegram takes 1,024 characters, Viber 120 and only
/// under a picture), a longer one follows on its own. The outbox counts the parts the
/// messenger accepted, so a retry never sends one twice.
pub fn outgoing_parts(kind: ChannelKind, text: &str, file: Option<bool>) -> Vec<Part> {
    let Some(is_image) = file else { return vec![Part::Text] };
    let fits = match kind {
        ChannelKind::Telegram => text.chars().count() <= 1024,
        ChannelKind::Viber => is_image && text.chars().count() <= 120,
    };
    match (text.trim().is_empty(), fits) {
        (true, _) => vec![Part::File { caption: String::new() }],
        (false, true) => vec![Part::File { caption: text.to_owned() }],
        (false, false) => vec![Part::File { caption: String::new() }, Part::Text],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_before_any_call() {
        assert!(check_token(ChannelKind::Telegram, "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw").is_ok());
        assert!(check_token(ChannelKind::Telegram, "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw").is_err());
        assert!(check_token(ChannelKind::Telegram, "12a:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw").is_err());
        assert!(check_token(ChannelKind::Telegram, "123:short").is_err());
        assert!(check_token(ChannelKind::Telegram, "123:AAHdqTcvCH1vGWJxfSe ofSAs0K5PALDsaw").is_err());
        assert!(check_token(ChannelKind::Viber, "4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f").is_ok());
        assert!(check_token(ChannelKind::Viber, "short").is_err());
        assert_eq!(telegram_bot_id("123456789:AAH"), "123456789");
    }

    #[test]
    fn api_addresses_are_https_or_this_machine() {
        assert_eq!(check_api(ChannelKind::Telegram, ""), Ok("https://api.telegram.org".into()));
        assert_eq!(check_api(ChannelKind::Viber, " https://chatapi.viber.com/pa/ "), Ok("https://chatapi.viber.com/pa".into()));
        assert_eq!(check_api(ChannelKind::Telegram, "http://127.0.0.1:8081"), Ok("http://127.0.0.1:8081".into()));
        assert!(check_api(ChannelKind::Telegram, "http://api.telegram.org").is_err());
        assert!(check_api(ChannelKind::Telegram, "http://127.0.0.1.evil.test").is_err());
        assert!(check_api(ChannelKind::Telegram, "https://").is_err());
        assert!(check_api(ChannelKind::Telegram, "https://a.test/?x=1").is_err());
        assert!(check_api(ChannelKind::Telegram, "http://127.0.0.1:80@evil.test").is_err());
        assert!(check_api(ChannelKind::Telegram, "ftp://a.test").is_err());
    }

    #[test]
    fn a_telegram_message_is_read_with_its_name_and_update_id() {
        let body = br#"{"update_id":10,"message":{"message_id":5,"from":{"id":42,"first_name":"Anna","last_name":"K"},"chat":{"id":42,"type":"private"},"text":"Hello"}}"#;
        let incoming = telegram_update(body).unwrap().unwrap();
        assert_eq!(incoming.chat, "42");
        assert_eq!(incoming.name, "Anna K");
        assert_eq!(incoming.client_id.as_str(), "telegram-10");
        assert_eq!(incoming.text, "Hello");
        assert_eq!(incoming.file, None);
        let photo = br#"{"update_id":11,"message":{"message_id":6,"from":{"id":42,"username":"anna"},"chat":{"id":42},"caption":"Look","photo":[{"file_id":"small","file_size":10},{"file_id":"big","file_size":900}]}}"#;
        let incoming = telegram_update(photo).unwrap().unwrap();
        assert_eq!(incoming.name, "@anna");
        assert_eq!(incoming.text, "Look");
        assert_eq!(incoming.file, Some(RemoteFile { id: "big".into(), name: "photo-6.jpg".into(), size: 900 }));
        let document = br#"{"update_id":12,"message":{"message_id":7,"chat":{"id":-100},"document":{"file_id":"d","file_name":"order.pdf","file_size":5}}}"#;
        let incoming = telegram_update(document).unwrap().unwrap();
        assert_eq!((incoming.name.as_str(), incoming.file.unwrap().name.as_str()), ("Telegram -100", "order.pdf"));
    }

    #[test]
    fn telegram_updates_natter_does_not_take_are_none_and_junk_is_an_error() {
        assert_eq!(telegram_update(br#"{"update_id":1,"edited_message":{"chat":{"id":1},"text":"x"}}"#), Ok(None));
        assert_eq!(telegram_update(br#"{"update_id":1,"message":{"chat":{"id":1},"sticker":{}}}"#), Ok(None));
        assert_eq!(telegram_update(br#"{"update_id":1,"message":{"chat":{"id":-5,"type":"group"},"text":"hi all"}}"#), Ok(None));
        assert!(telegram_update(b"not json").is_err());
        assert!(telegram_update(br#"{"message":{}}"#).is_err());
        assert!(telegram_update(br#"{"update_id":1,"message":{"text":"no chat"}}"#).is_err());
        assert!(telegram_update(br#"[]"#).is_err());
    }

    #[test]
    fn a_viber_message_is_read_and_other_events_are_none() {
        let body = br#"{"event":"message","timestamp":1,"message_token":4912661846655238145,"sender":{"id":"01234567890A=","name":"Ivan"},"message":{"type":"text","text":"Privet"}}"#;
        let incoming = viber_callback(body).unwrap().unwrap();
        assert_eq!((incoming.chat.as_str(), incoming.name.as_str(), incoming.text.as_str()), ("01234567890A=", "Ivan", "Privet"));
        assert_eq!(incoming.client_id.as_str(), "viber-4912661846655238145");
        let picture = br#"{"event":"message","message_token":7,"sender":{"id":"u"},"message":{"type":"picture","text":"","media":"https://dl.viber.test/p.jpg","size":3}}"#;
        let incoming = viber_callback(picture).unwrap().unwrap();
        assert_eq!(incoming.name, "Viber user");
        assert_eq!(incoming.file.unwrap().id, "https://dl.viber.test/p.jpg");
        assert_eq!(viber_callback(br#"{"event":"webhook","timestamp":1}"#), Ok(None));
        assert_eq!(viber_callback(br#"{"event":"seen","message_token":1}"#), Ok(None));
        assert!(viber_callback(br#"{"event":"message","sender":{"id":"u"},"message":{"type":"text","text":"x"}}"#).is_err());
        assert!(viber_callback(b"{}").is_err());
    }

    #[test]
    fn a_file_carries_a_short_text_and_a_long_one_follows() {
        use Part::{File, Text};
        assert_eq!(outgoing_parts(ChannelKind::Telegram, "Hi", None), vec![Text]);
        assert_eq!(outgoing_parts(ChannelKind::Telegram, "", Some(false)), vec![File { caption: String::new() }]);
        assert_eq!(outgoing_parts(ChannelKind::Telegram, "Invoice", Some(false)), vec![File { caption: "Invoice".into() }]);
        let long = "я".repeat(1025);
        assert_eq!(outgoing_parts(ChannelKind::Telegram, &long, Some(true)), vec![File { caption: String::new() }, Text]);
        assert_eq!(outgoing_parts(ChannelKind::Viber, "Look", Some(true)), vec![File { caption: "Look".into() }]);
        assert_eq!(outgoing_parts(ChannelKind::Viber, "Invoice", Some(false)), vec![File { caption: String::new() }, Text]);
        assert_eq!(outgoing_parts(ChannelKind::Viber, &"a".repeat(121), Some(true)), vec![File { caption: String::new() }, Text]);
    }

    #[test]
    fn a_messenger_user_has_one_conversation_whatever_their_id_holds() {
        let id = conversation_id(ChannelKind::Viber, "01234567890A=");
        assert_eq!(id, conversation_id(ChannelKind::Viber, "01234567890A="));
        assert_ne!(id, conversation_id(ChannelKind::Viber, "01234567890B="));
        assert_ne!(id, conversation_id(ChannelKind::Telegram, "01234567890A="));
        assert!(id.as_str().starts_with("viber-"));
        assert!(visitor_id(ChannelKind::Telegram, "-100").as_str().starts_with("telegram-"));
    }
}
