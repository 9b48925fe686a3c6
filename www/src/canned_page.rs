//! Canned replies: the site's (admins add and change them) and the operator's own
//! ("Only for me"), each with a title, text and language. Operators insert them by
//! typing "/" in the reply box.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::settings::Language;
use natter_shared::shift::{CannedDraft, CannedReply};

use crate::fields::{outcome, Outcome};
use crate::i18n::{reply_title, tr, trf};
use crate::session::{confirmed, Console, Deleted};

fn blank(personal: bool) -> CannedDraft {
    CannedDraft { title: String::new(), text: String::new(), language: crate::i18n::language(), personal }
}

#[component]
pub fn CannedPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let admin = console.is_admin();
    let replies = RwSignal::new(None::<Vec<CannedReply>>);
    let state = RwSignal::new(None::<Outcome>);
    let draft = RwSignal::new(blank(!admin));
    let editing = RwSignal::new(None::<String>);
    let load = move || {
        let url = console.site_url("canned");
        spawn_local(async move {
            match console.request::<(), Vec<CannedReply>>("GET", &url, None).await {
                Ok(list) => replies.set(Some(list)),
                Err(e) => state.set(Some(Outcome::Problem(format!("{} {}", tr("The canned replies could not be loaded."), e.0)))),
            }
        });
    };
    load();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = draft.get_untracked();
        if let Err(problem) = body.check() {
            state.set(Some(Outcome::Problem(problem)));
            return;
        }
        let (method, url) = match editing.get_untracked() {
            Some(id) => ("PUT", console.site_url(&format!("canned/{id}"))),
            None => ("POST", console.site_url("canned")),
        };
        spawn_local(async move {
            match console.request::<_, Vec<CannedReply>>(method, &url, Some(&body)).await {
                Ok(list) => {
                    replies.set(Some(list));
                    draft.set(blank(!admin));
                    editing.set(None);
                    state.set(Some(Outcome::Done(tr("Saved.").into())));
                }
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    };
    let remove = move |reply: CannedReply| {
        if !confirmed(&trf("Delete the canned reply {}?", &[&reply.title])) {
            return;
        }
        let url = console.site_url(&format!("canned/{}", reply.id));
        spawn_local(async move {
            match console.request::<(), Deleted>("DELETE", &url, None).await {
                Ok(_) => load(),
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    };
    let language_name = |language: Language| if language == Language::Ru { tr("Russian") } else { tr("English") };
    view! {
        <main class="page canned-page">
            <h2>{tr("Canned replies")}</h2>
            <p class="hint">{tr("Type / in the reply box to find them by title or text; Enter inserts one.")}</p>
            {move || replies.get().map(|list| if list.is_empty() {
                view! { <p class="hint">{tr("No canned replies yet.")}</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th>{reply_title()}</th><th>{tr("Text")}</th><th>{tr("Language")}</th><th></th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|reply| {
                                let may_change = reply.personal || admin;
                                let (edited, removed) = (reply.clone(), reply.clone());
                                view! {
                                    <tr>
                                        <td>{reply.title.clone()}" "<span class="tag">{if reply.personal { tr("mine") } else { tr("site") }}</span></td>
                                        <td class="canned-text">{reply.text.clone()}</td>
                                        <td>{language_name(reply.language)}</td>
                                        <td class="row-actions">
                                            <Show when=move || may_change>
                                                <button aria-label=trf("Edit {}", &[&edited.title]) on:click={
                                                    let edited = edited.clone();
                                                    move |_| {
                                                        editing.set(Some(edited.id.clone()));
                                                        draft.set(CannedDraft { title: edited.title.clone(), text: edited.text.clone(), language: edited.language, personal: edited.personal });
                                                    }
                                                }>{tr("Edit")}</button>
                                                <button aria-label=trf("Delete {}", &[&removed.title]) on:click={
                                                    let removed = removed.clone();
                                                    move |_| remove(removed.clone())
                                                }>{tr("Delete")}</button>
                                            </Show>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            })}
            <form class="card" on:submit=save>
                <h3>{move || if editing.get().is_some() { tr("Save canned reply") } else { tr("Add canned reply") }}</h3>
                <label>{reply_title()}
                    <input type="text" required maxlength="80" prop:value=move || draft.with(|d| d.title.clone())
                        on:input=move |ev| draft.update(|d| d.title = event_target_value(&ev))/>
                </label>
                <label>{tr("Text")}
                    <textarea rows="4" required maxlength="2000" prop:value=move || draft.with(|d| d.text.clone())
                        on:input=move |ev| draft.update(|d| d.text = event_target_value(&ev))></textarea>
                </label>
                <label>{tr("Language")}
                    <select prop:value=move || if draft.with(|d| d.language) == Language::Ru { "ru" } else { "en" }
                        on:change=move |ev| draft.update(|d| d.language = Language::from_tag(&event_target_value(&ev)).unwrap_or_default())>
                        <option value="ru">{tr("Russian")}</option>
                        <option value="en">{tr("English")}</option>
                    </select>
                </label>
                <label class="check">
                    <input type="checkbox" disabled=!admin prop:checked=move || draft.with(|d| d.personal)
                        on:change=move |ev| draft.update(|d| d.personal = event_target_checked(&ev))/>
                    {tr("Only for me")}
                </label>
                {outcome(state)}
                <button type="submit">{move || if editing.get().is_some() { tr("Save canned reply") } else { tr("Add canned reply") }}</button>
            </form>
        </main>
    }
}
