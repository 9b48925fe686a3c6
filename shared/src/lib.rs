//! What both sides of Natter must agree on: the wire protocol, ids, limits, signed
//! tokens and password hashes. Pure functions only (no I/O, no clock, no randomness:
//! callers pass time and random bytes in), so everything here is tested natively.

pub mod accounts;
pub mod channels;
pub mod contact;
pub mod crm;
pub mod error;
pub mod figures;
pub mod files;
pub mod i18n;
pub mod identity;
pub mod inbox;
pub mod journal;
pub mod letters;
pub mod ids;
pub mod limits;
pub mod links;
pub mod password;
pub mod presence;
pub mod protocol;
pub mod rules;
pub mod settings;
pub mod shift;
pub mod token;

pub use error::Error;
#[cfg(feature = "intl")]
pub mod clock;
