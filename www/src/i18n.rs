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

/// A text made elsewhere (the edge's refusals, the shared checks), in the operator's
/// language when it is one we know: whole, or as "Field: problem".
pub fn tr_any(text: &str) -> String {
    if language() == Language::En {
        return text.to_owned();
    }
    if let Some(known) = ru(text) {
        return known.to_owned();
    }
    if let Some((field, problem)) = text.split_once(": ") {
        if let Some(field) = ru(field) {
            return format!("{field}: {}", ru_problem(problem).or_else(|| ru_answer(problem)).unwrap_or_else(|| problem.to_owned()));
        }
    }
    ru_problem(text).or_else(|| ru_answer(text)).unwrap_or_else(|| text.to_owned())
}

/// The Russian of a refusal that quotes a messenger or a CRM: our words translated,
/// theirs ("Unauthorized") left as they said them.
fn ru_answer(text: &str) -> Option<String> {
    const WORDS: [(&str, &str); 7] = [
        ("amoCRM did not take the code: ", "amoCRM не принял код: "),
        ("Bitrix24 refused the webhook: ", "Битрикс24 отклонил вебхук: "),
        ("the token was not refreshed: ", "токен не обновлён: "),
        ("\" is not an API address: write one that starts with https://, e.g. ", "» — не адрес API: укажите адрес, начинающийся с https://, например "),
        ("it answered ", "ответ "),
        (" answered ", " ответил "),
        ("did not answer: ", "не ответил: "),
    ];
    let mut out = text.to_owned();
    let mut changed = false;
    for (en, ru) in WORDS {
        if out.contains(en) {
            out = out.replacen(en, ru, 1);
            changed = true;
        }
    }
    if out.contains("» — не адрес API") && out.starts_with('"') {
        out.replace_range(..1, "«");
    }
    changed.then_some(out)
}

/// The Russian of a problem with a number in it ("at most 80 characters").
fn ru_problem(problem: &str) -> Option<String> {
    let number: String = problem.chars().filter(char::is_ascii_digit).collect();
    let shape = problem.replace(number.as_str(), "N");
    let russian = match shape.as_str() {
        "fill this in" => "заполните это поле".to_owned(),
        "remove the control characters" => "уберите управляющие символы".to_owned(),
        "enter an address like name@example.com" => "введите адрес вида name@example.com".to_owned(),
        "at most N characters" | "use at most N characters" => format!("не больше {number} символов"),
        "use at least N characters" => format!("не меньше {number} символов"),
        "at most N" => format!("не больше {number}"),
        _ => return ru(problem).map(str::to_owned),
    };
    Some(russian)
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

/// A visitor's name as the edge makes it up ("Visitor 1a2b"), in the operator's
/// language; a name the visitor gave stays as it is.
pub fn visitor_name(name: &str) -> String {
    match name.strip_prefix("Visitor ") {
        Some(id) if language() == Language::Ru && id.len() <= 8 && id.chars().all(|c| c.is_ascii_alphanumeric()) => {
            format!("Посетитель {id}")
        }
        _ => name.to_owned(),
    }
}

/// "Title" of a canned reply (elsewhere "Title" is an operator's job title).
pub fn reply_title() -> &'static str {
    match language() {
        Language::En => "Title",
        Language::Ru => "Название",
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
        "Nobody is answering" => "Никто не отвечает",
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
        "Edit visitor" => "Изменить данные посетителя",
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
        // Canned replies page ("Title" there is a reply's: see `reply_title`).
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

        // Sign-in, sign-up, links.
        "Natter" => "Natter",
        "Natter console" => "Консоль Natter",
        "Sign in" => "Войти",
        "Sign in instead" => "Войти в существующий",
        "Create an account" => "Создать аккаунт",
        "Forgot your password?" => "Забыли пароль?",
        "Password" => "Пароль",
        "Create a Natter account" => "Создать аккаунт Natter",
        "Your organisation, you as its admin, and the first site to put the chat on." => {
            "Ваша организация, вы — её администратор, и первый сайт, на который вы поставите чат."
        }
        "Organisation" => "Организация",
        "Your name" => "Ваше имя",
        "Site name" => "Название сайта",
        "Site URL" => "Адрес сайта",
        "Pages from this address may show the widget; you can allow more later." => {
            "Страницы с этого адреса могут показывать виджет; позже можно разрешить и другие."
        }
        "Create account" => "Создать аккаунт",
        "Reset your password" => "Сброс пароля",
        "This Natter does not send e-mail. Ask your organisation's admin to help you in." => {
            "Этот Natter не отправляет почту. Попросите администратора вашей организации помочь вам войти."
        }
        "We e-mail you a link to choose a new password. It works once, for an hour." => {
            "Мы пришлём ссылку для выбора нового пароля. Она действует один раз, в течение часа."
        }
        "Send reset link" => "Прислать ссылку",
        "This invitation cannot be opened." => "Это приглашение нельзя открыть.",
        "Repeat password: it is not the same as the password" => "Повторите пароль: он не совпадает с паролем",
        "Join Natter" => "Присоединиться к Natter",
        "Join" => "Присоединиться",
        "Choose a new password" => "Выберите новый пароль",
        "Set password" => "Сохранить пароль",
        "Repeat password" => "Повторите пароль",
        "Go to sign in" => "Перейти ко входу",
        "{}, you are invited to answer chats for {}. You will sign in as {}." => {
            "{}, вас пригласили отвечать в чатах {}. Вы будете входить как {}."
        }
        "At least 10 characters." => "Не меньше 10 символов.",
        // The workplace.
        "Site" => "Сайт",
        "{} (switched off)" => "{} (выключен)",
        "{} (away)" => "{} (отошёл)",
        "Online: {}" => "В сети: {}",
        "Operators online" => "Операторы в сети",
        " Away" => " Отошёл",
        "Sign out" => "Выйти",
        "Console" => "Консоль",
        "You do not work on any site yet: ask your organisation's admin to add you to one." => {
            "Вы пока не работаете ни на одном сайте: попросите администратора организации добавить вас."
        }
        "Widget settings have changes that are not saved. Leave without saving them?" => {
            "В настройках виджета есть несохранённые изменения. Уйти, не сохраняя их?"
        }
        "The console could not load your account. Reload the page to try again." => {
            "Консоль не смогла загрузить ваш аккаунт. Обновите страницу, чтобы попробовать снова."
        }
        "Your session has ended. Sign in again." => "Ваш сеанс завершён. Войдите снова.",
        "Installation" => "Установка",
        "Widget settings" => "Настройки виджета",
        "Profile" => "Профиль",
        "Sites" => "Сайты",
        "Operators" => "Операторы",
        // Sites.
        "Add a site" => "Добавить сайт",
        "Add site" => "Добавить сайт",
        "Added {}. Its embed code is under Installation." => "Сайт {} добавлен. Код для вставки — в разделе «Установка».",
        "Allowed origins" => "Разрешённые адреса",
        "One per line, like https://shop.example.com; * allows any site." => {
            "По одному в строке, например https://shop.example.com; * разрешает любой сайт."
        }
        " Chat switched off (the widget draws nothing, new visitors are refused)" => {
            " Чат выключен (виджет не показывается, новые посетители не принимаются)"
        }
        "Save site" => "Сохранить сайт",
        "Delete site" => "Удалить сайт",
        "Delete the site {}? Its settings, inbox and secrets are removed for good, and its widget stops working." => {
            "Удалить сайт {}? Его настройки, входящие и секреты будут удалены навсегда, а виджет перестанет работать."
        }
        // Installation.
        "Install the chat on {}" => "Установите чат на {}",
        "Copied." => "Скопировано.",
        "Select the code and copy it." => "Выделите код и скопируйте его.",
        "This site's chat is switched off: the widget draws nothing until an admin switches it on in Sites." => {
            "Чат этого сайта выключен: виджет не показывается, пока администратор не включит его в разделе «Сайты»."
        }
        "Put this line into every page of your site, before " => "Вставьте эту строку в каждую страницу сайта перед ",
        "Embed code" => "Код для вставки",
        "Copy" => "Копировать",
        "Where it may run" => "Где он может работать",
        "Pages from these origins may show the widget (admins change them in Sites):" => {
            "Виджет могут показывать страницы с этих адресов (администраторы меняют их в разделе «Сайты»):"
        }
        "any origin (*)" => "любой адрес (*)",
        "Try it" => "Попробуйте",
        "A page on your Natter relay with this site's widget: write to yourself, and the message arrives in the Inbox." => {
            "Страница на вашем сервере Natter с виджетом этого сайта: напишите себе, и сообщение придёт во «Входящие»."
        }
        "Send yourself a test message" => "Отправить себе тестовое сообщение",
        // Operators.
        "Admin" => "Администратор",
        "Agent" => "Оператор",
        "None" => "Нет",
        "Operators of the organisation" => "Операторы организации",
        "Role" => "Роль",
        "Status" => "Статус",
        "Actions" => "Действия",
        "Invited" => "Приглашён",
        "Online now" => "Сейчас в сети",
        "Offline" => "Не в сети",
        "Admins work on every site." => "Администраторы работают на всех сайтах.",
        "Agent: answers chats on their sites" => "Оператор: отвечает в чатах своих сайтов",
        "Admin: also manages sites, operators and settings" => "Администратор: ещё управляет сайтами, операторами и настройками",
        "We e-mailed them the link too." => "Мы также отправили ссылку на почту.",
        "Copy the link and send it to them." => "Скопируйте ссылку и отправьте её.",
        "{} is invited. {} It works once, for 7 days." => "{} приглашён(а). {} Ссылка действует один раз, 7 дней.",
        "Invite an operator" => "Пригласить оператора",
        "Invite operator" => "Пригласить",
        "Invitation link" => "Ссылка-приглашение",
        " Active (unticked: they are signed out at once and cannot sign in)" => {
            " Активен (без галочки: сеанс сразу завершается, войти нельзя)"
        }
        "Save operator" => "Сохранить оператора",
        "New invitation link" => "Новая ссылка-приглашение",
        "Delete operator" => "Удалить оператора",
        "Delete {}? They can no longer sign in; their messages stay in the conversations." => {
            "Удалить {}? Войти будет нельзя; сообщения останутся в разговорах."
        }
        "Edit" => "Изменить",
        // Profile.
        "About you" => "О вас",
        "Title" => "Должность",
        "Avatar URL" => "Адрес аватара",
        "An https:// address of a picture, or upload one." => "Адрес картинки https:// или загрузите её.",
        "Upload a picture" => "Загрузить картинку",
        "Your picture, as visitors see it" => "Ваша картинка, как её видят посетители",
        "Save profile" => "Сохранить профиль",
        "Saved. Visitors see this name and picture on your next messages." => {
            "Сохранено. Посетители увидят это имя и картинку в ваших следующих сообщениях."
        }
        "Picture uploaded. Save the profile to use it." => "Картинка загружена. Сохраните профиль, чтобы её использовать.",
        "New password:" => "Новый пароль:",
        "Repeat new password: it is not the same as the new password" => "Повторите новый пароль: он не совпадает с новым паролем",
        "Password changed. Your other sessions have ended." => "Пароль изменён. Остальные ваши сеансы завершены.",
        "Current password" => "Текущий пароль",
        "New password" => "Новый пароль",
        "Repeat new password" => "Повторите новый пароль",
        "Change password" => "Сменить пароль",
        "Notifications and language" => "Уведомления и язык",
        "When a visitor starts waiting, writes in one of your conversations, or one is given to you (unless you are looking at it). Kept in this browser." => {
            "Когда посетитель начинает ждать, пишет в вашем разговоре или вам передают разговор (если вы не смотрите на него). Хранится в этом браузере."
        }
        "Play a sound" => "Звуковой сигнал",
        "Show browser notifications" => "Уведомления браузера",
        "Count them in the browser tab" => "Счётчик во вкладке браузера",
        "Browser notifications are allowed." => "Уведомления браузера разрешены.",
        "This browser blocks the console's notifications: allow them in the site settings of the browser." => {
            "Браузер блокирует уведомления консоли: разрешите их в настройках сайта в браузере."
        }
        "This browser has no notifications." => "Этот браузер не умеет показывать уведомления.",
        "The browser asks you once whether the console may show notifications." => {
            "Браузер один раз спросит, можно ли консоли показывать уведомления."
        }
        "Allow browser notifications" => "Разрешить уведомления браузера",
        "Console language" => "Язык консоли",
        "As the browser" => "Как в браузере",
        // Widget settings.
        "Round, bottom right" => "Круглая, справа внизу",
        "Always hidden" => "Всегда скрыта",
        "Tab, bottom right (default)" => "Ярлык, справа внизу (по умолчанию)",
        "Tab, bottom centre" => "Ярлык, внизу по центру",
        "Tab, bottom left" => "Ярлык, слева внизу",
        "Tab, right centre" => "Ярлык, справа по центру",
        "Tab, left centre" => "Ярлык, слева по центру",
        "Preview" => "Предпросмотр",
        "Open or close the preview" => "Открыть или закрыть предпросмотр",
        "Pick {}" => "Выбрать: {}",
        "{} presets" => "{}: готовые цвета",
        "The settings could not be loaded." => "Не удалось загрузить настройки.",
        "Saving…" => "Сохранение…",
        "Saved. Pages with the widget show it now." => "Сохранено. Страницы с виджетом уже показывают изменения.",
        "The settings were not saved." => "Настройки не сохранены.",
        "The settings were not saved: {}" => "Настройки не сохранены: {}",
        "The settings were not saved. Fix the fields in error first: {}." => "Настройки не сохранены. Сначала исправьте поля с ошибками: {}.",
        "Position" => "Положение",
        "Header colour" => "Цвет заголовка",
        "Send button colour" => "Цвет кнопки отправки",
        "Text colour" => "Цвет текста",
        "The text colour has a contrast of {}:1 with the header colour (the header's title and status, the launcher, the visitor's messages); at least 4.5:1 is needed (WCAG AA)." => {
            "Контраст цвета текста с цветом заголовка {}:1 (название и статус в заголовке, кнопка чата, сообщения посетителя); нужно не меньше 4,5:1 (WCAG AA)."
        }
        "The send button colour has a contrast of {}:1 with white (its icon, the forms' buttons, the suggests, the QR code's link); at least 4.5:1 is needed (WCAG AA)." => {
            "Контраст цвета кнопки отправки с белым {}:1 (её значок, кнопки форм, подсказки, ссылка под QR-кодом); нужно не меньше 4,5:1 (WCAG AA)."
        }
        "Header pattern" => "Узор заголовка",
        "Window colours" => "Цвета окна",
        "As the visitor's system prefers (light or dark)" => "Как в системе посетителя (светлые или тёмные)",
        "Always light" => "Всегда светлые",
        "Always dark" => "Всегда тёмные",
        "The visitor's browser language" => "Язык браузера посетителя",
        "Default language" => "Язык по умолчанию",
        "Notification sound" => "Звук уведомления",
        "An operator replies while the chat is closed" => "Ответ оператора при закрытом чате",
        "Show the message beside the button" => "Показать сообщение рядом с кнопкой",
        "Open the chat window" => "Открыть окно чата",
        "Only count it on the button" => "Только счётчик на кнопке",
        "Logo URL (https)" => "Адрес логотипа (https)",
        "Launcher label" => "Надпись на ярлыке",
        "Online title" => "Заголовок, когда в сети",
        "Offline title" => "Заголовок, когда не в сети",
        "Input placeholder" => "Подсказка в поле ввода",
        "Save status" => "Состояние сохранения",
        "Embed snippet" => "Код для вставки",
        "Copy snippet" => "Скопировать код",
        "Not asked" => "Не спрашивать",
        "Optional" => "Необязательно",
        "Required" => "Обязательно",
        "Site secret (checks the X-Natter-Signature header)" => "Секрет сайта (проверяет заголовок X-Natter-Signature)",
        "Signed-in users (JS API: Natter.identify)" => "Вошедшие пользователи (JS API: Natter.identify)",
        "Identity secret (your server signs signed-in users with it)" => "Секрет подписи (ваш сервер подписывает им пользователей)",
        "Rotate identity secret" => "Сменить секрет подписи",
        "Rotating makes every signature made with the old secret fail at once. How to sign: docs/js-api.md." => {
            "После смены все подписи старым секретом сразу перестают действовать. Как подписывать: docs/js-api.md."
        }
        "Suggests: questions the visitor sends with one click (priority 1 first)" => {
            "Подсказки: вопросы, которые посетитель отправляет одним нажатием (приоритет 1 — первые)"
        }
        "Suggest {} text in English" => "Подсказка {}: текст на английском",
        "Suggest {} text in Russian" => "Подсказка {}: текст на русском",
        "Suggest {} priority" => "Подсказка {}: приоритет",
        "Delete suggest {}" => "Удалить подсказку {}",
        "Add suggest" => "Добавить подсказку",
        "Enter a whole number from 1 to 255" => "Введите целое число от 1 до 255",
        "Messenger buttons (leave empty to hide)" => "Кнопки мессенджеров (пустые не показываются)",
        "Show them when no operator is online too (above the offline form)" => {
            "Показывать их и когда операторов нет в сети (над формой оффлайн)"
        }
        "When no operator is online" => "Когда операторов нет в сети",
        "Offline mode" => "Режим оффлайн",
        "Show the offline form" => "Показывать форму оффлайн",
        "Hide the widget" => "Скрывать виджет",
        "Webhook URL for offline messages and events (https)" => "Адрес вебхука для сообщений оффлайн и событий (https)",
        "Introduce yourself form" => "Форма «Представьтесь»",
        "Ask for e-mail" => "Спрашивать e-mail",
        "Ask for a phone number" => "Спрашивать телефон",
        "Before the first message, when online" => "До первого сообщения, когда в сети",
        "Before the first message, when offline" => "До первого сообщения, когда не в сети",
        "Visitors may attach files (online only)" => "Посетители могут прикреплять файлы (только в сети)",
        "Conversations" => "Разговоры",
        "Auto-assignment: a new conversation goes to the online operator with the fewest" => {
            "Автоназначение: новый разговор получает оператор в сети, у которого их меньше всего"
        }
        "Conversations per operator at most" => "Разговоров на оператора, не больше",
        "You are sending replies too fast: they will go out in a moment." => "Вы отправляете ответы слишком часто: они уйдут чуть позже.",
        "Limits for visitors" => "Ограничения для посетителей",
        "Show earlier messages" => "Показать более ранние сообщения",
        "Show more conversations" => "Показать ещё разговоры",
        "Messages a visitor may send at once" => "Сообщений, которые посетитель может отправить подряд",
        "Then messages per minute" => "Затем сообщений в минуту",
        "New conversations per hour from one IP address" => "Новых разговоров в час с одного IP-адреса",
        "Agents see only their own and unassigned conversations" => "Операторы видят только свои и ничьи разговоры",
        "The webhook is told of" => "Вебхук получает",
        "Conversation started" => "Начало разговора",
        "Conversation assigned (and each transfer)" => "Назначение разговора (и каждую передачу)",
        "Conversation closed (with the transcript and the rating)" => "Закрытие разговора (с перепиской и оценкой)",
        "E-mail" => "Электронная почта",
        "Figures" => "Показатели",
        "90th percentile first response" => "Первый ответ, 90-й процентиль",
        "Median first response" => "Первый ответ, медиана",
        "All operators" => "Все операторы",
        "Good ratings" => "Хороших оценок",
        "Bad ratings" => "Плохих оценок",
        "Offline messages" => "Офлайн-сообщений",
        "Daily report" => "Ежедневный отчёт",
        "Day" => "День",
        "Figures per day and operator" => "Показатели по дням и операторам",
        "From {} to {}, days in {}" => "С {} по {}, дни по часовому поясу {}",
        "Report e-mail" => "Почта для отчёта",
        "Save report" => "Сохранить отчёт",
        "Saved: no daily report." => "Сохранено: ежедневного отчёта нет.",
        "Saved: the report goes out every night." => "Сохранено: отчёт будет приходить каждую ночь.",
        "Send a report now" => "Отправить отчёт сейчас",
        "Show" => "Показать",
        "Yesterday's figures, e-mailed a few minutes after midnight in the organisation's time zone. Empty: no report." => "Показатели за вчера приходят на почту через несколько минут после полуночи по часовому поясу организации. Пусто — отчёта нет.",
        "Yesterday's report was sent to {}." => "Отчёт за вчера отправлен на {}.",
        "The next report goes at {}." => "Следующий отчёт придёт в {}.",
        "Integrations" => "Интеграции",
        "Yandex.Metrica" => "Яндекс Метрика",
        "Enabled" => "Включено",
        "Metrica counter" => "Счётчик Метрики",
        "The number of your site's own counter. Natter loads no script: where the page has Metrica's ym, the widget reaches these goals. Create them in Metrica as JavaScript events with these identifiers:" => "Номер счётчика вашего сайта. Natter не загружает никаких скриптов: там, где на странице есть ym Метрики, виджет достигает этих целей. Создайте их в Метрике как JavaScript-события с такими идентификаторами:",
        "the visitor opened the chat window" => "посетитель открыл окно чата",
        "the visitor's first message in a conversation" => "первое сообщение посетителя в разговоре",
        "the visitor filled in \"Introduce yourself\"" => "посетитель заполнил «Представьтесь»",
        "the visitor left an offline message" => "посетитель оставил офлайн-сообщение",
        "(stored; paste a new one to change it)" => "(сохранён; вставьте новый, чтобы заменить)",
        "API address" => "Адрес API",
        "The server's answer could not be read" => "Не удалось прочитать ответ сервера",
        "Writes from" => "Пишет из",
        "Writes from {}: replies go there" => "Пишет из {}, ответы уходят туда",
        "Connected:" => "Подключён:",
        "Create a bot account in the Viber Admin Panel and paste the token from its Info page. Messages to the bot come into the inbox; answers go back to Viber." => "Создайте бота в Viber Admin Panel и вставьте токен со страницы Info. Сообщения боту придут во входящие, ответы уйдут обратно в Viber.",
        "Create a bot with @BotFather in Telegram and paste the token it gives. Messages to the bot come into the inbox; answers go back to Telegram." => "Создайте бота через @BotFather в Telegram и вставьте токен, который он выдаст. Сообщения боту придут во входящие, ответы уйдут обратно в Telegram.",
        "Leave it empty for the messenger's own. Another address is for a Bot API server of your own." => "Оставьте пустым для адреса самого мессенджера. Другой адрес нужен для собственного сервера Bot API.",
        "Not connected." => "Не подключён.",
        "Remove bot" => "Удалить бота",
        "Remove this bot? Its users' messages stop coming in, and its token is forgotten. Their conversations stay." => "Удалить бота? Сообщения его пользователей перестанут приходить, токен будет забыт. Разговоры с ними останутся.",
        "Saved. The bot is switched off; its token is kept." => "Сохранено. Бот выключен, его токен сохранён.",
        "Switched off. Token kept, ending in" => "Выключен. Токен сохранён, оканчивается на",
        "Telegram bot token" => "Токен бота Telegram",
        "The bot is removed." => "Бот удалён.",
        "Viber bot token" => "Токен бота Viber",
        "Paste the Telegram bot's token" => "Вставьте токен бота Telegram",
        "Paste the Viber bot's token" => "Вставьте токен бота Viber",
        "This is not a Telegram bot token: copy the whole token BotFather gave, like 123456789:AAH…" => "Это не токен бота Telegram: скопируйте весь токен, который выдал BotFather, вида 123456789:AAH…",
        "This is not a Viber bot token: copy the token from the bot's Info page in Viber Admin Panel" => "Это не токен бота Viber: скопируйте токен со страницы Info бота в Viber Admin Panel",
        "Authorization code" => "Код авторизации",
        "Bitrix24 webhook URL" => "Адрес вебхука Битрикс24",
        "Connected to" => "Подключено к",
        "Contact" => "Контакт",
        "Create a contact when a conversation starts" => "Создавать контакт в начале разговора",
        "Create a lead with the transcript when a conversation closes" => "Создавать сделку с перепиской при закрытии разговора",
        "Create contact" => "Создать контакт",
        "Create lead" => "Создать сделку",
        "In Bitrix24, add an incoming webhook (Developer resources → Other → Incoming webhook) with the CRM permission and paste its address here." => "В Битрикс24 добавьте входящий вебхук (Разработчикам → Другое → Входящий вебхук) с правом «CRM» и вставьте сюда его адрес.",
        "In amoCRM, create an integration (amoMarket → Create integration) with a redirect address, then copy its id, secret key and authorization code here. Natter exchanges the code for access tokens and renews them." => "В amoCRM создайте интеграцию (amoМаркет → Создать интеграцию) со ссылкой для перенаправления и скопируйте сюда её ID, секретный ключ и код авторизации. Natter обменяет код на токены доступа и будет их обновлять.",
        "Integration id" => "ID интеграции",
        "Visitor (in the site's language)" => "Посетитель (на языке сайта)",
        "Lead" => "Сделка",
        "Name for visitors without one" => "Имя для посетителей без имени",
        "Redirect address" => "Ссылка для перенаправления",
        "Remove" => "Удалить",
        "Remove this CRM? Natter forgets its settings and secrets; what it sent there stays." => "Удалить CRM? Natter забудет её настройки и ключи; то, что уже отправлено, останется там.",
        "Removed." => "Удалено.",
        "Saved. It is switched off; its settings are kept." => "Сохранено. Интеграция выключена, её настройки сохранены.",
        "Secret key" => "Секретный ключ",
        "Switched off; its settings are kept." => "Выключена, настройки сохранены.",
        "Update contact" => "Обновить контакт",
        "amoCRM subdomain" => "Поддомен amoCRM",
        "needed to connect; valid for 20 minutes" => "нужен для подключения; действует 20 минут",
        "Paste the integration's id from amoCRM" => "Вставьте ID интеграции из amoCRM",
        "Paste the integration's secret key from amoCRM" => "Вставьте секретный ключ интеграции из amoCRM",
        "Paste the redirect address set in the amoCRM integration" => "Вставьте ссылку для перенаправления, указанную в интеграции amoCRM",
        "Paste an authorization code from the amoCRM integration (it is valid for 20 minutes)" => "Вставьте код авторизации из интеграции amoCRM (он действует 20 минут)",
        "Paste the incoming webhook's address from Bitrix24" => "Вставьте адрес входящего вебхука из Битрикс24",
        "Write the subdomain of your amoCRM address: shop for shop.amocrm.ru" => "Укажите поддомен вашего адреса amoCRM: shop для shop.amocrm.ru",
        "Paste the incoming webhook's address from Bitrix24, like https://shop.bitrix24.ru/rest/1/abc123def456/" => "Вставьте адрес входящего вебхука из Битрикс24, вида https://shop.bitrix24.ru/rest/1/abc123def456/",
        "Write the counter's number to enable Metrica goals" => "Укажите номер счётчика, чтобы включить цели Метрики",
        "Set the report's address first" => "Сначала укажите адрес для отчёта",
        "At most 92 days at once" => "Не больше 92 дней за раз",
        "`since` must not be after `until`" => "Начало периода не может быть позже конца",
        "This Natter sends no e-mail: its operator has not set MAIL_FROM" => "Этот Natter не отправляет писем: администратор сервера не задал MAIL_FROM",
        "Visitors may have the conversation e-mailed to them (Send transcript)" => "Посетители могут получить разговор на почту («Отправить переписку на почту»)",
        "Notification e-mail: a copy of every closed conversation and offline message" => "Почта для уведомлений: копия каждого закрытого разговора и офлайн-сообщения",
        "Letters go out only if this Natter has a sender address (its operator sets MAIL_FROM)." => "Письма уходят, только если у этого Natter есть адрес отправителя (его задаёт администратор сервера в MAIL_FROM).",
        "Visitor rated" => "Оценку посетителя",
        "Last webhook deliveries" => "Последние отправки вебхука",
        "Refresh" => "Обновить",
        "Nothing was sent yet." => "Пока ничего не отправлялось.",
        "Event" => "Событие",
        "When" => "Когда",
        "Attempts" => "Попыток",
        "Send again" => "Отправить снова",
        "Send again: {}" => "Отправить снова: {}",
        "delivered" => "доставлено",
        "delivered ({})" => "доставлено ({})",
        "dropped: no webhook wanted it" => "отброшено: вебхук его не ждал",
        "failing ({}), retried" => "ошибка ({}), повторяем",
        "unreachable, retried" => "недоступен, повторяем",
        "waiting" => "ждёт",
        // Auto-actions.
        "Auto-actions" => "Автодействия",
        "Rules run in the visitor's browser, in this order. A rule fires when its conditions become true, never again while they stay true. Rules about the page and the visit fire at most once per visit (a visit ends after 30 minutes without activity), so a greeting is not repeated on every page but a returning visitor is greeted again. Rules about the conversation (who wrote last, response delays) fire once per wait: again only after the awaited side has written. Messages from rules appear to the visitor as from an operator and are marked automatic for operators." => {
            "Правила выполняются в браузере посетителя, по порядку. Правило срабатывает, когда его условия становятся истинными, и больше не срабатывает, пока они остаются истинными. Правила о странице и визите срабатывают не чаще раза за визит (визит заканчивается после 30 минут бездействия), поэтому приветствие не повторяется на каждой странице, но вернувшегося посетителя приветствуют снова. Правила о разговоре (кто написал последним, задержка ответа) срабатывают раз за ожидание: снова — только после того, как ожидаемая сторона напишет. Сообщения правил посетитель видит как сообщения оператора, а операторы — с пометкой «автоматически»."
        }
        "These are the default rules; your first change makes them your own." => {
            "Это правила по умолчанию; после первого изменения они станут вашими."
        }
        "Add rule" => "Добавить правило",
        "Add condition" => "Добавить условие",
        "On" => "Вкл.",
        "When " => "Когда ",
        "Then " => "Тогда ",
        "all conditions hold" => "выполнены все условия",
        "any condition holds" => "выполнено любое условие",
        "Rule {} condition {} {}" => "Правило {}, условие {}: {}",
        "Rule {} {}" => "Правило {}: {}",
        "value" => "значение",
        "fact" => "параметр",
        "comparison" => "сравнение",
        "delete" => "удалить",
        "name" => "название",
        "enabled" => "включено",
        "up" => "выше",
        "down" => "ниже",
        "match" => "совпадение",
        "action" => "действие",
        "message in English" => "сообщение на английском",
        "message in Russian" => "сообщение на русском",
        "yes" => "да",
        "no" => "нет",
        "contains" => "содержит",
        "Enter a whole number, 0 or more" => "Введите целое число, 0 или больше",
        "Time on page, s" => "Время на странице, с",
        "Time on site this visit, s" => "Время на сайте за визит, с",
        "Number of visits" => "Число визитов",
        "Pages viewed this visit" => "Просмотрено страниц за визит",
        "Page URL" => "Адрес страницы",
        "Referrer" => "Источник перехода",
        "Last message by the visitor" => "Последнее сообщение — от посетителя",
        "Last message by an operator" => "Последнее сообщение — от оператора",
        "Operator response delay, s" => "Задержка ответа оператора, с",
        "Visitor response delay, s" => "Задержка ответа посетителя, с",
        "The visitor introduced themselves" => "Посетитель представился",
        "An operator is online" => "Оператор в сети",
        "The visitor has written" => "Посетитель написал",
        "An operator has joined the conversation" => "Оператор присоединился к диалогу",
        "Send a message as the operator" => "Отправить сообщение от оператора",
        "Open the window and play the sound" => "Открыть окно со звуком",
        "Open the window" => "Открыть окно",
        "Open the \"Introduce yourself\" form" => "Открыть форму «Представьтесь»",
        // What the edge and the shared checks say (shown through `tr_any`).
        "The e-mail or password is wrong" => "Неверный e-mail или пароль",
        "Your session has ended: sign in again" => "Сеанс завершён: войдите снова",
        "Too many attempts. Wait a minute, then try again." => "Слишком много попыток. Подождите минуту и попробуйте снова.",
        "Only the organisation's admins can do this" => "Это могут только администраторы организации",
        "You do not work on this site" => "Вы не работаете на этом сайте",
        "Another operator has this conversation" => "Этот разговор ведёт другой оператор",
        "This conversation is closed already" => "Этот разговор уже закрыт",
        "Only its operator or an admin can transfer this conversation" => "Передать разговор может только его оператор или администратор",
        "Transfer to an operator of this site" => "Передайте разговор оператору этого сайта",
        "These details are not valid: check the name, e-mail and phone" => "Данные неверны: проверьте имя, e-mail и телефон",
        "Only admins manage the site's canned replies; save it as your own" => {
            "Шаблонами сайта управляют только администраторы; сохраните шаблон как свой"
        }
        "Avatar: give an https:// address of a picture, or upload one" => "Аватар: укажите адрес картинки https:// или загрузите её",
        "Email: enter an address like name@example.com" => "Email: введите адрес вида name@example.com",
        "Organisation: fill this in" => "Организация: заполните это поле",
        // Live visitors.
        "Live visitors" => "Посетители на сайте",
        "Show live visitors to operators" => "Показывать операторам посетителей на сайте",
        "Priority pages" => "Приоритетные страницы",
        "One per line, part of an address like /checkout: visitors on such a page are marked and listed first." => "По одной в строке, часть адреса, например /checkout: посетители на таких страницах отмечены и идут первыми.",
        "Message" => "Сообщение",
        "Nobody is on the site now." => "Сейчас на сайте никого нет.",
        "This site does not show live visitors: an admin can turn them on in Widget settings → Conversations." => "Этот сайт не показывает посетителей: администратор может включить это в Настройках виджета → Разговоры.",
        "On the site" => "На сайте",
        "Pages of this visit" => "Страницы этого визита",
        "Pages this visit" => "Страниц за визит",
        "Priority page" => "Приоритетная страница",
        "Start chat" => "Начать чат",
        "Start chat with {}" => "Начать чат с посетителем {}",
        "Visitors" => "Посетители",
        "Visitors on the site now" => "Посетители на сайте сейчас",
        "Visitors on the site now: {}" => "Посетителей на сайте сейчас: {}",
        "Visits" => "Визиты",
        "{} visitors on the site now; the first {} are shown." => "Посетителей на сайте сейчас: {}; показаны первые {}.",
        // Journal.
        "Time zone" => "Часовой пояс",
        "Like Europe/Moscow. The journal's days and the times in exports count in it." => "Например, Europe/Moscow. По нему считаются дни в журнале и время в выгрузках.",
        "Save time zone" => "Сохранить часовой пояс",
        "Journal" => "Журнал",
        "Back to the journal" => "Назад к журналу",
        "Active" => "Активен",
        "All" => "Все",
        "All sites" => "Все сайты",
        "All time" => "За всё время",
        "Any" => "Любая",
        "Anyone" => "Любой",
        "Bad" => "Плохо",
        "Good" => "Хорошо",
        "Not rated" => "Без оценки",
        "Clear filters" => "Сбросить фильтры",
        "Conversation with {}" => "Разговор с посетителем {}",
        "Conversations, newest first" => "Разговоры, сначала новые",
        "Dates…" => "Даты…",
        "Direct" => "Прямой заход",
        "Duration" => "Длительность",
        "Duration (s)" => "Длительность (с)",
        "Export CSV" => "Выгрузить CSV",
        "Export as text" => "Сохранить как текст",
        "File: {}" => "Файл: {}",
        "First response" => "Первый ответ",
        "First response (s)" => "Первый ответ (с)",
        "From" => "С",
        "To" => "По",
        "Incoming" => "Входящий",
        "Outgoing" => "Исходящий",
        "Missed" => "Пропущенный",
        "Kind" => "Тип",
        "Period" => "Период",
        "Today" => "Сегодня",
        "Last 7 days" => "Последние 7 дней",
        "This week" => "С начала недели",
        "This month" => "С начала месяца",
        "This year" => "С начала года",
        "Loading…" => "Загрузка…",
        "No conversations match these filters." => "Нет разговоров с такими фильтрами.",
        "Operator" => "Оператор",
        "Rating" => "Оценка",
        "Search" => "Поиск",
        "Source" => "Источник",
        "Started" => "Начат",
        "State" => "Состояние",
        "Words, name, e-mail or phone" => "Слова, имя, e-mail или телефон",
        "{} conversations shown; there are more." => "Показано разговоров: {}; есть ещё.",
        "{} conversations." => "Разговоров: {}.",
        "{} h {} min" => "{} ч {} мин",
        "{} min {} s" => "{} мин {} с",
        "{} s" => "{} с",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_service_answer_has_our_words_in_russian_and_theirs_as_they_are() {
        assert_eq!(ru_answer("Telegram answered 401: Unauthorized").as_deref(), Some("Telegram ответил 401: Unauthorized"));
        assert_eq!(ru_answer("Bitrix24: it answered 503: Too many requests").as_deref(), Some("Bitrix24: ответ 503: Too many requests"));
        assert_eq!(ru_answer("amoCRM did not take the code: it answered 400: revoked").as_deref(), Some("amoCRM не принял код: ответ 400: revoked"));
        assert_eq!(
            ru_answer("\"ftp://x\" is not an API address: write one that starts with https://, e.g. https://api.telegram.org").as_deref(),
            Some("«ftp://x» — не адрес API: укажите адрес, начинающийся с https://, например https://api.telegram.org")
        );
        assert_eq!(ru_answer("Nothing of ours"), None);
    }

    /// Every `tr("…")` / `trf("…"` literal in the console's sources.
    fn texts_in_sources() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.ends_with("i18n.rs") {
                continue;
            }
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
