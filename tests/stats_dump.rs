//! Production's shape from a statistics dump, against real Postgres 18: its own
//! `pg_dump --statistics-only`, written in a time zone other than UTC, read by
//! `plangate init --from-stats`, gives the snapshot `init --from-url` takes of the same
//! database.

mod common;

use std::collections::BTreeMap;

use common::Project;
use plangate::postgres::local::LocalCluster;
use serde_json::Value;
use sqlx::{Connection, PgConnection};

/// Partitions, an enum, a domain, times with a zone, text that needs quoting in an array
/// literal, a schema and names that need quotes, types whose values are not recorded, an
/// expression index (its statistics are the index's), extended statistics.
const SCHEMA: &str = r#"
CREATE TYPE channel AS ENUM ('web', 'app', 'store');
CREATE DOMAIN label AS text CHECK (length(VALUE) < 40);
CREATE TABLE customers (id serial PRIMARY KEY, region text NOT NULL, tags text[], doc jsonb);
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    customer_id int NOT NULL REFERENCES customers(id),
    status label NOT NULL,
    amount numeric(10,2) NOT NULL,
    placed_at timestamp NOT NULL,
    promised_for timestamptz,
    channel channel
);
CREATE INDEX orders_lower_status_idx ON orders (lower(status));
CREATE STATISTICS orders_status_channel (dependencies) ON status, channel FROM orders;
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE SCHEMA crm;
CREATE TABLE crm."Contact Notes" ("Body" text, "createdAt" timestamptz NOT NULL);
"#;

/// Only in production: the dump describes it, the schema does not.
const PRODUCTION_ONLY: &str = "CREATE TABLE audit_log (id int, what text);";

const DATA: &str = r#"
SELECT setseed(0.17);
INSERT INTO customers (region, tags, doc)
SELECT (ARRAY['north', 'south', 'it''s "quoted"', 'a,b', 'back\slash'])[1 + floor(random() ^ 2 * 5)::int],
       ARRAY['x', 'y'], '{"a": 1}'
FROM generate_series(1, 3000);
INSERT INTO orders (customer_id, status, amount, placed_at, promised_for, channel)
SELECT 1 + floor(random() * 3000)::int,
       CASE WHEN r < 0.9 THEN 'delivered' WHEN r < 0.97 THEN 'shipped' ELSE 'lost, then found' END,
       round((random() * 500)::numeric, 2),
       TIMESTAMP '2023-01-01' + g * interval '20 minutes',
       TIMESTAMPTZ '2024-03-10 00:00+00' + random() * interval '40 days',
       CASE WHEN random() < 0.2 THEN NULL ELSE (ARRAY['web', 'app', 'store'])[1 + floor(random() * 3)::int]::channel END
FROM (SELECT g, random() AS r FROM generate_series(1, 30000) g) s;
INSERT INTO events SELECT g, DATE '2023-01-01' + (g % 730), CASE WHEN g % 7 = 0 THEN 'click' ELSE 'view' END
FROM generate_series(1, 20000) g;
INSERT INTO crm."Contact Notes" SELECT 'note ' || (g % 50), TIMESTAMPTZ '2024-01-01 00:00+00' + g * interval '1 hour'
FROM generate_series(1, 2000) g;
INSERT INTO audit_log SELECT g, 'x' FROM generate_series(1, 100) g;
ANALYZE;
"#;

/// Every table file of a project's snapshot, by name.
fn tables(p: &Project) -> BTreeMap<String, Value> {
    let dir = p.path().join("snapshot/tables");
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(e.path()).unwrap()).unwrap();
        out.insert(v["table"].as_str().unwrap().to_string(), v);
    }
    out
}

/// Numbers within `tolerance` of each other, everything else equal; the first difference.
fn same(path: &str, a: &Value, b: &Value, tolerance: f64) -> Result<(), String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (x - y).abs() <= tolerance { Ok(()) } else { Err(format!("{path}: {x} against {y}")) }
        }
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                same(
                    &format!("{path}.{k}"),
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    tolerance,
                )?;
            }
            Ok(())
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().try_for_each(|(i, (x, y))| same(&format!("{path}[{i}]"), x, y, tolerance))
        }
        _ if a == b => Ok(()),
        _ => Err(format!("{path}: {a} against {b}")),
    }
}

fn run(p: &Project, args: &[&str]) -> (i32, String) {
    let (code, _, stderr) = p.run(args);
    (code, stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_statistics_dump_gives_the_snapshot_a_connection_gives() {
    let Some(bin) = common::postgres18("a_statistics_dump_gives_the_snapshot_a_connection_gives") else { return };
    let cluster = LocalCluster::start(bin.clone(), &[]).await.unwrap();
    let url = cluster.url("postgres");
    let mut conn = PgConnection::connect(&url).await.unwrap();
    for sql in [SCHEMA, PRODUCTION_ONLY, DATA] {
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();

    // The DBA's dump, in a session whose time zone is not UTC.
    let dump_dir = tempfile::tempdir().unwrap();
    let dump = dump_dir.path().join("production-stats.sql");
    let out = std::process::Command::new(bin.join("pg_dump"))
        .args(["--statistics-only", "--file"])
        .arg(&dump)
        .arg(&url)
        .env("PGTZ", "America/New_York")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&dump).unwrap();
    assert!(text.contains("-05\"") || text.contains("-04\""), "written in New York time");

    let from_url = Project::new(&[("schema/app.sql", SCHEMA)]);
    let (code, stderr) = run(&from_url, &["init", "--backend", "local", "--from-url", &url]);
    assert_eq!(code, 0, "{stderr}");
    let from_stats = Project::new(&[("schema/app.sql", SCHEMA)]);
    let (code, stderr) = run(&from_stats, &["init", "--backend", "local", "--from-stats", dump.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("skipped: audit_log (line"), "the table the schema lacks is named: {stderr}");

    // The same tables, rows, pages, values and frequencies; numbers within a millionth (far
    // inside the fidelity bar). A dump carries no extended statistics.
    let (mut a, b) = (tables(&from_url), tables(&from_stats));
    assert_eq!(a.keys().collect::<Vec<_>>(), ["crm.Contact Notes", "customers", "events", "orders"]);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert!(a["orders"]["extended"].is_array(), "production's extended statistics are read over a connection");
    a.get_mut("orders").unwrap().as_object_mut().unwrap().remove("extended");
    for (name, t) in &a {
        same(name, t, &b[name], 1e-6).unwrap();
    }
    // What the comparison covers: real values, made comparable.
    let orders = &b["orders"];
    assert!(orders["pages"].as_u64().unwrap() > 100, "{orders:#}");
    let promised = orders["columns"]["promised_for"]["histogram"][0].as_str().unwrap();
    assert!(promised.ends_with("+00"), "a timestamptz reads in UTC: {promised}");
    let events = &b["events"];
    assert_eq!(events["rows"], 20000, "a partitioned table's rows are its partitions'");
    assert!(events["columns"]["at"]["order_correlation"].is_f64(), "the order within partitions: {events:#}");
    assert!(b["customers"]["columns"]["tags"]["most_common"].is_null(), "arrays' values are not recorded");
    assert_eq!(b["customers"]["columns"]["region"]["surrogates"], true, "text is replaced by surrogates");
    let regions = from_stats.read("snapshot/tables/customers.json");
    assert!(!regions.contains("north"), "{regions}");

    // The same config, save for the command that refreshes it.
    let config = from_stats.read("plangate.toml");
    assert!(config.contains("`plangate init --from-stats"), "{config}");
    let refresh = |c: &str| c.lines().filter(|l| !l.contains("refreshed by running")).collect::<Vec<_>>().join("\n");
    assert_eq!(refresh(&from_url.read("plangate.toml")), refresh(&config));

    // Run again: a refresh that finds nothing moved and leaves the config alone.
    let (code, stderr) = run(&from_stats, &["init", "--backend", "local", "--from-stats", dump.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("refreshed") && stderr.contains("nothing moved"), "{stderr}");
    assert_eq!(from_stats.read("plangate.toml"), config);
    from_stats.assert_nothing_left();
}

#[test]
fn what_is_not_a_statistics_dump_is_refused_and_nothing_is_written() {
    let p = Project::new(&[("schema/app.sql", SCHEMA), ("schema.sql.dump", SCHEMA)]);
    let refused = |args: &[&str], says: &[&str]| {
        let (code, stderr) = run(&p, args);
        assert_eq!(code, 2, "{stderr}");
        for s in says {
            assert!(stderr.contains(s), "{s}: {stderr}");
        }
        assert!(!p.path().join("plangate.toml").exists() && !p.path().join("snapshot").exists());
    };
    // A schema dump is not a statistics dump: the first statement that is not is named.
    refused(
        &["init", "--backend", "local", "--from-stats", "schema.sql.dump"],
        &["schema.sql.dump", "line 2", "CREATE TYPE"],
    );
    refused(&["init", "--backend", "local", "--from-stats", "missing.sql"], &["missing.sql"]);
    p.write("broken.sql", "SELECT * FROM pg_catalog.pg_restore_relation_stats(\n 'schemaname', 'public',\n 'relname', 'orders',\n 'reltuples', 'many'::real);\n");
    refused(
        &["init", "--backend", "local", "--from-stats", "broken.sql"],
        &["broken.sql", "line 4", "`reltuples` is `many`"],
    );
    refused(
        &["init", "--backend", "local", "--from-stats", "broken.sql", "--from-url", "postgres://x@localhost/db"],
        &["--from-stats", "--from-url"],
    );
    p.assert_nothing_left();
}
