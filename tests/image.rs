//! plangate's container image (the Dockerfile's runtime: Debian with postgresql-15 and
//! plangate), built here by ci/plangate-image.sh and run on the repo's catalog with the
//! local backend inside the container: no Docker-in-Docker.

mod common;

use std::process::Command;

use common::{Project, did_not_run};

#[test]
fn the_image_runs_the_repo_catalog_to_a_pass() {
    let podman = Command::new("podman").arg("--version").output().is_ok_and(|o| o.status.success());
    if !podman && std::env::var_os("CI").is_none() {
        did_not_run(
            "the_image_runs_the_repo_catalog_to_a_pass",
            "no podman (`bash ci/container-runtime.sh` installs it)",
        );
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/ci/plangate-image.sh");
    let built = Command::new("bash").args([script, env!("CARGO_BIN_EXE_plangate")]).output().unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));

    let p = Project::from_repo_catalog_and_baselines();
    let out = Command::new("podman")
        .args(["run", "--rm", "--network=none", "-v"])
        .arg(format!("{}:/work", p.path().display()))
        .args(["localhost/plangate:local", "check", "--backend", "local", "--no-cache"])
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("pass: 8 queries, 0 failed; Postgres 15."), "{stdout}");
    assert!(stdout.contains("(local backend)"), "the server inside the image: {stdout}");
}
