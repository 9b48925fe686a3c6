//! The visitor panel: whether they are on the site now and where; what they told (and
//! what an operator corrected), the private note, blocking; page, source, browser.

use leptos::prelude::*;
use natter_shared::protocol::VisitorInfo;
use natter_shared::shift::{BlockRequest, VisitorEdit};

use crate::conversation::Thread;
use crate::i18n::{tr, trf, visitor_name};
use crate::session::{confirmed, Console};
use crate::crm_panel::CrmPanel;
use crate::user_agent;

#[component]
pub fn VisitorPanel(thread: Thread) -> impl IntoView {
    let console = expect_context::<Console>();
    let row = |label: &'static str, value: Signal<String>| {
        view! { <dt>{label}</dt><dd>{move || { let v = value.get(); if v.is_empty() { "—".to_owned() } else { v } }}</dd> }
    };
    let field = move |f: fn(&VisitorInfo) -> String| Signal::derive(move || thread.visitor.with(|v| v.as_ref().map(f).unwrap_or_default()));
    let edit = RwSignal::new(VisitorEdit::default());
    // The form follows the visitor until the operator starts changing it.
    let touched = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(v) = thread.visitor.get() {
            if !touched.get_untracked() {
                edit.set(VisitorEdit { name: v.details.name, email: v.details.email, phone: v.details.phone, note: v.note });
            }
        }
    });
    let saved = RwSignal::new(false);
    let editing = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Checked here as the edge checks it: a mistake is said at once.
        if let Err(problem) = edit.with_untracked(VisitorEdit::checked) {
            thread.conversation.problem.set(Some(problem));
            return;
        }
        thread.act(console, "PUT", "visitor", Some(edit.get_untracked()));
        touched.set(false);
        saved.set(true);
        editing.set(false);
    };
    let input = move |label: &'static str, kind: &'static str, get: fn(&VisitorEdit) -> String, set: fn(&mut VisitorEdit, String)| {
        view! {
            <label>{label}
                <input type=kind prop:value=move || edit.with(get) on:input=move |ev| {
                    touched.set(true);
                    saved.set(false);
                    edit.update(|e| set(e, event_target_value(&ev)));
                }/>
            </label>
        }
    };
    let blocked = move || thread.status.with(|s| s.as_ref().is_some_and(|s| s.blocked));
    let block = move |_| {
        let blocking = !blocked();
        if blocking && !confirmed(tr("Block this visitor? Their messages and new chats from their IP address are refused until you unblock them."))
        {
            return;
        }
        thread.act(console, "POST", "block", Some(BlockRequest { blocked: blocking }));
    };
    let presence = move || {
        thread.visitor.with(|v| {
            v.as_ref().map(|v| {
                if let Some(kind) = v.channel {
                    (false, trf("Writes from {}: replies go there", &[kind.name()]))
                } else if v.online {
                    (true, format!("{}: {}", tr("On the site now"), if v.page.title.is_empty() { &v.page.url } else { &v.page.title }))
                } else {
                    (false, tr("Left the site: replies reach them when they come back").to_owned())
                }
            })
        })
    };
    view! {
        <aside class="visitor" aria-label=tr("Visitor")>
            <h3>{move || thread.visitor.with(|v| v.as_ref().map(|v| visitor_name(&v.name)).unwrap_or_default())}</h3>
            {move || presence().map(|(online, text)| view! { <p class="presence" class:here=online role="status">{text}</p> })}
            {move || thread.visitor.with(|v| v.as_ref().and_then(|v| v.verified.clone())).map(|user| view! {
                <p class="verified" title=tr("The site's server signed this user (Natter.identify)")>
                    {trf("✓ Verified user {}", &[&user.id])}
                </p>
            })}
            <dl>
                {row(tr("Email"), field(|v| v.details.email.clone()))}
                {row(tr("Phone"), field(|v| v.details.phone.clone()))}
                {row(tr("Note"), field(|v| v.note.clone()))}
            </dl>
            <Show when=move || saved.get() && !editing.get() && thread.conversation.problem.get().is_none()>
                <p class="ok" role="status">{tr("Saved.")}</p>
            </Show>
            <Show when=move || !editing.get()>
                <button class="edit" on:click=move |_| { saved.set(false); editing.set(true); }>{tr("Edit visitor")}</button>
            </Show>
            <Show when=move || editing.get()>
            <form class="visitor-edit" novalidate on:submit=save>
                {input(tr("Name"), "text", |e| e.name.clone(), |e, v| e.name = v)}
                {input(tr("Email"), "email", |e| e.email.clone(), |e, v| e.email = v)}
                {input(tr("Phone"), "tel", |e| e.phone.clone(), |e, v| e.phone = v)}
                <label>{tr("Note")}
                    <textarea rows="3" maxlength="1000" prop:value=move || edit.with(|e| e.note.clone()) on:input=move |ev| {
                        touched.set(true);
                        saved.set(false);
                        edit.update(|e| e.note = event_target_value(&ev));
                    }></textarea>
                </label>
                <div class="buttons">
                    <button type="submit">{tr("Save visitor")}</button>
                    <button type="button" on:click=move |_| { touched.set(false); editing.set(false); }>{tr("Cancel")}</button>
                </div>
            </form>
            </Show>
            <Show when=blocked>
                <p class="problem">{tr("Blocked: their messages and new chats are refused.")}</p>
            </Show>
            <button class="block" on:click=block>{move || if blocked() { tr("Unblock visitor") } else { tr("Block visitor") }}</button>
            <dl>
                {move || thread.visitor.with(|v| v.as_ref().map(|v| v.details.attributes.clone()).unwrap_or_default())
                    .into_iter()
                    .map(|(name, value)| view! { <dt class="attribute">{name}</dt><dd>{value}</dd> })
                    .collect_view()}
                // A messenger's user has no page or browser to show.
                {move || match thread.visitor.with(|v| v.as_ref().and_then(|v| v.channel)) {
                    Some(kind) => view! { <dt>{tr("Writes from")}</dt><dd>{kind.name()}</dd> }.into_any(),
                    None => view! {
                        {row(tr("Page"), field(|v| v.page.url.clone()))}
                        {row(tr("Page title"), field(|v| v.page.title.clone()))}
                        {row(tr("Came from"), field(|v| v.page.referrer.clone()))}
                        {row(tr("Language"), field(|v| v.page.language.clone()))}
                        {row(tr("Browser"), field(|v| user_agent::describe(&v.user_agent)))}
                    }.into_any(),
                }}
            </dl>
            <CrmPanel id=thread.id.get_value()/>
        </aside>
    }
}
