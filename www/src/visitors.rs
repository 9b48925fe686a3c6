//! Visitors: who is on the site now (for a site that shows live visitors), with their
//! page, where they came from, their visit and who talks to them; asked again every
//! few seconds while the page is shown. "Start chat" sends a visitor an operator's
//! first message, which their widget shows at once.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::ids::ConversationId;
use natter_shared::presence::{ChatStart, LiveVisitor, VisitorsList};
use natter_shared::protocol::SettingsDocument;
use serde::Deserialize;
use wasm_bindgen::JsCast;

use crate::i18n::{duration, tr, tr_any, trf, visitor_name};
use crate::journal::span;
use crate::session::{Console, Page};

/// How often the table is asked for again.
const REFRESH_MS: i32 = 3_000;

#[derive(Deserialize)]
struct Started {
    conversation: ConversationId,
}

fn load(console: Console, list: RwSignal<Option<VisitorsList>>, problem: RwSignal<Option<String>>) {
    let url = console.site_url("visitors");
    spawn_local(async move {
        match console.request::<(), VisitorsList>("GET", &url, None).await {
            Ok(answer) => {
                problem.set(None);
                list.set(Some(answer));
            }
            Err(e) => problem.set(Some(tr_any(&e.0))),
        }
    });
}

#[component]
pub fn VisitorsPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let list = RwSignal::new(None::<VisitorsList>);
    let problem = RwSignal::new(None::<String>);
    let starting = RwSignal::new(None::<LiveVisitor>);
    load(console, list, problem);
    // Whether the site shows live visitors at all (else nobody could be listed).
    let switched_off = RwSignal::new(false);
    let settings_url = console.site_url("settings");
    spawn_local(async move {
        if let Ok(document) = console.request::<(), SettingsDocument>("GET", &settings_url, None).await {
            switched_off.set(!document.settings.live_visitors);
        }
    });
    let refresh = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || load(console, list, problem));
    let timer = web_sys::window()
        .and_then(|w| w.set_interval_with_callback_and_timeout_and_arguments_0(refresh.as_ref().unchecked_ref(), REFRESH_MS).ok());
    let refresh = StoredValue::new_local(refresh);
    on_cleanup(move || {
        if let (Some(window), Some(timer)) = (web_sys::window(), timer) {
            window.clear_interval_with_handle(timer);
        }
        refresh.dispose();
    });
    let live = move || console.current_site().is_some();
    let site_name = move || console.current_site().map(|s| s.name).unwrap_or_default();
    let count = move || {
        list.with(|l| match l {
            None => tr("Loading…").to_owned(),
            Some(l) if l.total == 0 => tr("Nobody is on the site now.").to_owned(),
            Some(l) if l.total > l.visitors.len() => trf("{} visitors on the site now; the first {} are shown.", &[&l.total.to_string(), &l.visitors.len().to_string()]),
            Some(l) => trf("Visitors on the site now: {}", &[&l.total.to_string()]),
        })
    };
    view! {
        <main class="page visitors">
            <h2>{tr("Visitors")}</h2>
            <p role="status">{count}</p>
            <Show when=move || switched_off.get()>
                <p class="notice">{tr("This site does not show live visitors: an admin can turn them on in Widget settings → Conversations.")}</p>
            </Show>
            <Show when=move || problem.get().is_some()>
                <p class="problem" role="alert">{move || problem.get()}</p>
            </Show>
            <Show when=move || starting.get().is_some()>
                <StartChat visitor=starting/>
            </Show>
            <Show when=live>
                <div class="table-box" tabindex="0" role="region" aria-label=tr("Visitors on the site now")>
                    <table class="data-table">
                        <caption class="sr-only">{tr("Visitors on the site now")}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{tr("Visitor")}</th>
                                <th scope="col">{tr("Page")}</th>
                                <th scope="col">{tr("Source")}</th>
                                <th scope="col">{tr("Site")}</th>
                                <th scope="col">{tr("Messages")}</th>
                                <th scope="col">{tr("Visits")}</th>
                                <th scope="col">{tr("Pages this visit")}</th>
                                <th scope="col">{tr("On the site")}</th>
                                <th scope="col">{tr("Operator")}</th>
                                <th scope="col"><span class="sr-only">{tr("Actions")}</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || list.get().map(|l| l.visitors).unwrap_or_default()
                                // Drawn anew when what it shows changes (not for each page view
                                // that only says they are still there, which would close an
                                // opened list of pages).
                                key=|v| (v.id.clone(), v.pages.len(), v.page_views, v.messages, v.operator.as_ref().map(|o| o.id.clone()), v.priority, v.conversation.clone())
                                children=move |visitor| {
                                    let now = js_sys::Date::now() as u64;
                                    let current = visitor.current().cloned();
                                    let chosen = visitor.clone();
                                    view! {
                                        <tr class:priority=visitor.priority>
                                            <td>
                                                <details>
                                                    <summary>{visitor_name(&visitor.name)}</summary>
                                                    <ol class="visit-pages" aria-label=tr("Pages of this visit")>
                                                        {visitor.pages.iter().enumerate().map(|(i, page)| {
                                                            let until = visitor.pages.get(i + 1).map_or(now, |next| next.at);
                                                            let title = if page.title.is_empty() { page.url.clone() } else { page.title.clone() };
                                                            view! { <li><span class="page-title">{title}</span>" "<span class="muted">{span(until.saturating_sub(page.at))}</span></li> }
                                                        }).collect_view()}
                                                    </ol>
                                                </details>
                                                {visitor.priority.then(|| view! { <span class="tag priority-tag">{tr("Priority page")}</span> })}
                                            </td>
                                            <td class="page-cell">
                                                {current.map(|page| view! {
                                                    <span class="page-title">{page.title.clone()}</span>
                                                    <span class="url">{page.url}</span>
                                                })}
                                            </td>
                                            <td class="source">{if visitor.referrer.is_empty() { tr("Direct").to_owned() } else { visitor.referrer.clone() }}</td>
                                            <td>{site_name()}</td>
                                            <td>{visitor.messages}</td>
                                            <td>{visitor.visits}</td>
                                            <td>{visitor.page_views}</td>
                                            <td>{duration(now.saturating_sub(visitor.visit_started) as f64)}</td>
                                            <td>{visitor.operator.as_ref().map(|o| o.name.clone()).unwrap_or_else(|| "—".into())}</td>
                                            <td>
                                                <button type="button" aria-label=trf("Start chat with {}", &[&visitor_name(&visitor.name)])
                                                    on:click=move |_| starting.set(Some(chosen.clone()))>{tr("Start chat")}</button>
                                            </td>
                                        </tr>
                                    }
                                }/>
                        </tbody>
                    </table>
                </div>
            </Show>
        </main>
    }
}

/// The operator's first message to a visitor.
#[component]
fn StartChat(visitor: RwSignal<Option<LiveVisitor>>) -> impl IntoView {
    let console = expect_context::<Console>();
    let text = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let name = move || visitor.with(|v| v.as_ref().map(|v| visitor_name(&v.name))).unwrap_or_default();
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(id) = visitor.with_untracked(|v| v.as_ref().map(|v| v.id.clone())) else { return };
        let body = ChatStart { text: text.get_untracked() };
        if let Err(e) = natter_shared::limits::check_message(&body.text) {
            problem.set(Some(tr_any(&e.to_string())));
            return;
        }
        let url = console.site_url(&format!("visitors/{id}/chat"));
        spawn_local(async move {
            match console.request::<_, Started>("POST", &url, Some(&body)).await {
                Ok(started) => {
                    visitor.set(None);
                    console.page.set(Page::Inbox);
                    console.selected.set(Some(started.conversation));
                }
                Err(e) => problem.set(Some(tr_any(&e.0))),
            }
        });
    };
    let field = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if let Some(field) = field.get() {
            let _ = field.focus();
        }
    });
    view! {
        <form class="card start-chat" on:submit=send aria-label=move || trf("Start chat with {}", &[&name()])>
            <h3>{move || trf("Start chat with {}", &[&name()])}</h3>
            <label>{tr("Message")}
                <textarea rows="3" maxlength="4000" node_ref=field prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            </label>
            <Show when=move || problem.get().is_some()>
                <p class="problem" role="alert">{move || problem.get()}</p>
            </Show>
            <div class="actions">
                <button type="submit">{tr("Send")}</button>
                <button type="button" on:click=move |_| visitor.set(None)>{tr("Cancel")}</button>
            </div>
        </form>
    }
}
