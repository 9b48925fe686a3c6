//! Auto-actions: the site's chat-bot rules (Gravity's "Автоматические действия") and
//! the engine that decides when they fire. Pure: the widget passes in what it knows
//! (the page, the visit, the conversation, the clock) and a memory of what has fired,
//! and gets back the actions to run and when to look again.
//!
//! When a rule fires:
//! - when its conditions become true, never again while they stay true;
//! - a rule about the page and the visit only fires at most once per visit (a visit
//!   ends after 30 minutes without activity), so a greeting is not repeated on every
//!   page, but a returning visitor is greeted again;
//! - a rule about the conversation (who wrote last, response delays) fires at most
//!   once per waiting episode: again only after the awaited side has written.

use serde::{Deserialize, Serialize};

use crate::i18n::Strings;
use crate::protocol::Millis;
use crate::settings::{FieldError, Language, LocalText};

/// Most rules a site can have.
pub const MAX_RULES: usize = 50;
/// Most conditions in one rule.
pub const MAX_CONDITIONS: usize = 10;
/// Longest rule name, in characters.
pub const MAX_RULE_NAME_CHARS: usize = 80;
/// A visit ends after this long without activity.
pub const VISIT_GAP_MS: Millis = 30 * 60 * 1000;

/// What a condition looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    /// Seconds on this page.
    TimeOnPage,
    /// Seconds on the site in this visit.
    TimeOnSite,
    /// Visits to the site from this browser, this one included.
    Visits,
    /// Pages viewed in this visit, this one included.
    PagesViewed,
    PageUrl,
    Referrer,
    /// The last message was the visitor's.
    LastByVisitor,
    /// The last message was an operator's.
    LastByOperator,
    /// Seconds since the visitor's last message that no operator has answered.
    OperatorDelay,
    /// Seconds since the operator's last message that the visitor has not answered.
    VisitorDelay,
    /// The visitor has introduced themselves.
    Introduced,
    OperatorOnline,
    /// The visitor has written in the conversation (rules' messages are not theirs).
    VisitorWrote,
    /// An operator has joined the conversation: has written in it (rules' messages do
    /// not count), "Оператор присоединился к диалогу" of the seeds.
    OperatorJoined,
}

/// The kind of value a fact has, which decides the comparisons that make sense.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Number,
    Text,
    Flag,
}

impl Fact {
    pub const ALL: [Fact; 14] = [
        Fact::TimeOnPage,
        Fact::TimeOnSite,
        Fact::Visits,
        Fact::PagesViewed,
        Fact::PageUrl,
        Fact::Referrer,
        Fact::LastByVisitor,
        Fact::LastByOperator,
        Fact::OperatorDelay,
        Fact::VisitorDelay,
        Fact::Introduced,
        Fact::OperatorOnline,
        Fact::VisitorWrote,
        Fact::OperatorJoined,
    ];

    pub fn kind(self) -> Kind {
        match self {
            Fact::TimeOnPage | Fact::TimeOnSite | Fact::Visits | Fact::PagesViewed | Fact::OperatorDelay | Fact::VisitorDelay => {
                Kind::Number
            }
            Fact::PageUrl | Fact::Referrer => Kind::Text,
            Fact::LastByVisitor | Fact::LastByOperator | Fact::Introduced | Fact::OperatorOnline | Fact::VisitorWrote | Fact::OperatorJoined => {
                Kind::Flag
            }
        }
    }

    /// About the conversation rather than the page and the visit.
    fn is_conversation(self) -> bool {
        matches!(self, Fact::LastByVisitor | Fact::LastByOperator | Fact::OperatorDelay | Fact::VisitorDelay)
    }

    /// The comparisons that make sense for this fact.
    pub fn ops(self) -> &'static [Op] {
        match self.kind() {
            Kind::Number => &[Op::Gt, Op::Lt, Op::Eq, Op::Ne],
            Kind::Text => &[Op::Contains, Op::Eq, Op::Ne],
            Kind::Flag => &[Op::Eq, Op::Ne],
        }
    }
}

/// How a fact is compared with the condition's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Gt,
    Lt,
    Eq,
    Ne,
    Contains,
}

/// A condition's value: a whole number, a text or yes/no, as the fact needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Operand {
    Number(u64),
    Flag(bool),
    Text(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub fact: Fact,
    pub op: Op,
    pub value: Operand,
}

/// Whether every condition must hold, or any one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    #[default]
    All,
    Any,
}

/// What a rule does when it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Sends the rule's text as the operator (marked automatic for operators).
    Message,
    /// Opens the window and plays the sound.
    OpenWithSound,
    Open,
    /// Opens the "Introduce yourself" form.
    OpenIntroduce,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub matching: Match,
    pub conditions: Vec<Condition>,
    pub action: Action,
    /// The message, for [`Action::Message`], per language.
    #[serde(default, skip_serializing_if = "LocalText::is_blank")]
    pub text: LocalText,
}

fn yes() -> bool {
    true
}

/// The visit facts the widget keeps in the browser (no personal data: counts and times).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// Visits from this browser, this one included.
    pub visits: u64,
    pub started: Millis,
    pub pages_viewed: u64,
    pub last_activity: Millis,
}

impl Visit {
    /// A page was opened at `now`: the same visit if the last activity was less than
    /// 30 minutes ago, else a new one.
    pub fn page_view(&mut self, now: Millis) {
        if self.visits == 0 || now.saturating_sub(self.last_activity) >= VISIT_GAP_MS {
            self.visits += 1;
            self.started = now;
            self.pages_viewed = 0;
        }
        self.pages_viewed += 1;
        self.last_activity = now;
    }

    /// The visitor is still here (a message, a keystroke, a tick while the page is shown).
    pub fn active(&mut self, now: Millis) {
        self.last_activity = self.last_activity.max(now);
    }
}

/// What the widget knows when it evaluates the rules. Times are milliseconds since the
/// epoch; the visitor's and operators' last messages are `None` when there is none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub now: Millis,
    pub page_started: Millis,
    pub visit: Visit,
    pub page_url: String,
    pub referrer: String,
    pub last_visitor_message: Option<Millis>,
    pub last_operator_message: Option<Millis>,
    pub introduced: bool,
    pub operator_online: bool,
}

fn seconds_since(now: Millis, then: Millis) -> u64 {
    now.saturating_sub(then) / 1000
}

impl Facts {
    fn last_by_visitor(&self) -> bool {
        matches!((self.last_visitor_message, self.last_operator_message), (Some(v), o) if o.is_none_or(|o| v > o))
    }

    fn last_by_operator(&self) -> bool {
        matches!((self.last_operator_message, self.last_visitor_message), (Some(o), v) if v.is_none_or(|v| o >= v))
    }

    /// When the clock for a time fact started, if it is running.
    fn clock_start(&self, fact: Fact) -> Option<Millis> {
        match fact {
            Fact::TimeOnPage => Some(self.page_started),
            Fact::TimeOnSite => Some(self.visit.started),
            Fact::OperatorDelay => self.last_by_visitor().then_some(self.last_visitor_message).flatten(),
            Fact::VisitorDelay => self.last_by_operator().then_some(self.last_operator_message).flatten(),
            _ => None,
        }
    }

    fn number(&self, fact: Fact) -> Option<u64> {
        match fact {
            Fact::Visits => Some(self.visit.visits),
            Fact::PagesViewed => Some(self.visit.pages_viewed),
            _ => self.clock_start(fact).map(|start| seconds_since(self.now, start)),
        }
    }

    fn flag(&self, fact: Fact) -> bool {
        match fact {
            Fact::LastByVisitor => self.last_by_visitor(),
            Fact::LastByOperator => self.last_by_operator(),
            Fact::Introduced => self.introduced,
            Fact::VisitorWrote => self.last_visitor_message.is_some(),
            Fact::OperatorJoined => self.last_operator_message.is_some(),
            _ => self.operator_online,
        }
    }

    fn text(&self, fact: Fact) -> &str {
        if fact == Fact::Referrer { &self.referrer } else { &self.page_url }
    }
}

impl Condition {
    /// Whether the condition holds. A delay with nobody waiting holds for nothing. Texts
    /// compare without ASCII case (addresses are ASCII; Unicode case tables would cost
    /// the widget).
    pub fn holds(&self, facts: &Facts) -> bool {
        match (&self.value, self.fact.kind()) {
            (Operand::Number(value), Kind::Number) => facts.number(self.fact).is_some_and(|n| match self.op {
                Op::Gt => n > *value,
                Op::Lt => n < *value,
                Op::Eq => n == *value,
                Op::Ne => n != *value,
                Op::Contains => false,
            }),
            (Operand::Flag(value), Kind::Flag) => match self.op {
                Op::Eq => facts.flag(self.fact) == *value,
                Op::Ne => facts.flag(self.fact) != *value,
                _ => false,
            },
            (Operand::Text(value), Kind::Text) => {
                let (fact, value) = (facts.text(self.fact).to_ascii_lowercase(), value.to_ascii_lowercase());
                match self.op {
                    Op::Contains => fact.contains(&value),
                    Op::Eq => fact == value,
                    Op::Ne => fact != value,
                    _ => false,
                }
            }
            // Refused when saved; a damaged document never fires.
            _ => false,
        }
    }

    /// The next moment after `now` at which this condition may change by time alone.
    fn next_change(&self, facts: &Facts) -> Option<Millis> {
        let (Some(start), Operand::Number(value)) = (facts.clock_start(self.fact), &self.value) else { return None };
        // Whole seconds: "> v" turns true at v + 1 s, "< v" false at v s, "=" and "≠" flip at both.
        let (at_value, after_value) = (value.saturating_mul(1000), value.saturating_add(1).saturating_mul(1000));
        let points = match self.op {
            Op::Gt => [None, Some(after_value)],
            Op::Lt => [Some(at_value), None],
            Op::Eq | Op::Ne => [Some(at_value), Some(after_value)],
            Op::Contains => [None, None],
        };
        points.into_iter().flatten().map(|offset| start.saturating_add(offset)).find(|at| *at > facts.now)
    }
}

impl Rule {
    pub fn holds(&self, facts: &Facts) -> bool {
        match self.matching {
            Match::All => !self.conditions.is_empty() && self.conditions.iter().all(|c| c.holds(facts)),
            Match::Any => self.conditions.iter().any(|c| c.holds(facts)),
        }
    }

    /// The episode the rule may fire once in: the visit for page and visit rules; for
    /// conversation rules, the last message of the side being waited for (so the rule
    /// may fire again only after that side has written).
    fn episode(&self, facts: &Facts) -> Episode {
        let conversation = self.conditions.iter().any(|c| c.fact.is_conversation());
        if !conversation {
            return Episode::Visit(facts.visit.started);
        }
        let awaits_operator = self.conditions.iter().any(|c| matches!(c.fact, Fact::LastByVisitor | Fact::OperatorDelay));
        let awaits_visitor = self.conditions.iter().any(|c| matches!(c.fact, Fact::LastByOperator | Fact::VisitorDelay));
        Episode::Conversation {
            operator: if awaits_operator { facts.last_operator_message } else { None },
            visitor: if awaits_visitor { facts.last_visitor_message } else { None },
        }
    }
}

/// One stretch of time in which a rule fires at most once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Episode {
    Visit(Millis),
    Conversation { operator: Option<Millis>, visitor: Option<Millis> },
}

/// What has fired, per rule name; kept by the widget in the browser.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    pub fired: Vec<(String, Episode)>,
}

impl Memory {
    fn has_fired(&self, rule: &Rule, episode: &Episode) -> bool {
        self.fired.iter().any(|(name, e)| *name == rule.name && e == episode)
    }

    fn remember(&mut self, rule: &Rule, episode: Episode) {
        self.fired.retain(|(name, _)| *name != rule.name);
        self.fired.push((rule.name.clone(), episode));
    }
}

/// A rule that fired: what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Firing {
    pub rule: String,
    pub action: Action,
    pub text: LocalText,
}

/// The rules that fire now, in the site's order, each remembered so it does not fire
/// again in its episode.
pub fn evaluate(rules: &[Rule], facts: &Facts, memory: &mut Memory) -> Vec<Firing> {
    let mut firings = Vec::new();
    for rule in rules.iter().filter(|r| r.enabled) {
        let episode = rule.episode(facts);
        if memory.has_fired(rule, &episode) || !rule.holds(facts) {
            continue;
        }
        memory.remember(rule, episode);
        firings.push(Firing { rule: rule.name.clone(), action: rule.action, text: rule.text.clone() });
    }
    firings
}

/// When to evaluate again if nothing else happens (a message, a status change, a new
/// page): the next moment a time condition of a rule that can still fire changes.
/// `None` means no rule can fire by time alone: no timer at all.
pub fn next_check(rules: &[Rule], facts: &Facts, memory: &Memory) -> Option<Millis> {
    rules
        .iter()
        .filter(|r| r.enabled && !memory.has_fired(r, &r.episode(facts)))
        .flat_map(|r| r.conditions.iter().filter_map(|c| c.next_change(facts)))
        .min()
}

/// The earliest a rule could fire for a visitor with no conversation yet, by time
/// alone: the loader loads the widget just before it, and not at all for a rule that
/// needs a message (see [`wake_hints`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Wake {
    pub rule: String,
    /// Milliseconds on the page it needs at least.
    pub page: Millis,
    /// Milliseconds on the site, in this visit, it needs at least.
    pub site: Millis,
    /// It fires once per visit: the loader skips it when the memory says it fired in
    /// this one.
    pub visit: bool,
}

/// When a condition can first hold with no conversation: `None` never (it needs a
/// message, or cannot hold at all), else the least time on the page and on the site.
fn earliest(condition: &Condition) -> Option<(Millis, Millis)> {
    let clock = |op: Op, value: u64| -> Option<Millis> {
        match op {
            Op::Gt => Some(value.saturating_add(1).saturating_mul(1000)),
            Op::Eq => Some(value.saturating_mul(1000)),
            Op::Lt => (value > 0).then_some(0),
            Op::Ne => Some(if value == 0 { 1000 } else { 0 }),
            Op::Contains => None,
        }
    };
    match (condition.fact, &condition.value) {
        (Fact::TimeOnPage, Operand::Number(v)) => clock(condition.op, *v).map(|page| (page, 0)),
        (Fact::TimeOnSite, Operand::Number(v)) => clock(condition.op, *v).map(|site| (0, site)),
        // With no message there is no delay, and nobody wrote last.
        (Fact::OperatorDelay | Fact::VisitorDelay, _) => None,
        // Nor has anybody written or joined.
        (Fact::LastByVisitor | Fact::LastByOperator | Fact::VisitorWrote | Fact::OperatorJoined, Operand::Flag(value)) => {
            let needs_message = (condition.op == Op::Eq) == *value;
            (!needs_message).then_some((0, 0))
        }
        (fact, value) => {
            let fits = matches!((fact.kind(), value), (Kind::Number, Operand::Number(_)) | (Kind::Text, Operand::Text(_)) | (Kind::Flag, Operand::Flag(_)));
            // The page, the visit, the details and presence may hold at any time.
            (fits && condition.fact.ops().contains(&condition.op)).then_some((0, 0))
        }
    }
}

/// For each enabled rule that could fire before the visitor writes, the earliest it
/// could (a rule that any one condition fires gets one hint per condition).
pub fn wake_hints(rules: &[Rule]) -> Vec<Wake> {
    let mut hints = Vec::new();
    for rule in rules.iter().filter(|r| r.enabled && !r.conditions.is_empty()) {
        let visit = !rule.conditions.iter().any(|c| c.fact.is_conversation());
        let hint = |(page, site): (Millis, Millis)| Wake { rule: rule.name.clone(), page, site, visit };
        match rule.matching {
            Match::All => {
                let bounds: Option<Vec<(Millis, Millis)>> = rule.conditions.iter().map(earliest).collect();
                if let Some(bounds) = bounds {
                    hints.push(hint(bounds.into_iter().fold((0, 0), |(p, s), (page, site)| (p.max(page), s.max(site)))));
                }
            }
            Match::Any => hints.extend(rule.conditions.iter().filter_map(earliest).map(hint)),
        }
    }
    hints
}

/// Every reason a list of rules cannot work, each at its path
/// (`rules.2.conditions.0.op`).
pub fn check_rules(rules: &[Rule]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut refuse = |field: String, message: String| errors.push(FieldError { field, message });
    if rules.len() > MAX_RULES {
        refuse("rules".into(), format!("At most {MAX_RULES} rules, not {}", rules.len()));
    }
    for (i, rule) in rules.iter().enumerate() {
        let at = |rest: &str| format!("rules.{i}.{rest}");
        let name = rule.name.trim();
        if name.is_empty() || name.chars().count() > MAX_RULE_NAME_CHARS || name.chars().any(char::is_control) {
            refuse(at("name"), format!("Give the rule a name of 1 to {MAX_RULE_NAME_CHARS} characters"));
        } else if rules[..i].iter().any(|r| r.name.trim() == name) {
            refuse(at("name"), format!("Another rule is already called {name:?}"));
        }
        if rule.conditions.is_empty() || rule.conditions.len() > MAX_CONDITIONS {
            refuse(at("conditions"), format!("A rule needs 1 to {MAX_CONDITIONS} conditions"));
        }
        for (j, condition) in rule.conditions.iter().enumerate() {
            if !condition.fact.ops().contains(&condition.op) {
                refuse(at(&format!("conditions.{j}.op")), format!("{:?} cannot be compared with {:?}", condition.fact, condition.op));
            }
            let fits = matches!(
                (condition.fact.kind(), &condition.value),
                (Kind::Number, Operand::Number(_)) | (Kind::Text, Operand::Text(_)) | (Kind::Flag, Operand::Flag(_))
            );
            if !fits {
                let wanted = match condition.fact.kind() {
                    Kind::Number => "a whole number",
                    Kind::Text => "a text",
                    Kind::Flag => "true or false",
                };
                refuse(at(&format!("conditions.{j}.value")), format!("{:?} needs {wanted}", condition.fact));
            }
        }
        if rule.action == Action::Message && rule.text.is_blank() {
            refuse(at("text"), "A message action needs the message's text (in at least one language)".into());
        }
        for (language, text) in rule.text.each() {
            if text.trim().chars().count() > crate::limits::MAX_MESSAGE_CHARS {
                refuse(at(&format!("text.{language}")), format!("The message is at most {} characters", crate::limits::MAX_MESSAGE_CHARS));
            }
        }
    }
    errors
}

fn condition(fact: Fact, op: Op, value: Operand) -> Condition {
    Condition { fact, op, value }
}

/// Gravity's three rules, which every new site starts with: named in the site's
/// language, their messages in every language (the visitor gets theirs).
pub fn default_rules(language: Language) -> Vec<Rule> {
    type Pick = fn(&Strings) -> (&'static str, &'static str);
    let rule = |pick: Pick, conditions| Rule {
        name: pick(Strings::of(language)).0.into(),
        enabled: true,
        matching: Match::All,
        conditions,
        action: Action::Message,
        text: LocalText { ru: pick(Strings::of(Language::Ru)).1.into(), en: pick(Strings::of(Language::En)).1.into() },
    };
    vec![
        // Only while nobody has written: a conversation under way needs no greeting.
        rule(
            |w| w.rule_greeting,
            vec![condition(Fact::TimeOnPage, Op::Gt, Operand::Number(10)), condition(Fact::VisitorWrote, Op::Eq, Operand::Flag(false))],
        ),
        rule(
            |w| w.rule_autoresponder,
            vec![
                condition(Fact::LastByVisitor, Op::Eq, Operand::Flag(true)),
                condition(Fact::OperatorDelay, Op::Gt, Operand::Number(60)),
            ],
        ),
        rule(
            |w| w.rule_offline,
            vec![
                condition(Fact::OperatorOnline, Op::Eq, Operand::Flag(false)),
                condition(Fact::LastByVisitor, Op::Eq, Operand::Flag(true)),
                // It asks for contacts: not of a visitor who has given them.
                condition(Fact::Introduced, Op::Eq, Operand::Flag(false)),
            ],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: Millis = 1_700_000_000_000;

    fn facts() -> Facts {
        Facts {
            now: T0,
            page_started: T0,
            visit: Visit { visits: 1, started: T0, pages_viewed: 1, last_activity: T0 },
            page_url: "https://shop.example/cart?id=7".into(),
            referrer: "https://search.example/?q=shoes".into(),
            last_visitor_message: None,
            last_operator_message: None,
            introduced: false,
            operator_online: true,
        }
    }

    fn at(facts: &Facts, seconds: u64) -> Facts {
        Facts { now: facts.now + seconds * 1000, ..facts.clone() }
    }

    fn rule(name: &str, matching: Match, conditions: Vec<Condition>) -> Rule {
        Rule { name: name.into(), enabled: true, matching, conditions, action: Action::Message, text: LocalText::same("Hi") }
    }

    fn c(fact: Fact, op: Op, value: Operand) -> Condition {
        condition(fact, op, value)
    }

    fn n(v: u64) -> Operand {
        Operand::Number(v)
    }

    fn t(v: &str) -> Operand {
        Operand::Text(v.into())
    }

    fn f(v: bool) -> Operand {
        Operand::Flag(v)
    }

    #[test]
    fn every_number_fact_and_comparison() {
        let mut x = facts();
        x.visit.visits = 3;
        x.visit.pages_viewed = 2;
        x.last_visitor_message = Some(T0 - 5_000);
        let x = at(&x, 7); // 7 s on the page and site; the visitor wrote 12 s ago
        let holds = |fact, op, v| c(fact, op, n(v)).holds(&x);
        assert!(holds(Fact::TimeOnPage, Op::Gt, 6) && !holds(Fact::TimeOnPage, Op::Gt, 7));
        assert!(holds(Fact::TimeOnSite, Op::Lt, 8) && !holds(Fact::TimeOnSite, Op::Lt, 7));
        assert!(holds(Fact::Visits, Op::Eq, 3) && !holds(Fact::Visits, Op::Eq, 2));
        assert!(holds(Fact::PagesViewed, Op::Ne, 1) && !holds(Fact::PagesViewed, Op::Ne, 2));
        assert!(holds(Fact::OperatorDelay, Op::Gt, 11) && !holds(Fact::OperatorDelay, Op::Gt, 12));
        // Nobody waits for the visitor: a visitor delay holds for nothing, even "< 100".
        assert!(!holds(Fact::VisitorDelay, Op::Lt, 100));
    }

    #[test]
    fn text_facts_compare_without_case() {
        let x = facts();
        assert!(c(Fact::PageUrl, Op::Contains, t("/CART")).holds(&x));
        assert!(c(Fact::PageUrl, Op::Eq, t("https://shop.example/cart?id=7")).holds(&x));
        assert!(c(Fact::PageUrl, Op::Ne, t("https://shop.example/")).holds(&x));
        assert!(c(Fact::Referrer, Op::Contains, t("search.example")).holds(&x));
        assert!(!c(Fact::Referrer, Op::Contains, t("mail.example")).holds(&x));
        assert!(!c(Fact::PageUrl, Op::Gt, t("a")).holds(&x), "no order on texts");
    }

    #[test]
    fn flag_facts() {
        let mut x = facts();
        assert!(!c(Fact::LastByVisitor, Op::Eq, f(true)).holds(&x), "no messages: nobody wrote last");
        assert!(!c(Fact::LastByOperator, Op::Eq, f(true)).holds(&x));
        x.last_visitor_message = Some(T0);
        assert!(c(Fact::LastByVisitor, Op::Eq, f(true)).holds(&x));
        x.last_operator_message = Some(T0 + 1);
        assert!(c(Fact::LastByOperator, Op::Eq, f(true)).holds(&x));
        assert!(c(Fact::LastByVisitor, Op::Ne, f(true)).holds(&x));
        assert!(c(Fact::Introduced, Op::Eq, f(false)).holds(&x));
        x.introduced = true;
        assert!(c(Fact::Introduced, Op::Eq, f(true)).holds(&x));
        assert!(c(Fact::OperatorOnline, Op::Eq, f(true)).holds(&x));
        x.operator_online = false;
        assert!(c(Fact::OperatorOnline, Op::Ne, f(true)).holds(&x));
        assert!(!c(Fact::Introduced, Op::Gt, f(true)).holds(&x), "no order on flags");
        let fresh = facts();
        assert!(c(Fact::VisitorWrote, Op::Eq, f(false)).holds(&fresh) && c(Fact::OperatorJoined, Op::Eq, f(false)).holds(&fresh));
        let mut wrote = fresh.clone();
        wrote.last_visitor_message = Some(T0);
        assert!(c(Fact::VisitorWrote, Op::Eq, f(true)).holds(&wrote) && !c(Fact::OperatorJoined, Op::Eq, f(true)).holds(&wrote));
        wrote.last_operator_message = Some(T0 + 1);
        assert!(c(Fact::OperatorJoined, Op::Eq, f(true)).holds(&wrote));
    }

    #[test]
    fn all_and_any() {
        let x = facts();
        let yes = c(Fact::Visits, Op::Eq, n(1));
        let no = c(Fact::Visits, Op::Eq, n(2));
        assert!(rule("a", Match::All, vec![yes.clone(), yes.clone()]).holds(&x));
        assert!(!rule("a", Match::All, vec![yes.clone(), no.clone()]).holds(&x));
        assert!(rule("a", Match::Any, vec![no.clone(), yes]).holds(&x));
        assert!(!rule("a", Match::Any, vec![no.clone(), no]).holds(&x));
        assert!(!rule("a", Match::All, vec![]).holds(&x), "no conditions never holds");
    }

    #[test]
    fn a_greeting_fires_once_when_due_and_not_again_on_the_next_page_of_the_visit() {
        let rules = default_rules(Language::En);
        let mut memory = Memory::default();
        let x = facts();
        assert_eq!(evaluate(&rules, &x, &mut memory), vec![]);
        // The only timer: when "more than 10 s" becomes true.
        assert_eq!(next_check(&rules, &x, &memory), Some(T0 + 11_000));
        assert_eq!(evaluate(&rules, &at(&x, 10), &mut memory), vec![]);
        let fired = evaluate(&rules, &at(&x, 11), &mut memory);
        assert_eq!(fired, vec![Firing { rule: "Greeting".into(), action: Action::Message, text: LocalText { ru: "Здравствуйте! Как я могу помочь?".into(), en: "Hello! How can I help you?".into() } }]);
        assert_eq!(evaluate(&rules, &at(&x, 12), &mut memory), vec![], "not again while true");
        // A second page of the same visit.
        let mut page2 = at(&x, 40);
        page2.page_started = page2.now;
        page2.visit.pages_viewed = 2;
        assert_eq!(evaluate(&rules, &at(&page2, 30), &mut memory), vec![]);
        // A new visit (after 30 minutes away): greeted again.
        let mut later = at(&x, 3 * 3600);
        later.visit.started = later.now;
        later.page_started = later.now;
        later.visit.visits = 2;
        assert_eq!(evaluate(&rules, &at(&later, 11), &mut memory).len(), 1);
    }

    #[test]
    fn the_autoresponder_fires_once_per_unanswered_wait() {
        let rules = default_rules(Language::En);
        let mut memory = Memory::default();
        let mut x = facts();
        x.last_visitor_message = Some(T0);
        // The visitor has written: the greeting waits for nobody (issue 16).
        assert_eq!(evaluate(&rules, &at(&x, 11), &mut memory), vec![], "no greeting once the visitor wrote");
        assert_eq!(next_check(&rules, &at(&x, 11), &memory), Some(T0 + 61_000));
        assert_eq!(evaluate(&rules, &at(&x, 60), &mut memory), vec![]);
        let fired = evaluate(&rules, &at(&x, 61), &mut memory);
        assert_eq!(fired.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(), ["Autoresponder"]);
        // The visitor writes again, still unanswered: no second autoresponse.
        x.last_visitor_message = Some(T0 + 90_000);
        assert_eq!(evaluate(&rules, &at(&x, 200), &mut memory), vec![]);
        // An operator answers, the visitor writes, nobody answers: a new episode.
        x.last_operator_message = Some(T0 + 300_000);
        x.last_visitor_message = Some(T0 + 310_000);
        assert_eq!(evaluate(&rules, &at(&x, 340), &mut memory), vec![]);
        assert_eq!(evaluate(&rules, &at(&x, 371), &mut memory).len(), 1);
    }

    #[test]
    fn no_autoresponse_when_an_operator_replies_in_time() {
        let rules = default_rules(Language::En);
        let mut memory = Memory::default();
        let mut x = facts();
        x.last_visitor_message = Some(T0);
        x.last_operator_message = Some(T0 + 30_000);
        for s in [61, 120, 600] {
            assert!(evaluate(&rules, &at(&x, s), &mut memory).iter().all(|f| f.rule == "Greeting"));
        }
    }

    #[test]
    fn the_offline_answer_fires_with_nobody_online() {
        let rules = default_rules(Language::Ru);
        let mut memory = Memory::default();
        let mut x = facts();
        x.operator_online = false;
        x.last_visitor_message = Some(T0);
        let fired = evaluate(&rules, &x, &mut memory);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].rule, RU_OFFLINE);
        assert!(fired[0].text.ru.contains("контакт"), "{}", fired[0].text.ru);
        // A visitor who introduced themselves is not asked for contacts again.
        let mut memory = Memory::default();
        x.introduced = true;
        assert_eq!(evaluate(&rules, &x, &mut memory), vec![]);
    }

    const RU_OFFLINE: &str = "Ответ в оффлайне";

    #[test]
    fn the_seeds_recipes_are_expressible() {
        let newcomers = rule("New", Match::All, vec![c(Fact::Visits, Op::Lt, n(2)), c(Fact::TimeOnPage, Op::Gt, n(5))]);
        let regulars = rule("Regular", Match::All, vec![c(Fact::Visits, Op::Gt, n(1)), c(Fact::TimeOnPage, Op::Gt, n(5))]);
        let third_page = rule("Third", Match::All, vec![c(Fact::PagesViewed, Op::Eq, n(3))]);
        let form = Rule {
            action: Action::OpenIntroduce,
            text: LocalText::default(),
            ..rule("Form", Match::All, vec![c(Fact::TimeOnPage, Op::Gt, n(5))])
        };
        let anonymous = rule("Anon", Match::All, vec![c(Fact::OperatorDelay, Op::Gt, n(30)), c(Fact::Introduced, Op::Eq, f(false))]);
        let known = rule("Known", Match::All, vec![c(Fact::OperatorDelay, Op::Gt, n(30)), c(Fact::Introduced, Op::Eq, f(true))]);
        let rules = vec![newcomers, regulars, third_page, form, anonymous, known];
        assert_eq!(check_rules(&rules), vec![]);
        let names = |x: &Facts| {
            let mut memory = Memory::default();
            evaluate(&rules, x, &mut memory).into_iter().map(|f| f.rule).collect::<Vec<_>>()
        };
        let mut x = at(&facts(), 6);
        x.last_visitor_message = Some(T0 - 30_000);
        assert_eq!(names(&x), ["New", "Form", "Anon"]);
        x.visit.visits = 4;
        x.visit.pages_viewed = 3;
        x.introduced = true;
        assert_eq!(names(&x), ["Regular", "Third", "Form", "Known"]);
    }

    #[test]
    fn disabled_rules_never_fire_and_no_timer_runs_when_nothing_can_fire() {
        let mut rules = default_rules(Language::En);
        for r in &mut rules {
            r.enabled = false;
        }
        let mut memory = Memory::default();
        assert_eq!(evaluate(&rules, &at(&facts(), 100), &mut memory), vec![]);
        assert_eq!(next_check(&rules, &facts(), &memory), None);
        assert_eq!(wake_hints(&rules), vec![]);
        // Rules with no time condition need no timer either.
        let url = vec![rule("Cart", Match::All, vec![c(Fact::PageUrl, Op::Contains, t("cart"))])];
        assert_eq!(next_check(&url, &facts(), &memory), None);
    }

    #[test]
    fn the_loader_is_told_the_earliest_a_rule_can_fire_before_any_message() {
        let wake = |rule: &str, page: u64, site: u64, visit: bool| Wake { rule: rule.into(), page, site, visit };
        // The defaults: the greeting at 11 s on the page ("more than 10 s" in whole
        // seconds); the autoresponder and the offline rule wait for a message.
        assert_eq!(wake_hints(&default_rules(Language::En)), vec![wake("Greeting", 11_000, 0, true)]);
        let rules = vec![
            rule("Both", Match::All, vec![c(Fact::TimeOnPage, Op::Gt, n(5)), c(Fact::TimeOnSite, Op::Eq, n(60))]),
            rule("Either", Match::Any, vec![c(Fact::TimeOnSite, Op::Gt, n(29)), c(Fact::OperatorDelay, Op::Gt, n(5)), c(Fact::Visits, Op::Gt, n(2))]),
            rule("Cart", Match::All, vec![c(Fact::PageUrl, Op::Contains, t("cart")), c(Fact::TimeOnPage, Op::Lt, n(3))]),
            rule("Quiet", Match::All, vec![c(Fact::LastByOperator, Op::Ne, Operand::Flag(true)), c(Fact::TimeOnPage, Op::Ne, n(0))]),
            rule("Answered", Match::All, vec![c(Fact::LastByOperator, Op::Eq, Operand::Flag(true))]),
            rule("Never", Match::All, vec![c(Fact::TimeOnPage, Op::Lt, n(0))]),
        ];
        assert_eq!(
            wake_hints(&rules),
            vec![
                wake("Both", 6_000, 60_000, true),
                wake("Either", 0, 30_000, false),
                wake("Either", 0, 0, false),
                wake("Cart", 0, 0, true),
                wake("Quiet", 1_000, 0, false),
            ]
        );
    }

    #[test]
    fn rules_that_cannot_work_are_refused_at_their_fields() {
        let bad = vec![
            Rule { text: LocalText::default(), ..rule("", Match::All, vec![c(Fact::TimeOnPage, Op::Contains, t("x"))]) },
            rule("Twice", Match::All, vec![c(Fact::Introduced, Op::Gt, n(1))]),
            rule("Twice", Match::Any, vec![]),
        ];
        let errors = check_rules(&bad);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "rules.0.name",
                "rules.0.conditions.0.op",
                "rules.0.conditions.0.value",
                "rules.0.text",
                "rules.1.conditions.0.op",
                "rules.1.conditions.0.value",
                "rules.2.name",
                "rules.2.conditions",
            ]
        );
        assert_eq!(errors[3].message, "A message action needs the message's text (in at least one language)");
        assert_eq!(errors[2].message, "TimeOnPage needs a whole number");
        let many = vec![rule("x", Match::All, vec![c(Fact::Visits, Op::Gt, n(0))]); MAX_RULES + 1];
        assert_eq!(check_rules(&many)[0].message, "At most 50 rules, not 51");
        // Unknown fields are refused when the document is read.
        let unknown = serde_json::from_str::<Rule>(r#"{"name":"a","conditions":[],"action":"open","colour":1}"#);
        assert!(unknown.unwrap_err().to_string().contains("unknown field `colour`"));
    }

    #[test]
    fn the_defaults_are_valid_in_both_languages() {
        for language in [Language::En, Language::Ru] {
            let rules = default_rules(language);
            assert_eq!(rules.len(), 3);
            assert_eq!(check_rules(&rules), vec![]);
            let json = serde_json::to_string(&rules).unwrap();
            assert_eq!(serde_json::from_str::<Vec<Rule>>(&json).unwrap(), rules);
        }
        let greeting = &default_rules(Language::Ru)[0];
        assert_eq!((greeting.name.as_str(), greeting.text.get(Language::Ru)), ("Приветствие", "Здравствуйте! Как я могу помочь?"));
        assert_eq!(greeting.text.get(Language::En), "Hello! How can I help you?", "an English visitor of a Russian site");
    }

    #[test]
    fn a_visit_ends_after_thirty_minutes_without_activity() {
        let mut visit = Visit::default();
        visit.page_view(T0);
        assert_eq!((visit.visits, visit.pages_viewed, visit.started), (1, 1, T0));
        visit.page_view(T0 + 60_000);
        assert_eq!((visit.visits, visit.pages_viewed, visit.started), (1, 2, T0));
        visit.active(T0 + 20 * 60_000);
        visit.page_view(T0 + 45 * 60_000); // 25 min after the last activity: same visit
        assert_eq!((visit.visits, visit.pages_viewed), (1, 3));
        visit.page_view(T0 + 76 * 60_000); // 31 min of nothing: a new visit
        assert_eq!((visit.visits, visit.pages_viewed, visit.started), (2, 1, T0 + 76 * 60_000));
    }

    fn any_condition() -> impl Strategy<Value = Condition> {
        (0usize..12, 0usize..5, 0u64..120).prop_map(|(fact, op, v)| {
            let fact = Fact::ALL[fact];
            let op = [Op::Gt, Op::Lt, Op::Eq, Op::Ne, Op::Contains][op];
            let value = match fact.kind() {
                Kind::Number => n(v),
                Kind::Text => t("cart"),
                Kind::Flag => f(v % 2 == 0),
            };
            c(fact, op, value)
        })
    }

    proptest! {
        #[test]
        fn a_rule_fires_at_most_once_while_time_passes_in_one_episode(
            conditions in prop::collection::vec(any_condition(), 1..4),
            any in any::<bool>(),
            steps in prop::collection::vec(0u64..5_000, 1..60),
        ) {
            let rules = vec![rule("r", if any { Match::Any } else { Match::All }, conditions)];
            let mut memory = Memory::default();
            let mut x = facts();
            x.last_visitor_message = Some(T0);
            let mut fired = 0;
            for step in steps {
                x.now += step;
                fired += evaluate(&rules, &x, &mut memory).len();
            }
            prop_assert!(fired <= 1);
        }

        #[test]
        fn the_next_check_is_in_the_future_and_nothing_changes_before_it(
            conditions in prop::collection::vec(any_condition(), 1..4),
            offset in 0u64..200_000,
        ) {
            let rules = vec![rule("r", Match::All, conditions)];
            let memory = Memory::default();
            let mut x = facts();
            x.last_visitor_message = Some(T0);
            x.now += offset;
            if let Some(next) = next_check(&rules, &x, &memory) {
                prop_assert!(next > x.now);
                // Sampled: the rule's truth is constant until the next check.
                let before = rules[0].holds(&x);
                for t in [x.now + 1, (x.now + next) / 2, next - 1] {
                    prop_assert_eq!(rules[0].holds(&Facts { now: t, ..x.clone() }), before);
                }
            }
        }
    }
}
