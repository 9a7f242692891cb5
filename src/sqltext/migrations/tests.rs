use super::*;

/// A folder with these files (paths relative to it, folders made as needed).
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn names(dir: &tempfile::TempDir, format: Option<Format>) -> Vec<String> {
    read(dir.path(), &[".".into()], format).unwrap().into_iter().map(|m| m.name).collect()
}

fn applied(dir: &tempfile::TempDir) -> String {
    let all: Vec<String> = read(dir.path(), &[".".into()], None).unwrap().into_iter().map(|m| m.sql).collect();
    all.join(" ").split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn migrations_sort_by_version_not_by_name() {
    let dir = folder(&[("10_c.sql", ""), ("2_b.sql", ""), ("0001_a.sql", ""), ("2_b.down.sql", ""), ("notes.txt", "")]);
    assert_eq!(names(&dir, None), ["0001_a", "2_b", "10_c"]);
}

#[test]
fn flyway_versions_compare_part_by_part_and_repeatables_come_last() {
    let dir = folder(&[
        ("V10__late.sql", ""),
        ("V2__early.sql", ""),
        ("V2.1__between.sql", ""),
        ("R__views.sql", ""),
        ("U2__undo.sql", ""),
    ]);
    assert_eq!(names(&dir, None), ["V2__early", "V2.1__between", "V10__late", "R__views"]);
}

#[test]
fn up_files_of_golang_migrate_and_sqlx() {
    let dir = folder(&[
        ("20240101120000_x.up.sql", "A;"),
        ("20230101120000_y.up.sql", "B;"),
        ("20230101120000_y.down.sql", "C;"),
    ]);
    assert_eq!(names(&dir, None), ["20230101120000_y", "20240101120000_x"]);
    assert_eq!(applied(&dir), "B; A;");
    assert_eq!(names(&dir, Some(Format::Sqlx)), ["20230101120000_y", "20240101120000_x"]);
}

#[test]
fn a_glob_that_matches_nothing_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = read(dir.path(), &["schema/*.sql".into()], None).unwrap_err().to_string();
    assert!(err.contains("matches no schema file"), "{err}");
}

#[test]
fn goose_folders_apply_up_sections_only() {
    let dir = folder(&[
        ("00002_posts.sql", "-- +goose Up\nCREATE TABLE posts (id int);\n-- +goose Down\nDROP TABLE posts;\n"),
        ("00001_users.sql", "-- +goose Up\nCREATE TABLE users (id int);\n\n-- +goose Down\nDROP TABLE users;\n"),
    ]);
    let m = read(dir.path(), &[".".into()], None).unwrap();
    assert_eq!(m[0].format, Format::Goose);
    assert_eq!(m[0].label().unwrap(), "goose migration `00001_users`");
    assert_eq!(applied(&dir), "CREATE TABLE users (id int); CREATE TABLE posts (id int);");
    // The same files named by a glob are read the same way.
    let g = read(dir.path(), &["*.sql".into()], None).unwrap();
    assert_eq!(g, m);
}

#[test]
fn dbmate_folders_apply_up_blocks_only() {
    let dir =
        folder(&[("20240101000000_a.sql", "-- migrate:up\nCREATE TABLE a (x int);\n-- migrate:down\nDROP TABLE a;\n")]);
    assert_eq!(applied(&dir), "CREATE TABLE a (x int);");
    let bad = folder(&[("20240101000000_a.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\n-- migrate:down\n")]);
    let err = read(bad.path(), &[".".into()], None).unwrap_err().to_string();
    assert!(err.ends_with("20240101000000_a.sql: line 4: a second `-- migrate:down` marker"), "{err}");
}

#[test]
fn diesel_and_prisma_keep_a_folder_per_migration() {
    let diesel = folder(&[
        ("2024-01-02-000000_posts/up.sql", "CREATE TABLE posts ();"),
        ("2024-01-02-000000_posts/down.sql", "DROP TABLE posts;"),
        ("00000000000000_diesel_initial_setup/up.sql", "SELECT 1;"),
        ("2023-12-31-235959_users/up.sql", "CREATE TABLE users ();"),
        ("2023-12-31-235959_users/down.sql", "DROP TABLE users;"),
        (".keep", ""),
    ]);
    assert_eq!(
        names(&diesel, None),
        ["00000000000000_diesel_initial_setup", "2023-12-31-235959_users", "2024-01-02-000000_posts"]
    );
    assert_eq!(applied(&diesel), "SELECT 1; CREATE TABLE users (); CREATE TABLE posts ();");
    let prisma = folder(&[
        ("migration_lock.toml", "provider = \"postgresql\""),
        ("20240102000000_b/migration.sql", "B;"),
        ("20240101000000_a/migration.sql", "A;"),
    ]);
    assert_eq!(names(&prisma, None), ["20240101000000_a", "20240102000000_b"]);
}

#[test]
fn atlas_follows_its_sum_file() {
    let dir = folder(&[
        ("atlas.sum", "h1:x=\n20240101000000_a.sql h1:y=\n20240102000000_b.sql h1:z=\n"),
        ("20240102000000_b.sql", "-- atlas:delimiter -- end\nB1;\n-- end\nB2;\n"),
        ("20240101000000_a.sql", "A;"),
    ]);
    let m = read(dir.path(), &[".".into()], None).unwrap();
    assert_eq!(m.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["20240101000000_a", "20240102000000_b"]);
    assert_eq!(m[1].groups.len(), 2);
    std::fs::write(dir.path().join("20240103000000_c.sql"), "C;").unwrap();
    let err = read(dir.path(), &[".".into()], None).unwrap_err().to_string();
    assert!(err.contains("20240103000000_c.sql is not listed in") && err.contains("atlas.sum"), "{err}");
    // A folder atlas writes in goose's format: the sum's order, goose's markers.
    let goose = folder(&[
        ("atlas.sum", "h1:x=\n1_a.sql h1:y=\n"),
        ("1_a.sql", "-- +goose Up\nCREATE TABLE a ();\n-- +goose Down\nDROP TABLE a;\n"),
    ]);
    assert_eq!(applied(&goose), "CREATE TABLE a ();");
}

#[test]
fn sqitch_projects_deploy_in_plan_order() {
    let dir = folder(&[
        ("sqitch.plan", "%project=x\nb 2020-01-01T00:00:00Z A <a@b>\na [b] 2020-01-01T00:00:00Z A <a@b>\n"),
        ("deploy/a.sql", "BEGIN; A; COMMIT;"),
        ("deploy/b.sql", "B;"),
        ("revert/a.sql", "DROP;"),
        ("verify/a.sql", "SELECT;"),
    ]);
    assert_eq!(names(&dir, None), ["b", "a"]);
    assert_eq!(applied(&dir), "B; BEGIN; A; COMMIT;");
    let plan = read(dir.path(), &["sqitch.plan".into()], None).unwrap();
    assert_eq!(plan.len(), 2);
}

#[test]
fn an_ambiguous_folder_names_both_guesses_and_the_format_key() {
    let dir = folder(&[
        ("1_a.sql", "-- +goose Up\nCREATE TABLE a ();\n"),
        ("2_b.sql", "-- migrate:up\nCREATE TABLE b ();\n"),
    ]);
    let err = read(dir.path(), &[".".into()], None).unwrap_err().to_string();
    assert!(
        err.contains(
            "could be a goose folder (`-- +goose Up` in 1_a.sql) or a dbmate folder (`-- migrate:up` in 2_b.sql)"
        ),
        "{err}"
    );
    assert!(err.contains("[schema] format = \"goose\" or \"dbmate\""), "{err}");
    // Saying which settles it: dbmate's reading of a goose file is an error naming it.
    let err = read(dir.path(), &[".".into()], Some(Format::Dbmate)).unwrap_err().to_string();
    assert!(err.contains("1_a.sql: line 2: SQL before the `-- migrate:up` marker"), "{err}");
}

#[test]
fn every_format_has_a_name_it_is_parsed_from() {
    for f in Format::ALL {
        assert_eq!(Format::parse(f.name()), Some(f));
    }
    assert_eq!(Format::parse("liquibase"), None);
}
