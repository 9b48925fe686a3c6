//! "Send transcript": a visitor has their conversation e-mailed to them, from the
//! site's name, in the widget's language. The Worker checks the request (the token,
//! the address, the site's switch, a limit per IP address); the conversation counts
//! what it sent (at most [`TRANSCRIPTS_PER_HOUR`] an hour, so a stranger cannot make a
//! site mail someone over and over) and writes the letter.

use natter_shared::contact::is_email;
use natter_shared::letters;
use natter_shared::protocol::{TranscriptRequest, TRANSCRIPTS_PER_HOUR};
use natter_shared::settings::Language;
use serde::{Deserialize, Serialize};
use worker::{Env, Response};

use crate::auth;
use crate::conversation::Conversation;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Participant};
use crate::mail;
use crate::notifications::{site_name, stamper, Letterhead};

pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS transcripts_sent (at INTEGER NOT NULL);";

const HOUR_MS: u64 = 3600 * 1000;

/// What the site says to a transcript: whether it sends them, and who it is.
#[derive(Serialize, Deserialize)]
pub struct TranscriptTerms {
    pub allowed: bool,
    pub letterhead: Letterhead,
}

/// What the conversation is asked to send.
#[derive(Serialize, Deserialize)]
pub struct TranscriptCall {
    pub email: String,
    pub language: Language,
    pub time_zone: String,
    pub site_name: String,
}

#[derive(Deserialize)]
struct CountRow {
    n: i64,
}

/// `POST /v1/conversations/{id}/transcript`, for a visitor whose token grants it
/// (checked, and the IP address counted, by the caller).
pub async fn request(env: &Env, ask: TranscriptRequest, visitor: Participant) -> EdgeResult<Response> {
    let email = ask.email.trim().to_owned();
    if !is_email(&email) {
        return Err(EdgeError::BadRequest("Email: enter an address like name@example.com".into()));
    }
    let terms: TranscriptTerms = internal::call(&internal::site_stub(env, &visitor.site)?, "/transcript-terms", &visitor.site, None::<&()>).await?;
    if !terms.allowed || !mail::enabled(env) {
        return Err(EdgeError::Forbidden("This site does not send transcripts"));
    }
    let time_zone = if natter_shared::clock::is_time_zone(&ask.time_zone) { ask.time_zone } else { terms.letterhead.time_zone.clone() };
    let call = TranscriptCall { email, language: ask.language, time_zone, site_name: site_name(&terms.letterhead) };
    let stub = internal::conversation_stub(env, &visitor.site, &visitor.conversation)?;
    let _: serde_json::Value = internal::call(&stub, "/transcript", &visitor, Some(&call)).await?;
    Ok(Response::from_json(&serde_json::json!({}))?.with_status(202))
}

impl Conversation {
    /// Mails the conversation as it is now to the visitor.
    pub(crate) async fn send_transcript(&self, call: TranscriptCall) -> EdgeResult<Response> {
        if self.meta()?.is_none() {
            return Err(EdgeError::BadRequest("Write a message first: there is nothing to send yet".into()));
        }
        let now = auth::now();
        self.sql().exec("DELETE FROM transcripts_sent WHERE at < ?", vec![((now.saturating_sub(HOUR_MS)) as i64).into()])?;
        let sent: Vec<CountRow> = self.sql().exec("SELECT COUNT(*) AS n FROM transcripts_sent", None)?.to_array()?;
        if sent.first().map_or(0, |r| r.n) as usize >= TRANSCRIPTS_PER_HOUR {
            return Err(EdgeError::RateLimited(60));
        }
        let letter = letters::transcript(call.language, &call.site_name, &self.transcript()?, &call.time_zone, &stamper(&call.time_zone));
        if !mail::send(&self.env, Some(&call.site_name), &call.email, &letter.subject, &letter.text).await {
            return Err(EdgeError::Internal("the e-mail could not be sent; try again later".into()));
        }
        self.sql().exec("INSERT INTO transcripts_sent (at) VALUES (?)", vec![(now as i64).into()])?;
        Ok(Response::from_json(&serde_json::json!({}))?)
    }
}
