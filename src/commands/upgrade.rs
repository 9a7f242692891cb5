//! `plangate upgrade --from A --to B`: the catalog on two Postgres major versions in one
//! run, each case on the newer version judged against its runs on the older one.

use crate::commands::Outcome;
use crate::config::Settings;
use crate::config::catalog;
use crate::error::{Error, Result};
use crate::output;
use crate::pipeline::{baseline_of, build_report, measure_matrix};
use crate::report::Verdict;

pub(crate) async fn run(settings: &Settings, names: &[String]) -> Result<Outcome> {
    let queries = catalog::select(catalog::load(settings)?, names, settings.partition)?;
    let mut measured = measure_matrix(settings, &queries).await?;
    let (Some(new), Some(old)) = (measured.pop(), measured.pop()) else {
        return Err(Error::Argument { flag: "--from/--to".into(), detail: "needs two versions to compare".into() });
    };
    // The older version's runs, recorded as a baseline of the newer version's major.
    let as_baseline: Vec<_> = old
        .runs
        .iter()
        .map(|qr| {
            let mut b = baseline_of(settings, &old, qr);
            b.postgres_version.clone_from(&new.postgres_version);
            Some(b)
        })
        .collect();
    let (none, no_plans) = (vec![None; queries.len()], vec![None; queries.len()]);
    let older = build_report(settings, vec![old], &none, &none, &no_plans);
    let mut report = build_report(settings, vec![new], &as_baseline, &as_baseline, &no_plans);
    report.notes.push(format!(
        "Postgres {} is judged with each query's runs on Postgres {} as its baseline",
        report.postgres_version, older.postgres_version
    ));
    let mut targets = older.targets.clone();
    targets.append(&mut report.targets);
    report.targets = targets;
    report.timings.absorb(older.timings.clone());
    crate::report::upgrade::compare(&older, &mut report, settings.thresholds.regression_ratio);
    output::report(&report, settings.format, settings.output.as_deref())?;
    Ok(if report.verdict == Verdict::Fail { Outcome::Fail } else { Outcome::Pass })
}
