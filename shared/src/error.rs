//! The one error type of `shared`. Every variant maps to a stable protocol code, so
//! the edge and the widget report it the same way.

use crate::protocol::ErrorCode;

/// Why input was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("The {what} is not valid: {why}")]
    InvalidId { what: &'static str, why: &'static str },
    #[error("The message is empty")]
    EmptyMessage,
    #[error("The message is {chars} characters long; the limit is {limit}")]
    MessageTooLong { chars: usize, limit: usize },
    #[error("The frame is {bytes} bytes; the limit is {limit}")]
    FrameTooLarge { bytes: usize, limit: usize },
    #[error("The frame is not valid JSON for protocol v1: {0}")]
    BadFrame(String),
    #[error("The frame type is not known to this server")]
    UnknownFrame,
    #[error("The token is malformed or its signature is wrong")]
    BadToken,
    #[error("The token has expired")]
    ExpiredToken,
}

impl Error {
    /// The stable code clients see in an error frame or HTTP error body.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidId { .. } => ErrorCode::InvalidInput,
            Error::EmptyMessage => ErrorCode::EmptyMessage,
            Error::MessageTooLong { .. } => ErrorCode::MessageTooLong,
            Error::FrameTooLarge { .. } => ErrorCode::FrameTooLarge,
            Error::BadFrame(_) => ErrorCode::BadFrame,
            Error::UnknownFrame => ErrorCode::UnknownFrame,
            Error::BadToken => ErrorCode::Unauthorized,
            Error::ExpiredToken => ErrorCode::TokenExpired,
        }
    }
}
