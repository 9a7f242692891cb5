//! Judging: every run against its baseline entry and production's plans, assembled into
//! the one report every renderer reads.

use crate::baseline::{self, Baseline, BaselineCase, BaselineRun};
use crate::config::catalog;
use crate::config::{Settings, hex_sha256};
use crate::error::Result;
use crate::measure::{Curve, QueryRuns};
use crate::report::{Judged, Report, TargetReport, Timings, round2};
use crate::snapshot::QueryPlans;
use crate::verdict;

use super::Measured;

/// Production's plans of these queries (from the snapshot), where recorded for their SQL.
pub(crate) fn production_plans(settings: &Settings, queries: &[catalog::Query]) -> Result<Vec<Option<QueryPlans>>> {
    let store = settings.snapshot();
    let mut out = Vec::new();
    for q in queries {
        let plans = store.read_plans(&q.name)?;
        let current = plans.filter(|p| p.sql_sha256 == crate::config::hex_sha256(q.sql.as_bytes()));
        out.push(current);
    }
    Ok(out)
}

/// Judge every query on every target against its baseline entry for that target's major
/// version, and assemble the report. `was` holds the baselines whose growth exponents the
/// report states as before: the judged ones on `check`, the replaced ones on `bless`
/// (none on a first bless).
pub(crate) fn build_report(
    settings: &Settings,
    measured: Vec<Measured>,
    baselines: &[Option<Baseline>],
    was: &[Option<Baseline>],
    production: &[Option<QueryPlans>],
) -> Report {
    let matrix = measured.len() > 1;
    let mut judged = Vec::new();
    let mut targets = Vec::new();
    let mut timings: Option<Timings> = None;
    let mut notes: Vec<String> = Vec::new();
    let mut without_rows = false;
    for m in measured {
        for n in &m.notes {
            if !notes.contains(n) {
                notes.push(n.clone());
            }
        }
        targets.push(TargetReport {
            backend: m.backend.clone(),
            image: m.image.clone(),
            binaries: m.binaries.clone(),
            postgres_version: m.postgres_version.clone(),
            settings: m.server_settings.iter().cloned().collect(),
        });
        for (((qr, base), was), plans) in m.runs.into_iter().zip(baselines).zip(was).zip(production) {
            let (usable, note) = match base {
                None => (
                    None,
                    Some("no baseline yet: only budgets are checked; run `plangate bless` to record one".to_string()),
                ),
                Some(b) => match b.for_major(m.major) {
                    Some(entry) => (Some(entry), None),
                    None => (
                        None,
                        Some(format!(
                            "its baseline is for Postgres {} (blessed on {}), this run is Postgres {}: only budgets are \
                             checked; run `plangate bless` on Postgres {} to record its own entry",
                            b.majors(),
                            b.entries().map(|e| e.postgres_version).collect::<Vec<_>>().join(", "),
                            m.postgres_version,
                            m.major
                        )),
                    ),
                },
            };
            let verdicts: Vec<verdict::CaseVerdict> = qr
                .cases
                .iter()
                .map(|c| {
                    let mut v = verdict::evaluate(
                        c,
                        qr.query.budget(),
                        usable.and_then(|b| b.case(&c.case)),
                        &settings.thresholds,
                    );
                    let theirs = plans.as_ref().and_then(|p| p.cases.get(&c.case));
                    v.findings.extend(theirs.and_then(|p| verdict::world_mismatch(c, p)));
                    v.findings.extend(crate::forecast::judge_case(c, &qr.query, &settings.thresholds));
                    let before = was.as_ref().and_then(|b| b.for_major(m.major)).and_then(|b| b.case(&c.case));
                    v.baseline_exponent = before.and_then(|b| b.growth_exponent);
                    v.baseline_rows_exponent = before.and_then(|b| b.rows_growth_exponent);
                    v
                })
                .collect();
            without_rows |= verdicts.iter().any(|v| v.baseline_without_rows);
            judged.push(Judged {
                runs: qr,
                verdicts,
                baseline_note: note,
                postgres_version: m.postgres_version.clone(),
                image: if matrix { m.image.clone() } else { None },
                matrix,
            });
        }
        match &mut timings {
            Some(t) => t.absorb(m.timings),
            None => timings = Some(m.timings),
        }
    }
    // One note, the same in every partition of a catalog, so merged partitions say it once.
    if without_rows {
        notes.push(
            "baselines blessed before rows processed were measured: their work is compared, their rows processed \
             are not; re-bless (`plangate bless`) to compare both"
                .to_string(),
        );
    }
    let mut report =
        Report::new(targets, settings.scales.clone(), &judged, &settings.root, timings.unwrap_or_default());
    report.notes = notes;
    report.config_sha256.clone_from(&settings.config_sha256);
    report.seed = settings.seed;
    report.partition = settings.partition.map(|p| format!("{}/{}", p.index, p.count));
    report
}

/// The baseline entry one target's run of one query records. Budgets still apply: the
/// report judges the new baselines, so it says what fails regardless.
pub(crate) fn baseline_of(settings: &Settings, measured: &Measured, qr: &QueryRuns) -> Baseline {
    let mut cases = Vec::new();
    for c in &qr.cases {
        let curve = Curve::of(&c.runs);
        cases.push(BaselineCase {
            case: c.case.clone(),
            growth_exponent: curve.fit.map(|f| round2(f.exponent)),
            rows_growth_exponent: curve.rows_fit.map(|f| round2(f.exponent)),
            runs: c.runs.iter().map(BaselineRun::of).collect(),
        });
    }
    Baseline {
        format_version: baseline::FORMAT_VERSION,
        query: qr.query.name.clone(),
        sql_sha256: hex_sha256(qr.query.sql.as_bytes()),
        postgres_version: measured.postgres_version.clone(),
        config_sha256: settings.config_sha256.clone(),
        cases,
        other_versions: Vec::new(),
    }
}
