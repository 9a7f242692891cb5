//! The gate against real Postgres: what fails, what passes, and that it never cries wolf.

mod common;

use common::{Project, json_report, kinds, query};

const NAME_INDEX: &str = "CREATE INDEX products_name_idx ON products (name);\n";

const LISTING_INDEX: &str = "CREATE INDEX idx_products_category_listing ON products (category_id, active, featured DESC, created_at DESC) WHERE active;\n";

const SHOP_CONFIG: &str = r#"
[thresholds]
repeats = 2
[query.product_listing]
params = ["hot(products.category_id)"]
growth = "constant"
[query.by_name]
params = ["any(products.name)"]
growth = "constant"
"#;

const LISTING_SQL: &str = "SELECT id, name, price FROM products WHERE category_id = $1 AND active
ORDER BY featured DESC, created_at DESC LIMIT 20;\n";

fn shop(with_listing_index: bool) -> Project {
    let tables = common::SHOP_TABLES;
    let schema = if with_listing_index {
        format!("{tables}{NAME_INDEX}{LISTING_INDEX}")
    } else {
        format!("{tables}{NAME_INDEX}")
    };
    Project::new(&[
        ("plangate.toml", &format!("{}{SHOP_CONFIG}", common::SHOP_DATA)),
        ("schema/shop.sql", &schema),
        ("queries/product_listing.sql", LISTING_SQL),
        ("queries/by_name.sql", "SELECT id, price FROM products WHERE name = $1;\n"),
    ])
}

#[test]
fn listing_without_the_composite_index_fails_constant_and_passes_with_it() {
    let p = shop(false);
    let (code, report, stderr) = json_report(&p, &["check", "product_listing"]);
    assert_eq!(code, 1, "{stderr}");
    let q = query(&report, "product_listing");
    let b = q["cases"][0]["growth_exponent"].as_f64().unwrap();
    assert!((0.8..=1.2).contains(&b), "exponent near 1 without the index: {b}");
    assert!(kinds(q).contains(&("growth".into(), "error".into())), "{:?}", kinds(q));
    let rows = &q["cases"][0]["runs"][2]["rows"]["products"];
    assert_eq!(rows, 340_000, "scale 1.0 is production size");

    let p = shop(true);
    let (code, report, stderr) = json_report(&p, &["check", "product_listing"]);
    assert_eq!(code, 0, "{stderr}");
    let b = query(&report, "product_listing")["cases"][0]["growth_exponent"].as_f64().unwrap();
    assert!(b.abs() < 0.15, "exponent near 0 with the index: {b}");
    // The report says which backend and version ran, and where time went.
    assert_eq!(report["backend"], "local");
    assert!(report["postgres_version"].as_str().unwrap().starts_with("15"));
    let loads = report["timings"]["loads"].as_array().unwrap();
    // The largest scale is loaded in a database of its own, all of its rows in one load.
    assert!(loads.iter().any(|l| l["table"] == "products" && l["scale"] == 1.0 && l["rows"] == 340_000), "{loads:?}");
    p.assert_nothing_left();
}

#[test]
fn dropping_an_index_or_wrapping_its_column_fails_only_that_query() {
    let p = shop(true);
    let (code, _, stderr) = p.run(&["bless"]);
    assert_eq!(code, 0, "{stderr}");
    let baseline = p.read("baselines/by_name.json");
    assert!(baseline.contains("\"format_version\": 1"), "{baseline}");

    // The name index is gone: by_name reads the table; the listing query is untouched.
    p.write("schema/shop.sql", &format!("{}{LISTING_INDEX}", common::SHOP_TABLES));
    let (code, report, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 1, "{stderr}");
    let by_name = query(&report, "by_name");
    assert_eq!(by_name["verdict"], "fail");
    let k = kinds(by_name);
    for want in ["shape_change", "seq_scan", "work_regression"] {
        assert!(k.iter().any(|(kind, _)| kind == want), "{want} in {k:?}");
    }
    assert!(k.contains(&("seq_scan".into(), "error".into())), "a new seq scan fails: {k:?}");
    assert!(by_name["cases"][0]["runs"][2]["shape_diff"].as_str().unwrap().contains("+Seq Scan on products"));
    assert_eq!(query(&report, "product_listing")["verdict"], "pass");

    // The index is back, but the query wraps the column in a function.
    p.write("schema/shop.sql", &format!("{}{NAME_INDEX}{LISTING_INDEX}", common::SHOP_TABLES));
    p.write("queries/by_name.sql", "SELECT id, price FROM products WHERE lower(name) = $1;\n");
    let (code, report, _) = json_report(&p, &["check"]);
    assert_eq!(code, 1);
    assert_eq!(query(&report, "by_name")["verdict"], "fail");
    assert_eq!(query(&report, "product_listing")["verdict"], "pass");
    assert!(p.read("baselines/by_name.json") == baseline, "check never writes baselines");
    p.assert_nothing_left();
}

#[test]
fn a_blessed_healthy_catalog_passes_ten_checks_in_a_row() {
    // The repo's own catalog at smaller scales: tables larger than ANALYZE's default sample.
    let root = env!("CARGO_MANIFEST_DIR");
    let p = Project::new(&[]);
    for entry in ["plangate.toml", "schema/001_shop.sql"] {
        p.write(entry, &std::fs::read_to_string(format!("{root}/{entry}")).unwrap());
    }
    for q in std::fs::read_dir(format!("{root}/queries")).unwrap() {
        let q = q.unwrap().path();
        p.write(
            &format!("queries/{}", q.file_name().unwrap().to_str().unwrap()),
            &std::fs::read_to_string(&q).unwrap(),
        );
    }
    let scales = ["--scales", "0.03,0.1,0.2"];
    let (code, _, stderr) = p.run(&["bless", scales[0], scales[1]]);
    assert_eq!(code, 0, "{stderr}");
    let mut works = Vec::new();
    for i in 0..10 {
        let (code, report, stderr) = json_report(&p, &["check", scales[0], scales[1]]);
        assert_eq!(code, 0, "run {i}: {stderr}\n{report}");
        let w: Vec<u64> = report["queries"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|q| q["cases"][0]["runs"].as_array().unwrap().iter().map(|r| r["work"].as_u64().unwrap()))
            .collect();
        for q in report["queries"].as_array().unwrap() {
            assert!(kinds(q).iter().all(|(k, _)| k != "shape_change"), "run {i}: {} changed shape", q["name"]);
        }
        works.push(w);
    }
    assert!(works.windows(2).all(|w| w[0] == w[1]), "work is identical run to run: {works:?}");
    p.assert_nothing_left();
}

#[test]
fn sort_and_hash_aggregate_spills_are_reported() {
    let p = Project::new(&[
        (
            "plangate.toml",
            "[database]\nsettings = { work_mem = \"1MB\", enable_sort = \"off\" }\n[scales]\nfactors = [1.0]\n[thresholds]\nrepeats = 1\n[tables.events]\nrows = 200000\n[tables.events.columns]\nk = \"int(1, 150000)\"\n",
        ),
        ("schema/s.sql", "CREATE TABLE events (id int PRIMARY KEY, k int NOT NULL, payload text NOT NULL);"),
        ("queries/sorted.sql", "SELECT payload FROM events ORDER BY payload"),
        ("queries/grouped.sql", "SELECT k, count(*) FROM events GROUP BY k"),
    ]);
    let (code, report, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 0, "spills without a baseline are warnings: {stderr}");
    assert!(kinds(query(&report, "sorted")).contains(&("sort_spill".into(), "warning".into())), "{report}");
    assert!(kinds(query(&report, "grouped")).contains(&("hash_spill".into(), "warning".into())), "{report}");
    let notes = query(&report, "sorted")["cases"][0]["notes"].to_string();
    assert!(notes.contains("growth not fitted"), "one scale: growth is skipped and says so: {notes}");
}

#[test]
fn a_query_over_the_statement_timeout_is_a_finding_not_a_hang() {
    let p = common::small_project("SELECT pg_sleep(5), count(*) FROM items");
    let config = p.read("plangate.toml").replace("repeats = 1", "repeats = 1\nstatement_timeout_s = 0.3");
    p.write("plangate.toml", &config);
    let started = std::time::Instant::now();
    let (code, report, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(kinds(query(&report, "by_kind")).contains(&("timeout".into(), "error".into())));
    assert!(started.elapsed().as_secs() < 20);
}

#[test]
fn broken_baselines_fail_before_postgres_starts() {
    let cases = [
        ("by_kind.json", r#"{"format_version": 7, "query": "by_kind"}"#, "format_version 7"),
        ("by_kind.json", "{ broken", "not valid JSON"),
        ("gone.json", r#"{"format_version": 1}"#, "not in the catalog"),
    ];
    for (file, text, needle) in cases {
        let p = common::small_project("SELECT count(*) FROM items WHERE kind = 3");
        p.write(&format!("baselines/{file}"), text);
        let (code, _, stderr) = p.run(&["check"]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(needle) && stderr.contains(file), "{stderr}");
        assert!(!stderr.contains("ready"), "no Postgres was started: {stderr}");
        p.assert_nothing_left();
    }
}

#[test]
fn bless_writes_only_what_ran_and_another_major_checks_budgets_only() {
    let p = common::small_project("SELECT count(*) FROM items WHERE kind = 3");
    p.write("queries/other.sql", "SELECT count(*) FROM items");
    let (code, _, stderr) = p.run(&["bless", "by_kind"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(p.path().join("baselines/by_kind.json").is_file());
    assert!(!p.path().join("baselines/other.json").exists(), "only the queries that ran");
    let names: Vec<_> =
        std::fs::read_dir(p.path().join("baselines")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "no temporary files: {names:?}");

    let b = p.read("baselines/by_kind.json").replace("\"postgres_version\": \"15", "\"postgres_version\": \"14");
    p.write("baselines/by_kind.json", &b);
    let (code, stdout, _) = p.run(&["check", "by_kind"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("baseline is for Postgres 14"), "{stdout}");
}
