//! Production's shape without copying a row, against real Postgres: a "production" server
//! with distributions no built-in generator makes, `plangate init --from-url` on it, and
//! the world loaded from the snapshot compared with production column by column and plan
//! by plan.

mod common;

use std::path::Path;

use common::Project;
use plangate::postgres::local::{LocalCluster, find_bindir};
use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

const SCHEMA: &str = "
CREATE TYPE channel AS ENUM ('web', 'app', 'store');
CREATE TABLE customers (id serial PRIMARY KEY, region text NOT NULL);
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    customer_id int NOT NULL REFERENCES customers(id),
    status text NOT NULL,
    amount numeric(10,2) NOT NULL,
    placed_at timestamp NOT NULL,
    promised_for timestamptz,
    channel channel,
    note varchar(40)
);
CREATE INDEX orders_status_idx ON orders (status);
CREATE INDEX orders_placed_idx ON orders (placed_at);
CREATE TABLE coupons (code text PRIMARY KEY, percent int NOT NULL);
";

/// Distributions none of the built-in generators make: a skewed foreign key with ten hot
/// customers, a heavy-hitter status, log-normal amounts, a time in insertion order, a
/// bimodal time, an enum with NULLs, and a sparse note.
const DATA: &str = "
SELECT setseed(0.42);
INSERT INTO customers (region)
SELECT (ARRAY['north', 'south', 'east', 'west', 'centre'])[1 + floor(random() ^ 2 * 5)::int] FROM generate_series(1, 2000);
INSERT INTO orders (customer_id, status, amount, placed_at, promised_for, channel, note)
SELECT CASE WHEN random() < 0.3 THEN 1 + floor(random() * 10)::int ELSE 1 + floor(random() * 2000)::int END,
       CASE WHEN r < 0.90 THEN 'delivered' WHEN r < 0.96 THEN 'shipped' WHEN r < 0.99 THEN 'pending'
            WHEN r < 0.999 THEN 'cancelled' ELSE 'lost' END,
       round(exp(3.0 + 0.8 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))::numeric, 2),
       TIMESTAMP '2022-01-01' + g * interval '30 minutes' + random() * interval '2 hours',
       CASE WHEN random() < 0.5 THEN TIMESTAMPTZ '2023-06-01 00:00+00' ELSE TIMESTAMPTZ '2024-11-01 00:00+00' END
           + sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) * interval '10 days',
       CASE WHEN random() < 0.2 THEN NULL ELSE (ARRAY['web', 'app', 'store'])[1 + floor(random() * 3)::int]::channel END,
       CASE WHEN random() < 0.7 THEN NULL ELSE 'note ' || floor(random() * 500)::int END
FROM (SELECT g, random() AS r FROM generate_series(1, 50000) g) s;
CREATE STATISTICS orders_status_channel (dependencies, ndistinct) ON status, channel FROM orders;
ANALYZE;
";

/// A listing whose plan depends on the status skew: the hot status walks the time index
/// backwards, the cold one reads the status index and sorts.
const LISTING: &str = "SELECT id, amount FROM orders WHERE status = $1 ORDER BY placed_at DESC LIMIT 20";

const CASES: &str = "
[query.listing.cases]
hot = [\"hot(orders.status)\"]
cold = [\"cold(orders.status)\"]
";

async fn production() -> (LocalCluster, String) {
    let cluster = LocalCluster::start(find_bindir().expect("Postgres server binaries"), &[]).await.unwrap();
    let url = cluster.url("postgres");
    let mut conn = PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(SCHEMA).execute(&mut conn).await.unwrap();
    sqlx::raw_sql(DATA).execute(&mut conn).await.unwrap();
    (cluster, url)
}

/// Run plangate in `p` (its own TMPDIR) off the test's runtime.
async fn run(p: &Project, args: &[&str]) -> (i32, String, String) {
    let mut cmd = p.cmd(args);
    tokio::task::spawn_blocking(move || {
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

/// Every `work` number of a report, in order.
fn works(v: &Value) -> Vec<u64> {
    match v {
        Value::Object(m) => {
            m.iter().flat_map(|(k, x)| if k == "work" { x.as_u64().into_iter().collect() } else { works(x) }).collect()
        }
        Value::Array(a) => a.iter().flat_map(works).collect(),
        _ => Vec::new(),
    }
}

fn column<'a>(fidelity: &'a Value, name: &str) -> &'a Value {
    fidelity["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| format!("{}.{}", c["table"].as_str().unwrap(), c["column"].as_str().unwrap()) == name)
        .unwrap_or_else(|| panic!("no fidelity row for {name}: {fidelity:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_world_has_productions_shape_and_plans_like_production() {
    let (_cluster, url) = production().await;
    let p = Project::new(&[("schema/shop.sql", SCHEMA), ("queries/listing.sql", LISTING)]);

    // First init: the config, with `stats` generators, and the snapshot.
    let (code, _, stderr) = run(&p, &["init", "--backend", "local", "--from-url", &url]).await;
    assert_eq!(code, 0, "{stderr}");
    let config = p.read("plangate.toml");
    assert!(config.contains("[tables.orders]\nrows = 50000\n"), "{config}");
    assert!(config.contains("customer_id = \"stats(ref = customers.id)\""), "{config}");
    assert!(config.contains("amount = \"stats\"") && config.contains("status = \"stats\""), "{config}");
    assert!(config.contains("# id = \"serial\""), "keys keep their generators:\n{config}");
    assert!(config.contains("[query.listing]\nparams = [\"hot(orders.status)\"]"), "{config}");
    assert!(p.path().join("snapshot/plans/listing.json").exists(), "the catalog's query planned in production");
    assert!(stderr.contains("`coupons` is empty in production"), "{stderr}");
    assert!(!config.contains("127.0.0.1") && !p.read("snapshot/tables/orders.json").contains("127.0.0.1"));
    // Privacy: text values are surrogates; numbers, times and enum labels are distributions.
    let orders = p.read("snapshot/tables/orders.json");
    assert!(!orders.contains("delivered") && !orders.contains("note 1"), "{orders}");
    assert!(orders.contains("\"surrogates\": true") && orders.contains("\"web\""), "{orders}");
    assert!(orders.contains("\"name\": \"orders_status_channel\""), "extended statistics recorded: {orders}");

    // The catalog's cases, then init again: production's plans are recorded.
    let config = config.replace("[query.listing]\nparams = [\"hot(orders.status)\"]\n", "");
    p.write("plangate.toml", &format!("{config}{CASES}"));
    let (code, _, stderr) = run(&p, &["init", "--backend", "local", "--from-url", &url]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("nothing moved"), "{stderr}");
    let plans: Value = serde_json::from_str(&p.read("snapshot/plans/listing.json")).unwrap();
    let (hot, cold) =
        (plans["cases"]["hot"]["shape"].as_str().unwrap(), plans["cases"]["cold"]["shape"].as_str().unwrap());
    assert_ne!(hot, cold, "production plans the hot and the cold status differently");
    assert_eq!(plans["cases"]["hot"]["params"][0], "hot(orders.status)", "no production value is recorded");

    // Fidelity at scale 1.0: every column within the bar.
    let (code, stdout, stderr) = run(&p, &["fidelity", "--backend", "local", "--format", "json"]).await;
    assert_eq!(code, 0, "{stderr}");
    let fidelity: Value = serde_json::from_str(&stdout).unwrap();
    eprintln!("{}", run(&p, &["fidelity", "--backend", "local"]).await.1);
    for name in [
        "orders.customer_id",
        "orders.status",
        "orders.amount",
        "orders.placed_at",
        "orders.promised_for",
        "orders.channel",
        "orders.note",
        "customers.region",
    ] {
        let c = column(&fidelity, name);
        let (pr, w) = (&c["production"], &c["world"]);
        let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(0.0);
        assert!((f(pr, "null_frac") - f(w, "null_frac")).abs() <= 0.01, "{name} null_frac: {c:#}");
        assert!(
            (f(pr, "distinct") - f(w, "distinct")).abs() <= 0.10 * f(pr, "distinct").max(1.0),
            "{name} distinct: {c:#}"
        );
        assert!(c["frequency_diff"].as_f64().unwrap() <= 0.01, "{name} frequencies: {c:#}");
        assert!((f(pr, "correlation") - f(w, "correlation")).abs() <= 0.15, "{name} correlation: {c:#}");
        assert!(c["quantile_shift"].as_f64().unwrap_or(0.0) <= 1.0, "{name} quantiles: {c:#}");
    }

    // A column that ignores production's distribution is outside the bar: normal amounts
    // instead of production's long tail.
    p.write("plangate.toml", &format!("{config}{CASES}").replace("amount = \"stats\"", "amount = \"normal(20, 5)\""));
    let (code, stdout, stderr) = run(&p, &["fidelity", "--backend", "local", "--format", "json"]).await;
    assert_eq!(code, 0, "{stderr}");
    let planted: Value = serde_json::from_str(&stdout).unwrap();
    let c = column(&planted, "orders.amount");
    assert!(c["quantile_shift"].as_f64().unwrap() > 2.0 && c["score"].as_f64().unwrap() > 2.0, "{c:#}");
    p.write("plangate.toml", &format!("{config}{CASES}"));

    // The gate at scales up to production's: the world plans like production, no mismatch.
    let (code, stdout, stderr) = run(&p, &["check", "--backend", "local", "--format", "json"]).await;
    assert!(code == 0 || code == 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let text = report.to_string();
    assert!(!text.contains("world_mismatch"), "the world plans like production: {report:#}");
    // The world from the snapshot is the same world every run: the same work, block for block.
    let (_, again, _) = run(&p, &["check", "--backend", "local", "--format", "json"]).await;
    let again: Value = serde_json::from_str(&again).unwrap();
    assert_eq!(works(&report), works(&again), "the same snapshot gives the same work");

    // A planted difference: a status that ignores production's skew raises the finding.
    let planted = format!("{config}{CASES}")
        .replace("status = \"stats\"", "status = 'choice(\"a\", \"b\", \"c\", \"d\", \"e\")'");
    p.write("plangate.toml", &planted);
    let (code, stdout, stderr) = run(&p, &["check", "--backend", "local", "--format", "json"]).await;
    assert!(code == 0 || code == 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let text = report.to_string();
    assert!(text.contains("world_mismatch"), "a world without the skew plans differently: {report:#}");
    p.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread")]
async fn keep_values_drift_and_bad_input() {
    let (_cluster, url) = production().await;
    let p = Project::new(&[("schema/shop.sql", &format!("{SCHEMA}\nCREATE TABLE refunds (id int PRIMARY KEY);"))]);
    // A column whose values may be kept; a column that does not exist is named.
    let (code, _, stderr) =
        run(&p, &["init", "--backend", "local", "--from-url", &url, "--keep-values", "orders.nope"]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("orders.nope"), "{stderr}");
    assert!(!p.path().join("plangate.toml").exists() && !p.path().join("snapshot").exists());
    let (code, _, stderr) =
        run(&p, &["init", "--backend", "local", "--from-url", &url, "--keep-values", "orders.status"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(p.read("snapshot/tables/orders.json").contains("\"delivered\""));
    assert!(stderr.contains("`refunds` is in the schema but not in production"), "{stderr}");

    // Drift: production grows and its skew sharpens; init again refreshes the snapshot in place.
    let mut conn = PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO orders (customer_id, status, amount, placed_at)
         SELECT 1, 'returned', 10, TIMESTAMP '2025-01-01' + g * interval '1 minute' FROM generate_series(1, 30000) g;
         ANALYZE orders;",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let config = p.read("plangate.toml");
    let (code, _, stderr) = run(&p, &["init", "--backend", "local", "--from-url", &url]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("orders: 50000 -> 80000 rows"), "{stderr}");
    assert!(stderr.contains("orders.status: skew flattened"), "{stderr}");
    assert!(stderr.contains("orders.status: new hot values: returned"), "kept values stay kept: {stderr}");
    assert!(stderr.contains("orders.customer_id: skew sharpened"), "{stderr}");
    assert_eq!(p.read("plangate.toml"), config, "the config is the user's: left as it is");

    // A user who may read none of the tables: a clear message, exit 2, nothing written.
    sqlx::raw_sql("CREATE ROLE outsider LOGIN PASSWORD 'pw'; REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC")
        .execute(&mut conn)
        .await
        .unwrap();
    let q = Project::new(&[("schema/shop.sql", SCHEMA)]);
    let outsider = url.replacen("postgres://postgres@", "postgres://outsider:pw@", 1);
    let (code, _, stderr) = run(&q, &["init", "--backend", "local", "--from-url", &outsider]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("may read none") && !stderr.contains(":pw@"), "{stderr}");
    assert!(!q.path().join("plangate.toml").exists() && !q.path().join("snapshot").exists());
    q.assert_nothing_left();
    p.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_catalog_from_productions_workload() {
    let settings = [("shared_preload_libraries".to_string(), "pg_stat_statements".to_string())];
    let cluster = LocalCluster::start(find_bindir().expect("Postgres server binaries"), &settings).await.unwrap();
    let url = cluster.url("postgres");
    let mut conn = PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(SCHEMA).execute(&mut conn).await.unwrap();
    sqlx::raw_sql(DATA).execute(&mut conn).await.unwrap();
    // Without the extension: said, and the rest of init goes on.
    let p = Project::new(&[("schema/shop.sql", SCHEMA)]);
    let (code, _, stderr) = run(&p, &["init", "--backend", "local", "--from-url", &url, "--queries", "3"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("pg_stat_statements is not installed"), "{stderr}");
    assert!(!p.path().join("queries").exists());

    // A workload: listings (many calls), a lookup, a join, writes, utility statements and
    // a catalog query, each with constants pg_stat_statements normalizes to $n.
    sqlx::raw_sql("CREATE EXTENSION pg_stat_statements; SELECT pg_stat_statements_reset();")
        .execute(&mut conn)
        .await
        .unwrap();
    for i in 0..30 {
        let status = ["delivered", "shipped", "lost"][i % 3];
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "SELECT id, amount FROM orders WHERE status = '{status}' ORDER BY placed_at DESC LIMIT 20;
             SELECT * FROM orders WHERE customer_id = {i} AND amount > 10;
             SELECT c.region, count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = '{status}' GROUP BY c.region;
             UPDATE orders SET note = 'x' WHERE id = {i};
             SELECT relname FROM pg_class WHERE relpages > {i};
             SET work_mem = '8MB';"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let q = Project::new(&[("schema/shop.sql", SCHEMA)]);
    let (code, _, stderr) = run(&q, &["init", "--backend", "local", "--from-url", &url, "--queries", "3"]).await;
    assert_eq!(code, 0, "{stderr}");
    let mut names: Vec<String> = std::fs::read_dir(q.path().join("queries"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["orders_by_customer_id_amount.sql", "orders_by_status.sql", "orders_customers_by_status.sql"]);
    let listing = q.read("queries/orders_by_status.sql");
    assert!(listing.contains("WHERE status = $1") && listing.contains("LIMIT $2"), "{listing}");
    assert!(stderr.contains("skipped") && stderr.contains("not a plain read"), "{stderr}");
    let config = q.read("plangate.toml");
    assert!(config.contains("[query.orders_by_status]\nparams = [\"hot(orders.status)\", 20]"), "{config}");
    // Production planned each, and the written catalog runs as it is.
    assert!(q.path().join("snapshot/plans/orders_customers_by_status.json").exists());
    let small = config.replace("rows = 50000", "rows = 5000").replace("rows = 2000", "rows = 200");
    q.write("plangate.toml", &small.replace("factors = [0.01, 0.1, 1]", "factors = [0.1, 1]"));
    let (code, _, stderr) = run(&q, &["check", "--backend", "local"]).await;
    assert!(code == 0 || code == 1, "{stderr}");
    q.assert_nothing_left();
    p.assert_nothing_left();
}

/// "Production" for a schema not designed here: the schema applied, the data of its test
/// config loaded by plangate at scale 1.0, then analyzed as Postgres does by default (a
/// sample of the rows), so production's statistics are its own estimates.
async fn production_of(data: &str) -> (LocalCluster, String) {
    use plangate::config::{Overrides, Settings};
    use plangate::datagen::{load::Loader, model::DataModel};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(data);
    let path = root.join("plangate.toml");
    let settings = Settings::from_text(&path, &std::fs::read_to_string(&path).unwrap(), &Overrides::default()).unwrap();
    let cluster = LocalCluster::start(find_bindir().expect("Postgres server binaries"), &[]).await.unwrap();
    let mut conn = PgConnection::connect_with(&cluster.connect_options("postgres")).await.unwrap();
    plangate::postgres::schema::apply(&mut conn, &settings.schema, plangate::postgres::schema::Target::Throwaway)
        .await
        .unwrap();
    let catalog = plangate::datagen::schema::read(&mut conn).await.unwrap();
    let model = DataModel::build(&settings, &catalog).unwrap();
    let mut loader = Loader::new(&mut conn, None, model, settings.seed).await.unwrap();
    loader.grow_to(&mut conn, 1.0, |_| {}).await.unwrap();
    sqlx::raw_sql("RESET default_statistics_target; ANALYZE").execute(&mut conn).await.unwrap();
    let url = cluster.url("postgres");
    (cluster, url)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pg_dump_and_a_migrations_folder_from_production_to_a_checked_world() {
    for data in ["helpdesk", "blog"] {
        let (_cluster, url) = production_of(data).await;
        let p = Project::from_data(data);
        let original = p.read("plangate.toml");
        std::fs::remove_file(p.path().join("plangate.toml")).unwrap();
        let schema = if data == "blog" { "migrations" } else { "schema/*.sql" };
        let (code, _, stderr) = run(&p, &["init", "--backend", "local", "--schema", schema, "--from-url", &url]).await;
        assert_eq!(code, 0, "{data}: {stderr}");
        let config = p.read("plangate.toml");
        assert!(config.contains(" = \"stats\""), "{data}: {config}");
        // The original's parameters for the catalog (some are not inferable: a text search).
        let head = config.split("\n[query.").next().unwrap().to_string();
        let queries = &original[original.find("\n[query.").unwrap()..];
        p.write("plangate.toml", &format!("{head}{queries}").replace("factors = [0.01, 0.1, 1]", "factors = [0.1, 1]"));
        let (code, stdout, stderr) = run(&p, &["fidelity", "--backend", "local", "--format", "json"]).await;
        assert_eq!(code, 0, "{data}: {stderr}");
        let fidelity: Value = serde_json::from_str(&stdout).unwrap();
        let columns = fidelity["columns"].as_array().unwrap();
        let off: Vec<String> = columns
            .iter()
            .filter(|c| c["from_stats"] == true && c["score"].as_f64().unwrap() > 1.0)
            .map(|c| format!("{}.{} ({})", c["table"].as_str().unwrap(), c["column"].as_str().unwrap(), c["worst"]))
            .collect();
        let from_stats = columns.iter().filter(|c| c["from_stats"] == true).count();
        let worst = columns
            .iter()
            .filter(|c| c["from_stats"] == true)
            .map(|c| c["score"].as_f64().unwrap())
            .fold(0.0, f64::max);
        eprintln!("{data}: {from_stats} stats columns, the worst {worst:.2} of the bar, outside it: {off:?}");
        // Production's statistics come from a sample of its rows, different each run; the
        // world reproduces whichever sample it is given, every column within the bar.
        for c in columns.iter().filter(|c| c["from_stats"] == true) {
            assert!(c["score"].as_f64().unwrap() <= 1.0, "{data}: {c:#}");
        }
        assert!(from_stats >= 5, "{data}: {fidelity:#}");
        let (code, stdout, stderr) = run(&p, &["check", "--backend", "local", "--format", "json"]).await;
        assert!(code == 0 || code == 1, "{data}: {stderr}");
        let report: Value = serde_json::from_str(&stdout).unwrap();
        assert!(report["queries"].as_array().is_some_and(|q| !q.is_empty()), "{data}: {report:#}");
        p.assert_nothing_left();
    }
}

/// A repository whose config names only its queries' cases: init from production adds every
/// table, with production's rows and `stats` generators, after the user's text; the check
/// then runs on it.
#[tokio::test(flavor = "multi_thread")]
async fn init_from_production_into_a_config_of_cases_only_adds_the_tables() {
    let (_cluster, url) = production().await;
    let p = Project::new(&[("schema/shop.sql", SCHEMA), ("queries/listing.sql", LISTING), ("plangate.toml", CASES)]);
    let (code, _, stderr) = run(&p, &["init", "--backend", "local", "--from-url", &url]).await;
    assert_eq!(code, 0, "{stderr}");
    let config = p.read("plangate.toml");
    assert!(config.starts_with(CASES), "the user's text stays first and whole:\n{config}");
    assert!(config.contains("[tables.orders]\nrows = 50000\n"), "{config}");
    assert!(config.contains("customer_id = \"stats(ref = customers.id)\""), "{config}");
    assert!(!config.contains("[query.listing]\n"), "the query's own section is the user's: {config}");
    assert!(stderr.contains("added to plangate.toml") && stderr.contains("orders"), "{stderr}");
    assert!(p.path().join("snapshot/tables/orders.json").exists());
    let (code, stdout, stderr) = run(&p, &["check", "--backend", "local"]).await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    p.assert_nothing_left();
}

/// A fan-out production: every one of 1,000 parents has one to three children, and ten hot
/// parents have hundreds more. The world uses every parent production uses at production's
/// size: with parents numbered 1, 2, 3 (children mostly in parent order; the hot ones stay
/// hot) and with parents keyed by uuid (children in no order; a uuid's values, and so which
/// parents are hot, are not recorded).
#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_key_uses_every_parent_production_uses() {
    const NUMBERED: &str = "
CREATE TABLE projects (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE tasks (id bigserial PRIMARY KEY, project_id int NOT NULL REFERENCES projects(id), title text NOT NULL);
";
    const UUIDS: &str = "
CREATE TABLE projects (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);
CREATE TABLE tasks (id bigserial PRIMARY KEY, project_id uuid NOT NULL REFERENCES projects(id), title text NOT NULL);
";
    // Every project has a task, some two or three; ten are hot.
    const DATA: &str = "
SELECT setseed(0.17);
INSERT INTO projects (name) SELECT 'p' || g FROM generate_series(1, 1000) g;
INSERT INTO tasks (project_id, title)
SELECT id, t FROM (
    SELECT p.id, 't' AS t, p.n FROM (SELECT id, row_number() OVER (ORDER BY name) AS n FROM projects) p,
        generate_series(1, 3) k WHERE k = 1 OR random() < 0.05
    UNION ALL
    SELECT p.id, 'hot', p.n FROM (SELECT id, row_number() OVER (ORDER BY name) AS n FROM projects) p,
        generate_series(1, 30) g WHERE p.n % 97 = 1
) s ORDER BY ORDERING;
ANALYZE;
";
    for (schema, ordering) in [(NUMBERED, "n + random() * 600"), (UUIDS, "random()")] {
        let cluster = LocalCluster::start(find_bindir().expect("Postgres server binaries"), &[]).await.unwrap();
        let url = cluster.url("postgres");
        let mut conn = PgConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(schema).execute(&mut conn).await.unwrap();
        sqlx::raw_sql(AssertSqlSafe(DATA.replace("ORDERING", ordering))).execute(&mut conn).await.unwrap();
        let used: i64 =
            sqlx::query_scalar("SELECT count(DISTINCT project_id) FROM tasks").fetch_one(&mut conn).await.unwrap();
        assert_eq!(used, 1000);
        let p = Project::new(&[
            ("schema/fanout.sql", schema),
            ("queries/tasks.sql", "SELECT id, title FROM tasks WHERE project_id = $1 ORDER BY id LIMIT 20"),
        ]);
        let (code, _, stderr) = run(&p, &["init", "--backend", "local", "--from-url", &url]).await;
        assert_eq!(code, 0, "{stderr}");
        let config = p.read("plangate.toml");
        assert!(config.contains("project_id = \"stats(ref = projects.id)\""), "{config}");
        let (code, stdout, stderr) = run(&p, &["fidelity", "--backend", "local", "--format", "json"]).await;
        assert_eq!(code, 0, "{stderr}");
        let fidelity: Value = serde_json::from_str(&stdout).unwrap();
        let c = column(&fidelity, "tasks.project_id");
        let (pr, w) = (&c["production"], &c["world"]);
        eprintln!("{c:#}");
        let distinct = |v: &Value| v["distinct"].as_f64().unwrap();
        assert!((distinct(pr) - 1000.0).abs() <= 10.0, "production's statistics: {c:#}");
        assert!((distinct(w) - distinct(pr)).abs() <= 0.01 * distinct(pr), "every parent used: {c:#}");
        assert!(c["frequency_diff"].as_f64().unwrap() <= 0.01, "the hot parents stay hot: {c:#}");
        p.assert_nothing_left();
    }
}

/// Production runs parallel plans (parallel query is on by default), the world does not:
/// the same plan run by several processes is no mismatch, and an index only production has
/// still is one.
#[tokio::test(flavor = "multi_thread")]
async fn parallel_plans_in_production_are_no_mismatch_and_a_real_difference_is() {
    let parallel: Vec<(String, String)> = [
        ("parallel_setup_cost", "0"),
        ("parallel_tuple_cost", "0"),
        ("min_parallel_table_scan_size", "0"),
        ("max_parallel_workers_per_gather", "2"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
    .collect();
    let cluster = LocalCluster::start(find_bindir().expect("Postgres server binaries"), &parallel).await.unwrap();
    let url = cluster.url("postgres");
    let mut conn = PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(SCHEMA).execute(&mut conn).await.unwrap();
    sqlx::raw_sql(DATA).execute(&mut conn).await.unwrap();
    // Only production has it: the planted difference.
    sqlx::raw_sql("CREATE INDEX orders_customer_idx ON orders (customer_id); ANALYZE orders")
        .execute(&mut conn)
        .await
        .unwrap();
    let p = Project::new(&[
        ("schema/shop.sql", SCHEMA),
        ("queries/by_status.sql", "SELECT status, count(*), sum(amount) FROM orders GROUP BY status"),
        ("queries/by_customer.sql", "SELECT id, amount FROM orders WHERE customer_id = $1"),
    ]);
    let (code, _, stderr) = run(&p, &["init", "--backend", "local", "--from-url", &url]).await;
    assert_eq!(code, 0, "{stderr}");
    let plans = p.read("snapshot/plans/by_status.json");
    assert!(
        plans.contains("Gather") && plans.contains("Partial HashAggregate"),
        "production plans in parallel: {plans}"
    );
    let (code, stdout, stderr) = run(&p, &["check", "--backend", "local", "--format", "json"]).await;
    assert!(code == 0 || code == 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let mismatches: Vec<(String, String)> =
        report["queries"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|q| {
                q["cases"].as_array().unwrap().iter().flat_map(move |c| {
                    c["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "world_mismatch").map(move |f| {
                        (q["name"].as_str().unwrap().to_string(), f["detail"].as_str().unwrap().to_string())
                    })
                })
            })
            .collect();
    assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
    assert_eq!(mismatches[0].0, "by_customer", "{mismatches:#?}");
    let detail = &mismatches[0].1;
    assert!(detail.contains("orders_customer_idx") || detail.contains("production has `Bitmap Heap Scan"), "{detail}");
    p.assert_nothing_left();
}
