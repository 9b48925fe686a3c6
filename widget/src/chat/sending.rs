//! What the visitor and page code send: messages (typed, a rule's, a file), their
//! details; and page code told when the edge has stored a message.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::contact::VisitorDetails;
use natter_shared::files;
use natter_shared::ids::{ClientMessageId, Seq};
use natter_shared::protocol::{AuthorKind, ClientFrame, TranscriptRequest};
use natter_shared::settings::{GOAL_FIRST_MESSAGE, GOAL_INTRODUCED, GOAL_OFFLINE_MESSAGE};
use wasm_bindgen::JsValue;

use super::Chat;
use crate::conversation;
use crate::log::Pending;
use crate::net;
use crate::page::{self, PageEvent};
use crate::storage;
use crate::time::now;

/// The edge's answer to a request it took (`{}`).
#[derive(serde::Deserialize)]
struct Accepted {}

impl Chat {
    /// Shows a message as pending, keeps it in the outbox and sends it. A rule's message
    /// waits in the outbox like a typed one (the edge keeps it until the conversation
    /// exists), and counts as unread while the window is closed.
    pub fn queue(&self, pending: Pending) {
        if pending.rule.is_some() && !self.window.open.get_untracked() {
            self.window.add_unseen(pending.client_id.clone());
            self.ring(false);
        }
        self.update_sent_here(|mine| {
            mine.push(pending.client_id.clone());
            true
        });
        let typed = pending.rule.is_none();
        self.conversation.queue(pending);
        if typed {
            // The visitor wrote: their conversation is needed now, and the next pages
            // of this visit load the widget at once, so replies come live.
            storage::save(&self.site.key("chatted"), &now());
            self.begin();
        }
    }

    /// Sends what the visitor typed; returns its id, or `None` (and says why) if it
    /// cannot be sent. With no operator online (as the edge finds when it stores it) it
    /// is an offline message.
    pub fn send(&self, text: &str) -> Option<ClientMessageId> {
        match conversation::typed(text) {
            Ok(pending) => Some(self.send_typed(pending)),
            Err(e) => {
                self.conversation.problem.set(Some(self.site.strings().refusal(&e)));
                None
            }
        }
    }

    fn send_typed(&self, mut pending: Pending) -> ClientMessageId {
        pending.offline = !self.site.online.get_untracked();
        let id = pending.client_id.clone();
        self.queue(pending);
        id
    }

    /// `sendMessage` from page code: sent as if typed; the promise resolves (`true`)
    /// when the edge has stored it.
    pub fn send_from_page(&self, text: &str) -> Result<js_sys::Promise, String> {
        let pending = conversation::typed(text).map_err(|e| format!("sendMessage: {e}"))?;
        let id = self.send_typed(pending);
        Ok(js_sys::Promise::new(&mut |resolve, _| self.acks.update_value(|acks| acks.push((id.clone(), resolve)))))
    }

    /// Uploads a file the visitor chose and sends it as a message. Checked here first so
    /// a wrong file is refused at once, in the visitor's words; the edge checks again.
    pub fn attach(self, file: web_sys::File) {
        if let Err(problem) = files::check(&file.name(), file.size() as u64) {
            self.conversation.problem.set(Some(self.site.strings().file_problem(&problem)));
            return;
        }
        spawn_local(async move {
            self.window.uploading.set(true);
            // Chosen right after opening: the visitor's identity may still be on its way.
            let session = self.current_session().await;
            let name = js_sys::encode_uri_component(&file.name());
            let url = format!("{}/v1/conversations/{}/files?name={name}", self.site.edge(), session.conversation);
            let result = self.conversation.upload(&url, &file, &session.token).await;
            self.window.uploading.set(false);
            if let Err(e) = result {
                self.conversation.problem.set(Some(format!("{}{}", self.site.strings().upload_failed, e.0)));
            }
        });
    }

    /// E-mails the conversation to the visitor, in the widget's language, with times in
    /// the browser's time zone.
    pub async fn send_transcript(self, email: String) -> Result<(), net::NetError> {
        let session = self.current_session().await;
        let url = format!("{}/v1/conversations/{}/transcript", self.site.edge(), session.conversation);
        let body = TranscriptRequest { email, language: self.site.language(), time_zone: crate::time::time_zone() };
        net::request::<_, Accepted>("POST", &url, Some(&body), Some(&session.token)).await.map(|_| ())
    }

    /// The visitor's details, checked by the form or the JS API: kept, told to the
    /// operators and to page code.
    pub fn introduce(&self, details: VisitorDetails) {
        let detail = page::object(&[
            ("name", details.name.as_str().into()),
            ("email", details.email.as_str().into()),
            ("phone", details.phone.as_str().into()),
        ]);
        self.tell(details);
        page::emit(PageEvent::Introduced, detail);
        self.site.settings.with_untracked(|s| page::goal(s, GOAL_INTRODUCED));
    }

    /// Keeps details (also attributes alone) and tells the operators.
    pub fn tell(&self, details: VisitorDetails) {
        self.visitor.keep_details(details.clone());
        self.conversation.send(&ClientFrame::Introduce { details });
    }

    /// Page code hears that a message sent from this tab is stored (once: a repeated
    /// ack finds it told; a rule's is not told).
    pub(super) fn tell_sent(&self, client_id: &ClientMessageId, seq: Seq, offline: bool) {
        // Every tab hears every ack: only this tab's own change what it keeps.
        let mine = self.update_sent_here(|mine| mine.iter().position(|id| id == client_id).map(|at| mine.remove(at)).is_some());
        let entry = self.conversation.log.with_untracked(|log| {
            log.entries().iter().find(|e| &e.client_id == client_id).map(|e| (e.auto, e.text.clone()))
        });
        if let (true, Some((false, text))) = (mine, entry) {
            let event = if offline { PageEvent::OfflineSent } else { PageEvent::MessageSent };
            let detail = [("id", client_id.as_str().into()), ("seq", (seq.0 as f64).into()), ("text", text.as_str().into())];
            page::emit(event, page::object(&detail));
            // The conversation's first message from the visitor (none stored before it).
            let first = self.conversation.log.with_untracked(|log| {
                !log.entries().iter().any(|e| e.author.kind == AuthorKind::Visitor && !e.auto && e.seq.is_some_and(|s| s < seq))
            });
            let goal = match (offline, first) {
                (true, _) => Some(GOAL_OFFLINE_MESSAGE),
                (false, true) => Some(GOAL_FIRST_MESSAGE),
                (false, false) => None,
            };
            if let Some(goal) = goal {
                self.site.settings.with_untracked(|s| page::goal(s, goal));
            }
        }
    }

    /// A `sendMessage` waiting for this message resolves (also when the outbox could not
    /// keep it, so its ack finds nothing there).
    pub(super) fn resolve_waiting(&self, client_id: &ClientMessageId) {
        let waited = self.acks.try_update_value(|acks| {
            let (done, rest) = std::mem::take(acks).into_iter().partition(|(id, _)| id == client_id);
            *acks = rest;
            done
        });
        for (_, resolve) in waited.unwrap_or_else(Vec::new) {
            let _ = resolve.call1(&JsValue::UNDEFINED, &JsValue::TRUE);
        }
    }
}
