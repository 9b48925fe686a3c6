//! The out-of-the-box dev site: site `demo` (any origin may embed it) and operator
//! `demo@natter.dev` / `natter-demo`. Created lazily, and only when the `NATTER_DEV`
//! variable is "1", which only `.dev.vars` (written by `make dev` / the tests, never
//! deployed) sets.

use worker::Env;

pub const SITE: &str = "demo";
pub const OPERATOR_EMAIL: &str = "demo@natter.dev";
pub const OPERATOR_PASSWORD: &str = "natter-demo";
pub const OPERATOR_NAME: &str = "Demo Operator";

/// Whether this Worker runs as a local dev server.
pub fn enabled(env: &Env) -> bool {
    env.var("NATTER_DEV").map(|v| v.to_string() == "1").unwrap_or(false)
}
