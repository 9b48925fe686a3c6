//! Files in conversations: which may be sent, how big, and how a message refers to
//! one. The widget checks before uploading (to say why at once); the edge checks again
//! on the bytes it receives, and that check is the one that counts.

use serde::{Deserialize, Serialize};

/// The largest file a visitor or an operator can send.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
/// Longest file name kept, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 120;

/// The types we accept, by extension, with the content type they are served as.
/// Images are shown inline (as thumbnails); everything else is a download.
const ALLOWED: [(&str, &str); 14] = [
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("pdf", "application/pdf"),
    ("txt", "text/plain"),
    ("csv", "text/csv"),
    ("doc", "application/msword"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xls", "application/vnd.ms-excel"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("zip", "application/zip"),
];

/// A file stored with a conversation, as a message carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Where the file is: `{site}/{conversation}/{random}`; the random part makes the
    /// download URL unguessable.
    pub key: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

impl Attachment {
    /// Shown inline as a thumbnail rather than offered as a download.
    pub fn is_image(&self) -> bool {
        is_image(&self.content_type)
    }

    /// The path the edge serves it at.
    pub fn path(&self) -> String {
        format!("/v1/files/{}", self.key)
    }
}

/// Why a file was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileProblem {
    TooBig { size: u64 },
    Empty,
    /// The extension (lower case, may be empty) is not one we accept.
    Type(String),
    /// The bytes are not what the name says (an "image" that is not one).
    Mismatch,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileProblem::TooBig { size } => {
                // In tenths of a megabyte, rounded, in integers: float formatting would
                // cost the widget kilobytes of Wasm.
                let tenths = (size.saturating_mul(10) + 524_288) / 1_048_576;
                write!(f, "The file is {}.{} MB; the limit is 10 MB", tenths / 10, tenths % 10)
            }
            FileProblem::Empty => write!(f, "The file is empty"),
            FileProblem::Type(ext) => write!(f, "Files of type .{ext} cannot be sent: send images, PDF, text, office documents or ZIP"),
            FileProblem::Mismatch => write!(f, "The file's content does not match its name"),
        }
    }
}

/// Images are the only files shown inline; everything else downloads.
pub fn is_image(content_type: &str) -> bool {
    content_type.starts_with("image/")
}

fn extension(name: &str) -> String {
    name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default()
}

/// The content type a file of this name is served as, if we accept the name.
pub fn content_type(name: &str) -> Result<&'static str, FileProblem> {
    let ext = extension(name);
    ALLOWED.iter().find(|(e, _)| *e == ext).map(|(_, t)| *t).ok_or(FileProblem::Type(ext))
}

/// Checks a file by name and size (what a browser knows before uploading).
pub fn check(name: &str, size: u64) -> Result<&'static str, FileProblem> {
    if size > MAX_FILE_BYTES {
        return Err(FileProblem::TooBig { size });
    }
    if size == 0 {
        return Err(FileProblem::Empty);
    }
    content_type(name)
}

/// Checks the bytes themselves: the size, and that images and PDFs start as they must
/// (so nothing else is served inline as an image).
pub fn check_bytes(name: &str, bytes: &[u8]) -> Result<&'static str, FileProblem> {
    check_start(name, bytes.len() as u64, bytes)
}

/// How many bytes of a file [`check_start`] needs to see (fewer if the file is shorter).
pub const START_BYTES: usize = 8;

/// The same checks on a file of `size` bytes of which only the start has come yet (an
/// upload streamed on as it arrives).
pub fn check_start(name: &str, size: u64, start: &[u8]) -> Result<&'static str, FileProblem> {
    let content_type = check(name, size)?;
    let magic: &[&[u8]] = match content_type {
        "image/png" => &[b"\x89PNG\r\n\x1a\n"],
        "image/jpeg" => &[b"\xff\xd8\xff"],
        "image/gif" => &[b"GIF87a", b"GIF89a"],
        "image/webp" => &[b"RIFF"],
        "application/pdf" => &[b"%PDF-"],
        _ => return Ok(content_type),
    };
    if magic.iter().any(|m| start.starts_with(m)) {
        Ok(content_type)
    } else {
        Err(FileProblem::Mismatch)
    }
}

/// A file name safe to keep and show: the last path segment, no control characters
/// or quotes, at most [`MAX_FILE_NAME_CHARS`].
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String =
        base.chars().filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '/')).take(MAX_FILE_NAME_CHARS).collect();
    if cleaned.trim().is_empty() { "file".into() } else { cleaned }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allow_list_decides_by_extension() {
        assert_eq!(check("photo.JPG", 10), Ok("image/jpeg"));
        assert_eq!(check("offer.pdf", 10), Ok("application/pdf"));
        assert_eq!(check("setup.exe", 10), Err(FileProblem::Type("exe".into())));
        assert_eq!(check("noextension", 10), Err(FileProblem::Type(String::new())));
        assert_eq!(check("a.png", 0), Err(FileProblem::Empty));
    }

    #[test]
    fn ten_megabytes_is_the_limit() {
        assert!(check("a.pdf", MAX_FILE_BYTES).is_ok());
        let too_big = check("a.pdf", 11 * 1024 * 1024).unwrap_err();
        assert_eq!(too_big.to_string(), "The file is 11.0 MB; the limit is 10 MB");
    }

    #[test]
    fn images_and_pdfs_must_be_what_they_say() {
        assert_eq!(check_bytes("a.png", b"\x89PNG\r\n\x1a\n...."), Ok("image/png"));
        assert_eq!(check_bytes("a.png", b"<script>alert(1)</script>"), Err(FileProblem::Mismatch));
        assert_eq!(check_bytes("a.pdf", b"%PDF-1.4 ..."), Ok("application/pdf"));
        assert_eq!(check_bytes("notes.txt", b"anything"), Ok("text/plain"));
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("C:\\Users\\a\\report.pdf"), "report.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\"b\n.txt"), "ab.txt");
        assert_eq!(clean_name("  "), "file");
    }
}
