//! Messenger channels: a site's Telegram and Viber bots. An admin connects a bot with
//! its token (console → Integrations); the `Site` checks it with the messenger and
//! points the bot's webhook here. A messenger user's message comes in through the
//! webhook (checked: Telegram's secret token, Viber's body signature), becomes a
//! message in that user's conversation (one per user, deduplicated by the update's
//! id), and the operators' answers go back through the API from the conversation's
//! outbox ([`outbox`]). Switching a bot off keeps its token; removing it forgets it.
//!
//! | route | who | what |
//! |---|---|---|
//! | `POST /v1/channels/telegram/{site}/{bot}` | Telegram | an update; 401 without the site's secret token |
//! | `POST /v1/channels/viber/{site}` | Viber | a callback; 401 unless `X-Viber-Content-Signature` signs the body |
//! | `GET /v1/console/sites/{site}/channels` | admins | the site's bots ([`ChannelState`]) |
//! | `PUT /v1/console/sites/{site}/channels/{kind}` | admins | connects, changes or switches off a bot ([`ChannelChange`]); 422 with the field at fault |
//! | `DELETE /v1/console/sites/{site}/channels/{kind}` | admins | disconnects a bot and forgets its token |

mod api;
pub mod outbox;

use natter_shared::channels::{self, ChannelChange, ChannelKind, ChannelState, Incoming, RemoteFile};
use natter_shared::files::{self, Attachment};
use natter_shared::contact::Contact;
use natter_shared::ids::{ClientMessageId, ConversationId, SiteId};
use natter_shared::limits::MAX_CHANNEL_UPDATE_BYTES;
use natter_shared::protocol::AuthorKind;
use serde::{Deserialize, Serialize};
use worker::{Env, Method, Request, Response};

use crate::auth;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Participant};
use crate::ratelimit::{self, Limit};
use crate::request;
use crate::site::Site;
use api::BotApi;

pub const SCHEMA: &str = "
-- The site's bots: the token (never shown again), the API used, whether it is on, and
-- the bot as the messenger names it (its Telegram id, its handle).
CREATE TABLE IF NOT EXISTS channels (
    kind TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    api TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    bot_id TEXT NOT NULL,
    bot TEXT NOT NULL,
    -- The edge's address the bot was connected from: Viber downloads files from it.
    origin TEXT NOT NULL DEFAULT ''
);";

#[derive(Deserialize)]
struct ChannelRow {
    kind: ChannelKind,
    token: String,
    api: String,
    enabled: u8,
    bot_id: String,
    bot: String,
    origin: String,
}

impl ChannelRow {
    fn bot_api(&self) -> BotApi<'_> {
        BotApi { kind: self.kind, api: &self.api, token: &self.token }
    }

    /// Stops its webhook, as well as the messenger lets us: a failure is logged (the
    /// row goes or changes anyway, and updates for a bot that is off are dropped).
    async fn disconnect(&self) {
        if let Err(e) = self.bot_api().disconnect().await {
            worker::console_log!("{} webhook not removed: {}", self.kind.name(), e.message);
        }
    }

    fn state(&self) -> ChannelState {
        ChannelState {
            kind: self.kind,
            enabled: self.enabled != 0,
            api: self.api.clone(),
            token_end: self.token.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect(),
            bot: self.bot.clone(),
            link: self.kind.messenger().link(&self.bot).unwrap_or_default(),
        }
    }
}

/// `PUT …/channels/{kind}`, as the Worker hands it to the site.
#[derive(Serialize, Deserialize)]
pub struct ChannelSave {
    pub kind: ChannelKind,
    pub change: ChannelChange,
    /// The edge's own address, which the webhook points at.
    pub origin: String,
}

#[derive(Serialize, Deserialize)]
pub struct KindCall {
    pub kind: ChannelKind,
}

/// A messenger user's message for the site (from the Worker, whose check it passed).
#[derive(Serialize, Deserialize)]
pub struct IncomingCall {
    pub kind: ChannelKind,
    /// The Telegram bot the update was for (its webhook's path).
    pub bot_id: Option<String>,
    pub incoming: Incoming,
}

/// A Viber callback for the site to check against its bot's token.
#[derive(Serialize, Deserialize)]
pub struct ViberCall {
    pub body: String,
    pub signature: String,
}

/// What a conversation needs to send to its messenger user.
#[derive(Serialize, Deserialize)]
pub struct ChannelConfig {
    pub token: String,
    pub api: String,
    pub enabled: bool,
    /// The edge's own address, where the messenger can download a file.
    pub origin: String,
}


/// The webhook a site's bot posts to.
fn webhook(origin: &str, site: &SiteId, kind: ChannelKind, bot_id: &str) -> String {
    match kind {
        ChannelKind::Telegram => format!("{origin}/v1/channels/telegram/{site}/{bot_id}"),
        ChannelKind::Viber => format!("{origin}/v1/channels/viber/{site}"),
    }
}

/// The webhooks' routes (`/v1/channels/…`): checked here before the site is asked.
pub async fn webhook_route(req: &mut Request, env: &Env, rest: &[&str]) -> EdgeResult<Response> {
    ratelimit::check(env, Limit::ChannelsByIp, &request::client_ip(req)).await?;
    match rest {
        ["telegram", site, bot_id] => {
            let site = SiteId::parse(site)?;
            let given = req.headers().get("X-Telegram-Bot-Api-Secret-Token")?.unwrap_or_default();
            if !auth::is_keyed(env, &channels::telegram_secret_input(site.as_str(), bot_id), &given)? {
                return Err(EdgeError::Unauthorized);
            }
            let body = request::capped_body_of(req, MAX_CHANNEL_UPDATE_BYTES).await?;
            let Some(incoming) = channels::telegram_update(&body).map_err(EdgeError::BadRequest)? else {
                return Ok(Response::from_json(&serde_json::json!({}))?);
            };
            let call = IncomingCall { kind: ChannelKind::Telegram, bot_id: Some((*bot_id).to_owned()), incoming };
            let answer: serde_json::Value = internal::call(&internal::site_stub(env, &site)?, "/channels/incoming", &site, Some(&call)).await?;
            Ok(Response::from_json(&answer)?)
        }
        ["viber", site] => {
            let site = SiteId::parse(site)?;
            let signature = req.headers().get("X-Viber-Content-Signature")?.ok_or(EdgeError::Unauthorized)?;
            let body = String::from_utf8(request::capped_body_of(req, MAX_CHANNEL_UPDATE_BYTES).await?)
                .map_err(|_| EdgeError::BadRequest("The callback is not UTF-8 text".into()))?;
            let answer: serde_json::Value = internal::call(&internal::site_stub(env, &site)?, "/channels/viber", &site, Some(&ViberCall { body, signature })).await?;
            Ok(Response::from_json(&answer)?)
        }
        _ => Err(EdgeError::NotFound("No such channel webhook".into())),
    }
}

/// The console's routes (`/v1/console/sites/{site}/channels…`, admins).
pub async fn console_route(req: &mut Request, env: &Env, rest: &[&str], site: &SiteId) -> EdgeResult<Response> {
    let stub = internal::site_stub(env, site)?;
    let kind = |text: &str| ChannelKind::parse(text).ok_or_else(|| EdgeError::NotFound(format!("No channel {text:?}: use telegram or viber")));
    let answer: serde_json::Value = match (req.method(), rest) {
        (Method::Get, []) => internal::call(&stub, "/channels", site, None::<&()>).await?,
        (Method::Put, [name]) => {
            let kind = kind(name)?;
            let change: ChannelChange = request::json_body(req).await?;
            let save = ChannelSave { kind, change, origin: request::edge_origin(req)? };
            internal::call(&stub, "/channels/save", site, Some(&save)).await?
        }
        (Method::Delete, [name]) => internal::call(&stub, "/channels/remove", site, Some(&KindCall { kind: kind(name)? })).await?,
        (method, _) => return Err(EdgeError::MethodNotAllowed(method.to_string())),
    };
    Ok(Response::from_json(&answer)?)
}

impl Site {
    fn channel_row(&self, kind: ChannelKind) -> EdgeResult<Option<ChannelRow>> {
        Ok(self.sql().exec("SELECT * FROM channels WHERE kind = ?", vec![kind.as_str().into()])?.to_array::<ChannelRow>()?.pop())
    }

    /// The internal routes under `/channels`.
    pub(crate) async fn channel_route(&self, req: &mut Request) -> EdgeResult<Response> {
        let site: SiteId = internal::context(req)?;
        match req.path().as_str() {
            "/channels" => {
                let rows: Vec<ChannelRow> = self.sql().exec("SELECT * FROM channels ORDER BY kind", None)?.to_array()?;
                Ok(Response::from_json(&rows.iter().map(ChannelRow::state).collect::<Vec<_>>())?)
            }
            "/channels/save" => Ok(Response::from_json(&self.save_channel(&site, internal::request_json(req).await?).await?)?),
            "/channels/remove" => {
                let KindCall { kind } = internal::request_json(req).await?;
                self.remove_channel(kind).await?;
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            "/channels/config" => {
                let KindCall { kind } = internal::request_json(req).await?;
                let row = self.channel_row(kind)?.ok_or_else(|| EdgeError::NotFound(format!("The site has no {} bot any more", kind.name())))?;
                Ok(Response::from_json(&ChannelConfig { enabled: row.enabled != 0, token: row.token, api: row.api, origin: row.origin })?)
            }
            "/channels/incoming" => {
                let call: IncomingCall = internal::request_json(req).await?;
                self.take_incoming(&site, call).await
            }
            "/channels/viber" => {
                let call: ViberCall = internal::request_json(req).await?;
                self.take_viber(&site, call).await
            }
            other => Err(EdgeError::NotFound(format!("No site route {other}"))),
        }
    }

    /// Connects, changes or switches off a bot. Connecting asks the messenger first:
    /// nothing is stored unless it took the token and the webhook.
    async fn save_channel(&self, site: &SiteId, save: ChannelSave) -> EdgeResult<ChannelState> {
        let ChannelSave { kind, change, origin } = save;
        let existing = self.channel_row(kind)?;
        let token = match (change.token.trim(), &existing) {
            ("", Some(row)) => row.token.clone(),
            ("", None) => return Err(EdgeError::field("token", format!("Paste the {} bot's token", kind.name()))),
            (token, _) => token.to_owned(),
        };
        channels::check_token(kind, &token).map_err(|e| EdgeError::field("token", e))?;
        let api = channels::check_api(kind, &change.api).map_err(|e| EdgeError::field("api", e))?;
        let bot_id = match kind {
            ChannelKind::Telegram => channels::telegram_bot_id(&token).to_owned(),
            ChannelKind::Viber => String::new(),
        };
        let bot_api = BotApi { kind, api: &api, token: &token };
        let mut bot = existing.as_ref().filter(|row| row.token == token).map(|row| row.bot.clone()).unwrap_or_default();
        if change.enabled {
            let secret = auth::keyed(&self.env, &channels::telegram_secret_input(site.as_str(), &bot_id))?;
            // Viber calls the webhook back before it answers: it is signed with this token.
            *self.connecting.borrow_mut() = Some(token.clone());
            let connected = bot_api.connect(&webhook(&origin, site, kind, &bot_id), &secret).await;
            self.connecting.borrow_mut().take();
            bot = connected.map_err(|e| EdgeError::field("token", e.message))?.handle;
        }
        // The bot switched off, or another in its place: the old webhook goes.
        if let Some(old) = existing.as_ref().filter(|row| row.enabled != 0 && (row.token != token || !change.enabled)) {
            old.disconnect().await;
        }
        self.sql().exec(
            "INSERT INTO channels (kind, token, api, enabled, bot_id, bot, origin) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (kind) DO UPDATE SET token = excluded.token, api = excluded.api, enabled = excluded.enabled,
             bot_id = excluded.bot_id, bot = excluded.bot, origin = excluded.origin",
            vec![
                kind.as_str().into(),
                token.as_str().into(),
                api.as_str().into(),
                i64::from(change.enabled).into(),
                bot_id.as_str().into(),
                bot.as_str().into(),
                origin.as_str().into(),
            ],
        )?;
        self.show_bot_button(kind, existing.as_ref().map(|row| row.bot.as_str()), change.enabled.then_some(bot.as_str()))?;
        let row = self.channel_row(kind)?.ok_or_else(|| EdgeError::Internal("A saved channel is gone".into()))?;
        Ok(row.state())
    }

    /// Disconnects a bot and forgets its token; its conversations stay.
    async fn remove_channel(&self, kind: ChannelKind) -> EdgeResult<()> {
        let Some(row) = self.channel_row(kind)? else { return Ok(()) };
        if row.enabled != 0 {
            row.disconnect().await;
        }
        self.sql().exec("DELETE FROM channels WHERE kind = ?", vec![kind.as_str().into()])?;
        self.show_bot_button(kind, Some(&row.bot), None)
    }

    /// The widget's messenger button for a bot: added (or pointed at it) while the bot
    /// is on, taken away when it goes, unless the owner changed it meanwhile.
    fn show_bot_button(&self, kind: ChannelKind, old: Option<&str>, new: Option<&str>) -> EdgeResult<()> {
        let mut settings = self.settings()?.settings;
        let messenger = kind.messenger();
        let before = settings.contacts.clone();
        let theirs = |contact: &Contact| contact.kind == messenger && (Some(contact.value.as_str()) == old || Some(contact.value.as_str()) == new);
        match new.filter(|handle| messenger.link(handle).is_some()) {
            Some(handle) => match settings.contacts.iter_mut().find(|c| c.kind == messenger) {
                Some(contact) => contact.value = handle.to_owned(),
                None => settings.contacts.push(Contact { kind: messenger, value: handle.to_owned() }),
            },
            None => settings.contacts.retain(|contact| !theirs(contact)),
        }
        if settings.contacts != before {
            self.save_settings(settings)?;
        }
        Ok(())
    }

    /// A messenger user's message: into their conversation, if the bot is on.
    async fn take_incoming(&self, site: &SiteId, call: IncomingCall) -> EdgeResult<Response> {
        // A bot switched off, or another than the one connected (an old webhook): the
        // update is taken and dropped, so the messenger does not send it again.
        let row = self.channel_row(call.kind)?.filter(|row| row.enabled != 0 && call.bot_id.as_ref().is_none_or(|id| *id == row.bot_id));
        let Some(row) = row else {
            return Ok(Response::from_json(&serde_json::json!({ "dropped": true }))?);
        };
        let Incoming { chat, name, client_id, mut text, file } = call.incoming;
        let conversation = channels::conversation_id(call.kind, &chat);
        let mut attachment = None;
        if let Some(file) = file {
            match self.bring_in(&row.bot_api(), site, &conversation, &client_id, &file).await {
                Ok(stored) => attachment = Some(stored),
                // Refused (a type we do not take, too big) or not to be had: the
                // operators read which file did not come, and why.
                Err(why) => text = format!("{text}\n[{}: {why}]", file.name).trim().to_owned(),
            }
        }
        let visitor = Participant {
            role: AuthorKind::Visitor,
            name,
            site: site.clone(),
            conversation: conversation.clone(),
            visitor: Some(channels::visitor_id(call.kind, &chat)),
            operator: None,
            user_agent: String::new(),
            avatar: None,
            user: None,
            ip: String::new(),
            restricted: false,
            expires: None,
        };
        let message = outbox::ChannelMessage { visitor, kind: call.kind, chat, client_id, text, attachment };
        let stub = internal::conversation_stub(&self.env, site, &conversation)?;
        let stored: serde_json::Value = internal::call(&stub, "/channel-message", &(), Some(&message)).await?;
        Ok(Response::from_json(&stored)?)
    }

    /// Brings a user's file into the conversation's files, checked as an upload is. Its
    /// name comes from the update's id, so a repeated update stores the same file again
    /// rather than another.
    async fn bring_in(&self, bot: &BotApi<'_>, site: &SiteId, conversation: &ConversationId, client_id: &ClientMessageId, file: &RemoteFile) -> Result<Attachment, String> {
        let name = files::clean_name(&file.name);
        // What the messenger says of it first, so nothing is downloaded in vain.
        if file.size > 0 {
            files::check(&name, file.size).map_err(|e| e.to_string())?;
        }
        let bytes = bot.download(file).await?;
        let size = bytes.len() as u64;
        let content_type = files::check_start(&name, size, &bytes[..bytes.len().min(files::START_BYTES)]).map_err(|e| e.to_string())?;
        let random = auth::keyed(&self.env, &format!("channel-file:{site}/{conversation}/{client_id}")).map_err(|e| e.to_string())?;
        let attachment = Attachment { key: format!("{site}/{conversation}/{}", &random[..32]), name, content_type: content_type.into(), size };
        crate::files::store(&self.env, &attachment, bytes).await.map_err(|e| format!("the file was not stored: {e}"))?;
        Ok(attachment)
    }

    /// A Viber callback: its signature is the body's HMAC with the bot's token.
    async fn take_viber(&self, site: &SiteId, call: ViberCall) -> EdgeResult<Response> {
        let stored = self.channel_row(ChannelKind::Viber)?.map(|row| row.token);
        let connecting = self.connecting.borrow().clone();
        let signed = [stored, connecting].into_iter().flatten().any(|token| natter_shared::token::is_hmac_hex(token.as_bytes(), call.body.as_bytes(), &call.signature));
        if !signed {
            return Err(EdgeError::Unauthorized);
        }
        match channels::viber_callback(call.body.as_bytes()).map_err(EdgeError::BadRequest)? {
            Some(incoming) => self.take_incoming(site, IncomingCall { kind: ChannelKind::Viber, bot_id: None, incoming }).await,
            None => Ok(Response::from_json(&serde_json::json!({}))?),
        }
    }
}
