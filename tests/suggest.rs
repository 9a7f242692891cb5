//! `plangate suggest` against real Postgres: candidates are built and measured, and only
//! those that cut work in half are reported.

mod common;

use common::Project;
use serde_json::Value;

const USERS: &str = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n";

const CONFIG: &str = r#"
[thresholds]
repeats = 1
[tables.users]
rows = 100_000
[tables.users.columns]
email = "unique(text(1, 2))"
[query.product_listing]
params = ["hot(products.category_id)"]
growth = "constant"
[query.by_email]
params = ["any(users.email)"]
[query.by_id]
params = ["any(products.id)"]
"#;

/// The repo's own listing query.
fn listing_sql() -> String {
    std::fs::read_to_string(format!("{}/queries/product_listing.sql", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn shop() -> Project {
    Project::new(&[
        ("plangate.toml", &format!("{}{CONFIG}", common::SHOP_DATA)),
        ("schema/shop.sql", &format!("{}{USERS}", common::SHOP_TABLES)),
        ("queries/product_listing.sql", &listing_sql()),
        ("queries/by_email.sql", "SELECT id FROM users WHERE lower(email) = lower($1)"),
        ("queries/by_id.sql", "SELECT name, price FROM products WHERE id = $1"),
    ])
}

fn suggestions(p: &Project, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["suggest", "--format", "json"];
    all.extend(args);
    let (code, stdout, stderr) = p.run(&all);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(v["format_version"], 1);
    v["suggestions"].as_array().unwrap().clone()
}

#[test]
fn the_listing_query_gets_the_incident_index_and_then_passes_constant() {
    let p = shop();
    let found = suggestions(&p, &["product_listing"]);
    let top = &found[0];
    assert_eq!(top["query"], "product_listing");
    assert_eq!(top["table"], "products");
    let cols: Vec<&str> = top["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(cols[0], "category_id", "leads with the equality column: {cols:?}");
    let featured = cols.iter().position(|c| *c == "featured DESC").expect("featured DESC");
    let created = cols.iter().position(|c| *c == "created_at DESC").expect("created_at DESC");
    assert!(featured < created, "ORDER BY order: {cols:?}");
    assert!(top["where"] == "active" || cols.contains(&"active"), "partial on active or has it as a column: {top}");
    assert_eq!(top["scale"], 1.0);
    let (before, after) = (top["work_before"].as_u64().unwrap(), top["work_after"].as_u64().unwrap());
    assert!(before >= 10 * after, "cuts work by 10x or more: {before} -> {after}");
    assert!(top["size_bytes"].as_i64().unwrap() > 0);
    let ddl = top["ddl"].as_str().unwrap();
    assert!(ddl.starts_with("CREATE INDEX CONCURRENTLY "), "{ddl}");
    p.assert_nothing_left();

    // Paste the suggestion into the schema: the constant budget passes.
    p.write("schema/shop.sql", &format!("{}{USERS}\n{ddl};\n", common::SHOP_TABLES));
    let (code, stdout, stderr) = p.run(&["check", "product_listing"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
}

#[test]
fn a_lowercased_lookup_gets_an_expression_index_and_a_well_indexed_query_nothing() {
    let p = shop();
    let found = suggestions(&p, &["by_email", "by_id"]);
    assert!(found.iter().all(|s| s["query"] == "by_email"), "by_id reads its primary key already: {found:?}");
    let top = &found[0];
    assert_eq!(top["columns"][0], "lower(email)", "{top}");
    assert!(top["ddl"].as_str().unwrap().contains("((lower(email)))"), "{top}");
}

#[test]
fn from_a_saved_report_only_failing_queries_are_rerun() {
    let p = shop();
    let (code, _, stderr) = p.run(&["check", "--format", "json", "--output", "report.json"]);
    assert_eq!(code, 1, "the listing query fails its constant budget: {stderr}");
    let report: Value = serde_json::from_str(&p.read("report.json")).unwrap();
    let listing = report["queries"].as_array().unwrap().iter().find(|q| q["name"] == "product_listing").unwrap();
    assert!(listing["hint"].as_str().unwrap().contains("plangate suggest product_listing"), "{listing}");
    let found = suggestions(&p, &["--from", "report.json"]);
    assert!(!found.is_empty());
    assert!(found.iter().all(|s| s["query"] == "product_listing"), "{found:?}");
}
