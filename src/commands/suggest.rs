//! `plangate suggest`: index candidates from each query's text and plan, verified by
//! building them at the largest scale and re-running the catalog.

use std::collections::BTreeMap;
use std::path::Path;

use sqlx::{AssertSqlSafe, Row};

use crate::cli::Format;
use crate::commands::{Session, measure_then, progress};
use crate::config::Settings;
use crate::config::catalog::{self, Query};
use crate::datagen::load::statistics_target;
use crate::error::{Error, Result, db_message};
use crate::measure::{self, AtScale};
use crate::plan::Explain;
use crate::suggest::{self, Candidate, Suggestion, Suggestions};
use crate::{Outcome, report};

/// The name candidates are built under while they are measured.
const CANDIDATE: &str = "plangate_candidate";

pub async fn run(settings: &Settings, names: &[String], from: Option<&Path>) -> Result<Outcome> {
    if !matches!(settings.format, Format::Terminal | Format::Json) {
        return Err(Error::Argument { flag: "--format".into(), detail: "suggest prints `terminal` or `json`".into() });
    }
    let all = catalog::load(settings)?;
    let names = match from {
        Some(path) => failing_in_report(path)?,
        None => names.to_vec(),
    };
    let found = if from.is_some() && names.is_empty() {
        progress("the report has no failing queries: nothing to suggest");
        Vec::new()
    } else {
        let queries = catalog::select(all, &names, settings.partition)?;
        let (_, found) = measure_then(settings, &queries, async |s| verify(settings, s).await).await?;
        found
    };
    emit(settings, &Suggestions { format_version: 1, suggestions: found })?;
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

// Long: each candidate is built, measured, dropped and ranked in turn, on one session.
/// Build each candidate at the largest scale, re-run, and keep what cuts work at least in
/// half for some case without making another query of the run worse.
async fn verify(settings: &Settings, s: &mut Session<'_>) -> Result<Vec<Suggestion>> {
    // Candidates are built in the world and dropped again: it is not kept for another run.
    s.world_changed = true;
    let pg = |what: &str, e: sqlx::Error| Error::postgres(what, e);
    let mut indexdefs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in sqlx::query(
        "SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END AS tbl,
                pg_get_indexdef(i.indexrelid) AS def
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_all(&mut s.conn)
    .await
    .map_err(|e| pg("reading existing indexes", e))?
    {
        indexdefs.entry(r.get("tbl")).or_default().push(r.get("def"));
    }
    // Each case at the largest scale before any candidate: [query][case].
    let before: Vec<Vec<Before>> = s
        .runs
        .iter()
        .map(|q| {
            q.cases
                .iter()
                .map(|c| match c.runs.last() {
                    Some(r) => Before { work: r.work, time_ms: r.time_ms, params: r.params.clone() },
                    None => Before { work: 0, time_ms: 0.0, params: Vec::new() },
                })
                .collect()
        })
        .collect();
    let largest = s.table_rows.values().copied().max().unwrap_or(0);
    let table_rows = s.table_rows.clone();
    let at = AtScale {
        scale: s.scale,
        table_rows: &table_rows,
        thresholds: &settings.thresholds,
        seed: settings.seed,
        sample_shape: false,
    };

    let mut found: Vec<(u64, Suggestion)> = Vec::new();
    for (qi, q) in s.queries.iter().enumerate() {
        let mut tried: Vec<Candidate> = Vec::new();
        for run in s.runs[qi].cases.iter().filter_map(|c| c.runs.last()) {
            let Some(plan) = run.plan.as_ref().and_then(|p| Explain::from_json(p).ok()) else { continue };
            for c in suggest::candidates(&q.statement(), &plan.plan, &s.catalog, &indexdefs) {
                if !tried.contains(&c) {
                    tried.push(c);
                }
            }
        }
        for cand in tried {
            let ddl = cand.ddl(false, CANDIDATE);
            if let Err(e) = sqlx::raw_sql(AssertSqlSafe(ddl.clone())).execute(&mut s.conn).await {
                progress(&format!("{}: cannot build {ddl}: {}", q.name, db_message(&e)));
                continue;
            }
            let measured = measure_candidate(&mut s.conn, s.queries, at, (qi, q), &cand, largest, &before).await;
            sqlx::raw_sql(AssertSqlSafe(format!("DROP INDEX {CANDIDATE}")))
                .execute(&mut s.conn)
                .await
                .map_err(|e| pg("dropping a candidate index", e))?;
            let Some((case, after, size)) = measured? else { continue };
            let (work_before, time_before_ms) = (before[qi][case].work, before[qi][case].time_ms);
            progress(&format!("{}: {} cuts work from {work_before} to {} blocks", q.name, cand.name(), after.0));
            found.push((
                work_before - after.0,
                Suggestion {
                    query: q.name.clone(),
                    case: s.runs[qi].cases[case].case.clone(),
                    table: cand.table.clone(),
                    ddl: cand.ddl(true, &cand.name()),
                    columns: cand.columns.iter().map(ToString::to_string).collect(),
                    include: cand.include.clone(),
                    predicate: cand.predicate.as_ref().map(ToString::to_string),
                    scale: s.scale,
                    work_before,
                    work_after: after.0,
                    time_before_ms,
                    time_after_ms: report::round2(after.1),
                    size_bytes: size,
                },
            ));
        }
    }
    // Most work saved first; of equals, the smaller index.
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.size_bytes.cmp(&b.1.size_bytes)));
    Ok(found.into_iter().map(|(_, s)| s).collect())
}

/// A case at the largest scale before any candidate: candidates are measured with the
/// same parameter values, and must halve its work.
struct Before {
    work: u64,
    time_ms: f64,
    params: Vec<Option<String>>,
}

/// With the candidate built: the case it helps most with its (work, time) after and the
/// index size, or None when it does not halve work or makes another query worse.
async fn measure_candidate(
    conn: &mut sqlx::PgConnection,
    queries: &[Query],
    at: AtScale<'_>,
    (qi, q): (usize, &Query),
    cand: &Candidate,
    largest: u64,
    before: &[Vec<Before>],
) -> Result<Option<(usize, (u64, f64), i64)>> {
    if cand.columns.iter().any(suggest::IndexKey::is_expression) {
        // Expression indexes have statistics of their own; sample the whole table, as the loader does.
        let sql = format!("SET default_statistics_target = {}; ANALYZE {}", statistics_target(largest), cand.table);
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await
            .map_err(|e| Error::postgres("analyzing a candidate", e))?;
    }
    let size: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT pg_relation_size('{CANDIDATE}')")))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| Error::postgres("measuring a candidate's size", e))?;
    let mut best: Option<(usize, (u64, f64))> = None;
    for (ci, case) in q.cases.iter().enumerate() {
        let run = measure::run_case(&mut *conn, at, q, qi, case, Some(&before[qi][ci].params)).await?;
        let was = before[qi][ci].work;
        if run.work * 2 <= was && best.is_none_or(|(bi, b)| was - run.work > before[qi][bi].work - b.0) {
            best = Some((ci, (run.work, run.time_ms)));
        }
    }
    let Some((case, after)) = best else { return Ok(None) };
    for (oi, other) in queries.iter().enumerate().filter(|(oi, _)| *oi != qi) {
        for (ci, case) in other.cases.iter().enumerate() {
            let run = measure::run_case(&mut *conn, at, other, oi, case, Some(&before[oi][ci].params)).await?;
            #[expect(clippy::cast_precision_loss)]
            if run.work as f64 > at.thresholds.regression_ratio * before[oi][ci].work.max(1) as f64 {
                progress(&format!("{}: {} would make `{}` worse; left out", q.name, cand.name(), other.name));
                return Ok(None);
            }
        }
    }
    Ok(Some((case, after, size)))
}

fn emit(settings: &Settings, s: &Suggestions) -> Result<()> {
    let mut out = Vec::new();
    if settings.format == Format::Json {
        serde_json::to_writer_pretty(&mut out, s).expect("suggestions serialize");
        out.push(b'\n');
    } else {
        render_terminal(s, &mut out);
    }
    if let Some(path) = &settings.output {
        std::fs::write(path, out).map_err(|source| Error::Write { path: path.clone(), source })
    } else {
        std::io::Write::write_all(&mut std::io::stdout(), &out)
            .map_err(|source| Error::Write { path: "<stdout>".into(), source })
    }
}

fn render_terminal(s: &Suggestions, out: &mut Vec<u8>) {
    use std::io::Write;
    if s.suggestions.is_empty() {
        let _ = writeln!(out, "no index cuts the work of these queries by half or more");
        return;
    }
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    table.set_header(["query", "case", "work before", "work after", "time before ms", "time after ms", "index size"]);
    for x in &s.suggestions {
        table.add_row(vec![
            x.query.clone(),
            x.case.clone(),
            x.work_before.to_string(),
            x.work_after.to_string(),
            format!("{:.2}", x.time_before_ms),
            format!("{:.2}", x.time_after_ms),
            format!("{} kB", x.size_bytes / 1024),
        ]);
    }
    let _ = writeln!(out, "{table}\n");
    for x in &s.suggestions {
        let _ = writeln!(
            out,
            "-- {} ({}): work {} -> {} blocks at scale {}",
            x.query, x.case, x.work_before, x.work_after, x.scale
        );
        let _ = writeln!(out, "{};\n", x.ddl);
    }
}
