//! Bad input: every class of config and catalog error exits 2 with a message that names
//! the file and the key, and leaves nothing behind.

mod common;

use common::{Project, small_project};

fn assert_error(p: &Project, args: &[&str], needles: &[&str]) {
    let (code, stdout, stderr) = p.run(args);
    assert_eq!(code, 2, "exit code; stderr: {stderr}");
    assert!(stdout.is_empty(), "nothing on stdout: {stdout}");
    for n in needles {
        assert!(stderr.contains(n), "stderr should mention {n:?}: {stderr}");
    }
    p.assert_nothing_left();
}

const QUERY: &str = "SELECT count(*) FROM items WHERE kind = 3";

#[test]
fn unknown_key_names_file_key_and_line() {
    let p = small_project(QUERY);
    p.write("plangate.toml", "[scales]\nfactors = [1.0]\nsed = 3\n");
    assert_error(&p, &["check"], &["plangate.toml", "unknown field `sed`", "line 3"]);
}

#[test]
fn unknown_generator_names_table_and_column() {
    let p = small_project(QUERY);
    p.write("plangate.toml", "[tables.items]\nrows = 10\n[tables.items.columns]\nkind = \"pareto(3)\"\n");
    assert_error(&p, &["check"], &["plangate.toml", "tables.items.columns.kind", "unknown generator `pareto`"]);
}

#[test]
fn bad_scale_factor_in_file_and_flag() {
    let p = small_project(QUERY);
    p.write("plangate.toml", "[scales]\nfactors = [0.1, 0]\n");
    assert_error(&p, &["check"], &["scales.factors", "must be a positive number"]);
    let p = small_project(QUERY);
    assert_error(&p, &["check", "--scales", "0.1,-2"], &["--scales", "positive"]);
}

#[test]
fn table_the_schema_does_not_have() {
    let p = small_project(QUERY);
    p.write("plangate.toml", "[tables.itemz]\nrows = 10\n");
    assert_error(&p, &["check"], &["plangate.toml", "tables.itemz", "the schema has no table `itemz`"]);
    let (_, _, stderr) = p.run(&["check"]);
    assert!(!stderr.contains("ready"), "found before any Postgres starts: {stderr}");
}

#[test]
fn column_the_schema_does_not_have() {
    let p = small_project(QUERY);
    p.write("plangate.toml", "[tables.items]\nrows = 10\n[tables.items.columns]\ncolour = \"int(1, 2)\"\n");
    assert_error(&p, &["check"], &["tables.items.columns.colour", "has no column `colour`"]);
    let (_, _, stderr) = p.run(&["check"]);
    assert!(!stderr.contains("ready"), "found before any Postgres starts: {stderr}");
}

#[test]
fn query_section_without_a_query_file() {
    let p = small_project(QUERY);
    p.write("plangate.toml", "[query.missing]\ngrowth = \"linear\"\n");
    assert_error(&p, &["check"], &["query.missing", "missing.sql"]);
}

#[test]
fn catalog_errors_name_the_file() {
    for (sql, needle) in [
        ("", "the query file is empty"),
        ("SELECT 1; SELECT 2;", "2 statements"),
        ("VACUUM items", "a VACUUM statement is neither a read"),
        ("SELEC 1", "a SELEC statement"),
    ] {
        let p = small_project(sql);
        assert_error(&p, &["check"], &["queries/by_kind.sql", needle]);
    }
}

#[test]
fn postgres_checks_queries_against_the_schema_before_loading_data() {
    for (sql, needles) in [
        ("SELECT id\nFROM items\nWHERE kind = = 3", &["by_kind.sql", "line 3, column 14", "syntax error"][..]),
        ("SELECT colour FROM items", &["by_kind.sql", "line 1, column 8", "column \"colour\" does not exist"]),
        ("-- a comment first\nSELECT colour FROM items", &["by_kind.sql", "line 2, column 8", "column \"colour\""]),
        ("DELETE FROM items WHERE colour = 3", &["by_kind.sql", "line 1, column 25", "column \"colour\""]),
    ] {
        let p = small_project(sql);
        let (code, _, stderr) = p.run(&["check"]);
        assert_eq!(code, 2, "{stderr}");
        for n in needles {
            assert!(stderr.contains(n), "{sql}: stderr should mention {n:?}: {stderr}");
        }
        assert!(!stderr.contains("loaded"), "no data was loaded: {stderr}");
        p.assert_nothing_left();
    }
}

#[test]
fn parameters_without_values() {
    let p = small_project("SELECT * FROM items WHERE kind = $1");
    assert_error(&p, &["check"], &["by_kind.sql", "$1", "params"]);
}

#[test]
fn unknown_query_on_the_command_line() {
    let p = small_project(QUERY);
    assert_error(&p, &["check", "nope"], &["unknown query `nope`", "by_kind"]);
}

#[test]
fn bad_partition() {
    let p = small_project(QUERY);
    assert_error(&p, &["check", "--partition", "3/2"], &["--partition", "K/N"]);
}

#[test]
fn no_config_found() {
    let p = Project::new(&[]);
    assert_error(&p, &["check"], &["no plangate.toml found", "plangate init"]);
}

#[test]
fn schema_error_names_file_line_and_message() {
    let p = small_project(QUERY);
    p.write(
        "schema/schema.sql",
        "CREATE TABLE items (id bigint PRIMARY KEY, kind int NOT NULL);\nCREATE INDEX ON items (knd);\n",
    );
    assert_error(
        &p,
        &["check", "--backend", "local"],
        &["schema/schema.sql", "line 2", "column \"knd\" does not exist"],
    );
}

#[test]
fn unreachable_database_url_fails_fast_naming_the_host() {
    let p = small_project(QUERY);
    let started = std::time::Instant::now();
    assert_error(&p, &["check", "--database-url", "postgres://u@127.0.0.1:9/db"], &["127.0.0.1:9", "cannot connect"]);
    assert!(started.elapsed().as_secs() < 10, "took {:?}", started.elapsed());
}

#[test]
fn a_format_a_command_does_not_print_is_an_argument_error() {
    let p = small_project(QUERY);
    assert_error(&p, &["suggest", "--format", "html"], &["--format", "suggest prints"]);
    assert_error(&p, &["explain", "by_kind", "--format", "junit"], &["--format", "explain prints"]);
}

#[test]
fn init_from_an_unreachable_database_names_it_and_writes_nothing() {
    let p = small_project(QUERY);
    std::fs::remove_file(p.path().join("plangate.toml")).unwrap();
    assert_error(&p, &["init", "--from-url", "postgres://u@127.0.0.1:9/db"], &["127.0.0.1:9", "cannot connect"]);
    assert!(!p.path().join("plangate.toml").exists());
}

#[test]
fn every_subcommand_is_in_help() {
    let p = Project::new(&[]);
    let (code, stdout, _) = p.run(&["--help"]);
    assert_eq!(code, 0);
    for sub in ["check", "bless", "curve", "explain", "suggest", "init", "fidelity"] {
        assert!(stdout.contains(sub), "{sub} missing from --help: {stdout}");
    }
}

#[test]
fn bad_images_name_the_key() {
    let p = small_project(QUERY);
    let config = p.with_database(r#"image = ["postgres:15", "postgres:15"]"#);
    assert_error(&p, &["check"], &["plangate.toml", "database.image", "`postgres:15` is listed twice"]);
    p.write("plangate.toml", &config);
    p.with_database("image = []");
    assert_error(&p, &["check"], &["database.image", "the list of images is empty"]);
    p.write("plangate.toml", &config);
    assert_error(&p, &["check", "--image", "postgres@sha256:0123"], &["--image", "digests", "name the image by tag"]);
}

#[test]
fn cluster_on_a_column_that_is_no_reference_names_the_key() {
    let p = small_project(QUERY);
    p.write("plangate.toml", "[tables.items]\nrows = 10\ncluster = \"kind\"\n");
    assert_error(&p, &["check"], &["plangate.toml", "tables.items.cluster", "`kind` is not a column filled by ref()"]);
}

#[test]
fn a_psql_meta_command_in_a_schema_file_names_its_line() {
    let p = small_project(QUERY);
    let schema = p.read("schema/schema.sql");
    p.write("schema/schema.sql", &format!("{schema}\\i more.sql\n"));
    assert_error(&p, &["check"], &["schema.sql", "line 3: psql meta-command `\\i`"]);
}

#[test]
fn stats_without_a_snapshot_or_with_a_broken_one_names_the_file_and_key() {
    let p = small_project(QUERY);
    p.write("plangate.toml", "[tables.items]\nrows = 10\n[tables.items.columns]\nkind = \"stats\"\n");
    assert_error(&p, &["check"], &["tables.items.columns.kind", "snapshot/tables/items.json", "init --from-url"]);
    p.write("snapshot/tables/items.json", "{\"format_version\": 9}");
    assert_error(&p, &["check"], &["snapshot/tables/items.json", "not a snapshot file"]);
    let table = r#"{"format_version": 1, "table": "items", "rows": 10, "pages": 1, "columns": {}}"#;
    p.write("snapshot/tables/items.json", table);
    assert_error(&p, &["check"], &["tables.items.columns.kind", "no statistics for column `kind`"]);
    p.write("plangate.toml", "[tables.items]\nrows = 10\n[tables.items.columns]\nkind = \"stats(7)\"\n");
    assert_error(&p, &["check"], &["tables.items.columns.kind", "stats takes no values"]);
    p.write("plangate.toml", "[tables.items]\nrows = 10\n");
    assert_error(&p, &["fidelity", "nope"], &["snapshot has no table `nope`"]);
    std::fs::remove_dir_all(p.path().join("snapshot")).unwrap();
    assert_error(&p, &["fidelity"], &["snapshot", "run `plangate init --from-url` first"]);
}
