//! `plangate bless`: run the catalog and (re)write the baselines of the queries that ran.

use crate::baseline::{self, Baseline, BaselineCase, BaselineRun};
use crate::catalog;
use crate::commands::{check::build_report, measure_catalog, progress};
use crate::error::Result;
use crate::report::{Verdict, round2};
use crate::settings::{Settings, hex_sha256};
use crate::{Outcome, emit};

pub async fn run(settings: &Settings, names: &[String]) -> Result<Outcome> {
    let queries = catalog::select(catalog::load(settings)?, names, settings.partition)?;
    let measured = measure_catalog(settings, &queries).await?;
    // Budgets still apply; judge without baselines so the report says what fails regardless.
    let mut new_baselines = Vec::new();
    for qr in &measured.runs {
        let mut cases = Vec::new();
        for c in &qr.cases {
            let verdict = crate::analysis::compare::evaluate(c, qr.query.growth, None, &settings.thresholds);
            cases.push(BaselineCase {
                case: c.case.clone(),
                growth_exponent: verdict.exponent.map(round2),
                runs: c
                    .runs
                    .iter()
                    .map(|r| BaselineRun {
                        scale: r.scale,
                        rows: r.rows.clone(),
                        params: r.params.clone(),
                        shape: r.shape.clone(),
                        work: r.work,
                        time_ms: round2(r.time_ms),
                        plan_rows: r.plan_rows,
                        actual_rows: r.actual_rows,
                        findings: r.findings.clone(),
                    })
                    .collect(),
            });
        }
        new_baselines.push(Baseline {
            format_version: baseline::FORMAT_VERSION,
            query: qr.query.name.clone(),
            sql_sha256: hex_sha256(qr.query.sql.as_bytes()),
            postgres_version: measured.postgres_version.clone(),
            config_sha256: settings.config_sha256.clone(),
            cases,
        });
    }
    let report = build_report(settings, measured, &new_baselines.iter().cloned().map(Some).collect::<Vec<_>>());
    for b in &new_baselines {
        let path = baseline::write(&settings.baselines_dir(), b)?;
        progress(&format!("blessed {}", path.strip_prefix(&settings.root).unwrap_or(&path).display()));
    }
    emit(settings, &report)?;
    Ok(if report.verdict == Verdict::Fail { Outcome::Fail } else { Outcome::Pass })
}
