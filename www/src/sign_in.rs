//! The door: sign in, create an account (when the deployment's sign-up is open), or ask
//! for a password reset link.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::accounts::{ConsoleConfig, ResetRequest, SignUp};
use natter_shared::protocol::{OperatorSession, SignIn as SignInBody};
use natter_widget::{json, net};
use serde::Deserialize;

use crate::fields::{input, new_password, outcome, Outcome};
use crate::session::{edge, Console, Page};
use crate::i18n::tr;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    SignIn,
    SignUp,
    Forgot,
}

#[derive(Deserialize)]
struct Sent {
    message: String,
}

#[component]
pub fn SignIn() -> impl IntoView {
    let console = expect_context::<Console>();
    let mode = RwSignal::new(Mode::SignIn);
    let config = RwSignal::new(None::<ConsoleConfig>);
    spawn_local(async move {
        if let Ok((200, text)) = net::get(&format!("{}/v1/console/config", edge()), None).await {
            config.set(json::parse(&text));
        }
    });
    let signup_open = move || config.with(|c| c.as_ref().is_some_and(|c| c.signup));
    let switch = move |to: Mode| {
        console.notice.set(None);
        mode.set(to);
    };
    view! {
        <main class="sign-in">
            {move || match mode.get() {
                Mode::SignIn => view! { <SignInForm/> }.into_any(),
                Mode::SignUp => view! { <SignUpForm/> }.into_any(),
                Mode::Forgot => view! { <ForgotForm config/> }.into_any(),
            }}
            <p class="other-doors">
                <Show when=move || mode.get() != Mode::SignIn>
                    <button type="button" class="link" on:click=move |_| switch(Mode::SignIn)>{tr("Sign in instead")}</button>
                </Show>
                <Show when=move || mode.get() != Mode::SignUp && signup_open()>
                    <button type="button" class="link" on:click=move |_| switch(Mode::SignUp)>{tr("Create an account")}</button>
                </Show>
                <Show when=move || mode.get() == Mode::SignIn>
                    <button type="button" class="link" on:click=move |_| switch(Mode::Forgot)>{tr("Forgot your password?")}</button>
                </Show>
            </p>
        </main>
    }
}

#[component]
fn SignInForm() -> impl IntoView {
    let console = expect_context::<Console>();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let state = RwSignal::new(None::<Outcome>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let body = SignInBody { email: email.get_untracked(), password: password.get_untracked() };
        spawn_local(async move {
            let url = format!("{}/v1/console/sign-in", edge());
            match net::request::<_, OperatorSession>("POST", &url, Some(&body), None).await {
                Ok(session) => console.signed_in(session, Page::Inbox),
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
            busy.set(false);
        });
    };
    view! {
        <form on:submit=submit>
            <h1>{tr("Natter console")}</h1>
            <Show when=move || console.notice.get().is_some()>
                <p class="notice" role="status">{move || console.notice.get()}</p>
            </Show>
            {input(tr("Email"), "email", "username", email, true)}
            {input(tr("Password"), "password", "current-password", password, true)}
            {outcome(state)}
            <button type="submit" disabled=move || busy.get()>{tr("Sign in")}</button>
        </form>
    }
}

#[component]
fn SignUpForm() -> impl IntoView {
    let console = expect_context::<Console>();
    let organisation = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let site_name = RwSignal::new(String::new());
    let site_url = RwSignal::new(String::new());
    let state = RwSignal::new(None::<Outcome>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = SignUp {
            organisation: organisation.get_untracked(),
            name: name.get_untracked(),
            email: email.get_untracked(),
            password: password.get_untracked(),
            site_name: site_name.get_untracked(),
            site_url: site_url.get_untracked(),
            time_zone: natter_shared::clock::runtime_time_zone(),
        };
        // The same checks as the edge's, for an answer before any request.
        if let Err(problem) = body.check() {
            state.set(Some(Outcome::Problem(problem)));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let url = format!("{}/v1/console/sign-up", edge());
            match net::request::<_, OperatorSession>("POST", &url, Some(&body), None).await {
                Ok(session) => console.signed_in(session, Page::Installation),
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
            busy.set(false);
        });
    };
    view! {
        <form on:submit=submit novalidate>
            <h1>{tr("Create a Natter account")}</h1>
            <p class="hint">{tr("Your organisation, you as its admin, and the first site to put the chat on.")}</p>
            {input(tr("Organisation"), "text", "organization", organisation, true)}
            {input(tr("Your name"), "text", "name", name, true)}
            {input(tr("Email"), "email", "email", email, true)}
            {new_password(tr("Password"), password)}
            {input(tr("Site name"), "text", "off", site_name, true)}
            <label>{tr("Site URL")}
                <input type="url" autocomplete="url" required placeholder="https://shop.example.com" aria-describedby="site-url-hint"
                    prop:value=move || site_url.get() on:input=move |ev| site_url.set(event_target_value(&ev))/>
            </label>
            <p class="hint" id="site-url-hint">{tr("Pages from this address may show the widget; you can allow more later.")}</p>
            {outcome(state)}
            <button type="submit" disabled=move || busy.get()>{tr("Create account")}</button>
        </form>
    }
}

#[component]
fn ForgotForm(config: RwSignal<Option<ConsoleConfig>>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let state = RwSignal::new(None::<Outcome>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let body = ResetRequest { email: email.get_untracked() };
        spawn_local(async move {
            let url = format!("{}/v1/console/password-reset", edge());
            match net::request::<_, Sent>("POST", &url, Some(&body), None).await {
                Ok(sent) => state.set(Some(Outcome::Done(sent.message))),
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
            busy.set(false);
        });
    };
    let mails = move || config.with(|c| c.as_ref().is_none_or(|c| c.email));
    view! {
        <form on:submit=submit>
            <h1>{tr("Reset your password")}</h1>
            <Show when=mails fallback=|| view! {
                <p class="notice">{tr("This Natter does not send e-mail. Ask your organisation's admin to help you in.")}</p>
            }>
                <p class="hint">{tr("We e-mail you a link to choose a new password. It works once, for an hour.")}</p>
                {input(tr("Email"), "email", "username", email, true)}
                {outcome(state)}
                <button type="submit" disabled=move || busy.get()>{tr("Send reset link")}</button>
            </Show>
        </form>
    }
}
