//! The figures (`GET /v1/console/figures?since=&until=`, admins): per day in the
//! organisation's time zone and per operator, read from each site's
//! [`Journal`] (conversations, missed, first responses, ratings) and its
//! [`crate::site::Site`] (offline messages), merged here. The daily report e-mails one
//! day of the same table (see `crate::organisation`).

use futures_util::future::join_all;
use natter_shared::clock::{date_at, day_start};
use natter_shared::figures::{self, Figures, Tally, MAX_DAYS};
use natter_shared::ids::{OperatorId, SiteId};
use natter_shared::journal::Date;
use natter_shared::protocol::Millis;
use serde::{Deserialize, Serialize};
use worker::{Env, Request, Response};

use crate::console;
use crate::error::{EdgeError, EdgeResult};
use crate::internal;
use crate::journal::Journal;
use crate::notifications::CountsCall;
use crate::request;

/// `/figures` of a journal: the conversations started between each two consecutive
/// bounds (the days' starts).
#[derive(Serialize, Deserialize)]
pub struct FiguresCall {
    pub bounds: Vec<Millis>,
}

#[derive(Deserialize)]
struct FigureRow {
    started_at: u64,
    owner: Option<String>,
    owner_name: Option<String>,
    missed: i64,
    rating: Option<i64>,
    first_response: Option<u64>,
}

impl Journal {
    /// The tallies per day and owner (`None`: nobody had it) of the conversations
    /// started in the bounds.
    pub(crate) fn tallies(&self, call: &FiguresCall) -> EdgeResult<Vec<Tally>> {
        let (Some(first), Some(last)) = (call.bounds.first(), call.bounds.last()) else { return Ok(Vec::new()) };
        let rows: Vec<FigureRow> = self
            .sql()
            .exec(
                "SELECT started_at, owner, json_extract(entry, '$.owner.name') AS owner_name, missed, rating,
                        json_extract(entry, '$.first_response_ms') AS first_response
                 FROM entries WHERE started_at >= ? AND started_at < ?",
                vec![(*first as i64).into(), (*last as i64).into()],
            )?
            .to_array()?;
        let mut tallies: Vec<Tally> = Vec::new();
        for row in rows {
            // The day whose start is the last bound not after the conversation's start.
            let day = call.bounds.partition_point(|&bound| bound <= row.started_at).saturating_sub(1);
            let operator = row.owner.as_deref().and_then(|o| OperatorId::parse(o).ok());
            let at = match tallies.iter().position(|t| t.day == day && t.operator == operator) {
                Some(at) => at,
                None => {
                    tallies.push(Tally { day, operator, operator_name: row.owner_name.unwrap_or_default(), ..Tally::default() });
                    tallies.len() - 1
                }
            };
            let tally = &mut tallies[at];
            tally.conversations += 1;
            tally.missed += u64::from(row.missed != 0);
            tally.good += u64::from(row.rating == Some(1));
            tally.bad += u64::from(row.rating == Some(0));
            tally.first_responses.extend(row.first_response);
        }
        Ok(tallies)
    }
}

/// The organisation's figures for days `since`..=`until` of `sites`, in `time_zone`.
pub async fn figures(env: &Env, sites: &[SiteId], since: Date, until: Date, time_zone: &str) -> EdgeResult<Figures> {
    let days = until.days() - since.days() + 1;
    let mut bounds = Vec::new();
    for n in 0..=days {
        bounds.push(day_start(since.add_days(n), time_zone).ok_or_else(|| EdgeError::Internal(format!("no day starts in {time_zone}")))?);
    }
    let asks = sites.iter().map(|site| site_tallies(env, site, &bounds));
    let mut tallies = Vec::new();
    for answer in join_all(asks).await {
        tallies.extend(answer?);
    }
    Ok(Figures { since, until, time_zone: time_zone.to_owned(), rows: figures::table(since, until, &tallies) })
}

/// One site's tallies, with its offline messages as tallies of nobody.
async fn site_tallies(env: &Env, site: &SiteId, bounds: &[Millis]) -> EdgeResult<Vec<Tally>> {
    let call = FiguresCall { bounds: bounds.to_vec() };
    let mut tallies: Vec<Tally> = internal::call(&internal::journal_stub(env, site)?, "/figures", &(), Some(&call)).await?;
    let counts: Vec<u64> = internal::call(&internal::site_stub(env, site)?, "/offline-counts", site, Some(&CountsCall { bounds: bounds.to_vec() })).await?;
    tallies.extend(counts.into_iter().enumerate().filter(|(_, n)| *n > 0).map(|(day, offline)| Tally { day, offline, ..Tally::default() }));
    Ok(tallies)
}

/// Today's date in `time_zone`.
pub fn today(time_zone: &str) -> Date {
    date_at(crate::auth::now(), time_zone).unwrap_or_default()
}

/// `GET /v1/console/figures?since=YYYY-MM-DD&until=YYYY-MM-DD` (admins): the last 7
/// days by default.
pub async fn page(req: &Request, env: &Env) -> EdgeResult<Response> {
    let access = console::access(env, req).await?;
    if !access.is_admin() {
        return Err(EdgeError::Forbidden("Only admins see the figures"));
    }
    let today = today(&access.time_zone);
    let date = |key: &str, default: Date| -> EdgeResult<Date> {
        match request::query(req, key)?.filter(|v| !v.is_empty()) {
            None => Ok(default),
            Some(text) => Date::parse(&text).ok_or_else(|| EdgeError::BadRequest(format!("`{key}`: \"{text}\" is not a date, e.g. 2026-12-01"))),
        }
    };
    let until = date("until", today)?;
    let since = date("since", until.add_days(-6))?;
    if since > until {
        return Err(EdgeError::BadRequest("`since` must not be after `until`".into()));
    }
    if until.days() - since.days() + 1 > MAX_DAYS {
        return Err(EdgeError::BadRequest(format!("At most {MAX_DAYS} days at once")));
    }
    let mut response = Response::from_json(&figures(env, &access.sites, since, until, &access.time_zone).await?)?;
    response.headers_mut().set("Cache-Control", "no-store")?;
    Ok(response)
}
