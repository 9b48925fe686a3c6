//! Every visitor-facing string of the widget, in each language we speak. The
//! launcher's label and accessible name are also in `widget/loader.js` (plain JS,
//! drawn before the Wasm loads): keep the two in step.

use crate::contact::DetailProblem;
use crate::files::FileProblem;
use crate::settings::{Language, Texts, WidgetSettings};

/// The widget's words in one language.
#[derive(Debug, PartialEq, Eq)]
pub struct Strings {
    pub launcher_label: &'static str,
    /// After the launcher's label in its accessible name: ": open chat".
    pub open_chat: &'static str,
    /// The same with unread messages, after the count: ": unread messages, open chat".
    pub open_chat_unread: &'static str,
    /// "New message", and "New message from " before an operator's name: announced
    /// with the text when a reply comes while the window is closed.
    pub new_message: (&'static str, &'static str),
    pub close_chat: &'static str,
    /// The close button of the reply preview beside the launcher.
    pub hide_preview: &'static str,
    pub window: &'static str,
    pub messages: &'static str,
    pub message: &'static str,
    pub placeholder: &'static str,
    pub send: &'static str,
    pub online_title: &'static str,
    pub offline_title: &'static str,
    pub status_online: &'static str,
    pub status_connecting: &'static str,
    pub status_reconnecting: &'static str,
    pub greeting: &'static str,
    pub sending: &'static str,
    pub sent: &'static str,
    pub read: &'static str,
    /// "{name} is typing…", split around the name.
    pub typing: (&'static str, &'static str),
    pub cannot_connect: &'static str,
    pub cannot_store: &'static str,
    pub empty_message: &'static str,
    /// "The message is too long: at most {limit} characters", split around the limit.
    pub too_long: (&'static str, &'static str),
    pub status_offline: &'static str,
    pub offline_hint: &'static str,
    pub send_message: &'static str,
    /// "Thank you! … reply to {contact}.", split around the contact.
    pub offline_sent: (&'static str, &'static str),
    pub introduce_title: &'static str,
    pub introduce_hint: &'static str,
    pub your_details: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub phone: &'static str,
    pub contact: &'static str,
    pub optional: &'static str,
    pub save: &'static str,
    pub cancel: &'static str,
    pub missing: &'static str,
    pub name_too_long: &'static str,
    pub bad_email: &'static str,
    pub bad_phone: &'static str,
    pub suggests: &'static str,
    pub contact_us: &'static str,
    /// "Scan with your phone's camera to continue in {app}.", split around the app.
    pub scan_hint: (&'static str, &'static str),
    pub open_here: &'static str,
    pub attach: &'static str,
    pub uploading: &'static str,
    pub upload_failed: &'static str,
    pub file_too_big: &'static str,
    pub file_empty: &'static str,
    /// "Files of type .{ext} cannot be sent…", split around the extension.
    pub file_type: (&'static str, &'static str),
    /// The default auto-actions' names and messages (see `rules::default_rules`).
    pub rule_greeting: (&'static str, &'static str),
    pub rule_autoresponder: (&'static str, &'static str),
    pub rule_offline: (&'static str, &'static str),
    /// "You are now talking to {name}", split around the name.
    pub talking_to: (&'static str, &'static str),
    pub conversation_ended: &'static str,
    pub rate_prompt: &'static str,
    pub good: &'static str,
    pub bad: &'static str,
    pub comment: &'static str,
    pub send_rating: &'static str,
    pub rating_thanks: &'static str,
    /// A blocked visitor's message: said neutrally.
    pub not_delivered: &'static str,
    /// Messages refused by the site's rate limit: they wait and go out by themselves.
    pub too_fast: &'static str,
    /// Pages back to the messages before the oldest shown.
    pub earlier: &'static str,
    /// A part of the widget (a form, the QR code, files) could not be downloaded.
    pub part_failed: &'static str,
    pub try_again: &'static str,
    /// The window's menu: the conversation e-mailed to the visitor.
    pub send_transcript: &'static str,
    pub transcript_hint: &'static str,
    pub transcript_email: &'static str,
    /// Around the address: "The transcript is on its way to a@b.c."
    pub transcript_sent: (&'static str, &'static str),
    pub transcript_failed: &'static str,
}

pub const EN: Strings = Strings {
    launcher_label: "Chat",
    open_chat: ": open chat",
    open_chat_unread: ": unread messages, open chat",
    new_message: ("New message", "New message from "),
    close_chat: "Close chat",
    hide_preview: "Hide message preview",
    window: "Chat",
    messages: "Messages",
    message: "Message",
    placeholder: "Type your message…",
    send: "Send",
    online_title: "Chat with us",
    offline_title: "Leave us a message",
    status_online: "We reply in a few minutes",
    status_connecting: "Connecting…",
    status_reconnecting: "Reconnecting…",
    greeting: "Hello! How can we help you today?",
    sending: "Sending…",
    sent: "Sent",
    read: "Read",
    typing: ("", " is typing…"),
    cannot_connect: "The chat cannot connect",
    cannot_store: "Your browser does not let the chat keep unsent messages.",
    empty_message: "Write something first.",
    too_long: ("The message is too long: at most ", " characters."),
    status_offline: "We will reply as soon as we can",
    offline_hint: "No one is online right now. Leave a message and we will get back to you.",
    send_message: "Send message",
    offline_sent: ("Thank you! We got your message and will reply to ", "."),
    introduce_title: "Introduce yourself",
    introduce_hint: "So we know how to address you and where to reply.",
    your_details: "Your details",
    name: "Name",
    email: "E-mail",
    phone: "Phone",
    contact: "E-mail or phone",
    optional: "optional",
    save: "Save",
    cancel: "Cancel",
    missing: "Please fill this in.",
    name_too_long: "Too long: at most 80 characters.",
    bad_email: "Enter an e-mail like name@example.com.",
    bad_phone: "Enter a phone number: 5 to 15 digits, + at the start if needed.",
    suggests: "Quick questions",
    contact_us: "Or write to us in",
    scan_hint: ("Scan with your phone's camera to continue in ", "."),
    open_here: "Open on this device",
    attach: "Attach a file",
    uploading: "Sending the file…",
    upload_failed: "The file was not sent: ",
    file_too_big: "The file is too big: at most 10 MB.",
    file_empty: "The file is empty.",
    file_type: ("Files of type .", " cannot be sent. Send images, PDF, text or office documents."),
    rule_greeting: ("Greeting", "Hello! How can I help you?"),
    rule_autoresponder: (
        "Autoresponder",
        "Our operators are busy right now. Please wait a little, or leave your e-mail or phone and we will get back to you.",
    ),
    rule_offline: (
        "Offline answer",
        "Everyone is offline right now. Please leave your e-mail or phone and we will get back to you.",
    ),
    talking_to: ("You are now talking to ", ""),
    conversation_ended: "The conversation has ended.",
    rate_prompt: "Rate the service",
    good: "Good",
    bad: "Bad",
    comment: "Comment",
    send_rating: "Send rating",
    rating_thanks: "Thank you for your rating!",
    not_delivered: "The message could not be delivered.",
    too_fast: "You are sending messages too fast. They will go out in a moment.",
    earlier: "Show earlier messages",
    part_failed: "This part of the chat did not load. Check your connection.",
    try_again: "Try again",
    send_transcript: "Send transcript",
    transcript_hint: "We will e-mail you this conversation as it is now.",
    transcript_email: "Your email",
    transcript_sent: ("The transcript is on its way to ", "."),
    transcript_failed: "The transcript was not sent. Try again later.",
};

pub const RU: Strings = Strings {
    launcher_label: "Чат",
    open_chat: ": открыть чат",
    open_chat_unread: ": непрочитанные сообщения, открыть чат",
    new_message: ("Новое сообщение", "Новое сообщение от "),
    close_chat: "Закрыть чат",
    hide_preview: "Скрыть сообщение",
    window: "Чат",
    messages: "Сообщения",
    message: "Сообщение",
    placeholder: "Введите сообщение…",
    send: "Отправить",
    online_title: "Напишите нам",
    offline_title: "Оставьте сообщение",
    status_online: "Отвечаем в течение нескольких минут",
    status_connecting: "Подключение…",
    status_reconnecting: "Переподключение…",
    greeting: "Здравствуйте! Чем мы можем помочь?",
    sending: "Отправляется…",
    sent: "Отправлено",
    read: "Прочитано",
    typing: ("", " печатает…"),
    cannot_connect: "Чат не может подключиться",
    cannot_store: "Браузер не позволяет чату сохранить неотправленные сообщения.",
    empty_message: "Сначала напишите сообщение.",
    too_long: ("Сообщение слишком длинное: не больше ", " символов."),
    status_offline: "Ответим, как только сможем",
    offline_hint: "Сейчас никого нет на месте. Оставьте сообщение, и мы с вами свяжемся.",
    send_message: "Отправить сообщение",
    offline_sent: ("Спасибо! Мы получили ваше сообщение и ответим на ", "."),
    introduce_title: "Представьтесь",
    introduce_hint: "Чтобы мы знали, как к вам обращаться и куда ответить.",
    your_details: "Ваши данные",
    name: "Имя",
    email: "E-mail",
    phone: "Телефон",
    contact: "E-mail или телефон",
    optional: "необязательно",
    save: "Сохранить",
    cancel: "Отмена",
    missing: "Заполните это поле.",
    name_too_long: "Слишком длинно: не больше 80 символов.",
    bad_email: "Введите e-mail вида name@example.com.",
    bad_phone: "Введите номер телефона: от 5 до 15 цифр, при необходимости с + в начале.",
    suggests: "Частые вопросы",
    contact_us: "Или напишите нам в",
    scan_hint: ("Наведите камеру телефона, чтобы продолжить в ", "."),
    open_here: "Открыть на этом устройстве",
    attach: "Прикрепить файл",
    uploading: "Файл отправляется…",
    upload_failed: "Файл не отправлен: ",
    file_too_big: "Файл слишком большой: не больше 10 МБ.",
    file_empty: "Файл пустой.",
    file_type: ("Файлы типа .", " отправить нельзя. Отправьте изображение, PDF, текст или офисный документ."),
    rule_greeting: ("Приветствие", "Здравствуйте! Как я могу помочь?"),
    rule_autoresponder: (
        "Автоответчик",
        "Все операторы сейчас заняты. Пожалуйста, подождите немного или оставьте свои контакты (e-mail или телефон), и мы с вами свяжемся.",
    ),
    rule_offline: (
        "Ответ в оффлайне",
        "Сейчас все операторы не в сети. Оставьте, пожалуйста, свои контакты (e-mail или телефон), и мы с вами свяжемся.",
    ),
    talking_to: ("Теперь с вами общается ", ""),
    conversation_ended: "Разговор завершён.",
    rate_prompt: "Оцените обслуживание",
    good: "Хорошо",
    bad: "Плохо",
    comment: "Комментарий",
    send_rating: "Отправить оценку",
    rating_thanks: "Спасибо за оценку!",
    not_delivered: "Сообщение не удалось доставить.",
    too_fast: "Вы отправляете сообщения слишком часто. Они уйдут чуть позже.",
    earlier: "Показать более ранние сообщения",
    part_failed: "Эта часть чата не загрузилась. Проверьте соединение.",
    try_again: "Повторить",
    send_transcript: "Отправить переписку на почту",
    transcript_hint: "Мы пришлём вам этот разговор на почту в том виде, в каком он сейчас.",
    transcript_email: "Ваш e-mail",
    transcript_sent: ("Переписка отправлена на ", "."),
    transcript_failed: "Переписку не удалось отправить. Попробуйте позже.",
};

impl Strings {
    pub fn of(language: Language) -> &'static Strings {
        match language {
            Language::Ru => &RU,
            Language::En => &EN,
        }
    }

    pub fn typing(&self, name: &str) -> String {
        format!("{}{name}{}", self.typing.0, self.typing.1)
    }

    pub fn transcript_sent(&self, email: &str) -> String {
        format!("{}{email}{}", self.transcript_sent.0, self.transcript_sent.1)
    }

    pub fn talking_to(&self, name: &str) -> String {
        format!("{}{name}{}", self.talking_to.0, self.talking_to.1)
    }

    /// The launcher's accessible name: its visible label first (WCAG 2.5.3), with the
    /// count it shows, then what it does: "Chat 2: unread messages, open chat". As in
    /// `widget/loader.js`.
    pub fn launcher_name(&self, label: &str, unread: usize) -> String {
        match unread {
            0 => format!("{label}{}", self.open_chat),
            n => format!("{label} {n}{}", self.open_chat_unread),
        }
    }

    /// What a screen reader says of a reply that came while the window was closed.
    pub fn new_message(&self, name: &str, text: &str) -> String {
        match name {
            "" => format!("{}: {text}", self.new_message.0),
            name => format!("{}{name}: {text}", self.new_message.1),
        }
    }

    /// Why a detail in a form was refused.
    pub fn problem(&self, problem: DetailProblem) -> &'static str {
        match problem {
            DetailProblem::Missing => self.missing,
            DetailProblem::TooLong => self.name_too_long,
            DetailProblem::BadEmail => self.bad_email,
            DetailProblem::BadPhone => self.bad_phone,
        }
    }

    /// Why a file cannot be sent.
    pub fn file_problem(&self, problem: &FileProblem) -> String {
        match problem {
            FileProblem::TooBig { .. } => self.file_too_big.to_owned(),
            FileProblem::Empty => self.file_empty.to_owned(),
            FileProblem::Type(ext) => format!("{}{ext}{}", self.file_type.0, self.file_type.1),
            FileProblem::Mismatch => self.upload_failed.to_owned(),
        }
    }

    /// Why a typed message cannot be sent, in words for the visitor.
    pub fn refusal(&self, error: &crate::Error) -> String {
        match error {
            crate::Error::EmptyMessage => self.empty_message.to_owned(),
            crate::Error::MessageTooLong { limit, .. } => format!("{}{limit}{}", self.too_long.0, self.too_long.1),
            other => other.to_string(),
        }
    }
}

/// The owner's text where they gave one, else the built-in one.
pub fn text(settings: &WidgetSettings, language: Language, pick: fn(&Texts) -> &Option<String>, default: &'static str) -> String {
    pick(settings.texts.get(language)).clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| default.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_texts_win_over_built_in_ones_per_language() {
        let mut settings = WidgetSettings::default();
        settings.texts.ru.online_title = Some("Мы на связи".into());
        settings.texts.en.online_title = Some("  ".into());
        let title = |language| text(&settings, language, |t| &t.online_title, Strings::of(language).online_title);
        assert_eq!(title(Language::Ru), "Мы на связи");
        assert_eq!(title(Language::En), "Chat with us");
    }

    #[test]
    fn counted_and_named_phrases_read_naturally() {
        assert_eq!(EN.typing("Anna"), "Anna is typing…");
        assert_eq!(RU.typing("Анна"), "Анна печатает…");
        assert_eq!(EN.talking_to("Anna"), "You are now talking to Anna");
        assert_eq!(RU.talking_to("Анна"), "Теперь с вами общается Анна");
    }

    #[test]
    fn refusals_are_in_the_visitors_language() {
        let too_long = crate::Error::MessageTooLong { chars: 4001, limit: 4000 };
        assert_eq!(RU.refusal(&too_long), "Сообщение слишком длинное: не больше 4000 символов.");
        assert_eq!(EN.refusal(&crate::Error::EmptyMessage), "Write something first.");
    }

    #[test]
    fn the_launcher_is_named_by_what_it_shows_first() {
        assert_eq!(EN.launcher_name("Chat", 0), "Chat: open chat");
        assert_eq!(EN.launcher_name("Ask us", 2), "Ask us 2: unread messages, open chat");
        assert_eq!(RU.launcher_name("Чат", 1), "Чат 1: непрочитанные сообщения, открыть чат");
        assert_eq!(EN.new_message("Anna", "Hello"), "New message from Anna: Hello");
        assert_eq!(RU.new_message("", "Здравствуйте"), "Новое сообщение: Здравствуйте");
    }

    #[test]
    fn no_string_is_left_empty() {
        for strings in [&EN, &RU] {
            let all = [
                strings.launcher_label, strings.open_chat, strings.open_chat_unread, strings.new_message.0, strings.new_message.1, strings.close_chat, strings.hide_preview, strings.window, strings.messages,
                strings.message, strings.placeholder, strings.send, strings.online_title, strings.offline_title,
                strings.status_online, strings.status_connecting, strings.status_reconnecting, strings.greeting, strings.sending,
                strings.sent, strings.read, strings.cannot_connect, strings.cannot_store, strings.empty_message,
                strings.status_offline, strings.offline_hint, strings.send_message, strings.introduce_title,
                strings.introduce_hint, strings.your_details, strings.name, strings.email, strings.phone,
                strings.contact, strings.optional, strings.save, strings.cancel, strings.missing,
                strings.name_too_long, strings.bad_email, strings.bad_phone, strings.suggests, strings.contact_us,
                strings.open_here, strings.attach, strings.uploading, strings.upload_failed,
                strings.file_too_big, strings.file_empty, strings.conversation_ended, strings.rate_prompt,
                strings.good, strings.bad, strings.comment, strings.send_rating, strings.rating_thanks,
                strings.not_delivered, strings.too_fast, strings.earlier, strings.part_failed, strings.try_again,
                strings.send_transcript, strings.transcript_hint, strings.transcript_email, strings.transcript_sent.0,
                strings.transcript_failed,
            ];
            assert!(all.iter().all(|s| !s.trim().is_empty()));
        }
        assert_ne!(EN, RU);
    }
}
