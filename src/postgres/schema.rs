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

/// Apply the schema files in order; an error names the file, line and column.
///
/// Statements run one by one (split by a SQL tokenizer), so an error that carries
/// no position still names the line of the statement that failed.
pub async fn apply(conn: &mut PgConnection, files: &[PathBuf]) -> Result<()> {
    for path in files {
        let sql = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.clone(), source })?;
        let statements: Vec<(usize, &str)> = match crate::sqltext::statements(&sql) {
            Ok(parts) => parts.iter().map(|p| (p.start, &sql[p.start..p.end])).collect(),
            // Postgres will report what the tokenizer could not read, with its position.
            Err(_) => vec![(0, sql.as_str())],
        };
        for (offset, stmt) in statements {
            if let Err(e) = sqlx::raw_sql(AssertSqlSafe(stmt)).execute(&mut *conn).await {
                return Err(Error::Schema { path: path.clone(), detail: describe_error(&sql, offset, &e) });
            }
        }
    }
    Ok(())
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

    #[test]
    fn positions_become_lines_and_columns() {
        assert_eq!(line_col("abc\ndef", 6), (2, 2));
        assert_eq!(line_col("abc", 1), (1, 1));
    }
}
