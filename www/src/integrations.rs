//! Integrations (admins), per site: what Natter connects to. The messenger bots
//! ([`crate::channel_settings`]), the CRMs ([`crate::crm_settings`]), and Yandex.Metrica goals: the host page's own
//! counter, which the widget tells of the chat's moments (`ym(counter, 'reachGoal',
//! GOAL)`). Each integration is switched on and off with "Enabled" and keeps its
//! settings while off.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::channels::{ChannelKind, ChannelState};
use natter_shared::crm::{CrmKind, CrmState};
use natter_shared::protocol::SettingsDocument;
use natter_shared::settings::{Metrica, GOAL_FIRST_MESSAGE, GOAL_INTRODUCED, GOAL_OPENED, METRICA_GOALS};

use crate::channel_settings::ChannelCard;
use crate::crm_settings::CrmCard;
use crate::fields::{outcome, put_form, Outcome};
use crate::i18n::tr;
use crate::session::Console;

fn goal_meaning(goal: &str) -> &'static str {
    match goal {
        GOAL_OPENED => tr("the visitor opened the chat window"),
        GOAL_FIRST_MESSAGE => tr("the visitor's first message in a conversation"),
        GOAL_INTRODUCED => tr("the visitor filled in \"Introduce yourself\""),
        _ => tr("the visitor left an offline message"),
    }
}

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let channels = RwSignal::new(None::<Vec<ChannelState>>);
    let crms = RwSignal::new(None::<Vec<CrmState>>);
    let load_state = RwSignal::new(None::<Outcome>);
    spawn_local(async move {
        match console.request::<(), Vec<ChannelState>>("GET", &console.site_url("channels"), None).await {
            Ok(list) => channels.set(Some(list)),
            Err(e) => load_state.set(Some(Outcome::Problem(e.0))),
        }
        match console.request::<(), Vec<CrmState>>("GET", &console.site_url("crms"), None).await {
            Ok(list) => crms.set(Some(list)),
            Err(e) => load_state.set(Some(Outcome::Problem(e.0))),
        }
    });
    view! {
        <main class="page integrations">
            <h2>{tr("Integrations")}</h2>
            {outcome(load_state)}
            {move || channels.get().map(|list| ChannelKind::ALL.into_iter().map(|kind| {
                let initial = list.iter().find(|c| c.kind == kind).cloned();
                view! { <ChannelCard kind initial/> }
            }).collect_view())}
            {move || crms.get().map(|list| CrmKind::ALL.into_iter().map(|kind| {
                let initial = list.iter().find(|c| c.kind == kind).cloned();
                view! { <CrmCard kind initial/> }
            }).collect_view())}
            <MetricaCard/>
        </main>
    }
}

/// The Metrica counter. Saving reads the settings afresh and changes only `metrica`,
/// so nothing else changed meanwhile (a bot's messenger button) is written back.
#[component]
fn MetricaCard() -> impl IntoView {
    let console = expect_context::<Console>();
    let metrica = RwSignal::new(None::<Metrica>);
    let state = RwSignal::new(None::<Outcome>);
    let url = StoredValue::new(console.site_url("settings"));
    {
        let url = url.get_value();
        spawn_local(async move {
            match console.request::<(), SettingsDocument>("GET", &url, None).await {
                Ok(document) => metrica.set(Some(document.settings.metrica)),
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    }
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(change) = metrica.get_untracked() else { return };
        let url = url.get_value();
        spawn_local(async move {
            let mut settings = match console.request::<(), SettingsDocument>("GET", &url, None).await {
                Ok(document) => document.settings,
                Err(e) => return state.set(Some(Outcome::Problem(e.0))),
            };
            settings.metrica = change;
            match put_form::<_, SettingsDocument>(&url, &settings, &console.token()).await {
                Ok(_) => state.set(Some(Outcome::Done(tr("Saved.").into()))),
                Err(problem) => state.set(Some(Outcome::Problem(problem))),
            }
        });
    };
    let counter = move || metrica.with(|m| m.as_ref().map(|m| m.counter.clone()).unwrap_or_default());
    let enabled = move || metrica.with(|m| m.as_ref().is_some_and(|m| m.enabled));
    // Shown once the settings are read: a change made before would be lost.
    view! {
        <Show when=move || metrica.with(Option::is_some) fallback=move || outcome(state)>
        <form class="card" novalidate on:submit=save aria-label=tr("Yandex.Metrica")>
            <h3>{tr("Yandex.Metrica")}</h3>
            <label class="check">
                <input type="checkbox" prop:checked=enabled
                    on:change=move |ev| { let on = event_target_checked(&ev); metrica.update(|m| if let Some(m) = m { m.enabled = on }) }/>
                {tr("Enabled")}
            </label>
            <label>{tr("Metrica counter")}
                <input type="text" inputmode="numeric" autocomplete="off" aria-describedby="metrica-hint"
                    prop:value=counter
                    on:input=move |ev| { let counter = event_target_value(&ev).trim().to_owned(); metrica.update(|m| if let Some(m) = m { m.counter = counter }) }/>
            </label>
            <p class="hint" id="metrica-hint">{tr("The number of your site's own counter. Natter loads no script: where the page has Metrica's ym, the widget reaches these goals. Create them in Metrica as JavaScript events with these identifiers:")}</p>
            <dl class="goals">
                {METRICA_GOALS.into_iter().map(|goal| view! { <dt><code>{goal}</code></dt><dd>{goal_meaning(goal)}</dd> }).collect_view()}
            </dl>
            {outcome(state)}
            <button type="submit">{tr("Save")}</button>
        </form>
        </Show>
    }
}
