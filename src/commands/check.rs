//! `plangate check`: run the catalog, compare with baselines, and gate.

use crate::baseline;
use crate::commands::Outcome;
use crate::config::Settings;
use crate::config::catalog;
use crate::error::{Error, Result};
use crate::output;
use crate::pipeline::{build_report, measure_matrix, production_plans};
use crate::report::Verdict;

pub(crate) async fn run(settings: &Settings, names: &[String]) -> Result<Outcome> {
    let all = catalog::load(settings)?;
    let all_names: Vec<String> = all.iter().map(|q| q.name.clone()).collect();
    let orphans = baseline::orphans(&settings.baselines_dir(), &all_names)?;
    if let Some(path) = orphans.first() {
        return Err(Error::Baseline {
            path: path.clone(),
            detail: "a baseline for a query that is not in the catalog; delete it, or restore the query and run `plangate bless`".into(),
            source: None,
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
    let report = build_report(settings, measured, &baselines, &baselines, &production);
    output::report(&report, settings.format, settings.output.as_deref())?;
    Ok(if report.verdict == Verdict::Fail { Outcome::Fail } else { Outcome::Pass })
}
