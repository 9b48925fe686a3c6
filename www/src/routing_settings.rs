//! Widget settings → "Conversations": auto-assignment and its limit, hiding others'
//! conversations from agents, live visitors and priority pages, the limits for visitors, which events the webhook gets, and its last deliveries
//! (with their status; an admin can send one again).

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::limits::MAX_RATE_LIMIT;
use natter_shared::settings::WidgetSettings;
use natter_shared::shift::{DeliveryInfo, DeliveryState, EventKind, MAX_ASSIGN_LIMIT};

use crate::contact_settings::Check;
use crate::i18n::{tr, trf};
use crate::session::Console;

fn event_label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::ConversationStarted => tr("Conversation started"),
        EventKind::ConversationAssigned => tr("Conversation assigned (and each transfer)"),
        EventKind::ConversationClosed => tr("Conversation closed (with the transcript and the rating)"),
        EventKind::OfflineMessage => tr("Offline message"),
        EventKind::VisitorRated => tr("Visitor rated"),
    }
}

#[component]
pub fn RoutingSettings(settings: RwSignal<WidgetSettings>) -> impl IntoView {
    view! {
        <fieldset>
            <legend>{tr("Conversations")}</legend>
            <Check label=tr("Auto-assignment: a new conversation goes to the online operator with the fewest") settings
                get=|s| s.routing.auto_assign set=|s, on| s.routing.auto_assign = on/>
            <div class="field">
                <label>{tr("Conversations per operator at most")}
                    <input type="number" min="1" max=MAX_ASSIGN_LIMIT.to_string() prop:value=move || settings.with(|s| s.routing.assign_limit.to_string())
                        on:change=move |ev| {
                            let limit = event_target_value(&ev).trim().parse::<u8>().unwrap_or(1).clamp(1, MAX_ASSIGN_LIMIT);
                            settings.update(|s| s.routing.assign_limit = limit);
                        }/>
                </label>
            </div>
            <Check label=tr("Agents see only their own and unassigned conversations") settings
                get=|s| s.routing.hide_others set=|s, on| s.routing.hide_others = on/>
        </fieldset>
        <fieldset>
            <legend>{tr("Live visitors")}</legend>
            <Check label=tr("Show live visitors to operators") settings
                get=|s| s.live_visitors set=|s, on| s.live_visitors = on/>
            <div class="field">
                <label>{tr("Priority pages")}
                    <textarea rows="3" aria-describedby="priority-hint"
                        prop:value=move || settings.with(|s| s.priority_pages.join("\n"))
                        on:change=move |ev| {
                            let pages = event_target_value(&ev).lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
                            settings.update(|s| s.priority_pages = pages);
                        }></textarea>
                </label>
                <p class="hint" id="priority-hint">{tr("One per line, part of an address like /checkout: visitors on such a page are marked and listed first.")}</p>
            </div>
        </fieldset>
        <fieldset>
            <legend>{tr("Limits for visitors")}</legend>
            <LimitField label=tr("Messages a visitor may send at once") settings
                get=|s| s.rate_limits.message_burst set=|s, n| s.rate_limits.message_burst = n/>
            <LimitField label=tr("Then messages per minute") settings
                get=|s| s.rate_limits.messages_per_minute set=|s, n| s.rate_limits.messages_per_minute = n/>
            <LimitField label=tr("New conversations per hour from one IP address") settings
                get=|s| s.rate_limits.conversations_per_hour set=|s, n| s.rate_limits.conversations_per_hour = n/>
        </fieldset>
        <fieldset>
            <legend>{tr("The webhook is told of")}</legend>
            {EventKind::ALL.into_iter().map(|kind| view! {
                <div class="field">
                    <label class="check">
                        <input type="checkbox" prop:checked=move || settings.with(|s| s.webhook_events.contains(&kind))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                settings.update(|s| {
                                    s.webhook_events.retain(|k| *k != kind);
                                    if on { s.webhook_events.push(kind); }
                                });
                            }/>
                        {event_label(kind)}
                    </label>
                </div>
            }).collect_view()}
        </fieldset>
    }
}

/// A number from 1 to [`MAX_RATE_LIMIT`]; out of range, it is brought into it.
#[component]
fn LimitField(
    label: &'static str,
    settings: RwSignal<WidgetSettings>,
    get: fn(&WidgetSettings) -> u32,
    set: fn(&mut WidgetSettings, u32),
) -> impl IntoView {
    view! {
        <div class="field">
            <label>{label}
                <input type="number" min="1" max=MAX_RATE_LIMIT.to_string() prop:value=move || settings.with(|s| get(s).to_string())
                    on:change=move |ev| {
                        let n = event_target_value(&ev).trim().parse::<u32>().unwrap_or(1).clamp(1, MAX_RATE_LIMIT);
                        settings.update(|s| set(s, n));
                    }/>
            </label>
        </div>
    }
}

#[derive(serde::Serialize)]
struct Resend {
    id: String,
}

#[component]
pub fn Deliveries() -> impl IntoView {
    let console = expect_context::<Console>();
    let list = RwSignal::new(None::<Result<Vec<DeliveryInfo>, String>>);
    let load = move || {
        let url = console.site_url("deliveries");
        spawn_local(async move { list.set(Some(console.request::<(), Vec<DeliveryInfo>>("GET", &url, None).await.map_err(|e| e.0))) });
    };
    load();
    let resend = move |id: String| {
        let url = console.site_url("deliveries/resend");
        spawn_local(async move {
            let body = Resend { id };
            list.set(Some(console.request::<_, Vec<DeliveryInfo>>("POST", &url, Some(&body)).await.map_err(|e| e.0)));
        });
    };
    let state = |d: &DeliveryInfo| match (d.state, d.status) {
        (DeliveryState::Delivered, Some(code)) => trf("delivered ({})", &[&code.to_string()]),
        (DeliveryState::Delivered, None) => tr("delivered").into(),
        (DeliveryState::Dropped, _) => tr("dropped: no webhook wanted it").into(),
        (DeliveryState::Pending, Some(code)) => trf("failing ({}), retried", &[&code.to_string()]),
        (DeliveryState::Pending, None) if d.attempts > 0 => tr("unreachable, retried").into(),
        (DeliveryState::Pending, None) => tr("waiting").into(),
    };
    view! {
        <section class="deliveries" aria-labelledby="deliveries-title">
            <h3 id="deliveries-title">{tr("Last webhook deliveries")}</h3>
            <button type="button" on:click=move |_| load()>{tr("Refresh")}</button>
            {move || match list.get() {
                None => view! { <p class="hint">{tr("Connecting…")}</p> }.into_any(),
                Some(Err(problem)) => view! { <p class="problem" role="alert">{problem}</p> }.into_any(),
                Some(Ok(items)) if items.is_empty() => view! { <p class="hint">{tr("Nothing was sent yet.")}</p> }.into_any(),
                Some(Ok(items)) => view! {
                    <table class="table">
                        <thead><tr><th>{tr("Event")}</th><th>{tr("When")}</th><th>{tr("Status")}</th><th>{tr("Attempts")}</th><th></th></tr></thead>
                        <tbody>
                            {items.into_iter().map(|d| {
                                let id = d.id.clone();
                                let when = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(d.at as f64)).to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED);
                                view! {
                                    <tr>
                                        <td title=d.id.clone()>{d.event.clone()}</td>
                                        <td>{String::from(when)}</td>
                                        <td>{state(&d)}</td>
                                        <td>{d.attempts}</td>
                                        <td><button type="button" aria-label=trf("Send again: {}", &[&d.id]) on:click=move |_| resend(id.clone())>{tr("Send again")}</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}
