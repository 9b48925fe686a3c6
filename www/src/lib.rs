//! The operator console: sign in, watch the inbox live, open a conversation, see who
//! the visitor is and reply. Served at `/console/`; talks to the edge on the same origin.

mod contact_settings;
mod conversation;
mod rules_editor;
mod inbox;
mod problems;
mod session;
mod settings;
mod sign_in;
pub mod user_agent;

use leptos::prelude::*;
use wasm_bindgen::prelude::wasm_bindgen;

use conversation::ConversationView;
use inbox::Inbox;
use natter_shared::protocol::Role;
use session::Console;
use settings::SettingsPage;
use sign_in::SignIn;

#[component]
fn App() -> impl IntoView {
    let console = Console::new();
    provide_context(console);
    view! {
        <Show when=move || console.session.get().is_some() fallback=|| view! { <SignIn/> }>
            <div class="console">
                <header class="topbar">
                    <h1>"Natter"</h1>
                    <span class="who">{move || console.session.get().map(|s| format!("{} · {}", s.name, s.site))}</span>
                    <span class="online" role="status" aria-label="Operators online">
                        {move || {
                            let names: Vec<String> = console
                                .online
                                .get()
                                .into_iter()
                                .map(|o| if o.away { format!("{} (away)", o.name) } else { o.name })
                                .collect();
                            if names.is_empty() { String::new() } else { format!("Online: {}", names.join(", ")) }
                        }}
                    </span>
                    <label class="away">
                        <input type="checkbox" prop:checked=move || console.away()
                            on:change=move |ev| console.set_away(event_target_checked(&ev))/>
                        " Away"
                    </label>
                    <Show when=move || console.session.with(|s| s.as_ref().is_some_and(|s| s.role == Role::Admin))>
                        <button class="switch" on:click=move |_| if console.may_leave() { console.configuring.update(|c| *c = !*c) }>
                            {move || if console.configuring.get() { "Inbox" } else { "Widget settings" }}
                        </button>
                    </Show>
                    <button class="sign-out" on:click=move |_| if console.may_leave() { console.sign_out() }>"Sign out"</button>
                </header>
                <Show when=move || console.configuring.get() fallback=|| view! { <Inbox/> <ConversationView/> }>
                    <SettingsPage/>
                </Show>
            </div>
        </Show>
    }
}

#[wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(App);
}
