//! A site's CRMs (amoCRM, Bitrix24): the `Site` keeps their settings and secrets
//! (amoCRM's OAuth tokens, refreshed before they expire and when the CRM says they
//! did), the contacts and leads it made per conversation, and a queue of jobs its
//! alarm works through: a contact when a conversation starts, a lead with the
//! transcript when it closes (with the `conversation_closed` event), or either when an
//! operator asks. A job that fails is kept with its error (shown in the visitor panel)
//! and tried again later; nothing waits on it, so the chat never does.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /v1/console/sites/{site}/crms` | admins | the site's CRMs ([`CrmState`]) |
//! | `PUT /v1/console/sites/{site}/crms/{amocrm\|bitrix24}` | admins | connects or changes one ([`CrmChange`]); 422 at the field |
//! | `DELETE /v1/console/sites/{site}/crms/{kind}` | admins | forgets one and its secrets |
//! | `GET /v1/console/sites/{site}/conversations/{id}/crm` | operators | the visitor in each CRM on ([`CrmStanding`]) |
//! | `POST /v1/console/sites/{site}/conversations/{id}/crm/{kind}/{contact\|update\|lead}` | operators | does it now → [`CrmStanding`] |

mod clients;

use natter_shared::channels::check_address;
use natter_shared::crm::{self, CrmAction, CrmChange, CrmKind, CrmRecord, CrmStanding, CrmState};
use natter_shared::ids::{ConversationId, OperatorId, SiteId};
use natter_shared::protocol::Role;
use natter_shared::shift::{EventKind, EventNotice, EventVisitor, TranscriptLine};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{Env, Method, Request, Response};

use crate::auth;
use crate::conversation::Conversation;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Access};
use crate::notifications::{site_name, stamper};
use crate::request;
use crate::site::Site;
use crate::webhooks::retry_delay;
use clients::{Answer, ContactFields};

pub const SCHEMA: &str = "
-- The site's CRMs: settings, secrets and tokens (JSON of CrmConfig).
CREATE TABLE IF NOT EXISTS crms (kind TEXT PRIMARY KEY, config TEXT NOT NULL);
-- What each conversation's visitor is in each CRM: their contact, their lead (noted:
-- the transcript is on it).
CREATE TABLE IF NOT EXISTS crm_records (
    conversation TEXT NOT NULL,
    kind TEXT NOT NULL,
    record TEXT NOT NULL,
    id TEXT NOT NULL,
    url TEXT NOT NULL,
    noted INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (conversation, kind, record)
);
-- Work for the CRMs not done yet, with the last attempt's error.
CREATE TABLE IF NOT EXISTS crm_jobs (
    id INTEGER PRIMARY KEY,
    conversation TEXT NOT NULL,
    kind TEXT NOT NULL,
    action TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    error TEXT
);";

/// Jobs done per alarm; the rest wait for the next.
const JOBS_PER_ALARM: i64 = 10;
/// amoCRM's access token is refreshed this long before it expires.
const REFRESH_BEFORE_MS: u64 = 5 * 60 * 1000;

/// A CRM's settings as stored, secrets included.
#[derive(Clone, Default, Serialize, Deserialize)]
struct CrmConfig {
    enabled: bool,
    contact_at_start: bool,
    lead_at_close: bool,
    name_prefix: String,
    subdomain: String,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    api: String,
    access_token: String,
    refresh_token: String,
    expires_at: u64,
    webhook_url: String,
}

impl CrmConfig {
    fn state(&self, kind: CrmKind) -> CrmState {
        CrmState {
            kind,
            enabled: self.enabled,
            contact_at_start: self.contact_at_start,
            lead_at_close: self.lead_at_close,
            name_prefix: self.name_prefix.clone(),
            subdomain: self.subdomain.clone(),
            client_id: self.client_id.clone(),
            redirect_uri: self.redirect_uri.clone(),
            api: self.api.clone(),
            account: self.account(kind),
        }
    }

    fn account(&self, kind: CrmKind) -> String {
        match kind {
            CrmKind::Amocrm => format!("{}.amocrm.ru", self.subdomain),
            CrmKind::Bitrix24 => {
                let portal = crm::bitrix_portal(&self.webhook_url);
                portal.split_once("://").map_or(portal, |(_, host)| host).to_owned()
            }
        }
    }

    /// Where amoCRM's API is.
    fn amocrm_api(&self) -> String {
        if self.api.is_empty() { format!("https://{}.amocrm.ru", self.subdomain) } else { self.api.clone() }
    }

    /// A record's page in the CRM.
    fn record_url(&self, kind: CrmKind, record: &str, id: &str) -> String {
        match (kind, record) {
            (CrmKind::Amocrm, "contact") => format!("https://{}.amocrm.ru/contacts/detail/{id}", self.subdomain),
            (CrmKind::Amocrm, _) => format!("https://{}.amocrm.ru/leads/detail/{id}", self.subdomain),
            (CrmKind::Bitrix24, record) => format!("{}/crm/{record}/details/{id}/", crm::bitrix_portal(&self.webhook_url)),
        }
    }
}

/// `PUT …/crms/{kind}`, as the Worker hands it to the site.
#[derive(Serialize, Deserialize)]
pub struct CrmSave {
    pub kind: CrmKind,
    pub change: CrmChange,
}

#[derive(Serialize, Deserialize)]
pub struct CrmKindCall {
    pub kind: CrmKind,
}

/// An operator's `POST …/crm/{kind}/{action}`.
#[derive(Serialize, Deserialize)]
pub struct CrmActCall {
    pub conversation: ConversationId,
    pub by: Asker,
    pub kind: CrmKind,
    pub action: CrmAction,
}

#[derive(Serialize, Deserialize)]
pub struct ConversationCall {
    pub conversation: ConversationId,
    pub by: Asker,
}

/// The operator asking (an agent kept to their own conversations may not ask of others').
#[derive(Serialize, Deserialize)]
pub struct Asker {
    pub operator: OperatorId,
    pub role: Role,
}

/// Who the visitor is and what was said, as a conversation tells the CRMs.
#[derive(Serialize, Deserialize)]
pub struct CrmSubject {
    /// The name the visitor gave (or their messenger's); empty if none.
    pub given_name: String,
    /// The name the console shows ("Visitor 1a2b" for one who gave none).
    pub shown_name: String,
    pub email: String,
    pub phone: String,
    pub page_url: String,
    pub transcript: Vec<TranscriptLine>,
}

#[derive(Deserialize)]
struct ConfigRow {
    kind: CrmKind,
    config: String,
}

#[derive(Deserialize)]
struct RecordRow {
    id: String,
    url: String,
    noted: u8,
}

#[derive(Deserialize)]
struct JobRow {
    id: i64,
    conversation: String,
    kind: CrmKind,
    action: CrmAction,
    attempts: u32,
}

#[derive(Deserialize)]
struct ErrorRow {
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextRow {
    next_at: Option<i64>,
}


fn kind_of(text: &str) -> EdgeResult<CrmKind> {
    CrmKind::parse(text).ok_or_else(|| EdgeError::NotFound(format!("No CRM {text:?}: use amocrm or bitrix24")))
}

/// The console's routes for a site's CRMs (`…/crms…`, admins).
pub async fn settings_route(req: &mut Request, env: &Env, rest: &[&str], site: &SiteId) -> EdgeResult<Response> {
    let stub = internal::site_stub(env, site)?;
    let answer: Value = match (req.method(), rest) {
        (Method::Get, []) => internal::call(&stub, "/crm", site, None::<&()>).await?,
        (Method::Put, [kind]) => {
            let save = CrmSave { kind: kind_of(kind)?, change: request::json_body(req).await? };
            internal::call(&stub, "/crm/save", site, Some(&save)).await?
        }
        (Method::Delete, [kind]) => internal::call(&stub, "/crm/remove", site, Some(&CrmKindCall { kind: kind_of(kind)? })).await?,
        (method, _) => return Err(EdgeError::MethodNotAllowed(method.to_string())),
    };
    Ok(Response::from_json(&answer)?)
}

/// The console's routes for one conversation's visitor in the CRMs (operators who may
/// open it).
pub async fn conversation_route(req: &Request, env: &Env, access: &Access, site: &SiteId, conversation: ConversationId, rest: &[&str]) -> EdgeResult<Response> {
    let stub = internal::site_stub(env, site)?;
    let by = Asker { operator: access.operator.clone(), role: access.role };
    let answer: Value = match (req.method(), rest) {
        (Method::Get, []) => internal::call(&stub, "/crm/standing", site, Some(&ConversationCall { conversation, by })).await?,
        (Method::Post, [kind, action]) => {
            let action = CrmAction::parse(action).ok_or_else(|| EdgeError::NotFound(format!("No CRM action {action:?}: use contact, update or lead")))?;
            internal::call(&stub, "/crm/act", site, Some(&CrmActCall { conversation, by, kind: kind_of(kind)?, action })).await?
        }
        (method, _) => return Err(EdgeError::MethodNotAllowed(method.to_string())),
    };
    Ok(Response::from_json(&answer)?)
}

impl Site {
    fn crm_config(&self, kind: CrmKind) -> EdgeResult<Option<CrmConfig>> {
        Ok(self.crms()?.into_iter().find(|(stored, _)| *stored == kind).map(|(_, config)| config))
    }

    fn store_crm_config(&self, kind: CrmKind, config: &CrmConfig) -> EdgeResult<()> {
        self.sql().exec(
            "INSERT INTO crms (kind, config) VALUES (?, ?) ON CONFLICT (kind) DO UPDATE SET config = excluded.config",
            vec![kind.as_str().into(), serde_json::to_string(config)?.into()],
        )?;
        Ok(())
    }

    /// The site's CRMs (a stored config this version cannot read is left out).
    fn crms(&self) -> EdgeResult<Vec<(CrmKind, CrmConfig)>> {
        let rows: Vec<ConfigRow> = self.sql().exec("SELECT kind, config FROM crms ORDER BY kind", None)?.to_array()?;
        Ok(rows.into_iter().filter_map(|row| Some((row.kind, serde_json::from_str::<CrmConfig>(&row.config).ok()?))).collect())
    }

    fn enabled_crms(&self) -> EdgeResult<Vec<(CrmKind, CrmConfig)>> {
        Ok(self.crms()?.into_iter().filter(|(_, config)| config.enabled).collect())
    }

    /// The internal routes under `/crm`.
    pub(crate) async fn crm_route(&self, req: &mut Request) -> EdgeResult<Response> {
        let site: SiteId = internal::context(req)?;
        match req.path().as_str() {
            "/crm" => {
                let states: Vec<CrmState> = self.crms()?.into_iter().map(|(kind, config)| config.state(kind)).collect();
                Ok(Response::from_json(&states)?)
            }
            "/crm/save" => {
                let save: CrmSave = internal::request_json(req).await?;
                Ok(Response::from_json(&self.save_crm(save).await?)?)
            }
            "/crm/remove" => {
                let CrmKindCall { kind } = internal::request_json(req).await?;
                self.sql().exec("DELETE FROM crms WHERE kind = ?", vec![kind.as_str().into()])?;
                self.sql().exec("DELETE FROM crm_jobs WHERE kind = ?", vec![kind.as_str().into()])?;
                Ok(Response::from_json(&json!({}))?)
            }
            "/crm/standing" => {
                let ConversationCall { conversation, by } = internal::request_json(req).await?;
                self.refuse_others(&by.operator, by.role, &conversation)?;
                let standings: Vec<CrmStanding> =
                    self.enabled_crms()?.into_iter().map(|(kind, _)| self.crm_standing(&conversation, kind)).collect::<EdgeResult<_>>()?;
                Ok(Response::from_json(&standings)?)
            }
            "/crm/act" => {
                let call: CrmActCall = internal::request_json(req).await?;
                self.refuse_others(&call.by.operator, call.by.role, &call.conversation)?;
                if self.crm_config(call.kind)?.is_none_or(|config| !config.enabled) {
                    return Err(EdgeError::Conflict(format!("{} is not switched on for this site", call.kind.name())));
                }
                let job = self.queue_crm_job(&call.conversation, call.kind, call.action)?;
                // Done now, so the panel shows the id at once; if it fails, the alarm
                // tries again and the panel shows why.
                self.run_crm_job(&site, job).await?;
                Ok(Response::from_json(&self.crm_standing(&call.conversation, call.kind)?)?)
            }
            other => Err(EdgeError::NotFound(format!("No site route {other}"))),
        }
    }

    /// Connects or changes a CRM: amoCRM exchanges a new authorization code for tokens,
    /// Bitrix24's address is tried; nothing is stored unless that went through.
    async fn save_crm(&self, CrmSave { kind, change }: CrmSave) -> EdgeResult<CrmState> {
        let mut config = self.crm_config(kind)?.unwrap_or_default();
        config.enabled = change.enabled;
        config.contact_at_start = change.contact_at_start;
        config.lead_at_close = change.lead_at_close;
        config.name_prefix = change.name_prefix.trim().chars().take(40).collect();
        match kind {
            CrmKind::Amocrm => {
                let subdomain = change.subdomain.trim().to_lowercase();
                crm::check_subdomain(&subdomain).map_err(|e| EdgeError::field("subdomain", e))?;
                if config.subdomain != subdomain {
                    // Another account: the old one's tokens are no use there.
                    config.access_token.clear();
                    config.refresh_token.clear();
                }
                config.subdomain = subdomain;
                let api = change.api.trim();
                config.api = if api.is_empty() { String::new() } else { check_address(api, "").map_err(|e| EdgeError::field("api", e))? };
                let given = [
                    ("client_id", &change.client_id, &mut config.client_id, "Paste the integration's id from amoCRM"),
                    ("client_secret", &change.client_secret, &mut config.client_secret, "Paste the integration's secret key from amoCRM"),
                    ("redirect_uri", &change.redirect_uri, &mut config.redirect_uri, "Paste the redirect address set in the amoCRM integration"),
                ];
                for (field, value, stored, missing) in given {
                    // Empty keeps what is stored.
                    match value.trim() {
                        "" if stored.is_empty() => return Err(EdgeError::field(field, missing)),
                        "" => {}
                        value => *stored = value.chars().take(300).collect(),
                    }
                }
                let code = change.code.trim();
                if !code.is_empty() {
                    let grant = json!({ "client_id": config.client_id, "client_secret": config.client_secret, "grant_type": "authorization_code", "code": code, "redirect_uri": config.redirect_uri });
                    self.take_amocrm_tokens(&mut config, &grant).await.map_err(|e| EdgeError::field("code", format!("amoCRM did not take the code: {e}")))?;
                } else if config.enabled && config.refresh_token.is_empty() {
                    return Err(EdgeError::field("code", "Paste an authorization code from the amoCRM integration (it is valid for 20 minutes)"));
                }
            }
            CrmKind::Bitrix24 => {
                let given = change.webhook_url.trim();
                if !given.is_empty() {
                    config.webhook_url = crm::check_bitrix_webhook(given).map_err(|e| EdgeError::field("webhook_url", e))?;
                } else if config.webhook_url.is_empty() {
                    return Err(EdgeError::field("webhook_url", "Paste the incoming webhook's address from Bitrix24"));
                }
                if config.enabled {
                    let answer = clients::send(Method::Post, &format!("{}crm.contact.fields.json", config.webhook_url), None, &json!({})).await.map_err(|e| EdgeError::field("webhook_url", format!("Bitrix24: {e}")))?;
                    clients::bitrix_result(&answer).map_err(|e| EdgeError::field("webhook_url", format!("Bitrix24 refused the webhook: {e}")))?;
                }
            }
        }
        self.store_crm_config(kind, &config)?;
        Ok(config.state(kind))
    }

    /// Asks amoCRM for tokens (`grant`: a code or the refresh token) and keeps them.
    async fn take_amocrm_tokens(&self, config: &mut CrmConfig, grant: &Value) -> Result<(), String> {
        let answer = clients::send(Method::Post, &format!("{}/oauth2/access_token", config.amocrm_api()), None, grant).await?;
        let token = |key: &str| answer.body.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        let (access, refresh) = (token("access_token"), token("refresh_token"));
        if answer.status != 200 || access.is_empty() || refresh.is_empty() {
            return Err(clients::reason(&answer));
        }
        let lifetime = answer.body.get("expires_in").and_then(Value::as_u64).unwrap_or(86_400);
        config.access_token = access;
        config.refresh_token = refresh;
        config.expires_at = auth::now() + lifetime * 1000;
        Ok(())
    }

    /// A fresh amoCRM access token: refreshed (and kept) when it is about to expire,
    /// or when `force`d (amoCRM said it had).
    async fn amocrm_token(&self, config: &mut CrmConfig, force: bool) -> Result<String, String> {
        if force || config.expires_at <= auth::now() + REFRESH_BEFORE_MS {
            let grant = json!({ "client_id": config.client_id, "client_secret": config.client_secret, "grant_type": "refresh_token", "refresh_token": config.refresh_token, "redirect_uri": config.redirect_uri });
            self.take_amocrm_tokens(config, &grant).await.map_err(|e| format!("the token was not refreshed: {e}"))?;
            self.store_crm_config(CrmKind::Amocrm, config).map_err(|e| e.to_string())?;
        }
        Ok(config.access_token.clone())
    }

    /// Calls amoCRM's API; a 401 refreshes the token and tries once more.
    async fn amocrm_call(&self, config: &mut CrmConfig, method: Method, path: &str, body: &Value) -> Result<Answer, String> {
        let url = format!("{}{path}", config.amocrm_api());
        let token = self.amocrm_token(config, false).await?;
        let answer = clients::send(method.clone(), &url, Some(&token), body).await?;
        if answer.status != 401 {
            return Ok(answer);
        }
        let token = self.amocrm_token(config, true).await?;
        clients::send(method, &url, Some(&token), body).await
    }

    fn crm_record(&self, conversation: &str, kind: CrmKind, record: &str) -> EdgeResult<Option<RecordRow>> {
        Ok(self
            .sql()
            .exec(
                "SELECT id, url, noted FROM crm_records WHERE conversation = ? AND kind = ? AND record = ?",
                vec![conversation.into(), kind.as_str().into(), record.into()],
            )?
            .to_array::<RecordRow>()?
            .pop())
    }

    fn keep_crm_record(&self, conversation: &str, kind: CrmKind, record: &str, id: &str, url: &str, noted: bool) -> EdgeResult<()> {
        self.sql().exec(
            "INSERT INTO crm_records (conversation, kind, record, id, url, noted) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (conversation, kind, record) DO UPDATE SET id = excluded.id, url = excluded.url, noted = excluded.noted",
            vec![conversation.into(), kind.as_str().into(), record.into(), id.into(), url.into(), i64::from(noted).into()],
        )?;
        Ok(())
    }

    fn crm_standing(&self, conversation: &ConversationId, kind: CrmKind) -> EdgeResult<CrmStanding> {
        let record = |name: &str| -> EdgeResult<Option<CrmRecord>> {
            Ok(self.crm_record(conversation.as_str(), kind, name)?.map(|row| CrmRecord { id: row.id, url: row.url }))
        };
        let errors: Vec<ErrorRow> = self
            .sql()
            .exec(
                "SELECT error FROM crm_jobs WHERE conversation = ? AND kind = ? AND error IS NOT NULL ORDER BY id DESC LIMIT 1",
                vec![conversation.as_str().into(), kind.as_str().into()],
            )?
            .to_array()?;
        Ok(CrmStanding { kind, contact: record("contact")?, lead: record("lead")?, error: errors.into_iter().next().and_then(|row| row.error) })
    }

    /// Queues a job (once: the same one waiting is not queued again) and gives its id.
    fn queue_crm_job(&self, conversation: &ConversationId, kind: CrmKind, action: CrmAction) -> EdgeResult<i64> {
        #[derive(Deserialize)]
        struct IdRow {
            id: i64,
        }
        let (conversation, kind, action) = (conversation.as_str(), kind.as_str(), action.as_str());
        let waiting: Vec<IdRow> = self
            .sql()
            .exec("SELECT id FROM crm_jobs WHERE conversation = ? AND kind = ? AND action = ?", vec![conversation.into(), kind.into(), action.into()])?
            .to_array()?;
        if let Some(job) = waiting.first() {
            return Ok(job.id);
        }
        let made: Vec<IdRow> = self
            .sql()
            .exec(
                "INSERT INTO crm_jobs (conversation, kind, action, next_at) VALUES (?, ?, ?, ?) RETURNING id",
                vec![conversation.into(), kind.into(), action.into(), (auth::now() as i64).into()],
            )?
            .to_array()?;
        made.first().map(|row| row.id).ok_or_else(|| EdgeError::Internal("A job without an id".into()))
    }

    /// A conversation's event: the CRMs that want it get a job.
    pub(crate) async fn crm_event(&self, notice: &EventNotice) -> EdgeResult<()> {
        let mut queued = false;
        for (kind, config) in self.enabled_crms()? {
            let action = match notice.event {
                EventKind::ConversationStarted if config.contact_at_start => CrmAction::Contact,
                EventKind::ConversationClosed if config.lead_at_close => CrmAction::Lead,
                _ => continue,
            };
            self.queue_crm_job(&notice.conversation, kind, action)?;
            queued = true;
        }
        if queued {
            self.state.storage().set_alarm(0).await?;
        }
        Ok(())
    }

    /// The alarm's share: the jobs that are due.
    pub(crate) async fn run_crm_jobs(&self) -> EdgeResult<()> {
        #[derive(Deserialize)]
        struct IdRow {
            id: i64,
        }
        let due: Vec<IdRow> = self
            .sql()
            .exec("SELECT id FROM crm_jobs WHERE next_at <= ? ORDER BY id LIMIT ?", vec![(auth::now() as i64).into(), JOBS_PER_ALARM.into()])?
            .to_array()?;
        if !due.is_empty() {
            let site = self.site_id()?;
            for job in due {
                self.run_crm_job(&site, job.id).await?;
            }
        }
        let next: Vec<NextRow> = self.sql().exec("SELECT MIN(next_at) AS next_at FROM crm_jobs", None)?.to_array()?;
        if let Some(at) = next.first().and_then(|row| row.next_at) {
            self.alarm_no_later_than(at.max(0) as u64).await?;
        }
        Ok(())
    }

    /// Does one job, unless it is under way already (the alarm's and an operator's
    /// call may meet); done, it goes; failed, it waits longer each time, with its error.
    async fn run_crm_job(&self, site: &SiteId, id: i64) -> EdgeResult<()> {
        if self.crm_running.borrow().contains(&id) {
            return Ok(());
        }
        self.crm_running.borrow_mut().push(id);
        let result = self.run_crm_job_now(site, id).await;
        self.crm_running.borrow_mut().retain(|running| *running != id);
        result
    }

    async fn run_crm_job_now(&self, site: &SiteId, id: i64) -> EdgeResult<()> {
        let rows: Vec<JobRow> = self.sql().exec("SELECT id, conversation, kind, action, attempts FROM crm_jobs WHERE id = ?", vec![id.into()])?.to_array()?;
        let Some(job) = rows.into_iter().next() else { return Ok(()) };
        let Some(mut config) = self.crm_config(job.kind)?.filter(|config| config.enabled) else {
            // Switched off or removed meanwhile: nothing to send to.
            self.sql().exec("DELETE FROM crm_jobs WHERE id = ?", vec![job.id.into()])?;
            return Ok(());
        };
        match self.do_crm_job(site, &job, &mut config).await {
            Ok(()) => {
                self.sql().exec("DELETE FROM crm_jobs WHERE id = ?", vec![job.id.into()])?;
            }
            Err(e) => {
                worker::console_log!("{} {}: {e}", job.kind.name(), job.action.as_str());
                let next_at = auth::now() + retry_delay(job.attempts);
                self.sql().exec(
                    "UPDATE crm_jobs SET attempts = attempts + 1, next_at = ?, error = ? WHERE id = ?",
                    vec![(next_at as i64).into(), format!("{}: {e}", job.kind.name()).into(), job.id.into()],
                )?;
                self.alarm_no_later_than(next_at).await?;
            }
        }
        Ok(())
    }

    async fn do_crm_job(&self, site: &SiteId, job: &JobRow, config: &mut CrmConfig) -> Result<(), String> {
        let (kind, action) = (job.kind, job.action);
        let conversation = ConversationId::parse(&job.conversation).map_err(|e| e.to_string())?;
        let stub = internal::conversation_stub(&self.env, site, &conversation).map_err(|e| e.to_string())?;
        let subject: CrmSubject = internal::call(&stub, "/crm-subject", &(), None::<&()>).await.map_err(|e| format!("the conversation did not answer: {e}"))?;
        let language = self.settings().map_err(|e| e.to_string())?.settings.default_language;
        let prefix = if config.name_prefix.is_empty() { crm::default_name_prefix(language) } else { config.name_prefix.as_str() };
        let name = crm::contact_name(prefix, &subject.given_name, &subject.shown_name);
        let fields = ContactFields { name: &name, email: &subject.email, phone: &subject.phone };
        let contact = self.crm_record(&job.conversation, kind, "contact").map_err(|e| e.to_string())?;
        let contact_id = match (action, contact) {
            (CrmAction::Update, Some(contact)) => {
                self.update_contact(kind, config, &contact.id, &fields).await?;
                return Ok(());
            }
            (CrmAction::Contact, Some(_)) => return Ok(()),
            (_, Some(contact)) => contact.id,
            (_, None) => {
                let id = self.create_contact(kind, config, &fields).await?;
                let url = config.record_url(kind, "contact", &id);
                self.keep_crm_record(&job.conversation, kind, "contact", &id, &url, true).map_err(|e| e.to_string())?;
                id
            }
        };
        if action != CrmAction::Lead {
            return Ok(());
        }
        let head = self.letterhead().map_err(|e| e.to_string())?;
        let stamp = stamper(&head.time_zone);
        let visitor = EventVisitor { name: name.clone(), email: subject.email.clone(), phone: subject.phone.clone(), page_url: subject.page_url.clone() };
        let transcript = natter_shared::letters::crm_note(language, &visitor, &subject.transcript, &head.time_zone, &stamp);
        let title = format!("{}: {name}", site_name(&head));
        let lead = self.crm_record(&job.conversation, kind, "lead").map_err(|e| e.to_string())?;
        let (lead_id, noted) = match lead {
            Some(lead) => (lead.id, lead.noted != 0),
            None => {
                let id = self.create_lead(kind, config, &title, &contact_id, &fields, &transcript).await?;
                // Bitrix24 takes the transcript with the lead; amoCRM as a note after it.
                let noted = kind == CrmKind::Bitrix24;
                let url = config.record_url(kind, "lead", &id);
                self.keep_crm_record(&job.conversation, kind, "lead", &id, &url, noted).map_err(|e| e.to_string())?;
                (id, noted)
            }
        };
        if !noted {
            let note = json!([{ "note_type": "common", "params": { "text": transcript } }]);
            let answer = self.amocrm_call(config, Method::Post, &format!("/api/v4/leads/{lead_id}/notes"), &note).await?;
            if answer.status != 200 {
                return Err(format!("the transcript was not noted on lead {lead_id}: {}", clients::reason(&answer)));
            }
            let url = config.record_url(kind, "lead", &lead_id);
            self.keep_crm_record(&job.conversation, kind, "lead", &lead_id, &url, true).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    async fn create_contact(&self, kind: CrmKind, config: &mut CrmConfig, fields: &ContactFields<'_>) -> Result<String, String> {
        match kind {
            CrmKind::Amocrm => {
                let answer = self.amocrm_call(config, Method::Post, "/api/v4/contacts", &json!([clients::amocrm_contact(fields)])).await?;
                clients::amocrm_created(&answer.body, "contacts").filter(|_| answer.status == 200).ok_or_else(|| clients::reason(&answer))
            }
            CrmKind::Bitrix24 => {
                let answer = clients::send(Method::Post, &format!("{}crm.contact.add.json", config.webhook_url), None, &json!({ "fields": clients::bitrix_contact(fields) })).await?;
                clients::bitrix_result(&answer)
            }
        }
    }

    async fn update_contact(&self, kind: CrmKind, config: &mut CrmConfig, id: &str, fields: &ContactFields<'_>) -> Result<(), String> {
        let answer = match kind {
            CrmKind::Amocrm => self.amocrm_call(config, Method::Patch, &format!("/api/v4/contacts/{id}"), &clients::amocrm_contact(fields)).await?,
            CrmKind::Bitrix24 => {
                let answer = clients::send(Method::Post, &format!("{}crm.contact.update.json", config.webhook_url), None, &json!({ "id": id, "fields": clients::bitrix_contact(fields) })).await?;
                return clients::bitrix_result(&answer).map(drop);
            }
        };
        if answer.status == 200 { Ok(()) } else { Err(clients::reason(&answer)) }
    }

    async fn create_lead(&self, kind: CrmKind, config: &mut CrmConfig, title: &str, contact: &str, fields: &ContactFields<'_>, transcript: &str) -> Result<String, String> {
        match kind {
            CrmKind::Amocrm => {
                let contact: Value = contact.parse::<i64>().map_or_else(|_| json!(contact), |n| json!(n));
                let lead = json!([{ "name": title, "_embedded": { "contacts": [{ "id": contact }] } }]);
                let answer = self.amocrm_call(config, Method::Post, "/api/v4/leads", &lead).await?;
                clients::amocrm_created(&answer.body, "leads").filter(|_| answer.status == 200).ok_or_else(|| clients::reason(&answer))
            }
            CrmKind::Bitrix24 => {
                let mut lead = clients::bitrix_contact(fields);
                lead["TITLE"] = json!(title);
                lead["CONTACT_ID"] = json!(contact);
                lead["COMMENTS"] = json!(transcript);
                let answer = clients::send(Method::Post, &format!("{}crm.lead.add.json", config.webhook_url), None, &json!({ "fields": lead })).await?;
                clients::bitrix_result(&answer)
            }
        }
    }
}

impl Conversation {
    /// `GET /crm-subject`: the visitor and the transcript, for a CRM job.
    pub(crate) fn crm_subject(&self) -> EdgeResult<Response> {
        let meta = self.meta()?.ok_or_else(|| EdgeError::NotFound("This conversation does not exist".into()))?;
        let details = self.details()?;
        let given_name = if details.name.trim().is_empty() && self.channel()?.is_some() { meta.visitor_name.clone() } else { details.name };
        Ok(Response::from_json(&CrmSubject {
            given_name,
            shown_name: meta.visitor_name.clone(),
            email: details.email,
            phone: details.phone,
            page_url: meta.page_url.clone(),
            transcript: self.transcript()?,
        })?)
    }
}
