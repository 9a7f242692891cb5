//! Growth: how work grows with rows, fitted as work = a * rows^b by least squares on logs.

use serde::{Deserialize, Serialize};

/// A query's growth budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum GrowthClass {
    Constant,
    Sublinear,
    #[default]
    Linear,
    Nlogn,
    Quadratic,
}

impl GrowthClass {
    /// The largest exponent within the budget.
    pub(crate) fn max_exponent(self) -> f64 {
        match self {
            GrowthClass::Constant => 0.25,
            GrowthClass::Sublinear => 0.6,
            GrowthClass::Linear => 1.15,
            GrowthClass::Nlogn => 1.35,
            GrowthClass::Quadratic => 2.15,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            GrowthClass::Constant => "constant",
            GrowthClass::Sublinear => "sublinear",
            GrowthClass::Linear => "linear",
            GrowthClass::Nlogn => "nlogn",
            GrowthClass::Quadratic => "quadratic",
        }
    }

    /// The tightest class an exponent fits in.
    pub(crate) fn of_exponent(b: f64) -> Option<GrowthClass> {
        [GrowthClass::Constant, GrowthClass::Sublinear, GrowthClass::Linear, GrowthClass::Nlogn, GrowthClass::Quadratic]
            .into_iter()
            .find(|c| b <= c.max_exponent())
    }
}

/// A query's growth budget, and whether the user set it (not the default).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub class: GrowthClass,
    pub set: bool,
}

/// Points needed for a fit worth gating on.
pub(crate) const MIN_POINTS: usize = 3;

/// What a fit is of: work in blocks, or rows processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Measure {
    Work,
    Rows,
}

impl Measure {
    /// How it is named in findings: "work", "rows processed".
    pub(crate) fn name(self) -> &'static str {
        match self {
            Measure::Work => "work",
            Measure::Rows => "rows processed",
        }
    }

    /// "grows" or "grow", as its name takes it.
    pub(crate) fn grows(self) -> &'static str {
        match self {
            Measure::Work => "grows",
            Measure::Rows => "grow",
        }
    }

    /// Its unit in findings.
    pub(crate) fn unit(self) -> &'static str {
        match self {
            Measure::Work => "blocks",
            Measure::Rows => "rows",
        }
    }

    /// A measure that moves by less than this over all scales has not grown in any way
    /// worth gating on, whatever exponent the few units fit: five blocks, or a thousand
    /// rows (about what ten blocks hold).
    pub(crate) fn min_change(self) -> f64 {
        match self {
            Measure::Work => 5.0,
            Measure::Rows => 1000.0,
        }
    }
}

/// work = a * rows^b fitted over the scales, and how far the fit can be trusted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fit {
    /// b.
    pub(crate) exponent: f64,
    /// The standard error of b (zero when the points lie on the line).
    pub(crate) stderr: f64,
    /// The share of the variance of log work the line explains (1 when work is flat).
    pub(crate) r2: f64,
    /// The smallest and largest value over the scales.
    pub(crate) min_work: f64,
    pub(crate) max_work: f64,
    /// What was fitted.
    pub(crate) measure: Measure,
}

impl Fit {
    /// Why a fit over `limit` is not worth failing on, if it is not: work moved by a few
    /// blocks only (rows processed by a few rows), or the points scatter so much that the
    /// limit is within one standard error of the exponent.
    pub(crate) fn weakness(&self, limit: f64) -> Option<String> {
        if self.max_work - self.min_work < self.measure.min_change() {
            return Some(format!(
                "{} moves by {:.0} {} only over the scales ({:.0} to {:.0})",
                self.measure.name(),
                self.max_work - self.min_work,
                self.measure.unit(),
                self.min_work,
                self.max_work
            ));
        }
        if self.exponent - self.stderr <= limit {
            return Some(format!(
                "the points scatter (exponent {:.2} +- {:.2}, r2 {:.2}): the limit is within one standard error",
                self.exponent, self.stderr, self.r2
            ));
        }
        None
    }
}

/// The fit of work = a * rows^b over (rows, work) points by least squares on logs, or None
/// with fewer than [`MIN_POINTS`] distinct row counts. Zero work counts as one block.
#[cfg(test)]
fn fit(points: &[(f64, f64)]) -> Option<Fit> {
    fit_of(Measure::Work, points)
}

/// The fit of a measure over (rows, value) points, as [`fit`] fits work.
pub(crate) fn fit_of(measure: Measure, points: &[(f64, f64)]) -> Option<Fit> {
    let pts: Vec<(f64, f64)> =
        points.iter().filter(|(r, _)| *r > 0.0).map(|(r, w)| (r.ln(), w.max(1.0).ln())).collect();
    let mut xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    if xs.len() < MIN_POINTS {
        return None;
    }
    #[expect(clippy::cast_precision_loss)]
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let syy: f64 = pts.iter().map(|p| (p.1 - my).powi(2)).sum();
    let b = sxy / sxx;
    let a = my - b * mx;
    let sse: f64 = pts.iter().map(|p| (p.1 - (a + b * p.0)).powi(2)).sum();
    let works = points.iter().map(|p| p.1.max(1.0));
    Some(Fit {
        exponent: b,
        stderr: (sse / (n - 2.0) / sxx).sqrt(),
        r2: if syy > 0.0 { 1.0 - sse / syy } else { 1.0 },
        min_work: works.clone().fold(f64::INFINITY, f64::min),
        max_work: works.fold(0.0, f64::max),
        measure,
    })
}

/// The exponent b of work = a * rows^b over (rows, work) points, or None with fewer than
/// [`MIN_POINTS`] distinct row counts.
#[cfg(test)]
fn exponent(points: &[(f64, f64)]) -> Option<f64> {
    fit(points).map(|f| f.exponent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_of_known_curves() {
        let rows = [3_400.0, 34_000.0, 340_000.0];
        let fit = |f: &dyn Fn(f64) -> f64| exponent(&rows.map(|r| (r, f(r)))).unwrap();
        assert!((fit(&|_| 23.0)).abs() < 1e-9);
        assert!((fit(&|r| r / 36.0) - 1.0).abs() < 1e-9);
        assert!((fit(&|r| r * r) - 2.0).abs() < 1e-9);
        assert!((fit(&|r: f64| r.sqrt()) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn too_few_points_give_no_exponent() {
        assert_eq!(exponent(&[(1.0, 1.0), (10.0, 10.0)]), None);
        assert_eq!(exponent(&[(10.0, 1.0), (10.0, 2.0), (10.0, 3.0)]), None);
    }

    #[test]
    fn a_few_blocks_or_scattered_points_make_a_weak_fit() {
        let rows = [3_400.0, 34_000.0, 340_000.0];
        // 2 -> 5 blocks fits rows^0.2 but is three blocks.
        let tiny = fit(&[(rows[0], 2.0), (rows[1], 3.0), (rows[2], 5.0)]).unwrap();
        assert!(tiny.weakness(0.1).unwrap().contains("3 blocks only"));
        // A clean line over a real range is strong.
        let linear = fit(&rows.map(|r| (r, r / 10.0))).unwrap();
        assert!(linear.stderr < 1e-9 && (linear.r2 - 1.0).abs() < 1e-9);
        assert_eq!(linear.weakness(0.25), None);
        // A plan that flips at the largest scale still fails: far over the limit.
        let flip = fit(&[(rows[0], 100.0), (rows[1], 110.0), (rows[2], 20_000.0)]).unwrap();
        assert_eq!(flip.weakness(0.25), None, "{flip:?}");
        // Scatter around a small exponent: within one standard error of the limit.
        let noisy = fit(&[(rows[0], 40.0), (rows[1], 20.0), (rows[2], 90.0)]).unwrap();
        assert!(noisy.weakness(0.25).unwrap().contains("scatter"), "{noisy:?}");
    }

    #[test]
    fn classes_by_exponent() {
        assert_eq!(GrowthClass::of_exponent(0.02), Some(GrowthClass::Constant));
        assert_eq!(GrowthClass::of_exponent(1.01), Some(GrowthClass::Linear));
        assert_eq!(GrowthClass::of_exponent(3.0), None);
    }
}
