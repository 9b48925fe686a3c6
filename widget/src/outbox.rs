//! The outbox: messages typed but not acknowledged yet, kept in `localStorage` so a
//! reload, a closed tab or a dead socket loses none. Everything in it is sent again on
//! every (re)connect; the edge stores each client message id once.

use natter_shared::ids::{ClientMessageId, Seq};

use crate::log::Pending;
use crate::storage;

/// One outbox, under one storage key.
#[derive(Clone, Debug)]
pub struct Outbox {
    key: String,
}

impl Outbox {
    pub fn new(key: String) -> Outbox {
        Outbox { key }
    }

    /// What waits, oldest first.
    pub fn items(&self) -> Vec<Pending> {
        storage::load(&self.key).unwrap_or_default()
    }

    /// Keeps a new message; false when the browser refuses to store it.
    pub fn push(&self, pending: &Pending) -> bool {
        let mut items = self.items();
        items.push(pending.clone());
        storage::save(&self.key, &items)
    }

    /// Forgets a message the edge acknowledged; it, if it was still waiting here (a
    /// repeated ack finds nothing).
    pub fn acked(&self, client_id: &ClientMessageId) -> Option<Pending> {
        let (acked, waiting): (Vec<Pending>, Vec<Pending>) = self.items().into_iter().partition(|p| &p.client_id == client_id);
        storage::save(&self.key, &waiting);
        acked.into_iter().next()
    }

    /// Notes that the edge stored a message still waiting for its ack (its echo came
    /// first). Nothing is written unless the message is waiting here unmarked.
    pub fn stored(&self, client_id: &ClientMessageId, seq: Seq) {
        let mut items = self.items();
        let Some(item) = items.iter_mut().find(|p| &p.client_id == client_id && p.stored.is_none()) else { return };
        item.stored = Some(seq);
        storage::save(&self.key, &items);
    }

    /// Takes out the messages stored already (in the conversation being left); what
    /// stays goes to the next one.
    pub fn take_stored(&self) -> Vec<Pending> {
        let (stored, waiting): (Vec<Pending>, Vec<Pending>) = self.items().into_iter().partition(|p| p.stored.is_some());
        if !stored.is_empty() {
            storage::save(&self.key, &waiting);
        }
        stored
    }
}
