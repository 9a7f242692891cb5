//! What the user's schema declares, read without Postgres.

use std::collections::{BTreeMap, BTreeSet};

use crate::sqltext::migrations::Migration;
use crate::sqltext::{ident, table_name};

/// Tables and their columns as the schema files declare them, read without Postgres; None
/// when a statement is beyond this reading (the check after applying the schema then decides).
pub(crate) fn declared_tables(migrations: &[Migration]) -> Option<BTreeMap<String, BTreeSet<String>>> {
    use sqlparser::ast::{AlterTableOperation, ObjectType, Statement};
    let mut tables: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in migrations {
        let statements =
            sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, &m.sql).ok()?;
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
        let read = |f: &std::path::Path| {
            crate::sqltext::migrations::read(f.parent().unwrap(), &["s.sql".into()], None).unwrap()
        };
        let t = declared_tables(&read(&f)).unwrap();
        assert_eq!(t.keys().collect::<Vec<_>>(), ["items", "shop.orders"]);
        assert_eq!(t["items"].iter().collect::<Vec<_>>(), ["Kind", "note"]);
        std::fs::write(&f, "CREATE TABLE t AS SELECT 1 AS x;").unwrap();
        assert!(declared_tables(&read(&f)).is_none(), "beyond a plain reading: leave it to Postgres");
    }
}
