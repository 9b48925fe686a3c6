//! Problems at the configurator's fields, in one place: what the edge refused at the
//! last save (at the settings document's paths, e.g. `suggests.0.text`) and drafts the
//! page cannot use yet (a colour half typed, a number field left empty). Save refuses
//! while any draft is in error, and either way points at the first field in error.

use leptos::prelude::*;
use natter_shared::settings::FieldError;
use wasm_bindgen::JsCast;

#[derive(Clone, Copy)]
pub struct Problems {
    /// What the edge refused at the last save.
    pub refused: RwSignal<Vec<FieldError>>,
    /// Fields whose typed value is not in the settings, and why.
    pub drafts: RwSignal<Vec<FieldError>>,
}

impl Problems {
    pub fn new() -> Problems {
        Problems { refused: RwSignal::new(Vec::new()), drafts: RwSignal::new(Vec::new()) }
    }

    /// The problem at `field`: the draft's first (it is what the field shows).
    pub fn at(&self, field: &str) -> Option<String> {
        let find = |list: &Vec<FieldError>| list.iter().find(|e| e.field == field).map(|e| e.message.clone());
        self.drafts.with(find).or_else(|| self.refused.with(find))
    }

    /// Every problem at `prefix` or below it (`rules.0` has `rules.0.conditions.1.value`).
    pub fn under(&self, prefix: &str) -> Vec<FieldError> {
        let below = |e: &&FieldError| e.field == prefix || e.field.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.'));
        let mut all: Vec<FieldError> = self.drafts.with(|d| d.iter().filter(below).cloned().collect());
        self.refused.with(|r| all.extend(r.iter().filter(below).cloned()));
        all
    }

    /// Records (or, with `None`, clears) a draft the settings could not take.
    pub fn draft(&self, field: &str, problem: Option<String>) {
        let now = self.drafts.with_untracked(|d| d.iter().find(|e| e.field == field).map(|e| e.message.clone()));
        if now == problem {
            return;
        }
        self.drafts.update(|drafts| {
            drafts.retain(|e| e.field != field);
            if let Some(message) = problem {
                drafts.push(FieldError { field: field.to_owned(), message });
            }
        });
    }

    /// Forgets the drafts below `prefix`: their fields were redrawn from the settings
    /// (a list item deleted or moved).
    pub fn forget_drafts(&self, prefix: &str) {
        if self.drafts.with_untracked(|d| d.iter().any(|e| e.field.starts_with(prefix))) {
            self.drafts.update(|d| d.retain(|e| !e.field.starts_with(prefix)));
        }
    }

    /// `aria-invalid` for the input of `field`.
    pub fn invalid(&self, field: &str) -> &'static str {
        self.invalid_at(&[field])
    }

    /// `aria-invalid` for an input that is in error when any of `fields` is (a text in
    /// one language: its own problem, or the text's as a whole).
    pub fn invalid_at(&self, fields: &[&str]) -> &'static str {
        if fields.iter().any(|field| self.at(field).is_some()) { "true" } else { "false" }
    }
}

/// The id of the note that says what is wrong with `field` (its input's
/// `aria-describedby`).
pub fn note_id(field: &str) -> String {
    format!("problem-{field}")
}

/// The note under a field: what is wrong with it, if anything.
#[component]
pub fn FieldNote(problems: Problems, #[prop(into)] field: String) -> impl IntoView {
    let id = note_id(&field);
    move || problems.at(&field).map(|message| view! { <p class="field-error" id=id.clone() tabindex="-1">{message}</p> })
}

/// After a refused save: moves focus to the first field in error (or its note, for a
/// problem without one input) and names the fields in error, as the status says them.
pub fn point_at_first(form: &web_sys::Element) -> Vec<String> {
    let Ok(found) = form.query_selector_all(r#"[aria-invalid="true"], .field-error"#) else { return Vec::new() };
    let elements: Vec<web_sys::HtmlElement> = (0..found.length()).filter_map(|i| found.item(i)?.dyn_into().ok()).collect();
    if let Some(first) = elements.first() {
        let _ = first.focus();
    }
    let mut names: Vec<String> = Vec::new();
    for element in elements.iter().filter(|e| e.get_attribute("aria-invalid").as_deref() == Some("true")) {
        // Its own label, or the text its <label> starts with ("Header colour").
        let label_text = || element.closest("label").ok().flatten()?.first_child()?.text_content();
        let name = element.get_attribute("aria-label").or_else(label_text);
        if let Some(name) = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}
