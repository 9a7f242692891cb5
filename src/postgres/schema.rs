//! The user's schema: which files, in which order, and applying them.
//!
//! `[schema] files` entries are globs (applied in sorted order) or folders of migrations
//! (`0001_x.sql`, `V1__x.sql`, `20240101120000_x.sql`, `1_x.up.sql`), applied by version.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sqlx::AssertSqlSafe;
use sqlx::postgres::PgConnection;

use crate::error::{Error, Result};

/// Expand the `[schema] files` entries into the ordered list of files.
pub fn resolve_files(root: &Path, patterns: &[String]) -> std::result::Result<Vec<PathBuf>, String> {
    let mut out: Vec<PathBuf> = Vec::new();
    for pattern in patterns {
        let full = root.join(pattern);
        let mut files: Vec<PathBuf> = if full.is_dir() {
            std::fs::read_dir(&full)
                .map_err(|e| format!("cannot read folder {}: {e}", full.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_migration(p))
                .collect()
        } else {
            let pat = full.to_string_lossy().to_string();
            glob::glob(&pat)
                .map_err(|e| format!("bad pattern `{pattern}`: {e}"))?
                .filter_map(std::result::Result::ok)
                .filter(|p| p.is_file())
                .collect()
        };
        if files.is_empty() {
            return Err(format!("`{pattern}` matches no schema file (relative to {})", root.display()));
        }
        files.sort_by_key(|p| version_key(p));
        for f in files {
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    Ok(out)
}

fn is_migration(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".sql") && !name.ends_with(".down.sql")
}

/// Sort key: the version number a migration file starts with (`0001_`, `V12__`, a timestamp),
/// files without one after those, then the name.
fn version_key(p: &Path) -> (u8, u128, String) {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
    let digits_from = usize::from(name.starts_with(['V', 'v']) && name[1..].starts_with(|c: char| c.is_ascii_digit()));
    let digits: String = name[digits_from..].chars().take_while(char::is_ascii_digit).collect();
    match digits.parse::<u128>() {
        Ok(v) => (0, v, name),
        Err(_) => (1, 0, name),
    }
}

/// Tables and their columns as the schema files declare them, read without Postgres; None
/// when a statement is beyond this reading (the check after applying the schema then decides).
pub fn declared_tables(files: &[PathBuf]) -> Option<BTreeMap<String, BTreeSet<String>>> {
    use sqlparser::ast::{AlterTableOperation, ObjectType, Statement};
    let mut tables: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in files {
        let sql = std::fs::read_to_string(path).ok()?;
        let statements = sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, &sql).ok()?;
        for stmt in statements {
            match stmt {
                Statement::CreateTable(t) => {
                    if t.query.is_some()
                        || t.like.is_some()
                        || t.clone.is_some()
                        || t.inherits.is_some()
                        || t.partition_of.is_some()
                    {
                        return None;
                    }
                    tables.insert(object_name(&t.name)?, t.columns.iter().map(|c| ident(&c.name)).collect());
                }
                Statement::AlterTable(a) => {
                    let name = object_name(&a.name)?;
                    for op in &a.operations {
                        let cols = tables.get_mut(&name)?;
                        match op {
                            AlterTableOperation::AddColumn { column_def, .. } => {
                                cols.insert(ident(&column_def.name));
                            }
                            AlterTableOperation::DropColumn { column_names, .. } => {
                                for c in column_names {
                                    cols.remove(&ident(c));
                                }
                            }
                            AlterTableOperation::RenameColumn { old_column_name, new_column_name } => {
                                cols.remove(&ident(old_column_name));
                                cols.insert(ident(new_column_name));
                            }
                            AlterTableOperation::RenameTable { .. } => return None,
                            _ => {}
                        }
                    }
                }
                Statement::Drop { object_type: ObjectType::Table, names, .. } => {
                    for n in &names {
                        tables.remove(&object_name(n)?);
                    }
                }
                _ => {}
            }
        }
    }
    Some(tables)
}

/// Postgres' folding: unquoted names are lowercased.
fn ident(i: &sqlparser::ast::Ident) -> String {
    if i.quote_style.is_some() { i.value.clone() } else { i.value.to_lowercase() }
}

/// `t` for public tables, `schema.t` otherwise, as plangate names tables.
fn object_name(n: &sqlparser::ast::ObjectName) -> Option<String> {
    let parts: Vec<String> = n.0.iter().map(|p| p.as_ident().map(ident)).collect::<Option<_>>()?;
    match parts.as_slice() {
        [t] => Some(t.clone()),
        [s, t] if s == "public" => Some(t.clone()),
        [s, t] => Some(format!("{s}.{t}")),
        _ => None,
    }
}

/// Where the schema is applied: what it may change beyond the scratch database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A throwaway server plangate started: anything goes.
    Throwaway,
    /// Someone's server (the url backend): statements that change the server itself
    /// (roles, databases, tablespaces, ALTER SYSTEM) are refused.
    Shared,
}

/// What applying the schema left out, for the report.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// Ownership and privilege statements skipped: plangate runs as one role, and they
    /// do not change plans (the roles they name usually do not exist in a throwaway server).
    pub skipped_privileges: usize,
}

impl Applied {
    pub fn notes(&self) -> Vec<String> {
        match self.skipped_privileges {
            0 => Vec::new(),
            n => vec![format!(
                "{n} ownership and privilege statement{} of the schema (OWNER TO, GRANT, REVOKE, ...) were skipped: \
                 plangate runs as one role, and they do not change plans",
                if n == 1 { "" } else { "s" }
            )],
        }
    }
}

/// How one schema statement is treated.
#[derive(Debug, PartialEq, Eq)]
enum Treatment {
    Apply,
    /// Ownership or privileges: skipped.
    Privileges,
    /// Changes the server, not the database: refused on a shared server. The statement's kind.
    ServerWide(String),
}

fn treatment(words: &[String]) -> Treatment {
    let w = |i: usize| words.get(i).map_or("", String::as_str);
    match (w(0), w(1), w(2)) {
        ("GRANT" | "REVOKE", _, _) | ("SECURITY", "LABEL", _) | ("ALTER", "DEFAULT", "PRIVILEGES") => {
            Treatment::Privileges
        }
        ("SET", "ROLE", _) | ("SET", "SESSION", "AUTHORIZATION") | ("RESET", "ROLE", _) => Treatment::Privileges,
        ("ALTER", "SYSTEM", _) => Treatment::ServerWide("ALTER SYSTEM".into()),
        ("CREATE" | "ALTER" | "DROP", kind @ ("ROLE" | "USER" | "GROUP" | "DATABASE" | "TABLESPACE"), next)
            if next != "MAPPING" =>
        {
            Treatment::ServerWide(format!("{} {kind}", w(0)))
        }
        ("ALTER", _, _) if words.windows(2).any(|p| p[0] == "OWNER" && p[1] == "TO") => Treatment::Privileges,
        _ => Treatment::Apply,
    }
}

/// pg_dump's psql meta-commands that only guard a restore (`\restrict KEY`, `\unrestrict KEY`).
const HARMLESS_META: &[&str] = &["\\restrict", "\\unrestrict"];

/// The text with psql meta-command lines blanked (offsets and lines kept), or the line
/// of one plangate cannot follow.
fn without_meta_commands(sql: &str) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(sql.len());
    for (i, line) in sql.split_inclusive('\n').enumerate() {
        let command = line.trim_start();
        if command.starts_with('\\') {
            let name = command.split_whitespace().next().unwrap_or(command);
            if !HARMLESS_META.contains(&name) {
                return Err(format!(
                    "line {}: psql meta-command `{name}` is not SQL; plangate applies schema files as plain SQL \
                     (pg_dump's \\restrict and \\unrestrict are skipped)",
                    i + 1
                ));
            }
            out.extend(line.chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
        } else {
            out.push_str(line);
        }
    }
    Ok(out)
}

/// Apply the schema files in order; an error names the file, line and column.
///
/// Statements run one by one (split by a SQL tokenizer), so an error that carries no
/// position still names the line of the statement that failed. Give this a session of
/// its own and close it afterwards: whatever the files set (a dump empties search_path)
/// must not reach plangate's other sessions.
pub async fn apply(conn: &mut PgConnection, files: &[PathBuf], target: Target) -> Result<Applied> {
    let mut applied = Applied::default();
    for path in files {
        let raw = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.clone(), source })?;
        let sql = without_meta_commands(&raw).map_err(|detail| Error::Schema { path: path.clone(), detail })?;
        let statements: Vec<(usize, &str, Treatment)> = match crate::sqltext::statements(&sql) {
            Ok(parts) => parts.iter().map(|p| (p.start, &sql[p.start..p.end], treatment(&p.words()))).collect(),
            // Postgres will report what the tokenizer could not read, with its position.
            Err(_) => vec![(0, sql.as_str(), Treatment::Apply)],
        };
        if target == Target::Shared {
            if let Some((offset, _, Treatment::ServerWide(kind))) =
                statements.iter().find(|s| matches!(s.2, Treatment::ServerWide(_)))
            {
                let (line, _) = line_col(&sql, sql[..*offset].chars().count() + 1);
                return Err(Error::Schema {
                    path: path.clone(),
                    detail: format!(
                        "line {line}: {kind} changes the server, not the database, and plangate does not touch \
                         anything but its scratch database on a server it did not start; move the statement out \
                         of [schema] files, or use the local or container backend"
                    ),
                });
            }
        }
        for (offset, stmt, treatment) in statements {
            if treatment == Treatment::Privileges {
                applied.skipped_privileges += 1;
                continue;
            }
            if let Err(e) = sqlx::raw_sql(AssertSqlSafe(stmt)).execute(&mut *conn).await {
                return Err(Error::Schema { path: path.clone(), detail: describe_error(&sql, offset, &e) });
            }
        }
    }
    Ok(applied)
}

/// Postgres' message with the line and column in `sql` of the statement starting at byte
/// `offset` (and of the error's position inside it, when Postgres gives one).
pub fn describe_error(sql: &str, offset: usize, e: &sqlx::Error) -> String {
    let mut at = offset;
    if let sqlx::Error::Database(db) = e {
        if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
            if let Some(sqlx::postgres::PgErrorPosition::Original(p)) = pg.position() {
                at = sql[offset..].char_indices().nth(p.saturating_sub(1)).map_or(sql.len(), |(i, _)| offset + i);
            }
        }
    }
    describe_at(sql, at, e)
}

/// Postgres' message with the line and column of byte `at` in `sql`.
pub fn describe_at(sql: &str, at: usize, e: &sqlx::Error) -> String {
    let (line, col) = line_col(sql, sql[..at.min(sql.len())].chars().count() + 1);
    format!("line {line}, column {col}: {}", crate::error::db_message(e))
}

/// 1-based line and column of the 1-based character position `pos`.
fn line_col(sql: &str, pos: usize) -> (usize, usize) {
    let before: String = sql.chars().take(pos.saturating_sub(1)).collect();
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_sort_by_version_not_by_name() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["10_c.sql", "2_b.sql", "0001_a.sql", "2_b.down.sql", "notes.txt"] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        let files = resolve_files(dir.path(), &[".".into()]).unwrap();
        let names: Vec<_> = files.iter().map(|p| p.file_name().unwrap().to_str().unwrap()).collect();
        assert_eq!(names, ["0001_a.sql", "2_b.sql", "10_c.sql"]);
    }

    #[test]
    fn flyway_and_timestamp_versions() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["V10__late.sql", "V2__early.sql", "20240101120000_x.up.sql", "20230101120000_y.up.sql"] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        let files = resolve_files(dir.path(), &[".".into()]).unwrap();
        let names: Vec<_> = files.iter().map(|p| p.file_name().unwrap().to_str().unwrap()).collect();
        assert_eq!(names, ["V2__early.sql", "V10__late.sql", "20230101120000_y.up.sql", "20240101120000_x.up.sql"]);
    }

    #[test]
    fn a_glob_that_matches_nothing_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = resolve_files(dir.path(), &["schema/*.sql".into()]).unwrap_err();
        assert!(err.contains("matches no schema file"), "{err}");
    }

    #[test]
    fn declared_tables_follow_creates_alters_and_drops() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.sql");
        std::fs::write(
            &f,
            "CREATE TABLE Items (id int, \"Kind\" text);\nALTER TABLE items ADD COLUMN note text, DROP COLUMN id;\n\
             CREATE TABLE shop.orders (id int);\nCREATE TABLE gone (x int);\nDROP TABLE gone;\n\
             CREATE INDEX ON items (note);",
        )
        .unwrap();
        let t = declared_tables(std::slice::from_ref(&f)).unwrap();
        assert_eq!(t.keys().collect::<Vec<_>>(), ["items", "shop.orders"]);
        assert_eq!(t["items"].iter().collect::<Vec<_>>(), ["Kind", "note"]);
        std::fs::write(&f, "CREATE TABLE t AS SELECT 1 AS x;").unwrap();
        assert!(declared_tables(&[f]).is_none(), "beyond a plain reading: leave it to Postgres");
    }

    fn words(sql: &str) -> Vec<String> {
        crate::sqltext::statements(sql).unwrap()[0].words()
    }

    #[test]
    fn ownership_privileges_and_server_wide_statements_are_told_apart() {
        for sql in [
            "ALTER TABLE app.t OWNER TO helpdesk",
            "ALTER SCHEMA app OWNER TO helpdesk",
            "ALTER FUNCTION app.f() OWNER TO x",
            "GRANT SELECT ON ALL TABLES IN SCHEMA app TO ro",
            "REVOKE ALL ON SCHEMA public FROM PUBLIC",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO ro",
            "SET SESSION AUTHORIZATION helpdesk",
        ] {
            assert_eq!(treatment(&words(sql)), Treatment::Privileges, "{sql}");
        }
        for (sql, kind) in [
            ("ALTER SYSTEM SET work_mem = '1GB'", "ALTER SYSTEM"),
            ("CREATE ROLE app LOGIN", "CREATE ROLE"),
            ("create user app", "CREATE USER"),
            ("ALTER DATABASE x SET timezone = 'UTC'", "ALTER DATABASE"),
            ("CREATE TABLESPACE fast LOCATION '/ssd'", "CREATE TABLESPACE"),
        ] {
            assert_eq!(treatment(&words(sql)), Treatment::ServerWide(kind.into()), "{sql}");
        }
        for sql in [
            "CREATE TABLE owner (id int)",
            "CREATE USER MAPPING FOR CURRENT_USER SERVER s",
            "ALTER TABLE t ADD COLUMN owner_to int",
            "SET search_path = app",
        ] {
            assert_eq!(treatment(&words(sql)), Treatment::Apply, "{sql}");
        }
    }

    #[test]
    fn pg_dumps_restrict_lines_are_blanked_in_place() {
        let sql = "\\restrict abc\nCREATE TABLE t (x int);\n\\unrestrict abc\n";
        let out = without_meta_commands(sql).unwrap();
        assert_eq!(out.len(), sql.len());
        assert_eq!(out.lines().nth(1), Some("CREATE TABLE t (x int);"));
        assert!(out.lines().next().unwrap().trim().is_empty());
        let err = without_meta_commands("SELECT 1;\n\\i other.sql\n").unwrap_err();
        assert!(err.starts_with("line 2: psql meta-command `\\i`"), "{err}");
    }

    #[test]
    fn positions_become_lines_and_columns() {
        assert_eq!(line_col("abc\ndef", 6), (2, 2));
        assert_eq!(line_col("abc", 1), (1, 1));
    }
}
