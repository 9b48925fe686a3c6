//! The live inbox: filters Waiting / Mine / All active with their counts; the longest
//! waiting visitor first, with how long they have waited; who is answering each.

use leptos::prelude::*;
use natter_shared::protocol::{AuthorKind, ConversationSummary};
use natter_shared::shift::ConversationState;

use crate::i18n::{duration, tr, trf, visitor_name};
use crate::session::{Console, Filter};

/// Longest waiting first; then the rest, newest first.
fn order(a: &ConversationSummary, b: &ConversationSummary) -> std::cmp::Ordering {
    match (a.waiting_since, b.waiting_since) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => b.last_at.cmp(&a.last_at),
    }
}

/// Who is answering, or how long the visitor has waited.
fn standing(console: Console, c: &ConversationSummary) -> String {
    let me = console.me_id();
    match (&c.owner, c.state) {
        (_, ConversationState::Closed) => tr("Closed").into(),
        (Some(owner), _) if Some(&owner.id) == me.as_ref() => tr("You are answering").into(),
        (Some(owner), _) => trf("{} is answering", &[&owner.name]),
        (None, _) => tr("Nobody is answering").into(),
    }
}

/// The last message, said as who wrote it: automatic messages are no one's answer.
fn last_line(console: Console, c: &ConversationSummary) -> String {
    let my_name = console.me.with_untracked(|me| me.as_ref().map(|me| me.profile.name.clone())).unwrap_or_default();
    let prefix = match (c.last_author, c.last_auto) {
        (AuthorKind::Visitor, _) => String::new(),
        (AuthorKind::Operator, true) => tr("Automatic: ").into(),
        (AuthorKind::Operator, false) if c.last_name == my_name => tr("You: ").into(),
        (AuthorKind::Operator, false) => trf("{}: ", &[&c.last_name]),
    };
    format!("{prefix}{}", c.last_text)
}

#[component]
pub fn Inbox() -> impl IntoView {
    let console = expect_context::<Console>();
    let shown = move || {
        let me = console.me_id();
        let filter = console.filter.get();
        let mut list: Vec<ConversationSummary> = console.inbox.with(|inbox| inbox.iter().filter(|c| filter.admits(c, me.as_ref())).cloned().collect());
        list.sort_by(order);
        list
    };
    let count = move |filter: Filter| {
        let me = console.me_id();
        console.inbox.with(|inbox| inbox.iter().filter(|c| filter.admits(c, me.as_ref())).count())
    };
    view! {
        <nav class="inbox" aria-label=tr("Inbox")>
            <h2>{tr("Inbox")}</h2>
            <div class="filters" role="group" aria-label=tr("Filter conversations")>
                {Filter::ALL.into_iter().map(|filter| view! {
                    <button class="filter" aria-pressed=move || (console.filter.get() == filter).to_string()
                        on:click=move |_| console.filter.set(filter)>
                        {filter.label()}" "<span class="count">{move || count(filter)}</span>
                    </button>
                }).collect_view()}
            </div>
            <p class="sr-only" role="status">{move || console.announcement.get()}</p>
            <Show when=move || !console.connected.get() && console.site.with(Option::is_some)>
                <p class="hint">{tr("Connecting…")}</p>
            </Show>
            <Show when=move || console.connected.get() && console.inbox.with(Vec::is_empty)>
                <p class="hint">{tr("No conversations yet. They appear here the moment a visitor writes.")}</p>
            </Show>
            <Show when=move || console.connected.get() && !console.inbox.with(Vec::is_empty) && shown().is_empty()>
                <p class="hint">{tr("Nothing here now.")}</p>
            </Show>
            <ul>
                <For
                    each=shown
                    // Keyed by id alone: a changed conversation updates its entry in place,
                    // so a focused entry keeps the focus.
                    key=|c| c.id.clone()
                    children=move |c| {
                        let id = c.id.clone();
                        let current = {
                            let id = id.clone();
                            Memo::new(move |_| console.inbox.with(|inbox| inbox.iter().find(|x| x.id == id).cloned()).unwrap_or_else(|| c.clone()))
                        };
                        let selected = {
                            let id = id.clone();
                            move || console.selected.get().as_ref() == Some(&id)
                        };
                        let waited = move || {
                            current.with(|c| c.waiting_since).map(|since| trf("waiting {}", &[&duration(console.clock.get() - since as f64)]))
                        };
                        let unread = move || current.with(|c| c.unread);
                        view! {
                            <li>
                                <button class="entry" class:selected=selected.clone() aria-current=move || selected().then_some("true")
                                    on:click=move |_| console.selected.set(Some(id.clone()))>
                                    <span class="name">{move || current.with(|c| visitor_name(&c.visitor_name))}</span>
                                    <Show when=move || { unread() > 0 }>
                                        <span class="unread" aria-label=move || trf("{} unread", &[&unread().to_string()])>{unread}</span>
                                    </Show>
                                    <span class="state" class:waiting=move || current.with(|c| c.owner.is_none())>
                                        {move || current.with(|c| standing(console, c))}
                                    </span>
                                    {move || waited().map(|w| view! { <span class="waited">{w}</span> })}
                                    <Show when=move || current.with(|c| c.offline)>
                                        <span class="offline-mark">{tr("Offline message")}</span>
                                    </Show>
                                    <span class="last">{move || current.with(|c| last_line(console, c))}</span>
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
        </nav>
    }
}
