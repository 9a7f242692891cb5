//! `kill -9` of plangate on the container backend: its reaper removes the container within
//! seconds, and what even the reaper could not remove (both killed at once) the next run
//! removes and names. These tests run one at a time: a run sweeps every container whose
//! plangate is gone, another test's included.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::docker::{
    containers_of, loading_project, run_with, runtime, until_its_container_exists, volume_exists, volumes_of,
};
use common::{Project, children_of, small_project};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Held by each test for its whole run.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Start a container check of a world big enough to be killed while it loads; returns
/// the child, its pid and what it printed up to `loaded`.
fn started_loading(p: &Project, host: &str) -> (std::process::Child, u32) {
    let mut child =
        p.cmd(&["check", "--scales", "1,2,4"]).env("DOCKER_HOST", host).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !seen.contains("loaded") {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "plangate ended before it loaded:\n{seen}");
        seen.push_str(&line);
        assert!(Instant::now() < deadline, "nothing loaded within 120 s:\n{seen}");
    }
    // The rest is read off so that plangate never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    assert_eq!(containers_of(host, pid).len(), 1, "one container while it runs:\n{seen}");
    (child, pid)
}

#[test]
fn sigkill_while_loading_leaves_no_container_within_seconds() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(host) = runtime("sigkill_while_loading_leaves_no_container_within_seconds") else { return };
    let p = loading_project();
    let (mut child, pid) = started_loading(&p, host);
    let volumes = volumes_of(host, &containers_of(host, pid)[0]);
    kill(Pid::from_raw(i32::try_from(pid).unwrap()), Signal::SIGKILL).unwrap();
    let _ = child.wait();
    // Its reaper removes the container, and the data volume with it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !containers_of(host, pid).is_empty() {
        assert!(Instant::now() < deadline, "SIGKILL left the container for 30 s: {:?}", containers_of(host, pid));
        std::thread::sleep(Duration::from_millis(200));
    }
    let kept: Vec<&String> = volumes.iter().filter(|v| volume_exists(host, v)).collect();
    assert!(kept.is_empty(), "SIGKILL left the data volume behind: {kept:?}");
    // The next run measures what a clean run does.
    let report = |extra: &[&str]| {
        let mut args = vec!["check", "--scales", "1,2,4", "--format", "json"];
        args.extend(extra);
        let (code, out, stderr) = run_with(&p, host, &args);
        assert!(code == 0 || code == 1, "{stderr}");
        common::works(&serde_json::from_str(&out).unwrap())
    };
    assert_eq!(report(&[]), report(&["--no-cache"]));
    p.assert_nothing_left();
}

#[test]
fn sigkill_while_the_container_starts_leaves_no_container_within_seconds() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(host) = runtime("sigkill_while_the_container_starts_leaves_no_container_within_seconds") else { return };
    let p = small_project("SELECT count(*) FROM items WHERE kind = 3");
    let (mut child, pid) = until_its_container_exists(&p, host, Stdio::null());
    kill(Pid::from_raw(i32::try_from(pid).unwrap()), Signal::SIGKILL).unwrap();
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !containers_of(host, pid).is_empty() {
        assert!(Instant::now() < deadline, "SIGKILL during the start left the container for 30 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    p.assert_nothing_left();
}

#[test]
fn a_container_even_the_reaper_left_is_removed_by_the_next_run_which_says_so() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let test = "a_container_even_the_reaper_left_is_removed_by_the_next_run_which_says_so";
    let Some(host) = runtime(test) else { return };
    let p = loading_project();
    let (mut child, pid) = started_loading(&p, host);
    let reapers: Vec<i32> = children_of(i32::try_from(pid).unwrap())
        .iter()
        .filter(|c| c.contains("__reap-containers"))
        .filter_map(|c| c.split(':').next()?.parse().ok())
        .collect();
    assert_eq!(reapers.len(), 1, "one reaper per run");
    // Killed together, as a kill of everything at once would: the container outlives them.
    kill(Pid::from_raw(reapers[0]), Signal::SIGKILL).unwrap();
    kill(Pid::from_raw(i32::try_from(pid).unwrap()), Signal::SIGKILL).unwrap();
    let _ = child.wait();
    std::thread::sleep(Duration::from_secs(2));
    let left = containers_of(host, pid);
    assert_eq!(left.len(), 1, "the container outlived both");
    // The next run on this machine removes it, and says so.
    let (code, _, stderr) = run_with(&p, host, &["check", "--scales", "0.1"]);
    assert!(code == 0 || code == 1, "{stderr}");
    assert!(stderr.contains("removed what an earlier run left behind: container"), "{stderr}");
    assert!(stderr.contains(&left[0][..12]), "it names the container: {stderr}");
    assert!(containers_of(host, pid).is_empty(), "the next run removed it");
    p.assert_nothing_left();
}
