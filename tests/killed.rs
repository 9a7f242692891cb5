//! plangate killed hard, as a CI job's timeout, the OOM killer or `kill -9` end it: no
//! chance to clean up. Its server and cluster directory go all the same (the watchdog), and
//! what even that could not clean is removed by the next run, which then measures what a
//! clean run measures.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{Project, json_report, processes_mentioning, works};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Rows enough that each phase of a cold run lasts a moment.
fn project() -> Project {
    Project::new(&[
        (
            "plangate.toml",
            "[scales]\nfactors = [0.1, 0.4, 1.0]\n[thresholds]\nrepeats = 2\n[tables.items]\nrows = 400000\n\
             [tables.items.columns]\nkind = \"int(1, 1000)\"\nnote = \"text(2, 6)\"\n",
        ),
        (
            "schema/schema.sql",
            "CREATE TABLE items (id bigint PRIMARY KEY, kind int NOT NULL, note text);\n\
             CREATE INDEX items_kind_idx ON items (kind);\nCREATE INDEX items_note_idx ON items (note);\n",
        ),
        ("queries/by_kind.sql", "SELECT count(*), pg_sleep(0.2) FROM items WHERE kind = 3"),
    ])
}

/// Start `check` and SIGKILL it `after` the first stderr line holding `marker`.
fn kill_at(p: &Project, marker: &str, after: Duration) {
    let mut child: Child = p.cmd(&["check"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        let hit = line.contains(marker);
        seen.push(line);
        if hit {
            std::thread::sleep(after);
            break;
        }
    }
    assert!(seen.last().is_some_and(|l| l.contains(marker)), "never reached `{marker}`: {seen:#?}");
    kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), Signal::SIGKILL).unwrap();
    let _ = child.wait();
}

/// Wait until nothing of the killed run is left: no directory in TMPDIR, no process on it.
fn gone_within(p: &Project, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let dirs = std::fs::read_dir(&p.tmp).unwrap().count();
        let procs = processes_mentioning(&p.tmp);
        if dirs == 0 && procs.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "left {limit:?} after the kill: {dirs} dirs, processes {procs:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_run_killed_at_any_phase_leaves_nothing_and_the_next_run_measures_the_same() {
    let p = project();
    let clean = project();
    let (code, want, stderr) = json_report(&clean, &["check", "--no-cache"]);
    assert_eq!(code, 0, "{stderr}");
    for (phase, marker, after) in [
        ("start", "ready", 0),
        ("load", "loaded", 0),
        ("index and analyze", "scale 1: loaded", 100),
        ("measure", "measured", 100),
        ("cache save", "measured", 1_500),
    ] {
        kill_at(&p, marker, Duration::from_millis(after));
        gone_within(&p, Duration::from_secs(15));
        eprintln!("killed at {phase}: nothing left");
    }
    let (code, got, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(works(&got), works(&want), "after the kills, the same work as a clean run");
    p.assert_nothing_left();
}

#[test]
fn what_even_the_watchdog_could_not_clean_the_next_run_removes_and_says_so() {
    let p = project();
    let mut child = p.cmd(&["check", "--no-cache"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    for line in BufReader::new(stderr).lines() {
        if line.unwrap().contains("loaded") {
            break;
        }
    }
    // plangate and its watchdog at once: a machine-wide kill, or the watchdog's own death.
    let watchdogs: Vec<i32> = processes_mentioning(&p.tmp)
        .iter()
        .filter(|l| l.contains("plangate-watchdog"))
        .filter_map(|l| l.split(':').next().and_then(|pid| pid.parse().ok()))
        .collect();
    assert!(!watchdogs.is_empty(), "a watchdog runs: {:?}", processes_mentioning(&p.tmp));
    for pid in watchdogs {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
    kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), Signal::SIGKILL).unwrap();
    let _ = child.wait();
    std::thread::sleep(Duration::from_millis(500));
    assert!(std::fs::read_dir(&p.tmp).unwrap().count() > 0, "the cluster is left, as nothing stopped it");
    let (code, _, stderr) = p.run(&["check", "--no-cache"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("removed what an earlier run left behind") && stderr.contains("stopped"), "{stderr}");
    p.assert_nothing_left();
}
