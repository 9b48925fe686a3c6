//! The transfer dialog: the site's operators, online ones first; the one chosen owns
//! the conversation and is told so.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::shift::{Teammate, TransferRequest};

use crate::conversation::Thread;
use crate::i18n::tr;
use crate::session::Console;

#[component]
pub fn TransferDialog(thread: Thread, done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let console = expect_context::<Console>();
    let team = RwSignal::new(None::<Result<Vec<Teammate>, String>>);
    let chosen = RwSignal::new(None::<natter_shared::ids::OperatorId>);
    let url = console.site_url("team");
    spawn_local(async move {
        let me = console.me_id();
        let loaded = console.request::<(), Vec<Teammate>>("GET", &url, None).await;
        team.set(Some(loaded.map(|t| t.into_iter().filter(|t| Some(&t.id) != me.as_ref()).collect()).map_err(|e| e.0)));
    });
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    Effect::new(move |_| {
        if let Some(dialog) = dialog.get() {
            // Modal: focus stays inside until it closes; Escape cancels.
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        }
    });
    let transfer = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(to) = chosen.get_untracked() {
            thread.act(console, "POST", "transfer", Some(TransferRequest { to }));
            done();
        }
    };
    view! {
        <dialog class="transfer" node_ref=dialog aria-labelledby="transfer-title" on:close=move |_| done()>
            <form on:submit=transfer>
                <h2 id="transfer-title">{tr("Transfer the conversation")}</h2>
                {move || match team.get() {
                    None => view! { <p class="hint">{tr("Connecting…")}</p> }.into_any(),
                    Some(Err(problem)) => view! { <p class="problem" role="alert">{tr("The operators could not be loaded.")}" "{problem}</p> }.into_any(),
                    Some(Ok(team)) if team.is_empty() => view! { <p class="hint">{tr("No other operator works on this site.")}</p> }.into_any(),
                    Some(Ok(team)) => view! {
                        <fieldset>
                            <legend>{tr("Transfer to")}</legend>
                            {team.into_iter().map(|mate| {
                                let id = mate.id.clone();
                                let state = if mate.online { tr("online") } else if mate.away { tr("away") } else { tr("offline") };
                                view! {
                                    <label class="check">
                                        <input type="radio" name="transfer-to" on:change=move |_| chosen.set(Some(id.clone()))/>
                                        {mate.name.clone()}" · "<span class:online=mate.online>{state}</span>
                                    </label>
                                }
                            }).collect_view()}
                        </fieldset>
                    }.into_any(),
                }}
                <div class="buttons">
                    <button type="submit" class="primary" disabled=move || chosen.get().is_none()>{tr("Transfer")}</button>
                    <button type="button" on:click=move |_| done()>{tr("Cancel")}</button>
                </div>
            </form>
        </dialog>
    }
}
