//! The chat window: header (title, logo, pattern), message log, composer. It opens
//! beside the launcher's position, and full-screen on phones.

use leptos::prelude::*;
use natter_shared::settings::Pattern;

use super::composer::Composer;
use super::icons::CloseIcon;
use super::launcher::position_class;
use super::message_list::MessageList;
use crate::chat::Chat;

fn pattern_class(pattern: Pattern) -> &'static str {
    match pattern {
        Pattern::None => "",
        Pattern::Dots => "pattern-dots",
        Pattern::Waves => "pattern-waves",
        Pattern::Grid => "pattern-grid",
        Pattern::Diagonal => "pattern-diagonal",
        Pattern::Circles => "pattern-circles",
        Pattern::Zigzag => "pattern-zigzag",
    }
}

#[component]
pub fn Window() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = chat.strings();
    let status = move || if chat.connected.get() { strings.status_online } else { strings.status_connecting };
    let (position, pattern, logo) = chat.settings.with_untracked(|s| (s.position, s.pattern, s.logo_url.clone()));
    view! {
        <section class=format!("window at-{}", position_class(position)) role="dialog" aria-label=strings.window
            class:hidden=move || !chat.open.get()>
            <header class=format!("header {}", pattern_class(pattern))>
                {logo.map(|src| view! { <img class="logo" src=src alt=""/> })}
                <div class="titles">
                    <h2 class="title">{chat.text(|t| &t.online_title, |s| s.online_title)}</h2>
                    <p class="status">{status}</p>
                </div>
                <button class="close" aria-label=strings.close_chat on:click=move |_| chat.set_open(false)>
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
