//! The console's words in Russian and English. Code writes the English text through
//! [`tr`] (or [`trf`] with `{}` for values); in Russian it is looked up in [`ru`]. A
//! test reads every `tr("…")` and `trf("…")` in the console's sources and fails for a
//! text without its Russian. The widget's own words stay in `natter_shared::i18n`.
//!
//! The language is the operator's choice on this browser (Profile), else the
//! browser's; switching it draws the console anew.

use std::cell::Cell;

use natter_shared::settings::Language;

thread_local! {
    static LANGUAGE: Cell<Language> = const { Cell::new(Language::En) };
}

pub fn language() -> Language {
    LANGUAGE.with(Cell::get)
}

pub fn set_language(language: Language) {
    LANGUAGE.with(|l| l.set(language));
    #[cfg(target_arch = "wasm32")]
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("lang", if language == Language::Ru { "ru" } else { "en" });
    }
}

/// The browser's language, if we speak it.
pub fn browser_language() -> Language {
    web_sys::window()
        .and_then(|w| w.navigator().language())
        .and_then(|tag| Language::from_tag(&tag))
        .unwrap_or(Language::En)
}

/// A console text in the operator's language.
pub fn tr(en: &'static str) -> &'static str {
    match language() {
        Language::En => en,
        Language::Ru => ru(en).unwrap_or(en),
    }
}

/// A console text with values: each `{}` in turn takes the next value.
pub fn trf(en: &'static str, values: &[&str]) -> String {
    let mut out = String::new();
    let mut values = values.iter();
    let mut parts = tr(en).split("{}").peekable();
    while let Some(part) = parts.next() {
        out.push_str(part);
        if parts.peek().is_some() {
            out.push_str(values.next().copied().unwrap_or_default());
        }
    }
    out
}

/// "3 min", "1 h 5 min": how long, in the operator's language.
pub fn duration(ms: f64) -> String {
    let minutes = (ms / 60_000.0).floor().max(0.0) as u64;
    match (minutes / 60, minutes % 60, language()) {
        (0, 0, Language::En) => "less than a minute".into(),
        (0, 0, Language::Ru) => "меньше минуты".into(),
        (0, m, Language::En) => format!("{m} min"),
        (0, m, Language::Ru) => format!("{m} мин"),
        (h, m, Language::En) => format!("{h} h {m} min"),
        (h, m, Language::Ru) => format!("{h} ч {m} мин"),
    }
}

/// The Russian of an English console text.
fn ru(en: &str) -> Option<&'static str> {
    Some(match en {
        // Shift: inbox, conversation, transfer, notifications.
        "Inbox" => "Входящие",
        "Filter conversations" => "Фильтр разговоров",
        "Waiting" => "Ожидают",
        "Mine" => "Мои",
        "All active" => "Все активные",
        "waiting {}" => "ждёт {}",
        "{} is answering" => "Отвечает {}",
        "You are answering" => "Отвечаете вы",
        "Closed" => "Закрыт",
        "You: " => "Вы: ",
        "Automatic: " => "Автоматически: ",
        "{}: " => "{}: ",
        "Offline message" => "Сообщение оффлайн",
        "{} unread" => "Непрочитанных: {}",
        "Connecting…" => "Подключение…",
        "No conversations yet. They appear here the moment a visitor writes." => {
            "Разговоров пока нет. Они появятся здесь, как только посетитель напишет."
        }
        "Nothing here now." => "Здесь пока пусто.",
        "Choose a conversation in the inbox." => "Выберите разговор во входящих.",
        "Conversation" => "Разговор",
        "Back to the inbox" => "Назад ко входящим",
        "Take" => "Взять",
        "Transfer" => "Передать",
        "Close conversation" => "Закрыть разговор",
        "Transfer the conversation" => "Передать разговор",
        "Transfer to" => "Кому передать",
        "online" => "в сети",
        "away" => "отошёл",
        "offline" => "не в сети",
        "No other operator works on this site." => "На этом сайте больше нет операторов.",
        "The operators could not be loaded." => "Не удалось загрузить операторов.",
        "Cancel" => "Отмена",
        "Waiting for an answer" => "Ждёт ответа",
        "This conversation is closed. Writing to the visitor opens it again." => {
            "Разговор закрыт. Если написать посетителю, он откроется снова."
        }
        "{} is answering this conversation: your reply will join it." => "Разговор ведёт {}: ваш ответ присоединится к нему.",
        "Rating: good" => "Оценка: хорошо",
        "Rating: bad" => "Оценка: плохо",
        "Comment: {}" => "Комментарий: {}",
        "You were given a conversation with {}" => "Вам передан разговор с {}",
        "New conversation: {}" => "Новый разговор: {}",
        "New message from {}" => "Новое сообщение от {}",
        "{} is waiting" => "{} ждёт ответа",
        "Messages" => "Сообщения",
        "Sending…" => "Отправляется…",
        " · automatic" => " · автоматически",
        " · Read" => " · Прочитано",
        "{} is typing…" => "{} печатает…",
        "Reply" => "Ответ",
        "Write a reply… (/ for canned replies)" => "Напишите ответ… (/ — шаблоны)",
        "Canned replies" => "Шаблоны",
        "No canned reply matches." => "Подходящих шаблонов нет.",
        "Emoji" => "Эмодзи",
        "Attach a file" => "Прикрепить файл",
        "Attach" => "Файл",
        "Send" => "Отправить",
        "Sending {}…" => "Отправляется {}…",
        "The file was not sent: {}" => "Файл не отправлен: {}",
        "This browser does not let the console keep unsent replies." => {
            "Браузер не позволяет консоли сохранить неотправленные ответы."
        }
        // Visitor panel.
        "Visitor" => "Посетитель",
        "On the site now" => "Сейчас на сайте",
        "Left the site: replies reach them when they come back" => "Ушёл с сайта: ответы дойдут, когда вернётся",
        "✓ Verified user {}" => "✓ Подтверждённый пользователь {}",
        "The site's server signed this user (Natter.identify)" => "Сервер сайта подписал этого пользователя (Natter.identify)",
        "Name" => "Имя",
        "Email" => "Email",
        "Phone" => "Телефон",
        "Note" => "Заметка",
        "Save visitor" => "Сохранить посетителя",
        "Saved." => "Сохранено.",
        "Block visitor" => "Заблокировать посетителя",
        "Unblock visitor" => "Разблокировать посетителя",
        "Blocked: their messages and new chats are refused." => "Заблокирован: его сообщения и новые чаты не принимаются.",
        "Block this visitor? Their messages and new chats from their IP address are refused until you unblock them." => {
            "Заблокировать посетителя? Его сообщения и новые чаты с его IP-адреса не будут приниматься, пока вы его не разблокируете."
        }
        "Page" => "Страница",
        "Page title" => "Заголовок страницы",
        "Came from" => "Откуда пришёл",
        "Language" => "Язык",
        "Browser" => "Браузер",
        // Canned replies page.
        "Title" => "Название",
        "Text" => "Текст",
        "Only for me" => "Только для меня",
        "Add canned reply" => "Добавить шаблон",
        "Save canned reply" => "Сохранить шаблон",
        "Edit {}" => "Изменить {}",
        "Delete {}" => "Удалить {}",
        "Delete the canned reply {}?" => "Удалить шаблон {}?",
        "mine" => "мой",
        "site" => "сайта",
        "No canned replies yet." => "Шаблонов пока нет.",
        "Type / in the reply box to find them by title or text; Enter inserts one." => {
            "Наберите / в поле ответа, чтобы найти шаблон по названию или тексту; Enter вставляет его."
        }
        "The canned replies could not be loaded." => "Не удалось загрузить шаблоны.",
        "Russian" => "Русский",
        "English" => "Английский",
        "Delete" => "Удалить",
        "Save" => "Сохранить",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `tr("…")` / `trf("…"` literal in the console's sources.
    fn texts_in_sources() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let source = std::fs::read_to_string(&path).unwrap();
            for call in ["tr(\"", "trf(\""] {
                for (at, _) in source.match_indices(call) {
                    // Not a longer name that ends in `tr` (e.g. `attr(`).
                    let before = source[..at].chars().last();
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        continue;
                    }
                    let rest = &source[at + call.len()..];
                    let mut text = String::new();
                    let mut chars = rest.chars();
                    while let Some(c) = chars.next() {
                        match c {
                            '\\' => match chars.next() {
                                Some('n') => text.push('\n'),
                                Some(other) => text.push(other),
                                None => break,
                            },
                            '"' => break,
                            c => text.push(c),
                        }
                    }
                    found.push(text);
                }
            }
        }
        found.sort();
        found.dedup();
        found
    }

    #[test]
    fn every_console_text_has_its_russian() {
        let texts = texts_in_sources();
        assert!(texts.len() > 50, "only {} texts found", texts.len());
        let missing: Vec<&String> = texts.iter().filter(|t| ru(t).is_none()).collect();
        assert!(missing.is_empty(), "no Russian for: {missing:#?}");
    }

    #[test]
    fn values_fill_the_gaps_in_turn() {
        set_language(Language::En);
        assert_eq!(trf("{} is answering", &["Anna"]), "Anna is answering");
        set_language(Language::Ru);
        assert_eq!(trf("{} is answering", &["Анна"]), "Отвечает Анна");
        assert_eq!(tr("Take"), "Взять");
        assert_eq!(duration(3.5 * 60_000.0), "3 мин");
        set_language(Language::En);
        assert_eq!(duration(65.0 * 60_000.0), "1 h 5 min");
        assert_eq!(tr("Not translated at all"), "Not translated at all");
    }
}
