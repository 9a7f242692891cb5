//! The Docker API the container tests use: found, or set up by `ci/container-runtime.sh` in
//! CI, and read over its socket.

use std::io::{Read, Write};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use super::{Project, did_not_run};

const PODMAN_SOCKET: &str = "unix:///run/podman/podman.sock";

/// GET `path` from the Docker API at `host` (unix:// or <tcp://)>: (status, body).
pub fn docker_get(host: &str, path: &str) -> Option<(u16, String)> {
    let request = format!("GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n");
    let mut raw = String::new();
    if let Some(sock) = host.strip_prefix("unix://") {
        let mut s = std::os::unix::net::UnixStream::connect(sock).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        s.write_all(request.as_bytes()).ok()?;
        s.read_to_string(&mut raw).ok()?;
    } else {
        let addr = host.strip_prefix("tcp://")?;
        let mut s = std::net::TcpStream::connect(addr).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        s.write_all(request.as_bytes()).ok()?;
        s.read_to_string(&mut raw).ok()?;
    }
    let status = raw.split_whitespace().nth(1)?.parse().ok()?;
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
    Some((status, body))
}

pub fn answers(host: &str) -> bool {
    docker_get(host, "/_ping").is_some_and(|(status, _)| status == 200)
}

fn find_runtime() -> Option<String> {
    std::env::var("DOCKER_HOST")
        .ok()
        .into_iter()
        .chain(["unix:///var/run/docker.sock".to_string(), PODMAN_SOCKET.to_string()])
        .find(|h| answers(h))
}

/// The Docker API these tests use, set up by ci/container-runtime.sh in CI when none answers.
pub fn runtime(test: &str) -> Option<&'static str> {
    static RUNTIME: OnceLock<Option<String>> = OnceLock::new();
    let found = RUNTIME.get_or_init(|| {
        if let Some(host) = find_runtime() {
            return Some(host);
        }
        // Only CI sets a machine up; elsewhere the tests say they did not run.
        std::env::var_os("CI")?;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/ci/container-runtime.sh");
        let status = std::process::Command::new("bash").arg(script).status().expect("bash runs");
        assert!(status.success(), "{script} failed: the container tests cannot run in CI");
        Some(find_runtime().expect("ci/container-runtime.sh ran, yet no Docker-API socket answers"))
    });
    if found.is_none() {
        did_not_run(
            test,
            "no Docker-API container runtime answers (DOCKER_HOST, /var/run/docker.sock, Podman's socket); \
             `bash ci/container-runtime.sh` sets one up (CI runs it)",
        );
    }
    found.as_deref()
}

/// The containers whose `dev.plangate.run` label says process `pid` made them.
pub fn containers_of(host: &str, pid: u32) -> Vec<String> {
    let (status, body) = docker_get(host, "/containers/json?all=1").expect("the Docker API answers");
    assert_eq!(status, 200, "{body}");
    let list: serde_json::Value = serde_json::from_str(&body).expect("a JSON list of containers");
    list.as_array()
        .expect("a list")
        .iter()
        .filter(|c| {
            c["Labels"]["dev.plangate.run"].as_str().is_some_and(|run| run.split('-').next() == Some(&pid.to_string()))
        })
        .map(|c| c["Id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The volumes mounted in container `id` (the official image keeps PGDATA in one).
pub fn volumes_of(host: &str, id: &str) -> Vec<String> {
    let (status, body) = docker_get(host, &format!("/containers/{id}/json")).expect("the Docker API answers");
    assert_eq!(status, 200, "{body}");
    let inspect: serde_json::Value = serde_json::from_str(&body).expect("a JSON container");
    inspect["Mounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["Type"] == "volume")
        .filter_map(|m| m["Name"].as_str().map(str::to_string))
        .collect()
}

pub fn volume_exists(host: &str, name: &str) -> bool {
    docker_get(host, &format!("/volumes/{name}")).expect("the Docker API answers").0 == 200
}

/// Run plangate with this runtime; also asserts that the run left no container behind.
pub fn run_with(p: &Project, host: &str, args: &[&str]) -> (i32, String, String) {
    let child = p.cmd(args).env("DOCKER_HOST", host).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    if answers(host) {
        let left = containers_of(host, pid);
        assert!(left.is_empty(), "plangate {args:?} left containers behind: {left:?}");
    }
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `plangate check` of `p` on the container backend, returned as soon as its container
/// exists (before Postgres in it accepts connections): the child and its pid.
pub fn until_its_container_exists(p: &Project, host: &str, stderr: Stdio) -> (std::process::Child, u32) {
    let mut child = p
        .cmd(&["check", "--backend", "container", "--image", "postgres:15"])
        .env("DOCKER_HOST", host)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let pid = child.id();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while containers_of(host, pid).is_empty() {
        assert!(std::time::Instant::now() < deadline, "no container appeared within 60 s");
        assert!(child.try_wait().unwrap().is_none(), "plangate ended before its container appeared");
        std::thread::sleep(Duration::from_millis(10));
    }
    (child, pid)
}

/// A project whose world on postgres:15 takes long enough to load that a test can stop it
/// while it loads.
pub fn loading_project() -> Project {
    Project::new(&[
        ("plangate.toml", &format!("[database]\nimage = \"postgres:15\"\n{}", super::SHOP_DATA)),
        ("schema/shop.sql", super::SHOP_TABLES),
        (
            "queries/listing.sql",
            "SELECT id FROM products WHERE category_id = 7 AND active ORDER BY created_at DESC LIMIT 20",
        ),
    ])
}
