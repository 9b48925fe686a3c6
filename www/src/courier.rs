//! Replies typed while the edge could not be reached wait in `localStorage`, one outbox
//! per conversation (`natter.console.outbox.{site}.{conversation}`). The open
//! conversation sends its own; the courier sends every other one as soon as the
//! console connects, whatever is open, over a socket of its own that closes once the
//! edge has acknowledged them all.

use std::rc::Rc;

use leptos::prelude::*;
use natter_shared::ids::{ConversationId, Seq, SiteId};
use natter_shared::protocol::{ClientFrame, ServerFrame, PROTOCOL_VERSION};
use natter_widget::json;
use natter_widget::net::{Listener, Socket};
use natter_widget::outbox::Outbox;

use crate::session::{socket_url, Console};

const PREFIX: &str = "natter.console.outbox.";

/// The outbox of a conversation of a site.
pub fn outbox_key(site: &SiteId, conversation: &ConversationId) -> String {
    format!("{PREFIX}{site}.{conversation}")
}

/// The conversations with replies waiting in this browser.
fn waiting() -> Vec<(SiteId, ConversationId)> {
    let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) else { return Vec::new() };
    let count = storage.length().unwrap_or(0);
    (0..count)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter_map(|key| {
            let (site, conversation) = key.strip_prefix(PREFIX)?.split_once('.')?;
            Some((SiteId::parse(site).ok()?, ConversationId::parse(conversation).ok()?))
        })
        .filter(|(site, conversation)| !Outbox::new(outbox_key(site, conversation)).items().is_empty())
        .collect()
}

/// Sends one conversation's waiting replies, then stops.
struct Courier {
    outbox: Outbox,
    socket: StoredValue<Option<Socket>, LocalStorage>,
}

impl Listener for Courier {
    fn opened(&self, socket: &Socket) {
        // Nothing of the history is wanted: only the acks.
        socket.send(&ClientFrame::Hello { protocol: PROTOCOL_VERSION, after: Seq(i64::MAX as u64), page: None });
        for pending in self.outbox.items() {
            socket.send(&pending.frame());
        }
    }

    fn frame(&self, _socket: &Socket, text: &str) {
        if let Some(ServerFrame::Ack { client_id, .. }) = json::JsObject::parse(text).and_then(ServerFrame::read_object) {
            self.outbox.acked(&client_id);
            if self.outbox.items().is_empty() {
                self.socket.with_value(|s| s.as_ref().map(Socket::stop));
            }
        }
    }

    fn closed(&self) {}
}

/// Sends every conversation's waiting replies but the one open in this tab.
pub fn deliver_waiting(console: Console) {
    let open = console.selected.get_untracked();
    for (site, conversation) in waiting() {
        if open.as_ref() == Some(&conversation) {
            continue;
        }
        let socket = StoredValue::new_local(None);
        let courier = Courier { outbox: Outbox::new(outbox_key(&site, &conversation)), socket };
        let path = format!("/v1/console/sites/{site}/conversations/{conversation}/ws");
        let connected = Socket::connect(
            move || console.session.with_untracked(|s| s.as_ref().map(|s| socket_url(s, &path))).unwrap_or_default(),
            Rc::new(courier),
        );
        socket.set_value(Some(connected));
    }
}
