//! Comparing column statistics: production beside the world (fidelity: how closely the
//! generated world reproduces production's shape), and a snapshot beside the one before
//! (drift: what moved in production).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::snapshot::{ColumnStats, TableStats, ValueKind};

/// How far the world may be from production before a column counts as off: null fraction
/// and most-common-value frequencies in absolute terms, the distinct count relatively,
/// correlation in absolute terms, quantiles in histogram buckets.
pub(crate) const BAR: Bar = Bar { null_frac: 0.01, distinct: 0.10, frequency: 0.01, correlation: 0.15, buckets: 1.0 };

#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Bar {
    pub(crate) null_frac: f64,
    pub(crate) distinct: f64,
    pub(crate) frequency: f64,
    pub(crate) correlation: f64,
    pub(crate) buckets: f64,
}

/// One column's statistics in production and in the world.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Fidelity {
    pub(crate) table: String,
    pub(crate) column: String,
    pub(crate) production: Summary,
    pub(crate) world: Summary,
    /// The largest difference among the most common values' frequencies (by rank).
    pub(crate) frequency_diff: f64,
    /// The largest shift of a production quantile in the world's order, in buckets.
    pub(crate) quantile_shift: Option<f64>,
    /// The worst difference as a share of what the bar allows: above 1, outside it.
    pub(crate) score: f64,
    /// The statistic that scored worst.
    pub(crate) worst: &'static str,
    /// The world's column is made by a `stats` generator; other columns (keys, inferred
    /// or configured generators) are shown for reference and not held to the bar.
    pub(crate) from_stats: bool,
}

/// What the fidelity table shows of one side.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Summary {
    pub(crate) null_frac: f64,
    /// Distinct non-null values.
    pub(crate) distinct: f64,
    /// The top ten most common values' frequencies, most common first.
    pub(crate) top_freqs: Vec<f64>,
    pub(crate) correlation: Option<f64>,
}

impl Summary {
    fn of(s: &ColumnStats, rows: u64) -> Summary {
        Summary {
            null_frac: s.null_frac,
            distinct: s.distinct_at(rows),
            top_freqs: s.most_common.iter().take(10).map(|m| m.freq).collect(),
            correlation: s.correlation,
        }
    }
}

/// Every column both sides describe: those made by `stats` (named in `from_stats` as
/// (table, column)) worst first, then the others.
pub(crate) fn fidelity(
    production: &BTreeMap<String, TableStats>,
    world: &BTreeMap<String, TableStats>,
    from_stats: &[(String, String)],
) -> Vec<Fidelity> {
    let mut out = Vec::new();
    for (name, p) in production {
        let Some(w) = world.get(name) else { continue };
        for (column, pc) in &p.columns {
            let Some(wc) = w.columns.get(column) else { continue };
            let mut f = column_fidelity(name, column, (pc, p.rows), (wc, w.rows));
            f.from_stats = from_stats.iter().any(|(t, c)| t == name && c == column);
            // Surrogates beside text of another generator: their order says nothing.
            if !f.from_stats && pc.surrogates {
                f.quantile_shift = None;
            }
            out.push(f);
        }
    }
    out.sort_by(|a, b| {
        b.from_stats
            .cmp(&a.from_stats)
            .then(b.score.total_cmp(&a.score))
            .then_with(|| (&a.table, &a.column).cmp(&(&b.table, &b.column)))
    });
    out
}

fn column_fidelity(table: &str, column: &str, theirs: (&ColumnStats, u64), ours: (&ColumnStats, u64)) -> Fidelity {
    let (production, world) = (Summary::of(theirs.0, theirs.1), Summary::of(ours.0, ours.1));
    let ranks = production.top_freqs.len().max(world.top_freqs.len());
    let frequency_diff = (0..ranks)
        .map(|i| {
            (production.top_freqs.get(i).copied().unwrap_or(0.0) - world.top_freqs.get(i).copied().unwrap_or(0.0)).abs()
        })
        .fold(0.0, f64::max);
    let quantile_shift = quantile_shift(theirs.0, ours.0);
    let distinct = (world.distinct - production.distinct).abs() / production.distinct.max(1.0);
    let correlation = match (production.correlation, world.correlation) {
        (Some(a), Some(b)) => (a - b).abs(),
        _ => 0.0,
    };
    let scores = [
        ("null_frac", (production.null_frac - world.null_frac).abs() / BAR.null_frac),
        ("distinct", distinct / BAR.distinct),
        ("frequency", frequency_diff / BAR.frequency),
        ("correlation", correlation / BAR.correlation),
        ("quantiles", quantile_shift.unwrap_or(0.0) / BAR.buckets),
    ];
    let (worst, score) = scores.iter().copied().fold(("none", 0.0), |a, b| if b.1 > a.1 { b } else { a });
    Fidelity {
        table: table.into(),
        column: column.into(),
        production,
        world,
        frequency_diff,
        quantile_shift,
        score,
        worst,
        from_stats: false,
    }
}

/// The largest distance, in production's buckets, between the share of values production
/// has below one of its histogram's bounds and the share the world has: each side's most
/// common values and histogram read as one distribution, so which values made a side's
/// list of most common ones does not matter.
fn quantile_shift(p: &ColumnStats, w: &ColumnStats) -> Option<f64> {
    if p.histogram.len() < 2 {
        return None;
    }
    #[expect(clippy::cast_precision_loss)]
    let bucket = p.rest() / (p.histogram.len() - 1) as f64 / (1.0 - p.null_frac).max(f64::MIN_POSITIVE);
    let key = |v: &str| Key::of(p.kind, v);
    let shift = p
        .histogram
        .iter()
        .map(|x| (below(p, &key(x), p.kind) - below(w, &key(x), p.kind)).abs() / bucket.max(f64::MIN_POSITIVE))
        .fold(0.0, f64::max);
    Some(shift)
}

/// A value to compare: numbers and times by value, everything else as text.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Key {
    Number(f64),
    Text(String),
}

impl Key {
    fn of(kind: ValueKind, v: &str) -> Key {
        let number = match kind {
            ValueKind::Number => v.parse().ok(),
            ValueKind::Date | ValueKind::Timestamp | ValueKind::Timestamptz =>
            {
                #[expect(clippy::cast_precision_loss)]
                crate::calendar::parse_time(v.get(..19).unwrap_or(v)).map(|t| t as f64)
            }
            _ => None,
        };
        number.map_or_else(|| Key::Text(v.to_string()), Key::Number)
    }
}

/// The share of a column's non-null values at or below `x`.
fn below(s: &ColumnStats, x: &Key, kind: ValueKind) -> f64 {
    let common: f64 = s.most_common.iter().filter(|m| Key::of(kind, &m.value) <= *x).map(|m| m.freq).sum();
    let keys: Vec<Key> = s.histogram.iter().map(|v| Key::of(kind, v)).collect();
    let in_histogram = if keys.len() < 2 {
        0.0
    } else {
        let i = keys.partition_point(|b| b <= x);
        #[expect(clippy::cast_precision_loss)]
        let place = match (i, x) {
            (0, _) => 0.0,
            (i, _) if i >= keys.len() => (keys.len() - 1) as f64,
            (i, Key::Number(v)) => match (&keys[i - 1], &keys[i]) {
                (Key::Number(lo), Key::Number(hi)) if hi > lo => (i - 1) as f64 + (v - lo) / (hi - lo),
                _ => (i - 1) as f64,
            },
            (i, Key::Text(v)) => match (&keys[i - 1], &keys[i]) {
                (Key::Text(lo), Key::Text(hi)) => (i - 1) as f64 + text_fraction(lo, v, hi),
                _ => (i - 1) as f64,
            },
        };
        #[expect(clippy::cast_precision_loss)]
        let share = place / (keys.len() - 1) as f64;
        share
    };
    (common + s.rest() * in_histogram) / (1.0 - s.null_frac).max(f64::MIN_POSITIVE)
}

/// Where `x` lies between the bounds `lo` and `hi`, from 0 to 1: past the prefix all three
/// share, each string is read as a fraction in the base of the characters they use, the way
/// the planner places text inside a histogram bucket. Without it a value between two bounds
/// would count as lying on the lower one, up to a whole bucket off.
fn text_fraction(lo: &str, x: &str, hi: &str) -> f64 {
    let (lo, x, hi) = (lo.as_bytes(), x.as_bytes(), hi.as_bytes());
    let shared = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(p, q)| p == q).count();
    let prefix = shared(lo, hi).min(shared(lo, x)).min(shared(x, hi));
    let rests = [&lo[prefix..], &x[prefix..], &hi[prefix..]];
    let bytes = || rests.iter().flat_map(|r| r.iter().copied());
    let (Some(mut least), Some(mut most)) = (bytes().min(), bytes().max()) else { return 0.5 };
    // A class of characters seen counts whole: "15" lies halfway between "10" and "20".
    for class in [b'0'..=b'9', b'a'..=b'z', b'A'..=b'Z'] {
        if bytes().any(|c| class.contains(&c)) {
            (least, most) = (least.min(*class.start()), most.max(*class.end()));
        }
    }
    let base = f64::from(most - least) + 1.0;
    // Twelve characters are more than a double tells apart in any base above 20.
    let scalar = |s: &[u8]| s.iter().take(12).rev().fold(0.0, |acc, &c| (acc + f64::from(c - least)) / base);
    let (a, b, v) = (scalar(rests[0]), scalar(rests[2]), scalar(rests[1]));
    if b > a { ((v - a) / (b - a)).clamp(0.0, 1.0) } else { 0.5 }
}

/// What moved between two snapshots of production, one line per change worth a reader's
/// attention.
pub(crate) fn drift(before: &BTreeMap<String, TableStats>, after: &BTreeMap<String, TableStats>) -> Vec<String> {
    let mut out = Vec::new();
    for (name, a) in after {
        let Some(b) = before.get(name) else {
            out.push(format!("{name}: new in the snapshot ({} rows)", a.rows));
            continue;
        };
        #[expect(clippy::cast_precision_loss)]
        let growth = a.rows as f64 / (b.rows as f64).max(1.0);
        if a.rows != b.rows && !(0.9..=1.1).contains(&growth) {
            out.push(format!(
                "{name}: {} -> {} rows ({:+.0}%){}",
                b.rows,
                a.rows,
                (growth - 1.0) * 100.0,
                if growth > 1.0 { "; raise its `rows` in plangate.toml" } else { "" }
            ));
        }
        for (column, ac) in &a.columns {
            let Some(bc) = b.columns.get(column) else {
                out.push(format!("{name}.{column}: new statistics"));
                continue;
            };
            out.extend(column_drift(&format!("{name}.{column}"), bc, ac));
        }
    }
    for name in before.keys().filter(|n| !after.contains_key(*n)) {
        out.push(format!("{name}: no longer in production's statistics"));
    }
    out
}

fn column_drift(name: &str, b: &ColumnStats, a: &ColumnStats) -> Vec<String> {
    let mut out = Vec::new();
    let top = |s: &ColumnStats| s.most_common.first().map_or(0.0, |m| m.freq);
    let (was, now) = (top(b), top(a));
    if (now - was).abs() >= 0.05 {
        let how = if now > was { "sharpened" } else { "flattened" };
        out.push(format!("{name}: skew {how}: the most common value holds {now:.2} of rows (was {was:.2})"));
    }
    let new_hot: Vec<&str> = a
        .most_common
        .iter()
        .take(5)
        .filter(|m| !b.most_common.iter().any(|o| o.value == m.value))
        .map(|m| m.value.as_str())
        .collect();
    if !new_hot.is_empty() {
        if a.surrogates {
            out.push(format!("{name}: {} new values among the five most common", new_hot.len()));
        } else {
            out.push(format!("{name}: new hot values: {}", new_hot.join(", ")));
        }
    }
    if (a.null_frac - b.null_frac).abs() >= 0.05 {
        out.push(format!("{name}: null fraction {:.2} -> {:.2}", b.null_frac, a.null_frac));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Frequent;

    fn table(rows: u64, status: &[(&str, f64)]) -> TableStats {
        let column = ColumnStats {
            kind: ValueKind::Label,
            type_name: "status".into(),
            null_frac: 0.0,
            n_distinct: 4.0,
            avg_width: 4,
            correlation: Some(0.1),
            order_correlation: None,
            most_common: status.iter().map(|(v, f)| Frequent { value: (*v).into(), freq: *f }).collect(),
            histogram: Vec::new(),
            surrogates: false,
        };
        TableStats {
            format_version: 1,
            table: "orders".into(),
            rows,
            pages: rows / 100,
            columns: BTreeMap::from([("status".to_string(), column)]),
            extended: Vec::new(),
        }
    }

    #[test]
    fn drift_says_what_grew_what_sharpened_and_what_is_newly_hot() {
        let before = BTreeMap::from([("orders".to_string(), table(1000, &[("shipped", 0.6), ("new", 0.3)]))]);
        let after = BTreeMap::from([("orders".to_string(), table(2000, &[("shipped", 0.8), ("returned", 0.1)]))]);
        let lines = drift(&before, &after);
        assert!(lines[0].starts_with("orders: 1000 -> 2000 rows (+100%)"), "{lines:?}");
        assert!(lines.iter().any(|l| l.contains("skew sharpened") && l.contains("0.80")), "{lines:?}");
        assert!(lines.iter().any(|l| l.contains("new hot values: returned")), "{lines:?}");
        assert!(drift(&before, &before).is_empty());
    }

    #[test]
    fn fidelity_scores_the_worst_statistic_against_the_bar() {
        let p = BTreeMap::from([("orders".to_string(), table(1000, &[("shipped", 0.6), ("new", 0.3)]))]);
        let w = BTreeMap::from([("orders".to_string(), table(1000, &[("shipped", 0.62), ("new", 0.3)]))]);
        let f = fidelity(&p, &w, &[("orders".into(), "status".into())]);
        assert!(f[0].from_stats);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].worst, "frequency");
        assert!((f[0].score - 2.0).abs() < 1e-6, "{}", f[0].score);
    }

    #[test]
    fn text_between_two_bounds_is_placed_by_its_characters() {
        assert!((text_fraction("note 10", "note 15", "note 20") - 0.5).abs() < 0.01);
        assert!(text_fraction("ab", "abzz", "ac") > 0.9, "{}", text_fraction("ab", "abzz", "ac"));
        assert!(text_fraction("ab", "aba", "ac") < 0.1, "{}", text_fraction("ab", "aba", "ac"));
        assert!(text_fraction("ab", "ab", "ac").abs() < 1e-9);
        assert!((text_fraction("x", "x", "x") - 0.5).abs() < 1e-9);
    }

    #[test]
    fn text_quantiles_are_not_a_bucket_off_between_bounds() {
        let text = |bounds: &[&str]| ColumnStats {
            kind: ValueKind::Text,
            type_name: "text".into(),
            null_frac: 0.0,
            n_distinct: -1.0,
            avg_width: 4,
            correlation: None,
            order_correlation: None,
            most_common: Vec::new(),
            histogram: bounds.iter().map(|b| (*b).to_string()).collect(),
            surrogates: false,
        };
        // The world's bounds are production's with a letter appended: the same quantiles.
        let p = text(&["ba", "da", "fa", "ha", "ja"]);
        let w = text(&["bam", "dam", "fam", "ham", "jam"]);
        let shift = quantile_shift(&p, &w).unwrap();
        assert!(shift < 0.5, "{shift}");
        // Shifted by two buckets is still seen.
        let w = text(&["fa", "ha", "ja", "la", "na"]);
        let shift = quantile_shift(&p, &w).unwrap();
        assert!(shift >= 1.9, "{shift}");
    }
}
