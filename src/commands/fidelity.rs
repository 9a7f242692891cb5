//! `plangate fidelity`: load the world at scale 1.0 (production's size), let Postgres
//! analyze it, and print each column's statistics beside production's snapshot, worst
//! first: how closely the world has production's shape.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::commands::Outcome;
use crate::config::{Format, Settings};
use crate::error::{Error, Result};
use crate::pipeline::measure_then;
use crate::snapshot::compare::{BAR, Bar, Fidelity, fidelity};

#[derive(Serialize)]
struct Output<'a> {
    format_version: u32,
    bar: Bar,
    columns: &'a [Fidelity],
}

pub(crate) async fn run(settings: &Settings, tables: &[String]) -> Result<Outcome> {
    if !matches!(settings.format, Format::Terminal | Format::Json) {
        return Err(Error::Argument { flag: "--format".into(), detail: "fidelity prints `terminal` or `json`".into() });
    }
    let mut production = settings.snapshot().read_tables()?;
    if production.is_empty() {
        return Err(Error::Snapshot {
            path: settings.snapshot_dir.clone(),
            detail: "no production statistics here: run `plangate init --from-url` first".into(),
            source: None,
        });
    }
    for t in tables {
        if !production.contains_key(t) {
            return Err(Error::Argument {
                flag: "TABLES".into(),
                detail: format!(
                    "the snapshot has no table `{t}` (it has: {})",
                    production.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            });
        }
    }
    if !tables.is_empty() {
        production.retain(|t, _| tables.contains(t));
    }
    // Only the tables the world fills are compared.
    production.retain(|t, _| settings.tables.contains_key(t));
    let mut settings = settings.clone();
    settings.scales = vec![1.0];
    let (_, world) = measure_then(&settings, &[], async |s| {
        sqlx::raw_sql("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'")
            .execute(&mut s.conn)
            .await
            .map_err(|e| Error::postgres("cannot set the session's time zone", e))?;
        crate::postgres::production::statistics(&mut s.conn).await
    })
    .await?;
    let from_stats: Vec<(String, String)> = settings
        .tables
        .iter()
        .flat_map(|(t, spec)| {
            spec.columns
                .iter()
                .filter(|(_, g)| matches!(g, crate::config::generator::GenExpr::Stats { .. }))
                .map(move |(c, _)| (t.clone(), c.clone()))
        })
        .collect();
    let rows = fidelity(&production, &world.tables, &from_stats);
    let out = if settings.format == Format::Json {
        let mut text = serde_json::to_string_pretty(&Output { format_version: 1, bar: BAR, columns: &rows })
            .expect("fidelity serializes");
        text.push('\n');
        text
    } else {
        render(&rows, &world.tables.iter().map(|(k, v)| (k.clone(), v.rows)).collect())
    };
    crate::output::write(settings.output.as_deref(), |_, w| {
        w.extend_from_slice(out.as_bytes());
        Ok(())
    })?;
    Ok(Outcome::Pass)
}

fn render(rows: &[Fidelity], world_rows: &BTreeMap<String, u64>) -> String {
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    table.set_header(["column", "null frac", "distinct", "top frequencies", "quantiles", "correlation", "worst"]);
    let pair = |a: f64, b: f64, digits: usize| format!("{a:.digits$} / {b:.digits$}");
    for f in rows {
        let top = |v: &[f64]| v.iter().take(3).map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(" ");
        let corr = match (f.production.correlation, f.world.correlation) {
            (Some(a), Some(b)) => pair(a, b, 2),
            _ => "-".into(),
        };
        let flag = match (f.from_stats, f.score > 1.0) {
            (false, _) => "not from stats".into(),
            (true, true) => format!("{} ({:.1}x the bar)", f.worst, f.score),
            (true, false) => "ok".into(),
        };
        table.add_row(vec![
            format!("{}.{}", f.table, f.column),
            pair(f.production.null_frac, f.world.null_frac, 3),
            pair(f.production.distinct, f.world.distinct, 0),
            format!("{} / {}", top(&f.production.top_freqs), top(&f.world.top_freqs)),
            f.quantile_shift.map_or("-".into(), |q| format!("{q:.2} buckets")),
            corr,
            flag,
        ]);
    }
    let mut out = format!("{table}\n");
    let off = rows.iter().filter(|f| f.from_stats && f.score > 1.0).count();
    let held = rows.iter().filter(|f| f.from_stats).count();
    let _ = writeln!(
        out,
        "production / world at scale 1.0 ({} tables); {} of {} stats columns outside the bar (null frac {}, \
         distinct {}%, frequencies {}, quantiles {} bucket, correlation {})",
        world_rows.len(),
        off,
        held,
        BAR.null_frac,
        BAR.distinct * 100.0,
        BAR.frequency,
        BAR.buckets,
        BAR.correlation
    );
    out
}
