//! The chat window: header, message log, composer.

use leptos::prelude::*;

use super::composer::Composer;
use super::icons::CloseIcon;
use super::message_list::MessageList;
use crate::chat::Chat;

#[component]
pub fn Window() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let status = move || if chat.connected.get() { "We reply in a few minutes" } else { "Connecting…" };
    view! {
        <section class="window" role="dialog" aria-label="Chat" class:hidden=move || !chat.open.get()>
            <header class="header">
                <div class="titles">
                    <h2 class="title">"Chat with us"</h2>
                    <p class="status">{status}</p>
                </div>
                <button class="close" aria-label="Close chat" on:click=move |_| chat.set_open(false)>
                    <CloseIcon/>
                </button>
            </header>
            <MessageList/>
            <Show when=move || chat.problem.get().is_some()>
                <p class="problem" role="alert">{move || chat.problem.get()}</p>
            </Show>
            <Composer/>
        </section>
    }
}
