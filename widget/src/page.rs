//! What the widget tells the host page: its events (one enum, which `api.js`'s list
//! and `natter.d.ts` are checked against), refusals and the notification sound. The
//! listeners live in `api.js`; this module only speaks to it, so every part of the
//! widget can tell the page without importing the JS API's dispatcher.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/api.js")]
extern "C" {
    /// Makes the page's entry point around `handle`, running the calls in `waiting`.
    pub fn facade(handle: JsValue, waiting: js_sys::Array) -> JsValue;
    #[wasm_bindgen(js_name = emit)]
    fn emit_js(event: &str, detail: JsValue);
    /// Warns in the console and emits `error`.
    pub fn refuse(message: &str);
    /// `ym(counter, 'reachGoal', name)` if the page has `ym`.
    #[wasm_bindgen(js_name = goal)]
    fn goal_js(counter: &str, name: &str);
    /// Plays the notification sound if `play` or the tab is hidden.
    pub fn ding(play: bool);
}

/// The events page code can listen to (docs/js-api.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageEvent {
    Ready,
    Open,
    Close,
    MessageSent,
    MessageReceived,
    Unread,
    Status,
    Introduced,
    OfflineSent,
    Action,
    Error,
}

impl PageEvent {
    pub const ALL: [PageEvent; 11] = [
        PageEvent::Ready,
        PageEvent::Open,
        PageEvent::Close,
        PageEvent::MessageSent,
        PageEvent::MessageReceived,
        PageEvent::Unread,
        PageEvent::Status,
        PageEvent::Introduced,
        PageEvent::OfflineSent,
        PageEvent::Action,
        PageEvent::Error,
    ];

    /// Its name for `Natter.on`.
    pub fn name(self) -> &'static str {
        match self {
            PageEvent::Ready => "ready",
            PageEvent::Open => "open",
            PageEvent::Close => "close",
            PageEvent::MessageSent => "message:sent",
            PageEvent::MessageReceived => "message:received",
            PageEvent::Unread => "unread",
            PageEvent::Status => "status",
            PageEvent::Introduced => "introduced",
            PageEvent::OfflineSent => "offline:sent",
            PageEvent::Action => "action",
            PageEvent::Error => "error",
        }
    }
}

/// Tells the page's listeners of `event`.
pub fn emit(event: PageEvent, detail: JsValue) {
    emit_js(event.name(), detail);
}

/// A Yandex.Metrica goal (one of `METRICA_GOALS`), on the counter the site set if it
/// enabled one.
pub fn goal(settings: &natter_shared::settings::WidgetSettings, name: &str) {
    if let Some(counter) = settings.metrica.active() {
        goal_js(counter, name);
    }
}

/// A plain object with these members, as event details are.
pub fn object(members: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (key, value) in members {
        let _ = js_sys::Reflect::set(&object, &(*key).into(), value);
    }
    object.into()
}

#[cfg(test)]
mod tests {
    use super::PageEvent;

    /// The quoted names in `text` between `start` and the next `end`.
    fn quoted_between(text: &str, start: &str, end: &str) -> Vec<String> {
        let from = text.find(start).expect("start") + start.len();
        let part = &text[from..from + text[from..].find(end).expect("end")];
        part.split(['\'', '"']).skip(1).step_by(2).map(str::to_owned).collect()
    }

    #[test]
    fn api_js_knows_exactly_these_events_in_this_order() {
        let names: Vec<&str> = PageEvent::ALL.iter().map(|e| e.name()).collect();
        assert_eq!(quoted_between(include_str!("api.js"), "const EVENTS = [", "]"), names);
    }

    #[test]
    fn natter_d_ts_types_exactly_these_events() {
        let types = include_str!("../../www/static/natter.d.ts");
        let from = types.find("export interface NatterEvents {").expect("NatterEvents");
        let body = &types[from..from + types[from..].find("\n}").expect("end")];
        // Members are `name:` or `'name':` at the start of a line; comments are not.
        let mut typed: Vec<String> = body
            .lines()
            .map(str::trim)
            .filter(|line| !line.starts_with('/') && !line.starts_with('*') && line.contains(':'))
            .map(|line| match line.strip_prefix('\'') {
                Some(quoted) => quoted[..quoted.find('\'').unwrap()].to_owned(),
                None => line[..line.find(':').unwrap()].to_owned(),
            })
            .filter(|name| !name.starts_with("export"))
            .collect();
        typed.sort();
        let mut names: Vec<String> = PageEvent::ALL.iter().map(|e| e.name().to_owned()).collect();
        names.sort();
        assert_eq!(typed, names);
    }
}
