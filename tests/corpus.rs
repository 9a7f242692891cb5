//! The corpus: real applications' schemas as their migration tools ship them, copied
//! unchanged into `tests/corpus/` (each folder's SOURCE.md says whose, at which commit,
//! under which licence), each with a few read queries taken from its code.
//!
//! For every project: `init` finds every table its migrations make (so every up part
//! ran, and no down part dropped anything); a cold check measures every query at every
//! scale; the check right after `bless` passes, or fails only on the lookups the project
//! serves with no index; and that check, on the world the cache kept, measures the very
//! work the cold one did.

mod common;

use common::{Project, json_report, works};

/// Run the whole round on corpus project `name`, whose migrations make `tables` tables.
/// `missing_index` names its queries that look rows up by a column no index of the project
/// serves: with no budget set, their work grows with the table while their result does not,
/// and that fails every check (and bless) of the round.
fn round(name: &str, tables: usize, missing_index: &[&str]) {
    let p = Project::from_corpus(name);
    let config: toml::Value = toml::from_str(&p.read("plangate.toml")).unwrap();
    let mut init = vec!["init".to_string(), "--force".into(), "--config".into(), "init.toml".into()];
    for f in config["schema"]["files"].as_array().unwrap() {
        init.extend(["--schema".to_string(), f.as_str().unwrap().to_string()]);
    }
    let (code, _, stderr) = p.run(&init.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{name}: init: {stderr}");
    let listed: toml::Value = toml::from_str(&p.read("init.toml")).unwrap();
    assert_eq!(listed["tables"].as_table().unwrap().len(), tables, "{name}: the tables its migrations make");

    let expected = i32::from(!missing_index.is_empty());
    let (code, cold, stderr) = json_report(&p, &["check", "--no-cache"]);
    assert_eq!(code, expected, "{name}: the cold check, budgets only: {stderr}");
    for q in cold["queries"].as_array().unwrap() {
        let errors: Vec<&str> = q["cases"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["findings"].as_array().unwrap())
            .filter(|f| f["severity"] == "error")
            .map(|f| f["kind"].as_str().unwrap())
            .collect();
        let named = missing_index.contains(&q["name"].as_str().unwrap());
        let want: &[&str] = if named { &["outgrows_result"] } else { &[] };
        assert_eq!(errors, want, "{name}: {}", q["name"]);
    }
    let scales = cold["scales"].as_array().unwrap().len();
    let queries = std::fs::read_dir(p.path().join("queries")).unwrap().count();
    assert_eq!(cold["queries"].as_array().unwrap().len(), queries, "{name}: every query of the catalog");
    for q in cold["queries"].as_array().unwrap() {
        for c in q["cases"].as_array().unwrap() {
            let measured = c["runs"].as_array().unwrap().iter().filter(|r| r["work"].as_u64().is_some()).count();
            assert_eq!(measured, scales, "{name}: {} is measured at every scale", q["name"]);
        }
    }

    let (code, _, stderr) = p.run(&["bless"]);
    assert_eq!(code, expected, "{name}: bless: {stderr}");
    let (code, warm, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, expected, "{name}: the check right after bless: {stderr}");
    assert_eq!(warm["verdict"], if expected == 0 { "pass" } else { "fail" }, "{name}");
    assert_eq!(works(&cold), works(&warm), "{name}: a cold world and the kept one measure the same work");
    let processed = |report: &serde_json::Value| -> Vec<u64> {
        let runs = report["queries"].as_array().unwrap().iter().flat_map(|q| q["cases"].as_array().unwrap());
        runs.flat_map(|c| c["runs"].as_array().unwrap()).map(|r| r["rows_processed"].as_u64().unwrap()).collect()
    };
    assert_eq!(processed(&cold), processed(&warm), "{name}: and the same rows processed");
    p.assert_nothing_left();
}

#[test]
fn goose_openfga() {
    round("openfga", 5, &[]);
}

#[test]
fn dbmate_measure() {
    round("measure", 25, &["alert_cooldown"]);
}

#[test]
fn diesel_crates_io() {
    round("crates.io", 35, &[]);
}

#[test]
fn prisma_umami() {
    round("umami", 17, &[]);
}

#[test]
fn atlas_slo_tracker() {
    round("slo-tracker", 3, &["latest_incident"]);
}

#[test]
fn sqitch_intro() {
    round("sqitch-intro", 3, &["user_flips"]);
}

#[test]
fn pg_dump_with_partitioned_indexes_hatchet() {
    round("hatchet", 132, &[]);
}
