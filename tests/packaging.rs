//! The published crate holds the tool, not the repository: `cargo package --list` names
//! sources and docs only (no test data, benchmarks, CI images or the repo's own catalog).

#[test]
fn the_package_holds_sources_and_docs_only() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let files: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect();
    let allowed = |f: &str| {
        (f.starts_with("src/") && std::path::Path::new(f).extension().is_some_and(|e| e == "rs"))
            || [
                "build.rs",
                "Cargo.toml",
                "Cargo.toml.orig",
                "Cargo.lock",
                "README.md",
                "CHANGELOG.md",
                ".cargo_vcs_info.json",
            ]
            .contains(&f)
    };
    let unwanted: Vec<&String> = files.iter().filter(|f| !allowed(f)).collect();
    assert!(unwanted.is_empty(), "files that do not belong in the crate: {unwanted:?}");
    for needed in ["src/main.rs", "src/lib.rs", "build.rs", "README.md", "Cargo.lock"] {
        assert!(files.iter().any(|f| f == needed), "{needed} is missing: {files:?}");
    }
}
