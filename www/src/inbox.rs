//! The live inbox: filters Waiting / Mine / All active with their counts; the longest
//! waiting visitor first, with how long they have waited; who is answering each. Page
//! by page: a filter shows what is loaded up to its cursor, and "Show more
//! conversations" (or scrolling to the end) loads the next page.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::inbox::{order, InboxKey, InboxPage};
use natter_shared::protocol::{AuthorKind, ConversationSummary};
use natter_shared::shift::ConversationState;

use crate::i18n::{duration, tr, trf, visitor_name};
use crate::session::{filter_label, Console, Filter};

/// How far a filter is loaded: up to `last` (in the inbox's order), and whether the
/// site has more after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Cursor {
    pub filter: Filter,
    pub last: Option<InboxKey>,
    pub more: bool,
}

thread_local! {
    /// A page is on its way: scrolling asks once.
    static LOADING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Loads the next page of `filter` (its first, if none is loaded yet).
pub fn load_page(console: Console, filter: Filter) {
    let cursor = console.cursors.with_untracked(|c| c.iter().find(|c| c.filter == filter).cloned());
    if cursor.as_ref().is_some_and(|c| !c.more) || LOADING.with(std::cell::Cell::get) {
        return;
    }
    LOADING.with(|l| l.set(true));
    let site = console.site.get_untracked();
    let after = cursor.and_then(|c| c.last).map_or_else(String::new, |key| format!("&after_rank={}&after_id={}", key.rank, key.id));
    let filter_name = match filter {
        Filter::Waiting => "waiting",
        Filter::Mine => "mine",
        Filter::Active => "active",
    };
    let url = console.site_url(&format!("inbox?filter={filter_name}{after}"));
    spawn_local(async move {
        let answer = console.request::<(), InboxPage>("GET", &url, None).await;
        LOADING.with(|l| l.set(false));
        if console.site.get_untracked() != site {
            return;
        }
        match answer {
            Ok(page) => {
                let last = page.last_key();
                console.inbox.update(|inbox| {
                    for summary in page.conversations {
                        // What came live meanwhile is newer than the page.
                        if !inbox.iter().any(|c| c.id == summary.id) {
                            inbox.push(summary);
                        }
                    }
                });
                console.cursors.update(|cursors| {
                    let previous = cursors.iter().position(|c| c.filter == filter);
                    let last = last.or_else(|| previous.and_then(|i| cursors[i].last.clone()));
                    cursors.retain(|c| c.filter != filter);
                    cursors.push(Cursor { filter, last, more: page.more });
                });
            }
            Err(e) => console.announcement.set(e.0),
        }
    });
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
    let cursor = move |filter: Filter| console.cursors.with(|c| c.iter().find(|c| c.filter == filter).cloned());
    // A filter looked at for the first time loads its first page.
    Effect::new(move |_| {
        let filter = console.filter.get();
        if console.connected.get() && cursor(filter).is_none() {
            load_page(console, filter);
        }
    });
    let shown = move || {
        let me = console.me_id();
        let filter = console.filter.get();
        // Loaded beyond the cursor (live, or by another filter's page) waits for its
        // page, so the list has no hole before it.
        let until = cursor(filter).filter(|c| c.more).and_then(|c| c.last);
        let mut list: Vec<ConversationSummary> = console.inbox.with(|inbox| {
            inbox.iter().filter(|c| filter.admits(c, me.as_ref()) && until.as_ref().is_none_or(|until| InboxKey::of(c) <= *until)).cloned().collect()
        });
        list.sort_by(order);
        list
    };
    let count = move |filter: Filter| match console.counts.get() {
        Some(counts) => counts.get(filter) as usize,
        None => {
            let me = console.me_id();
            console.inbox.with(|inbox| inbox.iter().filter(|c| filter.admits(c, me.as_ref())).count())
        }
    };
    let more = move || cursor(console.filter.get()).is_some_and(|c| c.more);
    let on_scroll = move |ev: leptos::ev::Event| {
        let list = event_target::<web_sys::Element>(&ev);
        if more() && list.scroll_top() + list.client_height() >= list.scroll_height() - 40 {
            load_page(console, console.filter.get_untracked());
        }
    };
    view! {
        <nav class="inbox" aria-label=tr("Inbox") on:scroll=on_scroll>
            <h2>{tr("Inbox")}</h2>
            <div class="filters" role="group" aria-label=tr("Filter conversations")>
                {Filter::ALL.into_iter().map(|filter| view! {
                    <button class="filter" aria-pressed=move || (console.filter.get() == filter).to_string()
                        on:click=move |_| console.filter.set(filter)>
                        {filter_label(filter)}" "<span class="count">{move || count(filter)}</span>
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
                                    {move || current.with(|c| c.channel).map(|kind| view! {
                                        <span class="channel-mark">{kind.name()}</span>
                                    })}
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
            <Show when=more>
                <button type="button" class="more" on:click=move |_| load_page(console, console.filter.get_untracked())>
                    {tr("Show more conversations")}
                </button>
            </Show>
        </nav>
    }
}
