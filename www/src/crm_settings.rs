//! A CRM on the Integrations page: amoCRM (subdomain, the integration's id, secret
//! key, redirect address and an authorization code, which the edge exchanges for
//! tokens) or Bitrix24 (an incoming webhook's address); whether to create a contact
//! when a conversation starts and a lead when it closes; and the name for visitors
//! who gave none. Secrets are never shown again; left empty, the stored ones stay.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::crm::{CrmChange, CrmKind, CrmState};

use crate::fields::{outcome, put_form, Outcome};
use crate::i18n::tr;
use crate::session::{confirmed, Console, Deleted};

fn how_to(kind: CrmKind) -> &'static str {
    match kind {
        CrmKind::Amocrm => tr("In amoCRM, create an integration (amoMarket → Create integration) with a redirect address, then copy its id, secret key and authorization code here. Natter exchanges the code for access tokens and renews them."),
        CrmKind::Bitrix24 => tr("In Bitrix24, add an incoming webhook (Developer resources → Other → Incoming webhook) with the CRM permission and paste its address here."),
    }
}

/// One text field of the card: its label, its input type, and which part of the change it edits.
fn text_field(label: &'static str, kind: &'static str, change: RwSignal<CrmChange>, get: fn(&CrmChange) -> String, set: fn(&mut CrmChange, String), placeholder: Signal<String>) -> impl IntoView {
    view! {
        <label>{label}
            <input type=kind autocomplete="off" spellcheck="false" placeholder=move || placeholder.get()
                prop:value=move || change.with(get) on:input=move |ev| { let value = event_target_value(&ev); change.update(|c| set(c, value)) }/>
        </label>
    }
}

fn check(label: &'static str, change: RwSignal<CrmChange>, get: fn(&CrmChange) -> bool, set: fn(&mut CrmChange, bool)) -> impl IntoView {
    view! {
        <label class="check">
            <input type="checkbox" prop:checked=move || change.with(get) on:change=move |ev| { let on = event_target_checked(&ev); change.update(|c| set(c, on)) }/>
            {label}
        </label>
    }
}

/// The change a stored CRM starts the form with (no secrets).
fn change_of(state: &CrmState) -> CrmChange {
    CrmChange {
        enabled: state.enabled,
        contact_at_start: state.contact_at_start,
        lead_at_close: state.lead_at_close,
        name_prefix: state.name_prefix.clone(),
        subdomain: state.subdomain.clone(),
        client_id: state.client_id.clone(),
        redirect_uri: state.redirect_uri.clone(),
        api: state.api.clone(),
        ..CrmChange::default()
    }
}

#[component]
pub fn CrmCard(kind: CrmKind, initial: Option<CrmState>) -> impl IntoView {
    let console = expect_context::<Console>();
    let stored = RwSignal::new(initial.clone());
    let change = RwSignal::new(initial.as_ref().map(change_of).unwrap_or(CrmChange { contact_at_start: true, lead_at_close: true, ..CrmChange::default() }));
    let state = RwSignal::new(None::<Outcome>);
    let busy = RwSignal::new(false);
    let url = StoredValue::new(console.site_url(&format!("crms/{}", kind.as_str())));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = change.get_untracked();
        busy.set(true);
        state.set(None);
        spawn_local(async move {
            match put_form::<_, CrmState>(&url.get_value(), &body, &console.token()).await {
                Ok(saved) => {
                    let message = if saved.enabled { format!("{} {}", tr("Connected to"), saved.account) } else { tr("Saved. It is switched off; its settings are kept.").into() };
                    change.set(change_of(&saved));
                    stored.set(Some(saved));
                    state.set(Some(Outcome::Done(message)));
                }
                Err(problem) => state.set(Some(Outcome::Problem(problem))),
            }
            busy.set(false);
        });
    };
    let remove = move |_| {
        if !confirmed(tr("Remove this CRM? Natter forgets its settings and secrets; what it sent there stays.")) {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match console.request::<(), Deleted>("DELETE", &url.get_value(), None).await {
                Ok(_) => {
                    stored.set(None);
                    change.set(CrmChange { contact_at_start: true, lead_at_close: true, ..CrmChange::default() });
                    state.set(Some(Outcome::Done(tr("Removed.").into())));
                }
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
            busy.set(false);
        });
    };
    let secret_placeholder = Signal::derive(move || if stored.with(Option::is_some) { tr("(stored; paste a new one to change it)").to_owned() } else { String::new() });
    let none = Signal::derive(String::new);
    let standing = move || match stored.get() {
        Some(s) if s.enabled => format!("{} {}", tr("Connected to"), s.account),
        Some(_) => tr("Switched off; its settings are kept.").to_owned(),
        None => tr("Not connected.").to_owned(),
    };
    let fields = match kind {
        CrmKind::Amocrm => view! {
            {text_field(tr("amoCRM subdomain"), "text", change, |c| c.subdomain.clone(), |c, v| c.subdomain = v, Signal::derive(|| "shop".to_owned()))}
            {text_field(tr("Integration id"), "text", change, |c| c.client_id.clone(), |c, v| c.client_id = v, none)}
            {text_field(tr("Secret key"), "password", change, |c| c.client_secret.clone(), |c, v| c.client_secret = v, secret_placeholder)}
            {text_field(tr("Redirect address"), "url", change, |c| c.redirect_uri.clone(), |c, v| c.redirect_uri = v, Signal::derive(|| "https://shop.example/".to_owned()))}
            {text_field(tr("Authorization code"), "password", change, |c| c.code.clone(), |c, v| c.code = v, Signal::derive(|| tr("needed to connect; valid for 20 minutes").to_owned()))}
            {text_field(tr("API address"), "url", change, |c| c.api.clone(), |c, v| c.api = v, Signal::derive(move || format!("https://{}.amocrm.ru", change.with(|c| if c.subdomain.is_empty() { "shop".to_owned() } else { c.subdomain.clone() }))))}
        }.into_any(),
        CrmKind::Bitrix24 => view! {
            {text_field(tr("Bitrix24 webhook URL"), "password", change, |c| c.webhook_url.clone(), |c, v| c.webhook_url = v, secret_placeholder)}
        }.into_any(),
    };
    view! {
        <form class="card crm-settings" novalidate on:submit=save aria-label=kind.name()>
            <h3>{kind.name()}</h3>
            <p class="hint">{how_to(kind)}</p>
            <p class="standing">{standing}</p>
            {check(tr("Enabled"), change, |c| c.enabled, |c, on| c.enabled = on)}
            {fields}
            {check(tr("Create a contact when a conversation starts"), change, |c| c.contact_at_start, |c, on| c.contact_at_start = on)}
            {check(tr("Create a lead with the transcript when a conversation closes"), change, |c| c.lead_at_close, |c, on| c.lead_at_close = on)}
            {text_field(tr("Name for visitors without one"), "text", change, |c| c.name_prefix.clone(), |c, v| c.name_prefix = v, Signal::derive(|| tr("Visitor (in the site's language)").to_owned()))}
            {outcome(state)}
            <div class="actions">
                <button type="submit" prop:disabled=move || busy.get()>{tr("Save")}</button>
                {move || stored.get().is_some().then(|| view! {
                    <button type="button" class="secondary" prop:disabled=move || busy.get() on:click=remove>{tr("Remove")}</button>
                })}
            </div>
        </form>
    }
}
