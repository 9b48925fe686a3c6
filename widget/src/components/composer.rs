//! The message box and Send button. Enter sends, Shift+Enter makes a new line.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use super::icons::{PaperclipIcon, SendIcon};
use crate::chat::Chat;
use crate::parts::part;
use crate::typing::Announcer;

part!(
    /// Checks, uploads and sends a file the visitor chose, in the `files` part.
    files, preload preload_files, fn attach(chat: Chat, file: web_sys::File) -> () { chat.attach(file) }
);

/// Four lines of the message box (20 px each, padding and border included).
const MAX_BOX_HEIGHT: i32 = 100;

#[component]
pub fn Composer() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let draft = chat.window.draft;
    // The box grows with what is typed, up to four lines (then it scrolls).
    let area = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        let text = draft.get();
        chat.window.open.track();
        let Some(area) = area.get() else { return };
        // Measured with the text it will show (this may run before `prop:value` does).
        if area.value() != text {
            area.set_value(&text);
        }
        let style = web_sys::HtmlElement::style(&area);
        let _ = style.set_property("height", "auto");
        // Hidden (the window closed), it has no height: the style sheet's then.
        if area.scroll_height() > 0 {
            let _ = style.set_property("height", &format!("{}px", (area.scroll_height() + 2).min(MAX_BOX_HEIGHT)));
        }
    });
    let announcer = Announcer::new();
    let submit = move || {
        if chat.send(&draft.get_untracked()).is_some() {
            draft.set(String::new());
            chat.typing(false);
            announcer.reset();
        }
    };
    let on_input = move |ev| {
        draft.set(event_target_value(&ev));
        if announcer.due() {
            chat.typing(true);
        }
    };
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() {
            ev.prevent_default();
            submit();
        }
    };
    let on_file = move |ev: web_sys::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        if let Some(file) = input.files().and_then(|files| files.get(0)) {
            spawn_local(async move {
                if attach(chat, file).await.is_err() {
                    chat.conversation.problem.set(Some(chat.site.strings().part_failed.into()));
                }
            });
        }
        input.set_value(""); // the same file can be chosen again
    };
    // Reaching for the button starts the files part's download, before a file is chosen.
    let warm = || spawn_local(async { let _ = preload_files().await; });
    let strings = chat.site.strings();
    view! {
        <Show when=move || chat.window.uploading.get()>
            <p class="notice" role="status">{strings.uploading}</p>
        </Show>
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <Show when=move || chat.site.files_allowed()>
                <label class="attach" title=strings.attach on:pointerenter=move |_| warm() on:focusin=move |_| warm()>
                    <input type="file" class="file-input" aria-label=strings.attach on:change=on_file/>
                    <PaperclipIcon/>
                </label>
            </Show>
            <textarea
                node_ref=area
                aria-label=chat.site.strings().message
                placeholder=chat.site.text(|t| &t.placeholder, |s| s.placeholder)
                rows="1"
                maxlength="4000"
                prop:value=move || draft.get()
                on:input=on_input
                on:keydown=on_keydown
            ></textarea>
            <button type="submit" class="send" aria-label=chat.site.strings().send><SendIcon/></button>
        </form>
    }
}
