//! The admins' routes: the organisation's sites (add, rename, move, allowed origins,
//! switch off, delete) and operators (invite, edit, deactivate, delete, invite again).

use natter_shared::accounts::{
    self, Invitation, Invite, NewSite, OperatorInfo, OperatorUpdate, SiteInfo, SiteUpdate, INVITATION_TTL_MS,
};
use natter_shared::ids::{OperatorId, SiteId};
use natter_shared::protocol::{OperatorPresence, Role};
use worker::{Env, Method, Request, Response};

use crate::auth;
use crate::console;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Access, LinkKind, Login, NewOperator, OrgCall};
use crate::mail;
use crate::passwords;
use crate::ratelimit::{self, Limit};
use crate::request::{self, json_body};

/// `/v1/console/sites…` and `/v1/console/operators…`.
pub async fn route(req: &mut Request, env: &Env, path: &[&str]) -> EdgeResult<Response> {
    let admin = console::admin(env, req).await?;
    let org = admin.org.clone();
    match (req.method(), path) {
        (Method::Get, ["sites"]) => {
            let sites: Vec<SiteInfo> = internal::org(env, &org, &OrgCall::Sites).await?;
            Ok(Response::from_json(&sites)?)
        }
        (Method::Post, ["sites"]) => {
            let new: NewSite = json_body(req).await?;
            new.check().map_err(EdgeError::BadRequest)?;
            let origin = accounts::origin_of("Site URL", &new.url).map_err(EdgeError::BadRequest)?;
            let site = SiteInfo {
                id: accounts::site_id_for(&new.name, auth::random_bytes()?),
                name: new.name.trim().into(),
                url: new.url.trim().into(),
                allowed_origins: vec![origin],
                disabled: false,
            };
            let site: SiteInfo = internal::org(env, &org, &OrgCall::AddSite { site }).await?;
            Ok(Response::from_json(&site)?.with_status(201))
        }
        (Method::Put, ["sites", site]) => {
            let update: SiteUpdate = json_body(req).await?;
            let allowed_origins = update.check().map_err(EdgeError::BadRequest)?;
            let site = SiteInfo {
                id: SiteId::parse(site)?,
                name: update.name.trim().into(),
                url: update.url.trim().into(),
                allowed_origins,
                disabled: update.disabled,
            };
            let site: SiteInfo = internal::org(env, &org, &OrgCall::UpdateSite { site }).await?;
            Ok(Response::from_json(&site)?)
        }
        (Method::Delete, ["sites", site]) => {
            let site = admin.site(site)?;
            let _: serde_json::Value = internal::org(env, &org, &OrgCall::DeleteSite { site }).await?;
            Ok(Response::from_json(&serde_json::json!({}))?)
        }
        (Method::Get, ["operators"]) => {
            let mut operators: Vec<OperatorInfo> = internal::org(env, &org, &OrgCall::Operators).await?;
            let online = online_operators(env, &admin).await;
            for operator in &mut operators {
                operator.online = online.contains(&operator.id);
            }
            Ok(Response::from_json(&operators)?)
        }
        (Method::Post, ["operators"]) => {
            let invite: Invite = json_body(req).await?;
            let invitation = invite_operator(env, &admin, invite, &request::edge_origin(req)?).await?;
            Ok(Response::from_json(&invitation)?.with_status(201))
        }
        (Method::Put, ["operators", id]) => {
            let update: OperatorUpdate = json_body(req).await?;
            update.check().map_err(EdgeError::BadRequest)?;
            let operator = OperatorId::parse(id)?;
            let info: OperatorInfo = internal::org(env, &org, &OrgCall::UpdateOperator { operator, update }).await?;
            Ok(Response::from_json(&info)?)
        }
        (Method::Delete, ["operators", id]) => {
            let operator = OperatorId::parse(id)?;
            let email: String = internal::org(env, &org, &OrgCall::DeleteOperator { operator }).await?;
            let _: serde_json::Value = internal::call(&internal::account_stub(env, &email)?, "/release", &(), Some(&())).await?;
            Ok(Response::from_json(&serde_json::json!({}))?)
        }
        (Method::Post, ["operators", id, "invitation"]) => {
            let operator = OperatorId::parse(id)?;
            let operators: Vec<OperatorInfo> = internal::org(env, &org, &OrgCall::Operators).await?;
            let info = operators.into_iter().find(|o| o.id == operator).ok_or_else(|| EdgeError::NotFound("No such operator".into()))?;
            if info.joined {
                return Err(EdgeError::Conflict("They have joined already: they can reset their password from the sign-in page".into()));
            }
            let (secret, link) = passwords::new_link(LinkKind::Invitation, INVITATION_TTL_MS)?;
            let _: serde_json::Value = internal::org(env, &org, &OrgCall::AddLink { operator, link }).await?;
            let invitation = send_invitation(env, &admin, info, &request::edge_origin(req)?, &secret).await;
            Ok(Response::from_json(&invitation)?.with_status(201))
        }
        (method, _) => Err(EdgeError::NotFound(format!("No admin route for {method} {}", path.join("/")))),
    }
}

/// Invites an operator: claims their e-mail address, stores them with a link valid for
/// 7 days, and e-mails the link when the deployment sends e-mail.
pub async fn invite_operator(env: &Env, admin: &Access, invite: Invite, edge: &str) -> EdgeResult<Invitation> {
    invite.check().map_err(EdgeError::BadRequest)?;
    ratelimit::check(env, Limit::InvitesByOperator, admin.operator.as_str()).await?;
    let email = accounts::normalize_email(&invite.email);
    let operator = NewOperator {
        id: OperatorId::from_random(auth::random_bytes()?),
        email: email.clone(),
        name: invite.name,
        title: invite.title,
        role: invite.role,
        sites: if invite.role == Role::Admin { Vec::new() } else { invite.sites },
    };
    let login = Login { org: admin.org.clone(), operator: operator.id.clone(), password_hash: String::new() };
    let account = internal::account_stub(env, &email)?;
    let _: serde_json::Value = internal::call(&account, "/claim", &(), Some(&login)).await?;
    let (secret, link) = passwords::new_link(LinkKind::Invitation, INVITATION_TTL_MS)?;
    let info: Result<OperatorInfo, _> = internal::org(env, &admin.org, &OrgCall::Invite { operator, link }).await;
    let info = match info {
        Ok(info) => info,
        Err(e) => {
            // The address is free again for a corrected invitation.
            let _: EdgeResult<serde_json::Value> = internal::call(&account, "/release", &(), Some(&())).await;
            return Err(e);
        }
    };
    Ok(send_invitation(env, admin, info, edge, &secret).await)
}

async fn send_invitation(env: &Env, admin: &Access, operator: OperatorInfo, edge: &str, secret: &str) -> Invitation {
    let link = format!("{edge}/console/#join={}.{secret}", admin.org);
    let (name, inviter, organisation) = (&operator.name, &admin.name, &admin.organisation);
    let text = format!(
        "Hello {name},\n\n{inviter} invites you to answer chats for {organisation} in Natter.\n\
         Set your password and join here (the link works once, for 7 days):\n{link}\n\n\
         —\n\n\
         Здравствуйте, {name}!\n\n{inviter} приглашает вас отвечать в чате {organisation} в Natter.\n\
         Задайте пароль и войдите по ссылке (она работает один раз, 7 дней):\n{link}\n"
    );
    let subject = format!("Join {organisation} on Natter / Приглашение в Natter: {organisation}");
    let emailed = mail::send(env, None, &operator.email, &subject, &text).await;
    Invitation { operator, link, emailed }
}

/// The operators with a console open on any of the organisation's sites.
async fn online_operators(env: &Env, admin: &Access) -> Vec<OperatorId> {
    let mut online = Vec::new();
    for site in &admin.sites {
        let Ok(stub) = internal::site_stub(env, site) else { continue };
        let presence: Vec<OperatorPresence> = internal::call(&stub, "/presence", site, None::<&()>).await.unwrap_or_default();
        online.extend(presence.into_iter().map(|p| p.id));
    }
    online
}
