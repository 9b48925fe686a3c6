//! `localStorage` (and, for what belongs to one tab, `sessionStorage`), namespaced per
//! site, JSON by serde. Used only after the visitor has interacted: the loader itself
//! writes nothing.

use serde::de::DeserializeOwned;
use serde::Serialize;

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// This tab's own storage: kept over a reload, not seen by the site's other tabs.
fn tab() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The key for `name` on `site`, e.g. `natter.demo.session`.
pub fn key(site: &str, name: &str) -> String {
    format!("natter.{site}.{name}")
}

/// Reads a value; a missing or unreadable one (storage blocked, old format) is `None`.
pub fn load<T: DeserializeOwned>(key: &str) -> Option<T> {
    crate::json::parse(&local()?.get_item(key).ok()??)
}

/// Writes a value; returns false where the browser refuses (private mode, quota).
pub fn save<T: Serialize>(key: &str, value: &T) -> bool {
    let (Some(storage), Some(json)) = (local(), crate::json::to_string(value)) else { return false };
    storage.set_item(key, &json).is_ok()
}

/// Reads a value this tab kept (see [`save_in_tab`]).
pub fn load_in_tab<T: DeserializeOwned>(key: &str) -> Option<T> {
    crate::json::parse(&tab()?.get_item(key).ok()??)
}

/// Writes a value for this tab alone; false where the browser refuses.
pub fn save_in_tab<T: Serialize>(key: &str, value: &T) -> bool {
    let (Some(storage), Some(json)) = (tab(), crate::json::to_string(value)) else { return false };
    storage.set_item(key, &json).is_ok()
}

/// Forgets a value (e.g. a session the edge no longer accepts).
pub fn remove(key: &str) {
    if let Some(storage) = local() {
        // A storage that refuses removal has nothing we could still read anyway.
        let _ = storage.remove_item(key);
    }
}
