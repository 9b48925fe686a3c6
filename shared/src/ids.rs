//! Newtype ids, validated once when parsed (serde goes through the same check), so
//! nothing inside the system handles a bare `String` id.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::Error;

/// Characters allowed in every opaque id: safe in URLs, Durable Object names and logs.
fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal, $valid_char:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses and validates an id from untrusted input.
            pub fn parse(value: &str) -> Result<Self, Error> {
                if value.is_empty() {
                    return Err(Error::InvalidId { what: $what, why: "it is empty" });
                }
                if value.len() > $max {
                    return Err(Error::InvalidId { what: $what, why: concat!("it is longer than ", $max, " characters") });
                }
                if !value.chars().all($valid_char) {
                    return Err(Error::InvalidId { what: $what, why: "it has characters other than a-z, 0-9, '-' and '_'" });
                }
                Ok(Self(value.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(value: String) -> Result<Self, Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// A site (one customer's widget installation), e.g. `demo`. Lower case, as it
    /// appears in the embed snippet's `data-site`.
    SiteId, "site id", 40, |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
);
string_id!(
    /// An anonymous visitor of a site, minted by the edge.
    VisitorId, "visitor id", 64, is_id_char
);
string_id!(
    /// One conversation between a visitor and the site's operators.
    ConversationId, "conversation id", 64, is_id_char
);
string_id!(
    /// An operator account.
    OperatorId, "operator id", 64, is_id_char
);
string_id!(
    /// An organisation: the business that owns sites and operators.
    OrgId, "organisation id", 64, is_id_char
);
string_id!(
    /// The id a client gives a message when it is typed; makes sending idempotent.
    ClientMessageId, "client message id", 64, is_id_char
);

macro_rules! random_id {
    ($name:ident) => {
        impl $name {
            /// Mints a fresh id from 16 random bytes the caller provides.
            pub fn from_random(bytes: [u8; 16]) -> Self {
                Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
            }
        }
    };
}
random_id!(VisitorId);
random_id!(ConversationId);
random_id!(OperatorId);
random_id!(OrgId);

/// A message's position in its conversation: 1, 2, 3… with no gaps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Seq(pub u64);

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_ids_are_lowercase_slugs() {
        assert!(SiteId::parse("demo").is_ok());
        assert!(SiteId::parse("my-shop-2").is_ok());
        assert!(SiteId::parse("Demo").is_err());
        assert!(SiteId::parse("").is_err());
        assert!(SiteId::parse("a/b").is_err());
        assert!(SiteId::parse(&"a".repeat(41)).is_err());
    }

    #[test]
    fn ids_validate_when_deserialized() {
        let ok: ClientMessageId = serde_json::from_str("\"abc_1-X\"").unwrap();
        assert_eq!(ok.as_str(), "abc_1-X");
        assert!(serde_json::from_str::<ClientMessageId>("\"has space\"").is_err());
        assert!(serde_json::from_str::<ClientMessageId>("\"\"").is_err());
    }

    #[test]
    fn random_ids_are_hex() {
        let id = ConversationId::from_random([0xab; 16]);
        assert_eq!(id.as_str(), "ab".repeat(16));
        assert!(ConversationId::parse(id.as_str()).is_ok());
    }
}
