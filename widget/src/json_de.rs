//! A serde deserializer over a value the browser parsed (`JSON.parse`). Unlike
//! serde-wasm-bindgen's, its error says nothing: the widget and the console only ever
//! need to know that a value is not what they expect, and never formatting why keeps
//! serde's messages (and the float printing they pull in) out of the Wasm.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use wasm_bindgen::{JsCast, JsValue};

/// Why a value could not be read: not said, on purpose (see the module's comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable;

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unreadable")
    }
}

impl std::error::Error for Unreadable {}

impl de::Error for Unreadable {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Unreadable
    }
    fn invalid_type(_: de::Unexpected, _: &dyn de::Expected) -> Self {
        Unreadable
    }
    fn invalid_value(_: de::Unexpected, _: &dyn de::Expected) -> Self {
        Unreadable
    }
    fn invalid_length(_: usize, _: &dyn de::Expected) -> Self {
        Unreadable
    }
    fn unknown_variant(_: &str, _: &'static [&'static str]) -> Self {
        Unreadable
    }
    fn unknown_field(_: &str, _: &'static [&'static str]) -> Self {
        Unreadable
    }
    fn missing_field(_: &'static str) -> Self {
        Unreadable
    }
    fn duplicate_field(_: &'static str) -> Self {
        Unreadable
    }
}

/// Reads `value` as a `T`.
pub fn from_value<T: de::DeserializeOwned>(value: JsValue) -> Result<T, Unreadable> {
    T::deserialize(Js(value))
}

/// JavaScript's largest integer a double holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

struct Js(JsValue);

/// Every kind of number is read the one way, [`Js::number`].
macro_rules! numbers {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
            self.number(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Js {
    type Error = Unreadable;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        let value = self.0;
        if value.is_null() || value.is_undefined() {
            visitor.visit_unit()
        } else if let Some(b) = value.as_bool() {
            visitor.visit_bool(b)
        } else if let Some(n) = value.as_f64() {
            if n.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&n) {
                visitor.visit_u64(n as u64)
            } else if n.fract() == 0.0 && (-MAX_SAFE..0.0).contains(&n) {
                visitor.visit_i64(n as i64)
            } else {
                visitor.visit_f64(n)
            }
        } else if let Some(s) = value.as_string() {
            visitor.visit_string(s)
        } else if js_sys::Array::is_array(&value) {
            let array: js_sys::Array = value.unchecked_into();
            visitor.visit_seq(Items { array, next: 0 })
        } else if value.is_object() {
            let entries = js_sys::Object::entries(value.unchecked_ref());
            visitor.visit_map(Members { entries, next: 0, value: None })
        } else {
            Err(Unreadable)
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        if self.0.is_null() || self.0.is_undefined() { visitor.visit_none() } else { visitor.visit_some(self) }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, Unreadable> {
        visitor.visit_newtype_struct(self)
    }

    /// A unit variant is its name; any other is an object of one member, its name.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        if let Some(name) = self.0.as_string() {
            return visitor.visit_enum(name.into_deserializer());
        }
        let entries = js_sys::Object::entries(self.0.dyn_ref().ok_or(Unreadable)?);
        if entries.length() != 1 {
            return Err(Unreadable);
        }
        let entry: js_sys::Array = entries.get(0).unchecked_into();
        visitor.visit_enum(Variant { name: entry.get(0), value: entry.get(1) })
    }

    // What a type asks for is looked for alone: going through `deserialize_any` would
    // build every branch (numbers, strings, lists, objects) into each type's reader,
    // once per type the widget reads (a field name's reader, say, needs only strings).
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        visitor.visit_bool(self.0.as_bool().ok_or(Unreadable)?)
    }

    numbers!(deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_i8 deserialize_i16
        deserialize_i32 deserialize_i64 deserialize_f32 deserialize_f64);

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        visitor.visit_string(self.0.as_string().ok_or(Unreadable)?)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        self.deserialize_string(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        self.deserialize_string(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        if !js_sys::Array::is_array(&self.0) {
            return Err(Unreadable);
        }
        visitor.visit_seq(Items { array: self.0.unchecked_into(), next: 0 })
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        if !self.0.is_object() || js_sys::Array::is_array(&self.0) {
            return Err(Unreadable);
        }
        visitor.visit_map(Members { entries: js_sys::Object::entries(self.0.unchecked_ref()), next: 0, value: None })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        self.deserialize_map(visitor)
    }

    /// A member nobody reads is skipped without looking at it.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit unit_struct tuple tuple_struct
    }
}

impl Js {
    /// A number, as the integer it is where it is one.
    fn number<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        let n = self.0.as_f64().ok_or(Unreadable)?;
        if n.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&n) {
            visitor.visit_u64(n as u64)
        } else if n.fract() == 0.0 && (-MAX_SAFE..0.0).contains(&n) {
            visitor.visit_i64(n as i64)
        } else {
            visitor.visit_f64(n)
        }
    }
}

struct Items {
    array: js_sys::Array,
    next: u32,
}

impl<'de> de::SeqAccess<'de> for Items {
    type Error = Unreadable;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Unreadable> {
        if self.next >= self.array.length() {
            return Ok(None);
        }
        self.next += 1;
        seed.deserialize(Js(self.array.get(self.next - 1))).map(Some)
    }
}

struct Members {
    entries: js_sys::Array,
    next: u32,
    value: Option<JsValue>,
}

impl<'de> de::MapAccess<'de> for Members {
    type Error = Unreadable;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Unreadable> {
        if self.next >= self.entries.length() {
            return Ok(None);
        }
        let entry: js_sys::Array = self.entries.get(self.next).unchecked_into();
        self.next += 1;
        self.value = Some(entry.get(1));
        seed.deserialize(Js(entry.get(0))).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Unreadable> {
        seed.deserialize(Js(self.value.take().ok_or(Unreadable)?))
    }
}

struct Variant {
    name: JsValue,
    value: JsValue,
}

impl<'de> de::EnumAccess<'de> for Variant {
    type Error = Unreadable;
    type Variant = Js;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Js), Unreadable> {
        Ok((seed.deserialize(Js(self.name))?, Js(self.value)))
    }
}

impl<'de> de::VariantAccess<'de> for Js {
    type Error = Unreadable;

    fn unit_variant(self) -> Result<(), Unreadable> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Unreadable> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Unreadable> {
        de::Deserializer::deserialize_any(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], visitor: V) -> Result<V::Value, Unreadable> {
        de::Deserializer::deserialize_any(self, visitor)
    }
}
