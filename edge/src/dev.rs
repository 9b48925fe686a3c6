//! The out-of-the-box dev organisation: site `demo` (any origin may embed it), its admin
//! `demo@natter.dev` / `natter-demo` and an agent, `agent@natter.dev` / `natter-agent`.
//! Created on the first request, through the same code as a real sign-up, invitation
//! and join (its limits for visitors raised, see [`DEV_RATE_LIMITS`]), and only when
//! the `NATTER_DEV` variable is "1", which only `.dev.vars`
//! (written by `make dev` / the tests, never deployed) sets.

use std::sync::atomic::{AtomicBool, Ordering};

use natter_shared::accounts::{Invite, SignUp};
use natter_shared::ids::{OrgId, SiteId};
use natter_shared::limits::RateLimits;
use natter_shared::protocol::{Role, SettingsDocument};
use natter_shared::settings::WidgetSettings;
use worker::{Env, Request};

use crate::admin;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, LinkKind, Login};
use crate::request;
use crate::signup;

pub const SITE: &str = "demo";
const ORG: &str = "natter-dev";
const ADMIN: (&str, &str) = ("demo@natter.dev", "natter-demo");
const AGENT: (&str, &str) = ("agent@natter.dev", "natter-agent");
/// The demo site's limits for visitors.
pub const DEV_RATE_LIMITS: RateLimits = RateLimits { message_burst: 100_000, messages_per_minute: 100_000, conversations_per_hour: 100_000 };

/// Set once this isolate has seen the seed in place.
static SEEDED: AtomicBool = AtomicBool::new(false);

/// Whether this Worker runs as a local dev server.
pub fn enabled(env: &Env) -> bool {
    env.var("NATTER_DEV").map(|v| v.to_string() == "1").unwrap_or(false)
}

/// `POST /v1/dev/journal/{site}/fill`: made-up conversations put straight into a site's
/// journal, for `make bench` (a million messages through sockets would take hours).
pub async fn fill_journal(req: &Request, env: &Env, site: &str) -> EdgeResult<worker::Response> {
    let site = SiteId::parse(site)?;
    let call: crate::journal::FillCall = internal::request_json(req).await?;
    let answer: serde_json::Value = internal::call(&internal::journal_stub(env, &site)?, "/fill", &(), Some(&call)).await?;
    Ok(worker::Response::from_json(&answer)?)
}

/// `POST /v1/dev/presence/{site}/simulate` (`make bench`): page views of simulated
/// visitors, kept by their shards as if each were held open now (see `Presence`).
pub async fn simulate_presence(req: &Request, env: &Env, site: &str) -> EdgeResult<worker::Response> {
    use natter_shared::presence::{shard_of, PageView, SHARDS};
    let site = SiteId::parse(site)?;
    let views: Vec<PageView> = internal::request_json(req).await?;
    let mut by_shard: Vec<Vec<PageView>> = vec![Vec::new(); SHARDS as usize];
    for view in views {
        let view = view.checked().map_err(EdgeError::BadRequest)?;
        by_shard[shard_of(&view.id) as usize].push(view);
    }
    let calls = by_shard.iter().enumerate().map(|(shard, views)| {
        let site = site.clone();
        async move { internal::call::<_, _, usize>(&crate::live::presence_stub(env, &site, shard as u32)?, "/simulate", &site, Some(views)).await }
    });
    let mut kept = 0;
    for answer in futures_util::future::join_all(calls).await {
        kept += answer?;
    }
    Ok(worker::Response::from_json(&kept)?)
}

/// Creates the dev organisation unless it exists (its site's URL is the edge `req` came to).
pub async fn seed(env: &Env, req: &Request) -> EdgeResult<()> {
    if !enabled(env) || SEEDED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let edge = &request::edge_origin(req)?;
    let existing: Option<Login> = internal::call(&internal::account_stub(env, ADMIN.0)?, "/get", &(), None::<&()>).await?;
    if existing.is_none() {
        let sign_up = SignUp {
            organisation: "Natter Demo".into(),
            name: "Demo Operator".into(),
            email: ADMIN.0.into(),
            password: ADMIN.1.into(),
            site_name: "Demo shop".into(),
            site_url: edge.into(),
            time_zone: "UTC".into(),
        };
        let org = OrgId::parse(ORG)?;
        match signup::create_organisation(env, &sign_up, org, Some(SiteId::parse(SITE)?), Some(vec!["*".into()])).await {
            Ok(admin) => {
                let invite = Invite {
                    email: AGENT.0.into(),
                    name: "Demo Agent".into(),
                    title: String::new(),
                    role: Role::Agent,
                    sites: vec![SiteId::parse(SITE)?],
                };
                let invitation = admin::invite_operator(env, &admin, invite, edge).await?;
                let token = invitation.link.rsplit_once("#join=").map(|(_, t)| t.to_owned()).unwrap_or_default();
                signup::set_password_by_link(env, &token, LinkKind::Invitation, AGENT.1).await?;
                // A developer (and the tests) start far more conversations from one
                // address than a visitor: the demo site's limits are raised. A new
                // site gets the safe defaults.
                let settings = WidgetSettings { rate_limits: DEV_RATE_LIMITS, ..WidgetSettings::default() };
                let site = SiteId::parse(SITE)?;
                let _: SettingsDocument = internal::call(&internal::site_stub(env, &site)?, "/settings/save", &site, Some(&settings)).await?;
            }
            // Another request is seeding at this moment.
            Err(EdgeError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    SEEDED.store(true, Ordering::Relaxed);
    Ok(())
}
