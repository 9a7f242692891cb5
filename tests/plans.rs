//! The detectors and the shape over real plans saved from Postgres
//! (`tests/fixtures/plans/*.json`, re-captured by `capture.sh` there).

use std::collections::BTreeMap;

use plangate::analysis::Kind;
use plangate::analysis::Pattern;
use plangate::analysis::Thresholds;
use plangate::analysis::findings::{Context, detect, forbidden};
use plangate::plan::{Explain, shape};

fn plan(name: &str) -> Explain {
    let path = format!("{}/tests/fixtures/plans/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    Explain::from_json(&json).unwrap()
}

/// The kinds found in a fixture (sorted), with the fixture's tables at their real sizes.
fn kinds(name: &str) -> Vec<Kind> {
    let rows = BTreeMap::from([
        ("products".to_string(), 100_000),
        ("categories".to_string(), 400),
        ("tags".to_string(), 2_000),
        ("corr".to_string(), 100_000),
    ]);
    let thresholds = Thresholds::default();
    let ctx = Context { scale: 1.0, table_rows: &rows, thresholds: &thresholds };
    let mut k: Vec<Kind> = detect(&plan(name).plan, &ctx).into_iter().map(|f| f.kind).collect();
    k.sort();
    k.dedup();
    k
}

#[test]
fn the_listing_without_its_index_seq_scans_and_sorts() {
    assert_eq!(kinds("seq_scan_sort_limit"), vec![Kind::SeqScan]);
    let p = plan("seq_scan_sort_limit");
    assert_eq!(shape::shape(&p.plan), "Limit\n  Sort [featured DESC, created_at DESC]\n    Seq Scan on products");
    assert!(p.work() > 0);
}

#[test]
fn the_listing_with_its_index_has_no_findings() {
    assert_eq!(kinds("index_scan_listing"), vec![]);
    assert_eq!(
        shape::shape(&plan("index_scan_listing").plan),
        "Limit\n  Index Scan using idx_products_category_listing on products"
    );
}

#[test]
fn an_index_read_for_its_order_under_a_limit() {
    assert_eq!(kinds("limit_filter_scan"), vec![Kind::LimitFilterScan]);
}

#[test]
fn spills() {
    assert_eq!(kinds("sort_spill"), vec![Kind::SeqScan, Kind::SortSpill]);
    assert_eq!(kinds("hashagg_spill"), vec![Kind::SeqScan, Kind::HashSpill]);
    assert!(kinds("hash_join_batches").contains(&Kind::HashSpill));
    // Spills read and write temp blocks: they count as work.
    let p = plan("sort_spill");
    assert!(p.plan.temp_written_blocks > 0 && p.work() > p.plan.shared_hit_blocks + p.plan.shared_read_blocks);
}

#[test]
fn a_nested_loop_that_seq_scans_its_inner_side_thousands_of_times() {
    assert!(kinds("nested_loop_blowup").contains(&Kind::NestedLoopBlowup));
}

#[test]
fn correlated_columns_are_misestimated() {
    assert_eq!(kinds("misestimate"), vec![Kind::SeqScan, Kind::Misestimate]);
}

#[test]
fn small_tables_are_no_seq_scan_finding_but_can_be_forbidden() {
    let p = plan("nested_loop_blowup");
    let rows = BTreeMap::from([("categories".to_string(), 400), ("tags".to_string(), 2_000)]);
    let thresholds = Thresholds::default();
    let found = detect(&p.plan, &Context { scale: 1.0, table_rows: &rows, thresholds: &thresholds });
    assert!(found.iter().all(|f| f.kind != Kind::SeqScan), "400 and 2000 rows are below seq_scan_min_rows");
    let forbid = ["seq_scan(categories)".parse::<Pattern>().unwrap(), "nested_loop".parse::<Pattern>().unwrap()];
    let hits = forbidden(&p.plan, &found, &forbid, 1.0);
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert!(hits.iter().all(|f| f.kind == Kind::Forbidden));
}

#[test]
fn postgres_18_counts_index_searches_and_fractional_rows() {
    // A skip scan: the multicolumn index's leading column is not filtered; Postgres 18
    // descends the index once per leading value instead of reading all of it.
    let skip = plan("pg18_skip_scan");
    assert_eq!(shape::shape(&skip.plan), "Aggregate\n  Index Only Scan using readings_station_sensor_idx on readings");
    assert_eq!(skip.index_searches(), Some(9));
    assert_eq!(skip.work(), 28, "BUFFERS is the default on 18 and counted as on 15");
    assert_eq!(kinds("pg18_skip_scan"), vec![]);
    // An inner index scan that finds a row in 6 of its 10 loops: 18 prints 0.6 rows per loop.
    let frac = plan("pg18_fractional_rows");
    assert_eq!(frac.rows_processed(), 10 + 6 + 6, "function scan, inner scan (0.6 x 10 loops), join");
    assert_eq!(frac.index_searches(), Some(10));
    // Postgres 15 plans have no index searches.
    assert_eq!(plan("index_scan_listing").index_searches(), None);
}
