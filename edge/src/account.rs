//! The `Account` Durable Object: one per operator e-mail address (lower case), holding
//! the operator's site, name and password hash. Sign-in asks it; the Worker then signs
//! the session token.

use natter_shared::ids::{OperatorId, SiteId};
use natter_shared::password;
use natter_shared::protocol::{Role, SignIn};
use serde::Deserialize;
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorage, State};

use crate::auth;
use crate::dev;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Account as AccountInfo};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS account (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    site TEXT NOT NULL,
    operator TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL
);";

#[derive(Deserialize)]
struct AccountRow {
    site: String,
    operator: String,
    name: String,
    /// `admin` or `agent`, as [`Role`] serializes.
    role: String,
    password_hash: String,
}

#[durable_object]
pub struct Account {
    state: State,
    env: Env,
}

impl DurableObject for Account {
    fn new(state: State, env: Env) -> Self {
        internal::create_tables(&state, "account", SCHEMA);
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        Ok(self.sign_in(&mut req).await.unwrap_or_else(EdgeError::into_response))
    }
}

impl Account {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    async fn sign_in(&self, req: &mut Request) -> EdgeResult<Response> {
        let email: String = internal::context(req)?;
        let attempt: SignIn = req.json().await?;
        let dev_operator = dev::OPERATORS.iter().find(|o| o.email == email).filter(|_| dev::enabled(&self.env));
        let account = match (self.load()?, dev_operator) {
            (Some(account), _) => Some(account),
            (None, Some(dev_operator)) => Some(self.create_dev_operator(dev_operator)?),
            (None, None) => None,
        };
        // The same answer for an unknown address and a wrong password.
        let account = account
            .filter(|a| password::verify(&attempt.password, &a.password_hash))
            .ok_or(EdgeError::WrongCredentials)?;
        let info = AccountInfo {
            site: SiteId::parse(&account.site)?,
            operator: OperatorId::parse(&account.operator)?,
            name: account.name,
            role: role_from_column(&account.role)?,
        };
        Ok(Response::from_json(&info)?)
    }

    fn load(&self) -> EdgeResult<Option<AccountRow>> {
        Ok(self.sql().exec("SELECT * FROM account WHERE id = 1", None)?.to_array::<AccountRow>()?.pop())
    }

    fn create_dev_operator(&self, dev: &dev::DevOperator) -> EdgeResult<AccountRow> {
        let row = AccountRow {
            site: dev::SITE.into(),
            operator: OperatorId::from_random(auth::random_bytes()?).to_string(),
            name: dev.name.into(),
            role: role_column(dev.role).into(),
            password_hash: password::hash(dev.password, auth::random_bytes()?),
        };
        self.sql().exec(
            "INSERT INTO account (id, site, operator, name, role, password_hash) VALUES (1, ?, ?, ?, ?, ?)",
            vec![
                row.site.as_str().into(),
                row.operator.as_str().into(),
                row.name.as_str().into(),
                row.role.as_str().into(),
                row.password_hash.as_str().into(),
            ],
        )?;
        Ok(row)
    }
}

fn role_column(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Agent => "agent",
    }
}

fn role_from_column(column: &str) -> EdgeResult<Role> {
    match column {
        "admin" => Ok(Role::Admin),
        "agent" => Ok(Role::Agent),
        other => Err(EdgeError::Internal(format!("Stored role {other:?}"))),
    }
}
