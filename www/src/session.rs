//! The console's store: the operator's session (kept in `localStorage`), the live
//! inbox from the site's inbox socket, and which conversation is open.

use std::rc::Rc;

use wasm_bindgen::JsCast;

use leptos::prelude::*;
use natter_shared::ids::ConversationId;
use natter_shared::protocol::{
    ClientFrame, ConversationSummary, InboxFrame, OperatorPresence, OperatorSession, PROTOCOL_VERSION,
};
use natter_widget::json;
use natter_widget::net::{self, Listener, Socket};
use natter_widget::storage;

const SESSION_KEY: &str = "natter.console.session";

#[derive(Clone, Copy)]
pub struct Console {
    pub session: RwSignal<Option<OperatorSession>>,
    pub inbox: RwSignal<Vec<ConversationSummary>>,
    /// The site's operators who are online now.
    pub online: RwSignal<Vec<OperatorPresence>>,
    pub selected: RwSignal<Option<ConversationId>>,
    pub connected: RwSignal<bool>,
    /// Whether the configurator is shown instead of the inbox (admins only).
    pub configuring: RwSignal<bool>,
    /// Widget settings has changes not saved yet: leaving asks first.
    pub unsaved: RwSignal<bool>,
    /// Why the operator is looking at the sign-in form again, if not by choice.
    pub notice: RwSignal<Option<String>>,
    socket: StoredValue<Option<Socket>, LocalStorage>,
}

/// The edge is the origin that served the console.
pub fn edge() -> String {
    web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
}

/// A console socket URL for `path`, carrying the session token.
pub fn socket_url(session: &OperatorSession, path: &str) -> String {
    let token = js_sys::encode_uri_component(&session.token);
    net::socket_url(&edge(), &format!("{path}?v={PROTOCOL_VERSION}&token={token}"))
}

impl Console {
    pub fn new() -> Console {
        let console = Console {
            session: RwSignal::new(storage::load(SESSION_KEY)),
            inbox: RwSignal::new(Vec::new()),
            online: RwSignal::new(Vec::new()),
            selected: RwSignal::new(None),
            connected: RwSignal::new(false),
            configuring: RwSignal::new(false),
            unsaved: RwSignal::new(false),
            notice: RwSignal::new(None),
            socket: StoredValue::new_local(None),
        };
        if console.session.get_untracked().is_some() {
            console.connect_inbox();
        }
        console.guard_unload();
        console
    }

    /// Closing or reloading the tab with unsaved settings: the browser asks first.
    fn guard_unload(&self) {
        let unsaved = self.unsaved;
        let ask = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::BeforeUnloadEvent)>::new(move |ev: web_sys::BeforeUnloadEvent| {
            if unsaved.get_untracked() {
                ev.prevent_default();
                ev.set_return_value("unsaved");
            }
        });
        if let Some(window) = web_sys::window() {
            let _ = window.add_event_listener_with_callback("beforeunload", ask.as_ref().unchecked_ref());
        }
        // The console lives as long as the page.
        ask.forget();
    }

    /// Whether the operator may leave Widget settings now: nothing unsaved, or they
    /// said to leave without saving.
    pub fn may_leave(&self) -> bool {
        !self.unsaved.get_untracked()
            || web_sys::window()
                .and_then(|w| w.confirm_with_message("Widget settings have changes that are not saved. Leave without saving them?").ok())
                .unwrap_or(true)
    }

    pub fn signed_in(&self, session: OperatorSession) {
        self.notice.set(None);
        storage::save(SESSION_KEY, &session);
        self.session.set(Some(session));
        self.connect_inbox();
    }

    pub fn sign_out(&self) {
        self.unsaved.set(false);
        storage::remove(SESSION_KEY);
        self.socket.with_value(|s| s.as_ref().map(Socket::stop));
        self.session.set(None);
        self.selected.set(None);
        self.inbox.set(Vec::new());
    }

    /// Whether this operator has stepped away (as the site last told).
    pub fn away(&self) -> bool {
        let me = self.session.with(|s| s.as_ref().map(|s| s.operator.clone()));
        self.online.with(|online| online.iter().any(|o| Some(&o.id) == me.as_ref() && o.away))
    }

    /// Steps away (visitors then see the site offline unless a colleague is online) or back.
    pub fn set_away(&self, away: bool) {
        self.socket.with_value(|s| s.as_ref().map(|socket| socket.send(&ClientFrame::Away { away })));
    }

    fn connect_inbox(&self) {
        let console = *self;
        let socket = Socket::connect(
            move || {
                console
                    .session
                    .with_untracked(|s| s.as_ref().map(|s| socket_url(s, "/v1/console/inbox/ws")))
                    .unwrap_or_default()
            },
            Rc::new(console),
        );
        self.socket.set_value(Some(socket));
    }
}

impl Listener for Console {
    fn opened(&self, socket: &Socket) {
        self.connected.set(true);
        socket.send(&ClientFrame::Hello { protocol: PROTOCOL_VERSION, after: Default::default(), page: None });
    }

    fn frame(&self, _socket: &Socket, text: &str) {
        match json::parse::<InboxFrame>(text) {
            Some(InboxFrame::Inbox { conversations }) => self.inbox.set(conversations),
            Some(InboxFrame::Conversation(summary)) => self.inbox.update(|inbox| {
                inbox.retain(|c| c.id != summary.id);
                inbox.push(summary);
                inbox.sort_by_key(|c| std::cmp::Reverse(c.last_at));
            }),
            Some(InboxFrame::Presence { online }) => self.online.set(online),
            _ => {}
        }
    }

    fn closed(&self) {
        self.connected.set(false);
    }

    /// The inbox keeps failing: if the session has expired, say so and sign out.
    fn keeps_failing(&self) {
        let console = *self;
        leptos::task::spawn_local(async move {
            let Some(token) = console.session.with_untracked(|s| s.as_ref().map(|s| s.token.clone())) else { return };
            if matches!(net::get(&format!("{}/v1/console/session", edge()), Some(&token)).await, Ok((401, _))) {
                console.sign_out();
                console.notice.set(Some("Your session has expired. Sign in again.".into()));
            }
        });
    }
}
