//! Index candidates from a query's text and plan: equality columns first, then at most one
//! range column, then the ORDER BY columns with their directions (so a Limit can stop
//! early); a partial-index WHERE for predicates on constants; INCLUDE columns when the
//! select list is small enough for an index-only scan. Pure: verification (building each
//! candidate and re-running the catalog) is `commands::suggest`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use std::ops::ControlFlow;

use sqlparser::ast::{BinaryOperator, Expr, Statement, visit_expressions_mut};
use sqlparser::dialect::PostgreSqlDialect;

use crate::datagen::schema::Catalog;
use crate::plan::{NodeType, PlanNode};
use crate::suggest::query::{Access, read_query};

pub mod query;

/// Most candidates tried per query.
const MAX_CANDIDATES: usize = 6;
/// Most INCLUDE columns for an index-only scan.
const MAX_INCLUDE: usize = 4;

/// An index key: a column, or an expression over one table's columns, and its direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKey {
    /// Unqualified: `email`, `lower(email)`.
    pub expr: Expr,
    pub desc: bool,
}

impl IndexKey {
    /// The key as CREATE INDEX takes it: an expression other than a column in parentheses.
    fn ddl(&self) -> String {
        let dir = if self.desc { " DESC" } else { "" };
        match &self.expr {
            Expr::Identifier(_) => format!("{}{dir}", self.expr),
            e => format!("({e}){dir}"),
        }
    }

    /// Whether the key is an expression, not a plain column.
    pub fn is_expression(&self) -> bool {
        !matches!(self.expr, Expr::Identifier(_))
    }

    /// The key's column, when it is one.
    fn column_name(&self) -> Option<String> {
        match &self.expr {
            Expr::Identifier(i) => Some(i.value.clone()),
            _ => None,
        }
    }
}

impl std::fmt::Display for IndexKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.expr, if self.desc { " DESC" } else { "" })
    }
}

/// An index to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub table: String,
    pub columns: Vec<IndexKey>,
    pub include: Vec<String>,
    /// A partial-index predicate, unqualified.
    pub predicate: Option<Expr>,
}

impl Candidate {
    /// The conventional name: `table_col1_col2_idx`, at most 63 bytes.
    pub fn name(&self) -> String {
        let cols: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                c.expr
                    .to_string()
                    .chars()
                    .map(|ch| if ch.is_ascii_alphanumeric() { ch.to_ascii_lowercase() } else { '_' })
                    .collect::<String>()
            })
            .map(|c| c.split('_').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("_"))
            .collect();
        let table = self.table.rsplit('.').next().unwrap_or(&self.table);
        let mut name = format!("{table}_{}", cols.join("_"));
        let suffix = if self.include.is_empty() { "_idx" } else { "_covering_idx" };
        name.truncate(63 - suffix.len());
        format!("{name}{suffix}")
    }

    /// `CREATE INDEX [CONCURRENTLY] name ON table (...) [INCLUDE (...)] [WHERE ...]`.
    pub fn ddl(&self, concurrently: bool, name: &str) -> String {
        let keys: Vec<String> = self.columns.iter().map(IndexKey::ddl).collect();
        let mut ddl = format!(
            "CREATE INDEX {}{name} ON {} ({})",
            if concurrently { "CONCURRENTLY " } else { "" },
            self.table,
            keys.join(", ")
        );
        if !self.include.is_empty() {
            let _ = write!(ddl, " INCLUDE ({})", self.include.join(", "));
        }
        if let Some(p) = &self.predicate {
            let _ = write!(ddl, " WHERE {p}");
        }
        ddl
    }

    /// Whether an existing index (its `pg_get_indexdef`) already serves as this candidate:
    /// same predicate, and our keys are a prefix of its keys.
    pub fn covered_by(&self, indexdef: &str) -> bool {
        let Some(existing) = ExistingIndex::parse(indexdef) else { return false };
        let mine: Vec<(String, bool)> = self.columns.iter().map(|k| (comparable(&k.expr), k.desc)).collect();
        let same_predicate = existing.predicate == self.predicate.as_ref().map(comparable);
        same_predicate && existing.keys.len() >= mine.len() && existing.keys[..mine.len()] == mine[..]
    }
}

/// A suggestion that was verified by building it and re-running the query.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub query: String,
    pub case: String,
    pub table: String,
    pub ddl: String,
    pub columns: Vec<String>,
    pub include: Vec<String>,
    #[serde(rename = "where")]
    pub predicate: Option<String>,
    pub scale: f64,
    pub work_before: u64,
    pub work_after: u64,
    pub time_before_ms: f64,
    pub time_after_ms: f64,
    pub size_bytes: i64,
}

/// What `suggest --format json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestions {
    pub format_version: u32,
    pub suggestions: Vec<Suggestion>,
}

/// Candidates for the tables a plan reads wastefully: by a Seq Scan, a filtering index or
/// bitmap scan, or under a Sort. Existing indexes (`indexdefs` per table) are left out.
pub fn candidates(
    sql: &str,
    plan: &PlanNode,
    catalog: &Catalog,
    indexdefs: &BTreeMap<String, Vec<String>>,
) -> Vec<Candidate> {
    let Some(shape) = read_query(sql, catalog) else { return Vec::new() };
    let wasteful: Vec<String> = plan
        .walk()
        .into_iter()
        .filter(|(n, _)| {
            n.node_type == NodeType::SeqScan
                || (n.filter.is_some()
                    && matches!(n.node_type, NodeType::IndexScan | NodeType::IndexOnlyScan | NodeType::BitmapHeapScan))
        })
        .filter_map(|(n, _)| n.relation_name.clone())
        .collect();
    let sorts = plan.walk().iter().any(|(n, _)| matches!(n.node_type, NodeType::Sort | NodeType::IncrementalSort));

    let mut out: Vec<Candidate> = Vec::new();
    for (table, access) in &shape.tables {
        let ordered = shape.order_table.as_deref() == Some(table.as_str()) && sorts;
        if !wasteful.contains(table) && !ordered {
            continue;
        }
        let order: &[IndexKey] = if shape.order_table.as_deref() == Some(table.as_str()) { &shape.order } else { &[] };
        for c in table_candidates(table, access, order) {
            let existing = indexdefs.get(table).is_some_and(|defs| defs.iter().any(|d| c.covered_by(d)));
            if !existing && !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out.truncate(MAX_CANDIDATES);
    out
}

/// One table's candidates, best first: equality keys then the ORDER BY, equality then
/// one range, and all three; each partial (when the query has constant predicates), plain,
/// and covering (when the selected columns are few).
fn table_candidates(table: &str, access: &Access, order: &[IndexKey]) -> Vec<Candidate> {
    let asc = |e: &Expr| IndexKey { expr: e.clone(), desc: false };
    let equal: Vec<IndexKey> = access.equal.iter().chain(&access.join_equal).map(asc).collect();
    let range: Vec<IndexKey> =
        access.range.iter().take(1).map(asc).filter(|r| !equal.iter().any(|k| k.expr == r.expr)).collect();
    let predicate = access.constant_predicates.iter().cloned().reduce(|a, b| Expr::BinaryOp {
        left: Box::new(a),
        op: BinaryOperator::And,
        right: Box::new(b),
    });
    let mut key_sets: Vec<Vec<IndexKey>> = Vec::new();
    for keys in
        [[&equal[..], order].concat(), [&equal[..], &range[..]].concat(), [&equal[..], &range[..], order].concat()]
    {
        let mut unique: Vec<IndexKey> = Vec::new();
        for k in keys {
            if !unique.iter().any(|u| u.expr == k.expr) {
                unique.push(k);
            }
        }
        if !unique.is_empty() && !key_sets.contains(&unique) {
            key_sets.push(unique);
        }
    }
    let mut out = Vec::new();
    for keys in key_sets {
        let include: Vec<String> = if access.select_all {
            Vec::new()
        } else {
            access
                .selected
                .iter()
                .filter(|c| !keys.iter().any(|k| k.column_name().as_ref() == Some(*c)))
                .cloned()
                .collect()
        };
        let candidate = |include: Vec<String>, predicate: Option<Expr>| Candidate {
            table: table.to_string(),
            columns: keys.clone(),
            include,
            predicate,
        };
        if predicate.is_some() {
            out.push(candidate(Vec::new(), predicate.clone()));
        }
        out.push(candidate(Vec::new(), None));
        if !include.is_empty() && include.len() <= MAX_INCLUDE {
            out.push(candidate(include, predicate.clone()));
        }
    }
    out
}

/// An existing index, as `pg_get_indexdef` describes it, in comparable form.
struct ExistingIndex {
    keys: Vec<(String, bool)>,
    predicate: Option<String>,
}

impl ExistingIndex {
    /// `CREATE [UNIQUE] INDEX n ON t USING btree (a, b DESC) [INCLUDE (...)] [WHERE p]`.
    fn parse(def: &str) -> Option<ExistingIndex> {
        let stmts = sqlparser::parser::Parser::parse_sql(&PostgreSqlDialect {}, def).ok()?;
        let Some(Statement::CreateIndex(index)) = stmts.into_iter().next() else { return None };
        let keys = index
            .columns
            .iter()
            .map(|c| {
                (comparable(&c.column.expr), matches!(c.column.options.sort, Some(sqlparser::ast::OrderBySort::Desc)))
            })
            .collect();
        Some(ExistingIndex { keys, predicate: index.predicate.as_ref().map(comparable) })
    }
}

/// An expression as text that compares equal however it was parenthesized, quoted or cased.
fn comparable(e: &Expr) -> String {
    let mut e = e.clone();
    let _ = visit_expressions_mut(&mut e, |x| {
        while let Expr::Nested(inner) = x {
            *x = std::mem::replace(inner.as_mut(), Expr::value(sqlparser::ast::Value::Null));
        }
        ControlFlow::<()>::Continue(())
    });
    e.to_string().to_lowercase().replace('"', "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datagen::schema::{Column, Table};

    fn catalog() -> Catalog {
        let table = |name: &str, cols: &[&str]| Table {
            name: name.into(),
            columns: cols
                .iter()
                .map(|c| Column {
                    name: (*c).into(),
                    type_sql: "int".into(),
                    type_name: "int4".into(),
                    type_kind: "b".into(),
                    element: None,
                    element_kind: None,
                    typmod: -1,
                    not_null: true,
                    identity: false,
                    generated: false,
                    serial_sequence: None,
                    enum_labels: vec![],
                    domain: None,
                    domain_checks: vec![],
                })
                .collect(),
            primary_key: vec!["id".into()],
            uniques: vec![],
            foreign_keys: vec![],
            checks: vec![],
            partitioning: None,
        };
        BTreeMap::from([
            (
                "products".into(),
                table("products", &["id", "category_id", "name", "price", "active", "featured", "created_at"]),
            ),
            ("users".into(), table("users", &["id", "email"])),
        ])
    }

    fn seq_scan(rel: &str) -> PlanNode {
        PlanNode {
            node_type: "Limit".into(),
            plans: vec![PlanNode {
                node_type: "Sort".into(),
                plans: vec![PlanNode {
                    node_type: "Seq Scan".into(),
                    relation_name: Some(rel.into()),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn the_listing_query_gets_the_composite_partial_index_first() {
        let sql = "SELECT id, name, price FROM products WHERE category_id = $1 AND active ORDER BY featured DESC, created_at DESC LIMIT 20";
        let c = candidates(sql, &seq_scan("products"), &catalog(), &BTreeMap::new());
        let keys: Vec<String> = c[0].columns.iter().map(ToString::to_string).collect();
        assert_eq!(keys, vec!["category_id", "featured DESC", "created_at DESC"]);
        assert_eq!(c[0].predicate.as_ref().map(ToString::to_string).as_deref(), Some("active"));
        assert_eq!(
            c[0].ddl(true, &c[0].name()),
            "CREATE INDEX CONCURRENTLY products_category_id_featured_created_at_idx ON products (category_id, featured DESC, created_at DESC) WHERE active"
        );
        assert!(c.iter().any(|x| x.include == vec!["id", "name", "price"]), "{c:?}");
    }

    #[test]
    fn expressions_become_expression_indexes() {
        let c = candidates(
            "SELECT id FROM users WHERE lower(email) = $1",
            &seq_scan("users"),
            &catalog(),
            &BTreeMap::new(),
        );
        let keys: Vec<String> = c[0].columns.iter().map(ToString::to_string).collect();
        assert_eq!(keys, vec!["lower(email)"]);
        assert_eq!(c[0].ddl(false, "x"), "CREATE INDEX x ON users ((lower(email)))");
    }

    #[test]
    fn existing_indexes_and_well_read_tables_give_nothing() {
        let sql = "SELECT id FROM products WHERE category_id = $1";
        let existing = BTreeMap::from([(
            "products".to_string(),
            vec![
                "CREATE INDEX products_category_id_price_idx ON public.products USING btree (category_id, price)"
                    .to_string(),
            ],
        )]);
        assert!(candidates(sql, &seq_scan("products"), &catalog(), &existing).iter().all(|c| !c.include.is_empty()));
        let good =
            PlanNode { node_type: "Index Scan".into(), relation_name: Some("products".into()), ..Default::default() };
        assert!(candidates(sql, &good, &catalog(), &BTreeMap::new()).is_empty());
    }

    #[test]
    fn index_definitions_parse() {
        let i = ExistingIndex::parse("CREATE INDEX i ON public.p USING btree (a, lower(b) DESC) WHERE (x IS NULL)")
            .unwrap();
        assert_eq!(i.keys, vec![("a".to_string(), false), ("lower(b)".to_string(), true)]);
        assert_eq!(i.predicate.as_deref(), Some("x is null"));
    }

    #[test]
    fn qualified_keys_and_predicates_lose_their_alias_in_the_tree_not_in_text() {
        let sql = "SELECT u.id FROM users u WHERE lower(u.email) = $1 AND u.email IS NOT NULL";
        let c = candidates(sql, &seq_scan("users"), &catalog(), &BTreeMap::new());
        assert_eq!(c[0].ddl(false, "x"), "CREATE INDEX x ON users ((lower(email))) WHERE email IS NOT NULL");
        // An index on the same keys and predicate, however Postgres prints it, covers it.
        let def = "CREATE INDEX e ON public.users USING btree (lower(email)) WHERE (email IS NOT NULL)";
        assert!(c[0].covered_by(def));
    }
}
