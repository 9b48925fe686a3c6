//! The chat window: header (title, logo, pattern), message log, composer. It opens
//! beside the launcher's position, and full-screen on phones.

use leptos::prelude::*;
use natter_shared::settings::Pattern;

use super::composer::Composer;
use super::contacts::{Contacts, QrPanel, Suggests};
use super::ended::{Ended, TalkingTo};
use super::forms::{form, preload_forms, Form};
use super::icons::{CloseIcon, MailIcon, PersonIcon};
use super::launcher::position_class;
use super::message_list::MessageList;
use crate::chat::{Chat, View};
use crate::parts::lazy;

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

/// The last problem, in words, until the next success.
#[component]
fn Problem() -> impl IntoView {
    let chat = expect_context::<Chat>();
    view! {
        <Show when=move || chat.conversation.problem.get().is_some()>
            <p class="problem" role="alert">{move || chat.conversation.problem.get()}</p>
        </Show>
    }
}

/// After a transcript was sent, where it went (from the `forms` part, which sent it).
#[component]
fn TranscriptSent() -> impl IntoView {
    let chat = expect_context::<Chat>();
    move || chat.window.transcript_sent.with(Option::is_some).then(|| lazy(preload_forms, || form(Form::TranscriptSent)))
}

/// After an offline message, its confirmation (from the `forms` part, which drew the
/// offline form).
#[component]
fn OfflineSent() -> impl IntoView {
    let chat = expect_context::<Chat>();
    move || chat.window.offline_sent.with(Option::is_some).then(|| lazy(preload_forms, || form(Form::OfflineSent)))
}

#[component]
pub fn Window() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = chat.site.strings();
    // "Connecting…" only while a socket is on its way (none before the first message),
    // "Reconnecting…" while a lost one comes back.
    let status = move || match (chat.visitor.has_session.get() && !chat.connected.get(), chat.site.online.get()) {
        (true, _) if chat.reconnecting.get() => strings.status_reconnecting,
        (true, _) => strings.status_connecting,
        (false, true) => strings.status_online,
        (false, false) => strings.status_offline,
    };
    let (online_title, offline_title) =
        (chat.site.text(|t| &t.online_title, |s| s.online_title), chat.site.text(|t| &t.offline_title, |s| s.offline_title));
    let title = move || if chat.site.online.get() { online_title.clone() } else { offline_title.clone() };
    let (position, pattern, logo) = chat.site.settings.with_untracked(|s| (s.position, s.pattern, s.logo_url.clone()));
    let view = Memo::new(move |_| chat.view());
    let section = NodeRef::<leptos::html::Section>::new();
    // Escape closes the QR panel, else the window; on a phone Tab stays inside.
    let on_keydown = move |ev: web_sys::KeyboardEvent| match ev.key().as_str() {
        "Escape" if chat.window.qr.get_untracked().is_some() => chat.window.close_qr(),
        "Escape" => chat.close_by_visitor(),
        "Tab" => {
            if let Some(section) = section.get_untracked() {
                crate::focus::keep_tab_inside(&section, &ev);
            }
        }
        _ => {}
    };
    view! {
        <section class=format!("window at-{}", position_class(position)) role="dialog" aria-label=strings.window
            node_ref=section on:keydown=on_keydown
            class:hidden=move || !chat.window.open.get() || chat.site.hidden()>
            <header class=format!("header {}", pattern_class(pattern))>
                {logo.map(|src| view! { <img class="logo" src=src alt=""/> })}
                <div class="titles">
                    <h2 class="title">{title}</h2>
                    <p class="status">{status}</p>
                </div>
                <Show when=move || chat.site.transcripts_allowed() && chat.conversation.log.with(|log| !log.entries().is_empty())>
                    <button class="close" aria-label=strings.send_transcript title=strings.send_transcript
                        aria-pressed=move || chat.window.transcript.get().to_string()
                        on:click=move |_| {
                            chat.window.editing.set(false);
                            chat.window.transcript.update(|open| *open = !*open);
                        }>
                        <MailIcon/>
                    </button>
                </Show>
                <button class="close" aria-label=strings.your_details title=strings.your_details
                    on:click=move |_| {
                        chat.window.transcript.set(false);
                        chat.window.editing.update(|editing| *editing = !*editing);
                    }>
                    <PersonIcon/>
                </button>
                <button class="close" aria-label=strings.close_chat on:click=move |_| chat.close_by_visitor()>
                    <CloseIcon/>
                </button>
            </header>
            {move || match view.get() {
                View::Details => view! {
                    <div class="body">{lazy(preload_forms, || form(Form::Details))}</div> <Problem/>
                }.into_any(),
                View::Transcript => view! {
                    <div class="body">{lazy(preload_forms, || form(Form::Transcript))}</div> <Problem/>
                }.into_any(),
                View::OfflineForm => view! {
                    <div class="body"><Contacts/>{lazy(preload_forms, || form(Form::Offline))}</div> <Problem/>
                }.into_any(),
                View::Chat => view! {
                    <MessageList/>
                    <TalkingTo/>
                    <Ended/>
                    <OfflineSent/>
                    <TranscriptSent/>
                    <Problem/>
                    <Suggests/>
                    <Contacts/>
                    <Composer/>
                }.into_any(),
            }}
            <QrPanel/>
        </section>
    }
}
