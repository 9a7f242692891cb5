//! `plangate init` against real Postgres: a starting config from a schema, whose commented
//! generators are the ones a run infers, on the repo's shop and on schemas not designed here.

mod common;

use common::Project;

/// Every `# column = "generator"` line of the config, uncommented.
fn uncommented(config: &str) -> String {
    config
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if rest.contains(" = \"") || rest.contains(" = '") => rest.to_string(),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Smaller tables, for a quick run.
fn small(config: &str) -> String {
    config.replace("rows = 10000", "rows = 2000").replace("factors = [0.01, 0.1, 1]", "factors = [0.1, 1.0]")
}

#[test]
fn init_writes_every_table_and_the_inferred_generators_which_run_as_written() {
    let repo = Project::from_repo_catalog();
    let p = Project::new(&[]);
    std::fs::create_dir_all(p.path().join("schema")).unwrap();
    for f in std::fs::read_dir(repo.path().join("schema")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), p.path().join("schema").join(f.file_name())).unwrap();
    }
    let (code, _, stderr) = p.run(&["init", "--backend", "local"]);
    assert_eq!(code, 0, "{stderr}");
    let config = p.read("plangate.toml");
    for table in ["products", "categories", "customers", "orders", "order_items", "inventory", "cart_items"] {
        assert!(config.contains(&format!("[tables.{table}]\nrows = 10000")), "{table} missing:\n{config}");
    }
    assert!(config.contains("# category_id = \"ref(categories.id)\""), "{config}");
    p.assert_nothing_left();

    // The config runs as written (generators inferred) and with every line uncommented.
    p.write("queries/listing.sql", "SELECT id FROM products WHERE category_id = 3 ORDER BY created_at DESC LIMIT 20");
    p.write("plangate.toml", &small(&config));
    let (code, _, stderr) = p.run(&["check", "--backend", "local"]);
    assert_eq!(code, 0, "{stderr}");
    p.write("plangate.toml", &small(&uncommented(&config)));
    let (code, _, stderr) = p.run(&["check", "--backend", "local"]);
    assert_eq!(code, 0, "the uncommented generators do not run: {stderr}\n{}", uncommented(&config));
    p.assert_nothing_left();
}

#[test]
fn init_never_overwrites_without_force_and_names_a_bad_schema() {
    let p = Project::new(&[("schema/a.sql", "CREATE TABLE t (id int PRIMARY KEY, note text);")]);
    p.write("plangate.toml", "# mine\n");
    let (code, _, stderr) = p.run(&["init", "--backend", "local"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("plangate.toml exists") && stderr.contains("--force"), "{stderr}");
    assert_eq!(p.read("plangate.toml"), "# mine\n");
    let (code, _, stderr) = p.run(&["init", "--backend", "local", "--force"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(p.read("plangate.toml").contains("[tables.t]"));

    let q = Project::new(&[]);
    let (code, _, stderr) = q.run(&["init", "--backend", "local", "--schema", "db/*.sql"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("schema.files") && stderr.contains("db/*.sql"), "{stderr}");
    assert!(!q.path().join("plangate.toml").exists(), "no file on an error");
    let (code, _, stderr) = q.run(&["init", "--from-url", "postgres://x@127.0.0.1:9/db"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(!q.path().join("plangate.toml").exists());
    q.assert_nothing_left();
}

#[test]
fn init_reads_a_pg_dump_and_a_migrations_folder() {
    for (data, schema) in [("helpdesk", "schema/*.sql"), ("blog", "migrations")] {
        let p = Project::from_data(data);
        std::fs::remove_file(p.path().join("plangate.toml")).unwrap();
        let (code, _, stderr) = p.run(&["init", "--backend", "local", "--schema", schema]);
        assert_eq!(code, 0, "{data}: {stderr}");
        let config = p.read("plangate.toml");
        assert!(config.contains(&format!("files = [\"{schema}\"]")), "{config}");
        // The written config, uncommented, is one plangate reads and loads.
        std::fs::remove_dir_all(p.path().join("queries")).unwrap();
        p.write("queries/one.sql", "SELECT 1");
        p.write("plangate.toml", &small(&uncommented(&config)));
        let (code, _, stderr) = p.run(&["check", "--backend", "local"]);
        assert_eq!(code, 0, "{data}: {stderr}\n{}", uncommented(&config));
        p.assert_nothing_left();
    }
}
