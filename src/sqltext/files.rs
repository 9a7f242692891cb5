//! The user's schema files: which, in which order, and what they declare, read without
//! Postgres.
//!
//! `[schema] files` entries are globs (applied in sorted order) or folders of migrations
//! (`0001_x.sql`, `V1__x.sql`, `20240101120000_x.sql`, `1_x.up.sql`), applied by version.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::sqltext::{ident, table_name};

/// A `[schema] files` entry that names no readable file.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("cannot read folder {}", .path.display())]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("bad pattern `{pattern}`")]
    Pattern {
        pattern: String,
        #[source]
        source: glob::PatternError,
    },
    #[error("`{pattern}` matches no schema file (relative to {})", .root.display())]
    NoMatch { pattern: String, root: PathBuf },
}

/// Expand the `[schema] files` entries into the ordered list of files.
pub fn resolve_files(root: &Path, patterns: &[String]) -> Result<Vec<PathBuf>, FilesError> {
    let mut out: Vec<PathBuf> = Vec::new();
    for pattern in patterns {
        let full = root.join(pattern);
        let mut files: Vec<PathBuf> = if full.is_dir() {
            std::fs::read_dir(&full)
                .map_err(|source| FilesError::Folder { path: full.clone(), source })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_migration(p))
                .collect()
        } else {
            let pat = full.to_string_lossy().to_string();
            glob::glob(&pat)
                .map_err(|source| FilesError::Pattern { pattern: pattern.clone(), source })?
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect()
        };
        if files.is_empty() {
            return Err(FilesError::NoMatch { pattern: pattern.clone(), root: root.to_path_buf() });
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
    let sql = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("sql"));
    sql && !name.to_ascii_lowercase().ends_with(".down.sql")
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
                    tables.insert(table_name(&t.name)?, t.columns.iter().map(|c| ident(&c.name)).collect());
                }
                Statement::AlterTable(a) => {
                    let name = table_name(&a.name)?;
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
                        tables.remove(&table_name(n)?);
                    }
                }
                _ => {}
            }
        }
    }
    Some(tables)
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
        let err = resolve_files(dir.path(), &["schema/*.sql".into()]).unwrap_err().to_string();
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
}
