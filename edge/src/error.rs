//! The edge's one error enum, mapped in one place to an HTTP status and the protocol's
//! error body. Clients see a stable code and a human message, never a stack trace.

use natter_shared::protocol::{ErrorBody, ErrorCode, InvalidSettingsBody};
use natter_shared::settings::FieldError;
use worker::Response;

#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    #[error(transparent)]
    Input(#[from] natter_shared::Error),
    #[error("{0}")]
    BadRequest(String),
    /// An upload without `Content-Length`: its size must be known before it is read.
    #[error("Say the file's size: send it with a Content-Length")]
    LengthRequired,
    #[error("Sign in first: this needs a valid token")]
    Unauthorized,
    #[error("The e-mail or password is wrong")]
    WrongCredentials,
    /// A session whose version is stale: the password changed, the operator was
    /// deactivated or removed.
    #[error("Your session has ended: sign in again")]
    SessionEnded,
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; try again after this many seconds.
    #[error("Too many attempts. Wait a minute, then try again.")]
    RateLimited(u32),
    /// A visitor's or operator's messages (or a visitor's new conversations) over the
    /// site's limits; try again after this many seconds. Nothing was stored.
    #[error("You are sending messages too fast. Try again in {0} s.")]
    TooFast(u32),
    /// A socket asked for more history than its share; try again after this many seconds.
    #[error("Too many requests for history. Try again in {0} s.")]
    ReplayTooFast(u32),
    #[error("This site's chat is switched off")]
    SiteDisabled,
    /// The site's operators blocked this visitor: told neutrally.
    #[error("The chat is not available")]
    Blocked,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(String),
    #[error("This site does not accept the widget on {0}")]
    OriginNotAllowed(String),
    #[error("Protocol version {0:?} is not supported; this server speaks v1")]
    UnsupportedProtocol(String),
    #[error("{0} is not allowed here")]
    MethodNotAllowed(String),
    #[error("The settings were not saved: {} field(s) need attention", .0.len())]
    InvalidSettings(Vec<FieldError>),
    #[error("{0}")]
    File(natter_shared::files::FileProblem),
    /// `identify` refused: the message says what to fix.
    #[error("{0}")]
    IdentityRefused(String),
    #[error("The server failed: {0}")]
    Internal(String),
    /// A Durable Object refused the request; its answer is passed on as it is.
    #[error("{}", body.message)]
    Upstream { status: u16, body: ErrorBody },
}

impl From<worker::Error> for EdgeError {
    fn from(error: worker::Error) -> Self {
        EdgeError::Internal(error.to_string())
    }
}

impl From<serde_json::Error> for EdgeError {
    fn from(error: serde_json::Error) -> Self {
        EdgeError::BadRequest(format!("The body is not valid JSON: {error}"))
    }
}

pub type EdgeResult<T> = Result<T, EdgeError>;

impl EdgeError {
    /// A 422 that names the one field at fault (the console shows it there).
    pub fn field(field: &str, message: impl Into<String>) -> EdgeError {
        EdgeError::InvalidSettings(vec![FieldError { field: field.into(), message: message.into() }])
    }

    /// The stable code clients switch on.
    pub fn body(&self) -> ErrorBody {
        let code = match self {
            EdgeError::Input(e) => return e.into(),
            EdgeError::Upstream { body, .. } => return body.clone(),
            EdgeError::InvalidSettings(_) => ErrorCode::InvalidSettings,
            EdgeError::BadRequest(_) | EdgeError::LengthRequired => ErrorCode::InvalidInput,
            EdgeError::Unauthorized | EdgeError::WrongCredentials | EdgeError::SessionEnded => ErrorCode::Unauthorized,
            EdgeError::Conflict(_) => ErrorCode::Conflict,
            EdgeError::RateLimited(_) | EdgeError::TooFast(_) | EdgeError::ReplayTooFast(_) => ErrorCode::RateLimited,
            EdgeError::SiteDisabled => ErrorCode::SiteDisabled,
            EdgeError::Blocked => ErrorCode::Blocked,
            EdgeError::Forbidden(_) => ErrorCode::Forbidden,
            EdgeError::NotFound(_) => ErrorCode::NotFound,
            EdgeError::OriginNotAllowed(_) => ErrorCode::OriginNotAllowed,
            EdgeError::MethodNotAllowed(_) => ErrorCode::MethodNotAllowed,
            EdgeError::UnsupportedProtocol(_) => ErrorCode::UnsupportedProtocol,
            EdgeError::File(natter_shared::files::FileProblem::TooBig { .. }) => ErrorCode::FileTooLarge,
            EdgeError::File(_) => ErrorCode::UnsupportedFile,
            EdgeError::IdentityRefused(_) => ErrorCode::IdentityRefused,
            EdgeError::Internal(_) => ErrorCode::Internal,
        };
        let retry_after = match self {
            EdgeError::RateLimited(seconds) | EdgeError::TooFast(seconds) | EdgeError::ReplayTooFast(seconds) => Some(*seconds),
            _ => None,
        };
        ErrorBody { code, message: self.to_string(), retry_after }
    }

    pub fn status(&self) -> u16 {
        match self {
            EdgeError::Input(e) => match e.code() {
                ErrorCode::Unauthorized | ErrorCode::TokenExpired => 401,
                ErrorCode::FrameTooLarge => 413,
                _ => 400,
            },
            EdgeError::BadRequest(_) | EdgeError::UnsupportedProtocol(_) => 400,
            EdgeError::LengthRequired => 411,
            EdgeError::Unauthorized | EdgeError::WrongCredentials | EdgeError::SessionEnded => 401,
            EdgeError::Conflict(_) => 409,
            EdgeError::RateLimited(_) | EdgeError::TooFast(_) | EdgeError::ReplayTooFast(_) => 429,
            EdgeError::SiteDisabled | EdgeError::Blocked => 403,
            EdgeError::Forbidden(_) | EdgeError::OriginNotAllowed(_) | EdgeError::IdentityRefused(_) => 403,
            EdgeError::NotFound(_) => 404,
            EdgeError::MethodNotAllowed(_) => 405,
            EdgeError::InvalidSettings(_) => 422,
            EdgeError::File(natter_shared::files::FileProblem::TooBig { .. }) => 413,
            EdgeError::File(_) => 415,
            EdgeError::Internal(_) => 500,
            EdgeError::Upstream { status, .. } => *status,
        }
    }

    pub fn into_response(self) -> Response {
        if let EdgeError::Internal(detail) = &self {
            worker::console_error!("internal error: {detail}");
        }
        let status = self.status();
        // (Also a limit a Durable Object answered, passed on as `Upstream`.)
        let body = self.body();
        let retry_after = body.retry_after;
        let json = match self {
            EdgeError::InvalidSettings(fields) => Response::from_json(&InvalidSettingsBody { code: body.code, message: body.message, fields }),
            _ => Response::from_json(&body),
        };
        json.map(|mut response| {
            if let Some(seconds) = retry_after {
                let _ = response.headers_mut().set("Retry-After", &seconds.to_string());
            }
            response.with_status(status)
        })
        .unwrap_or_else(|_| Response::empty().expect("an empty response can always be made").with_status(500))
    }
}
