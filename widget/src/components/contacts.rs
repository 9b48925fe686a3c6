//! Ways on from the window: suggests (questions sent with one click) and the site's
//! messenger buttons. On a desktop, a messenger that lives on the phone opens a QR
//! code of its link instead, to scan and continue there. Suggests and messenger buttons
//! are drawn by the `ways` part, the QR code by the `qr` part.

use std::fmt::Write;

use leptos::prelude::*;
use natter_shared::contact::Messenger;
use natter_shared::protocol::AuthorKind;
use qrcodegen::{QrCode, QrCodeEcc};

use super::icons::{CloseIcon, MessengerIcon};
use crate::chat::Chat;
use crate::parts::{lazy, part};

/// The site's suggests as chips, before the visitor's first message (drawn by the
/// `ways` part).
#[component]
pub fn Suggests() -> impl IntoView {
    let chat = expect_context::<Chat>();
    // An empty one (being written in the configurator's preview) is no button yet.
    let any = chat.site.settings.with_untracked(|s| s.suggests.iter().any(|s| !s.text.is_blank()));
    // A greeting from a rule or an operator leaves them: the visitor has not asked yet.
    let fresh = move || chat.conversation.log.with(|log| log.last_written(AuthorKind::Visitor).is_none());
    any.then(|| view! { <Show when=fresh>{lazy(preload_ways, || ways(Way::Suggests))}</Show> })
}

/// The site's messenger buttons (drawn by the `ways` part).
#[component]
pub fn Contacts() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let any = chat.site.settings.with_untracked(|s| !s.contacts.is_empty());
    any.then(|| lazy(preload_ways, || ways(Way::Contacts)))
}

/// Which of the ways on the `ways` part draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Way {
    Suggests,
    Contacts,
}

part!(
    /// Suggests or messenger buttons, from the `ways` part.
    ways, preload preload_ways, fn ways(which: Way) -> AnyView {
        match which {
            Way::Suggests => suggest_chips().into_any(),
            Way::Contacts => contact_links().into_any(),
        }
    }
);

fn suggest_chips() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let language = chat.site.language();
    let suggests: Vec<String> = chat.site.settings.with_untracked(|s| {
        s.ordered_suggests().into_iter().filter(|s| !s.text.is_blank()).map(|s| s.text.get(language).to_owned()).collect()
    });
    view! {
        <ul class="suggests" aria-label=chat.site.strings().suggests>
            {suggests.into_iter().map(|text| {
                let sent = text.clone();
                view! { <li><button type="button" class="suggest" on:click=move |_| { chat.send(&sent); }>{text}</button></li> }
            }).collect_view()}
        </ul>
    }
}

/// Whether the visitor uses a mouse (a desktop), where messenger apps are rare.
fn on_desktop() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(hover: hover) and (pointer: fine)").ok().flatten())
        .is_some_and(|query| query.matches())
}

/// The messenger buttons: plain links (opened safely), or the QR code on desktops.
fn contact_links() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let contacts: Vec<(Messenger, String)> = chat.site.settings.with_untracked(|s| {
        s.contacts.iter().filter_map(|c| c.kind.link(&c.value).map(|link| (c.kind, link))).collect()
    });
    let shown_offline = chat.site.settings.with_untracked(|s| s.contacts_offline);
    (!contacts.is_empty()).then(|| {
        let buttons = contacts.into_iter().map(|(kind, link)| {
            let shown = link.clone();
            let on_click = move |ev: web_sys::MouseEvent| {
                if kind.wants_phone() && on_desktop() {
                    ev.prevent_default();
                    chat.window.qr.set(Some((kind, shown.clone())));
                }
            };
            let external = kind.wants_phone().then_some("_blank");
            view! {
                <li>
                    <a class=format!("contact {}", kind.key()) href=link target=external rel="noopener noreferrer"
                        aria-label=kind.title() title=kind.title() on:click=on_click>
                        <MessengerIcon kind=kind/>
                    </a>
                </li>
            }
        });
        // With nobody online too, unless the owner said no.
        view! {
            // A landmark, so named (by the words it shows).
            <nav class="contacts" aria-label=chat.site.strings().contact_us class:hidden=move || !shown_offline && !chat.site.online.get()>
                <span>{chat.site.strings().contact_us}</span>
                <ul>{buttons.collect_view()}</ul>
            </nav>
        }
    })
}

part!(
    /// The QR code of a messenger link over the window, with a way to open it here
    /// anyway, from the `qr` part.
    qr, preload preload_qr, fn qr_panel(kind: Messenger, link: String) -> AnyView {
        let chat = expect_context::<Chat>();
        let strings = chat.site.strings();
        // A dialog over the window: the keyboard goes into it (Escape or Cancel closes).
        chat.window.focus(&[".qr .close"]);
        view! {
            <div class="qr" role="dialog" aria-label=kind.title()>
                <button type="button" class="close" aria-label=strings.cancel on:click=move |_| chat.window.close_qr()>
                    <CloseIcon/>
                </button>
                {qr_code(&link)}
                <p>{strings.scan_hint.0}{kind.title()}{strings.scan_hint.1}</p>
                <a href=link target="_blank" rel="noopener noreferrer">{strings.open_here}</a>
            </div>
        }
        .into_any()
    }
);

/// A QR code of `text` as an SVG, one unit per module.
fn qr_code(text: &str) -> impl IntoView {
    let (mut size, mut path) = (0, String::new());
    if let Ok(qr) = QrCode::encode_text(text, QrCodeEcc::Medium) {
        size = qr.size();
        for y in 0..size {
            for x in 0..size {
                if qr.get_module(x, y) {
                    let _ = write!(path, "M{x} {y}h1v1h-1z");
                }
            }
        }
    }
    // Four modules of quiet zone around the code, as scanners expect.
    let view_box = format!("-4 -4 {0} {0}", size + 8);
    view! {
        <svg class="qr-code" viewBox=view_box role="img" aria-label=text.to_owned()>
            <rect x="-4" y="-4" width=size + 8 height=size + 8 fill="#fff"></rect>
            <path d=path fill="#000"></path>
        </svg>
    }
}

/// The QR panel while a messenger's code is asked for.
#[component]
pub fn QrPanel() -> impl IntoView {
    let chat = expect_context::<Chat>();
    move || chat.window.qr.get().map(|(kind, link)| lazy(preload_qr, move || qr_panel(kind, link.clone())))
}
