//! How a conversation keeps its site's inbox up to date, and learns from it whether an
//! operator is online (which decides whether a visitor's message is an offline one).
//!
//! Every report costs the site's single object a call, so reports are coalesced: a
//! change the inbox must show at once (a new conversation, a new state or owner, a
//! message nobody online will answer) is reported at once; other messages within a
//! window of the last report go with one report at the end of it (the object's
//! alarm). The window is [`COALESCE_MS`]; while a conversation keeps writing through
//! it, each coalesced report doubles it, up to [`MAX_COALESCE_MS`] (a flood of messages
//! costs the site a call every few seconds, not every second), and it is back to
//! [`COALESCE_MS`] once the conversation was quiet for a window. A visitor's message in
//! between is taken as online on the site's last word (at most a window and
//! [`COALESCE_MS`] old, so a message that comes while the alarm's report is on its way
//! waits for the next one too); if the next report finds nobody online, it is marked
//! offline and its notice handed to the site for the webhook.

use natter_shared::ids::{Seq, SiteId};
use natter_shared::protocol::{ConversationSummary, SiteStatus};

use crate::auth;
use crate::conversation::{int, Conversation, CountRow, MessageRow, MESSAGES};
use crate::error::EdgeResult;
use crate::internal::{self, SummaryReport};

/// How long after a report others wait to be coalesced into the next one, at first.
pub const COALESCE_MS: u64 = 1_000;
/// The longest window, for a conversation that keeps writing.
const MAX_COALESCE_MS: u64 = 4_000;

/// What the conversation remembers between reports (in memory: after an eviction the
/// next message is reported at once).
#[derive(Default)]
pub struct Reporting {
    /// When the site last answered, and whether anyone was online then.
    last: Option<(u64, bool)>,
    /// Visitor messages taken as online on that answer: their notices go with the next
    /// report.
    unsettled: Vec<Seq>,
    /// A report is waiting for the alarm, due at `due_at`.
    due: bool,
    due_at: u64,
    /// The coalescing window now (0 until it first grows: [`COALESCE_MS`]).
    window: u64,
    /// The alarm is set to tell the journal (so a report need not ask storage for the
    /// alarm's time again; forgotten with an eviction, which asks once more).
    pub(crate) journal_due: bool,
}

impl Reporting {
    fn window(&self) -> u64 {
        self.window.max(COALESCE_MS)
    }

    /// Whether the alarm owes the site a report now: coalesced messages wait and their
    /// window has ended, or the object was evicted and forgot (it reports its latest
    /// state once more, which changes nothing). The alarm has other errands (the
    /// journal, the rating window) that can wake it before a window ends.
    pub(crate) fn wants_alarm_report(&self, now: u64) -> bool {
        (self.due && now >= self.due_at) || self.last.is_none()
    }

    /// When a coalesced report not yet made is due.
    pub(crate) fn due_later(&self) -> Option<u64> {
        self.due.then_some(self.due_at)
    }
}

impl Conversation {
    fn summary(&self, revision: u64) -> EdgeResult<Option<(String, ConversationSummary)>> {
        let Some(meta) = self.meta()? else { return Ok(None) };
        let last: Vec<MessageRow> =
            self.sql().exec(&format!("{MESSAGES} ORDER BY m.seq DESC LIMIT 1"), None)?.to_array()?;
        let Some(last) = last.into_iter().next() else { return Ok(None) };
        let unread: Vec<CountRow> = self
            .sql()
            .exec(
                "SELECT COUNT(*) AS n FROM messages WHERE author_kind = 'visitor' AND seq > ?",
                vec![int(meta.operator_read)],
            )?
            .to_array()?;
        // Whether the visitor's last message came through the offline form.
        let offline: Vec<CountRow> = self
            .sql()
            .exec(
                "SELECT COUNT(*) AS n FROM offline_messages
                 WHERE seq = (SELECT MAX(seq) FROM messages WHERE author_kind = 'visitor')",
                None,
            )?
            .to_array()?;
        let last = last.into_message()?;
        let status = self.status_row()?;
        let summary = ConversationSummary {
            id: natter_shared::ids::ConversationId::parse(&meta.conversation)?,
            visitor_name: meta.visitor_name.clone(),
            last_text: match (&last.attachment, last.text.is_empty()) {
                (Some(file), true) => format!("File: {}", file.name),
                _ => last.text.chars().take(200).collect(),
            },
            last_author: last.author.kind,
            last_at: last.at,
            last_seq: last.seq,
            unread: unread.first().map_or(0, |r| r.n),
            page_url: meta.page_url.clone(),
            offline: offline.first().is_some_and(|r| r.n > 0),
            state: status.state(),
            owner: status.owner(),
            waiting_since: status.waiting_since,
            last_auto: last.auto,
            last_name: last.author.name.clone(),
            rating: self.rating()?,
            language: meta.language.clone(),
            revision,
            channel: self.channel()?.map(|c| c.kind),
        };
        Ok(Some((meta.site, summary)))
    }

    /// Tells the site's inbox how this conversation stands now. Best effort: the
    /// message is stored already, and the next change sends a complete summary again.
    pub(crate) async fn report_to_site(&self) {
        if let Err(e) = self.report(None).await {
            worker::console_error!("inbox update failed: {e}");
        }
    }

    /// The alarm's report of the messages coalesced meanwhile. Messages came through the
    /// whole window: the next one is twice as long (up to [`MAX_COALESCE_MS`]).
    pub(crate) async fn report_coalesced(&self) {
        let busy = self.reporting.borrow().due;
        self.report_to_site().await;
        if busy {
            let mut reporting = self.reporting.borrow_mut();
            reporting.window = (reporting.window() * 2).min(MAX_COALESCE_MS);
        }
    }

    /// Tells the site now if `urgent`, else with the next coalesced report.
    pub(crate) async fn report_soon(&self, urgent: bool) {
        if urgent || !self.coalescing() {
            self.report_to_site().await;
        } else if let Err(e) = self.report_later().await {
            worker::console_error!("inbox update not scheduled: {e}");
            self.report_to_site().await;
        }
    }

    /// Whether the site answered within a window and [`COALESCE_MS`] that someone is
    /// online.
    fn coalescing(&self) -> bool {
        let reporting = self.reporting.borrow();
        let trusted = reporting.window() + COALESCE_MS;
        reporting.last.is_some_and(|(at, online)| online && auth::now().saturating_sub(at) < trusted)
    }

    async fn report_later(&self) -> EdgeResult<()> {
        let at = {
            let mut reporting = self.reporting.borrow_mut();
            if reporting.due {
                return Ok(());
            }
            reporting.due = true;
            let now = auth::now();
            let last = reporting.last.map_or(now, |(at, _)| at);
            if now.saturating_sub(last) >= reporting.window() {
                // Quiet for a whole window: back to the shortest.
                reporting.window = COALESCE_MS;
            }
            reporting.due_at = last + reporting.window();
            reporting.due_at
        };
        self.alarm_at(at).await
    }

    /// Sets the object's one alarm for `at` unless it is set sooner already.
    pub(crate) async fn alarm_at(&self, at: u64) -> EdgeResult<()> {
        internal::alarm_no_later_than(&self.state, at).await
    }

    /// Whether a visitor's new message is an offline message. Decided by the site when
    /// it is told of it (nobody online: the site queues the notice for the webhook), in
    /// the same call that updates its inbox; between coalesced reports, by the site's
    /// last word that someone is online (see the module's note). Only if the site
    /// cannot be asked does the widget's word count (`claimed`); its notice is then
    /// handed over on its own, and if that fails too, the message is not acked, so the
    /// widget sends it again and the retry reports it.
    pub(crate) async fn settle_visitor_message(&self, seq: Seq, claimed: bool, urgent: bool) -> EdgeResult<bool> {
        if !urgent && !claimed && self.coalescing() {
            self.reporting.borrow_mut().unsettled.push(seq);
            if self.report_later().await.is_ok() {
                return Ok(false);
            }
        }
        let (offline, handed_over) = match self.report(Some(seq)).await {
            Ok(status) => (!status.online, true),
            Err(e) => {
                worker::console_error!("presence unknown, the widget's word taken: {e}");
                (claimed, false)
            }
        };
        if offline && !handed_over {
            self.sql().exec("INSERT OR IGNORE INTO offline_messages (seq) VALUES (?)", vec![int(seq.0)])?;
            self.notify_offline(seq).await?;
        }
        Ok(offline)
    }

    /// Sends the site this conversation's summary, with the notice of `seq` (delivered
    /// if nobody is online); the site answers whether anyone is. If nobody is, the
    /// messages taken as online since the last report are marked offline here and
    /// handed over one by one.
    async fn report(&self, seq: Option<Seq>) -> EdgeResult<SiteStatus> {
        if self.meta()?.is_none() {
            return Ok(SiteStatus { online: true });
        }
        // Whatever the site hears of, the journal hears of a moment later.
        self.journal_soon().await;
        let unsettled = {
            let mut reporting = self.reporting.borrow_mut();
            reporting.due = false;
            let mut unsettled = std::mem::take(&mut reporting.unsettled);
            unsettled.extend(seq);
            unsettled
        };
        // Only `seq`'s notice goes along (built per message, it would cost every
        // coalesced message a read); the others are handed over below if need be.
        let result = self.send_report(seq).await;
        match &result {
            Ok(status) => {
                self.reporting.borrow_mut().last = Some((auth::now(), status.online));
                if !status.online {
                    let mut handed = false;
                    for &taken in &unsettled {
                        self.sql().exec("INSERT OR IGNORE INTO offline_messages (seq) VALUES (?)", vec![int(taken.0)])?;
                        if Some(taken) != seq {
                            self.notify_offline(taken).await?;
                            handed = true;
                        }
                    }
                    // The inbox marks the conversation's offline message too.
                    if handed {
                        self.send_report(None).await?;
                    }
                }
            }
            // Kept for the next report (the message of `seq` is the caller's to settle).
            Err(_) => self.reporting.borrow_mut().unsettled.extend(unsettled.into_iter().filter(|s| Some(*s) != seq)),
        }
        result
    }

    async fn send_report(&self, seq: Option<Seq>) -> EdgeResult<SiteStatus> {
        let revision = self.next_revision()?;
        let Some((site, summary)) = self.summary(revision)? else { return Ok(SiteStatus { online: true }) };
        let notices = seq.map(|seq| self.offline_notice(seq)).transpose()?.into_iter().collect();
        let site = SiteId::parse(&site)?;
        let stub = internal::site_stub(&self.env, &site)?;
        internal::call(&stub, "/summary", &site, Some(&SummaryReport { summary, notices })).await
    }
}
