//! What the visitor sees as the conversation changes hands or ends: "You are now
//! talking to NAME", and after an operator closed it, the end and a rating (good or
//! bad, an optional comment; in the `ended` part). Writing again reopens the conversation.

use leptos::prelude::*;
use natter_shared::shift::ConversationState;

use crate::chat::Chat;
use crate::parts::{lazy, part};

#[component]
pub fn TalkingTo() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = chat.site.strings();
    let shown = move || {
        let open = chat.status.with(|s| s.as_ref().is_some_and(|s| s.state != ConversationState::Closed));
        chat.talking_to.get().filter(|_| open).map(|name| strings.talking_to(&name))
    };
    view! { <Show when=move || shown().is_some()><p class="notice" role="status">{shown}</p></Show> }
}

/// The end of the conversation: the notice and the rating form, from the `ended` part
/// (drawn only once an operator has closed the conversation).
#[component]
pub fn Ended() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let closed = move || chat.status.with(|s| s.as_ref().is_some_and(|s| s.state == ConversationState::Closed));
    view! { <Show when=closed>{lazy(preload_ended, ended)}</Show> }
}

part!(
    /// "The conversation has ended" and the rating form.
    ended, preload preload_ended, fn ended() -> AnyView {
        ended_view().into_any()
    }
);

fn ended_view() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = chat.site.strings();
    let rated = move || chat.status.with(|s| s.as_ref().is_some_and(|s| s.rating.is_some()));
    let good = RwSignal::new(None::<bool>);
    let comment = RwSignal::new(String::new());
    let choice = move |value: bool, label: &'static str| {
        view! {
            <button type="button" class="choice" aria-pressed=move || (good.get() == Some(value)).to_string()
                on:click=move |_| good.set(Some(value))>{label}</button>
        }
    };
    view! {
        <section class="ended" aria-label=strings.rate_prompt>
            <p class="notice" role="status">{strings.conversation_ended}</p>
            <Show when=move || !rated() fallback=move || view! { <p class="notice" role="status">{strings.rating_thanks}</p> }>
                <form class="rating" on:submit=move |ev| {
                    ev.prevent_default();
                    if let Some(value) = good.get_untracked() {
                        chat.rate(value, comment.get_untracked());
                    }
                }>
                    <div class="rate-row">
                        <p class="rate-prompt">{strings.rate_prompt}</p>
                        <div class="choices">{choice(true, strings.good)}{choice(false, strings.bad)}</div>
                    </div>
                    // The comment and the button come once a choice is made: the log keeps its room.
                    <Show when=move || good.get().is_some()>
                        <label class="field">
                            <span>{strings.comment}" ("{strings.optional}")"</span>
                            <textarea rows="2" maxlength="1000" prop:value=move || comment.get()
                                on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                        </label>
                        <button type="submit" class="primary">{strings.send_rating}</button>
                    </Show>
                </form>
            </Show>
        </section>
    }
}
