//! The widget's one store: the conversation as the visitor sees it, and the socket
//! that keeps it in step with the edge. Components read its signals and call its
//! methods; only this module talks to the network and storage.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::contact::{Messenger, VisitorDetails};
use natter_shared::identity::Identity;
use natter_shared::files::{self, Attachment};
use natter_shared::i18n::{self, Strings};
use natter_shared::ids::{ClientMessageId, Seq};
use natter_shared::settings::{Language, OfflineMode, Texts, WidgetSettings};
use natter_shared::shift::ConversationStatus;
use natter_shared::protocol::{
    Author, AuthorKind, ClientFrame, ErrorCode, IdentifyRequest, PageContext, ServerFrame, SiteStatus, VisitorSession,
    PROTOCOL_VERSION,
};
use wasm_bindgen::{JsCast, JsValue};

use crate::page::{self, PageEvent};
use crate::log::{Log, Pending};
use crate::net;
use crate::outbox::Outbox;
use crate::storage;
use crate::time::{now, sleep};
use crate::tabs::{Link, Peer};
use crate::typing::Indicator;

/// Where the widget runs: given by the loader.
#[derive(Clone, Debug)]
pub struct Config {
    pub site: String,
    /// The edge's origin, e.g. `https://chat.example.com`.
    pub edge: String,
}

/// How often an open widget revalidates the site's settings and asks whether an
/// operator is online.
const SETTINGS_CHECK_MS: i32 = 5_000;
/// With the window closed, every this many checks (once a minute).
const CLOSED_CHECK_EVERY: u32 = 12;

/// What the window shows below its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The conversation, suggests, messenger buttons and the composer.
    Chat,
    /// "Introduce yourself": before the first message (modal), or from the menu.
    Details,
    /// No operator online: name, contact and message.
    OfflineForm,
}

/// The browser's preferred languages, most preferred first.
fn browser_languages() -> Vec<String> {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else { return Vec::new() };
    let mut tags: Vec<String> = navigator.languages().iter().filter_map(|t| t.as_string()).collect();
    if tags.is_empty() {
        tags.extend(navigator.language());
    }
    tags
}

/// The conversation state, as signals. `Copy`, so components capture it freely.
#[derive(Clone, Copy)]
pub struct Chat {
    /// The site's settings, as the loader fetched them (and as later updates replace them).
    pub settings: RwSignal<WidgetSettings>,
    /// The settings document's text, to notice when a revalidation brings a new one.
    settings_text: StoredValue<String>,
    pub log: RwSignal<Log>,
    pub open: RwSignal<bool>,
    /// The newest `seq` the visitor has seen (with the window open).
    pub seen: RwSignal<Seq>,
    /// How far the operators have read the visitor's messages.
    pub operator_read: RwSignal<Seq>,
    /// The operator typing now, if any.
    pub operator_typing: Indicator,
    pub connected: RwSignal<bool>,
    /// The visitor has a conversation to connect to (a session): until their first
    /// message there is none, and nothing to be connecting to.
    pub has_session: RwSignal<bool>,
    /// The last problem to show the visitor (cleared by the next success).
    pub problem: RwSignal<Option<String>>,
    /// Whether an operator is online (assumed until the edge says otherwise).
    pub online: RwSignal<bool>,
    /// What the visitor told about themselves (kept in storage).
    pub details: RwSignal<VisitorDetails>,
    /// The "Introduce yourself" form as typed so far (kept in storage, so a reload
    /// keeps it half-filled).
    pub form: RwSignal<VisitorDetails>,
    /// The visitor opened their details from the window's menu.
    pub editing: RwSignal<bool>,
    /// The offline message just left, and the contact we will answer at.
    pub offline_sent: RwSignal<Option<(ClientMessageId, String)>>,
    /// The messenger whose QR code is shown (desktop), with its link.
    pub qr: RwSignal<Option<(Messenger, String)>>,
    /// A file is being uploaded.
    pub uploading: RwSignal<bool>,
    /// Rules' messages that came while the window was closed and are not stored yet
    /// (kept in storage, so the badge counts them on the next page too).
    pub unseen_auto: RwSignal<Vec<ClientMessageId>>,
    /// The launcher as page code asked (`show`/`hide`); `None` follows the settings.
    pub launcher: RwSignal<Option<bool>>,
    /// How the conversation stands (state, operator, rating), as the edge last said.
    pub status: RwSignal<Option<ConversationStatus>>,
    /// The operator the visitor now talks to, after the conversation changed hands.
    pub talking_to: RwSignal<Option<String>>,
    /// Settings page code changed (`configure`, `setLocale`): a JS object laid over
    /// every settings document read.
    overrides: StoredValue<js_sys::Object, LocalStorage>,
    /// `sendMessage` promises waiting for their message's ack.
    acks: StoredValue<Vec<(ClientMessageId, js_sys::Function)>, LocalStorage>,
    /// The newest `seq` stored when this page first connected to the conversation:
    /// later operator messages are news for `message:received`, earlier ones history.
    history_until: StoredValue<Option<Seq>>,
    /// The operators' status as last told to page code.
    status_told: StoredValue<Option<bool>>,
    /// The visitor's identity; replaced if the edge stops accepting it.
    session: StoredValue<Option<VisitorSession>>,
    /// A check of the session is under way: the socket keeps failing while it runs,
    /// and a second check of the same stale token would replace the fresh session.
    checking_session: StoredValue<bool>,
    /// A session for the visitor's first message is being asked for.
    beginning: StoredValue<bool>,
    outbox: StoredValue<Outbox>,
    /// Messages queued in this tab (or restored from the outbox when it loaded) whose
    /// ack has not come: page code hears `message:sent` in the tab that sent, whichever
    /// tab's socket carried it.
    sent_here: StoredValue<Vec<ClientMessageId>>,
    /// The edge refused a message as too fast: the outbox goes again once the time it
    /// said has passed, and nothing is sent before (so the refused message keeps its
    /// place ahead of newer ones).
    held: StoredValue<bool>,
    /// A page of earlier messages was asked for and has not come yet.
    asking_earlier: StoredValue<bool>,
    /// This tab's way to the conversation's one socket (shared by the visitor's tabs).
    socket: StoredValue<Option<Link>, LocalStorage>,
    config: StoredValue<Config>,
}

fn me() -> Author {
    Author { kind: AuthorKind::Visitor, name: "You".into(), avatar: None }
}

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
    pub fn new(config: Config, settings_text: String) -> Chat {
        let details: VisitorDetails = storage::load(&storage::key(&config.site, "details")).unwrap_or_default();
        let form = storage::load(&storage::key(&config.site, "form")).unwrap_or_else(|| details.clone());
        let chat = Chat {
            settings: RwSignal::new(WidgetSettings::default()),
            settings_text: StoredValue::new(settings_text),
            log: RwSignal::new(Log::default()),
            open: RwSignal::new(false),
            seen: RwSignal::new(Seq(0)),
            operator_read: RwSignal::new(Seq(0)),
            operator_typing: Indicator::new(),
            connected: RwSignal::new(false),
            has_session: RwSignal::new(false),
            problem: RwSignal::new(None),
            online: RwSignal::new(true),
            details: RwSignal::new(details),
            form: RwSignal::new(form),
            editing: RwSignal::new(false),
            offline_sent: RwSignal::new(None),
            qr: RwSignal::new(None),
            uploading: RwSignal::new(false),
            unseen_auto: RwSignal::new(storage::load(&storage::key(&config.site, "unseen")).unwrap_or_default()),
            launcher: RwSignal::new(None),
            status: RwSignal::new(None),
            talking_to: RwSignal::new(None),
            overrides: StoredValue::new_local(js_sys::Object::new()),
            acks: StoredValue::new_local(Vec::new()),
            history_until: StoredValue::new(None),
            status_told: StoredValue::new(None),
            session: StoredValue::new(None),
            checking_session: StoredValue::new(false),
            beginning: StoredValue::new(false),
            outbox: StoredValue::new(Outbox::new(storage::key(&config.site, "outbox"))),
            sent_here: StoredValue::new(Vec::new()),
            held: StoredValue::new(false),
            asking_earlier: StoredValue::new(false),
            socket: StoredValue::new_local(None),
            config: StoredValue::new(config),
        };
        chat.settings.set(chat.read_settings(&chat.settings_text.get_value()));
        // Messages typed before a reload are still waiting: show them as pending. (Ones
        // stored already come back with the conversation's history.)
        chat.log.update(|log| {
            for pending in chat.outbox.with_value(Outbox::items).into_iter().filter(|p| p.stored.is_none()) {
                log.add_pending(&pending, pending.author(me()));
                chat.sent_here.update_value(|mine| mine.push(pending.client_id.clone()));
            }
        });
        chat
    }

    /// The language to speak now: forced by the site, or the browser's, or the site's
    /// default. Untracked: the app re-renders as a whole when the settings change.
    pub fn language(&self) -> Language {
        self.settings.with_untracked(|s| s.language.resolve(s.default_language, &browser_languages()))
    }

    /// The widget's built-in words in the current language.
    pub fn strings(&self) -> &'static Strings {
        Strings::of(self.language())
    }

    /// The owner's text for the current language, or the built-in one.
    pub fn text(&self, pick: fn(&Texts) -> &Option<String>, default: fn(&Strings) -> &'static str) -> String {
        let language = self.language();
        self.settings.with_untracked(|s| i18n::text(s, language, pick, default(Strings::of(language))))
    }

    /// Reads a settings document leniently, field by field, by `shared`'s rules (what
    /// this version cannot use falls back to defaults), with page code's overrides.
    fn read_settings(&self, text: &str) -> WidgetSettings {
        let document: js_sys::Object =
            js_sys::JSON::parse(text).ok().filter(JsValue::is_object).map_or_else(js_sys::Object::new, JsCast::unchecked_into);
        self.overrides.with_value(|overrides| js_sys::Object::assign(&document, overrides));
        crate::json::JsObject::from_value(document.into())
            .map(|object| WidgetSettings::read_object(crate::json::WidgetDocument(object), &mut Vec::new()))
            .unwrap_or_default()
    }

    /// The site's settings document as the edge sent it (the rules engine reads its
    /// rules from it).
    pub fn settings_document(&self) -> String {
        self.settings_text.get_value()
    }

    /// Lays settings page code chose (checked by the caller) over the site's.
    pub fn configure(&self, overrides: js_sys::Object) {
        self.overrides.with_value(|mine| js_sys::Object::assign(mine, &overrides));
        self.settings.set(self.read_settings(&self.settings_text.get_value()));
    }

    /// Operator and rules' messages the visitor has not seen.
    pub fn unread(&self) -> usize {
        self.unseen_auto.with(|unseen| self.log.with(|log| log.unread(self.seen.get(), unseen)))
    }

    pub fn unread_untracked(&self) -> usize {
        untrack(|| self.unread())
    }

    /// The storage key for `name` on this site.
    pub fn key(&self, name: &str) -> String {
        self.config.with_value(|c| storage::key(&c.site, name))
    }

    /// What the window shows now.
    pub fn view(&self) -> View {
        let (modal, offline_form) = self.settings.with(|s| {
            let modal = if self.online.get() { s.introduce.modal_online } else { s.introduce.modal_offline };
            (modal, !self.online.get() && s.offline_mode == OfflineMode::Form)
        });
        let fresh = self.log.with(|log| log.entries().is_empty());
        let introduced = self.details.with(|d| !d.name.is_empty());
        if self.editing.get() || (modal && fresh && !introduced) {
            View::Details
        } else if offline_form && fresh {
            View::OfflineForm
        } else {
            View::Chat
        }
    }

    /// Offline, and the site hides the widget then.
    pub fn hidden(&self) -> bool {
        !self.online.get() && self.settings.with(|s| s.offline_mode == OfflineMode::Hide)
    }

    /// Keeps the half-filled "Introduce yourself" form.
    pub fn edit_form(&self, change: impl FnOnce(&mut VisitorDetails)) {
        self.form.update(change);
        self.form.with_untracked(|form| storage::save(&self.key("form"), form));
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
    }

    /// Keeps details (also attributes alone) and tells the operators.
    pub fn tell(&self, details: VisitorDetails) {
        storage::save(&self.key("details"), &details);
        self.details.set(details.clone());
        self.with_socket(|socket| socket.send(&ClientFrame::Introduce { details }));
    }

    /// Asks the edge whether an operator is online.
    async fn check_status(&self) {
        let url = self.config.with_value(|c| format!("{}/v1/sites/{}/status", c.edge, c.site));
        // Unreachable: keep what we believed.
        if let Ok((200, text)) = net::get(&url, None).await {
            if let Some(status) = crate::json::parse::<SiteStatus>(&text) {
                self.set_online(status.online);
            }
        }
    }

    /// What the edge says of the operators' presence; page code hears of a change.
    fn set_online(&self, online: bool) {
        if self.online.get_untracked() != online {
            self.online.set(online);
        }
        if self.status_told.get_value() != Some(online) {
            self.status_told.set_value(Some(online));
            page::emit(PageEvent::Status, if online { "online" } else { "offline" }.into());
        }
    }

    /// Follows saved settings and operator presence: every few seconds while the
    /// visitor has the window open, once a minute while it is closed (settings cost a
    /// 304 when unchanged; browsers slow timers in hidden tabs).
    pub fn follow_settings(self) {
        spawn_local(async move {
            self.check_status().await;
            let mut ticks = 0u32;
            loop {
                sleep(SETTINGS_CHECK_MS).await;
                ticks = ticks.wrapping_add(1);
                // Closed, the widget may still be running the site's rules: it follows
                // changes too, twelve times less often.
                if !self.open.get_untracked() && ticks % CLOSED_CHECK_EVERY != 0 {
                    continue;
                }
                self.check_status().await;
                let url = self.config.with_value(|c| format!("{}/v1/sites/{}/widget", c.edge, c.site));
                // Unreachable or refused now: keep what we have and try again later.
                let Ok((200, text)) = net::get(&url, None).await else { continue };
                if self.settings_text.with_value(|current| *current != text) {
                    // The document first: what follows the settings (the rules) reads it.
                    let settings = self.read_settings(&text);
                    self.settings_text.set_value(text);
                    self.settings.set(settings);
                }
            }
        });
    }

    /// A returning visitor (a session kept in this browser) connects at once. A new one
    /// gets a session, and a socket, with their first message, file or `identify`: a
    /// visitor who only looks (or is greeted by a rule) costs the edge nothing.
    pub fn start(self) {
        let session = storage::load::<VisitorSession>(&self.key("session"));
        self.has_session.set(session.is_some());
        self.session.set_value(session);
        if self.session.with_value(Option::is_some) {
            self.connect();
        } else if self.outbox.with_value(|outbox| outbox.items().iter().any(|p| p.rule.is_none())) {
            // Typed before a reload, before the session came.
            self.begin();
        }
        self.follow_other_tabs();
    }

    /// The visitor needs a conversation now: gets a session (once) and connects. Retries
    /// until the edge answers; a session that came meanwhile (`identify`, another tab)
    /// wins.
    fn begin(self) {
        if self.session.with_value(Option::is_some) || self.beginning.get_value() {
            return;
        }
        self.beginning.set_value(true);
        spawn_local(async move {
            let session = self.visitor_session().await;
            self.beginning.set_value(false);
            if self.session.with_value(Option::is_none) {
                self.switch_session(session);
            }
        });
    }

    /// Another tab changed the visitor's session (`identify`, `reset`, a new one after
    /// the old expired): this tab follows it into the same conversation.
    fn follow_other_tabs(self) {
        let Some(window) = web_sys::window() else { return };
        let key = self.key("session");
        let on_storage = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::StorageEvent)>::new(move |event: web_sys::StorageEvent| {
            if event.key().as_deref() != Some(key.as_str()) {
                return;
            }
            if event.new_value().is_none() && self.session.with_value(Option::is_some) {
                // Another tab's `reset`: this one forgets the visitor too.
                self.forget_visitor();
                return;
            }
            let Some(session) = event.new_value().and_then(|text| crate::json::parse::<VisitorSession>(&text)) else { return };
            if self.session.with_value(|current| current.as_ref() != Some(&session)) {
                // What the other tab kept with it (after a `reset`, nothing of the
                // visitor before: this tab must not tell the new conversation their name).
                let details: VisitorDetails = storage::load(&self.key("details")).unwrap_or_default();
                self.form.set(storage::load(&self.key("form")).unwrap_or_else(|| details.clone()));
                self.details.set(details);
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
        let Some(conversation) = self.session.with_value(|s| s.as_ref().map(|s| s.conversation.clone())) else { return };
        let chat = *self;
        let url = move || {
            let (edge, session) = (chat.config.with_value(|c| c.edge.clone()), chat.session.get_value());
            let Some(session) = session else { return String::new() };
            let token = js_sys::encode_uri_component(&session.token);
            let path = format!("/v1/conversations/{}/ws?v={PROTOCOL_VERSION}&token={token}", session.conversation);
            net::socket_url(&edge, &path)
        };
        let link = Link::join(&self.key(&format!("tabs.{conversation}")), url, Rc::new(chat));
        self.socket.set_value(Some(link));
    }

    /// Leaves the conversation's socket (another tab takes it over).
    fn disconnect(&self) {
        if let Some(link) = self.socket.try_update_value(Option::take).flatten() {
            link.stop();
            self.closed();
        }
    }

    /// The socket keeps failing: if the edge no longer accepts the visitor's token
    /// (expired, or the site's secret was rotated), start a new conversation. Unsent
    /// messages stay in the outbox and go to the new one.
    async fn check_session(self) {
        let Some(session) = self.session.get_value() else { return };
        if self.checking_session.get_value() {
            return;
        }
        self.checking_session.set_value(true);
        let url = self.config.with_value(|c| format!("{}/v1/conversations/{}", c.edge, session.conversation));
        let refused = matches!(net::get(&url, Some(&session.token)).await, Ok((401 | 403, _)));
        // Valid, or the edge is unreachable: keep retrying as we are. Replaced while we
        // asked (`identify`, `reset`): the answer is about a session gone already.
        let current = self.session.with_value(|s| s.as_ref().map(|s| &s.token) == Some(&session.token));
        if refused && current {
            let fresh = self.new_visitor_session().await;
            self.switch_session(fresh);
        }
        self.checking_session.set_value(false);
    }

    /// Goes on with another session: kept, and the socket connects with it at once. In
    /// another conversation only the messages still pending stay shown.
    fn switch_session(&self, session: VisitorSession) {
        storage::save(&self.key("session"), &session);
        let moved = self.session.with_value(|old| old.as_ref().map(|s| &s.conversation) != Some(&session.conversation));
        self.session.set_value(Some(session));
        self.has_session.set(true);
        if moved {
            // Stored in the conversation left, only their ack missing: done, not moved.
            for pending in self.outbox.with_value(Outbox::take_stored) {
                self.tell_sent(&pending.client_id, pending.stored.unwrap_or_default(), false);
                self.resolve_waiting(&pending.client_id);
            }
            self.restart_log(Log::keep_pending);
            self.connect();
        } else {
            self.with_socket(|link| {
                link.reconnect();
                true
            });
        }
    }

    /// Starts the log afresh for another conversation, keeping what `keep` keeps.
    fn restart_log(&self, keep: impl FnOnce(&mut Log)) {
        self.log.update(keep);
        self.seen.set(Seq(0));
        self.operator_read.set(Seq(0));
        self.history_until.set_value(None);
    }

    /// The visitor's identity, made now if they have none yet.
    async fn current_session(&self) -> VisitorSession {
        self.begin();
        loop {
            match self.session.get_value() {
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
        let token = self.session.with_value(|s| s.as_ref().map(|s| s.token.clone()));
        let url = self.config.with_value(|c| format!("{}/v1/sites/{}/identify", c.edge, c.site));
        let body = IdentifyRequest { identity: identity.clone(), token };
        let session = net::request::<_, VisitorSession>("POST", &url, Some(&body), None).await.map_err(|e| {
            if e.0.starts_with("identify") { e.0 } else { format!("identify: {}", e.0) }
        })?;
        self.switch_session(session);
        if !identity.name.is_empty() {
            let mut details = self.details.get_untracked();
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
            storage::remove(&self.key(name));
        }
        self.forget_visitor();
    }

    /// Forgets the visitor in this tab (what `reset` removed from storage): the next
    /// visitor gets a session with their first message.
    fn forget_visitor(self) {
        self.session.set_value(None);
        self.has_session.set(false);
        self.details.set(VisitorDetails::default());
        self.form.set(VisitorDetails::default());
        self.editing.set(false);
        self.offline_sent.set(None);
        self.unseen_auto.set(Vec::new());
        self.restart_log(|log| *log = Log::default());
        self.disconnect();
    }

    async fn visitor_session(&self) -> VisitorSession {
        match storage::load::<VisitorSession>(&self.key("session")) {
            Some(session) => session,
            None => self.new_visitor_session().await,
        }
    }

    /// A new anonymous visitor from the edge, asked until it answers.
    async fn new_visitor_session(&self) -> VisitorSession {
        let url = self.config.with_value(|c| format!("{}/v1/sites/{}/visitors", c.edge, c.site));
        let mut delay = 500;
        loop {
            match net::request::<(), VisitorSession>("POST", &url, None, None).await {
                Ok(session) => {
                    // Kept by `switch_session`, unless another session won meanwhile.
                    self.problem.set(None);
                    return session;
                }
                Err(e) => {
                    self.problem.set(Some(format!("{}: {}", self.strings().cannot_connect, e.0)));
                    sleep(delay).await;
                    delay = (delay * 2).min(10_000);
                }
            }
        }
    }

    /// Whether the visitor may attach files now: the site allows it, online only.
    pub fn files_allowed(&self) -> bool {
        self.online.get() && self.settings.with(|s| s.files)
    }

    /// The edge's origin (which also serves stored files).
    pub fn edge(&self) -> String {
        self.config.with_value(|c| c.edge.clone())
    }

    /// Uploads a file the visitor chose and sends it as a message. Checked here first so
    /// a wrong file is refused at once, in the visitor's words; the edge checks again.
    pub fn attach(self, file: web_sys::File) {
        if let Err(problem) = files::check(&file.name(), file.size() as u64) {
            self.problem.set(Some(self.strings().file_problem(&problem)));
            return;
        }
        spawn_local(async move {
            self.uploading.set(true);
            // Chosen right after opening: the visitor's identity may still be on its way.
            let session = self.current_session().await;
            let url = self.config.with_value(|c| {
                let name = js_sys::encode_uri_component(&file.name());
                format!("{}/v1/conversations/{}/files?name={name}", c.edge, session.conversation)
            });
            let result = net::upload::<Attachment>(&url, &file, &session.token).await;
            self.uploading.set(false);
            match result {
                Ok(attachment) => match Pending::file(attachment, &net::random_id(), now()) {
                    Ok(pending) => self.queue(pending),
                    Err(e) => self.problem.set(Some(e.to_string())),
                },
                Err(e) => self.problem.set(Some(format!("{}{}", self.strings().upload_failed, e.0))),
            }
        });
    }

    /// Shows a message as pending, keeps it in the outbox and sends it. A rule's message
    /// waits in the outbox like a typed one (the edge keeps it until the conversation
    /// exists), and counts as unread while the window is closed.
    pub fn queue(&self, pending: Pending) {
        if pending.rule.is_some() && !self.open.get_untracked() {
            self.unseen_auto.update(|unseen| unseen.push(pending.client_id.clone()));
            self.unseen_auto.with_untracked(|unseen| storage::save(&self.key("unseen"), unseen));
            self.ring(false);
        }
        self.log.update(|log| log.add_pending(&pending, pending.author(me())));
        self.sent_here.update_value(|mine| mine.push(pending.client_id.clone()));
        let kept = self.outbox.with_value(|outbox| outbox.push(&pending));
        if !kept {
            self.problem.set(Some(self.strings().cannot_store.into()));
        } else if !self.held.get_value() {
            self.problem.set(None);
        }
        if pending.rule.is_none() {
            // The visitor wrote: their conversation is needed now, and the next pages
            // of this visit load the widget at once, so replies come live.
            storage::save(&self.key("chatted"), &now());
            self.begin();
        }
        if !self.held.get_value() {
            self.with_socket(|socket| socket.send(&pending.frame()));
        }
    }

    /// The edge refused a message as too fast: the visitor is told, and the outbox
    /// goes again (once) after the seconds it said; everything stays pending meanwhile.
    fn hold(self, retry_after: u32) {
        self.problem.set(Some(self.strings().too_fast.into()));
        if self.held.get_value() {
            return;
        }
        self.held.set_value(true);
        spawn_local(async move {
            sleep(retry_after.clamp(1, 3_600) as i32 * 1000).await;
            self.held.set_value(false);
            // The outbox is the tabs' own: the tab holding the socket sends it.
            self.with_socket(|link| {
                link.leads() && self.outbox.with_value(Outbox::items).iter().all(|pending| link.send(&pending.frame()))
            });
        });
    }

    /// Sends what the visitor typed; returns its id, or `None` (and says why) if it
    /// cannot be sent. With no operator online (as the edge finds when it stores it) it
    /// is an offline message.
    pub fn send(&self, text: &str) -> Option<ClientMessageId> {
        match Pending::typed(text, &net::random_id(), now()) {
            Ok(pending) => Some(self.send_typed(pending)),
            Err(e) => {
                self.problem.set(Some(self.strings().refusal(&e)));
                None
            }
        }
    }

    fn send_typed(&self, mut pending: Pending) -> ClientMessageId {
        pending.offline = !self.online.get_untracked();
        let id = pending.client_id.clone();
        self.queue(pending);
        id
    }

    /// `sendMessage` from page code: sent as if typed; the promise resolves (`true`)
    /// when the edge has stored it.
    pub fn send_from_page(&self, text: &str) -> Result<js_sys::Promise, String> {
        let pending = Pending::typed(text, &net::random_id(), now()).map_err(|e| format!("sendMessage: {e}"))?;
        let id = self.send_typed(pending);
        Ok(js_sys::Promise::new(&mut |resolve, _| self.acks.update_value(|acks| acks.push((id.clone(), resolve)))))
    }

    pub fn typing(&self, typing: bool) {
        self.with_socket(|socket| socket.send(&ClientFrame::Typing { typing }));
    }

    pub fn set_open(&self, open: bool) {
        if self.open.get_untracked() != open {
            page::emit(if open { PageEvent::Open } else { PageEvent::Close }, JsValue::UNDEFINED);
        }
        self.open.set(open);
        if open {
            if self.unseen_auto.with_untracked(|unseen| !unseen.is_empty()) {
                self.unseen_auto.set(Vec::new());
                storage::remove(&self.key("unseen"));
            }
            self.mark_seen();
        }
    }

    /// Plays the site's sound for something unread: when the window is closed or the
    /// tab hidden, or with `force` (a rule's "open the window and play the sound").
    pub fn ring(&self, force: bool) {
        if self.settings.with_untracked(|s| s.sound) {
            page::ding(force || !self.open.get_untracked());
        }
    }

    /// With the window open, everything stored has been seen: tell the operators.
    fn mark_seen(&self) {
        let last = self.log.with_untracked(Log::last_seq);
        if last > self.seen.get_untracked() {
            self.seen.set(last);
            self.with_socket(|socket| socket.send(&ClientFrame::Read { seq: last }));
        }
    }

    fn with_socket(&self, f: impl FnOnce(&Link) -> bool) {
        self.socket.with_value(|socket| socket.as_ref().map(f));
    }

    fn on_frame(&self, frame: ServerFrame) {
        match frame {
            ServerFrame::Welcome { operator_read, visitor_read, last_seq, from, .. } => {
                self.log.update(|log| log.start_at(from));
                self.asking_earlier.set_value(false);
                self.history_until.update_value(|until| {
                    until.get_or_insert(last_seq);
                });
                self.operator_read.set(operator_read);
                self.seen.update(|seen| *seen = (*seen).max(visitor_read));
            }
            ServerFrame::Ack { client_id, seq, offline } => {
                self.outbox.with_value(|outbox| outbox.acked(&client_id));
                self.log.update(|log| log.ack(&client_id, seq));
                if !self.held.get_value() && self.problem.with_untracked(|p| p.as_deref() == Some(self.strings().too_fast)) {
                    self.problem.set(None);
                }
                if offline {
                    // The edge found nobody online when it stored the message.
                    self.set_online(false);
                }
                self.tell_sent(&client_id, seq, offline);
                self.resolve_waiting(&client_id);
            }
            ServerFrame::Message(message) => {
                // Our own message's echo comes before its ack (the edge acks once the
                // site heard of it): it is stored, whatever happens to the ack.
                if self.log.with_untracked(|log| log.is_pending(&message.client_id)) {
                    self.outbox.with_value(|outbox| outbox.stored(&message.client_id, message.seq));
                }
                if message.author.kind == AuthorKind::Operator {
                    self.operator_typing.set(None);
                    if message.seq > self.seen.get_untracked() {
                        self.ring(false);
                    }
                    if !message.auto && self.history_until.get_value().is_some_and(|until| message.seq > until) {
                        let detail = [
                            ("seq", (message.seq.0 as f64).into()),
                            ("text", message.text.as_str().into()),
                            ("author", message.author.name.as_str().into()),
                        ];
                        page::emit(PageEvent::MessageReceived, page::object(&detail));
                    }
                }
                self.log.update(|log| log.apply(message));
                if self.open.get_untracked() {
                    self.mark_seen();
                }
            }
            ServerFrame::Typing { author: AuthorKind::Operator, name, typing } => {
                self.operator_typing.set(typing.then_some(name));
            }
            ServerFrame::Read { by: AuthorKind::Operator, seq } => {
                self.operator_read.update(|read| *read = (*read).max(seq));
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
            ServerFrame::Earlier { before, messages } => {
                self.asking_earlier.set_value(false);
                self.log.update(|log| log.prepend(before, messages));
            }
            // A page of history asked too often is asked again by scrolling; a message
            // refused as too fast goes again after the time said. (Which one it was is
            // not said: with messages waiting, they wait, so none is left behind.)
            ServerFrame::Error(error) if error.code == ErrorCode::RateLimited => {
                let asked = self.asking_earlier.get_value();
                self.asking_earlier.set_value(false);
                if !asked || !self.outbox.with_value(Outbox::items).is_empty() {
                    self.hold(error.retry_after.unwrap_or(1));
                }
            }
            ServerFrame::Error(error) if error.code == ErrorCode::Blocked => {
                self.problem.set(Some(self.strings().not_delivered.into()));
            }
            ServerFrame::Error(error) => self.problem.set(Some(error.message)),
            _ => {}
        }
    }

    /// Page code hears that a message sent from this tab is stored (once: a repeated
    /// ack finds it told; a rule's is not told).
    fn tell_sent(&self, client_id: &ClientMessageId, seq: Seq, offline: bool) {
        let mine = self.sent_here.try_update_value(|mine| mine.iter().position(|id| id == client_id).map(|at| mine.remove(at))).flatten();
        let entry = self.log.with_untracked(|log| log.entries().iter().find(|e| &e.client_id == client_id).map(|e| (e.auto, e.text.clone())));
        if let (Some(_), Some((false, text))) = (mine, entry) {
            let event = if offline { PageEvent::OfflineSent } else { PageEvent::MessageSent };
            let detail = [("id", client_id.as_str().into()), ("seq", (seq.0 as f64).into()), ("text", text.as_str().into())];
            page::emit(event, page::object(&detail));
        }
    }

    /// A `sendMessage` waiting for this message resolves (also when the outbox could not
    /// keep it, so its ack finds nothing there).
    fn resolve_waiting(&self, client_id: &ClientMessageId) {
        let waited = self.acks.try_update_value(|acks| {
            let (done, rest) = std::mem::take(acks).into_iter().partition(|(id, _)| id == client_id);
            *acks = rest;
            done
        });
        for (_, resolve) in waited.unwrap_or_else(Vec::new) {
            let _ = resolve.call1(&JsValue::UNDEFINED, &JsValue::TRUE);
        }
    }

    /// Asks for the page of messages before the oldest shown (one question at a time).
    pub fn load_earlier(&self) {
        let before = self.log.with_untracked(|log| log.has_earlier().then(|| log.earlier_before()));
        if let Some(before) = before.filter(|_| !self.asking_earlier.get_value()) {
            self.with_socket(|socket| {
                let sent = socket.send(&ClientFrame::Earlier { before });
                self.asking_earlier.set_value(sent);
                sent
            });
        }
    }

    /// The visitor rates the conversation that ended.
    pub fn rate(&self, good: bool, comment: String) {
        self.with_socket(|socket| socket.send(&ClientFrame::Rate { good, comment }));
    }
}

impl Peer for Chat {
    fn opened(&self, leads: bool, joined: bool) {
        self.connected.set(true);
        // A tab joining a socket open already says hello for its own catch-up (and its
        // page); the leader's catch-up after a reconnect reaches every tab.
        if !leads && !joined {
            return;
        }
        let after = self.log.with_untracked(Log::resume_after);
        let page = Some(page_context());
        self.with_socket(|link| link.send(&ClientFrame::Hello { protocol: PROTOCOL_VERSION, after, page }));
        if !leads {
            return;
        }
        let details = self.details.get_untracked();
        if details != VisitorDetails::default() {
            // Before any message, so the conversation is created with them.
            self.with_socket(|link| link.send(&ClientFrame::Introduce { details }));
        }
        // Everything not acked yet (typed in any tab) goes again; the edge stores each
        // client id once.
        self.with_socket(|link| self.outbox.with_value(Outbox::items).iter().all(|pending| link.send(&pending.frame())));
    }

    fn frame(&self, text: &str) {
        // A frame this version cannot read is skipped: a newer edge may send more.
        if let Some(frame) = crate::json::JsObject::parse(text).and_then(ServerFrame::read_object) {
            self.on_frame(frame);
        }
    }

    fn closed(&self) {
        self.connected.set(false);
        self.operator_typing.set(None);
        // A page asked for on the socket that closed will not come: ask again later.
        self.asking_earlier.set_value(false);
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
                self.seen.update(|seen| *seen = (*seen).max(Seq(seq as u64)));
            }
        }
    }
}
