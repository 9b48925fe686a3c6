//! Routing and validation: every request is parsed, checked for size, auth and origin
//! here, and only then handed to a Durable Object. The routes:
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /v1/sites/{site}/widget` | loader | the widget settings, with `ETag` (revision) and `Cache-Control: no-cache` |
//! | `GET /v1/sites/{site}/status` | loader, widget | whether an operator is online ([`SiteStatus`](natter_shared::protocol::SiteStatus)), `no-store` |
//! | `POST /v1/sites/{site}/visitors` | widget | a new anonymous visitor token ([`VisitorSession`]) |
//! | `POST /v1/sites/{site}/identify` | widget | a signed-in user's session ([`IdentifyRequest`] → [`VisitorSession`]); 403 `identity_refused` |
//! | `GET /v1/conversations/{id}/ws?v=1&token=` | widget | the visitor's conversation socket |
//! | `GET /v1/conversations/{id}` | widget | 204 while the visitor token grants it (a failed socket cannot tell why) |
//! | `POST /v1/console/sign-in` | console | an operator session ([`OperatorSession`]) |
//! | `GET /v1/console/session` | console | 204 while the operator session is valid |
//! | `GET /v1/console/settings` | console | the site's settings ([`SettingsDocument`]) |
//! | `PUT /v1/console/settings` | console, admins | saves settings; 422 with field errors when refused |
//! | `GET /v1/console/secret` | console, admins | the site secret that signs webhook requests, and the identity secret |
//! | `POST /v1/console/secret/identity` | console, admins | rotates the identity secret ([`SiteSecret`]) |
//! | `GET /v1/console/inbox/ws?v=1&token=` | console | the live inbox |
//! | `GET /v1/console/conversations/{id}/ws?v=1&token=` | console | an operator's conversation socket |
//! | `GET /v1/console/conversations/{id}/messages` | console | the whole history ([`History`]) |
//! | `POST /v1/conversations/{id}/files?name=` | widget | uploads a file (if the site allows files) → [`Attachment`] |
//! | `POST /v1/console/conversations/{id}/files?name=` | console | uploads a file as an operator → [`Attachment`] |
//! | `GET /v1/files/{site}/{conversation}/{random}` | anyone with the link | the file: images inline, the rest as a download, `nosniff` |
//! | `GET /v1/dev/identity?id=&name=&email=` | the demo page, dev only | an [`Identity`] for site `demo`, signed as a host site's server would |

use natter_shared::files::{self, Attachment};
use natter_shared::identity::{self, Identity};
use natter_shared::ids::{ConversationId, SiteId, VisitorId};
use natter_shared::protocol::{
    AuthorKind, History, IdentifyRequest, OperatorSession, Role, SettingsDocument, SignIn, SiteSecret, SiteStatus, VisitorSession,
    PROTOCOL_VERSION,
};
use natter_shared::settings::{WidgetSettings, SETTINGS_VERSION};
use natter_shared::token::{Claims, OperatorClaims, VisitorClaims};
use natter_shared::limits::{OPERATOR_SESSION_TTL_MS, VISITOR_TOKEN_TTL_MS};
use serde::de::DeserializeOwned;
use worker::{Env, Method, Request, Response, Stub};

use crate::auth;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Account, Identified, IdentifyCall, Participant, SitePolicy};

pub async fn handle(mut req: Request, env: &Env) -> EdgeResult<Response> {
    let method = req.method();
    if method == Method::Options {
        return Ok(Response::empty()?.with_status(204));
    }
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method.clone(), segments.as_slice()) {
        (Method::Get, ["v1", "sites", site, "widget"]) => widget_settings(&req, env, site).await,
        (Method::Get, ["v1", "sites", site, "status"]) => {
            let site = SiteId::parse(site)?;
            let status: SiteStatus = internal::call(&site_stub(env, &site)?, "/status", &site, None::<&()>).await?;
            let mut response = Response::from_json(&status)?;
            response.headers_mut().set("Cache-Control", "no-store")?;
            Ok(response)
        }
        (Method::Get, ["v1", "console", "secret"]) => {
            let claims = admin(env, &req)?;
            let secret: SiteSecret = internal::call(&site_stub(env, &claims.site)?, "/secret", &claims.site, None::<&()>).await?;
            Ok(Response::from_json(&secret)?)
        }
        (Method::Post, ["v1", "console", "secret", "identity"]) => {
            let claims = admin(env, &req)?;
            let stub = site_stub(env, &claims.site)?;
            let secret: SiteSecret = internal::call(&stub, "/secret/identity/rotate", &claims.site, None::<&()>).await?;
            Ok(Response::from_json(&secret)?)
        }
        (Method::Post, ["v1", "sites", site, "visitors"]) => new_visitor(&req, env, site).await,
        (Method::Post, ["v1", "sites", site, "identify"]) => identify(&mut req, env, site).await,
        (Method::Get, ["v1", "console", "settings"]) => {
            let claims = auth::operator(env, &auth::bearer(&req)?)?;
            let document: SettingsDocument =
                internal::call(&site_stub(env, &claims.site)?, "/settings", &claims.site, None::<&()>).await?;
            Ok(Response::from_json(&document)?)
        }
        (Method::Put, ["v1", "console", "settings"]) => save_settings(&mut req, env).await,
        (Method::Get, ["v1", "conversations", id, "ws"]) => visitor_socket(&req, env, id).await,
        (Method::Get, ["v1", "conversations", id]) => {
            visitor_grant(&req, env, id)?;
            Ok(Response::empty()?.with_status(204))
        }
        (Method::Get, ["v1", "console", "session"]) => {
            auth::operator(env, &auth::bearer(&req)?)?;
            Ok(Response::empty()?.with_status(204))
        }
        (Method::Post, ["v1", "console", "sign-in"]) => sign_in(&mut req, env).await,
        (Method::Get, ["v1", "console", "inbox", "ws"]) => inbox_socket(&req, env).await,
        (Method::Get, ["v1", "console", "conversations", id, "ws"]) => operator_socket(&req, env, id).await,
        (Method::Get, ["v1", "console", "conversations", id, "messages"]) => history(&req, env, id).await,
        (Method::Post, ["v1", "conversations", id, "files"]) => {
            let (claims, conversation) = visitor_grant(&req, env, id)?;
            let site: SettingsDocument = internal::call(&site_stub(env, &claims.site)?, "/settings", &claims.site, None::<&()>).await?;
            if !site.settings.files {
                return Err(EdgeError::Forbidden("This site does not accept files from visitors"));
            }
            upload(&mut req, env, &claims.site, &conversation).await
        }
        (Method::Post, ["v1", "console", "conversations", id, "files"]) => {
            let conversation = ConversationId::parse(id)?;
            let claims = auth::operator(env, &auth::bearer(&req)?)?;
            upload(&mut req, env, &claims.site, &conversation).await
        }
        (Method::Get, ["v1", "files", site, conversation, random]) => download(env, &format!("{site}/{conversation}/{random}")).await,
        (Method::Get, ["v1", "dev", "identity"]) if crate::dev::enabled(env) => dev_identity(&req, env).await,
        (_, ["v1", "sites", _, "visitors" | "widget" | "status" | "identify"] | ["v1", "console", "sign-in" | "settings" | "secret"] | ["v1", "console", "secret", "identity"] | ["v1", "conversations", _, "files"]) => {
            Err(EdgeError::MethodNotAllowed(method.to_string()))
        }
        _ => Err(EdgeError::NotFound(format!("No route for {method} {path}"))),
    }
}

/// Lets the widget call the edge from any host page; which sites accept which origins
/// is decided per route (see [`new_visitor`]). WebSocket answers pass unchanged.
pub fn with_cors(mut response: Response, origin: Option<&str>) -> worker::Result<Response> {
    if response.status_code() == 101 {
        return Ok(response);
    }
    let headers = response.headers_mut();
    headers.set("Access-Control-Allow-Origin", origin.unwrap_or("*"))?;
    headers.set("Vary", "Origin")?;
    headers.set("Access-Control-Allow-Methods", "GET, POST, PUT, OPTIONS")?;
    headers.set("Access-Control-Allow-Headers", "Content-Type, Authorization, If-None-Match")?;
    headers.set("Access-Control-Expose-Headers", "ETag")?;
    headers.set("Access-Control-Max-Age", "86400")?;
    Ok(response)
}

fn site_stub(env: &Env, site: &SiteId) -> EdgeResult<Stub> {
    Ok(env.durable_object("SITES")?.get_by_name(site.as_str())?)
}

fn conversation_stub(env: &Env, site: &SiteId, conversation: &ConversationId) -> EdgeResult<Stub> {
    // The site is part of the name, so one site's token can never reach another's objects.
    Ok(env.durable_object("CONVERSATIONS")?.get_by_name(&format!("{site}/{conversation}"))?)
}

/// Reads a JSON body of at most [`natter_shared::limits::MAX_FRAME_BYTES`].
async fn json_body<T: DeserializeOwned>(req: &mut Request) -> EdgeResult<T> {
    let text = req.text().await?;
    natter_shared::limits::check_frame_size(text.len())?;
    Ok(serde_json::from_str(&text)?)
}

/// Checks a socket request: a real upgrade, speaking a version we know.
fn check_socket(req: &Request) -> EdgeResult<()> {
    if !req.headers().get("Upgrade")?.is_some_and(|v| v.eq_ignore_ascii_case("websocket")) {
        return Err(EdgeError::BadRequest("This route expects a WebSocket upgrade".into()));
    }
    let url = req.url()?;
    let version = url.query_pairs().find(|(k, _)| k == "v").map(|(_, v)| v.into_owned());
    if version.as_deref() != Some(&PROTOCOL_VERSION.to_string()) {
        return Err(EdgeError::UnsupportedProtocol(version.unwrap_or_default()));
    }
    Ok(())
}

fn user_agent(req: &Request) -> String {
    let ua = req.headers().get("User-Agent").ok().flatten().unwrap_or_default();
    natter_shared::limits::clip_context(&ua)
}

/// How operators see an anonymous visitor until they introduce themselves.
fn visitor_display_name(visitor: &VisitorId) -> String {
    format!("Visitor {}", &visitor.as_str()[..visitor.as_str().len().min(4)])
}

/// The site, if the request's page may embed its widget.
async fn embedding_site(req: &Request, env: &Env, site: &str) -> EdgeResult<SiteId> {
    let site = SiteId::parse(site)?;
    let policy: SitePolicy = internal::call(&site_stub(env, &site)?, "/policy", &site, None::<&()>).await?;
    let origin = req.headers().get("Origin")?;
    if !policy.allows(origin.as_deref()) {
        return Err(EdgeError::OriginNotAllowed(origin.unwrap_or_else(|| "a page without an Origin".into())));
    }
    Ok(site)
}

/// Signs a visitor token for `claims` and answers it as a session.
fn visitor_session(env: &Env, claims: VisitorClaims) -> EdgeResult<Response> {
    let session = VisitorSession {
        token: auth::sign(env, &Claims::Visitor(claims.clone()))?,
        visitor: claims.visitor,
        conversation: claims.conversation,
    };
    Ok(Response::from_json(&session)?.with_status(201))
}

async fn new_visitor(req: &Request, env: &Env, site: &str) -> EdgeResult<Response> {
    let site = embedding_site(req, env, site).await?;
    let claims = VisitorClaims {
        site,
        visitor: VisitorId::from_random(auth::random_bytes()?),
        conversation: ConversationId::from_random(auth::random_bytes()?),
        exp: auth::now() + VISITOR_TOKEN_TTL_MS,
        user: None,
    };
    visitor_session(env, claims)
}

/// A signed-in user of the host site: the `Site` checks the signature and gives their
/// conversation; the token then carries the verified user. A browser's anonymous
/// conversation (from a valid token of this site, not another user's) is the one a
/// user without a conversation takes over.
async fn identify(req: &mut Request, env: &Env, site: &str) -> EdgeResult<Response> {
    let site = embedding_site(req, env, site).await?;
    let body: IdentifyRequest = json_body(req).await?;
    body.identity.check_fields().map_err(EdgeError::IdentityRefused)?;
    let anonymous = body
        .token
        .and_then(|token| auth::visitor(env, &token).ok())
        .filter(|claims| claims.site == site && claims.user.is_none())
        .map(|claims| (claims.visitor, claims.conversation));
    let call = IdentifyCall { site: site.clone(), identity: body.identity, anonymous };
    let identified: Identified = internal::call(&site_stub(env, &site)?, "/identify", &site, Some(&call)).await?;
    let claims = VisitorClaims {
        site,
        visitor: identified.visitor,
        conversation: identified.conversation,
        exp: auth::now() + VISITOR_TOKEN_TTL_MS,
        user: Some(identified.user),
    };
    visitor_session(env, claims)
}

/// The visitor's claims, if their token grants conversation `id`.
fn visitor_grant(req: &Request, env: &Env, id: &str) -> EdgeResult<(VisitorClaims, ConversationId)> {
    let conversation = ConversationId::parse(id)?;
    let claims = auth::visitor(env, &auth::bearer(req)?)?;
    if claims.conversation != conversation {
        return Err(EdgeError::Forbidden("This visitor token does not grant that conversation"));
    }
    Ok((claims, conversation))
}

async fn visitor_socket(req: &Request, env: &Env, id: &str) -> EdgeResult<Response> {
    check_socket(req)?;
    let (claims, conversation) = visitor_grant(req, env, id)?;
    let participant = Participant {
        role: AuthorKind::Visitor,
        name: visitor_display_name(&claims.visitor),
        site: claims.site.clone(),
        conversation: conversation.clone(),
        visitor: Some(claims.visitor),
        operator: None,
        user_agent: user_agent(req),
        user: claims.user,
    };
    let stub = conversation_stub(env, &claims.site, &conversation)?;
    internal::websocket(&stub, "/socket", &participant).await
}

async fn sign_in(req: &mut Request, env: &Env) -> EdgeResult<Response> {
    let body: SignIn = json_body(req).await?;
    let email = body.email.trim().to_lowercase();
    if email.is_empty() || email.len() > 254 || !email.contains('@') {
        return Err(EdgeError::BadRequest("Enter the e-mail address you sign in with".into()));
    }
    let stub = env.durable_object("ACCOUNTS")?.get_by_name(&email)?;
    let account: Account = internal::call(&stub, "/sign-in", &email, Some(&body)).await?;
    let claims = OperatorClaims {
        site: account.site.clone(),
        operator: account.operator.clone(),
        name: account.name.clone(),
        role: account.role,
        exp: auth::now() + OPERATOR_SESSION_TTL_MS,
    };
    let session = OperatorSession {
        token: auth::sign(env, &Claims::Operator(claims))?,
        operator: account.operator,
        name: account.name,
        site: account.site,
        role: account.role,
    };
    Ok(Response::from_json(&session)?)
}

/// The settings document for the loader. Every view revalidates (`no-cache`) so a
/// saved change shows on the next page at once, and costs a 304 when nothing changed.
async fn widget_settings(req: &Request, env: &Env, site: &str) -> EdgeResult<Response> {
    let site = SiteId::parse(site)?;
    let document: SettingsDocument = internal::call(&site_stub(env, &site)?, "/settings", &site, None::<&()>).await?;
    // The document version is part of the tag: a deploy that reads settings anew
    // must not be answered with a 304 for the old reading.
    let etag = format!("\"{SETTINGS_VERSION}.{}\"", document.revision);
    let fresh = req.headers().get("If-None-Match")?.is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh { Response::empty()?.with_status(304) } else { Response::from_json(&document.settings.public())? };
    response.headers_mut().set("ETag", &etag)?;
    response.headers_mut().set("Cache-Control", "no-cache")?;
    Ok(response)
}

/// The operator's claims, if they are an admin of their site.
fn admin(env: &Env, req: &Request) -> EdgeResult<OperatorClaims> {
    let claims = auth::operator(env, &auth::bearer(req)?)?;
    if claims.role != Role::Admin {
        return Err(EdgeError::Forbidden("Only the site's admins can do this"));
    }
    Ok(claims)
}

async fn save_settings(req: &mut Request, env: &Env) -> EdgeResult<Response> {
    let claims = admin(env, req)?;
    let text = req.text().await?;
    natter_shared::limits::check_frame_size(text.len())?;
    let settings = WidgetSettings::parse_strict(&text).map_err(EdgeError::InvalidSettings)?;
    let document: SettingsDocument =
        internal::call(&site_stub(env, &claims.site)?, "/settings/save", &claims.site, Some(&settings)).await?;
    Ok(Response::from_json(&document)?)
}

async fn inbox_socket(req: &Request, env: &Env) -> EdgeResult<Response> {
    check_socket(req)?;
    let claims = auth::operator(env, &auth::bearer(req)?)?;
    internal::websocket(&site_stub(env, &claims.site)?, "/inbox", &claims).await
}

fn operator_participant(req: &Request, claims: OperatorClaims, conversation: ConversationId) -> Participant {
    Participant {
        role: AuthorKind::Operator,
        name: claims.name,
        site: claims.site,
        conversation,
        visitor: None,
        operator: Some(claims.operator),
        user_agent: user_agent(req),
        user: None,
    }
}

async fn operator_socket(req: &Request, env: &Env, id: &str) -> EdgeResult<Response> {
    check_socket(req)?;
    let conversation = ConversationId::parse(id)?;
    let claims = auth::operator(env, &auth::bearer(req)?)?;
    let stub = conversation_stub(env, &claims.site, &conversation)?;
    internal::websocket(&stub, "/socket", &operator_participant(req, claims, conversation)).await
}

async fn history(req: &Request, env: &Env, id: &str) -> EdgeResult<Response> {
    let conversation = ConversationId::parse(id)?;
    let claims = auth::operator(env, &auth::bearer(req)?)?;
    let stub = conversation_stub(env, &claims.site, &conversation)?;
    let participant = operator_participant(req, claims, conversation);
    let history: History = internal::call(&stub, "/history", &participant, None::<&()>).await?;
    Ok(Response::from_json(&history)?)
}

/// What the demo page's "Identify" button needs from a server: an identity for the
/// dev site, signed with its identity secret, valid for an hour. Never on a deployed
/// Worker (`NATTER_DEV` is only set by the local `.dev.vars`).
async fn dev_identity(req: &Request, env: &Env) -> EdgeResult<Response> {
    let site = SiteId::parse(crate::dev::SITE)?;
    let url = req.url()?;
    let query = |key: &str| url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned()).unwrap_or_default();
    let secrets: SiteSecret = internal::call(&site_stub(env, &site)?, "/secret", &site, None::<&()>).await?;
    let expires = auth::now() / 1000 + 3600;
    let (id, name, email) = (query("id"), query("name"), query("email"));
    let signature = identity::sign(secrets.identity.as_bytes(), site.as_str(), &id, &name, &email, expires);
    Ok(Response::from_json(&Identity { id, name, email, expires, signature })?)
}

/// Stores an uploaded file with its conversation. The declared length is checked before
/// the body is read, the bytes after; the name decides the type (allow-list) and
/// images and PDFs must start as they should.
async fn upload(req: &mut Request, env: &Env, site: &SiteId, conversation: &ConversationId) -> EdgeResult<Response> {
    let url = req.url()?;
    let name = url.query_pairs().find(|(k, _)| k == "name").map(|(_, v)| files::clean_name(&v));
    let name = name.ok_or_else(|| EdgeError::BadRequest("Say the file's name: ?name=".into()))?;
    let declared = req.headers().get("Content-Length")?.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    files::check(&name, declared.max(1)).map_err(EdgeError::File)?;
    let bytes = req.bytes().await?;
    let content_type = files::check_bytes(&name, &bytes).map_err(EdgeError::File)?;
    let random: String = auth::random_bytes()?.iter().map(|b| format!("{b:02x}")).collect();
    let attachment = Attachment {
        key: format!("{site}/{conversation}/{random}"),
        name: name.clone(),
        content_type: content_type.into(),
        size: bytes.len() as u64,
    };
    let metadata = worker::HttpMetadata { content_type: Some(content_type.into()), ..Default::default() };
    env.bucket("FILES")?
        .put(attachment.key.as_str(), bytes)
        .http_metadata(metadata)
        .custom_metadata([("name".to_owned(), name)])
        .execute()
        .await?;
    Ok(Response::from_json(&attachment)?.with_status(201))
}

/// Serves a stored file. Only images are shown inline; everything else downloads, and
/// nothing is sniffed or allowed to run.
async fn download(env: &Env, key: &str) -> EdgeResult<Response> {
    let object = env.bucket("FILES")?.get(key).execute().await?;
    let object = object.ok_or_else(|| EdgeError::NotFound("No such file".into()))?;
    let name = object.custom_metadata()?.remove("name").unwrap_or_else(|| "file".into());
    let content_type = object.http_metadata().content_type.unwrap_or_else(|| "application/octet-stream".into());
    let body = object.body().ok_or_else(|| EdgeError::NotFound("No such file".into()))?.bytes().await?;
    let disposition = if files::is_image(&content_type) { "inline" } else { "attachment" };
    let encoded: String = name
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    let mut response = Response::from_bytes(body)?;
    let headers = response.headers_mut();
    headers.set("Content-Type", &content_type)?;
    headers.set("Content-Disposition", &format!("{disposition}; filename*=UTF-8''{encoded}"))?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Content-Security-Policy", "default-src 'none'; sandbox")?;
    headers.set("Cache-Control", "private, max-age=31536000, immutable")?;
    Ok(response)
}
