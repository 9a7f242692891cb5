//! What a query asks of each table it reads, from its SQL's syntax tree: equality and
//! range columns, constant predicates, the ORDER BY and GROUP BY keys and the columns read
//! besides (the select list, aggregate arguments, HAVING), for every SELECT of the
//! statement (subqueries in FROM and WITH included).

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Distinct, Expr, GroupByExpr, Ident, InTarget, Join, JoinConstraint, JoinOperator, LimitClause,
    OrderByKind, OrderBySort, SelectItem, SelectItemQualifiedWildcardKind, SetExpr, Statement, TableFactor,
    TableWithJoins, UnaryOperator, visit_expressions, visit_expressions_mut, visit_relations, visit_statements,
};
use sqlparser::dialect::PostgreSqlDialect;

use crate::datagen::schema::Catalog;
use crate::sqltext::{ident, table_name};
use crate::suggest::IndexKey;

/// What one table contributes to a query's access path.
#[derive(Debug, Default)]
pub(crate) struct Access {
    pub equal: Vec<Expr>,
    /// Equalities with a column of another table (a join), weaker than a value's.
    pub join_equal: Vec<Expr>,
    pub range: Vec<Expr>,
    pub constant_predicates: Vec<Expr>,
    /// Keys searched for a substring or by similarity: only a trigram index serves them.
    pub trigram: Vec<Expr>,
    /// Trigram keys the query orders by distance to a value (`key <-> $1`): `GiST` serves that.
    pub by_distance: Vec<Expr>,
    pub selected: Vec<String>,
    pub select_all: bool,
    /// Conditions on this table that give no index key, and why.
    pub unusable: Vec<String>,
}

/// The parts of a SELECT that indexes can serve.
#[derive(Debug, Default)]
pub(crate) struct QueryShape {
    pub tables: BTreeMap<String, Access>,
    /// ORDER BY keys when they all come from one table.
    pub order: Vec<IndexKey>,
    pub order_table: Option<String>,
    /// GROUP BY (or DISTINCT) keys when they all come from one table: an index in their
    /// order feeds the aggregate sorted.
    pub group: Vec<IndexKey>,
    pub group_table: Option<String>,
    /// Tables joined to the GROUP BY's table on one of its keys: their join key, which an
    /// index can feed the aggregate in (the child of a parent grouped by its id).
    pub group_via: BTreeMap<String, IndexKey>,
    /// The equality joins of the SELECT: (table, key) on each side.
    joins: Vec<((String, Expr), (String, Expr))>,
}

/// Why a statement gives no SELECT to read.
#[derive(Debug)]
pub(crate) enum Unread {
    Parse(sqlparser::parser::ParserError),
    NotAQuery,
}

impl std::fmt::Display for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unread::Parse(e) => write!(f, "the statement does not parse as Postgres SQL ({e})"),
            Unread::NotAQuery => write!(f, "the statement is not a query"),
        }
    }
}

/// Every SELECT of the statement: the top one, and those of subqueries and WITH; or why
/// the statement gives none.
pub(crate) fn read_query(sql: &str, catalog: &Catalog) -> Result<Vec<QueryShape>, Unread> {
    struct Selects(Vec<sqlparser::ast::Query>);
    impl sqlparser::ast::Visitor for Selects {
        type Break = ();
        fn pre_visit_query(&mut self, query: &sqlparser::ast::Query) -> ControlFlow<()> {
            self.0.push(query.clone());
            ControlFlow::Continue(())
        }
    }
    let stmts = sqlparser::parser::Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(Unread::Parse)?;
    let Some(stmt @ Statement::Query(_)) = stmts.first() else { return Err(Unread::NotAQuery) };
    let mut selects = Selects(Vec::new());
    let _ = sqlparser::ast::Visit::visit(stmt, &mut selects);
    Ok(selects.0.iter().filter_map(|q| read_select(q, catalog)).collect())
}

/// The shape of one SELECT (None for a set operation or VALUES).
fn read_select(query: &sqlparser::ast::Query, catalog: &Catalog) -> Option<QueryShape> {
    let SetExpr::Select(select) = query.body.as_ref() else { return None };
    let (aliases, mut conditions) = from_clause(select);
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
            resolver.classify(conjunct, &mut shape);
        }
    }
    // The columns read besides the keys: what an index-only scan needs too.
    let mut read: Vec<&Expr> = Vec::new();
    for item in &select.projection {
        match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => read.push(e),
            // `o.*`: every column of that table only.
            SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(name), _)
                if name.0.last().and_then(|p| p.as_ident()).is_some_and(|i| aliases.contains_key(&ident(i))) =>
            {
                let alias = name.0.last().and_then(|p| p.as_ident()).map(ident).unwrap_or_default();
                shape.tables.entry(aliases[&alias].clone()).or_default().select_all = true;
            }
            _ => shape.tables.values_mut().for_each(|a| a.select_all = true),
        }
    }
    read.extend(select.having.iter());
    for e in read {
        if !resolver.read_columns(e, &mut shape.tables) {
            // A column no single table owns: an index-only scan cannot be planned for.
            shape.tables.values_mut().for_each(|a| a.select_all = true);
        }
    }
    let group: Vec<&Expr> = match (&select.group_by, &select.distinct) {
        (GroupByExpr::Expressions(keys, _), _) if !keys.is_empty() => keys.iter().collect(),
        (_, Some(Distinct::On(keys))) => keys.iter().collect(),
        (_, Some(Distinct::Distinct)) => select
            .projection
            .iter()
            .filter_map(|i| match i {
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut keys = Vec::new();
    let mut table: Option<String> = None;
    for e in group {
        let Some((t, key)) = resolver.key(e) else {
            table = None;
            break;
        };
        if table.as_ref().is_some_and(|x| *x != t) {
            table = None;
            break;
        }
        table = Some(t);
        keys.push(IndexKey { expr: key, desc: false });
    }
    if let Some(g) = table {
        for (a, b) in &shape.joins {
            for ((t, k), (other, key)) in [(a, b), (b, a)] {
                if *t == g && *other != g && keys.iter().any(|x| x.expr == *k) {
                    shape.group_via.entry(other.clone()).or_insert(IndexKey { expr: key.clone(), desc: false });
                }
            }
        }
        shape.group = keys;
        shape.group_table = Some(g);
    }
    if let Some(order) = &query.order_by {
        if let OrderByKind::Expressions(exprs) = &order.kind {
            let mut keys = Vec::new();
            let mut table: Option<String> = None;
            for o in exprs {
                if let Some((t, key)) = resolver.distance_key(&o.expr) {
                    // Nearest first by trigram distance: a GiST index walks that order.
                    let access = shape.tables.entry(t).or_default();
                    access.by_distance.push(key.clone());
                    access.trigram.push(key);
                    return Some(shape);
                }
                let Some((t, key)) = resolver.key(&o.expr) else { return Some(shape) };
                if table.as_ref().is_some_and(|x| *x != t) {
                    return Some(shape);
                }
                table = Some(t);
                keys.push(IndexKey { expr: key, desc: matches!(o.options.sort, Some(OrderBySort::Desc)) });
            }
            shape.order = keys;
            shape.order_table = table;
        }
    }
    Some(shape)
}

/// What a query's `$n` stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Parameter {
    /// Compared with this column (table, column).
    Column(String, String),
    Limit,
    Offset,
}

/// A read-only query's tables and what each of its `$1..$n` stands for (None where the
/// syntax does not say); None for anything but one plain SELECT (no locking clause, no
/// data-modifying part).
pub(crate) fn parameters(sql: &str, catalog: &Catalog) -> Option<(Vec<String>, Vec<Option<Parameter>>)> {
    let stmts = sqlparser::parser::Parser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    let [Statement::Query(query)] = stmts.as_slice() else { return None };
    if !query.locks.is_empty() {
        return None;
    }
    let mut modifies = false;
    let _ = visit_statements(query, |s| {
        modifies |= !matches!(s, Statement::Query(_));
        ControlFlow::<()>::Continue(())
    });
    if modifies {
        return None;
    }
    let mut tables = Vec::new();
    let _ = visit_relations(query, |name| {
        if let Some(t) = table_name(name) {
            if !tables.contains(&t) {
                tables.push(t);
            }
        }
        ControlFlow::<()>::Continue(())
    });
    let mut count = 0;
    let _ = visit_expressions(query, |e| {
        count = count.max(placeholder(e).unwrap_or(0));
        ControlFlow::<()>::Continue(())
    });
    let mut params: Vec<Option<Parameter>> = vec![None; count];
    let mut set = |n: usize, p: Parameter| {
        if let Some(slot) = params.get_mut(n.wrapping_sub(1)) {
            slot.get_or_insert(p);
        }
    };
    if let SetExpr::Select(select) = query.body.as_ref() {
        let (aliases, mut conditions) = from_clause(select);
        let resolver = Resolver { aliases: &aliases, catalog };
        conditions.extend(select.selection.iter());
        for c in conditions {
            let _ = visit_expressions(c, |e| {
                let pairs: Vec<(&Expr, &Expr)> = match e {
                    Expr::BinaryOp { left, right, .. } => vec![(left, right), (right, left)],
                    Expr::In { expr, target: sqlparser::ast::InTarget::List(list), .. } => {
                        list.iter().map(|x| (expr.as_ref(), x)).collect()
                    }
                    Expr::Between { expr, low, high, .. } => vec![(expr, low), (expr, high)],
                    Expr::IsNotDistinctFrom(a, b) => vec![(a, b), (b, a)],
                    Expr::Like { expr, pattern, .. } | Expr::ILike { expr, pattern, .. } => vec![(expr, pattern)],
                    _ => Vec::new(),
                };
                for (col, value) in pairs {
                    if let (Some((t, c)), Some(n)) = (resolver.column(col), placeholder(value)) {
                        set(n, Parameter::Column(t, c));
                    }
                }
                ControlFlow::<()>::Continue(())
            });
        }
    }
    if let Some(LimitClause::LimitOffset { limit, offset, .. }) = &query.limit_clause {
        if let Some(n) = limit.as_ref().and_then(placeholder) {
            set(n, Parameter::Limit);
        }
        if let Some(n) = offset.as_ref().and_then(|o| placeholder(&o.value)) {
            set(n, Parameter::Offset);
        }
    }
    Some((tables, params))
}

/// `n` of a `$n` (also cast or in parentheses).
fn placeholder(e: &Expr) -> Option<usize> {
    match e {
        Expr::Value(v) => match &v.value {
            sqlparser::ast::Value::Placeholder(p) => p.strip_prefix('$').and_then(|n| n.parse().ok()),
            _ => None,
        },
        Expr::Cast { expr, .. } | Expr::Nested(expr) => placeholder(expr),
        _ => None,
    }
}

/// The FROM clause: alias (or name) to table, and the join conditions, through joins in
/// parentheses as query builders write them (`FROM ("a" INNER JOIN "b" ON ...)`).
fn from_clause(select: &sqlparser::ast::Select) -> (BTreeMap<String, String>, Vec<&Expr>) {
    fn factor<'s>(f: &'s TableFactor, aliases: &mut BTreeMap<String, String>, conditions: &mut Vec<&'s Expr>) {
        match f {
            TableFactor::Table { name, alias, .. } => {
                let Some(table) = table_name(name) else { return };
                aliases.insert(
                    alias
                        .as_ref()
                        .map_or_else(|| table.rsplit('.').next().unwrap_or(&table).to_string(), |a| ident(&a.name)),
                    table,
                );
            }
            TableFactor::NestedJoin { table_with_joins, .. } => joined(table_with_joins, aliases, conditions),
            _ => {}
        }
    }
    fn joined<'s>(twj: &'s TableWithJoins, aliases: &mut BTreeMap<String, String>, conditions: &mut Vec<&'s Expr>) {
        factor(&twj.relation, aliases, conditions);
        for Join { relation, join_operator, .. } in &twj.joins {
            factor(relation, aliases, conditions);
            if let JoinOperator::Join(JoinConstraint::On(e))
            | JoinOperator::Inner(JoinConstraint::On(e))
            | JoinOperator::Left(JoinConstraint::On(e))
            | JoinOperator::LeftOuter(JoinConstraint::On(e))
            | JoinOperator::Right(JoinConstraint::On(e))
            | JoinOperator::RightOuter(JoinConstraint::On(e)) = join_operator
            {
                conditions.push(e);
            }
        }
    }
    let mut aliases: BTreeMap<String, String> = BTreeMap::new();
    let mut conditions: Vec<&Expr> = Vec::new();
    for twj in &select.from {
        joined(twj, &mut aliases, &mut conditions);
    }
    (aliases, conditions)
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
    /// Note the columns `e` reads in their tables' `selected`; false when one of them
    /// belongs to no single table of the query.
    fn read_columns(&self, e: &Expr, tables: &mut BTreeMap<String, Access>) -> bool {
        let mut resolved = true;
        let _ = visit_expressions(e, |x| {
            if matches!(x, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
                match self.column(x) {
                    Some((t, col)) => {
                        let access = tables.entry(t).or_default();
                        if !access.selected.contains(&col) {
                            access.selected.push(col);
                        }
                    }
                    None => resolved = false,
                }
            }
            ControlFlow::<()>::Continue(())
        });
        resolved
    }

    /// The table and column a column reference names.
    fn column(&self, e: &Expr) -> Option<(String, String)> {
        match e {
            Expr::Identifier(i) => {
                let col = ident(i);
                let t = self.owner(&col)?;
                Some((t.clone(), col))
            }
            Expr::CompoundIdentifier(parts) if matches!(parts.len(), 2 | 3) => {
                // `alias.col`, or `schema.table.col` as query builders qualify every column.
                let t = self.aliases.get(&ident(&parts[parts.len() - 2]))?;
                Some((t.clone(), ident(&parts[parts.len() - 1])))
            }
            Expr::Nested(inner) => self.column(inner),
            _ => None,
        }
    }

    /// The one table among the query's that has column `col`.
    fn owner(&self, col: &str) -> Option<&String> {
        let mut owners =
            self.aliases.values().filter(|t| self.catalog.get(*t).is_some_and(|x| x.column(col).is_some()));
        let t = owners.next()?;
        owners.next().is_none().then_some(t)
    }

    /// An index key: a column, or a function or cast over columns of one table (e.g.
    /// `lower(email)`, `COALESCE(deleted, false)`, `created_at::date`), with the table and the
    /// key unqualified. Nothing with a parameter or a subquery in it.
    fn key(&self, e: &Expr) -> Option<(String, Expr)> {
        if let Some((t, col)) = self.column(e) {
            return Some((t, Expr::Identifier(column_ident(&col))));
        }
        match e {
            Expr::Nested(inner) => return self.key(inner),
            Expr::Function(_) | Expr::Cast { .. } => {}
            _ => return None,
        }
        let mut tables = Vec::new();
        let refused = visit_expressions(e, |x| {
            let t = match x {
                Expr::CompoundIdentifier(_) => self.column(x).map(|(t, _)| t),
                Expr::Identifier(i) => self.owner(&ident(i)).cloned(),
                Expr::Subquery(_) | Expr::Exists { .. } | Expr::In { .. } => return ControlFlow::Break(()),
                Expr::Value(v) if matches!(v.value, sqlparser::ast::Value::Placeholder(_)) => {
                    return ControlFlow::Break(());
                }
                _ => return ControlFlow::Continue(()),
            };
            tables.push(t);
            ControlFlow::Continue(())
        })
        .is_break();
        let table = tables.first().cloned()??;
        (!refused && tables.iter().all(|t| t.as_ref() == Some(&table))).then(|| (table, self.unqualified(e)))
    }

    /// The key of a trigram distance (`key <-> value`, either way round).
    fn distance_key(&self, e: &Expr) -> Option<(String, Expr)> {
        let Expr::BinaryOp { left, op: BinaryOperator::LtDashGt, right } = e else { return None };
        match (self.key(left), self.key(right)) {
            (Some(k), None) if is_value(right) => Some(k),
            (None, Some(k)) if is_value(left) => Some(k),
            _ => None,
        }
    }

    /// `e` with its columns' table qualifiers dropped (`u.email` -> `email`), and quotes
    /// only where a name needs them.
    fn unqualified(&self, e: &Expr) -> Expr {
        let mut e = e.clone();
        let _ = visit_expressions_mut(&mut e, |x| {
            match x {
                Expr::CompoundIdentifier(parts)
                    if matches!(parts.len(), 2 | 3) && self.aliases.contains_key(&ident(&parts[parts.len() - 2])) =>
                {
                    *x = Expr::Identifier(column_ident(&ident(&parts[parts.len() - 1])));
                }
                Expr::Identifier(i) => *x = Expr::Identifier(column_ident(&ident(i))),
                _ => {}
            }
            ControlFlow::<()>::Continue(())
        });
        e
    }

    /// Note that condition `e` gives no index key, and why, on the tables it reads.
    fn unusable(&self, e: &Expr, why: &str, tables: &mut BTreeMap<String, Access>) {
        let mut on: Vec<String> = Vec::new();
        let _ = visit_expressions(e, |x| {
            if let Some((t, _)) = self.column(x) {
                if !on.contains(&t) {
                    on.push(t);
                }
            }
            ControlFlow::<()>::Continue(())
        });
        for t in on {
            tables.entry(t).or_default().unusable.push(format!("`{e}`: {why}"));
        }
    }

    fn classify(&self, e: &Expr, shape: &mut QueryShape) {
        let tables = &mut shape.tables;
        match e {
            Expr::BinaryOp { op: BinaryOperator::Or, .. } => {
                self.unusable(e, "an OR of conditions: no one index key serves both sides", tables);
            }
            Expr::BinaryOp { left, op, right } => {
                if let Some((t, k)) = self.similarity_key(left, op, right) {
                    tables.entry(t).or_default().trigram.push(k);
                    return;
                }
                let (key, other) = match (self.key(left), self.key(right)) {
                    (Some(k), None) => (k, right.as_ref()),
                    (None, Some(k)) => (k, left.as_ref()),
                    (Some(a), Some(b)) if *op == BinaryOperator::Eq && a.0 != b.0 => {
                        // A join: each side is an equality for a lookup into its table.
                        tables.entry(a.0.clone()).or_default().join_equal.push(a.1.clone());
                        tables.entry(b.0.clone()).or_default().join_equal.push(b.1.clone());
                        shape.joins.push((a, b));
                        return;
                    }
                    _ => {
                        self.unusable(e, "neither side is a column or an expression over one table's columns", tables);
                        return;
                    }
                };
                let access = tables.entry(key.0.clone()).or_default();
                match op {
                    BinaryOperator::Eq if is_constant(other) => {
                        access.constant_predicates.push(Expr::BinaryOp {
                            left: Box::new(key.1.clone()),
                            op: BinaryOperator::Eq,
                            right: Box::new(other.clone()),
                        });
                        access.equal.push(key.1);
                    }
                    BinaryOperator::Eq if is_value(other) => access.equal.push(key.1),
                    BinaryOperator::Lt | BinaryOperator::LtEq | BinaryOperator::Gt | BinaryOperator::GtEq
                        if is_value(other) =>
                    {
                        access.range.push(key.1);
                    }
                    BinaryOperator::NotEq => {
                        self.unusable(e, "`<>` keeps most rows: an index does not serve it", tables);
                    }
                    _ => self.unusable(e, "compared with something not known when the query starts", tables),
                }
            }
            // `x IN ($1, $2)`, `x = ANY($1)` and `x IS NOT DISTINCT FROM $1` look up each value.
            Expr::In { expr, target: InTarget::List(list), negated: false, .. } if list.iter().all(is_value) => {
                if let Some((t, k)) = self.key(expr) {
                    let access = tables.entry(t).or_default();
                    if list.iter().all(is_constant) {
                        access.constant_predicates.push(self.unqualified(e));
                    }
                    access.equal.push(k);
                }
            }
            Expr::AnyOp { left: key, compare_op: BinaryOperator::Eq, right: value, .. }
            | Expr::IsNotDistinctFrom(key, value)
                if is_value(value) =>
            {
                if let Some((t, k)) = self.key(key) {
                    tables.entry(t).or_default().equal.push(k);
                }
            }
            // `x IN (SELECT ...)`: a semi-join, a lookup per value like a join.
            Expr::In { expr, target: InTarget::Subquery(_), negated: false, .. } => {
                if let Some((t, k)) = self.key(expr) {
                    tables.entry(t).or_default().join_equal.push(k);
                }
            }
            Expr::Like { expr, negated: false, pattern, .. } | Expr::ILike { expr, negated: false, pattern, .. } => {
                match self.key(expr) {
                    Some((t, k)) if is_value(pattern) => tables.entry(t).or_default().trigram.push(k),
                    _ => self.unusable(e, "the pattern is not known when the query starts", tables),
                }
            }
            Expr::Between { expr, negated: false, .. } => {
                if let Some((t, k)) = self.key(expr) {
                    tables.entry(t).or_default().range.push(k);
                }
            }
            Expr::IsNull(inner) | Expr::IsNotNull(inner) | Expr::IsTrue(inner) | Expr::IsFalse(inner) => {
                if let Some((t, _)) = self.column(inner) {
                    tables.entry(t).or_default().constant_predicates.push(self.unqualified(e));
                }
            }
            Expr::UnaryOp { op: UnaryOperator::Not, expr } => {
                if let Some((t, _)) = self.column(expr) {
                    tables.entry(t).or_default().constant_predicates.push(self.unqualified(e));
                }
            }
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
                // A boolean column on its own: `WHERE active`.
                if let Some((t, _)) = self.column(e) {
                    tables.entry(t).or_default().constant_predicates.push(self.unqualified(e));
                }
            }
            _ => self.unusable(e, "not a comparison an index serves", tables),
        }
    }

    /// A trigram similarity condition: `key % value` (either way round), or
    /// `similarity(key, value) > x` and its word forms.
    fn similarity_key(&self, left: &Expr, op: &BinaryOperator, right: &Expr) -> Option<(String, Expr)> {
        match op {
            BinaryOperator::Modulo => match (self.key(left), self.key(right)) {
                (Some(k), None) if is_value(right) => Some(k),
                (None, Some(k)) if is_value(left) => Some(k),
                _ => None,
            },
            BinaryOperator::Gt | BinaryOperator::GtEq => {
                let Expr::Function(f) = left else { return None };
                let name = f.name.to_string().to_lowercase();
                if !matches!(name.as_str(), "similarity" | "word_similarity" | "strict_word_similarity") {
                    return None;
                }
                let sqlparser::ast::FunctionArguments::List(list) = &f.args else { return None };
                let args: Vec<&Expr> = list
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(x)) => Some(x),
                        _ => None,
                    })
                    .collect();
                let [a, b] = args.as_slice() else { return None };
                match (self.key(a), self.key(b)) {
                    (Some(k), None) if is_value(b) => Some(k),
                    (None, Some(k)) if is_value(a) => Some(k),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// A column's name as an identifier, quoted only when it must be (`"createdAt"`).
pub(crate) fn column_ident(name: &str) -> Ident {
    let plain = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain { Ident::new(name) } else { Ident::with_quote('"', name) }
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
        Expr::Cast { expr, .. } | Expr::Nested(expr) | Expr::UnaryOp { expr, .. } => is_value(expr),
        Expr::Array(a) => a.elem.iter().all(is_value),
        Expr::BinaryOp { left, op: BinaryOperator::StringConcat, right } => is_value(left) && is_value(right),
        Expr::Function(_) => visit_expressions(e, |x| match x {
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        })
        .is_continue(),
        _ => false,
    }
}
