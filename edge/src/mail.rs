//! E-mail through Cloudflare's `send_email` binding (`EMAIL` in wrangler.toml; `wrangler
//! dev` writes each message to a file and logs where). Sent only when the deployment
//! names a sender, the `MAIL_FROM` variable: without it Natter sends nothing and the
//! console shows links to copy instead.

use worker::{EmailAddress, Env, SendEmailBuilder};

/// The sender, if e-mail is on.
fn sender(env: &Env) -> Option<String> {
    env.var("MAIL_FROM").ok().map(|v| v.to_string()).filter(|v| v.contains('@'))
}

/// Whether this deployment sends e-mail.
pub fn enabled(env: &Env) -> bool {
    sender(env).is_some()
}

/// Sends a plain-text e-mail, from `name` (a site's, say) at the deployment's address
/// if given; true when the binding took it. A failure is logged, never shown to whoever
/// caused it (it would tell them whether the address exists).
pub async fn send(env: &Env, name: Option<&str>, to: &str, subject: &str, text: &str) -> bool {
    let Some(from) = sender(env) else { return false };
    let attempt = async {
        let message = SendEmailBuilder::new(&from, to, subject);
        if let Some(name) = name {
            message.set_from_with_email_address(&EmailAddress::new(name, &from));
        }
        message.set_text(text);
        env.send_email("EMAIL")?.send_with_builder(&message).await.map_err(worker::Error::from)?;
        Ok::<(), worker::Error>(())
    };
    match attempt.await {
        Ok(()) => true,
        Err(e) => {
            worker::console_error!("e-mail to {to} failed: {e}");
            false
        }
    }
}
