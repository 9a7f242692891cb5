//! The applied schema as Postgres' catalog describes it: tables, columns, keys and checks.

use std::collections::BTreeMap;

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Row};

use crate::error::{Error, Result};

/// A column as the catalog describes it.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// `format_type()`, e.g. `character varying(40)`, `numeric(10,2)`, `text[]`.
    pub type_sql: String,
    /// The base type's name (domains resolved), e.g. `varchar`, `numeric`, `_text`.
    pub type_name: String,
    /// `e` for an enum.
    pub type_kind: String,
    /// Array element type name, for arrays.
    pub element: Option<String>,
    /// Element type kind, for arrays of enums.
    pub element_kind: Option<String>,
    /// Type modifier (varchar length + 4, numeric precision/scale), -1 if none.
    pub typmod: i32,
    pub not_null: bool,
    /// `GENERATED ... AS IDENTITY`.
    pub identity: bool,
    /// `GENERATED ALWAYS AS (...) STORED`.
    pub generated: bool,
    /// The sequence of a `serial`-style default, if any.
    pub serial_sequence: Option<String>,
    /// Labels of an enum type (or of the array element's enum type).
    pub enum_labels: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub parent: String,
    pub parent_columns: Vec<String>,
}

/// A table as the catalog describes it.
#[derive(Debug, Clone)]
pub struct Table {
    /// Unqualified in `public`, else `schema.table`.
    pub name: String,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    pub uniques: Vec<Vec<String>>,
    pub foreign_keys: Vec<ForeignKey>,
    /// (column, constraint definition) of single-column CHECK constraints.
    pub checks: Vec<(String, String)>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Every user table of the database, by name.
pub type Catalog = BTreeMap<String, Table>;

const TABLE_NAME: &str = "CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END";

/// Read the catalog of the current database.
pub async fn read(conn: &mut PgConnection) -> Result<Catalog> {
    let err = |e: sqlx::Error| Error::postgres("cannot read the schema from pg_catalog", e);
    let mut tables: Catalog = BTreeMap::new();
    let user_tables = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND c.relkind IN ('r', 'p') AND NOT c.relispartition";
    let cols = sqlx::query(AssertSqlSafe(format!(
        "SELECT {TABLE_NAME} AS tbl, a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type_sql,
                bt.typname::text AS type_name, bt.typtype::text AS type_kind,
                et.typname::text AS element, et.typtype::text AS element_kind,
                a.atttypmod AS typmod, a.attnotnull AS not_null, a.attidentity <> '' AS identity,
                a.attgenerated <> '' AS generated, pg_get_serial_sequence(c.oid::regclass::text, a.attname) AS seq,
                COALESCE((SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e
                          WHERE e.enumtypid = COALESCE(et.oid, bt.oid)), '{{}}') AS labels
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_type t ON t.oid = a.atttypid
         JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
         LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
         WHERE {user_tables} AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY 1, a.attnum"
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(err)?;
    for r in cols {
        let tbl: String = r.get("tbl");
        let table = tables.entry(tbl.clone()).or_insert_with(|| Table {
            name: tbl,
            columns: Vec::new(),
            primary_key: Vec::new(),
            uniques: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
        });
        table.columns.push(Column {
            name: r.get("name"),
            type_sql: r.get("type_sql"),
            type_name: r.get("type_name"),
            type_kind: r.get("type_kind"),
            element: r.get("element"),
            element_kind: r.get("element_kind"),
            typmod: r.get("typmod"),
            not_null: r.get("not_null"),
            identity: r.get("identity"),
            generated: r.get("generated"),
            serial_sequence: r.get("seq"),
            enum_labels: r.get("labels"),
        });
    }
    let cons = sqlx::query(AssertSqlSafe(format!(
        "SELECT {TABLE_NAME} AS tbl, con.conname::text AS name, con.contype::text AS kind,
                ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i) AS cols,
                (SELECT CASE WHEN pn.nspname = 'public' THEN pc.relname ELSE pn.nspname || '.' || pc.relname END
                 FROM pg_class pc JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE pc.oid = con.confrelid) AS parent,
                ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
                      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i) AS parent_cols,
                pg_get_constraintdef(con.oid) AS def
         FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE {user_tables} AND con.contype IN ('p', 'u', 'f', 'c')
         ORDER BY 1, con.conname"
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(err)?;
    for r in cons {
        let tbl: String = r.get("tbl");
        let Some(table) = tables.get_mut(&tbl) else {
            continue;
        };
        let cols: Vec<String> = r.get("cols");
        match r.get::<String, _>("kind").as_str() {
            "p" => table.primary_key = cols,
            "u" => table.uniques.push(cols),
            "f" => table.foreign_keys.push(ForeignKey {
                name: r.get("name"),
                columns: cols,
                parent: r.get::<Option<String>, _>("parent").unwrap_or_default(),
                parent_columns: r.get("parent_cols"),
            }),
            "c" if cols.len() == 1 => table.checks.push((cols[0].clone(), r.get("def"))),
            _ => {}
        }
    }
    Ok(tables)
}
