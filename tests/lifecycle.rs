//! The throwaway Postgres is removed however a run ends: success, a failing query, a
//! panic, SIGINT and SIGTERM; on the url backend the scratch database is dropped.
#![allow(clippy::similar_names, reason = "pid and ppid are the names /proc uses")]

mod common;

use std::time::{Duration, Instant};

use common::{Project, children_of, processes_mentioning, small_project};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use plangate::postgres::local::{LocalCluster, find_bindir};
use sqlx::Connection;

const QUERY: &str = "SELECT count(*) FROM items WHERE kind = 3";

#[test]
fn success_leaves_nothing() {
    let p = small_project(QUERY);
    let (code, stdout, stderr) = p.run(&["check", "--backend", "local"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("by_kind"), "{stdout}");
    assert!(stdout.contains("Postgres 15") || stdout.contains("Postgres "), "report names the version: {stdout}");
    p.assert_nothing_left();
}

#[test]
fn failing_query_exits_2_naming_query_scale_and_message() {
    let p = small_project("SELECT 1 / (kind - kind) FROM items");
    let (code, _, stderr) = p.run(&["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("query `by_kind` failed at scale 0.1: division by zero"), "{stderr}");
    p.assert_nothing_left();
}

#[test]
fn panic_leaves_nothing() {
    let p = small_project(QUERY);
    let out = p.cmd(&["check"]).env("PLANGATE_TEST_PANIC_AFTER_START", "1").output().unwrap();
    assert_eq!(out.status.code(), Some(101), "{}", String::from_utf8_lossy(&out.stderr));
    p.assert_nothing_left();
}

/// The clusters in `/dev/shm` now.
fn in_memory_clusters() -> Vec<std::path::PathBuf> {
    std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("plangate-")))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_small_world_runs_in_memory_and_leaves_nothing_there() {
    // Without TMPDIR, a world this small goes to /dev/shm (on a machine that has one with
    // room); however the run ends, its cluster goes with it.
    let before = in_memory_clusters();
    for (query, want) in [(QUERY, 0), ("SELECT 1 / (kind - kind) FROM items", 2)] {
        let p = small_project(query);
        let out = p.cmd(&["check", "--backend", "local", "--no-cache"]).env_remove("TMPDIR").output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(want), "{stderr}");
        if !std::path::Path::new("/dev/shm").is_dir() {
            eprintln!("no /dev/shm here: the cluster ran on disk");
            return;
        }
        assert!(stderr.contains("(local backend, binaries ") && stderr.contains(", in memory)"), "{stderr}");
        let left: Vec<_> = in_memory_clusters().into_iter().filter(|c| !before.contains(c)).collect();
        assert!(left.is_empty(), "left behind in /dev/shm: {left:?}");
        let procs = processes_mentioning(std::path::Path::new("/dev/shm/plangate-"));
        assert!(procs.is_empty(), "postgres processes left behind: {procs:?}");
    }
}

/// Start `check` on a query that sleeps, wait until it runs, send `signal`, and check the exit.
fn interrupt(p: &Project, args: &[&str], signal: Signal, want_code: i32) {
    let child = p.cmd(args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    // Wait for the server, then give the load a moment so the signal lands mid-query.
    let deadline = Instant::now() + Duration::from_secs(30);
    while processes_mentioning(&p.tmp).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(2500));
    kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), signal).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(want_code), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    p.assert_nothing_left();
}

#[test]
fn sigint_mid_query_leaves_nothing() {
    let p = small_project("SELECT pg_sleep(60), count(*) FROM items");
    interrupt(&p, &["check", "--backend", "local"], Signal::SIGINT, 130);
}

#[test]
fn sigterm_mid_query_leaves_nothing() {
    let p = small_project("SELECT pg_sleep(60), count(*) FROM items");
    interrupt(&p, &["check", "--backend", "local"], Signal::SIGTERM, 143);
}

/// A cluster standing in for "an existing server", and the scratch databases on it.
async fn scratch_databases(cluster: &LocalCluster) -> Vec<String> {
    let mut conn = sqlx::PgConnection::connect(&cluster.url("postgres")).await.unwrap();
    sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE 'plangate_%'")
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn url_backend_uses_and_drops_a_scratch_database() {
    let cluster = LocalCluster::start(find_bindir().expect("Postgres server binaries"), &[]).await.unwrap();
    let url = cluster.url("postgres");
    let p = small_project(QUERY);
    let (code, stdout, stderr) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || {
            let r = p.run(&["check", "--database-url", &url]);
            p.assert_nothing_left();
            r
        }
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("url backend"), "{stdout}");
    assert!(scratch_databases(&cluster).await.is_empty());

    // The environment variable works too, and a signal still drops the database.
    let p = small_project("SELECT pg_sleep(60), count(*) FROM items");
    let child = p
        .cmd(&["check"])
        .env("PLANGATE_DATABASE_URL", &url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while scratch_databases(&cluster).await.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), Signal::SIGINT).unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(scratch_databases(&cluster).await.is_empty(), "scratch database left behind");
}

#[test]
fn a_migrations_folder_applies_by_version_not_by_name() {
    // By name, 10_ would run before 2_ and fail: the column it indexes comes in 2_.
    let p = Project::new(&[
        (
            "plangate.toml",
            "[schema]\nfiles = [\"migrations\"]\n[scales]\nfactors = [1.0]\n[thresholds]\nrepeats = 1\n[tables.items]\nrows = 100\n",
        ),
        ("migrations/1_init.sql", "CREATE TABLE items (id int PRIMARY KEY);"),
        ("migrations/2_kind.up.sql", "ALTER TABLE items ADD COLUMN kind int NOT NULL;"),
        ("migrations/2_kind.down.sql", "ALTER TABLE items DROP COLUMN kind;"),
        ("migrations/10_index.sql", "CREATE INDEX items_kind_idx ON items (kind);"),
        ("queries/by_kind.sql", "SELECT count(*) FROM items WHERE kind = 3"),
    ]);
    let (code, stdout, stderr) = p.run(&["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("by_kind"), "{stdout}");
    p.assert_nothing_left();
}

/// Kill a process of the throwaway server while a query runs (the postmaster, or the
/// backend running the query): `check` says the server died, shows the end of its log,
/// exits 2 and leaves nothing behind. It used to blame whatever statement was running.
fn server_dies_mid_query(kill_backend: bool, want: &str) {
    let p = small_project("SELECT pg_sleep(60), count(*) FROM items");
    let child = p
        .cmd(&["check", "--backend", "local"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let pid_of = |line: &str| line.split(':').next().unwrap().trim().parse::<i32>().unwrap();
    // The query must be running, not the loading: wait for the backend that sleeps. The
    // statement check before loading (a plain EXPLAIN) also shows as EXPLAIN, for a moment:
    // the sleeping one is the backend still in EXPLAIN a poll later.
    let explaining = || {
        let postmaster =
            processes_mentioning(&p.tmp).into_iter().find(|c| c.contains("postgres -D")).map(|c| pid_of(&c));
        postmaster.and_then(|pm| {
            children_of(pm).into_iter().find(|c| c.contains("[local] EXPLAIN")).map(|c| (pm, pid_of(&c)))
        })
    };
    let mut seen = None;
    let victim = loop {
        let now = explaining();
        if let (Some((pm, b)), Some(before)) = (now, seen) {
            if before == (pm, b) {
                break if kill_backend { b } else { pm };
            }
        }
        seen = now;
        assert!(Instant::now() < deadline, "no query ran");
        std::thread::sleep(Duration::from_millis(200));
    };
    kill(Pid::from_raw(victim), Signal::SIGKILL).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(want), "{stderr}");
    assert!(stderr.contains("the end of its log"), "{stderr}");
    assert!(stderr.contains("what plangate saw: query `by_kind` failed"), "{stderr}");
    p.assert_nothing_left();
}

#[test]
fn a_killed_server_is_reported_as_dead_with_its_log() {
    server_dies_mid_query(false, "the local Postgres server exited");
}

#[test]
fn a_crashed_server_process_is_reported_with_the_log() {
    server_dies_mid_query(true, "a process of the local Postgres server crashed");
}

/// On someone's server, a schema that would change the server itself (a role, ALTER
/// SYSTEM) is refused before anything runs, naming the file and line; the same schema
/// is fine on a throwaway server.
#[tokio::test(flavor = "multi_thread")]
async fn server_wide_statements_are_refused_on_the_url_backend() {
    let cluster = LocalCluster::start(find_bindir().expect("Postgres server binaries"), &[]).await.unwrap();
    let url = cluster.url("postgres");
    let p = small_project(QUERY);
    let schema = p.read("schema/schema.sql");
    p.write("schema/schema.sql", &format!("{schema}\n-- the application's role\nCREATE ROLE app_reader;\n"));
    let args = ["check", "--database-url", url.as_str()];
    let (code, _, stderr) = tokio::task::block_in_place(|| p.run(&args));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("schema.sql: line 5: CREATE ROLE changes the server"), "{stderr}");
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let roles: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_roles WHERE rolname = 'app_reader'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(roles, 0, "the role was not created");
    assert!(scratch_databases(&cluster).await.is_empty(), "scratch database left behind");
    let (code, _, stderr) = tokio::task::block_in_place(|| p.run(&["check", "--backend", "local"]));
    assert_eq!(code, 0, "a throwaway server takes it: {stderr}");
}

/// The disk fills up while the world loads: exit 2, a message that says where, how full and
/// how much the world needs, and nothing left there.
#[test]
fn a_disk_that_fills_while_loading_is_exit_2_saying_where_and_how_much_the_world_needs() {
    let test = "a_disk_that_fills_while_loading_is_exit_2_saying_where_and_how_much_the_world_needs";
    let p = Project::new(&[
        ("plangate.toml", "[scales]\nfactors = [0.1, 1.0]\n[tables.items]\nrows = 2_000_000\n"),
        ("schema/schema.sql", "CREATE TABLE items (id bigint PRIMARY KEY, kind int, note text);"),
        ("queries/by_kind.sql", "SELECT count(*) FROM items WHERE kind = 3"),
    ]);
    let place = p.tmp.join("small");
    let Some(small) = common::SmallFs::mount(&place, "size=80m") else {
        common::did_not_run(test, "this process may not mount a tmpfs (it needs root or CAP_SYS_ADMIN)");
        return;
    };
    let out = p.cmd(&["check", "--backend", "local", "--no-cache"]).env("TMPDIR", &small.0).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("no space left on the disk ({}", small.0.display())), "{stderr}");
    assert!(stderr.contains("free of 80 MiB"), "it says how full: {stderr}");
    assert!(stderr.contains("this world needs about 2.1 GiB"), "it says how much the world needs: {stderr}");
    let left: Vec<_> = std::fs::read_dir(&small.0).unwrap().flatten().map(|e| e.path()).collect();
    assert!(left.is_empty(), "left on the full file system: {left:?}");
    drop(small);
    p.assert_nothing_left();
}
