//! The applied schema as Postgres' catalog describes it: tables, columns, keys and checks.

use std::collections::BTreeMap;

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Row};

use crate::error::{Error, Result};

/// A column as the catalog describes it.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub name: String,
    /// `format_type()`, e.g. `character varying(40)`, `numeric(10,2)`, `text[]`.
    pub(crate) type_sql: String,
    /// The base type's name (domains resolved), e.g. `varchar`, `numeric`, `_text`.
    pub(crate) type_name: String,
    /// `e` for an enum.
    pub(crate) type_kind: String,
    /// Array element type name, for arrays.
    pub(crate) element: Option<String>,
    /// Element type kind, for arrays of enums.
    pub(crate) element_kind: Option<String>,
    /// Type modifier (varchar length + 4, numeric precision/scale), -1 if none.
    pub(crate) typmod: i32,
    pub(crate) not_null: bool,
    /// `GENERATED ... AS IDENTITY`.
    pub(crate) identity: bool,
    /// `GENERATED ALWAYS AS (...) STORED`.
    pub(crate) generated: bool,
    /// The sequence of a `serial`-style default, if any.
    pub(crate) serial_sequence: Option<String>,
    /// Labels of an enum type (or of the array element's enum type).
    pub(crate) enum_labels: Vec<String>,
    /// The domain the column is declared with (e.g. `app.priority`), if any.
    pub(crate) domain: Option<String>,
    /// CHECK constraints of the domain and of the domains it is built on, written with `VALUE`.
    pub(crate) domain_checks: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub(crate) parent: String,
    pub(crate) parent_columns: Vec<String>,
}

/// A unique index as read: (table, its columns in indkey, each key's text, the predicate's text).
type IndexRow = (String, Vec<String>, Vec<String>, Option<String>);

/// A unique index over expressions (`lower(email)`) or over the rows a predicate picks
/// (`WHERE deleted_at IS NULL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UniqueIndex {
    /// Each key as SQL over the table's columns, as Postgres prints it.
    pub(crate) keys: Vec<String>,
    /// The rows it covers, as Postgres prints it; None: every row.
    pub(crate) predicate: Option<String>,
}

impl UniqueIndex {
    /// The table's columns a key reads (names as the tokenizer reads them: unquoted
    /// words folded to lower case), in the order of `columns`.
    pub(crate) fn key_columns(&self, key: usize, columns: &[Column]) -> Vec<String> {
        use sqlparser::tokenizer::{Token, Tokenizer};
        let Ok(tokens) = Tokenizer::new(&sqlparser::dialect::PostgreSqlDialect {}, &self.keys[key]).tokenize() else {
            return Vec::new();
        };
        let words: Vec<String> = tokens
            .into_iter()
            .filter_map(|t| match t {
                Token::Word(w) if w.quote_style.is_some() => Some(w.value),
                Token::Word(w) => Some(w.value.to_lowercase()),
                _ => None,
            })
            .collect();
        columns.iter().filter(|c| words.contains(&c.name)).map(|c| c.name.clone()).collect()
    }
}

/// A table as the catalog describes it.
#[derive(Debug, Clone)]
pub struct Table {
    /// Unqualified in `public`, else `schema.table`.
    pub name: String,
    pub(crate) columns: Vec<Column>,
    pub(crate) primary_key: Vec<String>,
    pub(crate) uniques: Vec<Vec<String>>,
    /// Unique indexes over expressions or over a subset of the rows, which no plain key
    /// describes.
    pub(crate) unique_indexes: Vec<UniqueIndex>,
    pub(crate) foreign_keys: Vec<ForeignKey>,
    /// (column, constraint definition) of single-column CHECK constraints.
    pub(crate) checks: Vec<(String, String)>,
    /// How a partitioned table routes rows to its partitions.
    pub(crate) partitioning: Option<Partitioning>,
}

impl Table {
    pub(crate) fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether the column is part of the primary key or of a unique key.
    pub(crate) fn in_key(&self, column: &str) -> bool {
        self.primary_key.iter().chain(self.uniques.iter().flatten()).any(|c| c == column)
    }
}

/// Every user table of the database, by name.
pub(crate) type Catalog = BTreeMap<String, Table>;

const TABLE_NAME: &str = "CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END";

/// Read the catalog of the current database.
// Long: one catalog query per kind of fact (columns, keys, checks, partitions), and their
// SQL is most of the length; split, the queries would lose the text that explains them.
pub async fn read(conn: &mut PgConnection) -> Result<Catalog> {
    let err = |e: sqlx::Error| Error::postgres("cannot read the schema from pg_catalog", e);
    let mut tables: Catalog = BTreeMap::new();
    let user_tables = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND c.relkind IN ('r', 'p') AND NOT c.relispartition";
    // A domain may be built on another: `chain` walks each domain down to its base type,
    // `dom` gathers what the levels add (NOT NULL, a length or precision, CHECKs).
    let cols = sqlx::query(AssertSqlSafe(format!(
        "WITH RECURSIVE chain AS (
             SELECT t.oid AS top, t.oid AS cur, 0 AS depth FROM pg_type t WHERE t.typtype = 'd'
             UNION ALL
             SELECT c.top, t.typbasetype, c.depth + 1 FROM chain c JOIN pg_type t ON t.oid = c.cur WHERE t.typtype = 'd'
         ), base AS (
             SELECT DISTINCT ON (top) top, cur AS base FROM chain ORDER BY top, depth DESC
         ), dom AS (
             SELECT c.top, bool_or(t.typnotnull) AS notnull,
                    (array_agg(t.typtypmod ORDER BY c.depth) FILTER (WHERE t.typtypmod >= 0))[1] AS typmod,
                    COALESCE(array_agg(pg_get_constraintdef(k.oid) ORDER BY c.depth, k.conname)
                             FILTER (WHERE k.oid IS NOT NULL), '{{}}') AS checks
             FROM chain c JOIN pg_type t ON t.oid = c.cur AND t.typtype = 'd'
             LEFT JOIN pg_constraint k ON k.contypid = t.oid AND k.contype = 'c'
             GROUP BY c.top
         )
         SELECT {TABLE_NAME} AS tbl, a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type_sql,
                bt.typname::text AS type_name, bt.typtype::text AS type_kind,
                et.typname::text AS element, et.typtype::text AS element_kind,
                CASE WHEN a.atttypmod >= 0 THEN a.atttypmod ELSE COALESCE(dom.typmod, -1) END AS typmod,
                a.attnotnull OR COALESCE(dom.notnull, false) AS not_null, a.attidentity <> '' AS identity,
                a.attgenerated <> '' AS generated, pg_get_serial_sequence(c.oid::regclass::text, a.attname) AS seq,
                COALESCE((SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e
                          WHERE e.enumtypid = COALESCE(et.oid, bt.oid)), '{{}}') AS labels,
                CASE WHEN t.typtype = 'd' THEN format_type(t.oid, NULL) END AS domain,
                COALESCE(dom.checks, '{{}}') AS domain_checks
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN base ON base.top = t.oid
         LEFT JOIN dom ON dom.top = t.oid
         JOIN pg_type bt ON bt.oid = COALESCE(base.base, t.oid)
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
            unique_indexes: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            partitioning: None,
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
            domain: r.get("domain"),
            domain_checks: r.get("domain_checks"),
        });
    }
    // Constraints of partitions count for their table: a key or foreign key declared on
    // every partition shapes the column like one declared on the parent. Constraints that
    // Postgres cloned from the parent onto a partition (conparentid) are the parent's own.
    let root = "CASE WHEN c.relispartition THEN pg_partition_root(c.oid) ELSE c.oid END";
    let constraints = sqlx::query(AssertSqlSafe(format!(
        "SELECT (SELECT CASE WHEN rn.nspname = 'public' THEN rc.relname ELSE rn.nspname || '.' || rc.relname END
                 FROM pg_class rc JOIN pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = {root}) AS tbl,
                c.relispartition AS on_partition, con.conname::text AS name, con.contype::text AS kind,
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
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
           AND c.relkind IN ('r', 'p') AND con.contype IN ('p', 'u', 'f', 'c') AND con.conparentid = 0
         ORDER BY c.relispartition, 1, con.conname"
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(err)?;
    for r in constraints {
        let tbl: String = r.get("tbl");
        let Some(table) = tables.get_mut(&tbl) else {
            continue;
        };
        let cols: Vec<String> = r.get("cols");
        let on_partition: bool = r.get("on_partition");
        match r.get::<String, _>("kind").as_str() {
            // A partition's primary key is unique within the partition only.
            "p" if !on_partition => table.primary_key = cols,
            "p" | "u" if !table.uniques.contains(&cols) && table.primary_key != cols => table.uniques.push(cols),
            "f" => {
                let fk = ForeignKey {
                    name: r.get("name"),
                    columns: cols,
                    parent: r.get::<Option<String>, _>("parent").unwrap_or_default(),
                    parent_columns: r.get("parent_cols"),
                };
                let known = table.foreign_keys.iter().any(|k| k.columns == fk.columns && k.parent == fk.parent);
                if !known {
                    table.foreign_keys.push(fk);
                }
            }
            "c" if cols.len() == 1 => table.checks.push((cols[0].clone(), r.get("def"))),
            _ => {}
        }
    }
    // A unique index is a key too, though no constraint says so; one over expressions or
    // over some rows only is kept with its keys' and predicate's text.
    let unique_indexes: Vec<IndexRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT (SELECT CASE WHEN rn.nspname = 'public' THEN rc.relname ELSE rn.nspname || '.' || rc.relname END
                 FROM pg_class rc JOIN pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = {root}),
                ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
                      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o),
                ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k),
                pg_get_expr(i.indpred, i.indrelid, true)
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
           AND c.relkind IN ('r', 'p') AND i.indisunique
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
         ORDER BY 1, i.indexrelid::regclass::text"
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(err)?;
    for (tbl, cols, keys, predicate) in unique_indexes {
        let Some(table) = tables.get_mut(&tbl) else { continue };
        // Expressions leave a 0 in indkey, and no column name.
        let plain = predicate.is_none() && cols.len() == keys.len();
        if plain {
            if !table.uniques.contains(&cols) && table.primary_key != cols {
                table.uniques.push(cols);
            }
        } else {
            let index = UniqueIndex { keys, predicate };
            if !table.unique_indexes.contains(&index) {
                table.unique_indexes.push(index);
            }
        }
    }
    read_partitioning(conn, &mut tables).await?;
    Ok(tables)
}

/// How a partitioned table routes rows, as far as generating its key column needs to know.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Partitioning {
    /// `r` (range), `l` (list) or `h` (hash).
    pub(crate) strategy: char,
    /// The key's columns; None when a key part is an expression.
    pub(crate) key: Option<Vec<String>>,
    /// Each partition's bound as Postgres prints it (`FOR VALUES FROM (...) TO (...)`), UTC.
    pub(crate) bounds: Vec<String>,
    /// A default partition takes the rows no other one does.
    pub(crate) has_default: bool,
}

/// What a relation of the database is to plangate, by (schema, relation name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Relation {
    /// A table of the catalog, by its catalog name.
    Table(String),
    /// A leaf partition of the catalog table `root` (through any depth of partitioning).
    Leaf { root: String },
    /// An index, a partition that is itself partitioned, a materialized view, a sequence...
    Other,
}

/// Every relation outside the system schemas, by (schema, relation name).
pub(crate) async fn relations(conn: &mut PgConnection) -> Result<BTreeMap<(String, String), Relation>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT n.nspname::text AS nsp, c.relname::text AS rel, c.relkind::text AS kind, c.relispartition AS partition,
                CASE WHEN c.relispartition
                     THEN (SELECT CASE WHEN rn.nspname = 'public' THEN rc.relname ELSE rn.nspname || '.' || rc.relname END
                           FROM pg_class rc JOIN pg_namespace rn ON rn.oid = rc.relnamespace
                           WHERE rc.oid = pg_partition_root(c.oid))
                     ELSE {TABLE_NAME} END::text AS tbl
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| Error::postgres("cannot read the schema's relations from pg_catalog", e))?;
    Ok(rows
        .iter()
        .map(|r| {
            let relation = match (r.get::<String, _>("kind").as_str(), r.get::<bool, _>("partition")) {
                ("r" | "p", false) => Relation::Table(r.get("tbl")),
                ("r", true) => Relation::Leaf { root: r.get("tbl") },
                _ => Relation::Other,
            };
            ((r.get("nsp"), r.get("rel")), relation)
        })
        .collect())
}

async fn read_partitioning(conn: &mut PgConnection, tables: &mut Catalog) -> Result<()> {
    // Bounds of timestamptz keys print in the session's time zone: make it UTC.
    sqlx::raw_sql("SET TimeZone = 'UTC'")
        .execute(&mut *conn)
        .await
        .map_err(|e| Error::postgres("cannot set the time zone", e))?;
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {TABLE_NAME} AS tbl, pt.partstrat::text AS strategy,
                cardinality(pt.partattrs::int2[]) AS key_len,
                ARRAY(SELECT a.attname::text FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY k(n, i)
                      JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = k.n ORDER BY k.i) AS key,
                ARRAY(SELECT pg_get_expr(p.relpartbound, p.oid) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid
                      WHERE i.inhparent = pt.partrelid ORDER BY 1) AS bounds
         FROM pg_partitioned_table pt
         JOIN pg_class c ON c.oid = pt.partrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE NOT c.relispartition"
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| Error::postgres("cannot read how tables are partitioned", e))?;
    for r in rows {
        let Some(table) = tables.get_mut(&r.get::<String, _>("tbl")) else { continue };
        let key: Vec<String> = r.get("key");
        let key_len: i32 = r.get("key_len");
        let bounds: Vec<String> = r.get("bounds");
        let has_default = bounds.iter().any(|b| b == "DEFAULT");
        table.partitioning = Some(Partitioning {
            strategy: r.get::<String, _>("strategy").chars().next().unwrap_or('?'),
            key: (usize::try_from(key_len).ok() == Some(key.len())).then_some(key),
            bounds: bounds.into_iter().filter(|b| b != "DEFAULT").collect(),
            has_default,
        });
    }
    Ok(())
}
