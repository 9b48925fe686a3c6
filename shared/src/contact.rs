//! Ways to reach a person: the details a visitor gives about themselves (the
//! "Introduce yourself" and offline forms), and the messenger buttons a site offers.
//! Every input is checked here and every link is built here, so the console, the edge
//! and the widget agree on what is valid.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Longest visitor name, in characters.
pub const MAX_NAME_CHARS: usize = 80;
/// Longest e-mail address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// A phone number has at most this many digits (E.164).
pub const MAX_PHONE_DIGITS: usize = 15;
/// A phone number has at least this many digits.
pub const MIN_PHONE_DIGITS: usize = 5;
/// Most custom attributes a visitor can carry (the JS API's `setAttributes`).
pub const MAX_ATTRIBUTES: usize = 20;
/// Longest attribute name, in characters.
pub const MAX_ATTRIBUTE_NAME_CHARS: usize = 40;
/// Longest attribute value, in characters.
pub const MAX_ATTRIBUTE_VALUE_CHARS: usize = 200;

/// What a visitor tells about themselves; empty strings mean "not given".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorDetails {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    /// What the host page told about the visitor (`setAttributes`: plan, order id …),
    /// shown to operators.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

/// Whether the form asks for a field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    #[default]
    Off,
    Optional,
    Required,
}

/// Why a detail was refused; the widget words it in the visitor's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetailProblem {
    Missing,
    TooLong,
    BadEmail,
    BadPhone,
}

/// The problems of one set of details, each at its field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DetailProblems {
    pub name: Option<DetailProblem>,
    pub email: Option<DetailProblem>,
    pub phone: Option<DetailProblem>,
}

impl DetailProblems {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.email.is_none() && self.phone.is_none()
    }
}

/// `local@domain.tld`, one `@`, no spaces, a dot in the domain, sane length.
pub fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else { return false };
    let labels_ok = domain.split('.').all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
    value.chars().count() <= MAX_EMAIL_CHARS
        && !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && labels_ok
        && !value.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ',' | ';' | '\\'))
        && !domain.contains('@')
}

/// The digits of a phone number written with an optional leading `+`, spaces, dashes,
/// dots or brackets; `None` if it is not one.
pub fn phone_digits(value: &str) -> Option<String> {
    let rest = value.trim().strip_prefix('+').unwrap_or(value.trim());
    if !rest.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '.')) {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    (MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&digits.len()).then_some(digits)
}

fn check_field(value: &str, need: Need, valid: impl Fn(&str) -> bool, bad: DetailProblem) -> Option<DetailProblem> {
    let value = value.trim();
    if value.is_empty() {
        return (need == Need::Required).then_some(DetailProblem::Missing);
    }
    if need == Need::Off {
        return None;
    }
    (!valid(value)).then_some(bad)
}

impl VisitorDetails {
    /// The details with surrounding spaces removed.
    pub fn trimmed(&self) -> VisitorDetails {
        VisitorDetails {
            name: self.name.trim().into(),
            email: self.email.trim().into(),
            phone: self.phone.trim().into(),
            attributes: self.attributes.clone(),
        }
    }

    /// Checks the details as a form asking the name (always required) and e-mail and
    /// phone as given. Fields that are off are not checked (and not sent).
    pub fn check(&self, email: Need, phone: Need) -> DetailProblems {
        let name = self.name.trim();
        DetailProblems {
            name: if name.is_empty() {
                Some(DetailProblem::Missing)
            } else if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
                Some(DetailProblem::TooLong)
            } else {
                None
            },
            email: check_field(&self.email, email, is_email, DetailProblem::BadEmail),
            phone: check_field(&self.phone, phone, |p| phone_digits(p).is_some(), DetailProblem::BadPhone),
        }
    }

    /// The offline form's details: a name and one contact, an e-mail or a phone.
    pub fn from_offline_form(name: &str, contact: &str) -> Result<VisitorDetails, DetailProblems> {
        let contact = contact.trim();
        let mut details = VisitorDetails { name: name.trim().into(), ..Default::default() };
        let mut problems = details.check(Need::Off, Need::Off);
        if contact.is_empty() {
            problems.email = Some(DetailProblem::Missing);
        } else if contact.contains('@') {
            details.email = contact.into();
            problems.email = (!is_email(contact)).then_some(DetailProblem::BadEmail);
        } else {
            details.phone = contact.into();
            problems.email = phone_digits(contact).is_none().then_some(DetailProblem::BadPhone);
        }
        if problems.is_empty() {
            Ok(details)
        } else {
            Err(problems)
        }
    }

    /// Whether the edge may take these details from a visitor: what any form could
    /// have sent (everything optional), within the limits.
    pub fn is_acceptable(&self) -> bool {
        let problems = self.check(Need::Optional, Need::Optional);
        matches!(problems.name, None | Some(DetailProblem::Missing))
            && problems.email.is_none()
            && problems.phone.is_none()
            && check_attributes(&self.attributes).is_ok()
    }
}

/// Checks custom attributes against the limits; the message names the attribute.
pub fn check_attributes(attributes: &BTreeMap<String, String>) -> Result<(), String> {
    if attributes.len() > MAX_ATTRIBUTES {
        return Err(format!("at most {MAX_ATTRIBUTES} attributes, not {}", attributes.len()));
    }
    for (name, value) in attributes {
        let length = name.chars().count();
        if length == 0 || length > MAX_ATTRIBUTE_NAME_CHARS || name.chars().any(char::is_control) || name.trim() != name {
            return Err(format!("the attribute name `{name}` must be 1–{MAX_ATTRIBUTE_NAME_CHARS} characters, without spaces around or line breaks"));
        }
        if value.chars().count() > MAX_ATTRIBUTE_VALUE_CHARS || value.chars().any(char::is_control) {
            return Err(format!("the value of `{name}` must be at most {MAX_ATTRIBUTE_VALUE_CHARS} characters, without line breaks"));
        }
    }
    Ok(())
}

/// A messenger or other way to reach the site, shown as a button in the widget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Messenger {
    Telegram,
    Whatsapp,
    Viber,
    Vk,
    Facebook,
    Instagram,
    Email,
    Phone,
}

impl Messenger {
    pub const ALL: [Messenger; 8] = [
        Messenger::Telegram,
        Messenger::Whatsapp,
        Messenger::Viber,
        Messenger::Vk,
        Messenger::Facebook,
        Messenger::Instagram,
        Messenger::Email,
        Messenger::Phone,
    ];

    /// Its name in the settings document (`"telegram"`), also the path of its field.
    pub fn key(self) -> &'static str {
        match self {
            Messenger::Telegram => "telegram",
            Messenger::Whatsapp => "whatsapp",
            Messenger::Viber => "viber",
            Messenger::Vk => "vk",
            Messenger::Facebook => "facebook",
            Messenger::Instagram => "instagram",
            Messenger::Email => "email",
            Messenger::Phone => "phone",
        }
    }

    /// The name people know it by (also the button's accessible name).
    pub fn title(self) -> &'static str {
        match self {
            Messenger::Telegram => "Telegram",
            Messenger::Whatsapp => "WhatsApp",
            Messenger::Viber => "Viber",
            Messenger::Vk => "VK",
            Messenger::Facebook => "Messenger",
            Messenger::Instagram => "Instagram",
            Messenger::Email => "E-mail",
            Messenger::Phone => "Phone",
        }
    }

    /// What the owner enters, as a hint for the console.
    pub fn hint(self) -> &'static str {
        match self {
            Messenger::Telegram => "username, e.g. natter_support",
            Messenger::Whatsapp => "phone number, e.g. +7 900 123-45-67",
            Messenger::Viber => "public account or bot URI, e.g. natter",
            Messenger::Vk => "community short name, e.g. natter",
            Messenger::Facebook => "page username, e.g. natter.chat",
            Messenger::Instagram => "username, e.g. natter.chat",
            Messenger::Email => "address, e.g. help@shop.example",
            Messenger::Phone => "number, e.g. +7 900 123-45-67",
        }
    }

    /// Whether the link needs an app that desktops rarely have, so a desktop visitor is
    /// offered a QR code to continue on their phone.
    pub fn wants_phone(self) -> bool {
        !matches!(self, Messenger::Email | Messenger::Phone)
    }

    /// What a valid value looks like: the reason given when [`Messenger::link`] refuses.
    pub fn requirement(self) -> &'static str {
        match self {
            Messenger::Telegram => "Enter the Telegram username: 5 to 32 letters, digits or _",
            Messenger::Whatsapp => "Enter the WhatsApp phone number with the country code",
            Messenger::Viber => "Enter the Viber account URI: 1 to 64 letters, digits or _-.",
            Messenger::Vk => "Enter the VK short name: 2 to 32 letters, digits or _.",
            Messenger::Facebook => "Enter the Messenger page username: 5 to 50 letters, digits or .",
            Messenger::Instagram => "Enter the Instagram username: 1 to 30 letters, digits or _.",
            Messenger::Email => "Enter an e-mail address like help@shop.example",
            Messenger::Phone => "Enter a phone number: digits, with + and the country code",
        }
    }

    /// The link for `value`, or `None` when `value` is not valid for this messenger
    /// (see [`Messenger::requirement`]). Words only: the widget carries no messages.
    pub fn link(self, value: &str) -> Option<String> {
        let value = value.trim();
        let handle = |min: usize, max: usize, extra: &str| {
            let name = value.strip_prefix('@').unwrap_or(value);
            let ok = (min..=max).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c));
            ok.then_some(name)
        };
        let (prefix, rest) = match self {
            Messenger::Telegram => ("https://t.me/", handle(5, 32, "_")?.to_owned()),
            Messenger::Whatsapp => ("https://wa.me/", phone_digits(value)?),
            Messenger::Viber => ("viber://pa?chatURI=", handle(1, 64, "_-.")?.to_owned()),
            Messenger::Vk => ("https://vk.me/", handle(2, 32, "_.")?.to_owned()),
            Messenger::Facebook => ("https://m.me/", handle(5, 50, ".")?.to_owned()),
            Messenger::Instagram => ("https://ig.me/m/", handle(1, 30, "_.")?.to_owned()),
            Messenger::Email => ("mailto:", is_email(value).then(|| value.to_owned())?),
            Messenger::Phone => (if value.starts_with('+') { "tel:+" } else { "tel:" }, phone_digits(value)?),
        };
        Some(prefix.to_owned() + &rest)
    }
}

/// One messenger button of a site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub kind: Messenger,
    pub value: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn each_messenger_link_is_exact() {
        let cases = [
            (Messenger::Telegram, "@natter_support", "https://t.me/natter_support"),
            (Messenger::Whatsapp, "+7 (900) 123-45-67", "https://wa.me/79001234567"),
            (Messenger::Viber, "natter", "viber://pa?chatURI=natter"),
            (Messenger::Vk, "natter.chat", "https://vk.me/natter.chat"),
            (Messenger::Facebook, "natter.chat", "https://m.me/natter.chat"),
            (Messenger::Instagram, "natter_chat", "https://ig.me/m/natter_chat"),
            (Messenger::Email, "help@shop.example", "mailto:help@shop.example"),
            (Messenger::Phone, "+7 900 123 45 67", "tel:+79001234567"),
        ];
        for (kind, value, link) in cases {
            assert_eq!(kind.link(value).as_deref(), Some(link), "{kind:?}");
        }
    }

    #[test]
    fn bad_messenger_values_are_refused_with_a_reason() {
        for (kind, value) in [
            (Messenger::Telegram, "ab"),
            (Messenger::Telegram, "bad name"),
            (Messenger::Whatsapp, "call me"),
            (Messenger::Viber, "a/b?c"),
            (Messenger::Vk, "x"),
            (Messenger::Instagram, "<script>"),
            (Messenger::Email, "help@"),
            (Messenger::Phone, "12"),
        ] {
            assert_eq!(kind.link(value), None, "{value}");
            assert!(kind.requirement().starts_with("Enter"));
        }
    }

    #[test]
    fn emails_and_phones() {
        for ok in ["a@b.co", "anna.k+shop@mail.example.ru"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in ["", "a", "a@b", "@b.co", "a@b..co", "a b@c.co", "a@b@c.co", "a@-b.co"] {
            assert!(!is_email(bad), "{bad}");
        }
        assert_eq!(phone_digits("+1 (555) 010-99-88").as_deref(), Some("15550109988"));
        assert_eq!(phone_digits("12"), None);
        assert_eq!(phone_digits("+7 900 abc"), None);
        assert_eq!(phone_digits("1234567890123456"), None);
    }

    #[test]
    fn attributes_are_held_to_their_limits() {
        let one = |name: &str, value: &str| BTreeMap::from([(name.to_owned(), value.to_owned())]);
        assert_eq!(check_attributes(&one("plan", "pro")), Ok(()));
        assert!(check_attributes(&one("", "x")).unwrap_err().contains("attribute name"));
        assert!(check_attributes(&one(&"k".repeat(41), "x")).unwrap_err().contains("1–40"));
        assert!(check_attributes(&one("plan", &"v".repeat(201))).unwrap_err().contains("`plan`"));
        assert!(check_attributes(&one("plan", "a\nb")).unwrap_err().contains("line breaks"));
        let many: BTreeMap<String, String> = (0..21).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(check_attributes(&many).unwrap_err().contains("at most 20"));
        let details = VisitorDetails { attributes: one("plan", &"v".repeat(201)), ..Default::default() };
        assert!(!details.is_acceptable());
    }

    #[test]
    fn the_form_checks_each_field_as_configured() {
        let details = |n: &str, e: &str, p: &str| VisitorDetails { name: n.into(), email: e.into(), phone: p.into(), ..Default::default() };
        let none = DetailProblems::default();
        assert_eq!(details("Anna", "", "").check(Need::Optional, Need::Off), none);
        let problems = details("", "anna@", "12").check(Need::Required, Need::Optional);
        assert_eq!(problems.name, Some(DetailProblem::Missing));
        assert_eq!(problems.email, Some(DetailProblem::BadEmail));
        assert_eq!(problems.phone, Some(DetailProblem::BadPhone));
        assert_eq!(details("Anna", "", "").check(Need::Required, Need::Required).phone, Some(DetailProblem::Missing));
        assert_eq!(details(&"x".repeat(81), "", "").check(Need::Off, Need::Off).name, Some(DetailProblem::TooLong));
    }

    #[test]
    fn the_offline_form_takes_an_email_or_a_phone() {
        let by_mail = VisitorDetails::from_offline_form(" Anna ", "anna@mail.example").unwrap();
        assert_eq!((by_mail.name.as_str(), by_mail.email.as_str(), by_mail.phone.as_str()), ("Anna", "anna@mail.example", ""));
        let by_phone = VisitorDetails::from_offline_form("Anna", "+7 900 123 45 67").unwrap();
        assert_eq!(by_phone.phone, "+7 900 123 45 67");
        assert_eq!(VisitorDetails::from_offline_form("Anna", "").unwrap_err().email, Some(DetailProblem::Missing));
        assert_eq!(VisitorDetails::from_offline_form("Anna", "anna@").unwrap_err().email, Some(DetailProblem::BadEmail));
        assert_eq!(VisitorDetails::from_offline_form("", "12").unwrap_err().email, Some(DetailProblem::BadPhone));
    }

    proptest! {
        #[test]
        fn no_input_panics_and_links_never_carry_spaces_or_quotes(kind in 0usize..8, value in ".{0,80}") {
            if let Some(link) = Messenger::ALL[kind].link(&value) {
                prop_assert!(!link.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>')));
            }
            let _ = VisitorDetails { name: value.clone(), email: value.clone(), phone: value, ..Default::default() }.check(Need::Required, Need::Required);
        }
    }
}
