//! The console's routes for a signed-in operator: what they may do is asked of their
//! organisation on every request ([`access`]), so a deactivation, a new password or a
//! change of role or sites applies at once. Routes of one site carry it in the path
//! (`/v1/console/sites/{site}/…`) and answer 403 for a site the operator is not on.

use natter_shared::accounts::{Me, PasswordChange, Profile, TimeZoneChange};
use natter_shared::files::Attachment;
use natter_shared::ids::{ConversationId, SiteId};
use natter_shared::inbox::{InboxFilter, InboxKey, InboxPage};
use natter_shared::limits::OPERATOR_SESSION_TTL_MS;
use natter_shared::protocol::{AuthorKind, History, OperatorSession, SettingsDocument, SiteSecret};
use natter_shared::settings::WidgetSettings;
use natter_shared::token::{Claims, OperatorClaims};
use worker::{Env, Request, Response};

use crate::auth;
use crate::error::{EdgeError, EdgeResult};
use crate::files;
use crate::inbox::PageCall;
use crate::internal::{self, Access, InboxWatcher, Login, OrgCall, Participant, WatchAnswer};
use crate::live;
use crate::workplace;
use crate::passwords;
use crate::request::{self, check_socket, json_body};

/// What the operator whose session this request carries may do now.
pub async fn access(env: &Env, req: &Request) -> EdgeResult<Access> {
    let claims = auth::operator(env, &auth::bearer(req)?)?;
    let access: Access = internal::org(env, &claims.org, &OrgCall::Access { operator: claims.operator, version: Some(claims.version) }).await?;
    Ok(Access { expires: Some(claims.exp), ..access })
}

/// The same, for admins only.
pub async fn admin(env: &Env, req: &Request) -> EdgeResult<Access> {
    let access = access(env, req).await?;
    if !access.is_admin() {
        return Err(EdgeError::Forbidden("Only the organisation's admins can do this"));
    }
    Ok(access)
}

/// A new console session for an operator at their current version.
pub fn session(env: &Env, access: &Access) -> EdgeResult<OperatorSession> {
    let claims = OperatorClaims {
        org: access.org.clone(),
        operator: access.operator.clone(),
        version: access.version,
        exp: auth::now() + OPERATOR_SESSION_TTL_MS,
    };
    Ok(OperatorSession {
        token: auth::sign(env, &Claims::Operator(claims))?,
        operator: access.operator.clone(),
        name: access.name.clone(),
        role: access.role,
    })
}

/// Routes under `/v1/console/sites/{site}/`; `rest` is what follows the site.
pub async fn site_route(req: &mut Request, env: &Env, site: &str, rest: &[&str]) -> EdgeResult<Response> {
    let method = req.method();
    let needs_admin = matches!((&method, rest), (worker::Method::Put, ["settings"]) | (_, ["secret" | "deliveries" | "channels" | "crms", ..]));
    let access = if needs_admin { admin(env, req).await? } else { access(env, req).await? };
    let site = access.site(site)?;
    let stub = internal::site_stub(env, &site)?;
    match (method, rest) {
        (worker::Method::Get, ["settings"]) => {
            let document: SettingsDocument = internal::call(&stub, "/settings", &site, None::<&()>).await?;
            Ok(Response::from_json(&document)?)
        }
        (worker::Method::Put, ["settings"]) => {
            let body = request::capped_body(req).await?;
            let text = String::from_utf8(body).map_err(|_| EdgeError::BadRequest("The settings are not UTF-8 text".into()))?;
            let settings = WidgetSettings::parse_strict(&text).map_err(EdgeError::InvalidSettings)?;
            let document: SettingsDocument = internal::call(&stub, "/settings/save", &site, Some(&settings)).await?;
            Ok(Response::from_json(&document)?)
        }
        (worker::Method::Get, ["secret"]) => {
            let secret: SiteSecret = internal::call(&stub, "/secret", &site, None::<&()>).await?;
            Ok(Response::from_json(&secret)?)
        }
        (worker::Method::Post, ["secret", "identity"]) => {
            let secret: SiteSecret = internal::call(&stub, "/secret/identity/rotate", &site, None::<&()>).await?;
            Ok(Response::from_json(&secret)?)
        }
        (worker::Method::Get, ["inbox", "ws"]) => {
            check_socket(req)?;
            let watcher = InboxWatcher { operator: access.operator, name: access.name, role: access.role, expires: access.expires };
            internal::websocket(&stub, "/inbox", &watcher).await
        }
        (worker::Method::Get, ["inbox"]) => {
            let filter = match request::query(req, "filter")?.as_deref() {
                Some("waiting") => InboxFilter::Waiting,
                Some("mine") => InboxFilter::Mine,
                Some("active") | None => InboxFilter::Active,
                Some(other) => return Err(EdgeError::BadRequest(format!("Unknown filter {other:?}: use waiting, mine or active"))),
            };
            let after = match (request::query(req, "after_rank")?, request::query(req, "after_id")?) {
                (Some(rank), Some(id)) => Some(InboxKey {
                    rank: rank.parse().map_err(|_| EdgeError::BadRequest("after_rank must be a whole number".into()))?,
                    id: ConversationId::parse(&id)?,
                }),
                (None, None) => None,
                _ => return Err(EdgeError::BadRequest("Give after_rank and after_id together".into())),
            };
            let watcher = InboxWatcher { operator: access.operator, name: access.name, role: access.role, expires: access.expires };
            let page: InboxPage = internal::call(&stub, "/inbox/page", &site, Some(&PageCall { watcher, filter, after })).await?;
            Ok(Response::from_json(&page)?)
        }
        (worker::Method::Get, ["conversations", id, "ws"]) => {
            check_socket(req)?;
            let conversation = ConversationId::parse(id)?;
            let participant = participant(req, env, access, site.clone(), conversation.clone()).await?;
            let stub = internal::conversation_stub(env, &site, &conversation)?;
            internal::websocket(&stub, "/socket", &participant).await
        }
        (worker::Method::Get, ["conversations", id, "messages"]) => {
            let conversation = ConversationId::parse(id)?;
            let participant = participant(req, env, access, site.clone(), conversation.clone()).await?;
            let stub = internal::conversation_stub(env, &site, &conversation)?;
            let history: History = internal::call(&stub, "/history", &participant, None::<&()>).await?;
            Ok(Response::from_json(&history)?)
        }
        (worker::Method::Post, ["conversations", id, "files"]) => {
            let conversation = ConversationId::parse(id)?;
            files::upload(req, env, &format!("{site}/{conversation}")).await
        }
        (_, ["channels", rest @ ..]) => crate::channels::console_route(req, env, rest, &site).await,
        (_, ["crms", rest @ ..]) => crate::crm::settings_route(req, env, rest, &site).await,
        (_, ["conversations", id, "crm", rest @ ..]) => crate::crm::conversation_route(req, env, &access, &site, ConversationId::parse(id)?, rest).await,
        (worker::Method::Get, ["visitors"]) => live::list(env, &site).await,
        (worker::Method::Post, ["visitors", id, "chat"]) => live::start_chat(req, env, access, site, id).await,
        (method, rest) => workplace::route(req, env, method, rest, access, site).await,
    }
}

/// An operator opening a conversation: the site notes it (so an ended session closes
/// the socket) and says whether they may open only their own and unassigned ones.
async fn participant(req: &Request, env: &Env, access: Access, site: SiteId, conversation: ConversationId) -> EdgeResult<Participant> {
    let watch = (access.operator.clone(), conversation.clone(), access.role);
    let answer: WatchAnswer = internal::call(&internal::site_stub(env, &site)?, "/watch", &site, Some(&watch)).await?;
    Ok(Participant {
        role: AuthorKind::Operator,
        name: access.name,
        site,
        conversation,
        visitor: None,
        operator: Some(access.operator),
        user_agent: request::user_agent(req),
        avatar: access.avatar,
        user: None,
        ip: String::new(),
        restricted: answer.restricted,
        expires: access.expires,
    })
}

/// `PUT /v1/console/organisation {time_zone}`: admins set the organisation's time zone.
pub async fn set_time_zone(req: &mut Request, env: &Env) -> EdgeResult<Response> {
    let access = admin(env, req).await?;
    let change: TimeZoneChange = json_body(req).await?;
    if !natter_shared::clock::is_time_zone(&change.time_zone) {
        return Err(EdgeError::BadRequest(format!("Time zone: {:?} is not a time zone, e.g. Europe/Moscow", change.time_zone)));
    }
    let _: serde_json::Value = internal::org(env, &access.org, &OrgCall::SetTimeZone { time_zone: change.time_zone.clone() }).await?;
    Ok(Response::from_json(&change)?)
}

/// `/v1/console/me…`: every operator's own profile, password and picture.
pub async fn me_route(req: &mut Request, env: &Env, rest: &[&str]) -> EdgeResult<Response> {
    let access = access(env, req).await?;
    match (req.method(), rest) {
        (worker::Method::Get, []) => {
            let profile: Profile = internal::org(env, &access.org, &OrgCall::Profile { operator: access.operator.clone() }).await?;
            let sites: Vec<natter_shared::accounts::SiteInfo> = internal::org(env, &access.org, &OrgCall::Sites).await?;
            let me = Me {
                operator: access.operator.clone(),
                email: access.email.clone(),
                organisation: access.organisation.clone(),
                role: access.role,
                profile,
                sites: sites.into_iter().filter(|s| access.sites.contains(&s.id)).collect(),
                time_zone: access.time_zone.clone(),
            };
            Ok(Response::from_json(&me)?)
        }
        (worker::Method::Put, []) => {
            let profile: Profile = json_body(req).await?;
            profile.check(&request::edge_origin(req)?).map_err(EdgeError::BadRequest)?;
            let _: serde_json::Value =
                internal::org(env, &access.org, &OrgCall::SetProfile { operator: access.operator, profile: profile.clone() }).await?;
            Ok(Response::from_json(&profile)?)
        }
        (worker::Method::Post, ["password"]) => {
            let change: PasswordChange = json_body(req).await?;
            natter_shared::accounts::check_password(&change.password).map_err(EdgeError::BadRequest)?;
            let account = internal::account_stub(env, &access.email)?;
            let login: Option<Login> = internal::call(&account, "/get", &(), None::<&()>).await?;
            if !passwords::verify(&change.current, login.as_ref().map(|l| l.password_hash.as_str())).await? {
                return Err(EdgeError::BadRequest("Current password: it is not the one you sign in with".into()));
            }
            let hash = passwords::hash(&change.password).await?;
            let _: serde_json::Value = internal::call(&account, "/password", &(), Some(&hash)).await?;
            // Every other session ends; this tab goes on with a new one.
            let version: u64 = internal::org(env, &access.org, &OrgCall::Bump { operator: access.operator.clone() }).await?;
            Ok(Response::from_json(&session(env, &Access { version, ..access })?)?)
        }
        (worker::Method::Post, ["avatar"]) => {
            let mut response = files::upload_picture(req, env, &format!("avatars/{}", access.org)).await?;
            let attachment: Attachment = response.json().await?;
            let url = format!("{}/v1/{}", request::edge_origin(req)?, attachment.key);
            Ok(Response::from_json(&serde_json::json!({ "url": url }))?.with_status(201))
        }
        (method, _) => Err(EdgeError::NotFound(format!("No console route for {method} /v1/console/me"))),
    }
}
