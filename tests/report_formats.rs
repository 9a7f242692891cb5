//! Every report format, rendered from one fixed Report: snapshots (insta) of the text
//! formats, `JUnit` parsed back as XML, HTML self-contained with its charts.
#![allow(clippy::cast_precision_loss, reason = "row counts in a hand-made report")]

use std::collections::BTreeMap;

use plangate::analysis::{Finding, Kind, Severity};
use plangate::cli::Format;
use plangate::report::{
    CaseReport, GenericReport, QueryReport, Report, RunReport, TargetReport, Timings, Verdict, render,
};

fn run(scale: f64, rows: u64, work: u64, base: Option<u64>, shape: &str, diff: Option<&str>) -> RunReport {
    RunReport {
        scale,
        rows: BTreeMap::from([("products".to_string(), rows)]),
        params: vec![Some("32".into())],
        work,
        baseline_work: base,
        rows_processed: work * 40,
        baseline_rows_processed: base.map(|b| b * 40),
        time_ms: work as f64 / 100.0,
        planning_ms: 0.1,
        plan_rows: 20.0,
        actual_rows: 20.0,
        shape: shape.into(),
        shape_diff: diff.map(str::to_string),
        generic: None,
        trigger_work: None,
        triggers: Vec::new(),
        estimated_cost: None,
        index_searches: None,
        scans: Vec::new(),
    }
}

fn finding(kind: Kind, severity: Severity, scale: Option<f64>, detail: &str) -> Finding {
    Finding {
        kind,
        severity,
        scale,
        node: scale.map(|_| "Seq Scan on products".into()),
        detail: detail.into(),
        estimate: None,
    }
}

fn report() -> Report {
    let good = "Limit\n  Index Scan using idx_products_category_listing on products";
    let bad = "Limit\n  Sort [featured DESC, created_at DESC]\n    Seq Scan on products";
    let diff = " Limit\n-  Index Scan using idx_products_category_listing on products\n+  Sort [featured DESC, created_at DESC]\n+    Seq Scan on products\n";
    Report {
        format_version: 1,
        verdict: Verdict::Fail,
        postgres_version: "15.18".into(),
        backend: "local".into(),
        scales: vec![0.035, 0.3, 1.0],
        targets: vec![TargetReport {
            backend: "local".into(),
            image: None,
            binaries: None,
            postgres_version: "15.18".into(),
            settings: BTreeMap::default(),
        }],
        queries: vec![
            QueryReport {
                name: "order_detail".into(),
                postgres_version: "15.18".into(),
                image: None,
                matrix: false,
                file: "queries/order_detail.sql".into(),
                verdict: Verdict::Pass,
                growth_budget: "constant".into(),
                baseline_note: None,
                hint: None,
                skew: vec![],
                cases: vec![CaseReport {
                    forecast: Vec::new(),
                    case: "default".into(),
                    verdict: Verdict::Pass,
                    growth_exponent: Some(0.07),
                    baseline_growth_exponent: Some(0.07),
                    rows_growth_exponent: Some(0.02),
                    baseline_rows_growth_exponent: Some(0.02),
                    runs: vec![
                        run(0.035, 21_000, 12, Some(12), "Index Scan", None),
                        run(1.0, 600_000, 13, Some(13), "Index Scan", None),
                    ],
                    findings: vec![],
                    notes: vec![],
                }],
            },
            QueryReport {
                name: "product_listing".into(),
                postgres_version: "15.18".into(),
                image: None,
                matrix: false,
                file: "queries/product_listing.sql".into(),
                verdict: Verdict::Fail,
                growth_budget: "constant".into(),
                baseline_note: None,
                hint: Some("`plangate suggest product_listing` builds index candidates for it".into()),
                skew: vec!["skew of products.category_id at scale 1: hot 3080 blocks, typical 24, cold 22; hot does 140x the work of cold".into()],
                cases: vec![CaseReport {
                    forecast: Vec::new(),
                    case: "default".into(),
                    verdict: Verdict::Fail,
                    growth_exponent: Some(1.0),
                    baseline_growth_exponent: Some(0.03),
                    rows_growth_exponent: Some(1.0),
                    baseline_rows_growth_exponent: Some(0.0),
                    runs: vec![
                        run(0.035, 11_900, 108, Some(22), good, None),
                        run(0.3, 102_000, 925, Some(23), bad, Some(diff)),
                        RunReport {
                            generic: Some(GenericReport {
                                chosen: true,
                                timed_out: false,
                                work: 9120,
                                time_ms: 41.5,
                                shape: "Limit\n  Index Scan Backward using products_created_idx on products".into(),
                                shape_diff: Some(" Limit\n-  Sort [featured DESC, created_at DESC]\n-    Seq Scan on products\n+  Index Scan Backward using products_created_idx on products\n".into()),
                            }),
                            ..run(1.0, 340_000, 3080, Some(24), bad, Some(diff))
                        },
                    ],
                    findings: vec![
                        finding(
                            Kind::SeqScan,
                            Severity::Error,
                            Some(1.0),
                            "sequential scan reads all 340000 rows of products, 100% | new",
                        ),
                        finding(
                            Kind::ShapeChange,
                            Severity::Warning,
                            Some(1.0),
                            "the plan's shape differs from the baseline's",
                        ),
                        finding(
                            Kind::Growth,
                            Severity::Error,
                            None,
                            "work grows as rows^1.00; budget constant (<= 0.25)",
                        ),
                        Finding {
                            node: None,
                            ..finding(
                                Kind::GenericPlan,
                                Severity::Error,
                                Some(1.0),
                                "after 5 executions with these values the server switches the prepared statement to its generic plan, planned without the values, and it does 9120 blocks of work vs 3080 with the custom plan (3.0x, limit 1.5x)",
                            )
                        },
                    ],
                    notes: vec![],
                }],
            },
        ],
        notes: vec![
            "the application's triggers and rules did not fire while rows loaded (trigger orders_audit on orders)"
                .into(),
        ],
        timings: Timings { backend: "local".into(), total_ms: 10_600, ..Timings::default() },
        config_sha256: "daeb4bf301aed057b001deaf6f3d6d1dd7910a3ad798bca9930184f8f5a0041b".into(),
        seed: 42,
        partition: None,
        upgrade: None,
    }
}

/// The same results as a version matrix: postgres:15 and postgres:17, the listing failing
/// on 17 only.
fn matrix_report() -> Report {
    let mut r = report();
    r.backend = "container".into();
    r.targets = vec![
        TargetReport {
            backend: "container".into(),
            image: Some("postgres:15".into()),
            binaries: None,
            postgres_version: "15.20".into(),
            settings: BTreeMap::default(),
        },
        TargetReport {
            backend: "container".into(),
            image: Some("postgres:17".into()),
            binaries: None,
            postgres_version: "17.10".into(),
            settings: BTreeMap::default(),
        },
    ];
    r.postgres_version = "15.20".into();
    let mut on15 = r.queries[1].clone();
    on15.verdict = Verdict::Pass;
    on15.hint = None;
    on15.cases[0].verdict = Verdict::Pass;
    on15.cases[0].findings.clear();
    for q in &mut r.queries {
        q.image = Some("postgres:17".into());
        q.postgres_version = "17.10".into();
    }
    on15.image = Some("postgres:15".into());
    on15.postgres_version = "15.20".into();
    r.queries.insert(0, on15);
    r
}

#[test]
fn a_version_matrix_names_the_version_of_every_result() {
    let r = matrix_report();
    let mut term = Vec::new();
    render(&r, Format::Terminal, false, &mut term).unwrap();
    let term = String::from_utf8(term).unwrap();
    assert!(term.contains("product_listing [Postgres 15.20]"), "{term}");
    assert!(term.contains("FAIL product_listing [Postgres 17.10]"), "{term}");
    assert!(term.contains("3 results, 1 failed; Postgres 15.20 and 17.10 (container backend)"), "{term}");
    let mut gh = Vec::new();
    plangate::report::github::render(&r, &mut gh).unwrap();
    let gh = String::from_utf8(gh).unwrap();
    let annotations: Vec<&str> = gh.lines().filter(|l| l.starts_with("::error")).collect();
    assert!(!annotations.is_empty() && annotations.iter().all(|l| l.contains("[Postgres 17.10]")), "{gh}");
    let mut json = Vec::new();
    render(&r, Format::Json, false, &mut json).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v["targets"][1]["image"], "postgres:17");
    assert_eq!(v["queries"][2]["postgres_version"], "17.10");
    let mut junit = Vec::new();
    render(&r, Format::Junit, false, &mut junit).unwrap();
    let junit = String::from_utf8(junit).unwrap();
    assert!(junit.contains("product_listing [Postgres 17.10] (default)"), "{junit}");
}

fn rendered(format: Format) -> String {
    let mut out = Vec::new();
    render(&report(), format, false, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn terminal_snapshot() {
    insta::assert_snapshot!(rendered(Format::Terminal));
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(rendered(Format::Markdown));
}

#[test]
fn github_snapshot() {
    // Rendered directly: without $GITHUB_STEP_SUMMARY nothing else is written.
    let out = {
        let mut out = Vec::new();
        plangate::report::github::render(&report(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    insta::assert_snapshot!(out);
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!(rendered(Format::Json));
}

#[test]
fn junit_is_valid_xml_with_a_case_per_query_and_case() {
    let xml = rendered(Format::Junit);
    insta::assert_snapshot!(xml);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let cases: Vec<_> = root.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 2);
    let failures: Vec<_> = root.descendants().filter(|n| n.has_tag_name("failure")).collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].parent().unwrap().attribute("classname"), Some("plangate.product_listing"));
    assert_eq!(failures[0].attribute("type"), Some("seq_scan"));
    assert_eq!(root.attribute("failures"), Some("1"));
}

#[test]
fn html_is_self_contained_with_charts_and_flips() {
    let html = rendered(Format::Html);
    insta::assert_snapshot!(html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<svg").count(), 4, "two charts per case");
    for external in ["<script src", "<link ", "src=\"http", "href=\"http"] {
        assert!(!html.contains(external), "no external assets: {external}");
    }
    assert!(html.contains("The plan changes at 102000 rows"), "the flip is marked");
    assert!(html.contains("class=\"del\">-  Index Scan"), "the shape diff");
    assert!(html.contains("rows^1.00"));
}
