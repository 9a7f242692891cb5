//! The markdown report: a pull-request comment. Summary line, table (failing queries
//! first), then each failing query's findings and shape diffs in collapsible blocks.

use crate::analysis::Severity;
use crate::report::{Report, Verdict};

pub(crate) fn render(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let summary = report.summary();
    let head = if summary.failed == 0 {
        "✅ plangate: pass".to_string()
    } else {
        format!("❌ plangate: {} of {} queries failed", summary.failed, summary.results)
    };
    writeln!(out, "## {head}\n")?;
    writeln!(out, "{summary}\n")?;
    writeln!(out, "| query | case | verdict | work | rows | time ms | growth | budget | findings |")?;
    writeln!(out, "|---|---|---|---:|---:|---:|---|---|---|")?;
    let mut ordered: Vec<_> = report.queries.iter().collect();
    ordered.sort_by_key(|q| q.verdict != Verdict::Fail);
    for q in &ordered {
        for c in &q.cases {
            let last = c.runs.last();
            let growth = match (c.growth_exponent, c.baseline_growth_exponent) {
                (Some(b), Some(base)) => format!("{b:.2} (was {base:.2})"),
                (Some(b), None) => format!("{b:.2}"),
                (None, _) => "–".into(),
            };
            let errors = c.findings.iter().filter(|f| f.severity == Severity::Error).count();
            let findings = if c.findings.is_empty() {
                String::new()
            } else {
                format!("{errors} err, {} warn", c.findings.len() - errors)
            };
            writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} | {growth} | {} | {findings} |",
                q.title(),
                cell(&c.case),
                if c.verdict == Verdict::Fail { "❌ fail" } else { "✅ pass" },
                last.map_or("–".into(), |r| r.work.to_string()),
                last.map_or("–".into(), |r| r.rows_processed.to_string()),
                last.map_or("–".into(), |r| format!("{:.2}", r.time_ms)),
                q.growth_budget,
            )?;
        }
    }
    let forecasts: Vec<_> = ordered
        .iter()
        .flat_map(|q| q.cases.iter().flat_map(move |c| c.forecast.iter().map(move |f| (q, c, f))))
        .collect();
    if !forecasts.is_empty() {
        writeln!(out, "\n**Forecast** (planned with projected statistics, never loaded):\n")?;
        writeln!(out, "| query | case | scale | rows | est. cost | est. rows | plan | findings |")?;
        writeln!(out, "|---|---|---|---:|---:|---:|---|---|")?;
        for (q, c, f) in forecasts {
            let kinds: Vec<String> = c
                .findings
                .iter()
                .filter(|x| x.kind.is_forecast() && x.scale == Some(f.scale))
                .map(|x| format!("`{}`{}", x.kind, if x.severity == Severity::Error { " (error)" } else { "" }))
                .collect();
            writeln!(
                out,
                "| `{}` | {} | {} (forecast) | {} | {:.0} | {:.0} | {} | {} |",
                q.title(),
                cell(&c.case),
                f.scale,
                crate::report::chart::compact(crate::report::forecast_rows(f)),
                f.estimated_cost,
                f.estimated_rows,
                if f.shape_diff.is_some() { "changes" } else { "same" },
                kinds.join(", ")
            )?;
        }
    }
    if let Some(u) = &report.upgrade {
        writeln!(out, "\n**{}**\n", u.headline())?;
        if !u.changes.is_empty() {
            writeln!(out, "| change | query | case | scale | work | time ms |")?;
            writeln!(out, "|---|---|---|---:|---|---|")?;
            for c in &u.changes {
                let mark = match c.change {
                    crate::report::upgrade::Change::Worse => "❌ worse",
                    crate::report::upgrade::Change::Better => "✅ better",
                    other => other.as_str(),
                };
                writeln!(
                    out,
                    "| {mark} | `{}` | {} | {} | {} | {:.2} → {:.2} |",
                    c.query,
                    cell(&c.case),
                    c.scale,
                    c.work(),
                    c.time_from_ms,
                    c.time_to_ms
                )?;
            }
            for c in u.changes.iter().filter(|c| c.shape_diff.is_some()) {
                writeln!(
                    out,
                    "\n<details><summary><code>{}</code> ({}): {}</summary>\n\nShape, Postgres {} → {}:\n\n```diff\n{}```\n</details>",
                    c.query,
                    cell(&c.case),
                    c.change.as_str(),
                    u.from,
                    u.to,
                    c.shape_diff.as_deref().unwrap_or_default()
                )?;
            }
        }
    }
    let skews: Vec<String> =
        ordered.iter().flat_map(|q| q.skew.iter().map(|l| format!("> `{}`: {l}", q.title()))).collect();
    if !skews.is_empty() {
        writeln!(out)?;
        for line in skews {
            writeln!(out, "{line}")?;
        }
    }
    if !report.notes.is_empty() {
        writeln!(out)?;
        for note in &report.notes {
            writeln!(out, "> note: {note}")?;
        }
    }
    for q in ordered.iter().filter(|q| q.verdict == Verdict::Fail) {
        writeln!(out, "\n<details><summary><b>❌ {}</b> (<code>{}</code>)</summary>\n", q.title(), q.file)?;
        if let Some(hint) = &q.hint {
            writeln!(out, "> {hint}\n")?;
        }
        for c in &q.cases {
            for f in &c.findings {
                let sev = if f.severity == Severity::Error { "**error**" } else { "warning" };
                let at = f.at();
                writeln!(out, "- {sev} `{}` ({}){at}: {}", f.kind, c.case, f.detail.replace('\n', " "))?;
            }
            for (scales, d) in crate::report::grouped_diffs(c) {
                writeln!(
                    out,
                    "\nShape at scale {} ({}), baseline → now:\n\n```diff\n{d}```",
                    scales.join(", "),
                    c.case
                )?;
            }
            for (scales, d) in crate::report::generic_diffs(c) {
                writeln!(
                    out,
                    "\nGeneric plan at scale {} ({}), custom → generic:\n\n```diff\n{d}```",
                    scales.join(", "),
                    c.case
                )?;
            }
        }
        writeln!(out, "\n</details>")?;
    }
    Ok(())
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}
