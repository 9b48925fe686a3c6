//! Operator password hashes as stored: `pbkdf2-sha256$ITERATIONS$SALT$HASH` (base64url),
//! so the count can grow later and old hashes keep their own. The derivation itself is
//! the runtime's (the edge uses WebCrypto's native PBKDF2, several times faster than the
//! same in Wasm); this module only writes, reads and compares.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;

/// Iterations for new hashes: the most workerd's WebCrypto accepts (it refuses more
/// than 100,000). BENCHMARKS.md has what a sign-in costs with it.
pub const ITERATIONS: u32 = 100_000;

/// A stored hash, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredHash {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl StoredHash {
    /// Reads a stored hash; anything malformed is `None` (and never matches).
    pub fn parse(stored: &str) -> Option<StoredHash> {
        let mut parts = stored.split('$');
        let (Some("pbkdf2-sha256"), Some(iterations), Some(salt), Some(hash), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let iterations = iterations.parse::<u32>().ok().filter(|i| (1..=ITERATIONS).contains(i))?;
        let (salt, hash) = (B64.decode(salt).ok()?, B64.decode(hash).ok()?);
        (hash.len() == 32 && !salt.is_empty()).then_some(StoredHash { iterations, salt, hash })
    }

    pub fn format(&self) -> String {
        format!("pbkdf2-sha256${}${}${}", self.iterations, B64.encode(&self.salt), B64.encode(&self.hash))
    }

    /// Whether `derived` (the password derived with this salt and count) is this hash,
    /// looking at every byte whatever the first difference.
    pub fn matches(&self, derived: &[u8]) -> bool {
        derived.len() == self.hash.len() && derived.iter().zip(&self.hash).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_round_trip_and_only_the_same_bytes_match() {
        let stored = StoredHash { iterations: ITERATIONS, salt: vec![7; 16], hash: vec![9; 32] };
        let parsed = StoredHash::parse(&stored.format()).unwrap();
        assert_eq!(parsed, stored);
        assert!(parsed.matches(&[9; 32]));
        assert!(!parsed.matches(&[8; 32]));
        assert!(!parsed.matches(&[9; 31]));
        for bad in ["", "pbkdf2-sha256$x$y$z", "pbkdf2-sha256$0$AAAA$AAAA", "pbkdf2-sha256$100001$AAAA$AAAA", "md5$1$2$3"] {
            assert_eq!(StoredHash::parse(bad), None, "{bad}");
        }
    }
}
