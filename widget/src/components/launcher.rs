//! The chat button, in the site's position and shape, with the unread badge.

use leptos::prelude::*;
use natter_shared::settings::Position;

use super::icons::{ChatIcon, CloseIcon};
use crate::chat::Chat;

/// The class that places the launcher (and the window beside it); as in loader.js.
pub fn position_class(position: Position) -> &'static str {
    match position {
        Position::RoundBottomRight => "round_bottom_right",
        Position::Hidden => "hidden",
        Position::TabBottomRight => "tab_bottom_right",
        Position::TabBottomCenter => "tab_bottom_center",
        Position::TabBottomLeft => "tab_bottom_left",
        Position::TabRightCenter => "tab_right_center",
        Position::TabLeftCenter => "tab_left_center",
    }
}

#[component]
pub fn Launcher() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let unread = move || chat.unread();
    let strings = chat.site.strings();
    let position = chat.site.settings.with_untracked(|s| s.position);
    // Page code's `show` brings an "always hidden" launcher to the default place.
    // One class string (not also `class:hidden`), so no update can undo another.
    let place = move || {
        let shown = chat.window.launcher.get() == Some(true) && position == Position::Hidden;
        position_class(if shown { Position::default() } else { position })
    };
    let hidden = move || chat.window.open.get() || chat.site.hidden() || chat.window.launcher.get() == Some(false);
    let class = move || format!("launcher {}{}", place(), if hidden() { " hidden" } else { "" });
    // The reply preview goes where the launcher is, and only where it is seen.
    let preview_shown = move || chat.window.preview.with(Option::is_some) && !hidden() && place() != "hidden";
    let label = chat.site.text(|t| &t.launcher_label, |s| s.launcher_label);
    let name = {
        let label = label.clone();
        move || strings.launcher_name(&label, unread())
    };
    // (The space, not drawn in the flex box, keeps "Chat 1" two words for the name check.)
    view! {
        <button class=class aria-label=name on:click=move |_| chat.open_by_visitor()>
            <ChatIcon/>
            <span class="label">{label}</span>
            <Show when=move || { unread() > 0 }>
                " "<span class="badge">{unread}</span>
            </Show>
        </button>
        <Show when=preview_shown>
            <div class="preview" data-place=place>
                <button type="button" class="preview-open" on:click=move |_| chat.open_by_visitor()>
                    {move || chat.window.preview.get().map(|(author, text)| view! {
                        <strong class="preview-author">{author}</strong>
                        <span class="preview-text" dir="auto">{text}</span>
                    })}
                </button>
                <button type="button" class="preview-hide" aria-label=strings.hide_preview
                    on:click=move |_| {
                        chat.window.preview.set(None);
                        chat.window.focus(crate::focus::LAUNCHER);
                    }>
                    <CloseIcon/>
                </button>
            </div>
        </Show>
        // What came while the window was closed, said once (the window's own log is
        // hidden then).
        <p class="announcer" role="status">{move || chat.window.announcement.get()}</p>
    }
}
