//! The site's widget settings (version 1): how the widget looks and speaks. Defined
//! once here and read two ways:
//! - [`WidgetSettings::parse_strict`] when an admin saves: every unknown field and
//!   every bad value is reported at its field, and nothing is saved;
//! - [`WidgetSettings::parse_lenient`] when the widget loads: whatever it does not
//!   know or cannot use falls back to the default, so a newer or damaged document
//!   never breaks a page.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::contact::{Contact, Need};
use crate::limits::{self, RateLimits};
use crate::rules::{self, Rule};
use crate::shift::{self, EventKind, Routing};

/// The settings document's version.
pub const SETTINGS_VERSION: u16 = 1;
/// Longest launcher label, in characters.
pub const MAX_LABEL_CHARS: usize = 40;
/// Longest title or placeholder, in characters.
pub const MAX_TITLE_CHARS: usize = 80;
/// Longest logo or webhook URL.
pub const MAX_URL_CHARS: usize = 2_000;
/// Most suggests a site can have.
pub const MAX_SUGGESTS: usize = 20;
/// Longest suggest, in characters.
pub const MAX_SUGGEST_CHARS: usize = 200;

/// Whether the window is light or dark: as the visitor's system prefers (`auto`), or
/// fixed by the owner.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColorScheme {
    #[default]
    Auto,
    Light,
    Dark,
}

/// What the widget does when an operator writes while the visitor's window is closed
/// (besides the badge, the sound and the screen reader's announcement).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedReply {
    /// A short preview of the message beside the launcher; a click opens the chat.
    #[default]
    Preview,
    /// The window opens by itself (Omnidesk's way); the focus follows only from the
    /// launcher it hides, never from the page.
    Open,
    /// Only the badge.
    Badge,
}

/// What the widget does when no operator is online.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfflineMode {
    /// Show the offline form: the visitor leaves a message and a contact.
    #[default]
    Form,
    /// Show no widget at all.
    Hide,
}

/// The "Introduce yourself" form: the name is always asked; e-mail and phone as set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntroduceForm {
    pub email: Need,
    pub phone: Need,
    /// The visitor must fill the form before their first message, when operators are online.
    pub modal_online: bool,
    /// The same, when no operator is online.
    pub modal_offline: bool,
}

/// A text the owner writes once per language (a rule's message, a suggest), so a
/// visitor is never answered in the other one. Written as `{"ru": "…", "en": "…"}`; a
/// plain string (documents before per-language texts) means the same in both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LocalText {
    pub ru: String,
    pub en: String,
}

impl LocalText {
    /// The same text in every language.
    pub fn same(text: &str) -> LocalText {
        LocalText { ru: text.into(), en: text.into() }
    }

    /// The text in `language`; the other language's when the owner left this one empty.
    pub fn get(&self, language: Language) -> &str {
        let (wanted, other) = match language {
            Language::Ru => (&self.ru, &self.en),
            Language::En => (&self.en, &self.ru),
        };
        if wanted.trim().is_empty() { other } else { wanted }
    }

    /// What the owner wrote for `language` (empty if nothing).
    pub fn own(&self, language: Language) -> &str {
        match language {
            Language::Ru => &self.ru,
            Language::En => &self.en,
        }
    }

    pub fn get_mut(&mut self, language: Language) -> &mut String {
        match language {
            Language::Ru => &mut self.ru,
            Language::En => &mut self.en,
        }
    }

    /// Neither language has a text.
    pub fn is_blank(&self) -> bool {
        self.ru.trim().is_empty() && self.en.trim().is_empty()
    }

    /// Whether `text` is this text in one of the languages.
    pub fn says(&self, text: &str) -> bool {
        self.ru == text || self.en == text
    }

    /// Each language's text with its key (`ru`, `en`), for checks.
    pub fn each(&self) -> [(&'static str, &str); 2] {
        [("ru", &self.ru), ("en", &self.en)]
    }
}

impl<'de> Deserialize<'de> for LocalText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<LocalText, D::Error> {
        struct Text;
        impl<'de> serde::de::Visitor<'de> for Text {
            type Value = LocalText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a text, or an object with the Russian (ru) and English (en) texts")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<LocalText, E> {
                Ok(LocalText::same(text))
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<LocalText, M::Error> {
                let mut text = LocalText::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "ru" => text.ru = map.next_value()?,
                        "en" => text.en = map.next_value()?,
                        _ => return Err(serde::de::Error::unknown_field(&key, &["ru", "en"])),
                    }
                }
                Ok(text)
            }
        }
        deserializer.deserialize_any(Text)
    }
}

/// A message template the visitor sends with one click.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggest {
    pub text: LocalText,
    /// 1 is shown first; equal priorities keep their order.
    pub priority: u8,
}

/// Where the launcher is and what it looks like: Gravity's seven choices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// A round button, bottom right.
    RoundBottomRight,
    /// No launcher: the window opens only by an auto-action or the JS API.
    Hidden,
    /// A tab with the label, bottom right.
    #[default]
    TabBottomRight,
    TabBottomCenter,
    TabBottomLeft,
    /// A vertical tab at the middle of the right edge.
    TabRightCenter,
    TabLeftCenter,
}

impl Position {
    pub const ALL: [Position; 7] = [
        Position::RoundBottomRight,
        Position::Hidden,
        Position::TabBottomRight,
        Position::TabBottomCenter,
        Position::TabBottomLeft,
        Position::TabRightCenter,
        Position::TabLeftCenter,
    ];
}

/// The header's pattern, drawn in the widget and tinted to the header colour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    #[default]
    None,
    Dots,
    Waves,
    Grid,
    Diagonal,
    Circles,
    Zigzag,
}

impl Pattern {
    pub const ALL: [Pattern; 7] =
        [Pattern::None, Pattern::Dots, Pattern::Waves, Pattern::Grid, Pattern::Diagonal, Pattern::Circles, Pattern::Zigzag];
}

/// A language the widget speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Ru,
    #[default]
    En,
}

impl Language {
    /// The language for a browser language tag (`ru-RU`, `en`), if we speak it.
    pub fn from_tag(tag: &str) -> Option<Language> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "ru" => Some(Language::Ru),
            "en" => Some(Language::En),
            _ => None,
        }
    }
}

/// Which language the widget uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LanguageChoice {
    /// The visitor's browser language if we speak it, else the site's default.
    #[default]
    Auto,
    Ru,
    En,
}

impl LanguageChoice {
    /// The language to show, given the browser's preferred language tags in order.
    pub fn resolve(self, default: Language, browser: &[String]) -> Language {
        match self {
            LanguageChoice::Ru => Language::Ru,
            LanguageChoice::En => Language::En,
            LanguageChoice::Auto => browser.iter().find_map(|tag| Language::from_tag(tag)).unwrap_or(default),
        }
    }
}

/// A colour as `#rrggbb` (stored lower case).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Color(String);

impl Color {
    pub fn parse(value: &str) -> Result<Color, String> {
        let hex = value.strip_prefix('#').filter(|h| h.len() == 6 && h.chars().all(|c| c.is_ascii_hexdigit()));
        match hex {
            Some(hex) => Ok(Color(format!("#{}", hex.to_ascii_lowercase()))),
            None => Err(format!("{value:?} is not a colour: use #rrggbb, e.g. #2f6fed")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn channel(&self, i: usize) -> f64 {
        let byte = u8::from_str_radix(&self.0[1 + 2 * i..3 + 2 * i], 16).unwrap_or(0);
        let c = f64::from(byte) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }

    /// WCAG relative luminance, 0 (black) to 1 (white).
    pub fn luminance(&self) -> f64 {
        0.2126 * self.channel(0) + 0.7152 * self.channel(1) + 0.0722 * self.channel(2)
    }

    /// WCAG contrast ratio between two colours, 1 to 21; text needs 4.5 (AA).
    pub fn contrast(&self, other: &Color) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }
}

impl TryFrom<String> for Color {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Color::parse(&value)
    }
}

impl From<Color> for String {
    fn from(color: Color) -> String {
        color.0
    }
}

/// Good colours to start from, shown as swatches in the configurator.
pub const PALETTE: [(&str, &str); 10] = [
    ("Blue", "#2f6fed"),
    ("Indigo", "#4f46e5"),
    ("Violet", "#7c3aed"),
    ("Teal", "#0f766e"),
    ("Green", "#15803d"),
    ("Orange", "#c2410c"),
    ("Red", "#b91c1c"),
    ("Graphite", "#1f2937"),
    ("White", "#ffffff"),
    ("Black", "#000000"),
];

/// The owner's own words for one language; `None` means the built-in text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Texts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launcher_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
}

/// One value per language we speak.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerLanguage<T> {
    pub ru: T,
    pub en: T,
}

impl<T> PerLanguage<T> {
    pub fn get(&self, language: Language) -> &T {
        match language {
            Language::Ru => &self.ru,
            Language::En => &self.en,
        }
    }
}

/// A site's widget settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WidgetSettings {
    pub version: u16,
    pub position: Position,
    pub header_color: Color,
    pub send_color: Color,
    /// The colour of text on the header and the launcher.
    pub text_color: Color,
    pub pattern: Pattern,
    #[serde(default)]
    pub color_scheme: ColorScheme,
    pub texts: PerLanguage<Texts>,
    pub language: LanguageChoice,
    /// The language for `auto` when the browser's is not one we speak.
    pub default_language: Language,
    /// A short sound when an operator writes while the window is closed or hidden.
    pub sound: bool,
    /// An operator's reply while the window is closed: previewed, opened or counted.
    #[serde(default)]
    pub closed_reply: ClosedReply,
    /// A company logo or avatar for the header (`https:` only).
    pub logo_url: Option<String>,
    pub offline_mode: OfflineMode,
    pub introduce: IntroduceForm,
    pub suggests: Vec<Suggest>,
    /// Messenger buttons, in the order shown.
    pub contacts: Vec<Contact>,
    /// The messenger buttons show when no operator is online too (above the offline
    /// form), when a visitor needs another way most.
    pub contacts_offline: bool,
    /// Visitors may attach files (in online mode).
    pub files: bool,
    /// The site's auto-actions, in order; `None` (absent) means Gravity's three default
    /// rules in the site's default language (see [`WidgetSettings::rules`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<Rule>>,
    /// Where offline messages are posted, signed with the site secret. Private: never
    /// sent to the widget (see [`WidgetSettings::public`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// Which events the webhook gets (private).
    #[serde(default = "shift::default_webhook_events", skip_serializing_if = "shift::are_default_events")]
    pub webhook_events: Vec<EventKind>,
    /// How conversations find operators (private).
    #[serde(default, skip_serializing_if = "Routing::is_default")]
    pub routing: Routing,
    /// How fast strangers may write and start conversations (private).
    #[serde(default, skip_serializing_if = "RateLimits::is_default")]
    pub rate_limits: RateLimits,
    /// Operators see the visitors on the site now: the loader reports each page view
    /// (see `crate::presence`). On unless the owner turns it off.
    #[serde(default = "switched_on")]
    pub live_visitors: bool,
    /// Pages the Visitors table marks as priority: one whose address contains any of
    /// these (private).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priority_pages: Vec<String>,
    /// The window's menu offers "Send transcript": the conversation e-mailed to the
    /// visitor. On unless the owner turns it off (and only where e-mail is sent).
    #[serde(default = "switched_on")]
    pub transcripts: bool,
    /// Where a copy of every closed conversation and every offline message is e-mailed
    /// (private).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_email: Option<String>,
    /// Yandex.Metrica goals on the host page's own counter (see [`Metrica`]).
    #[serde(default, skip_serializing_if = "Metrica::is_default")]
    pub metrica: Metrica,
}

/// The host page's Yandex.Metrica counter: with it enabled, the widget calls
/// `ym(counter, 'reachGoal', GOAL)` for each of [`METRICA_GOALS`] when the page has
/// `ym` (Natter loads no script for it). Switched off, the counter is kept but not
/// sent to the widget.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrica {
    /// The counter's number, digits only; empty: none.
    #[serde(default)]
    pub counter: String,
    #[serde(default)]
    pub enabled: bool,
}

impl Metrica {
    pub fn is_default(&self) -> bool {
        *self == Metrica::default()
    }

    /// The counter the widget reports to, if any.
    pub fn active(&self) -> Option<&str> {
        (self.enabled && !self.counter.is_empty()).then_some(self.counter.as_str())
    }
}

/// The chat window opened.
pub const GOAL_OPENED: &str = "natter_chat_opened";
/// The visitor's first message of the conversation is stored.
pub const GOAL_FIRST_MESSAGE: &str = "natter_first_message";
/// The visitor's details were set.
pub const GOAL_INTRODUCED: &str = "natter_introduced";
/// An offline message is stored.
pub const GOAL_OFFLINE_MESSAGE: &str = "natter_offline_message";
/// The goals the widget reaches, in the order a visitor usually reaches them.
pub const METRICA_GOALS: [&str; 4] = [GOAL_OPENED, GOAL_FIRST_MESSAGE, GOAL_INTRODUCED, GOAL_OFFLINE_MESSAGE];

fn check_metrica(metrica: &Metrica) -> Result<(), String> {
    let counter = &metrica.counter;
    if !counter.is_empty() && !(counter.len() <= 12 && counter.bytes().all(|b| b.is_ascii_digit())) {
        return Err(format!("\"{counter}\" is not a counter number: write its digits, e.g. 12345678"));
    }
    if metrica.enabled && counter.is_empty() {
        return Err("Write the counter's number to enable Metrica goals".into());
    }
    Ok(())
}

fn switched_on() -> bool {
    true
}

impl Default for WidgetSettings {
    fn default() -> Self {
        WidgetSettings {
            version: SETTINGS_VERSION,
            position: Position::default(),
            header_color: Color("#2f6fed".into()),
            send_color: Color("#2f6fed".into()),
            text_color: Color("#ffffff".into()),
            pattern: Pattern::default(),
            color_scheme: ColorScheme::default(),
            texts: PerLanguage::default(),
            language: LanguageChoice::default(),
            default_language: Language::default(),
            sound: true,
            closed_reply: ClosedReply::default(),
            logo_url: None,
            offline_mode: OfflineMode::default(),
            introduce: IntroduceForm::default(),
            suggests: Vec::new(),
            contacts: Vec::new(),
            contacts_offline: true,
            files: false,
            rules: None,
            webhook_url: None,
            webhook_events: shift::default_webhook_events(),
            routing: Routing::default(),
            rate_limits: RateLimits::default(),
            live_visitors: true,
            priority_pages: Vec::new(),
            transcripts: true,
            notify_email: None,
            metrica: Metrica::default(),
        }
    }
}

/// A refusal at one field of a settings document, e.g. `texts.ru.online_title`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A JSON object as some JSON library holds it, read member by member. The edge reads
/// with serde_json; the widget with the browser's JSON (so it carries no JSON parser):
/// the rules below are the same for both.
pub trait JsonObject: Sized {
    /// Whether [`WidgetSettings::read_object`] reads the rules and the owner's own
    /// fields (webhook, routing, limits). A reader of the public widget document says
    /// no: the widget never gets those, so it carries no code to read them (its rules
    /// engine reads the rules with [`WidgetSettings::read_rules`], in its own part).
    const EVERY_FIELD: bool = true;
    /// Whether values are checked as they are read (lengths, counts, addresses, the
    /// messengers' formats). The widget's reader of the public document says no: the
    /// edge checked the document when it was saved, the widget would throw the messages
    /// away, and the checks would cost its first download ≈ 2 KB.
    const CHECKS: bool = true;
    /// Removes member `key`: `None` if absent, else the value read as `T` or why not.
    fn take<T: DeserializeOwned>(&mut self, key: &str) -> Option<Result<T, String>>;
    /// Removes member `key`, which must itself be an object.
    fn take_object(&mut self, key: &str) -> Option<Result<Self, String>>;
    /// The names of the members not taken, in document order.
    fn rest(self) -> Vec<String>;
    /// The whole object read as `T` (members taken before included, if `T` has them).
    fn into_value<T: DeserializeOwned>(self) -> Option<T>;
}

impl JsonObject for Map<String, Value> {
    fn take<T: DeserializeOwned>(&mut self, key: &str) -> Option<Result<T, String>> {
        let value = self.remove(key)?;
        Some(serde_json::from_value(value).map_err(|e| clean_serde_message(&e.to_string())))
    }

    fn take_object(&mut self, key: &str) -> Option<Result<Self, String>> {
        match self.remove(key)? {
            Value::Object(object) => Some(Ok(object)),
            _ => Some(Err("Expected an object".into())),
        }
    }

    fn rest(self) -> Vec<String> {
        self.into_iter().map(|(key, _)| key).collect()
    }

    fn into_value<T: DeserializeOwned>(self) -> Option<T> {
        serde_json::from_value(Value::Object(self)).ok()
    }
}

/// Reads one field after another, collecting every problem (strict) or keeping the
/// default (lenient).
struct Reader<'e, O> {
    object: O,
    path: &'static str,
    errors: &'e mut Vec<FieldError>,
}

impl<O: JsonObject> Reader<'_, O> {
    fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn refuse(&mut self, key: &str, message: String) {
        let field = self.field(key);
        self.errors.push(FieldError { field, message });
    }

    /// Reads `key` into `slot`, checked by `check`; a missing key keeps `slot`.
    fn read<T: DeserializeOwned>(&mut self, key: &str, slot: &mut T, check: impl Fn(&T) -> Result<(), String>) {
        match self.object.take::<T>(key) {
            None => {}
            Some(Ok(value)) => match if O::CHECKS { check(&value) } else { Ok(()) } {
                Ok(()) => *slot = value,
                Err(message) => self.refuse(key, message),
            },
            Some(Err(message)) => self.refuse(key, message),
        }
    }

    /// Reads the list `key` into `slot`, checked by `check`, which reports each problem
    /// at its own path below `key` (`suggests.0.text`); a missing key keeps `slot`.
    fn read_items<T: DeserializeOwned>(&mut self, key: &str, slot: &mut T, check: impl Fn(&T) -> Vec<ItemProblem>) {
        match self.object.take::<T>(key) {
            None => {}
            Some(Ok(value)) => {
                let problems = if O::CHECKS { check(&value) } else { Vec::new() };
                if problems.is_empty() {
                    *slot = value;
                }
                for (at, message) in problems {
                    let field = if at.is_empty() { self.field(key) } else { self.field(&format!("{key}.{at}")) };
                    self.errors.push(FieldError { field, message });
                }
            }
            Some(Err(message)) => self.refuse(key, message),
        }
    }

    /// The object member `key`, or its absence; a non-object is refused.
    fn object(&mut self, key: &str) -> Option<O> {
        match self.object.take_object(key)? {
            Ok(object) => Some(object),
            Err(message) => {
                self.refuse(key, message);
                None
            }
        }
    }

    /// Everything not read is unknown.
    fn finish(self) {
        let path = self.path;
        for key in self.object.rest() {
            let field = if path.is_empty() { key } else { format!("{path}.{key}") };
            self.errors.push(FieldError { field, message: "Unknown field".into() });
        }
    }
}

/// serde's messages, without the position, as a sentence. (ASCII upper-casing only:
/// serde's messages start in English, and Unicode case tables would cost the widget.)
fn clean_serde_message(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => "Invalid value".into(),
    }
}

fn no_check<T>(_: &T) -> Result<(), String> {
    Ok(())
}

fn check_text(limit: usize) -> impl Fn(&Option<String>) -> Result<(), String> {
    move |text| match text {
        Some(text) if text.chars().count() > limit => {
            Err(format!("Too long: {} characters, at most {limit}", text.chars().count()))
        }
        Some(text) if text.chars().any(char::is_control) => Err("Line breaks and control characters are not allowed".into()),
        _ => Ok(()),
    }
}

/// An `https:` URL with a host and nothing that could break out of an attribute;
/// with `loopback_http`, also `http:` to this machine (a receiver under development).
fn check_url(url: &Option<String>, loopback_http: bool) -> Result<(), String> {
    let Some(url) = url else { return Ok(()) };
    let rest = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => rest,
        (None, Some(rest)) if loopback_http && is_loopback(rest) => rest,
        _ => return Err("Use an https:// address".into()),
    };
    if url.chars().count() > MAX_URL_CHARS {
        return Err(format!("Too long: at most {MAX_URL_CHARS} characters"));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains('@') {
        return Err("The address has no host".into());
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '\\')) {
        return Err("The address has characters a URL cannot contain".into());
    }
    Ok(())
}

fn is_loopback(rest: &str) -> bool {
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let name = host.rsplit_once(':').map_or(host, |(name, port)| if port.chars().all(|c| c.is_ascii_digit()) { name } else { host });
    matches!(name, "127.0.0.1" | "localhost" | "[::1]")
}

fn check_logo_url(url: &Option<String>) -> Result<(), String> {
    check_url(url, false)
}

#[allow(clippy::ptr_arg)] // the reader checks a `&T`, here `T = Vec<String>`
fn check_priority_pages(pages: &Vec<String>) -> Result<(), String> {
    use crate::presence::MAX_PRIORITY_PAGES;
    if pages.len() > MAX_PRIORITY_PAGES {
        return Err(format!("At most {MAX_PRIORITY_PAGES} priority pages, not {}", pages.len()));
    }
    match pages.iter().position(|p| p.trim().is_empty() || p.chars().count() > 200) {
        Some(i) => Err(format!("Priority page {}: write part of a page address, up to 200 characters", i + 1)),
        None => Ok(()),
    }
}

fn check_notify_email(email: &Option<String>) -> Result<(), String> {
    match email {
        Some(email) if !crate::contact::is_email(email) => Err(format!("\"{email}\" is not an e-mail address, e.g. owner@example.com")),
        _ => Ok(()),
    }
}

fn check_webhook_url(url: &Option<String>) -> Result<(), String> {
    check_url(url, true)
}

/// A problem below a field: its path under the field (`0.text`) and what is wrong.
type ItemProblem = (String, String);

#[allow(clippy::ptr_arg)] // the reader checks a `&T`, here `T = Vec<Suggest>`
fn check_suggests(suggests: &Vec<Suggest>) -> Vec<ItemProblem> {
    if suggests.len() > MAX_SUGGESTS {
        return vec![(String::new(), format!("At most {MAX_SUGGESTS} suggests, not {}", suggests.len()))];
    }
    let mut problems = Vec::new();
    for (i, suggest) in suggests.iter().enumerate() {
        if suggest.text.is_blank() {
            problems.push((format!("{i}.text"), "Write the text in at least one language".into()));
        }
        for (language, text) in suggest.text.each() {
            if text.trim().chars().count() > MAX_SUGGEST_CHARS || text.chars().any(char::is_control) {
                problems.push((format!("{i}.text.{language}"), format!("The text must be at most {MAX_SUGGEST_CHARS} characters on one line")));
            }
        }
        if suggest.priority == 0 {
            problems.push((format!("{i}.priority"), "The priority starts at 1".into()));
        }
    }
    problems
}

/// Contacts are refused at their messenger (`contacts.telegram`): each has one field.
#[allow(clippy::ptr_arg)] // as above
fn check_contacts(contacts: &Vec<Contact>) -> Vec<ItemProblem> {
    let mut problems = Vec::new();
    for (i, contact) in contacts.iter().enumerate() {
        let at = contact.kind.key().to_owned();
        if contacts[..i].iter().any(|c| c.kind == contact.kind) {
            problems.push((at, format!("{} is listed twice", contact.kind.title())));
        } else if contact.kind.link(&contact.value).is_none() {
            problems.push((at, contact.kind.requirement().to_owned()));
        }
    }
    problems
}

fn read_texts<O: JsonObject>(object: O, path: &'static str, errors: &mut Vec<FieldError>) -> Texts {
    let mut texts = Texts::default();
    let mut reader = Reader { object, path, errors };
    reader.read("launcher_label", &mut texts.launcher_label, check_text(MAX_LABEL_CHARS));
    reader.read("online_title", &mut texts.online_title, check_text(MAX_TITLE_CHARS));
    reader.read("offline_title", &mut texts.offline_title, check_text(MAX_TITLE_CHARS));
    reader.read("placeholder", &mut texts.placeholder, check_text(MAX_TITLE_CHARS));
    reader.finish();
    texts
}

fn read_per_language<O: JsonObject>(object: O, errors: &mut Vec<FieldError>) -> PerLanguage<Texts> {
    let mut texts = PerLanguage::<Texts>::default();
    let mut reader = Reader { object, path: "texts", errors };
    if let Some(ru) = reader.object("ru") {
        texts.ru = read_texts(ru, "texts.ru", reader.errors);
    }
    if let Some(en) = reader.object("en") {
        texts.en = read_texts(en, "texts.en", reader.errors);
    }
    reader.finish();
    texts
}

fn read_introduce<O: JsonObject>(object: O, errors: &mut Vec<FieldError>) -> IntroduceForm {
    let mut form = IntroduceForm::default();
    let mut reader = Reader { object, path: "introduce", errors };
    reader.read("email", &mut form.email, no_check);
    reader.read("phone", &mut form.phone, no_check);
    reader.read("modal_online", &mut form.modal_online, no_check);
    reader.read("modal_offline", &mut form.modal_offline, no_check);
    reader.finish();
    form
}

impl WidgetSettings {
    /// What the widget may see: everything but the private fields.
    pub fn public(&self) -> WidgetSettings {
        WidgetSettings {
            webhook_url: None,
            webhook_events: shift::default_webhook_events(),
            routing: Routing::default(),
            rate_limits: RateLimits::default(),
            priority_pages: Vec::new(),
            notify_email: None,
            metrica: if self.metrica.active().is_some() { self.metrica.clone() } else { Metrica::default() },
            ..self.clone()
        }
    }

    /// The rules in force: the owner's, or the defaults in the site's language.
    pub fn rules(&self) -> Vec<Rule> {
        self.rules.clone().unwrap_or_else(|| rules::default_rules(self.default_language))
    }

    /// The suggests in the order shown: priority 1 first, ties in the order given.
    pub fn ordered_suggests(&self) -> Vec<&Suggest> {
        let mut suggests: Vec<&Suggest> = self.suggests.iter().collect();
        suggests.sort_by_key(|s| s.priority); // stable: ties keep their order
        suggests
    }

    /// A document's `rules`, checked as a whole, each problem reported at its own path
    /// (`rules.2.text`); `None` (the defaults) when absent or refused.
    pub fn read_rules<O: JsonObject>(object: &mut O, errors: &mut Vec<FieldError>) -> Option<Vec<Rule>> {
        match object.take::<Option<Vec<Rule>>>("rules")? {
            Ok(rules) => {
                let problems = rules.as_deref().map(rules::check_rules).unwrap_or_default();
                if problems.is_empty() {
                    return rules;
                }
                errors.extend(problems);
            }
            Err(message) => errors.push(FieldError { field: "rules".into(), message }),
        }
        None
    }

    /// Reads a document's top-level object field by field: every field that is
    /// unknown or bad is left at its default and reported.
    pub fn read_object<O: JsonObject>(object: O, errors: &mut Vec<FieldError>) -> WidgetSettings {
        let mut settings = WidgetSettings::default();
        let mut reader = Reader { object, path: "", errors };
        let mut version = SETTINGS_VERSION;
        reader.read("version", &mut version, |v| {
            if *v == SETTINGS_VERSION { Ok(()) } else { Err(format!("Version {v} is not supported; use {SETTINGS_VERSION}")) }
        });
        reader.read("position", &mut settings.position, no_check);
        reader.read("header_color", &mut settings.header_color, no_check);
        reader.read("send_color", &mut settings.send_color, no_check);
        reader.read("text_color", &mut settings.text_color, no_check);
        reader.read("pattern", &mut settings.pattern, no_check);
        reader.read("color_scheme", &mut settings.color_scheme, no_check);
        reader.read("language", &mut settings.language, no_check);
        reader.read("default_language", &mut settings.default_language, no_check);
        reader.read("sound", &mut settings.sound, no_check);
        reader.read("closed_reply", &mut settings.closed_reply, no_check);
        reader.read("logo_url", &mut settings.logo_url, check_logo_url);
        reader.read("offline_mode", &mut settings.offline_mode, no_check);
        if let Some(introduce) = reader.object("introduce") {
            settings.introduce = read_introduce(introduce, reader.errors);
        }
        reader.read_items("suggests", &mut settings.suggests, check_suggests);
        reader.read_items("contacts", &mut settings.contacts, check_contacts);
        reader.read("contacts_offline", &mut settings.contacts_offline, no_check);
        reader.read("files", &mut settings.files, no_check);
        reader.read("transcripts", &mut settings.transcripts, no_check);
        reader.read("metrica", &mut settings.metrica, check_metrica);
        if O::EVERY_FIELD {
            settings.rules = Self::read_rules(&mut reader.object, reader.errors);
            reader.read("webhook_url", &mut settings.webhook_url, check_webhook_url);
            reader.read("webhook_events", &mut settings.webhook_events, shift::check_webhook_events);
            reader.read("routing", &mut settings.routing, shift::check_routing);
            reader.read("rate_limits", &mut settings.rate_limits, limits::check_rate_limits);
            reader.read("live_visitors", &mut settings.live_visitors, no_check);
            reader.read("priority_pages", &mut settings.priority_pages, check_priority_pages);
            reader.read("notify_email", &mut settings.notify_email, check_notify_email);
        }
        if let Some(texts) = reader.object("texts") {
            settings.texts = read_per_language(texts, reader.errors);
        }
        reader.finish();
        settings
    }

    fn read(json: &str, errors: &mut Vec<FieldError>) -> WidgetSettings {
        match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(object)) => Self::read_object(object, errors),
            Ok(_) => {
                errors.push(FieldError { field: "(document)".into(), message: "Expected an object".into() });
                WidgetSettings::default()
            }
            Err(e) => {
                errors.push(FieldError { field: "(document)".into(), message: clean_serde_message(&e.to_string()) });
                WidgetSettings::default()
            }
        }
    }

    /// For saving: the settings, or every problem found, each at its field.
    pub fn parse_strict(json: &str) -> Result<WidgetSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let settings = Self::read(json, &mut errors);
        if errors.is_empty() {
            Ok(settings)
        } else {
            Err(errors)
        }
    }

    /// For the widget: whatever can be used, defaults for the rest. Never fails.
    pub fn parse_lenient(json: &str) -> WidgetSettings {
        Self::read(json, &mut Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fields(result: Result<WidgetSettings, Vec<FieldError>>) -> Vec<String> {
        result.expect_err("refused").into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn the_defaults_round_trip_strictly() {
        let json = serde_json::to_string(&WidgetSettings::default()).unwrap();
        assert_eq!(WidgetSettings::parse_strict(&json), Ok(WidgetSettings::default()));
        assert_eq!(WidgetSettings::parse_strict("{}"), Ok(WidgetSettings::default()));
    }

    #[test]
    fn every_option_is_read() {
        let json = r##"{"version":1,"position":"tab_left_center","header_color":"#AABBCC","send_color":"#000000",
            "text_color":"#ffffff","pattern":"zigzag","color_scheme":"dark","language":"ru","default_language":"ru","sound":false,"closed_reply":"open",
            "logo_url":"https://shop.example/logo.png","texts":{"ru":{"online_title":"Мы на связи"},"en":{"placeholder":"Ask"}}}"##;
        let s = WidgetSettings::parse_strict(json).unwrap();
        assert_eq!(s.position, Position::TabLeftCenter);
        assert_eq!(s.header_color.as_str(), "#aabbcc");
        assert_eq!(s.pattern, Pattern::Zigzag);
        assert_eq!(s.color_scheme, ColorScheme::Dark);
        assert_eq!(s.closed_reply, ClosedReply::Open);
        assert_eq!(WidgetSettings::default().closed_reply, ClosedReply::Preview);
        assert_eq!((s.language, s.default_language, s.sound), (LanguageChoice::Ru, Language::Ru, false));
        assert_eq!(s.texts.ru.online_title.as_deref(), Some("Мы на связи"));
        assert_eq!(s.texts.en.placeholder.as_deref(), Some("Ask"));
        assert_eq!(s.logo_url.as_deref(), Some("https://shop.example/logo.png"));
    }

    #[test]
    fn bad_values_are_refused_each_at_its_field() {
        let long = "x".repeat(10_000);
        let json = format!(
            r##"{{"header_color":"#GGG","pattern":"stripes","position":"top_left","logo_url":"javascript:alert(1)",
                "texts":{{"en":{{"online_title":"{long}","colour":"red"}},"de":{{}}}},"surprise":1}}"##
        );
        let mut refused = fields(WidgetSettings::parse_strict(&json));
        refused.sort();
        assert_eq!(
            refused,
            ["header_color", "logo_url", "pattern", "position", "surprise", "texts.de", "texts.en.colour", "texts.en.online_title"]
        );
        let errors = WidgetSettings::parse_strict(&json).unwrap_err();
        let message = |field: &str| errors.iter().find(|e| e.field == field).unwrap().message.clone();
        assert!(message("header_color").contains("#rrggbb"), "{}", message("header_color"));
        assert!(message("pattern").contains("stripes"), "{}", message("pattern"));
        assert!(message("texts.en.online_title").contains("10000 characters"));
        assert_eq!(message("logo_url"), "Use an https:// address");
        assert_eq!(message("surprise"), "Unknown field");
    }

    #[test]
    fn the_widget_keeps_what_it_can_and_defaults_the_rest() {
        let s = WidgetSettings::parse_lenient(r##"{"header_color":"#GGG","pattern":"dots","future_option":true}"##);
        assert_eq!(s.pattern, Pattern::Dots);
        assert_eq!(s.header_color, WidgetSettings::default().header_color);
        assert_eq!(WidgetSettings::parse_lenient("not json"), WidgetSettings::default());
        assert_eq!(WidgetSettings::parse_lenient("[1,2]"), WidgetSettings::default());
    }

    #[test]
    fn contact_options_are_read_and_checked() {
        let json = r##"{"offline_mode":"hide","files":true,"webhook_url":"http://127.0.0.1:9000/hook",
            "introduce":{"email":"required","phone":"optional","modal_online":true},
            "suggests":[{"text":"Price?","priority":2},{"text":"Delivery?","priority":1},{"text":"Hi","priority":2}],
            "contacts":[{"kind":"telegram","value":"natter_support"},{"kind":"viber","value":"natter"}]}"##;
        let s = WidgetSettings::parse_strict(json).unwrap();
        assert_eq!(s.offline_mode, OfflineMode::Hide);
        assert_eq!((s.introduce.email, s.introduce.phone, s.introduce.modal_online, s.introduce.modal_offline), (Need::Required, Need::Optional, true, false));
        let order: Vec<&str> = s.ordered_suggests().iter().map(|s| s.text.en.as_str()).collect();
        assert_eq!(order, ["Delivery?", "Price?", "Hi"]);
        assert_eq!(s.contacts.len(), 2);
        assert!(s.files);
        // The webhook is the owner's business: the widget never sees it.
        assert_eq!(s.public().webhook_url, None);
        assert!(!serde_json::to_string(&s.public()).unwrap().contains("webhook"));
    }

    #[test]
    fn bad_contact_options_are_refused_at_their_fields() {
        let many: Vec<String> = (0..21).map(|i| format!(r#"{{"text":"s{i}","priority":1}}"#)).collect();
        let json = format!(
            r##"{{"webhook_url":"http://hooks.example/x","introduce":{{"email":"sometimes","captcha":true}},
               "suggests":[{}],"contacts":[{{"kind":"telegram","value":"a b"}}],"offline_mode":"vanish"}}"##,
            many.join(",")
        );
        let errors = WidgetSettings::parse_strict(&json).unwrap_err();
        let mut refused: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        refused.sort();
        assert_eq!(refused, ["contacts.telegram", "introduce.captcha", "introduce.email", "offline_mode", "suggests", "webhook_url"]);
        let message = |field: &str| errors.iter().find(|e| e.field == field).unwrap().message.clone();
        assert_eq!(message("suggests"), "At most 20 suggests, not 21");
        assert!(message("contacts.telegram").starts_with("Enter the Telegram username"), "{}", message("contacts.telegram"));
        // Each suggest's problem at its own path, every one of them.
        let errors = WidgetSettings::parse_strict(r#"{"suggests":[{"text":"ok","priority":1},{"text":"","priority":0}]}"#).unwrap_err();
        assert_eq!(
            errors,
            [
                FieldError { field: "suggests.1.text".into(), message: "Write the text in at least one language".into() },
                FieldError { field: "suggests.1.priority".into(), message: "The priority starts at 1".into() },
            ]
        );
        let twice = r#"{"contacts":[{"kind":"vk","value":"natter"},{"kind":"vk","value":"other"},{"kind":"whatsapp","value":"x"}]}"#;
        let errors = WidgetSettings::parse_strict(twice).unwrap_err();
        assert_eq!(errors[0], FieldError { field: "contacts.vk".into(), message: "VK is listed twice".into() });
        assert_eq!(errors[1].field, "contacts.whatsapp");
        // Read leniently (the widget), a bad list falls back to none.
        assert!(WidgetSettings::parse_lenient(twice).contacts.is_empty());
        assert!(WidgetSettings::default().contacts_offline);
        assert!(!WidgetSettings::parse_strict(r#"{"contacts_offline":false}"#).unwrap().contacts_offline);
    }

    #[test]
    fn owners_texts_are_per_language_and_old_plain_texts_still_read() {
        let s = WidgetSettings::parse_strict(
            r#"{"suggests":[{"text":{"ru":"Сколько стоит доставка?","en":"How much is delivery?"},"priority":1},{"text":"Hi","priority":2},{"text":{"ru":"Только по-русски"},"priority":3}]}"#,
        )
        .unwrap();
        let texts: Vec<(&str, &str)> = s.suggests.iter().map(|x| (x.text.get(Language::Ru), x.text.get(Language::En))).collect();
        assert_eq!(
            texts,
            [("Сколько стоит доставка?", "How much is delivery?"), ("Hi", "Hi"), ("Только по-русски", "Только по-русски")],
            "a plain text is both; a missing language falls back to the other"
        );
        // Written back as an object, and read again the same.
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains(r#""text":{"ru":"Hi","en":"Hi"}"#), "{json}");
        assert_eq!(WidgetSettings::parse_strict(&json).unwrap(), s);
        // Each language is checked at its own path; an unknown language is refused.
        let long = "x".repeat(MAX_SUGGEST_CHARS + 1);
        let errors = WidgetSettings::parse_strict(&format!(r#"{{"suggests":[{{"text":{{"ru":"ок","en":"{long}"}},"priority":1}}]}}"#)).unwrap_err();
        assert_eq!(errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["suggests.0.text.en"]);
        let errors = WidgetSettings::parse_strict(r#"{"suggests":[{"text":{"de":"Hallo"},"priority":1}]}"#).unwrap_err();
        assert_eq!(errors[0].message, "Unknown field `de`, expected `ru` or `en`");
    }

    #[test]
    fn rules_default_to_gravitys_and_are_checked_at_their_paths() {
        let s = WidgetSettings::parse_strict(r#"{"default_language":"ru"}"#).unwrap();
        assert_eq!(s.rules, None);
        assert_eq!(s.rules()[0].text.get(Language::Ru), "Здравствуйте! Как я могу помочь?");
        // The defaults are implied, so a new site's document stays small.
        assert!(!serde_json::to_string(&WidgetSettings::default()).unwrap().contains("rules"));

        let own = r#"{"rules":[{"name":"Cart","matching":"any","conditions":[{"fact":"page_url","op":"contains","value":"cart"}],"action":"open"}]}"#;
        let s = WidgetSettings::parse_strict(own).unwrap();
        assert_eq!(s.rules().len(), 1);
        assert_eq!(s.rules()[0].action, crate::rules::Action::Open);
        assert_eq!(WidgetSettings::parse_strict(r#"{"rules":[]}"#).unwrap().rules(), vec![], "no rules at all");

        let bad = r#"{"rules":[{"name":"Hi","conditions":[{"fact":"visits","op":"contains","value":"x"}],"action":"message"}]}"#;
        let fields = fields(WidgetSettings::parse_strict(bad));
        assert_eq!(fields, ["rules.0.conditions.0.op", "rules.0.conditions.0.value", "rules.0.text"]);
        let unknown = r#"{"rules":[{"name":"Hi","conditions":[],"action":"open","when":"now"}]}"#;
        let errors = WidgetSettings::parse_strict(unknown).unwrap_err();
        assert_eq!(errors[0].field, "rules");
        assert!(errors[0].message.starts_with("Unknown field `when`, expected one of"), "{}", errors[0].message);
    }

    #[test]
    fn webhooks_may_be_http_only_on_this_machine() {
        for ok in ["https://hooks.example/natter", "http://127.0.0.1:8080/hook", "http://localhost/x"] {
            assert_eq!(check_webhook_url(&Some(ok.into())), Ok(()), "{ok}");
        }
        for bad in ["http://hooks.example/", "http://127.0.0.1.evil.example/", "http://localhost@evil/", "ftp://127.0.0.1/"] {
            assert!(check_webhook_url(&Some(bad.into())).is_err(), "{bad}");
        }
    }

    #[test]
    fn logo_urls_must_be_plain_https() {
        for ok in ["https://a.example/x.png", "https://cdn.example:8443/a?b=c#d"] {
            assert_eq!(check_logo_url(&Some(ok.into())), Ok(()), "{ok}");
        }
        for bad in ["http://a.example/x.png", "javascript:alert(1)", "https://", "https://a b/", "https://x/\"><script>", "data:image/png;base64,AA", "https://user@evil/"] {
            assert!(check_logo_url(&Some(bad.into())).is_err(), "{bad}");
        }
    }

    #[test]
    fn auto_language_follows_the_browser_then_the_site() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(LanguageChoice::Auto.resolve(Language::En, &tags(&["ru-RU", "en"])), Language::Ru);
        assert_eq!(LanguageChoice::Auto.resolve(Language::Ru, &tags(&["de-DE", "en-GB"])), Language::En);
        assert_eq!(LanguageChoice::Auto.resolve(Language::Ru, &tags(&["de"])), Language::Ru);
        assert_eq!(LanguageChoice::En.resolve(Language::Ru, &tags(&["ru"])), Language::En);
    }

    #[test]
    fn contrast_follows_wcag() {
        let c = |s: &str| Color::parse(s).unwrap();
        assert!((c("#000000").contrast(&c("#ffffff")) - 21.0).abs() < 1e-9);
        assert!((c("#777777").contrast(&c("#777777")) - 1.0).abs() < 1e-9);
        // White on the default blue passes AA; light grey on white does not.
        assert!(c("#ffffff").contrast(&c("#2f6fed")) >= 4.5);
        assert!(c("#cccccc").contrast(&c("#ffffff")) < 4.5);
        for (_, hex) in PALETTE {
            assert!(Color::parse(hex).is_ok());
        }
    }

    proptest! {
        #[test]
        fn no_input_panics_and_lenient_always_yields_settings(s in ".{0,200}") {
            let _ = WidgetSettings::parse_strict(&s);
            let _ = WidgetSettings::parse_lenient(&s);
        }

        #[test]
        fn any_rrggbb_is_a_colour(r: u8, g: u8, b: u8) {
            let hex = format!("#{r:02X}{g:02x}{b:02X}");
            let color = Color::parse(&hex).unwrap();
            prop_assert_eq!(color.as_str(), hex.to_ascii_lowercase());
        }
    }

    #[test]
    fn metrica_needs_a_number_and_reaches_the_widget_only_when_enabled() {
        assert!(check_metrica(&Metrica { counter: "12345678".into(), enabled: true }).is_ok());
        assert!(check_metrica(&Metrica { counter: "12345678".into(), enabled: false }).is_ok());
        assert!(check_metrica(&Metrica { counter: "12ab".into(), enabled: false }).is_err());
        assert!(check_metrica(&Metrica { counter: String::new(), enabled: true }).is_err());
        let mut settings = WidgetSettings { metrica: Metrica { counter: "42".into(), enabled: false }, ..WidgetSettings::default() };
        assert_eq!(settings.public().metrica, Metrica::default(), "switched off: kept, not sent");
        settings.metrica.enabled = true;
        assert_eq!(settings.public().metrica.active(), Some("42"));
    }
}
