//! Limits checked at the edge (and, for a quick answer, in the widget too).

use crate::Error;

/// Longest message body, in characters (Unicode scalar values).
pub const MAX_MESSAGE_CHARS: usize = 4_000;
/// Largest WebSocket frame or JSON request body, in bytes.
pub const MAX_FRAME_BYTES: usize = 16 * 1024;
/// Longest page URL, title, referrer or user agent we keep about a visitor.
pub const MAX_CONTEXT_CHARS: usize = 1_000;
/// How long a visitor token is valid: a year, so a returning visitor keeps history.
pub const VISITOR_TOKEN_TTL_MS: u64 = 365 * 24 * 3600 * 1000;
/// How long an operator's console session is valid.
pub const OPERATOR_SESSION_TTL_MS: u64 = 12 * 3600 * 1000;

/// Trims a message and checks it is neither empty nor too long.
pub fn check_message(text: &str) -> Result<&str, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::EmptyMessage);
    }
    let chars = text.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        return Err(Error::MessageTooLong { chars, limit: MAX_MESSAGE_CHARS });
    }
    Ok(text)
}

/// Like [`check_message`], for a message that carries a file: its text may be empty.
pub fn check_caption(text: &str) -> Result<&str, Error> {
    if text.trim().is_empty() {
        Ok("")
    } else {
        check_message(text)
    }
}

/// Checks a raw frame's size before it is parsed.
pub fn check_frame_size(bytes: usize) -> Result<(), Error> {
    if bytes > MAX_FRAME_BYTES {
        return Err(Error::FrameTooLarge { bytes, limit: MAX_FRAME_BYTES });
    }
    Ok(())
}

/// Cuts a piece of visitor context (URL, title…) to the stored length.
pub fn clip_context(value: &str) -> String {
    value.chars().take(MAX_CONTEXT_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_trimmed_and_bounded() {
        assert_eq!(check_message("  hi \n"), Ok("hi"));
        assert_eq!(check_message(" \n\t"), Err(Error::EmptyMessage));
        let long = "я".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(
            check_message(&long),
            Err(Error::MessageTooLong { chars: MAX_MESSAGE_CHARS + 1, limit: MAX_MESSAGE_CHARS })
        );
        assert!(check_message(&"я".repeat(MAX_MESSAGE_CHARS)).is_ok());
    }

    #[test]
    fn frames_are_bounded() {
        assert!(check_frame_size(MAX_FRAME_BYTES).is_ok());
        assert!(check_frame_size(MAX_FRAME_BYTES + 1).is_err());
    }
}
