//! One conversation as a client holds it, the visitor's widget and an operator's console
//! alike: the log, the outbox of messages the edge has not acknowledged, how far the
//! other side has read and whether they are typing, and what every client does with the
//! frames of the conversation's socket. The owner (the widget's `Chat`, the console's
//! thread) gives it the way out (a [`Wire`]) and handles what only it cares about.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::ids::Seq;
use natter_shared::protocol::{Author, AuthorKind, ClientFrame, ErrorCode, PageContext, ServerFrame, PROTOCOL_VERSION};

use crate::log::{Log, Pending};
use crate::net::{self, NetError, Socket};
use crate::outbox::Outbox;
use crate::tabs::Link;
use crate::time::{now, sleep};
use crate::typing::Indicator;

/// The way frames go out: a socket of one's own, or the one a visitor's tabs share.
pub trait Wire {
    /// Sends a frame; whether it went out.
    fn send(&self, frame: &ClientFrame) -> bool;
    /// Whether this client sends the outbox again after a hold (a tab that does not
    /// hold the shared socket leaves it to the one that does).
    fn leads(&self) -> bool {
        true
    }
    /// Drops the connection and connects again at once.
    fn reconnect(&self);
    /// Closes for good.
    fn stop(&self);
}

impl Wire for Socket {
    fn send(&self, frame: &ClientFrame) -> bool {
        Socket::send(self, frame)
    }
    fn reconnect(&self) {
        Socket::reconnect(self)
    }
    fn stop(&self) {
        Socket::stop(self)
    }
}

impl Wire for Link {
    fn send(&self, frame: &ClientFrame) -> bool {
        Link::send(self, frame)
    }
    fn leads(&self) -> bool {
        Link::leads(self)
    }
    fn reconnect(&self) {
        Link::reconnect(self)
    }
    fn stop(&self) {
        Link::stop(self)
    }
}

/// The words a client shows for what happens here, in its own language.
#[derive(Clone, Copy)]
pub struct Notices {
    /// The edge refused a message as too fast; it goes again in a moment.
    pub too_fast: &'static str,
    /// The browser would not keep an unsent message.
    pub cannot_store: &'static str,
}

#[derive(Clone, Copy)]
pub struct Conversation {
    pub log: RwSignal<Log>,
    /// How far the other side (the operators, or the visitor) has read.
    pub their_read: RwSignal<Seq>,
    /// The other side typing now, if anyone.
    pub their_typing: Indicator,
    /// The last problem to show (cleared by the next success).
    pub problem: RwSignal<Option<String>>,
    /// Who this client writes as.
    me: StoredValue<Author>,
    outbox: StoredValue<Outbox>,
    /// The edge refused a message as too fast: the outbox goes again once the time it
    /// said has passed, and nothing is sent before (so the refused message keeps its
    /// place ahead of newer ones).
    held: StoredValue<bool>,
    /// A page of earlier messages was asked for and has not come yet.
    asking_earlier: StoredValue<bool>,
    wire: StoredValue<Option<Rc<dyn Wire>>, LocalStorage>,
    notices: StoredValue<Rc<dyn Fn() -> Notices>, LocalStorage>,
}

/// A message just typed, checked (see [`Pending::typed`]), with a fresh id.
pub fn typed(text: &str) -> Result<Pending, natter_shared::Error> {
    Pending::typed(text, &net::random_id(), now())
}

impl Conversation {
    /// A conversation whose unsent messages wait under `outbox_key`: those not stored
    /// yet are shown as pending at once (stored ones come back with the history).
    pub fn new(outbox_key: String, me: Author, notices: impl Fn() -> Notices + 'static) -> Conversation {
        let conversation = Conversation {
            log: RwSignal::new(Log::default()),
            their_read: RwSignal::new(Seq(0)),
            their_typing: Indicator::new(),
            problem: RwSignal::new(None),
            me: StoredValue::new(me),
            outbox: StoredValue::new(Outbox::new(outbox_key)),
            held: StoredValue::new(false),
            asking_earlier: StoredValue::new(false),
            wire: StoredValue::new_local(None),
            notices: StoredValue::new_local(Rc::new(notices)),
        };
        conversation.log.update(|log| {
            for pending in conversation.waiting().into_iter().filter(|p| p.stored.is_none()) {
                log.add_pending(&pending, pending.author(conversation.me.get_value()));
            }
        });
        conversation
    }

    fn notices(&self) -> Notices {
        self.notices.with_value(|notices| notices())
    }

    /// Frames go out this way from now on; the way before is closed.
    pub fn connect(&self, wire: Rc<dyn Wire>) {
        self.disconnect();
        self.wire.set_value(Some(wire));
    }

    /// Closes the way out; whether there was one. Frames go nowhere until `connect`.
    pub fn disconnect(&self) -> bool {
        let wire = self.wire.try_update_value(Option::take).flatten();
        wire.map(|wire| wire.stop()).is_some()
    }

    /// Connects again at once (the owner's credentials changed).
    pub fn reconnect(&self) {
        self.wire.with_value(|wire| wire.as_ref().map(|wire| wire.reconnect()));
    }

    /// Sends a frame if there is a way out; whether it went.
    pub fn send(&self, frame: &ClientFrame) -> bool {
        self.wire.with_value(|wire| wire.as_ref().is_some_and(|wire| wire.send(frame)))
    }

    /// What waits in the outbox, oldest first.
    pub fn waiting(&self) -> Vec<Pending> {
        self.outbox.with_value(Outbox::items)
    }

    /// Takes out of the outbox what the edge stored already (in a conversation being
    /// left): only its ack is missing.
    pub fn take_stored(&self) -> Vec<Pending> {
        self.outbox.with_value(Outbox::take_stored)
    }

    /// Shows a message as pending, keeps it in the outbox and sends it (unless held).
    pub fn queue(&self, pending: Pending) {
        self.log.update(|log| log.add_pending(&pending, pending.author(self.me.get_value())));
        let kept = self.outbox.with_value(|outbox| outbox.push(&pending));
        if !kept {
            self.problem.set(Some(self.notices().cannot_store.into()));
        } else if !self.held.get_value() && pending.rule.is_none() {
            // The visitor wrote again: an earlier problem is behind them. A rule's
            // message is not the visitor's doing and leaves it (a refused file, say).
            self.problem.set(None);
        }
        if !self.held.get_value() {
            self.send(&pending.frame());
        }
    }

    /// Uploads a file and queues it as a message.
    pub async fn upload(self, url: &str, file: &web_sys::File, token: &str) -> Result<(), NetError> {
        let attachment = net::upload(url, file, token).await?;
        let pending = Pending::file(attachment, &net::random_id(), now()).map_err(|e| NetError(e.to_string()))?;
        self.queue(pending);
        Ok(())
    }

    /// The socket (re)opened: hello, asking for what came after what is shown.
    pub fn hello(&self, page: Option<PageContext>) -> bool {
        let after = self.log.with_untracked(Log::resume_after);
        self.send(&ClientFrame::Hello { protocol: PROTOCOL_VERSION, after, page })
    }

    /// Everything not acked yet goes again; the edge stores each client id once.
    pub fn resend(&self) -> bool {
        self.waiting().iter().all(|pending| self.send(&pending.frame()))
    }

    /// The edge refused a message as too fast: the outbox goes again (once) after the
    /// seconds it said; everything stays pending meanwhile.
    fn hold(self, retry_after: u32) {
        self.problem.set(Some(self.notices().too_fast.into()));
        if self.held.get_value() {
            return;
        }
        self.held.set_value(true);
        spawn_local(async move {
            sleep(retry_after.clamp(1, 3_600) as i32 * 1000).await;
            self.held.set_value(false);
            if self.wire.with_value(|wire| wire.as_ref().is_some_and(|wire| wire.leads())) {
                self.resend();
            }
        });
    }

    /// Asks for the page of messages before the oldest shown (one question at a time).
    pub fn load_earlier(&self) {
        let before = self.log.with_untracked(|log| log.has_earlier().then(|| log.earlier_before()));
        if let Some(before) = before.filter(|_| !self.asking_earlier.get_value()) {
            let sent = self.send(&ClientFrame::Earlier { before });
            self.asking_earlier.set_value(sent);
        }
    }

    /// What every client does with a frame from the edge; the owner then does its own.
    pub fn take(&self, frame: &ServerFrame) {
        let me = self.me.with_value(|me| me.kind);
        match frame {
            ServerFrame::Welcome { operator_read, visitor_read, from, .. } => {
                self.log.update(|log| log.start_at(*from));
                self.asking_earlier.set_value(false);
                self.their_read.set(if me == AuthorKind::Visitor { *operator_read } else { *visitor_read });
            }
            ServerFrame::Ack { client_id, seq, .. } => {
                self.outbox.with_value(|outbox| outbox.acked(client_id));
                self.log.update(|log| log.ack(client_id, *seq));
                if !self.held.get_value() && self.problem.with_untracked(|p| p.as_deref() == Some(self.notices().too_fast)) {
                    self.problem.set(None);
                }
            }
            ServerFrame::Message(message) => {
                // Our own message's echo comes before its ack (the edge acks once the
                // site heard of it): it is stored, whatever happens to the ack.
                if self.log.with_untracked(|log| log.is_pending(&message.client_id)) {
                    self.outbox.with_value(|outbox| outbox.stored(&message.client_id, message.seq));
                }
                if message.author.kind != me {
                    self.their_typing.set(None);
                }
                self.log.update(|log| log.apply(message.clone()));
            }
            ServerFrame::Typing { author, name, typing } if *author != me => self.their_typing.set(typing.then(|| name.clone())),
            ServerFrame::Read { by, seq } if *by != me => self.their_read.update(|read| *read = (*read).max(*seq)),
            ServerFrame::Earlier { before, messages } => {
                self.asking_earlier.set_value(false);
                self.log.update(|log| log.prepend(*before, messages.clone()));
            }
            // A page of history asked too often is asked again by scrolling; a message
            // refused as too fast goes again after the time said. (Which one it was is
            // not said: with messages waiting, they wait, so none is left behind.)
            ServerFrame::Error(error) if error.code == ErrorCode::RateLimited => {
                let asked = self.asking_earlier.get_value();
                self.asking_earlier.set_value(false);
                if !asked || !self.waiting().is_empty() {
                    self.hold(error.retry_after.unwrap_or(1));
                }
            }
            _ => {}
        }
    }

    /// The socket closed (it reconnects by itself).
    pub fn closed(&self) {
        self.their_typing.set(None);
        // A page asked for on the socket that closed will not come: ask again later.
        self.asking_earlier.set_value(false);
    }

    /// Starts the log afresh for another conversation, keeping what `keep` keeps.
    pub fn restart(&self, keep: impl FnOnce(&mut Log)) {
        self.log.update(keep);
        self.their_read.set(Seq(0));
    }
}
