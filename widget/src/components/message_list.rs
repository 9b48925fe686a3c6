//! The conversation log: every message as text (never HTML; addresses as links), in its
//! own direction (`dir="auto"`), the visitor's own with
//! its delivery mark (a file drawn by the `files` part), and the operator's typing
//! indicator.

use leptos::prelude::*;
use natter_shared::files::Attachment;
use natter_shared::links::{self, Piece};
use natter_shared::protocol::AuthorKind;

use super::attachment::AttachmentView;
use crate::chat::Chat;
use crate::conversation::Conversation;
use crate::log::{Delivery, Entry, Log};
use crate::parts::{lazy, part};

part!(
    /// A message's file (a thumbnail or a download link), from the `files` part.
    files, preload preload_file_view, fn file_view(file: Attachment, edge: String) -> AnyView {
        view! { <AttachmentView file edge/> }.into_any()
    }
);

/// One message. It stays the same element from typed to stored (the list is keyed by
/// client id), so a screen reader announces it once; its delivery mark follows the log.
#[component]
fn MessageItem(entry: Entry) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let mine = entry.author.kind == AuthorKind::Visitor;
    let at = entry.local_time();
    let (name, text, attachment) = (entry.author.name.clone(), entry.text.clone(), entry.attachment.clone());
    // The operator's picture, beside their name (which says who it is: the image is decoration).
    let avatar = entry.author.avatar.clone().filter(|_| !mine);
    let strings = chat.site.strings();
    let id = entry.client_id;
    let delivery = move || {
        let read = chat.conversation.their_read.get();
        let now = chat.conversation.log.with(|log| log.entries().iter().find(|e| e.client_id == id).map(|e| e.delivery(read)));
        match now.unwrap_or(Delivery::Pending) {
            Delivery::Pending => strings.sending,
            Delivery::Sent => strings.sent,
            Delivery::Read => strings.read,
        }
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
            {(!text.is_empty()).then(|| view! { <span class="text" dir="auto">{linked(&text)}</span> })}
            <span class="meta">
                {at}
                {mine.then(|| view! { " · " <span class="delivery">{delivery}</span> })}
            </span>
        </li>
    }
}

/// A message's text with its web, e-mail and phone addresses as links (opened in a new
/// tab, telling the site nothing); the rest as text, never HTML.
fn linked(text: &str) -> impl IntoView {
    links::pieces(text)
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) => text.to_owned().into_any(),
            Piece::Link(link) => view! { <a href=link.to_owned() target="_blank" rel="noopener noreferrer">{link.to_owned()}</a> }.into_any(),
        })
        .collect_view()
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

/// Scrolling up to the top of `list` asks for the page before it. Only a scroll *up*:
/// following the newest message while a page streams in can leave the list a few
/// pixels from its top for a moment, which is not the reader asking for more.
/// (The console's too.)
pub fn page_back_on_scroll(conversation: Conversation, list: NodeRef<leptos::html::Ol>) -> impl Fn(web_sys::Event) + Copy + 'static {
    let last_top = StoredValue::new(0);
    move |_| {
        let Some(list) = list.get_untracked() else { return };
        let top = list.scroll_top();
        let up = top < last_top.get_value();
        last_top.set_value(top);
        if up && top < 40 {
            conversation.load_earlier();
        }
    }
}

#[component]
pub fn MessageList() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = chat.site.strings();
    let list = NodeRef::<leptos::html::Ol>::new();
    follow_log(chat.conversation.log, list);
    let on_scroll = page_back_on_scroll(chat.conversation, list);
    view! {
        <Show when=move || chat.conversation.log.with(|log| log.entries().is_empty())>
            <p class="empty">{strings.greeting}</p>
        </Show>
        <Show when=move || chat.conversation.log.with(|log| log.has_earlier())>
            <button type="button" class="earlier" on:click=move |_| chat.conversation.load_earlier()>{strings.earlier}</button>
        </Show>
        // The live region wraps the list (`role="log"` on the <ol> would take its list
        // semantics away) and announces new messages only, not marks that change.
        <div class="log-region" role="log" aria-live="polite" aria-relevant="additions" aria-label=strings.messages>
            <ol class="log" node_ref=list on:scroll=on_scroll tabindex="0" aria-label=strings.messages>
                <For
                    each=move || chat.conversation.log.with(|log| log.entries().to_vec())
                    key=|entry| entry.client_id.clone()
                    children=move |entry| view! { <MessageItem entry=entry/> }
                />
            </ol>
        </div>
        <p class="typing" aria-live="polite">
            {move || chat.conversation.their_typing.shown.get().map(|name| strings.typing(&name))}
        </p>
    }
}
