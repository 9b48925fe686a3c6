//! A messenger user's conversation: their messages come in here (stored once per
//! update id), and each operator's answer waits in the conversation's outbox until
//! the messenger accepted it. The object's alarm sends them in order, retrying with
//! backoff; one accepted is deleted from the outbox, so it is never sent again.

use natter_shared::channels::{outgoing_parts, ChannelKind, Part};
use natter_shared::files::Attachment;
use natter_shared::ids::{ClientMessageId, Seq};
use natter_shared::limits::MAX_MESSAGE_CHARS;
use natter_shared::protocol::{Author, AuthorKind, Message, PageContext, ServerFrame};
use serde::{Deserialize, Serialize};
use worker::Response;

use super::api::{BotApi, CallError};
use super::{ChannelConfig, KindCall};
use crate::auth;
use crate::conversation::{int, Conversation};
use crate::error::{EdgeError, EdgeResult};
use crate::files;
use crate::internal::{self, Participant};
use crate::webhooks::retry_delay;

pub const SCHEMA: &str = "
-- The messenger this conversation's visitor writes from, and where answers go.
CREATE TABLE IF NOT EXISTS channel (id INTEGER PRIMARY KEY CHECK (id = 1), kind TEXT NOT NULL, chat TEXT NOT NULL);
-- Operators' messages the messenger has not accepted yet.
CREATE TABLE IF NOT EXISTS channel_outbox (
    seq INTEGER PRIMARY KEY,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    -- Parts of it the messenger accepted (a file and its long text are two).
    part INTEGER NOT NULL DEFAULT 0
);";

/// Messages sent per alarm; the rest go with the next.
const SENDS_PER_ALARM: i64 = 20;

/// A messenger user's message, as the site hands it over.
#[derive(Serialize, Deserialize)]
pub struct ChannelMessage {
    pub visitor: Participant,
    pub kind: ChannelKind,
    pub chat: String,
    pub client_id: ClientMessageId,
    pub text: String,
    /// A photo or document the user sent, stored with the conversation's files.
    pub attachment: Option<Attachment>,
}

/// The messenger of a conversation.
#[derive(Clone, Deserialize)]
pub struct ChannelLink {
    pub kind: ChannelKind,
    pub chat: String,
}

#[derive(Deserialize)]
struct PendingRow {
    seq: u64,
    attempts: u32,
    part: usize,
    body: String,
    author_name: String,
    attachment: Option<String>,
}

#[derive(Deserialize)]
struct NextRow {
    next_at: Option<i64>,
}

impl Conversation {
    /// The messenger this conversation came from, if any: read once (every report to
    /// the site asks), since it never changes.
    pub(crate) fn channel(&self) -> EdgeResult<Option<ChannelLink>> {
        if let Some(known) = self.cached.borrow().channel.as_ref() {
            return Ok(known.clone());
        }
        if self.meta()?.is_none() {
            return Ok(None);
        }
        let link = self.sql().exec("SELECT kind, chat FROM channel WHERE id = 1", None)?.to_array::<ChannelLink>()?.pop();
        self.cached.borrow_mut().channel = Some(link.clone());
        Ok(link)
    }

    /// `POST /channel-message`: stores a messenger user's message (once per update),
    /// creating their conversation with the first. Answers its `seq`.
    pub(crate) async fn channel_message(&self, call: ChannelMessage) -> EdgeResult<Response> {
        // Longer than ours (Telegram allows 4,096 characters): kept, cut at our limit.
        let text: String = call.text.trim().chars().take(MAX_MESSAGE_CHARS).collect();
        if text.is_empty() && call.attachment.is_none() {
            return Err(EdgeError::BadRequest("The message has no text".into()));
        }
        let turn = self.turns.take().await;
        let created = self.meta()?.is_none();
        if created {
            // Where they came from, for the journal's Source: the messenger.
            self.create_for(&call.visitor, PageContext { referrer: call.kind.name().into(), ..PageContext::default() })?;
            self.sql().exec(
                "INSERT OR REPLACE INTO channel (id, kind, chat) VALUES (1, ?, ?)",
                vec![call.kind.as_str().into(), call.chat.as_str().into()],
            )?;
            self.cached.borrow_mut().channel = Some(Some(ChannelLink { kind: call.kind, chat: call.chat.clone() }));
        } else if self.is_blocked()? {
            // Blocked by the operators: taken (so the messenger stops sending it) and dropped.
            return Ok(Response::from_json(&serde_json::json!({ "dropped": true }))?);
        }
        let name = self.meta()?.map_or(call.visitor.name, |meta| meta.visitor_name);
        let at = auth::now();
        let Some(seq) = self.insert_message(&call.client_id, AuthorKind::Visitor, &name, &text, at)? else {
            return Ok(Response::from_json(&serde_json::json!({ "duplicate": true }))?);
        };
        if let Some(attachment) = &call.attachment {
            self.sql().exec("INSERT INTO attachments (seq, attachment) VALUES (?, ?)", vec![int(seq.0), serde_json::to_string(attachment)?.into()])?;
        }
        self.marked_read(AuthorKind::Visitor, seq)?;
        let message = Message {
            seq,
            client_id: call.client_id,
            author: Author { kind: AuthorKind::Visitor, name, avatar: None },
            text,
            at,
            attachment: call.attachment,
            auto: false,
        };
        self.broadcast(None, &ServerFrame::Message(message));
        drop(turn);
        let changed = self.on_visitor_message(at, created).await?;
        self.settle_visitor_message(seq, false, changed).await?;
        Ok(Response::from_json(&serde_json::json!({ "seq": seq }))?)
    }

    /// An operator's message in a messenger user's conversation waits for the alarm
    /// to send it: queued with the message's own write. True if it was.
    pub(crate) fn queue_for_channel(&self, seq: Seq) -> EdgeResult<bool> {
        if self.channel()?.is_none() {
            return Ok(false);
        }
        self.sql().exec("INSERT OR IGNORE INTO channel_outbox (seq, next_at) VALUES (?, ?)", vec![int(seq.0), int(auth::now())])?;
        Ok(true)
    }

    /// Sends what is due in the outbox, in order: one the messenger did not take holds
    /// back those after it (the user reads answers in the order they were written).
    /// One it refused for good (the user blocked the bot) is dropped, logged.
    pub(crate) async fn send_to_channel(&self) -> EdgeResult<()> {
        let Some(link) = self.channel()? else { return Ok(()) };
        let now = auth::now();
        let due: Vec<PendingRow> = self
            .sql()
            .exec(
                "SELECT o.seq, o.attempts, o.part, m.body, m.author_name, a.attachment FROM channel_outbox o
                 JOIN messages m ON m.seq = o.seq LEFT JOIN attachments a ON a.seq = o.seq
                 WHERE o.next_at <= ? ORDER BY o.seq LIMIT ?",
                vec![int(now), SENDS_PER_ALARM.into()],
            )?
            .to_array()?;
        if !due.is_empty() {
            let meta = self.meta()?.ok_or_else(|| EdgeError::Internal("A channel without a conversation".into()))?;
            let site = natter_shared::ids::SiteId::parse(&meta.site)?;
            let stub = internal::site_stub(&self.env, &site)?;
            let config: ChannelConfig = internal::call(&stub, "/channels/config", &site, Some(&KindCall { kind: link.kind })).await?;
            let bot = BotApi { kind: link.kind, api: &config.api, token: &config.token };
            for row in due {
                let sent = if config.enabled {
                    self.send_parts(&bot, &link.chat, &config.origin, &row).await
                } else {
                    Err(CallError { message: format!("The site's {} bot is switched off", link.kind.name()), refused: false })
                };
                match sent {
                    Ok(()) => {
                        self.sql().exec("DELETE FROM channel_outbox WHERE seq = ?", vec![int(row.seq)])?;
                    }
                    Err(e) if e.refused => {
                        worker::console_log!("{} refused message {}: {}", link.kind.name(), row.seq, e.message);
                        self.sql().exec("DELETE FROM channel_outbox WHERE seq = ?", vec![int(row.seq)])?;
                    }
                    Err(e) => {
                        worker::console_log!("{} did not take message {} (attempt {}): {}", link.kind.name(), row.seq, row.attempts + 1, e.message);
                        let next = auth::now() + retry_delay(row.attempts);
                        self.sql().exec(
                            "UPDATE channel_outbox SET attempts = attempts + 1, next_at = ? WHERE seq = ?",
                            vec![int(next), int(row.seq)],
                        )?;
                        // Those after it wait with it.
                        self.sql().exec("UPDATE channel_outbox SET next_at = MAX(next_at, ?) WHERE seq > ?", vec![int(next), int(row.seq)])?;
                        break;
                    }
                }
            }
        }
        let next: Vec<NextRow> = self.sql().exec("SELECT MIN(next_at) AS next_at FROM channel_outbox", None)?.to_array()?;
        if let Some(at) = next.first().and_then(|row| row.next_at) {
            self.alarm_at(at as u64).await?;
        }
        Ok(())
    }

    /// Sends a message's parts the messenger has not accepted yet, counting each it does.
    async fn send_parts(&self, bot: &BotApi<'_>, chat: &str, origin: &str, row: &PendingRow) -> Result<(), CallError> {
        let attachment: Option<Attachment> = row.attachment.as_deref().and_then(|json| serde_json::from_str(json).ok());
        let parts = outgoing_parts(bot.kind, &row.body, attachment.as_ref().map(Attachment::is_image));
        for (index, part) in parts.iter().enumerate().skip(row.part) {
            match (part, &attachment) {
                (Part::File { caption }, Some(file)) => {
                    let bytes = match bot.kind {
                        ChannelKind::Telegram => files::read(&self.env, &file.key).await.map_err(|e| CallError { message: format!("the file is not to be had: {e}"), refused: false })?,
                        ChannelKind::Viber => Vec::new(),
                    };
                    bot.send_file(chat, &row.author_name, file, &bytes, &format!("{origin}{}", file.path()), caption).await?;
                }
                _ => bot.send_text(chat, &row.author_name, &row.body).await?,
            }
            if let Err(e) = self.sql().exec("UPDATE channel_outbox SET part = ? WHERE seq = ?", vec![int(index as u64 + 1), int(row.seq)]) {
                worker::console_error!("outbox part not counted: {e}");
            }
        }
        Ok(())
    }

}
