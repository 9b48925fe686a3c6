//! The organisation's figures: per day (in its time zone) and per operator, how many
//! conversations, how many missed, how fast the first answer came (median and 90th
//! percentile), the ratings, and the offline messages. The console's "Figures" page
//! and the daily report e-mail both show them.

use serde::{Deserialize, Serialize};

use crate::ids::OperatorId;
use crate::journal::Date;
use crate::protocol::Millis;
use crate::settings::Language;

/// The longest period the figures cover at once.
pub const MAX_DAYS: i64 = 92;

/// One day's counts for one operator, or for everyone (`operator: None`), as a site's
/// journal has them; the first answers' times are kept whole so that sites merge.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// The day's index in the period asked (0 is its first day).
    pub day: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<OperatorId>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub operator_name: String,
    pub conversations: u64,
    pub missed: u64,
    pub good: u64,
    pub bad: u64,
    /// Each answered conversation's first response time, in ms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub first_responses: Vec<u64>,
    pub offline: u64,
}

impl Tally {
    /// Adds another's counts (the same day, from another site or operator).
    pub fn add(&mut self, other: &Tally) {
        self.conversations += other.conversations;
        self.missed += other.missed;
        self.good += other.good;
        self.bad += other.bad;
        self.offline += other.offline;
        self.first_responses.extend_from_slice(&other.first_responses);
    }
}

/// A row of the figures table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiguresRow {
    pub date: Date,
    /// `None`: the day's total, every operator and nobody's conversations included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<OperatorId>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub operator_name: String,
    pub conversations: u64,
    pub missed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_first_response_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p90_first_response_ms: Option<u64>,
    pub good: u64,
    pub bad: u64,
    /// Offline messages (the day's total only: nobody answered them live).
    pub offline: u64,
}

/// `GET /v1/console/figures` answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub since: Date,
    pub until: Date,
    pub time_zone: String,
    /// Newest day first; each day's total, then its operators by name.
    pub rows: Vec<FiguresRow>,
}

/// The daily report: where it goes (none: off, the default) and in which language.
/// `GET`/`PUT /v1/console/organisation/report`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyReport {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub language: Language,
    /// When the next one goes (its object's alarm), if it is on; the edge fills it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_at: Option<Millis>,
}

impl DailyReport {
    pub fn check(&self) -> Result<(), String> {
        match &self.email {
            Some(email) if !crate::contact::is_email(email) => Err(format!("Report e-mail: \"{email}\" is not an e-mail address, e.g. owner@example.com")),
            _ => Ok(()),
        }
    }
}

/// The value below which `share` (0–1) of the sorted `values` lie (nearest rank).
pub fn percentile(sorted: &[u64], share: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (share * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// The table for days `since`..=`until` from every site's tallies: a total per day
/// (even a day with nothing), then each operator who had a conversation that day.
pub fn table(since: Date, until: Date, tallies: &[Tally]) -> Vec<FiguresRow> {
    let days = (until.days() - since.days() + 1).max(0) as usize;
    let mut rows = Vec::new();
    for day in (0..days).rev() {
        let date = since.add_days(day as i64);
        let of_day: Vec<&Tally> = tallies.iter().filter(|t| t.day == day).collect();
        let mut total = Tally::default();
        let mut operators: Vec<Tally> = Vec::new();
        for tally in &of_day {
            total.add(tally);
            if let Some(id) = &tally.operator {
                match operators.iter_mut().find(|o| o.operator.as_ref() == Some(id)) {
                    Some(known) => known.add(tally),
                    None => operators.push((*tally).clone()),
                }
            }
        }
        operators.sort_by(|a, b| (&a.operator_name, &a.operator).cmp(&(&b.operator_name, &b.operator)));
        rows.push(row(date, total));
        rows.extend(operators.into_iter().map(|mut o| {
            o.offline = 0;
            row(date, o)
        }));
    }
    rows
}

fn row(date: Date, mut tally: Tally) -> FiguresRow {
    tally.first_responses.sort_unstable();
    FiguresRow {
        date,
        median_first_response_ms: percentile(&tally.first_responses, 0.5),
        p90_first_response_ms: percentile(&tally.first_responses, 0.9),
        operator: tally.operator,
        operator_name: tally.operator_name,
        conversations: tally.conversations,
        missed: tally.missed,
        good: tally.good,
        bad: tally.bad,
        offline: tally.offline,
    }
}

/// A duration as people read it: "45 s", "3 min 20 s", "2 h 5 min".
pub fn duration(ms: Millis, ru: bool) -> String {
    let seconds = ms.div_ceil(1000);
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let (hu, mu, su) = if ru { ("ч", "мин", "с") } else { ("h", "min", "s") };
    match (h, m) {
        (0, 0) => format!("{s} {su}"),
        (0, _) if s == 0 => format!("{m} {mu}"),
        (0, _) => format!("{m} {mu} {s} {su}"),
        _ => format!("{h} {hu} {m} {mu}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(day: usize, operator: Option<&str>, responses: &[u64]) -> Tally {
        Tally {
            day,
            operator: operator.map(|o| OperatorId::parse(o).unwrap()),
            operator_name: operator.unwrap_or_default().to_uppercase(),
            conversations: responses.len() as u64 + 1,
            missed: 1,
            good: 1,
            bad: 0,
            first_responses: responses.to_vec(),
            offline: 2,
        }
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let values: Vec<u64> = (1..=10).collect();
        assert_eq!(percentile(&values, 0.5), Some(5));
        assert_eq!(percentile(&values, 0.9), Some(9));
        assert_eq!(percentile(&[7], 0.9), Some(7));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn a_table_has_a_total_for_every_day_and_merges_sites() {
        let since = Date { year: 2026, month: 11, day: 30 };
        let until = Date { year: 2026, month: 12, day: 2 };
        let tallies = [
            tally(0, Some("op_b"), &[4000]),
            tally(0, Some("op_a"), &[1000, 3000]),
            tally(0, Some("op_a"), &[2000]),
            tally(0, None, &[]),
            tally(2, Some("op_b"), &[]),
        ];
        let rows = table(since, until, &tallies);
        let dates: Vec<String> = rows.iter().map(|r| format!("{} {}", r.date, r.operator_name)).collect();
        assert_eq!(dates, ["2026-12-02 ", "2026-12-02 OP_B", "2026-12-01 ", "2026-11-30 ", "2026-11-30 OP_A", "2026-11-30 OP_B"]);
        let total = &rows[3];
        assert_eq!((total.conversations, total.missed, total.offline), (4 + 2 + 1 + 1, 4, 8));
        assert_eq!((total.median_first_response_ms, total.p90_first_response_ms), (Some(2000), Some(4000)));
        let a = &rows[4];
        assert_eq!((a.conversations, a.median_first_response_ms, a.offline), (5, Some(2000), 0));
        assert_eq!(rows[2].conversations, 0);
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(45_000, false), "45 s");
        assert_eq!(duration(200_000, false), "3 min 20 s");
        assert_eq!(duration(180_000, true), "3 мин");
        assert_eq!(duration(7_500_000, false), "2 h 5 min");
        assert_eq!(duration(1, false), "1 s");
    }
}
