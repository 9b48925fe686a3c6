//! What comes from the conversation's socket: the conversation client takes every frame
//! first; the widget then tells page code, rings and follows the operators' presence.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::contact::VisitorDetails;
use natter_shared::ids::Seq;
use natter_shared::protocol::{AuthorKind, ClientFrame, ErrorCode, PageContext, ServerFrame};
use natter_shared::settings::ClosedReply;

use super::Chat;
use crate::page::{self, PageEvent};
use crate::tabs::Peer;

fn page_context() -> PageContext {
    let window = web_sys::window().expect("a window");
    let document = window.document().expect("a document");
    PageContext {
        url: window.location().href().unwrap_or_default(),
        title: document.title(),
        referrer: document.referrer(),
        language: window.navigator().language().unwrap_or_default(),
    }
}

impl Chat {
    fn on_frame(&self, frame: ServerFrame) {
        self.conversation.take(&frame);
        match frame {
            ServerFrame::Welcome { visitor_read, last_seq, .. } => {
                self.history_until.update_value(|until| {
                    until.get_or_insert(last_seq);
                });
                self.window.seen.update(|seen| *seen = (*seen).max(visitor_read));
            }
            ServerFrame::Ack { client_id, seq, offline } => {
                if offline {
                    // The edge found nobody online when it stored the message.
                    self.site.set_online(false);
                }
                self.tell_sent(&client_id, seq, offline);
                self.resolve_waiting(&client_id);
            }
            ServerFrame::Message(message) => {
                if message.author.kind == AuthorKind::Operator {
                    let live = self.history_until.get_value().is_some_and(|until| message.seq > until);
                    if message.seq > self.window.seen.get_untracked() {
                        self.ring(false);
                        if live && !self.window.open.get_untracked() {
                            self.closed_reply(&message.author.name, &message.text, message.auto);
                        }
                    }
                    if !message.auto && live {
                        let detail = [
                            ("seq", (message.seq.0 as f64).into()),
                            ("text", message.text.as_str().into()),
                            ("author", message.author.name.as_str().into()),
                        ];
                        page::emit(PageEvent::MessageReceived, page::object(&detail));
                    }
                }
                if self.window.open.get_untracked() {
                    self.mark_seen();
                }
            }
            ServerFrame::Status(status) => {
                let before = self.status.get_untracked();
                let new_owner = status.owner.as_ref().filter(|owner| {
                    before.as_ref().is_some_and(|b| b.owner.as_ref().map(|o| &o.id) != Some(&owner.id))
                });
                if let Some(owner) = new_owner {
                    self.talking_to.set(Some(owner.name.clone()));
                }
                self.status.set(Some(status));
            }
            ServerFrame::Error(error) if error.code == ErrorCode::RateLimited => {}
            ServerFrame::Error(error) if error.code == ErrorCode::Blocked => {
                self.conversation.problem.set(Some(self.site.strings().not_delivered.into()));
            }
            ServerFrame::Error(error) => self.conversation.problem.set(Some(error.message)),
            _ => {}
        }
    }
}

impl Chat {
    /// An operator wrote while the window is closed: as the owner chose, a preview
    /// beside the launcher, the window opened (not taking the focus from the page), or
    /// the badge alone; a screen reader hears it said once in each case.
    fn closed_reply(&self, author: &str, text: &str, auto: bool) {
        let choice = self.site.settings.with_untracked(|s| s.closed_reply);
        match choice {
            // Rules' messages have their own ways to open the window.
            _ if auto => {}
            ClosedReply::Preview => {
                let short: String = text.chars().take(PREVIEW_CHARS).collect();
                self.window.preview.set(Some((author.to_owned(), short)));
            }
            ClosedReply::Open => {
                // The focus follows only from the launcher the window hides: the
                // visitor's place in the page (or a phone's keyboard) is not taken.
                let follow = self.window.holds_focus();
                self.set_open(true);
                if follow {
                    self.window.focus(crate::focus::FIRST_FIELD);
                }
            }
            ClosedReply::Badge => {}
        }
        // After opening: that clears what was said of the closed window.
        self.window.announcement.set(self.site.strings().new_message(author, text));
    }
}

/// The longest text the preview shows; the window has the whole message.
const PREVIEW_CHARS: usize = 160;

impl Peer for Chat {
    fn opened(&self, leads: bool, joined: bool) {
        self.connected.set(true);
        self.reconnecting.set(false);
        // A tab joining a socket open already says hello for its own catch-up (and its
        // page); the leader's catch-up after a reconnect reaches every tab.
        if !leads && !joined {
            return;
        }
        self.conversation.hello(Some(page_context()));
        if !leads {
            return;
        }
        let details = self.visitor.details.get_untracked();
        if details != VisitorDetails::default() {
            // Before any message, so the conversation is created with them.
            self.conversation.send(&ClientFrame::Introduce { details });
        }
        // Everything not acked yet (typed in any tab) goes again.
        self.conversation.resend();
    }

    fn frame(&self, text: &str) {
        // A frame this version cannot read is skipped: a newer edge may send more.
        if let Some(frame) = crate::json::JsObject::parse(text).and_then(ServerFrame::read_object) {
            self.on_frame(frame);
        }
    }

    fn closed(&self) {
        if self.connected.get_untracked() {
            self.reconnecting.set(true);
        }
        self.connected.set(false);
        self.conversation.closed();
    }

    fn keeps_failing(&self) {
        spawn_local(self.check_session());
    }

    fn sent_by_another_tab(&self, text: &str) {
        // What another tab read is read here too (the badge follows). Only `read` is
        // needed, so only it is read: parsing every client frame costs Wasm.
        let Ok(frame) = js_sys::JSON::parse(text) else { return };
        let member = |key: &str| js_sys::Reflect::get(&frame, &key.into()).ok();
        if member("type").and_then(|t| t.as_string()).as_deref() == Some("read") {
            if let Some(seq) = member("seq").and_then(|s| s.as_f64()).filter(|s| *s >= 0.0) {
                self.window.seen.update(|seen| *seen = (*seen).max(Seq(seq as u64)));
            }
        }
    }
}
