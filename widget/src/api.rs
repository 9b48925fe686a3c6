//! The JS API's widget half (docs/js-api.md): every call from page code is checked with
//! `shared`'s rules and done on the [`Chat`]; a bad one is refused with a clear message
//! (a console warning and an `error` event), never an exception. `api.js` holds the
//! listeners and runs the calls that waited for the widget.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::contact::{check_attributes, Need, VisitorDetails};
use natter_shared::identity::Identity;
use natter_shared::settings::WidgetSettings;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::chat::Chat;
use crate::json::JsObject;
use crate::page::{emit, facade, object, refuse, PageEvent};
use crate::parts::{self, part};

/// The settings page code may change at run time with `configure`.
const APPEARANCE: [&str; 10] =
    ["position", "header_color", "send_color", "text_color", "pattern", "color_scheme", "texts", "language", "sound", "logo_url"];

/// Makes the page's entry point for `chat`: runs the calls in `waiting`, emits `ready`.
pub fn install(chat: Chat, waiting: js_sys::Array) -> JsValue {
    Effect::new(move |told: Option<usize>| {
        let count = chat.unread();
        if told.unwrap_or(0) != count {
            emit(PageEvent::Unread, (count as u32).into());
        }
        count
    });
    // Calls waiting for the `api` part; later calls wait behind them, so all run in order.
    let queue = Queue { waiting: StoredValue::new_local(Vec::new()), ready_after: StoredValue::new(false) };
    let handle = Closure::<dyn Fn(String, js_sys::Array) -> JsValue>::new(move |name: String, args: js_sys::Array| {
        let arg = args.get(0);
        if queue.is_empty() || matches!(name.as_str(), "isOpen" | "unreadCount") {
            if let Some(answer) = window_call(chat, &name) {
                return answer;
            }
            if let Some(Ok(result)) = parts::at_once(method(chat, name.clone(), arg.clone())) {
                return answer(&name, result);
            }
        }
        defer(chat, queue, name, arg)
    });
    let api = facade(handle.into_js_value(), waiting);
    // `ready` once the calls that waited for the widget have run.
    if queue.is_empty() {
        emit(PageEvent::Ready, JsValue::UNDEFINED);
    } else {
        queue.ready_after.set_value(true);
    }
    api
}

/// Calls waiting for the `api` part (each with how to answer it), in order.
#[derive(Clone, Copy)]
struct Queue {
    waiting: StoredValue<Vec<(String, JsValue, js_sys::Function)>, LocalStorage>,
    /// `ready` is due once they have run.
    ready_after: StoredValue<bool>,
}

impl Queue {
    fn is_empty(&self) -> bool {
        self.waiting.with_value(Vec::is_empty)
    }

    fn next(&self) -> Option<(String, JsValue, js_sys::Function)> {
        self.waiting.try_update_value(|waiting| (!waiting.is_empty()).then(|| waiting.remove(0))).flatten()
    }
}

/// The calls about the window, answered at once (the `api` part is not needed).
fn window_call(chat: Chat, name: &str) -> Option<JsValue> {
    match name {
        "open" => chat.open_by_visitor(),
        "close" => chat.set_open(false),
        "toggle" if chat.window.open.get_untracked() => chat.set_open(false),
        "toggle" => chat.open_by_visitor(),
        "isOpen" => return Some(chat.window.open.get_untracked().into()),
        "show" | "hide" => chat.window.launcher.set(Some(name == "show")),
        "unreadCount" => return Some((chat.unread_untracked() as u32).into()),
        _ => return None,
    }
    Some(JsValue::UNDEFINED)
}

/// What page code gets for a call: its answer, or (refused) nothing, and still a
/// promise from the methods that promise an outcome.
fn answer(name: &str, result: Result<JsValue, String>) -> JsValue {
    result.unwrap_or_else(|message| {
        refuse(&message);
        if promises(name) { js_sys::Promise::resolve(&JsValue::FALSE).into() } else { JsValue::UNDEFINED }
    })
}

fn promises(name: &str) -> bool {
    matches!(name, "sendMessage" | "identify")
}

/// Queues a call until the `api` part is downloaded. A method that promises an outcome
/// gives its promise at once; the others answer nothing, as they would.
fn defer(chat: Chat, queue: Queue, name: String, arg: JsValue) -> JsValue {
    let mut resolve = None;
    let promise = js_sys::Promise::new(&mut |done, _| resolve = Some(done));
    let promised = promises(&name);
    let first = queue.is_empty();
    queue.waiting.update_value(|waiting| waiting.extend(resolve.map(|done| (name, arg, done))));
    if first {
        spawn_local(async move {
            let loaded = preload_api().await.is_ok();
            while let Some((name, arg, done)) = queue.next() {
                let result = match window_call(chat, &name) {
                    Some(answer) => Ok(answer),
                    None => match loaded.then(|| parts::at_once(method(chat, name.clone(), arg))).flatten() {
                        Some(Ok(result)) => result,
                        _ => Err(format!("Natter.{name} did not run: a part of the widget did not download (call it again)")),
                    },
                };
                let _ = done.call1(&JsValue::UNDEFINED, &answer(&name, result));
            }
            if queue.ready_after.get_value() {
                queue.ready_after.set_value(false);
                emit(PageEvent::Ready, JsValue::UNDEFINED);
            }
        });
    }
    if promised { promise.into() } else { JsValue::UNDEFINED }
}

part!(
    /// The methods beyond the window's, in the `api` part.
    api, preload preload_api, fn method(chat: Chat, name: String, arg: JsValue) -> Result<JsValue, String> {
        call(chat, &name, &arg)
    }
);

/// Does one call; what it answers (most answer nothing), or why it was refused.
fn call(chat: Chat, name: &str, arg: &JsValue) -> Result<JsValue, String> {
    match name {
        "sendMessage" => {
            let text = arg.as_string().ok_or("sendMessage(text): text must be a string")?;
            return chat.send_from_page(&text).map(Into::into);
        }
        "setVisitor" => set_visitor(chat, arg)?,
        "setAttributes" => set_attributes(chat, arg)?,
        "identify" => return identify(chat, arg),
        "reset" => chat.reset(),
        "setLocale" => {
            let locale = arg.as_string().filter(|l| matches!(l.as_str(), "ru" | "en" | "auto"));
            let locale = locale.ok_or("setLocale(locale): locale must be 'ru', 'en' or 'auto'")?;
            chat.site.configure(object(&[("language", locale.into())]).unchecked_into());
        }
        "configure" => configure(chat, arg)?,
        "runAction" => {
            let rule = arg.as_string().ok_or("runAction(name): name must be a string")?;
            crate::auto::run_by_name(chat, &rule)?;
        }
        _ => return Err(format!("Natter.{name} is not a method (see docs/js-api.md)")),
    }
    Ok(JsValue::UNDEFINED)
}

/// A member of an object argument: absent (or `undefined`) is `None`; the rest must be
/// a string.
fn text_member(value: &JsValue, method: &str, key: &str) -> Result<Option<String>, String> {
    let member = js_sys::Reflect::get(value, &key.into()).unwrap_or(JsValue::UNDEFINED);
    if member.is_undefined() {
        return Ok(None);
    }
    member.as_string().map(Some).ok_or_else(|| format!("{method}: `{key}` must be a string"))
}

fn plain_object(value: &JsValue, method: &str) -> Result<js_sys::Object, String> {
    if !value.is_object() || js_sys::Array::is_array(value) || value.is_function() {
        return Err(format!("{method}: pass an object"));
    }
    Ok(value.clone().unchecked_into())
}

/// The introduce form's rules: the name is required, e-mail and phone must be valid
/// when given. Fields not passed keep what the visitor told.
fn set_visitor(chat: Chat, arg: &JsValue) -> Result<(), String> {
    plain_object(arg, "setVisitor({ name, email, phone })")?;
    let mut details = chat.visitor.details.get_untracked();
    for (key, slot) in [("name", &mut details.name), ("email", &mut details.email), ("phone", &mut details.phone)] {
        if let Some(value) = text_member(arg, "setVisitor", key)? {
            *slot = value;
        }
    }
    let details = details.trimmed();
    let problems = details.check(Need::Optional, Need::Optional);
    for (key, problem) in [("name", problems.name), ("email", problems.email), ("phone", problems.phone)] {
        if let Some(problem) = problem {
            return Err(format!("setVisitor: `{key}` {}", detail_problem(problem)));
        }
    }
    chat.introduce(details);
    Ok(())
}

fn detail_problem(problem: natter_shared::contact::DetailProblem) -> String {
    use natter_shared::contact::{DetailProblem, MAX_NAME_CHARS, MAX_PHONE_DIGITS, MIN_PHONE_DIGITS};
    match problem {
        DetailProblem::Missing => "is required".into(),
        DetailProblem::TooLong => format!("must be at most {MAX_NAME_CHARS} characters, without line breaks"),
        DetailProblem::BadEmail => "is not a valid e-mail address".into(),
        DetailProblem::BadPhone => format!("is not a phone number ({MIN_PHONE_DIGITS}–{MAX_PHONE_DIGITS} digits, an optional +)"),
    }
}

/// Strings, numbers and yes/no values are kept as text; `null` removes an attribute.
fn set_attributes(chat: Chat, arg: &JsValue) -> Result<(), String> {
    let object = plain_object(arg, "setAttributes({ name: value })")?;
    let mut details: VisitorDetails = chat.visitor.details.get_untracked();
    for entry in js_sys::Object::entries(&object).iter() {
        let entry: js_sys::Array = entry.unchecked_into();
        let (key, value) = (entry.get(0).as_string().unwrap_or_default(), entry.get(1));
        if value.is_null() {
            details.attributes.remove(&key);
        } else if let Some(text) = value.as_string() {
            details.attributes.insert(key, text);
        } else if value.as_f64().is_some() || value.as_bool().is_some() {
            let text = js_sys::JSON::stringify(&value).ok().and_then(|t| t.as_string()).unwrap_or_default();
            details.attributes.insert(key, text);
        } else {
            return Err(format!("setAttributes: the value of `{key}` must be a string, number, boolean or null"));
        }
    }
    check_attributes(&details.attributes).map_err(|problem| format!("setAttributes: {problem}"))?;
    chat.tell(details);
    Ok(())
}

/// Checks the fields here (a missing signature needs no request), then asks the edge.
fn identify(chat: Chat, arg: &JsValue) -> Result<JsValue, String> {
    plain_object(arg, "identify({ id, name, email, expires, signature })")?;
    let expires = js_sys::Reflect::get(arg, &"expires".into()).ok().and_then(|e| e.as_f64());
    let expires = expires
        .filter(|e| e.fract() == 0.0 && *e > 0.0 && *e < 1e12)
        .ok_or("identify: `expires` must be a Unix time in seconds")?;
    let identity = Identity {
        id: text_member(arg, "identify", "id")?.unwrap_or_default(),
        name: text_member(arg, "identify", "name")?.unwrap_or_default(),
        email: text_member(arg, "identify", "email")?.unwrap_or_default(),
        expires: expires as u64,
        signature: text_member(arg, "identify", "signature")?.unwrap_or_default(),
    };
    identity.check_fields()?;
    let mut identity = Some(identity);
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let Some(identity) = identity.take() else { return };
        spawn_local(async move {
            let verified = chat.identify(identity).await;
            if let Err(message) = &verified {
                refuse(message);
            }
            let _ = resolve.call1(&JsValue::UNDEFINED, &verified.is_ok().into());
        });
    });
    Ok(promise.into())
}

/// Overrides appearance settings, checked by the settings' own rules.
fn configure(chat: Chat, arg: &JsValue) -> Result<(), String> {
    let object = plain_object(arg, "configure({ ... })")?;
    for key in js_sys::Object::keys(&object).iter().filter_map(|k| k.as_string()) {
        if !APPEARANCE.contains(&key.as_str()) {
            return Err(format!("configure: `{key}` cannot be set from the page; these can: {}", APPEARANCE.join(", ")));
        }
    }
    let mut errors = Vec::new();
    if let Some(values) = JsObject::from_value(arg.clone()) {
        WidgetSettings::read_object(values, &mut errors);
    }
    if let Some(error) = errors.first() {
        let why = if error.message.is_empty() { "is not a valid value" } else { error.message.as_str() };
        return Err(format!("configure: `{}` {why}", error.field));
    }
    chat.site.configure(object);
    Ok(())
}
