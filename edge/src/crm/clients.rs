//! The CRMs' REST APIs, the subset Natter calls. amoCRM (API v4, OAuth 2.0): the
//! token exchange and refresh (`/oauth2/access_token`), contacts and leads
//! (`/api/v4/contacts`, `/api/v4/leads`) and a lead's note (the transcript). Bitrix24
//! (an incoming webhook): `crm.contact.fields` (to check the address),
//! `crm.contact.add`, `crm.contact.update`, `crm.lead.add`.

use serde_json::{json, Value};
use worker::{Fetch, Headers, Method, Request, RequestInit};

/// An answer: its status and JSON body (null when it had none).
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

/// Sends a JSON request; `Err` only when the service could not be reached.
pub async fn send(method: Method, url: &str, bearer: Option<&str>, body: &Value) -> Result<Answer, String> {
    let headers = Headers::new();
    let attempt = async {
        headers.set("Content-Type", "application/json")?;
        if let Some(token) = bearer {
            headers.set("Authorization", &format!("Bearer {token}"))?;
        }
        let mut init = RequestInit::new();
        init.with_method(method).with_headers(headers.clone()).with_body(Some(body.to_string().into()));
        let mut response = Fetch::Request(Request::new_with_init(url, &init)?).send().await?;
        let status = response.status_code();
        let text = response.text().await?;
        Ok::<Answer, worker::Error>(Answer { status, body: serde_json::from_str(&text).unwrap_or(Value::Null) })
    };
    attempt.await.map_err(|e| format!("it did not answer: {e}"))
}

/// What a contact holds: the name, and e-mail and phone when known.
pub struct ContactFields<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub phone: &'a str,
}

/// amoCRM's contact body: the name and the system fields EMAIL and PHONE (work).
pub fn amocrm_contact(fields: &ContactFields) -> Value {
    let mut custom = Vec::new();
    for (code, value) in [("EMAIL", fields.email), ("PHONE", fields.phone)] {
        if !value.is_empty() {
            custom.push(json!({ "field_code": code, "values": [{ "value": value, "enum_code": "WORK" }] }));
        }
    }
    let mut contact = json!({ "name": fields.name });
    if !custom.is_empty() {
        contact["custom_fields_values"] = Value::Array(custom);
    }
    contact
}

/// The id amoCRM gave the first entity it made (`_embedded.{kind}[0].id`).
pub fn amocrm_created(body: &Value, kind: &str) -> Option<String> {
    let id = body.get("_embedded")?.get(kind)?.get(0)?.get("id")?;
    Some(id.as_i64().map_or_else(|| id.as_str().unwrap_or_default().to_owned(), |n| n.to_string())).filter(|id| !id.is_empty())
}

/// Bitrix24's contact fields.
pub fn bitrix_contact(fields: &ContactFields) -> Value {
    let mut contact = json!({ "NAME": fields.name, "SOURCE_ID": "WEB", "OPENED": "Y" });
    if !fields.email.is_empty() {
        contact["EMAIL"] = json!([{ "VALUE": fields.email, "VALUE_TYPE": "WORK" }]);
    }
    if !fields.phone.is_empty() {
        contact["PHONE"] = json!([{ "VALUE": fields.phone, "VALUE_TYPE": "WORK" }]);
    }
    contact
}

/// Why a CRM call failed, in the CRM's own words where it gave them.
pub fn reason(answer: &Answer) -> String {
    let text = |key: &str| answer.body.get(key).and_then(Value::as_str).map(str::to_owned);
    let said = text("error_description").or_else(|| text("detail")).or_else(|| text("hint")).or_else(|| text("title")).or_else(|| text("error"));
    format!("it answered {}{}", answer.status, said.map(|s| format!(": {s}")).unwrap_or_default())
}

/// Bitrix24's `result` (a new id, a number), if the call went through.
pub fn bitrix_result(answer: &Answer) -> Result<String, String> {
    match answer.body.get("result") {
        Some(Value::Number(n)) if answer.status == 200 => Ok(n.to_string()),
        Some(Value::String(s)) if answer.status == 200 => Ok(s.clone()),
        Some(Value::Bool(true)) | Some(Value::Object(_)) if answer.status == 200 => Ok(String::new()),
        _ => Err(reason(answer)),
    }
}
