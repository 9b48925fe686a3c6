//! A messenger bot on the Integrations page: the admin pastes its token, and the edge
//! checks it with the messenger and points the bot's webhook at Natter. Its users'
//! messages then come into the inbox. "Enabled" off keeps the token; "Remove bot"
//! forgets it. The token is never shown again, only its last four characters.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::channels::{ChannelChange, ChannelKind, ChannelState};

use crate::fields::{outcome, put_form, Outcome};
use crate::i18n::tr;
use crate::session::{confirmed, Console, Deleted};

fn token_label(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Telegram => tr("Telegram bot token"),
        ChannelKind::Viber => tr("Viber bot token"),
    }
}

fn how_to(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Telegram => tr("Create a bot with @BotFather in Telegram and paste the token it gives. Messages to the bot come into the inbox; answers go back to Telegram."),
        ChannelKind::Viber => tr("Create a bot account in the Viber Admin Panel and paste the token from its Info page. Messages to the bot come into the inbox; answers go back to Viber."),
    }
}

/// One bot's card; `initial` is how it stands (none: not connected).
#[component]
pub fn ChannelCard(kind: ChannelKind, initial: Option<ChannelState>) -> impl IntoView {
    let console = expect_context::<Console>();
    let stored = RwSignal::new(initial.clone());
    let enabled = RwSignal::new(initial.as_ref().is_some_and(|s| s.enabled));
    let token = RwSignal::new(String::new());
    let api = RwSignal::new(initial.as_ref().map(|s| s.api.clone()).filter(|a| a != kind.default_api()).unwrap_or_default());
    let state = RwSignal::new(None::<Outcome>);
    let busy = RwSignal::new(false);
    let url = console.site_url(&format!("channels/{}", kind.as_str()));
    let id = |part: &str| format!("{}-{part}", kind.as_str());
    let save = {
        let url = url.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let change = ChannelChange { token: token.get_untracked(), enabled: enabled.get_untracked(), api: api.get_untracked() };
            let url = url.clone();
            busy.set(true);
            state.set(None);
            spawn_local(async move {
                match put_form::<_, ChannelState>(&url, &change, &console.token()).await {
                    Ok(saved) => {
                        let message = if saved.enabled { format!("{} {}", tr("Connected:"), saved.bot) } else { tr("Saved. The bot is switched off; its token is kept.").into() };
                        stored.set(Some(saved));
                        token.set(String::new());
                        state.set(Some(Outcome::Done(message)));
                    }
                    Err(problem) => state.set(Some(Outcome::Problem(problem))),
                }
                busy.set(false);
            });
        }
    };
    let remove = move |_| {
        if !confirmed(tr("Remove this bot? Its users' messages stop coming in, and its token is forgotten. Their conversations stay.")) {
            return;
        }
        let url = url.clone();
        busy.set(true);
        spawn_local(async move {
            match console.request::<(), Deleted>("DELETE", &url, None).await {
                Ok(_) => {
                    stored.set(None);
                    enabled.set(false);
                    api.set(String::new());
                    state.set(Some(Outcome::Done(tr("The bot is removed.").into())));
                }
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
            busy.set(false);
        });
    };
    let standing = move || match stored.get() {
        Some(s) if s.enabled => view! {
            <p class="standing">{tr("Connected:")}" "<a href=s.link.clone() target="_blank" rel="noopener">{s.bot.clone()}</a></p>
        }.into_any(),
        Some(s) => view! { <p class="standing">{format!("{} …{}", tr("Switched off. Token kept, ending in"), s.token_end)}</p> }.into_any(),
        None => view! { <p class="standing">{tr("Not connected.")}</p> }.into_any(),
    };
    let placeholder = move || stored.with(|s| s.as_ref().map(|s| format!("…{} {}", s.token_end, tr("(stored; paste a new one to change it)"))).unwrap_or_default());
    view! {
        <form class="card channel" novalidate on:submit=save aria-label=kind.name()>
            <h3>{kind.name()}</h3>
            <p class="hint" id=id("how")>{how_to(kind)}</p>
            {standing}
            <label class="check">
                <input type="checkbox" prop:checked=move || enabled.get() on:change=move |ev| enabled.set(event_target_checked(&ev))/>
                {tr("Enabled")}
            </label>
            <label>{token_label(kind)}
                <input type="password" autocomplete="off" spellcheck="false" aria-describedby=id("how")
                    placeholder=placeholder prop:value=move || token.get() on:input=move |ev| token.set(event_target_value(&ev))/>
            </label>
            <label>{tr("API address")}
                <input type="url" autocomplete="off" spellcheck="false" aria-describedby=id("api-hint")
                    placeholder=kind.default_api() prop:value=move || api.get() on:input=move |ev| api.set(event_target_value(&ev))/>
            </label>
            <p class="hint" id=id("api-hint")>{tr("Leave it empty for the messenger's own. Another address is for a Bot API server of your own.")}</p>
            {outcome(state)}
            <div class="actions">
                <button type="submit" prop:disabled=move || busy.get()>{tr("Save")}</button>
                {move || stored.get().is_some().then(|| view! {
                    <button type="button" class="secondary" prop:disabled=move || busy.get() on:click=remove.clone()>{tr("Remove bot")}</button>
                })}
            </div>
        </form>
    }
}
