//! The e-mails Natter writes, in Russian and English: a conversation's transcript for
//! its visitor, the owner's copy of a closed conversation or an offline message, and
//! the daily figures. Plain text; times come formatted by the caller (the edge reads
//! the time zone with the runtime's `Intl`).

use crate::figures::{duration, FiguresRow};
use crate::journal::Date;
use crate::protocol::{AuthorKind, Millis, OfflineNotice};
use crate::settings::Language;
use crate::shift::{EventNotice, EventVisitor, TranscriptLine};

/// An e-mail's subject and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub text: String,
}

/// The words of the letters in one language.
struct Words {
    transcript_subject: &'static str,
    transcript_intro: &'static str,
    transcript_footer: &'static str,
    times_in: &'static str,
    you: &'static str,
    file: &'static str,
    closed_subject: &'static str,
    closed_intro: &'static str,
    offline_subject: &'static str,
    offline_intro: &'static str,
    visitor: &'static str,
    email: &'static str,
    phone: &'static str,
    page: &'static str,
    closed_by: &'static str,
    rating: &'static str,
    good: &'static str,
    bad: &'static str,
    not_rated: &'static str,
    message: &'static str,
    report_subject: &'static str,
    report_intro: &'static str,
    everyone: &'static str,
    conversations: &'static str,
    missed: &'static str,
    first_response: &'static str,
    median: &'static str,
    p90: &'static str,
    ratings: &'static str,
    offline: &'static str,
    nothing: &'static str,
    report_footer: &'static str,
}

const EN: Words = Words {
    transcript_subject: "Your conversation on {site}",
    transcript_intro: "Hello! Here is your conversation on {site}, as you asked.",
    transcript_footer: "You get this letter because it was asked for in the chat on {site}. If it was not you, ignore it.",
    times_in: "Times are in the {zone} time zone.",
    you: "You",
    file: "File",
    closed_subject: "Conversation with {visitor} closed · {site}",
    closed_intro: "A conversation on {site} was closed.",
    offline_subject: "Offline message from {visitor} · {site}",
    offline_intro: "A visitor left a message on {site} while no operator was online.",
    visitor: "Visitor",
    email: "E-mail",
    phone: "Phone",
    page: "Page",
    closed_by: "Closed by",
    rating: "Rating",
    good: "good",
    bad: "bad",
    not_rated: "not rated",
    message: "Message",
    report_subject: "Figures for {date} · {org}",
    report_intro: "What happened on {date} ({zone}).",
    everyone: "All operators",
    conversations: "Conversations",
    missed: "Missed",
    first_response: "First response",
    median: "median",
    p90: "90th percentile",
    ratings: "Ratings",
    offline: "Offline messages",
    nothing: "no answers",
    report_footer: "An admin of {org} asked for this report in Natter (console → Figures); the same page turns it off.",
};

const RU: Words = Words {
    transcript_subject: "Ваш разговор на сайте {site}",
    transcript_intro: "Здравствуйте! Вот ваш разговор на сайте {site}, как вы просили.",
    transcript_footer: "Это письмо пришло, потому что его запросили в чате на сайте {site}. Если это были не вы, не обращайте на него внимания.",
    times_in: "Время указано в часовом поясе {zone}.",
    you: "Вы",
    file: "Файл",
    closed_subject: "Разговор с посетителем {visitor} закрыт · {site}",
    closed_intro: "На сайте {site} закрыт разговор.",
    offline_subject: "Офлайн-сообщение от посетителя {visitor} · {site}",
    offline_intro: "Посетитель оставил сообщение на сайте {site}, когда операторов не было в сети.",
    visitor: "Посетитель",
    email: "E-mail",
    phone: "Телефон",
    page: "Страница",
    closed_by: "Закрыл",
    rating: "Оценка",
    good: "хорошо",
    bad: "плохо",
    not_rated: "нет оценки",
    message: "Сообщение",
    report_subject: "Показатели за {date} · {org}",
    report_intro: "Что было {date} (часовой пояс {zone}).",
    everyone: "Все операторы",
    conversations: "Разговоров",
    missed: "Пропущено",
    first_response: "Первый ответ",
    median: "медиана",
    p90: "90-й процентиль",
    ratings: "Оценки",
    offline: "Офлайн-сообщений",
    nothing: "ответов не было",
    report_footer: "Администратор {org} включил этот отчёт в Natter (консоль → Показатели); там же его можно выключить.",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::Ru => &RU,
        Language::En => &EN,
    }
}

fn fill(template: &str, pairs: &[(&str, &str)]) -> String {
    pairs.iter().fold(template.to_owned(), |text, (key, value)| text.replace(&format!("{{{key}}}"), value))
}

/// The conversation, a line per message: `[time] Name: text`.
fn transcript_lines(words: &Words, lines: &[TranscriptLine], visitor: Option<&str>, stamp: &dyn Fn(Millis) -> String) -> String {
    let mut text = String::new();
    for line in lines {
        let name = match (line.author, visitor) {
            (AuthorKind::Visitor, Some(visitor)) => visitor,
            _ => line.name.as_str(),
        };
        let file = line.file.as_ref().map(|f| format!("{}: {f}", words.file));
        let body = [Some(line.text.clone()), file].into_iter().flatten().filter(|t| !t.is_empty()).collect::<Vec<_>>().join("\n    ");
        text.push_str(&format!("[{}] {name}: {body}\n", stamp(line.at)));
    }
    text
}

/// The visitor's copy of their conversation on `site`.
pub fn transcript(language: Language, site: &str, lines: &[TranscriptLine], zone: &str, stamp: &dyn Fn(Millis) -> String) -> Letter {
    let w = words(language);
    let site_pair = [("site", site), ("zone", zone)];
    Letter {
        subject: fill(w.transcript_subject, &site_pair),
        text: format!(
            "{}\n{}\n\n{}\n-- \n{}\n",
            fill(w.transcript_intro, &site_pair),
            fill(w.times_in, &site_pair),
            transcript_lines(w, lines, Some(w.you), stamp),
            fill(w.transcript_footer, &site_pair),
        ),
    }
}

fn detail(text: &mut String, label: &str, value: &str) {
    if !value.is_empty() {
        text.push_str(&format!("{label}: {value}\n"));
    }
}

/// The owner's copy of a closed conversation.
pub fn closed_conversation(language: Language, site: &str, notice: &EventNotice, zone: &str, stamp: &dyn Fn(Millis) -> String) -> Letter {
    let w = words(language);
    let pairs = [("site", site), ("visitor", notice.visitor.name.as_str()), ("zone", zone)];
    let mut text = format!("{}\n{}\n\n", fill(w.closed_intro, &pairs), fill(w.times_in, &pairs));
    detail(&mut text, w.visitor, &notice.visitor.name);
    detail(&mut text, w.email, &notice.visitor.email);
    detail(&mut text, w.phone, &notice.visitor.phone);
    detail(&mut text, w.page, &notice.visitor.page_url);
    detail(&mut text, w.closed_by, notice.operator.as_ref().map_or("", |o| o.name.as_str()));
    let rating = match &notice.rating {
        Some(r) if r.comment.is_empty() => (if r.good { w.good } else { w.bad }).to_owned(),
        Some(r) => format!("{}: {}", if r.good { w.good } else { w.bad }, r.comment),
        None => w.not_rated.to_owned(),
    };
    detail(&mut text, w.rating, &rating);
    text.push('\n');
    text.push_str(&transcript_lines(w, notice.transcript.as_deref().unwrap_or_default(), None, stamp));
    Letter { subject: fill(w.closed_subject, &pairs), text }
}

/// The conversation as a CRM keeps it (a lead's note or comments): the visitor's
/// details, then every message under its author's name.
pub fn crm_note(language: Language, visitor: &EventVisitor, lines: &[TranscriptLine], zone: &str, stamp: &dyn Fn(Millis) -> String) -> String {
    let w = words(language);
    let mut text = format!("{}\n\n", fill(w.times_in, &[("zone", zone)]));
    detail(&mut text, w.visitor, &visitor.name);
    detail(&mut text, w.email, &visitor.email);
    detail(&mut text, w.phone, &visitor.phone);
    detail(&mut text, w.page, &visitor.page_url);
    text.push('\n');
    text.push_str(&transcript_lines(w, lines, None, stamp));
    text
}

/// The owner's copy of an offline message.
pub fn offline_message(language: Language, site: &str, notice: &OfflineNotice, zone: &str, stamp: &dyn Fn(Millis) -> String) -> Letter {
    let w = words(language);
    let pairs = [("site", site), ("visitor", notice.name.as_str()), ("zone", zone)];
    let mut text = format!("{}\n{}\n\n", fill(w.offline_intro, &pairs), fill(w.times_in, &pairs));
    detail(&mut text, w.visitor, &notice.name);
    detail(&mut text, w.email, &notice.email);
    detail(&mut text, w.phone, &notice.phone);
    detail(&mut text, w.page, &notice.page_url);
    text.push_str(&format!("\n[{}] {}:\n{}\n", stamp(notice.at), w.message, notice.text));
    Letter { subject: fill(w.offline_subject, &pairs), text }
}

/// The daily report: one day's rows of the figures (its total first).
pub fn daily_report(language: Language, organisation: &str, date: Date, zone: &str, rows: &[FiguresRow]) -> Letter {
    let w = words(language);
    let date_text = date.to_string();
    let pairs = [("org", organisation), ("date", date_text.as_str()), ("zone", zone)];
    let ru = language == Language::Ru;
    let mut text = format!("{}\n", fill(w.report_intro, &pairs));
    for row in rows.iter().filter(|r| r.date == date) {
        let who = if row.operator.is_some() { row.operator_name.as_str() } else { w.everyone };
        let response = match (row.median_first_response_ms, row.p90_first_response_ms) {
            (Some(median), Some(p90)) => format!("{} {}, {} {}", w.median, duration(median, ru), w.p90, duration(p90, ru)),
            _ => w.nothing.to_owned(),
        };
        text.push_str(&format!(
            "\n{who}\n  {}: {}\n  {}: {}\n  {}: {response}\n  {}: {} {}, {} {}\n",
            w.conversations, row.conversations, w.missed, row.missed, w.first_response, w.ratings, row.good, w.good, row.bad, w.bad,
        ));
        if row.operator.is_none() {
            text.push_str(&format!("  {}: {}\n", w.offline, row.offline));
        }
    }
    text.push_str(&format!("\n-- \n{}\n", fill(w.report_footer, &pairs)));
    Letter { subject: fill(w.report_subject, &pairs), text }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ConversationId, SiteId};
    use crate::shift::{EventKind, Rating};

    fn stamp(ms: Millis) -> String {
        format!("t{ms}")
    }

    fn line(author: AuthorKind, name: &str, text: &str, at: Millis) -> TranscriptLine {
        TranscriptLine { author, name: name.into(), text: text.into(), at, auto: false, file: None }
    }

    #[test]
    fn a_transcript_holds_every_message_in_the_sites_language() {
        let mut lines = vec![line(AuthorKind::Visitor, "Visitor 12", "Hello", 1), line(AuthorKind::Operator, "Anna", "Hi!\nHow can I help?", 2)];
        lines[1].file = Some("price.pdf".into());
        let en = transcript(Language::En, "Shop", &lines, "Europe/Berlin", &stamp);
        assert_eq!(en.subject, "Your conversation on Shop");
        assert!(en.text.contains("[t1] You: Hello\n[t2] Anna: Hi!\nHow can I help?\n    File: price.pdf\n"), "{}", en.text);
        assert!(en.text.contains("Europe/Berlin"));
        let ru = transcript(Language::Ru, "Магазин", &lines, "UTC", &stamp);
        assert_eq!(ru.subject, "Ваш разговор на сайте Магазин");
        assert!(ru.text.contains("[t1] Вы: Hello"));
    }

    #[test]
    fn a_crm_note_has_the_visitor_and_every_message_by_name() {
        let visitor = EventVisitor { name: "Olga".into(), email: "olga@example.com".into(), phone: String::new(), page_url: "https://shop.example/".into() };
        let lines = [line(AuthorKind::Visitor, "Olga", "Hello", 1), line(AuthorKind::Operator, "Anna", "Hi", 2)];
        let note = crm_note(Language::En, &visitor, &lines, "UTC", &stamp);
        assert!(note.contains("E-mail: olga@example.com\n"), "{note}");
        assert!(!note.contains("Phone:"), "{note}");
        assert!(note.ends_with("[t1] Olga: Hello\n[t2] Anna: Hi\n"), "{note}");
    }

    #[test]
    fn the_owners_copies_say_who_and_what() {
        let notice = EventNotice {
            id: "x".into(),
            event: EventKind::ConversationClosed,
            site: SiteId::parse("shop").unwrap(),
            conversation: ConversationId::parse("c1").unwrap(),
            at: 5,
            visitor: EventVisitor { name: "Olga".into(), email: "olga@example.com".into(), phone: String::new(), page_url: "https://shop/x".into() },
            operator: None,
            previous: None,
            rating: Some(Rating { good: false, comment: "slow".into(), at: 6 }),
            transcript: Some(vec![line(AuthorKind::Visitor, "Olga", "Where is my order?", 3)]),
        };
        let letter = closed_conversation(Language::En, "Shop", &notice, "UTC", &stamp);
        assert_eq!(letter.subject, "Conversation with Olga closed · Shop");
        for part in ["E-mail: olga@example.com", "Page: https://shop/x", "Rating: bad: slow", "[t3] Olga: Where is my order?"] {
            assert!(letter.text.contains(part), "{part} in {}", letter.text);
        }
        assert!(!letter.text.contains("Phone"));
    }
}
