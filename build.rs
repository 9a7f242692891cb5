//! Records the git commit plangate is built from, for `plangate --version`.

use std::process::Command;

fn main() {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    // A build from a packaged crate has no repository: its version says enough. "modified"
    // is as of the last commit's build (the index is not watched: `git status` rewrites it,
    // and every build would run this again).
    let commit = match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(hash) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
            let date = git(&["show", "-s", "--format=%cs", "HEAD"]).unwrap_or_default();
            format!(" ({hash}{} {date})", if dirty { "-modified" } else { "" })
        }
        None => String::new(),
    };
    println!("cargo:rustc-env=PLANGATE_BUILD_COMMIT={commit}");
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        if let Some(head) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={dir}/{head}");
        }
    }
}
