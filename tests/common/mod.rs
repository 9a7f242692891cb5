#![expect(unreachable_pub, reason = "shared by every test crate, each using a part")]
//! Helpers for the end-to-end tests: throwaway projects, the binary, and leftovers.
#![allow(dead_code)]

pub mod docker;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A project folder with a private TMPDIR, so a test can see what a run leaves behind.
pub struct Project {
    pub dir: tempfile::TempDir,
    pub tmp: PathBuf,
    /// The project's own world cache, out of TMPDIR (what a run keeps on purpose).
    pub cache: PathBuf,
}

impl Project {
    /// A project with these files (path relative to the project, contents).
    pub fn new(files: &[(&str, &str)]) -> Project {
        let dir = tempfile::Builder::new().prefix("plangate-test-").tempdir().unwrap();
        // Short path: the server's unix socket lives under TMPDIR and paths are limited to 107 bytes.
        let tmp = dir.path().join("t");
        std::fs::create_dir(&tmp).unwrap();
        let cache = dir.path().join(".cache");
        let p = Project { dir, tmp, cache };
        for (path, text) in files {
            p.write(path, text);
        }
        p
    }

    /// A project holding a copy of the folder `tests/data/NAME` of this repository.
    pub fn from_data(name: &str) -> Project {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
        let p = Project::new(&[]);
        copy_tree(&src, p.dir.path());
        p
    }

    /// A project holding a copy of the real application `tests/corpus/NAME` of this
    /// repository (its migrations as its tool keeps them, its queries, its config).
    pub fn from_corpus(name: &str) -> Project {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(name);
        let p = Project::new(&[]);
        copy_tree(&src, p.dir.path());
        p
    }

    /// A project holding a copy of this repository's own catalog (config, schema, queries;
    /// not its baselines).
    pub fn from_repo_catalog() -> Project {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let p = Project::new(&[]);
        std::fs::copy(root.join("plangate.toml"), p.dir.path().join("plangate.toml")).unwrap();
        for dir in ["schema", "queries"] {
            std::fs::create_dir_all(p.dir.path().join(dir)).unwrap();
            copy_tree(&root.join(dir), &p.dir.path().join(dir));
        }
        p
    }

    /// The repo's catalog with its committed baselines.
    pub fn from_repo_catalog_and_baselines() -> Project {
        let p = Project::from_repo_catalog();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::create_dir_all(p.dir.path().join("baselines")).unwrap();
        copy_tree(&root.join("baselines"), &p.dir.path().join("baselines"));
        p
    }

    /// Take the incident's listing index out of the repo's schema (copied by
    /// [`Project::from_repo_catalog`]): `product_listing` then regresses.
    pub fn drop_listing_index(&self) {
        let schema_path = std::fs::read_dir(self.dir.path().join("schema")).unwrap().next().unwrap().unwrap().path();
        let schema = std::fs::read_to_string(&schema_path).unwrap();
        let start = schema.find("CREATE INDEX idx_products_category_listing").unwrap();
        let end = start + schema[start..].find(';').unwrap() + 1;
        std::fs::write(&schema_path, format!("{}{}", &schema[..start], &schema[end..])).unwrap();
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, path: &str, text: &str) {
        let full = self.dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(path)).unwrap()
    }

    /// Put a `[database]` table holding `lines` at the top of plangate.toml (a project's
    /// config has none); returns the config as it was.
    pub fn with_database(&self, lines: &str) -> String {
        let config = self.read("plangate.toml");
        self.write("plangate.toml", &format!("[database]\n{lines}\n{config}"));
        config
    }

    /// `plangate ARGS` in this project.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_plangate"));
        c.args(args)
            .current_dir(self.dir.path())
            .env("TMPDIR", &self.tmp)
            .env("NO_COLOR", "1")
            .env("PLANGATE_CACHE_DIR", &self.cache)
            .env_remove("PLANGATE_NO_CACHE")
            .env_remove("PLANGATE_CACHE_MAX_SIZE")
            .env_remove("PLANGATE_DATABASE_URL");
        c
    }

    /// Run and return (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        self.run_with_env(args, &[])
    }

    /// [`Project::run`] with these environment variables set.
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let out = self.cmd(args).envs(env.iter().copied()).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Assert that no run left a directory in TMPDIR or a server process using it.
    pub fn assert_nothing_left(&self) {
        let left: Vec<_> = std::fs::read_dir(&self.tmp).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "left behind in TMPDIR: {left:?}");
        let procs = processes_mentioning(&self.tmp);
        assert!(procs.is_empty(), "postgres processes left behind: {procs:?}");
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// `plangate ARGS --format json` in `p`: (exit code, the JSON report, stderr).
pub fn json_report(p: &Project, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, stdout, stderr) = p.run(&all);
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("json report ({e}): {stdout}\n{stderr}"));
    (code, v, stderr)
}

/// A query of a JSON report, by name.
pub fn query<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["queries"].as_array().unwrap().iter().find(|q| q["name"] == name).unwrap()
}

/// (kind, severity) of every finding of a query's first case.
pub fn kinds(q: &serde_json::Value) -> Vec<(String, String)> {
    q["cases"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap().to_string(), f["severity"].as_str().unwrap().to_string()))
        .collect()
}

/// Processes whose command line mentions `path`.
pub fn processes_mentioning(path: &Path) -> Vec<String> {
    let needle = path.to_string_lossy().to_string();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if !e.file_name().to_string_lossy().chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(&needle) {
                out.push(format!("{}: {cmdline}", e.file_name().to_string_lossy()));
            }
        }
    }
    out
}

/// A small valid project: one table, one query.
pub fn small_project(query: &str) -> Project {
    Project::new(&[
        (
            "plangate.toml",
            "[scales]\nfactors = [0.1, 0.5, 1.0]\n[thresholds]\nrepeats = 1\n[tables.items]\nrows = 2000\n[tables.items.columns]\nkind = \"int(1, 10)\"\n",
        ),
        (
            "schema/schema.sql",
            "CREATE TABLE items (id bigint PRIMARY KEY, kind int NOT NULL, note text);\nCREATE INDEX items_kind_idx ON items (kind);\n",
        ),
        ("queries/by_kind.sql", query),
    ])
}

/// The shop's categories and products tables, as the gate and suggest tests use them.
pub const SHOP_TABLES: &str = "
CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE products (
    id bigint PRIMARY KEY,
    category_id int NOT NULL REFERENCES categories (id),
    name text NOT NULL,
    active bool NOT NULL,
    featured bool NOT NULL,
    price numeric(10, 2) NOT NULL,
    created_at timestamptz NOT NULL
);
";

/// The shop at production size (340k products over 400 categories) at the incident's scales.
pub const SHOP_DATA: &str = r#"
[scales]
factors = [0.035, 0.3, 1.0]
seed = 42
[tables.categories]
fixed_rows = 400
[tables.products]
rows = 340_000
[tables.products.columns]
category_id = "ref(categories.id, zipf = 1.1)"
active      = "bool(0.9)"
featured    = "bool(0.05)"
created_at  = "timestamp(days = 1000)"
price       = "float(1, 500)"
name        = "unique(text(1, 3))"
"#;

/// Say on the real stderr, past the test harness' capture, that a test did not run.
pub fn did_not_run(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\n*** {test} DID NOT RUN: {why} ***\n");
}

/// Work of every run of a report, keyed by (query, case, scale).
pub type Works = Vec<((String, String, String), u64)>;

/// (query, case, scale) -> work, for every run of a report; and for a query with
/// parameters, the generic plan's work and whether the server settles on it.
pub fn works(report: &serde_json::Value) -> Works {
    let mut out = Vec::new();
    for q in report["queries"].as_array().unwrap() {
        for c in q["cases"].as_array().unwrap() {
            for r in c["runs"].as_array().unwrap() {
                let key = |what: &str| {
                    (
                        format!("{}{what}", q["name"].as_str().unwrap()),
                        c["case"].as_str().unwrap().to_string(),
                        r["scale"].to_string(),
                    )
                };
                out.push((key(""), r["work"].as_u64().unwrap()));
                if let Some(g) = r.get("generic") {
                    out.push((key(" generic"), g["work"].as_u64().unwrap()));
                    out.push((key(" generic chosen"), u64::from(g["chosen"].as_bool().unwrap())));
                }
            }
        }
    }
    out
}

/// A small file system made for a test, unmounted when dropped.
pub struct SmallFs(pub std::path::PathBuf);

impl SmallFs {
    /// A tmpfs at `at` with mount `options` (`size=80m`, `ro`); None where this process
    /// may not mount one (it needs root or `CAP_SYS_ADMIN`).
    pub fn mount(at: &std::path::Path, options: &str) -> Option<SmallFs> {
        std::fs::create_dir_all(at).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallFs(at.to_path_buf()))
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// The processes whose parent is `pid`, as "pid: command line".
pub fn children_of(pid: i32) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { continue };
        // The parent pid is the second field after the parenthesized command name.
        let parent = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<i32>().ok());
        if parent == Some(pid) {
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            out.push(format!("{name}: {}", String::from_utf8_lossy(&cmd).replace('\0', " ")));
        }
    }
    out
}

/// The bin directory of a complete Postgres 18 (`pg_dump --statistics-only` among its
/// tools): the system's, else the one plangate fetches itself. Where it cannot be had, the
/// test does not run, and in CI it fails.
pub fn postgres18(test: &str) -> Option<PathBuf> {
    postgres_major(18, test)
}

/// The bin directory of Postgres `major`'s server, found or fetched as `--postgres` does.
pub fn postgres_major(major: u32, test: &str) -> Option<PathBuf> {
    static FOUND: std::sync::Mutex<Vec<(u32, Option<PathBuf>)>> = std::sync::Mutex::new(Vec::new());
    let mut found = FOUND.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, bin)) = found.iter().find(|(m, _)| *m == major) {
        return bin.clone();
    }
    let bin = match plangate::postgres::install::resolve(major) {
        Ok(b) => Some(b.bindir),
        Err(e) if std::env::var_os("CI").is_some() => panic!("Postgres {major} is needed in CI: {e}"),
        Err(e) => {
            did_not_run(test, &format!("no Postgres {major} at hand: {e}"));
            None
        }
    };
    found.push((major, bin.clone()));
    bin
}
