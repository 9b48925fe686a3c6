//! The widget's components in a real browser (headless Chromium via
//! wasm-bindgen-test): mount, click, type, and compare what is rendered.
//! No edge runs here, so the socket never opens: what is checked is the UI's own
//! behaviour, including that a message typed offline waits as pending.

#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use natter_widget::chat::Chat;
use natter_widget::site::Config;
use natter_widget::App;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Mounts the app into a fresh container for a site no test shares.
fn mount(site: &str) -> (web_sys::HtmlElement, Chat) {
    mount_with(site, "{}")
}

/// The same, with a settings document.
fn mount_with(site: &str, settings: &str) -> (web_sys::HtmlElement, Chat) {
    let container: web_sys::HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&container).unwrap();
    // `start` is never called, so nothing connects: the UI is tested on its own.
    let chat = Chat::new(Config { site: site.into(), edge: "http://127.0.0.1:9".into() }, settings.into());
    leptos::mount::mount_to(container.clone(), move || view! { <App chat=chat/> }).forget();
    (container, chat)
}

fn query(root: &web_sys::HtmlElement, selector: &str) -> Option<web_sys::HtmlElement> {
    root.query_selector(selector).unwrap().map(|e| e.unchecked_into())
}

async fn tick() {
    natter_widget::time::sleep(0).await;
}

#[wasm_bindgen_test]
async fn the_launcher_opens_and_the_close_button_closes_the_window() {
    let (root, _chat) = mount("test-open");
    let launcher = query(&root, "button[aria-label='Chat: open chat']").expect("a launcher named by what it shows");
    let window = query(&root, "[role=dialog]").expect("a window");
    assert!(window.class_list().contains("hidden"), "closed at first");
    launcher.click();
    tick().await;
    assert!(!window.class_list().contains("hidden"), "opened by the launcher");
    assert!(launcher.class_list().contains("hidden"), "the launcher gives way to the window");
    query(&root, "button[aria-label='Close chat']").unwrap().click();
    tick().await;
    assert!(window.class_list().contains("hidden"), "closed again");
}

#[wasm_bindgen_test]
async fn a_message_typed_offline_shows_as_pending_and_survives_a_remount() {
    let (root, chat) = mount("test-pending");
    chat.set_open(true);
    assert!(chat.send("  <b>hello</b> offline  ").is_some());
    tick().await;
    let item = query(&root, "[role=log] li").expect("the message is listed");
    // Text, never markup: the tags show as typed.
    assert_eq!(query(&item, ".text").unwrap().text_content().unwrap(), "<b>hello</b> offline");
    assert!(query(&item, "b").is_none());
    assert_eq!(query(&item, ".delivery").unwrap().text_content().unwrap(), "Sending…");

    // The outbox is in storage: a new page (a new mount) shows it still pending.
    let (again, _) = mount("test-pending");
    tick().await;
    let texts: Vec<String> = {
        let items = again.query_selector_all("[role=log] li .text").unwrap();
        (0..items.length()).map(|i| items.item(i).unwrap().text_content().unwrap()).collect()
    };
    assert_eq!(texts, ["<b>hello</b> offline"]);
}

#[wasm_bindgen_test]
async fn empty_and_overlong_messages_are_refused_with_a_reason_in_the_visitors_language() {
    let (root, chat) = mount("test-limits");
    chat.set_open(true);
    assert!(chat.send("   ").is_none());
    tick().await;
    assert_eq!(query(&root, "[role=alert]").unwrap().text_content().unwrap(), "Write something first.");
    assert!(chat.send(&"x".repeat(4_001)).is_none());
    tick().await;
    assert!(query(&root, "[role=log] li").is_none(), "nothing was queued");
    let alert = query(&root, "[role=alert]").expect("a visible reason");
    assert_eq!(alert.text_content().unwrap(), "The message is too long: at most 4000 characters.");

    let (russian, chat) = mount_with("test-limits-ru", r#"{"language":"ru"}"#);
    chat.set_open(true);
    assert!(chat.send(&"я".repeat(4_001)).is_none());
    tick().await;
    let alert = query(&russian, "[role=alert]").expect("a visible reason");
    assert_eq!(alert.text_content().unwrap(), "Сообщение слишком длинное: не больше 4000 символов.");
    assert!(query(&russian, "textarea[aria-label='Сообщение']").is_some(), "the whole widget speaks Russian");
}

#[wasm_bindgen_test]
fn frames_go_through_the_browsers_json_unchanged() {
    use natter_shared::ids::{ClientMessageId, Seq};
    use natter_shared::protocol::{AuthorKind, ClientFrame, ServerFrame};
    use natter_widget::json;

    let text = r#"{"type":"message","seq":9007199254740991,"client_id":"c-1","author":{"kind":"operator","name":"Анна"},"text":"<b>hi</b>","at":1795269740705}"#;
    let Some(ServerFrame::Message(message)) = json::parse::<ServerFrame>(text) else { panic!("a message frame") };
    assert_eq!(message.seq, Seq(9_007_199_254_740_991), "the largest exact JS integer survives");
    assert_eq!((message.author.kind, message.author.name.as_str(), message.at), (AuthorKind::Operator, "Анна", 1_795_269_740_705));
    assert_eq!(json::parse::<ServerFrame>(r#"{"type":"sticker","id":1}"#), Some(ServerFrame::Unknown));
    assert_eq!(json::parse::<ServerFrame>("not json"), None);
    assert_eq!(json::parse::<ServerFrame>(r#"{"type":"ack","client_id":"has space","seq":1}"#), None);

    let frame = ClientFrame::Send { client_id: ClientMessageId::parse("c-2").unwrap(), text: "привет".into(), offline: false, attachment: None };
    let printed = json::to_string(&frame).unwrap();
    assert_eq!(printed, r#"{"type":"send","client_id":"c-2","text":"привет"}"#);
    assert_eq!(json::parse::<ClientFrame>(&printed), Some(frame));
}

/// JSON through the browser reads what serde's derives expect, and refuses the rest.
#[wasm_bindgen_test]
fn json_reads_the_protocol_and_refuses_wrong_types() {
    use natter_shared::ids::Seq;
    use natter_shared::protocol::{AuthorKind, ServerFrame, VisitorSession};
    use natter_widget::json::{self, JsObject};

    let frame = |text: &str| JsObject::parse(text).and_then(ServerFrame::read_object);
    let message = r#"{"type":"message","seq":7,"client_id":"c1","author":{"kind":"operator","name":"Anna"},"text":"Hi","at":1700000000000}"#;
    let Some(ServerFrame::Message(m)) = frame(message) else { panic!("not a message") };
    assert_eq!((m.seq, m.author.kind, m.text.as_str(), m.at, m.attachment), (Seq(7), AuthorKind::Operator, "Hi", 1_700_000_000_000, None));
    assert_eq!(frame(r#"{"type":"read","by":"visitor","seq":3}"#), Some(ServerFrame::Read { by: AuthorKind::Visitor, seq: Seq(3) }));
    assert_eq!(frame(r#"{"type":"read","by":"nobody","seq":3}"#), None, "an unknown variant");
    assert_eq!(frame(r#"{"type":"read","by":"visitor","seq":-3}"#), None, "a negative count");
    assert_eq!(frame(r#"{"type":"read","by":"visitor","seq":1.5}"#), None, "a fraction");
    assert_eq!(frame(r#"{"type":"from_the_future"}"#), Some(ServerFrame::Unknown));
    assert!(json::parse::<VisitorSession>(r#"{"token":"t","visitor":"v","conversation":"c"}"#).is_some());
    assert!(json::parse::<VisitorSession>(r#"{"token":"t","visitor":"v"}"#).is_none(), "a missing field");
    assert_eq!(json::parse::<Option<u64>>("null"), Some(None));
    assert_eq!(json::parse::<Vec<String>>(r#"["a","b"]"#), Some(vec!["a".to_owned(), "b".to_owned()]));
    assert_eq!(json::parse::<Vec<String>>(r#"["a",1]"#), None);
    assert_eq!(json::parse::<u64>("not json"), None);
    // Each kind is looked for alone: members nobody reads are skipped, whatever they
    // hold; a value of another kind is refused.
    let session = r#"{"token":"t","extra":{"deep":[1,{"x":null}]},"visitor":"v","conversation":"c","n":1.5}"#;
    assert!(json::parse::<VisitorSession>(session).is_some(), "unknown members skipped");
    assert!(json::parse::<VisitorSession>(r#"{"token":1,"visitor":"v","conversation":"c"}"#).is_none(), "a number for text");
    assert!(json::parse::<VisitorSession>(r#"["t","v","c"]"#).is_none(), "a list for an object");
    assert_eq!(json::parse::<Vec<u8>>("[0,255]"), Some(vec![0, 255]));
    assert_eq!(json::parse::<Vec<u8>>("[256]"), None, "too big for a byte");
    assert_eq!(json::parse::<i32>("-4"), Some(-4));
    assert_eq!(json::parse::<f64>("2.5"), Some(2.5));
    assert_eq!(json::parse::<bool>("true"), Some(true));
    assert_eq!(json::parse::<bool>("1"), None);
    // The outbox as storage keeps it: a pending file message comes back the same.
    let pending = natter_widget::log::Pending::typed("hello", "c1", 5).unwrap();
    let kept = json::to_string(&vec![pending.clone()]).unwrap();
    assert_eq!(json::parse::<Vec<natter_widget::log::Pending>>(&kept), Some(vec![pending]));
}
