//! The widget's state, made of small stores: the site ([`Site`]: settings, presence),
//! the visitor ([`Visitor`]: session, identity, details), the window ([`WindowState`])
//! and the conversation client shared with the console ([`Conversation`]: log, outbox,
//! frames). `Chat` joins them to the socket its tabs share: `session` connects,
//! `sending` queues what the visitor and page code send, `frames` takes what comes.

mod frames;
mod sending;
mod session;

use leptos::prelude::*;
use natter_shared::ids::{ClientMessageId, Seq};
use natter_shared::protocol::{Author, AuthorKind, ClientFrame};
use natter_shared::settings::OfflineMode;
use natter_shared::shift::ConversationStatus;

use crate::conversation::{Conversation, Notices};
use crate::page::{self, PageEvent};
use crate::site::{Config, Site};
use crate::storage;
use crate::visitor::Visitor;
use crate::window_state::WindowState;
use wasm_bindgen::JsValue;

/// What the window shows below its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The conversation, suggests, messenger buttons and the composer.
    Chat,
    /// "Introduce yourself": before the first message (modal), or from the menu.
    Details,
    /// No operator online: name, contact and message.
    OfflineForm,
    /// "Send transcript": the visitor's e-mail address.
    Transcript,
}

/// The widget's state. `Copy`, so components capture it freely.
#[derive(Clone, Copy)]
pub struct Chat {
    pub site: Site,
    pub visitor: Visitor,
    pub window: WindowState,
    pub conversation: Conversation,
    pub connected: RwSignal<bool>,
    /// The socket was open and closed: it is on its way back ("Reconnecting…").
    pub reconnecting: RwSignal<bool>,
    /// How the conversation stands (state, operator, rating), as the edge last said.
    pub status: RwSignal<Option<ConversationStatus>>,
    /// The operator the visitor now talks to, after the conversation changed hands.
    pub talking_to: RwSignal<Option<String>>,
    /// `sendMessage` promises waiting for their message's ack.
    acks: StoredValue<Vec<(ClientMessageId, js_sys::Function)>, LocalStorage>,
    /// The newest `seq` stored when this page first connected to the conversation:
    /// later operator messages are news for `message:received`, earlier ones history.
    history_until: StoredValue<Option<Seq>>,
    /// Messages queued in this tab (also before a reload) whose ack has not come: page
    /// code hears `message:sent` in the tab that sent, whichever tab's socket carried
    /// it. Kept in the tab's own storage ([`SENT_HERE`]).
    sent_here: StoredValue<Vec<ClientMessageId>>,
}

/// The tab-storage key of [`Chat::sent_here`].
const SENT_HERE: &str = "sent-here";

/// Who the visitor's messages are shown as from.
fn me() -> Author {
    Author { kind: AuthorKind::Visitor, name: "You".into(), avatar: None }
}

impl Chat {
    pub fn new(config: Config, settings_document: String) -> Chat {
        let site = Site::new(config, settings_document);
        let notices = move || {
            let strings = site.strings();
            Notices { too_fast: strings.too_fast, cannot_store: strings.cannot_store }
        };
        let conversation = Conversation::new(site.key("outbox"), me(), notices);
        // Messages typed in this tab before a reload are shown as pending: this tab tells
        // page code when they are stored. The outbox is the site's, so another tab's
        // (opened while this one waits for an ack) are shown too, but not claimed.
        let typed_here: Vec<ClientMessageId> = storage::load_in_tab(&site.key(SENT_HERE)).unwrap_or_default();
        let waiting = conversation.log.with_untracked(|log| {
            typed_here.into_iter().filter(|id| log.entries().iter().any(|e| &e.client_id == id)).collect()
        });
        Chat {
            site,
            visitor: Visitor::new(site),
            window: WindowState::new(site),
            conversation,
            connected: RwSignal::new(false),
            reconnecting: RwSignal::new(false),
            status: RwSignal::new(None),
            talking_to: RwSignal::new(None),
            acks: StoredValue::new_local(Vec::new()),
            history_until: StoredValue::new(None),
            sent_here: StoredValue::new(waiting),
        }
    }

    /// Changes the messages waiting for their ack in this tab (`change` says whether it
    /// did), and keeps them over a reload. Returns whether they changed.
    fn update_sent_here(&self, change: impl FnOnce(&mut Vec<ClientMessageId>) -> bool) -> bool {
        let changed = self.sent_here.try_update_value(change).unwrap_or(false);
        if changed {
            self.sent_here.with_value(|mine| storage::save_in_tab(&self.site.key(SENT_HERE), mine));
        }
        changed
    }

    /// Operator and rules' messages the visitor has not seen.
    pub fn unread(&self) -> usize {
        self.window.unread(self.conversation.log)
    }

    pub fn unread_untracked(&self) -> usize {
        untrack(|| self.unread())
    }

    /// What the window shows now.
    pub fn view(&self) -> View {
        let online = self.site.online.get();
        let (modal, offline_form) = self.site.settings.with(|s| {
            let modal = if online { s.introduce.modal_online } else { s.introduce.modal_offline };
            (modal, !online && s.offline_mode == OfflineMode::Form)
        });
        let fresh = self.conversation.log.with(|log| log.entries().is_empty());
        let introduced = self.visitor.details.with(|d| !d.name.is_empty());
        if self.window.transcript.get() && !fresh {
            View::Transcript
        } else if self.window.editing.get() || (modal && fresh && !introduced) {
            View::Details
        } else if offline_form && fresh {
            View::OfflineForm
        } else {
            View::Chat
        }
    }

    pub fn set_open(&self, open: bool) {
        if self.window.open.get_untracked() != open {
            page::emit(if open { PageEvent::Open } else { PageEvent::Close }, JsValue::UNDEFINED);
            if open {
                self.site.settings.with_untracked(|s| page::goal(s, natter_shared::settings::GOAL_OPENED));
            }
        }
        self.window.open.set(open);
        if open {
            self.window.announcement.set(String::new());
            self.window.preview.set(None);
            self.window.clear_unseen();
            self.mark_seen();
        }
    }

    /// The visitor opened the window (the launcher, `Natter.open()`): the focus goes to
    /// the message box, or to the form's first field.
    pub fn open_by_visitor(&self) {
        self.set_open(true);
        self.window.focus(crate::focus::FIRST_FIELD);
    }

    /// The visitor closed the window from inside it (Close, Escape): the focus goes back
    /// to the launcher.
    pub fn close_by_visitor(&self) {
        self.set_open(false);
        self.window.focus(crate::focus::LAUNCHER);
    }

    /// Plays the site's sound for something unread: when the window is closed or the
    /// tab hidden, or with `force` (a rule's "open the window and play the sound").
    pub fn ring(&self, force: bool) {
        if self.site.settings.with_untracked(|s| s.sound) {
            page::ding(force || !self.window.open.get_untracked());
        }
    }

    /// With the window open, everything stored has been seen: tell the operators.
    fn mark_seen(&self) {
        let last = self.conversation.log.with_untracked(crate::log::Log::last_seq);
        if last > self.window.seen.get_untracked() {
            self.window.seen.set(last);
            self.conversation.send(&ClientFrame::Read { seq: last });
        }
    }

    pub fn typing(&self, typing: bool) {
        self.conversation.send(&ClientFrame::Typing { typing });
    }

    /// The visitor rates the conversation that ended.
    pub fn rate(&self, good: bool, comment: String) {
        self.conversation.send(&ClientFrame::Rate { good, comment });
    }
}
