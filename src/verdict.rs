//! Verdicts: a case's runs against its budget and its baseline.

use std::collections::BTreeMap;

use crate::analysis::Thresholds;
use crate::analysis::growth::{self, Budget, GrowthClass, Measure};
use crate::analysis::{Finding, Kind, Severity};
use crate::baseline::BaselineCase;
use crate::measure::{CaseRuns, Curve, Run};
use crate::plan::{Explain, PlanNode, shape};
use crate::snapshot::CasePlan;

/// Rows processed below this many are too few to count as a regression, whatever the
/// ratio: about ten blocks' worth of rows.
const ROWS_FLOOR: f64 = 1000.0;

/// A case's result after analysis.
#[derive(Debug, Clone)]
pub(crate) struct CaseVerdict {
    pub exponent: Option<f64>,
    pub baseline_exponent: Option<f64>,
    /// The growth exponent of rows processed, and the baseline's.
    pub rows_exponent: Option<f64>,
    pub baseline_rows_exponent: Option<f64>,
    /// Every finding, severities final, in scale order.
    pub findings: Vec<Finding>,
    /// Per run (same order as the runs): the shape diff against the baseline, if it changed.
    pub shape_diffs: Vec<Option<String>>,
    /// Per run: the baseline's work at that scale.
    pub baseline_work: Vec<Option<u64>>,
    /// Per run: the baseline's rows processed at that scale.
    pub baseline_rows: Vec<Option<u64>>,
    /// Things a reader should know that are not findings.
    pub notes: Vec<String>,
    /// The baseline was blessed before rows processed were measured: only work is compared.
    pub baseline_without_rows: bool,
}

impl CaseVerdict {
    pub(crate) fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Judge one case. `baseline` is None when there is none for this major version.
pub(crate) fn evaluate(
    runs: &CaseRuns,
    budget: Budget,
    baseline: Option<&BaselineCase>,
    thresholds: &Thresholds,
) -> CaseVerdict {
    let mut findings = Vec::new();
    let mut shape_diffs = Vec::new();
    let mut baseline_work = Vec::new();
    let mut baseline_rows = Vec::new();
    let mut without_rows = false;
    for run in &runs.runs {
        let base = baseline.and_then(|b| b.run_at(run.scale));
        baseline_work.push(base.map(|b| b.work));
        baseline_rows.push(base.and_then(|b| b.rows_processed));
        for f in &run.findings {
            let mut f = f.clone();
            if f.kind.fails_when_new() {
                let known = base.is_none_or(|b| b.findings.iter().any(|x| x.kind == f.kind && x.node == f.node));
                if !known {
                    f.severity = Severity::Error;
                    f.detail.push_str(" (new: the baseline at this scale does not have it)");
                }
            }
            findings.push(f);
        }
        let Some(base) = base.filter(|_| !run.timed_out) else {
            shape_diffs.push(None);
            continue;
        };
        let d = shape::diff(&base.shape, &run.shape);
        if d.is_some() {
            findings.push(Finding {
                kind: Kind::ShapeChange,
                severity: Severity::Warning,
                scale: Some(run.scale),
                node: None,
                detail: "the plan's shape differs from the baseline's".into(),
                estimate: None,
            });
        }
        shape_diffs.push(d);
        #[expect(clippy::cast_precision_loss)]
        let (work, was) = (run.work as f64, base.work as f64);
        if work > thresholds.regression_ratio * was.max(1.0) {
            findings.push(Finding {
                kind: Kind::WorkRegression,
                severity: Severity::Error,
                scale: Some(run.scale),
                node: None,
                detail: format!(
                    "work {} blocks vs {} in the baseline ({:.1}x, limit {}x)",
                    run.work,
                    base.work,
                    work / was.max(1.0),
                    thresholds.regression_ratio
                ),
                estimate: None,
            });
        }
        match base.rows_processed {
            #[expect(clippy::cast_precision_loss)]
            Some(was) if run.rows_processed as f64 > thresholds.regression_ratio * (was as f64).max(ROWS_FLOOR) => {
                #[expect(clippy::cast_precision_loss)]
                let ratio = run.rows_processed as f64 / (was as f64).max(1.0);
                findings.push(Finding {
                    kind: Kind::RowsRegression,
                    severity: Severity::Error,
                    scale: Some(run.scale),
                    node: None,
                    detail: format!(
                        "rows processed {} vs {} in the baseline ({ratio:.1}x, limit {}x)",
                        run.rows_processed, was, thresholds.regression_ratio
                    ),
                    estimate: None,
                });
            }
            Some(_) => {}
            None => without_rows = true,
        }
    }

    let curve = Curve::of(&runs.runs);
    let exponent = curve.fit.map(|f| f.exponent);
    let rows_exponent = curve.rows_fit.map(|f| f.exponent);
    let baseline_exponent = baseline.and_then(|b| b.growth_exponent);
    let baseline_rows_exponent = baseline.and_then(|b| b.rows_growth_exponent);
    let mut notes = Vec::new();
    // Rows the query returned at the smallest scale: a handful makes every fit fragile.
    let matched = runs.runs.first().filter(|r| !r.timed_out).map(|r| r.actual_rows);
    let growth = Growth { fit: curve.fit, budget: budget.class, baseline_exponent, matched };
    findings.extend(growth.findings(thresholds, &mut notes));
    if let Some(rows_fit) = curve.rows_fit {
        let rows =
            Growth { fit: Some(rows_fit), budget: budget.class, baseline_exponent: baseline_rows_exponent, matched };
        let mut more = rows.findings(thresholds, &mut notes);
        // One growth finding per kind: rows processed add one only where work has none.
        more.retain(|f| !findings.iter().any(|g| g.kind == f.kind));
        findings.extend(more);
    }
    if !budget.set {
        findings.extend(outgrows_result(runs, &curve, thresholds, &mut notes));
    }
    CaseVerdict {
        exponent,
        baseline_exponent,
        rows_exponent,
        baseline_rows_exponent,
        findings,
        shape_diffs,
        baseline_work,
        baseline_rows,
        notes,
        baseline_without_rows: without_rows,
    }
}

/// A case whose result stays flat while its work or rows processed grow with a table: a
/// lookup, a LIMIT or a small group that reads more of a table as it grows, the signature of
/// a missing index. A query that summarises what it reads (a `count(*)` of a growing set)
/// is left alone: the rows entering its aggregates grow as fast as its work does.
fn outgrows_result(
    runs: &CaseRuns,
    curve: &Curve,
    thresholds: &Thresholds,
    notes: &mut Vec<String>,
) -> Option<Finding> {
    let live: Vec<&Run> = runs.runs.iter().filter(|r| !r.timed_out).collect();
    let plans: Vec<Explain> =
        live.iter().filter_map(|r| r.plan.as_ref().and_then(|p| Explain::from_json(p).ok())).collect();
    if plans.len() != live.len() {
        return None;
    }
    let over_rows = |measure: Measure, of: &dyn Fn(usize) -> f64| {
        let points: Vec<(f64, f64)> = (0..live.len()).map(|i| (live[i].growth_rows(), of(i))).collect();
        growth::fit_of(measure, &points)
    };
    let result = over_rows(Measure::Rows, &|i| live[i].actual_rows)?;
    if result.exponent > GrowthClass::Constant.max_exponent() {
        return None;
    }
    let limit = GrowthClass::Sublinear.max_exponent();
    let grows = [curve.fit, curve.rows_fit]
        .into_iter()
        .flatten()
        .filter(|f| f.exponent > limit)
        .max_by(|a, b| a.exponent.total_cmp(&b.exponent))?;
    #[expect(clippy::cast_precision_loss)]
    let aggregated = over_rows(Measure::Rows, &|i| plans[i].rows_aggregated() as f64)?;
    if aggregated.exponent >= grows.exponent - thresholds.growth_slack {
        return None;
    }
    let (first, last) = (live.first()?, live.last()?);
    // A write whose plan stays flat while its triggers' or foreign keys' work grows: what
    // grows is outside the plan.
    #[expect(clippy::cast_precision_loss)]
    let plan_fit = over_rows(Measure::Work, &|i| live[i].work.saturating_sub(live[i].trigger_work) as f64);
    let outside = last.triggers.iter().filter(|t| t.blocks.is_some()).max_by_key(|t| t.blocks);
    let outside = match (outside, plan_fit) {
        (Some(t), Some(p)) if grows.measure == Measure::Work && p.exponent <= limit => Some((t, p)),
        _ => None,
    };
    let node = match outside {
        Some(_) => None,
        None => Some(growing_node(&plans[0].plan, &plans[plans.len() - 1].plan)?),
    };
    let weakness = grows.weakness(limit);
    let severity = if weakness.is_some() { Severity::Warning } else { Severity::Error };
    let weak = weakness.as_ref().map(|why| format!(" (weak fit: {why})")).unwrap_or_default();
    if let Some(why) = &weakness {
        notes.push(format!("the growth fit is weak: {why}"));
    }
    if let Some((t, plan_fit)) = outside {
        return Some(Finding {
            kind: Kind::OutgrowsResult,
            severity,
            scale: None,
            node: None,
            detail: format!(
                "work grows outside the plan, in {} on `{}`, while the result does not: work grows as rows^{:.2}, \
                 the plan's own as rows^{:.2}, the result as rows^{:.2}; outside the plan {} blocks at scale {} and \
                 {} at {}{weak}",
                t.name,
                t.table,
                grows.exponent,
                plan_fit.exponent,
                result.exponent,
                first.trigger_work,
                first.scale,
                last.trigger_work,
                last.scale,
            ),
            estimate: None,
        });
    }
    let node = node?;
    let table = node.relation_name.clone();
    let handled = |plan: &PlanNode| {
        plan.walk().iter().filter(|(n, _)| n.label() == node.label()).map(|(n, _)| n.rows_handled()).sum::<f64>()
    };
    Some(Finding {
        kind: Kind::OutgrowsResult,
        severity,
        scale: None,
        node: Some(node.node_ref()),
        detail: format!(
            "work grows with `{}` while the result does not: {} {} as rows^{:.2}, the result as rows^{:.2} \
             ({:.0} rows at scale {}, {:.0} at {}); `{}` handles {:.0} rows at scale {} and {:.0} at {}{weak}",
            table.as_deref().unwrap_or("the data"),
            grows.measure.name(),
            grows.measure.grows(),
            grows.exponent,
            result.exponent,
            first.actual_rows,
            first.scale,
            last.actual_rows,
            last.scale,
            node.label(),
            handled(&plans[0].plan),
            first.scale,
            handled(&plans[plans.len() - 1].plan),
            last.scale,
        ),
        estimate: None,
    })
}

/// The node of the largest scale's plan whose rows handled grew the most since the
/// smallest scale's plan (a node it lacks counts as none there), among those that read a table.
fn growing_node<'a>(smallest: &PlanNode, largest: &'a PlanNode) -> Option<&'a PlanNode> {
    let mut before: BTreeMap<String, f64> = BTreeMap::new();
    for (n, _) in smallest.walk() {
        *before.entry(n.label()).or_default() += n.rows_handled();
    }
    // A node that reads a table names it; the others (a sort, a bitmap index scan) only
    // when no node reads one.
    let grown = |n: &PlanNode| n.rows_handled() - before.get(&n.label()).copied().unwrap_or(0.0);
    let nodes: Vec<&PlanNode> = largest.walk().into_iter().map(|(n, _)| n).collect();
    let reads = nodes.iter().filter(|n| n.relation_name.is_some()).copied();
    let most = |it: &mut dyn Iterator<Item = &'a PlanNode>| it.max_by(|a, b| grown(a).total_cmp(&grown(b)));
    most(&mut reads.clone()).or_else(|| most(&mut nodes.iter().copied()))
}

/// A warning when the world, at production's size (scale 1.0), plans the case differently
/// from production: the verdict may not hold there. It names the first place the plans part.
pub(crate) fn world_mismatch(runs: &CaseRuns, production: &CasePlan) -> Option<Finding> {
    let run = runs.runs.iter().find(|r| (r.scale - 1.0).abs() < 1e-9 && !r.timed_out)?;
    // Production runs parallel plans, the world does not: compare what each runs in one process.
    let world = shape::serial(run.sampled_shape.as_ref().unwrap_or(&run.shape));
    let diff = shape::diff(&shape::serial(&production.shape), &world)?;
    let first = |sign: char| {
        diff.lines()
            .find(|l| l.starts_with(sign))
            .map_or_else(|| "nothing".to_string(), |l| format!("`{}`", l[1..].trim()))
    };
    Some(Finding {
        kind: Kind::WorldMismatch,
        severity: Severity::Warning,
        scale: Some(run.scale),
        node: None,
        detail: format!(
            "at production's size the world plans this differently from production (production has {}, the world {}): \
             the verdict may not hold in production; bring the data's shape closer (`plangate fidelity`)",
            first('-'),
            first('+')
        ),
        estimate: None,
    })
}

/// What the growth of a case's work is judged on.
struct Growth {
    fit: Option<growth::Fit>,
    budget: GrowthClass,
    baseline_exponent: Option<f64>,
    /// Rows the query returned at the smallest scale.
    matched: Option<f64>,
}

impl Growth {
    /// Findings for a broken budget or a steeper growth than the baseline's.
    fn findings(&self, thresholds: &Thresholds, notes: &mut Vec<String>) -> Vec<Finding> {
        let Some(f) = self.fit else {
            notes.push(format!("growth not fitted: it needs {} scales with different row counts", growth::MIN_POINTS));
            return Vec::new();
        };
        let b = f.exponent;
        let budget = self.budget;
        let mut out = Vec::new();
        let mut finding = |kind: Kind, severity: Severity, detail: String| {
            out.push(Finding { kind, severity, scale: None, node: None, detail, estimate: None });
        };
        let what = f.measure.name();
        if b > budget.max_exponent() {
            let (severity, weak) = self.judged(budget.max_exponent(), &f, notes);
            let detail = format!(
                "{what} {} as rows^{b:.2}; budget {} (<= {}){weak}",
                f.measure.grows(),
                budget.as_str(),
                budget.max_exponent()
            );
            finding(Kind::Growth, severity, detail);
        }
        if let Some(base) = self.baseline_exponent.filter(|base| b > base + thresholds.growth_slack) {
            let (severity, weak) = self.judged(base + thresholds.growth_slack, &f, notes);
            let of = if f.measure == Measure::Rows { " of rows processed" } else { "" };
            let detail = format!(
                "growth exponent{of} {b:.2} vs {base:.2} in the baseline (slack {}){weak}",
                thresholds.growth_slack
            );
            finding(Kind::GrowthRegression, severity, detail);
        }
        out
    }

    /// A limit broken by a fit that means nothing is a warning, said so, not a failure.
    fn judged(&self, limit: f64, f: &growth::Fit, notes: &mut Vec<String>) -> (Severity, String) {
        match f.weakness(limit) {
            None => (Severity::Error, String::new()),
            Some(why) => {
                let rows = self
                    .matched
                    .map(|m| format!("; it returned {m:.0} rows at the smallest scale"))
                    .unwrap_or_default();
                notes.push(format!("the growth fit is weak: {why}{rows}"));
                (Severity::Warning, format!(" (weak fit: {why})"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::baseline::BaselineRun;
    use crate::measure::Run;

    fn run(scale: f64, rows: u64, work: u64, shape: &str, findings: Vec<Finding>) -> Run {
        Run {
            scale,
            rows: BTreeMap::from([("products".to_string(), rows)]),
            params: vec![],
            plan: None,
            shape: shape.into(),
            work,
            rows_processed: work * 50,
            time_ms: 1.0,
            planning_ms: 0.1,
            plan_rows: 20.0,
            actual_rows: 20.0,
            findings,
            timed_out: false,
            sampled_shape: None,
            generic: None,
            triggers: Vec::new(),
            trigger_work: 0,
            unindexed: Vec::new(),
        }
    }

    /// A baseline of these runs, with a flat growth.
    fn blessed(runs: &[Run]) -> BaselineCase {
        BaselineCase {
            case: "default".into(),
            growth_exponent: Some(0.0),
            rows_growth_exponent: Some(0.0),
            runs: runs.iter().map(BaselineRun::of).collect(),
        }
    }

    fn seq_scan(scale: f64) -> Finding {
        Finding {
            kind: Kind::SeqScan,
            severity: Severity::Warning,
            scale: Some(scale),
            node: Some("Seq Scan on products".into()),
            detail: "x".into(),
            estimate: None,
        }
    }

    #[test]
    fn linear_work_fails_a_constant_budget_without_a_baseline() {
        let runs = CaseRuns {
            forecasts: Vec::new(),
            case: "default".into(),
            runs: vec![
                run(0.01, 3_400, 100, "s", vec![]),
                run(0.1, 34_000, 1_000, "s", vec![]),
                run(1.0, 340_000, 10_000, "s", vec![]),
            ],
        };
        let v = evaluate(&runs, Budget { class: GrowthClass::Constant, set: true }, None, &Thresholds::default());
        assert!(v.failed());
        assert!((v.exponent.unwrap() - 1.0).abs() < 1e-9);
        assert_eq!(v.findings[0].kind, Kind::Growth);
        assert!(
            !evaluate(&runs, Budget { class: GrowthClass::Linear, set: true }, None, &Thresholds::default()).failed()
        );
    }

    #[test]
    fn a_new_seq_scan_fails_a_known_one_warns() {
        let before =
            [run(0.01, 3_400, 10, "a", vec![]), run(0.1, 34_000, 10, "a", vec![]), run(1.0, 340_000, 10, "a", vec![])];
        let base = blessed(&before);
        let now = CaseRuns {
            forecasts: Vec::new(),
            case: "default".into(),
            runs: vec![
                run(0.01, 3_400, 10, "a", vec![]),
                run(0.1, 34_000, 10, "a", vec![]),
                run(1.0, 340_000, 10, "b", vec![seq_scan(1.0)]),
            ],
        };
        let v = evaluate(&now, Budget { class: GrowthClass::Linear, set: true }, Some(&base), &Thresholds::default());
        let kinds: Vec<_> = v.findings.iter().map(|f| (f.kind, f.severity)).collect();
        assert_eq!(kinds, vec![(Kind::SeqScan, Severity::Error), (Kind::ShapeChange, Severity::Warning)]);
        assert!(v.shape_diffs[2].is_some());

        let base = blessed(&now.runs);
        let v = evaluate(&now, Budget { class: GrowthClass::Linear, set: true }, Some(&base), &Thresholds::default());
        assert!(!v.failed(), "{:?}", v.findings);
    }

    #[test]
    fn shape_change_without_more_work_is_only_a_warning_more_work_fails() {
        let before =
            [run(0.01, 3_400, 10, "a", vec![]), run(0.1, 34_000, 10, "a", vec![]), run(1.0, 340_000, 10, "a", vec![])];
        let base = blessed(&before);
        let same_work = CaseRuns {
            forecasts: Vec::new(),
            case: "default".into(),
            runs: before.iter().map(|r| Run { shape: "b".into(), ..r.clone() }).collect(),
        };
        let v =
            evaluate(&same_work, Budget { class: GrowthClass::Linear, set: true }, Some(&base), &Thresholds::default());
        assert!(!v.failed());
        assert_eq!(v.findings.len(), 3);
        let more = CaseRuns {
            case: "default".into(),
            runs: before.iter().map(|r| Run { work: 16, ..r.clone() }).collect(),
            forecasts: Vec::new(),
        };
        let v = evaluate(&more, Budget { class: GrowthClass::Linear, set: true }, Some(&base), &Thresholds::default());
        assert!(v.findings.iter().any(|f| f.kind == Kind::WorkRegression && f.severity == Severity::Error));
    }
}
