//! The conversation log: every message as text (never HTML), the visitor's own with
//! its delivery mark, and the operator's typing indicator.

use leptos::prelude::*;
use natter_shared::protocol::AuthorKind;

use super::attachment::AttachmentView;
use crate::chat::Chat;
use crate::log::{Delivery, Entry};

#[component]
fn MessageItem(entry: Entry) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let mine = entry.author.kind == AuthorKind::Visitor;
    let at = entry.local_time();
    let (name, text, attachment) = (entry.author.name.clone(), entry.text.clone(), entry.attachment.clone());
    // The operator's picture, beside their name (which says who it is: the image is decoration).
    let avatar = entry.author.avatar.clone().filter(|_| !mine);
    let strings = chat.strings();
    let delivery = move || match entry.delivery(chat.operator_read.get()) {
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
            {attachment.map(|file| view! { <AttachmentView file edge=chat.edge()/> })}
            {(!text.is_empty()).then(|| view! { <span class="text">{text.clone()}</span> })}
            <span class="meta">
                {at}
                {mine.then(|| view! { " · " <span class="delivery">{delivery}</span> })}
            </span>
        </li>
    }
}

#[component]
pub fn MessageList() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = chat.strings();
    let list = NodeRef::<leptos::html::Ol>::new();
    // Keep the newest message in view.
    Effect::new(move |_| {
        chat.log.track();
        if let Some(list) = list.get() {
            list.set_scroll_top(list.scroll_height());
        }
    });
    view! {
        <Show when=move || chat.log.with(|log| log.entries().is_empty())>
            <p class="empty">{strings.greeting}</p>
        </Show>
        <ol class="log" role="log" aria-live="polite" aria-label=strings.messages node_ref=list>
            <For
                each=move || chat.log.with(|log| log.entries().to_vec())
                key=|entry| (entry.client_id.clone(), entry.seq)
                children=move |entry| view! { <MessageItem entry=entry/> }
            />
        </ol>
        <p class="typing" aria-live="polite">
            {move || chat.operator_typing.shown.get().map(|name| strings.typing(&name))}
        </p>
    }
}
