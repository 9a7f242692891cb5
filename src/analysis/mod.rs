//! Analysis: findings over plans, the growth fit, and comparison with baselines. Pure
//! functions of measurements; no I/O.

pub mod findings;
pub mod growth;
pub mod pattern;

pub use pattern::Pattern;

use serde::{Deserialize, Serialize};

use crate::plan::NodeRef;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// Something worth a reader's attention, at a scale and a plan node where it has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: Kind,
    pub severity: Severity,
    pub scale: Option<f64>,
    pub node: Option<NodeRef>,
    pub detail: String,
}

/// The kinds of findings, as reports and baselines name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    SeqScan,
    SortSpill,
    HashSpill,
    Misestimate,
    LimitFilterScan,
    NestedLoopBlowup,
    Growth,
    ShapeChange,
    WorkRegression,
    GrowthRegression,
    Forbidden,
    /// The query ran past the statement timeout at a scale.
    Timeout,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::SeqScan => "seq_scan",
            Kind::SortSpill => "sort_spill",
            Kind::HashSpill => "hash_spill",
            Kind::Misestimate => "misestimate",
            Kind::LimitFilterScan => "limit_filter_scan",
            Kind::NestedLoopBlowup => "nested_loop_blowup",
            Kind::Growth => "growth",
            Kind::ShapeChange => "shape_change",
            Kind::WorkRegression => "work_regression",
            Kind::GrowthRegression => "growth_regression",
            Kind::Forbidden => "forbidden",
            Kind::Timeout => "timeout",
        }
    }

    /// Plan findings that fail a query when its baseline at that scale did not have them.
    pub fn fails_when_new(self) -> bool {
        matches!(
            self,
            Kind::SeqScan | Kind::SortSpill | Kind::HashSpill | Kind::LimitFilterScan | Kind::NestedLoopBlowup
        )
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Detection thresholds (`[thresholds]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Work vs baseline at the same scale that counts as a regression.
    pub regression_ratio: f64,
    /// Exponent increase over the baseline's that counts as a regression.
    pub growth_slack: f64,
    /// A seq scan on a smaller table is not a finding.
    pub seq_scan_min_rows: u64,
    /// q-error that is reported.
    pub misestimate_factor: f64,
    /// Timed runs per query and scale, after one warm-up.
    pub repeats: u32,
    /// Statement timeout per query execution, in seconds.
    pub statement_timeout_s: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            regression_ratio: 1.5,
            growth_slack: 0.3,
            seq_scan_min_rows: 10_000,
            misestimate_factor: 10.0,
            repeats: 5,
            statement_timeout_s: 60.0,
        }
    }
}
