//! Findings over one plan: each detector is a pure function of the plan and the table sizes.

use std::collections::BTreeMap;

use crate::analysis::Thresholds;
use crate::analysis::{Estimate, Finding, Kind, Pattern, Severity};
use crate::plan::{NodeRef, NodeType, PlanNode};

/// What the detectors need to know besides the plan.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub scale: f64,
    /// Rows of every filled table at this scale.
    pub table_rows: &'a BTreeMap<String, u64>,
    pub thresholds: &'a Thresholds,
}

/// Inner-side loops that make a nested loop's seq scan a blow-up.
const NESTED_LOOP_MIN_LOOPS: f64 = 1000.0;
/// Share of rows read that a filter must throw away for a `limit_filter_scan`.
const LIMIT_FILTER_SHARE: f64 = 0.95;

/// Every plan finding (as warnings; the comparison with the baseline decides what fails).
pub fn detect(plan: &PlanNode, ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    detect_node(plan, false, ctx, &mut out);
    // A plan that reads a table twice the same way (a self-join, a subquery) has one finding.
    let mut unique: Vec<Finding> = Vec::with_capacity(out.len());
    for f in out {
        if !unique.iter().any(|u| u.kind == f.kind && u.node == f.node && u.detail == f.detail) {
            unique.push(f);
        }
    }
    unique
}

fn detect_node(node: &PlanNode, under_limit: bool, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    seq_scan(node, ctx, out);
    sort_spill(node, ctx, out);
    hash_spill(node, ctx, out);
    // Below a Limit, nodes stop early by design: their estimate is for a full run.
    if !under_limit {
        misestimate(node, ctx, out);
    }
    nested_loop_blowup(node, ctx, out);
    if node.node_type == NodeType::Limit {
        limit_filter_scan(node, ctx, out);
    }
    for child in &node.plans {
        detect_node(child, under_limit || node.node_type == NodeType::Limit, ctx, out);
    }
}

fn finding(kind: Kind, ctx: &Context<'_>, node: &PlanNode, detail: String) -> Finding {
    Finding {
        kind,
        severity: Severity::Warning,
        scale: Some(ctx.scale),
        node: Some(node.node_ref()),
        detail,
        estimate: None,
    }
}

/// A write's foreign-key check read the referencing table whole (`blocks` of it): deleting
/// or updating a parent row scans `table` for children, and more so as it grows.
pub(crate) fn unindexed_foreign_key(
    constraint: &str,
    table: &str,
    columns: &[String],
    blocks: u64,
    scale: f64,
) -> Finding {
    let columns = columns.join(", ");
    Finding {
        kind: Kind::UnindexedForeignKey,
        severity: Severity::Warning,
        scale: Some(scale),
        // Not a node of the plan: the check Postgres runs after it, on the child table.
        node: Some(NodeRef { label: format!("foreign key {constraint}"), relation: Some(table.to_string()) }),
        detail: format!(
            "foreign key {constraint}: each check scans {table} ({blocks} blocks), which has no index on ({columns}); \
             CREATE INDEX ON {table} ({columns})"
        ),
        estimate: None,
    }
}

/// The rows of the table a plan node reads, and its name as plangate names tables (`t` in
/// `public`, else `schema.t`). Plans name a relation without its schema (EXPLAIN prints
/// it only with VERBOSE): a table outside `public` is found by its name when that is unique.
pub(crate) fn rows_of<'m>(table_rows: &'m BTreeMap<String, u64>, node: &PlanNode) -> Option<(&'m str, u64)> {
    let name = node.relation_name.as_deref()?;
    let wanted = match node.schema.as_deref() {
        Some(s) if s != "public" => format!("{s}.{name}"),
        _ => name.to_string(),
    };
    if let Some((k, v)) = table_rows.get_key_value(&wanted) {
        return Some((k.as_str(), *v));
    }
    let suffix = format!(".{name}");
    let mut found = table_rows.iter().filter(|(k, _)| node.schema.is_none() && k.ends_with(&suffix));
    match (found.next(), found.next()) {
        (Some((k, v)), None) => Some((k.as_str(), *v)),
        _ => None,
    }
}

/// The table's size: from the generated data, else what the scan saw.
fn table_rows(node: &PlanNode, ctx: &Context<'_>) -> f64 {
    match rows_of(ctx.table_rows, node) {
        #[expect(clippy::cast_precision_loss)]
        Some((_, n)) => n as f64,
        None => node.rows_read() / node.actual_loops.max(1.0),
    }
}

fn seq_scan(node: &PlanNode, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    if node.node_type != NodeType::SeqScan {
        return;
    }
    let rows = table_rows(node, ctx);
    #[expect(clippy::cast_precision_loss)]
    let min = ctx.thresholds.seq_scan_min_rows as f64;
    if rows >= min {
        out.push(finding(
            Kind::SeqScan,
            ctx,
            node,
            format!("sequential scan reads all {rows:.0} rows of {}", node.relation_name.as_deref().unwrap_or("?")),
        ));
    }
}

fn sort_spill(node: &PlanNode, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let method = node.sort_method.as_deref().unwrap_or("");
    if method.contains("external") || node.sort_space_type.as_deref() == Some("Disk") {
        out.push(finding(
            Kind::SortSpill,
            ctx,
            node,
            format!("sort spills to disk ({method}); raise work_mem or avoid the sort with an index"),
        ));
    }
}

fn hash_spill(node: &PlanNode, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    if node.node_type == NodeType::Hash && node.hash_batches.unwrap_or(1) > 1 {
        out.push(finding(
            Kind::HashSpill,
            ctx,
            node,
            format!("hash table split into {} batches on disk", node.hash_batches.unwrap_or(0)),
        ));
    }
    let agg_batches = node.hashagg_batches.unwrap_or(0);
    if node.node_type == NodeType::Aggregate && (agg_batches > 1 || node.disk_usage.unwrap_or(0) > 0) {
        out.push(finding(
            Kind::HashSpill,
            ctx,
            node,
            format!("hash aggregate spills to disk ({agg_batches} batches, {} kB)", node.disk_usage.unwrap_or(0)),
        ));
    }
}

fn misestimate(node: &PlanNode, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    if node.actual_loops <= 0.0 {
        return; // never executed
    }
    let est = node.plan_rows.max(1.0);
    let act = node.actual_rows.max(1.0);
    let q = (est / act).max(act / est);
    if q >= ctx.thresholds.misestimate_factor {
        let condition = node.condition();
        let columns = condition.as_deref().map(condition_columns).unwrap_or_default();
        let reads = match (&columns[..], &condition) {
            ([], _) | (_, None) => String::new(),
            (cols, Some(c)) => format!("; its condition reads {} ({c})", cols.join(", ")),
        };
        let mut f = finding(
            Kind::Misestimate,
            ctx,
            node,
            format!(
                "{}: estimated {:.0} rows, got {:.0} (q-error {q:.0}){reads}",
                node.label(),
                node.plan_rows,
                node.actual_rows
            ),
        );
        f.estimate = Some(Estimate {
            estimated_rows: node.plan_rows,
            actual_rows: node.actual_rows,
            table: node.relation_name.clone(),
            columns,
            condition,
        });
        out.push(f);
    }
}

/// Words of EXPLAIN's expressions that are not column names.
const NOT_COLUMNS: &[&str] = &[
    "and", "or", "not", "is", "null", "true", "false", "any", "all", "array", "case", "when", "then", "else", "end",
    "in", "like", "ilike", "similar", "to", "distinct", "from", "hashed", "subplan", "initplan", "between", "collate",
    "row", "group", "by", "escape", "some", "unknown",
];

/// The columns an EXPLAIN condition reads, in order of first use, without their table
/// qualifier: names not followed by `(` (a call), not after `::` (a type), not in quotes
/// ('...' is a value), not `$n`.
pub(crate) fn condition_columns(condition: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = condition.chars().collect();
    let mut i = 0;
    let mut after_cast = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            i += 1;
            while i < chars.len() && !(chars[i] == '\'' && chars.get(i + 1) != Some(&'\'')) {
                i += if chars[i] == '\'' { 2 } else { 1 };
            }
            i += 1;
            continue;
        }
        if c == ':' && chars.get(i + 1) == Some(&':') {
            after_cast = true;
            i += 2;
            continue;
        }
        if c == '$' {
            i += 1;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            continue;
        }
        if c.is_alphabetic() || c == '_' || c == '"' {
            // A possibly qualified name: parts separated by dots, each bare or "quoted".
            let mut parts = Vec::new();
            loop {
                let mut part = String::new();
                if chars.get(i) == Some(&'"') {
                    i += 1;
                    while i < chars.len() && !(chars[i] == '"' && chars.get(i + 1) != Some(&'"')) {
                        part.push(chars[i]);
                        i += if chars[i] == '"' { 2 } else { 1 };
                    }
                    i += 1;
                } else {
                    while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
                        part.push(chars[i]);
                        i += 1;
                    }
                }
                parts.push(part);
                if chars.get(i) == Some(&'.')
                    && chars.get(i + 1).is_some_and(|n| n.is_alphabetic() || *n == '_' || *n == '"')
                {
                    i += 1;
                } else {
                    break;
                }
            }
            let mut j = i;
            while chars.get(j) == Some(&' ') {
                j += 1;
            }
            let call = chars.get(j) == Some(&'(');
            let name = parts.pop().unwrap_or_default();
            let keyword = parts.is_empty() && NOT_COLUMNS.contains(&name.to_lowercase().as_str());
            if !after_cast && !call && !keyword && !name.is_empty() && !out.contains(&name) {
                out.push(name);
            }
            continue;
        }
        if !c.is_whitespace() && c != '[' && c != ']' {
            after_cast = false;
        }
        i += 1;
    }
    out
}

fn nested_loop_blowup(node: &PlanNode, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    if node.node_type != NodeType::NestedLoop {
        return;
    }
    let Some(inner) = node.plans.get(1) else {
        return;
    };
    if inner.actual_loops < NESTED_LOOP_MIN_LOOPS {
        return;
    }
    if let Some((scan, _)) = inner.walk().into_iter().find(|(n, _)| n.node_type == NodeType::SeqScan) {
        out.push(finding(
            Kind::NestedLoopBlowup,
            ctx,
            node,
            format!("inner side runs {:.0} times and does a {} each time", inner.actual_loops, scan.label()),
        ));
    }
}

/// Under a Limit, an index read for its order while a filter throws rows away: the index
/// gives order, not selection (the ORDER BY + LIMIT wrong-index trap).
fn limit_filter_scan(limit: &PlanNode, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let mut stack: Vec<&PlanNode> = limit.plans.iter().collect();
    while let Some(n) = stack.pop() {
        let blocking = matches!(
            n.node_type,
            NodeType::Sort | NodeType::Hash | NodeType::Aggregate | NodeType::Materialize | NodeType::Limit
        );
        if blocking {
            continue;
        }
        if n.node_type.is_index_scan() && n.filter.is_some() && n.index_cond.is_none() {
            let read = n.rows_read();
            let removed = n.rows_removed_by_filter * n.actual_loops.max(1.0);
            if read > 0.0 && removed / read >= LIMIT_FILTER_SHARE {
                out.push(finding(
                    Kind::LimitFilterScan,
                    ctx,
                    n,
                    format!(
                        "the index gives order, not selection: the filter removed {:.1}% of {read:.0} rows read ({})",
                        100.0 * removed / read,
                        n.filter.as_deref().unwrap_or("")
                    ),
                ));
            }
        }
        stack.extend(n.plans.iter());
    }
}

/// Custom plans the server makes for a prepared statement before it weighs the generic one.
pub(crate) const CUSTOM_PLANS_BEFORE_GENERIC: usize = 5;

/// A plan as the generic-plan check compares it: its work in blocks and its shape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Measured<'a> {
    pub work: u64,
    pub(crate) shape: &'a str,
}

/// The generic-plan trap: the server would settle on the prepared statement's generic
/// plan (`chosen`), and with the case's values it does at least `regression_ratio` times
/// the custom plan's work, or runs past the statement timeout (`generic` is None).
pub(crate) fn generic_plan(
    chosen: bool,
    generic: Option<Measured<'_>>,
    custom: Measured<'_>,
    ctx: &Context<'_>,
) -> Option<Finding> {
    if !chosen {
        return None;
    }
    let limit = ctx.thresholds.regression_ratio;
    let cost = match generic {
        None => "it runs past the statement timeout".to_string(),
        Some(g) => {
            #[expect(clippy::cast_precision_loss)]
            let ratio = g.work as f64 / (custom.work.max(1) as f64);
            if ratio < limit || g.shape == custom.shape {
                return None;
            }
            format!(
                "it does {} blocks of work vs {} with the custom plan ({ratio:.1}x, limit {limit}x)",
                g.work, custom.work
            )
        }
    };
    Some(Finding {
        kind: Kind::GenericPlan,
        severity: Severity::Warning,
        scale: Some(ctx.scale),
        node: None,
        detail: format!(
            "after {CUSTOM_PLANS_BEFORE_GENERIC} executions with these values the server switches the prepared \
             statement to its generic plan, planned without the values, and {cost}"
        ),
        estimate: None,
    })
}

/// Findings for the patterns of the query's `forbid` list the plan matches.
pub fn forbidden(plan: &PlanNode, plan_findings: &[Finding], forbid: &[Pattern], scale: f64) -> Vec<Finding> {
    forbid
        .iter()
        .filter_map(|pattern| {
            pattern.find(plan, plan_findings).map(|node| Finding {
                kind: Kind::Forbidden,
                severity: Severity::Error,
                scale: Some(scale),
                node: Some(node),
                detail: format!("`{pattern}` is in this query's forbid list"),
                estimate: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_scanned_twice_the_same_way_is_one_finding() {
        let scan = PlanNode { node_type: "Seq Scan".into(), relation_name: Some("t".into()), ..Default::default() };
        let plan = PlanNode { node_type: "Append".into(), plans: vec![scan.clone(), scan], ..Default::default() };
        let rows = BTreeMap::from([("t".to_string(), 50_000)]);
        let thresholds = Thresholds::default();
        let found = detect(&plan, &Context { scale: 1.0, table_rows: &rows, thresholds: &thresholds });
        assert_eq!(found.iter().filter(|f| f.kind == Kind::SeqScan).count(), 1, "{found:?}");
    }

    #[test]
    fn conditions_name_the_columns_they_read() {
        for (cond, want) in [
            ("((city = 7) AND (zip = $0))", vec!["city", "zip"]),
            ("((p.status)::text = 'new'::text)", vec!["status"]),
            ("(o.customer_id = c.id)", vec!["customer_id", "id"]),
            ("((lower(email) = 'a''b c'::text) AND (NOT deleted))", vec!["email", "deleted"]),
            ("(created_at >= '2020-01-01 00:00:00+00'::timestamp with time zone)", vec!["created_at"]),
            ("((\"Weird Col\" IS NOT NULL) AND (hashed SubPlan 1))", vec!["Weird Col"]),
            ("(tags && '{a,b}'::text[]) AND GROUP BY region, region_no", vec!["tags", "region", "region_no"]),
        ] {
            assert_eq!(condition_columns(cond), want, "{cond}");
        }
    }

    #[test]
    fn tables_outside_public_are_found_by_their_name() {
        let rows = BTreeMap::from([("app.events".to_string(), 7), ("events_archive".to_string(), 9)]);
        let node = |name: &str| PlanNode { relation_name: Some(name.into()), ..Default::default() };
        assert_eq!(rows_of(&rows, &node("events")), Some(("app.events", 7)));
        assert_eq!(rows_of(&rows, &node("events_archive")), Some(("events_archive", 9)));
        let twice = BTreeMap::from([("a.t".to_string(), 1), ("b.t".to_string(), 2)]);
        assert_eq!(rows_of(&twice, &node("t")), None, "ambiguous: the plan does not say which");
    }
}
