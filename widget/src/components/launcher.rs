//! The chat button, in the site's position and shape, with the unread badge.

use leptos::prelude::*;
use natter_shared::settings::Position;

use super::icons::ChatIcon;
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
    let class = move || {
        let shown = chat.window.launcher.get() == Some(true) && position == Position::Hidden;
        let hidden = chat.window.open.get() || chat.site.hidden() || chat.window.launcher.get() == Some(false);
        let place = position_class(if shown { Position::default() } else { position });
        format!("launcher {place}{}", if hidden { " hidden" } else { "" })
    };
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
        // What came while the window was closed, said once (the window's own log is
        // hidden then).
        <p class="announcer" role="status">{move || chat.window.announcement.get()}</p>
    }
}
