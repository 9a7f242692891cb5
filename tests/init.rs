//! `plangate init` against real Postgres: a starting config from a schema, whose commented
//! generators are the ones a run infers, on the repo's shop and on schemas not designed here.

mod common;

use common::Project;
use plangate::postgres::local::{LocalCluster, find_bindir};
use sqlx::Connection;

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
fn init_into_an_existing_config_adds_what_it_lacks_and_keeps_the_rest_and_names_a_bad_schema() {
    let p = Project::new(&[
        (
            "schema/a.sql",
            "CREATE TABLE t (id int PRIMARY KEY, note text);\nCREATE TABLE u (id int PRIMARY KEY, t_id int NOT NULL REFERENCES t(id));",
        ),
        ("queries/by_t.sql", "SELECT * FROM u WHERE t_id = $1"),
        ("queries/mine.sql", "SELECT * FROM t WHERE id = $1"),
    ]);
    let mine =
        "# mine, with a comment\n[tables.t]   # sized by hand\nrows = 500\n\n[query.mine.cases]\none = [\"1\"]\n";
    p.write("plangate.toml", mine);
    let (code, _, stderr) = p.run(&["init", "--backend", "local"]);
    assert_eq!(code, 0, "{stderr}");
    let config = p.read("plangate.toml");
    assert!(config.starts_with(mine), "the user's text stays as it was:\n{config}");
    assert!(config.contains("[tables.u]\nrows = 10000") && config.matches("[tables.t]").count() == 1, "{config}");
    assert!(
        config.contains("[query.by_t]\nparams = [\"hot(u.t_id)\"]") && !config.contains("[query.mine]"),
        "{config}"
    );
    assert!(
        stderr.contains("added to plangate.toml: 1 table(s): u") && stderr.contains("parameters of by_t"),
        "{stderr}"
    );
    // Again: nothing left to add, and the file is not touched.
    let (code, _, stderr) = p.run(&["init", "--backend", "local"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("nothing added"), "{stderr}");
    assert_eq!(p.read("plangate.toml"), config);
    // --schema is for a new file; --force still rewrites the whole file.
    let (code, _, stderr) = p.run(&["init", "--backend", "local", "--schema", "schema/a.sql"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--schema") && stderr.contains("--force"), "{stderr}");
    let (code, _, stderr) = p.run(&["init", "--backend", "local", "--force"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!p.read("plangate.toml").contains("# mine"));
    p.assert_nothing_left();

    let q = Project::new(&[]);
    let (code, _, stderr) = q.run(&["init", "--backend", "local", "--schema", "db/*.sql"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("schema.files") && stderr.contains("db/*.sql"), "{stderr}");
    assert!(!q.path().join("plangate.toml").exists(), "no file on an error");
    q.write("schema/a.sql", "CREATE TABLE t (id int PRIMARY KEY);");
    let (code, _, stderr) = q.run(&["init", "--from-url", "postgres://x:secret@127.0.0.1:9/db"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("127.0.0.1:9") && !stderr.contains("secret"), "{stderr}");
    assert!(!q.path().join("plangate.toml").exists());
    let (code, _, stderr) = q.run(&["init", "--backend", "url", "--database-url", "postgres://x@127.0.0.1:9/db"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--from-url"), "{stderr}");
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

const PRODUCTION_SCHEMA: &str = "
CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE products (id bigint PRIMARY KEY, category_id int NOT NULL REFERENCES categories(id), price numeric(10,2));
CREATE TABLE events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE drafts (id int PRIMARY KEY);
";

#[tokio::test(flavor = "multi_thread")]
async fn init_from_a_production_database_takes_its_row_counts_read_only() {
    // "Production": a server with the schema, rows, and statistics of its own.
    let cluster = LocalCluster::start(find_bindir().expect("Postgres server binaries"), &[]).await.unwrap();
    let url = cluster.url("postgres");
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(PRODUCTION_SCHEMA).execute(&mut conn).await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO categories SELECT g, 'c' || g FROM generate_series(1, 400) g;
         INSERT INTO products SELECT g, 1 + g % 400, g % 1000 FROM generate_series(1, 34000) g;
         INSERT INTO events SELECT g, DATE '2024-06-01' + (g % 300) FROM generate_series(1, 9000) g;
         CREATE TABLE audit_only_in_production (id int);
         ANALYZE categories, products, events;",
    )
    .execute(&mut conn)
    .await
    .unwrap();

    // The repository: the same schema, but for a table production does not have yet.
    let p = Project::new(&[("schema/a.sql", &PRODUCTION_SCHEMA.replace("drafts", "drafts_new"))]);
    let (code, _, stderr) = tokio::task::spawn_blocking({
        let (p_dir, url) = (p.path().to_path_buf(), url.clone());
        move || {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_plangate"))
                .args(["init", "--backend", "local", "--from-url", &url])
                .current_dir(&p_dir)
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    let config = p.read("plangate.toml");
    assert!(config.contains("[tables.categories]\nrows = 400\n"), "{config}");
    assert!(config.contains("[tables.products]\nrows = 34000\n"), "{config}");
    assert!(config.contains("[tables.events]\nrows = 9000\n"), "partitions summed:\n{config}");
    assert!(config.contains("[tables.drafts_new]\nrows = 10000  # not in production"), "{config}");
    assert!(stderr.contains("audit_only_in_production"), "{stderr}");
    assert!(!config.contains(&url) && !config.contains("127.0.0.1"), "the URL is never written:\n{config}");

    // Read-only: production gained no table, database or statistics run of plangate's.
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(tables, 6, "categories, products, two partitions, drafts, audit_only_in_production, and nothing else");
    let databases: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname LIKE 'plangate%'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(databases, 0);
    p.assert_nothing_left();
}

/// A real application's sqlx offline query data, unchanged: the read queries become the
/// catalog, with their parameters, and the catalog runs.
#[test]
fn init_from_sqlx_imports_zero2prods_read_queries_and_they_run() {
    let p = Project::from_corpus("zero2prod");
    let (code, _, stderr) = p.run(&["init", "--schema", "migrations", "--from-sqlx"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(".sqlx: 18 queries, 6 read queries imported"), "{stderr}");
    assert!(stderr.contains("skipped 12 that are not a plain read"), "writes and a locking read: {stderr}");
    let mut names: Vec<String> = std::fs::read_dir(p.path().join("queries"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "idempotency_by_user_id_idempotency_key.sql",
            "newsletter_issues_by_newsletter_issue_id.sql",
            "subscription_tokens_by_subscription_token.sql",
            "subscriptions_list.sql",
            "users_by_user_id.sql",
            "users_by_username.sql"
        ]
    );
    let login = p.read("queries/users_by_username.sql");
    assert!(login.starts_with("-- From sqlx's offline data (query-acf1b96c"), "{login}");
    assert!(login.contains("parameters: $1 Text.") && login.contains("WHERE username = $1;"), "{login}");
    let config = p.read("plangate.toml");
    assert!(config.contains("[query.users_by_username]\nparams = [\"hot(users.username)\"]"), "{config}");

    let (code, report, stderr) = common::json_report(&p, &["check", "--no-cache"]);
    assert_eq!(code, 0, "{stderr}");
    let queries = report["queries"].as_array().unwrap();
    assert_eq!(queries.len(), 6, "every imported query ran");
    for q in queries {
        let runs = q["cases"][0]["runs"].as_array().unwrap();
        assert!(runs.iter().all(|r| r["work"].as_u64().is_some()), "{} measured at every scale", q["name"]);
    }

    // Again: every query is in the catalog already, and nothing is written over.
    let before = p.read("queries/users_by_username.sql");
    let (code, _, stderr) = p.run(&["init", "--from-sqlx"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("0 read queries imported"), "{stderr}");
    assert!(stderr.contains("is in the catalog already, as users_by_username"), "{stderr}");
    assert_eq!(p.read("queries/users_by_username.sql"), before);
    p.assert_nothing_left();
}

#[test]
fn init_from_sqlx_names_a_folder_or_file_it_cannot_read_and_writes_nothing() {
    let p = Project::from_corpus("zero2prod");
    let (code, _, stderr) = p.run(&["init", "--schema", "migrations", "--from-sqlx", "no-such-dir"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no-such-dir"), "{stderr}");
    p.write(".sqlx/query-broken.json", "{\"db_name\": \"PostgreSQL\"");
    let (code, _, stderr) = p.run(&["init", "--schema", "migrations", "--from-sqlx"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("query-broken.json") && stderr.contains("not sqlx's offline query data"), "{stderr}");
    assert!(!p.path().join("queries").exists() && !p.path().join("plangate.toml").exists(), "nothing written");
    p.assert_nothing_left();
}
