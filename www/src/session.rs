//! The console's store: the operator's session (kept in `localStorage`), who they are
//! and the sites they work on, the site and page they look at, the live inbox from that
//! site's inbox socket, and which conversation is open.

use std::rc::Rc;

use wasm_bindgen::JsCast;

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::accounts::{Me, SiteInfo};
use natter_shared::ids::{ConversationId, SiteId};
use natter_shared::inbox::{InboxCounts, InboxKey};
use natter_shared::protocol::{
    AuthorKind, ClientFrame, ConversationSummary, InboxFrame, OperatorPresence, OperatorSession, Role, PROTOCOL_VERSION,
};
use natter_shared::settings::Language;
use natter_widget::json;
use natter_widget::net::{self, Listener, NetError, Socket};
use serde::de::DeserializeOwned;
use serde::Serialize;
use natter_widget::storage;

use crate::alerts::{self, Prefs};
use crate::inbox::Cursor;
use crate::i18n::{self, tr, trf};

const SESSION_KEY: &str = "natter.console.session";
const SITE_KEY: &str = "natter.console.site";

/// The console's pages, as its navigation names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Inbox,
    Journal,
    Visitors,
    Figures,
    Integrations,
    CannedReplies,
    Sites,
    Operators,
    Installation,
    WidgetSettings,
    Profile,
}

impl Page {
    pub const ALL: [Page; 11] = [
        Page::Inbox,
        Page::Journal,
        Page::Visitors,
        Page::Figures,
        Page::Integrations,
        Page::CannedReplies,
        Page::Sites,
        Page::Operators,
        Page::Installation,
        Page::WidgetSettings,
        Page::Profile,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Page::Inbox => tr("Inbox"),
            Page::Journal => tr("Journal"),
            Page::Visitors => tr("Visitors"),
            Page::Figures => tr("Figures"),
            Page::Integrations => tr("Integrations"),
            Page::CannedReplies => tr("Canned replies"),
            Page::Sites => tr("Sites"),
            Page::Operators => tr("Operators"),
            Page::Installation => tr("Installation"),
            Page::WidgetSettings => tr("Widget settings"),
            Page::Profile => tr("Profile"),
        }
    }

    /// Pages only admins see.
    pub fn admins_only(self) -> bool {
        matches!(self, Page::Figures | Page::Integrations | Page::Sites | Page::Operators | Page::WidgetSettings)
    }
}

/// The inbox's filters.
/// The inbox's filters, with the console's words for them.
pub use natter_shared::inbox::InboxFilter as Filter;

pub fn filter_label(filter: Filter) -> &'static str {
    match filter {
        Filter::Waiting => tr("Waiting"),
        Filter::Mine => tr("Mine"),
        Filter::Active => tr("All active"),
    }
}

#[derive(Clone, Copy)]
pub struct Console {
    pub session: RwSignal<Option<OperatorSession>>,
    /// Who is signed in and the sites they work on (loaded after signing in).
    pub me: RwSignal<Option<Me>>,
    /// The site everything per site shows.
    pub site: RwSignal<Option<SiteId>>,
    pub page: RwSignal<Page>,
    /// The conversations loaded so far: the first page of each filter looked at and
    /// the pages after it the operator asked for, kept up to date live.
    pub inbox: RwSignal<Vec<ConversationSummary>>,
    /// How far each filter is loaded (see [`crate::inbox::Cursor`]).
    pub cursors: RwSignal<Vec<Cursor>>,
    /// How many conversations each filter holds, as the site last said.
    pub counts: RwSignal<Option<InboxCounts>>,
    /// The site's operators who are online now.
    pub online: RwSignal<Vec<OperatorPresence>>,
    pub selected: RwSignal<Option<ConversationId>>,
    pub connected: RwSignal<bool>,
    /// Widget settings has changes not saved yet: leaving asks first.
    pub unsaved: RwSignal<bool>,
    /// Why the operator is looking at the sign-in form again, if not by choice.
    pub notice: RwSignal<Option<String>>,
    pub filter: RwSignal<Filter>,
    /// The operator's choices on this browser (alerts, language).
    pub prefs: RwSignal<Prefs>,
    /// The console's language: changing it draws everything anew.
    pub language: RwSignal<Language>,
    /// Now, in milliseconds, updated every few seconds for the waiting times.
    pub clock: RwSignal<f64>,
    /// What the inbox last announced to screen readers.
    pub announcement: RwSignal<String>,
    /// Conversations this tab took or answered: their change of hands is no news here.
    acted: StoredValue<Vec<ConversationId>>,
    /// The inbox sockets: the shown site's first, then one per other site of the
    /// operator's, which only keep them online there (presence is per site).
    sockets: StoredValue<Vec<Socket>, LocalStorage>,
}

/// Asks the operator `question` (OK / Cancel); no answer is a no.
pub fn confirmed(question: &str) -> bool {
    web_sys::window().and_then(|w| w.confirm_with_message(question).ok()).unwrap_or(false)
}

/// What the edge answers to a `DELETE`: `{}`.
#[derive(serde::Deserialize)]
pub struct Deleted {}

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
            me: RwSignal::new(None),
            site: RwSignal::new(storage::load(SITE_KEY)),
            // A bookmarked journal view opens the journal.
            page: RwSignal::new(if crate::journal::opened_on_journal() { Page::Journal } else { Page::Inbox }),
            inbox: RwSignal::new(Vec::new()),
            cursors: RwSignal::new(Vec::new()),
            counts: RwSignal::new(None),
            online: RwSignal::new(Vec::new()),
            selected: RwSignal::new(None),
            connected: RwSignal::new(false),
            unsaved: RwSignal::new(false),
            notice: RwSignal::new(None),
            filter: RwSignal::new(Filter::Active),
            prefs: RwSignal::new(Prefs::load()),
            language: RwSignal::new(Language::En),
            clock: RwSignal::new(js_sys::Date::now()),
            announcement: RwSignal::new(String::new()),
            acted: StoredValue::new(Vec::new()),
            sockets: StoredValue::new_local(Vec::new()),
        };
        let language = console.prefs.get_untracked().language.unwrap_or_else(i18n::browser_language);
        i18n::set_language(language);
        console.language.set(language);
        console.tick();
        console.count_in_title();
        if console.session.get_untracked().is_some() {
            console.load_me();
        }
        console.guard_unload();
        console
    }

    /// Moves the clock every 10 seconds (waiting times).
    fn tick(&self) {
        let clock = self.clock;
        let tick = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || clock.set(js_sys::Date::now()));
        if let Some(window) = web_sys::window() {
            let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), 10_000);
        }
        // The console lives as long as the page.
        tick.forget();
    }

    /// Keeps the tab title's count: conversations waiting, and mine with unread messages.
    fn count_in_title(&self) {
        let console = *self;
        Effect::new(move |_| {
            let me = console.me_id();
            let count = console.inbox.with(|inbox| {
                inbox
                    .iter()
                    .filter(|c| Filter::Waiting.admits(c, me.as_ref()) || (Filter::Mine.admits(c, me.as_ref()) && c.unread > 0))
                    .count()
            });
            alerts::show_count(if console.prefs.with(|p| p.title_count) { count } else { 0 });
        });
    }

    /// The signed-in operator's id.
    pub fn me_id(&self) -> Option<natter_shared::ids::OperatorId> {
        self.session.with(|s| s.as_ref().map(|s| s.operator.clone()))
    }

    /// Changes the operator's choices on this browser; a new language redraws the console.
    pub fn set_prefs(&self, prefs: Prefs) {
        prefs.save();
        self.prefs.set(prefs);
        let language = prefs.language.unwrap_or_else(i18n::browser_language);
        if language != self.language.get_untracked() {
            i18n::set_language(language);
            self.language.set(language);
        }
    }

    /// This tab took or answered a conversation.
    pub fn acted_on(&self, id: &ConversationId) {
        self.acted.update_value(|acted| {
            if !acted.contains(id) {
                acted.push(id.clone());
            }
        });
    }

    /// A conversation changed: alert the operator if it now needs them (a new waiting
    /// one, a visitor's message in one of theirs, one given to them), unless they are
    /// looking at it.
    fn alert(&self, old: Option<&ConversationSummary>, new: &ConversationSummary) {
        let me = self.me_id();
        let mine = Filter::Mine.admits(new, me.as_ref());
        let newly_waiting = Filter::Waiting.admits(new, me.as_ref()) && !old.is_some_and(|o| Filter::Waiting.admits(o, me.as_ref()));
        let visitor_wrote = mine && new.last_author == AuthorKind::Visitor && old.is_some_and(|o| new.last_seq > o.last_seq);
        let given = mine && !old.is_some_and(|o| Filter::Mine.admits(o, me.as_ref())) && !self.acted.with_value(|a| a.contains(&new.id));
        let name = i18n::visitor_name(&new.visitor_name);
        let (title, body) = if newly_waiting {
            self.announcement.set(trf("{} is waiting", &[&name]));
            (trf("New conversation: {}", &[&name]), new.last_text.clone())
        } else if given {
            (trf("You were given a conversation with {}", &[&name]), new.last_text.clone())
        } else if visitor_wrote {
            (trf("New message from {}", &[&name]), new.last_text.clone())
        } else {
            return;
        };
        if alerts::focused() && self.selected.get_untracked().as_ref() == Some(&new.id) && self.page.get_untracked() == Page::Inbox {
            return;
        }
        let prefs = self.prefs.get_untracked();
        if prefs.sound {
            alerts::chime();
        }
        if prefs.notifications {
            let console = *self;
            let id = new.id.clone();
            alerts::notify(&title, &body, move || {
                console.page.set(Page::Inbox);
                console.selected.set(Some(id.clone()));
            });
        }
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
                .and_then(|w| w.confirm_with_message(tr("Widget settings have changes that are not saved. Leave without saving them?")).ok())
                .unwrap_or(true)
    }

    pub fn signed_in(&self, session: OperatorSession, page: Page) {
        self.notice.set(None);
        storage::save(SESSION_KEY, &session);
        self.session.set(Some(session));
        self.page.set(page);
        self.load_me();
    }

    /// A new session for this tab (after a password change ended the others).
    pub fn renewed(&self, session: OperatorSession) {
        storage::save(SESSION_KEY, &session);
        self.session.set(Some(session));
        self.connect_inbox();
    }

    pub fn sign_out(&self) {
        self.unsaved.set(false);
        storage::remove(SESSION_KEY);
        self.stop_sockets();
        self.session.set(None);
        self.me.set(None);
        self.selected.set(None);
        self.inbox.set(Vec::new());
        self.online.set(Vec::new());
    }

    /// The session's token, for requests.
    pub fn token(&self) -> String {
        self.session.with_untracked(|s| s.as_ref().map(|s| s.token.clone()).unwrap_or_default())
    }

    /// A JSON request to the edge with this session (`net::request` with the token).
    pub async fn request<B: Serialize, R: DeserializeOwned>(&self, method: &str, url: &str, body: Option<&B>) -> Result<R, NetError> {
        net::request(method, url, body, Some(&self.token())).await
    }

    pub fn is_admin(&self) -> bool {
        self.me.with(|me| me.as_ref().is_some_and(|me| me.role == Role::Admin))
    }

    /// The site shown now, with what the console knows of it.
    pub fn current_site(&self) -> Option<SiteInfo> {
        let site = self.site.get()?;
        self.me.with(|me| me.as_ref().and_then(|me| me.sites.iter().find(|s| s.id == site).cloned()))
    }

    /// `{edge}/v1/console/sites/{site}/{rest}` for the site shown now.
    pub fn site_url(&self, rest: &str) -> String {
        let site = self.site.with_untracked(|s| s.as_ref().map(ToString::to_string).unwrap_or_default());
        format!("{}/v1/console/sites/{site}/{rest}", edge())
    }

    /// Loads who is signed in and their sites, then shows a site they work on.
    pub fn load_me(&self) {
        let console = *self;
        spawn_local(async move {
            let url = format!("{}/v1/console/me", edge());
            match net::get(&url, Some(&console.token())).await {
                Ok((200, text)) => {
                    let Some(me) = json::parse::<Me>(&text) else { return };
                    let keep = console.site.with_untracked(|s| s.as_ref().is_some_and(|s| me.sites.iter().any(|m| &m.id == s)));
                    let site = if keep { console.site.get_untracked() } else { me.sites.first().map(|s| s.id.clone()) };
                    if me.role != Role::Admin && console.page.get_untracked().admins_only() {
                        console.page.set(Page::Inbox);
                    }
                    let ids = |me: &Me| me.sites.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
                    let same_sites = console.me.with_untracked(|old| old.as_ref().map(ids)) == Some(ids(&me));
                    console.me.set(Some(me));
                    // Drawn anew only for another site (a page keeps what it was doing).
                    if site != console.site.get_untracked() || console.sockets.with_value(Vec::is_empty) {
                        console.show_site(site);
                    } else if !same_sites {
                        console.connect_inbox();
                    }
                }
                Ok((401, _)) => console.ended(),
                _ => console.notice.set(Some(tr("The console could not load your account. Reload the page to try again.").into())),
            }
        });
    }

    /// Shows another site: its inbox, settings and installation.
    pub fn show_site(&self, site: Option<SiteId>) {
        match &site {
            Some(site) => {
                storage::save(SITE_KEY, site);
            }
            None => storage::remove(SITE_KEY),
        }
        self.site.set(site);
        self.selected.set(None);
        self.inbox.set(Vec::new());
        self.online.set(Vec::new());
        self.connect_inbox();
    }

    /// The session ended elsewhere (password changed, deactivated): back to sign-in.
    pub fn ended(&self) {
        self.sign_out();
        self.notice.set(Some(tr("Your session has ended. Sign in again.").into()));
    }

    /// Whether this operator has stepped away (as the site last told).
    pub fn away(&self) -> bool {
        let me = self.session.with(|s| s.as_ref().map(|s| s.operator.clone()));
        self.online.with(|online| online.iter().any(|o| Some(&o.id) == me.as_ref() && o.away))
    }

    /// Steps away (visitors then see the site offline unless a colleague is online) or back.
    pub fn set_away(&self, away: bool) {
        self.sockets.with_value(|sockets| {
            for socket in sockets {
                socket.send(&ClientFrame::Away { away });
            }
        });
    }

    fn stop_sockets(&self) {
        self.sockets.with_value(|sockets| sockets.iter().for_each(Socket::stop));
        self.sockets.set_value(Vec::new());
    }

    /// Connects the shown site's inbox, and keeps the operator online on their other sites.
    fn connect_inbox(&self) {
        self.stop_sockets();
        let Some(shown) = self.site.get_untracked() else { return };
        let others: Vec<_> = self
            .me
            .with_untracked(|me| me.as_ref().map(|me| me.sites.iter().map(|s| s.id.clone()).collect()).unwrap_or_default());
        let console = *self;
        let connect = |site: &SiteId, listener: Rc<dyn Listener>| {
            let path = format!("/v1/console/sites/{site}/inbox/ws");
            Socket::connect(move || console.session.with_untracked(|s| s.as_ref().map(|s| socket_url(s, &path))).unwrap_or_default(), listener)
        };
        let mut sockets = vec![connect(&shown, Rc::new(console))];
        for site in others.iter().filter(|s| **s != shown) {
            sockets.push(connect(site, Rc::new(Presence(console))));
        }
        self.sockets.set_value(sockets);
    }

    /// Signs out with a notice if the session has ended (expired, password changed,
    /// deactivated: the edge closes the inbox sockets then, and refuses them after).
    fn check_session(&self) {
        let console = *self;
        spawn_local(async move {
            let Some(token) = console.session.with_untracked(|s| s.as_ref().map(|s| s.token.clone())) else { return };
            match net::get(&format!("{}/v1/console/session", edge()), Some(&token)).await {
                Ok((401, _)) => console.ended(),
                // Still signed in: perhaps the operator's sites changed (the edge then
                // closes their sockets on sites they left). Their list, read again,
                // says which sockets to keep.
                Ok((204, _)) => console.load_me(),
                _ => {}
            }
        });
    }
}

/// An inbox socket of a site not shown: it only keeps the operator online there.
struct Presence(Console);

impl Listener for Presence {
    fn opened(&self, socket: &Socket) {
        socket.send(&ClientFrame::Hello { protocol: PROTOCOL_VERSION, after: Default::default(), page: None });
    }

    fn frame(&self, _socket: &Socket, _text: &str) {}

    fn closed(&self) {}

    fn keeps_failing(&self) {
        self.0.check_session();
    }
}

impl Listener for Console {
    fn opened(&self, socket: &Socket) {
        self.connected.set(true);
        socket.send(&ClientFrame::Hello { protocol: PROTOCOL_VERSION, after: Default::default(), page: None });
        // The edge is reachable: replies that waited for it go out now.
        crate::courier::deliver_waiting(*self);
    }

    fn frame(&self, _socket: &Socket, text: &str) {
        match json::parse::<InboxFrame>(text) {
            Some(InboxFrame::Inbox { conversations, more, counts }) => {
                let last = conversations.last().map(InboxKey::of);
                self.inbox.set(conversations);
                self.cursors.set(vec![Cursor { filter: Filter::Active, last, more }]);
                self.counts.set(counts);
            }
            Some(InboxFrame::Counts(counts)) => self.counts.set(Some(counts)),
            Some(InboxFrame::Conversation(summary)) => {
                let old = self.inbox.with_untracked(|inbox| inbox.iter().find(|c| c.id == summary.id).cloned());
                self.alert(old.as_ref(), &summary);
                self.inbox.update(|inbox| {
                    inbox.retain(|c| c.id != summary.id);
                    inbox.push(summary);
                });
            }
            Some(InboxFrame::Removed { id }) => self.inbox.update(|inbox| inbox.retain(|c| c.id != id)),
            Some(InboxFrame::Presence { online }) => self.online.set(online),
            _ => {}
        }
    }

    fn closed(&self) {
        self.connected.set(false);
    }

    /// The inbox keeps failing: perhaps the session has ended.
    fn keeps_failing(&self) {
        self.check_session();
    }
}
