//! The visitor's forms: "Introduce yourself" (name, and e-mail and phone as the site
//! asks) and the offline form (name, a contact, the message). Each field shows its own
//! problem, in the visitor's language, under it; nothing typed is thrown away.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::contact::{is_email, DetailProblem, DetailProblems, Need, VisitorDetails};

use crate::chat::Chat;
use crate::focus::FIRST_FIELD;
use crate::parts::part;

/// Which form the `forms` part draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Form {
    Details,
    Offline,
    /// The confirmation after an offline message (shown in the chat).
    OfflineSent,
    /// "Send transcript": where to e-mail the conversation.
    Transcript,
    /// Where the last transcript went (shown in the chat).
    TranscriptSent,
}

part!(
    /// The introduce or offline form, from the `forms` part.
    forms, preload preload_forms, fn form(which: Form) -> AnyView {
        match which {
            Form::Details => view! { <DetailsForm/> }.into_any(),
            Form::Offline => view! { <OfflineForm/> }.into_any(),
            Form::OfflineSent => offline_sent().into_any(),
            Form::Transcript => view! { <TranscriptForm/> }.into_any(),
            Form::TranscriptSent => transcript_sent().into_any(),
        }
    }
);

/// A labelled input with its problem below it.
#[component]
fn Field(
    label: &'static str,
    /// `optional` is added to the label when set.
    optional: bool,
    name: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    value: Signal<String>,
    on_input: Callback<String>,
    problem: Signal<Option<DetailProblem>>,
) -> impl IntoView {
    let strings = expect_context::<Chat>().site.strings();
    let problem_id = format!("natter-{name}-problem");
    view! {
        <div class="field" class:invalid=move || problem.get().is_some()>
            <label>
                <span class="label-text">{label}{optional.then(|| format!(" ({})", strings.optional))}</span>
                <input name=name type=kind autocomplete=autocomplete prop:value=move || value.get()
                    aria-invalid=move || problem.get().is_some().to_string() aria-describedby=problem_id.clone()
                    on:input=move |ev| on_input.run(event_target_value(&ev))/>
            </label>
            <span class="field-problem" id=problem_id role="alert">{move || problem.get().map(|p| strings.problem(p))}</span>
        </div>
    }
}

/// "Introduce yourself": modal before the first message (the only way on), or opened
/// from the menu to change the details later.
#[component]
pub fn DetailsForm() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = chat.site.strings();
    let (email, phone) = chat.site.settings.with_untracked(|s| (s.introduce.email, s.introduce.phone));
    let problems = RwSignal::new(DetailProblems::default());
    let field = |pick: fn(&VisitorDetails) -> &String| Signal::derive(move || chat.visitor.form.with(|f| pick(f).clone()));
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let details = chat.visitor.form.get_untracked().trimmed();
        let found = details.check(email, phone);
        if found.is_empty() {
            chat.introduce(details);
            chat.window.editing.set(false);
            chat.window.focus(FIRST_FIELD);
        }
        problems.set(found);
    };
    chat.window.focus_form();
    view! {
        <form class="form details" novalidate on:submit=submit>
            <h3>{strings.introduce_title}</h3>
            <p class="hint">{strings.introduce_hint}</p>
            <Field label=strings.name optional=false name="name" kind="text" autocomplete="name"
                value=field(|f| &f.name) on_input=Callback::new(move |v| chat.visitor.edit_form(|f| f.name = v))
                problem=Signal::derive(move || problems.with(|p| p.name))/>
            {(email != Need::Off).then(|| view! {
                <Field label=strings.email optional=email == Need::Optional name="email" kind="email" autocomplete="email"
                    value=field(|f| &f.email) on_input=Callback::new(move |v| chat.visitor.edit_form(|f| f.email = v))
                    problem=Signal::derive(move || problems.with(|p| p.email))/>
            })}
            {(phone != Need::Off).then(|| view! {
                <Field label=strings.phone optional=phone == Need::Optional name="phone" kind="tel" autocomplete="tel"
                    value=field(|f| &f.phone) on_input=Callback::new(move |v| chat.visitor.edit_form(|f| f.phone = v))
                    problem=Signal::derive(move || problems.with(|p| p.phone))/>
            })}
            <div class="actions">
                <Show when=move || chat.window.editing.get()>
                    <button type="button" class="secondary" on:click=move |_| {
                        chat.window.editing.set(false);
                        chat.window.focus(FIRST_FIELD);
                    }>{strings.cancel}</button>
                </Show>
                <button type="submit" class="primary">{strings.save}</button>
            </div>
        </form>
    }
}

/// No operator online: the visitor leaves a message and where to answer. It goes
/// through the outbox like any message, so a failed request loses nothing.
#[component]
pub fn OfflineForm() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = chat.site.strings();
    // What was typed here before (the chat may have been shown meanwhile), else what
    // the visitor told us; the message is the message box's draft, in either view.
    let (known_name, known_contact) = chat.window.offline_form.get_untracked().unwrap_or_else(|| {
        let known = chat.visitor.details.get_untracked();
        let contact = if known.email.is_empty() { known.phone } else { known.email };
        (known.name, contact)
    });
    let (name, contact, text) = (RwSignal::new(known_name), RwSignal::new(known_contact), chat.window.draft);
    let keep = move || chat.window.offline_form.set(Some((name.get_untracked(), contact.get_untracked())));
    let problems = RwSignal::new(DetailProblems::default());
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        match VisitorDetails::from_offline_form(&name.get_untracked(), &contact.get_untracked()) {
            Ok(details) => {
                problems.set(DetailProblems::default());
                chat.introduce(details);
                if let Some(id) = chat.send(&text.get_untracked()) {
                    chat.window.offline_sent.set(Some((id, contact.get_untracked().trim().to_owned())));
                    text.set(String::new());
                    chat.window.focus(FIRST_FIELD);
                }
            }
            Err(found) => problems.set(found),
        }
    };
    chat.window.focus_form();
    view! {
        <form class="form offline" novalidate on:submit=submit>
            <p class="hint">{strings.offline_hint}</p>
            <Field label=strings.name optional=false name="name" kind="text" autocomplete="name"
                value=name.into() on_input=Callback::new(move |v| { name.set(v); keep(); })
                problem=Signal::derive(move || problems.with(|p| p.name))/>
            <Field label=strings.contact optional=false name="contact" kind="text" autocomplete="email"
                value=contact.into() on_input=Callback::new(move |v| { contact.set(v); keep(); })
                problem=Signal::derive(move || problems.with(|p| p.email))/>
            <div class="field">
                <label>
                    <span class="label-text">{strings.message}</span>
                    <textarea name="message" rows="4" maxlength="4000" prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                </label>
            </div>
            <div class="actions">
                <button type="submit" class="primary">{strings.send_message}</button>
            </div>
        </form>
    }
}

/// "Send transcript" (from the window's menu): the address, then the edge e-mails the
/// conversation. The window goes back to the chat, which says where it went.
#[component]
pub fn TranscriptForm() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = chat.site.strings();
    let email = RwSignal::new(chat.visitor.details.get_untracked().email);
    let problem = RwSignal::new(None::<DetailProblem>);
    let (sending, failed) = (RwSignal::new(false), RwSignal::new(false));
    let back = move || {
        chat.window.transcript.set(false);
        chat.window.focus(FIRST_FIELD);
    };
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let address = email.get_untracked().trim().to_owned();
        if !is_email(&address) {
            problem.set(Some(DetailProblem::BadEmail));
            return;
        }
        if sending.get_untracked() {
            return;
        }
        problem.set(None);
        failed.set(false);
        sending.set(true);
        spawn_local(async move {
            let result = chat.send_transcript(address.clone()).await;
            sending.set(false);
            match result {
                Ok(()) => {
                    chat.window.transcript_sent.set(Some(address));
                    back();
                }
                Err(_) => failed.set(true),
            }
        });
    };
    chat.window.focus_form();
    view! {
        <form class="form transcript" novalidate on:submit=submit>
            <h3>{strings.send_transcript}</h3>
            <p class="hint">{strings.transcript_hint}</p>
            <Field label=strings.transcript_email optional=false name="email" kind="email" autocomplete="email"
                value=email.into() on_input=Callback::new(move |v| email.set(v)) problem=problem.into()/>
            <p class="field-problem" role="alert">{move || failed.get().then_some(strings.transcript_failed)}</p>
            <div class="actions">
                <button type="button" class="secondary" on:click=move |_| back()>{strings.cancel}</button>
                <button type="submit" class="primary" aria-disabled=move || sending.get().to_string()>{strings.send}</button>
            </div>
        </form>
    }
}

/// Where the last transcript went.
fn transcript_sent() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = chat.site.strings();
    let sent = move || chat.window.transcript_sent.get().map(|email| strings.transcript_sent(&email));
    view! { <Show when=move || sent().is_some()><p class="notice" role="status">{sent}</p></Show> }
}

/// After an offline message: a clear confirmation once the edge has stored it.
fn offline_sent() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = chat.site.strings();
    let stored = move || {
        chat.window.offline_sent.with(|sent| {
            sent.as_ref().filter(|(id, _)| chat.conversation.log.with(|log| log.entries().iter().any(|e| &e.client_id == id && e.seq.is_some())))
                .map(|(_, contact)| format!("{}{contact}{}", strings.offline_sent.0, strings.offline_sent.1))
        })
    };
    view! { <Show when=move || stored().is_some()><p class="notice" role="status">{stored}</p></Show> }
}
