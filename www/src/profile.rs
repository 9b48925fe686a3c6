//! Profile: every operator's own name, title, phone and picture (name and picture are
//! what visitors see on their messages), and their password.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::accounts::{check_password, PasswordChange, Profile};
use natter_shared::protocol::OperatorSession;
use natter_widget::net;
use serde::Deserialize;

use natter_shared::settings::Language;

use crate::alerts::{self, Prefs};
use crate::fields::{input, new_password, outcome, Outcome};
use crate::i18n::{tr, tr_any};
use crate::session::{edge, Console};

#[derive(Deserialize)]
struct Uploaded {
    url: String,
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let console = expect_context::<Console>();
    let current = console.me.get_untracked().map(|me| me.profile).unwrap_or_default();
    let name = RwSignal::new(current.name);
    let title = RwSignal::new(current.title);
    let phone = RwSignal::new(current.phone);
    let avatar = RwSignal::new(current.avatar.unwrap_or_default());
    let state = RwSignal::new(None::<Outcome>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let picture = avatar.get_untracked().trim().to_owned();
        let body = Profile {
            name: name.get_untracked(),
            title: title.get_untracked(),
            phone: phone.get_untracked(),
            avatar: (!picture.is_empty()).then_some(picture),
        };
        if let Err(problem) = body.check(&edge()) {
            state.set(Some(Outcome::Problem(problem)));
            return;
        }
        spawn_local(async move {
            match console.request::<_, Profile>("PUT", &format!("{}/v1/console/me", edge()), Some(&body)).await {
                Ok(_) => {
                    state.set(Some(Outcome::Done(tr("Saved. Visitors see this name and picture on your next messages.").into())));
                    console.load_me();
                }
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    };
    let upload = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
        spawn_local(async move {
            let url = format!("{}/v1/console/me/avatar?name={}", edge(), js_sys::encode_uri_component(&file.name()));
            match net::upload::<Uploaded>(&url, &file, &console.token()).await {
                Ok(uploaded) => {
                    avatar.set(uploaded.url);
                    state.set(Some(Outcome::Done(tr("Picture uploaded. Save the profile to use it.").into())));
                }
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    };
    view! {
        <main class="page profile">
            <h2>{tr("Profile")}</h2>
            <form class="card" on:submit=save>
                <h3>{tr("About you")}</h3>
                {input(tr("Name"), "text", "name", name, true)}
                {input(tr("Title"), "text", "organization-title", title, false)}
                {input(tr("Phone"), "tel", "tel", phone, false)}
                <label>{tr("Avatar URL")}
                    <input type="url" placeholder="https://…" aria-describedby="avatar-hint"
                        prop:value=move || avatar.get() on:input=move |ev| avatar.set(event_target_value(&ev))/>
                </label>
                <p class="hint" id="avatar-hint">{tr("An https:// address of a picture, or upload one.")}</p>
                <label>{tr("Upload a picture")}
                    <input type="file" accept="image/png,image/jpeg,image/gif,image/webp" on:change=upload/>
                </label>
                {move || (!avatar.get().trim().is_empty()).then(|| view! {
                    <img class="avatar-preview" src=avatar.get() alt=tr("Your picture, as visitors see it")/>
                })}
                {outcome(state)}
                <button type="submit">{tr("Save profile")}</button>
            </form>
            <PasswordForm/>
            <AlertsForm/>
        </main>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let console = expect_context::<Console>();
    let current = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let state = RwSignal::new(None::<Outcome>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = password.get_untracked();
        if let Err(problem) = check_password(&chosen) {
            state.set(Some(Outcome::Problem(format!("{} {}", tr("New password:"), tr_any(problem.trim_start_matches("Password: "))))));
            return;
        }
        if chosen != repeat.get_untracked() {
            state.set(Some(Outcome::Problem(tr("Repeat new password: it is not the same as the new password").into())));
            return;
        }
        let body = PasswordChange { current: current.get_untracked(), password: chosen };
        spawn_local(async move {
            let url = format!("{}/v1/console/me/password", edge());
            match console.request::<_, OperatorSession>("POST", &url, Some(&body)).await {
                Ok(session) => {
                    console.renewed(session);
                    current.set(String::new());
                    password.set(String::new());
                    repeat.set(String::new());
                    state.set(Some(Outcome::Done(tr("Password changed. Your other sessions have ended.").into())));
                }
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    };
    view! {
        <form class="card" on:submit=submit>
            <h3>{tr("Password")}</h3>
            {input(tr("Current password"), "password", "current-password", current, true)}
            {new_password(tr("New password"), password)}
            {input(tr("Repeat new password"), "password", "new-password", repeat, true)}
            {outcome(state)}
            <button type="submit">{tr("Change password")}</button>
        </form>
    }
}

/// How the console tells this operator that something needs them, and its language:
/// kept on this browser.
#[component]
fn AlertsForm() -> impl IntoView {
    let console = expect_context::<Console>();
    let prefs = console.prefs;
    let permission = RwSignal::new(alerts::permission());
    let check = move |label: &'static str, get: fn(&Prefs) -> bool, set: fn(&mut Prefs, bool)| {
        view! {
            <label class="check">
                <input type="checkbox" prop:checked=move || prefs.with(get) on:change=move |ev| {
                    let mut changed = prefs.get_untracked();
                    set(&mut changed, event_target_checked(&ev));
                    console.set_prefs(changed);
                }/>
                {label}
            </label>
        }
    };
    let permission_text = move || match permission.get() {
        "granted" => tr("Browser notifications are allowed."),
        "denied" => tr("This browser blocks the console's notifications: allow them in the site settings of the browser."),
        "unsupported" => tr("This browser has no notifications."),
        _ => tr("The browser asks you once whether the console may show notifications."),
    };
    view! {
        <section class="card" aria-labelledby="alerts-title">
            <h3 id="alerts-title">{tr("Notifications and language")}</h3>
            <p class="hint">{tr("When a visitor starts waiting, writes in one of your conversations, or one is given to you (unless you are looking at it). Kept in this browser.")}</p>
            {check(tr("Play a sound"), |p| p.sound, |p, v| p.sound = v)}
            {check(tr("Show browser notifications"), |p| p.notifications, |p, v| p.notifications = v)}
            {check(tr("Count them in the browser tab"), |p| p.title_count, |p, v| p.title_count = v)}
            <p class="hint" role="status">{permission_text}</p>
            <Show when=move || permission.get() == "default">
                <button type="button" on:click=move |_| alerts::ask_permission(move |answer| permission.set(answer))>
                    {tr("Allow browser notifications")}
                </button>
            </Show>
            <label>{tr("Console language")}
                <select prop:value=move || match prefs.with(|p| p.language) { Some(Language::Ru) => "ru", Some(Language::En) => "en", None => "auto" }
                    on:change=move |ev| {
                        let mut changed = prefs.get_untracked();
                        changed.language = Language::from_tag(&event_target_value(&ev));
                        console.set_prefs(changed);
                    }>
                    <option value="auto">{tr("As the browser")}</option>
                    <option value="ru">"Русский"</option>
                    <option value="en">"English"</option>
                </select>
            </label>
        </section>
    }
}
