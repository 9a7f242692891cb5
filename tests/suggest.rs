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
    // The lowercased lookup fails too: no budget set, it reads the whole table for one row.
    let by_email = report["queries"].as_array().unwrap().iter().find(|q| q["name"] == "by_email").unwrap();
    assert!(by_email.to_string().contains("outgrows_result"), "{by_email}");
    let found = suggestions(&p, &["--from", "report.json"]);
    let mut queries: Vec<&str> = found.iter().map(|s| s["query"].as_str().unwrap()).collect();
    queries.dedup();
    assert_eq!(queries, ["product_listing", "by_email"], "only the failing queries, by_id passes: {found:?}");
}

fn suggest_json(p: &Project, args: &[&str]) -> Value {
    let mut all = vec!["suggest", "--format", "json"];
    all.extend(args);
    let (code, stdout, stderr) = p.run(&all);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn columns(s: &Value) -> Vec<&str> {
    s["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect()
}

#[test]
fn an_aggregate_over_a_fact_table_gets_its_key_and_summed_column() {
    // Order lines wide enough that reading them costs far more than an index of two ints.
    let p = Project::new(&[
        (
            "schema/sales.sql",
            "CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL);
             CREATE TABLE lines (id bigint PRIMARY KEY, product_id int NOT NULL REFERENCES products (id),
                                 qty int NOT NULL, note text NOT NULL);",
        ),
        (
            "plangate.toml",
            "[scales]\nfactors = [0.2, 1.0]\n[thresholds]\nrepeats = 1\n[tables.products]\nrows = 2000\n\
             [tables.lines]\nrows = 150_000\n[tables.lines.columns]\nqty = \"int(1, 20)\"\nnote = \"text(25, 35)\"\n",
        ),
        (
            "queries/best_sellers.sql",
            "SELECT p.name, s.sold FROM products p
             JOIN (SELECT product_id, sum(qty) AS sold FROM lines GROUP BY product_id HAVING sum(qty) > 800) s
               ON s.product_id = p.id;\n",
        ),
    ]);
    let out = suggest_json(&p, &["best_sellers"]);
    let top = &out["suggestions"][0];
    assert_eq!(top["table"], "lines", "{out}");
    assert_eq!(columns(top), ["product_id", "qty"], "the group key, then the summed column: {top}");
    let (before, after) = (top["work_before"].as_u64().unwrap(), top["work_after"].as_u64().unwrap());
    assert!(before >= 10 * after, "an index-only scan feeds the aggregate: {before} -> {after} blocks");
    p.assert_nothing_left();
}

#[test]
fn a_wide_text_column_never_goes_into_an_index_and_the_narrow_index_ranks_first() {
    let p = Project::new(&[
        (
            "schema/history.sql",
            "CREATE TABLE events (id bigint PRIMARY KEY, user_id int NOT NULL, at timestamptz NOT NULL, data text NOT NULL);",
        ),
        (
            "plangate.toml",
            "[scales]\nfactors = [0.2, 1.0]\n[thresholds]\nrepeats = 1\n[tables.events]\nrows = 120_000\n\
             [tables.events.columns]\nuser_id = \"int(1, 300)\"\nat = \"timestamp(days = 300)\"\ndata = \"text(5, 60)\"\n\
             [query.history]\nparams = [\"typical(events.user_id)\"]\n",
        ),
        ("queries/history.sql", "SELECT id, at, data FROM events WHERE user_id = $1 ORDER BY at DESC LIMIT 20;\n"),
    ]);
    let out = suggest_json(&p, &["history"]);
    let found = out["suggestions"].as_array().unwrap();
    assert!(!found.is_empty(), "{out}");
    for s in found {
        let ddl = s["ddl"].as_str().unwrap();
        assert!(!ddl.contains("data"), "an unbounded text column is never keyed or included: {ddl}");
    }
    assert_eq!(columns(&found[0]), ["user_id", "at DESC"], "{out}");
    // The plain (user_id, at) index, not a covering one dragging `data` along: the narrow
    // one is first, and the index on user_id alone (smaller, but it sorts a user's rows
    // on every call) after it.
    assert!(found.iter().all(|s| s["include"].as_array().unwrap().is_empty()), "{out}");
    assert!(found[0]["bytes_per_row"].as_f64().unwrap() > 0.0, "{out}");
    let rest: Vec<u64> = found[1..].iter().map(|s| s["work_after"].as_u64().unwrap()).collect();
    assert!(rest.iter().all(|w| *w >= found[0]["work_after"].as_u64().unwrap()), "{out}");
    let skipped =
        out["tried"].as_array().unwrap().iter().find(|t| t["ddl"].as_str().unwrap().contains("INCLUDE (id, data)"));
    let skipped = skipped.unwrap_or_else(|| panic!("the covering index is listed as left out: {}", out["tried"]));
    assert!(skipped["outcome"].as_str().unwrap().contains("`data` can exceed the btree entry limit"), "{skipped}");
    // The terminal says what was tried with --verbose.
    let (code, text, _) = p.run(&["suggest", "history", "--verbose"]);
    assert_eq!(code, 0);
    assert!(text.contains("Tried:") && text.contains("[no] ") && text.contains("[kept] "), "{text}");
}

#[test]
fn correlated_columns_get_extended_statistics_verified() {
    let p = Project::new(&[
        ("schema/people.sql", "CREATE TABLE people (id bigint PRIMARY KEY, city int NOT NULL, zip int NOT NULL);"),
        (
            "plangate.toml",
            "[scales]\nfactors = [0.2, 1.0]\n[thresholds]\nrepeats = 1\n[tables.people]\nrows = 50_000\n\
             [tables.people.columns]\ncity = \"int(1, 100)\"\nzip = \"depends(city, int(1, 60))\"\n",
        ),
        (
            "queries/same_place.sql",
            "SELECT count(*) FROM people WHERE city = 7 AND zip = (SELECT min(zip) FROM people WHERE city = 7);\n",
        ),
    ]);
    let out = suggest_json(&p, &["same_place"]);
    let stats = out["suggestions"].as_array().unwrap().iter().find(|s| s["kind"] == "statistics");
    let stats = stats.unwrap_or_else(|| panic!("{out}"));
    assert_eq!(
        stats["ddl"],
        "CREATE STATISTICS \"people_city_zip_stats\" (dependencies, ndistinct, mcv) ON \"city\", \"zip\" FROM people"
    );
    assert_eq!(stats["node"], "Seq Scan on people");
    let (before, after) = (stats["q_error_before"].as_f64().unwrap(), stats["q_error_after"].as_f64().unwrap());
    assert!(before >= 10.0 * after, "verified: the estimate at the node holds ({before} -> {after})");
    p.assert_nothing_left();
}

#[test]
fn the_whole_catalog_gets_one_migration_and_hears_about_an_unused_index() {
    let p = Project::from_repo_catalog_and_baselines();
    p.drop_listing_index();
    let out = suggest_json(&p, &[]);
    let m = &out["migration"];
    assert_eq!(m["fixes"], serde_json::json!(["product_listing"]), "{m}");
    let statements = m["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "exactly the listing index, no extra ones: {m}");
    let ddl = statements[0].as_str().unwrap();
    assert!(
        ddl.starts_with("CREATE INDEX CONCURRENTLY products_category_id_featured_created_at_idx ON products (category_id, featured DESC, created_at DESC) WHERE active"),
        "the incident's index: {ddl}"
    );
    assert!(m["notes"].as_array().unwrap().is_empty(), "built together, it does what it did alone: {m}");
    let unused: Vec<&str> = out["existing"].as_array().unwrap().iter().map(|e| e["index"].as_str().unwrap()).collect();
    assert!(unused.contains(&"order_items_product_idx"), "no catalog query reads it: {unused:?}");
    assert!(!unused.contains(&"products_featured_created_idx"), "the feed reads it: {unused:?}");
    p.assert_nothing_left();
}

/// crates.io's schema as its Diesel migrations ship it, at the points in its history before
/// two of its index fixes: `version_owner_actions(version_id)` (the API's audit actions
/// read every row) and the trigram index for crate search (756 ms against 12 ms in
/// production). The queries are written as Diesel writes them.
fn crates_io_before_its_fixes() -> Project {
    let p = Project::from_corpus("crates.io");
    for fix in ["2021-02-09-133314_add_version_owner_actions_index", "2019-05-14-165316_index_crate_name_for_like"] {
        std::fs::remove_dir_all(p.path().join("migrations").join(fix)).unwrap();
    }
    let config = p.read("plangate.toml");
    p.write(
        "plangate.toml",
        &format!(
            "{config}
[tables.versions]
rows = 60_000
[tables.versions.columns]
tar_sha256 = 'const(\"abcdefghijklmnopqrstuvwxyz012345\")'
zip_sha256 = \"const(null)\"
zip_json_sha256 = \"const(null)\"

[tables.version_owner_actions]
rows = 150_000
[tables.version_owner_actions.columns]
api_token_id = \"const(null)\"

[query.owner_actions_in]
params = [\"typical(version_owner_actions.version_id)\", \"any(version_owner_actions.version_id)\", \"cold(version_owner_actions.version_id)\"]

[query.owner_actions_any]
params = [\"'{{101,202,303}}'\"]

[query.crate_name_search]
params = [\"any(crates.name)\"]
"
        ),
    );
    // `VersionOwnerAction::for_versions`: `belonging_to(versions)` joined to the users and
    // their GitHub accounts, as Diesel 1 (an IN list) and Diesel 2 (`= ANY`) write it.
    let actions = r#"SELECT "version_owner_actions"."id", "version_owner_actions"."version_id", "version_owner_actions"."user_id", "version_owner_actions"."api_token_id", "version_owner_actions"."action", "version_owner_actions"."time", "users"."id", "users"."name", "users"."gh_login", "oauth_github"."avatar" FROM ("version_owner_actions" INNER JOIN ("users" LEFT OUTER JOIN "oauth_github" ON "oauth_github"."user_id" = "users"."id") ON "version_owner_actions"."user_id" = "users"."id") WHERE "version_owner_actions"."version_id" IN ($1, $2, $3) ORDER BY "version_owner_actions"."id""#;
    p.write("queries/owner_actions_in.sql", actions);
    p.write("queries/owner_actions_any.sql", &actions.replace("IN ($1, $2, $3)", "= ANY($1)"));
    // The search's name filter: `canon_crate_name(crates::name).like(...)`.
    p.write(
        "queries/crate_name_search.sql",
        r#"SELECT "crates"."id", "crates"."name" FROM "crates" WHERE canon_crate_name("crates"."name") LIKE '%' || canon_crate_name($1) || '%' ORDER BY "crates"."name" LIMIT 10"#,
    );
    p
}

#[test]
fn diesel_sql_gets_the_indexes_crates_io_added_by_hand() {
    let p = crates_io_before_its_fixes();
    let out = suggest_json(&p, &["owner_actions_in", "owner_actions_any", "crate_name_search"]);
    let found = out["suggestions"].as_array().unwrap();
    let of = |q: &str| -> Vec<&Value> { found.iter().filter(|s| s["query"] == q).collect() };
    for q in ["owner_actions_in", "owner_actions_any"] {
        let mine = of(q);
        assert_eq!(mine.len(), 1, "one index serves it, the others share its leading key: {out}");
        assert_eq!(
            mine[0]["ddl"],
            "CREATE INDEX CONCURRENTLY version_owner_actions_version_id_idx ON version_owner_actions (version_id)",
            "{q}: crates.io's own fix: {out}"
        );
        let (before, after) = (mine[0]["work_before"].as_u64().unwrap(), mine[0]["work_after"].as_u64().unwrap());
        assert!(before >= 10 * after, "{q}: {before} -> {after} blocks");
        assert_eq!(mine[0]["within_budget"], true, "{q}: {}", mine[0]);
        assert_eq!(mine[0]["curve"].as_array().unwrap().len(), 3, "measured at every scale: {}", mine[0]);
    }
    let tried = out["tried"].as_array().unwrap();
    let longer = tried
        .iter()
        .find(|t| t["query"] == "owner_actions_in" && t["ddl"].as_str().unwrap().contains("(version_id, id)"));
    let longer = longer.unwrap_or_else(|| panic!("{}", out["tried"]));
    assert!(
        longer["outcome"]
            .as_str()
            .unwrap()
            .starts_with("left out: `CREATE INDEX CONCURRENTLY version_owner_actions_version_id_idx"),
        "{longer}"
    );

    let search = of("crate_name_search");
    assert_eq!(
        search[0]["ddl"],
        "CREATE INDEX CONCURRENTLY crates_canon_crate_name_name_trgm_idx ON crates USING gin ((canon_crate_name(name)) gin_trgm_ops)",
        "{out}"
    );
    assert_eq!(search[0]["extension"], "pg_trgm", "the schema has no pg_trgm at this point of its history");
    let (before, after) = (search[0]["work_before"].as_u64().unwrap(), search[0]["work_after"].as_u64().unwrap());
    assert!(before >= 10 * after, "the substring search: {before} -> {after} blocks");
    p.assert_nothing_left();

    // The whole catalog's migration creates the extension before the index.
    let out = suggest_json(&p, &[]);
    let statements: Vec<&str> =
        out["migration"]["statements"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    let ext = statements.iter().position(|s| *s == "CREATE EXTENSION IF NOT EXISTS pg_trgm;");
    let trgm = statements.iter().position(|s| s.contains("gin_trgm_ops"));
    assert!(ext.is_some() && ext < trgm, "{statements:?}");
    p.assert_nothing_left();
}

#[test]
fn an_aggregate_across_a_join_gets_the_child_join_key_and_the_summed_column() {
    // The join form of the grouped-subquery aggregate: grouped by the parent, summing the child.
    let p = Project::new(&[
        (
            "schema/orders.sql",
            "CREATE TABLE orders (id bigint PRIMARY KEY, customer int NOT NULL, placed_at timestamptz NOT NULL);
             CREATE TABLE sales_lines (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id),
                                       quantity int NOT NULL, sku text NOT NULL, memo text NOT NULL);",
        ),
        (
            "plangate.toml",
            "[scales]\nfactors = [0.2, 1.0]\n[thresholds]\nrepeats = 1\n[tables.orders]\nrows = 20_000\n\
             [tables.sales_lines]\nrows = 200_000\n[tables.sales_lines.columns]\nquantity = \"int(1, 9)\"\n\
             sku = \"text(8, 12)\"\nmemo = \"text(30, 60)\"\n",
        ),
        (
            "queries/big_orders.sql",
            "SELECT o.*, sum(l.quantity) AS units FROM orders o JOIN sales_lines l ON l.order_id = o.id
             GROUP BY o.id HAVING sum(l.quantity) > 80;\n",
        ),
    ]);
    let out = suggest_json(&p, &["big_orders"]);
    let top = &out["suggestions"][0];
    assert_eq!(top["table"], "sales_lines", "{out}");
    assert_eq!(columns(top), ["order_id", "quantity"], "the join key, then the summed column: {top}");
    let (before, after) = (top["work_before"].as_u64().unwrap(), top["work_after"].as_u64().unwrap());
    assert!(before >= 10 * after, "the child read in join order, index-only: {before} -> {after} blocks");
    p.assert_nothing_left();
}

#[test]
fn a_per_user_listing_gets_exactly_one_index_chosen_by_its_curve() {
    let p = Project::new(&[
        (
            "schema/inbox.sql",
            "CREATE TABLE notifications (id bigint PRIMARY KEY, user_id int NOT NULL, created_at timestamptz NOT NULL,
                                         kind smallint NOT NULL, body text NOT NULL);",
        ),
        (
            "plangate.toml",
            "[scales]\nfactors = [0.1, 0.3, 1.0]\n[thresholds]\nrepeats = 1\n[tables.notifications]\nrows = 200_000\n\
             [tables.notifications.columns]\nuser_id = \"int(1, 400)\"\ncreated_at = \"timestamp(days = 365)\"\n\
             body = \"text(20, 80)\"\n[query.inbox]\nparams = [\"typical(notifications.user_id)\"]\n",
        ),
        (
            "queries/inbox.sql",
            "SELECT id, kind, created_at FROM notifications WHERE user_id = $1 ORDER BY created_at DESC LIMIT 50;\n",
        ),
    ]);
    let out = suggest_json(&p, &[]);
    let found: Vec<&Value> = out["suggestions"].as_array().unwrap().iter().filter(|s| s["query"] == "inbox").collect();
    assert_eq!(found.len(), 1, "one index for one listing: {out}");
    let keys = columns(found[0]);
    assert_eq!(keys[..2], ["user_id", "created_at DESC"], "{out}");
    let statements = out["migration"]["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{}", out["migration"]);
    assert_eq!(statements[0].as_str().unwrap(), format!("{};", found[0]["ddl"].as_str().unwrap()));
    // The index on user_id alone was measured and left out: it sorts every row of the user
    // on each call, so its work grows with the table while the chosen one's does not.
    let alone = out["tried"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["ddl"].as_str().unwrap().ends_with("ON notifications (user_id)"));
    let alone = alone.unwrap_or_else(|| panic!("{}", out["tried"]));
    let why = alone["outcome"].as_str().unwrap();
    assert!(why.starts_with("left out: ") && why.contains("work grows as rows^"), "{alone}");
    let chosen = found[0]["growth_exponent"].as_f64().unwrap();
    assert!(chosen < 0.3, "the chosen index keeps the listing's work flat: rows^{chosen}");
    assert_eq!(found[0]["within_budget"], true);
    p.assert_nothing_left();
}

#[test]
fn a_nearest_name_search_gets_a_gist_trigram_index_beside_the_schemas_gin_one() {
    // crates.io as it is now: pg_trgm and a GIN trigram index on the canonical name.
    let p = Project::from_corpus("crates.io");
    let config = p.read("plangate.toml");
    p.write("plangate.toml", &format!("{config}\n[query.similar_names]\nparams = [\"any(crates.name)\"]\n"));
    p.write(
        "queries/similar_names.sql",
        r#"SELECT "crates"."id", "crates"."name" FROM "crates" ORDER BY "crates"."name" <-> $1 LIMIT 10"#,
    );
    let out = suggest_json(&p, &["similar_names"]);
    let top = &out["suggestions"][0];
    assert_eq!(
        top["ddl"], "CREATE INDEX CONCURRENTLY crates_name_trgm_idx ON crates USING gist (name gist_trgm_ops)",
        "nearest first needs GiST: {out}"
    );
    assert!(top.get("extension").is_none(), "the schema has pg_trgm already: {top}");
    // A walk of the index nearest first, against a top-10 sort of every crate.
    let (before, after) = (top["work_before"].as_u64().unwrap(), top["work_after"].as_u64().unwrap());
    let (rows_before, rows_after) =
        (top["rows_processed_before"].as_u64().unwrap(), top["rows_processed_after"].as_u64().unwrap());
    eprintln!("nearest names: {before} -> {after} blocks, {rows_before} -> {rows_after} rows processed");
    assert!(after < before && rows_before >= 10 * rows_after, "{top}");
    p.assert_nothing_left();
}
