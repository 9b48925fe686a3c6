//! Telling the operator something needs them: a short sound, a browser notification
//! (after they allow it; clicking it opens the conversation) and the count in the tab
//! title. Each can be switched off in Profile; the choice (and the console's language)
//! is kept per browser.

use natter_shared::settings::Language;
use serde::{Deserialize, Serialize};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use natter_widget::storage;

const PREFS_KEY: &str = "natter.console.prefs";

/// The operator's choices on this browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub sound: bool,
    pub notifications: bool,
    pub title_count: bool,
    /// The console's language; none follows the browser.
    pub language: Option<Language>,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs { sound: true, notifications: true, title_count: true, language: None }
    }
}

impl Prefs {
    pub fn load() -> Prefs {
        storage::load(PREFS_KEY).unwrap_or_default()
    }

    pub fn save(&self) {
        storage::save(PREFS_KEY, self);
    }
}

/// Whether the operator looks at the console tab now.
pub fn focused() -> bool {
    web_sys::window().and_then(|w| w.document()).and_then(|d| d.has_focus().ok()).unwrap_or(false)
}

/// A short two-tone chime, made here (nothing is downloaded).
pub fn chime() {
    let play = || -> Result<(), wasm_bindgen::JsValue> {
        let audio = web_sys::AudioContext::new()?;
        let gain = audio.create_gain()?;
        gain.connect_with_audio_node(&audio.destination())?;
        let start = audio.current_time();
        gain.gain().set_value_at_time(0.0001, start)?;
        gain.gain().exponential_ramp_to_value_at_time(0.2, start + 0.02)?;
        gain.gain().exponential_ramp_to_value_at_time(0.0001, start + 0.4)?;
        for (i, frequency) in [660.0, 880.0].into_iter().enumerate() {
            let tone = audio.create_oscillator()?;
            tone.frequency().set_value(frequency);
            tone.connect_with_audio_node(&gain)?;
            let at = start + 0.12 * i as f64;
            tone.start_with_when(at)?;
            tone.stop_with_when(at + 0.2)?;
        }
        Ok(())
    };
    // A browser that blocks audio until the page was used simply stays quiet.
    let _ = play();
}

/// "granted", "denied" or "default"; "unsupported" where there is no Notification API.
pub fn permission() -> &'static str {
    let supported = web_sys::window().is_some_and(|w| js_sys::Reflect::has(&w, &"Notification".into()).unwrap_or(false));
    if !supported {
        return "unsupported";
    }
    match web_sys::Notification::permission() {
        web_sys::NotificationPermission::Granted => "granted",
        web_sys::NotificationPermission::Denied => "denied",
        _ => "default",
    }
}

/// Asks the browser to allow notifications; `done` gets the answer.
pub fn ask_permission(done: impl Fn(&'static str) + 'static) {
    if permission() == "unsupported" {
        return done("unsupported");
    }
    if let Ok(promise) = web_sys::Notification::request_permission() {
        leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            done(permission());
        });
    }
}

/// Shows a browser notification (if allowed); clicking it brings the console forward
/// and runs `open`.
pub fn notify(title: &str, body: &str, open: impl Fn() + 'static) {
    if permission() != "granted" {
        return;
    }
    let options = web_sys::NotificationOptions::new();
    options.set_body(body);
    options.set_tag("natter");
    let Ok(notification) = web_sys::Notification::new_with_options(title, &options) else { return };
    let shown = notification.clone();
    let click = Closure::<dyn Fn()>::new(move || {
        if let Some(window) = web_sys::window() {
            let _ = window.focus();
        }
        open();
        shown.close();
    });
    notification.set_onclick(Some(click.as_ref().unchecked_ref()));
    // Lives as long as the notification may be clicked.
    click.forget();
}

/// "(2) Natter": the count of what waits for the operator, in the tab's title.
pub fn show_count(count: usize) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let title = document.title();
    let base = match title.strip_prefix('(').and_then(|rest| rest.split_once(") ")) {
        Some((number, base)) if number.chars().all(|c| c.is_ascii_digit()) => base.to_owned(),
        _ => title,
    };
    document.set_title(&if count > 0 { format!("({count}) {base}") } else { base });
}
