//! The terminal report: a summary table, then findings and shape diffs of failing queries.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ContentArrangement, Table};

use crate::analysis::Severity;
use crate::report::{Report, Verdict};

// Long: the terminal report from top to bottom, in the order it prints.
pub(crate) fn render(report: &Report, color: bool, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if !color {
        table.force_no_tty();
    }
    table.set_header(["query", "case", "verdict", "work", "rows", "time ms", "growth", "budget", "findings"]);
    for q in &report.queries {
        for c in &q.cases {
            let last = c.runs.last();
            let verdict = match c.verdict {
                Verdict::Pass => Cell::new("pass").fg(Color::Green),
                Verdict::Fail => Cell::new("FAIL").fg(Color::Red),
            };
            let growth = match (c.growth_exponent, c.baseline_growth_exponent) {
                (Some(b), Some(base)) => format!("{b:.2} (was {base:.2})"),
                (Some(b), None) => format!("{b:.2}"),
                (None, _) => "-".into(),
            };
            let errors = c.findings.iter().filter(|f| f.severity == Severity::Error).count();
            let warnings = c.findings.len() - errors;
            let mut kinds: Vec<&str> = Vec::new();
            for f in &c.findings {
                if !kinds.contains(&f.kind.as_str()) {
                    kinds.push(f.kind.as_str());
                }
            }
            let findings = match (errors, warnings) {
                (0, 0) => String::new(),
                _ => format!("{errors} err, {warnings} warn: {}", kinds.join(", ")),
            };
            table.add_row(vec![
                Cell::new(q.title()),
                Cell::new(&c.case),
                verdict,
                Cell::new(last.map_or("-".into(), |r| r.work.to_string())),
                Cell::new(last.map_or("-".into(), |r| r.rows_processed.to_string())),
                Cell::new(last.map_or("-".into(), |r| format!("{:.2}", r.time_ms))),
                Cell::new(growth),
                Cell::new(&q.growth_budget),
                Cell::new(findings),
            ]);
        }
    }
    writeln!(out, "{table}")?;
    forecast_table(report, color, out)?;
    upgrade_table(report, color, out)?;

    for q in &report.queries {
        for line in &q.skew {
            writeln!(out, "{}: {line}", q.title())?;
        }
    }
    for q in &report.queries {
        if let Some(note) = &q.baseline_note {
            writeln!(out, "note: {}: {note}", q.title())?;
        }
    }
    for note in &report.notes {
        writeln!(out, "note: {note}")?;
    }
    for q in report.queries.iter().filter(|q| q.verdict == Verdict::Fail) {
        writeln!(out)?;
        writeln!(out, "{} ({})", paint(&format!("FAIL {}", q.title()), "1;31", color), q.file)?;
        if let Some(hint) = &q.hint {
            writeln!(out, "  hint: {hint}")?;
        }
        for c in &q.cases {
            for f in &c.findings {
                let sev = match f.severity {
                    Severity::Error => paint("error", "31", color),
                    Severity::Warning => paint("warning", "33", color),
                };
                let at = f.at();
                let node = f.node.as_ref().map(|n| format!(" [{n}]")).unwrap_or_default();
                writeln!(out, "  {sev}: {} ({}){at}{node}: {}", f.kind, c.case, f.detail)?;
            }
            // Identical diffs at several scales are shown once.
            let diffs = crate::report::grouped_diffs(c).into_iter().map(|d| (d, "shape diff", "baseline -> now"));
            let generic = crate::report::generic_diffs(c).into_iter().map(|d| (d, "generic plan", "custom -> generic"));
            for ((scales, d), what, direction) in diffs.chain(generic) {
                let s = if scales.len() > 1 { "s" } else { "" };
                writeln!(out, "  {what} at scale{s} {} (case {}), {direction}:", scales.join(", "), c.case)?;
                diff_lines(d, color, out)?;
            }
        }
    }
    writeln!(out)?;
    let verdict = match report.verdict {
        Verdict::Pass => paint("pass", "32", color),
        Verdict::Fail => paint("FAIL", "1;31", color),
    };
    writeln!(out, "{verdict}: {}", report.summary())
}

/// The cases that differ between the two versions of `plangate upgrade`, worst first,
/// each with its shape diff.
fn upgrade_table(report: &Report, color: bool, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use crate::report::upgrade::Change;
    let Some(u) = &report.upgrade else { return Ok(()) };
    writeln!(out, "\n{}", u.headline())?;
    if u.changes.is_empty() {
        return Ok(());
    }
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if !color {
        table.force_no_tty();
    }
    table.set_header(["change", "query", "case", "scale", "work", "time ms", "plan"]);
    for c in &u.changes {
        let change = match c.change {
            Change::Worse => Cell::new("WORSE").fg(Color::Red),
            Change::Better => Cell::new("better").fg(Color::Green),
            other => Cell::new(other.as_str()),
        };
        table.add_row(vec![
            change,
            Cell::new(&c.query),
            Cell::new(&c.case),
            Cell::new(c.scale),
            Cell::new(c.work()),
            Cell::new(format!("{:.2} -> {:.2}", c.time_from_ms, c.time_to_ms)),
            Cell::new(if c.shape_diff.is_some() { "changes" } else { "same" }),
        ]);
    }
    writeln!(out, "{table}")?;
    for c in &u.changes {
        let Some(d) = &c.shape_diff else { continue };
        writeln!(out, "{} ({}), {}: Postgres {} -> {}:", c.query, c.case, c.change.as_str(), u.from, u.to)?;
        diff_lines(d, color, out)?;
    }
    Ok(())
}

/// The forecast points, each marked as one: planned at a size never loaded.
fn forecast_table(report: &Report, color: bool, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if !color {
        table.force_no_tty();
    }
    table.set_header(["query", "case", "forecast scale", "rows", "est. cost", "est. rows", "plan", "findings"]);
    let mut any = false;
    for q in &report.queries {
        for c in &q.cases {
            for f in &c.forecast {
                any = true;
                let kinds: Vec<String> = c
                    .findings
                    .iter()
                    .filter(|x| x.kind.is_forecast() && x.scale == Some(f.scale))
                    .map(|x| format!("{}{}", x.kind, if x.severity == Severity::Error { " (error)" } else { "" }))
                    .collect();
                table.add_row(vec![
                    Cell::new(q.title()),
                    Cell::new(&c.case),
                    Cell::new(format!("{} (forecast)", f.scale)),
                    Cell::new(crate::report::chart::compact(crate::report::forecast_rows(f))),
                    Cell::new(format!("{:.0}", f.estimated_cost)),
                    Cell::new(format!("{:.0}", f.estimated_rows)),
                    Cell::new(if f.shape_diff.is_some() { "changes" } else { "same" }),
                    Cell::new(kinds.join(", ")),
                ]);
            }
        }
    }
    if any {
        writeln!(out, "forecast: planned with projected statistics, never loaded")?;
        writeln!(out, "{table}")?;
    }
    Ok(())
}

/// A shape diff, indented, removed lines red and added lines green.
fn diff_lines(diff: &str, color: bool, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for line in diff.lines() {
        let painted = match line.chars().next() {
            Some('-') => paint(line, "31", color),
            Some('+') => paint(line, "32", color),
            _ => line.to_string(),
        };
        writeln!(out, "    {painted}")?;
    }
    Ok(())
}

fn paint(s: &str, code: &str, color: bool) -> String {
    if color { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
}
