//! The Natter widget. `loader.js` draws the launcher in a shadow root and, on the
//! visitor's first interaction (or a call from page code), loads this Wasm and calls
//! [`mount`], which takes over the shadow root: the launcher, the chat window, the
//! connection to the edge and the JS API ([`api`]).

pub mod api;
pub mod auto;
pub mod chat;
pub mod components;
pub mod conversation;
pub mod focus;
pub mod json;
mod json_de;
pub mod log;
pub mod net;
pub mod outbox;
pub mod page;
pub mod parts;
pub mod site;
pub mod storage;
pub mod tabs;
pub mod time;
pub mod typing;
pub mod visitor;
pub mod window_state;

use leptos::prelude::*;

use chat::Chat;
use components::{launcher::Launcher, window::Window};

/// The launcher's styles: the loader bundles them; the console's preview adopts them.
pub const LAUNCHER_STYLE: &str = include_str!("../launcher.css");

/// The window's styles (`style.css`, minified by `build.rs`); the launcher's come with
/// the loader so it draws at once.
pub const STYLE: &str = include_str!(concat!(env!("OUT_DIR"), "/style.min.css"));

/// The whole widget: launcher and window, around one [`Chat`], in the site's colours.
#[component]
pub fn App(chat: Chat) -> impl IntoView {
    provide_context(chat);
    let theme = chat.window.anchor;
    // Custom properties, set through the CSSOM: allowed under a CSP without 'unsafe-inline'.
    Effect::new(move |_| {
        let Some(theme) = theme.get() else { return };
        chat.site.settings.with(|s| {
            let style = web_sys::HtmlElement::style(&theme);
            for (name, color) in [("--natter-header", &s.header_color), ("--natter-send", &s.send_color), ("--natter-text", &s.text_color)] {
                let _ = style.set_property(name, color.as_str());
            }
        });
    });
    let dark = dark_window(chat);
    // Settings change rarely (a save, a language switch): the tree is rebuilt then, so
    // the components read them once instead of each word being reactive.
    view! {
        <div class="theme" class:dark=dark node_ref=theme>
            {move || {
                chat.site.settings.track();
                view! { <Launcher/> <Window/> }
            }}
        </div>
    }
}

/// Whether the window is dark: as the owner fixed it, or as the visitor's system
/// prefers (followed live).
fn dark_window(chat: Chat) -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    use natter_shared::settings::ColorScheme;
    use wasm_bindgen::JsCast;
    let system_dark = RwSignal::new(false);
    if let Some(query) = web_sys::window().and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten()) {
        system_dark.set(query.matches());
        let watched = query.clone();
        let on_change = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || system_dark.set(watched.matches()));
        let _ = query.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
        on_change.forget(); // for the page's life, as the widget
    }
    move || match chat.site.settings.with(|s| s.color_scheme) {
        ColorScheme::Auto => system_dark.get(),
        ColorScheme::Light => false,
        ColorScheme::Dark => true,
    }
}

/// Mounts the widget into the loader's shadow root. Called by `loader.js`.
#[cfg(feature = "embed")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn mount(
    root: web_sys::ShadowRoot,
    site: String,
    edge: String,
    open: bool,
    settings: String,
    waiting: js_sys::Array,
    typed: String,
) -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast;

    adopt_style(&root, STYLE)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let container: web_sys::HtmlElement = document.create_element("div")?.unchecked_into();
    container.set_class_name("app");
    root.append_child(&container)?;
    let chat = Chat::new(site::Config { site, edge }, settings);
    leptos::mount::mount_to(container, move || view! { <App chat=chat/> }).forget();
    // After mounting: that sets up the async executor the connection runs on.
    chat.start();
    chat.site.follow(chat.window.open);
    auto::start(chat);
    // The page's listeners are in place before the window opens for the click that
    // loaded the widget, so they hear `open` too.
    let api = api::install(chat, waiting);
    if open {
        chat.window.draft.set(typed);
        chat.open_by_visitor();
    }
    MOUNTED.with(|mounted| mounted.set(Some(chat)));
    Ok(api)
}

#[cfg(feature = "embed")]
thread_local! {
    /// The page's one widget, once mounted.
    static MOUNTED: std::cell::Cell<Option<Chat>> = const { std::cell::Cell::new(None) };
}

/// An operator started a chat with this visitor (the loader's page view brought
/// `invitation`, a `natter_shared::presence::Invitation`): the widget takes its
/// session, if it brings one, and shows the operator's message as the site's
/// `closed_reply` says. Called by `loader.js` after [`mount`].
#[cfg(feature = "embed")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn invited(invitation: wasm_bindgen::JsValue) {
    let Some(chat) = MOUNTED.with(std::cell::Cell::get) else { return };
    if let Ok(invitation) = json_de::from_value::<natter_shared::presence::Invitation>(invitation) {
        chat.invited(invitation.session);
    }
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
