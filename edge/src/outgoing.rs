//! An operator starts a chat with a visitor on the site (the Visitors table's "Start
//! chat"): their message goes into the visitor's conversation, which it creates for a
//! visitor who had none. Such a conversation is outgoing: its first message (that a
//! rule did not send) is the operator's.

use natter_shared::ids::{ClientMessageId, Seq, VisitorId};
use natter_shared::limits::check_message;
use natter_shared::protocol::{Author, AuthorKind, Message, PageContext, ServerFrame};
use serde::{Deserialize, Serialize};
use worker::Response;

use crate::auth;
use crate::conversation::Conversation;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::Participant;

#[derive(Serialize, Deserialize)]
pub struct OutgoingCall {
    /// The operator.
    pub author: Participant,
    pub text: String,
    /// For a visitor without a conversation: who they are and where, to create it.
    pub new_visitor: Option<NewVisitor>,
}

#[derive(Serialize, Deserialize)]
pub struct NewVisitor {
    pub visitor: VisitorId,
    pub name: String,
    pub page: PageContext,
}

/// The operator's message, stored.
#[derive(Serialize, Deserialize)]
pub struct Started {
    pub seq: Seq,
}

impl Conversation {
    pub(crate) async fn operator_starts(&self, call: OutgoingCall) -> EdgeResult<Response> {
        let text = check_message(&call.text)?;
        let author = &call.author;
        let turn = self.turns.take().await;
        if self.meta()?.is_none() {
            let Some(new) = &call.new_visitor else {
                return Err(EdgeError::NotFound("This visitor has not written yet: their conversation does not exist".into()));
            };
            let visitor = Participant {
                role: AuthorKind::Visitor,
                name: new.name.clone(),
                visitor: Some(new.visitor.clone()),
                operator: None,
                avatar: None,
                user_agent: String::new(),
                restricted: false,
                ..author.clone()
            };
            self.create_for(&visitor, new.page.clone())?;
        }
        let client_id = ClientMessageId::parse(&format!("start-{}", hex(&auth::random_bytes()?)))?;
        let at = auth::now();
        let seq = self
            .insert_message(&client_id, AuthorKind::Operator, &author.name, text, at)?
            .ok_or_else(|| EdgeError::Internal("A new message was not stored".into()))?;
        let avatar = self.keep_avatar(author, seq)?;
        self.mark_read(AuthorKind::Operator, seq)?;
        let message = Message {
            seq,
            client_id,
            author: Author { kind: AuthorKind::Operator, name: author.name.clone(), avatar },
            text: text.to_owned(),
            at,
            attachment: None,
            auto: false,
        };
        self.broadcast(None, &ServerFrame::Message(message));
        drop(turn);
        self.on_operator_message(author).await?;
        self.report_soon(true).await;
        Ok(Response::from_json(&Started { seq })?.with_status(201))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
