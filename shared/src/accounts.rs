//! Organisations, their sites and operators: the console's REST bodies for signing up,
//! managing sites and operators, invitations, profiles and passwords, and the checks
//! both sides apply (the console for a quick answer, the edge for the last word).
//! Every check answers a sentence that names the field, as the console shows it.

use serde::{Deserialize, Serialize};

use crate::ids::{OperatorId, SiteId};
use crate::protocol::Role;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (hashing a megabyte would be a cheap way to burn CPU).
pub const MAX_PASSWORD_CHARS: usize = 200;
/// Longest name, title, organisation or site name.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest phone number.
pub const MAX_PHONE_CHARS: usize = 40;
/// Longest URL (site, avatar).
pub const MAX_URL_CHARS: usize = 500;
/// Most allowed origins per site.
pub const MAX_ORIGINS: usize = 50;
/// How long an invitation link works.
pub const INVITATION_TTL_MS: u64 = 7 * 24 * 3600 * 1000;
/// How long a password reset link works.
pub const RESET_TTL_MS: u64 = 3600 * 1000;

/// `GET /v1/console/config`: what the sign-in page may offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleConfig {
    /// Whether anyone may create an organisation (`SIGNUP = "open"`).
    pub signup: bool,
    /// Whether this deployment sends e-mail (invitations, password resets).
    pub email: bool,
}

/// `POST /v1/console/sign-up` (and `POST /v1/bootstrap`): a new organisation, its first
/// site and its first admin.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUp {
    pub organisation: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub site_name: String,
    pub site_url: String,
    /// The signer-up's browser's time zone, which becomes the organisation's (the
    /// journal's days and reports count in it); UTC if missing or unknown.
    #[serde(default)]
    pub time_zone: String,
}

impl SignUp {
    pub fn check(&self) -> Result<(), String> {
        check_name("Organisation", &self.organisation)?;
        check_name("Your name", &self.name)?;
        check_email(&self.email)?;
        check_password(&self.password)?;
        check_name("Site name", &self.site_name)?;
        origin_of("Site URL", &self.site_url).map(|_| ())
    }
}

/// A site as the console shows and edits it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteInfo {
    pub id: SiteId,
    pub name: String,
    pub url: String,
    /// Origins whose pages may embed the widget; `*` allows any.
    pub allowed_origins: Vec<String>,
    /// Switched off: the loader draws nothing and new visitors are refused.
    #[serde(default)]
    pub disabled: bool,
}

/// `POST /v1/console/sites`: another site of the organisation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSite {
    pub name: String,
    pub url: String,
}

impl NewSite {
    pub fn check(&self) -> Result<(), String> {
        check_name("Site name", &self.name)?;
        origin_of("Site URL", &self.url).map(|_| ())
    }
}

/// `PUT /v1/console/sites/{site}`: rename, move, change origins, switch off or on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteUpdate {
    pub name: String,
    pub url: String,
    pub allowed_origins: Vec<String>,
    pub disabled: bool,
}

impl SiteUpdate {
    /// Checks it and answers the origins cleaned (`https://shop.example/` becomes
    /// `https://shop.example`), each once.
    pub fn check(&self) -> Result<Vec<String>, String> {
        check_name("Site name", &self.name)?;
        origin_of("Site URL", &self.url)?;
        if self.allowed_origins.len() > MAX_ORIGINS {
            return Err(format!("Allowed origins: at most {MAX_ORIGINS}"));
        }
        let mut origins = Vec::new();
        for origin in &self.allowed_origins {
            let origin = origin.trim();
            let clean = if origin == "*" { "*".to_owned() } else { origin_of("Allowed origins", origin)? };
            if !origins.contains(&clean) {
                origins.push(clean);
            }
        }
        Ok(origins)
    }
}

/// An operator as admins see them on the Operators page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorInfo {
    pub id: OperatorId,
    pub email: String,
    pub name: String,
    pub title: String,
    pub phone: String,
    pub avatar: Option<String>,
    pub role: Role,
    /// The sites they work on; admins work on every site of the organisation.
    pub sites: Vec<SiteId>,
    /// Deactivated operators cannot sign in; their sessions have ended.
    pub active: bool,
    /// They have set a password (accepted their invitation).
    pub joined: bool,
    /// They have the console open now, on any of their sites.
    #[serde(default)]
    pub online: bool,
}

/// `POST /v1/console/operators`: an invitation for a new operator.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    pub email: String,
    pub name: String,
    pub title: String,
    pub role: Role,
    pub sites: Vec<SiteId>,
}

impl Invite {
    pub fn check(&self) -> Result<(), String> {
        check_email(&self.email)?;
        check_name("Name", &self.name)?;
        check_optional("Title", &self.title, MAX_NAME_CHARS)
    }
}

/// The answer to an invitation: the one-time link for the admin to pass on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub operator: OperatorInfo,
    pub link: String,
    /// The link was also e-mailed to the invitee.
    pub emailed: bool,
}

/// `PUT /v1/console/operators/{id}`: what admins change about an operator.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorUpdate {
    pub name: String,
    pub title: String,
    pub phone: String,
    pub role: Role,
    pub sites: Vec<SiteId>,
    pub active: bool,
}

impl OperatorUpdate {
    pub fn check(&self) -> Result<(), String> {
        check_name("Name", &self.name)?;
        check_optional("Title", &self.title, MAX_NAME_CHARS)?;
        check_optional("Phone", &self.phone, MAX_PHONE_CHARS)
    }
}

/// `GET /v1/invitations/{token}`: what the invitation page shows before joining.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub organisation: String,
    pub email: String,
    pub name: String,
}

/// `POST /v1/invitations/{token}` and `POST /v1/password-reset/{token}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPassword {
    pub password: String,
}

/// `POST /v1/console/me/password`: the operator changes their own password.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub current: String,
    pub password: String,
}

/// `POST /v1/console/password-reset`: "I forgot my password".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRequest {
    pub email: String,
}

/// `PUT /v1/console/me`: what every operator edits about themselves. Name and avatar
/// are what visitors see on their messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub title: String,
    pub phone: String,
    pub avatar: Option<String>,
}

impl Profile {
    /// Checks it; `edge` is the edge's origin, whose uploaded avatars are accepted too.
    pub fn check(&self, edge: &str) -> Result<(), String> {
        check_name("Name", &self.name)?;
        check_optional("Title", &self.title, MAX_NAME_CHARS)?;
        check_optional("Phone", &self.phone, MAX_PHONE_CHARS)?;
        if let Some(avatar) = &self.avatar {
            let uploaded = avatar.starts_with(&format!("{edge}/v1/avatars/"));
            if !(avatar.starts_with("https://") || uploaded) || avatar.len() > MAX_URL_CHARS || avatar.contains(['"', '<', '>', ' ']) {
                return Err("Avatar: give an https:// address of a picture, or upload one".into());
            }
        }
        Ok(())
    }
}

/// `GET /v1/console/me`: who is signed in, and the sites they work on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub operator: OperatorId,
    pub email: String,
    pub organisation: String,
    pub role: Role,
    pub profile: Profile,
    pub sites: Vec<SiteInfo>,
    /// The organisation's time zone (IANA, e.g. "Europe/Moscow").
    #[serde(default = "utc")]
    pub time_zone: String,
}

pub fn utc() -> String {
    "UTC".into()
}

/// The organisation's time zone, as an admin sets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeZoneChange {
    pub time_zone: String,
}

/// An e-mail address as accounts are keyed: trimmed, lower case.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn check_email(email: &str) -> Result<(), String> {
    let email = normalize_email(email);
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains('@')
        }
        None => false,
    };
    if !valid || email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("Email: enter an address like name@example.com".into());
    }
    Ok(())
}

pub fn check_password(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!("Password: use at least {MIN_PASSWORD_CHARS} characters"));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!("Password: use at most {MAX_PASSWORD_CHARS} characters"));
    }
    Ok(())
}

fn check_name(field: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("{field}: fill this in"));
    }
    check_optional(field, value, MAX_NAME_CHARS)
}

fn check_optional(field: &str, value: &str, max: usize) -> Result<(), String> {
    if value.trim().chars().count() > max {
        return Err(format!("{field}: at most {max} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{field}: remove the control characters"));
    }
    Ok(())
}

/// The origin of a site's address, as browsers send it in `Origin`: `shop.example.com/x`
/// gives `https://shop.example.com`, `http://127.0.0.1:8080/` gives `http://127.0.0.1:8080`.
pub fn origin_of(field: &str, url: &str) -> Result<String, String> {
    let problem = || format!("{field}: enter an address like https://shop.example.com");
    let url = url.trim();
    if url.is_empty() || url.len() > MAX_URL_CHARS {
        return Err(problem());
    }
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("https".to_owned(), url),
    };
    if scheme != "http" && scheme != "https" {
        return Err(problem());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default().to_ascii_lowercase();
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => (host, Some(port)),
        _ => (authority.as_str(), None),
    };
    let host_ok = !host.is_empty()
        && !host.starts_with(['.', '-'])
        && !host.ends_with(['.', '-'])
        && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()));
    if !host_ok || !port_ok || authority.contains('@') {
        return Err(problem());
    }
    Ok(format!("{scheme}://{authority}"))
}

/// A new site's id: its name as a slug, then random hex so it is never guessed or taken,
/// e.g. `acme-shop-3f9a2c`.
pub fn site_id_for(name: &str, random: [u8; 16]) -> SiteId {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 24 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let suffix: String = random[..4].iter().map(|b| format!("{b:02x}")).collect();
    let id = if slug.is_empty() { format!("site-{suffix}") } else { format!("{slug}-{suffix}") };
    SiteId::parse(&id).expect("a slug of a-z, 0-9 and '-' with a hex suffix is a site id")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_taken_from_addresses_as_browsers_send_them() {
        assert_eq!(origin_of("Site URL", "https://Shop.Example.com/catalogue?x=1"), Ok("https://shop.example.com".into()));
        assert_eq!(origin_of("Site URL", "shop.example.com"), Ok("https://shop.example.com".into()));
        assert_eq!(origin_of("Site URL", "http://127.0.0.1:8080/"), Ok("http://127.0.0.1:8080".into()));
        for bad in ["", "ftp://shop.example", "https://", "https://a b.example", "https://user@evil.example", "https://x.example:port", "javascript:alert(1)"] {
            assert!(origin_of("Site URL", bad).unwrap_err().starts_with("Site URL: "), "{bad}");
        }
    }

    #[test]
    fn passwords_emails_and_names_are_checked_with_the_field_named() {
        assert!(check_password("0123456789").is_ok());
        assert_eq!(check_password("012345678"), Err("Password: use at least 10 characters".into()));
        assert!(check_email(" Anna@Example.COM ").is_ok());
        for bad in ["anna", "anna@", "@example.com", "anna@example", "an na@example.com"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        let mut sign_up = SignUp {
            organisation: "Acme".into(),
            name: "Anna".into(),
            email: "anna@acme.test".into(),
            password: "correct horse".into(),
            site_name: "Shop".into(),
            site_url: "https://shop.acme.test".into(),
            time_zone: String::new(),
        };
        assert_eq!(sign_up.check(), Ok(()));
        sign_up.organisation = " ".into();
        assert_eq!(sign_up.check(), Err("Organisation: fill this in".into()));
    }

    #[test]
    fn site_ids_are_slugs_with_a_random_suffix() {
        assert_eq!(site_id_for("Acme Shop!", [0xab; 16]).as_str(), "acme-shop-abababab");
        assert_eq!(site_id_for("Магазин", [1; 16]).as_str(), "site-01010101");
        assert!(site_id_for(&"x".repeat(80), [2; 16]).as_str().len() <= 40);
    }

    #[test]
    fn origins_of_a_site_update_are_cleaned_and_kept_once() {
        let update = SiteUpdate {
            name: "Shop".into(),
            url: "https://shop.test".into(),
            allowed_origins: vec!["https://shop.test/".into(), "https://shop.test".into(), "*".into()],
            disabled: false,
        };
        assert_eq!(update.check(), Ok(vec!["https://shop.test".into(), "*".into()]));
    }

    #[test]
    fn avatars_are_https_or_uploaded_to_this_edge() {
        let mut profile = Profile { name: "Anna".into(), avatar: Some("https://cdn.test/a.png".into()), ..Profile::default() };
        assert!(profile.check("http://127.0.0.1:8787").is_ok());
        profile.avatar = Some("http://127.0.0.1:8787/v1/avatars/o/1".into());
        assert!(profile.check("http://127.0.0.1:8787").is_ok());
        profile.avatar = Some("http://cdn.test/a.png".into());
        assert!(profile.check("http://127.0.0.1:8787").is_err());
        profile.avatar = Some("javascript:alert(1)".into());
        assert!(profile.check("http://127.0.0.1:8787").is_err());
    }
}
