//! The messengers' bot APIs, the subset Natter calls: Telegram's Bot API (`getMe`,
//! `setWebhook`, `deleteWebhook`, `sendMessage`, `sendPhoto`, `sendDocument`,
//! `getFile` and the file download) and Viber's REST API (`get_account_info`,
//! `set_webhook`, `send_message` with text, pictures and files, and the media address). Each answer is read for
//! whether the messenger accepted the call and, if not, the reason it gives.

use natter_shared::channels::{ChannelKind, RemoteFile};
use natter_shared::files::{Attachment, MAX_FILE_BYTES};
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::{Fetch, Headers, Method, Request, RequestInit};

/// A connected bot as its messenger names it.
pub struct Bot {
    /// `@username` (Telegram) or the public account's URI (Viber): what the widget's
    /// messenger button takes.
    pub handle: String,
}

/// Where a bot's API is and how it signs in.
pub struct BotApi<'a> {
    pub kind: ChannelKind,
    pub api: &'a str,
    pub token: &'a str,
}

/// Why a call did not go through: the messenger said no (`refused`: sending the same
/// again will not help, e.g. the user blocked the bot), or it could not be asked or
/// asked to wait.
pub struct CallError {
    pub message: String,
    pub refused: bool,
}

impl CallError {
    fn unreachable(message: String) -> CallError {
        CallError { message, refused: false }
    }
}

impl BotApi<'_> {
    /// Calls method `method` with a JSON body and gives the messenger's answer when it
    /// accepted the call.
    async fn call(&self, method: &str, body: &Value) -> Result<Value, CallError> {
        self.post(method, "application/json", body.to_string().into()).await
    }

    async fn post(&self, method: &str, content_type: &str, body: JsValue) -> Result<Value, CallError> {
        let headers = Headers::new();
        headers.set("Content-Type", content_type).map_err(|e| CallError::unreachable(e.to_string()))?;
        let url = match self.kind {
            ChannelKind::Telegram => format!("{}/bot{}/{method}", self.api, self.token),
            ChannelKind::Viber => {
                headers.set("X-Viber-Auth-Token", self.token).map_err(|e| CallError::unreachable(e.to_string()))?;
                format!("{}/{method}", self.api)
            }
        };
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(body));
        let answer = async {
            let mut response = Fetch::Request(Request::new_with_init(&url, &init)?).send().await?;
            let status = response.status_code();
            let text = response.text().await?;
            Ok::<(u16, String), worker::Error>((status, text))
        };
        let (status, text) = answer.await.map_err(|e| CallError::unreachable(format!("{} did not answer: {e}", self.kind.name())))?;
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let reason = |key: &str| answer.get(key).and_then(Value::as_str).unwrap_or("no reason given").to_owned();
        match self.kind {
            ChannelKind::Telegram if answer.get("ok") == Some(&Value::Bool(true)) => Ok(answer.get("result").cloned().unwrap_or(Value::Null)),
            // 400 (no such chat) and 403 (the user blocked the bot) are for good; a
            // wrong token (401) may be put right by the admin, 429 and 5xx pass.
            ChannelKind::Telegram => Err(CallError { message: format!("Telegram answered {status}: {}", reason("description")), refused: matches!(status, 400 | 403) }),
            ChannelKind::Viber if status == 200 && answer.get("status").and_then(Value::as_i64) == Some(0) => Ok(answer),
            // Viber answers 200 with a status: bad or missing data (3, 4), a receiver
            // who is not registered, not subscribed or has no device for it (5, 6, 11)
            // are for good; a bad token or too many requests may pass.
            ChannelKind::Viber => {
                let code = answer.get("status").and_then(Value::as_i64);
                Err(CallError { message: format!("Viber answered {status}: {}", reason("status_message")), refused: status == 200 && matches!(code, Some(3 | 4 | 5 | 6 | 11)) })
            }
        }
    }

    /// Checks the token, and points the bot's updates at `webhook` (with Telegram,
    /// `secret` comes back with each of them).
    pub async fn connect(&self, webhook: &str, secret: &str) -> Result<Bot, CallError> {
        match self.kind {
            ChannelKind::Telegram => {
                let me = self.call("getMe", &json!({})).await?;
                let username = me.get("username").and_then(Value::as_str).unwrap_or_default();
                self.call("setWebhook", &json!({ "url": webhook, "secret_token": secret, "allowed_updates": ["message"] })).await?;
                Ok(Bot { handle: if username.is_empty() { String::new() } else { format!("@{username}") } })
            }
            ChannelKind::Viber => {
                let account = self.call("get_account_info", &json!({})).await?;
                self.call("set_webhook", &json!({ "url": webhook, "event_types": ["message", "subscribed", "unsubscribed", "conversation_started"], "send_name": true, "send_photo": false })).await?;
                Ok(Bot { handle: account.get("uri").and_then(Value::as_str).unwrap_or_default().to_owned() })
            }
        }
    }

    /// Stops the bot's updates coming here.
    pub async fn disconnect(&self) -> Result<(), CallError> {
        match self.kind {
            ChannelKind::Telegram => self.call("deleteWebhook", &json!({})).await.map(drop),
            ChannelKind::Viber => self.call("set_webhook", &json!({ "url": "" })).await.map(drop),
        }
    }

    /// Sends a text to a chat (Telegram) or user (Viber), signed with the operator's
    /// name on Viber (its messages carry a sender; Telegram's come from the bot).
    pub async fn send_text(&self, chat: &str, sender: &str, text: &str) -> Result<(), CallError> {
        match self.kind {
            ChannelKind::Telegram => self.call("sendMessage", &json!({ "chat_id": chat, "text": text })).await.map(drop),
            ChannelKind::Viber => {
                // Viber takes a sender name of at most 28 characters.
                let sender: String = sender.chars().take(28).collect();
                let body = json!({ "receiver": chat, "min_api_version": 1, "sender": { "name": sender }, "type": "text", "text": text });
                self.call("send_message", &body).await.map(drop)
            }
        }
    }

    /// Sends a file stored with the conversation: Telegram gets its bytes (a photo or
    /// a document), Viber its public address (`url`), which it downloads.
    pub async fn send_file(&self, chat: &str, sender: &str, file: &Attachment, bytes: &[u8], url: &str, caption: &str) -> Result<(), CallError> {
        match self.kind {
            ChannelKind::Telegram => {
                let (method, field) = if file.is_image() { ("sendPhoto", "photo") } else { ("sendDocument", "document") };
                let random = crate::auth::random_bytes().map_err(|e| CallError::unreachable(e.to_string()))?;
                let boundary = format!("natter-{}", random.iter().map(|b| format!("{b:02x}")).collect::<String>());
                let body = multipart(&boundary, &[("chat_id", chat), ("caption", caption)], (field, file, bytes));
                let body: JsValue = js_sys::Uint8Array::from(body.as_slice()).into();
                self.post(method, &format!("multipart/form-data; boundary={boundary}"), body).await.map(drop)
            }
            ChannelKind::Viber => {
                let sender: String = sender.chars().take(28).collect();
                let body = if file.is_image() {
                    json!({ "receiver": chat, "min_api_version": 1, "sender": { "name": sender }, "type": "picture", "text": caption, "media": url, "thumbnail": url })
                } else {
                    json!({ "receiver": chat, "min_api_version": 1, "sender": { "name": sender }, "type": "file", "media": url, "size": file.size, "file_name": file.name })
                };
                self.call("send_message", &body).await.map(drop)
            }
        }
    }

    /// Downloads a file a user sent: Telegram's by its id (`getFile`, then its path),
    /// Viber's from the address in the message. At most [`MAX_FILE_BYTES`].
    pub async fn download(&self, file: &RemoteFile) -> Result<Vec<u8>, String> {
        let url = match self.kind {
            ChannelKind::Telegram => {
                let found = self.call("getFile", &json!({ "file_id": file.id })).await.map_err(|e| e.message)?;
                let path = found.get("file_path").and_then(Value::as_str).ok_or("Telegram gave no file path")?;
                format!("{}/file/bot{}/{path}", self.api, self.token)
            }
            ChannelKind::Viber => file.id.clone(),
        };
        let fetched = async {
            let mut response = Fetch::Url(url.parse()?).send().await?;
            if response.status_code() != 200 {
                return Ok(Err(format!("{} answered {} for the file", self.kind.name(), response.status_code())));
            }
            let declared: Option<u64> = response.headers().get("Content-Length")?.and_then(|v| v.parse().ok());
            if declared.is_some_and(|size| size > MAX_FILE_BYTES) {
                return Ok(Err("the file is larger than 10 MB".into()));
            }
            Ok::<_, worker::Error>(Ok(response.bytes().await?))
        };
        let bytes = fetched.await.map_err(|e| format!("{} did not give the file: {e}", self.kind.name()))??;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err("the file is larger than 10 MB".into());
        }
        Ok(bytes)
    }
}

/// A `multipart/form-data` body: text fields, then one file.
fn multipart(boundary: &str, fields: &[(&str, &str)], (name, file, bytes): (&str, &Attachment, &[u8])) -> Vec<u8> {
    // A file name is quoted in its header: quotes and line breaks would end it.
    let file_name: String = file.name.chars().map(|c| if c == '"' || c.is_control() { '_' } else { c }).collect();
    let mut body = Vec::with_capacity(bytes.len() + 512);
    for (field, value) in fields.iter().filter(|(_, value)| !value.is_empty()) {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {}\r\n\r\n", file.content_type).as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}
