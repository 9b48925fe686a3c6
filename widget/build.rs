//! Minifies the widget's stylesheet at compile time: it is embedded in the Wasm, and
//! every byte of it is paid by every visitor who opens the chat. Safe for our CSS:
//! comments go, runs of white space shrink to one, spaces around `{ } ; : , >` go, and
//! so does the zero before a decimal point (`0.28` is `.28`).

use std::{env, fs, path::Path};

fn minify(css: &str) -> String {
    let mut without_comments = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        without_comments.push_str(&rest[..start]);
        rest = rest[start..].find("*/").map_or("", |end| &rest[start + end + 2..]);
    }
    without_comments.push_str(rest);
    let collapsed = without_comments.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(collapsed.len());
    let chars: Vec<char> = collapsed.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let tight = |c: Option<&char>| matches!(c, Some('{' | '}' | ';' | ':' | ',' | '>'));
        if c == ' ' && (tight(chars.get(i + 1)) || tight(out.chars().last().as_ref())) {
            continue;
        }
        let leading_zero = c == '0'
            && chars.get(i + 1) == Some(&'.')
            && !out.chars().last().is_some_and(|p| p.is_ascii_digit() || p == '.');
        if leading_zero {
            continue;
        }
        out.push(c);
    }
    out.replace(";}", "}")
}

fn main() {
    println!("cargo:rerun-if-changed=src/style.css");
    let css = fs::read_to_string("src/style.css").expect("widget/src/style.css is readable");
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("style.min.css");
    fs::write(out, minify(&css)).expect("OUT_DIR is writable");
}
