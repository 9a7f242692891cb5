//! The container backend against a real Docker-API runtime (Docker, or Podman's socket).
//!
//! When no runtime answers: in CI (`CI` set) these tests run `ci/container-runtime.sh`,
//! which sets up Podman and builds the postgres:15 and postgres:17 images offline, and fail
//! if that does not give them a runtime; elsewhere they say loudly that they did not run.
//! The tests that need no runtime (no socket at all) always run.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::docker::{
    containers_of, loading_project, run_with, runtime, until_its_container_exists, volume_exists, volumes_of,
};
use common::small_project;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

#[test]
fn without_a_socket_container_fails_and_auto_runs_locally() {
    let p = small_project("SELECT count(*) FROM items WHERE kind = 3");
    let nowhere = "unix:///nonexistent/docker.sock";
    let (code, _, stderr) = run_with(&p, nowhere, &["check", "--backend", "container"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("none answered at unix:///nonexistent/docker.sock"), "{stderr}");
    assert!(stderr.contains("Start Docker, or Podman's API service"), "{stderr}");
    p.assert_nothing_left();

    // With an image configured, `auto` moves on to the local backend and says so.
    p.with_database(r#"image = "postgres:15""#);
    let (code, stdout, stderr) = run_with(&p, nowhere, &["check", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("no container runtime answered"), "{stderr}");
    assert_eq!(json(&stdout)["backend"], "local");
    p.assert_nothing_left();
}

#[test]
fn a_container_runs_the_catalog_with_the_settings_and_is_removed() {
    let Some(host) = runtime("a_container_runs_the_catalog_with_the_settings_and_is_removed") else { return };
    let p = small_project("SELECT count(*) FROM items WHERE kind = 3");
    p.with_database("image = \"postgres:15\"\nsettings = { work_mem = \"3MB\", random_page_cost = 1.1 }");
    // `auto` picks the container: an image is configured and the socket answers.
    let (code, stdout, stderr) = run_with(&p, host, &["check", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let report = json(&stdout);
    let target = &report["targets"][0];
    assert_eq!(target["backend"], "container", "{report}");
    assert_eq!(target["image"], "postgres:15");
    assert!(target["postgres_version"].as_str().unwrap().starts_with("15."), "{target}");
    // The user's settings and the disposable ones are server settings (the command line).
    for (name, value) in [("work_mem", "3MB"), ("random_page_cost", "1.1"), ("fsync", "off"), ("autovacuum", "off")] {
        assert_eq!(target["settings"][name], value, "{name} in {target}");
    }
    assert_eq!(report["queries"][0]["cases"][0]["runs"].as_array().unwrap().len(), 3);
    p.assert_nothing_left();
}

/// Every run's work and shape, for comparing two reports.
fn measured(report: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for q in report["queries"].as_array().unwrap() {
        for c in q["cases"].as_array().unwrap() {
            for r in c["runs"].as_array().unwrap() {
                out.push(format!("{} {} {} {} {}", q["name"], r["scale"], r["work"], r["params"], r["shape"]));
            }
        }
    }
    out
}

/// The container backend keeps its world too: copied out of the stopped container, and
/// into the next one before its entrypoint runs, with the same results.
#[test]
fn a_containers_world_is_cached_and_measures_the_same() {
    let Some(host) = runtime("a_containers_world_is_cached_and_measures_the_same") else { return };
    let p = small_project("SELECT count(*) FROM items WHERE kind = 3");
    p.with_database("image = \"postgres:15\"");
    let run = || {
        let (code, stdout, stderr) = run_with(&p, host, &["check", "--format", "json"]);
        assert_eq!(code, 0, "{stderr}");
        json(&stdout)
    };
    let cold = run();
    assert_eq!(cold["timings"]["world"], "built and cached", "{}", cold["timings"]);
    let warm = run();
    assert_eq!(warm["timings"]["world"], "cached", "{}", warm["timings"]);
    assert_eq!(measured(&warm), measured(&cold));
    // A new index: the data is reused, the index built in the container.
    let schema = p.read("schema/schema.sql");
    p.write("schema/schema.sql", &format!("{schema}CREATE INDEX items_note_idx ON items (note);\n"));
    let reindexed = run();
    assert_eq!(reindexed["timings"]["world"], "cached, indexes rebuilt", "{}", reindexed["timings"]);
    p.assert_nothing_left();
}

#[test]
fn a_missing_image_that_cannot_be_pulled_is_exit_2_naming_it() {
    let Some(host) = runtime("a_missing_image_that_cannot_be_pulled_is_exit_2_naming_it") else { return };
    let p = small_project("SELECT count(*) FROM items WHERE kind = 3");
    let image = "localhost/plangate-test-no-such-image:1";
    let (code, _, stderr) = run_with(&p, host, &["check", "--backend", "container", "--image", image]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(&format!("image {image} is not on this machine and could not be pulled")), "{stderr}");
    assert!(stderr.contains("pull or build it first"), "{stderr}");
    p.assert_nothing_left();
}

/// Start a long check, send `signal` once stderr shows `when`, and prove the container went.
fn interrupt(test: &str, signal: Signal, code: i32, when: &str) {
    let Some(host) = runtime(test) else { return };
    let p = loading_project();
    let mut child =
        p.cmd(&["check", "--scales", "1,2,4"]).env("DOCKER_HOST", host).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "plangate ended before `{when}`:\n{seen}");
        seen.push_str(&line);
        if line.contains(when) {
            break;
        }
        assert!(Instant::now() < deadline, "no `{when}` within 120 s:\n{seen}");
    }
    let running = containers_of(host, pid);
    assert_eq!(running.len(), 1, "one container while it runs:\n{seen}");
    let volumes = volumes_of(host, &running[0]);
    assert!(!volumes.is_empty(), "postgres:15 keeps PGDATA in a volume, as the official image does");
    kill(Pid::from_raw(i32::try_from(pid).unwrap()), signal).unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(code), "{seen}{rest}");
    assert!(rest.contains("interrupted by"), "{rest}");
    let left = containers_of(host, pid);
    assert!(left.is_empty(), "{signal} left containers behind: {left:?}");
    let kept: Vec<&String> = volumes.iter().filter(|v| volume_exists(host, v)).collect();
    assert!(kept.is_empty(), "{signal} left the data volume behind: {kept:?}");
    p.assert_nothing_left();
}

#[test]
fn sigint_while_loading_removes_the_container() {
    interrupt("sigint_while_loading_removes_the_container", Signal::SIGINT, 130, "loaded");
}

#[test]
fn sigterm_while_loading_removes_the_container() {
    interrupt("sigterm_while_loading_removes_the_container", Signal::SIGTERM, 143, "loaded");
}

#[test]
fn sigint_while_the_container_starts_removes_it() {
    let test = "sigint_while_the_container_starts_removes_it";
    let Some(host) = runtime(test) else { return };
    let p = small_project("SELECT count(*) FROM items WHERE kind = 3");
    // As soon as the container exists: before Postgres in it accepts connections.
    let (child, pid) = until_its_container_exists(&p, host, Stdio::piped());
    kill(Pid::from_raw(i32::try_from(pid).unwrap()), Signal::SIGINT).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(!stderr.contains("ready (container backend"), "the signal came after the start:\n{stderr}");
    let left = containers_of(host, pid);
    assert!(left.is_empty(), "SIGINT during the start left containers behind: {left:?}\n{stderr}");
    p.assert_nothing_left();
}

#[test]
fn a_version_matrix_keeps_one_baseline_entry_per_major() {
    let Some(host) = runtime("a_version_matrix_keeps_one_baseline_entry_per_major") else { return };
    let p = small_project("SELECT count(*) FROM items WHERE kind = 3");
    p.with_database(r#"image = ["postgres:15", "postgres:17"]"#);

    let (code, _, stderr) = run_with(&p, host, &["bless"]);
    assert_eq!(code, 0, "{stderr}");
    let baseline = json(&p.read("baselines/by_kind.json"));
    assert!(baseline["postgres_version"].as_str().unwrap().starts_with("15."), "{baseline}");
    let others = baseline["other_versions"].as_array().expect("an entry for 17");
    assert_eq!(others.len(), 1);
    assert!(others[0]["postgres_version"].as_str().unwrap().starts_with("17."), "{baseline}");

    // Each result says which version it came from, and is judged against that version's entry.
    let (code, stdout, stderr) = run_with(&p, host, &["check", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let report = json(&stdout);
    let queries = report["queries"].as_array().unwrap();
    assert_eq!(queries.len(), 2, "{report}");
    for (q, (image, major)) in queries.iter().zip([("postgres:15", "15."), ("postgres:17", "17.")]) {
        assert_eq!(q["image"], image);
        assert!(q["postgres_version"].as_str().unwrap().starts_with(major), "{q}");
        assert!(q["baseline_note"].is_null(), "{q}");
        assert!(q["cases"][0]["runs"][0]["baseline_work"].is_u64(), "{q}");
    }
    let (code, stdout, stderr) = run_with(&p, host, &["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("by_kind [Postgres 17."), "{stdout}");

    // Re-blessing one major keeps the other's entry.
    let (code, _, stderr) = run_with(&p, host, &["bless", "--image", "postgres:17"]);
    assert_eq!(code, 0, "{stderr}");
    let after = json(&p.read("baselines/by_kind.json"));
    assert_eq!(after["postgres_version"], baseline["postgres_version"]);
    assert_eq!(after["cases"], baseline["cases"]);
    assert_eq!(after["other_versions"].as_array().unwrap().len(), 1);

    // A major with no entry is checked against budgets only, and the report says why.
    std::fs::remove_file(p.path().join("baselines/by_kind.json")).unwrap();
    let (code, _, stderr) = run_with(&p, host, &["bless", "--image", "postgres:15"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = run_with(&p, host, &["check", "--image", "postgres:17", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let note = json(&stdout)["queries"][0]["baseline_note"].as_str().unwrap_or_default().to_string();
    assert!(note.contains("its baseline is for Postgres 15") && note.contains("this run is Postgres 17."), "{note}");
    p.assert_nothing_left();
}
