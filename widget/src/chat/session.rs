//! The visitor's session and the socket it opens: made with the first message (or
//! `identify`), checked when the socket keeps failing, followed across tabs, replaced
//! by `identify` and forgotten by `reset`.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::identity::Identity;
use natter_shared::protocol::{IdentifyRequest, VisitorSession, PROTOCOL_VERSION};
use wasm_bindgen::JsCast;

use super::Chat;
use crate::log::Log;
use crate::tabs::Link;
use crate::time::sleep;
use crate::{net, storage};

impl Chat {
    /// A returning visitor (a session kept in this browser) connects at once. A new one
    /// gets a session, and a socket, with their first message, file or `identify`: a
    /// visitor who only looks (or is greeted by a rule) costs the edge nothing.
    pub fn start(self) {
        self.visitor.load_session();
        if self.visitor.has() {
            self.connect();
        } else if self.conversation.waiting().iter().any(|p| p.rule.is_none()) {
            // Typed before a reload, before the session came.
            self.begin();
        }
        self.follow_other_tabs();
    }

    /// The visitor needs a conversation now: gets a session (once) and connects. Retries
    /// until the edge answers; a session that came meanwhile (`identify`, another tab)
    /// wins.
    pub(super) fn begin(self) {
        if self.visitor.has() || self.visitor.beginning.get_value() {
            return;
        }
        self.visitor.beginning.set_value(true);
        spawn_local(async move {
            let session = match self.visitor.kept_session() {
                Some(session) => session,
                None => self.new_visitor_session().await,
            };
            self.visitor.beginning.set_value(false);
            if !self.visitor.has() {
                self.switch_session(session);
            }
        });
    }

    /// Another tab changed the visitor's session (`identify`, `reset`, a new one after
    /// the old expired): this tab follows it into the same conversation.
    fn follow_other_tabs(self) {
        let Some(window) = web_sys::window() else { return };
        let key = self.site.key("session");
        let on_storage = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::StorageEvent)>::new(move |event: web_sys::StorageEvent| {
            if event.key().as_deref() != Some(key.as_str()) {
                return;
            }
            if event.new_value().is_none() && self.visitor.has() {
                // Another tab's `reset`: this one forgets the visitor too.
                self.forget_visitor();
                return;
            }
            let Some(session) = event.new_value().and_then(|text| crate::json::parse::<VisitorSession>(&text)) else { return };
            if self.visitor.session().as_ref() != Some(&session) {
                // What the other tab kept with it (after a `reset`, nothing of the
                // visitor before: this tab must not tell the new conversation their name).
                self.visitor.load_details();
                self.switch_session(session);
            }
        });
        let _ = window.add_event_listener_with_callback("storage", on_storage.as_ref().unchecked_ref());
        // Listens as long as the page lives.
        on_storage.forget();
    }

    /// Joins this browser's other tabs on the current conversation's socket (leaving
    /// any other conversation's).
    fn connect(&self) {
        self.disconnect();
        let Some(conversation) = self.visitor.session().map(|s| s.conversation) else { return };
        let chat = *self;
        let url = move || {
            let Some(session) = chat.visitor.session() else { return String::new() };
            let token = js_sys::encode_uri_component(&session.token);
            let path = format!("/v1/conversations/{}/ws?v={PROTOCOL_VERSION}&token={token}", session.conversation);
            net::socket_url(&chat.site.edge(), &path)
        };
        self.conversation.connect(Rc::new(Link::join(&self.site.key(&format!("tabs.{conversation}")), url, Rc::new(chat))));
    }

    /// Leaves the conversation's socket (another tab takes it over).
    fn disconnect(&self) {
        if self.conversation.disconnect() {
            crate::tabs::Peer::closed(self);
        }
    }

    /// The socket keeps failing: if the edge no longer accepts the visitor's token
    /// (expired, or the site's secret was rotated), start a new conversation. Unsent
    /// messages stay in the outbox and go to the new one.
    pub(super) async fn check_session(self) {
        let Some(session) = self.visitor.session() else { return };
        if self.visitor.checking.get_value() {
            return;
        }
        self.visitor.checking.set_value(true);
        let url = format!("{}/v1/conversations/{}", self.site.edge(), session.conversation);
        let refused = matches!(net::get(&url, Some(&session.token)).await, Ok((401 | 403, _)));
        // Valid, or the edge is unreachable: keep retrying as we are. Replaced while we
        // asked (`identify`, `reset`): the answer is about a session gone already.
        let current = self.visitor.session().map(|s| s.token) == Some(session.token);
        if refused && current {
            let fresh = self.new_visitor_session().await;
            self.switch_session(fresh);
        }
        self.visitor.checking.set_value(false);
    }

    /// Goes on with another session: kept, and the socket connects with it at once. In
    /// another conversation only the messages still pending stay shown.
    /// An operator started a chat: their message, stored before this widget connected,
    /// is news all the same (the site's `closed_reply` shows it). A new conversation's
    /// session becomes this visitor's.
    pub fn invited(self, session: Option<VisitorSession>) {
        if let Some(session) = session {
            self.switch_session(session);
        }
        if self.history_until.get_value().is_none() {
            self.history_until.set_value(Some(natter_shared::ids::Seq(0)));
        }
    }

    fn switch_session(&self, session: VisitorSession) {
        if self.visitor.switch(session) {
            // Stored in the conversation left, only their ack missing: done, not moved.
            for pending in self.conversation.take_stored() {
                self.tell_sent(&pending.client_id, pending.stored.unwrap_or_default(), false);
                self.resolve_waiting(&pending.client_id);
            }
            self.restart_log(Log::keep_pending);
            self.connect();
        } else {
            self.conversation.reconnect();
        }
    }

    /// Starts the log afresh for another conversation, keeping what `keep` keeps.
    fn restart_log(&self, keep: impl FnOnce(&mut Log)) {
        self.conversation.restart(keep);
        self.window.seen.set(natter_shared::ids::Seq(0));
        self.history_until.set_value(None);
    }

    /// The visitor's identity, made now if they have none yet.
    pub(super) async fn current_session(&self) -> VisitorSession {
        self.begin();
        loop {
            match self.visitor.session() {
                Some(session) => return session,
                None => sleep(100).await,
            }
        }
    }

    /// A signed-in user (`identify`): the edge checks the signature and answers the
    /// user's session, whose conversation follows them to any browser.
    pub async fn identify(self, identity: Identity) -> Result<(), String> {
        // An anonymous conversation this browser has becomes the user's; with none, the
        // user's own (or a new one) is theirs here.
        let token = self.visitor.session().map(|s| s.token);
        let body = IdentifyRequest { identity: identity.clone(), token };
        let session = net::request::<_, VisitorSession>("POST", &self.site.url("identify"), Some(&body), None).await.map_err(|e| {
            if e.0.starts_with("identify") { e.0 } else { format!("identify: {}", e.0) }
        })?;
        self.switch_session(session);
        if !identity.name.is_empty() {
            let mut details = self.visitor.details.get_untracked();
            details.name = identity.name;
            if !identity.email.is_empty() {
                details.email = identity.email;
            }
            self.introduce(details);
        }
        Ok(())
    }

    /// Forgets the visitor on this browser (page code's `reset`, e.g. on sign-out): their
    /// identity, details, unsent messages and visit. A new anonymous visitor's
    /// conversation starts with their next message.
    pub fn reset(self) {
        for name in ["session", "details", "form", "outbox", "visit", "fired", "unseen", "chatted"] {
            storage::remove(&self.site.key(name));
        }
        self.forget_visitor();
    }

    /// Forgets the visitor in this tab (what `reset` removed from storage): the next
    /// visitor gets a session with their first message.
    fn forget_visitor(self) {
        self.visitor.forget();
        self.window.forget();
        self.restart_log(|log| *log = Log::default());
        self.disconnect();
    }

    /// A new anonymous visitor from the edge, asked until it answers.
    async fn new_visitor_session(&self) -> VisitorSession {
        let url = self.site.url("visitors");
        let mut delay = 500;
        loop {
            match net::request::<(), VisitorSession>("POST", &url, None, None).await {
                Ok(session) => {
                    // Kept by `switch_session`, unless another session won meanwhile.
                    self.conversation.problem.set(None);
                    return session;
                }
                Err(e) => {
                    self.conversation.problem.set(Some(format!("{}: {}", self.site.strings().cannot_connect, e.0)));
                    sleep(delay).await;
                    delay = (delay * 2).min(10_000);
                }
            }
        }
    }
}
