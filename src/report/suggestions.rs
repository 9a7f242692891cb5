//! `plangate suggest`'s terminal text; its JSON is the value serialized as it is.

use std::io::Write;

use crate::suggest::{SuggestionKind, Suggestions};

/// The terminal text: the ranked table, each statement with what it saves, the migration
/// for the failing queries, and what the schema's own indexes do; with `verbose`, every
/// candidate tried first.
pub(crate) fn render(s: &Suggestions, verbose: bool, out: &mut dyn Write) -> std::io::Result<()> {
    if verbose {
        writeln!(out, "Tried:")?;
        for t in &s.tried {
            let mark = if t.kept { "kept" } else { "no" };
            writeln!(out, "  [{mark}] {} ({}): {}", t.ddl, t.query, t.outcome)?;
        }
        for n in &s.no_candidates {
            writeln!(out, "  no candidate for {}:", n.query)?;
            for why in &n.reasons {
                writeln!(out, "    {why}")?;
            }
        }
        writeln!(out)?;
    }
    if s.suggestions.is_empty() {
        writeln!(out, "no index cuts the work of these queries by half or more")?;
    } else {
        let mut table = comfy_table::Table::new();
        table
            .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
        table.set_header([
            "query",
            "case",
            "work before",
            "work after",
            "time before ms",
            "time after ms",
            "size",
            "bytes/row",
            "growth",
        ]);
        for x in &s.suggestions {
            table.add_row(vec![
                x.query.clone(),
                x.case.clone(),
                x.work_before.to_string(),
                x.work_after.to_string(),
                format!("{:.2}", x.time_before_ms),
                format!("{:.2}", x.time_after_ms),
                if x.kind == SuggestionKind::Index { format!("{} kB", x.size_bytes / 1024) } else { "-".into() },
                if x.kind == SuggestionKind::Index { format!("{}", x.bytes_per_row) } else { "-".into() },
                growth(x),
            ]);
        }
        writeln!(
            out,
            "{table}\nRanked by work saved; for one query, those inside its growth budget and growing least first, then of \
             those about as good as the best, the smallest: every insert writes each index.\n"
        )?;
        for x in &s.suggestions {
            let gain = match (x.q_error_before, x.q_error_after, &x.node) {
                (Some(b), Some(a), Some(n)) => format!("; the estimate at {n} goes from {b:.0}x to {a:.1}x off"),
                _ => String::new(),
            };
            writeln!(
                out,
                "-- {} ({}): work {} -> {} blocks at scale {}{gain}",
                x.query, x.case, x.work_before, x.work_after, x.scale
            )?;
            if let Some(n) = &x.note {
                writeln!(out, "-- note: {n}")?;
            }
            if let Some(e) = &x.extension {
                writeln!(out, "CREATE EXTENSION IF NOT EXISTS {e};")?;
            }
            writeln!(out, "{};\n", x.ddl)?;
        }
    }
    if let Some(m) = &s.migration {
        writeln!(out, "-- One migration for the catalog's failing queries")?;
        if m.fixes.is_empty() && m.unfixed.is_empty() {
            writeln!(out, "-- no query of the catalog fails: nothing to migrate")?;
        }
        if !m.fixes.is_empty() {
            writeln!(out, "-- fixes: {}", m.fixes.join(", "))?;
        }
        if !m.unfixed.is_empty() {
            writeln!(out, "-- nothing found for: {}", m.unfixed.join(", "))?;
        }
        for n in &m.notes {
            writeln!(out, "-- note: {n}")?;
        }
        for st in &m.statements {
            writeln!(out, "{st}")?;
        }
        writeln!(out)?;
    }
    if !verbose && !s.no_candidates.is_empty() {
        let names: Vec<&str> = s.no_candidates.iter().map(|n| n.query.as_str()).collect();
        writeln!(out, "-- no candidate for {} (`--verbose` says why)", names.join(", "))?;
    }
    for e in &s.existing {
        writeln!(out, "-- existing index {} on {}: {}", e.index, e.table, e.reason)?;
    }
    Ok(())
}

/// The growth column: work's exponent along the curve, and whether it is inside budget.
fn growth(x: &crate::suggest::Suggestion) -> String {
    match (x.growth_exponent, x.within_budget) {
        (Some(e), Some(true)) => format!("rows^{e}"),
        (Some(e), Some(false)) => format!("rows^{e}, over budget"),
        _ => "-".into(),
    }
}
