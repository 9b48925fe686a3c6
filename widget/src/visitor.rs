//! The visitor on this browser: their session (identity and conversation, kept in
//! storage and shared by their tabs) and what they told about themselves.

use leptos::prelude::*;
use natter_shared::contact::VisitorDetails;
use natter_shared::protocol::VisitorSession;

use crate::site::Site;
use crate::storage;

#[derive(Clone, Copy)]
pub struct Visitor {
    /// What the visitor told about themselves (kept in storage).
    pub details: RwSignal<VisitorDetails>,
    /// The "Introduce yourself" form as typed so far (kept in storage, so a reload
    /// keeps it half-filled).
    pub form: RwSignal<VisitorDetails>,
    /// The visitor has a conversation to connect to: until their first message there
    /// is none, and nothing to be connecting to.
    pub has_session: RwSignal<bool>,
    /// Their identity; replaced if the edge stops accepting it.
    session: StoredValue<Option<VisitorSession>>,
    /// A check of the session is under way: the socket keeps failing while it runs,
    /// and a second check of the same stale token would replace the fresh session.
    pub checking: StoredValue<bool>,
    /// A session for the visitor's first message is being asked for.
    pub beginning: StoredValue<bool>,
    site: Site,
}

impl Visitor {
    /// The visitor as this browser kept them (no session is read yet: see [`Visitor::load_session`]).
    pub fn new(site: Site) -> Visitor {
        let visitor = Visitor {
            details: RwSignal::new(VisitorDetails::default()),
            form: RwSignal::new(VisitorDetails::default()),
            has_session: RwSignal::new(false),
            session: StoredValue::new(None),
            checking: StoredValue::new(false),
            beginning: StoredValue::new(false),
            site,
        };
        visitor.load_details();
        visitor
    }

    /// Reads the details (and the half-filled form) kept in storage: at start, and when
    /// another tab changed the visitor.
    pub fn load_details(&self) {
        let details: VisitorDetails = storage::load(&self.site.key("details")).unwrap_or_default();
        self.form.set(storage::load(&self.site.key("form")).unwrap_or_else(|| details.clone()));
        self.details.set(details);
    }

    /// Keeps the visitor's details.
    pub fn keep_details(&self, details: VisitorDetails) {
        storage::save(&self.site.key("details"), &details);
        self.details.set(details);
    }

    /// Keeps the half-filled "Introduce yourself" form.
    pub fn edit_form(&self, change: impl FnOnce(&mut VisitorDetails)) {
        self.form.update(change);
        self.form.with_untracked(|form| storage::save(&self.site.key("form"), form));
    }

    /// The session kept in storage, now this tab's.
    pub fn load_session(&self) {
        let session = self.kept_session();
        self.has_session.set(session.is_some());
        self.session.set_value(session);
    }

    /// The session kept in storage (by this tab or another).
    pub fn kept_session(&self) -> Option<VisitorSession> {
        storage::load(&self.site.key("session"))
    }

    pub fn session(&self) -> Option<VisitorSession> {
        self.session.get_value()
    }

    pub fn has(&self) -> bool {
        self.session.with_value(Option::is_some)
    }

    /// Keeps another session; whether it is in another conversation.
    pub fn switch(&self, session: VisitorSession) -> bool {
        storage::save(&self.site.key("session"), &session);
        let moved = self.session.with_value(|old| old.as_ref().map(|s| &s.conversation) != Some(&session.conversation));
        self.session.set_value(Some(session));
        self.has_session.set(true);
        moved
    }

    /// Forgets the visitor in this tab (what `reset` removed from storage).
    pub fn forget(&self) {
        self.session.set_value(None);
        self.has_session.set(false);
        self.details.set(VisitorDetails::default());
        self.form.set(VisitorDetails::default());
    }
}
