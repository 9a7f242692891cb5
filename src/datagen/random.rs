//! Counter-based randomness: every cell's value depends only on (seed, table, column, row).
//!
//! That is what makes the data repeat exactly across runs and machines, and what makes
//! the rows at a smaller scale a prefix of the rows at a larger one: row i is the same
//! row whenever it is generated.

use std::convert::Infallible;

use rand::TryRng;

/// SplitMix64's finalizer: a strong 64-bit mixing function.
#[inline]
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// A stable 64-bit hash of a string (FNV-1a, then mixed).
pub(crate) fn hash_str(s: &str) -> u64 {
    hash_bytes(s.as_bytes())
}

/// A stable 64-bit hash of bytes (FNV-1a, then mixed).
pub(crate) fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix(h)
}

/// The seed of one stream (a column, a key group) of one table.
pub(crate) fn stream_seed(seed: u64, table: &str, stream: &str) -> u64 {
    mix(seed ^ hash_str(table).rotate_left(17) ^ hash_str(stream).rotate_left(41))
}

/// Derive an independent seed from a seed (for nested generators).
pub(crate) fn derive(seed: u64, salt: u64) -> u64 {
    mix(seed ^ salt.wrapping_mul(GOLDEN))
}

/// SplitMix64, started at one cell: cheap to create per cell, good enough for test data.
#[derive(Debug, Clone)]
pub(crate) struct CellRng(u64);

impl CellRng {
    #[inline]
    pub(crate) fn new(seed: u64, row: u64) -> CellRng {
        CellRng(mix(seed ^ row.wrapping_mul(GOLDEN)))
    }

    #[inline]
    pub(crate) fn draw(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    #[inline]
    pub(crate) fn unit(&mut self) -> f64 {
        #[expect(clippy::cast_precision_loss)]
        let v = (self.draw() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        v
    }

    /// Uniform in [0, n); n > 0.
    #[inline]
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        // Lemire's multiply-shift; the bias is below 2^-64 * n, invisible in test data.
        let v = (u128::from(self.draw()) * u128::from(n)) >> 64;
        u64::try_from(v).expect("the high half of a 128-bit product fits 64 bits")
    }
}

impl TryRng for CellRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.draw() >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.draw())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let v = self.draw().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

/// A seeded permutation of [0, n): a 4-round Feistel network over the next even power of
/// two, with cycle walking. O(1) memory, so `unique()` needs no hash set however many rows.
#[derive(Debug, Clone)]
pub(crate) struct Permutation {
    n: u64,
    half_bits: u32,
    keys: [u64; 4],
}

impl Permutation {
    pub(crate) fn new(n: u64, seed: u64) -> Permutation {
        assert!(n > 0, "a permutation of nothing");
        let bits = 64 - (n - 1).leading_zeros();
        let half_bits = bits.div_ceil(2).max(1);
        let keys = [derive(seed, 1), derive(seed, 2), derive(seed, 3), derive(seed, 4)];
        Permutation { n, half_bits, keys }
    }

    /// Row `row`'s stratum in [0, 1): its place in the permutation, so that over all n rows
    /// every share of [0, 1) holds exactly its share of them; a draw for rows beyond n.
    #[inline]
    pub(crate) fn stratum(&self, row: u64, rng: &mut CellRng) -> f64 {
        #[expect(clippy::cast_precision_loss)]
        if row < self.n { (self.apply(row) as f64 + 0.5) / self.n as f64 } else { rng.unit() }
    }

    /// The image of `i` (< n).
    #[inline]
    pub(crate) fn apply(&self, i: u64) -> u64 {
        debug_assert!(i < self.n);
        let mut x = i;
        loop {
            x = self.round_trip(x);
            if x < self.n {
                return x;
            }
        }
    }

    #[inline]
    fn round_trip(&self, x: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let (mut l, mut r) = (x >> self.half_bits, x & mask);
        for k in self.keys {
            let f = mix(r ^ k) & mask;
            (l, r) = (r, l ^ f);
        }
        (l << self.half_bits) | r
    }
}

/// Places in [0, 1) for the n rows of a full table, a share of them in insertion order:
/// those rows take their own place (row i of n at i/n), and the others the remaining places
/// in a seeded order. Over all n rows every place is taken exactly once, so a column laid
/// out by these places has each share of its values exactly at production's size, whatever
/// share follows insertion order. The rows in order are spread evenly over the table (every
/// prefix holds its share of them); rows beyond n draw.
#[derive(Debug, Clone)]
pub(crate) struct Places {
    n: u64,
    /// The share in insertion order, in 2^-32ths.
    share: u64,
    /// The order of the other rows' places.
    scatter: Option<Permutation>,
}

/// A row's place, and whether it follows insertion order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place {
    pub(crate) at: f64,
    pub(crate) in_order: bool,
}

impl Places {
    pub(crate) fn new(n: u64, in_order: f64, seed: u64) -> Places {
        let n = n.max(1);
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let share = (in_order.clamp(0.0, 1.0) * 4_294_967_296.0).round() as u64;
        let mut places = Places { n, share, scatter: None };
        let others = n - places.in_order_below(n);
        places.scatter = (others > 0).then(|| Permutation::new(others, seed));
        places
    }

    /// Rows in insertion order among rows [0, i).
    #[inline]
    fn in_order_below(&self, i: u64) -> u64 {
        u64::try_from((u128::from(i) * u128::from(self.share)) >> 32).expect("at most i")
    }

    /// The index of the r-th (from 0) row that is not in insertion order.
    fn other_at(&self, r: u64) -> u64 {
        let others_below = |i: u64| i - self.in_order_below(i);
        // others_below(i) is within one of i * (1 - share): search a window around it.
        let free = (1u64 << 32) - self.share;
        let guess = u64::try_from((u128::from(r) << 32) / u128::from(free.max(1))).unwrap_or(u64::MAX);
        let slack = u64::try_from((1u128 << 33) / u128::from(free.max(1))).unwrap_or(u64::MAX).saturating_add(2);
        let (mut lo, mut hi) = (guess.saturating_sub(slack), guess.saturating_add(slack).min(self.n - 1));
        // The smallest i with others_below(i + 1) > r.
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if others_below(mid + 1) > r { hi = mid } else { lo = mid + 1 }
        }
        lo
    }

    /// For a row not in insertion order, its stratum among those rows alone: over all of
    /// them, every share of [0, 1) holds exactly its share. None for a row in order. Rows
    /// beyond n draw both.
    #[inline]
    pub(crate) fn scattered(&self, row: u64, rng: &mut CellRng) -> Option<f64> {
        if row >= self.n {
            #[expect(clippy::cast_precision_loss)]
            let in_order = rng.unit() * 4_294_967_296.0 < self.share as f64;
            return (!in_order).then(|| rng.unit());
        }
        let before = self.in_order_below(row);
        if self.in_order_below(row + 1) > before {
            return None;
        }
        let scatter = self.scatter.as_ref().expect("a row not in order means there are such rows");
        Some(scatter.stratum(row - before, rng))
    }

    /// Whether the place `at` is one of a `share` of the places spread over the order by a
    /// golden-ratio (Weyl) sequence: every stretch of places holds the share to within a
    /// few, so the places left fill the order evenly, and no stride of rows (those in
    /// insertion order are one) lines up with it.
    #[inline]
    pub(crate) fn spread(&self, at: f64, share: f64) -> bool {
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let i = (at * self.n as f64) as u64;
        #[expect(clippy::cast_precision_loss)]
        let turn = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) as f64 / 18_446_744_073_709_551_616.0;
        turn < share
    }

    #[inline]
    pub(crate) fn place(&self, row: u64, rng: &mut CellRng) -> Place {
        #[expect(clippy::cast_precision_loss)]
        let own = |i: u64| ((i as f64 + 0.5) / self.n as f64).min(1.0 - f64::EPSILON);
        if row >= self.n {
            #[expect(clippy::cast_precision_loss)]
            let in_order = rng.unit() * 4_294_967_296.0 < self.share as f64;
            return Place { at: if in_order { own(row) } else { rng.unit() }, in_order };
        }
        let before = self.in_order_below(row);
        if self.in_order_below(row + 1) > before {
            return Place { at: own(row), in_order: true };
        }
        let scatter = self.scatter.as_ref().expect("a row not in order means there are such rows");
        Place { at: own(self.other_at(scatter.apply(row - before))), in_order: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_is_a_bijection() {
        for n in [1, 2, 3, 7, 100, 1000, 4097] {
            let p = Permutation::new(n, 42);
            let mut seen = vec![false; usize::try_from(n).unwrap()];
            for i in 0..n {
                let v = usize::try_from(p.apply(i)).unwrap();
                assert!(!seen[v], "n={n}: {v} twice");
                seen[v] = true;
            }
        }
    }

    #[test]
    fn places_are_each_taken_once_whatever_share_is_in_order() {
        for (n, share) in [(1, 0.5), (10, 0.0), (10, 1.0), (1000, 0.3), (997, 0.86), (5000, 0.999)] {
            let places = Places::new(n, share, 7);
            let mut rng = CellRng::new(1, 1);
            let mut seen = vec![false; usize::try_from(n).unwrap()];
            let mut in_order = 0;
            for row in 0..n {
                let p = places.place(row, &mut rng);
                #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
                let i = (p.at * n as f64) as usize;
                assert!(!seen[i], "n={n} share={share}: place {i} twice");
                seen[i] = true;
                if p.in_order {
                    assert_eq!(i as u64, row);
                    in_order += 1;
                }
            }
            // Alone, the rows not in order are an exact stratification too.
            let mut strata: Vec<f64> = (0..n).filter_map(|row| places.scattered(row, &mut rng)).collect();
            strata.sort_by(f64::total_cmp);
            #[expect(clippy::cast_precision_loss)]
            let spread =
                strata.iter().enumerate().all(|(i, u)| ((i as f64 + 0.5) / strata.len() as f64 - u).abs() < 1e-9);
            assert!(spread, "n={n} share={share}");
            #[expect(clippy::cast_precision_loss)]
            let (got, n_f) = (f64::from(in_order) / n as f64, n as f64);
            assert!((got - share).abs() <= 1.0 / n_f + 1e-9, "n={n}: {got} in order, wanted {share}");
        }
    }

    #[test]
    fn cells_repeat_and_differ() {
        assert_eq!(CellRng::new(7, 3).draw(), CellRng::new(7, 3).draw());
        assert_ne!(CellRng::new(7, 3).draw(), CellRng::new(7, 4).draw());
        assert_ne!(CellRng::new(8, 3).draw(), CellRng::new(7, 3).draw());
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = CellRng::new(1, 1);
        let mut seen = [false; 10];
        for _ in 0..1000 {
            seen[usize::try_from(rng.below(10)).unwrap()] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
