//! Password hashes with the runtime's WebCrypto PBKDF2-SHA256 (native code in workerd;
//! the same in Wasm costs several times the CPU; the stored form and the comparison are
//! `natter_shared::password`'s), and the one-time links that stand in for a password
//! (invitations, resets), kept as digests.

use js_sys::{Array, Object, Reflect, Uint8Array};
use natter_shared::password::{StoredHash, ITERATIONS};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Crypto, CryptoKey, Pbkdf2Params};

use crate::auth;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{LinkKind, NewLink};

fn failed(step: &str) -> impl Fn(JsValue) -> EdgeError + '_ {
    move |e| EdgeError::Internal(format!("PBKDF2 {step}: {}", e.as_string().unwrap_or_else(|| format!("{e:?}"))))
}

async fn derive(password: &str, salt: &[u8], iterations: u32) -> EdgeResult<Vec<u8>> {
    let crypto: Crypto = Reflect::get(&js_sys::global(), &"crypto".into()).map_err(failed("crypto"))?.unchecked_into();
    let subtle = crypto.subtle();
    let usages = Array::of1(&"deriveBits".into());
    let raw = Uint8Array::from(password.as_bytes());
    let key = subtle.import_key_with_str("raw", &raw, "PBKDF2", false, &usages).map_err(failed("import"))?;
    let key: CryptoKey = JsFuture::from(key).await.map_err(failed("import"))?.unchecked_into();
    let params = Pbkdf2Params::new("PBKDF2", &"SHA-256".into(), iterations, &Uint8Array::from(salt));
    let bits = subtle.derive_bits_with_object(params.unchecked_ref::<Object>(), &key, 256).map_err(failed("derive"))?;
    let bits = JsFuture::from(bits).await.map_err(failed("derive"))?;
    Ok(Uint8Array::new(&bits).to_vec())
}

/// A new hash of `password` with a fresh salt, to store.
pub async fn hash(password: &str) -> EdgeResult<String> {
    let salt = auth::random_bytes()?.to_vec();
    let hash = derive(password, &salt, ITERATIONS).await?;
    Ok(StoredHash { iterations: ITERATIONS, salt, hash }.format())
}

/// Whether `password` is the one `stored` was made from. With nothing stored (an
/// unknown address) the same work is done, so the answer takes as long either way.
pub async fn verify(password: &str, stored: Option<&str>) -> EdgeResult<bool> {
    match stored.and_then(StoredHash::parse) {
        Some(stored) => Ok(stored.matches(&derive(password, &stored.salt, stored.iterations).await?)),
        None => {
            derive(password, &[0; 16], ITERATIONS).await?;
            Ok(false)
        }
    }
}

/// SHA-256 of a one-time link's secret, as invitations and resets are stored (a
/// leaked table gives no working link).
pub fn digest(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A one-time link's secret (256 random bits in hex, given out once, as `{org}.{secret}`)
/// and what is stored of it (its digest).
pub fn new_link(kind: LinkKind, ttl: u64) -> EdgeResult<(String, NewLink)> {
    let secret: String = [auth::random_bytes()?, auth::random_bytes()?].concat().iter().map(|b| format!("{b:02x}")).collect();
    let link = NewLink { hash: digest(&secret), kind, expires_at: auth::now() + ttl };
    Ok((secret, link))
}
