//! The site as the widget knows it: where it runs, its settings (as the edge sends them,
//! with page code's overrides laid over), the words to use, and whether an operator is
//! online.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::i18n::{self, Strings};
use natter_shared::protocol::SiteStatus;
use natter_shared::settings::{Language, OfflineMode, Texts, WidgetSettings};
use wasm_bindgen::{JsCast, JsValue};

use crate::json::{JsObject, WidgetDocument};
use crate::page::{self, PageEvent};
use crate::time::sleep;
use crate::{net, storage};

/// Where the widget runs: given by the loader.
#[derive(Clone, Debug)]
pub struct Config {
    pub site: String,
    /// The edge's origin, e.g. `https://chat.example.com`.
    pub edge: String,
}

/// How often an open widget revalidates the site's settings and asks whether an
/// operator is online. Not 5 s: a server that closes idle keep-alive connections after
/// 5 s (Node's default; `wrangler dev` does) closes one just as the next check goes
/// out on it, and Chromium then held that request 10 s (seen in about 1 of 30 tries).
/// At 6 s the connection is plainly closed, and a new one is made.
const SETTINGS_CHECK_MS: i32 = 6_000;
/// With the window closed, every this many checks (once a minute).
const CLOSED_CHECK_EVERY: u32 = 10;

#[derive(Clone, Copy)]
pub struct Site {
    /// The site's settings, as the loader fetched them (and as later updates replace them).
    pub settings: RwSignal<WidgetSettings>,
    /// Whether an operator is online (assumed until the edge says otherwise).
    pub online: RwSignal<bool>,
    /// The settings document's text, to notice when a revalidation brings a new one.
    document: StoredValue<String>,
    /// Settings page code changed (`configure`, `setLocale`): a JS object laid over
    /// every settings document read.
    overrides: StoredValue<js_sys::Object, LocalStorage>,
    /// The operators' status as last told to page code.
    status_told: StoredValue<Option<bool>>,
    config: StoredValue<Config>,
}

/// The browser's preferred languages, most preferred first.
fn browser_languages() -> Vec<String> {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else { return Vec::new() };
    let mut tags: Vec<String> = navigator.languages().iter().filter_map(|t| t.as_string()).collect();
    if tags.is_empty() {
        tags.extend(navigator.language());
    }
    tags
}

impl Site {
    pub fn new(config: Config, document: String) -> Site {
        let site = Site {
            settings: RwSignal::new(WidgetSettings::default()),
            online: RwSignal::new(true),
            document: StoredValue::new(document),
            overrides: StoredValue::new_local(js_sys::Object::new()),
            status_told: StoredValue::new(None),
            config: StoredValue::new(config),
        };
        site.settings.set(site.read(&site.document.get_value()));
        site
    }

    /// The language to speak now: forced by the site, or the browser's, or the site's
    /// default. Untracked: the app re-renders as a whole when the settings change.
    pub fn language(&self) -> Language {
        self.settings.with_untracked(|s| s.language.resolve(s.default_language, &browser_languages()))
    }

    /// The widget's built-in words in the current language.
    pub fn strings(&self) -> &'static Strings {
        Strings::of(self.language())
    }

    /// The owner's text for the current language, or the built-in one.
    pub fn text(&self, pick: fn(&Texts) -> &Option<String>, default: fn(&Strings) -> &'static str) -> String {
        let language = self.language();
        self.settings.with_untracked(|s| i18n::text(s, language, pick, default(Strings::of(language))))
    }

    /// Reads a settings document leniently, field by field, by `shared`'s rules (what
    /// this version cannot use falls back to defaults), with page code's overrides.
    fn read(&self, text: &str) -> WidgetSettings {
        let document: js_sys::Object =
            js_sys::JSON::parse(text).ok().filter(JsValue::is_object).map_or_else(js_sys::Object::new, JsCast::unchecked_into);
        self.overrides.with_value(|overrides| js_sys::Object::assign(&document, overrides));
        JsObject::from_value(document.into())
            .map(|object| WidgetSettings::read_object(WidgetDocument(object), &mut Vec::new()))
            .unwrap_or_default()
    }

    /// The site's settings document as the edge sent it (the rules engine reads its
    /// rules from it).
    pub fn document(&self) -> String {
        self.document.get_value()
    }

    /// Lays settings page code chose (checked by the caller) over the site's.
    pub fn configure(&self, overrides: js_sys::Object) {
        self.overrides.with_value(|mine| js_sys::Object::assign(mine, &overrides));
        self.settings.set(self.read(&self.document.get_value()));
    }

    /// The storage key for `name` on this site.
    pub fn key(&self, name: &str) -> String {
        self.config.with_value(|c| storage::key(&c.site, name))
    }

    /// The edge's origin (which also serves stored files).
    pub fn edge(&self) -> String {
        self.config.with_value(|c| c.edge.clone())
    }

    /// The URL of one of the site's routes (`status`, `visitors`, …).
    pub fn url(&self, route: &str) -> String {
        self.config.with_value(|c| format!("{}/v1/sites/{}/{route}", c.edge, c.site))
    }

    /// Offline, and the site hides the widget then.
    pub fn hidden(&self) -> bool {
        !self.online.get() && self.settings.with(|s| s.offline_mode == OfflineMode::Hide)
    }

    /// Whether the window's menu offers "Send transcript" (the edge says no where it
    /// sends no e-mail).
    pub fn transcripts_allowed(&self) -> bool {
        self.settings.with(|s| s.transcripts)
    }

    /// Whether the visitor may attach files now: the site allows it, online only.
    pub fn files_allowed(&self) -> bool {
        self.online.get() && self.settings.with(|s| s.files)
    }

    /// What the edge says of the operators' presence; page code hears of a change.
    pub fn set_online(&self, online: bool) {
        if self.online.get_untracked() != online {
            self.online.set(online);
        }
        if self.status_told.get_value() != Some(online) {
            self.status_told.set_value(Some(online));
            page::emit(PageEvent::Status, if online { "online" } else { "offline" }.into());
        }
    }

    /// Asks the edge whether an operator is online.
    async fn check_status(&self) {
        // Unreachable: keep what we believed.
        if let Ok((200, text)) = net::get(&self.url("status"), None).await {
            if let Some(status) = crate::json::parse::<SiteStatus>(&text) {
                self.set_online(status.online);
            }
        }
    }

    /// Follows saved settings and operator presence: every few seconds while the
    /// visitor has the window open, once a minute while it is closed (settings cost a
    /// 304 when unchanged; browsers slow timers in hidden tabs).
    pub fn follow(self, open: RwSignal<bool>) {
        spawn_local(async move {
            self.check_status().await;
            let mut ticks = 0u32;
            loop {
                sleep(SETTINGS_CHECK_MS).await;
                ticks = ticks.wrapping_add(1);
                // Closed, the widget may still be running the site's rules: it follows
                // changes too, ten times less often.
                if !open.get_untracked() && !ticks.is_multiple_of(CLOSED_CHECK_EVERY) {
                    continue;
                }
                self.check_status().await;
                // Unreachable or refused now: keep what we have and try again later.
                let Ok((200, text)) = net::get(&self.url("widget"), None).await else { continue };
                if self.document.with_value(|current| *current != text) {
                    // The document first: what follows the settings (the rules) reads it.
                    let settings = self.read(&text);
                    self.document.set_value(text);
                    self.settings.set(settings);
                }
            }
        });
    }
}
