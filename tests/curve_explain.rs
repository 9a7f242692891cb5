//! `plangate explain` and `plangate curve` against real Postgres.

mod common;

use common::Project;

const SCHEMA: &str = "CREATE TABLE categories (id int PRIMARY KEY);
CREATE TABLE products (id bigint PRIMARY KEY, category_id int NOT NULL REFERENCES categories (id),
    name text NOT NULL, price numeric(10, 2) NOT NULL, active bool NOT NULL, featured bool NOT NULL,
    created_at timestamptz NOT NULL);";

fn shop() -> Project {
    let listing =
        std::fs::read_to_string(format!("{}/queries/product_listing.sql", env!("CARGO_MANIFEST_DIR"))).unwrap();
    Project::new(&[
        (
            "plangate.toml",
            "[scales]\nfactors = [0.01, 0.1]\n[thresholds]\nrepeats = 1\n[tables.categories]\nfixed_rows = 400\n\
             [tables.products]\nrows = 340000\n[tables.products.columns]\ncategory_id = \"ref(categories.id, zipf = 1.1)\"\n\
             [query.product_listing]\nparams = [\"hot(products.category_id)\"]\ngrowth = \"constant\"\n",
        ),
        ("schema/s.sql", SCHEMA),
        ("queries/product_listing.sql", &listing),
    ])
}

#[test]
fn explain_prints_postgres_text_with_findings_on_their_nodes_or_raw_json() {
    let p = shop();
    let (code, stdout, stderr) = p.run(&["explain", "product_listing", "--scale", "0.1"]);
    assert_eq!(code, 0, "{stderr}");
    let seq = stdout.lines().find(|l| l.contains("Seq Scan on products")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(seq.contains("(actual time="), "Postgres' own text: {seq}");
    assert!(seq.contains("<== seq_scan: sequential scan reads all 34000 rows"), "marked on its node: {seq}");
    assert!(stdout.contains("Execution Time"));

    let (code, stdout, _) = p.run(&["explain", "product_listing", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v[0]["Plan"]["Node Type"], "Limit", "raw EXPLAIN JSON, paste-able into PEV2");
    assert!(v[0]["Execution Time"].is_number());

    let (code, _, stderr) = p.run(&["explain", "product_listing", "--case", "cold"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no case `cold`") && stderr.contains("default"), "{stderr}");
    p.assert_nothing_left();
}

#[test]
fn curve_prints_points_exponent_and_charts_and_writes_svg() {
    let p = shop();
    let (code, stdout, stderr) =
        p.run(&["curve", "product_listing", "--points", "4", "--max-scale", "0.5", "--svg", "curve.svg"]);
    assert_eq!(code, 0, "{stderr}");
    for scale in ["0.01", "0.03684", "0.1357", "0.5"] {
        assert!(stdout.lines().any(|l| l.trim_start().starts_with(scale)), "scale {scale} in {stdout}");
    }
    assert!(stdout.contains("Seq Scan on products"));
    assert!(stdout.contains("OVER its budget `constant`"), "{stdout}");
    assert!(stdout.contains("processed") && stdout.contains("rows processed grow as rows^"), "{stdout}");
    assert!(stdout.contains("work (blocks) over rows, log-log"));
    let svg = p.read("curve.svg");
    assert_eq!(svg.matches("<svg").count(), 3, "two charts in one document");
    assert!(svg.contains("product_listing (default): work"));
    p.assert_nothing_left();
}

#[test]
fn curve_shows_where_the_listing_plan_flips_without_the_composite_index() {
    // The repo's own catalog without the listing index, for a category of typical size:
    // small tables sort that category's rows; large ones read the feed index in order and
    // filter (the index gives order, not selection), and work jumps.
    let root = env!("CARGO_MANIFEST_DIR");
    let schema = std::fs::read_to_string(format!("{root}/schema/001_shop.sql")).unwrap();
    let start = schema.find("CREATE INDEX idx_products_category_listing").unwrap();
    let end = start + schema[start..].find(';').unwrap() + 1;
    let config = std::fs::read_to_string(format!("{root}/plangate.toml"))
        .unwrap()
        .replace("params = [\"hot(products.category_id)\"]", "params = [\"typical(products.category_id)\"]");
    assert!(config.contains("typical(products.category_id)"));
    let p = Project::new(&[
        ("plangate.toml", &config),
        ("schema/001_shop.sql", &format!("{}{}", &schema[..start], &schema[end..])),
    ]);
    for q in std::fs::read_dir(format!("{root}/queries")).unwrap() {
        let q = q.unwrap().path();
        p.write(
            &format!("queries/{}", q.file_name().unwrap().to_str().unwrap()),
            &std::fs::read_to_string(&q).unwrap(),
        );
    }
    let (code, stdout, stderr) = p.run(&["curve", "product_listing", "--points", "8"]);
    assert_eq!(code, 0, "{stderr}");
    let flip = stdout.find("* the plan changes between scale").unwrap_or_else(|| panic!("no plan flip: {stdout}"));
    let diff = &stdout[flip..];
    assert!(diff.contains("-    Seq Scan on products"), "{diff}");
    assert!(diff.contains("+  Index Scan using products_featured_created_idx on products"), "{diff}");
    assert!(stdout.contains("OVER its budget `constant`"), "{stdout}");
    p.assert_nothing_left();
}
