//! The configurator's visitor-facing options: offline mode and notifications, the
//! "Introduce yourself" form, files, suggests and messenger buttons. Values are checked
//! by `shared` when saved; problems show at their fields.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::contact::{Contact, Messenger, Need};
use natter_shared::protocol::SiteSecret;
use natter_shared::settings::{IntroduceForm, Language, LocalText, Suggest, WidgetSettings, MAX_SUGGESTS};
use natter_widget::json;

use crate::problems::{note_id, FieldNote, Problems};
use crate::session::Console;
use crate::settings::{from_wire, wire_name, SelectField, TextField};
use crate::i18n::{tr, trf};

fn need_options() -> Vec<(String, &'static str)> {
    vec![("off".into(), tr("Not asked")), ("optional".into(), tr("Optional")), ("required".into(), tr("Required"))]
}

/// A checkbox bound to one flag of the settings.
#[component]
pub fn Check(
    label: &'static str,
    settings: RwSignal<WidgetSettings>,
    get: fn(&WidgetSettings) -> bool,
    set: fn(&mut WidgetSettings, bool),
) -> impl IntoView {
    view! {
        <div class="field">
            <label class="check">
                <input type="checkbox" prop:checked=move || settings.with(get)
                    on:change=move |ev| { let on = event_target_checked(&ev); settings.update(|s| set(s, on)) }/>
                {label}
            </label>
        </div>
    }
}

/// The site's secrets, as admins see them: the one that signs webhook requests and the
/// identity secret. Read once for both places they show.
fn load_secrets() -> RwSignal<Option<SiteSecret>> {
    let console = expect_context::<Console>();
    let secrets = RwSignal::new(None::<SiteSecret>);
    let token = console.session.with_untracked(|s| s.as_ref().map(|s| s.token.clone()).unwrap_or_default());
    spawn_local(async move {
        if let Ok((200, text)) = natter_widget::net::get(&console.site_url("secret"), Some(&token)).await {
            secrets.set(json::parse::<SiteSecret>(&text));
        }
    });
    secrets
}

/// The site secret, for the webhook's receiver to check the requests.
#[component]
fn WebhookSecret(secrets: RwSignal<Option<SiteSecret>>) -> impl IntoView {
    view! {
        <div class="field">
            <label>{tr("Site secret (checks the X-Natter-Signature header)")}
                <input type="text" readonly class="secret" prop:value=move || secrets.with(|s| s.as_ref().map(|s| s.secret.clone()).unwrap_or_default())/>
            </label>
        </div>
    }
}

/// The secret the site's server signs signed-in users with (`Natter.identify`,
/// docs/js-api.md); an admin can rotate it.
#[component]
fn IdentitySecret(secrets: RwSignal<Option<SiteSecret>>) -> impl IntoView {
    let console = expect_context::<Console>();
    let problem = RwSignal::new(None::<String>);
    let rotate = move |_| {
        let token = console.session.with_untracked(|s| s.as_ref().map(|s| s.token.clone()).unwrap_or_default());
        spawn_local(async move {
            let url = console.site_url("secret/identity");
            match natter_widget::net::request::<(), SiteSecret>("POST", &url, None, Some(&token)).await {
                Ok(fresh) => {
                    secrets.set(Some(fresh));
                    problem.set(None);
                }
                Err(e) => problem.set(Some(e.0)),
            }
        });
    };
    view! {
        <fieldset>
            <legend>{tr("Signed-in users (JS API: Natter.identify)")}</legend>
            <div class="field">
                <label>{tr("Identity secret (your server signs signed-in users with it)")}
                    <input type="text" readonly class="secret" prop:value=move || secrets.with(|s| s.as_ref().map(|s| s.identity.clone()).unwrap_or_default())/>
                </label>
                <button type="button" class="rotate" on:click=rotate>{tr("Rotate identity secret")}</button>
                <p class="note">{tr("Rotating makes every signature made with the old secret fail at once. How to sign: docs/js-api.md.")}</p>
                {move || problem.get().map(|p| view! { <p class="field-error">{p}</p> })}
            </div>
        </fieldset>
    }
}

#[component]
fn SuggestsEditor(settings: RwSignal<WidgetSettings>, problems: Problems) -> impl IntoView {
    let count = move || settings.with(|s| s.suggests.len());
    let full = move || count() >= MAX_SUGGESTS;
    let row = move |i: usize| {
        let priority = move || settings.with(|s| s.suggests.get(i).map_or(1, |s| s.priority)).to_string();
        let (text_at, priority_at) = (format!("suggests.{i}.text"), format!("suggests.{i}.priority"));
        let set_priority = {
            let at = priority_at.clone();
            move |typed: String| match typed.trim().parse::<u8>() {
                Ok(p) => {
                    problems.draft(&at, None);
                    settings.update(|s| if let Some(x) = s.suggests.get_mut(i) { x.priority = p })
                }
                Err(_) => problems.draft(&at, Some(tr("Enter a whole number from 1 to 255").into())),
            }
        };
        view! {
            <li class="suggest-row">
                {[Language::En, Language::Ru].into_iter().map(|language| {
                    let (whole, own) = (text_at.clone(), format!("{text_at}.{}", wire_name(&language)));
                    let label = trf(if language == Language::Ru { "Suggest {} text in Russian" } else { "Suggest {} text in English" }, &[&(i + 1).to_string()]);
                    view! {
                        <input type="text" aria-label=label maxlength="200" lang=wire_name(&language)
                            placeholder=if language == Language::Ru { tr("Russian") } else { tr("English") }
                            prop:value=move || settings.with(|s| s.suggests.get(i).map(|s| s.text.own(language).to_owned()).unwrap_or_default())
                            aria-invalid={ let (whole, own) = (whole.clone(), own.clone()); move || problems.invalid_at(&[&whole, &own]) } aria-describedby=format!("{} {}", note_id(&whole), note_id(&own))
                            on:input=move |ev| { let v = event_target_value(&ev); settings.update(|s| if let Some(x) = s.suggests.get_mut(i) { *x.text.get_mut(language) = v }) }/>
                        <FieldNote problems field=own/>
                    }
                }).collect_view()}
                <input type="number" min="1" max="255" aria-label=trf("Suggest {} priority", &[&(i + 1).to_string()]) prop:value=priority
                    aria-invalid={ let at = priority_at.clone(); move || problems.invalid(&at) } aria-describedby=note_id(&priority_at)
                    on:input=move |ev| set_priority(event_target_value(&ev))/>
                <button type="button" aria-label=trf("Delete suggest {}", &[&(i + 1).to_string()])
                    on:click=move |_| {
                        // The rows are drawn again from the settings: no draft is left behind.
                        problems.forget_drafts("suggests.");
                        settings.update(|s| { if i < s.suggests.len() { s.suggests.remove(i); } })
                    }>"Delete"</button>
                <FieldNote problems field=text_at/>
                <FieldNote problems field=priority_at/>
            </li>
        }
    };
    view! {
        <fieldset>
            <legend>{tr("Suggests: questions the visitor sends with one click (priority 1 first)")}</legend>
            <ul class="suggest-list">{move || (0..count()).map(row).collect_view()}</ul>
            <button type="button" disabled=full
                on:click=move |_| settings.update(|s| s.suggests.push(Suggest { text: LocalText::default(), priority: 1 }))>{tr("Add suggest")}</button>
            <FieldNote problems field="suggests"/>
        </fieldset>
    }
}

#[component]
fn ContactsEditor(settings: RwSignal<WidgetSettings>, problems: Problems) -> impl IntoView {
    let input = move |kind: Messenger| {
        let value = Signal::derive(move || {
            settings.with(|s| s.contacts.iter().find(|c| c.kind == kind).map(|c| c.value.clone()).unwrap_or_default())
        });
        let set = move |v: String| {
            settings.update(|s| match (s.contacts.iter().position(|c| c.kind == kind), v.trim().is_empty()) {
                (Some(i), true) => {
                    s.contacts.remove(i);
                }
                (Some(i), false) => s.contacts[i].value = v,
                (None, false) => s.contacts.push(Contact { kind, value: v }),
                (None, true) => {}
            })
        };
        let field = format!("contacts.{}", kind.key());
        // As the owner types: the link the button opens, or what is wrong (then also
        // what the edge would refuse, so Save stops at it).
        let link = move || {
            let v = value.get();
            (!v.trim().is_empty()).then(|| kind.link(&v)).flatten().map(|link| view! { <span class="link-preview">{link}</span> })
        };
        Effect::new({
            let field = field.clone();
            move |_| {
                let v = value.get();
                let wrong = !v.trim().is_empty() && kind.link(&v).is_none();
                problems.draft(&field, wrong.then(|| kind.requirement().to_owned()));
            }
        });
        view! {
            <div class="field">
                <label>{kind.title()}
                    <input type="text" placeholder=kind.hint() prop:value=move || value.get() on:input=move |ev| set(event_target_value(&ev))
                        aria-invalid={ let field = field.clone(); move || problems.invalid(&field) } aria-describedby=note_id(&field)/>
                </label>
                {link}
                <FieldNote problems field/>
            </div>
        }
    };
    view! {
        <fieldset>
            <legend>{tr("Messenger buttons (leave empty to hide)")}</legend>
            {Messenger::ALL.into_iter().map(input).collect_view()}
            <Check label=tr("Show them when no operator is online too (above the offline form)") settings
                get=|s| s.contacts_offline set=|s, on| s.contacts_offline = on/>
        </fieldset>
    }
}

#[component]
pub fn ContactSettings(settings: RwSignal<WidgetSettings>, problems: Problems) -> impl IntoView {
    let introduce = move |pick: fn(&IntroduceForm) -> Need| Signal::derive(move || settings.with(|s| wire_name(&pick(&s.introduce))));
    let secrets = load_secrets();
    view! {
        <fieldset>
            <legend>{tr("When no operator is online")}</legend>
            <SelectField label=tr("Offline mode")
                options=vec![("form".into(), tr("Show the offline form")), ("hide".into(), tr("Hide the widget"))]
                value=Signal::derive(move || settings.with(|s| wire_name(&s.offline_mode)))
                on_change=Callback::new(move |v: String| if let Some(m) = from_wire(&v) { settings.update(|s| s.offline_mode = m) })/>
            <TextField label=tr("Webhook URL for offline messages and events (https)").to_owned() field="webhook_url".to_owned()
                value=Signal::derive(move || settings.with(|s| s.webhook_url.clone().unwrap_or_default()))
                on_input=Callback::new(move |v: String| settings.update(|s| s.webhook_url = Some(v.trim().to_owned()).filter(|v| !v.is_empty())))
                problems/>
            <WebhookSecret secrets/>
        </fieldset>
        <fieldset>
            <legend>{tr("E-mail")}</legend>
            <Check label=tr("Visitors may have the conversation e-mailed to them (Send transcript)") settings
                get=|s| s.transcripts set=|s, on| s.transcripts = on/>
            <TextField label=tr("Notification e-mail: a copy of every closed conversation and offline message").to_owned() field="notify_email".to_owned()
                value=Signal::derive(move || settings.with(|s| s.notify_email.clone().unwrap_or_default()))
                on_input=Callback::new(move |v: String| settings.update(|s| s.notify_email = Some(v.trim().to_owned()).filter(|v| !v.is_empty())))
                problems/>
            <p class="hint">{tr("Letters go out only if this Natter has a sender address (its operator sets MAIL_FROM).")}</p>
        </fieldset>
        <fieldset>
            <legend>{tr("Introduce yourself form")}</legend>
            <SelectField label=tr("Ask for e-mail") options=need_options() value=introduce(|f| f.email)
                on_change=Callback::new(move |v: String| if let Some(n) = from_wire(&v) { settings.update(|s| s.introduce.email = n) })/>
            <SelectField label=tr("Ask for a phone number") options=need_options() value=introduce(|f| f.phone)
                on_change=Callback::new(move |v: String| if let Some(n) = from_wire(&v) { settings.update(|s| s.introduce.phone = n) })/>
            <Check label=tr("Before the first message, when online") settings get=|s| s.introduce.modal_online set=|s, on| s.introduce.modal_online = on/>
            <Check label=tr("Before the first message, when offline") settings get=|s| s.introduce.modal_offline set=|s, on| s.introduce.modal_offline = on/>
        </fieldset>
        <Check label=tr("Visitors may attach files (online only)") settings get=|s| s.files set=|s, on| s.files = on/>
        <SuggestsEditor settings problems/>
        <ContactsEditor settings problems/>
        <IdentitySecret secrets/>
    }
}
