//! The Natter widget. `loader.js` draws the launcher in a shadow root and, on the
//! visitor's first interaction, loads this Wasm and calls [`mount`], which takes over
//! the shadow root: the launcher, the chat window and the connection to the edge.

pub mod chat;
pub mod components;
pub mod json;
pub mod log;
pub mod net;
pub mod outbox;
pub mod storage;
pub mod typing;

use leptos::prelude::*;

use chat::Chat;
use components::{launcher::Launcher, window::Window};

/// The window's styles; the launcher's come with the loader so it draws at once.
pub const STYLE: &str = include_str!("style.css");

/// The whole widget: launcher and window, around one [`Chat`].
#[component]
pub fn App(chat: Chat) -> impl IntoView {
    provide_context(chat);
    view! {
        <Launcher/>
        <Window/>
    }
}

/// Mounts the widget into the loader's shadow root. Called by `loader.js`.
#[cfg(feature = "embed")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn mount(root: web_sys::ShadowRoot, site: String, edge: String, open: bool) -> Result<(), wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast;

    adopt_style(&root, STYLE)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let container: web_sys::HtmlElement = document.create_element("div")?.unchecked_into();
    container.set_class_name("app");
    root.append_child(&container)?;
    let chat = Chat::new(chat::Config { site, edge });
    chat.set_open(open);
    leptos::mount::mount_to(container, move || view! { <App chat=chat/> }).forget();
    // After mounting: that sets up the async executor the connection runs on.
    chat.start();
    Ok(())
}

/// Adds a constructable stylesheet to a shadow root: works under a CSP without
/// `'unsafe-inline'`, and host CSS cannot reach into it.
pub fn adopt_style(root: &web_sys::ShadowRoot, css: &str) -> Result<(), wasm_bindgen::JsValue> {
    let sheet = web_sys::CssStyleSheet::new()?;
    sheet.replace_sync(css)?;
    let sheets = js_sys::Array::from(&js_sys::Reflect::get(root, &"adoptedStyleSheets".into())?);
    sheets.push(&sheet);
    js_sys::Reflect::set(root, &"adoptedStyleSheets".into(), &sheets)?;
    Ok(())
}
