//! The GitHub Action's scripts (ci/action/), run here as the action runs them: the check
//! with its reports, and the one pull-request comment, created once and then edited,
//! against a fake event and a stub `gh` that answers from a file and records its calls.

mod common;

use std::path::Path;
use std::process::Command;

use common::small_project;

const ACTION: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ci/action");

/// A stub `gh api` in `dir/bin`: lists the comments in `dir/comments.json` (through the
/// real jq, as gh's --jq does), and records every call and the body it was given.
fn stub_gh(dir: &Path) {
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    let gh = format!(
        r#"#!/usr/bin/env bash
set -euo pipefail
echo "$*" >> {dir}/calls.log
jq_filter=""; body=""
while [ $# -gt 0 ]; do
    case "$1" in
        --jq) jq_filter="$2"; shift ;;
        -F) case "$2" in body=@*) cp "${{2#body=@}}" {dir}/posted.md ;; esac; shift ;;
    esac
    shift
done
if [ -n "$jq_filter" ]; then jq -r "$jq_filter" {dir}/comments.json; fi
"#,
        dir = dir.display()
    );
    std::fs::write(dir.join("bin/gh"), gh).unwrap();
    Command::new("chmod").args(["+x"]).arg(dir.join("bin/gh")).status().unwrap();
}

fn comment(dir: &Path, event: &str) -> (bool, String) {
    std::fs::write(dir.join("event.json"), event).unwrap();
    let out = Command::new("bash")
        .arg(format!("{ACTION}/comment.sh"))
        .env("PATH", format!("{}:{}", dir.join("bin").display(), std::env::var("PATH").unwrap()))
        .env("GITHUB_REPOSITORY", "acme/shop")
        .env("GITHUB_EVENT_PATH", dir.join("event.json"))
        .env("PLANGATE_REPORT", dir.join("report.md"))
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn one_comment_is_created_then_edited_never_added_again() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    stub_gh(d);
    std::fs::write(d.join("report.md"), "## ✅ plangate: pass\n").unwrap();
    let pr = r#"{"action": "synchronize", "pull_request": {"number": 7}}"#;

    // No comment of plangate's yet (someone else's only): one is created.
    std::fs::write(d.join("comments.json"), r#"[{"id": 1, "body": "LGTM"}]"#).unwrap();
    let (ok, out) = comment(d, pr);
    assert!(ok, "{out}");
    let calls = std::fs::read_to_string(d.join("calls.log")).unwrap();
    assert!(calls.contains("api --paginate repos/acme/shop/issues/7/comments"), "{calls}");
    assert!(calls.contains("api -X POST repos/acme/shop/issues/7/comments"), "{calls}");
    let posted = std::fs::read_to_string(d.join("posted.md")).unwrap();
    assert_eq!(posted, "<!-- plangate-report -->\n## ✅ plangate: pass\n");

    // The next push: the comment with the marker is edited, nothing is created.
    std::fs::remove_file(d.join("calls.log")).unwrap();
    std::fs::write(d.join("report.md"), "## ❌ plangate: 1 of 6 queries failed\n").unwrap();
    let comments =
        r#"[{"id": 1, "body": "LGTM"}, {"id": 99, "body": "<!-- plangate-report -->\n## ✅ plangate: pass\n"}]"#;
    std::fs::write(d.join("comments.json"), comments).unwrap();
    let (ok, out) = comment(d, pr);
    assert!(ok, "{out}");
    let calls = std::fs::read_to_string(d.join("calls.log")).unwrap();
    assert!(calls.contains("api -X PATCH repos/acme/shop/issues/comments/99"), "{calls}");
    assert!(!calls.contains("POST"), "no second comment: {calls}");
    assert!(std::fs::read_to_string(d.join("posted.md")).unwrap().contains("1 of 6 queries failed"));

    // Not a pull request (a push): no comment at all.
    std::fs::remove_file(d.join("calls.log")).unwrap();
    let (ok, out) = comment(d, r#"{"ref": "refs/heads/main"}"#);
    assert!(ok && out.contains("not a pull request"), "{out}");
    assert!(!d.join("calls.log").exists(), "gh was not called");
}

/// The check step: the verdict goes to the step's outputs (the job fails on it at the end,
/// after the comment and the artifacts), the reports to the folder, annotations to stdout.
#[test]
fn the_run_step_writes_every_report_and_hands_over_the_exit_code() {
    let p = small_project("SELECT id FROM items WHERE kind = 3 ORDER BY id LIMIT 5;\n");
    let bin = Path::new(env!("CARGO_BIN_EXE_plangate")).parent().unwrap().to_path_buf();
    let run = |args: &str| {
        let out_dir = p.path().join("out");
        let output = p.path().join("github_output");
        let _ = std::fs::remove_file(&output);
        let out = Command::new("bash")
            .arg(format!("{ACTION}/run.sh"))
            .current_dir(p.path())
            .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()))
            .env("PLANGATE_ARGS", args)
            .env("PLANGATE_OUT", &out_dir)
            .env("GITHUB_OUTPUT", &output)
            .env("TMPDIR", p.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "the step itself passes: {}", String::from_utf8_lossy(&out.stderr));
        (std::fs::read_to_string(&output).unwrap(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (outputs, _) = run("check --no-cache");
    assert_eq!(outputs, "exit-code=0\n");
    let md = std::fs::read_to_string(p.path().join("out/report.md")).unwrap();
    assert!(md.starts_with("## ✅ plangate: pass"), "{md}");
    assert!(std::fs::read_to_string(p.path().join("out/report.html")).unwrap().contains("<html"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.path().join("out/report.json")).unwrap()).unwrap();
    assert_eq!(json["verdict"], "pass");

    // A regression: exit code 1 for the last step; the reports are still written.
    p.write(
        "plangate.toml",
        &p.read("plangate.toml")
            .replace("[thresholds]", "[query.by_kind]\nforbid = [\"seq_scan(items)\"]\n[thresholds]"),
    );
    p.write("schema/schema.sql", "CREATE TABLE items (id bigint PRIMARY KEY, kind int NOT NULL, note text);\n");
    let (outputs, stdout) = run("check --no-cache");
    assert_eq!(outputs, "exit-code=1\n");
    assert!(stdout.contains("::error file=queries/by_kind.sql"), "annotations for GitHub: {stdout}");
    assert!(std::fs::read_to_string(p.path().join("out/report.md")).unwrap().contains("❌"));

    // An error (exit 2): said in the comment, no stale report.
    let (outputs, _) = run("check no_such_query");
    assert_eq!(outputs, "exit-code=2\n");
    assert!(std::fs::read_to_string(p.path().join("out/report.md")).unwrap().contains("could not run"));
    p.assert_nothing_left();
}
