//! Index candidates from a query's text and plan: equality columns first, then at most one
//! range column, then the ORDER BY columns with their directions (so a Limit can stop
//! early); a partial-index WHERE for predicates on constants; INCLUDE columns when the
//! select list is small enough for an index-only scan. Pure: verification (building each
//! candidate and re-running the catalog) is `pipeline::verify`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use std::ops::ControlFlow;

use sqlparser::ast::{BinaryOperator, Expr, Ident, Statement, visit_expressions_mut};
use sqlparser::dialect::PostgreSqlDialect;

use crate::datagen::schema::{Catalog, Column};
use crate::plan::{NodeType, PlanNode};
use crate::suggest::query::{Access, QueryShape, read_query};

pub(crate) mod query;
mod suggestion;

pub(crate) use suggestion::{IndexNote, Migration, Suggestion, SuggestionKind, Suggestions, Tried, rank};

/// Most candidates tried per query.
const MAX_CANDIDATES: usize = 6;
/// Most INCLUDE columns for an index-only scan.
const MAX_INCLUDE: usize = 4;

/// An index key: a column, or an expression over one table's columns, and its direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexKey {
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
    pub(crate) fn is_expression(&self) -> bool {
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
pub(crate) struct Candidate {
    pub table: String,
    pub columns: Vec<IndexKey>,
    pub include: Vec<String>,
    /// A partial-index predicate, unqualified.
    pub predicate: Option<Expr>,
}

impl Candidate {
    /// The conventional name: `table_col1_col2_idx`, at most 63 bytes.
    pub(crate) fn name(&self) -> String {
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
    pub(crate) fn ddl(&self, concurrently: bool, name: &str) -> String {
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
    pub(crate) fn covered_by(&self, indexdef: &str) -> bool {
        let Some(existing) = ExistingIndex::parse(indexdef) else { return false };
        let mine: Vec<(String, bool)> = self.columns.iter().map(|k| (comparable(&k.expr), k.desc)).collect();
        let same_predicate = existing.predicate == self.predicate.as_ref().map(comparable);
        same_predicate && existing.keys.len() >= mine.len() && existing.keys[..mine.len()] == mine[..]
    }
}

/// The columns of the misestimated node's condition, when two or more belong to its
/// table: what `CREATE STATISTICS` can be about.
/// A node that reads no relation itself (an aggregate's grouping key, a join) counts when
/// one table alone has all of its columns.
pub(crate) fn statistics_columns(
    estimate: &crate::analysis::Estimate,
    catalog: &Catalog,
) -> Option<(String, Vec<String>)> {
    let (name, table) = if let Some(relation) = estimate.table.as_deref() {
        catalog.iter().find(|(n, _)| n.rsplit('.').next() == Some(relation))?
    } else {
        let mut owners = catalog.iter().filter(|(_, t)| estimate.columns.iter().all(|c| t.column(c).is_some()));
        let one = owners.next()?;
        if owners.next().is_some() {
            return None;
        }
        one
    };
    let columns: Vec<String> = estimate.columns.iter().filter(|c| table.column(c).is_some()).cloned().collect();
    (columns.len() >= 2).then(|| (name.clone(), columns))
}

/// What the candidates of a query are, and what was left out and why.
#[derive(Debug, Default)]
pub(crate) struct Candidates {
    pub list: Vec<Candidate>,
    /// (the index left out, why), e.g. a covering index whose INCLUDE would carry a column
    /// that can exceed the btree entry limit.
    pub skipped: Vec<(String, String)>,
}

/// Whether a column's values can be longer than a btree entry may be (about a third of a
/// page): unbounded text and binary types, JSON, arrays, long varchars.
pub(crate) fn can_exceed_btree_entry(column: &Column) -> bool {
    const MAX_BOUNDED_CHARS: i32 = 500;
    column.element.is_some()
        || matches!(column.type_name.as_str(), "text" | "bytea" | "json" | "jsonb" | "xml" | "tsvector" | "citext")
        || (matches!(column.type_name.as_str(), "varchar" | "bpchar")
            && (column.typmod < 0 || column.typmod - 4 > MAX_BOUNDED_CHARS))
}

/// Candidates for the tables a plan reads wastefully: by a Seq Scan, a filtering index or
/// bitmap scan, or under a Sort or an Aggregate. Existing indexes (`indexdefs` per table)
/// are left out.
pub(crate) fn candidates(
    sql: &str,
    plan: &PlanNode,
    catalog: &Catalog,
    indexdefs: &BTreeMap<String, Vec<String>>,
) -> Candidates {
    let mut out = Candidates::default();
    for shape in read_query(sql, catalog) {
        shape_candidates(&shape, plan, catalog, indexdefs, &mut out);
    }
    out.list.truncate(MAX_CANDIDATES);
    out
}

fn shape_candidates(
    shape: &QueryShape,
    plan: &PlanNode,
    catalog: &Catalog,
    indexdefs: &BTreeMap<String, Vec<String>>,
    out: &mut Candidates,
) {
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
    let walk = plan.walk();
    let sorts = walk.iter().any(|(n, _)| matches!(n.node_type, NodeType::Sort | NodeType::IncrementalSort));
    let aggregates = walk.iter().any(|(n, _)| matches!(n.node_type, NodeType::Aggregate | NodeType::Sort));

    for (table, access) in &shape.tables {
        let on = |t: &Option<String>| t.as_deref() == Some(table.as_str());
        let ordered = on(&shape.order_table) && sorts;
        let grouped = on(&shape.group_table) && aggregates;
        if !wasteful.contains(table) && !ordered && !grouped {
            continue;
        }
        let order: &[IndexKey] = if on(&shape.order_table) { &shape.order } else { &[] };
        let group: &[IndexKey] = if on(&shape.group_table) { &shape.group } else { &[] };
        let wide: Vec<String> = access
            .selected
            .iter()
            .filter(|c| catalog.get(table).and_then(|t| t.column(c)).is_some_and(can_exceed_btree_entry))
            .cloned()
            .collect();
        let (list, skipped) = table_candidates(table, access, order, group, &wide);
        out.skipped.extend(skipped);
        for c in list {
            let existing = indexdefs.get(table).is_some_and(|defs| defs.iter().any(|d| c.covered_by(d)));
            if !existing && !out.list.contains(&c) {
                out.list.push(c);
            }
        }
    }
}

/// One table's candidates, best first: equality keys then the ORDER BY, equality then
/// one range, and all three; each partial (when the query has constant predicates), plain,
/// and covering (when the columns read besides are few, and none of them `wide`); then
/// equality keys and the GROUP BY keys, with the columns the aggregates read as trailing
/// keys (an index-only scan that feeds the aggregate in order). Also what was left out.
fn table_candidates(
    table: &str,
    access: &Access,
    order: &[IndexKey],
    group: &[IndexKey],
    wide: &[String],
) -> (Vec<Candidate>, Vec<(String, String)>) {
    let mut skipped = Vec::new();
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
    let besides = |keys: &[IndexKey]| -> Vec<String> {
        if access.select_all {
            return Vec::new();
        }
        access.selected.iter().filter(|c| !keys.iter().any(|k| k.column_name().as_ref() == Some(*c))).cloned().collect()
    };
    let mut out = Vec::new();
    for keys in key_sets {
        let include = besides(&keys);
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
            let too_wide: Vec<&String> = include.iter().filter(|c| wide.contains(c)).collect();
            if too_wide.is_empty() {
                out.push(candidate(include, predicate.clone()));
            } else {
                skipped.push((
                    candidate(include.clone(), predicate.clone()).ddl(false, "covering"),
                    format!(
                        "{} can exceed the btree entry limit (about a third of a page): an insert of such a row \
                         would fail",
                        too_wide.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
    }
    if !group.is_empty() {
        let mut keys: Vec<IndexKey> = equal.clone();
        for k in group {
            if !keys.iter().any(|u| u.expr == k.expr) {
                keys.push(k.clone());
            }
        }
        let read = besides(&keys);
        let narrow = !read.is_empty() && read.len() <= MAX_INCLUDE && read.iter().all(|c| !wide.contains(c));
        if narrow {
            let mut covering = keys.clone();
            covering.extend(read.iter().map(|c| asc(&Expr::Identifier(Ident::new(c.clone())))));
            out.insert(
                0,
                Candidate { table: table.to_string(), columns: covering, include: Vec::new(), predicate: None },
            );
        }
        out.push(Candidate { table: table.to_string(), columns: keys, include: Vec::new(), predicate: None });
    }
    (out, skipped)
}

/// Whether the index `existing` (as `pg_get_indexdef` prints it) is made redundant by
/// `suggested` (a CREATE INDEX): its keys are a strict prefix of the suggested index's
/// keys, with the same predicate.
pub(crate) fn prefix_of(existing: &str, suggested: &str) -> bool {
    let (Some(e), Some(s)) = (ExistingIndex::parse(existing), ExistingIndex::parse(suggested)) else { return false };
    e.predicate == s.predicate && e.keys.len() < s.keys.len() && s.keys[..e.keys.len()] == e.keys[..]
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
            unique_indexes: vec![],
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
        let c = candidates(sql, &seq_scan("products"), &catalog(), &BTreeMap::new()).list;
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
        )
        .list;
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
        assert!(
            candidates(sql, &seq_scan("products"), &catalog(), &existing).list.iter().all(|c| !c.include.is_empty())
        );
        let good =
            PlanNode { node_type: "Index Scan".into(), relation_name: Some("products".into()), ..Default::default() };
        assert!(candidates(sql, &good, &catalog(), &BTreeMap::new()).list.is_empty());
    }

    #[test]
    fn an_aggregate_gets_its_group_key_with_the_column_it_sums_first() {
        let sql = "SELECT p.name, t.total FROM products p JOIN (SELECT category_id, sum(price) AS total FROM products \
                   GROUP BY category_id HAVING sum(price) > 100) t ON t.category_id = p.id";
        let c = candidates(sql, &seq_scan("products"), &catalog(), &BTreeMap::new()).list;
        let keys: Vec<String> = c[0].columns.iter().map(ToString::to_string).collect();
        assert_eq!(keys, vec!["category_id", "price"], "{c:?}");
    }

    #[test]
    fn a_covering_index_never_carries_a_column_without_a_length_bound() {
        let mut cat = catalog();
        let products = cat.get_mut("products").unwrap();
        products.columns.iter_mut().find(|c| c.name == "name").unwrap().type_name = "text".into();
        let sql = "SELECT id, name FROM products WHERE category_id = $1 ORDER BY created_at DESC LIMIT 20";
        let c = candidates(sql, &seq_scan("products"), &cat, &BTreeMap::new());
        assert!(c.list.iter().all(|x| !x.include.contains(&"name".to_string())), "{:?}", c.list);
        assert!(
            c.skipped.iter().any(|(ddl, why)| ddl.contains("INCLUDE (id, name)") && why.contains("`name`")),
            "{:?}",
            c.skipped
        );
    }

    #[test]
    fn a_prefix_of_a_suggested_index_is_redundant() {
        let old = "CREATE INDEX o ON public.orders USING btree (customer_id)";
        assert!(prefix_of(old, "CREATE INDEX CONCURRENTLY n ON orders (customer_id, created_at DESC)"));
        assert!(!prefix_of(old, "CREATE INDEX CONCURRENTLY n ON orders (customer_id)"), "the same keys: not a prefix");
        assert!(!prefix_of(old, "CREATE INDEX CONCURRENTLY n ON orders (customer_id, x) WHERE active"));
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
        let c = candidates(sql, &seq_scan("users"), &catalog(), &BTreeMap::new()).list;
        assert_eq!(c[0].ddl(false, "x"), "CREATE INDEX x ON users ((lower(email))) WHERE email IS NOT NULL");
        // An index on the same keys and predicate, however Postgres prints it, covers it.
        let def = "CREATE INDEX e ON public.users USING btree (lower(email)) WHERE (email IS NOT NULL)";
        assert!(c[0].covered_by(def));
    }
}
