//! The configurator's auto-actions: a list of rules (enable, reorder, delete) and, for
//! each, its conditions, action and message. A site that never changed its rules uses
//! Gravity's three defaults; the first change makes them the site's own.

use leptos::prelude::*;
use natter_shared::rules::{Action, Condition, Fact, Kind, Match, Op, Operand, Rule, MAX_CONDITIONS, MAX_RULES};
use natter_shared::settings::{Language, LocalText, WidgetSettings};

use crate::problems::{note_id, FieldNote, Problems};
use crate::settings::{from_wire, wire_name};
use crate::i18n::{tr, trf};

fn fact_label(fact: Fact) -> &'static str {
    match fact {
        Fact::TimeOnPage => tr("Time on page, s"),
        Fact::TimeOnSite => tr("Time on site this visit, s"),
        Fact::Visits => tr("Number of visits"),
        Fact::PagesViewed => tr("Pages viewed this visit"),
        Fact::PageUrl => tr("Page URL"),
        Fact::Referrer => tr("Referrer"),
        Fact::LastByVisitor => tr("Last message by the visitor"),
        Fact::LastByOperator => tr("Last message by an operator"),
        Fact::OperatorDelay => tr("Operator response delay, s"),
        Fact::VisitorDelay => tr("Visitor response delay, s"),
        Fact::Introduced => tr("The visitor introduced themselves"),
        Fact::OperatorOnline => tr("An operator is online"),
        Fact::VisitorWrote => tr("The visitor has written"),
        Fact::OperatorJoined => tr("An operator has joined the conversation"),
    }
}

/// A word of a control's accessible name ("value", "delete"…), in the console's language.
fn tr_part(what: &str) -> &'static str {
    match what {
        "value" => tr("value"),
        "fact" => tr("fact"),
        "comparison" => tr("comparison"),
        "delete" => tr("delete"),
        "name" => tr("name"),
        "enabled" => tr("enabled"),
        "up" => tr("up"),
        "down" => tr("down"),
        "match" => tr("match"),
        "action" => tr("action"),
        "message_en" => tr("message in English"),
        "message_ru" => tr("message in Russian"),
        _ => "",
    }
}

fn op_label(op: Op) -> &'static str {
    match op {
        Op::Gt => ">",
        Op::Lt => "<",
        Op::Eq => "=",
        Op::Ne => "≠",
        Op::Contains => tr("contains"),
    }
}

fn action_label(action: Action) -> &'static str {
    match action {
        Action::Message => tr("Send a message as the operator"),
        Action::OpenWithSound => tr("Open the window and play the sound"),
        Action::Open => tr("Open the window"),
        Action::OpenIntroduce => tr("Open the \"Introduce yourself\" form"),
    }
}

const ACTIONS: [Action; 4] = [Action::Message, Action::OpenWithSound, Action::Open, Action::OpenIntroduce];

/// A value that suits the fact, for a condition whose fact just changed.
fn default_operand(fact: Fact) -> Operand {
    match fact.kind() {
        Kind::Number => Operand::Number(10),
        Kind::Text => Operand::Text(String::new()),
        Kind::Flag => Operand::Flag(true),
    }
}

/// Changes the site's rules, making the implied defaults its own first.
fn edit(settings: RwSignal<WidgetSettings>, change: impl FnOnce(&mut Vec<Rule>)) {
    settings.update(|s| {
        let defaults = s.rules();
        change(s.rules.get_or_insert(defaults));
    });
}

/// Deletes or moves rules or conditions: every field is drawn again from the settings,
/// so no draft of the old places is left.
fn restructure(settings: RwSignal<WidgetSettings>, problems: Problems, change: impl FnOnce(&mut Vec<Rule>)) {
    problems.forget_drafts("rules.");
    edit(settings, change);
}

fn rule_at(settings: RwSignal<WidgetSettings>, i: usize) -> Option<Rule> {
    settings.with(|s| s.rules().get(i).cloned())
}

#[component]
fn ConditionRow(settings: RwSignal<WidgetSettings>, problems: Problems, rule: usize, index: usize) -> impl IntoView {
    let condition = move || rule_at(settings, rule).and_then(|r| r.conditions.get(index).cloned());
    let set = move |change: Box<dyn FnOnce(&mut Condition)>| {
        edit(settings, |rules| {
            if let Some(c) = rules.get_mut(rule).and_then(|r| r.conditions.get_mut(index)) {
                change(c)
            }
        })
    };
    let label = move |what: &str| trf("Rule {} condition {} {}", &[&(rule + 1).to_string(), &(index + 1).to_string(), tr_part(what)]);
    let at = move |what: &str| format!("rules.{rule}.conditions.{index}.{what}");
    let fact = move || condition().map(|c| c.fact).unwrap_or(Fact::TimeOnPage);
    let value_input = move || {
        let value = condition().map(|c| c.value).unwrap_or(Operand::Number(0));
        match (fact().kind(), value) {
            (Kind::Flag, value) => {
                let yes = value == Operand::Flag(true);
                view! {
                    <select aria-label=label("value") prop:value=if yes { "yes" } else { "no" }
                        on:change=move |ev| { let yes = event_target_value(&ev) == "yes"; set(Box::new(move |c| c.value = Operand::Flag(yes))) }>
                        <option value="yes">{tr("yes")}</option>
                        <option value="no">{tr("no")}</option>
                    </select>
                }.into_any()
            }
            (Kind::Number, value) => {
                let shown = if let Operand::Number(n) = value { n.to_string() } else { String::new() };
                // A number field left empty or typed wrong stays in error until fixed.
                let typed = move |text: String| match text.trim().parse::<u64>() {
                    Ok(n) => {
                        problems.draft(&at("value"), None);
                        set(Box::new(move |c| c.value = Operand::Number(n)))
                    }
                    Err(_) => problems.draft(&at("value"), Some(tr("Enter a whole number, 0 or more").into())),
                };
                view! {
                    <input type="number" min="0" aria-label=label("value") prop:value=shown
                        aria-invalid=move || problems.invalid(&at("value")) aria-describedby=note_id(&at("value"))
                        on:input=move |ev| typed(event_target_value(&ev))/>
                }.into_any()
            }
            (Kind::Text, value) => {
                let shown = if let Operand::Text(t) = value { t } else { String::new() };
                view! {
                    <input type="text" aria-label=label("value") prop:value=shown
                        on:input=move |ev| { let t = event_target_value(&ev); set(Box::new(move |c| c.value = Operand::Text(t))) }/>
                }.into_any()
            }
        }
    };
    view! {
        <li class="condition-row">
            <select aria-label=label("fact") prop:value=move || wire_name(&fact())
                on:change=move |ev| {
                    if let Some(fact) = from_wire::<Fact>(&event_target_value(&ev)) {
                        set(Box::new(move |c| { c.fact = fact; c.op = fact.ops()[0]; c.value = default_operand(fact); }))
                    }
                }>
                {Fact::ALL.iter().map(|f| view! { <option value=wire_name(f)>{fact_label(*f)}</option> }).collect_view()}
            </select>
            <select aria-label=label("comparison") aria-invalid=move || problems.invalid(&at("op")) prop:value=move || condition().map(|c| wire_name(&c.op)).unwrap_or_default()
                on:change=move |ev| { if let Some(op) = from_wire::<Op>(&event_target_value(&ev)) { set(Box::new(move |c| c.op = op)) } }>
                {move || fact().ops().iter().map(|op| view! { <option value=wire_name(op)>{op_label(*op)}</option> }).collect_view()}
            </select>
            {value_input}
            <button type="button" aria-label=label("delete")
                on:click=move |_| restructure(settings, problems, |rules| if let Some(r) = rules.get_mut(rule) { if index < r.conditions.len() { r.conditions.remove(index); } })>
                "×"
            </button>
            <FieldNote problems field=at("value")/>
        </li>
    }
}

#[component]
fn RuleCard(settings: RwSignal<WidgetSettings>, problems: Problems, index: usize) -> impl IntoView {
    let rule = move || rule_at(settings, index);
    let count = move || settings.with(|s| s.rules().len());
    let conditions = move || rule().map_or(0, |r| r.conditions.len());
    let set = move |change: Box<dyn FnOnce(&mut Rule)>| {
        edit(settings, |rules| {
            if let Some(r) = rules.get_mut(index) {
                change(r)
            }
        })
    };
    let label = move |what: &str| trf("Rule {} {}", &[&(index + 1).to_string(), tr_part(what)]);
    let at = move |what: &str| format!("rules.{index}.{what}");
    let rule_problems = move || {
        problems
            .under(&format!("rules.{index}"))
            .into_iter()
            // A condition's value shows its problem under it.
            .filter(|e| !(e.field.contains(".conditions.") && e.field.ends_with(".value")))
            .map(|e| view! { <p class="field-error" tabindex="-1">{e.message}</p> })
            .collect_view()
    };
    let full = move || conditions() >= MAX_CONDITIONS;
    let last = move || index + 1 >= count();
    view! {
        <li class="rule-card">
            <div class="rule-head">
                <input type="text" class="rule-name" aria-label=label("name") aria-invalid=move || problems.invalid(&at("name")) prop:value=move || rule().map(|r| r.name).unwrap_or_default()
                    on:input=move |ev| { let v = event_target_value(&ev); set(Box::new(move |r| r.name = v)) }/>
                <label class="check">
                    <input type="checkbox" aria-label=label("enabled") prop:checked=move || rule().is_some_and(|r| r.enabled)
                        on:change=move |ev| { let on = event_target_checked(&ev); set(Box::new(move |r| r.enabled = on)) }/>
                    {tr("On")}
                </label>
                <button type="button" aria-label=label("up") disabled=move || index == 0
                    on:click=move |_| restructure(settings, problems, |rules| if index > 0 && index < rules.len() { rules.swap(index - 1, index) })>"↑"</button>
                <button type="button" aria-label=label("down") disabled=last
                    on:click=move |_| restructure(settings, problems, |rules| if index + 1 < rules.len() { rules.swap(index, index + 1) })>"↓"</button>
                <button type="button" aria-label=label("delete")
                    on:click=move |_| restructure(settings, problems, |rules| { if index < rules.len() { rules.remove(index); } })>{tr("Delete")}</button>
            </div>
            <label>{tr("When ")}
                <select aria-label=label("match") prop:value=move || rule().map(|r| wire_name(&r.matching)).unwrap_or_default()
                    on:change=move |ev| { if let Some(m) = from_wire::<Match>(&event_target_value(&ev)) { set(Box::new(move |r| r.matching = m)) } }>
                    <option value="all">{tr("all conditions hold")}</option>
                    <option value="any">{tr("any condition holds")}</option>
                </select>
            </label>
            <ul class="conditions">
                {move || (0..conditions()).map(|c| view! { <ConditionRow settings problems rule=index index=c/> }).collect_view()}
            </ul>
            <button type="button" disabled=full
                on:click=move |_| set(Box::new(|r| r.conditions.push(Condition { fact: Fact::TimeOnPage, op: Op::Gt, value: Operand::Number(10) })))>
                {tr("Add condition")}
            </button>
            <label>{tr("Then ")}
                <select aria-label=label("action") prop:value=move || rule().map(|r| wire_name(&r.action)).unwrap_or_default()
                    on:change=move |ev| { if let Some(a) = from_wire::<Action>(&event_target_value(&ev)) { set(Box::new(move |r| r.action = a)) } }>
                    {ACTIONS.iter().map(|a| view! { <option value=wire_name(a)>{action_label(*a)}</option> }).collect_view()}
                </select>
            </label>
            <Show when=move || rule().is_some_and(|r| r.action == Action::Message)>
                // One text per language: each visitor gets theirs.
                {[Language::En, Language::Ru].into_iter().map(|language| {
                    let own = at(&format!("text.{}", wire_name(&language)));
                    view! {
                        <textarea aria-label=label(if language == Language::Ru { "message_ru" } else { "message_en" }) lang=wire_name(&language)
                            placeholder=if language == Language::Ru { tr("Russian") } else { tr("English") }
                            aria-invalid=move || problems.invalid_at(&[&at("text"), &own]) rows="2" maxlength="4000"
                            prop:value=move || rule().map(|r| r.text.own(language).to_owned()).unwrap_or_default()
                            on:input=move |ev| { let v = event_target_value(&ev); set(Box::new(move |r| *r.text.get_mut(language) = v)) }></textarea>
                    }
                }).collect_view()}
            </Show>
            {rule_problems}
        </li>
    }
}

#[component]
pub fn RulesEditor(settings: RwSignal<WidgetSettings>, problems: Problems) -> impl IntoView {
    let count = move || settings.with(|s| s.rules().len());
    let full = move || count() >= MAX_RULES;
    let add = move |_| {
        edit(settings, |rules| {
            let name = (rules.len() + 1..).map(|n| format!("Rule {n}")).find(|n| rules.iter().all(|r| &r.name != n)).unwrap_or_default();
            rules.push(Rule {
                name,
                enabled: true,
                matching: Match::All,
                conditions: vec![Condition { fact: Fact::TimeOnPage, op: Op::Gt, value: Operand::Number(10) }],
                action: Action::Message,
                text: LocalText::default(),
            })
        })
    };
    view! {
        <fieldset class="rules">
            <legend>{tr("Auto-actions")}</legend>
            <p class="hint">
                {tr("Rules run in the visitor's browser, in this order. A rule fires when its conditions become true, never again while they stay true. Rules about the page and the visit fire at most once per visit (a visit ends after 30 minutes without activity), so a greeting is not repeated on every page but a returning visitor is greeted again. Rules about the conversation (who wrote last, response delays) fire once per wait: again only after the awaited side has written. Messages from rules appear to the visitor as from an operator and are marked automatic for operators.")}
            </p>
            <Show when=move || settings.with(|s| s.rules.is_none())>
                <p class="hint">{tr("These are the default rules; your first change makes them your own.")}</p>
            </Show>
            <ol class="rule-list">
                {move || (0..count()).map(|i| view! { <RuleCard settings problems index=i/> }).collect_view()}
            </ol>
            <button type="button" disabled=full on:click=add>{tr("Add rule")}</button>
            <FieldNote problems field="rules"/>
        </fieldset>
    }
}
