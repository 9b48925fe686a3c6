//! The contract between the Worker and its Durable Objects: internal URLs whose query
//! carries what the Worker has already verified (so objects trust it without checking
//! tokens again), and small helpers to call a stub.

use natter_shared::identity::{Identity, VerifiedUser};
use natter_shared::accounts::{OperatorUpdate, Profile, SiteInfo};
use natter_shared::ids::{ConversationId, OperatorId, OrgId, SiteId, VisitorId};
use natter_shared::protocol::{AuthorKind, ConversationSummary, ErrorBody, Millis, OfflineNotice, Role};
use natter_shared::shift::{OperatorRef, VisitorEdit};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{Env, Headers, Method, Request, RequestInit, Response, State, Stub, WebSocket, WebSocketIncomingMessage};

use crate::error::{EdgeError, EdgeResult};

/// Objects are only reached through stubs; the host is never resolved.
const BASE: &str = "https://natter.internal";

/// Who is connecting to a conversation, as verified by the Worker.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Participant {
    pub role: AuthorKind,
    pub name: String,
    pub site: SiteId,
    pub conversation: ConversationId,
    pub visitor: Option<VisitorId>,
    pub operator: Option<OperatorId>,
    pub user_agent: String,
    /// An operator's picture, shown with their messages.
    #[serde(default)]
    pub avatar: Option<String>,
    /// A visitor's verified user (`identify`), from their token.
    #[serde(default)]
    pub user: Option<VerifiedUser>,
    /// A visitor's IP address (kept so that operators can block it).
    #[serde(default)]
    pub ip: String,
    /// An agent on a site that hides others' conversations: they may open only their
    /// own and unassigned ones.
    #[serde(default)]
    pub restricted: bool,
    /// When the token or session this socket was opened with expires: the socket is
    /// closed then ([`SESSION_ENDED`]) and the client signs in (or gets a visitor
    /// token) again.
    #[serde(default)]
    pub expires: Option<Millis>,
}

/// An operator acting on a conversation through the console's REST routes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Actor {
    pub operator: OperatorRef,
    pub admin: bool,
    pub restricted: bool,
}

/// What can be done to a conversation from outside its sockets (`POST /act`): by an
/// operator (checked by the Worker) or by the site's auto-assignment. Answers the
/// [`natter_shared::shift::ConversationStatus`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "act", rename_all = "snake_case")]
pub enum Act {
    Take { by: Actor },
    Transfer { by: Actor, to: OperatorRef },
    Close { by: Actor },
    Block { by: Actor, blocked: bool },
    EditVisitor { by: Actor, edit: VisitorEdit },
    /// The site's auto-assignment: only if still waiting and unassigned.
    Assign { to: OperatorRef },
}

/// A blocked (or unblocked) visitor's IP address, told to their site (`POST /block`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BlockCall {
    pub ip: String,
    pub blocked: bool,
}

/// What the `Site` answers when an operator opens a conversation (`/watch`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct WatchAnswer {
    /// The operator is an agent and the site hides others' conversations.
    pub restricted: bool,
}

/// The Worker asks the `Site` to check a signed user and give their conversation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IdentifyCall {
    pub site: SiteId,
    pub identity: Identity,
    /// The browser's anonymous visitor and conversation, for a user who has none yet.
    pub anonymous: Option<(VisitorId, ConversationId)>,
}

/// A verified user's visitor and conversation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Identified {
    pub visitor: VisitorId,
    pub conversation: ConversationId,
    pub user: VerifiedUser,
}

/// A conversation's report to its site: its summary and, for a visitor's new message,
/// the notice the owner's webhook gets if nobody is online. The site answers with
/// whether anyone is ([`natter_shared::protocol::SiteStatus`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SummaryReport {
    pub summary: ConversationSummary,
    /// The visitor's messages not settled yet, newest last.
    #[serde(default)]
    pub notices: Vec<OfflineNotice>,
}

pub use natter_shared::protocol::SESSION_ENDED;

/// Whether a socket's credentials have expired (see [`Participant::expires`]).
pub fn has_expired(expires: Option<Millis>) -> bool {
    expires.is_some_and(|at| at <= crate::auth::now())
}

/// Closes a socket whose credentials expired; false (and nothing done) if they have not.
pub fn close_if_expired(ws: &WebSocket, expires: Option<Millis>) -> bool {
    if !has_expired(expires) {
        return false;
    }
    let _ = ws.close(Some(SESSION_ENDED), Some("session expired"));
    true
}

/// An operator watching a site's inbox (the attachment of their inbox socket).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InboxWatcher {
    pub operator: OperatorId,
    pub name: String,
    #[serde(default)]
    pub role: Role,
    /// When their session expires (see [`Participant::expires`]).
    #[serde(default)]
    pub expires: Option<Millis>,
}

/// A site's policy as its organisation sets it in the `Site` object, which the Worker
/// enforces for visitors.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SitePlacement {
    /// Origins allowed to embed the widget; `*` allows any.
    pub allowed_origins: Vec<String>,
    pub disabled: bool,
}

impl SitePlacement {
    /// Whether a page may have the widget now: the site is on, and the page's origin is
    /// allowed, or is the edge's own (its test page; browsers send no `Origin` on a
    /// same-origin `GET`).
    pub fn admits(&self, page: &PageOrigin) -> EdgeResult<()> {
        if self.disabled {
            return Err(EdgeError::SiteDisabled);
        }
        let origin = page.origin.as_deref();
        let allowed = (origin.is_none() && page.same_origin_get)
            || origin == Some(page.edge.as_str())
            || self.allowed_origins.iter().any(|allowed| allowed == "*" || Some(allowed.as_str()) == origin);
        if !allowed {
            return Err(EdgeError::OriginNotAllowed(page.origin.clone().unwrap_or_else(|| "a page without an Origin".into())));
        }
        Ok(())
    }
}

/// Where a request for a site's widget comes from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PageOrigin {
    pub site: SiteId,
    /// The `Origin` header, if the browser sent one.
    pub origin: Option<String>,
    /// The caller's IP address (a blocked one gets no visitor token).
    #[serde(default)]
    pub ip: String,
    /// The edge's own origin.
    pub edge: String,
    /// A `GET`, which browsers send without `Origin` from the same origin.
    pub same_origin_get: bool,
}

/// An e-mail address's sign-in, as its `Account` object keeps it. The password hash is
/// empty while an invitation is not accepted yet.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Login {
    pub org: OrgId,
    pub operator: OperatorId,
    pub password_hash: String,
}

/// What an operator may do now, as their organisation answers each console request.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Access {
    pub org: OrgId,
    pub organisation: String,
    pub operator: OperatorId,
    pub email: String,
    pub name: String,
    pub avatar: Option<String>,
    pub role: Role,
    /// The sites they work on: every site of the organisation for admins.
    pub sites: Vec<SiteId>,
    pub version: u64,
    /// The organisation's time zone.
    #[serde(default = "natter_shared::accounts::utc")]
    pub time_zone: String,
    /// When the session of the request expires: set by the Worker from its token, not
    /// by the organisation.
    #[serde(default)]
    pub expires: Option<Millis>,
}

impl Access {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// The site, if this operator works on it.
    pub fn site(&self, site: &str) -> EdgeResult<SiteId> {
        let site = SiteId::parse(site)?;
        if !self.sites.contains(&site) {
            return Err(EdgeError::Forbidden("You do not work on this site"));
        }
        Ok(site)
    }
}

/// A new operator row: the first admin of a sign-up, or an invitee.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewOperator {
    pub id: OperatorId,
    pub email: String,
    pub name: String,
    pub title: String,
    pub role: Role,
    pub sites: Vec<SiteId>,
}

/// The kind of a one-time link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    Invitation,
    Reset,
}

/// A one-time link as stored: the SHA-256 of its secret, never the secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewLink {
    pub hash: String,
    pub kind: LinkKind,
    pub expires_at: u64,
}

/// Who a used link was for.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LinkUsed {
    pub operator: OperatorId,
    pub email: String,
}

/// The calls an `Organisation` object answers (`POST /` with this body).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum OrgCall {
    /// A new organisation with its first site and admin → `{}`; 409 if it exists.
    Create { org: OrgId, name: String, admin: NewOperator, site: SiteInfo, time_zone: String },
    /// Sets the organisation's time zone (checked by the Worker) → `{}`.
    SetTimeZone { time_zone: String },
    /// → the daily report's [`DailyReport`](natter_shared::figures::DailyReport).
    Report,
    /// Sets it (checked by the Worker) and its alarm → `{}`.
    SetReport { report: natter_shared::figures::DailyReport },
    /// Sends yesterday's report now → `ReportSent`; 409 while it has no address.
    SendReport,
    /// → [`Access`]; 401 unless the operator is active and (if given) at `version`.
    Access { operator: OperatorId, version: Option<u64> },
    /// → [`Profile`].
    Profile { operator: OperatorId },
    SetProfile { operator: OperatorId, profile: Profile },
    /// Ends every session of the operator → the new version.
    Bump { operator: OperatorId },
    /// → `Vec<SiteInfo>`, every site of the organisation.
    Sites,
    AddSite { site: SiteInfo },
    UpdateSite { site: SiteInfo },
    DeleteSite { site: SiteId },
    /// → `Vec<OperatorInfo>` (without presence).
    Operators,
    /// An invitee, with their link → their [`OperatorInfo`].
    Invite { operator: NewOperator, link: NewLink },
    /// → [`OperatorInfo`]; 409 if it would leave no active admin.
    UpdateOperator { operator: OperatorId, update: OperatorUpdate },
    /// → the e-mail address it had; 409 if it would leave no active admin.
    DeleteOperator { operator: OperatorId },
    /// A new link for an operator (an invitation again, or a password reset) → `{}`.
    AddLink { operator: OperatorId, link: NewLink },
    /// → [`InvitationView`]; 404 when unknown, used or expired.
    ViewLink { hash: String, kind: LinkKind },
    /// Uses a link up, ends the operator's other sessions → [`LinkUsed`].
    UseLink { hash: String, kind: LinkKind },
}

pub fn site_stub(env: &Env, site: &SiteId) -> EdgeResult<Stub> {
    Ok(env.durable_object("SITES")?.get_by_name(site.as_str())?)
}

/// A site's journal (see [`crate::journal`]).
pub fn journal_stub(env: &Env, site: &SiteId) -> EdgeResult<Stub> {
    Ok(env.durable_object("JOURNALS")?.get_by_name(site.as_str())?)
}

pub fn conversation_stub(env: &Env, site: &SiteId, conversation: &ConversationId) -> EdgeResult<Stub> {
    // The site is part of the name, so one site's token can never reach another's objects.
    Ok(env.durable_object("CONVERSATIONS")?.get_by_name(&format!("{site}/{conversation}"))?)
}

/// The `Account` object of an e-mail address (normalized by the caller).
pub fn account_stub(env: &Env, email: &str) -> EdgeResult<Stub> {
    Ok(env.durable_object("ACCOUNTS")?.get_by_name(email)?)
}

/// Calls an organisation's object.
pub async fn org<R: DeserializeOwned>(env: &Env, org: &OrgId, call: &OrgCall) -> EdgeResult<R> {
    let stub = env.durable_object("ORGANISATIONS")?.get_by_name(org.as_str())?;
    self::call(&stub, "/", org, Some(call)).await
}

fn url<T: Serialize>(path: &str, context: &T) -> EdgeResult<String> {
    let json = serde_json::to_string(context)?;
    let mut url = worker::Url::parse(BASE).map_err(|e| EdgeError::Internal(e.to_string()))?;
    url.set_path(path);
    url.query_pairs_mut().append_pair("ctx", &json);
    Ok(url.into())
}

/// Reads the verified context a Worker put into an internal URL.
pub fn context<T: DeserializeOwned>(req: &Request) -> EdgeResult<T> {
    let url = req.url()?;
    let json = url
        .query_pairs()
        .find(|(k, _)| k == "ctx")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| EdgeError::Internal("Internal request without context".into()))?;
    Ok(serde_json::from_str(&json)?)
}

/// Forwards a WebSocket upgrade to an object; its 101 answer goes back to the client.
pub async fn websocket<T: Serialize>(stub: &Stub, path: &str, context: &T) -> EdgeResult<Response> {
    let headers = Headers::new();
    headers.set("Upgrade", "websocket")?;
    let req = Request::new_with_init(&url(path, context)?, RequestInit::new().with_headers(headers))?;
    let response = stub.fetch_with_request(req).await?;
    if response.status_code() == 101 {
        Ok(response)
    } else {
        Err(upstream_error(response).await)
    }
}

/// Calls an object and reads its JSON answer, passing its errors on unchanged.
pub async fn call<T: Serialize, B: Serialize, R: DeserializeOwned>(
    stub: &Stub,
    path: &str,
    context: &T,
    body: Option<&B>,
) -> EdgeResult<R> {
    let mut init = RequestInit::new();
    if let Some(body) = body {
        init.with_method(Method::Post).with_body(Some(serde_json::to_string(body)?.into()));
    }
    let req = Request::new_with_init(&url(path, context)?, &init)?;
    let response = stub.fetch_with_request(req).await?;
    if response.status_code() >= 300 {
        return Err(upstream_error(response).await);
    }
    Ok(serde_json::from_str(&body_text(web_sys::Response::from(response).text()).await?)?)
}

/// Reads an internal request's JSON body (one our own objects or Worker wrote, so not
/// capped: an outside body is read with [`crate::request`]'s caps).
pub async fn request_json<R: DeserializeOwned>(req: &Request) -> EdgeResult<R> {
    Ok(serde_json::from_str(&body_text(req.inner().text()).await?)?)
}

/// A whole body, read by the runtime's own `text()`: one call into JavaScript, where
/// reading it as a Rust stream of chunks costs several a chunk (a fifth of the time of a
/// conversation's report to its site, measured).
async fn body_text(text: Result<js_sys::Promise, wasm_bindgen::JsValue>) -> EdgeResult<String> {
    let text = wasm_bindgen_futures::JsFuture::from(text.map_err(worker::Error::from)?).await.map_err(worker::Error::from)?;
    text.as_string().ok_or_else(|| EdgeError::Internal("A body that is not text".into()))
}

async fn upstream_error(mut response: Response) -> EdgeError {
    let status = response.status_code();
    let text = match response.text().await {
        Ok(text) => text,
        Err(e) => return EdgeError::Internal(format!("Object answered {status} without a body: {e}")),
    };
    // Field errors pass on with their fields (the console shows each at its field).
    if let Ok(refusal) = serde_json::from_str::<natter_shared::protocol::InvalidSettingsBody>(&text) {
        return EdgeError::InvalidSettings(refusal.fields);
    }
    match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => EdgeError::Upstream { status, body },
        Err(e) => EdgeError::Internal(format!("Object answered {status} without an error body: {e}")),
    }
}

/// The text of a frame a socket received; frames are JSON text, so binary is refused.
pub fn frame_text(message: WebSocketIncomingMessage) -> Result<String, natter_shared::Error> {
    match message {
        WebSocketIncomingMessage::String(text) => Ok(text),
        WebSocketIncomingMessage::Binary(_) => Err(natter_shared::Error::BadFrame("frames are JSON text".into())),
    }
}

/// Completes a closing handshake the client began. The socket may be gone already,
/// which is fine; 1005/1006 (no code, abnormal) cannot be sent back, so 1000 is.
pub fn complete_close(ws: &WebSocket, code: usize) {
    let code = match code {
        1005 | 1006 => 1000,
        code => u16::try_from(code).unwrap_or(1000),
    };
    let _ = ws.close(Some(code), Some("closed"));
}

/// Creates an object's tables if they are missing (`IF NOT EXISTS` makes it cheap after
/// the first time). A failure is logged, and every later query then fails with a clear
/// error rather than the object refusing to start.
pub fn create_tables(state: &State, object: &str, schema: &str) {
    if let Err(e) = state.storage().sql().exec(schema, None) {
        worker::console_error!("{object} schema: {e}");
    }
}

#[derive(Deserialize)]
struct CountRow {
    n: i64,
}

/// Whether the object has stored anything yet: any table of ours (not SQLite's, nor the
/// runtime's, which start with `_`: `_cf_…` in Cloudflare, `__miniflare_…` locally).
pub fn has_tables(state: &State) -> bool {
    let count = state
        .storage()
        .sql()
        .exec("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'", None)
        .and_then(|cursor| cursor.to_array::<CountRow>());
    count.map(|rows| rows.first().map_or(0, |r| r.n) > 0).unwrap_or(false)
}

/// In a constructor: brings the tables of an object that has stored something up to
/// date (so old objects get new tables). A new object stays empty until its first
/// write calls [`create_tables`]: a stranger's request naming an account, site or
/// organisation that does not exist stores nothing.
pub fn update_tables(state: &State, object: &str, schema: &str) {
    if has_tables(state) {
        create_tables(state, object, schema);
    }
}

/// Sets the object's one alarm for `at` (ms since the epoch) unless it is set sooner:
/// each errand (a delivery's retry, a letter, a report) asks for no later than its time.
pub async fn alarm_no_later_than(state: &State, at: u64) -> EdgeResult<()> {
    let storage = state.storage();
    if alarm_moves(storage.get_alarm().await?, at) {
        // (A number is an offset from now.)
        storage.set_alarm(at.saturating_sub(crate::auth::now()) as i64).await?;
    }
    Ok(())
}

/// Whether an alarm set for `set` must move to be no later than `at`. Within the alarm
/// handler the running alarm reads as none, so a time in the past is an errand asked for
/// "now" meanwhile (a conversation to hand out): it stays, and runs right after.
fn alarm_moves(set: Option<i64>, at: u64) -> bool {
    set.is_none_or(|set| set <= 0 || set as u64 > at)
}

#[cfg(test)]
mod tests {
    use super::alarm_moves;

    #[test]
    fn an_alarm_moves_only_to_be_sooner() {
        assert!(alarm_moves(None, 5_000));
        assert!(alarm_moves(Some(9_000), 5_000));
        assert!(!alarm_moves(Some(5_000), 5_000));
        assert!(!alarm_moves(Some(1_000), 5_000), "an alarm due now is not pushed back");
    }
}
