//! The journal: every conversation of the operator's sites, newest first, with filters
//! that the address keeps (`#journal?kind=missed&period=today…`, so a view can be
//! bookmarked and shared), a page at a time, exported as CSV. Opening a row shows the
//! conversation with its visitor panel, where writing reopens a closed one.

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::accounts::OperatorInfo;
use natter_shared::clock::{date_at, day_start, local_time};
use natter_shared::ids::{ConversationId, OperatorId, SiteId};
use natter_shared::journal::{
    csv, CsvWords, JournalEntry, JournalKey, JournalKind, JournalPage, JournalQuery, JournalView, Period, RatingFilter, CSV_ROWS,
};
use natter_shared::shift::ConversationState;
use wasm_bindgen::JsCast;

use crate::conversation::ConversationView;
use crate::i18n::{tr, tr_any, trf, visitor_name};
use crate::session::{edge, Console, Page};

/// The address's part that holds the journal's view.
const HASH: &str = "#journal";

/// Rows per request of the CSV export.
const EXPORT_PAGE: usize = 1_000;

/// The journal's view as the address says, and the conversation it has open.
pub fn view_in_address() -> Option<(JournalView, Option<(SiteId, ConversationId)>)> {
    let hash = web_sys::window()?.location().hash().ok()?;
    let rest = hash.strip_prefix(HASH)?;
    let params = web_sys::UrlSearchParams::new_with_str(rest.strip_prefix('?').unwrap_or_default()).ok()?;
    let mut pairs = Vec::new();
    let entries = js_sys::try_iter(&params).ok().flatten()?;
    for pair in entries.flatten() {
        let pair: js_sys::Array = pair.unchecked_into();
        pairs.push((pair.get(0).as_string().unwrap_or_default(), pair.get(1).as_string().unwrap_or_default()));
    }
    let view = JournalView::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let open = pairs.iter().find(|(k, _)| k == "open").and_then(|(_, v)| {
        let (site, id) = v.split_once('/')?;
        Some((SiteId::parse(site).ok()?, ConversationId::parse(id).ok()?))
    });
    Some((view, open))
}

fn encode(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", String::from(js_sys::encode_uri_component(v))))
        .collect::<Vec<_>>()
        .join("&")
}

/// Puts the view (and the open conversation) in the address without a new history entry.
fn write_address(view: &JournalView, open: Option<(&SiteId, &ConversationId)>) {
    let mut pairs = view.pairs();
    if let Some((site, id)) = open {
        pairs.push(("open", format!("{site}/{id}")));
    }
    let query = encode(&pairs);
    let hash = if query.is_empty() { HASH.to_owned() } else { format!("{HASH}?{query}") };
    if let Some(window) = web_sys::window() {
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&hash));
        }
    }
}

/// Takes the journal out of the address (another page is shown).
pub fn clear_address() {
    if let Some(window) = web_sys::window() {
        let on_journal = window.location().hash().is_ok_and(|h| h.starts_with(HASH));
        if let (true, Ok(history), Ok(path)) = (on_journal, window.history(), window.location().pathname()) {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
        }
    }
}

/// The view's filters as the edge takes them: its period as times in the
/// organisation's time zone.
fn query(view: &JournalView, time_zone: &str, after: Option<JournalKey>) -> JournalQuery {
    let now = js_sys::Date::now() as u64;
    let today = date_at(now, time_zone);
    let (from, to) = today.map(|today| view.days(today)).unwrap_or_default();
    JournalQuery {
        kind: view.kind,
        since: from.and_then(|d| day_start(d, time_zone)),
        until: to.and_then(|d| day_start(d, time_zone)),
        operator: view.operator.clone(),
        site: view.site.clone(),
        rating: view.rating,
        search: view.search.trim().to_owned(),
        after,
    }
}

fn page_url(query: &JournalQuery, limit: usize) -> String {
    let mut pairs = query.pairs();
    pairs.push(("limit", limit.to_string()));
    format!("{}/v1/console/journal?{}", edge(), encode(&pairs))
}

/// A span of time as a person reads it: "45 s", "3 min 5 s", "2 h 10 min".
pub fn span(ms: u64) -> String {
    let seconds = ms / 1_000;
    match (seconds / 3_600, seconds % 3_600 / 60, seconds % 60) {
        (0, 0, s) => trf("{} s", &[&s.to_string()]),
        (0, m, s) => trf("{} min {} s", &[&m.to_string(), &s.to_string()]),
        (h, m, _) => trf("{} h {} min", &[&h.to_string(), &m.to_string()]),
    }
}

fn kind_label(kind: JournalKind) -> &'static str {
    match kind {
        JournalKind::All => tr("All"),
        JournalKind::Incoming => tr("Incoming"),
        JournalKind::Outgoing => tr("Outgoing"),
        JournalKind::Missed => tr("Missed"),
    }
}

fn period_label(period: Period) -> &'static str {
    match period {
        Period::All => tr("All time"),
        Period::Today => tr("Today"),
        Period::Last7Days => tr("Last 7 days"),
        Period::Week => tr("This week"),
        Period::Month => tr("This month"),
        Period::Year => tr("This year"),
        Period::Custom => tr("Dates…"),
    }
}

fn rating_label(rating: RatingFilter) -> &'static str {
    match rating {
        RatingFilter::Any => tr("Any"),
        RatingFilter::Good => tr("Good"),
        RatingFilter::Bad => tr("Bad"),
        RatingFilter::None => tr("Not rated"),
    }
}

fn state_label(state: ConversationState) -> &'static str {
    match state {
        ConversationState::Waiting => tr("Waiting"),
        ConversationState::Active => tr("Active"),
        ConversationState::Closed => tr("Closed"),
    }
}

/// The CSV's words in the console's language.
fn csv_words() -> CsvWords<'static> {
    CsvWords {
        header: [
            tr("Started"),
            tr("Visitor"),
            tr("Email"),
            tr("Phone"),
            tr("Operator"),
            tr("Kind"),
            tr("State"),
            tr("Duration (s)"),
            tr("Messages"),
            tr("First response (s)"),
            tr("Site"),
            tr("Page"),
            tr("Source"),
            tr("Rating"),
            tr("Conversation"),
        ],
        incoming: tr("Incoming"),
        outgoing: tr("Outgoing"),
        missed: tr("Missed"),
        good: tr("Good"),
        bad: tr("Bad"),
        states: [tr("Waiting"), tr("Active"), tr("Closed")],
    }
}

/// Offers `text` to the browser as a file to save.
pub fn download(name: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    let link = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(link) = link {
        link.set_href(&url);
        link.set_download(name);
        link.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

#[derive(Clone, Copy)]
struct Journal {
    view: RwSignal<JournalView>,
    entries: RwSignal<Vec<JournalEntry>>,
    more: RwSignal<bool>,
    loading: RwSignal<bool>,
    problem: RwSignal<Option<String>>,
    /// Grows with every new view: an answer for an older one is dropped.
    generation: StoredValue<u64>,
}

impl Journal {
    fn time_zone(console: Console) -> String {
        console.me.with_untracked(|me| me.as_ref().map(|me| me.time_zone.clone())).unwrap_or_else(|| "UTC".into())
    }

    /// Loads the first page of the view (`next`: the page after the rows shown).
    fn load(self, console: Console, next: bool) {
        let after = if next { self.entries.with_untracked(|e| e.last().map(JournalEntry::key)) } else { None };
        if !next {
            self.generation.update_value(|g| *g += 1);
        }
        let generation = self.generation.get_value();
        let url = page_url(&query(&self.view.get_untracked(), &Self::time_zone(console), after), natter_shared::journal::JOURNAL_PAGE);
        self.loading.set(true);
        spawn_local(async move {
            let answer = console.request::<(), JournalPage>("GET", &url, None).await;
            if generation != self.generation.get_value() {
                return;
            }
            self.loading.set(false);
            match answer {
                Ok(page) => {
                    self.problem.set(None);
                    self.more.set(page.more);
                    if next {
                        self.entries.update(|e| e.extend(page.entries));
                    } else {
                        self.entries.set(page.entries);
                    }
                }
                Err(e) => self.problem.set(Some(tr_any(&e.0))),
            }
        });
    }

    /// Every row of the view (up to [`CSV_ROWS`]) as a CSV file.
    fn export(self, console: Console) {
        let view = self.view.get_untracked();
        let time_zone = Self::time_zone(console);
        let sites = console.me.with_untracked(|me| me.as_ref().map(|me| me.sites.clone())).unwrap_or_default();
        spawn_local(async move {
            let mut rows: Vec<JournalEntry> = Vec::new();
            loop {
                let url = page_url(&query(&view, &time_zone, rows.last().map(JournalEntry::key)), EXPORT_PAGE);
                match console.request::<(), JournalPage>("GET", &url, None).await {
                    Ok(page) => {
                        rows.extend(page.entries);
                        if !page.more || rows.len() >= CSV_ROWS {
                            break;
                        }
                    }
                    Err(e) => {
                        self.problem.set(Some(tr_any(&e.0)));
                        return;
                    }
                }
            }
            rows.truncate(CSV_ROWS);
            let name_of = |site: &SiteId| sites.iter().find(|s| &s.id == site).map_or_else(|| site.to_string(), |s| s.name.clone());
            let text = csv(&rows, &csv_words(), |ms| local_time(ms, &time_zone), name_of);
            // A byte-order mark, so spreadsheet programs read the Cyrillic as UTF-8.
            download("journal.csv", "text/csv;charset=utf-8", &format!("\u{feff}{text}"));
        });
    }
}

#[component]
pub fn JournalPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let (initial, open) = view_in_address().unwrap_or_default();
    let journal = Journal {
        view: RwSignal::new(initial),
        entries: RwSignal::new(Vec::new()),
        more: RwSignal::new(false),
        loading: RwSignal::new(false),
        problem: RwSignal::new(None),
        generation: StoredValue::new(0),
    };
    if let Some((site, id)) = open {
        if console.site.get_untracked().as_ref() == Some(&site) {
            console.selected.set(Some(id));
        }
    }
    // The address follows the view and the open conversation.
    Effect::new(move |_| {
        let view = journal.view.get();
        let selected = console.selected.get();
        let site = console.site.get();
        // Leaving the journal clears the address; nothing here writes it back.
        if console.page.get_untracked() == Page::Journal {
            write_address(&view, site.as_ref().zip(selected.as_ref()));
        }
    });
    Effect::new(move |_| {
        journal.view.track();
        journal.load(console, false);
    });
    let operators = RwSignal::new(Vec::<(OperatorId, String)>::new());
    if console.is_admin() {
        spawn_local(async move {
            if let Ok(list) = console.request::<(), Vec<OperatorInfo>>("GET", &format!("{}/v1/console/operators", edge()), None).await {
                operators.set(list.into_iter().map(|o| (o.id, o.name)).collect());
            }
        });
    } else if let Some(session) = console.session.get_untracked() {
        operators.set(vec![(session.operator, session.name)]);
    }
    let set = move |change: &dyn Fn(&mut JournalView)| journal.view.update(|v| change(v));
    let search_draft = RwSignal::new(journal.view.get_untracked().search);
    let apply_search = move || {
        let text = search_draft.get_untracked();
        if journal.view.with_untracked(|v| v.search != text) {
            journal.view.update(|v| v.search = text);
        }
    };
    let time_zone = move || Journal::time_zone(console);
    let site_name = move |site: &SiteId| {
        console.me.with(|me| me.as_ref().and_then(|me| me.sites.iter().find(|s| &s.id == site).map(|s| s.name.clone()))).unwrap_or_else(|| site.to_string())
    };
    let announcement = move || {
        if journal.loading.get() {
            return tr("Loading…").to_owned();
        }
        match journal.entries.with(Vec::len) {
            0 => tr("No conversations match these filters.").to_owned(),
            n if journal.more.get() => trf("{} conversations shown; there are more.", &[&n.to_string()]),
            n => trf("{} conversations.", &[&n.to_string()]),
        }
    };
    let open_row = move |entry: &JournalEntry| {
        if console.site.get_untracked().as_ref() != Some(&entry.site) {
            console.show_site(Some(entry.site.clone()));
        }
        console.selected.set(Some(entry.id.clone()));
    };
    view! {
        <section class="page journal" aria-label=tr("Journal") hidden=move || console.selected.with(Option::is_some)>
            <h2>{tr("Journal")}</h2>
            <form class="journal-filters" on:submit=move |ev| { ev.prevent_default(); apply_search(); }>
                <label>{tr("Kind")}
                    <select on:change=move |ev| set(&|v| v.kind = JournalKind::from_word(&event_target_value(&ev)).unwrap_or_default())
                        prop:value=move || journal.view.with(|v| v.kind.word())>
                        {JournalKind::ALL.iter().map(|k| view! { <option value=k.word()>{kind_label(*k)}</option> }).collect_view()}
                    </select>
                </label>
                <label>{tr("Period")}
                    <select on:change=move |ev| set(&|v| v.period = Period::from_word(&event_target_value(&ev)).unwrap_or_default())
                        prop:value=move || journal.view.with(|v| v.period.word())>
                        {Period::ALL.iter().map(|p| view! { <option value=p.word()>{period_label(*p)}</option> }).collect_view()}
                    </select>
                </label>
                <Show when=move || journal.view.with(|v| v.period == Period::Custom)>
                    <label>{tr("From")}
                        <input type="date" prop:value=move || journal.view.with(|v| v.from.map(|d| d.to_string()).unwrap_or_default())
                            on:change=move |ev| set(&|v| v.from = natter_shared::journal::Date::parse(&event_target_value(&ev)))/>
                    </label>
                    <label>{tr("To")}
                        <input type="date" prop:value=move || journal.view.with(|v| v.to.map(|d| d.to_string()).unwrap_or_default())
                            on:change=move |ev| set(&|v| v.to = natter_shared::journal::Date::parse(&event_target_value(&ev)))/>
                    </label>
                </Show>
                <label>{tr("Operator")}
                    <select on:change=move |ev| set(&|v| v.operator = OperatorId::parse(&event_target_value(&ev)).ok())
                        prop:value=move || journal.view.with(|v| v.operator.as_ref().map(ToString::to_string).unwrap_or_default())>
                        <option value="">{tr("Anyone")}</option>
                        {move || operators.get().into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                    </select>
                </label>
                <label>{tr("Site")}
                    <select on:change=move |ev| set(&|v| v.site = SiteId::parse(&event_target_value(&ev)).ok())
                        prop:value=move || journal.view.with(|v| v.site.as_ref().map(ToString::to_string).unwrap_or_default())>
                        <option value="">{tr("All sites")}</option>
                        {move || console.me.get().map(|me| me.sites).unwrap_or_default().into_iter()
                            .map(|s| view! { <option value=s.id.to_string()>{s.name}</option> }).collect_view()}
                    </select>
                </label>
                <label>{tr("Rating")}
                    <select on:change=move |ev| set(&|v| v.rating = RatingFilter::from_word(&event_target_value(&ev)).unwrap_or_default())
                        prop:value=move || journal.view.with(|v| v.rating.word())>
                        {RatingFilter::ALL.iter().map(|r| view! { <option value=r.word()>{rating_label(*r)}</option> }).collect_view()}
                    </select>
                </label>
                <label class="search">{tr("Search")}
                    <input type="search" maxlength="200" prop:value=move || search_draft.get()
                        placeholder=tr("Words, name, e-mail or phone")
                        on:input=move |ev| search_draft.set(event_target_value(&ev))
                        on:change=move |_| apply_search()/>
                </label>
                <div class="journal-actions">
                    <button type="button" on:click=move |_| { search_draft.set(String::new()); journal.view.set(JournalView::default()); }>
                        {tr("Clear filters")}
                    </button>
                    <button type="button" on:click=move |_| journal.export(console)>{tr("Export CSV")}</button>
                </div>
            </form>
            <p class="sr-only" role="status">{announcement}</p>
            <Show when=move || journal.problem.get().is_some()>
                <p class="problem" role="alert">{move || journal.problem.get()}</p>
            </Show>
            <Show when=move || !journal.loading.get() && journal.entries.with(Vec::is_empty) && journal.problem.with(Option::is_none)>
                <p class="hint">{tr("No conversations match these filters.")}</p>
            </Show>
            // Focusable: on a narrow screen it scrolls sideways, by keys too.
            <div class="table-box" tabindex="0" role="region" aria-label=tr("Conversations, newest first")>
                <table class="data-table">
                    <caption class="sr-only">{tr("Conversations, newest first")}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{tr("Visitor")}</th>
                            <th scope="col">{tr("Started")}</th>
                            <th scope="col">{tr("Duration")}</th>
                            <th scope="col">{tr("Messages")}</th>
                            <th scope="col">{tr("First response")}</th>
                            <th scope="col">{tr("Site")}</th>
                            <th scope="col">{tr("Source")}</th>
                            <th scope="col">{tr("Rating")}</th>
                            <th scope="col">{tr("State")}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || journal.entries.get() key=|e| (e.site.clone(), e.id.clone(), e.last_at) children=move |entry| {
                            let href = {
                                let mut pairs = journal.view.get_untracked().pairs();
                                pairs.push(("open", format!("{}/{}", entry.site, entry.id)));
                                format!("{HASH}?{}", encode(&pairs))
                            };
                            let row = entry.clone();
                            let rating = entry.rating.map(|good| if good { tr("Good") } else { tr("Bad") });
                            view! {
                                <tr class:missed=entry.missed>
                                    <td>
                                        <a class="visitor-link" href=href on:click=move |ev| { ev.prevent_default(); open_row(&row); }>
                                            {visitor_name(&entry.visitor_name)}
                                        </a>
                                        {entry.owner.as_ref().map(|o| view! { <span class="operator">{o.name.clone()}</span> })}
                                        {entry.outgoing.then(|| view! { <span class="tag">{tr("Outgoing")}</span> })}
                                        {entry.missed.then(|| view! { <span class="tag missed-tag">{tr("Missed")}</span> })}
                                    </td>
                                    <td>{local_time(entry.started_at, &time_zone())}</td>
                                    <td>{span(entry.duration_ms())}</td>
                                    <td>{entry.messages}</td>
                                    <td>{entry.first_response_ms.map(span).unwrap_or_else(|| "—".into())}</td>
                                    <td>{site_name(&entry.site)}</td>
                                    <td class="source">{if entry.referrer.is_empty() { tr("Direct").to_owned() } else { entry.referrer.clone() }}</td>
                                    <td>{rating.unwrap_or("—")}</td>
                                    <td>{state_label(entry.state)}</td>
                                </tr>
                            }
                        }/>
                    </tbody>
                </table>
            </div>
            <Show when=move || journal.more.get()>
                <button type="button" class="more" on:click=move |_| journal.load(console, true)>{tr("Show more conversations")}</button>
            </Show>
        </section>
        <Show when=move || console.selected.with(Option::is_some)>
            <ConversationView/>
        </Show>
    }
}

/// Whether the console opened on the journal's address.
pub fn opened_on_journal() -> bool {
    view_in_address().is_some()
}
