//! The repo's own catalog passes `plangate check` against its committed baselines: the
//! README's first command, run as a test.

mod common;

#[test]
fn the_repo_catalog_passes_its_own_gate() {
    let root = env!("CARGO_MANIFEST_DIR");
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_plangate"))
        .args(["check", "--format", "json"])
        .current_dir(root)
        .env("TMPDIR", tmp.path())
        .env_remove("PLANGATE_DATABASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["queries"].as_array().unwrap().len(), 8);
    for q in report["queries"].as_array().unwrap() {
        assert!(q["baseline_note"].is_null(), "every query has a baseline for this version: {}", q["name"]);
    }
    assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none(), "nothing left in TMPDIR");
    assert!(common::processes_mentioning(tmp.path()).is_empty());
}
