//! Installation, per site: the embed line to copy, where it may run, and a test page on
//! the edge to send oneself a message without touching the site.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

use crate::session::{edge, Console};
use crate::i18n::{tr, trf};

#[component]
pub fn InstallationPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let copied = RwSignal::new(String::new());
    let snippet = move || {
        console
            .site
            .get()
            .map(|site| format!("<script src=\"{}/natter.js\" data-site=\"{site}\" async></script>", edge()))
            .unwrap_or_default()
    };
    let copy = move |_| {
        let text = snippet();
        spawn_local(async move {
            let Some(window) = web_sys::window() else { return };
            let done = JsFuture::from(window.navigator().clipboard().write_text(&text)).await;
            copied.set(if done.is_ok() { tr("Copied.").into() } else { tr("Select the code and copy it.").into() });
        });
    };
    view! {
        <main class="page installation">
            {move || console.current_site().map(|site| {
                let test_page = format!("{}/test/{}", edge(), site.id);
                let origins = site.allowed_origins.clone();
                view! {
                    <h2>{trf("Install the chat on {}", &[&site.name])}</h2>
                    <Show when=move || site.disabled>
                        <p class="warning">{tr("This site's chat is switched off: the widget draws nothing until an admin switches it on in Sites.")}</p>
                    </Show>
                    <p>{tr("Put this line into every page of your site, before ")}<code>"</body>"</code>":"</p>
                    <label class="block">{tr("Embed code")}
                        <textarea readonly rows="3" class="code" on:focus=move |ev| {
                            use wasm_bindgen::JsCast;
                            if let Some(area) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok()) { area.select(); }
                        }>{snippet()}</textarea>
                    </label>
                    <p><button type="button" on:click=copy>{tr("Copy")}</button> <span role="status">{move || copied.get()}</span></p>
                    <h3>{tr("Where it may run")}</h3>
                    <p>{tr("Pages from these origins may show the widget (admins change them in Sites):")}</p>
                    <ul class="origins">
                        {origins.into_iter().map(|o| view! { <li><code>{if o == "*" { tr("any origin (*)").to_owned() } else { o }}</code></li> }).collect_view()}
                    </ul>
                    <h3>{tr("Try it")}</h3>
                    <p>{tr("A page on your Natter relay with this site's widget: write to yourself, and the message arrives in the Inbox.")}</p>
                    <p><a class="button" href=test_page target="_blank" rel="noopener">{tr("Send yourself a test message")}</a></p>
                }
            })}
        </main>
    }
}
