//! CRMs a site sends its visitors to: amoCRM (OAuth: an integration's id, secret key
//! and authorization code, exchanged for tokens) and Bitrix24 (an incoming webhook's
//! address). A contact when a conversation starts, a lead with the transcript when it
//! closes, or either by hand from the visitor panel. Here: what the console sets and
//! sees, and the checks and names both sides agree on; the calls are the edge's
//! (`edge/src/crm`).

use serde::{Deserialize, Serialize};

/// A CRM a site can send to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrmKind {
    Amocrm,
    Bitrix24,
}

impl CrmKind {
    pub const ALL: [CrmKind; 2] = [CrmKind::Amocrm, CrmKind::Bitrix24];

    pub fn as_str(self) -> &'static str {
        match self {
            CrmKind::Amocrm => "amocrm",
            CrmKind::Bitrix24 => "bitrix24",
        }
    }

    pub fn parse(text: &str) -> Option<CrmKind> {
        CrmKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// Its name, the same in every language.
    pub fn name(self) -> &'static str {
        match self {
            CrmKind::Amocrm => "amoCRM",
            CrmKind::Bitrix24 => "Bitrix24",
        }
    }
}

/// What a visitor panel button asks of a CRM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrmAction {
    /// Create the visitor's contact.
    Contact,
    /// Write the visitor's details to their contact again.
    Update,
    /// Create a lead with the transcript, tied to the contact (made first if there is none).
    Lead,
}

impl CrmAction {
    pub fn as_str(self) -> &'static str {
        match self {
            CrmAction::Contact => "contact",
            CrmAction::Update => "update",
            CrmAction::Lead => "lead",
        }
    }

    pub fn parse(text: &str) -> Option<CrmAction> {
        [CrmAction::Contact, CrmAction::Update, CrmAction::Lead].into_iter().find(|a| a.as_str() == text)
    }
}

/// The name a visitor without one gets in the CRM, before their number, unless the
/// admin set another: in the site's language.
pub fn default_name_prefix(language: crate::settings::Language) -> &'static str {
    match language {
        crate::settings::Language::Ru => "Посетитель",
        crate::settings::Language::En => "Visitor",
    }
}

/// What an admin sends to connect a CRM, change its options or switch it off. Secrets
/// left empty keep the ones stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmChange {
    #[serde(default)]
    pub enabled: bool,
    /// Create the contact when a conversation starts.
    #[serde(default)]
    pub contact_at_start: bool,
    /// Create the lead, with the transcript, when a conversation closes.
    #[serde(default)]
    pub lead_at_close: bool,
    /// "Visitor" in "Visitor 1a2b", for visitors who gave no name.
    #[serde(default)]
    pub name_prefix: String,
    /// amoCRM: the account's subdomain (`shop` of shop.amocrm.ru).
    #[serde(default)]
    pub subdomain: String,
    /// amoCRM: the integration's id, secret key and redirect address (as set in the
    /// integration), and an authorization code to exchange for tokens.
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub client_secret: String,
    #[serde(default)]
    pub redirect_uri: String,
    #[serde(default)]
    pub code: String,
    /// Bitrix24: the incoming webhook's address (`https://…/rest/1/abc…/`).
    #[serde(default)]
    pub webhook_url: String,
    /// amoCRM: another API address than `https://{subdomain}.amocrm.ru` (a test's fake).
    #[serde(default)]
    pub api: String,
}

/// How a site's CRM stands, as the console shows it: no secrets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmState {
    pub kind: CrmKind,
    pub enabled: bool,
    pub contact_at_start: bool,
    pub lead_at_close: bool,
    pub name_prefix: String,
    pub subdomain: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub api: String,
    /// The account it sends to (`shop.amocrm.ru`, the Bitrix24 portal).
    pub account: String,
}

/// A contact or lead in a CRM: its id there, and its page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmRecord {
    pub id: String,
    pub url: String,
}

/// A conversation's visitor in one CRM, for the visitor panel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmStanding {
    pub kind: CrmKind,
    pub contact: Option<CrmRecord>,
    pub lead: Option<CrmRecord>,
    /// The last attempt's failure, while it waits to be tried again.
    pub error: Option<String>,
}

/// The contact's name: the visitor's own, or the prefix and the number the console
/// shows them by (`Visitor 1a2b` → `Client 1a2b`).
pub fn contact_name(prefix: &str, given: &str, shown: &str) -> String {
    if !given.trim().is_empty() {
        return given.trim().to_owned();
    }
    let prefix = if prefix.trim().is_empty() { default_name_prefix(crate::settings::Language::En) } else { prefix.trim() };
    match shown.strip_prefix("Visitor ") {
        Some(number) => format!("{prefix} {number}"),
        // A messenger's user has their own name.
        None if !shown.trim().is_empty() => shown.trim().to_owned(),
        None => prefix.to_owned(),
    }
}

/// An amoCRM subdomain: letters, digits and hyphens.
pub fn check_subdomain(subdomain: &str) -> Result<(), String> {
    let ok = !subdomain.is_empty()
        && subdomain.len() <= 63
        && subdomain.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !subdomain.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err("Write the subdomain of your amoCRM address: shop for shop.amocrm.ru".into())
    }
}

/// A Bitrix24 incoming webhook's address, with its final `/`: `https://` (or this
/// machine's `http://`), ending in `/rest/{user}/{code}`.
pub fn check_bitrix_webhook(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let local = url.starts_with("http://127.0.0.1:") || url.starts_with("http://localhost:");
    let mut tail = url.rsplit('/');
    let (code, user, rest) = (tail.next().unwrap_or(""), tail.next().unwrap_or(""), tail.next().unwrap_or(""));
    let shaped = rest == "rest" && !user.is_empty() && user.bytes().all(|b| b.is_ascii_digit()) && code.len() >= 8 && code.bytes().all(|b| b.is_ascii_alphanumeric());
    if (url.starts_with("https://") || local) && shaped && !url.contains(['?', '#', ' ', '@']) && url.len() <= 300 {
        Ok(format!("{url}/"))
    } else {
        Err("Paste the incoming webhook's address from Bitrix24, like https://shop.bitrix24.ru/rest/1/abc123def456/".into())
    }
}

/// The portal's address in a Bitrix24 webhook's (`https://shop.bitrix24.ru`).
pub fn bitrix_portal(webhook_url: &str) -> &str {
    webhook_url.split("/rest/").next().unwrap_or(webhook_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visitor_without_a_name_is_the_prefix_and_their_number() {
        assert_eq!(contact_name("Visitor", "", "Visitor 1a2b"), "Visitor 1a2b");
        assert_eq!(contact_name("Клиент", "", "Visitor 1a2b"), "Клиент 1a2b");
        assert_eq!(contact_name("", "", "Visitor 1a2b"), "Visitor 1a2b");
        assert_eq!(contact_name(default_name_prefix(crate::settings::Language::Ru), "", "Visitor 1a2b"), "Посетитель 1a2b");
        assert_eq!(contact_name("Client", " Anna ", "Visitor 1a2b"), "Anna");
        assert_eq!(contact_name("Client", "", "Ivan Petrov"), "Ivan Petrov");
        assert_eq!(contact_name("Client", "", ""), "Client");
    }

    #[test]
    fn subdomains_and_webhooks_are_checked() {
        assert!(check_subdomain("my-shop2").is_ok());
        assert!(check_subdomain("My Shop").is_err());
        assert!(check_subdomain("").is_err());
        assert_eq!(check_bitrix_webhook("https://shop.bitrix24.ru/rest/1/abc123def456"), Ok("https://shop.bitrix24.ru/rest/1/abc123def456/".into()));
        assert_eq!(check_bitrix_webhook("http://127.0.0.1:9000/rest/7/abcdefgh12/"), Ok("http://127.0.0.1:9000/rest/7/abcdefgh12/".into()));
        assert!(check_bitrix_webhook("http://shop.bitrix24.ru/rest/1/abc123def456").is_err());
        assert!(check_bitrix_webhook("https://shop.bitrix24.ru/rest/x/abc123def456").is_err());
        assert!(check_bitrix_webhook("https://shop.bitrix24.ru/abc123def456").is_err());
        assert!(check_bitrix_webhook("https://shop.bitrix24.ru/rest/1/short").is_err());
        assert_eq!(bitrix_portal("https://shop.bitrix24.ru/rest/1/abc123def456/"), "https://shop.bitrix24.ru");
        assert_eq!(CrmAction::parse("lead"), Some(CrmAction::Lead));
        assert_eq!(CrmKind::parse("bitrix24"), Some(CrmKind::Bitrix24));
    }
}
