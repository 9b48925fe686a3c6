//! Moments in an IANA time zone ("Europe/Moscow"), read with the JavaScript runtime's
//! `Intl` (workerd and browsers carry the time-zone database; Rust would have to ship
//! its own). The calendar arithmetic stays in [`crate::journal::Date`].

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::journal::Date;

/// A moment as a wall clock in some time zone shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WallClock {
    pub date: Date,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl WallClock {
    /// `YYYY-MM-DD HH:MM`.
    pub fn short(&self) -> String {
        format!("{} {:02}:{:02}", self.date, self.hour, self.minute)
    }
}

fn formatter(time_zone: &str) -> Option<js_sys::Intl::DateTimeFormat> {
    let options = Object::new();
    let fields = [
        ("timeZone", time_zone),
        ("year", "numeric"),
        ("month", "numeric"),
        ("day", "numeric"),
        ("hour", "numeric"),
        ("minute", "numeric"),
        ("second", "numeric"),
        ("hourCycle", "h23"),
    ];
    for (key, value) in fields {
        Reflect::set(&options, &key.into(), &value.into()).ok()?;
    }
    let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    let constructor: js_sys::Function = Reflect::get(&intl, &"DateTimeFormat".into()).ok()?.dyn_into().ok()?;
    // An unknown zone throws a RangeError: caught here, not a panic.
    let made = Reflect::construct(&constructor, &Array::of2(&"en-US".into(), &options)).ok()?;
    made.dyn_into().ok()
}

/// Whether the runtime knows the time zone.
pub fn is_time_zone(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && formatter(name).is_some()
}

/// The wall clock at `ms` (since the epoch) in `time_zone`; `None` for an unknown zone.
pub fn wall_clock(ms: u64, time_zone: &str) -> Option<WallClock> {
    let format = formatter(time_zone)?;
    let parts = format.format_to_parts(&js_sys::Date::new(&JsValue::from_f64(ms as f64)));
    let field = |name: &str| -> Option<u32> {
        parts.iter().find_map(|part| {
            let kind = Reflect::get(&part, &"type".into()).ok()?.as_string()?;
            (kind == name).then(|| Reflect::get(&part, &"value".into()).ok()?.as_string()?.parse().ok())?
        })
    };
    let date = Date { year: field("year")? as i32, month: field("month")?, day: field("day")? };
    Some(WallClock { date, hour: field("hour")? % 24, minute: field("minute")?, second: field("second")? })
}

/// The wall clock at `ms` in `time_zone`, in UTC if the runtime does not know it.
fn wall_clock_or_utc(ms: u64, time_zone: &str) -> Option<WallClock> {
    wall_clock(ms, time_zone).or_else(|| wall_clock(ms, "UTC"))
}

/// The date at `ms` in `time_zone` (in UTC if the runtime does not know it).
pub fn date_at(ms: u64, time_zone: &str) -> Option<Date> {
    wall_clock_or_utc(ms, time_zone).map(|w| w.date)
}

/// "YYYY-MM-DD HH:MM" in `time_zone` (in UTC if the runtime does not know it).
pub fn local_time(ms: u64, time_zone: &str) -> String {
    wall_clock_or_utc(ms, time_zone).map(|w| w.short()).unwrap_or_default()
}

/// The moment a day begins in `time_zone` (its local midnight), in ms since the epoch.
pub fn day_start(date: Date, time_zone: &str) -> Option<u64> {
    let guess = date.days() * 86_400_000;
    // The zone's offset, read at the guess and again at the first answer (a change of
    // offset between them, as in a spring-forward night, moves it once more).
    let offset = |at: i64| -> Option<i64> {
        let wall = wall_clock(at.max(0) as u64, time_zone)?;
        let shown = wall.date.days() * 86_400_000 + i64::from(wall.hour * 3_600_000 + wall.minute * 60_000 + wall.second * 1_000);
        Some(shown - at.max(0))
    };
    let first = guess - offset(guess)?;
    let second = guess - offset(first)?;
    Some(second.max(0) as u64)
}

/// The runtime's own time zone (a browser's is its user's), or UTC.
pub fn runtime_time_zone() -> String {
    let zone = || -> Option<String> {
        let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
        let constructor: js_sys::Function = Reflect::get(&intl, &"DateTimeFormat".into()).ok()?.dyn_into().ok()?;
        let format = Reflect::construct(&constructor, &Array::new()).ok()?;
        let resolved: js_sys::Function = Reflect::get(&format, &"resolvedOptions".into()).ok()?.dyn_into().ok()?;
        let options = resolved.call0(&format).ok()?;
        Reflect::get(&options, &"timeZone".into()).ok()?.as_string()
    };
    zone().unwrap_or_else(|| "UTC".into())
}
