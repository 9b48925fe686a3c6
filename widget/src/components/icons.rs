//! Inline SVG icons (no icon fonts, no emoji: they must render on any host).

use leptos::prelude::*;

#[component]
pub fn ChatIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
            <path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"></path>
        </svg>
    }
}

#[component]
pub fn CloseIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
            <path d="M6 6l12 12M18 6L6 18"></path>
        </svg>
    }
}

#[component]
pub fn MailIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
            <path d="M3 6h18v12H3zM3 6l9 7 9-7"></path>
        </svg>
    }
}

#[component]
pub fn SendIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
            <path d="M3 20l18-8L3 4v6l12 2-12 2z"></path>
        </svg>
    }
}

#[component]
pub fn PaperclipIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
            <path d="M21 11l-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7"></path>
        </svg>
    }
}

#[component]
pub fn PersonIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
            <path d="M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0"></path>
        </svg>
    }
}

/// A simple line drawing for each messenger (stroked like the other icons); the
/// button's brand colour says the rest.
#[component]
pub fn MessengerIcon(kind: natter_shared::contact::Messenger) -> impl IntoView {
    use natter_shared::contact::Messenger;
    let d = match kind {
        // A paper plane.
        Messenger::Telegram => "M21 4L3 11l6 2 2 6 3-4 5 4zM9 13l9-6",
        // A handset in a speech bubble.
        Messenger::Whatsapp => "M4 20l1.5-4A8 8 0 1 1 8 18.5zM9 9c0 3 3 6 6 6l1-1.5-2-1-1 1c-1-.5-2-1.5-2.5-2.5l1-1-1-2z",
        // A handset with call waves.
        Messenger::Viber => "M6 3l3 1 1 4-2 1c1 2.5 3 4.5 5.5 5.5l1-2 4 1 1 3c-1 2-3 3-5 2.5C8 17 4 12 3.5 7 3.5 5 4.5 3.5 6 3zM14 3a7 7 0 0 1 7 7M14 7a3 3 0 0 1 3 3",
        // "VK".
        Messenger::Vk => "M3 7l3 10 3-10M12 7v10M18 7l-5 5 5 5",
        // A bubble with a lightning zigzag.
        Messenger::Facebook => "M12 3a9 8.5 0 0 0-5 15.5V22l3.5-2A9 8.5 0 1 0 12 3zM6.5 14l4-4 2.5 2.5 4-4-4 4",
        // A camera: rounded square, lens, flash.
        Messenger::Instagram => "M7 3h10a4 4 0 0 1 4 4v10a4 4 0 0 1-4 4H7a4 4 0 0 1-4-4V7a4 4 0 0 1 4-4zM12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zM17 6.5v.5",
        // An envelope.
        Messenger::Email => "M3 5h18v14H3zM3 5l9 8 9-8",
        // A handset.
        Messenger::Phone => "M6 3l3 1 1 4-2 1c1 2.5 3 4.5 5.5 5.5l1-2 4 1 1 3c-1 2-3 3-5 2.5C8 17 4 12 3.5 7 3.5 5 4.5 3.5 6 3z",
    };
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d=d></path></svg>
    }
}
