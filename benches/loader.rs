//! Loader benchmarks (issue targets; not timed assertions).
//!
//! `cargo bench --bench loader`        throughput: plangate's generate-and-COPY vs a raw
//!                                     `COPY FROM STDIN` of pre-generated rows of the same
//!                                     7-column shape, into the same bare table, alternating
//!                                     rounds in one run; prints medians and their ratio.
//! `cargo bench --bench loader -- stats` the same with `stats` generators: production's
//!                                     statistics taken from a first load of that table.
//! `cargo bench --bench loader -- rss` peak resident memory of `plangate check` loading
//!                                     10M rows of that table (`VmHWM` of the plangate process).
#![allow(clippy::cast_precision_loss, reason = "rates and sizes printed to three digits")]

use std::path::Path;
use std::time::{Duration, Instant};

use plangate::config::Overrides;
use plangate::config::Settings;
use plangate::datagen::load::Loader;
use plangate::datagen::model::DataModel;
use plangate::postgres::local::{LocalCluster, find_bindir};
use plangate::postgres::schema;
use sqlx::{Connection, PgConnection};

const SCHEMA: &str = "CREATE TABLE bench (id bigint, a int, b float8, c bool, d timestamptz, e text, f int);";
const COLUMNS: &str = r#"
[tables.bench.columns]
id = "serial"
a  = "int(1, 1000000)"
b  = "float(0, 1000)"
c  = "bool(0.5)"
d  = "timestamp(days = 1000)"
e  = "text(1, 3)"
f  = "zipf(1000, 1.1)"
"#;
const ROWS: u64 = 1_000_000;
const ROUNDS: usize = 5;

fn main() {
    let rss = std::env::args().any(|a| a == "rss");
    let stats = std::env::args().any(|a| a == "stats");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    if rss { peak_rss() } else { rt.block_on(throughput(stats)) }
}

fn project(rows: u64, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("schema")).unwrap();
    std::fs::create_dir_all(dir.path().join("queries")).unwrap();
    std::fs::write(dir.path().join("schema/s.sql"), SCHEMA).unwrap();
    std::fs::write(dir.path().join("queries/one.sql"), "SELECT id FROM bench WHERE id = 1").unwrap();
    let config = format!("[scales]\nfactors = [1.0]\n{extra}\n[tables.bench]\nrows = {rows}\n{COLUMNS}");
    std::fs::write(dir.path().join("plangate.toml"), config).unwrap();
    dir
}

/// The same rows as `raw_rows`, in COPY's binary format (Postgres epoch: 2000-01-01).
#[expect(clippy::cast_possible_truncation, clippy::cast_possible_wrap, reason = "row numbers stay far below 2^31")]
fn raw_rows_binary() -> Vec<Vec<u8>> {
    let words = ["amber", "basil", "cedar", "delta", "ember", "fern", "garnet", "harbor"];
    let mut chunks = Vec::new();
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&0i32.to_be_bytes());
    buf.extend_from_slice(&0i32.to_be_bytes());
    let field = |buf: &mut Vec<u8>, bytes: &[u8]| {
        buf.extend_from_slice(&i32::try_from(bytes.len()).unwrap().to_be_bytes());
        buf.extend_from_slice(bytes);
    };
    for i in 0..ROWS {
        let (d, s) = (1 + i * 7919 % 1000, i * 104_729 % 86_400);
        buf.extend_from_slice(&7i16.to_be_bytes());
        field(&mut buf, &(i as i64).to_be_bytes());
        field(&mut buf, &((1 + i * 48_271 % 1_000_000) as i32).to_be_bytes());
        field(&mut buf, &((i % 1000) as f64 + (i % 997) as f64 / 1000.0).to_be_bytes());
        field(&mut buf, &[u8::from(i % 2 == 0)]);
        // 2024-MM-DD hh:mm:ss as microseconds since 2000-01-01.
        let days = 8766 + (d % 12) * 30 + d % 28;
        field(&mut buf, &(((days * 86_400 + s) * 1_000_000) as i64).to_be_bytes());
        field(&mut buf, format!("{} {}", words[(i % 8) as usize], words[(i / 8 % 8) as usize]).as_bytes());
        field(&mut buf, &((1 + i % 1000) as i32).to_be_bytes());
        if buf.len() >= 1 << 20 {
            chunks.push(std::mem::replace(&mut buf, Vec::with_capacity(1 << 20)));
        }
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes());
    chunks.push(buf);
    chunks
}

/// Rows of the same shape and similar widths, generated up front in 1 MiB chunks.
fn raw_rows() -> Vec<Vec<u8>> {
    use std::io::Write;
    let words = ["amber", "basil", "cedar", "delta", "ember", "fern", "garnet", "harbor"];
    let mut chunks = Vec::new();
    let mut buf = Vec::with_capacity(1 << 20);
    for i in 0..ROWS {
        let (d, s) = (1 + i * 7919 % 1000, i * 104_729 % 86_400);
        writeln!(
            buf,
            "{i}\t{}\t{}.{}\t{}\t2024-{:02}-{:02} {:02}:{:02}:{:02}+00\t{} {}\t{}",
            1 + i * 48_271 % 1_000_000,
            i % 1000,
            i % 997,
            if i % 2 == 0 { 't' } else { 'f' },
            1 + d % 12,
            1 + d % 28,
            s / 3600,
            s / 60 % 60,
            s % 60,
            words[(i % 8) as usize],
            words[(i / 8 % 8) as usize],
            1 + i % 1000
        )
        .unwrap();
        if buf.len() >= 1 << 20 {
            chunks.push(std::mem::replace(&mut buf, Vec::with_capacity(1 << 20)));
        }
    }
    chunks.push(buf);
    chunks
}

fn settings_of(dir: &Path) -> Settings {
    let path = dir.join("plangate.toml");
    Settings::from_text(&path, &std::fs::read_to_string(&path).unwrap(), &Overrides::default()).unwrap()
}

async fn throughput(stats: bool) {
    let dir = project(ROWS, "");
    let mut settings = settings_of(dir.path());
    let cluster = LocalCluster::start(find_bindir().expect("Postgres server binaries"), &[]).await.unwrap();
    let mut conn = PgConnection::connect_with(&cluster.connect_options("postgres")).await.unwrap();
    schema::apply(&mut conn, &settings.schema, schema::Target::Throwaway).await.unwrap();
    let catalog = plangate::datagen::schema::read(&mut conn).await.unwrap();
    let mut model = DataModel::build(&settings, &catalog).unwrap();
    if stats {
        // "Production": the table as the plain generators make it, analyzed as Postgres
        // does by default; its statistics become the snapshot the stats generators read.
        let mut loader = Loader::new(&mut conn, None, model.clone(), settings.seed).await.unwrap();
        loader.grow_to(&mut conn, 1.0, |_| {}).await.unwrap();
        sqlx::raw_sql("SET default_statistics_target = 100; ANALYZE bench").execute(&mut conn).await.unwrap();
        let production = plangate::postgres::production::statistics(&mut conn).await.unwrap();
        let snapshot = plangate::snapshot::Snapshot::new(dir.path().join("snapshot"));
        snapshot.write_table(&production.tables["bench"]).unwrap();
        let config = std::fs::read_to_string(dir.path().join("plangate.toml")).unwrap();
        let stats_columns = "[tables.bench.columns]\nid = \"serial\"\na = \"stats\"\nb = \"stats\"\nc = \"stats\"\nd = \"stats\"\ne = \"stats\"\nf = \"stats\"\n";
        std::fs::write(dir.path().join("plangate.toml"), config.replace(COLUMNS, &format!("\n{stats_columns}")))
            .unwrap();
        settings = settings_of(dir.path());
        model = DataModel::build(&settings, &catalog).unwrap();
        println!("columns a..f: stats generators from the first load's pg_stats");
    }
    let gens = plangate::datagen::generate::compile(&model, settings.seed, None, &[1.0]).unwrap();
    for binary in [false, true] {
        let mut generate_ms = Vec::new();
        for _ in 0..ROUNDS {
            let t = Instant::now();
            let (mut buf, mut scratch) = (Vec::with_capacity(1 << 21), Vec::new());
            for g in &gens {
                let mut row = g.start;
                while row < g.end {
                    let to = (row + 256).min(g.end);
                    if binary {
                        g.write_rows_binary(row, to, &mut buf, &mut scratch).unwrap();
                    } else {
                        g.write_rows(row, to, &mut buf);
                    }
                    row = to;
                    if buf.len() >= 1 << 20 {
                        buf.clear();
                    }
                }
            }
            generate_ms.push(t.elapsed());
        }
        generate_ms.sort();
        let format = if binary { "binary" } else { "text" };
        println!("plangate generating {format} rows alone (median): {:?}", generate_ms[ROUNDS / 2]);
    }
    let raw = raw_rows();
    let raw_bytes: usize = raw.iter().map(Vec::len).sum();
    let binary = raw_rows_binary();

    let (mut raw_ms, mut gen_ms, mut bin_ms) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        sqlx::raw_sql("TRUNCATE bench").execute(&mut conn).await.unwrap();
        let t = Instant::now();
        let mut copy = conn.copy_in_raw("COPY bench FROM STDIN (FORMAT binary)").await.unwrap();
        for chunk in &binary {
            copy.send(chunk.as_slice()).await.unwrap();
        }
        assert_eq!(copy.finish().await.unwrap(), ROWS);
        bin_ms.push(t.elapsed());

        sqlx::raw_sql("TRUNCATE bench").execute(&mut conn).await.unwrap();
        let t = Instant::now();
        let mut copy = conn.copy_in_raw("COPY bench FROM STDIN").await.unwrap();
        for chunk in &raw {
            copy.send(chunk.as_slice()).await.unwrap();
        }
        assert_eq!(copy.finish().await.unwrap(), ROWS);
        raw_ms.push(t.elapsed());

        sqlx::raw_sql("TRUNCATE bench").execute(&mut conn).await.unwrap();
        let mut loader = Loader::new(&mut conn, None, model.clone(), settings.seed).await.unwrap();
        let mut copy_ms = 0;
        loader
            .grow_to(&mut conn, 1.0, |e| {
                if let plangate::datagen::load::LoadEvent::Done(t) = e {
                    copy_ms = t.ms;
                }
            })
            .await
            .unwrap();
        gen_ms.push(Duration::from_millis(copy_ms));
        eprintln!(
            "round {round}: raw COPY text {:?}, binary {:?}, plangate {:?}",
            raw_ms[round], bin_ms[round], gen_ms[round]
        );
    }
    let bytes: i64 = sqlx::query_scalar("SELECT pg_table_size('bench')").fetch_one(&mut conn).await.unwrap();
    let med = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (raw_med, gen_med, bin_med) = (med(&mut raw_ms), med(&mut gen_ms), med(&mut bin_ms));
    let rate = |d: Duration| ROWS as f64 / d.as_secs_f64();
    println!(
        "rows per round:                 {ROWS} (7 columns; raw input {:.0} MB, table {:.0} MB)",
        raw_bytes as f64 / 1e6,
        bytes as f64 / 1e6
    );
    println!("raw COPY FROM STDIN (median):   {raw_med:?}  {:.2} M rows/s", rate(raw_med) / 1e6);
    println!("raw COPY binary (median):       {bin_med:?}  {:.2} M rows/s", rate(bin_med) / 1e6);
    println!("plangate generate+COPY (median): {gen_med:?}  {:.2} M rows/s", rate(gen_med) / 1e6);
    println!("ratio plangate / raw:           {:.2}x (target >= 0.8x)", rate(gen_med) / rate(raw_med));
    println!(
        "spread raw: {:?}..{:?}; plangate: {:?}..{:?}",
        raw_ms[0],
        raw_ms[ROUNDS - 1],
        gen_ms[0],
        gen_ms[ROUNDS - 1]
    );
}

/// Peak RSS of the plangate process (`VmHWM`, polled until it exits) for a 10M-row load.
fn peak_rss() {
    let rows = 10_000_000;
    let dir = project(rows, "[thresholds]\nrepeats = 1");
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/plangate");
    assert!(bin.is_file(), "build the release binary first: cargo build --release");
    let started = Instant::now();
    let mut child = std::process::Command::new(bin)
        .args(["check", "--format", "json"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
                peak_kb = peak_kb.max(line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0));
            }
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    println!("rows loaded:            {rows}");
    println!("plangate peak RSS:      {:.1} MB (target < 300 MB)", peak_kb as f64 / 1024.0);
    println!("wall time of the check: {:.1} s", started.elapsed().as_secs_f64());
}
