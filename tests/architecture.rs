//! The house's imports: which modules of `src/` refer to which, read from their `crate::`
//! paths (code only: comments, doc links and `#[cfg(test)]` modules aside), and the circles
//! among them (strongly connected components of more than one module).
//!
//! No module is part of an import circle (issue 21; it started at one circle of 16 modules),
//! and imports point one way, down the layers of ARCHITECTURE.md: foundations (`error`,
//! `numeric`, `rng`, `output`) <- `scenario` <- `model` and `analysis` (side by side, neither
//! importing the other) <- `engine` <- `study` <- `report` <- the binary (`cli` <- `commands`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module (`a::b` for `src/a/b.rs` or `src/a/b/mod.rs`) and the modules its code refers to.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(&src).unwrap().with_extension("");
                let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                    parts.pop();
                }
                if parts.is_empty() {
                    continue; // lib.rs and main.rs: the roots, not modules
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let code: String = text
                    .split("#[cfg(test)]")
                    .next()
                    .unwrap()
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .collect::<Vec<_>>()
                    .join("\n");
                texts.insert(parts.join("::"), code);
            }
        }
    }
    let names: BTreeSet<String> = texts.keys().cloned().collect();
    // The longest module that a path starts with.
    let module_of = |path: &str| -> Option<String> {
        let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        (1..=segments.len()).rev().map(|k| segments[..k].join("::")).find(|c| names.contains(c))
    };
    let related = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}::")) || b.starts_with(&format!("{a}::"));
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, code) in &texts {
        let targets = graph.entry(module.clone()).or_default();
        let mut add = |path: &str| {
            if let Some(t) = module_of(path).filter(|t| !related(module, t)) {
                targets.insert(t);
            }
        };
        // `crate::a::b::C` anywhere, and `use crate::{a::b, c}` lists.
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            if let Some(list) = rest.strip_prefix('{') {
                let end = list.find('}').unwrap_or(list.len());
                for item in list[..end].split(',') {
                    add(item.trim().split("::{").next().unwrap_or_default());
                }
            } else {
                let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
                add(&rest[..end]);
            }
        }
    }
    graph
}

/// The strongly connected components of more than one module (Tarjan 1972), each sorted.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(v: &'a str, st: &mut State<'a>) {
        let i = st.index.len();
        st.index.insert(v, i);
        st.low.insert(v, i);
        st.stack.push(v);
        st.on_stack.insert(v);
        for w in st.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !st.index.contains_key(w) {
                visit(w, st);
                let lw = st.low[w];
                let lv = st.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if st.on_stack.contains(w) {
                let iw = st.index[w];
                let lv = st.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if st.low[v] == st.index[v] {
            let mut component = Vec::new();
            loop {
                let w = st.stack.pop().unwrap();
                st.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                st.found.push(component);
            }
        }
    }
    let mut st = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !st.index.contains_key(v.as_str()) {
            visit(v, &mut st);
        }
    }
    st.found.sort();
    st.found
}

#[test]
fn no_module_is_in_an_import_circle() {
    let graph = import_graph();
    assert!(graph.len() > 40, "{} modules read", graph.len());
    assert_eq!(circles(&graph), Vec::<Vec<String>>::new(), "import circles");
}

/// The layer of each top-level module, lowest first; modules of one layer other than the
/// foundations do not import each other.
const LAYERS: [(&str, u8); 12] = [
    ("error", 0),
    ("numeric", 0),
    ("rng", 0),
    ("output", 0),
    ("scenario", 1),
    ("model", 2),
    ("analysis", 2),
    ("engine", 3),
    ("study", 4),
    ("report", 5),
    ("cli", 6),
    ("commands", 7),
];

/// The imports of `graph` that do not point down a layer, as "from -> to".
fn upward_imports(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let layer = |module: &str| {
        let top = module.split("::").next().unwrap_or_default();
        LAYERS.iter().find(|(name, _)| *name == top).map(|&(_, l)| l)
    };
    let mut wrong = Vec::new();
    for (from, targets) in graph {
        let here = layer(from).unwrap_or_else(|| panic!("{from} is in no layer: add its folder to LAYERS"));
        for to in targets {
            let there = layer(to).unwrap_or_else(|| panic!("{to} is in no layer: add its folder to LAYERS"));
            let same_top = from.split("::").next() == to.split("::").next();
            if !(same_top || there < here || (here == 0 && there == 0)) {
                wrong.push(format!("{from} -> {to}"));
            }
        }
    }
    wrong
}

#[test]
fn imports_point_down_the_layers() {
    let graph = import_graph();
    assert_eq!(upward_imports(&graph), Vec::<String>::new(), "imports that do not point down a layer");
}

/// The layer check finds an import up a layer and one across two sibling layers.
#[test]
fn upward_imports_are_found() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut add = |a: &str, b: &str| {
        g.entry(a.to_string()).or_default().insert(b.to_string());
    };
    add("engine::plan", "model::biomarker");
    add("model::biomarker", "scenario::schema");
    add("scenario::validate", "model::outcome::count");
    add("model::outcome::count", "analysis::negbin");
    add("output", "error");
    assert_eq!(
        upward_imports(&g),
        vec![
            "model::outcome::count -> analysis::negbin".to_string(),
            "scenario::validate -> model::outcome::count".to_string()
        ]
    );
}

/// The reader finds a circle where there is one, and none in a line.
#[test]
fn circles_are_found() {
    let edges = |pairs: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in pairs {
            g.entry(a.to_string()).or_default().insert(b.to_string());
            g.entry(b.to_string()).or_default();
        }
        g
    };
    assert!(circles(&edges(&[("a", "b"), ("b", "c")])).is_empty());
    assert_eq!(circles(&edges(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])), vec![vec!["a", "b", "c"]]);
}
