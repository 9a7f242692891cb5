//! Analysis: findings over plans, the growth fit, and comparison with baselines. Pure
//! functions of measurements; no I/O.

pub mod findings;
pub(crate) mod forecast;
pub(crate) mod growth;
pub(crate) mod pattern;

pub use pattern::Pattern;

use std::num::NonZeroU32;
use std::time::Duration;

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
    /// A misestimate's numbers and the columns its node's condition reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<Estimate>,
}

impl Finding {
    /// Where it was found, as reports say it: " at scale 1", " at forecast scale 10", or
    /// nothing for a finding over all scales.
    pub(crate) fn at(&self) -> String {
        match self.scale {
            Some(s) if self.kind.is_forecast() => format!(" at forecast scale {s}"),
            Some(s) => format!(" at scale {s}"),
            None => String::new(),
        }
    }
}

/// Where the planner's row estimate went wrong: the node's estimated and actual rows (per
/// loop), the table it reads, and the columns of its condition (an index condition,
/// filter, join condition or grouping key), as EXPLAIN prints them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub(crate) estimated_rows: f64,
    pub(crate) actual_rows: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) table: Option<String>,
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) condition: Option<String>,
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
    /// Rows processed past `regression_ratio` times the baseline's at the same scale.
    RowsRegression,
    GrowthRegression,
    /// With no budget set: work grows with a table while the result stays flat.
    OutgrowsResult,
    Forbidden,
    /// The query ran past the statement timeout at a scale.
    Timeout,
    /// At production's size, the world plans the query differently from production.
    WorldMismatch,
    /// A prepared statement's server switches to a generic plan that does far more work
    /// than the custom plan for the case's values.
    GenericPlan,
    /// A write's foreign-key check scans the referencing table: no index starts with the
    /// key's columns.
    UnindexedForeignKey,
    /// At a forecast scale, the plan's shape differs from the largest measured scale's.
    ForecastShapeChange,
    /// At a forecast scale, a pattern the measured plans do not have (a seq scan, a spill,
    /// a forbidden pattern).
    ForecastPattern,
    /// The estimated cost grows past the budget from the largest measured scale over the
    /// forecast ones.
    ForecastGrowth,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
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
            Kind::RowsRegression => "rows_regression",
            Kind::OutgrowsResult => "outgrows_result",
            Kind::GrowthRegression => "growth_regression",
            Kind::Forbidden => "forbidden",
            Kind::Timeout => "timeout",
            Kind::WorldMismatch => "world_mismatch",
            Kind::GenericPlan => "generic_plan",
            Kind::UnindexedForeignKey => "unindexed_foreign_key",
            Kind::ForecastShapeChange => "forecast_shape_change",
            Kind::ForecastPattern => "forecast_pattern",
            Kind::ForecastGrowth => "forecast_growth",
        }
    }

    /// A finding of a forecast: about a size that was planned, never run.
    pub(crate) fn is_forecast(self) -> bool {
        matches!(self, Kind::ForecastShapeChange | Kind::ForecastPattern | Kind::ForecastGrowth)
    }

    /// Plan findings that fail a query when its baseline at that scale did not have them.
    pub(crate) fn fails_when_new(self) -> bool {
        matches!(
            self,
            Kind::SeqScan
                | Kind::SortSpill
                | Kind::HashSpill
                | Kind::LimitFilterScan
                | Kind::NestedLoopBlowup
                | Kind::GenericPlan
                | Kind::UnindexedForeignKey
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
    pub(crate) regression_ratio: f64,
    /// Exponent increase over the baseline's that counts as a regression.
    pub(crate) growth_slack: f64,
    /// A seq scan on a smaller table is not a finding.
    pub(crate) seq_scan_min_rows: u64,
    /// q-error that is reported.
    pub(crate) misestimate_factor: f64,
    /// Timed runs per query and scale, after one warm-up.
    pub(crate) repeats: NonZeroU32,
    /// Statement timeout per query execution (`statement_timeout_s`, in seconds).
    #[serde(rename = "statement_timeout_s", with = "seconds")]
    pub(crate) statement_timeout: Duration,
    /// Forecast findings fail the check rather than warn.
    pub(crate) forecast_gate: bool,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            regression_ratio: 1.5,
            growth_slack: 0.3,
            seq_scan_min_rows: 10_000,
            misestimate_factor: 10.0,
            repeats: NonZeroU32::new(5).expect("not zero"),
            statement_timeout: Duration::from_secs(60),
            forecast_gate: false,
        }
    }
}

/// A duration as a positive number of seconds.
mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| serde::de::Error::custom(format!("{secs} is not a positive number of seconds")))
    }
}
