//! A one-time link's page: an invitee sets their password and joins, or an operator who
//! forgot theirs chooses a new one. Either way they are then signed in.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::accounts::{check_password, InvitationView, NewPassword};
use natter_shared::protocol::OperatorSession;
use natter_widget::{json, net};

use crate::fields::{input, new_password, outcome, Outcome};
use crate::session::{edge, Console, Page};
use crate::i18n::{tr, trf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Invitation,
    Reset,
}

#[component]
pub fn JoinPage(kind: LinkKind, token: String, done: impl Fn() + Copy + 'static) -> impl IntoView {
    let console = expect_context::<Console>();
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let state = RwSignal::new(None::<Outcome>);
    let invitation = RwSignal::new(None::<InvitationView>);
    let busy = RwSignal::new(false);
    let token = StoredValue::new(token);
    let path = match kind {
        LinkKind::Invitation => "invitations",
        LinkKind::Reset => "password-reset",
    };
    let url = move || format!("{}/v1/{path}/{}", edge(), token.get_value());
    if kind == LinkKind::Invitation {
        spawn_local(async move {
            match net::get(&url(), None).await {
                Ok((200, text)) => invitation.set(json::parse(&text)),
                Ok((_, text)) => state.set(Some(Outcome::Problem(
                    json::parse::<natter_shared::protocol::ErrorBody>(&text)
                        .map(|e| e.message)
                        .unwrap_or_else(|| tr("This invitation cannot be opened.").into()),
                ))),
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    }
    let leave = move || {
        // The token leaves the address bar (and the history entry) once used.
        if let Some(window) = web_sys::window() {
            let _ = window.history().and_then(|h| h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/console/")));
        }
        done();
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = password.get_untracked();
        if let Err(problem) = check_password(&chosen) {
            state.set(Some(Outcome::Problem(problem)));
            return;
        }
        if chosen != repeat.get_untracked() {
            state.set(Some(Outcome::Problem(tr("Repeat password: it is not the same as the password").into())));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match net::request::<_, OperatorSession>("POST", &url(), Some(&NewPassword { password: chosen }), None).await {
                Ok(session) => {
                    leave();
                    console.signed_in(session, Page::Inbox);
                }
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
            busy.set(false);
        });
    };
    let (title, button) = match kind {
        LinkKind::Invitation => (tr("Join Natter"), tr("Join")),
        LinkKind::Reset => (tr("Choose a new password"), tr("Set password")),
    };
    view! {
        <main class="sign-in">
            <form on:submit=submit>
                <h1>{title}</h1>
                {move || invitation.get().map(|i| view! {
                    <p class="hint">{trf("{}, you are invited to answer chats for {}. You will sign in as {}.", &[&i.name, &i.organisation, &i.email])}</p>
                })}
                {new_password(tr("Password"), password)}
                {input(tr("Repeat password"), "password", "new-password", repeat, true)}
                {outcome(state)}
                <button type="submit" disabled=move || busy.get()>{button}</button>
            </form>
            <p class="other-doors"><button type="button" class="link" on:click=move |_| leave()>{tr("Go to sign in")}</button></p>
        </main>
    }
}
