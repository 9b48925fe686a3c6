//! Canned replies, kept by the `Site` object: the site's own (admins manage them) and
//! each operator's personal ones (only they see and change theirs).

use natter_shared::ids::OperatorId;
use natter_shared::settings::Language;
use natter_shared::shift::{CannedDraft, CannedReply, MAX_CANNED};
use serde::{Deserialize, Serialize};
use worker::Response;

use crate::auth;
use crate::error::{EdgeError, EdgeResult};
use crate::site::Site;

pub const SCHEMA: &str = "
-- `owner` is the operator of a personal reply, NULL for the site's.
CREATE TABLE IF NOT EXISTS canned (
    id TEXT PRIMARY KEY,
    owner TEXT,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    language TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS canned_by_owner ON canned (owner);";

/// What the Worker asks of the site's canned replies (`POST /canned`), for an operator
/// whose role it checked. Each answers the operator's list.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum CannedCall {
    List { operator: OperatorId },
    /// A new reply (`id` none) or a change to one.
    Save { operator: OperatorId, admin: bool, id: Option<String>, draft: CannedDraft },
    Delete { operator: OperatorId, admin: bool, id: String },
}

#[derive(Deserialize)]
struct CannedRow {
    id: String,
    owner: Option<String>,
    title: String,
    text: String,
    language: String,
}

#[derive(Deserialize)]
struct CountRow {
    n: i64,
}

fn language_column(language: Language) -> &'static str {
    match language {
        Language::Ru => "ru",
        Language::En => "en",
    }
}

impl Site {
    pub(crate) fn canned(&self, call: CannedCall) -> EdgeResult<Response> {
        let operator = match call {
            CannedCall::List { operator } => operator,
            CannedCall::Save { operator, admin, id, draft } => {
                draft.check().map_err(EdgeError::BadRequest)?;
                if !draft.personal && !admin {
                    return Err(EdgeError::Forbidden("Only admins manage the site's canned replies; save it as your own"));
                }
                let owner = draft.personal.then(|| operator.as_str().to_owned());
                match id {
                    Some(id) => {
                        self.check_may_change(&operator, admin, &id)?;
                        self.sql().exec(
                            "UPDATE canned SET owner = ?, title = ?, text = ?, language = ? WHERE id = ?",
                            vec![owner.into(), draft.title.trim().into(), draft.text.trim().into(), language_column(draft.language).into(), id.into()],
                        )?;
                    }
                    None => {
                        let count: Vec<CountRow> = self
                            .sql()
                            .exec("SELECT COUNT(*) AS n FROM canned WHERE owner IS ?", vec![owner.clone().into()])?
                            .to_array()?;
                        if count.first().map_or(0, |c| c.n) >= MAX_CANNED as i64 {
                            return Err(EdgeError::BadRequest(format!("At most {MAX_CANNED} canned replies")));
                        }
                        let id: String = auth::random_bytes()?.iter().map(|b| format!("{b:02x}")).collect();
                        self.sql().exec(
                            "INSERT INTO canned (id, owner, title, text, language, at) VALUES (?, ?, ?, ?, ?, ?)",
                            vec![
                                id.into(),
                                owner.into(),
                                draft.title.trim().into(),
                                draft.text.trim().into(),
                                language_column(draft.language).into(),
                                (auth::now() as i64).into(),
                            ],
                        )?;
                    }
                }
                operator
            }
            CannedCall::Delete { operator, admin, id } => {
                self.check_may_change(&operator, admin, &id)?;
                self.sql().exec("DELETE FROM canned WHERE id = ?", vec![id.into()])?;
                operator
            }
        };
        Ok(Response::from_json(&self.canned_for(&operator)?)?)
    }

    /// A personal reply is its owner's to change; the site's are the admins'.
    fn check_may_change(&self, operator: &OperatorId, admin: bool, id: &str) -> EdgeResult<()> {
        let rows: Vec<CannedRow> = self.sql().exec("SELECT * FROM canned WHERE id = ?", vec![id.into()])?.to_array()?;
        let row = rows.into_iter().next().ok_or_else(|| EdgeError::NotFound("No such canned reply".into()))?;
        match row.owner {
            Some(owner) if owner == operator.as_str() => Ok(()),
            None if admin => Ok(()),
            Some(_) => Err(EdgeError::NotFound("No such canned reply".into())),
            None => Err(EdgeError::Forbidden("Only admins manage the site's canned replies")),
        }
    }

    /// The site's replies and the operator's own, by title.
    fn canned_for(&self, operator: &OperatorId) -> EdgeResult<Vec<CannedReply>> {
        let rows: Vec<CannedRow> = self
            .sql()
            .exec("SELECT * FROM canned WHERE owner IS NULL OR owner = ? ORDER BY title COLLATE NOCASE", vec![operator.as_str().into()])?
            .to_array()?;
        Ok(rows
            .into_iter()
            .map(|row| CannedReply {
                personal: row.owner.is_some(),
                id: row.id,
                title: row.title,
                text: row.text,
                language: Language::from_tag(&row.language).unwrap_or_default(),
            })
            .collect())
    }
}
