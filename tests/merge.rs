//! `plangate merge` against real runs: partitions of the repo's catalog merged are the full
//! run's report, verdict included; reports that do not go together are refused.

mod common;

use common::Project;
use serde_json::Value;

/// The repo's catalog and baselines, without the listing index: `product_listing` fails.
fn shop_without_listing_index() -> Project {
    let p = Project::from_repo_catalog_and_baselines();
    p.drop_listing_index();
    p
}

/// The report without what differs from run to run: times.
fn without_times(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                // Times, and the throwaway server's socket folder.
                m.retain(|k, _| !k.ends_with("_ms") && k != "timings" && k != "unix_socket_directories");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

fn check_to(p: &Project, file: &str, extra: &[&str]) -> i32 {
    let mut args = vec!["check", "--format", "json", "--output", file];
    args.extend(extra);
    let (code, _, stderr) = p.run(&args);
    assert!(code == 0 || code == 1, "{stderr}");
    code
}

#[test]
fn two_partitions_merged_are_the_full_run() {
    let p = shop_without_listing_index();
    let full = check_to(&p, "full.json", &[]);
    assert_eq!(full, 1, "the listing query fails without its index");
    check_to(&p, "a.json", &["--partition", "1/2"]);
    check_to(&p, "b.json", &["--partition", "2/2"]);
    let (code, merged, stderr) = p.run(&["merge", "b.json", "a.json", "--format", "json"]);
    assert_eq!(code, full, "the merged verdict is the full run's: {stderr}");
    let merged: Value = serde_json::from_str(&merged).unwrap();
    let full: Value = serde_json::from_str(&p.read("full.json")).unwrap();
    let names = |r: &Value| r["queries"].as_array().unwrap().iter().map(|q| q["name"].clone()).collect::<Vec<_>>();
    assert_eq!(names(&merged), names(&full), "every query once, in the full run's order");
    assert_eq!(without_times(merged), without_times(full));

    // Any format, with the combined verdict.
    let (code, md, _) = p.run(&["merge", "a.json", "b.json", "--format", "markdown"]);
    assert_eq!(code, 1);
    assert!(md.starts_with("## ❌ plangate: 1 of 8 queries failed"), "{md}");

    // The GitHub format's annotations go to --output, its markdown to the step summary.
    let summary = p.path().join("summary.md");
    let run_github = |summary: &std::path::Path| {
        let out = p
            .cmd(&["merge", "a.json", "b.json", "--format", "github", "--output", "gh.txt"])
            .env("GITHUB_STEP_SUMMARY", summary)
            .output()
            .unwrap();
        (out.status.code().unwrap(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, stderr) = run_github(&summary);
    assert_eq!(code, 1, "{stderr}");
    assert!(p.read("gh.txt").contains("::error file=queries/product_listing.sql"), "{}", p.read("gh.txt"));
    assert!(std::fs::read_to_string(&summary).unwrap().starts_with("## ❌ plangate: 1 of 8 queries failed"));
    // A step summary that cannot be written is an error naming it, not a panic.
    let (code, stderr) = run_github(&p.path().join("no/such/folder/summary.md"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot write") && stderr.contains("no/such/folder/summary.md"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    p.assert_nothing_left();
}

#[test]
fn reports_that_do_not_go_together_are_refused_naming_the_file() {
    let p = shop_without_listing_index();
    check_to(&p, "a.json", &["--partition", "1/2"]);
    check_to(&p, "b.json", &["--partition", "2/2"]);
    check_to(&p, "seed.json", &["--partition", "2/2", "--seed", "7"]);
    let refused = |args: &[&str], needles: &[&str]| {
        let mut all = vec!["merge"];
        all.extend(args);
        let (code, _, stderr) = p.run(&all);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        for n in needles {
            assert!(stderr.contains(n), "{args:?}: {n} in {stderr}");
        }
    };
    refused(&["a.json", "seed.json"], &["seed.json", "seed 7 differs from"]);
    refused(&["a.json"], &["partition 2/2", "missing"]);
    refused(&["a.json", "a.json", "b.json"], &["a.json", "is also in"]);
    let mut old: Value = serde_json::from_str(&p.read("b.json")).unwrap();
    old["format_version"] = 99.into();
    p.write("old.json", &old.to_string());
    refused(&["a.json", "old.json"], &["old.json", "format_version 99"]);
    p.write("config.json", &p.read("b.json").replace(&old["config_sha256"].as_str().unwrap()[..12], "000000000000"));
    refused(&["a.json", "config.json"], &["config.json", "config (plangate.toml SHA-256)"]);
    p.write("junk.json", "{\"format_version\": 1}");
    refused(&["a.json", "junk.json"], &["junk.json", "not a plangate report"]);
    refused(&["missing.json"], &["missing.json"]);
}
