//! The reply box: Enter sends, Shift+Enter breaks the line; "/" searches the canned
//! replies by title or text (the visitor's language first) and Enter inserts the one
//! chosen; an emoji picker (the system's font, nothing downloaded); pasted images are
//! sent as attachments. Writing into another operator's conversation says so before
//! sending.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::protocol::ClientFrame;
use natter_shared::settings::Language;
use natter_shared::shift::{search_canned, CannedReply, ConversationState};
use natter_widget::typing::Announcer;
use wasm_bindgen::JsCast;

use crate::conversation::Thread;
use crate::i18n::{tr, trf};
use crate::session::Console;

const EMOJI: [&str; 24] = [
    "😀", "😊", "😉", "😍", "🤔", "😅", "😢", "🙏", "👍", "👎", "👋", "👌", "🎉", "❤️", "🔥", "✅", "❌", "⏳", "📦", "💳",
    "📞", "✉️", "🚚", "🙂",
];

/// The canned replies of the site shown, loaded once per conversation opened.
fn load_canned(console: Console, into: RwSignal<Vec<CannedReply>>) {
    let url = console.site_url("canned");
    spawn_local(async move {
        if let Ok(replies) = console.request::<(), Vec<CannedReply>>("GET", &url, None).await {
            into.set(replies);
        }
    });
}

#[component]
pub fn ReplyBox(thread: Thread) -> impl IntoView {
    let console = expect_context::<Console>();
    let draft = RwSignal::new(String::new());
    let announcer = Announcer::new();
    let canned = RwSignal::new(Vec::<CannedReply>::new());
    load_canned(console, canned);
    let chosen = RwSignal::new(0usize);
    let emoji_open = RwSignal::new(false);
    let textarea = NodeRef::<leptos::html::Textarea>::new();

    // "/query" at the start of the box: the matching canned replies.
    let visitor_language = move || thread.visitor.with(|v| v.as_ref().and_then(|v| Language::from_tag(&v.page.language)));
    let matches = move || {
        let text = draft.get();
        let query = text.strip_prefix('/')?;
        if query.contains('\n') {
            return None;
        }
        Some(canned.with(|all| search_canned(all, query, visitor_language()).into_iter().take(8).cloned().collect::<Vec<_>>()))
    };
    let insert = move |reply: &CannedReply| {
        draft.set(reply.text.clone());
        chosen.set(0);
        if let Some(area) = textarea.get() {
            let _ = area.focus();
        }
    };
    let submit = move || {
        // Answering a conversation nobody has makes it this operator's: no news to them.
        let takes = thread.status.with_untracked(|s| s.as_ref().is_none_or(|s| s.owner.is_none() || s.state == ConversationState::Closed));
        if thread.send(&draft.get_untracked()) {
            if takes {
                console.acted_on(&thread.id.get_value());
            }
            draft.set(String::new());
            thread.conversation.send(&ClientFrame::Typing { typing: false });
            announcer.reset();
        }
    };
    // Someone else has it: say so before the operator sends.
    let other_owner = move || {
        let status = thread.status.get()?;
        let owner = status.owner.filter(|o| Some(&o.id) != console.me_id().as_ref())?;
        (status.state != ConversationState::Closed && !draft.get().trim().is_empty()).then_some(owner.name)
    };
    let keydown = move |ev: web_sys::KeyboardEvent| {
        if let Some(found) = matches() {
            match ev.key().as_str() {
                "ArrowDown" if !found.is_empty() => {
                    ev.prevent_default();
                    chosen.update(|c| *c = (*c + 1) % found.len());
                    return;
                }
                "ArrowUp" if !found.is_empty() => {
                    ev.prevent_default();
                    chosen.update(|c| *c = (*c + found.len() - 1) % found.len());
                    return;
                }
                "Enter" if !ev.shift_key() => {
                    ev.prevent_default();
                    if let Some(reply) = found.get(chosen.get_untracked().min(found.len().saturating_sub(1))) {
                        insert(reply);
                    }
                    return;
                }
                "Escape" => {
                    ev.prevent_default();
                    draft.set(String::new());
                    return;
                }
                _ => {}
            }
        }
        if ev.key() == "Enter" && !ev.shift_key() {
            ev.prevent_default();
            submit();
        }
    };
    let paste = move |ev: web_sys::ClipboardEvent| {
        let Some(files) = ev.clipboard_data().and_then(|data| data.files()) else { return };
        if files.length() == 0 {
            return;
        }
        ev.prevent_default();
        for i in 0..files.length() {
            if let Some(file) = files.get(i) {
                thread.attach(file, console);
            }
        }
    };
    view! {
        <Show when=move || other_owner().is_some()>
            <p class="notice owner-warning" role="status">
                {move || other_owner().map(|name| trf("{} is answering this conversation: your reply will join it.", &[&name]))}
            </p>
        </Show>
        {move || matches().map(|found| if found.is_empty() {
            view! { <p class="hint canned-none" role="status">{tr("No canned reply matches.")}</p> }.into_any()
        } else {
            view! {
                <ul class="canned-list" id="canned-list" role="listbox" aria-label=tr("Canned replies")>
                    {found.into_iter().enumerate().map(|(i, reply)| {
                        let picked = reply.clone();
                        view! {
                            <li role="option" id=format!("canned-{i}") class="canned"
                                aria-selected=move || (chosen.get() == i).to_string()
                                on:mousedown=move |ev| { ev.prevent_default(); insert(&picked); }>
                                <strong>{reply.title.clone()}</strong>" "<span>{reply.text.clone()}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        })}
        <Show when=move || emoji_open.get()>
            <div class="emoji-picker" role="group" aria-label=tr("Emoji")>
                {EMOJI.into_iter().map(|emoji| view! {
                    <button type="button" class="emoji" aria-label=emoji on:click=move |_| {
                        draft.update(|d| d.push_str(emoji));
                        emoji_open.set(false);
                        if let Some(area) = textarea.get() { let _ = area.focus(); }
                    }>{emoji}</button>
                }).collect_view()}
            </div>
        </Show>
        <form class="reply" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <textarea aria-label=tr("Reply") placeholder=tr("Write a reply… (/ for canned replies)") maxlength="4000" node_ref=textarea
                aria-controls=move || matches().filter(|f| !f.is_empty()).map(|_| "canned-list") aria-autocomplete="list"
                aria-activedescendant=move || matches().filter(|f| !f.is_empty()).map(|_| format!("canned-{}", chosen.get()))
                prop:value=move || draft.get()
                on:input=move |ev| {
                    draft.set(event_target_value(&ev));
                    chosen.set(0);
                    if announcer.due() {
                        thread.conversation.send(&ClientFrame::Typing { typing: true });
                    }
                }
                on:keydown=keydown
                on:paste=paste
            ></textarea>
            <button type="button" class="tool" aria-label=tr("Emoji") aria-expanded=move || emoji_open.get().to_string()
                on:click=move |_| emoji_open.update(|o| *o = !*o)>
                <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">
                    <circle cx="12" cy="12" r="9"/><path d="M8 14s1.5 2 4 2 4-2 4-2"/><path d="M9 9.5h.01M15 9.5h.01"/>
                </svg>
            </button>
            <label class="attach tool">
                <input type="file" aria-label=tr("Attach a file") on:change=move |ev: web_sys::Event| {
                    let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
                    if let Some(file) = input.files().and_then(|files| files.get(0)) {
                        thread.attach(file, console);
                    }
                    input.set_value("");
                }/>
                {tr("Attach")}
            </label>
            <button type="submit">{tr("Send")}</button>
        </form>
    }
}
