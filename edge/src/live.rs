//! Live visitors at the Worker: the loader's page views (`POST /v1/sites/{site}/presence`,
//! held open by the visitor's [`crate::presence::Presence`] shard), the console's
//! Visitors table (`GET …/visitors`: every shard asked at once, merged, with what the
//! site knows of their conversations) and "Start chat" (`POST …/visitors/{id}/chat`).
//!
//! Whether a site shows live visitors, and where it may be embedded, is asked of its
//! `Site` once per [`POLICY_FRESH_MS`] per Worker instance, not per page view: ten
//! thousand visitors must not all call the site's one object.

use std::cell::RefCell;
use std::collections::HashMap;

use futures_util::future::join_all;
use natter_shared::ids::{ConversationId, SiteId, VisitorId};
use natter_shared::presence::{
    is_priority, order, shard_of, ChatStart, Invitation, LiveVisitor, PageView, PresenceAnswer, SHARDS,
};
use natter_shared::protocol::{AuthorKind, ConversationSummary, PageContext, VisitorSession};
use natter_shared::token::{Claims, VisitorClaims};
use natter_shared::limits::VISITOR_TOKEN_TTL_MS;
use serde::{Deserialize, Serialize};
use worker::{Env, Request, Response, Stub};

use crate::auth;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Access, PageOrigin, Participant, SitePlacement};
use crate::outgoing::{NewVisitor, OutgoingCall};
use crate::presence::InviteCall;
use crate::ratelimit::{self, Limit};
use crate::request::{self, json_body};

/// How long a Worker instance trusts what it was told of a site's presence policy.
const POLICY_FRESH_MS: u64 = 10_000;

/// What the Worker needs to admit a page view (the `Site`'s `/presence-policy`).
#[derive(Clone, Serialize, Deserialize)]
pub struct PresencePolicy {
    pub placement: SitePlacement,
    pub live_visitors: bool,
}

/// What the Visitors table adds from the site (the `Site`'s `/live-context`).
#[derive(Serialize, Deserialize)]
pub struct LiveContext {
    pub summaries: Vec<ConversationSummary>,
    pub priority_pages: Vec<String>,
}

thread_local! {
    static POLICIES: RefCell<HashMap<SiteId, (u64, PresencePolicy)>> = RefCell::new(HashMap::new());
}

pub fn presence_stub(env: &Env, site: &SiteId, shard: u32) -> EdgeResult<Stub> {
    Ok(env.durable_object("PRESENCE")?.get_by_name(&format!("{site}#{shard}"))?)
}

async fn policy(env: &Env, site: &SiteId) -> EdgeResult<PresencePolicy> {
    let now = auth::now();
    let known = POLICIES.with(|p| p.borrow().get(site).filter(|(at, _)| now.saturating_sub(*at) < POLICY_FRESH_MS).map(|(_, p)| p.clone()));
    if let Some(policy) = known {
        return Ok(policy);
    }
    let policy: PresencePolicy = internal::call(&internal::site_stub(env, site)?, "/presence-policy", site, None::<&()>).await?;
    POLICIES.with(|p| p.borrow_mut().insert(site.clone(), (now, policy.clone())));
    Ok(policy)
}

/// `POST /v1/sites/{site}/presence`: a page view, answered when an operator starts a
/// chat with this visitor or after `HOLD_MS` (the loader then asks again).
pub async fn page_view(req: &mut Request, env: &Env, page: PageOrigin) -> EdgeResult<Response> {
    ratelimit::check(env, Limit::PresenceByIp, &page.ip).await?;
    let site = page.site.clone();
    let policy = policy(env, &site).await?;
    policy.placement.admits(&page)?;
    if !policy.live_visitors {
        return Err(EdgeError::Forbidden("This site does not show live visitors"));
    }
    let view: PageView = json_body(req).await?;
    let view = view.checked().map_err(EdgeError::BadRequest)?;
    let stub = presence_stub(env, &site, shard_of(&view.id))?;
    let answer: PresenceAnswer = internal::call(&stub, "/view", &site, Some(&view)).await?;
    let mut response = Response::from_json(&answer)?;
    response.headers_mut().set("Cache-Control", "no-store")?;
    Ok(response)
}

/// `GET /v1/console/sites/{site}/visitors`: the site's visitors now.
pub async fn list(env: &Env, site: &SiteId) -> EdgeResult<Response> {
    let shards = join_all((0..SHARDS).map(|shard| async move {
        internal::call::<_, _, Vec<LiveVisitor>>(&presence_stub(env, site, shard)?, "/list", &(), None::<&()>).await
    }))
    .await;
    let mut visitors = Vec::new();
    for shard in shards {
        visitors.extend(shard?);
    }
    let conversations: Vec<ConversationId> = visitors.iter().filter_map(|v| v.conversation.clone()).collect();
    let context: LiveContext = internal::call(&internal::site_stub(env, site)?, "/live-context", site, Some(&conversations)).await?;
    for visitor in &mut visitors {
        visitor.priority = visitor.current().is_some_and(|page| is_priority(&page.url, &context.priority_pages));
        let summary = visitor.conversation.as_ref().and_then(|c| context.summaries.iter().find(|s| &s.id == c));
        if let Some(summary) = summary {
            visitor.name.clone_from(&summary.visitor_name);
            visitor.messages = summary.last_seq.0;
            visitor.operator.clone_from(&summary.owner);
        }
    }
    let mut response = Response::from_json(&order(visitors))?;
    response.headers_mut().set("Cache-Control", "no-store")?;
    Ok(response)
}

/// `POST /v1/console/sites/{site}/visitors/{id}/chat {text}`: the operator's first
/// message reaches the visitor's widget. Answers the conversation (201).
pub async fn start_chat(req: &mut Request, env: &Env, access: Access, site: SiteId, id: &str) -> EdgeResult<Response> {
    ratelimit::check(env, Limit::RepliesByOperator, access.operator.as_str()).await?;
    let start: ChatStart = json_body(req).await?;
    natter_shared::limits::check_message(&start.text)?;
    let shard = presence_stub(env, &site, shard_of(id))?;
    let visitor: Option<LiveVisitor> = internal::call(&shard, "/get", &(), Some(&id)).await?;
    let visitor = visitor.ok_or_else(|| EdgeError::NotFound("This visitor has left the site".into()))?;
    let author = |conversation: &ConversationId| Participant {
        role: AuthorKind::Operator,
        name: access.name.clone(),
        site: site.clone(),
        conversation: conversation.clone(),
        visitor: None,
        operator: Some(access.operator.clone()),
        user_agent: request::user_agent(req),
        avatar: access.avatar.clone(),
        user: None,
        ip: String::new(),
        restricted: false,
        expires: access.expires,
    };
    // Into the conversation they have, if it exists; else into a new one, whose
    // session their loader takes as its own.
    let existing = match &visitor.conversation {
        Some(conversation) => {
            let call = OutgoingCall { author: author(conversation), text: start.text.clone(), new_visitor: None };
            let stub = internal::conversation_stub(env, &site, conversation)?;
            match internal::call::<_, _, serde_json::Value>(&stub, "/operator-starts", &(), Some(&call)).await {
                Ok(_) => Some(Invitation { session: None, conversation: conversation.clone() }),
                Err(EdgeError::Upstream { status: 404, .. }) => None,
                Err(e) => return Err(e),
            }
        }
        None => None,
    };
    let invitation = match existing {
        Some(invitation) => invitation,
        None => {
            let claims = VisitorClaims {
                site: site.clone(),
                visitor: VisitorId::from_random(auth::random_bytes()?),
                conversation: ConversationId::from_random(auth::random_bytes()?),
                exp: auth::now() + VISITOR_TOKEN_TTL_MS,
                user: None,
            };
            let page = visitor.current().cloned();
            let new_visitor = NewVisitor {
                visitor: claims.visitor.clone(),
                name: visitor.name.clone(),
                page: PageContext {
                    url: page.as_ref().map(|p| p.url.clone()).unwrap_or_default(),
                    title: page.map(|p| p.title).unwrap_or_default(),
                    referrer: visitor.referrer.clone(),
                    language: String::new(),
                },
            };
            let call = OutgoingCall { author: author(&claims.conversation), text: start.text, new_visitor: Some(new_visitor) };
            let stub = internal::conversation_stub(env, &site, &claims.conversation)?;
            let _: serde_json::Value = internal::call(&stub, "/operator-starts", &(), Some(&call)).await?;
            let session = VisitorSession {
                token: auth::sign(env, &Claims::Visitor(claims.clone()))?,
                visitor: claims.visitor,
                conversation: claims.conversation.clone(),
            };
            Invitation { session: Some(session), conversation: claims.conversation }
        }
    };
    let conversation = invitation.conversation.clone();
    let _: bool = internal::call(&shard, "/invite", &(), Some(&InviteCall { id: id.to_owned(), invitation })).await?;
    Ok(Response::from_json(&serde_json::json!({ "conversation": conversation }))?.with_status(201))
}
