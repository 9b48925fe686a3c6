//! The console's journal (`GET /v1/console/journal?…`): a page of every conversation
//! of the operator's sites (or of one), newest first, filtered. Each site's
//! [`crate::journal::Journal`] answers its own page at once, and the Worker merges them
//! in the journal's one order (see `natter_shared::journal::JournalKey`), so the
//! console pages through all sites as through one.

use futures_util::future::join_all;
use natter_shared::ids::SiteId;
use natter_shared::journal::{sort_entries, JournalPage, JournalQuery, JOURNAL_PAGE};
use natter_shared::protocol::Role;
use worker::{Env, Request, Response};

use crate::console;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Access, WatchAnswer};
use crate::journal::PageCall;

/// Most rows one request may ask for (the console's CSV export asks for pages this big).
const MAX_LIMIT: usize = 1_000;

pub async fn page(req: &Request, env: &Env) -> EdgeResult<Response> {
    let access = console::access(env, req).await?;
    let url = req.url()?;
    let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let query = JournalQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(EdgeError::BadRequest)?;
    let limit = match pairs.iter().find(|(k, _)| k == "limit") {
        None => JOURNAL_PAGE,
        Some((_, v)) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| EdgeError::BadRequest(format!("`limit` must be a number from 1 to {MAX_LIMIT}")))?,
    };
    let sites = match &query.site {
        Some(site) => vec![access.site(site.as_str())?],
        None => access.sites.clone(),
    };
    let pages = join_all(sites.into_iter().map(|site| site_page(env, &access, site, &query, limit))).await;
    let mut entries = Vec::new();
    let mut more = false;
    for page in pages {
        let page = page?;
        more |= page.more;
        entries.extend(page.entries);
    }
    sort_entries(&mut entries);
    more |= entries.len() > limit;
    entries.truncate(limit);
    let mut response = Response::from_json(&JournalPage { entries, more })?;
    response.headers_mut().set("Cache-Control", "no-store")?;
    Ok(response)
}

/// One site's page, as this operator may see it.
async fn site_page(env: &Env, access: &Access, site: SiteId, query: &JournalQuery, limit: usize) -> EdgeResult<JournalPage> {
    let only_for = if access.role == Role::Agent {
        let answer: WatchAnswer = internal::call(&internal::site_stub(env, &site)?, "/restricts", &site, Some(&access.role)).await?;
        answer.restricted.then(|| access.operator.clone())
    } else {
        None
    };
    let call = PageCall { site: site.clone(), query: query.clone(), only_for, limit };
    internal::call(&internal::journal_stub(env, &site)?, "/page", &(), Some(&call)).await
}
