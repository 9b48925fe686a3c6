//! JSON for the widget and the console through the browser's own `JSON.parse` and
//! `JSON.stringify`, with serde-wasm-bindgen in between: the Wasm then carries no JSON
//! parser or printer of its own, which keeps the widget inside its size budget.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Parses JSON text into `T`; `None` when it is not JSON or not a `T`.
pub fn parse<T: DeserializeOwned>(text: &str) -> Option<T> {
    let value = js_sys::JSON::parse(text).ok()?;
    serde_wasm_bindgen::from_value(value).ok()
}

/// Prints `value` as JSON text (maps as objects, 64-bit numbers as plain numbers).
pub fn to_string<T: Serialize>(value: &T) -> Option<String> {
    let value = value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).ok()?;
    js_sys::JSON::stringify(&value).ok()?.as_string()
}
