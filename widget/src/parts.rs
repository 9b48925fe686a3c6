//! The widget's optional parts, downloaded the first time they are needed: the forms
//! (introduce, offline), messenger QR codes, file uploads, the JS API's methods beyond
//! the window's and the rules engine. The chat itself (window, log, composer, socket,
//! outbox) never waits for them.
//!
//! With the `split` feature (the widget's release build, `scripts/build.sh`) each
//! [`part!`] function is a split point: `wasm-split-cli` moves the code only it reaches
//! into its own Wasm file, and the first call fetches that file. A failed download is
//! `Err(PartMissing)`, and the next call tries again. Without the feature (the tests, and
//! the console, which links this crate) a part is an ordinary call.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::chat::Chat;

/// A part's Wasm could not be downloaded (offline, blocked); calling again retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartMissing;

#[cfg(feature = "split")]
impl From<leptos::wasm_split::SplitLoaderError> for PartMissing {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        PartMissing
    }
}

/// `part!(NAME, preload PRELOAD, fn f(args) -> T { body })`: `async fn f(args) ->
/// Result<T, PartMissing>` whose code lives in the part NAME, and `async fn PRELOAD()`
/// that only downloads it.
macro_rules! part {
    ($(#[$doc:meta])* $part:ident, preload $preload:ident, fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {
        $(#[$doc])*
        #[cfg(feature = "split")]
        #[leptos::wasm_split::wasm_split($part, fallible, preload($preload), wasm_split_path = leptos::wasm_split)]
        pub fn $name($($arg: $ty),*) -> Result<$ret, $crate::parts::PartMissing> {
            let value: $ret = $body;
            Ok(value)
        }
        $(#[$doc])*
        #[cfg(not(feature = "split"))]
        pub async fn $name($($arg: $ty),*) -> Result<$ret, $crate::parts::PartMissing> {
            let value: $ret = $body;
            Ok(value)
        }
        #[cfg(not(feature = "split"))]
        pub async fn $preload() -> Result<(), $crate::parts::PartMissing> {
            Ok(())
        }
    };
}
pub(crate) use part;

/// What `future` gives if it is ready at once, as a part already downloaded is.
pub fn at_once<T>(future: impl Future<Output = T>) -> Option<T> {
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

/// A part's drawing on its way, of any part.
type Drawing = Pin<Box<dyn Future<Output = Result<AnyView, PartMissing>>>>;

/// Draws what a part draws: at once once downloaded; nothing while it downloads (it
/// starts at once, beside the chat); and if the download fails, says so with a button
/// that tries again.
pub fn lazy<L, F>(preload: fn() -> L, draw: impl Fn() -> F + Send + Sync + 'static) -> impl IntoView
where
    L: Future + 'static,
    L::Output: IsOk,
    F: Future<Output = Result<AnyView, PartMissing>> + 'static,
{
    let preload = move || -> Pin<Box<dyn Future<Output = bool>>> { Box::pin(async move { preload().await.is_ok() }) };
    lazy_view(Arc::new(preload), Arc::new(move || -> Drawing { Box::pin(draw()) }))
}

/// [`lazy`] for every part at once: one copy of its code in the core, not one per use.
#[allow(clippy::type_complexity)]
fn lazy_view(preload: Arc<dyn Fn() -> Pin<Box<dyn Future<Output = bool>>> + Send + Sync>, draw: Arc<dyn Fn() -> Drawing + Send + Sync>) -> AnyView {
    let chat = expect_context::<Chat>();
    let strings = chat.site.strings();
    let failed = RwSignal::new(false);
    let loaded = Trigger::new();
    (move || {
        loaded.track();
        if failed.get() {
            return view! {
                <p class="problem" role="alert">
                    {strings.part_failed}" "
                    <button type="button" class="retry" on:click=move |_| failed.set(false)>{strings.try_again}</button>
                </p>
            }
            .into_any();
        }
        match at_once(draw()) {
            Some(Ok(view)) => view,
            // Only a part that failed before can fail at once: try again, visibly.
            Some(Err(PartMissing)) => {
                spawn_local(async move { failed.set(true) });
                ().into_any()
            }
            None => {
                let preload = preload();
                spawn_local(async move {
                    if preload.await {
                        loaded.notify();
                    } else {
                        failed.set(true);
                    }
                });
                ().into_any()
            }
        }
    })
    .into_any()
}

/// A `Result` of any error: preloads of split builds and of plain ones differ in it.
pub trait IsOk {
    fn is_ok(&self) -> bool;
}

impl<E> IsOk for Result<(), E> {
    fn is_ok(&self) -> bool {
        Result::is_ok(self)
    }
}
