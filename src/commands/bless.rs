//! `plangate bless`: run the catalog and (re)write the baselines of the queries that ran.

use crate::baseline::{self, Baseline};
use crate::commands::Outcome;
use crate::config::Settings;
use crate::config::catalog;
use crate::error::Result;
use crate::output;
use crate::pipeline::{baseline_of, build_report, measure_matrix, production_plans};
use crate::progress::line as progress;
use crate::report::Verdict;

pub(crate) async fn run(settings: &Settings, names: &[String]) -> Result<Outcome> {
    let queries = catalog::select(catalog::load(settings)?, names, settings.partition)?;
    // The entries of other major versions are kept: read them before starting Postgres.
    let mut new_baselines = Vec::new();
    for q in &queries {
        let path = baseline::path_for(&settings.baselines_dir(), &q.name);
        // One that cannot be read is what re-blessing repairs: start it afresh.
        new_baselines.push(baseline::read(&path).unwrap_or_else(|e| {
            progress(&format!("replacing it: {e}"));
            None
        }));
    }
    let previous = new_baselines.clone();
    let production = production_plans(settings, &queries)?;
    let measured = measure_matrix(settings, &queries).await?;
    for m in &measured {
        for (qr, slot) in m.runs.iter().zip(new_baselines.iter_mut()) {
            *slot = Some(Baseline::merge(slot.take(), baseline_of(settings, m, qr)));
        }
    }
    // The report judges the new baselines, and says what the previous ones had.
    let report = build_report(settings, measured, &new_baselines, &previous, &production);
    for b in new_baselines.iter().flatten() {
        let path = baseline::write(&settings.baselines_dir(), b)?;
        progress(&format!("blessed {}", path.strip_prefix(&settings.root).unwrap_or(&path).display()));
    }
    output::report(&report, settings.format, settings.output.as_deref())?;
    Ok(if report.verdict == Verdict::Fail { Outcome::Fail } else { Outcome::Pass })
}
