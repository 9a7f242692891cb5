//! `plangate check`: run the catalog, compare with baselines, and gate.

use crate::analysis::compare;
use crate::baseline::{self, Baseline};
use crate::catalog;
use crate::commands::measure_catalog;
use crate::error::{Error, Result};
use crate::report::{Report, Verdict};
use crate::settings::Settings;
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
    let measured = measure_catalog(settings, &queries).await?;
    let report = build_report(settings, measured, &baselines);
    emit(settings, &report)?;
    Ok(if report.verdict == Verdict::Fail { Outcome::Fail } else { Outcome::Pass })
}

/// Judge every query against its baseline (when it is for this major version) and assemble the report.
pub fn build_report(
    settings: &Settings,
    measured: crate::commands::Measured,
    baselines: &[Option<Baseline>],
) -> Report {
    let mut judged = Vec::new();
    for (qr, base) in measured.runs.into_iter().zip(baselines) {
        let (usable, note) = match base {
            None => (
                None,
                Some("no baseline yet: only budgets are checked; run `plangate bless` to record one".to_string()),
            ),
            Some(b) if b.major() != measured.major => (
                None,
                Some(format!(
                    "its baseline is for Postgres {} (blessed on {}), this run is Postgres {}: only budgets are checked",
                    b.major(),
                    b.postgres_version,
                    measured.major
                )),
            ),
            Some(b) => (Some(b), None),
        };
        let verdicts = qr
            .cases
            .iter()
            .map(|c| compare::evaluate(c, qr.query.growth, usable.and_then(|b| b.case(&c.case)), &settings.thresholds))
            .collect();
        judged.push((qr, verdicts, note));
    }
    Report::new(
        measured.postgres_version,
        measured.backend,
        settings.scales.clone(),
        &judged,
        &settings.root,
        measured.timings,
    )
}
