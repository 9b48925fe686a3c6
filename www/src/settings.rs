//! The configurator (admins only): every widget option as a control, beside a live
//! preview that runs the real widget, a contrast warning, Save with errors shown at
//! their fields, and the embed snippet.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::protocol::{InvalidSettingsBody, SettingsDocument};
use natter_shared::settings::{Color, Language, Pattern, Position, Texts, WidgetSettings, PALETTE};
use natter_widget::chat::Chat;
use natter_widget::site::Config;
use natter_widget::components::launcher::position_class;
use natter_widget::{json, App};
use wasm_bindgen::JsCast;

use crate::contact_settings::ContactSettings;
use crate::problems::{note_id, point_at_first, FieldNote, Problems};
use crate::routing_settings::{Deliveries, RoutingSettings};
use crate::rules_editor::RulesEditor;
use crate::session::{edge, Console};
use crate::i18n::{tr, trf};

fn position_label(position: Position) -> &'static str {
    match position {
        Position::RoundBottomRight => tr("Round, bottom right"),
        Position::Hidden => tr("Always hidden"),
        Position::TabBottomRight => tr("Tab, bottom right (default)"),
        Position::TabBottomCenter => tr("Tab, bottom centre"),
        Position::TabBottomLeft => tr("Tab, bottom left"),
        Position::TabRightCenter => tr("Tab, right centre"),
        Position::TabLeftCenter => tr("Tab, left centre"),
    }
}

fn pattern_name(pattern: Pattern) -> &'static str {
    match pattern {
        Pattern::None => "none",
        Pattern::Dots => "dots",
        Pattern::Waves => "waves",
        Pattern::Grid => "grid",
        Pattern::Diagonal => "diagonal",
        Pattern::Circles => "circles",
        Pattern::Zigzag => "zigzag",
    }
}

/// A value as the settings document spells it (`"tab_left_center"`, `"ru"`…).
pub(crate) fn wire_name<T: serde::Serialize>(value: &T) -> String {
    json::to_string(value).unwrap_or_default().trim_matches('"').to_owned()
}

/// Reads a value back from how the document spells it.
pub(crate) fn from_wire<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    json::parse(&format!("\"{name}\""))
}

/// The live preview: the real widget, mounted in a shadow root of its own, following
/// the form as it changes. Its fixed elements stay inside the preview box.
#[component]
fn Preview(settings: RwSignal<WidgetSettings>) -> impl IntoView {
    let frame = NodeRef::<leptos::html::Div>::new();
    let chat = Chat::new(Config { site: "preview".into(), edge: edge() }, "{}".into());
    chat.set_open(true);
    // The preview never connects; it shows the widget as visitors see it online.
    chat.connected.set(true);
    Effect::new(move |_| chat.site.settings.set(settings.get()));
    Effect::new(move |started: Option<bool>| {
        if started == Some(true) {
            return true;
        }
        let Some(frame) = frame.get() else { return false };
        let mount = || -> Result<(), wasm_bindgen::JsValue> {
            let root = frame.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))?;
            natter_widget::adopt_style(&root, natter_widget::LAUNCHER_STYLE)?;
            natter_widget::adopt_style(&root, natter_widget::STYLE)?;
            let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
            let container: web_sys::HtmlElement = document.create_element("div")?.unchecked_into();
            container.set_class_name("app");
            root.append_child(&container)?;
            leptos::mount::mount_to(container, move || view! { <App chat=chat/> }).forget();
            Ok(())
        };
        mount().is_ok()
    });
    // The shadow host sits inside the frame: the launcher's `:host` reset must not
    // undo the frame's box, whose transform keeps the widget's fixed parts inside it.
    view! {
        <div class="preview" aria-label=tr("Preview")>
            <div class="preview-frame"><div node_ref=frame></div></div>
            <button class="preview-toggle" on:click=move |_| chat.set_open(!chat.window.open.get_untracked())>{tr("Open or close the preview")}</button>
        </div>
    }
}

#[component]
fn ColourField(
    label: &'static str,
    field: &'static str,
    settings: RwSignal<WidgetSettings>,
    get: fn(&WidgetSettings) -> &Color,
    set: fn(&mut WidgetSettings, Color),
    problems: Problems,
) -> impl IntoView {
    let draft = RwSignal::new(settings.with_untracked(|s| get(s).as_str().to_owned()));
    // A colour that does not parse stays in the box as typed, in error, until fixed.
    let apply = move |value: String| {
        draft.set(value.clone());
        match Color::parse(value.trim()) {
            Ok(color) => {
                problems.draft(field, None);
                settings.update(|s| set(s, color));
            }
            Err(message) => problems.draft(field, Some(message)),
        }
    };
    // The box follows the colour itself (loaded, picked), not every change elsewhere in
    // the settings, which would overwrite what is being typed.
    let colour = Memo::new(move |_| settings.with(|s| get(s).as_str().to_owned()));
    Effect::new(move |_| draft.set(colour.get()));
    view! {
        <div class="field">
            <label>{label}
                <span class="colour-row">
                    <input type="text" spellcheck="false" prop:value=move || draft.get() on:input=move |ev| apply(event_target_value(&ev))
                        aria-invalid=move || problems.invalid(field) aria-describedby=note_id(field)/>
                    <input type="color" aria-label=trf("Pick {}", &[&label.to_lowercase()]) prop:value=move || settings.with(|s| get(s).as_str().to_owned())
                        on:input=move |ev| apply(event_target_value(&ev))/>
                </span>
            </label>
            <div class="swatches" role="group" aria-label=trf("{} presets", &[label])>
                {PALETTE.iter().map(|(name, hex)| {
                    let hex = *hex;
                    view! { <button type="button" class="swatch" title=*name aria-label=format!("{label}: {name}") on:click=move |_| apply(hex.to_owned())>
                        <span class="chip" style:background-color=hex></span>
                    </button> }
                }).collect_view()}
            </div>
            <FieldNote problems field/>
        </div>
    }
}

#[component]
pub(crate) fn TextField(
    label: String,
    field: String,
    value: Signal<String>,
    on_input: Callback<String>,
    problems: Problems,
) -> impl IntoView {
    let describedby = note_id(&field);
    let invalid = {
        let field = field.clone();
        move || problems.invalid(&field)
    };
    view! {
        <div class="field">
            <label>{label}
                <input type="text" prop:value=move || value.get() on:input=move |ev| on_input.run(event_target_value(&ev))
                    aria-invalid=invalid aria-describedby=describedby/>
            </label>
            <FieldNote problems field/>
        </div>
    }
}

/// A labelled choice among values as the settings document spells them.
#[component]
pub(crate) fn SelectField(
    label: &'static str,
    options: Vec<(String, &'static str)>,
    value: Signal<String>,
    on_change: Callback<String>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label>{label}
                <select on:change=move |ev| on_change.run(event_target_value(&ev)) prop:value=move || value.get()>
                    {options.into_iter().map(|(value, text)| view! { <option value=value>{text}</option> }).collect_view()}
                </select>
            </label>
        </div>
    }
}

fn texts_mut(settings: &mut WidgetSettings, language: Language) -> &mut Texts {
    match language {
        Language::Ru => &mut settings.texts.ru,
        Language::En => &mut settings.texts.en,
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let settings = RwSignal::new(WidgetSettings::default());
    let problems = Problems::new();
    let status = RwSignal::new(None::<String>);
    // The settings as last loaded or saved: anything else is an unsaved change.
    let saved = RwSignal::new(None::<WidgetSettings>);
    let loaded = move || saved.with(Option::is_some);
    let form = NodeRef::<leptos::html::Div>::new();
    let token = move || console.token();
    let site = move || console.site.with_untracked(|s| s.as_ref().map(ToString::to_string).unwrap_or_default());

    spawn_local(async move {
        match natter_widget::net::get(&console.site_url("settings"), Some(&token())).await {
            Ok((200, text)) => {
                if let Some(document) = json::parse::<SettingsDocument>(&text) {
                    settings.set(document.settings.clone());
                    saved.set(Some(document.settings));
                }
            }
            _ => status.set(Some(tr("The settings could not be loaded.").into())),
        }
    });
    Effect::new(move |_| {
        let changed = saved.with(|saved| saved.as_ref().is_some_and(|saved| settings.with(|s| s != saved)));
        console.unsaved.set(changed || problems.drafts.with(|d| !d.is_empty()));
    });
    on_cleanup(move || console.unsaved.set(false));

    // Says what stops the save and takes the operator to the first field in error.
    let refuse = move |fallback: String| {
        spawn_local(async move {
            // Once the notes are drawn.
            natter_widget::time::sleep(0).await;
            let names = form.get_untracked().map(|form| point_at_first(&form)).unwrap_or_default();
            status.set(Some(if names.is_empty() {
                trf("The settings were not saved: {}", &[&fallback])
            } else {
                trf("The settings were not saved. Fix the fields in error first: {}.", &[&names.join(", ")])
            }));
        });
    };

    let save = move |_| {
        if let Some(first) = problems.drafts.with_untracked(|d| d.first().map(|e| e.message.clone())) {
            // The edge's refusals were of the last attempt: these are this one's.
            problems.refused.set(Vec::new());
            refuse(first);
            return;
        }
        spawn_local(async move {
            status.set(Some(tr("Saving…").into()));
            let body = settings.get_untracked();
            match natter_widget::net::put_json(&console.site_url("settings"), &body, &token()).await {
                Ok((200, _)) => {
                    problems.refused.set(Vec::new());
                    saved.set(Some(body));
                    status.set(Some(tr("Saved. Pages with the widget show it now.").into()));
                }
                Ok((_, text)) => match json::parse::<InvalidSettingsBody>(&text) {
                    Some(refusal) => {
                        problems.refused.set(refusal.fields);
                        refuse(refusal.message);
                    }
                    None => status.set(Some(tr("The settings were not saved.").into())),
                },
                Err(e) => status.set(Some(trf("The settings were not saved: {}", &[&e.0]))),
            }
        });
    };

    let contrast = move || settings.with(|s| s.text_color.contrast(&s.header_color));
    // The send colour carries white: the Send button's icon, the forms' buttons; and is
    // text on white: the suggests and the QR panel's link.
    let send_contrast = move || settings.with(|s| Color::parse("#ffffff").map_or(21.0, |white| s.send_color.contrast(&white)));
    let snippet = move || format!("<script src=\"{}/natter.js\" data-site=\"{}\" async></script>", edge(), site());
    let copy = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&snippet());
        }
    };
    let text_field = move |language: Language, name: &'static str, label: &'static str, pick: fn(&mut Texts) -> &mut Option<String>| {
        let tag = wire_name(&language);
        let value = Signal::derive(move || {
            settings.with(|s| {
                let texts = s.texts.get(language);
                let mut copy = texts.clone();
                pick(&mut copy).clone().unwrap_or_default()
            })
        });
        let on_input = Callback::new(move |v: String| {
            settings.update(|s| *pick(texts_mut(s, language)) = Some(v).filter(|v| !v.is_empty()));
        });
        let language_name = if language == Language::Ru { tr("Russian") } else { tr("English") };
        view! { <TextField label=format!("{} ({language_name})", tr(label)) field=format!("texts.{tag}.{name}") value on_input problems/> }
    };

    view! {
        <section class="settings" aria-label=tr("Widget settings")>
            <div class="settings-form" node_ref=form>
                <h2>{tr("Widget settings")}</h2>
                // Nothing can be changed before the saved settings arrive (they would overwrite it).
                <fieldset class="all" disabled=move || !loaded()>
                <SelectField label=tr("Position")
                    options=Position::ALL.iter().map(|p| (position_class(*p).to_owned(), position_label(*p))).collect()
                    value=Signal::derive(move || settings.with(|s| wire_name(&s.position)))
                    on_change=Callback::new(move |v: String| if let Some(p) = from_wire(&v) { settings.update(|s| s.position = p) })/>
                <ColourField label=tr("Header colour") field="header_color" settings get=|s| &s.header_color set=|s, c| s.header_color = c problems/>
                <ColourField label=tr("Send button colour") field="send_color" settings get=|s| &s.send_color set=|s, c| s.send_color = c problems/>
                <ColourField label=tr("Text colour") field="text_color" settings get=|s| &s.text_color set=|s, c| s.text_color = c problems/>
                {move || (send_contrast() < 4.5).then(|| view! {
                    <p class="warning" role="alert">{trf("The send button colour has a contrast of {}:1 with white (its icon, the forms' buttons, the suggests, the QR code's link); at least 4.5:1 is needed (WCAG AA).", &[&format!("{:.1}", send_contrast())])}</p>
                })}
                {move || (contrast() < 4.5).then(|| view! {
                    <p class="warning" role="alert">{trf("The text colour has a contrast of {}:1 with the header colour (the header's title and status, the launcher, the visitor's messages); at least 4.5:1 is needed (WCAG AA).", &[&format!("{:.1}", contrast())])}</p>
                })}
                <SelectField label=tr("Header pattern")
                    options=Pattern::ALL.iter().map(|p| (pattern_name(*p).to_owned(), pattern_name(*p))).collect()
                    value=Signal::derive(move || settings.with(|s| wire_name(&s.pattern)))
                    on_change=Callback::new(move |v: String| if let Some(p) = from_wire(&v) { settings.update(|s| s.pattern = p) })/>
                <SelectField label=tr("Window colours")
                    options=vec![("auto".into(), tr("As the visitor's system prefers (light or dark)")), ("light".into(), tr("Always light")), ("dark".into(), tr("Always dark"))]
                    value=Signal::derive(move || settings.with(|s| wire_name(&s.color_scheme)))
                    on_change=Callback::new(move |v: String| if let Some(c) = from_wire(&v) { settings.update(|s| s.color_scheme = c) })/>
                <SelectField label=tr("Language")
                    options=vec![("auto".into(), tr("The visitor's browser language")), ("ru".into(), tr("Russian")), ("en".into(), tr("English"))]
                    value=Signal::derive(move || settings.with(|s| wire_name(&s.language)))
                    on_change=Callback::new(move |v: String| if let Some(l) = from_wire(&v) { settings.update(|s| s.language = l) })/>
                <SelectField label=tr("Default language")
                    options=vec![("ru".into(), tr("Russian")), ("en".into(), tr("English"))]
                    value=Signal::derive(move || settings.with(|s| wire_name(&s.default_language)))
                    on_change=Callback::new(move |v: String| if let Some(l) = from_wire(&v) { settings.update(|s| s.default_language = l) })/>
                <div class="field">
                    <label class="check">
                        <input type="checkbox" prop:checked=move || settings.with(|s| s.sound)
                            on:change=move |ev| { let on = event_target_checked(&ev); settings.update(|s| s.sound = on) }/>
                        {tr("Notification sound")}
                    </label>
                </div>
                <SelectField label=tr("An operator replies while the chat is closed")
                    options=vec![("preview".into(), tr("Show the message beside the button")), ("open".into(), tr("Open the chat window")), ("badge".into(), tr("Only count it on the button"))]
                    value=Signal::derive(move || settings.with(|s| wire_name(&s.closed_reply)))
                    on_change=Callback::new(move |v: String| if let Some(c) = from_wire(&v) { settings.update(|s| s.closed_reply = c) })/>
                <TextField label=tr("Logo URL (https)").to_owned() field="logo_url".to_owned()
                    value=Signal::derive(move || settings.with(|s| s.logo_url.clone().unwrap_or_default()))
                    on_input=Callback::new(move |v: String| settings.update(|s| s.logo_url = Some(v).filter(|v| !v.is_empty())))
                    problems/>
                {[Language::En, Language::Ru].into_iter().map(|language| view! {
                    <fieldset>
                        {text_field(language, "launcher_label", tr("Launcher label"), |t| &mut t.launcher_label)}
                        {text_field(language, "online_title", tr("Online title"), |t| &mut t.online_title)}
                        {text_field(language, "offline_title", tr("Offline title"), |t| &mut t.offline_title)}
                        {text_field(language, "placeholder", tr("Input placeholder"), |t| &mut t.placeholder)}
                    </fieldset>
                }).collect_view()}
                <ContactSettings settings problems/>
                <RoutingSettings settings/>
                <RulesEditor settings problems/>
                </fieldset>
                <div class="actions">
                    <button class="save" on:click=save>{tr("Save")}</button>
                    <p class="status" role="status" aria-label=tr("Save status")>{move || status.get()}</p>
                </div>
                <div class="field">
                    <label>{tr("Embed snippet")}
                        <textarea readonly rows="2" prop:value=snippet></textarea>
                    </label>
                    <button type="button" on:click=copy>{tr("Copy snippet")}</button>
                </div>
                <Deliveries/>
            </div>
            <Preview settings/>
        </section>
    }
}
