//! Cold and warm `check`, whole processes, for the world cache's targets (printed, never
//! asserted: medians of rounds that alternate, on a noisy machine).
//!
//! `cargo bench --bench world`               the listing benchmark (benches/listing): the
//!                                           hand-made peer `benches/naive_listing.sh`, a cold
//!                                           plangate check (`--no-cache`: what a first run
//!                                           does, minus keeping the world) and a warm one,
//!                                           5 rounds alternating; medians and ratios
//! `cargo bench --bench world -- repo`       the repo's catalog: cold, warm, and warm after
//!                                           one index changed, 3 rounds alternating
//! `cargo bench --bench world -- catalog100` a generated catalog of 30 tables and 100
//!                                           queries, about 20M rows at scale 1: a cold check
//!                                           that keeps its world, then warm checks of 25, 50
//!                                           and 100 queries; each phase's share, peak memory
//!                                           of plangate and of the server, the world's disk;
//!                                           and a cold check at a quarter of the rows;
//!                                           with `--write DIR`, only writes its project there
//!
//! Each check writes its JSON report; the phases come from its `timings`. Before each timed
//! process the disk is synced (untimed), so that no run pays for the previous one's writes.

mod catalog100;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROUNDS: usize = 5;
const REPO_ROUNDS: usize = 3;

fn main() {
    let which = std::env::args().skip(1).find(|a| !a.starts_with('-')).unwrap_or_default();
    match which.as_str() {
        "repo" => repo(),
        "catalog100" => match std::env::args().skip_while(|a| a != "--write").nth(1) {
            Some(dir) => catalog100::write(Path::new(&dir)),
            None => catalog100::run(),
        },
        _ => listing(),
    }
}

/// One whole process: its wall time, its report, and the peak memory seen.
pub struct Sample {
    pub secs: f64,
    pub report: serde_json::Value,
    /// Peak resident memory of plangate itself (`VmHWM`), in MiB.
    pub plangate_mib: f64,
    /// Peak proportional memory of the Postgres processes plangate started, summed, in MiB.
    pub server_mib: f64,
}

/// `plangate check ARGS --format json` in `dir` with the cache in `cache`, timed only (the
/// peer is timed the same way).
pub fn check(dir: &Path, cache: &Path, args: &[&str]) -> Sample {
    run_check(dir, cache, args, false)
}

/// [`check`], also sampling the peak memory of plangate and of its server every 100 ms
/// (reading the server's page tables costs the run some CPU: only where memory is reported).
pub fn check_with_memory(dir: &Path, cache: &Path, args: &[&str]) -> Sample {
    run_check(dir, cache, args, true)
}

fn run_check(dir: &Path, cache: &Path, args: &[&str], memory: bool) -> Sample {
    let report = dir.join("bench-report.json");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plangate"));
    cmd.arg("check")
        .args(args)
        .args(["--format", "json", "--output"])
        .arg(&report)
        .current_dir(dir)
        .env("PLANGATE_CACHE_DIR", cache)
        .env("CI", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    settle();
    let t = Instant::now();
    let mut child = cmd.spawn().expect("plangate runs");
    let (mut plangate_kib, mut server_kib) = (0u64, 0u64);
    let pid = child.id();
    while child.try_wait().expect("waiting for plangate").is_none() {
        if memory {
            plangate_kib = plangate_kib.max(status_kib(pid, "VmHWM:"));
            server_kib = server_kib.max(descendants(pid).iter().map(|&p| pss_kib(p)).sum());
            std::thread::sleep(Duration::from_millis(100));
        } else {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let out = child.wait_with_output().expect("plangate ends");
    assert!(out.status.code().is_some_and(|c| c <= 1), "plangate {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&report).expect("the report");
    #[expect(clippy::cast_precision_loss)]
    let mib = |kib: u64| kib as f64 / 1024.0;
    Sample {
        secs,
        report: serde_json::from_str(&text).expect("a JSON report"),
        plangate_mib: mib(plangate_kib),
        server_mib: mib(server_kib),
    }
}

/// Let the previous run's writes reach the disk before the next is timed, so that each
/// starts on a quiet disk, as a CI job does (untimed; the same for every contender).
fn settle() {
    let _ = Command::new("sync").status();
}

/// A field of /proc/PID/status in KiB (0 once the process is gone).
fn status_kib(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Proportional set size of a process in KiB (shared buffers counted once over all).
fn pss_kib(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Every process below `root` (the server and its backends).
fn descendants(root: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        // The fields after the command, which is in parentheses: state, ppid, ...
        let parent =
            stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(1)).and_then(|p| p.parse().ok());
        if let Some(parent) = parent {
            parents.push((pid, parent));
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out.remove(0);
    out
}

/// Each phase's share of the run, as the report's timings give it. Load, index, analyze and
/// copy are summed over the lanes that build scales at the same time, so their shares can add
/// up to more than the whole.
pub fn phases(report: &serde_json::Value) -> String {
    let t = &report["timings"];
    let ms = |k: &str| t[k].as_u64().unwrap_or(0);
    let total = ms("total_ms").max(1);
    let parts = [
        ("start", ms("start_ms")),
        ("restore", ms("restore_ms")),
        ("schema", ms("schema_ms")),
        ("load", ms("load_ms")),
        ("index", ms("index_ms")),
        ("analyze", ms("analyze_ms")),
        ("copy", ms("copy_ms")),
        ("explain", ms("explain_ms")),
        ("of which generic plans", ms("generic_ms")),
        ("save", ms("save_ms")),
    ];
    #[expect(clippy::cast_precision_loss)]
    let shown: Vec<String> = parts
        .iter()
        .filter(|(_, v)| *v > 0)
        .map(|(k, v)| format!("{k} {v} ms ({:.0}%)", *v as f64 * 100.0 / total as f64))
        .collect();
    format!("[{}] {}", t["world"].as_str().unwrap_or("?"), shown.join(", "))
}

pub fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A copy of a folder of this repository in a new temporary folder.
pub fn project(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("plangate-bench-").tempdir().expect("a temporary folder");
    copy_tree(from, dir.path());
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).expect("a folder to copy").flatten() {
        let target = to.join(e.file_name());
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            std::fs::create_dir_all(&target).expect("a folder");
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("a file copied");
        }
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn listing() {
    let folder = project(&repo_root().join("benches/listing"));
    let dir = folder.path();
    std::fs::create_dir_all(dir.join("schema")).expect("a folder");
    copy_tree(&repo_root().join("schema"), &dir.join("schema"));
    let cache = dir.join(".cache");
    let naive = repo_root().join("benches/naive_listing.sh");
    // The first warm round needs a world: built once before timing.
    check(dir, &cache, &[]);
    let (mut hand, mut cold, mut first, mut warm) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        settle();
        let started = Instant::now();
        let out = Command::new("bash").arg(&naive).output().expect("bash runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        hand.push(started.elapsed().as_secs_f64());
        let uncached = check(dir, &cache, &["--no-cache"]);
        forget_worlds(&cache);
        let kept = check(dir, &cache, &[]);
        let cached = check(dir, &cache, &[]);
        println!(
            "round {round}: by hand {:.2} s\n  cold, --no-cache {:.2} s {}\n  cold, keeping the world {:.2} s {}\n  warm {:.2} s {}",
            hand[round - 1],
            uncached.secs,
            phases(&uncached.report),
            kept.secs,
            phases(&kept.report),
            cached.secs,
            phases(&cached.report)
        );
        cold.push(uncached.secs);
        first.push(kept.secs);
        warm.push(cached.secs);
    }
    let (by_hand, cold, first, warm) = (median(&hand), median(&cold), median(&first), median(&warm));
    println!(
        "median of {ROUNDS}: by hand {by_hand:.2} s; plangate cold {cold:.2} s ({:.1}x faster), cold keeping the world \
         {first:.2} s ({:.1}x), warm {warm:.2} s ({:.1}x)",
        by_hand / cold,
        by_hand / first,
        by_hand / warm
    );
    println!("(load, index, analyze and copy are summed over the two lanes that build scales at once)");
}

/// Remove the cached worlds, keeping the empty clusters: the next run is a cache miss on a
/// machine that has run plangate before.
fn forget_worlds(cache: &Path) {
    for e in std::fs::read_dir(cache.join("worlds")).into_iter().flatten().flatten() {
        let meta = std::fs::read_to_string(e.path().join("entry.json")).unwrap_or_default();
        if !meta.contains("\"scales\": []") {
            std::fs::remove_dir_all(e.path()).expect("a cached world removed");
        }
    }
}

fn repo() {
    let folder = project(&repo_root());
    let dir = folder.path();
    let cache = dir.join(".cache");
    let schema = dir.join("schema/001_shop.sql");
    let original = std::fs::read_to_string(&schema).expect("the shop's schema");
    let changed = original.replace(
        "CREATE INDEX order_items_product_idx ON order_items (product_id);",
        "CREATE INDEX order_items_product_idx ON order_items (product_id, quantity);",
    );
    assert_ne!(original, changed, "the index to change is in the schema");
    check(dir, &cache, &[]);
    let (mut cold, mut warm, mut index) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=REPO_ROUNDS {
        let uncached = check(dir, &cache, &["--no-cache"]);
        let cached = check(dir, &cache, &[]);
        std::fs::write(&schema, &changed).expect("the schema written");
        let reindexed = check(dir, &cache, &[]);
        std::fs::write(&schema, &original).expect("the schema written");
        println!(
            "round {round}: cold {:.2} s {}\n         warm {:.2} s {}\n         one index changed {:.2} s {}",
            uncached.secs,
            phases(&uncached.report),
            cached.secs,
            phases(&cached.report),
            reindexed.secs,
            phases(&reindexed.report)
        );
        cold.push(uncached.secs);
        warm.push(cached.secs);
        index.push(reindexed.secs);
    }
    println!(
        "median of {REPO_ROUNDS}: cold {:.2} s, warm {:.2} s, one index changed {:.2} s",
        median(&cold),
        median(&warm),
        median(&index)
    );
}
