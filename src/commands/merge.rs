//! `plangate merge`: the JSON reports of partitioned jobs (`check --partition K/N`), or of
//! a version matrix run on separate runners, as one report with the combined verdict.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::cli::Format;
use crate::commands::Outcome;
use crate::error::{Error, Result};
use crate::report::{self, QueryReport, Report, Verdict};

pub(crate) fn run(paths: &[PathBuf], format: Format, output: Option<&Path>) -> Result<Outcome> {
    let mut reports = Vec::new();
    for path in paths {
        reports.push((path.as_path(), read(path)?));
    }
    let merged = merge(&reports)?;
    crate::output::report(&merged, format, output)?;
    Ok(if merged.verdict == Verdict::Fail { Outcome::Fail } else { Outcome::Pass })
}

/// One report, refused unless it is a `check --format json` report of this format version.
fn read(path: &Path) -> Result<Report> {
    let bad = |detail: String| Error::Report { path: path.to_path_buf(), detail, source: None };
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not a JSON report ({e})")).because(e))?;
    match value.get("format_version").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(report::FORMAT_VERSION) => {}
        Some(v) => {
            return Err(bad(format!(
                "report format_version {v}; this plangate merges format_version {} (merge with the plangate that wrote it)",
                report::FORMAT_VERSION
            )));
        }
        None => return Err(bad("no format_version: not a `plangate check --format json` report".into())),
    }
    serde_json::from_value(value).map_err(|e| bad(format!("not a plangate report ({e})")).because(e))
}

/// The reports as one: every target and query once, in the order a single run reports
/// them (target by target, queries by name), the verdict failing when any query fails.
/// Reports of another config, seed or set of scales are refused, as are overlapping ones
/// and an incomplete set of partitions.
fn merge(reports: &[(&Path, Report)]) -> Result<Report> {
    let (first_path, first) = reports
        .first()
        .map(|(p, r)| (*p, r.clone()))
        .ok_or_else(|| Error::Argument { flag: "REPORT".into(), detail: "give the JSON reports to merge".into() })?;
    for (path, r) in &reports[1..] {
        let differs = |what: &str, a: String, b: String| Error::Report {
            path: path.to_path_buf(),
            detail: format!(
                "{what} {b} differs from {a} in {}: reports of one run have the same config, seed and scales",
                first_path.display()
            ),
            source: None,
        };
        if r.config_sha256 != first.config_sha256 {
            return Err(differs(
                "config (plangate.toml SHA-256)",
                first.config_sha256.clone(),
                r.config_sha256.clone(),
            ));
        }
        if r.seed != first.seed {
            return Err(differs("seed", first.seed.to_string(), r.seed.to_string()));
        }
        if r.scales != first.scales {
            return Err(differs("scales", format!("{:?}", first.scales), format!("{:?}", r.scales)));
        }
    }
    check_partitions(reports)?;

    let mut targets = Vec::new();
    for (_, r) in reports {
        for t in &r.targets {
            let same = |x: &report::TargetReport| {
                x.backend == t.backend && x.image == t.image && x.postgres_version == t.postgres_version
            };
            if !targets.iter().any(same) {
                targets.push(t.clone());
            }
        }
    }
    let matrix = targets.len() > 1;
    let mut queries: Vec<(usize, QueryReport)> = Vec::new();
    let mut seen: Vec<(String, String, &Path)> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut timings: Option<report::Timings> = None;
    for (path, r) in reports {
        for q in &r.queries {
            let key = (q.name.clone(), q.postgres_version.clone());
            if let Some((_, _, other)) = seen.iter().find(|(n, v, _)| (n, v) == (&key.0, &key.1)) {
                return Err(Error::Report {
                    path: path.to_path_buf(),
                    detail: format!(
                        "query `{}` (Postgres {}) is also in {}: merge reports of different partitions or versions",
                        q.name,
                        q.postgres_version,
                        other.display()
                    ),
                    source: None,
                });
            }
            seen.push((key.0, key.1, path));
            let mut q = q.clone();
            // With several targets, each query says which one it ran on.
            if matrix && q.image.is_none() {
                q.image =
                    r.targets.iter().find(|t| t.postgres_version == q.postgres_version).and_then(|t| t.image.clone());
            }
            let target = targets.iter().position(|t| t.postgres_version == q.postgres_version).unwrap_or(0);
            queries.push((target, q));
        }
        for n in &r.notes {
            if !notes.contains(n) {
                notes.push(n.clone());
            }
        }
        match &mut timings {
            Some(t) => t.absorb(r.timings.clone()),
            None => timings = Some(r.timings.clone()),
        }
    }
    queries.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.name.cmp(&b.1.name)));
    let queries: Vec<QueryReport> = queries.into_iter().map(|(_, q)| q).collect();
    let verdict = if queries.iter().any(|q| q.verdict == Verdict::Fail) { Verdict::Fail } else { Verdict::Pass };
    Ok(Report {
        verdict,
        postgres_version: targets.first().map_or(first.postgres_version.clone(), |t| t.postgres_version.clone()),
        backend: targets.first().map_or(first.backend.clone(), |t| t.backend.clone()),
        targets,
        queries,
        notes,
        timings: timings.unwrap_or_default(),
        partition: None,
        ..first
    })
}

/// Partitioned reports must be all of one N, each K once, and every K from 1 to N there.
fn check_partitions(reports: &[(&Path, Report)]) -> Result<()> {
    let parts: Vec<(&Path, &str, usize, usize)> = reports
        .iter()
        .filter_map(|(p, r)| {
            let (k, n) = r.partition.as_deref()?.split_once('/')?;
            Some((*p, r.postgres_version.as_str(), k.parse().ok()?, n.parse().ok()?))
        })
        .collect();
    let Some(&(first, _, _, n)) = parts.first() else { return Ok(()) };
    if let Some((path, _, _, other)) = parts.iter().find(|(_, _, _, m)| *m != n) {
        return Err(Error::Report {
            path: path.to_path_buf(),
            detail: format!("partition of {other} jobs, but {} is of {n}", first.display()),
            source: None,
        });
    }
    // A version matrix has each partition once per version.
    let versions: BTreeSet<&str> = parts.iter().map(|(_, v, _, _)| *v).collect();
    for v in versions {
        let have: BTreeSet<usize> = parts.iter().filter(|(_, pv, _, _)| *pv == v).map(|(_, _, k, _)| *k).collect();
        let missing: Vec<String> = (1..=n).filter(|k| !have.contains(k)).map(|k| format!("{k}/{n}")).collect();
        if !missing.is_empty() {
            return Err(Error::Argument {
                flag: "REPORT".into(),
                detail: format!(
                    "partition {} of Postgres {v} is missing: the merged verdict would leave its queries out",
                    missing.join(", ")
                ),
            });
        }
    }
    Ok(())
}
