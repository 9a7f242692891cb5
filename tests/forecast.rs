//! Forecasts against real Postgres: cases planned at sizes never loaded, their verdicts in
//! every report format, `curve --forecast` naming where a plan flips, `explain --forecast`,
//! a forecast against a real load of the same size on a schema from the corpus, and the
//! backends and Postgres versions the projection works on.

mod common;

use common::{Project, json_report, query};
use serde_json::Value;

/// A table of 100 rows at scale 1.0: at 1000x its lookup by `kind` moves from a seq scan to
/// the index, and its full sort outgrows `work_mem`.
fn events(extra: &str) -> Project {
    Project::new(&[
        (
            "plangate.toml",
            &format!(
                "[scales]\nfactors = [1.0]\n[thresholds]\nrepeats = 1\n[tables.events]\nrows = 100\n\
                 [tables.events.columns]\nkind = \"int(1, 200)\"\npayload = \"text(5, 12)\"\n\
                 [query.by_kind]\nparams = [\"7\"]\n{extra}"
            ),
        ),
        (
            "schema/s.sql",
            "CREATE TABLE events (id bigint PRIMARY KEY, kind int NOT NULL, payload text NOT NULL);\n\
             CREATE INDEX events_kind_idx ON events (kind);\n",
        ),
        ("queries/by_kind.sql", "SELECT id, payload FROM events WHERE kind = $1;\n"),
        ("queries/sorted.sql", "SELECT id, payload FROM events ORDER BY payload;\n"),
    ])
}

fn kinds_at(q: &Value) -> Vec<(String, String, f64)> {
    q["cases"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["scale"].as_f64().unwrap_or(0.0),
            )
        })
        .collect()
}

#[test]
fn forecasts_warn_of_what_happens_past_the_loaded_sizes_and_gate_when_asked() {
    let p = events("");
    let (code, report, stderr) = json_report(&p, &["check", "--no-cache", "--forecast", "10,1000"]);
    assert_eq!(code, 0, "forecast findings warn by default: {stderr}");
    assert!(stderr.contains("forecast scale 1000: world sampled and projected"), "{stderr}");
    let by_kind = query(&report, "by_kind");
    let points = by_kind["cases"][0]["forecast"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    let last = &points[1];
    assert_eq!(last["forecast"], true, "every forecast point says it is one");
    assert_eq!(last["scale"], 1000.0);
    assert_eq!(last["rows"]["events"], 100_000, "the sampled table stands for its full size");
    assert!(last["shape_diff"].is_string(), "{last}");
    let at = kinds_at(by_kind);
    let change: Vec<_> = at.iter().filter(|k| k.0 == "forecast_shape_change").collect();
    assert_eq!(change.len(), 1, "{at:?}");
    assert_eq!(change[0].1, "warning");
    let first_change = points.iter().find(|p| p["shape_diff"].is_string()).unwrap()["scale"].as_f64().unwrap();
    assert!((change[0].2 - first_change).abs() < 1e-9, "names the first forecast scale where it changes");
    // 100k rows of about 30 bytes sorted whole: past the 4 MB of work_mem.
    let sorted = query(&report, "sorted");
    let at = kinds_at(sorted);
    assert!(
        sorted["cases"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "forecast_pattern"
                && f["detail"].as_str().unwrap().contains("would spill past work_mem")),
        "{at:?}"
    );
    assert!(at.iter().any(|k| k.0 == "forecast_pattern" && (k.2 - 1000.0).abs() < 1e-9), "{at:?}");
    assert_eq!(sorted["cases"][0]["forecast"][1]["estimated_rows"], 100_000.0);
    assert!(report["timings"]["forecasts"].as_array().unwrap().len() == 2);

    // The same forecast fails the query that gates on it, and only that one.
    let gated = events("[query.sorted]\nforecast_gate = true\n");
    let (code, report, _) = json_report(&gated, &["check", "--no-cache", "--forecast", "1000"]);
    assert_eq!(code, 1);
    assert_eq!(query(&report, "sorted")["verdict"], "fail");
    assert_eq!(query(&report, "by_kind")["verdict"], "pass");
    let (code, _, _) = json_report(&p, &["check", "--no-cache", "--forecast", "none"]);
    assert_eq!(code, 0);
    gated.write(
        "plangate.toml",
        &gated.read("plangate.toml").replace("[thresholds]\n", "[thresholds]\nforecast_gate = true\n"),
    );
    let (code, report, _) = json_report(&gated, &["check", "--no-cache", "--forecast", "1000"]);
    assert_eq!(code, 1);
    assert_eq!(query(&report, "by_kind")["verdict"], "fail", "[thresholds] forecast_gate gates every query");
    p.assert_nothing_left();
    gated.assert_nothing_left();
}

#[test]
fn every_report_format_marks_forecast_points() {
    let p = events("");
    p.write("plangate.toml", &p.read("plangate.toml").replace("[scales]\n", "[scales]\nforecast = [1000]\n"));
    let (code, terminal, stderr) = p.run(&["check", "--no-cache"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(terminal.contains("forecast: planned with projected statistics, never loaded"), "{terminal}");
    assert!(terminal.contains("1000 (forecast)"), "{terminal}");
    let (_, markdown, _) = p.run(&["check", "--format", "markdown"]);
    assert!(markdown.contains("**Forecast**") && markdown.contains("| 1000 (forecast) |"), "{markdown}");
    let (_, junit, _) = p.run(&["check", "--format", "junit"]);
    assert!(junit.contains("forecast at scale 1000 (planned, never loaded)"), "{junit}");
    assert!(junit.contains("forecast_shape_change"), "{junit}");
    let (_, html, _) = p.run(&["check", "--format", "html"]);
    assert!(html.contains("<tr class=\"forecast\"><td>1000 (forecast)</td>"), "forecast rows");
    assert!(
        html.contains("estimated cost, measured and forecast") && html.contains("\nforecast\n</text>"),
        "the chart's series"
    );
    let (_, github, _) = p.run(&["check", "--format", "github"]);
    assert!(github.contains("forecast_shape_change") && github.contains("at forecast scale 1000"), "{github}");
    p.assert_nothing_left();
}

#[test]
fn curve_shows_measured_and_forecast_points_and_narrows_the_flip() {
    let p = events("");
    let (code, stdout, stderr) = p.run(&[
        "curve",
        "by_kind",
        "--points",
        "2",
        "--max-scale",
        "1",
        "--forecast",
        "1000",
        "--bisect",
        "4",
        "--svg",
        "c.svg",
        "--no-cache",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("forecast (planned with projected statistics, never loaded)"), "{stdout}");
    let flip =
        stdout.lines().find(|l| l.starts_with("* the plan flips between scale")).unwrap_or_else(|| panic!("{stdout}"));
    // Four halvings of the gap from 1 to 1000: the flip is named within a factor of about 1.6.
    let numbers: Vec<f64> =
        flip.split(|c: char| !(c.is_ascii_digit() || c == '.')).filter_map(|w| w.parse::<f64>().ok()).collect();
    let (lo, hi) = (numbers[0], numbers[2]);
    assert!(hi / lo < 2.0 && lo >= 1.0 && hi <= 1000.0, "narrowed: {flip}");
    assert!(stdout.contains("estimated cost over rows, log-log (line: measured, points: forecast)"), "{stdout}");
    let svg = p.read("c.svg");
    assert!(svg.contains("estimated cost") && svg.contains("forecast"), "the SVG draws the forecast");
    let (code, _, stderr) = p.run(&["curve", "by_kind", "--forecast", "0.5", "--no-cache"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--forecast") && stderr.contains("not past"), "{stderr}");
    p.assert_nothing_left();
}

#[test]
fn explain_prints_the_forecast_plan_as_postgres_does() {
    let p = events("");
    let (code, stdout, stderr) = p.run(&["explain", "sorted", "--forecast", "1000", "--no-cache"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("at forecast scale 1000: planned with projected statistics, never loaded"), "{stdout}");
    let forecast = stdout.split("at forecast scale 1000").nth(1).unwrap();
    assert!(forecast.contains("rows=100000"), "the plan at the projected size: {forecast}");
    assert!(forecast.contains("<== sort_spill (forecast): the sort of an estimated 100000 rows"), "{forecast}");
    let (code, stdout, _) = p.run(&["explain", "sorted", "--forecast", "1000", "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["forecast"][0]["forecast"], true);
    assert_eq!(v["forecast"][0]["plan"][0]["Plan"]["Plan Rows"], 100_000.0);
    p.assert_nothing_left();
}

#[test]
fn bad_forecast_scales_are_refused_before_anything_starts() {
    let p = events("");
    let (code, _, stderr) = p.run(&["check", "--forecast", "1"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--forecast") && stderr.contains("not past the largest measured scale 1"), "{stderr}");
    let (code, _, stderr) = p.run(&["check", "--forecast", "ten"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("`ten` is not a number"), "{stderr}");
    p.write("plangate.toml", &p.read("plangate.toml").replace("[scales]\n", "[scales]\nforecast = [0.5]\n"));
    let (code, _, stderr) = p.run(&["check"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("scales.forecast") && stderr.contains("plangate.toml"), "{stderr}");
    // The url backend's server is not plangate's: nothing is connected to or created.
    let (code, _, stderr) = p.run(&["check", "--database-url", "postgres://u@127.0.0.1:9/db", "--forecast", "10"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--forecast") && stderr.contains("url backend"), "{stderr}");
    assert!(!stderr.contains("cannot connect"), "refused before connecting: {stderr}");
    p.assert_nothing_left();
}

#[test]
fn a_generator_without_room_for_the_forecast_size_is_named() {
    let p = events("");
    p.write(
        "plangate.toml",
        &p.read("plangate.toml").replace("kind = \"int(1, 200)\"", "kind = \"unique(int(1, 150))\""),
    );
    let (code, _, stderr) = p.run(&["check", "--no-cache", "--forecast", "1000"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("column `kind` at forecast scale 1000") && stderr.contains("[tables.events.columns]"),
        "{stderr}"
    );
    p.assert_nothing_left();
}

/// A schema from the corpus, forecast from a world of scale 0.3 to 1.0 (its tables sampled
/// and projected), then loaded at 1.0 for real: the same plans, and estimates close to the
/// loaded world's.
#[test]
fn a_forecast_plans_as_a_real_load_of_that_size_does() {
    let p = Project::from_corpus("slo-tracker");
    let (code, forecast, stderr) = json_report(&p, &["check", "--no-cache", "--scales", "0.3", "--forecast", "1"]);
    assert!(code < 2, "{stderr}");
    let (code, loaded, stderr) = json_report(&p, &["check", "--no-cache", "--scales", "0.3,1"]);
    assert!(code < 2, "{stderr}");
    let mut compared = 0;
    for (fq, lq) in forecast["queries"].as_array().unwrap().iter().zip(loaded["queries"].as_array().unwrap()) {
        for (fc, lc) in fq["cases"].as_array().unwrap().iter().zip(lq["cases"].as_array().unwrap()) {
            let f = &fc["forecast"][0];
            let l = &lc["runs"][1];
            assert_eq!(f["rows"], l["rows"], "{}: the projected sizes are the loaded ones", fq["name"]);
            assert_eq!(f["shape"], l["shape"], "{}: the forecast plans as the load does", fq["name"]);
            let ratio = |a: &Value, b: &Value| a.as_f64().unwrap().max(1.0) / b.as_f64().unwrap().max(1.0);
            let rows = ratio(&f["estimated_rows"], &l["plan_rows"]);
            let cost = ratio(&f["estimated_cost"], &l["estimated_cost"]);
            assert!((0.5..=2.0).contains(&rows), "{}: estimated rows {rows}x the loaded world's", fq["name"]);
            assert!((0.67..=1.5).contains(&cost), "{}: estimated cost {cost}x the loaded world's", fq["name"]);
            compared += 1;
        }
    }
    assert!(compared >= 3, "{compared}");
    p.assert_nothing_left();
}

#[test]
fn forecasts_run_on_postgres_18() {
    let Some(bin) = common::postgres18("forecasts_run_on_postgres_18") else { return };
    let p = events("");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out =
        p.cmd(&["check", "--no-cache", "--forecast", "1000", "--format", "json"]).env("PATH", path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Postgres 18."), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sorted = query(&report, "sorted");
    assert_eq!(sorted["cases"][0]["forecast"][0]["estimated_rows"], 100_000.0, "projected on 18 too");
    assert!(kinds_at(query(&report, "by_kind")).iter().any(|k| k.0 == "forecast_shape_change"));
    p.assert_nothing_left();
}

#[test]
fn forecasts_run_on_the_container_backend() {
    let Some(host) = common::docker::runtime("forecasts_run_on_the_container_backend") else { return };
    let p = events("");
    let (code, stdout, stderr) = common::docker::run_with(
        &p,
        host,
        &[
            "check",
            "--backend",
            "container",
            "--image",
            "postgres:15",
            "--no-cache",
            "--forecast",
            "1000",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let sorted = query(&report, "sorted");
    assert_eq!(sorted["cases"][0]["forecast"][0]["estimated_rows"], 100_000.0, "the container's files lengthened");
    assert!(kinds_at(query(&report, "by_kind")).iter().any(|k| k.0 == "forecast_shape_change"));
}
