//! `plangate init --from-url` on a production of 50 tables and 500 columns (issue target;
//! not a timed assertion).
//!
//! `cargo bench --bench init` builds the production (50 tables of 10 columns of mixed types,
//! 5,000 rows each, analyzed), then runs `init --from-url` on a fresh repository five times
//! and prints each run's wall time and the median, and how long the same init takes
//! without a URL (the throwaway server and the schema: the part production does not cost).
#![allow(clippy::cast_precision_loss, reason = "times printed to a millisecond")]

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use plangate::postgres::local::{LocalCluster, find_bindir};
use sqlx::{Connection, PgConnection};

const TABLES: usize = 50;
const ROWS: usize = 5_000;
const RUNS: usize = 5;

fn schema() -> String {
    let mut sql = String::new();
    for t in 0..TABLES {
        let parent = if t == 0 { String::new() } else { format!(" REFERENCES t{}(id)", t - 1) };
        let _ = writeln!(
            sql,
            "CREATE TABLE t{t} (id int PRIMARY KEY, parent int{parent}, status text NOT NULL, amount numeric(10,2), \
             qty int, score float8, created_at timestamptz NOT NULL, day date, flag bool, note varchar(60));"
        );
    }
    sql
}

fn data() -> String {
    let mut sql = String::from("SELECT setseed(0.5);\n");
    for t in 0..TABLES {
        let parent = if t == 0 { "NULL".to_string() } else { "1 + (random() ^ 3 * 4999)::int".to_string() };
        let _ = writeln!(
            sql,
            "INSERT INTO t{t} SELECT g, {parent}, (ARRAY['new','paid','sent','done'])[1 + (random() ^ 2 * 3)::int],
                round((exp(random() * 6))::numeric, 2), (random() * 100)::int, random(),
                TIMESTAMPTZ '2024-01-01 00:00+00' + g * interval '7 minutes', DATE '2024-01-01' + (random() * 365)::int,
                random() < 0.3, CASE WHEN random() < 0.5 THEN NULL ELSE 'note ' || (random() * 900)::int END
             FROM generate_series(1, {ROWS}) g;"
        );
    }
    sql.push_str("ANALYZE;\n");
    sql
}

fn init(dir: &Path, args: &[&str]) -> Duration {
    let _ = std::fs::remove_file(dir.join("plangate.toml"));
    let _ = std::fs::remove_dir_all(dir.join("snapshot"));
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_plangate")).args(args).current_dir(dir).output().unwrap();
    let took = t.elapsed();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    took
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let cluster = rt.block_on(async {
        let cluster = LocalCluster::start(find_bindir().expect("Postgres server binaries"), &[]).await.unwrap();
        let mut conn = PgConnection::connect(&cluster.url("postgres")).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(schema())).execute(&mut conn).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(data())).execute(&mut conn).await.unwrap();
        cluster
    });
    let url = cluster.url("postgres");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("schema")).unwrap();
    std::fs::write(dir.path().join("schema/s.sql"), schema()).unwrap();

    let mut with = Vec::new();
    let mut without = Vec::new();
    for run in 0..RUNS {
        without.push(init(dir.path(), &["init", "--backend", "local"]));
        with.push(init(dir.path(), &["init", "--backend", "local", "--from-url", &url]));
        eprintln!("run {run}: init {:?}, init --from-url {:?}", without[run], with[run]);
    }
    let written = std::fs::read_dir(dir.path().join("snapshot/tables")).unwrap().count();
    let med = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (w, wo) = (med(&mut with), med(&mut without));
    println!(
        "production: {TABLES} tables, {} columns, {ROWS} rows each; snapshot files written: {written}",
        TABLES * 10
    );
    println!("init --from-url (median of {RUNS}): {w:?}");
    println!("init without a URL (median):      {wo:?}");
    println!("reading production and writing the snapshot: about {:?}", w.saturating_sub(wo));
    drop(cluster);
}
