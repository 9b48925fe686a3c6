//! The Natter Worker: routes and validates every request, and only then hands it to a
//! Durable Object ([`conversation::Conversation`], [`site::Site`],
//! [`organisation::Organisation`], [`account::Account`]). Nothing here keeps state. Static files (the loader, the
//! widget, the console, demo pages) are served by `[assets]` before this code runs.

mod account;
mod admin;
mod attachments;
mod auth;
mod canned;
mod channels;
mod console;
mod conversation;
mod crm;
mod daily_report;
mod dev;
mod error;
mod figures;
mod files;
mod inbox;
mod internal;
mod journal;
mod journal_report;
mod journal_routes;
mod lifecycle;
mod live;
mod mail;
mod notifications;
mod organisation;
mod outgoing;
mod passwords;
mod presence;
mod ratelimit;
mod request;
mod routes;
mod signup;
mod site;
mod summaries;
mod throttle;
mod transcripts;
mod turns;
mod webhooks;
mod workplace;

use worker::{event, Context, Env, Request, Response};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let origin = req.headers().get("Origin").ok().flatten();
    let response = match routes::handle(req, &env).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    routes::with_cors(response, origin.as_deref())
}
