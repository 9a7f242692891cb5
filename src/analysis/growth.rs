//! Growth: how work grows with rows, fitted as work = a * rows^b by least squares on logs.

use serde::{Deserialize, Serialize};

/// A query's growth budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GrowthClass {
    Constant,
    Sublinear,
    #[default]
    Linear,
    Nlogn,
    Quadratic,
}

impl GrowthClass {
    /// The largest exponent within the budget.
    pub fn max_exponent(self) -> f64 {
        match self {
            GrowthClass::Constant => 0.25,
            GrowthClass::Sublinear => 0.6,
            GrowthClass::Linear => 1.15,
            GrowthClass::Nlogn => 1.35,
            GrowthClass::Quadratic => 2.15,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GrowthClass::Constant => "constant",
            GrowthClass::Sublinear => "sublinear",
            GrowthClass::Linear => "linear",
            GrowthClass::Nlogn => "nlogn",
            GrowthClass::Quadratic => "quadratic",
        }
    }

    /// The tightest class an exponent fits in.
    pub fn of_exponent(b: f64) -> Option<GrowthClass> {
        [GrowthClass::Constant, GrowthClass::Sublinear, GrowthClass::Linear, GrowthClass::Nlogn, GrowthClass::Quadratic]
            .into_iter()
            .find(|c| b <= c.max_exponent())
    }
}

/// Points needed for a fit worth gating on.
pub const MIN_POINTS: usize = 3;

/// The exponent b of work = a * rows^b over (rows, work) points, or None with fewer than
/// [`MIN_POINTS`] distinct row counts. Zero work counts as one block.
pub fn exponent(points: &[(f64, f64)]) -> Option<f64> {
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
    Some(sxy / sxx)
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
    fn classes_by_exponent() {
        assert_eq!(GrowthClass::of_exponent(0.02), Some(GrowthClass::Constant));
        assert_eq!(GrowthClass::of_exponent(1.01), Some(GrowthClass::Linear));
        assert_eq!(GrowthClass::of_exponent(3.0), None);
    }
}
