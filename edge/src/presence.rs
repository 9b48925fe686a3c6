//! The `Presence` Durable Object: one shard of a site's live visitors
//! ([`natter_shared::presence::SHARDS`] per site, a visitor's by their id), so that ten
//! thousand visitors are spread over objects that answer in parallel. It keeps
//! everything in memory and stores nothing: presence is what the loaders say now, and
//! a shard that was evicted hears from every visible tab again within a minute.
//!
//! A page view is held open (a long poll, up to [`HOLD_MS`]): while it is, the
//! visitor is on the site, and an operator's chat reaches them at once by its answer.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::future::{select, Either};
use natter_shared::ids::SiteId;
use natter_shared::presence::{Invitation, LiveVisitor, PageView, PresenceAnswer, VisitedPage, GONE_MS, HOLD_MS, MAX_PAGES};
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use crate::auth;
use crate::error::{EdgeError, EdgeResult};
use crate::internal;

/// How long an invitation waits for a visitor whose tab is between two page views.
const INVITATION_WAITS_MS: u64 = 60_000;

/// An operator's chat for a visitor, handed to their tabs.
#[derive(Serialize, Deserialize)]
pub struct InviteCall {
    pub id: String,
    pub invitation: Invitation,
}

struct Waiting {
    /// This hold's own number.
    n: u64,
    id: String,
    tab: String,
    reply: oneshot::Sender<Invitation>,
}

#[durable_object]
pub struct Presence {
    #[allow(dead_code)]
    state: State,
    #[allow(dead_code)]
    env: Env,
    visitors: RefCell<HashMap<String, LiveVisitor>>,
    /// The page views held open now.
    waiting: RefCell<Vec<Waiting>>,
    holds: Cell<u64>,
    /// Invitations for visitors with no page view held, and until when they wait.
    pending: RefCell<HashMap<String, (Invitation, u64)>>,
}

impl DurableObject for Presence {
    fn new(state: State, env: Env) -> Self {
        Self { state, env, visitors: RefCell::default(), waiting: RefCell::default(), holds: Cell::new(0), pending: RefCell::default() }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        Ok(self.route(req).await.unwrap_or_else(EdgeError::into_response))
    }
}

impl Presence {
    async fn route(&self, req: Request) -> EdgeResult<Response> {
        match req.path().as_str() {
            "/view" => {
                let site: SiteId = internal::context(&req)?;
                let view: PageView = internal::request_json(&req).await?;
                Ok(Response::from_json(&self.view(site, view).await)?)
            }
            "/list" => {
                self.forget_gone();
                Ok(Response::from_json(&self.visitors.borrow().values().cloned().collect::<Vec<_>>())?)
            }
            "/get" => {
                let id: String = internal::request_json(&req).await?;
                self.forget_gone();
                Ok(Response::from_json(&self.visitors.borrow().get(&id).cloned())?)
            }
            "/simulate" => {
                // `make bench` (dev only): visitors as if each held a page view now, without
                // a connection each (`wrangler dev` runs out of open files first).
                let site: SiteId = internal::context(&req)?;
                let views: Vec<PageView> = internal::request_json(&req).await?;
                let now = auth::now();
                for view in &views {
                    self.seen(site.clone(), view, now);
                    if let Some(visitor) = self.visitors.borrow_mut().get_mut(&view.id) {
                        visitor.last_seen = now + HOLD_MS;
                    }
                }
                Ok(Response::from_json(&views.len())?)
            }
            "/invite" => {
                let call: InviteCall = internal::request_json(&req).await?;
                Ok(Response::from_json(&self.invite(call))?)
            }
            other => Err(EdgeError::NotFound(format!("No presence route {other}"))),
        }
    }

    /// Keeps the page view, then holds it until an operator starts a chat with this
    /// visitor or [`HOLD_MS`] pass.
    async fn view(&self, site: SiteId, view: PageView) -> PresenceAnswer {
        let now = auth::now();
        self.seen(site, &view, now);
        let pending = self.pending.borrow_mut().remove(&view.id).filter(|(_, until)| *until > now);
        if let Some((invitation, _)) = pending {
            return PresenceAnswer { chat: Some(invitation) };
        }
        let (reply, answer) = oneshot::channel();
        let n = self.holds.get() + 1;
        self.holds.set(n);
        {
            let mut waiting = self.waiting.borrow_mut();
            // A tab asks again only after its last answer: an older one of it is stale.
            waiting.retain(|w| !(w.id == view.id && w.tab == view.tab));
            waiting.push(Waiting { n, id: view.id.clone(), tab: view.tab.clone(), reply });
        }
        let chat = match select(answer, worker::Delay::from(Duration::from_millis(HOLD_MS))).await {
            Either::Left((Ok(invitation), _)) => Some(invitation),
            _ => None,
        };
        self.waiting.borrow_mut().retain(|w| w.n != n);
        if let Some(visitor) = self.visitors.borrow_mut().get_mut(&view.id) {
            visitor.last_seen = auth::now();
        }
        PresenceAnswer { chat }
    }

    /// The visitor as this page view shows them: a new page joins the visit's pages.
    fn seen(&self, site: SiteId, view: &PageView, now: u64) {
        let mut visitors = self.visitors.borrow_mut();
        let visitor = visitors.entry(view.id.clone()).or_insert_with(|| LiveVisitor {
            id: view.id.clone(),
            site,
            name: format!("Visitor {}", &view.id[..4]),
            pages: Vec::new(),
            referrer: String::new(),
            visits: 0,
            page_views: 0,
            visit_started: view.visit.started,
            last_seen: now,
            conversation: None,
            messages: 0,
            operator: None,
            priority: false,
        });
        // Another visit began: its pages start anew, and it came from this page's referrer.
        if view.visit.started != visitor.visit_started || visitor.pages.is_empty() {
            visitor.pages.clear();
            visitor.visit_started = view.visit.started;
            visitor.referrer.clone_from(&view.referrer);
        }
        if visitor.current().is_none_or(|page| page.url != view.url) {
            visitor.pages.push(VisitedPage { url: view.url.clone(), title: view.title.clone(), at: now });
            let extra = visitor.pages.len().saturating_sub(MAX_PAGES);
            visitor.pages.drain(..extra);
        } else if let Some(page) = visitor.pages.last_mut() {
            page.title.clone_from(&view.title);
        }
        visitor.visits = view.visit.visits;
        visitor.page_views = view.visit.pages_viewed;
        // (A page view asked before the widget kept an invitation's session does not
        // know the conversation yet: the one the invitation brought stays.)
        if view.conversation.is_some() {
            visitor.conversation.clone_from(&view.conversation);
        }
        visitor.last_seen = now;
    }

    /// Gives the invitation to every tab of the visitor held open now, or keeps it for
    /// their next page view. Answers whether a tab had it at once.
    fn invite(&self, call: InviteCall) -> bool {
        if let Some(visitor) = self.visitors.borrow_mut().get_mut(&call.id) {
            visitor.conversation = Some(call.invitation.conversation.clone());
        }
        let mut delivered = false;
        let mut waiting = self.waiting.borrow_mut();
        let (theirs, others): (Vec<Waiting>, Vec<Waiting>) = waiting.drain(..).partition(|w| w.id == call.id);
        *waiting = others;
        for tab in theirs {
            delivered |= tab.reply.send(call.invitation.clone()).is_ok();
        }
        if !delivered {
            self.pending.borrow_mut().insert(call.id, (call.invitation, auth::now() + INVITATION_WAITS_MS));
        }
        delivered
    }

    /// Forgets visitors no tab has asked for in [`GONE_MS`] (and held none open).
    fn forget_gone(&self) {
        let now = auth::now();
        let waiting = self.waiting.borrow();
        self.visitors
            .borrow_mut()
            .retain(|id, v| waiting.iter().any(|w| &w.id == id) || now.saturating_sub(v.last_seen) < GONE_MS);
        self.pending.borrow_mut().retain(|_, (_, until)| *until > now);
    }
}
