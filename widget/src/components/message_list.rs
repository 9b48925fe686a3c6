//! The conversation log: every message as text (never HTML), the visitor's own with
//! its delivery mark (a file drawn by the `files` part), and the operator's typing
//! indicator.

use leptos::prelude::*;
use natter_shared::files::Attachment;
use natter_shared::protocol::AuthorKind;

use super::attachment::AttachmentView;
use crate::chat::Chat;
use crate::log::{Delivery, Entry, Log};
use crate::parts::{lazy, part};

part!(
    /// A message's file (a thumbnail or a download link), from the `files` part.
    files, preload preload_file_view, fn file_view(file: Attachment, edge: String) -> AnyView {
        view! { <AttachmentView file edge/> }.into_any()
    }
);

#[component]
fn MessageItem(entry: Entry) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let mine = entry.author.kind == AuthorKind::Visitor;
    let at = entry.local_time();
    let (name, text, attachment) = (entry.author.name.clone(), entry.text.clone(), entry.attachment.clone());
    // The operator's picture, beside their name (which says who it is: the image is decoration).
    let avatar = entry.author.avatar.clone().filter(|_| !mine);
    let strings = chat.site.strings();
    let delivery = move || match entry.delivery(chat.conversation.their_read.get()) {
        Delivery::Pending => strings.sending,
        Delivery::Sent => strings.sent,
        Delivery::Read => strings.read,
    };
    view! {
        <li class="message" class:mine=mine class:theirs=!mine>
            {(!mine && !name.is_empty()).then(|| view! {
                <span class="author">
                    {avatar.map(|src| view! { <img class="avatar" src=src alt="" width="20" height="20" referrerpolicy="no-referrer"/> })}
                    {name.clone()}
                </span>
            })}
            {attachment.map(|file| {
                let edge = chat.site.edge();
                lazy(preload_file_view, move || file_view(file.clone(), edge.clone()))
            })}
            {(!text.is_empty()).then(|| view! { <span class="text">{text.clone()}</span> })}
            <span class="meta">
                {at}
                {mine.then(|| view! { " · " <span class="delivery">{delivery}</span> })}
            </span>
        </li>
    }
}

/// Keeps the newest message of `log` in view in `list`; when an earlier page comes in
/// above, what the reader was looking at stays where it was. (The console's too.)
pub fn follow_log(log: RwSignal<Log>, list: NodeRef<leptos::html::Ol>) {
    Effect::new(move |before: Option<(Option<Entry>, i32)>| {
        let newest = log.with(|log| log.entries().last().cloned());
        let Some(list) = list.get() else { return (newest, 0) };
        match before {
            Some((previous, height)) if previous == newest && newest.is_some() => {
                list.set_scroll_top(list.scroll_top() + list.scroll_height() - height);
            }
            _ => list.set_scroll_top(list.scroll_height()),
        }
        (newest, list.scroll_height())
    });
}

#[component]
pub fn MessageList() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = chat.site.strings();
    let list = NodeRef::<leptos::html::Ol>::new();
    follow_log(chat.conversation.log, list);
    // Scrolled to the top: the page before it.
    let on_scroll = move |_| {
        if list.get().is_some_and(|list| list.scroll_top() < 40) {
            chat.conversation.load_earlier();
        }
    };
    view! {
        <Show when=move || chat.conversation.log.with(|log| log.entries().is_empty())>
            <p class="empty">{strings.greeting}</p>
        </Show>
        <Show when=move || chat.conversation.log.with(|log| log.has_earlier())>
            <button type="button" class="earlier" on:click=move |_| chat.conversation.load_earlier()>{strings.earlier}</button>
        </Show>
        <ol class="log" role="log" aria-live="polite" aria-label=strings.messages node_ref=list on:scroll=on_scroll tabindex="0">
            <For
                each=move || chat.conversation.log.with(|log| log.entries().to_vec())
                key=|entry| (entry.client_id.clone(), entry.seq)
                children=move |entry| view! { <MessageItem entry=entry/> }
            />
        </ol>
        <p class="typing" aria-live="polite">
            {move || chat.conversation.their_typing.shown.get().map(|name| strings.typing(&name))}
        </p>
    }
}
