//! The widget's modules stay in layers: no module imports one that (through others)
//! imports it back, and `Chat`, which joins the stores, stays small. Read from the
//! sources, so a new `use crate::…` that closes a circle fails here.

#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/chat/session.rs` → `chat`).
fn module_of(src: &Path, file: &Path) -> String {
    let first = file.strip_prefix(src).unwrap().components().next().unwrap();
    first.as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned()
}

/// The top-level modules a source names through `crate::`, grouped (`crate::{a, b}`)
/// or not.
fn imports(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                names.insert(name);
            }
        } else {
            names.insert(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
        }
    }
    names.retain(|name| !name.is_empty() && name.chars().next().is_some_and(|c| c.is_lowercase()));
    names
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let module = module_of(&src, &file);
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let edges = graph.entry(module.clone()).or_default();
        edges.extend(imports(&text).into_iter().filter(|name| *name != module));
    }
    graph
}

/// A circle through `module`, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>, path: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
    let module = path.last().unwrap().clone();
    for next in graph.get(&module).into_iter().flatten() {
        if let Some(at) = path.iter().position(|m| m == next) {
            let mut found = path[at..].to_vec();
            found.push(next.clone());
            return Some(found);
        }
        if done.contains(next) {
            continue;
        }
        path.push(next.clone());
        if let Some(found) = circle(graph, path, done) {
            return Some(found);
        }
        path.pop();
    }
    done.insert(module);
    None
}

#[test]
fn no_module_imports_itself_through_others() {
    let graph = graph();
    assert!(graph.get("chat").is_some_and(|edges| edges.contains("conversation")), "the graph is read: {graph:?}");
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        if let Some(found) = circle(&graph, &mut vec![module.clone()], &mut done) {
            panic!("an import circle: {}", found.join(" → "));
        }
    }
}

#[test]
fn the_reader_finds_grouped_and_inline_imports() {
    let found = imports("use crate::{net, storage};\nlet x = crate::tabs::Peer::closed(self);\nuse crate::Chat;");
    assert_eq!(found.into_iter().collect::<Vec<_>>(), ["net", "storage", "tabs"]);
    let mut graph = BTreeMap::new();
    graph.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    graph.insert("b".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(circle(&graph, &mut vec!["a".into()], &mut BTreeSet::new()), Some(vec!["a".into(), "b".into(), "a".into()]));
}

#[test]
fn chat_stays_under_200_lines() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/chat/mod.rs")).unwrap();
    assert!(text.lines().count() < 200, "chat/mod.rs has {} lines", text.lines().count());
}
