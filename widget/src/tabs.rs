//! One socket per browser: the visitor's tabs on one conversation share one WebSocket.
//! They elect a leader with the Web Locks API (the lock is the browser's: it passes to a
//! waiting tab by itself when the leader closes or crashes); the leader holds the
//! socket, and every tab talks over a `BroadcastChannel` named like the lock.
//!
//! - The leader hands each frame from the edge to its own chat and posts it (`in`), so
//!   every tab applies the same stream; frames are safe to apply in any tab (messages by
//!   `seq`, a `welcome` drops nothing a tab has without a gap, a page of earlier
//!   messages only where it was asked).
//! - A follower's frame is posted (`out`) and the leader sends it; the leader's own
//!   frames are posted too (`echo`), so all tabs learn what another one read.
//! - Unsent messages wait in the outbox in `localStorage`, shared by the tabs: a frame
//!   lost with a closing leader goes again when the next leader's socket opens.
//!
//! Where the browser has no Web Locks (or no channel), every tab keeps its own socket.

use std::cell::RefCell;
use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, MessageEvent};

use crate::net::{Listener, Socket};

/// What a tab's [`Link`] reports to its chat.
pub trait Peer {
    /// The shared socket (re)opened. `leads`: this tab holds it (say hello, send what
    /// waits); otherwise `joined` says this tab has just joined it (say hello: the
    /// edge's answer comes to every tab, and each takes what it lacks).
    fn opened(&self, leads: bool, joined: bool);
    /// A frame from the edge, as text.
    fn frame(&self, text: &str);
    /// The shared socket closed; it reconnects by itself.
    fn closed(&self);
    /// The leader's socket keeps failing (see [`Listener::keeps_failing`]).
    fn keeps_failing(&self);
    /// Another tab sent this frame (what it read, for one).
    fn sent_by_another_tab(&self, text: &str);
}

struct Inner {
    peer: Rc<dyn Peer>,
    url: Rc<dyn Fn() -> String>,
    channel: Option<BroadcastChannel>,
    /// Held while this tab leads.
    socket: Option<Socket>,
    /// A follower's belief that the leader's socket is open.
    leader_open: bool,
    /// A follower has said hello on the shared socket.
    joined: bool,
    /// Resolving it gives the lock up.
    release: Option<js_sys::Function>,
    stopped: bool,
    /// The channel's handler and the lock's callback live as long as the link.
    _on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
    _on_lock: Option<Closure<dyn FnMut(JsValue) -> js_sys::Promise>>,
}

/// This tab's way to the conversation's socket, leading or following.
#[derive(Clone)]
pub struct Link(Rc<RefCell<Inner>>);

/// A message on the channel: its kind and, for frames, the frame's text.
fn post(channel: &Option<BroadcastChannel>, kind: &str, frame: Option<&str>) {
    let Some(channel) = channel else { return };
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"k".into(), &kind.into());
    if let Some(frame) = frame {
        let _ = js_sys::Reflect::set(&message, &"f".into(), &frame.into());
    }
    let _ = channel.post_message(&message);
}

fn field(message: &JsValue, name: &str) -> Option<String> {
    js_sys::Reflect::get(message, &name.into()).ok()?.as_string()
}

impl Link {
    /// Joins the tabs on `name` (one per site and conversation); `url` gives the
    /// socket's address whenever this tab leads and (re)connects.
    pub fn join(name: &str, url: impl Fn() -> String + 'static, peer: Rc<dyn Peer>) -> Link {
        let link = Link(Rc::new(RefCell::new(Inner {
            peer,
            url: Rc::new(url),
            channel: BroadcastChannel::new(name).ok(),
            socket: None,
            leader_open: false,
            joined: false,
            release: None,
            stopped: false,
            _on_message: None,
            _on_lock: None,
        })));
        let locks = web_sys::window()
            .and_then(|w| js_sys::Reflect::get(&w.navigator(), &"locks".into()).ok())
            .filter(|locks| !locks.is_undefined() && !locks.is_null());
        let request = locks.as_ref().and_then(|locks| js_sys::Reflect::get(locks, &"request".into()).ok()?.dyn_into::<js_sys::Function>().ok());
        let has_channel = link.0.borrow().channel.is_some();
        match (locks, request, has_channel) {
            (Some(locks), Some(request), true) => {
                link.listen();
                let on_lock = {
                    let link = link.clone();
                    Closure::<dyn FnMut(JsValue) -> js_sys::Promise>::new(move |_lock| {
                        // Held until this promise settles: while the tab lives, or until
                        // the link stops.
                        js_sys::Promise::new(&mut |resolve, _| {
                            let stopped = link.0.borrow().stopped;
                            if stopped {
                                let _ = resolve.call0(&JsValue::UNDEFINED);
                            } else {
                                link.0.borrow_mut().release = Some(resolve);
                                link.lead();
                            }
                        })
                    })
                };
                let _ = request.call2(&locks, &name.into(), on_lock.as_ref().unchecked_ref());
                link.0.borrow_mut()._on_lock = Some(on_lock);
                // A leader that is open answers with `open`.
                post(&link.0.borrow().channel, "ask", None);
            }
            _ => link.lead(),
        }
        link
    }

    fn listen(&self) {
        let link = self.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| link.heard(&event.data()));
        if let Some(channel) = &self.0.borrow().channel {
            channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        }
        self.0.borrow_mut()._on_message = Some(on_message);
    }

    /// This tab got the lock: it connects, and the followers hear that the socket they
    /// knew is gone (their frames wait until it opens again).
    fn lead(&self) {
        post(&self.0.borrow().channel, "closed", None);
        let url = self.0.borrow().url.clone();
        let socket = Socket::connect(move || url(), Rc::new(Leading(self.clone())));
        self.0.borrow_mut().socket = Some(socket);
    }

    fn heard(&self, message: &JsValue) {
        let (peer, leads) = {
            let inner = self.0.borrow();
            if inner.stopped {
                return;
            }
            (inner.peer.clone(), inner.socket.is_some())
        };
        let frame = field(message, "f");
        match field(message, "k").as_deref() {
            Some("ask") if self.is_open() && leads => post(&self.0.borrow().channel, "open", None),
            Some("open") if !leads => {
                let joined = {
                    let mut inner = self.0.borrow_mut();
                    inner.leader_open = true;
                    !std::mem::replace(&mut inner.joined, true)
                };
                peer.opened(false, joined);
            }
            Some("closed") if !leads => {
                let was_open = std::mem::replace(&mut self.0.borrow_mut().leader_open, false);
                if was_open {
                    peer.closed();
                }
            }
            Some("in") if !leads => peer.frame(&frame.unwrap_or_default()),
            Some("out") => {
                let frame = frame.unwrap_or_default();
                let socket = self.0.borrow().socket.clone();
                if let Some(socket) = socket {
                    socket.send_text(&frame);
                }
                peer.sent_by_another_tab(&frame);
            }
            Some("echo") => peer.sent_by_another_tab(&frame.unwrap_or_default()),
            _ => {}
        }
    }

    /// Whether this tab holds the socket.
    pub fn leads(&self) -> bool {
        self.0.borrow().socket.is_some()
    }

    /// Whether frames can go out now (through this tab's socket or the leader's).
    pub fn is_open(&self) -> bool {
        let inner = self.0.borrow();
        match &inner.socket {
            Some(socket) => socket.is_open(),
            None => inner.leader_open,
        }
    }

    /// Sends a frame, itself or through the leader; returns whether it went out. (A
    /// follower's frame can still be lost with a leader that closes: messages stay in
    /// the outbox until acked for that.)
    pub fn send<T: Serialize>(&self, frame: &T) -> bool {
        let Some(text) = crate::json::to_string(frame) else { return false };
        let inner = self.0.borrow();
        match &inner.socket {
            Some(socket) => {
                let sent = socket.send_text(&text);
                if sent {
                    post(&inner.channel, "echo", Some(&text));
                }
                sent
            }
            None if inner.leader_open => {
                post(&inner.channel, "out", Some(&text));
                true
            }
            None => false,
        }
    }

    /// Drops the current connection and connects again at once (leader), asking for
    /// the URL anew.
    pub fn reconnect(&self) {
        let socket = self.0.borrow().socket.clone();
        if let Some(socket) = socket {
            socket.reconnect();
        }
    }

    /// Leaves for good: the socket closes, the lock passes to another tab.
    pub fn stop(&self) {
        let (socket, release, channel) = {
            let mut inner = self.0.borrow_mut();
            inner.stopped = true;
            (inner.socket.take(), inner.release.take(), inner.channel.take())
        };
        if let Some(socket) = socket {
            socket.stop();
            post(&channel, "closed", None);
        }
        if let Some(release) = release {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
        if let Some(channel) = channel {
            channel.set_onmessage(None);
            channel.close();
        }
    }
}

/// The leader's own socket reports through the link to every tab.
struct Leading(Link);

impl Leading {
    /// The chat to tell, unless the link stopped (a late event of its closed socket).
    fn peer(&self) -> Option<Rc<dyn Peer>> {
        let inner = self.0 .0.borrow();
        (!inner.stopped).then(|| inner.peer.clone())
    }

    fn post(&self, kind: &str, frame: Option<&str>) {
        post(&self.0 .0.borrow().channel, kind, frame);
    }
}

impl Listener for Leading {
    fn opened(&self, _socket: &Socket) {
        let Some(peer) = self.peer() else { return };
        self.post("open", None);
        peer.opened(true, false);
    }

    fn frame(&self, _socket: &Socket, text: &str) {
        let Some(peer) = self.peer() else { return };
        peer.frame(text);
        self.post("in", Some(text));
    }

    fn closed(&self) {
        let Some(peer) = self.peer() else { return };
        self.post("closed", None);
        peer.closed();
    }

    fn keeps_failing(&self) {
        if let Some(peer) = self.peer() {
            peer.keeps_failing();
        }
    }
}
