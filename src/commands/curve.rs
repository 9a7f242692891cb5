//! `plangate curve`: one query over many scales grown as one world: work, time and plan
//! shape per point, where the plan changes, the fitted exponent, and charts.

use std::fmt::Write as _;
use std::path::Path;

use textplots::{Chart, LabelBuilder, LabelFormat, Plot, Shape};

use crate::analysis::growth::{self, GrowthClass};
use crate::commands::Outcome;
use crate::config::Settings;
use crate::config::catalog;
use crate::error::{Error, Result};
use crate::measure::{Curve, Run};
use crate::pipeline::measure_catalog;
use crate::plan::shape;
use crate::report::chart::{self, Series, compact};

pub(crate) async fn run(
    settings: &Settings,
    query: &str,
    points: usize,
    max_scale: Option<f64>,
    svg: Option<&Path>,
) -> Result<Outcome> {
    let queries = catalog::select(catalog::load(settings)?, &[query.to_string()], None)?;
    let scales = spaced(settings.scales[0], max_scale.unwrap_or(*settings.scales.last().expect("scales")), points)?;
    let mut settings = settings.clone();
    settings.scales = scales;
    let measured = measure_catalog(&settings, &queries).await?;
    let q = &measured.runs[0];
    let mut out = String::new();
    for c in &q.cases {
        case(&mut out, &q.query.name, &c.case, &c.runs, q.query.growth);
    }
    crate::output::write(settings.output.as_deref(), |_, w| {
        w.extend_from_slice(out.as_bytes());
        Ok(())
    })?;
    if let Some(path) = svg {
        let cases: Vec<(&str, &[Run])> = q.cases.iter().map(|c| (c.case.as_str(), c.runs.as_slice())).collect();
        crate::files::write_atomically(path, svg_document(&q.query.name, &cases))?;
        crate::progress::line(&format!("wrote {}", path.display()));
    }
    Ok(Outcome::Pass)
}

/// `n` scales spaced geometrically from `lo` to `hi` (`lo` is a hundredth of `hi` when not below it).
pub(crate) fn spaced(lo: f64, hi: f64, n: usize) -> Result<Vec<f64>> {
    if n < 2 {
        return Err(Error::Argument {
            flag: "--points".into(),
            detail: format!("{n}: a curve needs at least 2 points"),
        });
    }
    if !hi.is_finite() || hi <= 0.0 {
        return Err(Error::Argument { flag: "--max-scale".into(), detail: format!("{hi} must be a positive number") });
    }
    let lo = if lo < hi { lo } else { hi / 100.0 };
    #[expect(clippy::cast_precision_loss)]
    let step = (hi / lo).powf(1.0 / (n - 1) as f64);
    let round = |v: f64| {
        let digits = 3.0 - v.log10().floor();
        let f = 10f64.powf(digits);
        (v * f).round() / f
    };
    let mut out: Vec<f64> = (0..n).map(|i| round(lo * step.powi(i32::try_from(i).unwrap_or(0)))).collect();
    out.dedup();
    Ok(out)
}

fn case(out: &mut String, query: &str, case: &str, runs: &[Run], budget: GrowthClass) {
    let _ = writeln!(out, "{query} ({case})\n");
    let _ = writeln!(out, "{:>9}  {:>9}  {:>8}  {:>10}  {:>10}  plan", "scale", "rows", "work", "processed", "time ms");
    let curve = Curve::of(runs);
    for (i, r) in runs.iter().enumerate() {
        let flip = curve.flips.contains(&i);
        let compact_shape = r.shape.lines().map(str::trim).collect::<Vec<_>>().join(" > ");
        let _ = writeln!(
            out,
            "{:>9}  {:>9}  {:>8}  {:>10}  {:>10.2}  {}{compact_shape}",
            r.scale,
            compact(r.growth_rows()),
            r.work,
            r.rows_processed,
            r.time_ms,
            if flip { "* " } else { "  " }
        );
    }
    for &i in &curve.flips {
        if let Some(d) = shape::diff(&runs[i - 1].shape, &runs[i].shape) {
            let _ = writeln!(
                out,
                "\n* the plan changes between scale {} and {} ({} rows):",
                runs[i - 1].scale,
                runs[i].scale,
                compact(curve.rows[i])
            );
            for line in d.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    #[expect(clippy::cast_precision_loss)]
    let pts: Vec<(f64, f64)> = runs.iter().filter(|r| !r.timed_out).map(|r| (r.growth_rows(), r.work as f64)).collect();
    match curve.fit.map(|f| f.exponent) {
        Some(b) => {
            let class = GrowthClass::of_exponent(b).map_or("beyond quadratic", GrowthClass::as_str);
            let verdict = if b <= budget.max_exponent() { "within" } else { "OVER" };
            let _ = writeln!(
                out,
                "\nwork grows as rows^{b:.2} ({class}); {verdict} its budget `{}` (<= {})",
                budget.as_str(),
                budget.max_exponent()
            );
        }
        None => {
            let _ =
                writeln!(out, "\ngrowth not fitted: it needs {} scales with different row counts", growth::MIN_POINTS);
        }
    }
    if let Some(b) = curve.rows_fit.map(|f| f.exponent) {
        let verdict = if b <= budget.max_exponent() { "within" } else { "OVER" };
        let _ = writeln!(out, "rows processed grow as rows^{b:.2}; {verdict} the budget");
    }
    #[expect(clippy::cast_possible_truncation)]
    let log = |v: f64| v.max(1e-3).log10() as f32;
    let work: Vec<(f32, f32)> = pts.iter().map(|(x, y)| (log(*x), log(*y))).collect();
    let time: Vec<(f32, f32)> = runs.iter().map(|r| (log(r.growth_rows()), log(r.time_ms))).collect();
    let (xmin, xmax) = work.iter().fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    if xmin < xmax {
        for (title, series) in [("work (blocks)", &work), ("time (ms)", &time)] {
            let mut c = Chart::new(100, 32, xmin, xmax);
            let shape = Shape::Lines(series);
            let chart = c
                .x_label_format(LabelFormat::Custom(Box::new(|v| compact(10f64.powf(f64::from(v))))))
                .y_label_format(LabelFormat::Custom(Box::new(|v| compact(10f64.powf(f64::from(v))))))
                .lineplot(&shape);
            chart.axis();
            chart.figures();
            let _ = writeln!(out, "\n{title} over rows, log-log:\n{chart}");
        }
    }
    let _ = writeln!(out);
}

/// Work and time charts side by side, a row per case, in one SVG file.
fn svg_document(query: &str, cases: &[(&str, &[Run])]) -> String {
    let mut rows = String::new();
    for (i, (case, runs)) in cases.iter().enumerate() {
        #[expect(clippy::cast_precision_loss)]
        let work: Vec<(f64, f64)> = runs.iter().map(|r| (r.growth_rows(), r.work.max(1) as f64)).collect();
        let time: Vec<(f64, f64)> = runs.iter().map(|r| (r.growth_rows(), r.time_ms.max(0.001))).collect();
        let flips = Curve::of(runs).flip_rows();
        let series = |label, points, color| [Series { label, points, color, dashed: false }];
        let left = chart::svg(&format!("{query} ({case}): work"), "blocks", &series("work", work, chart::WORK), &flips);
        let right = chart::svg(&format!("{query} ({case}): time"), "ms", &series("time", time, chart::TIME), &flips);
        let y = i * 300;
        let _ = write!(
            rows,
            "<g transform=\"translate(0,{y})\">{}</g>\n<g transform=\"translate(520,{y})\">{}</g>\n",
            strip_decl(&left),
            strip_decl(&right)
        );
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1040\" height=\"{}\">\n{rows}</svg>\n",
        300 * cases.len().max(1)
    )
}

fn strip_decl(svg: &str) -> &str {
    svg.trim_start_matches(|c| c != '<')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(clippy::float_cmp, reason = "the ends are the given numbers, exactly")]
    fn scales_are_spaced_geometrically_up_to_the_max() {
        assert_eq!(spaced(0.01, 1.0, 3).unwrap(), vec![0.01, 0.1, 1.0]);
        let s = spaced(0.035, 1.0, 8).unwrap();
        assert_eq!(s.len(), 8);
        assert_eq!(s[0], 0.035);
        assert_eq!(*s.last().unwrap(), 1.0);
        assert!(s.windows(2).all(|w| (w[1] / w[0] - s[1] / s[0]).abs() < 0.01));
        assert_eq!(spaced(1.0, 1.0, 3).unwrap(), vec![0.01, 0.1, 1.0]);
        assert!(spaced(0.1, 1.0, 1).is_err());
    }
}
