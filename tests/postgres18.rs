//! The detectors, `suggest` and writes on Postgres 18, whose planner and EXPLAIN differ from
//! 15's (BUFFERS by default, index searches, fractional row counts): the local backend on a
//! complete Postgres 18 (the system's, or the one plangate fetches) found first on the PATH,
//! as a team with that version installed has it.

mod common;

use common::Project;
use serde_json::Value;

const CONFIG: &str = r#"
[thresholds]
repeats = 1
[tables.orders]
rows = 200_000
[query.product_listing]
params = ["hot(products.category_id)"]
growth = "constant"
[query.drop_product]
params = ["any(products.id)"]
"#;

const ORDERS: &str = "
CREATE TABLE orders (id bigint PRIMARY KEY, product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE);
";

/// `plangate ARGS --format json --postgres 18`, on the binaries `bin` (those `--postgres 18`
/// finds; also first on the PATH, as a team with Postgres 18 installed has it).
fn on_18(p: &Project, bin: &std::path::Path, args: &[&str]) -> (i32, Value, String) {
    let mut all = args.to_vec();
    all.extend(["--format", "json", "--no-cache", "--postgres", "18"]);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = p.cmd(&all).env("PATH", path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("json ({e}): {stdout}\n{stderr}"));
    (out.status.code().unwrap_or(-1), v, stderr)
}

#[test]
fn the_incident_and_a_cascading_delete_on_postgres_18() {
    let Some(bin) = common::postgres18("the_incident_and_a_cascading_delete_on_postgres_18") else { return };
    let listing =
        std::fs::read_to_string(format!("{}/queries/product_listing.sql", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let p = Project::new(&[
        ("plangate.toml", &format!("{}{CONFIG}", common::SHOP_DATA)),
        ("schema/shop.sql", &format!("{}{ORDERS}", common::SHOP_TABLES)),
        ("queries/product_listing.sql", &listing),
        ("queries/drop_product.sql", "DELETE FROM products WHERE id = $1"),
    ]);

    let (code, report, stderr) = on_18(&p, &bin, &["check"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(report["postgres_version"].as_str().unwrap().starts_with("18."), "{report:#}");
    // The listing without its index reads more with the data: over its constant budget.
    let listing = common::query(&report, "product_listing");
    let kinds: Vec<String> = common::kinds(listing).into_iter().map(|(k, _)| k).collect();
    assert!(kinds.iter().any(|k| k == "growth"), "{kinds:?}");
    // The cascade scans orders: found, with its work outside the plan.
    let delete = &common::query(&report, "drop_product")["cases"][0];
    let found: Vec<&str> = delete["findings"].as_array().unwrap().iter().filter_map(|f| f["kind"].as_str()).collect();
    assert!(found.contains(&"unindexed_foreign_key"), "{delete:#}");
    let run = &delete["runs"][2];
    assert!(run["trigger_work"].as_u64().unwrap() > run["work"].as_u64().unwrap() / 2, "{run:#}");

    // suggest gives the incident's index back, and the index the cascade lacks.
    let (code, out, stderr) = on_18(&p, &bin, &["suggest"]);
    assert!(code == 0 || code == 1, "{stderr}");
    let suggestions = out["suggestions"].as_array().unwrap();
    let for_query = |q: &str| suggestions.iter().find(|s| s["query"] == q).unwrap_or_else(|| panic!("{q}: {out:#}"));
    assert_eq!(for_query("product_listing")["columns"][0], "category_id", "{out:#}");
    assert!(for_query("drop_product")["ddl"].as_str().unwrap().contains("ON orders (product_id)"), "{out:#}");
    p.assert_nothing_left();
}
