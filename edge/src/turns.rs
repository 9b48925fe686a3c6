//! Turns, taken in the order asked: a Durable Object takes other events while one
//! awaits (a file's check in R2, a call to the site), so without turns a text sent
//! right after a file would be stored first. Each taker waits for the one before it;
//! a turn ends when it is dropped.

use std::cell::RefCell;

use futures_channel::oneshot;

#[derive(Default)]
pub struct Turns {
    /// Resolves when the last turn handed out ends.
    last: RefCell<Option<oneshot::Receiver<()>>>,
}

/// A turn: the next one starts when this is dropped.
pub struct Turn(#[allow(dead_code)] oneshot::Sender<()>);

impl Turns {
    pub async fn take(&self) -> Turn {
        let (done, ended) = oneshot::channel();
        // Taken at once (no await before it), so turns follow the order of the calls.
        let before = self.last.replace(Some(ended));
        if let Some(before) = before {
            // Dropped or not, the turn before is over.
            let _ = before.await;
        }
        Turn(done)
    }
}
