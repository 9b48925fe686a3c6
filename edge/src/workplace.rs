//! The console's routes for the operator's shift, under `/v1/console/sites/{site}/`:
//! take, transfer and close conversations, block visitors, correct their details; the
//! site's team (for transfers); canned replies; the webhook's last deliveries.

use natter_shared::accounts::OperatorInfo;
use natter_shared::ids::{ConversationId, SiteId};
use natter_shared::protocol::{OperatorPresence, Role};
use natter_shared::shift::{BlockRequest, CannedDraft, ConversationStatus, OperatorRef, Teammate, TransferRequest, VisitorEdit};
use worker::{Env, Method, Request, Response};

use crate::canned::CannedCall;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Access, Act, Actor, OrgCall, WatchAnswer};
use crate::request::json_body;

pub async fn route(req: &mut Request, env: &Env, method: Method, rest: &[&str], access: Access, site: SiteId) -> EdgeResult<Response> {
    let stub = internal::site_stub(env, &site)?;
    match (method, rest) {
        (Method::Post, ["conversations", id, action @ ("take" | "close" | "transfer" | "block")])
        | (Method::Put, ["conversations", id, action @ "visitor"]) => {
            let conversation = ConversationId::parse(id)?;
            let by = actor(env, &access, &site).await?;
            let act = match *action {
                "take" => Act::Take { by },
                "close" => Act::Close { by },
                "transfer" => {
                    let request: TransferRequest = json_body(req).await?;
                    let to = teammates(env, &access, &site)
                        .await?
                        .into_iter()
                        .find(|t| t.id == request.to)
                        .ok_or_else(|| EdgeError::BadRequest("Transfer to an operator of this site".into()))?;
                    Act::Transfer { by, to: OperatorRef { id: to.id, name: to.name } }
                }
                "block" => Act::Block { by, blocked: json_body::<BlockRequest>(req).await?.blocked },
                _ => Act::EditVisitor { by, edit: json_body::<VisitorEdit>(req).await? },
            };
            let stub = internal::conversation_stub(env, &site, &conversation)?;
            let status: ConversationStatus = internal::call(&stub, "/act", &(), Some(&act)).await?;
            Ok(Response::from_json(&status)?)
        }
        (Method::Get, ["team"]) => Ok(Response::from_json(&teammates(env, &access, &site).await?)?),
        (method @ (Method::Get | Method::Post | Method::Put | Method::Delete), ["canned", ..]) => {
            let operator = access.operator.clone();
            let admin = access.is_admin();
            let call = match (method, rest) {
                (Method::Get, ["canned"]) => CannedCall::List { operator },
                (Method::Post, ["canned"]) => CannedCall::Save { operator, admin, id: None, draft: json_body::<CannedDraft>(req).await? },
                (Method::Put, ["canned", id]) => {
                    CannedCall::Save { operator, admin, id: Some((*id).to_owned()), draft: json_body::<CannedDraft>(req).await? }
                }
                (Method::Delete, ["canned", id]) => CannedCall::Delete { operator, admin, id: (*id).to_owned() },
                (method, _) => return Err(EdgeError::NotFound(format!("No console route for {method} on canned replies"))),
            };
            let list: serde_json::Value = internal::call(&stub, "/canned", &site, Some(&call)).await?;
            Ok(Response::from_json(&list)?)
        }
        (Method::Get, ["deliveries"]) => {
            let list: serde_json::Value = internal::call(&stub, "/deliveries", &site, None::<&()>).await?;
            Ok(Response::from_json(&list)?)
        }
        (Method::Post, ["deliveries", "resend"]) => {
            let id: String = json_body::<serde_json::Value>(req)
                .await?
                .get("id")
                .and_then(|v| v.as_str().map(str::to_owned))
                .ok_or_else(|| EdgeError::BadRequest("Say which delivery: {\"id\": …}".into()))?;
            let list: serde_json::Value = internal::call(&stub, "/deliveries/resend", &site, Some(&id)).await?;
            Ok(Response::from_json(&list)?)
        }
        (method, _) => Err(EdgeError::NotFound(format!("No console route for {method} on a site"))),
    }
}

/// The operator acting, and whether they see only their own and unassigned conversations.
async fn actor(env: &Env, access: &Access, site: &SiteId) -> EdgeResult<Actor> {
    let restricted = if access.is_admin() {
        false
    } else {
        // The site answers whether it hides others' conversations from agents.
        let answer: WatchAnswer = internal::call(&internal::site_stub(env, site)?, "/restricts", site, Some(&access.role)).await?;
        answer.restricted
    };
    Ok(Actor { operator: OperatorRef { id: access.operator.clone(), name: access.name.clone() }, admin: access.is_admin(), restricted })
}

/// The active operators of a site, online ones first, then by name.
async fn teammates(env: &Env, access: &Access, site: &SiteId) -> EdgeResult<Vec<Teammate>> {
    let operators: Vec<OperatorInfo> = internal::org(env, &access.org, &OrgCall::Operators).await?;
    let online: Vec<OperatorPresence> = internal::call(&internal::site_stub(env, site)?, "/team", site, None::<&()>).await?;
    let mut team: Vec<Teammate> = operators
        .into_iter()
        .filter(|o| o.active && o.joined && (o.role == Role::Admin || o.sites.contains(site)))
        .map(|o| {
            let presence = online.iter().find(|p| p.id == o.id);
            Teammate { online: presence.is_some_and(|p| !p.away), away: presence.is_some_and(|p| p.away), id: o.id, name: o.name }
        })
        .collect();
    team.sort_by(|a, b| (!a.online, &a.name).cmp(&(!b.online, &b.name)));
    Ok(team)
}
