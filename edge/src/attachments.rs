//! What each socket carries through hibernation (its attachment), kept in memory too
//! while the object is awake. Reading an attachment is a structured-clone copy and a
//! walk of the whole value into Rust: done for every frame and for every socket of
//! every broadcast, it was a tenth of the relay's CPU per message. The runtime hands
//! a handler the same `WebSocket` object each time, so a `WeakMap` from it to a number
//! finds the copy here; the attachment is still written on every change, for the
//! next wake after hibernation, when this cache starts empty.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;
use worker::WebSocket;

pub(crate) struct Attachments<T> {
    ids: js_sys::WeakMap,
    states: RefCell<HashMap<u32, T>>,
    next: Cell<u32>,
}

impl<T> Default for Attachments<T> {
    fn default() -> Self {
        Self { ids: js_sys::WeakMap::new(), states: RefCell::default(), next: Cell::new(0) }
    }
}

impl<T: Clone + Serialize + DeserializeOwned> Attachments<T> {
    fn id(&self, ws: &WebSocket) -> Option<u32> {
        self.ids.get(ws.as_ref()).as_f64().map(|id| id as u32)
    }

    /// The socket's state: the copy in memory, else its attachment (then kept here).
    pub(crate) fn get(&self, ws: &WebSocket) -> worker::Result<Option<T>> {
        if let Some(state) = self.id(ws).and_then(|id| self.states.borrow().get(&id).cloned()) {
            return Ok(Some(state));
        }
        let Some(state) = ws.deserialize_attachment::<T>()? else { return Ok(None) };
        self.keep(ws, state.clone());
        Ok(Some(state))
    }

    /// Writes the socket's state into its attachment and keeps the copy.
    pub(crate) fn set(&self, ws: &WebSocket, state: &T) -> worker::Result<()> {
        ws.serialize_attachment(state)?;
        self.keep(ws, state.clone());
        Ok(())
    }

    /// Forgets a socket that closed.
    pub(crate) fn forget(&self, ws: &WebSocket) {
        if let Some(id) = self.id(ws) {
            self.states.borrow_mut().remove(&id);
            self.ids.delete(ws.as_ref());
        }
    }

    fn keep(&self, ws: &WebSocket, state: T) {
        let id = self.id(ws).unwrap_or_else(|| {
            let id = self.next.get();
            self.next.set(id.wrapping_add(1));
            self.ids.set(ws.as_ref(), &JsValue::from(id));
            id
        });
        self.states.borrow_mut().insert(id, state);
    }
}
