//! The operator console: sign in (or sign up, join through an invitation, reset a
//! password), then, per site: watch the inbox live, open a conversation, see who the
//! visitor is and reply; admins also manage sites, operators and widget settings.
//! Served at `/console/`; talks to the edge on the same origin.

mod alerts;
mod canned_page;
mod contact_settings;
mod conversation;
mod crm_panel;
mod crm_settings;
mod courier;
mod fields;
mod figures;
mod i18n;
mod inbox;
mod installation;
mod channel_settings;
mod integrations;
mod join;
mod journal;
mod operators;
mod problems;
mod profile;
mod reply_box;
mod routing_settings;
mod rules_editor;
mod session;
mod settings;
mod sign_in;
mod sites;
mod transfer;
mod visitors;
pub mod user_agent;
mod visitor_panel;

use leptos::prelude::*;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsCast;

use canned_page::CannedPage;
use conversation::ConversationView;
use inbox::Inbox;
use installation::InstallationPage;
use join::{JoinPage, LinkKind};
use figures::FiguresPage;
use integrations::IntegrationsPage;
use journal::JournalPage;
use natter_shared::ids::SiteId;
use operators::OperatorsPage;
use profile::ProfilePage;
use session::{Console, Page};
use settings::SettingsPage;
use sign_in::SignIn;
use sites::SitesPage;
use visitors::VisitorsPage;

use crate::i18n::{tr, trf};

/// The one-time link in the address, if the page was opened from one: `#join=…`
/// (an invitation) or `#reset=…` (a password reset).
fn link_in_address() -> Option<(LinkKind, String)> {
    let hash = web_sys::window()?.location().hash().ok()?;
    if let Some(token) = hash.strip_prefix("#join=") {
        return Some((LinkKind::Invitation, token.to_owned()));
    }
    hash.strip_prefix("#reset=").map(|token| (LinkKind::Reset, token.to_owned()))
}

#[component]
fn App() -> impl IntoView {
    let console = Console::new();
    provide_context(console);
    let link = RwSignal::new(link_in_address());
    // A link opened in a tab that has the console already changes only the hash.
    let follow = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
        if let Some(found) = link_in_address() {
            link.set(Some(found));
        }
    });
    if let Some(window) = web_sys::window() {
        let _ = window.add_event_listener_with_callback("hashchange", follow.as_ref().unchecked_ref());
    }
    // The console lives as long as the page.
    follow.forget();
    view! {
        {move || {
            // Another language: everything is drawn anew in it.
            console.language.track();
            match (link.get(), console.session.get().is_some()) {
            (Some((kind, token)), _) => view! { <JoinPage kind token done=move || link.set(None)/> }.into_any(),
            (None, false) => view! { <SignIn/> }.into_any(),
            (None, true) => view! { <Workplace/> }.into_any(),
        }}}
    }
}

#[component]
fn Workplace() -> impl IntoView {
    let console = expect_context::<Console>();
    let go = move |page: Page| {
        if console.page.get_untracked() != page && console.may_leave() {
            let from = console.page.get_untracked();
            if from == Page::Journal {
                journal::clear_address();
            }
            // A conversation opened from the journal is not carried to the inbox, nor
            // the inbox's to the journal.
            if from == Page::Journal || page == Page::Journal {
                console.selected.set(None);
            }
            console.page.set(page);
        }
    };
    view! {
        <div class="console" class:reading=move || matches!(console.page.get(), Page::Inbox | Page::Journal) && console.selected.with(Option::is_some)>
            <header class="topbar">
                <h1>{tr("Natter")}</h1>
                <label class="site-switch">{tr("Site")}
                    <select prop:value=move || console.site.get().map(|s| s.to_string()).unwrap_or_default()
                        on:change=move |ev| {
                            let chosen = SiteId::parse(&event_target_value(&ev)).ok();
                            if console.may_leave() {
                                console.show_site(chosen);
                            } else if let Some(select) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok()) {
                                // Stay: the select goes back to the site shown.
                                select.set_value(&console.site.get_untracked().map(|s| s.to_string()).unwrap_or_default());
                            }
                        }>
                        {move || console.me.get().map(|me| me.sites).unwrap_or_default().into_iter().map(|site| {
                            let label = if site.disabled { trf("{} (switched off)", &[&site.name]) } else { site.name.clone() };
                            view! { <option value=site.id.to_string()>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <span class="who">{move || console.me.get().map(|me| format!("{} · {}", me.profile.name, me.organisation))}</span>
                <span class="online" role="status" aria-label=tr("Operators online")>
                    {move || {
                        let names: Vec<String> = console
                            .online
                            .get()
                            .into_iter()
                            .map(|o| if o.away { trf("{} (away)", &[&o.name]) } else { o.name })
                            .collect();
                        if names.is_empty() { String::new() } else { trf("Online: {}", &[&names.join(", ")]) }
                    }}
                </span>
                <label class="away">
                    <input type="checkbox" prop:checked=move || console.away()
                        on:change=move |ev| console.set_away(event_target_checked(&ev))/>
                    {tr(" Away")}
                </label>
                <button class="sign-out" on:click=move |_| if console.may_leave() { console.sign_out() }>{tr("Sign out")}</button>
            </header>
            <nav class="pages" aria-label=tr("Console")>
                {Page::ALL.into_iter().map(|page| view! {
                    <Show when=move || !page.admins_only() || console.is_admin()>
                        <button class="page-link" aria-current=move || (console.page.get() == page).then_some("page")
                            on:click=move |_| go(page)>{page.label()}</button>
                    </Show>
                }).collect_view()}
            </nav>
            <Show when=move || console.me.with(|me| me.as_ref().is_some_and(|me| me.sites.is_empty()))>
                <p class="notice" role="status">{tr("You do not work on any site yet: ask your organisation's admin to add you to one.")}</p>
            </Show>
            {move || {
                // Everything per site is drawn anew for another site.
                console.site.track();
                match console.page.get() {
                    Page::Inbox => view! { <Inbox/> <ConversationView/> }.into_any(),
                    Page::Journal => view! { <JournalPage/> }.into_any(),
                    Page::Visitors => view! { <VisitorsPage/> }.into_any(),
                    Page::Figures => view! { <FiguresPage/> }.into_any(),
                    Page::Integrations => view! { <IntegrationsPage/> }.into_any(),
                    Page::CannedReplies => view! { <CannedPage/> }.into_any(),
                    Page::Sites => view! { <SitesPage/> }.into_any(),
                    Page::Operators => view! { <OperatorsPage/> }.into_any(),
                    Page::Installation => view! { <InstallationPage/> }.into_any(),
                    Page::WidgetSettings => view! { <SettingsPage/> }.into_any(),
                    Page::Profile => view! { <ProfilePage/> }.into_any(),
                }
            }}
        </div>
    }
}

#[wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(App);
}
