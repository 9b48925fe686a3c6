//! Auto-actions in the visitor's browser: `shared::rules` evaluated against what this
//! page knows, at the moments it can change — a message, the operators' status, the
//! visitor's details, or the next time a time condition turns (one timeout, at least a
//! second apart; none when no rule can fire by time). Visit facts and what has fired
//! are kept in `localStorage` (counts and times only, nothing personal); the loader
//! counts the page views, and loads the widget just before a rule could fire.

use leptos::prelude::*;
use natter_shared::protocol::AuthorKind;
use natter_shared::rules::{self, Action, Facts, Memory, Rule, Visit};
use natter_shared::settings::WidgetSettings;
use wasm_bindgen::prelude::*;

use crate::chat::Chat;
use crate::log::Pending;
use crate::parts::part;
use crate::page::{self, PageEvent};
use crate::time::{now, sleep};
use crate::{net, storage};

/// The shortest wait between two evaluations by timer.
const MIN_TICK_MS: f64 = 1000.0;

/// When this page started loading (so time on page counts from the page, not from
/// when the widget loaded at idle time).
fn page_started() -> u64 {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"performance".into()).ok())
        .and_then(|p| js_sys::Reflect::get(&p, &"timeOrigin".into()).ok())
        .and_then(|t| t.as_f64())
        .map_or_else(now, |t| t as u64)
}

part!(
    /// The rules engine, in its own part.
    rules, preload preload_rules, fn run_part(chat: Chat) -> () { run(chat) }
);

/// Whether a settings document has rules (no `rules` at all means the defaults),
/// without reading them: that is the `rules` part's work.
fn has_rules(document: &str) -> bool {
    let rules = js_sys::JSON::parse(document).ok().and_then(|d| js_sys::Reflect::get(&d, &"rules".into()).ok());
    rules.is_none_or(|rules| !js_sys::Array::is_array(&rules) || js_sys::Array::from(&rules).length() > 0)
}

/// The site's rules (a document's bad rules are the defaults, as everywhere).
fn site_rules(chat: Chat) -> Vec<Rule> {
    let rules = crate::json::JsObject::parse(&chat.site.document())
        .and_then(|mut document| WidgetSettings::read_rules(&mut document, &mut Vec::new()));
    rules.unwrap_or_else(|| rules::default_rules(chat.site.settings.with_untracked(|s| s.default_language)))
}

/// Starts the rules engine once the site has rules (at once, or when a saved change
/// brings some); a failed download is tried again after 5 s, 10 s, … up to a minute.
pub fn start(chat: Chat) {
    let started = StoredValue::new(false);
    Effect::new(move |_| {
        chat.site.settings.track();
        if started.get_value() || !has_rules(&chat.site.document()) {
            return;
        }
        started.set_value(true);
        leptos::task::spawn_local(async move {
            let mut wait = 5_000;
            while run_part(chat).await.is_err() {
                sleep(wait).await;
                wait = (wait * 2).min(60_000);
            }
        });
    });
}

/// Runs the site's rules on this page for as long as it is open.
pub fn run(chat: Chat) {
    let visit_key = chat.site.key("visit");
    let memory_key = chat.site.key("fired");
    let page_started = page_started();
    let mut visit: Visit = storage::load(&visit_key).unwrap_or_default();
    // The loader counts each page (the widget may not load on it); a page it did not
    // count (rules laid over by page code) is counted here.
    if visit.last_activity < page_started {
        visit.page_view(now());
        storage::save(&visit_key, &visit);
    }
    let visit = StoredValue::new(visit);
    let memory = StoredValue::new(storage::load::<Memory>(&memory_key).unwrap_or_default());
    let timer = StoredValue::new_local(None::<i32>);
    let (url, referrer) = web_sys::window()
        .map(|w| (w.location().href().unwrap_or_default(), w.document().map(|d| d.referrer()).unwrap_or_default()))
        .unwrap_or_default();
    let tick = Trigger::new();
    let rules = Memo::new(move |_| {
        chat.site.settings.track();
        site_rules(chat)
    });

    Effect::new(move |_| {
        tick.track();
        let rules = rules.get();
        let log = chat.conversation.log.with(|log| (log.last_written(AuthorKind::Visitor), log.last_written(AuthorKind::Operator)));
        let facts = Facts {
            now: now(),
            page_started,
            visit: visit.get_value(),
            page_url: url.clone(),
            referrer: referrer.clone(),
            last_visitor_message: log.0,
            last_operator_message: log.1,
            introduced: chat.visitor.details.with(|d| !d.name.is_empty()),
            operator_online: chat.site.online.get(),
        };
        visit.update_value(|v| v.active(facts.now));
        visit.with_value(|v| storage::save(&visit_key, v));
        let fired = memory.try_update_value(|m| rules::evaluate(&rules, &facts, m)).unwrap_or_default();
        if !fired.is_empty() {
            memory.with_value(|m| storage::save(&memory_key, m));
        }
        for firing in fired {
            act(chat, firing.action, &firing.rule, firing.text.get(chat.site.language()), facts.now);
        }
        schedule(timer, tick, memory.with_value(|m| rules::next_check(&rules, &facts, m)), facts.now);
    });
}

/// Sets the one timeout for the next time-driven evaluation, replacing any other.
fn schedule(timer: StoredValue<Option<i32>, LocalStorage>, tick: Trigger, next: Option<u64>, now: u64) {
    let Some(window) = web_sys::window() else { return };
    if let Some(handle) = timer.get_value() {
        window.clear_timeout_with_handle(handle);
    }
    let handle = next.and_then(|at| {
        let wait = ((at.saturating_sub(now)) as f64).max(MIN_TICK_MS);
        let callback = Closure::once_into_js(move || tick.notify());
        window.set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), wait as i32).ok()
    });
    timer.set_value(handle);
}

/// Runs the rule named `name` at once, whatever its conditions (page code's
/// `runAction`); a disabled rule too, so owners can keep rules for page code only.
pub fn run_by_name(chat: Chat, name: &str) -> Result<(), String> {
    let rule = site_rules(chat).into_iter().find(|r| r.name == name);
    let rule = rule.ok_or_else(|| format!("runAction: this site has no auto-action named \"{name}\""))?;
    act(chat, rule.action, &rule.name, rule.text.get(chat.site.language()), now());
    Ok(())
}

/// Does what a rule says, and tells page code (`action`).
fn act(chat: Chat, action: Action, rule: &str, text: &str, at: u64) {
    let kind = match action {
        Action::Message => "message",
        Action::OpenWithSound => "open_with_sound",
        Action::Open => "open",
        Action::OpenIntroduce => "open_introduce",
    };
    page::emit(PageEvent::Action, page::object(&[("name", rule.into()), ("action", kind.into())]));
    match action {
        Action::Message => {
            if let Ok(pending) = Pending::automatic(rule, text, &net::random_id(), at) {
                chat.queue(pending);
            }
        }
        Action::Open => chat.set_open(true),
        Action::OpenWithSound => {
            chat.set_open(true);
            chat.ring(true);
        }
        Action::OpenIntroduce => {
            chat.set_open(true);
            chat.window.editing.set(true);
        }
    }
}
