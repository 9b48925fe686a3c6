//! Routing: every request is parsed, checked for size, auth and origin here or in the
//! module its route belongs to, and only then handed to a Durable Object. The routes:
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /v1/sites/{site}/widget` | loader | the widget settings, with `ETag` (revision) and `Cache-Control: no-cache`; 403 `origin_not_allowed` or `site_disabled` |
//! | `GET /v1/sites/{site}/status` | loader, widget | whether an operator is online ([`SiteStatus`]), `no-store` |
//! | `POST /v1/sites/{site}/visitors` | widget | a new anonymous visitor token ([`VisitorSession`]) |
//! | `POST /v1/sites/{site}/identify` | widget | a signed-in user's session ([`IdentifyRequest`] → [`VisitorSession`]); 403 `identity_refused` |
//! | `GET /test/{site}` | site owners | a page on the edge with the site's widget, to send oneself a test message |
//! | `GET /v1/conversations/{id}/ws?v=1&token=` | widget | the visitor's conversation socket |
//! | `GET /v1/conversations/{id}` | widget | 204 while the visitor token grants it (a failed socket cannot tell why) |
//! | `GET /v1/conversations/{id}/unread?token=` | loader | the operators' messages the visitor has not read ([`Unread`](natter_shared::protocol::Unread)), `private, max-age=5` |
//! | `POST /v1/conversations/{id}/files?name=` | widget | uploads a file (if the site allows files) → [`Attachment`](natter_shared::files::Attachment) |
//! | `POST /v1/conversations/{id}/transcript` | widget | e-mails the conversation to the visitor ([`TranscriptRequest`](natter_shared::protocol::TranscriptRequest)) → 202; 403 if the site does not send transcripts, 429 past 3 an hour |
//! | `GET /v1/files/{site}/{conversation}/{random}` | anyone with the link | the file: images inline, the rest as a download, `nosniff` |
//! | `GET /v1/avatars/{org}/{random}` | anyone | an operator's uploaded picture |
//! | `POST /v1/channels/…` | Telegram, Viber | messenger users' messages ([`channels`]) |
//! | `GET /v1/console/config` | console | whether sign-up is open and e-mail is sent |
//! | `POST /v1/console/sign-up`, `POST /v1/bootstrap` | strangers, deployers | a new organisation ([`signup`]) |
//! | `POST /v1/console/sign-in`, `POST /v1/console/password-reset` | operators | [`signup`] |
//! | `GET`, `POST /v1/invitations/{token}`, `POST /v1/password-reset/{token}` | invitees, operators | one-time links ([`signup`]) |
//! | `GET /v1/console/session` | console | 204 while the operator session is valid |
//! | `/v1/console/me…` | operators | profile, password, avatar ([`console`]) |
//! | `/v1/console/sites/{site}/…` | operators of the site | settings, secrets, inbox and conversation sockets, history, files ([`console`]) |
//! | `/v1/console/sites…`, `/v1/console/operators…` | admins | sites and operators ([`admin`]) |
//! | `GET /v1/console/journal?…` | operators | a page of the journal of their sites ([`journal_routes`]) |
//! | `PUT /v1/console/organisation` | admins | the organisation's time zone ([`console`]) |
//! | `GET /v1/console/figures?since=&until=` | admins | per day and operator ([`figures`]) |
//! | `GET`, `PUT /v1/console/organisation/report`, `POST …/report/send` | admins | the daily report's address ([`daily_report`]) |
//! | `POST /v1/dev/journal/{site}/fill` | `make bench`, dev only | made-up conversations in a site's journal |
//! | `POST /v1/dev/presence/{site}/simulate` | `make bench`, dev only | simulated visitors in a site's presence shards |
//! | `GET /v1/dev/identity?id=&name=&email=` | the demo page, dev only | an [`Identity`] for site `demo`, signed as a host site's server would |

use natter_shared::identity::{self, Identity};
use natter_shared::ids::{ConversationId, SiteId, VisitorId};
use natter_shared::protocol::{AuthorKind, IdentifyRequest, SettingsDocument, SiteSecret, SiteStatus, Unread, VisitorSession};
use natter_shared::settings::SETTINGS_VERSION;
use natter_shared::token::{Claims, VisitorClaims};
use natter_shared::limits::VISITOR_TOKEN_TTL_MS;
use worker::{Env, Method, Request, Response};

use crate::admin;
use crate::auth;
use crate::channels;
use crate::console;
use crate::journal_routes;
use crate::live;
use crate::daily_report;
use crate::dev;
use crate::error::{EdgeError, EdgeResult};
use crate::figures;
use crate::files;
use crate::internal::{self, Identified, IdentifyCall, LinkKind, PageOrigin, Participant, SitePlacement};
use crate::request::{self, check_socket, json_body};
use crate::signup;
use crate::transcripts;
use crate::ratelimit::{self, Limit};

pub async fn handle(mut req: Request, env: &Env) -> EdgeResult<Response> {
    let method = req.method();
    if method == Method::Options {
        return Ok(Response::empty()?.with_status(204));
    }
    dev::seed(env, &req).await?;
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method.clone(), segments.as_slice()) {
        (Method::Get, ["v1", "sites", site, "widget"]) => widget_settings(&req, env, site).await,
        (Method::Get, ["v1", "sites", site, "status"]) => {
            let site = SiteId::parse(site)?;
            let status: SiteStatus = internal::call(&internal::site_stub(env, &site)?, "/status", &site, None::<&()>).await?;
            let mut response = Response::from_json(&status)?;
            response.headers_mut().set("Cache-Control", "no-store")?;
            Ok(response)
        }
        (Method::Post, ["v1", "sites", site, "visitors"]) => new_visitor(&req, env, site).await,
        (Method::Post, ["v1", "sites", site, "identify"]) => identify(&mut req, env, site).await,
        (Method::Post, ["v1", "sites", site, "presence"]) => {
            let page = page_origin(&req, SiteId::parse(site)?)?;
            live::page_view(&mut req, env, page).await
        }
        (Method::Get, ["test", site]) => test_page(env, site).await,
        (Method::Get, ["v1", "conversations", id, "ws"]) => visitor_socket(&req, env, id).await,
        (Method::Get, ["v1", "conversations", id, "unread"]) => unread(&req, env, id).await,
        (Method::Get, ["v1", "conversations", id]) => {
            visitor_grant(&req, env, id)?;
            Ok(Response::empty()?.with_status(204))
        }
        (Method::Post, ["v1", "conversations", id, "files"]) => {
            let (claims, conversation) = visitor_grant(&req, env, id)?;
            ratelimit::check(env, Limit::UploadsByIp, &request::client_ip(&req)).await?;
            let site: SettingsDocument =
                internal::call(&internal::site_stub(env, &claims.site)?, "/settings", &claims.site, None::<&()>).await?;
            if !site.settings.files {
                return Err(EdgeError::Forbidden("This site does not accept files from visitors"));
            }
            files::upload(&mut req, env, &format!("{}/{conversation}", claims.site)).await
        }
        (Method::Post, ["v1", "conversations", id, "transcript"]) => {
            let (claims, conversation) = visitor_grant(&req, env, id)?;
            ratelimit::check(env, Limit::TranscriptsByIp, &request::client_ip(&req)).await?;
            let ask = request::json_body(&mut req).await?;
            transcripts::request(env, ask, visitor(&req, claims, conversation)).await
        }
        (Method::Get, ["v1", "files", site, conversation, random]) => files::download(env, &files::conversation_file(site, conversation, random)?).await,
        (Method::Get, ["v1", "avatars", org, random]) => files::download(env, &files::avatar_file(org, random)?).await,
        (Method::Post, ["v1", "channels", rest @ ..]) => channels::webhook_route(&mut req, env, rest).await,
        (Method::Get, ["v1", "console", "config"]) => signup::config(env),
        (Method::Post, ["v1", "console", "sign-up"]) => signup::sign_up(&mut req, env).await,
        (Method::Post, ["v1", "bootstrap"]) => signup::bootstrap(&mut req, env).await,
        (Method::Post, ["v1", "console", "sign-in"]) => signup::sign_in(&mut req, env).await,
        (Method::Post, ["v1", "console", "password-reset"]) => signup::request_reset(&mut req, env).await,
        (Method::Get, ["v1", "invitations", token]) => signup::view_invitation(&req, env, token).await,
        (Method::Post, ["v1", "invitations", token]) => signup::use_link(&mut req, env, token, LinkKind::Invitation).await,
        (Method::Post, ["v1", "password-reset", token]) => signup::use_link(&mut req, env, token, LinkKind::Reset).await,
        (Method::Get, ["v1", "console", "session"]) => {
            console::access(env, &req).await?;
            Ok(Response::empty()?.with_status(204))
        }
        (_, ["v1", "console", "me", rest @ ..]) => console::me_route(&mut req, env, rest).await,
        (Method::Get, ["v1", "console", "journal"]) => journal_routes::page(&req, env).await,
        (Method::Get, ["v1", "console", "figures"]) => figures::page(&req, env).await,
        (Method::Put, ["v1", "console", "organisation"]) => console::set_time_zone(&mut req, env).await,
        (_, ["v1", "console", "organisation", "report", rest @ ..]) => daily_report::route(&mut req, env, rest).await,
        (_, ["v1", "console", "sites", site, rest @ ..]) if !rest.is_empty() => console::site_route(&mut req, env, site, rest).await,
        (_, ["v1", "console", "sites" | "operators", ..]) => admin::route(&mut req, env, &segments[2..]).await,
        (Method::Get, ["v1", "dev", "identity"]) if dev::enabled(env) => dev_identity(&req, env).await,
        (Method::Post, ["v1", "dev", "journal", site, "fill"]) if dev::enabled(env) => dev::fill_journal(&req, env, site).await,
        (Method::Post, ["v1", "dev", "presence", site, "simulate"]) if dev::enabled(env) => dev::simulate_presence(&req, env, site).await,
        (_, ["v1", "sites", _, "visitors" | "widget" | "status" | "identify" | "presence"] | ["v1", "console", "sign-in" | "sign-up" | "config" | "session" | "password-reset"] | ["v1", "bootstrap"] | ["v1", "conversations", _, "files" | "transcript"]) => {
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
    headers.set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")?;
    headers.set("Access-Control-Allow-Headers", "Content-Type, Authorization, If-None-Match")?;
    headers.set("Access-Control-Expose-Headers", "ETag")?;
    headers.set("Access-Control-Max-Age", "86400")?;
    Ok(response)
}

/// How operators see an anonymous visitor until they introduce themselves.
fn visitor_display_name(visitor: &VisitorId) -> String {
    format!("Visitor {}", &visitor.as_str()[..visitor.as_str().len().min(4)])
}

/// Where the request's page is, for a site's widget.
fn page_origin(req: &Request, site: SiteId) -> EdgeResult<PageOrigin> {
    Ok(PageOrigin {
        site,
        origin: req.headers().get("Origin")?,
        edge: request::edge_origin(req)?,
        same_origin_get: req.method() == Method::Get,
        ip: request::client_ip(req),
    })
}

/// The site, if it is on, the request's page may embed its widget and the caller's IP
/// is not blocked.
async fn embedding_site(req: &Request, env: &Env, site: &str) -> EdgeResult<SiteId> {
    let site = SiteId::parse(site)?;
    let page = page_origin(req, site.clone())?;
    let _: serde_json::Value = internal::call(&internal::site_stub(env, &site)?, "/admit", &page, None::<&()>).await?;
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
    ratelimit::check(env, Limit::VisitorsByIp, &request::client_ip(req)).await?;
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
    ratelimit::check(env, Limit::IdentifyByIp, &request::client_ip(req)).await?;
    let site = embedding_site(req, env, site).await?;
    let body: IdentifyRequest = json_body(req).await?;
    body.identity.check_fields().map_err(EdgeError::IdentityRefused)?;
    let anonymous = body
        .token
        .and_then(|token| auth::visitor(env, &token).ok())
        .filter(|claims| claims.site == site && claims.user.is_none())
        .map(|claims| (claims.visitor, claims.conversation));
    let call = IdentifyCall { site: site.clone(), identity: body.identity, anonymous };
    let identified: Identified = internal::call(&internal::site_stub(env, &site)?, "/identify", &site, Some(&call)).await?;
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
    let stub = internal::conversation_stub(env, &claims.site, &conversation)?;
    internal::websocket(&stub, "/socket", &visitor(req, claims, conversation)).await
}

/// What a returning visitor's loader asks before it loads the widget. One request a
/// page, with the token in the query (no preflight); the browser may keep the answer
/// a few seconds, so pages opened in a row ask once.
async fn unread(req: &Request, env: &Env, id: &str) -> EdgeResult<Response> {
    let (claims, conversation) = visitor_grant(req, env, id)?;
    let stub = internal::conversation_stub(env, &claims.site, &conversation)?;
    let unread: Unread = internal::call(&stub, "/unread", &visitor(req, claims, conversation), None::<&()>).await?;
    let mut response = Response::from_json(&unread)?;
    response.headers_mut().set("Cache-Control", "private, max-age=5")?;
    Ok(response)
}

/// The visitor a valid token names, as their conversation sees them.
fn visitor(req: &Request, claims: VisitorClaims, conversation: ConversationId) -> Participant {
    Participant {
        role: AuthorKind::Visitor,
        name: visitor_display_name(&claims.visitor),
        site: claims.site.clone(),
        conversation: conversation.clone(),
        visitor: Some(claims.visitor),
        operator: None,
        user_agent: request::user_agent(req),
        avatar: None,
        user: claims.user,
        ip: request::client_ip(req),
        restricted: false,
        expires: Some(claims.exp),
    }
}

/// What the loader and the widget get: the public settings, and when the site's rules
/// could first fire (the loader loads the widget just before that, not at once).
#[derive(serde::Serialize)]
struct WidgetDocument {
    #[serde(flatten)]
    settings: natter_shared::settings::WidgetSettings,
    wake: Vec<natter_shared::rules::Wake>,
}

impl WidgetDocument {
    /// `mails`: whether this deployment sends e-mail (without it the window offers no
    /// transcript).
    fn of(document: &SettingsDocument, mails: bool) -> WidgetDocument {
        let mut settings = document.settings.public();
        settings.transcripts &= mails;
        WidgetDocument { wake: natter_shared::rules::wake_hints(&settings.rules()), settings }
    }
}

/// The settings document for the loader. Every view revalidates (`no-cache`) so a
/// saved change shows on the next page at once, and costs a 304 when nothing changed.
async fn widget_settings(req: &Request, env: &Env, site: &str) -> EdgeResult<Response> {
    let site = SiteId::parse(site)?;
    let page = page_origin(req, site.clone())?;
    let document: SettingsDocument = internal::call(&internal::site_stub(env, &site)?, "/widget", &page, None::<&()>).await?;
    // The document version is part of the tag: a deploy that reads settings anew
    // must not be answered with a 304 for the old reading.
    // So is whether e-mail is on (it decides the transcript button).
    let mails = crate::mail::enabled(env);
    let etag = format!("\"{SETTINGS_VERSION}.{}{}\"", document.revision, if mails { "" } else { "-nomail" });
    let fresh = req.headers().get("If-None-Match")?.is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh { Response::empty()?.with_status(304) } else { Response::from_json(&WidgetDocument::of(&document, mails))? };
    response.headers_mut().set("ETag", &etag)?;
    response.headers_mut().set("Cache-Control", "no-cache")?;
    Ok(response)
}

/// What the demo page's "Identify" button needs from a server: an identity for the
/// dev site, signed with its identity secret, valid for an hour. Never on a deployed
/// Worker (`NATTER_DEV` is only set by the local `.dev.vars`).
async fn dev_identity(req: &Request, env: &Env) -> EdgeResult<Response> {
    let site = SiteId::parse(crate::dev::SITE)?;
    let url = req.url()?;
    let query = |key: &str| url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned()).unwrap_or_default();
    let secrets: SiteSecret = internal::call(&internal::site_stub(env, &site)?, "/secret", &site, None::<&()>).await?;
    let expires = auth::now() / 1000 + 3600;
    let (id, name, email) = (query("id"), query("name"), query("email"));
    let signature = identity::sign(secrets.identity.as_bytes(), site.as_str(), &id, &name, &email, expires);
    Ok(Response::from_json(&Identity { id, name, email, expires, signature })?)
}

/// A page on the edge with the site's widget: owners send themselves a test message
/// from it without touching their own site (the edge's origin is always admitted).
async fn test_page(env: &Env, site: &str) -> EdgeResult<Response> {
    let site = SiteId::parse(site)?;
    let _: SitePlacement = internal::call(&internal::site_stub(env, &site)?, "/policy", &site, None::<&()>).await?;
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Natter test page: {site}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:0;padding:2rem;max-width:40rem;color:#1b1f24;background:#fff}}
@media (prefers-color-scheme: dark){{body{{color:#e8eaed;background:#15171a}}}}code{{font-size:.95em}}</style>
</head>
<body>
<main>
<h1>Test page for site <code>{site}</code></h1>
<p>This page on your Natter relay has the widget of site <code>{site}</code>. Open the chat and send a message: it arrives in your console's inbox.</p>
<p lang="ru">На этой странице — виджет сайта <code>{site}</code>. Откройте чат и напишите сообщение: оно придёт во входящие консоли.</p>
</main>
<script src="/natter.js" data-site="{site}" async></script>
</body>
</html>"#
    );
    let mut response = Response::from_html(html)?;
    response.headers_mut().set("Cache-Control", "no-store")?;
    Ok(response)
}
