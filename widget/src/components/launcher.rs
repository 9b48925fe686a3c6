//! The chat button in the page's corner, with the unread badge.

use leptos::prelude::*;

use super::icons::ChatIcon;
use crate::chat::Chat;

#[component]
pub fn Launcher() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let unread = move || chat.log.with(|log| log.unread_after(chat.seen.get()));
    view! {
        <button class="launcher" aria-label="Open chat" class:hidden=move || chat.open.get() on:click=move |_| chat.set_open(true)>
            <ChatIcon/>
            <span class="label">"Chat"</span>
            <Show when=move || { unread() > 0 }>
                <span class="badge" aria-label=move || format!("{} unread", unread())>{unread}</span>
            </Show>
        </button>
    }
}
