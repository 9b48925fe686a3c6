//! Sites (admins): the organisation's sites with their name, address, allowed origins
//! and whether the chat is on; add, change, switch off and delete.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::accounts::{NewSite, SiteInfo, SiteUpdate, TimeZoneChange};

use crate::fields::{input, outcome, Outcome};
use crate::session::{confirmed, edge, Console, Deleted};
use crate::i18n::{tr, trf};
use wasm_bindgen::JsCast;

#[component]
pub fn SitesPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let name = RwSignal::new(String::new());
    let url = RwSignal::new(String::new());
    let state = RwSignal::new(None::<Outcome>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = NewSite { name: name.get_untracked(), url: url.get_untracked() };
        if let Err(problem) = body.check() {
            state.set(Some(Outcome::Problem(problem)));
            return;
        }
        spawn_local(async move {
            let endpoint = format!("{}/v1/console/sites", edge());
            match console.request::<_, SiteInfo>("POST", &endpoint, Some(&body)).await {
                Ok(site) => {
                    state.set(Some(Outcome::Done(trf("Added {}. Its embed code is under Installation.", &[&site.name]))));
                    name.set(String::new());
                    url.set(String::new());
                    console.load_me();
                }
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    };
    view! {
        <main class="page sites">
            <h2>{tr("Sites")}</h2>
            <TimeZoneCard/>
            <ul class="cards">
                <For each=move || console.me.get().map(|me| me.sites).unwrap_or_default()
                    key=|site| format!("{:?}", site)
                    children=move |site| view! { <SiteCard site/> }/>
            </ul>
            <form class="card" on:submit=add>
                <h3>{tr("Add a site")}</h3>
                {input(tr("Site name"), "text", "off", name, true)}
                {input(tr("Site URL"), "url", "url", url, true)}
                {outcome(state)}
                <button type="submit">{tr("Add site")}</button>
            </form>
        </main>
    }
}

#[component]
fn SiteCard(site: SiteInfo) -> impl IntoView {
    let console = expect_context::<Console>();
    let id = site.id.clone();
    let name = RwSignal::new(site.name.clone());
    let url = RwSignal::new(site.url.clone());
    let origins = RwSignal::new(site.allowed_origins.join("\n"));
    let disabled = RwSignal::new(site.disabled);
    let state = RwSignal::new(None::<Outcome>);
    let endpoint = StoredValue::new(format!("{}/v1/console/sites/{}", edge(), site.id));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = SiteUpdate {
            name: name.get_untracked(),
            url: url.get_untracked(),
            allowed_origins: origins.get_untracked().lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect(),
            disabled: disabled.get_untracked(),
        };
        if let Err(problem) = body.check() {
            state.set(Some(Outcome::Problem(problem)));
            return;
        }
        spawn_local(async move {
            match console.request::<_, SiteInfo>("PUT", &endpoint.get_value(), Some(&body)).await {
                Ok(_) => {
                    state.set(Some(Outcome::Done(tr("Saved.").into())));
                    console.load_me();
                }
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    };
    let label = site.name.clone();
    let delete = move |_| {
        let asked = trf("Delete the site {}? Its settings, inbox and secrets are removed for good, and its widget stops working.", &[&label]);
        if !confirmed(&asked) {
            return;
        }
        spawn_local(async move {
            match console.request::<(), Deleted>("DELETE", &endpoint.get_value(), None).await {
                Ok(_) => console.load_me(),
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    };
    let heading = format!("{} ({})", site.name, id);
    view! {
        <li>
            <form class="card" on:submit=save aria-label=site.name.clone()>
                <h3>{heading}</h3>
                {input(tr("Site name"), "text", "off", name, true)}
                {input(tr("Site URL"), "url", "url", url, true)}
                <label>{tr("Allowed origins")}
                    <textarea rows="3" aria-describedby=format!("origins-hint-{id}")
                        prop:value=move || origins.get() on:input=move |ev| origins.set(event_target_value(&ev))></textarea>
                </label>
                <p class="hint" id=format!("origins-hint-{id}")>{tr("One per line, like https://shop.example.com; * allows any site.")}</p>
                <label class="check">
                    <input type="checkbox" prop:checked=move || disabled.get() on:change=move |ev| disabled.set(event_target_checked(&ev))/>
                    {tr(" Chat switched off (the widget draws nothing, new visitors are refused)")}
                </label>
                {outcome(state)}
                <div class="actions">
                    <button type="submit">{tr("Save site")}</button>
                    <button type="button" class="danger" on:click=delete>{tr("Delete site")}</button>
                </div>
            </form>
        </li>
    }
}

/// The organisation's time zone: the journal's days (today, this week…) and the times
/// in its exports count in it.
#[component]
fn TimeZoneCard() -> impl IntoView {
    let console = expect_context::<Console>();
    let zone = RwSignal::new(console.me.with_untracked(|me| me.as_ref().map(|me| me.time_zone.clone())).unwrap_or_default());
    let state = RwSignal::new(None::<Outcome>);
    // Every zone the browser knows, offered as the field is typed in.
    let known: Vec<String> = js_sys::Reflect::get(&js_sys::global(), &"Intl".into())
        .and_then(|intl| js_sys::Reflect::get(&intl, &"supportedValuesOf".into()).map(|f| (intl, f)))
        .ok()
        .and_then(|(intl, f)| f.dyn_into::<js_sys::Function>().ok().and_then(|f| f.call1(&intl, &"timeZone".into()).ok()))
        .map(|list| js_sys::Array::from(&list).iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = TimeZoneChange { time_zone: zone.get_untracked().trim().to_owned() };
        spawn_local(async move {
            match console.request::<_, TimeZoneChange>("PUT", &format!("{}/v1/console/organisation", edge()), Some(&body)).await {
                Ok(_) => {
                    state.set(Some(Outcome::Done(tr("Saved.").into())));
                    console.load_me();
                }
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    };
    view! {
        <form class="card" on:submit=save aria-label=tr("Organisation")>
            <h3>{tr("Organisation")}</h3>
            <label>{tr("Time zone")}
                <input type="text" list="time-zones" autocomplete="off" required aria-describedby="time-zone-hint"
                    prop:value=move || zone.get() on:input=move |ev| zone.set(event_target_value(&ev))/>
            </label>
            <datalist id="time-zones">{known.into_iter().map(|z| view! { <option value=z/> }).collect_view()}</datalist>
            <p class="hint" id="time-zone-hint">{tr("Like Europe/Moscow. The journal's days and the times in exports count in it.")}</p>
            {outcome(state)}
            <button type="submit">{tr("Save time zone")}</button>
        </form>
    }
}
