//! The out-of-the-box dev site: site `demo` (any origin may embed it), its admin
//! `demo@natter.dev` / `natter-demo` and an agent without admin rights,
//! `agent@natter.dev` / `natter-agent`. Created lazily, and only when the `NATTER_DEV`
//! variable is "1", which only `.dev.vars` (written by `make dev` / the tests, never
//! deployed) sets.

use natter_shared::protocol::Role;
use worker::Env;

pub const SITE: &str = "demo";

/// A dev operator account.
pub struct DevOperator {
    pub email: &'static str,
    pub password: &'static str,
    pub name: &'static str,
    pub role: Role,
}

pub const OPERATORS: [DevOperator; 2] = [
    DevOperator { email: "demo@natter.dev", password: "natter-demo", name: "Demo Operator", role: Role::Admin },
    DevOperator { email: "agent@natter.dev", password: "natter-agent", name: "Demo Agent", role: Role::Agent },
];

/// Whether this Worker runs as a local dev server.
pub fn enabled(env: &Env) -> bool {
    env.var("NATTER_DEV").map(|v| v.to_string() == "1").unwrap_or(false)
}
