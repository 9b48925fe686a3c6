//! The visitor's view of a conversation: stored messages in `seq` order followed by the
//! ones still pending, reconciled by client message id when the server echoes them.
//! Pure data, so it is tested natively.

use natter_shared::files::Attachment;
use natter_shared::ids::{ClientMessageId, Seq};
use natter_shared::limits::check_message;
use natter_shared::protocol::{Author, AuthorKind, Message, Millis};
use serde::{Deserialize, Serialize};

/// A message the visitor typed that the server has not acknowledged yet. Kept in
/// storage (the outbox) until acked, so a reload or a dead socket loses nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub client_id: ClientMessageId,
    pub text: String,
    pub at: Millis,
    /// Sent while the widget believed nobody was online. The edge decides whether it
    /// is an offline message and says so in the ack (see `ClientFrame::Send`).
    #[serde(default)]
    pub offline: bool,
    /// A file uploaded already; the text may then be empty.
    #[serde(default)]
    pub attachment: Option<Attachment>,
    /// Sent by this auto-action rule (shown as the operator's), not typed.
    #[serde(default)]
    pub rule: Option<String>,
    /// The edge echoed it as stored (with this `seq`) but its ack has not come yet: sent
    /// again in the same conversation it is only acked, but it must not go on into
    /// another one.
    #[serde(default)]
    pub stored: Option<Seq>,
}

impl Pending {
    /// A message just typed, checked against the limits (trimmed, not empty, not too
    /// long) before anything is queued; `client_id` is fresh randomness.
    pub fn typed(text: &str, client_id: &str, at: Millis) -> Result<Pending, natter_shared::Error> {
        Ok(Pending { client_id: ClientMessageId::parse(client_id)?, text: check_message(text)?.to_owned(), at, offline: false, attachment: None, rule: None, stored: None })
    }

    /// A message an auto-action rule sends.
    pub fn automatic(rule: &str, text: &str, client_id: &str, at: Millis) -> Result<Pending, natter_shared::Error> {
        let client_id = ClientMessageId::parse(client_id)?;
        Ok(Pending { client_id, text: text.into(), at, offline: false, attachment: None, rule: Some(rule.into()), stored: None })
    }

    /// Who it is shown as from: the visitor, or (from a rule) the operators.
    pub fn author(&self, visitor: Author) -> Author {
        match self.rule {
            Some(_) => Author { kind: AuthorKind::Operator, name: String::new(), avatar: None },
            None => visitor,
        }
    }
}

impl Pending {
    /// The frame that sends it (again: the edge stores each client id once).
    pub fn frame(&self) -> natter_shared::protocol::ClientFrame {
        if let Some(rule) = &self.rule {
            let (client_id, rule, text) = (self.client_id.clone(), rule.clone(), self.text.clone());
            return natter_shared::protocol::ClientFrame::Auto { client_id, rule, text };
        }
        natter_shared::protocol::ClientFrame::Send {
            client_id: self.client_id.clone(),
            text: self.text.clone(),
            offline: self.offline,
            attachment: self.attachment.clone(),
        }
    }

    /// A file just uploaded, sent without text.
    pub fn file(attachment: Attachment, client_id: &str, at: Millis) -> Result<Pending, natter_shared::Error> {
        Ok(Pending { client_id: ClientMessageId::parse(client_id)?, text: String::new(), at, offline: false, attachment: Some(attachment), rule: None, stored: None })
    }
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub client_id: ClientMessageId,
    /// `None` while pending.
    pub seq: Option<Seq>,
    pub author: Author,
    pub text: String,
    pub at: Millis,
    pub attachment: Option<Attachment>,
    /// Sent by an auto-action rule.
    pub auto: bool,
}

/// Where a visitor's own message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Pending,
    Sent,
    Read,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    entries: Vec<Entry>,
    /// Messages up to this `seq` are earlier ones not loaded (the edge sends only the
    /// newest page on connecting): paged back to on request, never a gap.
    floor: Seq,
}

impl Log {
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Adds a message the visitor just typed (or one restored from the outbox).
    pub fn add_pending(&mut self, pending: &Pending, author: Author) {
        if self.entries.iter().any(|e| e.client_id == pending.client_id) {
            return;
        }
        self.entries.push(Entry {
            client_id: pending.client_id.clone(),
            seq: None,
            author,
            text: pending.text.clone(),
            at: pending.at,
            attachment: pending.attachment.clone(),
            auto: pending.rule.is_some(),
        });
    }

    /// Whether this message is shown and not stored yet.
    pub fn is_pending(&self, client_id: &ClientMessageId) -> bool {
        self.entries.iter().any(|e| &e.client_id == client_id && e.seq.is_none())
    }

    /// Marks a pending message as stored.
    pub fn ack(&mut self, client_id: &ClientMessageId, seq: Seq) {
        if let Some(entry) = self.entries.iter_mut().find(|e| &e.client_id == client_id) {
            entry.seq = Some(seq);
        }
        self.sort();
    }

    /// Adds or reconciles a stored message; a repeat of one we have changes nothing.
    pub fn apply(&mut self, message: Message) {
        match self.entries.iter_mut().find(|e| e.client_id == message.client_id) {
            Some(entry) => {
                entry.seq = Some(message.seq);
                entry.at = message.at;
                entry.text = message.text;
            }
            None => self.entries.push(Entry {
                client_id: message.client_id,
                seq: Some(message.seq),
                author: message.author,
                text: message.text,
                at: message.at,
                attachment: message.attachment,
                auto: message.auto,
            }),
        }
        self.sort();
    }

    /// Stored messages by `seq`, then pending ones in the order they were typed. An
    /// insertion sort: the log is sorted but for the one entry that just changed, and
    /// the standard library's sorts would add ≈ 3 KB to the widget's first download.
    fn sort(&mut self) {
        let key = |e: &Entry| (e.seq.is_none(), e.seq, e.at);
        for i in 1..self.entries.len() {
            let mut j = i;
            while j > 0 && key(&self.entries[j - 1]) > key(&self.entries[j]) {
                self.entries.swap(j - 1, j);
                j -= 1;
            }
        }
    }

    /// Keeps only what is still pending: for a fresh conversation that starts at seq 1.
    pub fn keep_pending(&mut self) {
        self.entries.retain(|e| e.seq.is_none());
        self.floor = Seq(0);
    }

    /// The newest stored `seq`: what to resume after.
    pub fn last_seq(&self) -> Seq {
        self.entries.iter().filter_map(|e| e.seq).max().unwrap_or_default()
    }

    /// What to resume after on a new socket: the newest `seq` with every one before it
    /// here. A message that came live while an earlier one was still on its way must
    /// not hide that one (seqs have no gaps, so a missing one is one not received).
    pub fn resume_after(&self) -> Seq {
        // Stored entries come first, in `seq` order (`sort`).
        let mut resumed = self.floor;
        for seq in self.entries.iter().map_while(|e| e.seq) {
            if seq.0 == resumed.0 + 1 {
                resumed = seq;
            } else if seq > resumed {
                break;
            }
        }
        resumed
    }

    /// The edge's catch-up starts after `from` (`welcome`): when that skips messages
    /// this log lacks, the stored ones up to it go (they come back page by page), so
    /// what is shown has no hole, and `from` becomes the floor.
    pub fn start_at(&mut self, from: Seq) {
        if from > self.resume_after() {
            self.entries.retain(|e| e.seq.is_none_or(|seq| seq > from));
            self.floor = from;
        }
    }

    /// Whether there are earlier messages to page back to.
    pub fn has_earlier(&self) -> bool {
        self.floor > Seq(0)
    }

    /// What to ask for to page back: the messages before this `seq`.
    pub fn earlier_before(&self) -> Seq {
        Seq(self.floor.0 + 1)
    }

    /// Adds the page of earlier messages asked with `before`; an answer to an older
    /// question (the floor moved since) is dropped.
    pub fn prepend(&mut self, before: Seq, messages: Vec<Message>) {
        if before != self.earlier_before() || !self.has_earlier() {
            return;
        }
        self.floor = messages.first().map_or(Seq(0), |m| Seq(m.seq.0.saturating_sub(1)));
        for message in messages {
            self.apply(message);
        }
    }

    /// When `kind` last wrote (typed, not sent by a rule), if ever.
    pub fn last_written(&self, kind: AuthorKind) -> Option<Millis> {
        self.entries.iter().filter(|e| e.author.kind == kind && !e.auto).map(|e| e.at).max()
    }

    /// The launcher's badge: operator messages stored after `seen`, and rules' messages
    /// still pending (no conversation yet) that came while the window was closed.
    pub fn unread(&self, seen: Seq, unseen_pending: &[ClientMessageId]) -> usize {
        self.entries
            .iter()
            .filter(|e| e.author.kind == AuthorKind::Operator)
            .filter(|e| match e.seq {
                Some(seq) => seq > seen,
                None => unseen_pending.contains(&e.client_id),
            })
            .count()
    }
}

impl Entry {
    /// The time it was written, `HH:MM` in the browser's time zone.
    pub fn local_time(&self) -> String {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(self.at as f64));
        format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
    }

    /// How far a visitor's message has got, given how far the operators have read.
    pub fn delivery(&self, operator_read: Seq) -> Delivery {
        match self.seq {
            None => Delivery::Pending,
            Some(seq) if seq <= operator_read => Delivery::Read,
            Some(_) => Delivery::Sent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cid(s: &str) -> ClientMessageId {
        ClientMessageId::parse(s).unwrap()
    }

    fn visitor() -> Author {
        Author { kind: AuthorKind::Visitor, name: "Me".into(), avatar: None }
    }

    #[test]
    fn a_rules_message_is_the_operators_but_not_an_answer() {
        let auto = Pending::automatic("Greeting", "Hello!", "g-1", 50).unwrap();
        assert_eq!(auto.author(visitor()).kind, AuthorKind::Operator);
        assert!(matches!(auto.frame(), natter_shared::protocol::ClientFrame::Auto { ref rule, .. } if rule == "Greeting"));
        let mut log = Log::default();
        log.add_pending(&auto, auto.author(visitor()));
        assert_eq!(log.last_written(AuthorKind::Operator), None, "a rule's message is no operator's answer");
        let typed = Pending::typed("hi", "v-1", 60).unwrap();
        log.add_pending(&typed, typed.author(visitor()));
        assert_eq!(log.last_written(AuthorKind::Visitor), Some(60));
        assert!(matches!(typed.frame(), natter_shared::protocol::ClientFrame::Send { .. }));
    }

    fn stored(seq: u64, id: &str, kind: AuthorKind) -> Message {
        Message { seq: Seq(seq), client_id: cid(id), author: Author { kind, name: "x".into(), avatar: None }, text: id.into(), at: seq, attachment: None, auto: false }
    }

    #[test]
    fn a_reconnect_resumes_below_the_first_gap() {
        let mut log = Log::default();
        assert_eq!(log.resume_after(), Seq(0));
        for (seq, id) in [(1, "a"), (2, "b"), (4, "d")] {
            log.apply(stored(seq, id, AuthorKind::Operator));
        }
        // 4 came live before 3: resuming after 4 would never bring 3.
        assert_eq!(log.last_seq(), Seq(4));
        assert_eq!(log.resume_after(), Seq(2));
        log.apply(stored(3, "c", AuthorKind::Visitor));
        assert_eq!(log.resume_after(), Seq(4));
    }

    #[test]
    fn stored_messages_in_seq_order_then_pending_ones_as_typed() {
        let mut log = Log::default();
        for (text, id, at) in [("second", "p-2", 20), ("first", "p-1", 10)] {
            let pending = Pending::typed(text, id, at).unwrap();
            log.add_pending(&pending, visitor());
        }
        for (seq, id) in [(3, "c"), (1, "a"), (2, "b")] {
            log.apply(stored(seq, id, AuthorKind::Operator));
        }
        log.ack(&cid("p-2"), Seq(4));
        let order: Vec<&str> = log.entries().iter().map(|e| e.client_id.as_str()).collect();
        assert_eq!(order, ["a", "b", "c", "p-2", "p-1"]);
        assert_eq!(log.resume_after(), Seq(4));
    }

    #[test]
    fn the_newest_page_then_earlier_pages_have_no_gap() {
        let mut log = Log::default();
        for seq in 1..=3 {
            log.apply(stored(seq, &format!("old-{seq}"), AuthorKind::Visitor));
        }
        // Reconnecting after 3 where 200 are stored: the edge sends 151..=200.
        log.start_at(Seq(150));
        assert!(log.entries().is_empty(), "the old ones would leave a hole");
        for seq in 151..=200 {
            log.apply(stored(seq, &format!("m-{seq}"), AuthorKind::Operator));
        }
        assert_eq!(log.resume_after(), Seq(200), "the window's start is no gap");
        assert!(log.has_earlier());
        assert_eq!(log.earlier_before(), Seq(151));
        log.prepend(Seq(151), (101..=150).map(|seq| stored(seq, &format!("m-{seq}"), AuthorKind::Operator)).collect());
        assert_eq!(log.earlier_before(), Seq(101));
        // A late answer to the same question changes nothing.
        log.prepend(Seq(151), vec![stored(7, "stray", AuthorKind::Operator)]);
        assert_eq!(log.entries().len(), 100);
        log.prepend(Seq(101), (1..=100).map(|seq| stored(seq, &format!("m-{seq}"), AuthorKind::Operator)).collect());
        assert!(!log.has_earlier());
        assert_eq!(log.entries().first().and_then(|e| e.seq), Some(Seq(1)));
        assert_eq!(log.resume_after(), Seq(200));
        // A catch-up that skips nothing keeps everything.
        log.start_at(Seq(180));
        assert_eq!(log.entries().len(), 200);
    }

    #[test]
    fn a_pending_message_is_reconciled_by_its_echo_and_ack() {
        let mut log = Log::default();
        log.add_pending(&Pending { client_id: cid("a"), text: "hi".into(), at: 100, offline: false, attachment: None, rule: None, stored: None }, visitor());
        assert_eq!(log.entries()[0].delivery(Seq(0)), Delivery::Pending);
        log.apply(stored(1, "a", AuthorKind::Visitor));
        log.ack(&cid("a"), Seq(1));
        assert_eq!(log.entries().len(), 1);
        assert_eq!(log.entries()[0].delivery(Seq(0)), Delivery::Sent);
        assert_eq!(log.entries()[0].delivery(Seq(1)), Delivery::Read);
    }

    #[test]
    fn typed_messages_are_checked_before_they_are_queued() {
        let pending = Pending::typed("  hi  ", "abc", 5).unwrap();
        assert_eq!((pending.client_id.as_str(), pending.text.as_str(), pending.at), ("abc", "hi", 5));
        assert_eq!(Pending::typed(" ", "abc", 5), Err(natter_shared::Error::EmptyMessage));
        assert!(Pending::typed("hi", "not an id", 5).is_err());
    }

    #[test]
    fn stored_messages_come_in_seq_order_before_pending_ones() {
        let mut log = Log::default();
        log.add_pending(&Pending { client_id: cid("p"), text: "later".into(), at: 1, offline: false, attachment: None, rule: None, stored: None }, visitor());
        log.apply(stored(2, "b", AuthorKind::Operator));
        log.apply(stored(1, "a", AuthorKind::Visitor));
        log.apply(stored(2, "b", AuthorKind::Operator));
        let ids: Vec<_> = log.entries().iter().map(|e| e.client_id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "p"]);
        assert_eq!(log.last_seq(), Seq(2));
    }

    #[test]
    fn a_fresh_conversation_keeps_only_what_is_pending() {
        let mut log = Log::default();
        log.apply(stored(1, "a", AuthorKind::Operator));
        log.add_pending(&Pending { client_id: cid("p"), text: "unsent".into(), at: 9, offline: false, attachment: None, rule: None, stored: None }, visitor());
        log.keep_pending();
        let ids: Vec<_> = log.entries().iter().map(|e| e.client_id.as_str()).collect();
        assert_eq!(ids, ["p"]);
        assert_eq!(log.last_seq(), Seq(0));
    }

    #[test]
    fn unread_counts_operator_messages_after_what_was_seen() {
        let mut log = Log::default();
        log.apply(stored(1, "a", AuthorKind::Visitor));
        log.apply(stored(2, "b", AuthorKind::Operator));
        log.apply(stored(3, "c", AuthorKind::Operator));
        assert_eq!(log.unread(Seq(0), &[]), 2);
        assert_eq!(log.unread(Seq(2), &[]), 1);
        assert_eq!(log.unread(Seq(3), &[]), 0);
    }

    #[test]
    fn a_pending_rule_message_counts_until_seen_and_once_when_stored() {
        let mut log = Log::default();
        let greeting = Pending::automatic("Greeting", "Hello!", "g", 5).unwrap();
        log.add_pending(&greeting, greeting.author(visitor()));
        // Restored on another page: unread while its id is among the unseen.
        assert_eq!(log.unread(Seq(0), &[cid("g")]), 1);
        assert_eq!(log.unread(Seq(0), &[]), 0, "seen with the window open");
        // Stored when the conversation began: counted by its seq, not twice.
        log.ack(&cid("g"), Seq(1));
        assert_eq!(log.unread(Seq(0), &[cid("g")]), 1);
        assert_eq!(log.unread(Seq(1), &[cid("g")]), 0);
    }
}
