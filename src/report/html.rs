//! The HTML report: one self-contained file (no external assets). Summary, then per query
//! and case log-log SVG charts of work (with the baseline) and time over the scales, the
//! points where the plan changed, findings and shape diffs.

use crate::analysis::Severity;
use crate::plan::shape;
use crate::report::chart::{self, Series};
use crate::report::{CaseReport, Report, RunReport, Verdict};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2330;max-width:1120px}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #d0d4db;padding:.3rem .6rem;text-align:left}
th{background:#f3f4f7}.fail{color:#c01c28;font-weight:600}.pass{color:#26a269}.charts{display:flex;flex-wrap:wrap;gap:1rem}
pre{background:#f6f8fa;padding:.6rem;overflow:auto}.del{color:#c01c28}.ins{color:#26a269}section{margin-top:2rem}
.error{color:#c01c28}.warning{color:#9c6500}.forecast{font-style:italic;color:#6a3d9a}";

/// The x value of a run: rows of the largest table it reads, else its scale.
#[expect(clippy::cast_precision_loss)]
pub(crate) fn rows_of(r: &RunReport) -> f64 {
    r.rows.values().max().map_or(r.scale, |v| *v as f64)
}

/// x values where the shape differs from the previous scale's.
pub(crate) fn flips(runs: &[RunReport]) -> Vec<f64> {
    shape::flips(runs.iter().map(|r| r.shape.as_str())).into_iter().map(|i| rows_of(&runs[i])).collect()
}

pub(crate) fn render(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>plangate report</title><style>{STYLE}</style></head><body>"
    )?;
    let verdict = if report.verdict == Verdict::Fail {
        "<span class=\"fail\">FAIL</span>"
    } else {
        "<span class=\"pass\">pass</span>"
    };
    writeln!(out, "<h1>plangate: {verdict}</h1><p>{}</p>", esc(&report.summary().to_string()))?;
    writeln!(
        out,
        "<table><tr><th>query</th><th>case</th><th>verdict</th><th>work</th><th>time ms</th><th>growth</th><th>budget</th><th>findings</th></tr>"
    )?;
    for q in &report.queries {
        for c in &q.cases {
            let last = c.runs.last();
            writeln!(
                out,
                "<tr><td><a href=\"#{}\">{}</a></td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&q.anchor()),
                esc(&q.title()),
                esc(&c.case),
                if c.verdict == Verdict::Fail { "fail" } else { "pass" },
                if c.verdict == Verdict::Fail { "fail" } else { "pass" },
                last.map_or("-".into(), |r| r.work.to_string()),
                last.map_or("-".into(), |r| format!("{:.2}", r.time_ms)),
                c.growth_exponent.map_or("-".into(), |b| format!("{b:.2}")),
                esc(&q.growth_budget),
                c.findings.len()
            )?;
        }
    }
    writeln!(out, "</table>")?;
    if let Some(u) = &report.upgrade {
        writeln!(out, "<h2>{}</h2>", esc(&u.headline()))?;
        if !u.changes.is_empty() {
            writeln!(
                out,
                "<table><tr><th>change</th><th>query</th><th>case</th><th>scale</th><th>work</th><th>time ms</th><th>shape diff</th></tr>"
            )?;
            for c in &u.changes {
                let class = match c.change {
                    crate::report::upgrade::Change::Worse => "fail",
                    crate::report::upgrade::Change::Better => "pass",
                    _ => "",
                };
                writeln!(
                    out,
                    "<tr><td class=\"{class}\">{}</td><td><a href=\"#{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{:.2} &rarr; {:.2}</td><td><pre>{}</pre></td></tr>",
                    c.change.as_str(),
                    esc(&c.query),
                    esc(&c.query),
                    esc(&c.case),
                    c.scale,
                    esc(&c.work()),
                    c.time_from_ms,
                    c.time_to_ms,
                    esc(c.shape_diff.as_deref().unwrap_or_default())
                )?;
            }
            writeln!(out, "</table>")?;
        }
    }
    for note in &report.notes {
        writeln!(out, "<p><em>note: {}</em></p>", esc(note))?;
    }
    let mut ordered: Vec<_> = report.queries.iter().collect();
    ordered.sort_by_key(|q| q.verdict != Verdict::Fail);
    for q in ordered {
        writeln!(
            out,
            "<section id=\"{}\"><h2>{} <small>({})</small></h2>",
            esc(&q.anchor()),
            esc(&q.title()),
            esc(&q.file)
        )?;
        for line in &q.skew {
            writeln!(out, "<p class=\"skew\">{}</p>", esc(line))?;
        }
        for note in q.baseline_note.iter().chain(q.hint.iter()) {
            writeln!(out, "<p><em>{}</em></p>", esc(note))?;
        }
        for c in &q.cases {
            case(out, c)?;
        }
        writeln!(out, "</section>")?;
    }
    writeln!(out, "</body></html>")
}

fn case(out: &mut dyn std::io::Write, c: &CaseReport) -> std::io::Result<()> {
    writeln!(out, "<h3>case {}</h3>", esc(&c.case))?;
    let flips = flips(&c.runs);
    #[expect(clippy::cast_precision_loss)]
    let work: Vec<(f64, f64)> = c.runs.iter().map(|r| (rows_of(r), r.work.max(1) as f64)).collect();
    #[expect(clippy::cast_precision_loss)]
    let base: Vec<(f64, f64)> =
        c.runs.iter().filter_map(|r| r.baseline_work.map(|b| (rows_of(r), b.max(1) as f64))).collect();
    let time: Vec<(f64, f64)> = c.runs.iter().map(|r| (rows_of(r), r.time_ms.max(0.001))).collect();
    let mut work_series = vec![Series { label: "work", points: work, color: chart::WORK, dashed: false }];
    if !base.is_empty() {
        work_series.push(Series { label: "baseline work", points: base, color: chart::BASELINE, dashed: true });
    }
    let exponent = c.growth_exponent.map(|b| format!(" (rows^{b:.2})")).unwrap_or_default();
    writeln!(out, "<div class=\"charts\">")?;
    writeln!(out, "{}", chart::svg(&format!("work, blocks{exponent}"), "blocks", &work_series, &flips))?;
    writeln!(
        out,
        "{}",
        chart::svg(
            "execution time",
            "ms",
            &[Series { label: "time", points: time, color: chart::TIME, dashed: false }],
            &flips
        )
    )?;
    if !c.forecast.is_empty() {
        forecast(out, c)?;
    }
    writeln!(out, "</div>")?;
    if !c.forecast.is_empty() {
        writeln!(
            out,
            "<table class=\"forecast\"><tr><th>forecast scale</th><th>rows</th><th>est. cost</th><th>est. rows</th><th>plan</th></tr>"
        )?;
        for f in &c.forecast {
            writeln!(
                out,
                "<tr class=\"forecast\"><td>{} (forecast)</td><td>{:.0}</td><td>{:.0}</td><td>{:.0}</td><td>{}</td></tr>",
                f.scale,
                crate::report::forecast_rows(f),
                f.estimated_cost,
                f.estimated_rows,
                f.shape_diff
                    .as_deref()
                    .map_or_else(|| "same".to_string(), |d| format!("changes:<pre>{}</pre>", esc(d)))
            )?;
        }
        writeln!(
            out,
            "</table><p class=\"forecast\">Forecast points are planned with projected statistics, never loaded.</p>"
        )?;
    }
    if !flips.is_empty() {
        let at: Vec<String> = flips.iter().map(|f| format!("{f:.0}")).collect();
        writeln!(out, "<p>The plan changes at {} rows (red lines).</p>", at.join(", "))?;
    }
    if !c.findings.is_empty() {
        writeln!(out, "<ul>")?;
        for f in &c.findings {
            let sev = if f.severity == Severity::Error { "error" } else { "warning" };
            let at = f.at();
            writeln!(out, "<li class=\"{sev}\">{sev} <code>{}</code>{at}: {}</li>", f.kind, esc(&f.detail))?;
        }
        writeln!(out, "</ul>")?;
    }
    let diffs = crate::report::grouped_diffs(c).into_iter().map(|d| (d, "Shape", "baseline → now"));
    let generic = crate::report::generic_diffs(c).into_iter().map(|d| (d, "Generic plan", "custom → generic"));
    for ((scales, d), what, direction) in diffs.chain(generic) {
        writeln!(out, "<p>{what} at scale {}, {direction}:</p><pre>", scales.join(", "))?;
        for line in d.lines() {
            let class = match line.chars().next() {
                Some('-') => "del",
                Some('+') => "ins",
                _ => "",
            };
            writeln!(out, "<span class=\"{class}\">{}</span>", esc(line))?;
        }
        writeln!(out, "</pre>")?;
    }
    if let Some(last) = c.runs.last() {
        writeln!(
            out,
            "<details><summary>plan shape at scale {}</summary><pre>{}</pre></details>",
            last.scale,
            esc(&last.shape)
        )?;
    }
    Ok(())
}

/// The estimated cost over rows: the measured runs' and, dashed, the forecast points'.
fn forecast(out: &mut dyn std::io::Write, c: &CaseReport) -> std::io::Result<()> {
    let measured: Vec<(f64, f64)> =
        c.runs.iter().filter_map(|r| r.estimated_cost.map(|cost| (rows_of(r), cost.max(0.001)))).collect();
    let forecast: Vec<(f64, f64)> = measured
        .last()
        .copied()
        .into_iter()
        .chain(c.forecast.iter().map(|f| (crate::report::forecast_rows(f), f.estimated_cost.max(0.001))))
        .collect();
    let flips: Vec<f64> =
        c.forecast.iter().filter(|f| f.shape_diff.is_some()).take(1).map(crate::report::forecast_rows).collect();
    let series = [
        Series { label: "measured", points: measured, color: chart::WORK, dashed: false },
        Series { label: "forecast", points: forecast, color: chart::FORECAST, dashed: true },
    ];
    writeln!(out, "{}", chart::svg("estimated cost, measured and forecast", "cost", &series, &flips))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
