//! The doors in, each rate-limited per IP (and per e-mail where there is one): signing
//! up (when `SIGNUP = "open"`), the deployer's bootstrap (with `BOOTSTRAP_SECRET`),
//! signing in, joining through an invitation, and resetting a forgotten password. No
//! answer tells whether an address has an account, except sign-up, which must say it
//! cannot use an address (rate-limited like the rest).

use natter_shared::accounts::{self, ConsoleConfig, InvitationView, NewPassword, ResetRequest, SignUp, SiteInfo, RESET_TTL_MS};
use natter_shared::clock::is_time_zone;
use natter_shared::ids::{OperatorId, OrgId, SiteId};
use natter_shared::protocol::{OperatorSession, Role, SignIn};
use worker::{Env, Request, Response};

use crate::auth;
use crate::console;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Access, LinkKind, LinkUsed, Login, NewOperator, OrgCall};
use crate::mail;
use crate::passwords;
use crate::ratelimit::{self, Limit};
use crate::request::{self, json_body};

/// Whether anyone may create an organisation: the deployer's `SIGNUP` variable.
fn signup_open(env: &Env) -> bool {
    env.var("SIGNUP").map(|v| v.to_string() == "open").unwrap_or(false)
}

pub fn config(env: &Env) -> EdgeResult<Response> {
    Ok(Response::from_json(&ConsoleConfig { signup: signup_open(env), email: mail::enabled(env) })?)
}

pub async fn sign_up(req: &mut Request, env: &Env) -> EdgeResult<Response> {
    if !signup_open(env) {
        return Err(EdgeError::Forbidden("Sign-up is closed on this Natter: ask its operator for an invitation"));
    }
    ratelimit::check(env, Limit::SignUpByIp, &request::client_ip(req)).await?;
    let body: SignUp = json_body(req).await?;
    ratelimit::check(env, Limit::SignInByEmail, &accounts::normalize_email(&body.email)).await?;
    let access = create_organisation(env, &body, OrgId::from_random(auth::random_bytes()?), None, None).await?;
    Ok(Response::from_json(&console::session(env, &access)?)?.with_status(201))
}

/// `POST /v1/bootstrap` with `Authorization: Bearer BOOTSTRAP_SECRET`: how a deployer
/// creates an organisation and its admin while sign-up is closed.
pub async fn bootstrap(req: &mut Request, env: &Env) -> EdgeResult<Response> {
    ratelimit::check(env, Limit::SignUpByIp, &request::client_ip(req)).await?;
    let expected = env.secret("BOOTSTRAP_SECRET").map(|s| s.to_string()).unwrap_or_default();
    if expected.len() < 32 {
        return Err(EdgeError::Forbidden("Bootstrap is off: set a BOOTSTRAP_SECRET of 32 or more characters with `wrangler secret put`"));
    }
    let given = auth::bearer(req).unwrap_or_default();
    let same = given.len() == expected.len() && given.bytes().zip(expected.bytes()).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0;
    if !same {
        return Err(EdgeError::Unauthorized);
    }
    let body: SignUp = json_body(req).await?;
    let access = create_organisation(env, &body, OrgId::from_random(auth::random_bytes()?), None, None).await?;
    let me = serde_json::json!({
        "organisation": access.organisation,
        "admin": access.email,
        "site": access.sites.first(),
        "console": format!("{}/console/", request::edge_origin(req)?),
    });
    Ok(Response::from_json(&me)?.with_status(201))
}

/// Creates an organisation, its first site (its URL's origin allowed, unless `origins`
/// says otherwise) and its admin, signed in. `site` fixes the site's id (the dev seed's
/// `demo`); otherwise it is made from the name.
pub async fn create_organisation(
    env: &Env,
    body: &SignUp,
    org: OrgId,
    site: Option<SiteId>,
    origins: Option<Vec<String>>,
) -> EdgeResult<Access> {
    body.check().map_err(EdgeError::BadRequest)?;
    let email = accounts::normalize_email(&body.email);
    let origin = accounts::origin_of("Site URL", &body.site_url).map_err(EdgeError::BadRequest)?;
    let operator = OperatorId::from_random(auth::random_bytes()?);
    let login = Login { org: org.clone(), operator: operator.clone(), password_hash: passwords::hash(&body.password).await? };
    let _: serde_json::Value = internal::call(&internal::account_stub(env, &email)?, "/claim", &(), Some(&login))
        .await
        .map_err(|e| match e {
            EdgeError::Upstream { status: 409, .. } => EdgeError::Conflict(
                "This e-mail address cannot be used to sign up. If it is yours, sign in or reset your password.".into(),
            ),
            other => other,
        })?;
    let site = SiteInfo {
        id: match site {
            Some(site) => site,
            None => accounts::site_id_for(&body.site_name, auth::random_bytes()?),
        },
        name: body.site_name.trim().into(),
        url: body.site_url.trim().into(),
        allowed_origins: origins.unwrap_or_else(|| vec![origin]),
        disabled: false,
    };
    let time_zone = if is_time_zone(&body.time_zone) { body.time_zone.clone() } else { accounts::utc() };
    let admin = NewOperator { id: operator.clone(), email, name: body.name.clone(), title: String::new(), role: Role::Admin, sites: Vec::new() };
    let _: serde_json::Value =
        internal::org(env, &org, &OrgCall::Create { org: org.clone(), name: body.organisation.trim().into(), admin, site, time_zone }).await?;
    internal::org(env, &org, &OrgCall::Access { operator, version: None }).await
}

pub async fn sign_in(req: &mut Request, env: &Env) -> EdgeResult<Response> {
    let body: SignIn = json_body(req).await?;
    let email = accounts::normalize_email(&body.email);
    if accounts::check_email(&email).is_err() {
        return Err(EdgeError::BadRequest("Enter the e-mail address you sign in with".into()));
    }
    ratelimit::check(env, Limit::SignInByIp, &request::client_ip(req)).await?;
    ratelimit::check(env, Limit::SignInByEmail, &email).await?;
    let login: Option<Login> = internal::call(&internal::account_stub(env, &email)?, "/get", &(), None::<&()>).await?;
    let stored = login.as_ref().map(|l| l.password_hash.as_str()).filter(|h| !h.is_empty());
    // The same work and the same answer for an unknown address and a wrong password.
    if !passwords::verify(&body.password, stored).await? {
        return Err(EdgeError::WrongCredentials);
    }
    let login = login.ok_or(EdgeError::WrongCredentials)?;
    let access: Access = internal::org(env, &login.org, &OrgCall::Access { operator: login.operator, version: None })
        .await
        .map_err(|e| match e {
            EdgeError::Upstream { status: 401, .. } => EdgeError::Forbidden("This account is deactivated: ask your organisation's admin"),
            other => other,
        })?;
    Ok(Response::from_json(&console::session(env, &access)?)?)
}

/// Splits a link's token, `{org}.{secret}`, into its organisation and stored digest.
fn link_token(token: &str) -> EdgeResult<(OrgId, String)> {
    let (org, secret) = token.split_once('.').ok_or_else(|| EdgeError::NotFound("This link is not complete: copy all of it".into()))?;
    if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(EdgeError::NotFound("This link is not complete: copy all of it".into()));
    }
    Ok((OrgId::parse(org)?, passwords::digest(secret)))
}

/// `GET /v1/invitations/{token}`: whom an invitation is for.
pub async fn view_invitation(req: &Request, env: &Env, token: &str) -> EdgeResult<Response> {
    ratelimit::check(env, Limit::LinksByIp, &request::client_ip(req)).await?;
    let (org, hash) = link_token(token)?;
    let view: InvitationView = internal::org(env, &org, &OrgCall::ViewLink { hash, kind: LinkKind::Invitation }).await?;
    Ok(Response::from_json(&view)?)
}

/// `POST /v1/invitations/{token}` and `POST /v1/password-reset/{token}`: the link's
/// operator sets a password and is signed in; their other sessions end.
pub async fn use_link(req: &mut Request, env: &Env, token: &str, kind: LinkKind) -> EdgeResult<Response> {
    ratelimit::check(env, Limit::LinksByIp, &request::client_ip(req)).await?;
    let body: NewPassword = json_body(req).await?;
    accounts::check_password(&body.password).map_err(EdgeError::BadRequest)?;
    let session = set_password_by_link(env, token, kind, &body.password).await?;
    Ok(Response::from_json(&session)?)
}

pub async fn set_password_by_link(env: &Env, token: &str, kind: LinkKind, password: &str) -> EdgeResult<OperatorSession> {
    let (org, hash) = link_token(token)?;
    let hashed = passwords::hash(password).await?;
    let used: LinkUsed = internal::org(env, &org, &OrgCall::UseLink { hash, kind }).await?;
    let _: serde_json::Value = internal::call(&internal::account_stub(env, &used.email)?, "/password", &(), Some(&hashed)).await?;
    let access: Access = internal::org(env, &org, &OrgCall::Access { operator: used.operator, version: None }).await?;
    console::session(env, &access)
}

/// `POST /v1/console/password-reset`: e-mails a one-hour link if the address has an
/// account. The answer is the same whether it has or not.
pub async fn request_reset(req: &mut Request, env: &Env) -> EdgeResult<Response> {
    let body: ResetRequest = json_body(req).await?;
    let email = accounts::normalize_email(&body.email);
    accounts::check_email(&email).map_err(EdgeError::BadRequest)?;
    ratelimit::check(env, Limit::SignInByIp, &request::client_ip(req)).await?;
    ratelimit::check(env, Limit::SignInByEmail, &email).await?;
    if !mail::enabled(env) {
        return Err(EdgeError::Forbidden("This Natter does not send e-mail: ask your organisation's admin to help you in"));
    }
    let login: Option<Login> = internal::call(&internal::account_stub(env, &email)?, "/get", &(), None::<&()>).await?;
    if let Some(login) = login.filter(|l| !l.password_hash.is_empty()) {
        let (secret, link) = passwords::new_link(LinkKind::Reset, RESET_TTL_MS)?;
        let added: EdgeResult<serde_json::Value> =
            internal::org(env, &login.org, &OrgCall::AddLink { operator: login.operator, link }).await;
        if added.is_ok() {
            let url = format!("{}/console/#reset={}.{secret}", request::edge_origin(req)?, login.org);
            let text = format!(
                "Someone (we hope you) asked to reset your Natter password.\n\
                 Choose a new one here (the link works once, for an hour):\n{url}\n\
                 If it was not you, ignore this e-mail: your password stays as it is.\n\n\
                 —\n\n\
                 Кто-то (надеемся, вы) попросил сбросить пароль Natter.\n\
                 Задайте новый по ссылке (она работает один раз, один час):\n{url}\n\
                 Если это были не вы, ничего не делайте: пароль останется прежним.\n"
            );
            mail::send(env, None, &email, "Reset your Natter password / Сброс пароля Natter", &text).await;
        }
    }
    let answer = serde_json::json!({ "message": "If this address has a Natter account, we have sent it a link to choose a new password. It works for an hour." });
    Ok(Response::from_json(&answer)?.with_status(202))
}
