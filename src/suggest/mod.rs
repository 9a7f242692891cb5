//! Index candidates from a query's text and plan: equality columns first, then at most one
//! range column, then the ORDER BY columns with their directions (so a Limit can stop
//! early); a partial-index WHERE for predicates on constants; INCLUDE columns when the
//! select list is small enough for an index-only scan; a trigram index for substring and
//! similarity searches. Pure: verification (building each candidate and re-running the
//! catalog) is `pipeline::verify`.

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

pub(crate) use suggestion::{
    CurvePoint, IndexNote, Migration, NoCandidate, Suggestion, SuggestionKind, Suggestions, Tried, drop_prefixes, rank,
};

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

/// How a candidate indexes its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Method {
    /// A btree: equality, ranges and order.
    #[default]
    Btree,
    /// A GIN trigram index (`pg_trgm`): `LIKE '%q%'`, `ILIKE`, similarity.
    TrigramGin,
    /// A `GiST` trigram index: the same searches, and nearest first by distance (`<->`).
    TrigramGist,
}

impl Method {
    /// `USING ...` and the operator class of every key; nothing for a btree.
    fn using(self) -> Option<(&'static str, &'static str)> {
        match self {
            Method::Btree => None,
            Method::TrigramGin => Some(("gin", "gin_trgm_ops")),
            Method::TrigramGist => Some(("gist", "gist_trgm_ops")),
        }
    }

    /// The access method's name.
    pub(crate) fn name(self) -> &'static str {
        self.using().map_or("btree", |(m, _)| m)
    }

    /// The extension that provides the operator class.
    pub(crate) fn extension(self) -> Option<&'static str> {
        self.using().map(|_| "pg_trgm")
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
    pub method: Method,
}

/// The index a foreign key's checks lack: the referencing table's key columns, in order.
pub(crate) fn foreign_key_index(table: &str, columns: &[String]) -> Candidate {
    Candidate {
        table: table.to_string(),
        columns: columns
            .iter()
            .map(|c| IndexKey { expr: Expr::Identifier(query::column_ident(c)), desc: false })
            .collect(),
        include: Vec::new(),
        predicate: None,
        method: Method::Btree,
    }
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
        let suffix = match (self.method, self.include.is_empty()) {
            (Method::Btree, true) => "_idx",
            (Method::Btree, false) => "_covering_idx",
            (Method::TrigramGin | Method::TrigramGist, _) => "_trgm_idx",
        };
        name.truncate(63 - suffix.len());
        format!("{name}{suffix}")
    }

    /// `CREATE INDEX [CONCURRENTLY] name ON table (...) [INCLUDE (...)] [WHERE ...]`.
    pub(crate) fn ddl(&self, concurrently: bool, name: &str) -> String {
        let using = self.method.using();
        let keys: Vec<String> = self
            .columns
            .iter()
            .map(|k| match using {
                Some((_, opclass)) => format!("{} {opclass}", k.ddl()),
                None => k.ddl(),
            })
            .collect();
        let mut ddl = format!(
            "CREATE INDEX {}{name} ON {}{} ({})",
            if concurrently { "CONCURRENTLY " } else { "" },
            self.table,
            using.map(|(method, _)| format!(" USING {method}")).unwrap_or_default(),
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
        match self.method.using() {
            None => {
                existing.method == "btree"
                    && same_predicate
                    && existing.keys.len() >= mine.len()
                    && existing.keys[..mine.len()] == mine[..]
            }
            // Any trigram index on the key serves a search on it; only a GiST one walks it
            // nearest first.
            Some((method, _)) => {
                existing.trigram
                    && (method == "gin" || existing.method == "gist")
                    && mine.iter().all(|m| existing.keys.iter().any(|k| k.0 == m.0))
            }
        }
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
    /// When the list is empty: what in the query or its plan left no candidate.
    pub stops: Vec<String>,
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
    match read_query(sql, catalog) {
        Ok(shapes) => {
            for shape in &shapes {
                shape_candidates(shape, plan, catalog, indexdefs, &mut out);
            }
        }
        Err(why) => out.stops.push(why.to_string()),
    }
    out.list.truncate(MAX_CANDIDATES);
    if !out.list.is_empty() {
        out.stops.clear();
    } else if out.stops.is_empty() {
        out.stops.push(
            "no table is read wastefully: no Seq Scan, no index or bitmap scan that filters, and no sort or \
             aggregate an index could feed"
                .into(),
        );
    }
    out
}

fn shape_candidates(
    shape: &QueryShape,
    plan: &PlanNode,
    catalog: &Catalog,
    indexdefs: &BTreeMap<String, Vec<String>>,
    out: &mut Candidates,
) {
    let walk = plan.walk();
    let wasteful: Vec<(String, &str)> = walk
        .iter()
        .filter(|(n, _)| {
            n.node_type == NodeType::SeqScan
                || (n.filter.is_some()
                    && matches!(n.node_type, NodeType::IndexScan | NodeType::IndexOnlyScan | NodeType::BitmapHeapScan))
        })
        .filter_map(|(n, _)| n.relation_name.clone().map(|r| (r, n.node_type.as_str())))
        .collect();
    let sorts = walk.iter().any(|(n, _)| matches!(n.node_type, NodeType::Sort | NodeType::IncrementalSort));
    let aggregates = walk.iter().any(|(n, _)| matches!(n.node_type, NodeType::Aggregate | NodeType::Sort));

    for (table, access) in &shape.tables {
        let on = |t: &Option<String>| t.as_deref() == Some(table.as_str());
        let read_by = wasteful.iter().find(|(r, _)| r == table).map(|(_, how)| *how);
        let ordered = on(&shape.order_table) && sorts;
        let group: Vec<IndexKey> = if on(&shape.group_table) {
            shape.group.clone()
        } else {
            shape.group_via.get(table).cloned().into_iter().collect()
        };
        let grouped = !group.is_empty() && aggregates;
        if read_by.is_none() && !ordered && !grouped {
            continue;
        }
        let order: &[IndexKey] = if on(&shape.order_table) { &shape.order } else { &[] };
        let wide: Vec<String> = access
            .selected
            .iter()
            .filter(|c| catalog.get(table).and_then(|t| t.column(c)).is_some_and(can_exceed_btree_entry))
            .cloned()
            .collect();
        let (list, skipped) = table_candidates(table, access, order, &group, &wide);
        out.skipped.extend(skipped);
        if list.is_empty() {
            let mut why = format!(
                "`{table}` is read by a {}, but no condition, join, ORDER BY or GROUP BY of the query gives it an \
                 index key",
                read_by.unwrap_or("sort or an aggregate")
            );
            if !access.unusable.is_empty() {
                let _ = write!(why, ": {}", access.unusable.join("; "));
            }
            out.stops.push(why);
        }
        for c in list {
            let existing = indexdefs.get(table).is_some_and(|defs| defs.iter().any(|d| c.covered_by(d)));
            if existing {
                out.stops.push(format!(
                    "`{table}` is read by a {}, though `{}`, the index its conditions ask for, exists already",
                    read_by.unwrap_or("sort or an aggregate"),
                    c.ddl(false, &c.name())
                ));
            } else if !out.list.contains(&c) {
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
    // A table looked up by values and joined too: the values alone first (it drives the
    // join), then with the join keys (it is the join's inner side).
    let values: Vec<IndexKey> = access.equal.iter().map(asc).collect();
    let equal_sets: Vec<&[IndexKey]> =
        if values.is_empty() || access.join_equal.is_empty() { vec![&equal] } else { vec![&values, &equal] };
    let range: Vec<IndexKey> =
        access.range.iter().take(1).map(asc).filter(|r| !equal.iter().any(|k| k.expr == r.expr)).collect();
    let predicate = access.constant_predicates.iter().cloned().reduce(|a, b| Expr::BinaryOp {
        left: Box::new(a),
        op: BinaryOperator::And,
        right: Box::new(b),
    });
    let mut key_sets: Vec<Vec<IndexKey>> = Vec::new();
    let combinations = equal_sets
        .iter()
        .flat_map(|equal| [[equal, order].concat(), [equal, &range[..]].concat(), [equal, &range[..], order].concat()]);
    for keys in combinations {
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
    let btree = Candidate {
        table: table.to_string(),
        columns: Vec::new(),
        include: Vec::new(),
        predicate: None,
        method: Method::Btree,
    };
    let mut out = Vec::new();
    for keys in key_sets {
        let include = besides(&keys);
        let candidate = |include: Vec<String>, predicate: Option<Expr>| Candidate {
            table: table.to_string(),
            columns: keys.clone(),
            include,
            predicate,
            method: Method::Btree,
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
            out.insert(0, Candidate { table: table.to_string(), columns: covering, ..btree.clone() });
        }
        out.push(Candidate { table: table.to_string(), columns: keys, include: Vec::new(), predicate: None, ..btree });
    }
    // Substring and similarity searches: only a trigram index serves them; first when the
    // query has no equality a btree could look up.
    let mut trigram = Vec::new();
    for key in &access.trigram {
        let methods: &[Method] = if access.by_distance.contains(key) {
            &[Method::TrigramGist, Method::TrigramGin]
        } else {
            &[Method::TrigramGin]
        };
        for &method in methods {
            let c = Candidate {
                table: table.to_string(),
                columns: vec![asc(key)],
                include: Vec::new(),
                predicate: None,
                method,
            };
            if !trigram.contains(&c) {
                trigram.push(c);
            }
        }
    }
    if equal.is_empty() {
        trigram.append(&mut out);
        out = trigram;
    } else {
        out.append(&mut trigram);
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
    /// `btree`, `gin`, ...
    method: String,
    /// Whether its keys use a trigram operator class.
    trigram: bool,
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
        let method = index.using.as_ref().map_or_else(|| "btree".to_string(), |m| m.to_string().to_lowercase());
        let trigram = index
            .columns
            .iter()
            .any(|c| c.operator_class.as_ref().is_some_and(|o| o.to_string().to_lowercase().contains("trgm")));
        Some(ExistingIndex { keys, predicate: index.predicate.as_ref().map(comparable), method, trigram })
    }
}

/// An expression as text that compares equal however it was parenthesized, quoted or cased.
fn comparable(e: &Expr) -> String {
    let mut e = e.clone();
    let _ = visit_expressions_mut(&mut e, |x| {
        // Parentheses, and the casts to text Postgres prints around a varchar column.
        while let Expr::Nested(inner) | Expr::Cast { expr: inner, data_type: sqlparser::ast::DataType::Text, .. } = x {
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
            (
                "version_owner_actions".into(),
                table("version_owner_actions", &["id", "version_id", "user_id", "action"]),
            ),
            ("orders".into(), table("orders", &["id", "user_id", "placed_at"])),
            ("lines".into(), table("lines", &["id", "order_id", "qty"])),
        ])
    }

    fn keys(c: &Candidate) -> Vec<String> {
        c.columns.iter().map(ToString::to_string).collect()
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

    #[test]
    fn query_builder_sql_gives_the_same_candidates_as_hand_written_sql() {
        let plan = seq_scan("version_owner_actions");
        let none = BTreeMap::new();
        // As Diesel writes it: the join in parentheses, every name quoted and qualified.
        for filter in [
            r#""version_owner_actions"."version_id" IN ($1, $2, $3)"#,
            r#""version_owner_actions"."version_id" = ANY($1)"#,
            r#""public"."version_owner_actions"."version_id" IS NOT DISTINCT FROM $1"#,
            "version_id = $1",
        ] {
            let sql = format!(
                r#"SELECT "version_owner_actions"."id", "users"."gh_login" FROM ("version_owner_actions" INNER JOIN
                   "users" ON "version_owner_actions"."user_id" = "users"."id") WHERE {filter}
                   ORDER BY "version_owner_actions"."id""#
            );
            let c = candidates(&sql, &plan, &catalog(), &none);
            assert_eq!(keys(&c.list[0]), ["version_id", "id"], "the values, then the order: {filter}: {:?}", c.list);
            let ddls: Vec<String> = c.list.iter().map(|x| x.ddl(false, "x")).collect();
            assert!(
                ddls.contains(&"CREATE INDEX x ON version_owner_actions (version_id)".into()),
                "{filter}: {ddls:?}"
            );
        }
    }

    #[test]
    fn casts_and_coalesce_become_expression_keys_and_parameters_never_do() {
        let c = candidates(
            "SELECT id FROM orders WHERE placed_at::date = $1 AND COALESCE(user_id, 0) = $2",
            &seq_scan("orders"),
            &catalog(),
            &BTreeMap::new(),
        );
        assert_eq!(keys(&c.list[0]), ["placed_at::DATE", "COALESCE(user_id, 0)"], "{:?}", c.list);
        let c = candidates(
            "SELECT id FROM orders WHERE date_trunc($1, placed_at) = $2",
            &seq_scan("orders"),
            &catalog(),
            &BTreeMap::new(),
        );
        assert!(c.list.is_empty(), "a key with a parameter in it is no index: {:?}", c.list);
    }

    #[test]
    fn a_substring_search_gets_a_trigram_index_and_a_nearest_first_order_gist() {
        let like = candidates(
            "SELECT id FROM users WHERE lower(email) LIKE '%' || lower($1) || '%'",
            &seq_scan("users"),
            &catalog(),
            &BTreeMap::new(),
        );
        assert_eq!(like.list[0].ddl(false, "x"), "CREATE INDEX x ON users USING gin ((lower(email)) gin_trgm_ops)");
        assert_eq!(like.list[0].method.extension(), Some("pg_trgm"));
        assert_eq!(like.list[0].name(), "users_lower_email_trgm_idx");
        let nearest = candidates(
            "SELECT id FROM users WHERE email % $1 ORDER BY email <-> $1 LIMIT 10",
            &seq_scan("users"),
            &catalog(),
            &BTreeMap::new(),
        );
        let ddls: Vec<String> = nearest.list.iter().map(|c| c.ddl(false, "x")).collect();
        assert_eq!(ddls[0], "CREATE INDEX x ON users USING gist (email gist_trgm_ops)", "{ddls:?}");
        assert!(ddls.contains(&"CREATE INDEX x ON users USING gin (email gin_trgm_ops)".to_string()), "{ddls:?}");
        // An existing trigram index, as Postgres prints it, serves as the candidate.
        let existing = BTreeMap::from([(
            "users".to_string(),
            vec!["CREATE INDEX t ON public.users USING gin (lower((email)::text) gin_trgm_ops)".to_string()],
        )]);
        let c =
            candidates("SELECT id FROM users WHERE lower(email) ILIKE $1", &seq_scan("users"), &catalog(), &existing);
        assert!(c.list.iter().all(|x| x.method == Method::Btree), "{:?}", c.list);
    }

    #[test]
    fn an_aggregate_across_a_join_gets_the_child_join_key_and_the_summed_column() {
        let sql = "SELECT o.id, sum(l.qty) FROM orders o JOIN lines l ON l.order_id = o.id \
                   GROUP BY o.id HAVING sum(l.qty) > 100";
        let c = candidates(sql, &seq_scan("lines"), &catalog(), &BTreeMap::new()).list;
        assert_eq!(c[0].table, "lines", "{c:?}");
        assert_eq!(keys(&c[0]), ["order_id", "qty"], "{c:?}");
    }

    #[test]
    fn no_candidate_says_which_part_of_the_query_stopped_it() {
        let c = candidates(
            "SELECT id FROM orders WHERE user_id = $1 OR placed_at > $2",
            &seq_scan("orders"),
            &catalog(),
            &BTreeMap::new(),
        );
        assert!(c.list.is_empty());
        assert!(c.stops[0].contains("`orders` is read by a Seq Scan"), "{:?}", c.stops);
        assert!(c.stops[0].contains("OR"), "{:?}", c.stops);
        let c = candidates("SELEC id FROM orders", &seq_scan("orders"), &catalog(), &BTreeMap::new());
        assert!(c.stops[0].starts_with("the statement does not parse"), "{:?}", c.stops);
        let good =
            PlanNode { node_type: "Index Scan".into(), relation_name: Some("orders".into()), ..Default::default() };
        let c = candidates("SELECT id FROM orders WHERE id = $1", &good, &catalog(), &BTreeMap::new());
        assert!(c.stops[0].starts_with("no table is read wastefully"), "{:?}", c.stops);
    }
}
