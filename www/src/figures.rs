//! Figures (admins): per day, in the organisation's time zone, and per operator: how
//! many conversations, how many missed, the first response (median and 90th
//! percentile), ratings and offline messages, for a chosen period (the last 7 days at
//! first). Below, the daily report: the same for yesterday, e-mailed every night.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::figures::{DailyReport, Figures, FiguresRow};
use serde::Deserialize;

use crate::fields::{outcome, Outcome};
use crate::i18n::{tr, trf};
use crate::journal::span;
use natter_shared::clock::local_time;
use crate::session::{edge, Console};

#[derive(Deserialize)]
struct ReportSent {}

fn load(console: Console, since: String, until: String, figures: RwSignal<Option<Figures>>, state: RwSignal<Option<Outcome>>) {
    let url = format!("{}/v1/console/figures?since={since}&until={until}", edge());
    spawn_local(async move {
        match console.request::<(), Figures>("GET", &url, None).await {
            Ok(answer) => {
                state.set(None);
                figures.set(Some(answer));
            }
            Err(e) => state.set(Some(Outcome::Problem(e.0))),
        }
    });
}

fn time(ms: Option<u64>) -> String {
    ms.map_or_else(|| "—".to_owned(), span)
}

fn row_view(row: FiguresRow) -> impl IntoView {
    let total = row.operator.is_none();
    let who = if total { tr("All operators").to_owned() } else { row.operator_name.clone() };
    view! {
        <tr class:total=total>
            {if total { view! { <th scope="row">{row.date.to_string()}</th> }.into_any() } else { view! { <td></td> }.into_any() }}
            <td>{who}</td>
            <td>{row.conversations}</td>
            <td>{row.missed}</td>
            <td>{time(row.median_first_response_ms)}</td>
            <td>{time(row.p90_first_response_ms)}</td>
            <td>{row.good}</td>
            <td>{row.bad}</td>
            <td>{if total { row.offline.to_string() } else { "—".to_owned() }}</td>
        </tr>
    }
}

#[component]
pub fn FiguresPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let figures = RwSignal::new(None::<Figures>);
    let state = RwSignal::new(None::<Outcome>);
    let (since, until) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    load(console, String::new(), String::new(), figures, state);
    // The fields show the period the edge answered for.
    Effect::new(move |_| {
        if let Some(shown) = figures.get() {
            since.set(shown.since.to_string());
            until.set(shown.until.to_string());
        }
    });
    let show = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        load(console, since.get_untracked(), until.get_untracked(), figures, state);
    };
    let period = move || {
        figures.with(|f| match f {
            None => tr("Loading…").to_owned(),
            Some(f) => trf("From {} to {}, days in {}", &[&f.since.to_string(), &f.until.to_string(), &f.time_zone]),
        })
    };
    view! {
        <main class="page figures">
            <h2>{tr("Figures")}</h2>
            <form class="journal-filters" on:submit=show aria-label=tr("Period")>
                <label>{tr("From")}<input type="date" prop:value=move || since.get() on:change=move |ev| since.set(event_target_value(&ev))/></label>
                <label>{tr("To")}<input type="date" prop:value=move || until.get() on:change=move |ev| until.set(event_target_value(&ev))/></label>
                <div class="journal-actions"><button type="submit">{tr("Show")}</button></div>
            </form>
            <p role="status">{period}</p>
            {outcome(state)}
            <div class="table-box" tabindex="0" role="region" aria-label=tr("Figures per day and operator")>
                <table class="data-table">
                    <caption class="sr-only">{tr("Figures per day and operator")}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{tr("Day")}</th>
                            <th scope="col">{tr("Operator")}</th>
                            <th scope="col">{tr("Conversations")}</th>
                            <th scope="col">{tr("Missed")}</th>
                            <th scope="col">{tr("Median first response")}</th>
                            <th scope="col">{tr("90th percentile first response")}</th>
                            <th scope="col">{tr("Good ratings")}</th>
                            <th scope="col">{tr("Bad ratings")}</th>
                            <th scope="col">{tr("Offline messages")}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || figures.get().map(|f| f.rows.into_iter().map(row_view).collect_view())}
                    </tbody>
                </table>
            </div>
            <DailyReportForm/>
        </main>
    }
}

/// Where the daily report goes (empty: off), saved in the console's language.
#[component]
fn DailyReportForm() -> impl IntoView {
    let console = expect_context::<Console>();
    let zone = move || console.me.with(|me| me.as_ref().map(|me| me.time_zone.clone())).unwrap_or_else(|| "UTC".into());
    let email = RwSignal::new(String::new());
    let next_at = RwSignal::new(None::<u64>);
    let state = RwSignal::new(None::<Outcome>);
    let url = format!("{}/v1/console/organisation/report", edge());
    {
        let url = url.clone();
        spawn_local(async move {
            if let Ok(report) = console.request::<(), DailyReport>("GET", &url, None).await {
                email.set(report.email.unwrap_or_default());
                next_at.set(report.next_at);
            }
        });
    }
    let save_url = url.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let address = email.get_untracked().trim().to_owned();
        let body = DailyReport { email: Some(address).filter(|a| !a.is_empty()), language: console.language.get_untracked(), next_at: None };
        let url = save_url.clone();
        spawn_local(async move {
            let saved = console.request::<_, DailyReport>("PUT", &url, Some(&body)).await;
            if let Ok(saved) = &saved {
                next_at.set(saved.next_at);
            }
            match saved {
                Ok(saved) if saved.email.is_some() => state.set(Some(Outcome::Done(tr("Saved: the report goes out every night.").into()))),
                Ok(_) => state.set(Some(Outcome::Done(tr("Saved: no daily report.").into()))),
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    };
    let send_now = move |_| {
        let url = format!("{url}/send");
        spawn_local(async move {
            match console.request::<(), ReportSent>("POST", &url, None).await {
                Ok(_) => state.set(Some(Outcome::Done(trf("Yesterday's report was sent to {}.", &[&email.get_untracked()])))),
                Err(e) => state.set(Some(Outcome::Problem(e.0))),
            }
        });
    };
    view! {
        <form class="card" novalidate on:submit=save aria-label=tr("Daily report")>
            <h3>{tr("Daily report")}</h3>
            <label>{tr("Report e-mail")}
                <input type="email" autocomplete="email" aria-describedby="report-hint"
                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
            </label>
            <p class="hint" id="report-hint">{tr("Yesterday's figures, e-mailed a few minutes after midnight in the organisation's time zone. Empty: no report.")}</p>
            <p class="hint">{move || next_at.get().map(|at| trf("The next report goes at {}.", &[&local_time(at, &zone())]))}</p>
            {outcome(state)}
            <div class="actions">
                <button type="submit">{tr("Save report")}</button>
                <button type="button" on:click=send_now>{tr("Send a report now")}</button>
            </div>
        </form>
    }
}
