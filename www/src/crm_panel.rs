//! The visitor in the site's CRMs, in the visitor panel (so in the inbox and the
//! journal alike): the contact and the lead made for this conversation, with links,
//! and "Create contact", "Update contact", "Create lead" to do it now. A failure is
//! shown here; the edge tries again by itself, and the chat never waits for it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::crm::{CrmAction, CrmKind, CrmRecord, CrmStanding};
use natter_shared::ids::ConversationId;

use crate::i18n::{tr, tr_any};
use crate::session::Console;

/// The CRMs switched on for the site, for conversation `id`; nothing if none is.
#[component]
pub fn CrmPanel(id: ConversationId) -> impl IntoView {
    let console = expect_context::<Console>();
    let standings = RwSignal::new(Vec::<CrmStanding>::new());
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let base = StoredValue::new(console.site_url(&format!("conversations/{id}/crm")));
    {
        let url = base.get_value();
        spawn_local(async move {
            if let Ok(list) = console.request::<(), Vec<CrmStanding>>("GET", &url, None).await {
                standings.set(list);
            }
        });
    }
    let act = move |kind: CrmKind, action: CrmAction| {
        let url = format!("{}/{}/{}", base.get_value(), kind.as_str(), action.as_str());
        busy.set(true);
        problem.set(None);
        spawn_local(async move {
            match console.request::<(), CrmStanding>("POST", &url, None).await {
                Ok(standing) => standings.update(|list| {
                    if let Some(old) = list.iter_mut().find(|s| s.kind == standing.kind) {
                        *old = standing;
                    }
                }),
                Err(e) => problem.set(Some(e.0)),
            }
            busy.set(false);
        });
    };
    let record = |label: &'static str, record: Option<CrmRecord>| {
        view! {
            <dt>{label}</dt>
            <dd>{match record {
                Some(r) => view! { <a href=r.url target="_blank" rel="noopener">{r.id}</a> }.into_any(),
                None => "—".into_any(),
            }}</dd>
        }
    };
    view! {
        {move || standings.get().into_iter().map(|s| {
            let kind = s.kind;
            let has_contact = s.contact.is_some();
            let has_lead = s.lead.is_some();
            view! {
                <section class="crm" aria-label=kind.name()>
                    <h3>{kind.name()}</h3>
                    <dl>
                        {record(tr("Contact"), s.contact.clone())}
                        {record(tr("Lead"), s.lead.clone())}
                    </dl>
                    {s.error.clone().map(|e| view! { <p class="problem">{tr_any(&e)}</p> })}
                    <div class="buttons">
                        {if has_contact {
                            view! { <button type="button" prop:disabled=move || busy.get() on:click=move |_| act(kind, CrmAction::Update)>{tr("Update contact")}</button> }.into_any()
                        } else {
                            view! { <button type="button" prop:disabled=move || busy.get() on:click=move |_| act(kind, CrmAction::Contact)>{tr("Create contact")}</button> }.into_any()
                        }}
                        {(!has_lead).then(|| view! {
                            <button type="button" prop:disabled=move || busy.get() on:click=move |_| act(kind, CrmAction::Lead)>{tr("Create lead")}</button>
                        })}
                    </div>
                </section>
            }
        }).collect_view()}
        <p class="problem" role="alert">{move || problem.get().map(|p| tr_any(&p)).unwrap_or_default()}</p>
    }
}
