//! Findings at forecast scales, where a plan is estimated but never run: what the plan
//! would do past work memory, and a case's forecast against what was measured (shape,
//! patterns that appear, growth of the estimated cost). Pure functions.

use crate::analysis::growth::{self, Budget};
use crate::analysis::{Finding, Kind, Severity};
use crate::plan::{NodeType, PlanNode, shape};

/// Bytes Postgres counts per row of a sort or hash table on top of the row's width (its
/// tuple header, aligned), as the planner sizes them.
const TUPLE_OVERHEAD: f64 = 24.0;
/// A hash table's bytes per row beyond the tuple: its bucket and the join tuple's header.
const HASH_OVERHEAD: f64 = 16.0;

/// Memory the planner compares a plan's sorts and hash tables with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Memory {
    /// `work_mem`, in bytes.
    pub work_mem: f64,
    /// `hash_mem_multiplier`.
    pub hash_multiplier: f64,
}

/// Sorts and hash tables the plan estimates past work memory: they would spill to disk.
/// A sort right under a Limit keeps only its top rows, and is left out.
pub(crate) fn estimated_spills(plan: &PlanNode, memory: Memory, scale: f64) -> Vec<Finding> {
    let mut out = Vec::new();
    walk(plan, false, memory, scale, &mut out);
    out
}

fn walk(node: &PlanNode, under_limit: bool, memory: Memory, scale: f64, out: &mut Vec<Finding>) {
    let bytes = node.plan_rows * (align(node.plan_width) + TUPLE_OVERHEAD);
    let mb = |b: f64| b / (1024.0 * 1024.0);
    let hashed_aggregate = node.node_type == NodeType::Aggregate && node.strategy.as_deref() == Some("Hashed");
    let spill = match node.node_type {
        NodeType::Sort if !under_limit && bytes > memory.work_mem => Some((
            Kind::SortSpill,
            format!(
                "the sort of an estimated {:.0} rows ({:.0} MB) would spill past work_mem ({:.0} MB)",
                node.plan_rows,
                mb(bytes),
                mb(memory.work_mem)
            ),
        )),
        NodeType::Hash | NodeType::Aggregate if node.node_type == NodeType::Hash || hashed_aggregate => {
            let bytes = node.plan_rows * (align(node.plan_width) + TUPLE_OVERHEAD + HASH_OVERHEAD);
            let limit = memory.work_mem * memory.hash_multiplier;
            (bytes > limit).then(|| {
                (
                    Kind::HashSpill,
                    format!(
                        "the hash table of an estimated {:.0} rows ({:.0} MB) would spill past work_mem x \
                         hash_mem_multiplier ({:.0} MB)",
                        node.plan_rows,
                        mb(bytes),
                        mb(limit)
                    ),
                )
            })
        }
        _ => None,
    };
    if let Some((kind, detail)) = spill {
        out.push(Finding {
            kind,
            severity: Severity::Warning,
            scale: Some(scale),
            node: Some(node.node_ref()),
            detail,
            estimate: None,
        });
    }
    for child in &node.plans {
        walk(child, node.node_type == NodeType::Limit, memory, scale, out);
    }
}

fn align(width: f64) -> f64 {
    (width / 8.0).ceil() * 8.0
}

/// One point of a case as the verdict sees it: measured, or forecast.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Point<'a> {
    pub scale: f64,
    /// The rows growth is measured against.
    pub rows: f64,
    pub shape: &'a str,
    /// The plan's estimated total cost.
    pub cost: f64,
    pub findings: &'a [Finding],
}

/// A case's forecast against its measured points: the first forecast scale whose plan
/// changes shape from the largest measured one's, each pattern that appears at a forecast
/// scale (seq scans, spills, forbidden patterns), and the estimated cost growing past the
/// budget over the largest measured point and the forecasts. Errors when `gate`, else warnings.
pub(crate) fn judge(measured: &[Point<'_>], forecast: &[Point<'_>], budget: Budget, gate: bool) -> Vec<Finding> {
    let severity = if gate { Severity::Error } else { Severity::Warning };
    let mut out = Vec::new();
    let Some(last) = measured.last() else { return out };
    if let Some(f) = forecast.iter().find(|f| shape::diff(last.shape, f.shape).is_some()) {
        out.push(Finding {
            kind: Kind::ForecastShapeChange,
            severity,
            scale: Some(f.scale),
            node: None,
            detail: format!(
                "the plan changes shape past the measured scales: first at forecast scale {} ({:.0} rows), from \
                 the plan of scale {}",
                f.scale, f.rows, last.scale
            ),
            estimate: None,
        });
    }
    let mut seen: Vec<&Finding> = last.findings.iter().collect();
    for f in forecast {
        for found in f.findings {
            let known = seen.iter().any(|s| s.kind == found.kind && s.node == found.node);
            if known {
                continue;
            }
            seen.push(found);
            out.push(Finding {
                kind: Kind::ForecastPattern,
                severity,
                scale: Some(f.scale),
                node: found.node.clone(),
                detail: format!("{} ({}, from forecast scale {} on)", found.detail, found.kind, f.scale),
                estimate: None,
            });
        }
    }
    let points: Vec<(f64, f64)> = std::iter::once(last).chain(forecast).map(|p| (p.rows, p.cost)).collect();
    if let Some(fit) =
        growth::fit_of(growth::Measure::Work, &points).map(|f| f.exponent).or_else(|| two_points(&points))
    {
        let limit = budget.class.max_exponent();
        if fit > limit {
            out.push(Finding {
                kind: Kind::ForecastGrowth,
                severity,
                scale: forecast.last().map(|f| f.scale),
                node: None,
                detail: format!(
                    "the estimated cost grows as rows^{fit:.2} from scale {} to forecast scale {}, past the budget \
                     `{}` (<= {limit})",
                    last.scale,
                    forecast.last().map_or(last.scale, |f| f.scale),
                    budget.class.as_str()
                ),
                estimate: None,
            });
        }
    }
    out
}

/// The exponent between two points (a fit needs three).
fn two_points(points: &[(f64, f64)]) -> Option<f64> {
    match points {
        [(r0, c0), (r1, c1)] if *r0 > 0.0 && *r1 > *r0 && *c0 > 0.0 && *c1 > 0.0 => {
            Some((c1 / c0).ln() / (r1 / r0).ln())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::growth::GrowthClass;

    fn node(kind: &str, rows: f64, width: f64, plans: Vec<PlanNode>) -> PlanNode {
        PlanNode { node_type: kind.into(), plan_rows: rows, plan_width: width, plans, ..Default::default() }
    }

    const MEMORY: Memory = Memory { work_mem: 4.0 * 1024.0 * 1024.0, hash_multiplier: 2.0 };

    #[test]
    fn a_sort_past_work_mem_would_spill_unless_a_limit_keeps_its_top() {
        let scan = node("Seq Scan", 1e6, 40.0, vec![]);
        let sort = node("Sort", 1e6, 40.0, vec![scan]);
        let found = estimated_spills(&sort, MEMORY, 10.0);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, Kind::SortSpill);
        assert!(found[0].detail.contains("would spill past work_mem (4 MB)"), "{}", found[0].detail);
        let top = node("Limit", 20.0, 40.0, vec![sort.clone()]);
        assert!(estimated_spills(&top, MEMORY, 10.0).is_empty());
        let small = node("Sort", 1000.0, 40.0, vec![]);
        assert!(estimated_spills(&small, MEMORY, 10.0).is_empty());
    }

    #[test]
    fn a_hash_past_hash_memory_would_spill() {
        let hash = node("Hash", 1e6, 16.0, vec![]);
        let found = estimated_spills(&hash, MEMORY, 10.0);
        assert_eq!(found[0].kind, Kind::HashSpill);
        assert!(estimated_spills(&node("Hash", 1e4, 16.0, vec![]), MEMORY, 10.0).is_empty());
    }

    fn budget(class: GrowthClass) -> Budget {
        Budget { class, set: true }
    }

    #[test]
    fn the_first_forecast_scale_whose_shape_changes_is_named() {
        let measured = [Point { scale: 1.0, rows: 1e5, shape: "Index Scan", cost: 10.0, findings: &[] }];
        let forecast = [
            Point { scale: 10.0, rows: 1e6, shape: "Index Scan", cost: 11.0, findings: &[] },
            Point { scale: 100.0, rows: 1e7, shape: "Seq Scan", cost: 12.0, findings: &[] },
        ];
        let found = judge(&measured, &forecast, budget(GrowthClass::Constant), false);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].kind, found[0].scale, found[0].severity),
            (Kind::ForecastShapeChange, Some(100.0), Severity::Warning)
        );
        let gated = judge(&measured, &forecast, budget(GrowthClass::Constant), true);
        assert_eq!(gated[0].severity, Severity::Error);
    }

    #[test]
    fn cost_growing_past_the_budget_is_a_finding() {
        let measured = [Point { scale: 1.0, rows: 1e5, shape: "Seq Scan", cost: 1e3, findings: &[] }];
        let forecast = [
            Point { scale: 10.0, rows: 1e6, shape: "Seq Scan", cost: 1e4, findings: &[] },
            Point { scale: 100.0, rows: 1e7, shape: "Seq Scan", cost: 1e5, findings: &[] },
        ];
        let found = judge(&measured, &forecast, budget(GrowthClass::Constant), false);
        assert_eq!(found.iter().map(|f| f.kind).collect::<Vec<_>>(), vec![Kind::ForecastGrowth]);
        assert!(found[0].detail.contains("rows^1.00"), "{}", found[0].detail);
        assert!(judge(&measured, &forecast, budget(GrowthClass::Linear), false).is_empty());
    }

    #[test]
    fn a_pattern_already_measured_is_not_new() {
        let seq = Finding {
            kind: Kind::SeqScan,
            severity: Severity::Warning,
            scale: Some(1.0),
            node: Some(node("Seq Scan", 1.0, 1.0, vec![]).node_ref()),
            detail: "sequential scan".into(),
            estimate: None,
        };
        let both = [seq.clone()];
        let measured = [Point { scale: 1.0, rows: 1e5, shape: "Seq Scan", cost: 1e3, findings: &both }];
        let forecast = [Point { scale: 10.0, rows: 1e6, shape: "Seq Scan", cost: 1e4, findings: &both }];
        assert!(judge(&measured, &forecast, budget(GrowthClass::Linear), false).is_empty());
        let none = [Point { scale: 1.0, rows: 1e5, shape: "Seq Scan", cost: 1e3, findings: &[] }];
        let found = judge(&none, &forecast, budget(GrowthClass::Linear), false);
        assert_eq!(found.iter().map(|f| f.kind).collect::<Vec<_>>(), vec![Kind::ForecastPattern]);
        assert!(found[0].detail.contains("(seq_scan, from forecast scale 10 on)"), "{}", found[0].detail);
    }
}
