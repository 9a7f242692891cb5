//! Writes in the catalog, against real Postgres: each measured in a copy of the world in a
//! transaction that is rolled back, so the reads around them measure what they measure
//! without them; foreign-key checks and triggers counted in their work; and the missing
//! foreign-key index found.

mod common;

use common::{Project, json_report, works};
use serde_json::Value;

const SCHEMA: &str = "
CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, visits int NOT NULL DEFAULT 0);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status text NOT NULL,
    total numeric(10, 2) NOT NULL
);
CREATE INDEX orders_user_idx ON orders (user_id);
CREATE INDEX orders_status_idx ON orders (status);
CREATE TABLE order_counts (name text PRIMARY KEY, n bigint NOT NULL);
CREATE FUNCTION count_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE order_counts SET n = n + 1 WHERE name = 'orders';
    RETURN NEW;
END $$;
CREATE TRIGGER orders_counted AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION count_order();
";

const CONFIG: &str = r#"
[schema]
files = ["schema/*.sql"]
[scales]
factors = [0.1, 0.3, 1.0]
[thresholds]
repeats = 2
[tables.users]
rows = 5000
[tables.orders]
rows = 100000
[tables.orders.columns]
status = 'choice("open" = 0.1, "shipped" = 0.9)'
[tables.order_counts]
fixed_rows = 1
[tables.order_counts.columns]
name = "const('orders')"
"#;

/// Reads that see what a write leaves behind if it is left: a heap and its visibility
/// (seq scan, index-only scan), index entries (index scans).
const READS: &[(&str, &str, &str)] = &[
    ("open_orders", "SELECT id, total FROM orders WHERE status = 'open' ORDER BY id LIMIT 50", ""),
    ("order_count", "SELECT count(*) FROM orders", ""),
    ("user_ids", "SELECT count(user_id) FROM orders WHERE user_id < 100", ""),
    (
        "users_orders",
        "SELECT o.id FROM orders o WHERE o.user_id = $1",
        "[query.users_orders]\nparams = [\"hot(orders.user_id)\"]\n",
    ),
];

const WRITES: &[(&str, &str, &str)] = &[
    (
        "ship_order",
        "UPDATE orders SET status = 'shipped' WHERE id = $1 RETURNING id, total",
        "[query.ship_order]\nparams = [\"any(orders.id)\"]\n",
    ),
    (
        "place_order",
        "INSERT INTO orders (id, user_id, status, total) VALUES (-1, $1, 'open', 10)
         ON CONFLICT (id) DO UPDATE SET total = orders.total + excluded.total",
        "[query.place_order]\nparams = [\"any(users.id)\"]\n",
    ),
    (
        "count_visit",
        "MERGE INTO users u USING (SELECT $1::bigint AS id) v ON u.id = v.id
         WHEN MATCHED THEN UPDATE SET visits = u.visits + 1
         WHEN NOT MATCHED THEN INSERT (id, name) VALUES (v.id, 'new')",
        "[query.count_visit]\nparams = [\"any(users.id)\"]\n",
    ),
    ("bulk_close", "DELETE FROM orders WHERE status = 'open' AND id % 7 = 0", ""),
    (
        "ship_open",
        "WITH shipped AS (UPDATE orders SET status = 'shipped' WHERE status = 'open' AND user_id = $1 RETURNING id)
         SELECT count(*) FROM shipped",
        "[query.ship_open]\nparams = [\"hot(orders.user_id)\"]\n",
    ),
];

fn project(schema: &str, queries: &[&[(&str, &str, &str)]]) -> Project {
    let mut config = CONFIG.to_string();
    let mut files = vec![("schema/app.sql".to_string(), schema.to_string())];
    for (name, sql, section) in queries.iter().copied().flatten() {
        files.push((format!("queries/{name}.sql"), format!("{sql}\n")));
        config.push_str(section);
    }
    files.push(("plangate.toml".into(), config));
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    Project::new(&borrowed)
}

fn case<'a>(report: &'a Value, query: &str) -> &'a Value {
    &common::query(report, query)["cases"][0]
}

#[test]
fn writes_leave_the_world_as_it_was_and_repeat_exactly() {
    let reads_only = project(SCHEMA, &[READS]);
    let (code, alone, stderr) = json_report(&reads_only, &["check", "--no-cache"]);
    assert!(code == 0 || code == 1, "{stderr}");

    let both = project(SCHEMA, &[WRITES, READS]);
    let mut reports = Vec::new();
    for _ in 0..10 {
        let (code, report, stderr) = json_report(&both, &["check", "--no-cache"]);
        assert!(code == 0 || code == 1, "{stderr}");
        reports.push(report);
    }
    let first = works(&reports[0]);
    for (i, r) in reports.iter().enumerate().skip(1) {
        assert_eq!(works(r), first, "check {i} measured other work than the first");
    }
    // The reads measure the same work as without the writes in the catalog.
    let reads_there: Vec<_> =
        first.iter().filter(|((q, _, _), _)| READS.iter().any(|(n, _, _)| q.starts_with(n))).cloned().collect();
    assert_eq!(reads_there, works(&alone), "the writes changed what the reads measure");

    let report = &reports[0];
    // The trigger's counter update and the foreign-key check are part of the insert's work.
    let run = &case(report, "place_order")["runs"][2];
    let triggers = run["triggers"].as_array().unwrap();
    let named = |n: &str| triggers.iter().find(|t| t["name"] == n).unwrap_or_else(|| panic!("{n}: {run:#}"));
    assert_eq!(named("orders_counted")["calls"], 1, "{run:#}");
    assert!(named("orders_counted")["blocks"].as_u64().unwrap() > 0, "{run:#}");
    assert!(named("orders_user_id_fkey")["blocks"].as_u64().unwrap() > 0, "the parent's key looked up: {run:#}");
    assert!(run["trigger_work"].as_u64().unwrap() < run["work"].as_u64().unwrap(), "{run:#}");
    for w in ["ship_order", "count_visit", "bulk_close", "ship_open"] {
        assert!(case(report, w)["runs"][2]["work"].as_u64().unwrap() > 0, "{w}");
    }
    // A prepared write's generic plan is run too (in a copy), as ORMs prepare their writes.
    let generic = &case(report, "ship_order")["runs"][2]["generic"];
    assert!(
        generic["work"].as_u64().unwrap() > 0 && generic["shape"].as_str().unwrap().contains("orders"),
        "{generic:#}"
    );
    both.assert_nothing_left();
}

#[test]
fn deleting_a_parent_without_the_childrens_index_is_found_and_fails_the_gate() {
    const DELETE: &[(&str, &str, &str)] = &[(
        "delete_user",
        "DELETE FROM users WHERE id = $1",
        "[query.delete_user]\nparams = [\"any(users.id)\"]\nforbid = [\"seq_scan(orders)\"]\n",
    )];
    let p = project(SCHEMA, &[DELETE]);
    let (code, _, stderr) = p.run(&["bless", "--no-cache"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, indexed, stderr) = json_report(&p, &["check", "--no-cache"]);
    assert_eq!(code, 0, "blessed: {stderr}");
    let with_index = case(&indexed, "delete_user")["runs"][2]["work"].as_u64().unwrap();

    p.write("schema/app.sql", &SCHEMA.replace("CREATE INDEX orders_user_idx ON orders (user_id);", ""));
    let (code, report, stderr) = json_report(&p, &["check", "--no-cache"]);
    assert_eq!(code, 1, "the missing index fails the gate: {stderr}");
    let c = case(&report, "delete_user");
    let found: Vec<&Value> =
        c["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "unindexed_foreign_key").collect();
    assert!(!found.is_empty(), "{c:#}");
    let detail = found[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("orders_user_id_fkey") && detail.contains("scans orders") && detail.contains("(user_id)"),
        "{detail}"
    );
    let runs = c["runs"].as_array().unwrap();
    let work: Vec<u64> = runs.iter().map(|r| r["work"].as_u64().unwrap()).collect();
    assert!(work[2] > 5 * with_index, "the cascade reads all orders: {work:?} against {with_index}");
    assert!(work[2] > 4 * work[0], "and grows with them: {work:?}");
    assert!(c["growth_exponent"].as_f64().unwrap() > 0.7, "{c:#}");
    // `forbid = ["seq_scan(orders)"]` catches the scan the check makes, outside the plan.
    assert!(c["findings"].as_array().unwrap().iter().any(|f| f["kind"] == "forbidden"), "{c:#}");
    let outgrows = c["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "outgrows_result");
    let outgrows = outgrows.map(|f| f["detail"].as_str().unwrap()).unwrap_or_default();
    assert!(outgrows.contains("outside the plan, in orders_user_id_fkey on `users`"), "names what grows: {c:#}");

    // suggest gives the index back, verified by measuring the delete with it built.
    let (code, stdout, stderr) = p.run(&["suggest", "--no-cache", "--format", "json"]);
    assert!(code == 0 || code == 1, "{stderr}");
    let out: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    let s = out["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["query"] == "delete_user")
        .unwrap_or_else(|| panic!("no suggestion for the delete: {out:#}"));
    assert!(s["ddl"].as_str().unwrap().contains("ON orders (user_id)"), "{s:#}");
    assert!(s["work_after"].as_u64().unwrap() * 2 <= s["work_before"].as_u64().unwrap(), "{s:#}");
    p.assert_nothing_left();
}

#[test]
fn a_statement_that_cannot_run_in_a_transaction_is_refused() {
    let p = project(SCHEMA, &[&[("tidy", "VACUUM orders", "")]]);
    let (code, _, stderr) = p.run(&["check", "--no-cache"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("tidy.sql") && stderr.contains("a VACUUM statement"), "{stderr}");
    p.assert_nothing_left();
}

/// `explain` prints a write's plan from a copy too, with what ran outside the plan, and the
/// world it caches is the world as loaded: a read on it measures what it does on a fresh one.
#[test]
fn explain_runs_a_write_in_a_copy_and_the_cached_world_stays_as_loaded() {
    let p = project(SCHEMA, &[WRITES, READS]);
    for _ in 0..2 {
        let (code, text, stderr) = p.run(&["explain", "place_order"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(text.contains("Insert on orders"), "{text}");
        assert!(text.contains("Outside the plan:") && text.contains("orders_counted on orders: 1 calls"), "{text}");
    }
    let read = |args: &[&str]| {
        let (code, text, stderr) = p.run(args);
        assert_eq!(code, 0, "{stderr}");
        let mut plan: Value = serde_json::from_str(&text).unwrap();
        without_times(&mut plan);
        plan
    };
    let cached = read(&["explain", "order_count", "--format", "json"]);
    let worlds = std::fs::read_dir(p.cache.join("worlds")).map_or(0, Iterator::count);
    assert!(worlds > 0, "the world was cached in {}", p.cache.display());
    let fresh = read(&["explain", "order_count", "--format", "json", "--no-cache"]);
    assert_eq!(cached, fresh, "the cached world is the world as loaded: every row count and block the same");
    p.assert_nothing_left();
}

/// A plan without its times (the only numbers that vary run to run).
fn without_times(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !k.contains("Time"));
            m.values_mut().for_each(without_times);
        }
        Value::Array(a) => a.iter_mut().for_each(without_times),
        _ => {}
    }
}

/// A write past the statement timeout is a finding, as a read's is, and its copy goes.
#[test]
fn a_write_over_the_statement_timeout_is_a_finding() {
    const SLOW: &[(&str, &str, &str)] =
        &[("slow_close", "UPDATE orders SET status = 'closed' WHERE id = (SELECT 1 FROM pg_sleep(5))", "")];
    let p = project(SCHEMA, &[SLOW]);
    let config = p.read("plangate.toml").replace("repeats = 2", "repeats = 1\nstatement_timeout_s = 0.3");
    p.write("plangate.toml", &config);
    let started = std::time::Instant::now();
    let (code, report, stderr) = json_report(&p, &["check", "--no-cache"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(common::kinds(common::query(&report, "slow_close")).contains(&("timeout".into(), "error".into())));
    assert!(started.elapsed().as_secs() < 30);
    p.assert_nothing_left();
}

/// On the url backend the world grows in place in the scratch database: writes are measured
/// in copies of it named after it, made at each scale, and all of them go with it. The reads
/// measure what they measure without the writes.
#[tokio::test(flavor = "multi_thread")]
async fn on_the_url_backend_writes_run_in_copies_of_the_scratch_database() {
    use plangate::postgres::local::{LocalCluster, find_bindir};
    use sqlx::Connection;
    let cluster = LocalCluster::start(find_bindir().expect("Postgres server binaries"), &[]).await.unwrap();
    let url = cluster.url("postgres");
    let run = |queries: &'static [&'static [(&'static str, &'static str, &'static str)]]| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let p = project(SCHEMA, queries);
            let (code, report, stderr) = json_report(&p, &["check", "--database-url", &url]);
            assert!(code == 0 || code == 1, "{stderr}");
            p.assert_nothing_left();
            report
        })
    };
    let both = run(&[WRITES, READS]).await.unwrap();
    let again = run(&[WRITES, READS]).await.unwrap();
    let alone = run(&[READS]).await.unwrap();
    assert_eq!(works(&both), works(&again), "the same work twice");
    let reads: Vec<_> =
        works(&both).into_iter().filter(|((q, _, _), _)| READS.iter().any(|(n, _, _)| q.starts_with(n))).collect();
    assert_eq!(reads, works(&alone), "the writes changed what the reads measure");
    assert!(case(&both, "place_order")["runs"][2]["trigger_work"].as_u64().unwrap() > 0);
    let mut conn = sqlx::PgConnection::connect(&cluster.url("postgres")).await.unwrap();
    let left: Vec<String> = sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE 'plangate_%'")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}
