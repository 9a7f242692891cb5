//! Which parent a numbered foreign key's row refers to, when production's statistics describe
//! the column: the parents production uses, each of them by at least one row.
//!
//! The rows that are not of a most common parent (the rest) spread over the histogram's
//! buckets, each bucket's rows evenly over the parents it spans. Drawn at random, a parent
//! with one or two rows is missed often: a table with one or two children per parent leaves
//! a tenth of its parents unused where production uses every one. Here the parents used are
//! production's distinct count of them, spread evenly over each bucket's keys, the most
//! common ones left out (they have rows of their own), and each bucket holds at least a row
//! for each of its parents. With places taken once each (as the `stats` generator's are at
//! production's size), every used parent gets a row; the mapping from place to key keeps
//! order, so the column keeps production's correlation and quantiles.

use crate::snapshot::ColumnStats;

#[derive(Debug)]
pub(super) struct KeySlots {
    /// The lowest key of the histogram.
    low_key: u64,
    /// Keys in the histogram's range, the most common ones left out.
    keys: f64,
    /// Used parents in the rest.
    slots: f64,
    /// The most common keys in the range, ascending.
    common: Vec<u64>,
    /// At each bucket's start (and the end): the place in the rest's order, and the key's rank.
    places: Vec<f64>,
    ranks: Vec<f64>,
}

impl KeySlots {
    /// The layout for a column of `full_rows` rows at production's size, or None when its
    /// histogram is not of keys.
    pub(super) fn new(stats: &ColumnStats, full_rows: u64) -> Option<KeySlots> {
        let bounds: Vec<f64> = stats.histogram.iter().map(|v| v.parse::<f64>().ok()).collect::<Option<_>>()?;
        let (&first, &last) = (bounds.first()?, bounds.last()?);
        if bounds.len() < 2 || last < first {
            return None;
        }
        let (low, high) = (first.round(), last.round());
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let mut common: Vec<u64> = stats
            .most_common
            .iter()
            .filter_map(|m| m.value.parse::<f64>().ok())
            .filter(|v| (low..=high).contains(v))
            .map(|v| v as u64)
            .collect();
        common.sort_unstable();
        common.dedup();
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let low_key = low.max(0.0) as u64;
        // A key's rank: its place among the keys that are not most common.
        #[expect(clippy::cast_precision_loss)]
        let rank = |x: f64| (x - low) - common.partition_point(|c| (*c as f64) < x) as f64;
        let keys = rank(high + 1.0).max(1.0);
        #[expect(clippy::cast_precision_loss)]
        let rest_rows = stats.rest() * full_rows as f64;
        #[expect(clippy::cast_precision_loss)]
        let slots = (stats.distinct_at(full_rows) - stats.most_common.len() as f64).clamp(1.0, keys).floor();
        let buckets = bounds.len() - 1;
        let mut ranks: Vec<f64> = bounds.iter().map(|b| rank(b.round())).collect();
        ranks[buckets] = keys;
        // Each bucket holds its share of the rest, as production's histogram says, unless
        // that is less than a row for each parent it spans: then it holds one row each.
        #[expect(clippy::cast_precision_loss)]
        let share = 1.0 / buckets as f64;
        let floors: Vec<f64> = ranks
            .windows(2)
            .map(|r| if rest_rows >= 1.0 { (r[1] - r[0]) * slots / keys / rest_rows } else { 0.0 })
            .collect();
        let mut widths: Vec<f64> = floors.iter().map(|f| f.max(share)).collect();
        // What the raised buckets took comes out of the others' room above their floor.
        let excess = widths.iter().sum::<f64>() - 1.0;
        let room: f64 = floors.iter().map(|f| (share - f).max(0.0)).sum();
        if excess > 0.0 && room > 0.0 {
            let cut = (excess / room).min(1.0);
            for (w, f) in widths.iter_mut().zip(&floors) {
                *w -= (share - f).max(0.0) * cut;
            }
        }
        let total: f64 = widths.iter().sum();
        let places = std::iter::once(0.0)
            .chain(widths.iter().scan(0.0, |acc, w| {
                *acc += w / total;
                Some(*acc)
            }))
            .collect();
        Some(KeySlots { low_key, keys, slots, common, places, ranks })
    }

    /// The parent key at `place` in the rest's order, in [0, 1).
    pub(super) fn key_at(&self, place: f64) -> u64 {
        let b = self.places.partition_point(|p| *p <= place).clamp(1, self.places.len() - 1) - 1;
        let (p0, p1) = (self.places[b], self.places[b + 1]);
        let share = if p1 > p0 { ((place - p0) / (p1 - p0)).clamp(0.0, 1.0) } else { 0.0 };
        let rank = self.ranks[b] + share * (self.ranks[b + 1] - self.ranks[b]);
        // The rank's slot, and the slot's key.
        let slot = (rank * self.slots / self.keys).floor().clamp(0.0, self.slots - 1.0);
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let rank = ((slot + 0.5) * self.keys / self.slots) as u64;
        // The rank-th key that is not most common: step past the common ones at or below it.
        let mut skipped = 0;
        loop {
            let below = self.common.partition_point(|c| *c <= self.low_key + rank + skipped) as u64;
            if below == skipped {
                break;
            }
            skipped = below;
        }
        self.low_key + rank + skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Frequent, ValueKind};

    /// 1,000 parents, ten of them hot, the rest one or two rows each.
    fn fan_out() -> ColumnStats {
        ColumnStats {
            kind: ValueKind::Number,
            type_name: "int4".into(),
            null_frac: 0.0,
            n_distinct: 1000.0,
            avg_width: 4,
            correlation: None,
            order_correlation: None,
            most_common: (0..10).map(|i| Frequent { value: (1 + 97 * i).to_string(), freq: 0.02 }).collect(),
            histogram: (0..=100).map(|i| (1 + i * 10 - i / 100).to_string()).collect(),
            surrogates: false,
        }
    }

    #[test]
    fn every_used_parent_gets_a_row_when_places_are_spread_evenly() {
        let stats = fan_out();
        let rows = 1_500;
        let slots = KeySlots::new(&stats, rows).unwrap();
        #[expect(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let rest = (stats.rest() * rows as f64).round() as u64;
        let mut keys: Vec<u64> = (0..rest)
            .map(|i| {
                #[expect(clippy::cast_precision_loss)]
                let place = (i as f64 + 0.5) / rest as f64;
                slots.key_at(place)
            })
            .collect();
        assert!(keys.windows(2).all(|w| w[0] <= w[1]), "order is kept");
        keys.dedup();
        assert_eq!(keys.len(), 990, "every parent but the ten hot ones");
        let hot: Vec<u64> = (0..10).map(|i| 1 + 97 * i).collect();
        assert!(keys.iter().all(|k| (1..=1000).contains(k) && !hot.contains(k)), "{keys:?}");
    }

    #[test]
    fn fewer_used_parents_than_keys_stay_that_many() {
        let mut stats = fan_out();
        stats.n_distinct = 400.0;
        let slots = KeySlots::new(&stats, 100_000).unwrap();
        let mut keys: Vec<u64> = (0..100_000).map(|i| slots.key_at(f64::from(i) / 100_000.0)).collect();
        keys.dedup();
        assert_eq!(keys.len(), 390);
    }

    #[test]
    fn the_stats_generator_with_these_slots_uses_every_parent_at_productions_size() {
        // Production: 1,300 rows, in parent order for the most part.
        let mut stats = fan_out();
        stats.n_distinct = -0.769_230_8;
        stats.correlation = Some(0.86);
        stats.histogram = (0..=100).map(|i| (2 + i * 998 / 100).to_string()).collect();
        for m in &mut stats.most_common {
            m.freq = 0.023_846;
        }
        let rows = 1_300;
        let sampler = super::super::stats::StatsSampler::new(&stats, rows, true, None, 9).unwrap().without_grid();
        let slots = KeySlots::new(&stats, rows).unwrap();
        let mut keys: Vec<u64> = (0..rows)
            .map(|row| match sampler.pick(5, row) {
                super::super::stats::Pick::Common(i) => stats.most_common[i].value.parse().unwrap(),
                super::super::stats::Pick::Rest { place, .. } => slots.key_at(place),
                super::super::stats::Pick::Null => 0,
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        // Production's histogram is of a sample: a bucket here or there holds fewer rows than
        // it spans parents, and the layout gives it as many as it can.
        assert!(keys.len() >= 995, "{} parents", keys.len());
    }
}
