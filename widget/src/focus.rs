//! Where the keyboard's focus goes (WCAG 2.4.3): into the message box, or a form's first
//! field, when the visitor opens the window; back to the launcher when they close it;
//! and, on a phone, where the window covers the page, round inside the window.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A form's first field, else the message box.
pub const FIRST_FIELD: &[&str] = &[".body input:not([type=file]), .body textarea", ".composer textarea"];
/// The launcher (drawn again once the window has closed).
pub const LAUNCHER: &[&str] = &[".launcher"];
/// What Tab can reach in the window.
const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), [tabindex=\"0\"]";
/// The window covers the page (as `style.css` says).
const PHONE: &str = "(max-width: 479px)";

/// The widget's shadow root, from one of its elements (`None` outside one).
fn root_of(anchor: &web_sys::Element) -> Option<web_sys::DocumentFragment> {
    anchor.get_root_node().dyn_into::<web_sys::DocumentFragment>().ok()
}

/// Focuses the first element the first matching selector finds near `anchor`, once the
/// views have caught up with what changed (the next frame).
pub fn focus_later(anchor: web_sys::Element, selectors: &'static [&'static str]) {
    next_frame(move || {
        let Some(root) = root_of(&anchor) else { return };
        let found = selectors.iter().find_map(|selector| root.query_selector(selector).ok().flatten());
        if let Some(element) = found.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = element.focus();
        }
    });
}

/// The widget's element that `selector` finds, near `anchor`.
pub fn find(anchor: &web_sys::Element, selector: &str) -> Option<web_sys::HtmlElement> {
    root_of(anchor)?.query_selector(selector).ok().flatten()?.dyn_into().ok()
}

/// Focuses `element` once the views have caught up (it must stay drawn meanwhile).
pub fn focus_element_later(element: web_sys::HtmlElement) {
    next_frame(move || {
        let _ = element.focus();
    });
}

fn next_frame(then: impl FnOnce() + 'static) {
    let focus = Closure::once_into_js(then);
    if let Some(window) = web_sys::window() {
        let _ = window.request_animation_frame(focus.unchecked_ref());
    }
}

/// The page's focus is somewhere the visitor chose (a field of the page, say), not on
/// nothing or in the widget: opening a form then must not take it.
pub fn page_holds_focus(anchor: &web_sys::Element) -> bool {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return false };
    let host = root_of(anchor).and_then(|root| root.dyn_into::<web_sys::ShadowRoot>().ok()).map(|root| root.host());
    match document.active_element() {
        None => false,
        Some(active) => Some(&active) != host.as_ref() && document.body().is_none_or(|body| active != *body.unchecked_ref::<web_sys::Element>()),
    }
}

/// The focus is in the widget (the launcher, say): what hides it must move it on.
pub fn widget_holds_focus(anchor: &web_sys::Element) -> bool {
    let host = root_of(anchor).and_then(|root| root.dyn_into::<web_sys::ShadowRoot>().ok()).map(|root| root.host());
    let active = web_sys::window().and_then(|w| w.document()).and_then(|d| d.active_element());
    active.is_some() && active == host
}

/// On a phone, Tab from the window's last control goes to its first, and Shift+Tab from
/// the first to the last: the page under the window cannot be reached.
pub fn keep_tab_inside(window: &web_sys::Element, ev: &web_sys::KeyboardEvent) {
    let covers = web_sys::window().and_then(|w| w.match_media(PHONE).ok().flatten()).is_some_and(|q| q.matches());
    if !covers {
        return;
    }
    let Ok(list) = window.query_selector_all(FOCUSABLE) else { return };
    let shown: Vec<web_sys::HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
        .filter(|e| e.get_client_rects().length() > 0)
        .collect();
    let (Some(first), Some(last)) = (shown.first(), shown.last()) else { return };
    let active = root_of(window).and_then(|root| root.dyn_into::<web_sys::ShadowRoot>().ok()).and_then(|root| root.active_element());
    let at = |e: &web_sys::HtmlElement| active.as_ref() == Some(e.unchecked_ref::<web_sys::Element>());
    let to = if ev.shift_key() && (at(first) || active.is_none()) {
        last
    } else if !ev.shift_key() && at(last) {
        first
    } else {
        return;
    };
    ev.prevent_default();
    let _ = to.focus();
}
