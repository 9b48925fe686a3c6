//! What the visitor sees of the widget: whether the window is open and what it shows
//! besides the conversation, and what they have not seen yet.

use leptos::prelude::*;
use natter_shared::contact::Messenger;
use natter_shared::ids::{ClientMessageId, Seq};

use crate::log::Log;
use crate::site::Site;
use crate::storage;

#[derive(Clone, Copy)]
pub struct WindowState {
    pub open: RwSignal<bool>,
    /// The newest `seq` the visitor has seen (with the window open).
    pub seen: RwSignal<Seq>,
    /// Rules' messages that came while the window was closed and are not stored yet
    /// (kept in storage, so the badge counts them on the next page too).
    pub unseen_auto: RwSignal<Vec<ClientMessageId>>,
    /// The visitor opened their details from the window's menu.
    pub editing: RwSignal<bool>,
    /// The visitor opened "Send transcript" from the window's menu.
    pub transcript: RwSignal<bool>,
    /// Where the last transcript went ("on its way to …").
    pub transcript_sent: RwSignal<Option<String>>,
    /// The offline message just left, and the contact we will answer at.
    pub offline_sent: RwSignal<Option<(ClientMessageId, String)>>,
    /// The messenger whose QR code is shown (desktop), with its link.
    pub qr: RwSignal<Option<(Messenger, String)>>,
    /// A file is being uploaded.
    pub uploading: RwSignal<bool>,
    /// The launcher as page code asked (`show`/`hide`); `None` follows the settings.
    pub launcher: RwSignal<Option<bool>>,
    /// What the visitor is writing in the message box: kept while the window shows a
    /// form instead, and filled with what they typed while the widget was loading.
    pub draft: RwSignal<String>,
    /// The name and contact typed in the offline form, kept while the chat is shown.
    pub offline_form: RwSignal<Option<(String, String)>>,
    /// What a screen reader says of what came while the window was closed ("New
    /// message from Anna: …"), in a live region outside the window.
    pub announcement: RwSignal<String>,
    /// An operator's reply that came while the window was closed, shown beside the
    /// launcher (author, text) until the visitor opens the chat or hides it.
    pub preview: RwSignal<Option<(String, String)>>,
    /// An element of the widget (its root), to find the rest from.
    pub anchor: NodeRef<leptos::html::Div>,
    site: Site,
}

impl WindowState {
    pub fn new(site: Site) -> WindowState {
        WindowState {
            open: RwSignal::new(false),
            seen: RwSignal::new(Seq(0)),
            unseen_auto: RwSignal::new(storage::load(&site.key("unseen")).unwrap_or_default()),
            editing: RwSignal::new(false),
            transcript: RwSignal::new(false),
            transcript_sent: RwSignal::new(None),
            offline_sent: RwSignal::new(None),
            qr: RwSignal::new(None),
            uploading: RwSignal::new(false),
            launcher: RwSignal::new(None),
            draft: RwSignal::new(String::new()),
            offline_form: RwSignal::new(None),
            announcement: RwSignal::new(String::new()),
            preview: RwSignal::new(None),
            anchor: NodeRef::new(),
            site,
        }
    }

    /// Operator and rules' messages in `log` the visitor has not seen.
    pub fn unread(&self, log: RwSignal<Log>) -> usize {
        self.unseen_auto.with(|unseen| log.with(|log| log.unread(self.seen.get(), unseen)))
    }

    /// A rule's message came while the window was closed.
    pub fn add_unseen(&self, id: ClientMessageId) {
        self.unseen_auto.update(|unseen| unseen.push(id));
        self.unseen_auto.with_untracked(|unseen| storage::save(&self.site.key("unseen"), unseen));
    }

    /// The window opened: the rules' messages are seen.
    pub fn clear_unseen(&self) {
        if self.unseen_auto.with_untracked(|unseen| !unseen.is_empty()) {
            self.unseen_auto.set(Vec::new());
            storage::remove(&self.site.key("unseen"));
        }
    }

    /// Moves the focus to the first of `selectors` found in the widget (see `focus`).
    pub fn focus(&self, selectors: &'static [&'static str]) {
        if let Some(anchor) = self.anchor.get_untracked() {
            crate::focus::focus_later(anchor.into(), selectors);
        }
    }

    /// Closes the QR panel; the focus goes back to the messenger button that opened it.
    pub fn close_qr(&self) {
        let Some((kind, _)) = self.qr.get_untracked() else { return };
        let selector = format!(".contact.{}", kind.key());
        let opener = self.anchor.get_untracked().and_then(|anchor| crate::focus::find(&anchor, &selector));
        self.qr.set(None);
        match opener {
            Some(opener) => crate::focus::focus_element_later(opener),
            None => self.focus(crate::focus::FIRST_FIELD),
        }
    }

    /// A form just appeared in the open window: its first field gets the focus, unless
    /// the visitor is busy in the page.
    pub fn focus_form(&self) {
        let busy = self.anchor.get_untracked().is_some_and(|anchor| crate::focus::page_holds_focus(&anchor));
        if self.open.get_untracked() && !busy {
            self.focus(crate::focus::FIRST_FIELD);
        }
    }

    /// The focus is in the widget (on the launcher, say).
    pub fn holds_focus(&self) -> bool {
        self.anchor.get_untracked().is_some_and(|anchor| crate::focus::widget_holds_focus(&anchor))
    }

    /// Forgets what the last visitor left open (`reset`).
    pub fn forget(&self) {
        self.editing.set(false);
        self.transcript.set(false);
        self.transcript_sent.set(None);
        self.offline_sent.set(None);
        self.preview.set(None);
        self.unseen_auto.set(Vec::new());
    }
}
