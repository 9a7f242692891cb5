//! Log-log SVG charts of work and time over rows, shared by the HTML report and `curve --svg`.

use plotters::prelude::*;

/// One line of a chart.
pub(crate) struct Series<'a> {
    pub(crate) label: &'a str,
    pub(crate) points: Vec<(f64, f64)>,
    pub(crate) color: RGBColor,
    pub(crate) dashed: bool,
}

pub(crate) const WORK: RGBColor = RGBColor(0x1f, 0x6f, 0xd1);
pub(crate) const BASELINE: RGBColor = RGBColor(0x8a, 0x8f, 0x98);
pub(crate) const TIME: RGBColor = RGBColor(0xd1, 0x6a, 0x1f);
pub(crate) const FORECAST: RGBColor = RGBColor(0x6a, 0x3d, 0x9a);
pub(crate) const FLIP: RGBColor = RGBColor(0xc0, 0x1c, 0x28);

/// A log-log line chart as an SVG document; `flips` are x values where the plan changed.
pub(crate) fn svg(title: &str, y_label: &str, series: &[Series<'_>], flips: &[f64]) -> String {
    let all: Vec<(f64, f64)> =
        series.iter().flat_map(|s| s.points.iter().copied()).filter(|(x, y)| *x > 0.0 && *y > 0.0).collect();
    let (xmin, xmax) = bounds(all.iter().map(|p| p.0));
    let (ymin, ymax) = bounds(all.iter().map(|p| p.1));
    let mut out = String::new();
    // A chart that cannot be drawn (plotters' errors are layout errors) stays empty.
    let _ = draw(&mut out, title, y_label, series, flips, ((xmin, xmax), (ymin, ymax)));
    out
}

type Bounds = ((f64, f64), (f64, f64));

fn draw(out: &mut String, title: &str, y_label: &str, series: &[Series<'_>], flips: &[f64], b: Bounds) -> Option<()> {
    let ((xmin, xmax), (ymin, ymax)) = b;
    let root = SVGBackend::with_string(out, (520, 300)).into_drawing_area();
    root.fill(&WHITE).ok()?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 15))
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(56)
        .build_cartesian_2d((xmin..xmax).log_scale(), (ymin..ymax).log_scale())
        .ok()?;
    chart
        .configure_mesh()
        .x_desc("rows (largest table read)")
        .y_desc(y_label)
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|v| compact(*v))
        .y_label_formatter(&|v| compact(*v))
        .light_line_style(WHITE)
        .draw()
        .ok()?;
    for f in flips {
        chart.draw_series(LineSeries::new(vec![(*f, ymin), (*f, ymax)], FLIP.stroke_width(1))).ok()?;
    }
    for s in series {
        let pts: Vec<(f64, f64)> = s.points.iter().copied().filter(|(x, y)| *x > 0.0 && *y > 0.0).collect();
        let style = if s.dashed { s.color.stroke_width(1) } else { s.color.stroke_width(2) };
        chart
            .draw_series(LineSeries::new(pts.clone(), style))
            .ok()?
            .label(s.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
        chart.draw_series(pts.iter().map(|p| Circle::new(*p, 3, s.color.filled()))).ok()?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.2))
        .draw()
        .ok()?;
    root.present().ok()
}

/// 340000 -> "340k", 1200000 -> "1.2M", 0.25 -> "0.25": short tick labels.
pub(crate) fn compact(v: f64) -> String {
    let (n, unit) = match v.abs() {
        a if a >= 1e6 => (v / 1e6, "M"),
        a if a >= 1e3 => (v / 1e3, "k"),
        _ => (v, ""),
    };
    let digits = if n.abs() >= 100.0 || n.fract().abs() < 1e-9 {
        0
    } else if n.abs() >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{n:.digits$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    format!("{s}{unit}")
}

/// A log axis range around the values, a little wider than them.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return (1.0, 10.0);
    }
    let (lo, hi) = if (hi / lo) < 10.0 { (lo / 3.0, hi * 3.0) } else { (lo / 1.5, hi * 1.5) };
    (lo.max(1e-3), hi)
}

#[cfg(test)]
mod tests {
    #[test]
    fn compact_labels() {
        assert_eq!(super::compact(340_000.0), "340k");
        assert_eq!(super::compact(1_200_000.0), "1.2M");
        assert_eq!(super::compact(0.25), "0.25");
        assert_eq!(super::compact(20.0), "20");
        assert_eq!(super::compact(12_500.0), "12.5k");
    }
}
