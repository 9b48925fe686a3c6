//! The sign-in form.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::protocol::{OperatorSession, SignIn as SignInBody};
use natter_widget::net;

use crate::session::{edge, Console};

#[component]
pub fn SignIn() -> impl IntoView {
    let console = expect_context::<Console>();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let body = SignInBody { email: email.get_untracked(), password: password.get_untracked() };
        spawn_local(async move {
            let url = format!("{}/v1/console/sign-in", edge());
            match net::request::<_, OperatorSession>("POST", &url, Some(&body), None).await {
                Ok(session) => console.signed_in(session),
                Err(e) => problem.set(Some(e.0)),
            }
            busy.set(false);
        });
    };
    view! {
        <main class="sign-in">
            <form on:submit=submit>
                <h1>"Natter console"</h1>
                <Show when=move || console.notice.get().is_some()>
                    <p class="notice" role="status">{move || console.notice.get()}</p>
                </Show>
                <label>"Email"
                    <input type="email" name="email" autocomplete="username" required
                        prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                </label>
                <label>"Password"
                    <input type="password" name="password" autocomplete="current-password" required
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                <Show when=move || problem.get().is_some()>
                    <p class="problem" role="alert">{move || problem.get()}</p>
                </Show>
                <button type="submit" disabled=move || busy.get()>"Sign in"</button>
            </form>
        </main>
    }
}
