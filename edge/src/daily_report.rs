//! The daily report: yesterday's figures e-mailed to the address an admin set (off by
//! default), by the `Organisation` object's alarm a few minutes after midnight in the
//! organisation's time zone. Admins can also send it at once, to see what it says.

use natter_shared::clock::day_start;
use natter_shared::figures::DailyReport;
use natter_shared::letters;
use natter_shared::settings::Language;
use serde::Deserialize;
use worker::{Env, Method, Request, Response};

use crate::console;
use crate::error::{EdgeError, EdgeResult};
use crate::figures::{figures, today};
use crate::internal::{self, OrgCall};
use crate::mail;
use crate::organisation::Organisation;
use crate::request::json_body;

pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS daily_report (id INTEGER PRIMARY KEY CHECK (id = 1), email TEXT NOT NULL, language TEXT NOT NULL);";

/// How long after midnight the report goes: late reports of the day's last
/// conversations have reached the journal by then.
const AFTER_MIDNIGHT_MS: u64 = 5 * 60 * 1000;

#[derive(Deserialize)]
struct ReportRow {
    email: String,
    language: String,
}

/// What sending a report now did.
#[derive(serde::Serialize, Deserialize)]
pub struct ReportSent {
    pub sent: bool,
}

impl Organisation {
    pub(crate) fn daily_report(&self) -> EdgeResult<DailyReport> {
        let rows: Vec<ReportRow> = self.sql().exec("SELECT email, language FROM daily_report WHERE id = 1", None)?.to_array()?;
        Ok(rows.into_iter().next().map_or_else(DailyReport::default, |row| DailyReport {
            email: Some(row.email),
            language: if row.language == "ru" { Language::Ru } else { Language::En },
            next_at: None,
        }))
    }

    pub(crate) async fn set_daily_report(&self, report: &DailyReport) -> EdgeResult<()> {
        match &report.email {
            Some(email) => {
                let language = if report.language == Language::Ru { "ru" } else { "en" };
                self.sql().exec("INSERT OR REPLACE INTO daily_report (id, email, language) VALUES (1, ?, ?)", vec![email.as_str().into(), language.into()])?;
            }
            None => {
                self.sql().exec("DELETE FROM daily_report", None)?;
            }
        }
        self.schedule_report().await
    }

    /// The report's settings with when the next one goes.
    pub(crate) async fn daily_report_now(&self) -> EdgeResult<DailyReport> {
        let mut report = self.daily_report()?;
        if report.email.is_some() {
            report.next_at = self.state.storage().get_alarm().await?.map(|at| at.max(0) as u64);
        }
        Ok(report)
    }

    /// Sets the alarm for the next report (a few minutes after the next midnight), or
    /// none when the report is off.
    pub(crate) async fn schedule_report(&self) -> EdgeResult<()> {
        let storage = self.state.storage();
        if self.daily_report()?.email.is_none() {
            storage.delete_alarm().await?;
            return Ok(());
        }
        let zone = self.time_zone()?;
        let midnight = day_start(today(&zone).add_days(1), &zone).ok_or_else(|| EdgeError::Internal(format!("no midnight in {zone}")))?;
        storage.set_alarm((midnight + AFTER_MIDNIGHT_MS).saturating_sub(crate::auth::now()) as i64).await?;
        Ok(())
    }

    /// E-mails yesterday's figures to the report's address; false if the report is
    /// off or the e-mail could not be sent.
    pub(crate) async fn send_daily_report(&self) -> EdgeResult<bool> {
        let report = self.daily_report()?;
        let Some(email) = report.email else { return Ok(false) };
        let zone = self.time_zone()?;
        let yesterday = today(&zone).add_days(-1);
        let sites: Vec<_> = self.site_ids()?;
        let table = figures(&self.env, &sites, yesterday, yesterday, &zone).await?;
        let name = self.name()?;
        let letter = letters::daily_report(report.language, &name, yesterday, &zone, &table.rows);
        Ok(mail::send(&self.env, Some(&name), &email, &letter.subject, &letter.text).await)
    }

    /// The alarm: today's report, then tomorrow's alarm.
    pub(crate) async fn report_alarm(&self) {
        if let Err(e) = self.send_daily_report().await {
            worker::console_error!("daily report: {e}");
        }
        if let Err(e) = self.schedule_report().await {
            worker::console_error!("daily report alarm: {e}");
        }
    }
}

/// `/v1/console/organisation/report…` (admins): `GET` and `PUT` the report's address and
/// language, `POST …/send` to send yesterday's at once.
pub async fn route(req: &mut Request, env: &Env, rest: &[&str]) -> EdgeResult<Response> {
    let access = console::admin(env, req).await?;
    match (req.method(), rest) {
        (Method::Get, []) => Ok(Response::from_json(&internal::org::<DailyReport>(env, &access.org, &OrgCall::Report).await?)?),
        (Method::Put, []) => {
            let mut report: DailyReport = json_body(req).await?;
            report.email = report.email.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty());
            report.check().map_err(EdgeError::BadRequest)?;
            let _: serde_json::Value = internal::org(env, &access.org, &OrgCall::SetReport { report }).await?;
            Ok(Response::from_json(&internal::org::<DailyReport>(env, &access.org, &OrgCall::Report).await?)?)
        }
        (Method::Post, ["send"]) => {
            if !mail::enabled(env) {
                return Err(EdgeError::Conflict("This Natter sends no e-mail: its operator has not set MAIL_FROM".into()));
            }
            let sent: ReportSent = internal::org(env, &access.org, &OrgCall::SendReport).await?;
            Ok(Response::from_json(&sent)?)
        }
        (method, _) => Err(EdgeError::MethodNotAllowed(method.to_string())),
    }
}
