//! An open conversation: history, the visitor panel, and the reply box. Each opened
//! conversation has its own socket, closed when another one is opened.

use std::rc::Rc;

use leptos::prelude::*;
use natter_shared::files::Attachment;
use natter_shared::ids::{ConversationId, Seq};
use wasm_bindgen::JsCast;
use natter_shared::protocol::{Author, AuthorKind, ClientFrame, ServerFrame, VisitorInfo, PROTOCOL_VERSION};
use natter_widget::components::attachment::AttachmentView;
use natter_widget::json;
use natter_widget::log::{Log, Pending};
use natter_widget::net::{self, Listener, Socket};
use natter_widget::outbox::Outbox;
use natter_widget::typing::{Announcer, Indicator};

use crate::session::{socket_url, Console};
use crate::user_agent;

#[derive(Clone, Copy)]
struct Thread {
    log: RwSignal<Log>,
    visitor: RwSignal<Option<VisitorInfo>>,
    visitor_typing: Indicator,
    visitor_read: RwSignal<Seq>,
    problem: RwSignal<Option<String>>,
    /// Replies not acknowledged yet.
    outbox: StoredValue<Outbox>,
    socket: StoredValue<Option<Socket>, LocalStorage>,
}

impl Thread {
    fn new(conversation: &ConversationId, me: Author) -> Thread {
        let thread = Thread {
            log: RwSignal::new(Log::default()),
            visitor: RwSignal::new(None),
            visitor_typing: Indicator::new(),
            visitor_read: RwSignal::new(Seq(0)),
            problem: RwSignal::new(None),
            outbox: StoredValue::new(Outbox::new(format!("natter.console.outbox.{conversation}"))),
            socket: StoredValue::new_local(None),
        };
        thread.log.update(|log| {
            for pending in thread.outbox.with_value(Outbox::items) {
                log.add_pending(&pending, me.clone());
            }
        });
        thread
    }



    fn send(&self, name: &str, text: &str) -> bool {
        match Pending::typed(text, &net::random_id(), js_sys::Date::now() as u64) {
            Ok(pending) => {
                self.queue(name, pending);
                true
            }
            Err(e) => {
                self.problem.set(Some(e.to_string()));
                false
            }
        }
    }

    /// Shows a reply as pending, keeps it in the outbox and sends it.
    fn queue(&self, name: &str, pending: Pending) {
        self.log.update(|log| log.add_pending(&pending, Author { kind: AuthorKind::Operator, name: name.into(), avatar: None }));
        let kept = self.outbox.with_value(|outbox| outbox.push(&pending));
        self.problem.set((!kept).then(|| "This browser does not let the console keep unsent replies.".into()));
        self.socket_send(&pending.frame());
    }

    /// Uploads a file and sends it as a reply; the edge says why if it refuses.
    fn attach(self, file: web_sys::File, name: String, console: Console, conversation: ConversationId) {
        let file_name = js_sys::encode_uri_component(&file.name());
        let url = console.site_url(&format!("conversations/{conversation}/files?name={file_name}"));
        let token = console.token();
        leptos::task::spawn_local(async move {
            self.problem.set(Some(format!("Sending {}…", file.name())));
            match net::upload::<Attachment>(&url, &file, &token).await {
                Ok(attachment) => match Pending::file(attachment, &net::random_id(), js_sys::Date::now() as u64) {
                    Ok(pending) => self.queue(&name, pending),
                    Err(e) => self.problem.set(Some(e.to_string())),
                },
                Err(e) => self.problem.set(Some(format!("The file was not sent: {}", e.0))),
            }
        });
    }

    fn socket_send(&self, frame: &ClientFrame) {
        self.socket.with_value(|s| s.as_ref().map(|s| s.send(frame)));
    }
}

impl Listener for Thread {
    fn opened(&self, socket: &Socket) {
        let after = self.log.with_untracked(Log::last_seq);
        socket.send(&ClientFrame::Hello { protocol: PROTOCOL_VERSION, after, page: None });
        for pending in self.outbox.with_value(Outbox::items) {
            socket.send(&pending.frame());
        }
    }

    fn frame(&self, socket: &Socket, text: &str) {
        let Some(frame) = json::parse::<ServerFrame>(text) else { return };
        match frame {
            ServerFrame::Welcome { visitor_read, .. } => self.visitor_read.set(visitor_read),
            ServerFrame::Ack { client_id, seq, .. } => {
                self.outbox.with_value(|outbox| outbox.acked(&client_id));
                self.log.update(|log| log.ack(&client_id, seq));
            }
            ServerFrame::Message(message) => {
                let seq = message.seq;
                if message.author.kind == AuthorKind::Visitor {
                    self.visitor_typing.set(None);
                }
                self.log.update(|log| log.apply(message));
                // The operator has this conversation open: it is read.
                socket.send(&ClientFrame::Read { seq });
            }
            ServerFrame::Typing { author: AuthorKind::Visitor, name, typing } => self.visitor_typing.set(typing.then_some(name)),
            ServerFrame::Read { by: AuthorKind::Visitor, seq } => self.visitor_read.update(|r| *r = (*r).max(seq)),
            ServerFrame::Visitor(info) => self.visitor.set(Some(info)),
            ServerFrame::Error(e) => self.problem.set(Some(e.message)),
            _ => {}
        }
    }

    fn closed(&self) {
        self.visitor_typing.set(None);
    }
}

#[component]
fn VisitorPanel(thread: Thread) -> impl IntoView {
    let row = |label: &'static str, value: Signal<String>| {
        view! { <dt>{label}</dt><dd>{move || { let v = value.get(); if v.is_empty() { "—".to_owned() } else { v } }}</dd> }
    };
    let field = move |f: fn(&VisitorInfo) -> String| Signal::derive(move || thread.visitor.with(|v| v.as_ref().map(f).unwrap_or_default()));
    view! {
        <aside class="visitor" aria-label="Visitor">
            <h3>{move || thread.visitor.with(|v| v.as_ref().map(|v| v.name.clone()).unwrap_or_default())}</h3>
            {move || thread.visitor.with(|v| v.as_ref().and_then(|v| v.verified.clone())).map(|user| view! {
                <p class="verified" title="The site's server signed this user (Natter.identify)">
                    {format!("✓ Verified user {}", user.id)}
                </p>
            })}
            <dl>
                {row("E-mail", field(|v| v.details.email.clone()))}
                {row("Phone", field(|v| v.details.phone.clone()))}
                {move || thread.visitor.with(|v| v.as_ref().map(|v| v.details.attributes.clone()).unwrap_or_default())
                    .into_iter()
                    .map(|(name, value)| view! { <dt class="attribute">{name}</dt><dd>{value}</dd> })
                    .collect_view()}
                {row("Page", field(|v| v.page.url.clone()))}
                {row("Page title", field(|v| v.page.title.clone()))}
                {row("Came from", field(|v| v.page.referrer.clone()))}
                {row("Language", field(|v| v.page.language.clone()))}
                {row("Browser", field(|v| user_agent::describe(&v.user_agent)))}
            </dl>
        </aside>
    }
}

#[component]
fn ThreadView(id: ConversationId) -> impl IntoView {
    let console = expect_context::<Console>();
    let my_name = move || console.session.with_untracked(|s| s.as_ref().map(|s| s.name.clone()).unwrap_or_default());
    let thread = Thread::new(&id, Author { kind: AuthorKind::Operator, name: my_name(), avatar: None });
    let site = console.site.get_untracked().map(|s| s.to_string()).unwrap_or_default();
    let path = format!("/v1/console/sites/{site}/conversations/{id}/ws");
    let socket = Socket::connect(
        move || console.session.with_untracked(|s| s.as_ref().map(|s| socket_url(s, &path))).unwrap_or_default(),
        Rc::new(thread),
    );
    thread.socket.set_value(Some(socket));
    on_cleanup(move || {
        thread.socket.with_value(|s| s.as_ref().map(Socket::stop));
    });

    let draft = RwSignal::new(String::new());
    let announcer = Announcer::new();
    let submit = move || {
        if thread.send(&my_name(), &draft.get_untracked()) {
            draft.set(String::new());
            thread.socket_send(&ClientFrame::Typing { typing: false });
            announcer.reset();
        }
    };
    let list = NodeRef::<leptos::html::Ol>::new();
    Effect::new(move |_| {
        thread.log.track();
        if let Some(list) = list.get() {
            list.set_scroll_top(list.scroll_height());
        }
    });
    view! {
        <section class="thread" aria-label="Conversation">
            <ol class="log" role="log" aria-label="Messages" node_ref=list>
                <For
                    each=move || thread.log.with(|log| log.entries().to_vec())
                    key=|e| (e.client_id.clone(), e.seq)
                    children=move |e| {
                        let mine = e.author.kind == AuthorKind::Operator;
                        let read = move || mine && e.seq.is_some_and(|s| s <= thread.visitor_read.get());
                        let state = if e.seq.is_none() { "Sending…".to_owned() } else { e.local_time() };
                        view! {
                            <li class="message" class:mine=mine>
                                <span class="author">{e.author.name.clone()}</span>
                                {e.attachment.clone().map(|file| view! { <AttachmentView file edge=crate::session::edge()/> })}
                                {(!e.text.is_empty()).then(|| view! { <span class="text">{e.text.clone()}</span> })}
                                <span class="meta">{state}{e.auto.then_some(" · automatic")}{move || read().then_some(" · Read")}</span>
                            </li>
                        }
                    }
                />
            </ol>
            <p class="typing" aria-live="polite">{move || thread.visitor_typing.shown.get().map(|name| format!("{name} is typing…"))}</p>
            <Show when=move || thread.problem.get().is_some()>
                <p class="problem" role="alert">{move || thread.problem.get()}</p>
            </Show>
            <form class="reply" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <textarea aria-label="Reply" placeholder="Write a reply…" maxlength="4000"
                    prop:value=move || draft.get()
                    on:input=move |ev| {
                        draft.set(event_target_value(&ev));
                        if announcer.due() {
                            thread.socket_send(&ClientFrame::Typing { typing: true });
                        }
                    }
                    on:keydown=move |ev: web_sys::KeyboardEvent| {
                        if ev.key() == "Enter" && !ev.shift_key() { ev.prevent_default(); submit(); }
                    }
                ></textarea>
                <label class="attach">
                    <input type="file" aria-label="Attach a file" on:change=move |ev: web_sys::Event| {
                        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
                        if let Some(file) = input.files().and_then(|files| files.get(0)) {
                            thread.attach(file, my_name(), console, id.clone());
                        }
                        input.set_value("");
                    }/>
                    "Attach"
                </label>
                <button type="submit">"Send"</button>
            </form>
        </section>
        <VisitorPanel thread=thread/>
    }
}

#[component]
pub fn ConversationView() -> impl IntoView {
    let console = expect_context::<Console>();
    view! {
        <div class="conversation">
            {move || match console.selected.get() {
                Some(id) => view! { <ThreadView id=id/> }.into_any(),
                None => view! { <p class="hint">"Choose a conversation in the inbox."</p> }.into_any(),
            }}
        </div>
    }
}
