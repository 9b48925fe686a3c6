//! The `Organisation` Durable Object: one per organisation (named by its id). It is the
//! source of truth for the organisation's sites (name, address, allowed origins, on or
//! off: pushed to each `Site` object, which enforces them for visitors) and operators
//! (profile, role, sites, active, session version), and keeps the one-time links
//! (invitations, password resets) as SHA-256 digests. Every console request asks it
//! what the operator may do now ([`OrgCall::Access`]), so a deactivation or a new
//! password takes effect at once; open inbox sockets are closed by the `Site`s.

use natter_shared::accounts::{InvitationView, OperatorInfo, Profile, SiteInfo};
use natter_shared::ids::{OperatorId, OrgId, SiteId};
use natter_shared::protocol::Role;
use serde::Deserialize;
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorage, SqlStorageValue, State};

use crate::auth;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Access, LinkKind, LinkUsed, NewLink, NewOperator, OrgCall, SitePlacement};
use crate::daily_report::{self, ReportSent};
use crate::notifications::Letterhead;
use crate::site::Placed;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS organisation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    org TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
-- The organisation's time zone (IANA name): the journal's days count in it.
CREATE TABLE IF NOT EXISTS time_zone (id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sites (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    allowed_origins TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS operators (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    avatar TEXT,
    role TEXT NOT NULL,
    sites TEXT NOT NULL DEFAULT '[]',
    active INTEGER NOT NULL DEFAULT 1,
    joined INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);
-- One-time links: invitations and password resets, by the SHA-256 of their secret.
CREATE TABLE IF NOT EXISTS links (
    hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    operator TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);";

#[derive(Deserialize)]
struct OrgRow {
    org: String,
    name: String,
    time_zone: String,
}

#[derive(Deserialize)]
struct SiteRow {
    id: String,
    name: String,
    url: String,
    allowed_origins: String,
    disabled: i64,
}

impl SiteRow {
    fn into_info(self) -> EdgeResult<SiteInfo> {
        Ok(SiteInfo {
            id: SiteId::parse(&self.id)?,
            name: self.name,
            url: self.url,
            allowed_origins: serde_json::from_str(&self.allowed_origins)?,
            disabled: self.disabled != 0,
        })
    }
}

#[derive(Deserialize)]
struct OperatorRow {
    id: String,
    email: String,
    name: String,
    title: String,
    phone: String,
    avatar: Option<String>,
    role: String,
    sites: String,
    active: i64,
    joined: i64,
    version: i64,
}

impl OperatorRow {
    fn role(&self) -> EdgeResult<Role> {
        match self.role.as_str() {
            "admin" => Ok(Role::Admin),
            "agent" => Ok(Role::Agent),
            other => Err(EdgeError::Internal(format!("Stored role {other:?}"))),
        }
    }

    fn info(&self) -> EdgeResult<OperatorInfo> {
        Ok(OperatorInfo {
            id: OperatorId::parse(&self.id)?,
            email: self.email.clone(),
            name: self.name.clone(),
            title: self.title.clone(),
            phone: self.phone.clone(),
            avatar: self.avatar.clone(),
            role: self.role()?,
            sites: serde_json::from_str(&self.sites)?,
            active: self.active != 0,
            joined: self.joined != 0,
            online: false,
        })
    }
}

#[derive(Deserialize)]
struct LinkRow {
    operator: String,
}

#[derive(Deserialize)]
struct CountRow {
    n: i64,
}

fn role_column(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Agent => "agent",
    }
}

fn link_column(kind: LinkKind) -> &'static str {
    match kind {
        LinkKind::Invitation => "invitation",
        LinkKind::Reset => "reset",
    }
}

fn int(value: u64) -> SqlStorageValue {
    (value as i64).into()
}

fn json<T: serde::Serialize>(value: &T) -> EdgeResult<Response> {
    Ok(Response::from_json(value)?)
}

#[durable_object]
pub struct Organisation {
    pub(crate) state: State,
    pub(crate) env: Env,
}

impl DurableObject for Organisation {
    fn new(state: State, env: Env) -> Self {
        internal::update_tables(&state, "organisation", SCHEMA);
        internal::update_tables(&state, "organisation", daily_report::SCHEMA);
        Self { state, env }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.report_alarm().await;
        Response::empty()
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let answer = async {
            let call: OrgCall = req.json().await?;
            self.answer(call).await
        };
        Ok(answer.await.unwrap_or_else(EdgeError::into_response))
    }
}

impl Organisation {
    pub(crate) fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    async fn answer(&self, call: OrgCall) -> EdgeResult<Response> {
        let empty = serde_json::json!({});
        // An organisation that was never created stores nothing for whoever names it.
        match &call {
            OrgCall::Create { .. } => {
                internal::create_tables(&self.state, "organisation", SCHEMA);
                internal::create_tables(&self.state, "organisation", daily_report::SCHEMA);
            }
            OrgCall::ViewLink { .. } | OrgCall::UseLink { .. } if !internal::has_tables(&self.state) => return Err(link_gone()),
            _ if !internal::has_tables(&self.state) => return Err(EdgeError::NotFound("No such organisation".into())),
            _ => {}
        }
        match call {
            OrgCall::Create { org, name, admin, site, time_zone } => {
                if self.organisation().is_ok() {
                    return Err(EdgeError::Conflict("This organisation exists already".into()));
                }
                self.sql().exec(
                    "INSERT INTO organisation (id, org, name, created_at) VALUES (1, ?, ?, ?)",
                    vec![org.as_str().into(), name.as_str().into(), int(auth::now())],
                )?;
                self.set_time_zone(&time_zone)?;
                self.insert_site(&site)?;
                self.insert_operator(&admin, true)?;
                self.place(&site).await?;
                json(&empty)
            }
            OrgCall::Access { operator, version } => json(&self.access(&operator, version)?),
            OrgCall::SetTimeZone { time_zone } => {
                self.set_time_zone(&time_zone)?;
                // The sites' letters give times in it.
                for site in self.sites()? {
                    self.place(&site).await?;
                }
                self.schedule_report().await?;
                json(&empty)
            }
            OrgCall::Report => json(&self.daily_report_now().await?),
            OrgCall::SetReport { report } => {
                self.set_daily_report(&report).await?;
                json(&empty)
            }
            OrgCall::SendReport => {
                if self.daily_report()?.email.is_none() {
                    return Err(EdgeError::Conflict("Set the report's address first".into()));
                }
                if !self.send_daily_report().await? {
                    return Err(EdgeError::Internal("the report could not be sent; try again later".into()));
                }
                json(&ReportSent { sent: true })
            }
            OrgCall::Profile { operator } => {
                let row = self.operator(&operator)?;
                json(&Profile { name: row.name, title: row.title, phone: row.phone, avatar: row.avatar })
            }
            OrgCall::SetProfile { operator, profile } => {
                self.operator(&operator)?;
                self.sql().exec(
                    "UPDATE operators SET name = ?, title = ?, phone = ?, avatar = ? WHERE id = ?",
                    vec![
                        profile.name.trim().into(),
                        profile.title.trim().into(),
                        profile.phone.trim().into(),
                        profile.avatar.as_deref().into(),
                        operator.as_str().into(),
                    ],
                )?;
                json(&empty)
            }
            OrgCall::Bump { operator } => json(&self.bump(&operator).await?),
            OrgCall::Sites => json(&self.sites()?),
            OrgCall::AddSite { site } => {
                self.insert_site(&site)?;
                self.place(&site).await?;
                json(&site)
            }
            OrgCall::UpdateSite { site } => {
                let written = self.sql().exec(
                    "UPDATE sites SET name = ?, url = ?, allowed_origins = ?, disabled = ? WHERE id = ?",
                    vec![
                        site.name.as_str().into(),
                        site.url.as_str().into(),
                        serde_json::to_string(&site.allowed_origins)?.into(),
                        i64::from(site.disabled).into(),
                        site.id.as_str().into(),
                    ],
                )?;
                if written.rows_written() == 0 {
                    return Err(EdgeError::NotFound("No such site".into()));
                }
                self.place(&site).await?;
                json(&site)
            }
            OrgCall::DeleteSite { site } => {
                if self.sites()?.len() <= 1 {
                    return Err(EdgeError::Conflict("An organisation keeps at least one site: add another before deleting this one".into()));
                }
                self.sql().exec("DELETE FROM sites WHERE id = ?", vec![site.as_str().into()])?;
                for row in self.operators()? {
                    let mut sites: Vec<SiteId> = serde_json::from_str(&row.sites)?;
                    sites.retain(|s| s != &site);
                    self.sql().exec("UPDATE operators SET sites = ? WHERE id = ?", vec![serde_json::to_string(&sites)?.into(), row.id.as_str().into()])?;
                }
                let _: serde_json::Value = internal::call(&internal::site_stub(&self.env, &site)?, "/destroy", &site, Some(&empty)).await?;
                let _: serde_json::Value = internal::call(&internal::journal_stub(&self.env, &site)?, "/destroy", &site, Some(&empty)).await?;
                json(&empty)
            }
            OrgCall::Operators => json(&self.operators()?.iter().map(OperatorRow::info).collect::<EdgeResult<Vec<_>>>()?),
            OrgCall::Invite { operator, link } => {
                self.check_sites(&operator.sites)?;
                self.insert_operator(&operator, false)?;
                self.insert_link(&operator.id, &link)?;
                json(&self.operator(&operator.id)?.info()?)
            }
            OrgCall::UpdateOperator { operator, update } => {
                let before = self.operator(&operator)?;
                self.check_sites(&update.sites)?;
                if !(update.role == Role::Admin && update.active) {
                    self.keep_an_admin_besides(&operator)?;
                }
                self.sql().exec(
                    "UPDATE operators SET name = ?, title = ?, phone = ?, role = ?, sites = ?, active = ? WHERE id = ?",
                    vec![
                        update.name.trim().into(),
                        update.title.trim().into(),
                        update.phone.trim().into(),
                        role_column(update.role).into(),
                        serde_json::to_string(&update.sites)?.into(),
                        i64::from(update.active).into(),
                        operator.as_str().into(),
                    ],
                )?;
                let after = self.operator(&operator)?;
                if before.active != 0 && !update.active {
                    self.bump(&operator).await?;
                } else {
                    // Sites they no longer work on stop reaching them at once; their
                    // console, refused there, reloads its list of sites.
                    let kept = self.sites_of(&after)?;
                    let removed: Vec<SiteId> = self.sites_of(&before)?.into_iter().filter(|s| !kept.contains(s)).collect();
                    self.close_sockets_on(&operator, &removed).await;
                }
                json(&after.info()?)
            }
            OrgCall::DeleteOperator { operator } => {
                let row = self.operator(&operator)?;
                self.keep_an_admin_besides(&operator)?;
                self.sql().exec("DELETE FROM operators WHERE id = ?", vec![operator.as_str().into()])?;
                self.sql().exec("DELETE FROM links WHERE operator = ?", vec![operator.as_str().into()])?;
                self.close_sockets(&operator).await;
                json(&row.email)
            }
            OrgCall::AddLink { operator, link } => {
                self.operator(&operator)?;
                self.insert_link(&operator, &link)?;
                json(&empty)
            }
            OrgCall::ViewLink { hash, kind } => {
                let row = self.operator(&self.link(&hash, kind)?)?;
                json(&InvitationView { organisation: self.organisation()?.name, email: row.email, name: row.name })
            }
            OrgCall::UseLink { hash, kind } => {
                let operator = self.link(&hash, kind)?;
                self.sql().exec("DELETE FROM links WHERE hash = ?", vec![hash.as_str().into()])?;
                let row = self.operator(&operator)?;
                if row.active == 0 {
                    return Err(EdgeError::Forbidden("This account is deactivated: ask your admin"));
                }
                self.sql().exec("UPDATE operators SET joined = 1 WHERE id = ?", vec![operator.as_str().into()])?;
                self.bump(&operator).await?;
                json(&LinkUsed { operator, email: row.email })
            }
        }
    }

    fn organisation(&self) -> EdgeResult<OrgRow> {
        let rows: Vec<OrgRow> = self
            .sql()
            .exec("SELECT o.org, o.name, COALESCE(t.name, 'UTC') AS time_zone FROM organisation o LEFT JOIN time_zone t ON t.id = 1 WHERE o.id = 1", None)?.to_array()?;
        rows.into_iter().next().ok_or_else(|| EdgeError::NotFound("No such organisation".into()))
    }

    pub(crate) fn time_zone(&self) -> EdgeResult<String> {
        Ok(self.organisation()?.time_zone)
    }

    pub(crate) fn name(&self) -> EdgeResult<String> {
        Ok(self.organisation()?.name)
    }

    pub(crate) fn site_ids(&self) -> EdgeResult<Vec<SiteId>> {
        Ok(self.sites()?.into_iter().map(|s| s.id).collect())
    }

    fn sites(&self) -> EdgeResult<Vec<SiteInfo>> {
        let rows: Vec<SiteRow> = self.sql().exec("SELECT * FROM sites ORDER BY created_at, id", None)?.to_array()?;
        rows.into_iter().map(SiteRow::into_info).collect()
    }

    fn check_sites(&self, sites: &[SiteId]) -> EdgeResult<()> {
        let known = self.sites()?;
        if sites.iter().all(|site| known.iter().any(|k| &k.id == site)) {
            Ok(())
        } else {
            Err(EdgeError::BadRequest("Sites: choose sites of this organisation".into()))
        }
    }

    fn insert_site(&self, site: &SiteInfo) -> EdgeResult<()> {
        self.sql().exec(
            "INSERT INTO sites (id, name, url, allowed_origins, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                site.id.as_str().into(),
                site.name.as_str().into(),
                site.url.as_str().into(),
                serde_json::to_string(&site.allowed_origins)?.into(),
                i64::from(site.disabled).into(),
                int(auth::now()),
            ],
        )?;
        Ok(())
    }

    /// Tells the site's object its origins, whether it is on, and its name and time
    /// zone for its letters.
    async fn place(&self, site: &SiteInfo) -> EdgeResult<()> {
        let placement = Placed {
            placement: SitePlacement { allowed_origins: site.allowed_origins.clone(), disabled: site.disabled },
            letterhead: Letterhead { name: site.name.clone(), time_zone: self.organisation()?.time_zone },
        };
        let _: serde_json::Value = internal::call(&internal::site_stub(&self.env, &site.id)?, "/place", &site.id, Some(&placement)).await?;
        Ok(())
    }

    fn operators(&self) -> EdgeResult<Vec<OperatorRow>> {
        Ok(self.sql().exec("SELECT * FROM operators ORDER BY created_at, id", None)?.to_array()?)
    }

    fn operator(&self, operator: &OperatorId) -> EdgeResult<OperatorRow> {
        let rows: Vec<OperatorRow> = self.sql().exec("SELECT * FROM operators WHERE id = ?", vec![operator.as_str().into()])?.to_array()?;
        rows.into_iter().next().ok_or_else(|| EdgeError::NotFound("No such operator".into()))
    }

    fn insert_operator(&self, operator: &NewOperator, joined: bool) -> EdgeResult<()> {
        self.sql().exec(
            "INSERT INTO operators (id, email, name, title, role, sites, joined, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                operator.id.as_str().into(),
                operator.email.as_str().into(),
                operator.name.trim().into(),
                operator.title.trim().into(),
                role_column(operator.role).into(),
                serde_json::to_string(&operator.sites)?.into(),
                i64::from(joined).into(),
                int(auth::now()),
            ],
        )?;
        Ok(())
    }

    /// Refuses (before anything is written) a change to `operator` that would leave the
    /// organisation without another active admin.
    fn keep_an_admin_besides(&self, operator: &OperatorId) -> EdgeResult<()> {
        let rows: Vec<CountRow> = self
            .sql()
            .exec("SELECT COUNT(*) AS n FROM operators WHERE role = 'admin' AND active = 1 AND id != ?", vec![operator.as_str().into()])?
            .to_array()?;
        if rows.first().map_or(0, |r| r.n) == 0 {
            return Err(EdgeError::Conflict("The organisation's last admin cannot be removed, deactivated or made an agent".into()));
        }
        Ok(())
    }

    fn access(&self, operator: &OperatorId, version: Option<u64>) -> EdgeResult<Access> {
        let row = self.operator(operator).map_err(|_| EdgeError::Unauthorized)?;
        let current = row.version as u64;
        if row.active == 0 || row.joined == 0 || version.is_some_and(|v| v != current) {
            return Err(EdgeError::SessionEnded);
        }
        let role = row.role()?;
        let sites = self.sites_of(&row)?;
        let organisation = self.organisation()?;
        Ok(Access {
            org: OrgId::parse(&organisation.org)?,
            organisation: organisation.name,
            operator: operator.clone(),
            email: row.email,
            name: row.name,
            avatar: row.avatar,
            role,
            sites,
            version: current,
            expires: None,
            time_zone: organisation.time_zone,
        })
    }

    fn set_time_zone(&self, time_zone: &str) -> EdgeResult<()> {
        self.sql().exec("INSERT OR REPLACE INTO time_zone (id, name) VALUES (1, ?)", vec![time_zone.into()])?;
        Ok(())
    }

    /// Ends every session of the operator: a new version, and their inbox sockets closed.
    async fn bump(&self, operator: &OperatorId) -> EdgeResult<u64> {
        self.sql().exec("UPDATE operators SET version = version + 1 WHERE id = ?", vec![operator.as_str().into()])?;
        self.close_sockets(operator).await;
        Ok(self.operator(operator)?.version as u64)
    }

    /// The sites an operator works on: every site of the organisation for admins.
    fn sites_of(&self, row: &OperatorRow) -> EdgeResult<Vec<SiteId>> {
        Ok(match row.role()? {
            Role::Admin => self.sites()?.into_iter().map(|s| s.id).collect(),
            Role::Agent => serde_json::from_str(&row.sites)?,
        })
    }

    /// Closes the operator's sockets on every site (their consoles then sign out).
    async fn close_sockets(&self, operator: &OperatorId) {
        let sites: Vec<SiteId> = self.sites().unwrap_or_default().into_iter().map(|s| s.id).collect();
        self.close_sockets_on(operator, &sites).await;
    }

    /// Closes the operator's inbox and conversation sockets on these sites.
    async fn close_sockets_on(&self, operator: &OperatorId, sites: &[SiteId]) {
        for site in sites {
            let closed = match internal::site_stub(&self.env, site) {
                Ok(stub) => internal::call::<_, _, serde_json::Value>(&stub, "/revoke", site, Some(operator)).await.map(|_| ()),
                Err(e) => Err(e),
            };
            if let Err(e) = closed {
                worker::console_error!("closing {operator}'s sockets on {site}: {e}");
            }
        }
    }

    fn insert_link(&self, operator: &OperatorId, link: &NewLink) -> EdgeResult<()> {
        // One live link of a kind per operator: a new one replaces the old.
        self.sql().exec(
            "DELETE FROM links WHERE operator = ? AND kind = ?",
            vec![operator.as_str().into(), link_column(link.kind).into()],
        )?;
        self.sql().exec(
            "INSERT INTO links (hash, kind, operator, expires_at) VALUES (?, ?, ?, ?)",
            vec![link.hash.as_str().into(), link_column(link.kind).into(), operator.as_str().into(), int(link.expires_at)],
        )?;
        Ok(())
    }

    /// The operator a live link is for.
    fn link(&self, hash: &str, kind: LinkKind) -> EdgeResult<OperatorId> {
        let rows: Vec<LinkRow> = self
            .sql()
            .exec(
                "SELECT operator FROM links WHERE hash = ? AND kind = ? AND expires_at > ?",
                vec![hash.into(), link_column(kind).into(), int(auth::now())],
            )?
            .to_array()?;
        let row = rows.into_iter().next().ok_or_else(link_gone)?;
        Ok(OperatorId::parse(&row.operator)?)
    }
}

fn link_gone() -> EdgeError {
    EdgeError::NotFound("This link does not work any more: it was used, replaced or has expired. Ask for a new one.".into())
}
