//! Signed-in users of the host site (the JS API's `identify`, docs/js-api.md). The host
//! site's server signs the user with the site's identity secret; the edge checks the
//! signature in constant time and its expiry, and only then lets the user's
//! conversation follow them to any browser. Visitor-supplied data is never trusted
//! without it.
//!
//! The signed text is the fields joined by line feeds, after a fixed first line:
//! `natter-identify-v1\n{site}\n{id}\n{name}\n{email}\n{expires}`, and the signature is
//! the lowercase hex HMAC-SHA256 of it. No field may contain a line break, so the
//! encoding is unambiguous and the same in every language.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::contact::{is_email, MAX_NAME_CHARS};
use crate::ids::SiteId;

/// Longest user id, in characters.
pub const MAX_USER_ID_CHARS: usize = 128;
/// How far ahead `expires` may be: a signature is a short-lived proof, not a password.
pub const MAX_EXPIRES_AHEAD_SECONDS: u64 = 30 * 24 * 60 * 60;

/// What page code passes to `identify`, as signed by the host site's server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The user's id on the host site (stable, not an e-mail that may change).
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    /// When the signature stops being accepted: Unix time in seconds.
    pub expires: u64,
    /// Lowercase hex HMAC-SHA256 of [`signed_text`] with the site's identity secret.
    #[serde(default)]
    pub signature: String,
}

/// A user whose signature the edge checked: carried in their visitor token and shown
/// to operators as verified.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedUser {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
}

/// The text the host site's server signs for `identity` on `site`.
pub fn signed_text(site: &str, id: &str, name: &str, email: &str, expires: u64) -> String {
    format!("natter-identify-v1\n{site}\n{id}\n{name}\n{email}\n{expires}")
}

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this cannot fail.
    Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts any key length")
}

/// The signature the host site's server makes (for tests and the docs' examples).
pub fn sign(secret: &[u8], site: &str, id: &str, name: &str, email: &str, expires: u64) -> String {
    let mut mac = mac(secret);
    mac.update(signed_text(site, id, name, email, expires).as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok()).collect()
}

impl Identity {
    /// Checks the fields alone (no secret needed): what page code can get wrong.
    pub fn check_fields(&self) -> Result<(), String> {
        let id = self.id.trim();
        if id.is_empty() {
            return Err("identify: `id` is missing".into());
        }
        if id.chars().count() > MAX_USER_ID_CHARS || id.chars().any(char::is_control) || id != self.id {
            return Err(format!("identify: `id` must be 1–{MAX_USER_ID_CHARS} characters, without spaces around or line breaks"));
        }
        if self.name.chars().count() > MAX_NAME_CHARS || self.name.chars().any(char::is_control) {
            return Err(format!("identify: `name` must be at most {MAX_NAME_CHARS} characters, without line breaks"));
        }
        if !self.email.is_empty() && !is_email(&self.email) {
            return Err("identify: `email` is not a valid e-mail address".into());
        }
        if self.signature.is_empty() {
            return Err("identify: `signature` is missing: sign the user on your server (docs/js-api.md)".into());
        }
        Ok(())
    }

    /// Checks the signature (in constant time) and the expiry against `now` (ms).
    pub fn verify(&self, site: &SiteId, secret: &[u8], now: u64) -> Result<VerifiedUser, String> {
        self.check_fields()?;
        let signature = hex_bytes(&self.signature).ok_or("identify: `signature` must be 64 hex digits (HMAC-SHA256)")?;
        let mut mac = mac(secret);
        mac.update(signed_text(site.as_str(), &self.id, &self.name, &self.email, self.expires).as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| "identify: the signature does not match: sign the same site, id, name, e-mail and expiry with the site's identity secret")?;
        let now_seconds = now / 1000;
        if self.expires <= now_seconds {
            return Err("identify: the signature has expired: sign it again with a later `expires`".into());
        }
        if self.expires > now_seconds + MAX_EXPIRES_AHEAD_SECONDS {
            return Err("identify: `expires` is more than 30 days ahead".into());
        }
        Ok(VerifiedUser { id: self.id.clone(), name: self.name.clone(), email: self.email.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: u64 = 1_800_000_000_000;

    fn site() -> SiteId {
        SiteId::parse("demo").unwrap()
    }

    fn signed(secret: &[u8]) -> Identity {
        let expires = NOW / 1000 + 3600;
        let signature = sign(secret, "demo", "u-42", "Ann", "ann@example.com", expires);
        Identity { id: "u-42".into(), name: "Ann".into(), email: "ann@example.com".into(), expires, signature }
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_the_documented_text() {
        // Computed independently: printf 'natter-identify-v1\ndemo\nu-42\nAnn\nann@example.com\n1800003600' |
        //   openssl dgst -sha256 -hmac secret
        assert_eq!(
            sign(b"secret", "demo", "u-42", "Ann", "ann@example.com", 1_800_003_600),
            "eea0a951e5cd6e18b28cfc99c6d980a7b3d12bd11f40fdc988c6b700e9f014b1"
        );
    }

    #[test]
    fn a_good_signature_verifies_and_names_the_user() {
        let user = signed(b"secret").verify(&site(), b"secret", NOW).unwrap();
        assert_eq!(user, VerifiedUser { id: "u-42".into(), name: "Ann".into(), email: "ann@example.com".into() });
    }

    #[test]
    fn wrong_missing_expired_or_changed_signatures_are_refused() {
        let good = signed(b"secret");
        assert!(good.verify(&site(), b"other", NOW).unwrap_err().contains("does not match"));
        assert!(good.verify(&SiteId::parse("shop").unwrap(), b"secret", NOW).unwrap_err().contains("does not match"));
        let renamed = Identity { name: "Bob".into(), ..good.clone() };
        assert!(renamed.verify(&site(), b"secret", NOW).unwrap_err().contains("does not match"));
        let missing = Identity { signature: String::new(), ..good.clone() };
        assert!(missing.verify(&site(), b"secret", NOW).unwrap_err().contains("missing"));
        let garbled = Identity { signature: "zz".repeat(32), ..good.clone() };
        assert!(garbled.verify(&site(), b"secret", NOW).unwrap_err().contains("64 hex digits"));
        assert!(good.verify(&site(), b"secret", NOW + 3_600_000).unwrap_err().contains("expired"));
        let far = NOW / 1000 + MAX_EXPIRES_AHEAD_SECONDS + 10;
        let forever = Identity { expires: far, signature: sign(b"secret", "demo", "u-42", "Ann", "ann@example.com", far), ..good };
        assert!(forever.verify(&site(), b"secret", NOW).unwrap_err().contains("30 days"));
    }

    #[test]
    fn fields_are_checked_before_the_signature() {
        let good = signed(b"secret");
        for (bad, word) in [
            (Identity { id: String::new(), ..good.clone() }, "`id`"),
            (Identity { id: "a\nb".into(), ..good.clone() }, "`id`"),
            (Identity { id: "x".repeat(129), ..good.clone() }, "`id`"),
            (Identity { name: "a\nb".into(), ..good.clone() }, "`name`"),
            (Identity { email: "nope".into(), ..good.clone() }, "`email`"),
        ] {
            assert!(bad.check_fields().unwrap_err().contains(word), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn no_input_panics_and_only_the_secret_holder_verifies(id in ".{0,140}", name in ".{0,90}", signature in ".{0,70}", expires in any::<u64>()) {
            let identity = Identity { id, name, email: String::new(), expires, signature };
            let _ = identity.check_fields();
            prop_assert!(identity.verify(&SiteId::parse("demo").unwrap(), b"secret", NOW).is_err());
        }
    }
}
