//! The upgrade report: the catalog run on two Postgres versions, each case's plan and work
//! on the newer one compared with the older one's, worst first.
//!
//! The newer version's report is judged with the older version's runs as its baseline, so
//! every comparison `check` makes against a baseline (work and rows past
//! `regression_ratio`, growth, a seq scan or spill the older plan did not have, the shape
//! diff) is made between the versions. A budget that fails on both versions says nothing
//! about the upgrade: there it is a warning.

use serde::{Deserialize, Serialize};

use crate::analysis::{Finding, Kind, Severity};
use crate::report::{CaseReport, Report, Verdict};

/// How a case fares on the version upgraded to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Worse past the thresholds: the upgrade fails on it.
    Worse,
    /// The plan's shape changed, the work stayed within the thresholds.
    Changed,
    /// Less work past `regression_ratio`.
    Better,
    Same,
}

impl Change {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Change::Worse => "worse",
            Change::Changed => "changed",
            Change::Better => "better",
            Change::Same => "same",
        }
    }
}

/// The two versions and every case that differs between them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpgradeReport {
    /// The version upgraded from and to, as the servers report them.
    pub from: String,
    pub to: String,
    /// The cases whose plan or work differs, worst first.
    pub changes: Vec<VersionChange>,
    /// How many cases are the same on both.
    pub same: usize,
}

/// One case on both versions, at the largest scale.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionChange {
    pub query: String,
    pub case: String,
    /// The query file, relative to the config's folder.
    pub file: String,
    pub change: Change,
    pub scale: f64,
    pub work_from: u64,
    pub work_to: u64,
    /// `work_to / work_from` (with one block added to each, so an empty plan is not infinite).
    pub ratio: f64,
    pub time_from_ms: f64,
    pub time_to_ms: f64,
    /// The index descents on the newer version, where it counts them (18 and newer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_searches: Option<u64>,
    pub shape_from: String,
    pub shape_to: String,
    /// The line diff of the shapes, where they differ at some scale (the largest such).
    pub shape_diff: Option<String>,
    /// Why it is worse, or what changed, as the findings say it.
    pub reasons: Vec<String>,
}

impl UpgradeReport {
    /// "Postgres 15.18 -> 18.6: 1 worse, 2 changed, 1 better, 12 the same".
    pub(crate) fn headline(&self) -> String {
        let count = |c: Change| self.changes.iter().filter(|x| x.change == c).count();
        format!(
            "Postgres {} -> {}: {} worse, {} changed, {} better, {} the same",
            self.from,
            self.to,
            count(Change::Worse),
            count(Change::Changed),
            count(Change::Better),
            self.same
        )
    }

    /// The change of one query's case, if it differs.
    pub(crate) fn of(&self, query: &str, case: &str) -> Option<&VersionChange> {
        self.changes.iter().find(|c| c.query == query && c.case == case)
    }
}

impl VersionChange {
    /// "9487 -> 23 blocks (0.003x)", and the index searches where counted.
    pub(crate) fn work(&self) -> String {
        let searches = self.index_searches.map(|n| format!(", {n} index searches")).unwrap_or_default();
        format!("{} -> {} blocks ({}){searches}", self.work_from, self.work_to, ratio(self.ratio))
    }
}

/// A work ratio as reports print it: "7.5x", "0.31x", "0.003x".
pub(crate) fn ratio(r: f64) -> String {
    if r >= 10.0 {
        format!("{r:.0}x")
    } else if r >= 0.1 {
        format!("{r:.2}x")
    } else {
        format!("{r:.3}x")
    }
}

/// Findings a case has whatever it is compared with: budgets and absolute patterns.
fn absolute(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Growth
            | Kind::Forbidden
            | Kind::Timeout
            | Kind::GenericPlan
            | Kind::UnindexedForeignKey
            | Kind::OutgrowsResult
    )
}

/// Turn `to` (the newer version's report, judged against the older version's runs) into
/// the upgrade report: findings that fail on `from` too (judged by its budgets alone)
/// become warnings, each case's verdict says whether it got worse, and the queries are
/// ordered worst first.
pub(crate) fn compare(from: &Report, to: &mut Report, regression_ratio: f64) {
    let mut changes = Vec::new();
    let mut same = 0;
    for q in &mut to.queries {
        let older = from.queries.iter().find(|o| o.name == q.name);
        for c in &mut q.cases {
            let old_case = older.and_then(|o| o.cases.iter().find(|x| x.case == c.case));
            let before: &[Finding] = old_case.map_or(&[], |o| &o.findings);
            for f in &mut c.findings {
                let also_before = before
                    .iter()
                    .any(|b| b.kind == f.kind && b.severity == Severity::Error && b.node == f.node && b.at() == f.at());
                if f.severity == Severity::Error && absolute(f.kind) && also_before {
                    f.severity = Severity::Warning;
                    f.detail = format!("{} (on Postgres {} too)", f.detail, from.postgres_version);
                }
            }
            let worse = c.findings.iter().any(|f| f.severity == Severity::Error);
            c.verdict = if worse { Verdict::Fail } else { Verdict::Pass };
            match change_of(c, old_case, worse, regression_ratio) {
                Some(mut change) => {
                    change.query.clone_from(&q.name);
                    change.file.clone_from(&q.file);
                    changes.push(change);
                }
                None => same += 1,
            }
        }
        q.verdict = if q.cases.iter().any(|c| c.verdict == Verdict::Fail) { Verdict::Fail } else { Verdict::Pass };
    }
    changes.sort_by(|a, b| a.change.cmp(&b.change).then(b.ratio.total_cmp(&a.ratio)));
    let rank = |name: &str| changes.iter().position(|c| c.query == name).unwrap_or(usize::MAX);
    to.queries.sort_by_key(|q| rank(&q.name));
    to.verdict = if to.queries.iter().any(|q| q.verdict == Verdict::Fail) { Verdict::Fail } else { Verdict::Pass };
    to.upgrade =
        Some(UpgradeReport { from: from.postgres_version.clone(), to: to.postgres_version.clone(), changes, same });
}

/// The case's change at the largest scale, or None when plan and work are the same.
fn change_of(c: &CaseReport, old: Option<&CaseReport>, worse: bool, regression_ratio: f64) -> Option<VersionChange> {
    let last = c.runs.last()?;
    // Both versions ran the same scales; the largest is the older version's last run.
    let old_last = old.and_then(|o| o.runs.last());
    let work_from = last.baseline_work.unwrap_or(last.work);
    #[expect(clippy::cast_precision_loss, reason = "block counts far below 2^52")]
    let ratio = (last.work as f64 + 1.0) / (work_from as f64 + 1.0);
    let shape_diff = c.runs.iter().rev().find_map(|r| r.shape_diff.clone());
    let change = if worse {
        Change::Worse
    } else if ratio * regression_ratio <= 1.0 {
        Change::Better
    } else if shape_diff.is_some() {
        Change::Changed
    } else {
        // The same plan, its work within the thresholds.
        return None;
    };
    let reasons = c
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error || matches!(f.kind, Kind::ShapeChange))
        .map(|f| format!("{}{}: {}", f.kind, f.at(), f.detail))
        .collect();
    Some(VersionChange {
        query: String::new(),
        case: c.case.clone(),
        file: String::new(),
        change,
        scale: last.scale,
        work_from,
        work_to: last.work,
        ratio,
        time_from_ms: old_last.map_or(0.0, |r| r.time_ms),
        time_to_ms: last.time_ms,
        index_searches: last.index_searches,
        shape_from: old_last.map_or_else(String::new, |r| r.shape.clone()),
        shape_to: last.shape.clone(),
        shape_diff,
        reasons,
    })
}
