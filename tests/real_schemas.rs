//! Schemas nobody here designed: `pg_dump` files, migrations with triggers, partitions,
//! domains, odd types; and verdicts that repeat exactly from run to run.
#![allow(clippy::float_cmp, reason = "runs repeat exactly: their numbers are compared as they are")]

mod common;

use std::collections::BTreeSet;

use common::{Project, Works, json_report, works};
use serde_json::Value;

fn runs(report: &Value, query: &str) -> Vec<Value> {
    let q = report["queries"].as_array().unwrap().iter().find(|q| q["name"] == query).unwrap();
    q["cases"][0]["runs"].as_array().unwrap().clone()
}

/// An index-only scan on a narrow table, grown through several small scales: every page
/// must be all-visible after loading, at every scale and in every run. Before the loader
/// committed synchronously, VACUUM could not mark the pages whose commit was not yet
/// flushed, so small scales planned bitmap scans or paid heap fetches, by chance.
#[test]
fn index_only_scans_see_an_all_visible_heap_at_every_scale_in_every_run() {
    let p = Project::new(&[
        (
            "plangate.toml",
            "[scales]\nfactors = [0.01, 0.02, 0.05, 0.1, 0.3, 1.0]\nseed = 7\n[thresholds]\nrepeats = 1\n\
             [tables.events]\nrows = 200_000\n[tables.events.columns]\nkind = \"int(1, 2000)\"\n\
             [tables.other]\nrows = 300_000\n\
             [query.by_kind]\nparams = [\"typical(events.kind)\"]\n",
        ),
        (
            "schema/s.sql",
            "CREATE TABLE events (id bigint PRIMARY KEY, kind int NOT NULL);\n\
             CREATE INDEX events_kind_id ON events (kind, id);\n\
             CREATE TABLE other (id bigint PRIMARY KEY, v int, w text);\nCREATE INDEX ON other (v);\n",
        ),
        ("queries/by_kind.sql", "SELECT count(*) FROM events WHERE kind = $1;\n"),
    ]);
    let mut seen: Vec<Works> = Vec::new();
    for _ in 0..4 {
        let (code, report, stderr) = json_report(&p, &["check"]);
        assert_eq!(code, 0, "{stderr}");
        for r in runs(&report, "by_kind") {
            let shape = r["shape"].as_str().unwrap();
            assert!(shape.contains("Index Only Scan using events_kind_id"), "scale {}: {shape}", r["scale"]);
            // About 100 rows of one kind at 1.0 sit in a few index pages; a heap fetch per row
            // would read tens of blocks more.
            assert!(r["work"].as_u64().unwrap() <= 6, "scale {}: work {} (heap fetches?)", r["scale"], r["work"]);
        }
        seen.push(works(&report));
    }
    let distinct: BTreeSet<_> = seen.iter().collect();
    assert_eq!(distinct.len(), 1, "work differs between runs: {seen:?}");
    p.assert_nothing_left();
}

/// Bless, then check ten times, every other time on a world built afresh and otherwise on
/// the cached one: every check passes with the same work for every query, case and scale.
/// Returns the report of the last check.
fn bless_then_ten_identical_checks(p: &Project) -> Value {
    let (code, _, stderr) = json_report(p, &["bless"]);
    assert_eq!(code, 0, "bless: {stderr}");
    let mut all: Vec<Works> = Vec::new();
    let mut last = Value::Null;
    for i in 0..10 {
        let args: &[&str] = if i % 2 == 0 { &["check", "--no-cache"] } else { &["check"] };
        let (code, report, stderr) = json_report(p, args);
        assert_eq!(code, 0, "check {i} after bless: {stderr}\n{report:#}");
        all.push(works(&report));
        last = report;
    }
    // Distinct work values per query, case and scale over the ten runs: must be one each.
    for (i, (key, _)) in all[0].iter().enumerate() {
        let distinct: BTreeSet<u64> = all.iter().map(|w| w[i].1).collect();
        eprintln!("repeatability {key:?}: {} distinct work value(s) {distinct:?}", distinct.len());
        assert_eq!(distinct.len(), 1, "{key:?} varies over ten checks: {distinct:?}");
    }
    p.assert_nothing_left();
    last
}

/// A migrations folder with a counter trigger, an audit trigger and a rule. The counter
/// trigger used to fire while loading posts (hundreds of times slower) and its rows then
/// collided with the generated counter rows when the key was recreated.
#[test]
fn a_migrations_folder_with_triggers_loads_without_them_and_repeats_exactly() {
    let p = Project::from_data("blog");
    let report = bless_then_ten_identical_checks(&p);
    let notes = report["notes"].to_string();
    for name in ["trigger posts_count on posts", "trigger comments_audit on comments", "rule comments_keep on comments"]
    {
        assert!(notes.contains(name), "the report says {name} was off: {notes}");
    }
    // The one-to-one counter table (keyed by its foreign key) has a row per user it names.
    let rows = runs(&report, "top_posters").last().unwrap()["rows"].clone();
    assert_eq!(rows["user_stats"], 12_000, "{rows}");
}

/// `fire_triggers = true` loads through the table's triggers: the audit trigger fills its log.
#[test]
fn fire_triggers_loads_through_the_application_triggers() {
    let p = Project::from_data("blog");
    p.write("queries/audit.sql", "SELECT id FROM audit_log;\n");
    let audited = |report: &Value| runs(report, "audit").last().unwrap()["actual_rows"].as_f64().unwrap();
    let args = ["check", "audit", "--scales", "0.01,0.02,0.05"];
    let (_, quiet, stderr) = json_report(&p, &args);
    assert_eq!(audited(&quiet), 0.0, "{stderr}");
    let config = p.read("plangate.toml").replace("[tables.comments]\n", "[tables.comments]\nfire_triggers = true\n");
    p.write("plangate.toml", &config);
    let (_, loud, stderr) = json_report(&p, &args);
    assert_eq!(audited(&loud), 15_000.0, "one audit row per comment: {stderr}");
    assert!(!loud["notes"].to_string().contains("comments_audit"), "{}", loud["notes"]);
    p.assert_nothing_left();
}

/// The repo's own shop, blessed afresh and checked ten times.
#[test]
fn the_repo_catalog_repeats_exactly() {
    bless_then_ten_identical_checks(&Project::from_repo_catalog());
}

/// A `pg_dump --schema-only` file as a user brings it: its own schema, owners and grants,
/// an emptied `search_path`, domains, enums, partitions of three kinds with foreign keys
/// declared on partitions, triggers, a generated tsvector, bytea, inet, interval, citext.
#[test]
fn a_pg_dump_schema_loads_and_repeats_exactly() {
    let p = Project::from_data("helpdesk");
    let report = bless_then_ten_identical_checks(&p);
    let notes = report["notes"].to_string();
    assert!(notes.contains("ownership and privilege statements"), "{notes}");
    assert!(notes.contains("trigger messages_count on app.messages"), "{notes}");
    assert!(!notes.contains("app.messages_chat"), "a partition's copy of a trigger is not named: {notes}");
    // The timeline reads the June to December partitions through their own indexes.
    let last = runs(&report, "ticket_timeline").last().unwrap().clone();
    assert!(
        last["shape"].as_str().unwrap().contains("Index Scan using events_2024_06_ticket_id_created_at_idx"),
        "{last}"
    );
    assert!(last["rows"]["app.events_2024_07"].as_u64().unwrap() > 10_000, "partition rows as loaded: {last}");
}

/// The plan traps and the advisor on the dump: `skew()` over a column of a partitioned
/// table, and `suggest` for the whole catalog, leave nothing behind and say what they tried.
#[test]
fn skew_and_the_advisor_work_on_a_pg_dump_schema() {
    let p = Project::from_data("helpdesk");
    let config = p.read("plangate.toml").replace(
        "[query.agent_queue]\nparams = [\"hot(app.tickets.assignee_id)\"]",
        "[query.agent_queue]\nparams = [\"skew(app.tickets.assignee_id)\"]",
    );
    assert!(config.contains("skew(app.tickets.assignee_id)"), "the fixture names agent_queue's parameter: {config}");
    p.write("plangate.toml", &config);
    let (code, report, stderr) = json_report(&p, &["check", "agent_queue"]);
    assert_eq!(code, 0, "{stderr}");
    let q = &report["queries"][0];
    let cases: Vec<&str> = q["cases"].as_array().unwrap().iter().map(|c| c["case"].as_str().unwrap()).collect();
    assert_eq!(cases, ["hot", "typical", "cold"], "{q}");
    assert!(q["skew"][0].as_str().unwrap().starts_with("skew of app.tickets.assignee_id at scale 1: hot "), "{q}");
    assert!(q["cases"][0]["runs"][0]["generic"].is_object(), "a parameterized query runs as a prepared statement: {q}");
    let (code, out, stderr) = p.run(&["suggest", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let out: Value = serde_json::from_str(&out).unwrap();
    assert!(out["migration"].is_object() && out["tried"].is_array(), "{out}");
    p.assert_nothing_left();
}

/// What a schema file sets stays in the schema's session: a dump's empty `search_path` used
/// to reach the loading session, which then found no table.
/// A schema file as Postgres 17 and 18's `pg_dump` write it opens with settings Postgres 15
/// does not know (`transaction_timeout`): they are skipped, and the schema applies.
#[test]
fn a_newer_pg_dumps_settings_do_not_stop_the_schema() {
    let header = "SET statement_timeout = 0;\nSET lock_timeout = 0;\nSET idle_in_transaction_session_timeout = 0;\n\
                  SET transaction_timeout = 0;\nSET client_encoding = 'UTF8';\n\
                  SELECT pg_catalog.set_config('search_path', '', false);\n";
    let p = Project::new(&[("schema/dump.sql", &format!("{header}CREATE TABLE public.t (id int PRIMARY KEY);\n"))]);
    let (code, _, stderr) = p.run(&["init", "--backend", "local"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(p.read("plangate.toml").contains("[tables.t]"));
}

#[test]
fn a_schema_that_empties_search_path_does_not_change_plangates_sessions() {
    let p = common::small_project("SELECT count(*) FROM items WHERE kind = 3");
    p.write(
        "schema/schema.sql",
        "SET client_min_messages = warning;\nSELECT pg_catalog.set_config('search_path', '', false);\n\
         CREATE TABLE public.items (id bigint PRIMARY KEY, kind int NOT NULL, note text);\n\
         CREATE INDEX items_kind_idx ON public.items (kind);\n",
    );
    let (code, _, stderr) = p.run(&["check"]);
    assert_eq!(code, 0, "{stderr}");
    p.assert_nothing_left();
}

/// An error in a schema file names that file and the statement's line, also after a
/// dump's preamble, and leaves nothing behind.
#[test]
fn a_schema_error_names_the_file_and_line() {
    let p = common::small_project("SELECT count(*) FROM items WHERE kind = 3");
    p.write(
        "schema/schema.sql",
        "\\restrict abc\nSELECT pg_catalog.set_config('search_path', '', false);\n\
         CREATE TABLE public.items (id bigint PRIMARY KEY, kind int NOT NULL);\n\n\
         CREATE INDEX items_kind_idx ON public.items (knid);\n\\unrestrict abc\n",
    );
    let (code, _, stderr) = p.run(&["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("schema.sql: line 5, column 1: column \"knid\" does not exist"), "{stderr}");
    p.assert_nothing_left();
}

/// A sampled parameter is sampled at the smallest scale and followed: every scale runs the
/// same key, so the growth fit compares one key with itself.
#[test]
fn sampled_parameters_follow_one_key_across_scales() {
    let p = Project::new(&[
        (
            "plangate.toml",
            "[scales]\nfactors = [0.05, 0.2, 1.0]\n[thresholds]\nrepeats = 1\n\
             [tables.users]\nrows = 2000\n[tables.posts]\nrows = 20000\n\
             [query.by_user]\nparams = [\"cold(posts.user_id)\"]\ngrowth = \"constant\"\n",
        ),
        (
            "schema/s.sql",
            "CREATE TABLE users (id int PRIMARY KEY);\n\
             CREATE TABLE posts (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users (id));\n\
             CREATE INDEX posts_user_idx ON posts (user_id);\n",
        ),
        ("queries/by_user.sql", "SELECT id FROM posts WHERE user_id = $1;\n"),
    ]);
    let (code, report, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 0, "{stderr}");
    let params: BTreeSet<String> = runs(&report, "by_user").iter().map(|r| r["params"].to_string()).collect();
    assert_eq!(params.len(), 1, "one key at every scale: {params:?}");
    p.assert_nothing_left();
}

/// A budget broken by a few blocks is a warning that says why, not a failure.
#[test]
fn a_growth_fit_over_a_few_blocks_warns_instead_of_failing() {
    let p = Project::new(&[
        (
            "plangate.toml",
            "[scales]\nfactors = [0.01, 0.1, 1.0]\n[thresholds]\nrepeats = 1\n\
             [tables.items]\nrows = 400000\n[tables.items.columns]\nkind = \"int(1, 1000000)\"\n\
             [query.lookup]\nparams = [\"42\"]\ngrowth = \"constant\"\n",
        ),
        (
            "schema/s.sql",
            "CREATE TABLE items (id bigint PRIMARY KEY, kind int NOT NULL);\nCREATE INDEX ON items (kind);\n",
        ),
        ("queries/lookup.sql", "SELECT id FROM items WHERE kind = $1 OR id = $1;\n"),
    ]);
    let (code, report, stderr) = json_report(&p, &["check"]);
    let case = &report["queries"][0]["cases"][0];
    let growth: Vec<&Value> = case["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "growth").collect();
    for f in &growth {
        assert_eq!(f["severity"], "warning", "{f}");
        assert!(f["detail"].as_str().unwrap().contains("weak fit"), "{f}");
    }
    assert_eq!(code, 0, "{stderr}\n{report:#}");
    p.assert_nothing_left();
}

/// The first bless has no baseline to compare with: no "(was ...)"; the next one says
/// what the previous baseline had.
#[test]
fn the_first_bless_shows_no_previous_growth() {
    let p = common::small_project("SELECT count(*) FROM items WHERE kind = 3");
    let (code, stdout, stderr) = p.run(&["bless"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("(was"), "{stdout}");
    let (_, stdout, _) = p.run(&["bless"]);
    assert!(stdout.contains("(was"), "{stdout}");
    p.assert_nothing_left();
}

/// A sequential scan under a LIMIT reads from the table's first block, whatever ran before
/// it. With synchronized scans it started where the previous scan of the table stopped (an
/// earlier query of the catalog, an index build on another session), so its work depended
/// on the catalog and, under load, on timing.
#[test]
fn a_limited_seq_scan_does_the_same_work_alone_and_after_other_queries() {
    let p = Project::new(&[
        (
            "plangate.toml",
            // Synchronized scans start at a quarter of shared_buffers: keep the table above it.
            "[database]\nsettings = { shared_buffers = \"16MB\" }\n\
             [scales]\nfactors = [0.5, 0.7, 1.0]\n[thresholds]\nrepeats = 1\n\
             [tables.big]\nrows = 80000\n[tables.big.columns]\nn = \"serial\"\nk = \"int(1, 1000)\"\nv = \"text(10, 15)\"\n",
        ),
        (
            "schema/s.sql",
            "CREATE TABLE big (id bigint PRIMARY KEY, n int NOT NULL, k int NOT NULL, v text NOT NULL);\n",
        ),
        // Stops two thirds into the table: a scan that starts where it stopped reads other blocks.
        ("queries/a_far.sql", "SELECT id FROM big WHERE n >= 50000 LIMIT 1;\n"),
        ("queries/b_some.sql", "SELECT id FROM big WHERE k = 7 LIMIT 20;\n"),
    ]);
    let work = |report: &Value| runs(report, "b_some").iter().map(|r| r["work"].as_u64().unwrap()).collect::<Vec<_>>();
    let (code, alone, stderr) = json_report(&p, &["check", "b_some"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, together, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(runs(&alone, "b_some")[0]["shape"].as_str().unwrap().contains("Seq Scan on big"));
    assert_eq!(work(&alone), work(&together), "b_some's work depends on what ran before it");
    p.assert_nothing_left();
}

/// Reported rows are the rows loaded: a join table keyed by two foreign keys drops the
/// pairs drawn twice, and the report says how many rows it has, not how many were asked.
#[test]
fn reported_rows_are_the_rows_loaded() {
    let p = Project::new(&[
        (
            "plangate.toml",
            "[scales]\nfactors = [0.2, 0.5, 1.0]\n[thresholds]\nrepeats = 1\n\
             [tables.products]\nrows = 200\n[tables.tags]\nfixed_rows = 10\n[tables.product_tags]\nrows = 1000\n",
        ),
        (
            "schema/s.sql",
            "CREATE TABLE products (id int PRIMARY KEY);\nCREATE TABLE tags (id int PRIMARY KEY);\n\
             CREATE TABLE product_tags (product_id int REFERENCES products, tag_id int REFERENCES tags,\n\
                                        PRIMARY KEY (product_id, tag_id));\n",
        ),
        ("queries/all_pairs.sql", "SELECT count(*) FROM product_tags;\n"),
    ]);
    let (code, report, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 0, "{stderr}");
    let last = runs(&report, "all_pairs").last().unwrap().clone();
    let rows = last["rows"]["product_tags"].as_u64().unwrap();
    assert!(rows < 1000 && rows > 500, "{last}");
    p.assert_nothing_left();
}

/// What a real application's migrations declared and inference used to miss, reduced: a
/// unique index over `lower(email)`, a partial unique index, a unique `bytea`, a composite
/// unique key that drops rows which children still referenced, and materialized views (one
/// over another, one created WITH NO DATA). Every index builds at every scale, no child row
/// points at a dropped parent, the views hold rows, and two cold runs measure the same.
#[test]
fn unique_expression_and_partial_indexes_orphans_and_materialized_views_load_and_repeat() {
    let p = Project::new(&[
        (
            "schema/s.sql",
            "CREATE TABLE parent (id serial PRIMARY KEY, a int NOT NULL, b int NOT NULL, UNIQUE (a, b));\n\
             CREATE TABLE child (id serial PRIMARY KEY, pid int NOT NULL REFERENCES parent(id), note text);\n\
             CREATE TABLE accounts (id serial PRIMARY KEY, email text NOT NULL, deleted_at timestamptz,\n\
                 avatar bytea NOT NULL UNIQUE);\n\
             CREATE UNIQUE INDEX accounts_email_key ON accounts ((lower(email)));\n\
             CREATE UNIQUE INDEX accounts_live_email ON accounts (email) WHERE deleted_at IS NULL;\n\
             CREATE MATERIALIZED VIEW parent_counts AS SELECT pid, count(*) AS n FROM child GROUP BY pid;\n\
             CREATE UNIQUE INDEX ON parent_counts (pid);\n\
             CREATE MATERIALIZED VIEW big_parents AS SELECT * FROM parent_counts WHERE n > 3 WITH NO DATA;\n",
        ),
        (
            "plangate.toml",
            "[scales]\nfactors = [0.1, 0.5, 1.0]\n[thresholds]\nrepeats = 1\n\
             [tables.parent]\nrows = 2000\n[tables.parent.columns]\na = \"int(1, 40)\"\nb = \"int(1, 40)\"\n\
             [tables.child]\nrows = 10000\n[tables.accounts]\nrows = 5000\n\
             [query.big]\nparams = [\"5\"]\n\
             # No index serves child.pid: the lookup reads the whole table, and its budget says so.\n\
             [query.kids]\nparams = [\"typical(child.pid)\"]\ngrowth = \"linear\"\n\
             [query.by_email]\nparams = [\"hot(accounts.email)\"]\n",
        ),
        ("queries/big.sql", "SELECT * FROM big_parents WHERE n > $1"),
        ("queries/kids.sql", "SELECT * FROM child WHERE pid = $1"),
        ("queries/by_email.sql", "SELECT id FROM accounts WHERE lower(email) = lower($1)"),
    ]);
    let (code, first, stderr) = json_report(&p, &["check", "--no-cache"]);
    assert_eq!(code, 0, "{stderr}");
    for r in runs(&first, "big") {
        assert!(r["actual_rows"].as_f64().unwrap() > 0.0, "the views were refreshed at scale {}", r["scale"]);
    }
    // 1600 distinct (a, b) pairs for 2000 parents: rows went, and their children with them.
    let kids = runs(&first, "kids");
    let children = kids.last().unwrap()["rows"]["child"].as_u64().unwrap();
    assert!(children < 10_000 && children > 5_000, "{children} children kept");
    for r in runs(&first, "by_email") {
        assert!(r["shape"].as_str().unwrap().contains("accounts_email_key"), "{}", r["shape"]);
    }
    let (code, second, stderr) = json_report(&p, &["check", "--no-cache"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(works(&first), works(&second));
    p.assert_nothing_left();

    // A view whose refresh fails on the loaded rows is named, and nothing is left.
    let schema = p.read("schema/s.sql");
    p.write(
        "schema/s.sql",
        &format!("{schema}CREATE MATERIALIZED VIEW ratios AS SELECT 1 / (n - n) AS r FROM parent_counts;\n"),
    );
    let (code, _, stderr) = p.run(&["check", "--no-cache"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("refreshing materialized view ratios: division by zero"), "{stderr}");
    p.assert_nothing_left();
}

/// Migrations as goose and dbmate keep them, broken on purpose: a statement that fails names
/// the file, its line and the tool's own name for the migration; markers that cannot be read
/// name the file and line; a folder that could be either tool's names both and the key that
/// settles it. Each is exit 2 and leaves nothing behind.
#[test]
fn broken_migrations_name_the_file_the_line_and_the_tools_migration() {
    let goose = |second: &str| {
        Project::new(&[
            ("plangate.toml", "[schema]\nfiles = [\"db/migrations\"]\n"),
            (
                "db/migrations/00001_users.sql",
                "-- +goose Up\nCREATE TABLE users (id int PRIMARY KEY);\n-- +goose Down\nDROP TABLE users;\n",
            ),
            ("db/migrations/00002_posts.sql", second),
            ("queries/q.sql", "SELECT 1"),
        ])
    };
    let p = goose(
        "-- +goose Up\n\nCREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES user (id));\n-- +goose Down\nDROP TABLE posts;\n",
    );
    let (code, _, stderr) = p.run(&["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("00002_posts.sql: goose migration `00002_posts`: line 3"), "{stderr}");
    p.assert_nothing_left();
    let p = goose("-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE posts (id int);\n-- +goose Down\n");
    let (code, _, stderr) = p.run(&["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("schema.files")
            && stderr.contains("00002_posts.sql: line 2: `-- +goose StatementBegin` without"),
        "{stderr}"
    );
    let p = goose("-- migrate:up\nCREATE TABLE posts (id int);\n-- migrate:down\nDROP TABLE posts;\n");
    let (code, _, stderr) = p.run(&["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("could be a goose folder") && stderr.contains("[schema] format"), "{stderr}");
    // The goose migration the check ran: the Down sections did not (users is there).
    let p = goose(
        "-- +goose Up\nCREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users (id));\n-- +goose Down\nDROP TABLE posts;\n",
    );
    p.write("queries/q.sql", "SELECT count(*) FROM posts JOIN users ON users.id = posts.user_id");
    let (code, _, stderr) = p.run(&["check"]);
    assert_eq!(code, 0, "{stderr}");
    p.assert_nothing_left();
}

/// The same partitioned table, its indexes declared once on the parent, and as `pg_dump`
/// writes them (`ON ONLY` the parent, each partition's own index, `ATTACH PARTITION`): the
/// check measures the same plans and work, and `suggest` builds, verifies and drops its
/// candidate on both and finds the same index.
#[test]
fn partitioned_indexes_as_pg_dump_writes_them_measure_and_suggest_like_declared_ones() {
    const TABLES: &str = "CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);\n\
        CREATE TABLE orders (id bigint NOT NULL, customer_id bigint NOT NULL REFERENCES customers(id),\n\
            ordered_at timestamptz NOT NULL, total numeric(10,2), PRIMARY KEY (id, ordered_at)) PARTITION BY RANGE (ordered_at);\n\
        CREATE TABLE orders_p2024_h1 PARTITION OF orders FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');\n\
        CREATE TABLE orders_p2024_h2 PARTITION OF orders FOR VALUES FROM ('2024-07-01') TO ('2025-01-01');\n";
    let declared = format!("{TABLES}CREATE INDEX idx_orders_customer_id ON orders (customer_id);\n");
    let dumped = format!(
        "{TABLES}CREATE INDEX idx_orders_customer_id ON ONLY public.orders USING btree (customer_id);\n\
         CREATE INDEX orders_p2024_h1_customer_id_idx ON public.orders_p2024_h1 USING btree (customer_id);\n\
         CREATE INDEX orders_p2024_h2_customer_id_idx ON public.orders_p2024_h2 USING btree (customer_id);\n\
         ALTER INDEX public.idx_orders_customer_id ATTACH PARTITION public.orders_p2024_h1_customer_id_idx;\n\
         ALTER INDEX public.idx_orders_customer_id ATTACH PARTITION public.orders_p2024_h2_customer_id_idx;\n"
    );
    let run = |schema: &str| {
        let p = Project::new(&[
            ("schema/s.sql", schema),
            (
                "plangate.toml",
                "[scales]\nfactors = [0.1, 1.0]\n[thresholds]\nrepeats = 1\n\
                 [tables.customers]\nrows = 2000\n[tables.orders]\nrows = 60000\n\
                 [tables.orders.columns]\ncustomer_id = \"ref(customers.id, zipf = 1.1)\"\n\
                 ordered_at = 'timestamp(from = \"2024-01-01\", to = \"2024-12-31\")'\n\
                 [query.recent]\nparams = [\"hot(orders.customer_id)\"]\n",
            ),
            ("queries/recent.sql", "SELECT * FROM orders WHERE customer_id = $1 ORDER BY ordered_at DESC LIMIT 10"),
        ]);
        let (code, check, stderr) = json_report(&p, &["check", "--no-cache"]);
        assert_eq!(code, 0, "{stderr}");
        let (code, suggest, stderr) = json_report(&p, &["suggest", "--no-cache"]);
        assert_eq!(code, 0, "{stderr}");
        p.assert_nothing_left();
        let shapes: Vec<String> = runs(&check, "recent").iter().map(|r| r["shape"].to_string()).collect();
        let found: Vec<String> = suggest["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| format!("{} {}", s["ddl"], s["work_after"]))
            .collect();
        (works(&check), shapes, found)
    };
    let (a, b) = (run(&declared), run(&dumped));
    assert!(a.1.iter().any(|s| s.contains("orders_p2024_h2_customer_id_idx")), "{:?}", a.1);
    assert!(!a.2.is_empty(), "suggest finds the index the listing lacks");
    assert_eq!(a, b);
}
