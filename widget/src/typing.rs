//! Typing indicators, both ways, for the widget and the console: the typing side says
//! so at most every [`ANNOUNCE_EVERY_MS`]; the other side shows it until told to stop
//! or until [`SHOWN_FOR_MS`] pass without news (the typist may just have left).

use leptos::prelude::*;
use leptos::task::spawn_local;

pub const ANNOUNCE_EVERY_MS: f64 = 2_000.0;
pub const SHOWN_FOR_MS: i32 = 5_000;

/// Decides when the local user's typing is worth a frame.
#[derive(Clone, Copy)]
pub struct Announcer(StoredValue<f64>);

impl Announcer {
    pub fn new() -> Self {
        Announcer(StoredValue::new(f64::NEG_INFINITY))
    }

    /// True when a `typing: true` frame should go out now.
    pub fn due(&self) -> bool {
        let now = js_sys::Date::now();
        if now - self.0.get_value() < ANNOUNCE_EVERY_MS {
            return false;
        }
        self.0.set_value(now);
        true
    }

    /// After sending a message: the next keystroke is news again.
    pub fn reset(&self) {
        self.0.set_value(f64::NEG_INFINITY);
    }
}

impl Default for Announcer {
    fn default() -> Self {
        Self::new()
    }
}

/// Who on the other side is typing (`Some(name)`), expiring by itself.
#[derive(Clone, Copy)]
pub struct Indicator {
    pub shown: RwSignal<Option<String>>,
    generation: StoredValue<u64>,
}

impl Indicator {
    pub fn new() -> Self {
        Indicator { shown: RwSignal::new(None), generation: StoredValue::new(0) }
    }

    pub fn set(&self, typist: Option<String>) {
        let generation = self.generation.get_value() + 1;
        self.generation.set_value(generation);
        let expires = typist.is_some();
        self.shown.set(typist);
        if expires {
            let indicator = *self;
            spawn_local(async move {
                crate::time::sleep(SHOWN_FOR_MS).await;
                // Only if nothing newer was heard meanwhile.
                if indicator.generation.get_value() == generation {
                    indicator.shown.set(None);
                }
            });
        }
    }
}

impl Default for Indicator {
    fn default() -> Self {
        Self::new()
    }
}
