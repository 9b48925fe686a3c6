//! The journal: every conversation of an organisation's sites, newest first, with
//! filters. Here are its rows, its filters as a URL carries them (the console's
//! address, the edge's query), its order across sites, the search words as an FTS5
//! query, the CSV export and the calendar arithmetic of its periods. Time zones are
//! the callers' (the browser's and the Worker's `Intl`): this module only counts days.

use serde::{Deserialize, Serialize};

use crate::ids::{ConversationId, OperatorId, SiteId};
use crate::protocol::Millis;
use crate::shift::{ConversationState, OperatorRef};

/// Rows in a page of the journal.
pub const JOURNAL_PAGE: usize = 50;
/// Most rows one CSV export holds (the newest of the filter).
pub const CSV_ROWS: usize = 10_000;
/// Most characters of search words taken.
pub const MAX_SEARCH_CHARS: usize = 200;

/// One conversation as the journal lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub site: SiteId,
    pub id: ConversationId,
    pub visitor_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    /// The operator who has it (or had it when it was closed).
    #[serde(default)]
    pub owner: Option<OperatorRef>,
    /// Its first message.
    pub started_at: Millis,
    /// Its last message.
    pub last_at: Millis,
    pub messages: u64,
    /// From the visitor's first message to the first operator's answer (automatic
    /// messages are no answer); none while unanswered, and for outgoing ones.
    #[serde(default)]
    pub first_response_ms: Option<u64>,
    /// Started by an operator: its first message that is not automatic is theirs.
    #[serde(default)]
    pub outgoing: bool,
    /// The visitor wrote and left (or it was closed) without an operator's answer.
    #[serde(default)]
    pub missed: bool,
    pub state: ConversationState,
    /// The visitor's rating: good or bad.
    #[serde(default)]
    pub rating: Option<bool>,
    #[serde(default)]
    pub page_url: String,
    /// Where the visitor came from (the page's referrer).
    #[serde(default)]
    pub referrer: String,
}

impl JournalEntry {
    pub fn duration_ms(&self) -> u64 {
        self.last_at.saturating_sub(self.started_at)
    }

    pub fn key(&self) -> JournalKey {
        JournalKey { at: self.started_at, site: self.site.clone(), id: self.id.clone() }
    }

    /// What the search finds the visitor by, besides what was written.
    pub fn details_text(&self) -> String {
        [self.visitor_name.as_str(), &self.email, &self.phone].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" ")
    }
}

/// What a conversation tells its site's journal: how it stands, and the text of its
/// messages after `after` (what the journal said it has), to be searched.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JournalReport {
    pub entry: JournalEntry,
    pub texts: Vec<(u64, String)>,
}

/// Where a row stands in the journal's one order: newest first, ties by site, then id
/// (both descending), so pages merged from several sites neither skip nor repeat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalKey {
    pub at: Millis,
    pub site: SiteId,
    pub id: ConversationId,
}

impl JournalKey {
    /// Whether `self` comes before `other` in the journal.
    pub fn precedes(&self, other: &JournalKey) -> bool {
        (other.at, &other.site, &other.id) < (self.at, &self.site, &self.id)
    }

    /// For one site's page after `self`: rows of `site` come later when their time is
    /// earlier, or the same with an id below the returned bound ("" takes none of the
    /// same time, `None` all of them).
    pub fn id_bound_for(&self, site: &SiteId) -> Option<&str> {
        match site.cmp(&self.site) {
            std::cmp::Ordering::Less => None,
            std::cmp::Ordering::Equal => Some(self.id.as_str()),
            std::cmp::Ordering::Greater => Some(""),
        }
    }
}

/// Sorts rows gathered from several sites into the journal's order.
pub fn sort_entries(entries: &mut [JournalEntry]) {
    entries.sort_by(|a, b| (b.started_at, &b.site, &b.id).cmp(&(a.started_at, &a.site, &a.id)));
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalKind {
    #[default]
    All,
    /// Started by the visitor.
    Incoming,
    /// Started by an operator.
    Outgoing,
    Missed,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatingFilter {
    #[default]
    Any,
    Good,
    Bad,
    /// Not rated.
    None,
}

/// The journal's periods, counted in the organisation's time zone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    #[default]
    All,
    Today,
    /// Today and the 6 days before.
    Last7Days,
    /// Since Monday.
    Week,
    Month,
    Year,
    /// From a date to a date, both included.
    Custom,
}

macro_rules! words {
    ($name:ident { $($variant:ident = $word:literal),* $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// Its word in a URL.
            pub fn word(self) -> &'static str {
                match self { $($name::$variant => $word),* }
            }

            pub fn from_word(word: &str) -> Option<$name> {
                match word { $($word => Some($name::$variant),)* _ => None }
            }
        }
    };
}

words!(JournalKind { All = "all", Incoming = "incoming", Outgoing = "outgoing", Missed = "missed" });
words!(RatingFilter { Any = "any", Good = "good", Bad = "bad", None = "none" });
words!(Period {
    All = "all",
    Today = "today",
    Last7Days = "7days",
    Week = "week",
    Month = "month",
    Year = "year",
    Custom = "custom",
});

/// A calendar date (in some time zone); `"YYYY-MM-DD"` in JSON.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// `YYYY-MM-DD`, as a date field gives it.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.split('-');
        let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
            return None;
        }
        let date = Date { year: year.parse().ok()?, month: month.parse().ok()?, day: day.parse().ok()? };
        (date.month >= 1 && date.month <= 12 && date.day >= 1 && date.day <= days_in_month(date.year, date.month)).then_some(date)
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        Date { year: (yoe + era * 400 + i64::from(month <= 2)) as i32, month, day }
    }

    pub fn add_days(self, n: i64) -> Date {
        Date::from_days(self.days() + n)
    }

    /// Monday is 0.
    pub fn weekday(self) -> i64 {
        // 1970-01-01 was a Thursday.
        (self.days() + 3).rem_euclid(7)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("\"{text}\" is not a date, e.g. 2026-12-01")))
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// What the console's address says the journal shows (`#journal?kind=missed&…`): only
/// what differs from the defaults is written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JournalView {
    pub kind: JournalKind,
    pub period: Period,
    /// The custom period's first and last day.
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub operator: Option<OperatorId>,
    pub site: Option<SiteId>,
    pub rating: RatingFilter,
    pub search: String,
}

impl JournalView {
    /// Reads the parameters of an address; what it does not understand is left at its
    /// default (an old bookmark still opens).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> JournalView {
        let mut view = JournalView::default();
        for (key, value) in pairs {
            match key {
                "kind" => view.kind = JournalKind::from_word(value).unwrap_or_default(),
                "period" => view.period = Period::from_word(value).unwrap_or_default(),
                "from" => view.from = Date::parse(value),
                "to" => view.to = Date::parse(value),
                "operator" => view.operator = OperatorId::parse(value).ok(),
                "site" => view.site = SiteId::parse(value).ok(),
                "rating" => view.rating = RatingFilter::from_word(value).unwrap_or_default(),
                "q" => view.search = value.chars().take(MAX_SEARCH_CHARS).collect(),
                _ => {}
            }
        }
        view
    }

    /// The parameters that differ from the defaults, in a fixed order (not encoded).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if self.kind != JournalKind::All {
            pairs.push(("kind", self.kind.word().to_owned()));
        }
        if self.period != Period::All {
            pairs.push(("period", self.period.word().to_owned()));
        }
        if self.period == Period::Custom {
            pairs.extend(self.from.map(|d| ("from", d.to_string())));
            pairs.extend(self.to.map(|d| ("to", d.to_string())));
        }
        push_filters(&mut pairs, self.operator.as_ref(), self.site.as_ref(), self.rating, &self.search);
        pairs
    }

    /// The period as the first and the day after the last day it covers, given today
    /// in the organisation's time zone (`None`: unbounded on that side).
    pub fn days(&self, today: Date) -> (Option<Date>, Option<Date>) {
        let tomorrow = Some(today.add_days(1));
        match self.period {
            Period::All => (None, None),
            Period::Today => (Some(today), tomorrow),
            Period::Last7Days => (Some(today.add_days(-6)), tomorrow),
            Period::Week => (Some(today.add_days(-today.weekday())), tomorrow),
            Period::Month => (Some(Date { day: 1, ..today }), tomorrow),
            Period::Year => (Some(Date { month: 1, day: 1, ..today }), tomorrow),
            Period::Custom => (self.from, self.to.map(|d| d.add_days(1))),
        }
    }
}

/// What the edge is asked for: the view's filters with its period as times.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalQuery {
    #[serde(default)]
    pub kind: JournalKind,
    /// Conversations started at or after this time…
    #[serde(default)]
    pub since: Option<Millis>,
    /// …and before this one.
    #[serde(default)]
    pub until: Option<Millis>,
    #[serde(default)]
    pub operator: Option<OperatorId>,
    #[serde(default)]
    pub site: Option<SiteId>,
    #[serde(default)]
    pub rating: RatingFilter,
    #[serde(default)]
    pub search: String,
    /// The page after this row (`None`: the first page).
    #[serde(default)]
    pub after: Option<JournalKey>,
}

impl JournalQuery {
    /// The query's URL parameters (not encoded).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if self.kind != JournalKind::All {
            pairs.push(("kind", self.kind.word().to_owned()));
        }
        pairs.extend(self.since.map(|t| ("since", t.to_string())));
        pairs.extend(self.until.map(|t| ("until", t.to_string())));
        push_filters(&mut pairs, self.operator.as_ref(), self.site.as_ref(), self.rating, &self.search);
        if let Some(after) = &self.after {
            pairs.push(("after_at", after.at.to_string()));
            pairs.push(("after_site", after.site.to_string()));
            pairs.push(("after_id", after.id.to_string()));
        }
        pairs
    }

    /// Reads a query from URL parameters; a wrong one is refused with what is wrong.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<JournalQuery, String> {
        let mut query = JournalQuery::default();
        let (mut after_at, mut after_site, mut after_id) = (None, None, None);
        let time = |key: &str, value: &str| value.parse::<Millis>().map_err(|_| format!("`{key}` must be a time in milliseconds"));
        for (key, value) in pairs {
            match key {
                "kind" => {
                    query.kind = JournalKind::from_word(value)
                        .ok_or_else(|| format!("`kind` must be one of {}", words_of(JournalKind::ALL.iter().map(|k| k.word()))))?
                }
                "since" => query.since = Some(time(key, value)?),
                "until" => query.until = Some(time(key, value)?),
                "operator" => query.operator = Some(OperatorId::parse(value).map_err(|e| e.to_string())?),
                "site" => query.site = Some(SiteId::parse(value).map_err(|e| e.to_string())?),
                "rating" => {
                    query.rating = RatingFilter::from_word(value)
                        .ok_or_else(|| format!("`rating` must be one of {}", words_of(RatingFilter::ALL.iter().map(|k| k.word()))))?
                }
                "q" => {
                    if value.chars().count() > MAX_SEARCH_CHARS {
                        return Err(format!("The search is longer than {MAX_SEARCH_CHARS} characters"));
                    }
                    query.search = value.to_owned();
                }
                "after_at" => after_at = Some(time(key, value)?),
                "after_site" => after_site = Some(SiteId::parse(value).map_err(|e| e.to_string())?),
                "after_id" => after_id = Some(ConversationId::parse(value).map_err(|e| e.to_string())?),
                _ => {}
            }
        }
        query.after = match (after_at, after_site, after_id) {
            (Some(at), Some(site), Some(id)) => Some(JournalKey { at, site, id }),
            (None, None, None) => None,
            _ => return Err("`after_at`, `after_site` and `after_id` go together".into()),
        };
        Ok(query)
    }
}

/// The filters the console's address and the edge's query share, in that order.
fn push_filters(pairs: &mut Vec<(&'static str, String)>, operator: Option<&OperatorId>, site: Option<&SiteId>, rating: RatingFilter, search: &str) {
    pairs.extend(operator.map(|o| ("operator", o.to_string())));
    pairs.extend(site.map(|s| ("site", s.to_string())));
    if rating != RatingFilter::Any {
        pairs.push(("rating", rating.word().to_owned()));
    }
    if !search.trim().is_empty() {
        pairs.push(("q", search.to_owned()));
    }
}

fn words_of<'a>(words: impl Iterator<Item = &'a str>) -> String {
    words.collect::<Vec<_>>().join(", ")
}

/// A page of the journal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalPage {
    pub entries: Vec<JournalEntry>,
    /// There are more rows after the last one.
    pub more: bool,
}

/// The search words as an FTS5 query: each word must occur, as a word or the start of
/// one (`"пицц"*` finds «пиццу»); quotes keep FTS5's own syntax out. `None` when there
/// is no word to look for.
pub fn fts_query(search: &str) -> Option<String> {
    let words: Vec<String> = search
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// A CSV field: quoted when it needs to be, and never read as a formula by a
/// spreadsheet (a leading `=`, `+`, `-` or `@` gets a `'`).
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// Words of the CSV, in the console's language.
pub struct CsvWords<'a> {
    pub header: [&'a str; 15],
    pub incoming: &'a str,
    pub outgoing: &'a str,
    pub missed: &'a str,
    pub good: &'a str,
    pub bad: &'a str,
    pub states: [&'a str; 3],
}

/// The journal's rows as CSV (RFC 4180, CRLF), one row per conversation; `time` writes
/// a moment in the organisation's time zone, `site_name` names a site.
pub fn csv(entries: &[JournalEntry], words: &CsvWords, time: impl Fn(Millis) -> String, site_name: impl Fn(&SiteId) -> String) -> String {
    let mut out = words.header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    for e in entries {
        let kind = if e.outgoing { words.outgoing } else if e.missed { words.missed } else { words.incoming };
        let state = match e.state {
            ConversationState::Waiting => words.states[0],
            ConversationState::Active => words.states[1],
            ConversationState::Closed => words.states[2],
        };
        let rating = match e.rating {
            Some(true) => words.good,
            Some(false) => words.bad,
            None => "",
        };
        let fields = [
            time(e.started_at),
            e.visitor_name.clone(),
            e.email.clone(),
            e.phone.clone(),
            e.owner.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
            kind.to_owned(),
            state.to_owned(),
            (e.duration_ms() / 1000).to_string(),
            e.messages.to_string(),
            e.first_response_ms.map(|ms| (ms / 1000).to_string()).unwrap_or_default(),
            site_name(&e.site),
            e.page_url.clone(),
            e.referrer.clone(),
            rating.to_owned(),
            e.id.to_string(),
        ];
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(site: &str, id: &str, at: u64) -> JournalEntry {
        JournalEntry {
            site: SiteId::parse(site).unwrap(),
            id: ConversationId::parse(id).unwrap(),
            visitor_name: "Anna".into(),
            email: String::new(),
            phone: String::new(),
            owner: None,
            started_at: at,
            last_at: at + 61_000,
            messages: 3,
            first_response_ms: Some(12_500),
            outgoing: false,
            missed: false,
            state: ConversationState::Closed,
            rating: Some(true),
            page_url: "https://shop.example/".into(),
            referrer: String::new(),
        }
    }

    #[test]
    fn dates_count_days_both_ways() {
        let date = Date::parse("2026-12-02").unwrap();
        assert_eq!(date.days(), 20_789);
        assert_eq!(Date::from_days(20_789), date);
        assert_eq!(date.weekday(), 2, "a Wednesday");
        assert_eq!(Date::parse("2024-03-01").unwrap().add_days(-1).to_string(), "2024-02-29");
        assert_eq!(Date::parse("2026-02-29"), None);
        assert_eq!(Date::parse("2026-1-02"), None);
        for days in -800_000..800_000 {
            if days % 997 == 0 {
                assert_eq!(Date::from_days(days).days(), days);
            }
        }
    }

    #[test]
    fn periods_start_where_a_person_expects() {
        let today = Date::parse("2026-12-02").unwrap();
        let view = |period| JournalView { period, ..JournalView::default() };
        let day = |s| Some(Date::parse(s).unwrap());
        assert_eq!(view(Period::All).days(today), (None, None));
        assert_eq!(view(Period::Today).days(today), (day("2026-12-02"), day("2026-12-03")));
        assert_eq!(view(Period::Last7Days).days(today), (day("2026-11-26"), day("2026-12-03")));
        assert_eq!(view(Period::Week).days(today), (day("2026-11-30"), day("2026-12-03")));
        assert_eq!(view(Period::Month).days(today), (day("2026-12-01"), day("2026-12-03")));
        assert_eq!(view(Period::Year).days(today), (day("2026-01-01"), day("2026-12-03")));
        let custom = JournalView { period: Period::Custom, from: day("2026-11-01"), to: day("2026-11-30"), ..JournalView::default() };
        assert_eq!(custom.days(today), (day("2026-11-01"), day("2026-12-01")));
    }

    #[test]
    fn a_view_goes_through_the_address_and_back() {
        let view = JournalView {
            kind: JournalKind::Missed,
            period: Period::Custom,
            from: Date::parse("2026-11-01"),
            to: Date::parse("2026-11-30"),
            operator: Some(OperatorId::parse("op-1").unwrap()),
            site: Some(SiteId::parse("demo").unwrap()),
            rating: RatingFilter::Bad,
            search: "пицца".into(),
        };
        let pairs = view.pairs();
        assert_eq!(JournalView::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))), view);
        assert!(JournalView::default().pairs().is_empty());
        assert_eq!(JournalView::from_pairs([("kind", "nonsense"), ("x", "y")]), JournalView::default());
    }

    #[test]
    fn a_query_goes_through_the_url_and_wrong_ones_say_why() {
        let query = JournalQuery {
            kind: JournalKind::Outgoing,
            since: Some(1),
            until: Some(2),
            rating: RatingFilter::None,
            search: "a b".into(),
            after: Some(JournalKey { at: 5, site: SiteId::parse("s").unwrap(), id: ConversationId::parse("c").unwrap() }),
            ..JournalQuery::default()
        };
        let pairs = query.pairs();
        assert_eq!(JournalQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))), Ok(query));
        assert_eq!(JournalQuery::from_pairs([("kind", "x")]), Err("`kind` must be one of all, incoming, outgoing, missed".into()));
        assert_eq!(JournalQuery::from_pairs([("since", "soon")]), Err("`since` must be a time in milliseconds".into()));
        assert!(JournalQuery::from_pairs([("after_at", "1")]).is_err());
        assert!(JournalQuery::from_pairs([("q", "x".repeat(201).as_str())]).is_err());
    }

    #[test]
    fn search_words_cannot_speak_fts5() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_query("пицц Anna"), Some("\"пицц\"* \"Anna\"*".into()));
        assert_eq!(fts_query("a\" OR b NEAR(c"), Some("\"a\"* \"OR\"* \"b\"* \"NEAR\"* \"c\"*".into()));
        assert_eq!(fts_query("anna@example.com"), Some("\"anna\"* \"example\"* \"com\"*".into()));
    }

    #[test]
    fn pages_of_several_sites_merge_in_one_order() {
        let mut entries = vec![entry("b", "x", 5), entry("a", "y", 5), entry("a", "z", 7), entry("b", "w", 5)];
        sort_entries(&mut entries);
        let order: Vec<_> = entries.iter().map(|e| format!("{}/{}", e.site, e.id)).collect();
        assert_eq!(order, ["a/z", "b/x", "b/w", "a/y"]);
        let key = entries[1].key();
        assert!(key.precedes(&entries[2].key()) && !entries[2].key().precedes(&key));
        assert_eq!(key.id_bound_for(&SiteId::parse("a").unwrap()), None);
        assert_eq!(key.id_bound_for(&SiteId::parse("b").unwrap()), Some("x"));
        assert_eq!(key.id_bound_for(&SiteId::parse("c").unwrap()), Some(""));
    }

    #[test]
    fn csv_quotes_what_it_must_and_defuses_formulas() {
        let mut e = entry("demo", "c1", 0);
        e.visitor_name = "=HYPERLINK(\"x\")".into();
        e.referrer = "a,b".into();
        let words = CsvWords {
            header: ["Started", "Visitor", "Email", "Phone", "Operator", "Kind", "State", "Duration (s)", "Messages", "First response (s)", "Site", "Page", "Source", "Rating", "Conversation"],
            incoming: "incoming",
            outgoing: "outgoing",
            missed: "missed",
            good: "good",
            bad: "bad",
            states: ["waiting", "active", "closed"],
        };
        let csv = csv(&[e], &words, |ms| format!("t{ms}"), |s| s.to_string());
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1], "t0,\"'=HYPERLINK(\"\"x\"\")\",,,,incoming,closed,61,3,12,demo,https://shop.example/,\"a,b\",good,c1");
    }
}
