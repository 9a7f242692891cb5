//! `plangate suggest`: index and extended-statistics candidates from each query's text and
//! plan, verified by building them at the largest scale and re-running the catalog; with
//! the whole catalog, one set of them for the failing queries, checked built together.

use std::path::Path;

use crate::baseline;
use crate::cli::Format;
use crate::config::Settings;
use crate::config::catalog;
use crate::error::{Error, Result};
use crate::output;
use crate::pipeline::{measure_then, verify::verify};
use crate::progress::line as progress;
use crate::report;
use crate::suggest::Suggestions;

use super::Outcome;

pub(crate) async fn run(settings: &Settings, names: &[String], from: Option<&Path>, verbose: bool) -> Result<Outcome> {
    if !matches!(settings.format, Format::Terminal | Format::Json) {
        return Err(Error::Argument { flag: "--format".into(), detail: "suggest prints `terminal` or `json`".into() });
    }
    let all = catalog::load(settings)?;
    let names = match from {
        Some(path) => failing_in_report(path)?,
        None => names.to_vec(),
    };
    let whole_catalog = names.is_empty() && from.is_none();
    let found = if from.is_some() && names.is_empty() {
        progress("the report has no failing queries: nothing to suggest");
        Suggestions {
            format_version: 1,
            suggestions: Vec::new(),
            migration: None,
            existing: Vec::new(),
            tried: Vec::new(),
            no_candidates: Vec::new(),
        }
    } else {
        let queries = catalog::select(all, &names, settings.partition)?;
        let mut baselines = Vec::new();
        for q in &queries {
            baselines.push(baseline::read(&baseline::path_for(&settings.baselines_dir(), &q.name))?);
        }
        let (_, found) =
            measure_then(settings, &queries, async |s| verify(settings, s, &baselines, whole_catalog).await).await?;
        found
    };
    output::write(settings.output.as_deref(), |_, out| {
        if settings.format == Format::Json {
            serde_json::to_writer_pretty(&mut *out, &found)?;
            out.push(b'\n');
            Ok(())
        } else {
            report::suggestions::render(&found, verbose, out)
        }
    })?;
    Ok(Outcome::Pass)
}

/// The failing queries of a saved `check --format json` report.
fn failing_in_report(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    let bad =
        |detail: String| Error::Argument { flag: "--from".into(), detail: format!("{}: {detail}", path.display()) };
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(format!("not a JSON report ({e})")))?;
    if v.get("format_version").and_then(serde_json::Value::as_u64) != Some(u64::from(report::FORMAT_VERSION)) {
        return Err(bad(format!("not a plangate report of format_version {}", report::FORMAT_VERSION)));
    }
    let queries = v.get("queries").and_then(|q| q.as_array()).ok_or_else(|| bad("no `queries`".into()))?;
    Ok(queries
        .iter()
        .filter(|q| q.get("verdict").and_then(|x| x.as_str()) == Some("fail"))
        .filter_map(|q| q.get("name").and_then(|n| n.as_str()).map(str::to_string))
        .collect())
}
