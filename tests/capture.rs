//! `plangate capture` against real Postgres: an application's test suite (a script that
//! reaches the database through `DATABASE_URL` with psql, as any client would) runs against
//! a throwaway server, and the reads it executed become the catalog.

mod common;

use common::Project;
use plangate::postgres::local::find_bindir;

const SCHEMA: &str = "
CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE tickets (id bigint PRIMARY KEY, owner bigint NOT NULL REFERENCES users (id), status text NOT NULL,
                      created_at timestamptz NOT NULL);
";

const CONFIG: &str = r#"
[schema]
files = ["schema/*.sql"]
[scales]
factors = [0.1, 1.0]
[thresholds]
repeats = 1
[tables.users]
rows = 2000
[tables.tickets]
rows = 20000
[tables.tickets.columns]
status = 'choice("open" = 0.2, "closed" = 0.8)'
"#;

/// The application's test suite: its migrations as a framework runs them (with their
/// bookkeeping table), then tests that read, write and look at the catalog. `EXTRA` runs one
/// more statement; `FAIL` makes the suite fail after it ran.
const SUITE: &str = r#"#!/bin/sh
set -e
psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" <<'SQL' >/dev/null
CREATE TABLE IF NOT EXISTS _sqlx_migrations (version bigint PRIMARY KEY, description text NOT NULL);
SELECT version FROM _sqlx_migrations ORDER BY version;
CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE tickets (id bigint PRIMARY KEY, owner bigint NOT NULL REFERENCES users (id), status text NOT NULL,
                      created_at timestamptz NOT NULL);
INSERT INTO _sqlx_migrations VALUES (1, 'init');
INSERT INTO users VALUES (1, 'ada'), (2, 'bob');
INSERT INTO tickets VALUES (1, 1, 'open', now()), (2, 2, 'open', now()), (3, 1, 'closed', now());
SELECT id, created_at FROM tickets WHERE status = 'open' AND owner = 1 ORDER BY created_at DESC LIMIT 20;
SELECT id, created_at FROM tickets WHERE status = 'open' AND owner = 2 ORDER BY created_at DESC LIMIT 20;
SELECT name FROM users WHERE id = 2;
SELECT relname FROM pg_class WHERE relname = 'tickets';
SELECT 1;
UPDATE tickets SET status = 'closed' WHERE id = 1;
SQL
if [ -n "$EXTRA" ]; then psql -X -q "$DATABASE_URL" -c "$EXTRA" >/dev/null; fi
echo "suite ran against $PGHOST:$PGPORT as $PGUSER"
if [ -n "$FAIL" ]; then echo "a test failed" >&2; exit 3; fi
"#;

fn app() -> Project {
    let p = Project::new(&[("plangate.toml", CONFIG), ("schema/app.sql", SCHEMA), ("run-tests.sh", SUITE)]);
    std::fs::set_permissions(p.path().join("run-tests.sh"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .unwrap();
    p
}

/// `plangate capture ARGS -- ./run-tests.sh`, with psql on the PATH and `env` set.
fn capture(p: &Project, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = capture_command(p, args, env).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn capture_command(p: &Project, args: &[&str], env: &[(&str, &str)]) -> std::process::Command {
    let path = format!("{}:{}", find_bindir().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let mut all = vec!["capture"];
    all.extend(args);
    all.extend(["--", "./run-tests.sh"]);
    let mut cmd = p.cmd(&all);
    cmd.env("PATH", path);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn query_files(p: &Project) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(p.path().join("queries")) else { return Vec::new() };
    let mut names: Vec<String> = dir.map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    names.sort();
    names
}

#[test]
fn the_reads_a_test_run_executes_become_the_catalog_and_run() {
    let p = app();
    let (code, out, stderr) = capture(&p, &[], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(out.contains("suite ran against 127.0.0.1:") && out.contains(" as postgres"), "its output streams: {out}");
    assert_eq!(query_files(&p), ["tickets_by_owner.sql", "users_by_id.sql"], "exactly the reads: {stderr}");
    let listing = p.read("queries/tickets_by_owner.sql");
    assert!(listing.starts_with("-- From the test run (`./run-tests.sh`): 2 executions."), "{listing}");
    assert!(
        listing.contains("WHERE status = 'open' AND owner = $1 ORDER BY created_at DESC LIMIT 20"),
        "constants the same in every execution stay literals, the owner is a parameter: {listing}"
    );
    assert!(p.read("queries/users_by_id.sql").contains("WHERE id = $1"), "one execution: a parameter");
    for skipped in [
        "skipped 7: not a read",
        "skipped 1: a migration tool's bookkeeping",
        "skipped 1: Postgres' own catalog",
        "skipped 1: no table read",
    ] {
        assert!(stderr.contains(skipped), "{skipped}: {stderr}");
    }
    let config = p.read("plangate.toml");
    assert!(config.starts_with(CONFIG), "{config}");
    assert!(config.contains("[query.tickets_by_owner]\nparams = [\"hot(tickets.owner)\"]"), "{config}");

    // The catalog it wrote runs (the listing reads all tickets: the app lacks its index).
    let (code, report, stderr) = common::json_report(&p, &["check", "--no-cache"]);
    assert!(code == 0 || code == 1, "{stderr}");
    assert_eq!(report["queries"].as_array().unwrap().len(), 2, "{report}");

    // For CI: the same suite adds nothing; one more query fails the check and is named.
    let (code, _, stderr) = capture(&p, &["--check"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("every read the tests executed is in the catalog (2 of them)"), "{stderr}");
    let (code, _, stderr) = capture(&p, &["--check"], &[("EXTRA", "SELECT id FROM tickets WHERE owner = 2")]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("missing tickets_by_owner_2: SELECT id FROM tickets WHERE owner = $1"), "{stderr}");
    assert_eq!(query_files(&p).len(), 2, "--check writes nothing");
    assert_eq!(p.read("plangate.toml"), config, "--check writes nothing");
    p.assert_nothing_left();
}

#[test]
fn a_failing_test_run_writes_nothing_unless_told_to_keep_going() {
    let p = app();
    let (code, _, stderr) = capture(&p, &[], &[("FAIL", "1")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`./run-tests.sh` failed") && stderr.contains("nothing was written"), "{stderr}");
    assert!(query_files(&p).is_empty());
    assert_eq!(p.read("plangate.toml"), CONFIG);
    p.assert_nothing_left();

    let (code, _, stderr) = capture(&p, &["--keep-going", "--queries", "1"], &[("FAIL", "1")]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(query_files(&p), ["tickets_by_owner.sql"], "the most executed read only: {stderr}");
    assert!(stderr.contains("skipped 1: beyond --queries"), "{stderr}");
    p.assert_nothing_left();
}

/// A repository with no plangate.toml yet: the tests' own schema is dumped to schema/ by the
/// server's `pg_dump`, and init writes the config from it, with the captured queries' params.
#[test]
fn with_no_config_the_tests_schema_and_a_starting_config_are_written() {
    let p = Project::new(&[("run-tests.sh", SUITE)]);
    std::fs::set_permissions(p.path().join("run-tests.sh"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .unwrap();
    let (code, _, stderr) = capture(&p, &[], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("wrote the tests' schema (database `postgres`, pg_dump --schema-only)"), "{stderr}");
    let schema = p.read("schema/postgres.sql");
    assert!(schema.contains("CREATE TABLE public.tickets"), "{schema}");
    let config = p.read("plangate.toml");
    assert!(config.contains("[tables.tickets]") && config.contains("[tables.users]"), "{config}");
    assert!(config.contains("[query.tickets_by_owner]\nparams = [\"hot(tickets.owner)\"]"), "{config}");
    assert_eq!(query_files(&p), ["tickets_by_owner.sql", "users_by_id.sql"]);
    let (code, _, stderr) = p.run(&["check", "--no-cache"]);
    assert!(code == 0 || code == 1, "the catalog runs: {stderr}");
    p.assert_nothing_left();
}

/// A client that binds its parameters (the extended protocol, as drivers and ORMs talk):
/// pgbench runs a query whose status and LIMIT the application wrote into the SQL, with the
/// owner bound. The log keeps the bound `$1`, and the inlined constants stay literals.
#[test]
fn a_driver_that_binds_parameters_keeps_the_constants_it_inlined() {
    const BOUND: &str = r#"#!/bin/sh
set -e
psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -f schema/app.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "INSERT INTO users VALUES (1, 'ada'), (2, 'bob')" >/dev/null
pgbench -n -t 3 -M extended -f listing.pgbench "$DATABASE_URL" >/dev/null
"#;
    const SCRIPT: &str = "\\set owner random(1, 2)\n\
        SELECT id FROM tickets WHERE status = 'closed' AND owner = :owner ORDER BY id LIMIT 5;\n";
    let p = Project::new(&[
        ("plangate.toml", CONFIG),
        ("schema/app.sql", SCHEMA),
        ("run-tests.sh", BOUND),
        ("listing.pgbench", SCRIPT),
    ]);
    std::fs::set_permissions(p.path().join("run-tests.sh"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .unwrap();
    let (code, _, stderr) = capture(&p, &[], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(query_files(&p), ["tickets_by_owner.sql"], "{stderr}");
    let listing = p.read("queries/tickets_by_owner.sql");
    assert!(listing.contains("3 executions"), "{listing}");
    assert!(listing.contains("WHERE status = 'closed' AND owner = $1 ORDER BY id LIMIT 5"), "{listing}");
    p.assert_nothing_left();
}

/// The same capture on the container backend: the tests reach the container's published
/// port, and with no config the tests' schema is dumped by the image's own `pg_dump`.
#[test]
fn capture_runs_the_tests_against_a_container_too() {
    let Some(host) = common::docker::runtime("capture_runs_the_tests_against_a_container_too") else { return };
    let p = Project::new(&[("run-tests.sh", SUITE)]);
    std::fs::set_permissions(p.path().join("run-tests.sh"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .unwrap();
    let mut cmd = capture_command(&p, &["--backend", "container", "--image", "postgres:15"], &[("DOCKER_HOST", host)]);
    let child = cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let done = child.wait_with_output().unwrap();
    let (out, stderr) = (String::from_utf8_lossy(&done.stdout), String::from_utf8_lossy(&done.stderr));
    assert_eq!(done.status.code(), Some(0), "{stderr}");
    assert!(out.contains(" as postgres"), "the suite reached the container: {out}");
    assert!(stderr.contains("wrote the tests' schema (database `postgres`, pg_dump --schema-only)"), "{stderr}");
    assert!(p.read("schema/postgres.sql").contains("CREATE TABLE public.tickets"));
    assert_eq!(query_files(&p), ["tickets_by_owner.sql", "users_by_id.sql"], "exactly the reads: {stderr}");
    let listing = p.read("queries/tickets_by_owner.sql");
    assert!(listing.contains("WHERE status = 'open' AND owner = $1 ORDER BY created_at DESC LIMIT 20"), "{listing}");
    let left = common::docker::containers_of(host, pid);
    assert!(left.is_empty(), "capture left containers behind: {left:?}");
    p.assert_nothing_left();
}

/// An image whose client tools are older than its server (CI's `postgres:17` has 17's server
/// and 15's tools): the schema is dumped by a `pg_dump` of this machine as new as the server.
#[test]
fn a_newer_server_than_the_images_pg_dump_is_dumped_by_one_here() {
    let test = "a_newer_server_than_the_images_pg_dump_is_dumped_by_one_here";
    let Some(host) = common::docker::runtime(test) else { return };
    let Some(pg18) = common::postgres18(test) else { return };
    let p = Project::new(&[("run-tests.sh", SUITE)]);
    std::fs::set_permissions(p.path().join("run-tests.sh"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .unwrap();
    let path = format!("{}:{}", pg18.display(), std::env::var("PATH").unwrap_or_default());
    let (code, _, stderr) =
        capture(&p, &["--backend", "container", "--image", "postgres:17"], &[("DOCKER_HOST", host), ("PATH", &path)]);
    assert_eq!(code, 0, "{stderr}");
    let schema = p.read("schema/postgres.sql");
    assert!(
        schema.contains("CREATE TABLE public.tickets") && schema.contains("Dumped from database version 17."),
        "{schema}"
    );
    assert_eq!(query_files(&p), ["tickets_by_owner.sql", "users_by_id.sql"], "{stderr}");
    p.assert_nothing_left();
}
