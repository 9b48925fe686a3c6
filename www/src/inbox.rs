//! The live inbox: one entry per conversation, newest first, with unread counts.

use leptos::prelude::*;
use natter_shared::protocol::AuthorKind;

use crate::session::Console;

#[component]
pub fn Inbox() -> impl IntoView {
    let console = expect_context::<Console>();
    view! {
        <nav class="inbox" aria-label="Inbox">
            <h2>"Inbox"</h2>
            <Show when=move || !console.connected.get() && console.site.with(Option::is_some)>
                <p class="hint">"Connecting…"</p>
            </Show>
            <Show when=move || console.connected.get() && console.inbox.with(Vec::is_empty)>
                <p class="hint">"No conversations yet. They appear here the moment a visitor writes."</p>
            </Show>
            <ul>
                <For
                    each=move || console.inbox.get()
                    key=|c| (c.id.clone(), c.last_seq, c.unread, c.visitor_name.clone())
                    children=move |c| {
                        let id = c.id.clone();
                        let selected = {
                            let id = id.clone();
                            move || console.selected.get().as_ref() == Some(&id)
                        };
                        let prefix = if c.last_author == AuthorKind::Operator { "You: " } else { "" };
                        view! {
                            <li>
                                <button class="entry" class:selected=selected on:click=move |_| console.selected.set(Some(id.clone()))>
                                    <span class="name">{c.visitor_name.clone()}</span>
                                    {c.offline.then(|| view! { <span class="offline-mark">"Offline message"</span> })}
                                    {(c.unread > 0).then(|| view! { <span class="unread" aria-label=format!("{} unread", c.unread)>{c.unread}</span> })}
                                    <span class="last">{format!("{prefix}{}", c.last_text)}</span>
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
        </nav>
    }
}
