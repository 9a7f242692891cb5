//! Index candidates from a query's text and plan: equality columns first, then at most one
//! range column, then the ORDER BY columns with their directions (so a Limit can stop
//! early); a partial-index WHERE for predicates on constants; INCLUDE columns when the
//! select list is small enough for an index-only scan. Pure: verification (building each
//! candidate and re-running the catalog) is `commands::suggest`.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlparser::ast::{
    BinaryOperator, Expr, Join, JoinConstraint, JoinOperator, OrderByKind, OrderBySort, SelectItem, SetExpr, Statement,
    TableFactor, UnaryOperator,
};
use sqlparser::dialect::PostgreSqlDialect;

use crate::datagen::schema::Catalog;
use crate::plan::{NodeType, PlanNode};

/// Most candidates tried per query.
const MAX_CANDIDATES: usize = 6;
/// Most INCLUDE columns for an index-only scan.
const MAX_INCLUDE: usize = 4;

/// An index to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub table: String,
    /// Key columns or expressions, with `DESC` where the order wants it.
    pub columns: Vec<String>,
    pub include: Vec<String>,
    /// A partial-index predicate.
    pub predicate: Option<String>,
}

impl Candidate {
    /// The conventional name: `table_col1_col2_idx`, at most 63 bytes.
    pub fn name(&self) -> String {
        let cols: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                let bare = c.trim_end_matches(" DESC");
                bare.chars()
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
        let keys: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                let (expr, dir) = c.strip_suffix(" DESC").map_or((c.as_str(), ""), |e| (e, " DESC"));
                if expr.contains('(') { format!("({expr}){dir}") } else { format!("{expr}{dir}") }
            })
            .collect();
        let mut ddl = format!(
            "CREATE INDEX {}{name} ON {} ({})",
            if concurrently { "CONCURRENTLY " } else { "" },
            self.table,
            keys.join(", ")
        );
        if !self.include.is_empty() {
            ddl.push_str(&format!(" INCLUDE ({})", self.include.join(", ")));
        }
        if let Some(p) = &self.predicate {
            ddl.push_str(&format!(" WHERE {p}"));
        }
        ddl
    }

    /// Whether an existing index (its `pg_get_indexdef`) already serves as this candidate:
    /// same predicate, and our keys are a prefix of its keys.
    pub fn covered_by(&self, indexdef: &str) -> bool {
        let Some((keys, predicate)) = parse_indexdef(indexdef) else { return false };
        let mine: Vec<String> = self.columns.iter().map(|c| normalize(c)).collect();
        let same_predicate = predicate.as_deref().map(normalize) == self.predicate.as_deref().map(normalize);
        same_predicate && keys.len() >= mine.len() && keys[..mine.len()] == mine[..]
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

/// What one table contributes to a query's access path.
#[derive(Debug, Default)]
struct Access {
    equal: Vec<String>,
    /// Equalities with a column of another table (a join), weaker than a value's.
    join_equal: Vec<String>,
    range: Vec<String>,
    constant_predicates: Vec<String>,
    selected: Vec<String>,
    select_all: bool,
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
        let order: &[String] = if shape.order_table.as_deref() == Some(table.as_str()) { &shape.order } else { &[] };
        let equal: Vec<String> = access.equal.iter().chain(&access.join_equal).cloned().collect();
        let range: Vec<String> = access.range.iter().take(1).filter(|r| !equal.contains(r)).cloned().collect();
        let predicate = (!access.constant_predicates.is_empty()).then(|| access.constant_predicates.join(" AND "));
        let mut key_sets: Vec<Vec<String>> = Vec::new();
        let mut push = |keys: Vec<String>| {
            let mut seen = Vec::new();
            let keys: Vec<String> = keys
                .into_iter()
                .filter(|k| {
                    let bare = k.trim_end_matches(" DESC").to_string();
                    let fresh = !seen.contains(&bare);
                    seen.push(bare);
                    fresh
                })
                .collect();
            if !keys.is_empty() && !key_sets.contains(&keys) {
                key_sets.push(keys);
            }
        };
        push([equal.clone(), order.to_vec()].concat());
        push([equal.clone(), range.clone()].concat());
        push([equal.clone(), range.clone(), order.to_vec()].concat());
        for keys in key_sets {
            let include: Vec<String> = if access.select_all {
                Vec::new()
            } else {
                access
                    .selected
                    .iter()
                    .filter(|c| !keys.iter().any(|k| k.trim_end_matches(" DESC") == c.as_str()))
                    .cloned()
                    .collect()
            };
            let mut variants = Vec::new();
            if predicate.is_some() {
                variants.push(Candidate {
                    table: table.clone(),
                    columns: keys.clone(),
                    include: Vec::new(),
                    predicate: predicate.clone(),
                });
            }
            variants.push(Candidate {
                table: table.clone(),
                columns: keys.clone(),
                include: Vec::new(),
                predicate: None,
            });
            if !include.is_empty() && include.len() <= MAX_INCLUDE {
                variants.push(Candidate {
                    table: table.clone(),
                    columns: keys.clone(),
                    include,
                    predicate: predicate.clone(),
                });
            }
            for c in variants {
                let existing = indexdefs.get(table).is_some_and(|defs| defs.iter().any(|d| c.covered_by(d)));
                if !existing && !out.contains(&c) {
                    out.push(c);
                }
            }
        }
    }
    out.truncate(MAX_CANDIDATES);
    out
}

/// The parts of a SELECT that indexes can serve.
#[derive(Debug, Default)]
struct QueryShape {
    tables: BTreeMap<String, Access>,
    /// ORDER BY keys when they all come from one table.
    order: Vec<String>,
    order_table: Option<String>,
}

fn read_query(sql: &str, catalog: &Catalog) -> Option<QueryShape> {
    let stmts = sqlparser::parser::Parser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    let Some(Statement::Query(query)) = stmts.into_iter().next() else { return None };
    let SetExpr::Select(select) = query.body.as_ref() else { return None };

    // alias or name -> table
    let mut aliases: BTreeMap<String, String> = BTreeMap::new();
    let mut conditions: Vec<&Expr> = Vec::new();
    let add_factor = |f: &TableFactor, aliases: &mut BTreeMap<String, String>| {
        if let TableFactor::Table { name, alias, .. } = f {
            let table = name.0.iter().filter_map(|p| p.as_ident()).map(ident).collect::<Vec<_>>().join(".");
            let table = table.strip_prefix("public.").unwrap_or(&table).to_string();
            aliases.insert(
                alias
                    .as_ref()
                    .map_or_else(|| table.rsplit('.').next().unwrap_or(&table).to_string(), |a| ident(&a.name)),
                table,
            );
        }
    };
    for twj in &select.from {
        add_factor(&twj.relation, &mut aliases);
        for Join { relation, join_operator, .. } in &twj.joins {
            add_factor(relation, &mut aliases);
            if let JoinOperator::Join(JoinConstraint::On(e))
            | JoinOperator::Inner(JoinConstraint::On(e))
            | JoinOperator::Left(JoinConstraint::On(e))
            | JoinOperator::LeftOuter(JoinConstraint::On(e)) = join_operator
            {
                conditions.push(e);
            }
        }
    }
    let resolver = Resolver { aliases: &aliases, catalog };
    let mut shape = QueryShape::default();
    for t in aliases.values() {
        shape.tables.entry(t.clone()).or_default();
    }
    if let Some(w) = &select.selection {
        conditions.push(w);
    }
    for c in conditions {
        for conjunct in conjuncts(c) {
            resolver.classify(conjunct, &mut shape.tables);
        }
    }
    for item in &select.projection {
        match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                if let Some((t, col)) = resolver.column(e) {
                    let access = shape.tables.entry(t).or_default();
                    if !access.selected.contains(&col) {
                        access.selected.push(col);
                    }
                } else {
                    // An expression over columns: an index-only scan would need them all.
                    shape.tables.values_mut().for_each(|a| a.select_all = true);
                }
            }
            _ => shape.tables.values_mut().for_each(|a| a.select_all = true),
        }
    }
    if let Some(order) = &query.order_by {
        if let OrderByKind::Expressions(exprs) = &order.kind {
            let mut keys = Vec::new();
            let mut table: Option<String> = None;
            for o in exprs {
                let Some((t, key)) = resolver.key(&o.expr) else { return Some(shape) };
                if table.as_ref().is_some_and(|x| *x != t) {
                    return Some(shape);
                }
                table = Some(t);
                let desc = matches!(o.options.sort, Some(OrderBySort::Desc));
                keys.push(if desc { format!("{key} DESC") } else { key });
            }
            shape.order = keys;
            shape.order_table = table;
        }
    }
    Some(shape)
}

/// The AND-ed parts of a condition.
fn conjuncts(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::BinaryOp { left, op: BinaryOperator::And, right } => [conjuncts(left), conjuncts(right)].concat(),
        Expr::Nested(inner) => conjuncts(inner),
        other => vec![other],
    }
}

struct Resolver<'a> {
    aliases: &'a BTreeMap<String, String>,
    catalog: &'a Catalog,
}

impl Resolver<'_> {
    /// The table and column a column reference names.
    fn column(&self, e: &Expr) -> Option<(String, String)> {
        match e {
            Expr::Identifier(i) => {
                let col = ident(i);
                let mut owners =
                    self.aliases.values().filter(|t| self.catalog.get(*t).is_some_and(|x| x.column(&col).is_some()));
                let t = owners.next()?;
                owners.next().is_none().then(|| (t.clone(), col))
            }
            Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
                let t = self.aliases.get(&ident(&parts[0]))?;
                Some((t.clone(), ident(&parts[1])))
            }
            Expr::Nested(inner) => self.column(inner),
            _ => None,
        }
    }

    /// An index key: a column, or an expression over columns of one table (e.g. lower(email)).
    fn key(&self, e: &Expr) -> Option<(String, String)> {
        if let Some(c) = self.column(e) {
            return Some(c);
        }
        if let Expr::Function(_) = e {
            let text = e.to_string();
            // The expression's columns must all be of one table; drop their qualifiers.
            let mut table = None;
            let mut bare = text.clone();
            for (alias, t) in self.aliases {
                let prefix = format!("{alias}.");
                if bare.contains(&prefix) {
                    if table.as_ref().is_some_and(|x| x != t) {
                        return None;
                    }
                    table = Some(t.clone());
                    bare = bare.replace(&prefix, "");
                }
            }
            let table = match table {
                Some(t) => t,
                None => self
                    .aliases
                    .values()
                    .find(|t| {
                        self.catalog.get(*t).is_some_and(|x| x.columns.iter().any(|c| contains_word(&bare, &c.name)))
                    })?
                    .clone(),
            };
            return Some((table, bare));
        }
        None
    }

    fn classify(&self, e: &Expr, tables: &mut BTreeMap<String, Access>) {
        match e {
            Expr::BinaryOp { left, op, right } => {
                let (key, other) = match (self.key(left), self.key(right)) {
                    (Some(k), None) => (k, right.as_ref()),
                    (None, Some(k)) => (k, left.as_ref()),
                    (Some(a), Some(b)) if *op == BinaryOperator::Eq && a.0 != b.0 => {
                        // A join: each side is an equality for a lookup into its table.
                        tables.entry(a.0.clone()).or_default().join_equal.push(a.1);
                        tables.entry(b.0.clone()).or_default().join_equal.push(b.1);
                        return;
                    }
                    _ => return,
                };
                let access = tables.entry(key.0.clone()).or_default();
                match op {
                    BinaryOperator::Eq if is_constant(other) => {
                        access.constant_predicates.push(format!("{} = {other}", key.1));
                        access.equal.push(key.1);
                    }
                    BinaryOperator::Eq if is_value(other) => access.equal.push(key.1),
                    BinaryOperator::Lt | BinaryOperator::LtEq | BinaryOperator::Gt | BinaryOperator::GtEq
                        if is_value(other) =>
                    {
                        access.range.push(key.1);
                    }
                    _ => {}
                }
            }
            Expr::Between { expr, negated: false, .. } => {
                if let Some((t, k)) = self.key(expr) {
                    tables.entry(t).or_default().range.push(k);
                }
            }
            Expr::IsNull(inner) | Expr::IsNotNull(inner) | Expr::IsTrue(inner) | Expr::IsFalse(inner) => {
                if let Some((t, k)) = self.column(inner) {
                    let text = e.to_string().replacen(&inner.to_string(), &k, 1);
                    tables.entry(t).or_default().constant_predicates.push(text);
                }
            }
            Expr::UnaryOp { op: UnaryOperator::Not, expr } => {
                if let Some((t, k)) = self.column(expr) {
                    tables.entry(t).or_default().constant_predicates.push(format!("NOT {k}"));
                }
            }
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
                // A boolean column on its own: `WHERE active`.
                if let Some((t, k)) = self.column(e) {
                    tables.entry(t).or_default().constant_predicates.push(k);
                }
            }
            _ => {}
        }
    }
}

/// A literal (not a parameter): a predicate on it can be a partial index's WHERE.
fn is_constant(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => !matches!(v.value, sqlparser::ast::Value::Placeholder(_)),
        Expr::Cast { expr, .. } | Expr::Nested(expr) => is_constant(expr),
        _ => false,
    }
}

/// A value known when the query starts: a literal or a parameter.
fn is_value(e: &Expr) -> bool {
    match e {
        Expr::Value(_) => true,
        Expr::Cast { expr, .. } | Expr::Nested(expr) => is_value(expr),
        Expr::Function(_) => !e.to_string().contains('.'),
        Expr::UnaryOp { expr, .. } => is_value(expr),
        _ => false,
    }
}

fn ident(i: &sqlparser::ast::Ident) -> String {
    if i.quote_style.is_some() { i.value.clone() } else { i.value.to_lowercase() }
}

fn contains_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == word)
}

/// Keys and predicate of `CREATE [UNIQUE] INDEX n ON t USING btree (a, b DESC) [INCLUDE (...)] [WHERE p]`.
fn parse_indexdef(def: &str) -> Option<(Vec<String>, Option<String>)> {
    let open = def.find(" (")? + 2;
    let mut depth = 1;
    let mut close = None;
    for (i, c) in def[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(open + i);
                    break;
                }
            }
            _ => {}
        }
    }
    let close = close?;
    let mut keys = Vec::new();
    let (mut depth, mut start) = (0, open);
    for (i, c) in def[open..close].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                keys.push(normalize(&def[start..open + i]));
                start = open + i + 1;
            }
            _ => {}
        }
    }
    keys.push(normalize(&def[start..close]));
    let predicate = def[close..].find(" WHERE ").map(|i| def[close + i + 7..].to_string());
    Some((keys, predicate))
}

/// Comparable text: lowercase, no parentheses, spaces or `ASC`.
fn normalize(s: &str) -> String {
    let s = s.to_lowercase().replace(" asc", "");
    s.chars().filter(|c| !c.is_whitespace() && *c != '(' && *c != ')' && *c != '"').collect()
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
        assert_eq!(c[0].columns, vec!["category_id", "featured DESC", "created_at DESC"]);
        assert_eq!(c[0].predicate.as_deref(), Some("active"));
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
        assert_eq!(c[0].columns, vec!["lower(email)"]);
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
        let (keys, pred) =
            parse_indexdef("CREATE INDEX i ON public.p USING btree (a, lower(b) DESC) WHERE (x IS NULL)").unwrap();
        assert_eq!(keys, vec!["a", "lowerbdesc"]);
        assert_eq!(pred.as_deref(), Some("(x IS NULL)"));
    }
}
