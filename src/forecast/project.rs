//! The arithmetic of a projection: a sample's statistics carried to the size it stands
//! for. Pure functions; the queries that feed them are in `world`.

/// A column's distinct count as ANALYZE would record it for a table of `rows` rows, from
/// a sample of it: `n` non-NULL values, `d` of them distinct, `f1` of those seen once.
/// This is the estimator ANALYZE itself applies to its sample (Haas and Stokes' Duj1,
/// with the same limits), so the projected count is the one a real ANALYZE of the large
/// table would likely keep. Negative: a share of the rows (the count grows with them).
pub(crate) fn distinct(n: f64, d: f64, f1: f64, rows: f64, null_frac: f64) -> f64 {
    if n <= 0.0 || d <= 0.0 || rows <= 0.0 {
        return 0.0;
    }
    let estimate = if f1 >= d {
        // Every value seen once: a key; it grows with the rows.
        return -(1.0 - null_frac);
    } else if f1 <= 0.0 {
        // Every value seen more than once: these are all there are.
        d
    } else {
        let total = rows * (1.0 - null_frac);
        let e = (n * d) / ((n - f1) + f1 * n / total.max(n));
        e.clamp(d, total.max(d)).round()
    };
    if estimate > 0.1 * rows { -(estimate / rows).min(1.0) } else { estimate }
}

/// How many of a sample's most common values (their counts in the sample, most common
/// first) ANALYZE would keep as most common values of the whole table: those significantly
/// more common than the values left out would be estimated, judged as ANALYZE judges a
/// sample of `sample_rows` from `rows` rows (`distinct` as ANALYZE records it). Values
/// that repeat in the sample by chance go.
pub(crate) fn common_values_kept(counts: &[f64], distinct: f64, null_frac: f64, sample_rows: f64, rows: f64) -> usize {
    let mut kept = counts.len();
    if sample_rows >= rows || rows <= 1.0 {
        return kept;
    }
    let distinct = if distinct < 0.0 { -distinct * rows } else { distinct };
    let mut sum: f64 = counts.iter().take(kept.saturating_sub(1)).sum();
    while kept > 0 {
        let mut selectivity = (1.0 - sum / sample_rows - null_frac).clamp(0.0, 1.0);
        #[expect(clippy::cast_precision_loss)]
        let others = distinct - (kept - 1) as f64;
        if others > 1.0 {
            selectivity /= others;
        }
        let (n, big) = (sample_rows, rows);
        let k = big * counts[kept - 1] / n;
        let variance = n * k * (big - k) * (big - n) / (big * big * (big - 1.0));
        if counts[kept - 1] > selectivity * sample_rows + 2.0 * variance.max(0.0).sqrt() + 0.5 {
            break;
        }
        kept -= 1;
        if kept == 0 {
            break;
        }
        sum -= counts[kept - 1];
    }
    kept
}

/// The pages of a relation that held `pages` for `sampled` rows, at `total` rows.
pub(crate) fn pages(pages: f64, sampled: f64, total: f64) -> u64 {
    if sampled <= 0.0 || pages <= 0.0 {
        return 0;
    }
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let p = (pages * total / sampled).ceil().max(1.0) as u64;
    p
}

/// The files holding `blocks` blocks of a relation: (segment number, bytes), segment 0
/// being the relation's own file and segment `i` the file with suffix `.i`. Every
/// segment but the last holds exactly `segment_blocks`, as Postgres expects.
pub(crate) fn segments(blocks: u64, segment_blocks: u64, block_size: u64) -> Vec<(u64, u64)> {
    let segment_blocks = segment_blocks.max(1);
    let count = blocks.div_ceil(segment_blocks).max(1);
    (0..count).map(|i| (i, (blocks - i * segment_blocks).min(segment_blocks) * block_size)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(clippy::float_cmp, reason = "exact values: the limits the estimator returns as they are")]
    fn a_key_stays_a_share_of_the_rows() {
        assert_eq!(distinct(100_000.0, 100_000.0, 100_000.0, 3e7, 0.0), -1.0);
        assert_eq!(distinct(90_000.0, 90_000.0, 90_000.0, 3e7, 0.1), -0.9);
    }

    #[test]
    #[expect(clippy::float_cmp, reason = "the count seen, returned as it is")]
    fn a_closed_set_of_values_keeps_its_count() {
        assert_eq!(distinct(100_000.0, 12.0, 0.0, 3e7, 0.0), 12.0);
    }

    #[test]
    fn a_growing_set_is_estimated_as_analyze_would() {
        // 100k rows of a 10M-row table, 60k values seen, 40k of them once.
        let d = distinct(100_000.0, 60_000.0, 40_000.0, 1e7, 0.0);
        let expected = 100_000.0 * 60_000.0 / (60_000.0 + 40_000.0 * 100_000.0 / 1e7);
        assert!(d > 0.0 && (d - expected).abs() / expected < 1e-3, "{d} vs {expected}");
        // Few values: an absolute count.
        let few = distinct(100_000.0, 900.0, 10.0, 1e7, 0.0);
        assert!((900.0..1000.0).contains(&few), "{few}");
    }

    #[test]
    fn values_common_by_chance_leave_the_list() {
        // A sample of 90k rows of 9M: one value truly common (900 in the sample), then
        // values seen twice by chance among a million distinct.
        let counts = [900.0, 2.0, 2.0, 2.0];
        assert_eq!(common_values_kept(&counts, 1e6, 0.0, 90_000.0, 9e6), 1);
        // The whole table sampled: all stay, as ANALYZE keeps them.
        assert_eq!(common_values_kept(&counts, 1e6, 0.0, 9e6, 9e6), 4);
        // Values clearly more common than the rest stay, those seen twice go.
        let skewed = [30_000.0, 20_000.0, 100.0, 2.0, 2.0];
        assert_eq!(common_values_kept(&skewed, 1e5, 0.0, 90_000.0, 9e6), 3);
    }

    #[test]
    fn pages_grow_with_rows() {
        assert_eq!(pages(443.0, 100_000.0, 1e7), 44_300);
        assert_eq!(pages(1.0, 10.0, 11.0), 2);
        assert_eq!(pages(0.0, 10.0, 100.0), 0);
    }

    #[test]
    fn segments_are_full_but_the_last() {
        assert_eq!(segments(10, 131_072, 8192), vec![(0, 81_920)]);
        assert_eq!(segments(200_000, 131_072, 8192), vec![(0, 131_072 * 8192), (1, 68_928 * 8192)]);
        assert_eq!(segments(262_144, 131_072, 8192), vec![(0, 131_072 * 8192), (1, 131_072 * 8192)]);
    }
}
