//! `plangate check`: run the catalog, compare with baselines, and gate.

use crate::baseline::{self, Baseline};
use crate::commands::{Measured, measure_matrix};
use crate::config::Settings;
use crate::config::catalog;
use crate::error::{Error, Result};
use crate::report::{Judged, Report, TargetReport, Timings, Verdict};
use crate::snapshot::QueryPlans;
use crate::verdict;
use crate::{Outcome, emit};

pub async fn run(settings: &Settings, names: &[String]) -> Result<Outcome> {
    let all = catalog::load(settings)?;
    let all_names: Vec<String> = all.iter().map(|q| q.name.clone()).collect();
    let orphans = baseline::orphans(&settings.baselines_dir(), &all_names)?;
    if let Some(path) = orphans.first() {
        return Err(Error::Baseline {
            path: path.clone(),
            detail: "a baseline for a query that is not in the catalog; delete it, or restore the query and run `plangate bless`".into(),
        });
    }
    let queries = catalog::select(all, names, settings.partition)?;
    // Read every baseline before starting Postgres: a broken one fails fast.
    let mut baselines = Vec::new();
    for q in &queries {
        baselines.push(baseline::read(&baseline::path_for(&settings.baselines_dir(), &q.name))?);
    }
    let production = production_plans(settings, &queries)?;
    let measured = measure_matrix(settings, &queries).await?;
    let report = build_report(settings, measured, &baselines, &production);
    emit(settings, &report)?;
    Ok(if report.verdict == Verdict::Fail { Outcome::Fail } else { Outcome::Pass })
}

/// Judge every query on every target against its baseline entry for that target's major
/// version, and assemble the report.
/// Production's plans of these queries (from the snapshot), where recorded for their SQL.
pub fn production_plans(settings: &Settings, queries: &[catalog::Query]) -> Result<Vec<Option<QueryPlans>>> {
    let store = settings.snapshot();
    let mut out = Vec::new();
    for q in queries {
        let plans = store.read_plans(&q.name)?;
        let current = plans.filter(|p| p.sql_sha256 == crate::config::hex_sha256(q.sql.as_bytes()));
        out.push(current);
    }
    Ok(out)
}

pub fn build_report(
    settings: &Settings,
    measured: Vec<Measured>,
    baselines: &[Option<Baseline>],
    production: &[Option<QueryPlans>],
) -> Report {
    let matrix = measured.len() > 1;
    let mut judged = Vec::new();
    let mut targets = Vec::new();
    let mut timings: Option<Timings> = None;
    let mut notes: Vec<String> = Vec::new();
    for m in measured {
        for n in &m.notes {
            if !notes.contains(n) {
                notes.push(n.clone());
            }
        }
        targets.push(TargetReport {
            backend: m.backend.clone(),
            image: m.image.clone(),
            postgres_version: m.postgres_version.clone(),
            settings: m.server_settings.iter().cloned().collect(),
        });
        for ((qr, base), plans) in m.runs.into_iter().zip(baselines).zip(production) {
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
            let verdicts = qr
                .cases
                .iter()
                .map(|c| {
                    let mut v = verdict::evaluate(
                        c,
                        qr.query.growth,
                        usable.and_then(|b| b.case(&c.case)),
                        &settings.thresholds,
                    );
                    let theirs = plans.as_ref().and_then(|p| p.cases.get(&c.case));
                    v.findings.extend(theirs.and_then(|p| verdict::world_mismatch(c, p)));
                    v
                })
                .collect();
            judged.push(Judged {
                runs: qr,
                verdicts,
                baseline_note: note,
                postgres_version: m.postgres_version.clone(),
                image: if matrix { m.image.clone() } else { None },
            });
        }
        match &mut timings {
            Some(t) => t.absorb(m.timings),
            None => timings = Some(m.timings),
        }
    }
    let mut report =
        Report::new(targets, settings.scales.clone(), &judged, &settings.root, timings.unwrap_or_default());
    report.notes = notes;
    report.config_sha256.clone_from(&settings.config_sha256);
    report.seed = settings.seed;
    report.partition = settings.partition.map(|p| format!("{}/{}", p.index, p.count));
    report
}
