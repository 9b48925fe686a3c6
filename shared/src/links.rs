//! Links in a message's text: addresses that start with `http://`, `https://`,
//! `mailto:` or `tel:` become links; nothing else does (no `javascript:`, no guessing
//! at bare domains). The text stays text: the widget and the console draw each piece
//! as a text node or a link, never as HTML.

/// A piece of a message's text.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'t> {
    Text(&'t str),
    Link(&'t str),
}

const SCHEMES: [&str; 4] = ["https://", "http://", "mailto:", "tel:"];

/// Punctuation that ends a sentence rather than an address: "see https://a.b/c." links
/// `https://a.b/c`. A closing bracket stays when the address opened one.
fn trim_end(link: &str) -> &str {
    let mut end = link.len();
    loop {
        let Some(last) = link[..end].chars().next_back() else { return "" };
        let opened = |open: char| link[..end].matches(open).count() >= link[..end].matches(last).count();
        let keep = match last {
            ')' => opened('('),
            ']' => opened('['),
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"' | '>' | '»' => false,
            _ => true,
        };
        if keep {
            return &link[..end];
        }
        end -= last.len_utf8();
    }
}

/// Whether `text` starts with one of our schemes (any case).
fn has_scheme(text: &str) -> bool {
    SCHEMES.iter().any(|scheme| text.get(..scheme.len()).is_some_and(|start| start.eq_ignore_ascii_case(scheme)))
}

/// Whether `candidate` is a link worth making: a scheme and something after it.
fn is_link(candidate: &str) -> bool {
    has_scheme(candidate) && !SCHEMES.iter().any(|scheme| candidate.eq_ignore_ascii_case(scheme))
}

/// `text` in pieces, in order; joined, they are `text` again.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut plain_from = 0;
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        // A link starts a word: at the start or after a space or an opening mark.
        let starts_word = text[..at].chars().next_back().is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '[' | '"' | '\'' | '«' | '<'));
        if starts_word && has_scheme(rest) {
            let word = &rest[..rest.find(|c: char| c.is_whitespace() || matches!(c, '<' | '"')).unwrap_or(rest.len())];
            let link = trim_end(word);
            if is_link(link) {
                if plain_from < at {
                    pieces.push(Piece::Text(&text[plain_from..at]));
                }
                pieces.push(Piece::Link(link));
                at += link.len();
                plain_from = at;
                continue;
            }
        }
        at += rest.chars().next().map_or(1, char::len_utf8);
    }
    if plain_from < text.len() {
        pieces.push(Piece::Text(&text[plain_from..]));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::Piece::{Link, Text};
    use super::*;

    #[test]
    fn addresses_with_our_schemes_become_links_and_the_rest_stays_text() {
        assert_eq!(
            pieces("See https://shop.test/a?b=1. Or mail mailto:ann@shop.test, call tel:+4930123!"),
            [Text("See "), Link("https://shop.test/a?b=1"), Text(". Or mail "), Link("mailto:ann@shop.test"), Text(", call "), Link("tel:+4930123"), Text("!")]
        );
        assert_eq!(pieces("(http://a.test/x_(y)) and [https://b.test]"), [Text("("), Link("http://a.test/x_(y)"), Text(") and ["), Link("https://b.test"), Text("]")]);
        assert_eq!(pieces("Ссылка: https://магазин.рф/товар."), [Text("Ссылка: "), Link("https://магазин.рф/товар"), Text(".")]);
        assert_eq!(pieces("HTTPS://A.TEST"), [Link("HTTPS://A.TEST")]);
    }

    #[test]
    fn nothing_else_is_a_link() {
        for text in ["javascript:alert(1)", "data:text/html,x", "www.shop.test", "ann@shop.test", "https://", "xhttps://a.test", "tel:"] {
            assert_eq!(pieces(text), [Text(text)], "{text}");
        }
        assert_eq!(pieces(""), []);
    }

    #[test]
    fn the_pieces_join_to_the_text() {
        for text in ["a https://b.test c", "«https://b.test»", "x\nhttps://a.test/\ny", "https://a.test/<b>", "ёhttps://a", "т https:/"] {
            let joined: String = pieces(text).iter().map(|p| match p { Text(t) | Link(t) => *t }).collect();
            assert_eq!(joined, text);
        }
    }
}
