//! JSON for the widget and the console through the browser's own `JSON.parse` and
//! `JSON.stringify`: the Wasm then carries no JSON parser or printer of its own. Parsed
//! values become Rust types through `json_de` (errors without messages), and Rust
//! values become JS values through serde-wasm-bindgen's serializer.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsCast;

/// Parses JSON text into `T`; `None` when it is not JSON or not a `T`.
pub fn parse<T: DeserializeOwned>(text: &str) -> Option<T> {
    let value = js_sys::JSON::parse(text).ok()?;
    crate::json_de::from_value(value).ok()
}

/// Prints `value` as JSON text (maps as objects, 64-bit numbers as plain numbers).
pub fn to_string<T: Serialize>(value: &T) -> Option<String> {
    let value = value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).ok()?;
    js_sys::JSON::stringify(&value).ok()?.as_string()
}

/// A JSON object parsed by the browser, read member by member: lets the widget read
/// its settings with `shared`'s own rules ([`WidgetSettings::read_object`]).
///
/// [`WidgetSettings::read_object`]: natter_shared::settings::WidgetSettings::read_object
pub struct JsObject {
    value: wasm_bindgen::JsValue,
    keys: Vec<String>,
}

impl JsObject {
    /// Parses JSON text that must be an object.
    pub fn parse(text: &str) -> Option<JsObject> {
        JsObject::from_value(js_sys::JSON::parse(text).ok()?)
    }

    /// A value the browser holds, if it is an object.
    pub fn from_value(value: wasm_bindgen::JsValue) -> Option<JsObject> {
        if !value.is_object() || js_sys::Array::is_array(&value) {
            return None;
        }
        let keys = js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>()).iter().filter_map(|k| k.as_string()).collect();
        Some(JsObject { value, keys })
    }

    fn take_value(&mut self, key: &str) -> Option<wasm_bindgen::JsValue> {
        let index = self.keys.iter().position(|k| k == key)?;
        self.keys.remove(index);
        js_sys::Reflect::get(&self.value, &key.into()).ok()
    }
}

impl natter_shared::settings::JsonObject for JsObject {
    fn take<T: DeserializeOwned>(&mut self, key: &str) -> Option<Result<T, String>> {
        let value = self.take_value(key)?;
        // The widget reads leniently and never shows why a value was unusable, so the
        // error is not formatted (that would cost bytes for nothing).
        Some(crate::json_de::from_value(value).map_err(|_| String::new()))
    }

    fn take_object(&mut self, key: &str) -> Option<Result<Self, String>> {
        let value = self.take_value(key)?;
        Some(JsObject::from_value(value).ok_or_else(|| "Expected an object".into()))
    }

    fn rest(self) -> Vec<String> {
        self.keys
    }

    fn into_value<T: DeserializeOwned>(self) -> Option<T> {
        crate::json_de::from_value(self.value).ok()
    }
}

/// The public widget document as the widget reads it: without the rules and the
/// owner's own fields (see [`JsonObject::EVERY_FIELD`]), and without checking what the
/// edge checked when it was saved ([`JsonObject::CHECKS`]).
///
/// [`JsonObject::EVERY_FIELD`]: natter_shared::settings::JsonObject::EVERY_FIELD
/// [`JsonObject::CHECKS`]: natter_shared::settings::JsonObject::CHECKS
pub struct WidgetDocument(pub JsObject);

impl natter_shared::settings::JsonObject for WidgetDocument {
    const EVERY_FIELD: bool = false;
    const CHECKS: bool = false;

    fn take<T: DeserializeOwned>(&mut self, key: &str) -> Option<Result<T, String>> {
        self.0.take(key)
    }

    fn take_object(&mut self, key: &str) -> Option<Result<Self, String>> {
        Some(self.0.take_object(key)?.map(WidgetDocument))
    }

    fn rest(self) -> Vec<String> {
        self.0.rest()
    }

    fn into_value<T: DeserializeOwned>(self) -> Option<T> {
        self.0.into_value()
    }
}
