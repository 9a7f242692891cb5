//! `plangate explain`: one query's plan at one scale, as Postgres prints it, with the
//! findings marked on their nodes; `--format json` prints EXPLAIN's raw JSON.

use sqlx::AssertSqlSafe;
use std::fmt::Write as _;

use crate::cli::Format;
use crate::commands::Outcome;
use crate::config::Settings;
use crate::config::catalog::{self, sql_literal};
use crate::error::{DbError, Error, Result, db_message};
use crate::measure;
use crate::pipeline::{Session, measure_then};
use crate::plan::{Explain, NodeRef};

pub(crate) async fn run(
    settings: &Settings,
    query: &str,
    scale: Option<f64>,
    case: Option<&str>,
    generic: bool,
) -> Result<Outcome> {
    if !matches!(settings.format, Format::Terminal | Format::Json) {
        return Err(Error::Argument { flag: "--format".into(), detail: "explain prints `terminal` or `json`".into() });
    }
    let queries = catalog::select(catalog::load(settings)?, &[query.to_string()], None)?;
    if generic && queries[0].param_count == 0 {
        return Err(Error::Argument {
            flag: "--generic".into(),
            detail: format!("query `{query}` has no parameters: its plan is the same generic or custom"),
        });
    }
    let case_index = match case {
        None => 0,
        Some(name) => queries[0].cases.iter().position(|c| c.name == name).ok_or_else(|| Error::Argument {
            flag: "--case".into(),
            detail: format!(
                "query `{query}` has no case `{name}` (it has: {})",
                queries[0].cases.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        })?,
    };
    let mut settings = settings.clone();
    if let Some(s) = scale {
        if !s.is_finite() || s <= 0.0 {
            return Err(Error::Argument { flag: "--scale".into(), detail: format!("{s} must be a positive number") });
        }
        settings.scales = vec![s];
    } else {
        settings.scales = vec![*settings.scales.last().expect("at least one scale")];
    }
    let measured = settings.scales[0];
    if let Some(f) = settings.forecast.iter().find(|&&f| f <= measured) {
        return Err(Error::Argument {
            flag: "--forecast".into(),
            detail: format!("forecast scale {f} is not past the scale explained, {measured}"),
        });
    }
    let json = settings.format == Format::Json;
    let (_, text) = measure_then(&settings, &queries, async |s| render(s, case_index, json, generic).await).await?;
    let mut out = text;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    crate::output::write(settings.output.as_deref(), |_, w| {
        w.extend_from_slice(out.as_bytes());
        Ok(())
    })?;
    Ok(Outcome::Pass)
}

async fn render(s: &mut Session<'_>, case: usize, json: bool, generic: bool) -> Result<String> {
    let measured = render_measured(s, case, json, generic).await?;
    let forecasts = &s.runs[0].cases[case].forecasts;
    if forecasts.is_empty() {
        return Ok(measured);
    }
    if json {
        let run = s.runs[0].cases[case].runs.last().expect("one scale was measured");
        let forecast: Vec<serde_json::Value> = forecasts
            .iter()
            .map(|f| serde_json::json!({ "scale": f.scale, "forecast": true, "plan": f.plan }))
            .collect();
        let both = serde_json::json!({ "scale": run.scale, "plan": run.plan, "forecast": forecast });
        return Ok(serde_json::to_string_pretty(&both).expect("JSON serializes"));
    }
    let mut out = measured;
    for f in forecasts {
        let _ = writeln!(
            out,
            "\n-- {} ({}) at forecast scale {}: planned with projected statistics, never loaded",
            s.queries[0].name, s.queries[0].cases[case].name, f.scale
        );
        let nodes: Vec<NodeRef> = Explain::from_json(&f.plan)
            .map(|e| e.plan.walk().iter().map(|(n, _)| n.node_ref()).collect())
            .unwrap_or_default();
        let mut node = 0;
        for (i, line) in f.text.iter().enumerate() {
            out.push_str(line);
            if i == 0 || line.trim_start().starts_with("->") {
                if let Some(this) = nodes.get(node) {
                    for x in f.findings.iter().filter(|x| x.node.as_ref() == Some(this)) {
                        let _ = write!(out, "    <== {} (forecast): {}", x.kind, x.detail);
                    }
                }
                node += 1;
            }
            out.push('\n');
        }
    }
    Ok(out)
}

async fn render_measured(s: &mut Session<'_>, case: usize, json: bool, generic: bool) -> Result<String> {
    let run = s.runs[0].cases[case].runs.last().expect("one scale was measured");
    let plan = if generic { run.generic.as_ref().and_then(|g| g.plan.as_ref()) } else { run.plan.as_ref() };
    let Some(plan) = plan else {
        return Ok(format!("the query ran past the statement timeout at scale {}", run.scale));
    };
    if json {
        return Ok(serde_json::to_string_pretty(plan).expect("JSON serializes"));
    }
    let literals: Vec<String> = run.params.iter().map(|p| sql_literal(p.as_deref())).collect();
    let args = if literals.is_empty() { String::new() } else { format!("({})", literals.join(", ")) };
    let mode = if generic { "force_generic_plan" } else { "force_custom_plan" };
    let sql = format!(
        "SET plan_cache_mode = {mode}; EXPLAIN (ANALYZE, BUFFERS, SETTINGS) EXECUTE {}{args}",
        measure::statement_name(0)
    );
    let failed = |e: sqlx::Error| Error::QueryFailed {
        query: s.queries[0].name.clone(),
        scale: run.scale,
        message: db_message(&e),
        source: Some(Box::new(DbError(e))),
    };
    let query = &s.queries[0];
    let lines: Vec<String> = if query.writes {
        // A write runs in a copy of the world, never in it.
        let copies = s.copies().ok_or_else(|| Error::Catalog {
            path: query.path.clone(),
            detail: "a write is run in copies of the world, which this backend does not make".into(),
            source: None,
        })?;
        let (set, explain) = sql.split_once("; ").expect("a SET, then EXPLAIN");
        let setup = format!("{set}; PREPARE {} AS {}", measure::statement_name(0), query.statement());
        measure::write::explain_text_in_copy(copies, &setup, explain).await?.map_err(failed)?
    } else {
        sqlx::raw_sql(AssertSqlSafe(sql))
            .fetch_all(&mut s.conn)
            .await
            .map_err(failed)?
            .iter()
            .filter_map(|row| sqlx::Row::try_get::<String, _>(row, 0).ok())
            .collect()
    };
    // Node lines are the first one and those with "->", in the JSON plan's depth-first order.
    let nodes: Vec<NodeRef> =
        Explain::from_json(plan).map(|e| e.plan.walk().iter().map(|(n, _)| n.node_ref()).collect()).unwrap_or_default();
    let mut out = format!(
        "-- {} ({}) at scale {} with {:?}{}\n",
        s.queries[0].name,
        s.queries[0].cases[case].name,
        run.scale,
        run.params.iter().map(|p| p.as_deref().unwrap_or("NULL")).collect::<Vec<_>>(),
        match run.generic.as_ref().filter(|_| generic) {
            Some(g) if g.chosen => ": the generic plan, which the server settles on after its first custom plans",
            Some(_) => ": the generic plan (the server keeps planning custom plans for these values)",
            None => "",
        }
    );
    if generic {
        for f in run.findings.iter().filter(|f| f.kind == crate::analysis::Kind::GenericPlan) {
            let _ = writeln!(out, "-- {}: {}", f.kind, f.detail);
        }
    }
    let mut node = 0;
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        if i == 0 || line.trim_start().starts_with("->") {
            if let Some(this) = nodes.get(node) {
                for f in run.findings.iter().filter(|f| !generic && f.node.as_ref() == Some(this)) {
                    let _ = write!(out, "    <== {}: {}", f.kind, f.detail);
                }
            }
            node += 1;
        }
        out.push('\n');
    }
    if run.trigger_work > 0 || !run.triggers.is_empty() {
        let _ = writeln!(out, "Outside the plan: {} blocks (triggers and foreign-key checks)", run.trigger_work);
        for t in &run.triggers {
            let blocks = t.blocks.map_or_else(|| "blocks not told apart".to_string(), |b| format!("{b} blocks"));
            let _ = writeln!(out, "  {} on {}: {} calls, {blocks}", t.name, t.table, t.calls);
        }
    }
    Ok(out)
}
