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
use crate::measure::ForecastRun;
use crate::measure::{Curve, Run};
use crate::pipeline::measure_catalog;
use crate::plan::shape;
use crate::report::chart::{self, Series, compact};

/// What `curve` draws besides the query.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    pub points: usize,
    pub max_scale: Option<f64>,
    pub svg: Option<&'a Path>,
    /// Halvings of the gap where a forecast's plan flips.
    pub bisect: Option<u32>,
}

pub(crate) async fn run(settings: &Settings, query: &str, request: &Request<'_>) -> Result<Outcome> {
    let Request { points, max_scale, svg, bisect } = *request;
    let queries = catalog::select(catalog::load(settings)?, &[query.to_string()], None)?;
    let scales = spaced(settings.scales[0], max_scale.unwrap_or(*settings.scales.last().expect("scales")), points)?;
    let mut settings = settings.clone();
    let largest = *scales.last().expect("spaced scales");
    if let Some(f) = settings.forecast.iter().find(|&&f| f <= largest) {
        return Err(Error::Argument {
            flag: "--forecast".into(),
            detail: format!("forecast scale {f} is not past the curve's largest measured scale {largest}"),
        });
    }
    settings.scales = scales;
    settings.forecast_bisect = bisect.unwrap_or(0);
    let measured = measure_catalog(&settings, &queries).await?;
    let q = &measured.runs[0];
    let mut out = String::new();
    for c in &q.cases {
        case(&mut out, &q.query.name, &c.case, &c.runs, q.query.growth);
        if !c.forecasts.is_empty() {
            forecast_part(&mut out, &c.runs, &c.forecasts);
        }
    }
    crate::output::write(settings.output.as_deref(), |_, w| {
        w.extend_from_slice(out.as_bytes());
        Ok(())
    })?;
    if let Some(path) = svg {
        let cases: Vec<(&str, &[Run], &[ForecastRun])> =
            q.cases.iter().map(|c| (c.case.as_str(), c.runs.as_slice(), c.forecasts.as_slice())).collect();
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

/// The forecast points of a case after its measured ones: each point's estimated cost and
/// plan, where the plan flips (between which sizes), and the estimated cost over rows.
fn forecast_part(out: &mut String, runs: &[Run], forecasts: &[ForecastRun]) {
    let _ = writeln!(out, "forecast (planned with projected statistics, never loaded):\n");
    let _ = writeln!(out, "{:>9}  {:>9}  {:>12}  {:>10}  {:>9}  plan", "scale", "rows", "est. cost", "est. rows", "");
    let last = runs.iter().rev().find(|r| !r.timed_out);
    let mut previous: Option<(f64, f64, &str)> = last.map(|r| (r.scale, r.growth_rows(), r.shape.as_str()));
    let mut flips = Vec::new();
    for f in forecasts {
        let flip = previous.is_some_and(|(_, _, shape)| shape::diff(shape, &f.shape).is_some());
        if flip {
            flips.push((previous.expect("a previous point"), f));
        }
        let compact_shape = f.shape.lines().map(str::trim).collect::<Vec<_>>().join(" > ");
        let _ = writeln!(
            out,
            "{:>9}  {:>9}  {:>12.0}  {:>10.0}  {:>9}  {}{compact_shape}",
            f.scale,
            compact(f.growth_rows()),
            f.cost,
            f.plan_rows,
            "forecast",
            if flip { "* " } else { "  " }
        );
        previous = Some((f.scale, f.growth_rows(), f.shape.as_str()));
    }
    for ((scale, rows, shape), f) in &flips {
        let _ = writeln!(
            out,
            "\n* the plan flips between scale {scale} ({} rows) and forecast scale {} ({} rows):",
            compact(*rows),
            f.scale,
            compact(f.growth_rows())
        );
        if let Some(d) = shape::diff(shape, &f.shape) {
            for line in d.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    if flips.is_empty() {
        let _ = writeln!(
            out,
            "\nthe plan keeps its shape up to forecast scale {}",
            forecasts.last().map_or(0.0, |f| f.scale)
        );
    }
    for f in forecasts {
        for finding in &f.findings {
            let _ = writeln!(out, "forecast scale {}: {} ({})", f.scale, finding.detail, finding.kind);
        }
    }
    #[expect(clippy::cast_possible_truncation)]
    let log = |v: f64| v.max(1e-3).log10() as f32;
    let measured: Vec<(f32, f32)> =
        runs.iter().filter_map(|r| r.cost().map(|c| (log(r.growth_rows()), log(c)))).collect();
    let forecast: Vec<(f32, f32)> = last
        .and_then(|r| r.cost().map(|c| (log(r.growth_rows()), log(c))))
        .into_iter()
        .chain(forecasts.iter().map(|f| (log(f.growth_rows()), log(f.cost))))
        .collect();
    let all = measured.iter().chain(&forecast);
    let (xmin, xmax) = all.fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    if xmin < xmax {
        let mut c = Chart::new(100, 32, xmin, xmax);
        let (m, f) = (Shape::Lines(&measured), Shape::Points(&forecast));
        let chart = c
            .x_label_format(LabelFormat::Custom(Box::new(|v| compact(10f64.powf(f64::from(v))))))
            .y_label_format(LabelFormat::Custom(Box::new(|v| compact(10f64.powf(f64::from(v))))))
            .lineplot(&m)
            .lineplot(&f);
        chart.axis();
        chart.figures();
        let _ = writeln!(out, "\nestimated cost over rows, log-log (line: measured, points: forecast):\n{chart}");
    }
    let _ = writeln!(out);
}

/// Work and time charts side by side, a row per case, in one SVG file; with forecasts,
/// a third chart of the estimated cost, measured and forecast.
fn svg_document(query: &str, cases: &[(&str, &[Run], &[ForecastRun])]) -> String {
    let mut rows = String::new();
    let forecasting = cases.iter().any(|c| !c.2.is_empty());
    for (i, (case, runs, forecasts)) in cases.iter().enumerate() {
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
        if forecasting {
            let measured: Vec<(f64, f64)> =
                runs.iter().filter_map(|r| r.cost().map(|c| (r.growth_rows(), c))).collect();
            let forecast: Vec<(f64, f64)> = measured
                .last()
                .copied()
                .into_iter()
                .chain(forecasts.iter().map(|f| (f.growth_rows(), f.cost.max(0.001))))
                .collect();
            let mut flips: Vec<f64> = Vec::new();
            let mut previous = runs.iter().rev().find(|r| !r.timed_out).map(|r| r.shape.as_str());
            for f in *forecasts {
                if previous.is_some_and(|p| shape::diff(p, &f.shape).is_some()) {
                    flips.push(f.growth_rows());
                }
                previous = Some(&f.shape);
            }
            let series = [
                Series { label: "measured", points: measured, color: chart::WORK, dashed: false },
                Series { label: "forecast", points: forecast, color: chart::FORECAST, dashed: true },
            ];
            let cost = chart::svg(&format!("{query} ({case}): estimated cost"), "cost", &series, &flips);
            let _ = writeln!(rows, "<g transform=\"translate(1040,{y})\">{}</g>", strip_decl(&cost));
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\">\n{rows}</svg>\n",
        if forecasting { 1560 } else { 1040 },
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
