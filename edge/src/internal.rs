//! The contract between the Worker and its Durable Objects: internal URLs whose query
//! carries what the Worker has already verified (so objects trust it without checking
//! tokens again), and small helpers to call a stub.

use natter_shared::identity::{Identity, VerifiedUser};
use natter_shared::ids::{ConversationId, OperatorId, SiteId, VisitorId};
use natter_shared::protocol::{AuthorKind, ConversationSummary, ErrorBody, OfflineNotice, Role};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{Headers, Method, Request, RequestInit, Response, State, Stub, WebSocket, WebSocketIncomingMessage};

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
    /// A visitor's verified user (`identify`), from their token.
    #[serde(default)]
    pub user: Option<VerifiedUser>,
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
    #[serde(default)]
    pub notice: Option<OfflineNotice>,
}

/// A site's public policy, which the Worker enforces.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SitePolicy {
    /// Origins allowed to embed the widget; `*` allows any.
    pub allowed_origins: Vec<String>,
}

impl SitePolicy {
    pub fn allows(&self, origin: Option<&str>) -> bool {
        self.allowed_origins.iter().any(|allowed| allowed == "*" || Some(allowed.as_str()) == origin)
    }
}

/// An operator account, as the `Account` object answers a successful sign-in.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Account {
    pub site: SiteId,
    pub operator: OperatorId,
    pub name: String,
    pub role: Role,
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
    let mut response = stub.fetch_with_request(req).await?;
    if response.status_code() >= 300 {
        return Err(upstream_error(response).await);
    }
    Ok(response.json().await?)
}

async fn upstream_error(mut response: Response) -> EdgeError {
    let status = response.status_code();
    match response.json::<ErrorBody>().await {
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

/// Creates an object's tables if they are missing (run in each object's constructor;
/// `IF NOT EXISTS` makes it cheap after the first time). A failure is logged, and every
/// later query then fails with a clear error rather than the object refusing to start.
pub fn create_tables(state: &State, object: &str, schema: &str) {
    if let Err(e) = state.storage().sql().exec(schema, None) {
        worker::console_error!("{object} schema: {e}");
    }
}
