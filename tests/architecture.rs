//! The module graph, checked: which modules of `src/` use which (`crate::` and `super::`
//! paths), at two levels.
//!
//! - Top-level modules, the crate root (`lib`) among them: no cycle, the pure layers stay
//!   pure, and the layers keep their order (commands over the pipeline over the backends,
//!   the generators and the cache).
//! - Files: no two files import each other, except a module and its own submodules, and no
//!   command imports another.
//!
//! `cargo test --test architecture -- --nocapture` prints both graphs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file: `pipeline/mod.rs` and `pipeline.rs` are `pipeline`, `lib.rs`
/// is the root (empty).
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    let stem = last.strip_suffix(".rs").unwrap().to_string();
    if stem != "mod" && !(parts.is_empty() && stem == "lib") {
        parts.push(stem);
    }
    parts
}

/// The code of a file without comments and without its unit tests.
fn code_of(path: &Path) -> String {
    let code = std::fs::read_to_string(path).unwrap();
    let code = code.split("#[cfg(test)]").next().unwrap_or("").to_string();
    code.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Expand a path that may hold groups (`a::{b::{c, d}, e}`) into its paths; `text` starts
/// where the path does, and the path ends at the first character that cannot go on it.
fn expand(text: &str) -> Vec<Vec<String>> {
    fn path(s: &[char], i: &mut usize) -> Vec<Vec<String>> {
        let mut segs: Vec<String> = Vec::new();
        loop {
            if *i < s.len() && s[*i] == '{' {
                *i += 1;
                let mut out = Vec::new();
                loop {
                    while *i < s.len() && (s[*i].is_whitespace() || s[*i] == ',') {
                        *i += 1;
                    }
                    if *i >= s.len() || s[*i] == '}' {
                        *i += 1;
                        break;
                    }
                    for tail in path(s, i) {
                        out.push(segs.iter().cloned().chain(tail).collect());
                    }
                }
                return out;
            }
            let start = *i;
            while *i < s.len() && (s[*i].is_ascii_alphanumeric() || s[*i] == '_') {
                *i += 1;
            }
            if *i > start {
                segs.push(s[start..*i].iter().collect());
            }
            while *i < s.len() && s[*i].is_whitespace() {
                *i += 1;
            }
            if s[*i..].starts_with(&[':', ':']) {
                *i += 2;
                while *i < s.len() && s[*i].is_whitespace() {
                    *i += 1;
                }
                continue;
            }
            // `self` in a group names the module itself; ` as x` renames the last segment.
            if segs.last().is_some_and(|l| l == "self") {
                segs.pop();
            }
            if s[*i..].starts_with(&['a', 's', ' ']) {
                while *i < s.len() && s[*i] != ',' && s[*i] != '}' && s[*i] != ';' {
                    *i += 1;
                }
            }
            return vec![segs];
        }
    }
    let s: Vec<char> = text.chars().collect();
    path(&s, &mut 0)
}

/// Every module path `code` (a file of module `here`) names with `crate::` or `super::`,
/// made absolute.
fn paths(code: &str, here: &[String], is_mod_file: bool) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        if code[..i].ends_with("pub(") || code[..i].ends_with('$') {
            continue;
        }
        out.extend(expand(&code[i + "crate::".len()..]));
    }
    // `super` is the parent of this file's module; a `mod.rs` or `lib.rs` is its module.
    let parent: Vec<String> = if is_mod_file || here.is_empty() {
        here[..here.len().saturating_sub(1)].to_vec()
    } else {
        here[..here.len() - 1].to_vec()
    };
    for (i, _) in code.match_indices("super::") {
        if code[..i].ends_with("super::") || code[..i].ends_with("pub(in ") {
            continue;
        }
        for p in expand(&code[i + "super::".len()..]) {
            out.push(parent.iter().cloned().chain(p).collect());
        }
    }
    out
}

struct Crate {
    /// Module path -> its file, relative to `src/`.
    files: BTreeMap<Vec<String>, String>,
    /// File -> the files it names.
    file_graph: Graph,
    /// Top-level module (`lib` for the root) -> those it names.
    module_graph: Graph,
}

fn read_crate() -> Crate {
    let src = src();
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut by_module = BTreeMap::new();
    for f in &all {
        let rel = f.strip_prefix(&src).unwrap();
        if rel == Path::new("main.rs") {
            continue;
        }
        by_module.insert(module_of(rel), rel.to_string_lossy().into_owned());
    }
    let top = |m: &[String]| m.first().cloned().unwrap_or_else(|| "lib".to_string());
    let (mut file_graph, mut module_graph) = (Graph::new(), Graph::new());
    for (module, file) in &by_module {
        let is_mod_file = file.ends_with("mod.rs");
        for p in paths(&code_of(&src.join(file)), module, is_mod_file) {
            // The deepest module the path names; a path to an item of the root is the root.
            let target = (0..=p.len()).rev().map(|n| p[..n].to_vec()).find(|m| by_module.contains_key(m)).unwrap();
            let to = &by_module[&target];
            if to != file {
                file_graph.entry(file.clone()).or_default().insert(to.clone());
            }
            let (a, b) = (top(module), top(&target));
            if a != b {
                module_graph.entry(a).or_default().insert(b);
            }
        }
    }
    Crate { files: by_module, file_graph, module_graph }
}

fn reaches(g: &Graph, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_string()];
    while let Some(m) = stack.pop() {
        for next in g.get(&m).into_iter().flatten() {
            if next == to {
                return true;
            }
            if seen.insert(next.clone()) {
                stack.push(next.clone());
            }
        }
    }
    false
}

fn printed(g: &Graph) -> String {
    g.iter()
        .map(|(k, v)| format!("{k} -> {}", v.iter().cloned().collect::<Vec<_>>().join(" ")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn modules_form_no_cycle_with_the_crate_root_among_them() {
    let c = read_crate();
    println!("{}", printed(&c.module_graph));
    assert!(c.module_graph.contains_key("lib"), "the crate root is in the graph:\n{}", printed(&c.module_graph));
    let g = &c.module_graph;
    let cycles: Vec<String> = g
        .iter()
        .flat_map(|(a, tos)| tos.iter().filter(|b| reaches(g, b, a)).map(move |b| format!("{a} -> {b}")))
        .collect();
    assert!(cycles.is_empty(), "edges on a cycle: {cycles:?}\n{}", printed(g));
}

#[test]
fn the_pure_core_knows_no_database_config_or_command_line() {
    let g = read_crate().module_graph;
    // The plan model and the analysis are pure functions of plans and numbers.
    let pure = ["plan", "analysis", "expr", "calendar", "sqltext", "error"];
    let outer = [
        "config", "postgres", "datagen", "measure", "pipeline", "commands", "cli", "report", "output", "verdict",
        "baseline", "lib",
    ];
    for m in pure {
        for o in outer {
            assert!(!reaches(&g, m, o), "`{m}` reaches `{o}`:\n{}", printed(&g));
        }
    }
    // Only the command line's own layer knows it.
    for m in g.keys().filter(|m| !["lib", "commands", "cli"].contains(&m.as_str())) {
        assert!(!reaches(&g, m, "cli"), "`{m}` reaches `cli`:\n{}", printed(&g));
    }
}

#[test]
fn the_layers_keep_their_order() {
    let g = read_crate().module_graph;
    // Each layer may use those below it, never one above.
    let above: [(&str, &[&str]); 4] = [
        ("commands", &["lib"]),
        ("pipeline", &["commands", "output", "lib"]),
        ("output", &["commands", "pipeline", "lib"]),
        ("report", &["commands", "pipeline", "output", "lib"]),
    ];
    for (layer, higher) in above {
        for h in higher {
            assert!(!reaches(&g, layer, h), "`{layer}` reaches `{h}`:\n{}", printed(&g));
        }
    }
    let engine = ["postgres", "datagen", "cache", "measure", "verdict", "baseline", "snapshot", "suggest", "config"];
    for m in engine {
        for h in ["pipeline", "commands", "output", "report", "lib"] {
            assert!(!reaches(&g, m, h), "`{m}` reaches `{h}`:\n{}", printed(&g));
        }
    }
    // Every measuring command goes through the pipeline.
    assert!(g["commands"].contains("pipeline"), "{}", printed(&g));
}

#[test]
fn no_two_files_import_each_other() {
    let c = read_crate();
    println!("{}", printed(&c.file_graph));
    let module_of_file: BTreeMap<&String, &Vec<String>> = c.files.iter().map(|(m, f)| (f, m)).collect();
    // A module's submodules use its items, and it names theirs: that pair is one module.
    let related = |a: &String, b: &String| {
        let (ma, mb) = (module_of_file[a], module_of_file[b]);
        ma.starts_with(mb) || mb.starts_with(ma)
    };
    let mut pairs = Vec::new();
    for (a, tos) in &c.file_graph {
        for b in tos {
            if a < b && !related(a, b) && c.file_graph.get(b).is_some_and(|t| t.contains(a)) {
                pairs.push(format!("{a} <-> {b}"));
            }
        }
    }
    assert!(pairs.is_empty(), "files that import each other: {pairs:?}");
}

#[test]
fn no_command_imports_another() {
    let c = read_crate();
    let command = |f: &str| -> Option<String> {
        let rest = f.strip_prefix("commands/")?;
        let name = rest.split('/').next()?.trim_end_matches(".rs");
        (name != "mod.rs" && name != "mod").then(|| name.to_string())
    };
    for (from, tos) in &c.file_graph {
        let Some(a) = command(from) else { continue };
        for to in tos {
            if let Some(b) = command(to) {
                assert_eq!(a, b, "{from} imports {to}");
            }
        }
    }
}

#[test]
fn paths_are_read_from_groups_renames_and_super() {
    let code =
        "use crate::a::b;\nuse crate::{c::{d, e as f}, g, h::self};\nlet x = crate::i::j();\nuse super::k::{l, m};";
    let here = vec!["p".to_string(), "q".to_string()];
    let got = paths(code, &here, false);
    let want: Vec<Vec<&str>> = vec![
        vec!["a", "b"],
        vec!["c", "d"],
        vec!["c", "e"],
        vec!["g"],
        vec!["h"],
        vec!["i", "j"],
        vec!["p", "k", "l"],
        vec!["p", "k", "m"],
    ];
    assert_eq!(got, want.iter().map(|p| p.iter().map(ToString::to_string).collect::<Vec<_>>()).collect::<Vec<_>>());
}
