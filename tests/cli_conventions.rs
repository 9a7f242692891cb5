//! What a Rust command-line tool is expected to do: `--version` with the commit, shell
//! completions and a man page, `--quiet`, `-v` levels that show the SQL it runs, and
//! `NO_COLOR` / `CLICOLOR_FORCE`.

mod common;

use common::{Project, small_project};

const QUERY: &str = "SELECT id FROM items WHERE kind = 3 ORDER BY id LIMIT 5;\n";

#[test]
fn version_names_the_package_version_and_the_commit() {
    let p = Project::new(&[]);
    let (code, out, _) = p.run(&["--version"]);
    assert_eq!(code, 0);
    let line = out.trim();
    assert!(line.starts_with(&format!("plangate {}", env!("CARGO_PKG_VERSION"))), "{line}");
    // Built from this repository: the commit's short hash and date follow.
    if std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.git")).exists() {
        let inside = line.split_once('(').map(|(_, r)| r.trim_end_matches(')')).unwrap_or_default();
        let hash = inside.split(['-', ' ']).next().unwrap_or_default();
        assert!(hash.len() == 12 && hash.chars().all(|c| c.is_ascii_hexdigit()), "{line}");
    }
}

#[test]
fn completions_and_the_man_page_are_printed() {
    let p = Project::new(&[]);
    for (shell, needle) in [("bash", "_plangate()"), ("zsh", "#compdef plangate"), ("fish", "complete -c plangate")] {
        let (code, out, stderr) = p.run(&["completions", shell]);
        assert_eq!(code, 0, "{stderr}");
        assert!(out.contains(needle), "{shell}: {out}");
        assert!(out.contains("suggest") && out.contains("merge"), "every subcommand: {shell}");
    }
    let (code, out, _) = p.run(&["man"]);
    assert_eq!(code, 0);
    assert!(out.contains(".TH plangate 1") && out.contains("regression checker"), "{out}");
    let (code, _, stderr) = p.run(&["completions", "tcsh"]);
    assert_eq!(code, 2, "an unknown shell is a usage error: {stderr}");
}

#[test]
fn quiet_says_nothing_but_the_report_and_v_shows_the_sql() {
    let p = small_project(QUERY);
    let (code, out, stderr) = p.run(&["check", "--quiet", "--no-cache"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "--quiet: {stderr}");
    assert!(out.contains("by_kind"), "the report still goes to stdout: {out}");
    let (_, _, stderr) = p.run(&["check", "-v", "--no-cache"]);
    assert!(stderr.contains("plangate: sql: CREATE TABLE items"), "-v shows the schema it applies: {stderr}");
    assert!(stderr.contains("plangate: sql: CREATE INDEX items_kind_idx"), "and the indexes it builds: {stderr}");
    assert!(!stderr.contains("sql: EXPLAIN"), "measuring statements are -vv: {stderr}");
    let (_, _, stderr) = p.run(&["check", "-vv"]);
    assert!(stderr.contains("plangate: sql: EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON, SETTINGS) EXECUTE"), "{stderr}");
    // Errors are said whatever the verbosity.
    p.write("plangate.toml", "[scales]\nfactors = \"x\"\n");
    let (code, _, stderr) = p.run(&["check", "-q"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("plangate.toml"), "{stderr}");
    p.assert_nothing_left();
}

#[test]
fn no_color_wins_and_clicolor_force_colours_a_pipe() {
    let p = small_project(QUERY);
    let (code, _, stderr) = p.run(&["check", "--format", "json", "--output", "report.json"]);
    assert_eq!(code, 0, "{stderr}");
    let merge = |env: &[(&str, &str)]| {
        let mut cmd = p.cmd(&["merge", "report.json"]);
        cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    assert!(!merge(&[]).contains('\x1b'), "a pipe gets no colour");
    assert!(merge(&[("CLICOLOR_FORCE", "1")]).contains("\x1b[32mpass"), "CLICOLOR_FORCE colours it");
    assert!(!merge(&[("CLICOLOR_FORCE", "0")]).contains('\x1b'), "CLICOLOR_FORCE=0 does not");
    assert!(!merge(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains('\x1b'), "NO_COLOR wins");
}
