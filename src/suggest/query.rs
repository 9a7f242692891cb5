//! What a query asks of each table it reads, from its SQL's syntax tree: equality and
//! range columns, constant predicates, the ORDER BY and GROUP BY keys and the columns read
//! besides (the select list, aggregate arguments, HAVING), for every SELECT of the
//! statement (subqueries in FROM and WITH included).

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Distinct, Expr, GroupByExpr, Ident, Join, JoinConstraint, JoinOperator, LimitClause, OrderByKind,
    OrderBySort, SelectItem, SetExpr, Statement, TableFactor, UnaryOperator, visit_expressions, visit_expressions_mut,
    visit_relations, visit_statements,
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
    pub selected: Vec<String>,
    pub select_all: bool,
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
}

/// Every SELECT of the statement: the top one, and those of subqueries and WITH.
pub(crate) fn read_query(sql: &str, catalog: &Catalog) -> Vec<QueryShape> {
    struct Selects(Vec<sqlparser::ast::Query>);
    impl sqlparser::ast::Visitor for Selects {
        type Break = ();
        fn pre_visit_query(&mut self, query: &sqlparser::ast::Query) -> ControlFlow<()> {
            self.0.push(query.clone());
            ControlFlow::Continue(())
        }
    }
    let Ok(stmts) = sqlparser::parser::Parser::parse_sql(&PostgreSqlDialect {}, sql) else { return Vec::new() };
    let Some(stmt @ Statement::Query(_)) = stmts.first() else { return Vec::new() };
    let mut selects = Selects(Vec::new());
    let _ = sqlparser::ast::Visit::visit(stmt, &mut selects);
    selects.0.iter().filter_map(|q| read_select(q, catalog)).collect()
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
            resolver.classify(conjunct, &mut shape.tables);
        }
    }
    // The columns read besides the keys: what an index-only scan needs too.
    let mut read: Vec<&Expr> = Vec::new();
    for item in &select.projection {
        match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => read.push(e),
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
    if table.is_some() {
        shape.group = keys;
        shape.group_table = table;
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

/// The FROM clause: alias (or name) to table, and the join conditions.
fn from_clause(select: &sqlparser::ast::Select) -> (BTreeMap<String, String>, Vec<&Expr>) {
    let mut aliases: BTreeMap<String, String> = BTreeMap::new();
    let mut conditions: Vec<&Expr> = Vec::new();
    let add_factor = |f: &TableFactor, aliases: &mut BTreeMap<String, String>| {
        if let TableFactor::Table { name, alias, .. } = f {
            let Some(table) = table_name(name) else { return };
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
            Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
                let t = self.aliases.get(&ident(&parts[0]))?;
                Some((t.clone(), ident(&parts[1])))
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

    /// An index key: a column, or a function over columns of one table (e.g. lower(email)),
    /// with the table and the key unqualified.
    fn key(&self, e: &Expr) -> Option<(String, Expr)> {
        if let Some((t, col)) = self.column(e) {
            return Some((t, Expr::Identifier(Ident::new(col))));
        }
        if !matches!(e, Expr::Function(_)) {
            return None;
        }
        let mut tables = Vec::new();
        let _ = visit_expressions(e, |x| {
            let t = match x {
                Expr::CompoundIdentifier(parts) if parts.len() == 2 => self.aliases.get(&ident(&parts[0])),
                Expr::Identifier(i) => self.owner(&ident(i)),
                _ => return ControlFlow::<()>::Continue(()),
            };
            tables.push(t.cloned());
            ControlFlow::Continue(())
        });
        let table = tables.first().cloned()??;
        tables.iter().all(|t| t.as_ref() == Some(&table)).then(|| (table, self.unqualified(e)))
    }

    /// `e` with its columns' table qualifiers dropped (`u.email` -> `email`).
    fn unqualified(&self, e: &Expr) -> Expr {
        let mut e = e.clone();
        let _ = visit_expressions_mut(&mut e, |x| {
            if let Expr::CompoundIdentifier(parts) = x {
                if parts.len() == 2 && self.aliases.contains_key(&ident(&parts[0])) {
                    *x = Expr::Identifier(parts[1].clone());
                }
            }
            ControlFlow::<()>::Continue(())
        });
        e
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
                    _ => {}
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
        Expr::Cast { expr, .. } | Expr::Nested(expr) | Expr::UnaryOp { expr, .. } => is_value(expr),
        Expr::Function(_) => visit_expressions(e, |x| match x {
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        })
        .is_continue(),
        _ => false,
    }
}
