//! Opaque signed tokens: `base64url(JSON claims) "." base64url(HMAC-SHA256)`. The edge
//! mints them with its secret and checks them (in constant time, with expiry) before a
//! request reaches a Durable Object. Clients never look inside.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::identity::VerifiedUser;
use crate::ids::{ConversationId, OperatorId, OrgId, SiteId, VisitorId};
use crate::protocol::Millis;
use crate::Error;

type HmacSha256 = Hmac<Sha256>;

/// What a visitor token grants: this visitor's own conversation on one site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorClaims {
    pub site: SiteId,
    pub visitor: VisitorId,
    pub conversation: ConversationId,
    pub exp: Millis,
    /// The host site's signed-in user, verified by `identify`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<VerifiedUser>,
}

/// What an operator's console session grants: whatever their organisation lets this
/// operator do *now* (the edge asks it on every request), while `version` is still
/// theirs: changing or resetting the password, deactivation or deletion bump it, which
/// ends every session at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorClaims {
    pub org: OrgId,
    pub operator: OperatorId,
    pub version: u64,
    pub exp: Millis,
}

/// The claims a token carries; the tag keeps one kind from passing as the other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "typ", rename_all = "snake_case")]
pub enum Claims {
    Visitor(VisitorClaims),
    Operator(OperatorClaims),
}

impl Claims {
    fn exp(&self) -> Millis {
        match self {
            Claims::Visitor(c) => c.exp,
            Claims::Operator(c) => c.exp,
        }
    }
}

fn mac(secret: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length")
}

/// Signs claims into a token.
pub fn sign(claims: &Claims, secret: &[u8]) -> String {
    let payload = B64.encode(serde_json::to_vec(claims).expect("claims serialize"));
    let mut mac = mac(secret);
    mac.update(payload.as_bytes());
    let signature = B64.encode(mac.finalize().into_bytes());
    format!("{payload}.{signature}")
}

/// Checks a token's signature (constant time) and expiry against `now`.
pub fn verify(token: &str, secret: &[u8], now: Millis) -> Result<Claims, Error> {
    let (payload, signature) = token.split_once('.').ok_or(Error::BadToken)?;
    let signature = B64.decode(signature).map_err(|_| Error::BadToken)?;
    let mut mac = mac(secret);
    mac.update(payload.as_bytes());
    mac.verify_slice(&signature).map_err(|_| Error::BadToken)?;
    let json = B64.decode(payload).map_err(|_| Error::BadToken)?;
    let claims: Claims = serde_json::from_slice(&json).map_err(|_| Error::BadToken)?;
    if claims.exp() <= now {
        return Err(Error::ExpiredToken);
    }
    Ok(claims)
}

/// The `X-Natter-Signature` header of a webhook request: `t={timestamp},v1={hex}`,
/// the hex HMAC-SHA256 of `"{timestamp}.{body}"` with the site secret. The timestamp
/// (ms) lets a receiver refuse old replays.
pub fn webhook_signature(secret: &[u8], timestamp: Millis, body: &str) -> String {
    let mut mac = mac(secret);
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

/// The hex HMAC-SHA256 of `data` with `secret`.
pub fn hmac_hex(secret: &[u8], data: &[u8]) -> String {
    let mut mac = mac(secret);
    mac.update(data);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `signature` (hex, either case) is the HMAC-SHA256 of `data` with `secret`,
/// compared in constant time.
pub fn is_hmac_hex(secret: &[u8], data: &[u8], signature: &str) -> bool {
    let bytes: Option<Vec<u8>> = (signature.len() == 64 && signature.is_ascii())
        .then(|| (0..32).map(|i| u8::from_str_radix(&signature[i * 2..i * 2 + 2], 16).ok()).collect())
        .flatten();
    let mut mac = mac(secret);
    mac.update(data);
    bytes.is_some_and(|bytes| mac.verify_slice(&bytes).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn visitor(exp: Millis) -> Claims {
        Claims::Visitor(VisitorClaims {
            site: SiteId::parse("demo").unwrap(),
            visitor: VisitorId::parse("v1").unwrap(),
            conversation: ConversationId::parse("c1").unwrap(),
            exp,
            user: None,
        })
    }

    #[test]
    fn hex_hmacs_check_in_either_case_and_refuse_anything_else() {
        let signature = hmac_hex(b"key", b"body");
        assert_eq!(signature.len(), 64);
        assert!(is_hmac_hex(b"key", b"body", &signature));
        assert!(is_hmac_hex(b"key", b"body", &signature.to_uppercase()));
        assert!(!is_hmac_hex(b"key", b"body!", &signature));
        assert!(!is_hmac_hex(b"other", b"body", &signature));
        assert!(!is_hmac_hex(b"key", b"body", &signature[..63]));
        assert!(!is_hmac_hex(b"key", b"body", ""));
        assert!(!is_hmac_hex(b"key", b"body", &"zz".repeat(32)));
        assert!(!is_hmac_hex(b"key", b"body", &"é".repeat(32)));
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let token = sign(&visitor(1_000), b"secret");
        assert_eq!(verify(&token, b"secret", 999), Ok(visitor(1_000)));
        assert_eq!(verify(&token, b"secret", 1_000), Err(Error::ExpiredToken));
    }

    #[test]
    fn a_wrong_secret_or_a_changed_payload_is_refused() {
        let token = sign(&visitor(1_000), b"secret");
        assert_eq!(verify(&token, b"other", 0), Err(Error::BadToken));
        let (_, sig) = token.split_once('.').unwrap();
        let forged = B64.encode(serde_json::to_vec(&visitor(u64::MAX)).unwrap());
        assert_eq!(verify(&format!("{forged}.{sig}"), b"secret", 0), Err(Error::BadToken));
        assert_eq!(verify("garbage", b"secret", 0), Err(Error::BadToken));
        assert_eq!(verify("", b"secret", 0), Err(Error::BadToken));
    }

    #[test]
    fn webhook_signatures_match_the_documented_recipe() {
        // Computed independently (Python's hmac) over "0.what do ya want for nothing?".
        let signature = webhook_signature(b"Jefe", 0, "what do ya want for nothing?");
        assert_eq!(signature, "t=0,v1=37f471929915ccd2cbbe79feb84ffcff4f2bb25e15fc41c2506687331ae179cc");
        assert_ne!(signature, webhook_signature(b"Jefe", 1, "what do ya want for nothing?"));
    }

    proptest! {
        #[test]
        fn arbitrary_strings_never_verify_or_panic(s in ".*") {
            prop_assert!(verify(&s, b"secret", 0).is_err());
        }
    }
}
