//! Browser networking shared by the widget and the console: JSON over `fetch`, and a
//! WebSocket that reconnects by itself with backoff. Protocol logic stays with callers.

use std::cell::RefCell;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CloseEvent, MessageEvent, RequestInit, WebSocket};

use natter_shared::protocol::{ErrorBody, SESSION_ENDED};

use crate::json;

/// Why a request failed, in words a person can read.
#[derive(Clone, Debug, PartialEq)]
pub struct NetError(pub String);

impl From<JsValue> for NetError {
    fn from(value: JsValue) -> Self {
        // Not `{value:?}`: that would pull float formatting into the Wasm.
        let message = match value.dyn_ref::<js_sys::Error>() {
            Some(error) => String::from(error.message()),
            None => value.as_string().unwrap_or_else(|| "the network request failed".into()),
        };
        NetError(message)
    }
}

fn window() -> web_sys::Window {
    web_sys::window().expect("the widget runs in a window")
}

/// `fetch`es `url` with an optional JSON body and bearer token; reads a JSON answer or
/// the edge's error body.
pub async fn request<B: Serialize, R: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<&B>,
    token: Option<&str>,
) -> Result<R, NetError> {
    let init = RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new()?;
    if let Some(body) = body {
        headers.set("Content-Type", "application/json")?;
        let json = json::to_string(body).ok_or_else(|| NetError("the request could not be written".into()))?;
        init.set_body(&JsValue::from_str(&json));
    }
    if let Some(token) = token {
        headers.set("Authorization", &format!("Bearer {token}"))?;
    }
    init.set_headers(&headers);
    answer(url, &init).await
}

/// `POST`s a file's bytes with a bearer token; the edge answers what it stored (an
/// [`Attachment`](natter_shared::files::Attachment)) or why not.
pub async fn upload<R: DeserializeOwned>(url: &str, file: &web_sys::File, token: &str) -> Result<R, NetError> {
    let init = RequestInit::new();
    init.set_method("POST");
    let headers = web_sys::Headers::new()?;
    headers.set("Authorization", &format!("Bearer {token}"))?;
    init.set_headers(&headers);
    init.set_body(file);
    answer(url, &init).await
}

/// Fetches, then reads a JSON answer or the edge's error body.
async fn answer<R: DeserializeOwned>(url: &str, init: &RequestInit) -> Result<R, NetError> {
    let request = web_sys::Request::new_with_str_and_init(url, init)?;
    let response: web_sys::Response = JsFuture::from(window().fetch_with_request(&request)).await?.dyn_into()?;
    let text = JsFuture::from(response.text()?).await?.as_string().unwrap_or_default();
    if !response.ok() {
        let message = json::parse::<ErrorBody>(&text)
            .map(|e| e.message)
            .unwrap_or_else(|| format!("The server answered {}", response.status()));
        return Err(NetError(message));
    }
    json::parse(&text).ok_or_else(|| NetError("The server's answer could not be read".into()))
}

/// A plain `GET`, with a bearer token if given: the status and the body, as the
/// browser's HTTP cache gives it (a 304 revalidation arrives as the cached body).
/// Also how a client learns why its socket keeps failing: browsers hide a refused
/// upgrade's status.
pub async fn get(url: &str, token: Option<&str>) -> Result<(u16, String), NetError> {
    let init = RequestInit::new();
    if let Some(token) = token {
        let headers = web_sys::Headers::new()?;
        headers.set("Authorization", &format!("Bearer {token}"))?;
        init.set_headers(&headers);
    }
    let request = web_sys::Request::new_with_str_and_init(url, &init)?;
    let response: web_sys::Response = JsFuture::from(window().fetch_with_request(&request)).await?.dyn_into()?;
    let text = JsFuture::from(response.text()?).await?.as_string().unwrap_or_default();
    Ok((response.status(), text))
}

/// `PUT`s a JSON body with a bearer token: the status and the answer's text.
pub async fn put_json<B: Serialize>(url: &str, body: &B, token: &str) -> Result<(u16, String), NetError> {
    let init = RequestInit::new();
    init.set_method("PUT");
    let headers = web_sys::Headers::new()?;
    headers.set("Content-Type", "application/json")?;
    headers.set("Authorization", &format!("Bearer {token}"))?;
    init.set_headers(&headers);
    let json = json::to_string(body).ok_or_else(|| NetError("The request could not be written".into()))?;
    init.set_body(&JsValue::from_str(&json));
    let request = web_sys::Request::new_with_str_and_init(url, &init)?;
    let response: web_sys::Response = JsFuture::from(window().fetch_with_request(&request)).await?.dyn_into()?;
    let text = JsFuture::from(response.text()?).await?.as_string().unwrap_or_default();
    Ok((response.status(), text))
}

/// Turns an `http(s)://` base into the matching `ws(s)://` URL for `path`.
pub fn socket_url(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let base = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_owned()
    };
    format!("{base}{path}")
}

/// What a [`Socket`] reports.
pub trait Listener {
    /// The socket (re)opened: say hello, flush what waits.
    fn opened(&self, socket: &Socket);
    fn frame(&self, socket: &Socket, text: &str);
    /// The socket closed; it reconnects by itself.
    fn closed(&self);
    /// The socket has failed [`CHECK_AFTER_FAILURES`] more times in a row and will try
    /// again, or the edge closed it because its session ended: time to ask whether the
    /// credentials in its URL are still good.
    fn keeps_failing(&self) {}
}

/// The event handlers of the current WebSocket: dropped with it on reconnect.
type Handlers = (Closure<dyn FnMut()>, Closure<dyn FnMut(MessageEvent)>, Closure<dyn FnMut(CloseEvent)>);

struct Inner {
    url: Box<dyn Fn() -> String>,
    listener: Rc<dyn Listener>,
    ws: Option<WebSocket>,
    handlers: Option<Handlers>,
    failures: u32,
    stopped: bool,
}

/// How many failed connects in a row make a [`Listener::keeps_failing`].
pub const CHECK_AFTER_FAILURES: u32 = 3;

/// A WebSocket that reconnects with backoff (0.25 s doubling to 5 s) until stopped.
#[derive(Clone)]
pub struct Socket(Rc<RefCell<Inner>>);

impl Socket {
    /// Connects now; `url` is asked again before every reconnect.
    pub fn connect(url: impl Fn() -> String + 'static, listener: Rc<dyn Listener>) -> Socket {
        let socket = Socket(Rc::new(RefCell::new(Inner {
            url: Box::new(url),
            listener,
            ws: None,
            handlers: None,
            failures: 0,
            stopped: false,
        })));
        socket.open();
        socket
    }

    /// Whether the socket is open now.
    pub fn is_open(&self) -> bool {
        self.0.borrow().ws.as_ref().is_some_and(|ws| ws.ready_state() == WebSocket::OPEN)
    }

    /// Sends a frame if the socket is open; returns whether it went out.
    pub fn send<T: Serialize>(&self, frame: &T) -> bool {
        json::to_string(frame).is_some_and(|text| self.send_text(&text))
    }

    /// Sends a frame written already (another tab's); returns whether it went out.
    pub fn send_text(&self, text: &str) -> bool {
        let inner = self.0.borrow();
        match &inner.ws {
            Some(ws) if ws.ready_state() == WebSocket::OPEN => ws.send_with_str(text).is_ok(),
            _ => false,
        }
    }

    /// Drops the current connection and connects again at once, asking for the URL
    /// anew (the visitor's session changed).
    pub fn reconnect(&self) {
        let old = self.0.borrow_mut().ws.take();
        if let Some(ws) = old {
            ws.set_onclose(None);
            let _ = ws.close();
            let listener = self.0.borrow().listener.clone();
            listener.closed();
        }
        self.open();
    }

    /// Closes for good: no reconnect.
    pub fn stop(&self) {
        let mut inner = self.0.borrow_mut();
        inner.stopped = true;
        if let Some(ws) = inner.ws.take() {
            ws.set_onclose(None);
            let _ = ws.close();
        }
    }

    fn open(&self) {
        let url = (self.0.borrow().url)();
        let Ok(ws) = WebSocket::new(&url) else {
            self.retry_later();
            return;
        };
        let on_open = {
            let socket = self.clone();
            Closure::<dyn FnMut()>::new(move || {
                socket.0.borrow_mut().failures = 0;
                let listener = socket.0.borrow().listener.clone();
                listener.opened(&socket);
            })
        };
        let on_message = {
            let socket = self.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                if let Some(text) = event.data().as_string() {
                    let listener = socket.0.borrow().listener.clone();
                    listener.frame(&socket, &text);
                }
            })
        };
        let on_close = {
            let socket = self.clone();
            let this_ws = ws.clone();
            Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
                // Only the current socket's close matters; an old one may close late.
                let current = socket.0.borrow().ws.as_ref().is_some_and(|ws| ws == &this_ws);
                if !current {
                    return;
                }
                socket.0.borrow_mut().ws = None;
                let listener = socket.0.borrow().listener.clone();
                listener.closed();
                if event.code() == SESSION_ENDED {
                    // Its credentials ended: no use retrying with them.
                    listener.keeps_failing();
                }
                // This closure belongs to `handlers`: dropping them now would free it
                // while it runs, so they are replaced on the next open instead.
                socket.retry_later();
            })
        };
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut inner = self.0.borrow_mut();
        inner.ws = Some(ws);
        inner.handlers = Some((on_open, on_message, on_close));
    }

    fn retry_later(&self) {
        let (delay, failures, listener) = {
            let mut inner = self.0.borrow_mut();
            if inner.stopped {
                return;
            }
            inner.failures += 1;
            let delay = (250 * 2u32.pow(inner.failures.min(5) - 1)).min(5_000);
            (delay, inner.failures, inner.listener.clone())
        };
        if failures.is_multiple_of(CHECK_AFTER_FAILURES) {
            listener.keeps_failing();
        }
        let socket = self.clone();
        let retry = Closure::once_into_js(move || {
            // A `reconnect` may have connected meanwhile.
            let idle = {
                let inner = socket.0.borrow();
                !inner.stopped && inner.ws.is_none()
            };
            if idle {
                socket.open();
            }
        });
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(retry.unchecked_ref(), delay as i32);
    }
}

/// A fresh random id (128 bits, hex) for client message ids.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    match window().crypto() {
        Ok(crypto) if crypto.get_random_values_with_u8_array(&mut bytes).is_ok() => {}
        _ => bytes.iter_mut().for_each(|b| *b = (js_sys::Math::random() * 256.0) as u8),
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
