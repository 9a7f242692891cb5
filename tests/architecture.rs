//! The module graph: which top-level modules of `src/` use which (`crate::...` paths), checked
//! to have no cycles, and the pure layers checked to stay pure. `cargo test --test
//! architecture -- --nocapture` prints the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// Top-level modules: the files and folders directly under `src/`, but the binary's and
/// the crate root's.
fn modules(src: &Path) -> BTreeSet<String> {
    std::fs::read_dir(src)
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name().into_string().ok()?;
            let name = name.strip_suffix(".rs").map(str::to_string).unwrap_or(name);
            (name != "main" && name != "lib").then_some(name)
        })
        .collect()
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The first segment of every `crate::` path in `code`, `use crate::{a, b::c}` included.
fn crate_paths(code: &str) -> Vec<String> {
    let code: String = code.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    let mut out = Vec::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut part, mut end) = (1, String::new(), group.len());
            let mut parts = Vec::new();
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = j;
                    break;
                }
                if depth == 1 && c == ',' {
                    parts.push(std::mem::take(&mut part));
                } else {
                    part.push(c);
                }
            }
            parts.push(part);
            out.extend(parts.iter().map(|p| p.trim().split("::").next().unwrap_or("").trim().to_string()));
            rest = &group[end..];
        } else {
            out.push(rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect());
        }
    }
    out
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mods = modules(&src);
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut g = Graph::new();
    for f in all {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
        let from = first.strip_suffix(".rs").map(str::to_string).unwrap_or(first);
        if from == "main" {
            continue;
        }
        let code = std::fs::read_to_string(&f).unwrap();
        let code = code.split("#[cfg(test)]").next().unwrap_or("");
        for to in crate_paths(code) {
            if to != from && mods.contains(&to) {
                g.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    g
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
fn modules_form_no_cycle() {
    let g = graph();
    println!("{}", printed(&g));
    let cycles: Vec<String> = g
        .iter()
        .flat_map(|(a, tos)| tos.iter().filter(|b| reaches(&g, b, a)).map(move |b| format!("{a} -> {b}")))
        .collect();
    assert!(cycles.is_empty(), "edges on a cycle: {cycles:?}\n{}", printed(&g));
}

#[test]
fn the_pure_core_knows_no_database_config_or_command_line() {
    let g = graph();
    // The plan model and the analysis are pure functions of plans and numbers.
    let pure = ["plan", "analysis", "expr", "calendar", "sqltext", "error"];
    let outer = ["config", "postgres", "datagen", "measure", "commands", "cli", "report", "verdict", "baseline"];
    for m in pure {
        for o in outer {
            assert!(!reaches(&g, m, o), "`{m}` reaches `{o}`:\n{}", printed(&g));
        }
    }
    // Only the command line's own layer knows it.
    for (m, _) in g.iter().filter(|(m, _)| !["lib", "commands"].contains(&m.as_str())) {
        assert!(!reaches(&g, m, "cli") || m == "cli", "`{m}` reaches `cli`:\n{}", printed(&g));
    }
}

#[test]
fn crate_paths_are_read_from_groups_too() {
    let code = "use crate::a::b;\nuse crate::{c::{d, e}, f, g::h};\n// crate::commented\nlet x = crate::i::j();";
    assert_eq!(crate_paths(code), vec!["a", "c", "f", "g", "i"]);
}
