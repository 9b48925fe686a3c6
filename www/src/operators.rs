//! Operators (admins): who answers chats, with their role, sites and whether they are
//! online; invite by e-mail (a one-time link to copy, also e-mailed when the deployment
//! sends e-mail), edit, deactivate (their sessions end at once) and delete.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::accounts::{Invitation, Invite, OperatorInfo, OperatorUpdate, SiteInfo};
use natter_shared::ids::SiteId;
use natter_shared::protocol::Role;
use natter_widget::{json, net};

use crate::fields::{input, outcome, Outcome};
use crate::session::{confirmed, edge, Console, Deleted};
use crate::i18n::{tr, trf};

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => tr("Admin"),
        Role::Agent => tr("Agent"),
    }
}

#[component]
pub fn OperatorsPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let operators = RwSignal::new(Vec::<OperatorInfo>::new());
    let editing = RwSignal::new(None::<OperatorInfo>);
    let state = RwSignal::new(None::<Outcome>);
    let reload = move || {
        spawn_local(async move {
            match net::get(&format!("{}/v1/console/operators", edge()), Some(&console.token())).await {
                Ok((200, text)) => operators.set(json::parse(&text).unwrap_or_default()),
                _ => state.set(Some(Outcome::Problem("The operators could not be loaded.".into()))),
            }
        });
    };
    reload();
    let sites = move || console.me.get().map(|me| me.sites).unwrap_or_default();
    let site_names = move |ids: &[SiteId], role: Role| -> String {
        if role == Role::Admin {
            return "All sites".into();
        }
        let all = sites();
        let names: Vec<String> = ids.iter().map(|id| all.iter().find(|s| &s.id == id).map_or_else(|| id.to_string(), |s| s.name.clone())).collect();
        if names.is_empty() { tr("None").into() } else { names.join(", ") }
    };
    view! {
        <main class="page operators">
            <h2>{tr("Operators")}</h2>
            {outcome(state)}
            <div class="table-wrap" tabindex="0" role="region" aria-label=tr("Operators of the organisation")>
            <table>
                <thead><tr>
                    <th scope="col">{tr("Name")}</th><th scope="col">{tr("Title")}</th><th scope="col">{tr("Email")}</th><th scope="col">{tr("Phone")}</th>
                    <th scope="col">{tr("Role")}</th><th scope="col">{tr("Sites")}</th><th scope="col">{tr("Status")}</th><th scope="col"><span class="visually-hidden">{tr("Actions")}</span></th>
                </tr></thead>
                <tbody>
                    <For each=move || operators.get() key=|o| format!("{o:?}") children=move |o| {
                        let status = if !o.active { "Deactivated" } else if !o.joined { tr("Invited") } else if o.online { tr("Online now") } else { tr("Offline") };
                        let edit = o.clone();
                        let label = trf("Edit {}", &[&o.name]);
                        view! {
                            <tr>
                                <td>{o.name.clone()}</td><td>{o.title.clone()}</td><td>{o.email.clone()}</td><td>{o.phone.clone()}</td>
                                <td>{role_name(o.role)}</td><td>{site_names(&o.sites, o.role)}</td><td>{status}</td>
                                <td><button type="button" on:click=move |_| editing.set(Some(edit.clone()))>{label}</button></td>
                            </tr>
                        }
                    }/>
                </tbody>
            </table>
            </div>
            {move || editing.get().map(|o| view! { <EditOperator operator=o sites=sites() editing reload/> })}
            <InviteForm sites=Signal::derive(sites) reload/>
        </main>
    }
}

/// Checkboxes of the organisation's sites, in a group named tr("Sites").
fn site_choice(sites: Vec<SiteInfo>, chosen: RwSignal<Vec<SiteId>>, for_admin: Signal<bool>) -> impl IntoView {
    view! {
        <fieldset class="sites-choice" disabled=move || for_admin.get()>
            <legend>{tr("Sites")}</legend>
            <Show when=move || for_admin.get()><p class="hint">{tr("Admins work on every site.")}</p></Show>
            {sites.into_iter().map(|site| {
                let id = site.id.clone();
                let checked = { let id = id.clone(); move || chosen.with(|c| c.contains(&id)) };
                view! {
                    <label class="check">
                        <input type="checkbox" prop:checked=checked on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            chosen.update(|c| { c.retain(|s| s != &id); if on { c.push(id.clone()); } });
                        }/>
                        {format!(" {}", site.name)}
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
}

fn role_select(role: RwSignal<Role>) -> impl IntoView {
    view! {
        <label>{tr("Role")}
            <select prop:value=move || if role.get() == Role::Admin { "admin" } else { "agent" }
                on:change=move |ev| role.set(if event_target_value(&ev) == "admin" { Role::Admin } else { Role::Agent })>
                <option value="agent">{tr("Agent: answers chats on their sites")}</option>
                <option value="admin">{tr("Admin: also manages sites, operators and settings")}</option>
            </select>
        </label>
    }
}

#[component]
fn InviteForm(sites: Signal<Vec<SiteInfo>>, reload: impl Fn() + Copy + 'static) -> impl IntoView {
    let console = expect_context::<Console>();
    let name = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Agent);
    let chosen = RwSignal::new(console.site.get_untracked().into_iter().collect::<Vec<_>>());
    let state = RwSignal::new(None::<Outcome>);
    let link = RwSignal::new(None::<Invitation>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = Invite {
            email: email.get_untracked(),
            name: name.get_untracked(),
            title: title.get_untracked(),
            role: role.get_untracked(),
            sites: chosen.get_untracked(),
        };
        if let Err(problem) = body.check() {
            state.set(Some(Outcome::Problem(problem)));
            return;
        }
        spawn_local(async move {
            match console.request::<_, Invitation>("POST", &format!("{}/v1/console/operators", edge()), Some(&body)).await {
                Ok(invitation) => {
                    let sent = if invitation.emailed { tr("We e-mailed them the link too.") } else { tr("Copy the link and send it to them.") };
                    state.set(Some(Outcome::Done(trf("{} is invited. {} It works once, for 7 days.", &[&invitation.operator.name, sent]))));
                    link.set(Some(invitation));
                    name.set(String::new());
                    title.set(String::new());
                    email.set(String::new());
                    reload();
                }
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    };
    let for_admin = Signal::derive(move || role.get() == Role::Admin);
    view! {
        <form class="card" on:submit=submit aria-labelledby="invite-heading">
            <h3 id="invite-heading">{tr("Invite an operator")}</h3>
            {input(tr("Name"), "text", "off", name, true)}
            {input(tr("Title"), "text", "off", title, false)}
            {input(tr("Email"), "email", "off", email, true)}
            {role_select(role)}
            {move || site_choice(sites.get(), chosen, for_admin)}
            {outcome(state)}
            <button type="submit">{tr("Invite operator")}</button>
            {move || link.get().map(|invitation| view! {
                <label class="block">{tr("Invitation link")}
                    <input type="text" readonly class="code" prop:value=invitation.link.clone()
                        on:focus=move |ev| {
                            use wasm_bindgen::JsCast;
                            if let Some(field) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) { field.select(); }
                        }/>
                </label>
            })}
        </form>
    }
}

#[component]
fn EditOperator(
    operator: OperatorInfo,
    sites: Vec<SiteInfo>,
    editing: RwSignal<Option<OperatorInfo>>,
    reload: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let console = expect_context::<Console>();
    let name = RwSignal::new(operator.name.clone());
    let title = RwSignal::new(operator.title.clone());
    let phone = RwSignal::new(operator.phone.clone());
    let role = RwSignal::new(operator.role);
    let active = RwSignal::new(operator.active);
    let chosen = RwSignal::new(operator.sites.clone());
    let state = RwSignal::new(None::<Outcome>);
    let endpoint = StoredValue::new(format!("{}/v1/console/operators/{}", edge(), operator.id));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = OperatorUpdate {
            name: name.get_untracked(),
            title: title.get_untracked(),
            phone: phone.get_untracked(),
            role: role.get_untracked(),
            sites: chosen.get_untracked(),
            active: active.get_untracked(),
        };
        if let Err(problem) = body.check() {
            state.set(Some(Outcome::Problem(problem)));
            return;
        }
        spawn_local(async move {
            match console.request::<_, OperatorInfo>("PUT", &endpoint.get_value(), Some(&body)).await {
                Ok(_) => {
                    editing.set(None);
                    reload();
                }
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    };
    let who = operator.name.clone();
    let delete = move |_| {
        let asked = trf("Delete {}? They can no longer sign in; their messages stay in the conversations.", &[&who]);
        if !confirmed(&asked) {
            return;
        }
        spawn_local(async move {
            match console.request::<(), Deleted>("DELETE", &endpoint.get_value(), None).await {
                Ok(_) => {
                    editing.set(None);
                    reload();
                }
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    };
    let link = RwSignal::new(None::<String>);
    let id = operator.id.clone();
    let new_link = move |_| {
        let url = format!("{}/v1/console/operators/{id}/invitation", edge());
        spawn_local(async move {
            match console.request::<(), Invitation>("POST", &url, None).await {
                Ok(invitation) => link.set(Some(invitation.link)),
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    };
    let for_admin = Signal::derive(move || role.get() == Role::Admin);
    let heading = trf("Edit {}", &[&operator.name]);
    view! {
        <form class="card" on:submit=save aria-label=heading.clone()>
            <h3>{heading.clone()}</h3>
            {input(tr("Name"), "text", "off", name, true)}
            {input(tr("Title"), "text", "off", title, false)}
            {input(tr("Phone"), "tel", "off", phone, false)}
            {role_select(role)}
            {site_choice(sites, chosen, for_admin)}
            <label class="check">
                <input type="checkbox" prop:checked=move || active.get() on:change=move |ev| active.set(event_target_checked(&ev))/>
                {tr(" Active (unticked: they are signed out at once and cannot sign in)")}
            </label>
            {outcome(state)}
            <div class="actions">
                <button type="submit">{tr("Save operator")}</button>
                <button type="button" on:click=move |_| editing.set(None)>{tr("Cancel")}</button>
                {(!operator.joined).then(|| view! { <button type="button" on:click=new_link.clone()>{tr("New invitation link")}</button> })}
                <button type="button" class="danger" on:click=delete>{tr("Delete operator")}</button>
            </div>
            {move || link.get().map(|link| view! {
                <label class="block">{tr("Invitation link")}<input type="text" readonly class="code" prop:value=link/></label>
            })}
        </form>
    }
}
