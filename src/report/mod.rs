//! The one Report value a run produces, and the renderers that print it.

pub(crate) mod chart;
pub mod github;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod markdown;
pub(crate) mod suggestions;
pub(crate) mod terminal;
pub mod upgrade;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::analysis::{Finding, Kind};
use crate::datagen::load::LoadTiming;
use crate::measure::QueryRuns;
use crate::plan::shape;
use crate::verdict::CaseVerdict;

pub use crate::config::Format;

pub(crate) const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
}

/// Everything a run found, ready for any format.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub format_version: u32,
    pub verdict: Verdict,
    /// The version of the first (usually only) target.
    pub postgres_version: String,
    pub backend: String,
    pub scales: Vec<f64>,
    /// What ran: one entry, or one per image of a version matrix.
    pub targets: Vec<TargetReport>,
    pub queries: Vec<QueryReport>,
    /// How the synthetic world was made, where a reader should know (triggers off, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Summed over the targets.
    pub timings: Timings,
    /// What decides the results besides the catalog: the config file's SHA-256 and the
    /// seed; and the partition (`K/N`) when the run checked one.
    pub config_sha256: String,
    pub seed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// `plangate upgrade`: the cases that differ between the two versions, worst first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<upgrade::UpgradeReport>,
}

/// One throwaway Postgres the catalog ran on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetReport {
    pub backend: String,
    pub image: Option<String>,
    /// Where the local backend's server binaries came from: a folder of this machine, or
    /// the registry package plangate fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binaries: Option<String>,
    pub postgres_version: String,
    /// The server settings it was started with: the disposable ones and the user's.
    pub settings: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryReport {
    pub name: String,
    /// The Postgres version these results come from.
    pub postgres_version: String,
    /// With a version matrix, the image they come from (None otherwise).
    pub image: Option<String>,
    /// Whether the run was a version matrix (so the version is part of the query's title).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub matrix: bool,
    /// The query file, relative to the config's folder.
    pub file: String,
    pub verdict: Verdict,
    pub growth_budget: String,
    /// Why the baseline was not used, when it was not (none, another major version).
    pub baseline_note: Option<String>,
    /// What to run next, when an index could fix what failed.
    pub hint: Option<String>,
    /// Cases made by `skew(table.column)`, side by side: one line per skewed case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skew: Vec<String>,
    pub cases: Vec<CaseReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseReport {
    pub case: String,
    pub verdict: Verdict,
    pub growth_exponent: Option<f64>,
    pub baseline_growth_exponent: Option<f64>,
    /// The growth exponent of rows processed, and the baseline's.
    #[serde(default)]
    pub rows_growth_exponent: Option<f64>,
    #[serde(default)]
    pub baseline_rows_growth_exponent: Option<f64>,
    pub runs: Vec<RunReport>,
    /// The case planned at each forecast scale (never run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forecast: Vec<ForecastReport>,
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
}

/// A case planned at a forecast scale: a size planned with projected statistics, never
/// loaded. Its numbers are the planner's estimates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForecastReport {
    pub scale: f64,
    /// Always true: what marks the point as a forecast wherever the report goes.
    pub forecast: bool,
    pub rows: BTreeMap<String, u64>,
    pub estimated_cost: f64,
    pub estimated_rows: f64,
    pub scans: Vec<crate::measure::ScanEstimate>,
    pub shape: String,
    /// Against the largest measured scale's plan, where it differs.
    pub shape_diff: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    pub scale: f64,
    pub rows: BTreeMap<String, u64>,
    pub params: Vec<Option<String>>,
    pub work: u64,
    pub baseline_work: Option<u64>,
    /// Rows every plan node handled, and the baseline's at this scale.
    #[serde(default)]
    pub rows_processed: u64,
    #[serde(default)]
    pub baseline_rows_processed: Option<u64>,
    pub time_ms: f64,
    pub planning_ms: f64,
    pub plan_rows: f64,
    pub actual_rows: f64,
    pub shape: String,
    pub shape_diff: Option<String>,
    /// A query with parameters: the generic plan of its prepared statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generic: Option<GenericReport>,
    /// A write: the blocks of `work` spent by its triggers and foreign-key checks, and each
    /// one's calls and blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_work: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<TriggerReport>,
    /// The plan's estimated total cost and each scan's estimated rows, for comparing with
    /// forecasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_cost: Option<f64>,
    /// Index descents of the whole plan, where the server counts them (Postgres 18 and newer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_searches: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scans: Vec<crate::measure::ScanEstimate>,
}

/// What a write's trigger or foreign-key check or action did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerReport {
    /// The trigger, or for a foreign key the constraint.
    pub name: String,
    /// The table it is on.
    pub table: String,
    pub calls: u64,
    /// Blocks of tables the plan does not read that it reached (None where they cannot be
    /// told apart).
    pub blocks: Option<u64>,
    pub foreign_key: bool,
}

/// A prepared statement's generic plan, run with the case's values.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenericReport {
    /// Whether the server settles on it after its first custom plans.
    pub chosen: bool,
    pub timed_out: bool,
    pub work: u64,
    pub time_ms: f64,
    pub shape: String,
    /// The custom plan's shape against the generic one's, when they differ.
    pub shape_diff: Option<String>,
}

/// Where the wall time went: each phase, and each table's load at each scale.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Timings {
    pub backend: String,
    /// How the world came: "built", "built and cached", "cached", "cached, indexes rebuilt".
    pub world: String,
    pub start_ms: u64,
    /// Of the start: copying a cached world's data.
    pub restore_ms: u64,
    pub schema_ms: u64,
    pub loads: Vec<LoadTiming>,
    /// Wall time of all loads; `loads` times each table, and two may load at once.
    pub load_ms: u64,
    pub index_ms: u64,
    pub analyze_ms: u64,
    pub explain_ms: u64,
    /// Of `explain_ms`: running queries with parameters as prepared statements (generic plans).
    pub generic_ms: u64,
    /// Keeping each scale's world in a database of its own.
    pub copy_ms: u64,
    /// Writing the world into the cache.
    pub save_ms: u64,
    /// Each forecast scale: its world built, its cases planned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forecasts: Vec<crate::forecast::ForecastTiming>,
    pub total_ms: u64,
}

impl Timings {
    /// Add another target's timings to these (a version matrix).
    pub(crate) fn absorb(&mut self, other: Timings) {
        self.start_ms += other.start_ms;
        self.restore_ms += other.restore_ms;
        self.copy_ms += other.copy_ms;
        self.save_ms += other.save_ms;
        if self.world != other.world {
            self.world = format!("{}; {}", self.world, other.world);
        }
        self.schema_ms += other.schema_ms;
        self.loads.extend(other.loads);
        self.forecasts.extend(other.forecasts);
        self.load_ms += other.load_ms;
        self.index_ms += other.index_ms;
        self.analyze_ms += other.analyze_ms;
        self.explain_ms += other.explain_ms;
        self.generic_ms += other.generic_ms;
        self.total_ms += other.total_ms;
    }
}

/// The x value of a forecast point: rows of the largest table its plan reads, else its scale.
#[expect(clippy::cast_precision_loss)]
pub(crate) fn forecast_rows(f: &ForecastReport) -> f64 {
    f.rows.values().max().map_or(f.scale, |v| *v as f64)
}

/// One query measured on one target, judged.
#[derive(Debug)]
pub(crate) struct Judged {
    pub(crate) runs: QueryRuns,
    pub(crate) verdicts: Vec<CaseVerdict>,
    /// Why the baseline was not used, when it was not.
    pub(crate) baseline_note: Option<String>,
    pub postgres_version: String,
    pub image: Option<String>,
    pub matrix: bool,
}

impl QueryReport {
    /// The query's name, and with a version matrix the Postgres version it ran on.
    pub(crate) fn title(&self) -> String {
        if self.matrix || self.image.is_some() {
            format!("{} [Postgres {}]", self.name, self.postgres_version)
        } else {
            self.name.clone()
        }
    }

    /// An HTML id unique within the report.
    pub(crate) fn anchor(&self) -> String {
        if self.matrix || self.image.is_some() {
            format!("{}-pg{}", self.name, crate::baseline::major_of(&self.postgres_version))
        } else {
            self.name.clone()
        }
    }
}

impl QueryReport {
    /// One query measured on one target, judged, as the report shows it.
    fn new(j: &Judged, root: &std::path::Path) -> QueryReport {
        let Judged { runs: q, verdicts, baseline_note, postgres_version, image, matrix } = j;
        let mut cases = Vec::new();
        for (c, v) in q.cases.iter().zip(verdicts) {
            let runs = c
                .runs
                .iter()
                .zip(v.shape_diffs.iter().zip(v.baseline_work.iter().zip(&v.baseline_rows)))
                .map(|(r, (diff, (bw, br)))| RunReport {
                    scale: r.scale,
                    rows: r.rows.clone(),
                    params: r.params.clone(),
                    work: r.work,
                    baseline_work: *bw,
                    rows_processed: r.rows_processed,
                    baseline_rows_processed: *br,
                    time_ms: round2(r.time_ms),
                    planning_ms: round2(r.planning_ms),
                    plan_rows: r.plan_rows,
                    actual_rows: r.actual_rows,
                    shape: r.shape.clone(),
                    shape_diff: diff.clone(),
                    generic: r.generic.as_ref().map(|g| GenericReport {
                        chosen: g.chosen,
                        timed_out: g.timed_out,
                        work: g.work,
                        time_ms: round2(g.time_ms),
                        shape: g.shape.clone(),
                        shape_diff: if g.timed_out { None } else { shape::diff(&r.shape, &g.shape) },
                    }),
                    trigger_work: q.query.writes.then_some(r.trigger_work),
                    triggers: r
                        .triggers
                        .iter()
                        .map(|t| TriggerReport {
                            name: t.name.clone(),
                            table: t.table.clone(),
                            calls: t.calls,
                            blocks: t.blocks,
                            foreign_key: t.foreign_key,
                        })
                        .collect(),
                    estimated_cost: r.cost(),
                    index_searches: r
                        .plan
                        .as_ref()
                        .and_then(|p| crate::plan::Explain::from_json(p).ok())
                        .and_then(|e| e.index_searches()),
                    scans: r
                        .plan
                        .as_ref()
                        .and_then(|p| crate::plan::Explain::from_json(p).ok())
                        .map(|e| crate::measure::scans(&e.plan))
                        .unwrap_or_default(),
                })
                .collect();
            let last_shape = c.runs.iter().rev().find(|r| !r.timed_out).map(|r| r.shape.as_str());
            let forecast = c
                .forecasts
                .iter()
                .map(|f| ForecastReport {
                    scale: f.scale,
                    forecast: true,
                    rows: f.rows.clone(),
                    estimated_cost: f.cost,
                    estimated_rows: f.plan_rows,
                    scans: f.scans.clone(),
                    shape: f.shape.clone(),
                    shape_diff: last_shape.and_then(|s| shape::diff(s, &f.shape)),
                })
                .collect();
            cases.push(CaseReport {
                case: c.case.clone(),
                verdict: if v.failed() { Verdict::Fail } else { Verdict::Pass },
                growth_exponent: v.exponent.map(round2),
                baseline_growth_exponent: v.baseline_exponent,
                rows_growth_exponent: v.rows_exponent.map(round2),
                baseline_rows_growth_exponent: v.baseline_rows_exponent,
                runs,
                forecast,
                findings: v.findings.clone(),
                notes: v.notes.clone(),
            });
        }
        let failed = cases.iter().any(|c| c.verdict == Verdict::Fail);
        let index_could_help = cases.iter().flat_map(|c| &c.findings).any(|f| {
            f.severity == crate::analysis::Severity::Error
                && matches!(
                    f.kind,
                    Kind::SeqScan
                        | Kind::LimitFilterScan
                        | Kind::SortSpill
                        | Kind::WorkRegression
                        | Kind::RowsRegression
                        | Kind::OutgrowsResult
                        | Kind::Growth
                        | Kind::GrowthRegression
                )
        });
        let hint = index_could_help.then(|| {
            format!(
                "`plangate suggest {}` builds index candidates for it and keeps those that cut its work in half",
                q.query.name
            )
        });
        let skew = skew_lines(&q.query.cases, &cases);
        QueryReport {
            skew,
            name: q.query.name.clone(),
            postgres_version: postgres_version.clone(),
            image: image.clone(),
            matrix: *matrix,
            file: q.query.path.strip_prefix(root).unwrap_or(&q.query.path).display().to_string(),
            verdict: if failed { Verdict::Fail } else { Verdict::Pass },
            growth_budget: q.query.growth.as_str().to_string(),
            baseline_note: baseline_note.clone(),
            hint,
            cases,
        }
    }
}

impl Report {
    /// Assemble the report of judged queries, in order, from the targets they ran on.
    pub(crate) fn new(
        targets: Vec<TargetReport>,
        scales: Vec<f64>,
        judged: &[Judged],
        root: &std::path::Path,
        timings: Timings,
    ) -> Report {
        let queries: Vec<QueryReport> = judged.iter().map(|j| QueryReport::new(j, root)).collect();
        let verdict = if queries.iter().any(|q| q.verdict == Verdict::Fail) { Verdict::Fail } else { Verdict::Pass };
        let first = targets.first();
        let postgres_version = first.map(|t| t.postgres_version.clone()).unwrap_or_default();
        let backend = first.map(|t| t.backend.clone()).unwrap_or_default();
        Report {
            format_version: FORMAT_VERSION,
            verdict,
            postgres_version,
            backend,
            scales,
            targets,
            queries,
            notes: Vec::new(),
            timings,
            config_sha256: String::new(),
            seed: 0,
            partition: None,
            upgrade: None,
        }
    }
}

/// The cases `skew()` made, side by side at the largest scale: `skew of t.c at scale 1:
/// hot 9120 blocks, typical 14, cold 12; hot does 651x the work of cold; plans differ:
/// hot Seq Scan on t; typical, cold Index Scan using t_c_idx on t`.
fn skew_lines(configured: &[crate::config::catalog::Case], cases: &[CaseReport]) -> Vec<String> {
    let mut groups: Vec<(&crate::config::catalog::Skew, Vec<(&str, &RunReport)>)> = Vec::new();
    for (c, report) in configured.iter().zip(cases) {
        let (Some(skew), Some(run)) = (&c.skew, report.runs.last()) else { continue };
        let at = (skew.value.name(), run);
        match groups.iter_mut().find(|(s, _)| s.of == skew.of && s.column == skew.column) {
            Some((_, runs)) => runs.push(at),
            None => groups.push((skew, vec![at])),
        }
    }
    groups
        .into_iter()
        .map(|(skew, runs)| {
            let of = if skew.of == "default" { String::new() } else { format!("{}: ", skew.of) };
            let scale = runs.first().map_or(0.0, |(_, r)| r.scale);
            let works: Vec<String> = runs
                .iter()
                .enumerate()
                .map(|(i, (v, r))| if i == 0 { format!("{v} {} blocks", r.work) } else { format!("{v} {}", r.work) })
                .collect();
            let mut line = format!("{of}skew of {} at scale {scale}: {}", skew.column, works.join(", "));
            let most = runs.iter().max_by_key(|(_, r)| r.work);
            let least = runs.iter().min_by_key(|(_, r)| r.work);
            if let (Some((hi, h)), Some((lo, l))) = (most, least) {
                #[expect(clippy::cast_precision_loss)]
                let ratio = h.work as f64 / l.work.max(1) as f64;
                if ratio >= 2.0 {
                    let _ = write!(line, "; {hi} does {ratio:.0}x the work of {lo}");
                }
            }
            // The plans by their access paths, values with the same plan together.
            let mut plans: Vec<(Vec<&str>, &str)> = Vec::new();
            for (v, r) in &runs {
                match plans.iter_mut().find(|(_, s)| *s == r.shape) {
                    Some((vs, _)) => vs.push(v),
                    None => plans.push((vec![v], &r.shape)),
                }
            }
            if plans.len() > 1 {
                let described: Vec<String> =
                    plans.iter().map(|(vs, s)| format!("{} {}", vs.join(", "), access_paths(s))).collect();
                let _ = write!(line, "; plans differ: {}", described.join("; "));
            }
            line
        })
        .collect()
}

/// A plan shape's scans and joins, one line each, joined: what tells two plans apart at a glance.
fn access_paths(shape: &str) -> String {
    let lines: Vec<&str> = shape
        .lines()
        .map(str::trim)
        .filter(|l| l.contains(" Scan") || l.contains("Join") || l.starts_with("Nested Loop") || l.starts_with("Sort"))
        .collect();
    if lines.is_empty() { shape.lines().next().unwrap_or("").trim().to_string() } else { lines.join(" > ") }
}

/// Each distinct shape diff of a case once, with the scales it appears at.
pub(crate) fn grouped_diffs(case: &CaseReport) -> Vec<(Vec<String>, &str)> {
    group_by_scale(case.runs.iter().filter_map(|r| r.shape_diff.as_deref().map(|d| (r.scale, d))))
}

/// Where the case's generic plan is a trap: each distinct custom-to-generic diff once,
/// with the scales it appears at.
pub(crate) fn generic_diffs(case: &CaseReport) -> Vec<(Vec<String>, &str)> {
    let trapped = |s: f64| case.findings.iter().any(|f| f.kind == Kind::GenericPlan && f.scale == Some(s));
    group_by_scale(
        case.runs
            .iter()
            .filter(|r| trapped(r.scale))
            .filter_map(|r| r.generic.as_ref().and_then(|g| g.shape_diff.as_deref()).map(|d| (r.scale, d))),
    )
}

fn group_by_scale<'a>(diffs: impl Iterator<Item = (f64, &'a str)>) -> Vec<(Vec<String>, &'a str)> {
    let mut out: Vec<(Vec<String>, &str)> = Vec::new();
    for (scale, d) in diffs {
        match out.iter_mut().find(|(_, x)| *x == d) {
            Some((scales, _)) => scales.push(scale.to_string()),
            None => out.push((vec![scale.to_string()], d)),
        }
    }
    out
}

pub(crate) use crate::measure::round2;

/// The run in one line's facts, computed once for every renderer.
#[derive(Debug, Clone)]
pub(crate) struct Summary {
    /// Query results: one per query, or per query and target with a version matrix.
    pub(crate) results: usize,
    pub(crate) failed: usize,
    /// "result" with a version matrix, else "query".
    noun: &'static str,
    versions: String,
    backend: String,
    scales: Vec<f64>,
    secs: f64,
}

impl Report {
    pub(crate) fn summary(&self) -> Summary {
        let versions: Vec<String> = self
            .targets
            .iter()
            .map(|t| match &t.binaries {
                Some(from) => format!("{} from {from}", t.postgres_version),
                None => t.postgres_version.clone(),
            })
            .collect();
        #[expect(clippy::cast_precision_loss)]
        let secs = self.timings.total_ms as f64 / 1000.0;
        Summary {
            results: self.queries.len(),
            failed: self.queries.iter().filter(|q| q.verdict == Verdict::Fail).count(),
            noun: if self.targets.len() > 1 { "result" } else { "query" },
            versions: if versions.is_empty() { self.postgres_version.clone() } else { versions.join(" and ") },
            backend: self.backend.clone(),
            scales: self.scales.clone(),
            secs,
        }
    }
}

/// "5 queries, 1 failed; Postgres 15.18 (local backend), scales 0.01, 0.1, 1; 4.9 s".
impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let noun = match (self.noun, self.results) {
            ("query", 1) => "query".to_string(),
            ("query", _) => "queries".to_string(),
            (n, 1) => n.to_string(),
            (n, _) => format!("{n}s"),
        };
        let scales: Vec<String> = self.scales.iter().map(f64::to_string).collect();
        write!(
            f,
            "{} {noun}, {} failed; Postgres {} ({} backend), scales {}; {:.1} s",
            self.results,
            self.failed,
            self.versions,
            self.backend,
            scales.join(", "),
            self.secs
        )
    }
}

/// Render in the given format.
pub fn render(report: &Report, format: Format, color: bool, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    match format {
        Format::Terminal => terminal::render(report, color, out),
        Format::Json => json::render(report, out),
        Format::Markdown => markdown::render(report, out),
        Format::Junit => junit::render(report, out),
        Format::Github => github::render(report, out),
        Format::Html => html::render(report, out),
    }
}
