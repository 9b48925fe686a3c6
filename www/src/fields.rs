//! Form fields the account pages share: a labelled input bound to a signal, and the
//! line that says how a request went.

use leptos::prelude::*;

use crate::i18n::{tr, tr_any};

/// `<label>LABEL <input type=KIND autocomplete=…></label>`, bound to `value`.
pub fn input(label: &'static str, kind: &'static str, autocomplete: &'static str, value: RwSignal<String>, required: bool) -> impl IntoView {
    view! {
        <label>{label}
            <input type=kind autocomplete=autocomplete required=required
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
        </label>
    }
}

/// A new password's field, with the rule it must meet said under it.
pub fn new_password(label: &'static str, value: RwSignal<String>) -> impl IntoView {
    view! {
        <label>{label}
            <input type="password" autocomplete="new-password" required minlength="10" aria-describedby="password-hint"
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
        </label>
        <p class="hint" id="password-hint">{tr("At least 10 characters.")}</p>
    }
}

/// `PUT`s a form's body and reads what the edge saved; refused, the first field's
/// problem (else the error's message) to show.
pub async fn put_form<B: serde::Serialize, R: serde::de::DeserializeOwned>(url: &str, body: &B, token: &str) -> Result<R, String> {
    use natter_shared::protocol::{ErrorBody, InvalidSettingsBody};
    use natter_widget::json;
    match natter_widget::net::put_json(url, body, token).await {
        Ok((200, text)) => json::parse(&text).ok_or_else(|| "The server's answer could not be read".to_owned()),
        Ok((_, text)) => Err(json::parse::<InvalidSettingsBody>(&text)
            .and_then(|refusal| refusal.fields.into_iter().next().map(|f| f.message))
            .or_else(|| json::parse::<ErrorBody>(&text).map(|e| e.message))
            .unwrap_or(text)),
        Err(e) => Err(e.0),
    }
}

/// How the last request of a form went: a problem (announced at once) or news.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Problem(String),
    Done(String),
}

/// Shows an [`Outcome`]; problems are alerts, the rest polite status.
pub fn outcome(state: RwSignal<Option<Outcome>>) -> impl IntoView {
    view! {
        <p class="problem" role="alert">{move || match state.get() { Some(Outcome::Problem(p)) => tr_any(&p), _ => String::new() }}</p>
        <p class="status" role="status">{move || match state.get() { Some(Outcome::Done(d)) => tr_any(&d), _ => String::new() }}</p>
    }
}
