//! The `Account` Durable Object: one per e-mail address (lower case). It keeps which
//! organisation and operator the address signs in as, and the password hash, so an
//! address belongs to one operator at most (claimed when they sign up or are invited).
//! The Worker hashes and checks passwords; this object only stores.

use natter_shared::ids::{OperatorId, OrgId};
use serde::Deserialize;
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorage, State};

use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Login};

const SCHEMA: &str = "
DROP TABLE IF EXISTS account;
CREATE TABLE IF NOT EXISTS login (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    org TEXT NOT NULL,
    operator TEXT NOT NULL,
    password_hash TEXT NOT NULL
);";

#[derive(Deserialize)]
struct LoginRow {
    org: String,
    operator: String,
    password_hash: String,
}

#[durable_object]
pub struct Account {
    state: State,
}

impl DurableObject for Account {
    fn new(state: State, _env: Env) -> Self {
        internal::update_tables(&state, "account", SCHEMA);
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        Ok(self.route(&mut req).await.unwrap_or_else(EdgeError::into_response))
    }
}

impl Account {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    async fn route(&self, req: &mut Request) -> EdgeResult<Response> {
        let path = req.path();
        if path == "/claim" {
            internal::create_tables(&self.state, "account", SCHEMA);
        } else if !internal::has_tables(&self.state) {
            // An address nobody claimed: nothing to read, change or free.
            return Ok(Response::from_json(&if path == "/get" { serde_json::Value::Null } else { serde_json::json!({}) })?);
        }
        match path.as_str() {
            // → `Option<Login>`
            "/get" => Ok(Response::from_json(&self.load()?)?),
            // Takes the address for an operator; 409 if it has one already.
            "/claim" => {
                let login: Login = req.json().await?;
                let claimed = self.sql().exec(
                    "INSERT OR IGNORE INTO login (id, org, operator, password_hash) VALUES (1, ?, ?, ?)",
                    vec![login.org.as_str().into(), login.operator.as_str().into(), login.password_hash.as_str().into()],
                )?;
                if claimed.rows_written() == 0 {
                    return Err(EdgeError::Conflict("This e-mail address already has a Natter account".into()));
                }
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            "/password" => {
                let hash: String = req.json().await?;
                self.sql().exec("UPDATE login SET password_hash = ? WHERE id = 1", vec![hash.as_str().into()])?;
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            "/release" => {
                self.sql().exec("DELETE FROM login", None)?;
                Ok(Response::from_json(&serde_json::json!({}))?)
            }
            other => Err(EdgeError::NotFound(format!("No account route {other}"))),
        }
    }

    fn load(&self) -> EdgeResult<Option<Login>> {
        let rows: Vec<LoginRow> = self.sql().exec("SELECT * FROM login WHERE id = 1", None)?.to_array()?;
        rows.into_iter()
            .next()
            .map(|row| {
                Ok(Login { org: OrgId::parse(&row.org)?, operator: OperatorId::parse(&row.operator)?, password_hash: row.password_hash })
            })
            .transpose()
    }
}
