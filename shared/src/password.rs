//! Operator password hashes: PBKDF2-HMAC-SHA256 with a per-account salt, stored as
//! `pbkdf2-sha256$ITERATIONS$SALT$HASH` (base64url), so iterations can grow later.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use sha2::Sha256;

/// Iterations for new hashes. Kept moderate because a Worker's CPU time per request
/// is limited; raise it (old hashes keep their own count) when the plan allows.
pub const ITERATIONS: u32 = 20_000;

fn derive(password: &str, salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut out);
    out
}

/// Hashes a password with a random salt the caller provides.
pub fn hash(password: &str, salt: [u8; 16]) -> String {
    let out = derive(password, &salt, ITERATIONS);
    format!("pbkdf2-sha256${ITERATIONS}${}${}", B64.encode(salt), B64.encode(out))
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some("pbkdf2-sha256"), Some(iterations), Some(salt), Some(expected), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Ok(iterations), Ok(salt), Ok(expected)) = (iterations.parse::<u32>(), B64.decode(salt), B64.decode(expected))
    else {
        return false;
    };
    if iterations == 0 || iterations > 10_000_000 || expected.len() != 32 {
        return false;
    }
    let actual = derive(password, &salt, iterations);
    // Constant time: look at every byte whatever the first difference.
    actual.iter().zip(&expected).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_password_matches_and_others_do_not() {
        let stored = hash("natter-demo", [7; 16]);
        assert!(verify("natter-demo", &stored));
        assert!(!verify("natter-demo ", &stored));
        assert!(!verify("", &stored));
        assert!(!verify("natter-demo", "pbkdf2-sha256$x$y$z"));
        assert!(!verify("natter-demo", ""));
    }
}
