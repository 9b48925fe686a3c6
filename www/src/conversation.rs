//! An open conversation: who has it (Take, Transfer, Close conversation), its history,
//! the reply box and the visitor panel. Each opened conversation has its own socket,
//! closed when another one is opened.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use natter_shared::ids::{ConversationId, SiteId};
use natter_shared::clock::local_time;
use natter_shared::protocol::{Author, AuthorKind, ClientFrame, ErrorCode, History, ServerFrame, VisitorInfo};
use natter_shared::shift::{ConversationState, ConversationStatus};
use natter_widget::components::attachment::AttachmentView;
use natter_widget::components::message_list::{follow_log, page_back_on_scroll};
use natter_widget::conversation::{Conversation, Notices};
use natter_widget::json;
use natter_widget::log::Log;
use natter_widget::net::{Listener, Socket};

use crate::courier::outbox_key;
use crate::i18n::{tr, tr_any, trf, visitor_name};
use crate::journal::download;
use crate::reply_box::ReplyBox;
use crate::session::{socket_url, Console, Page};
use crate::transfer::TransferDialog;
use crate::visitor_panel::VisitorPanel;

#[derive(Clone, Copy)]
pub struct Thread {
    pub id: StoredValue<ConversationId>,
    /// The conversation client the widget uses too: log, outbox, typing, reading.
    pub conversation: Conversation,
    pub visitor: RwSignal<Option<VisitorInfo>>,
    pub status: RwSignal<Option<ConversationStatus>>,
}

impl Thread {
    fn new(site: &SiteId, conversation: &ConversationId, me: Author) -> Thread {
        let notices = || Notices {
            too_fast: tr("You are sending replies too fast: they will go out in a moment."),
            cannot_store: tr("This browser does not let the console keep unsent replies."),
        };
        Thread {
            id: StoredValue::new(conversation.clone()),
            conversation: Conversation::new(outbox_key(site, conversation), me, notices),
            visitor: RwSignal::new(None),
            status: RwSignal::new(None),
        }
    }

    /// Sends a reply as typed; false (and the problem shown) if it cannot be sent.
    pub fn send(&self, text: &str) -> bool {
        match natter_widget::conversation::typed(text) {
            Ok(pending) => {
                self.conversation.queue(pending);
                true
            }
            Err(e) => {
                self.conversation.problem.set(Some(e.to_string()));
                false
            }
        }
    }

    /// Uploads a file and sends it as a reply; the edge says why if it refuses.
    pub fn attach(self, file: web_sys::File, console: Console) {
        let file_name = js_sys::encode_uri_component(&file.name());
        let url = console.site_url(&format!("conversations/{}/files?name={file_name}", self.id.get_value()));
        let token = console.token();
        spawn_local(async move {
            self.conversation.problem.set(Some(trf("Sending {}…", &[&file.name()])));
            if let Err(e) = self.conversation.upload(&url, &file, &token).await {
                self.conversation.problem.set(Some(trf("The file was not sent: {}", &[&e.0])));
            }
        });
    }

    /// Calls one of the conversation's routes (`take`, `close`, `transfer`, …); the
    /// answer is its new status.
    pub fn act<B: serde::Serialize + 'static>(self, console: Console, method: &'static str, action: &'static str, body: Option<B>) {
        let url = console.site_url(&format!("conversations/{}/{action}", self.id.get_value()));
        if action == "take" {
            // Taken here: its coming to this operator is no news to them.
            console.acted_on(&self.id.get_value());
        }
        spawn_local(async move {
            match console.request::<B, ConversationStatus>(method, &url, body.as_ref()).await {
                Ok(status) => {
                    self.conversation.problem.set(None);
                    self.status.set(Some(status));
                }
                Err(e) => self.conversation.problem.set(Some(e.0)),
            }
        });
    }
}

impl Listener for Thread {
    fn opened(&self, _: &Socket) {
        self.conversation.hello(None);
        self.conversation.resend();
    }

    fn frame(&self, socket: &Socket, text: &str) {
        let Some(frame) = json::JsObject::parse(text).and_then(ServerFrame::read_object) else { return };
        self.conversation.take(&frame);
        match frame {
            // The operator has this conversation open: it is read.
            ServerFrame::Message(message) => {
                socket.send(&ClientFrame::Read { seq: message.seq });
            }
            ServerFrame::Visitor(info) => self.visitor.set(Some(info)),
            ServerFrame::Status(status) => self.status.set(Some(status)),
            ServerFrame::Error(e) if e.code != ErrorCode::RateLimited => self.conversation.problem.set(Some(e.message)),
            _ => {}
        }
    }

    fn closed(&self) {
        self.conversation.closed();
    }
}

/// The whole conversation as a text file: each message with its time (in the
/// organisation's time zone) and author.
fn export_text(console: Console, thread: Thread) {
    let id = thread.id.get_value();
    let url = console.site_url(&format!("conversations/{id}/messages"));
    let visitor = thread.visitor.with_untracked(|v| v.as_ref().map(|v| visitor_name(&v.name))).unwrap_or_default();
    let site = console.current_site().map(|s| s.name).unwrap_or_default();
    let time_zone = console.me.with_untracked(|me| me.as_ref().map(|me| me.time_zone.clone())).unwrap_or_else(|| "UTC".into());
    spawn_local(async move {
        match console.request::<(), History>("GET", &url, None).await {
            Ok(history) => {
                let mut text = format!("{}\n{site} · {time_zone}\n\n", trf("Conversation with {}", &[&visitor]));
                for m in history.messages {
                    let name = if m.author.kind == AuthorKind::Visitor { visitor_name(&m.author.name) } else { m.author.name.clone() };
                    let file = m.attachment.map(|a| trf("File: {}", &[&a.name]));
                    let body = [Some(m.text), file].into_iter().flatten().filter(|t| !t.is_empty()).collect::<Vec<_>>().join("\n");
                    text.push_str(&format!("[{}] {name}: {body}\n", local_time(m.at, &time_zone)));
                }
                download(&format!("conversation-{id}.txt"), "text/plain;charset=utf-8", &text);
            }
            Err(e) => thread.conversation.problem.set(Some(e.0)),
        }
    });
}

/// Who has the conversation, its rating, and what this operator can do with it.
#[component]
fn ThreadHeader(thread: Thread) -> impl IntoView {
    let console = expect_context::<Console>();
    let transferring = RwSignal::new(false);
    let status = move || thread.status.get().unwrap_or_default();
    let mine = move || status().owner.is_some_and(|o| Some(o.id) == console.me_id());
    let standing = move || {
        let status = status();
        match (status.state, status.owner) {
            (ConversationState::Closed, _) => tr("Closed").to_owned(),
            (_, Some(owner)) if Some(&owner.id) == console.me_id().as_ref() => tr("You are answering").to_owned(),
            (_, Some(owner)) => trf("{} is answering", &[&owner.name]),
            (_, None) => tr("Waiting for an answer").to_owned(),
        }
    };
    let rating = move || {
        status().rating.map(|rating| {
            let verdict = if rating.good { tr("Rating: good") } else { tr("Rating: bad") };
            let comment = (!rating.comment.is_empty()).then(|| trf("Comment: {}", &[&rating.comment]));
            view! { <p class="rating" class:bad=!rating.good role="status">{verdict}{comment.map(|c| view! { <span class="comment">{c}</span> })}</p> }
        })
    };
    let closed = move || status().state == ConversationState::Closed;
    let take = move |_| thread.act::<()>(console, "POST", "take", None);
    let export = move |_| export_text(console, thread);
    let close = move |_| thread.act::<()>(console, "POST", "close", None);
    view! {
        <header class="thread-head">
            <button class="back" on:click=move |_| console.selected.set(None)>
                {move || format!("← {}", if console.page.get() == Page::Journal { tr("Back to the journal") } else { tr("Back to the inbox") })}
            </button>
            <h2>{move || thread.visitor.with(|v| v.as_ref().map(|v| visitor_name(&v.name)).unwrap_or_default())}</h2>
            <p class="standing" role="status">{standing}</p>
            <div class="actions">
                <Show when=move || !mine() && !closed() && thread.status.with(Option::is_some)>
                    <button on:click=take>{tr("Take")}</button>
                </Show>
                <Show when=move || !closed() && thread.status.with(Option::is_some)>
                    <button on:click=move |_| transferring.set(true)>{tr("Transfer")}</button>
                    <button on:click=close>{tr("Close conversation")}</button>
                </Show>
                <button on:click=export>{tr("Export as text")}</button>
            </div>
            {rating}
            <Show when=move || closed()>
                <p class="hint closed-hint">{tr("This conversation is closed. Writing to the visitor opens it again.")}</p>
            </Show>
        </header>
        <Show when=move || transferring.get()>
            <TransferDialog thread done=move || transferring.set(false)/>
        </Show>
    }
}

#[component]
fn ThreadView(id: ConversationId) -> impl IntoView {
    let console = expect_context::<Console>();
    let my_name = move || console.session.with_untracked(|s| s.as_ref().map(|s| s.name.clone()).unwrap_or_default());
    let Some(site) = console.site.get_untracked() else { return view! {}.into_any() };
    let thread = Thread::new(&site, &id, Author { kind: AuthorKind::Operator, name: my_name(), avatar: None });
    let path = format!("/v1/console/sites/{site}/conversations/{id}/ws");
    let socket = Socket::connect(
        move || console.session.with_untracked(|s| s.as_ref().map(|s| socket_url(s, &path))).unwrap_or_default(),
        Rc::new(thread),
    );
    thread.conversation.connect(Rc::new(socket));
    on_cleanup(move || {
        thread.conversation.disconnect();
    });
    let list = NodeRef::<leptos::html::Ol>::new();
    follow_log(thread.conversation.log, list);
    let on_scroll = page_back_on_scroll(thread.conversation, list);
    view! {
        <section class="thread" aria-label=tr("Conversation")>
            <ThreadHeader thread/>
            <Show when=move || thread.conversation.log.with(Log::has_earlier)>
                <button type="button" class="earlier" on:click=move |_| thread.conversation.load_earlier()>{tr("Show earlier messages")}</button>
            </Show>
            <div class="log-box" role="log" aria-label=tr("Messages")>
                <ol class="log" node_ref=list on:scroll=on_scroll tabindex="0">
                    <For
                        each=move || thread.conversation.log.with(|log| log.entries().to_vec())
                        key=|e| (e.client_id.clone(), e.seq)
                        children=move |e| {
                            let mine = e.author.kind == AuthorKind::Operator;
                            let read = move || mine && e.seq.is_some_and(|s| s <= thread.conversation.their_read.get());
                            let state = if e.seq.is_none() { tr("Sending…").to_owned() } else { e.local_time() };
                            view! {
                                <li class="message" class:mine=mine class:auto=e.auto>
                                    <span class="author">{if mine { e.author.name.clone() } else { visitor_name(&e.author.name) }}</span>
                                    {e.attachment.clone().map(|file| view! { <AttachmentView file edge=crate::session::edge()/> })}
                                    {(!e.text.is_empty()).then(|| view! { <span class="text">{e.text.clone()}</span> })}
                                    <span class="meta">{state}{e.auto.then(|| tr(" · automatic"))}{move || read().then(|| tr(" · Read"))}</span>
                                </li>
                            }
                        }
                    />
                </ol>
            </div>
            <p class="typing" aria-live="polite">{move || thread.conversation.their_typing.shown.get().map(|name| trf("{} is typing…", &[&name]))}</p>
            <Show when=move || thread.conversation.problem.get().is_some()>
                <p class="problem" role="alert">{move || thread.conversation.problem.get().map(|p| tr_any(&p))}</p>
            </Show>
            <ReplyBox thread/>
        </section>
        <VisitorPanel thread/>
    }
    .into_any()
}

#[component]
pub fn ConversationView() -> impl IntoView {
    let console = expect_context::<Console>();
    view! {
        <div class="conversation">
            {move || match console.selected.get() {
                Some(id) => view! { <ThreadView id=id/> }.into_any(),
                None => view! { <p class="hint">{tr("Choose a conversation in the inbox.")}</p> }.into_any(),
            }}
        </div>
    }
}
