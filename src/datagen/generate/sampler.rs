//! Compiled generators: what each writes for a row, in COPY text format.

use std::io::Write;
use std::sync::Arc;

use rand_distr::{Distribution, Normal, Zipf};

use super::text::{NumFmt, write_float};
use crate::calendar::TimeAt;
use crate::config::generator::TypedGen;
use crate::datagen::generate::ColumnGen;
use crate::datagen::generate::keys::KeySlots;
use crate::datagen::generate::stats::{Pick, StatsSampler};
use crate::datagen::random::{CellRng, Permutation, Places, derive, hash_bytes};
use crate::datagen::values::{WORDS, write_typed, write_typed_unique};
use crate::datagen::wire::{self, Wire};

/// A generator ready to write values for one scale step.
#[derive(Debug)]
pub(super) enum Sampler {
    Serial,
    Int {
        lo: i64,
        span: u64,
    },
    /// lo + a permutation of the row number: distinct values.
    IntPerm {
        lo: i64,
        perm: Permutation,
    },
    Float {
        lo: f64,
        hi: f64,
        fmt: NumFmt,
    },
    FloatPerm {
        lo: f64,
        step: f64,
        perm: Permutation,
        fmt: NumFmt,
    },
    Normal {
        dist: Normal<f64>,
        fmt: NumFmt,
    },
    Zipf {
        dist: Zipf<f64>,
        perm: Permutation,
    },
    Bool {
        p: f64,
    },
    Choice {
        values: Vec<Vec<u8>>,
        cumulative: Vec<f64>,
    },
    ChoicePerm {
        values: Vec<Vec<u8>>,
        perm: Permutation,
    },
    Timestamp {
        span_secs: u64,
        at: TimeAt,
        date_only: bool,
        tz: bool,
    },
    TimestampPerm {
        perm: Permutation,
        at: TimeAt,
        date_only: bool,
        tz: bool,
    },
    Text {
        min: u32,
        max: u32,
        max_len: Option<usize>,
        unique: bool,
    },
    Uuid,
    Ref(Box<RefSampler>),
    Null {
        p: f64,
        inner: Box<Sampler>,
    },
    /// The inner sampler drawn by the value of another column of the row.
    Depends {
        source: Arc<ColumnGen>,
        inner: Box<Sampler>,
        noise: f64,
    },
    Const(Option<Vec<u8>>),
    Json,
    Array(Box<Sampler>),
    /// An inferred type's values; `unique`: made from the row's number, one per row.
    Typed {
        t: TypedGen,
        unique: bool,
    },
    Stats(Box<StatsSampler>),
    KeyedRef(Box<KeyedRef>),
}

/// A `stats` foreign key to a parent whose keys are numbered 1, 2, 3 (serial, identity):
/// the column's values as production's statistics describe them (hot keys, the histogram
/// of the rest, the distinct count, the order), each read as the parent row holding that
/// key, or, for a key no parent holds at this scale, one that exists.
#[derive(Debug)]
pub(super) struct KeyedRef {
    pub(crate) stats: StatsSampler,
    /// The parents of the rows that are not of a most common one.
    pub(crate) slots: Option<KeySlots>,
    /// The parent row of each most common value.
    pub(crate) hot_rows: Vec<u64>,
    pub(crate) parent: Arc<ColumnGen>,
    /// Parent rows at this scale.
    pub(crate) parents: u64,
}

impl KeyedRef {
    #[inline]
    fn write(&self, seed: u64, row: u64, out: &mut Vec<u8>) {
        let parent = match self.stats.pick(seed, row) {
            Pick::Null => {
                out.extend_from_slice(b"\\N");
                return;
            }
            Pick::Common(i) => self.hot_rows[i],
            Pick::Rest { place, .. } => {
                if let Some(slots) = &self.slots {
                    slots.key_at(place).saturating_sub(1)
                } else {
                    let key = self.stats.number_at(place).unwrap_or(1.0).round();
                    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let row = (key.max(1.0) as u64) - 1;
                    row
                }
            }
        };
        self.parent.write(parent % self.parents.max(1), out);
    }
}

/// Which parent rows exist for a child row.
#[derive(Debug, Clone, Copy)]
pub(super) enum Population {
    /// A fixed set of parent rows.
    Fixed(u64),
    /// The world grows together: child row i of `n_child` sees `floor((i+1) * n_parent / n_child)`
    /// parents, never more than exist at this scale.
    Proportional { parent_full: u64, child_full: u64, now: u64 },
    /// Self-references: the rows before this one.
    Earlier,
}

#[derive(Debug)]
pub(super) struct RefSampler {
    /// The parent column's sampler and stream seed: its value at parent row j is computed, not stored.
    pub(crate) parent: Arc<ColumnGen>,
    pub(crate) population: Population,
    /// Zipf over the parent's full rows, popularity shuffled.
    pub(crate) zipf: Option<(Zipf<f64>, Permutation, u64)>,
    /// Seed that picks the parent row (shared by the columns of a composite key).
    pub(crate) pick_seed: u64,
    /// The newest share of the parents born so far that a child picks from (0: a few).
    pub(crate) spread: f64,
    /// For a unique reference: the parents each child row owns (see `distinct_stride`).
    pub(crate) stride: Option<f64>,
    /// Production's hot parents (a `stats` foreign key): picked with their frequencies.
    pub(crate) hot: Option<HotParents>,
}

/// Parent rows that production's statistics name as most common, with the end of each
/// one's share of the child rows (cumulative); a draw past the last end picks as usual.
#[derive(Debug)]
pub(super) struct HotParents {
    pub(crate) ends: Vec<f64>,
    pub(crate) rows: Vec<u64>,
    /// `rows`, sorted and without repeats.
    pub(crate) sorted_rows: Vec<u64>,
    /// The share of the other parents that production uses (its distinct count past the hot
    /// ones): the rest spreads over that many, evenly.
    pub(crate) used: f64,
    /// Child row i of `child_full` in insertion order (a share as production's correlation
    /// says) picks parent row `i * parent_full / child_full`.
    pub(crate) parent_full: u64,
    pub(crate) child_full: u64,
    pub(crate) null_frac: f64,
    /// Which rows follow insertion order, and the others' strata, which decide NULL, the
    /// hot parent and the rest's parent, so that at production's size their shares are
    /// exact and every parent of the rest gets its rows.
    pub(crate) places: Places,
}

impl HotParents {
    /// The parent row of child row `row` among `pop` parents (None: NULL).
    #[inline]
    fn pick(&self, row: u64, pop: u64, rng: &mut CellRng) -> Option<u64> {
        // A row in insertion order draws NULL and its hot parent; the others have them by
        // their stratum.
        let scattered = self.places.scattered(row, rng);
        let stratum = scattered.unwrap_or_else(|| rng.unit());
        if stratum < self.null_frac {
            return None;
        }
        let u = (stratum - self.null_frac) / (1.0 - self.null_frac);
        let k = self.ends.partition_point(|e| *e <= u);
        if let Some(parent) = self.rows.get(k) {
            // A hot parent not born yet at this row: one that is.
            return Some(parent % pop);
        }
        if scattered.is_none() {
            let at = u128::from(row) * u128::from(self.parent_full) / u128::from(self.child_full.max(1));
            return Some(u64::try_from(at).unwrap_or(u64::MAX).min(pop - 1));
        }
        // The rest spread evenly over the parents, by the stratum's place past the hot ones.
        let start = self.ends.last().copied().unwrap_or(0.0);
        let rest = ((u - start) / (1.0 - start).max(f64::MIN_POSITIVE)).clamp(0.0, 1.0 - f64::EPSILON);
        // Production's hot parents have their share already: the rest goes to the others.
        let hot_here = self.sorted_rows.partition_point(|h| *h < pop) as u64;
        let others = pop.saturating_sub(hot_here).max(1);
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let mut j = {
            let used = (others as f64 * self.used).ceil().max(1.0);
            let slot = (rest * used).floor();
            (((slot + 0.5) * others as f64 / used) as u64).min(others - 1)
        };
        // The j-th parent that is not hot: step past the hot ones at or below it.
        let mut skipped = 0;
        loop {
            let below = self.sorted_rows.partition_point(|h| *h <= j + skipped) as u64;
            if below == skipped {
                break;
            }
            skipped = below;
        }
        j += skipped;
        Some(j.min(pop - 1))
    }
}

/// How many of the newest parents a child picks from at spread 0: few enough that a
/// parent's children lie within a few parents' worth of rows, enough that the number
/// of children per parent varies.
pub(super) const CLUSTER_WINDOW: u64 = 4;

impl RefSampler {
    /// The parent row for child row `row`, or None (a self-reference of the first row).
    #[inline]
    pub(super) fn pick(&self, row: u64) -> Option<u64> {
        let pop = match self.population {
            Population::Fixed(n) => n,
            Population::Proportional { parent_full, child_full, now } => {
                #[expect(clippy::cast_possible_truncation)]
                let born = ((u128::from(row) + 1) * u128::from(parent_full) / u128::from(child_full)) as u64;
                born.clamp(1, now.max(1))
            }
            Population::Earlier => row,
        };
        if pop == 0 {
            return None;
        }
        let mut rng = CellRng::new(self.pick_seed, row);
        if let Some(hot) = &self.hot {
            return hot.pick(row, pop, &mut rng);
        }
        if let Some(stride) = self.stride {
            #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
            let (first, run) = ((row as f64 * stride) as u64, stride as u64);
            return Some((first + rng.below(run.max(1))).min(pop - 1));
        }
        if let Some((dist, perm, full)) = &self.zipf {
            // Ranks over the whole (full-size) parent table, so popular parents stay popular
            // at every scale; the share of a parent not yet born goes to a born one.
            #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let rank = (dist.sample(&mut rng) as u64).clamp(1, *full);
            return Some(perm.apply(rank - 1) % pop);
        }
        if !matches!(self.population, Population::Proportional { .. }) {
            return Some(rng.below(pop));
        }
        // Among the newest parents only: picking from all would give the oldest parent
        // about ln(parents) times the average share (it exists for every child row),
        // while a window that is a fixed share of the parents gives every parent but the
        // newest the same expected share, at every scale.
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let window = if self.spread > 0.0 {
            ((pop as f64 * self.spread).ceil() as u64).clamp(1, pop)
        } else {
            CLUSTER_WINDOW.min(pop)
        };
        Some(pop - window + rng.below(window))
    }
}

impl Sampler {
    /// Whether every value this writes goes into a `wire` column by its binary input: the
    /// text is one [`Wire::encode`] reads as the server's text input reads it. (A value
    /// either refuses, such as one out of a type's range, the server refuses too.)
    pub(super) fn binary_ok(&self, wire: Wire) -> bool {
        let numeric = matches!(wire, Wire::Float4 | Wire::Float8 | Wire::Numeric | Wire::Text);
        let integer = matches!(wire, Wire::Int2 | Wire::Int4 | Wire::Int8);
        match self {
            Sampler::Serial | Sampler::Int { .. } | Sampler::IntPerm { .. } | Sampler::Zipf { .. } => {
                numeric || integer
            }
            Sampler::Float { fmt, .. } | Sampler::FloatPerm { fmt, .. } | Sampler::Normal { fmt, .. } => {
                numeric || (integer && matches!(fmt, NumFmt::Integer))
            }
            Sampler::Bool { .. } => matches!(wire, Wire::Bool | Wire::Text),
            Sampler::Timestamp { .. } | Sampler::TimestampPerm { .. } => {
                matches!(wire, Wire::Timestamp | Wire::TimestampTz | Wire::Date | Wire::Text)
            }
            Sampler::Choice { values, .. } | Sampler::ChoicePerm { values, .. } => {
                values.iter().all(|v| wire.encode(v, &mut Vec::new()))
            }
            Sampler::Const(v) => wire.encode(v.as_deref().unwrap_or(b"\\N"), &mut Vec::new()),
            Sampler::Ref(r) => r.parent.sampler.binary_ok(wire),
            Sampler::KeyedRef(k) => k.parent.sampler.binary_ok(wire),
            Sampler::Null { inner, .. } | Sampler::Depends { inner, .. } => inner.binary_ok(wire),
            Sampler::Text { .. }
            | Sampler::Uuid
            | Sampler::Json
            | Sampler::Array(_)
            | Sampler::Typed { .. }
            | Sampler::Stats(_) => wire == Wire::Text,
        }
    }

    /// Append the binary field of the value at `row` for a `wire` column (see
    /// [`Sampler::binary_ok`]): straight from the value where its text would read back
    /// as that very value (integers, booleans, times, floats written in full), else from
    /// its text, made in `scratch`. False when the type has no field for the value.
    pub(super) fn write_binary(
        &self,
        seed: u64,
        row: u64,
        wire: Wire,
        out: &mut Vec<u8>,
        scratch: &mut Vec<u8>,
    ) -> bool {
        let time = matches!(wire, Wire::Timestamp | Wire::TimestampTz | Wire::Date);
        match self {
            Sampler::Serial if wire.is_integer() => wire.put_int(i128::from(row) + 1, out),
            Sampler::Int { lo, span } if wire.is_integer() => {
                wire.put_int(i128::from(*lo) + i128::from(CellRng::new(seed, row).below(*span)), out)
            }
            Sampler::IntPerm { lo, perm } if wire.is_integer() => {
                wire.put_int(i128::from(*lo) + i128::from(perm.apply(row)), out)
            }
            Sampler::Zipf { dist, perm } if wire.is_integer() => {
                #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let rank = (dist.sample(&mut CellRng::new(seed, row)) as u64).max(1);
                wire.put_int(i128::from(perm.apply(rank - 1)) + 1, out)
            }
            Sampler::Bool { p } if wire == Wire::Bool => {
                wire::field(out, Some([u8::from(CellRng::new(seed, row).unit() < *p)]))
            }
            // Written in full, a float's text reads back as the float itself.
            Sampler::Float { lo, hi, fmt: NumFmt::Shortest } if wire == Wire::Float8 => {
                let u = CellRng::new(seed, row).unit();
                wire::field(out, Some((lo + u * (hi - lo)).to_be_bytes()))
            }
            Sampler::Normal { dist, fmt: NumFmt::Shortest } if wire == Wire::Float8 => {
                wire::field(out, Some(dist.sample(&mut CellRng::new(seed, row)).to_be_bytes()))
            }
            Sampler::Timestamp { span_secs, at, date_only, .. } if time => {
                wire.put_time(at.unix(CellRng::new(seed, row).below(*span_secs), *date_only), out)
            }
            Sampler::TimestampPerm { perm, at, date_only, .. } if time => {
                wire.put_time(at.unix(perm.apply(row), *date_only), out)
            }
            Sampler::Ref(r) => match r.pick(row) {
                Some(j) => r.parent.sampler.write_binary(r.parent.seed, j, wire, out, scratch),
                None => wire::null(out),
            },
            Sampler::Null { p, inner } => {
                if CellRng::new(seed, row).unit() < *p {
                    wire::null(out)
                } else {
                    inner.write_binary(derive(seed, 11), row, wire, out, scratch)
                }
            }
            _ => {
                scratch.clear();
                self.write(seed, row, scratch);
                wire.encode(scratch, out)
            }
        }
    }

    // Long: one arm per sampler, the hot loop of the loader; a call per arm would cost.
    pub(super) fn write(&self, seed: u64, row: u64, out: &mut Vec<u8>) {
        match self {
            Sampler::Serial => write_int(out, i128::from(row) + 1),
            Sampler::Int { lo, span } => {
                let v = CellRng::new(seed, row).below(*span);
                write_int(out, i128::from(*lo) + i128::from(v));
            }
            Sampler::IntPerm { lo, perm } => write_int(out, i128::from(*lo) + i128::from(perm.apply(row))),
            Sampler::Float { lo, hi, fmt } => {
                let u = CellRng::new(seed, row).unit();
                write_float(out, lo + u * (hi - lo), *fmt);
            }
            Sampler::FloatPerm { lo, step, perm, fmt } => {
                #[expect(clippy::cast_precision_loss)]
                let v = lo + step * perm.apply(row) as f64;
                write_float(out, v, *fmt);
            }
            Sampler::Normal { dist, fmt } => write_float(out, dist.sample(&mut CellRng::new(seed, row)), *fmt),
            Sampler::Zipf { dist, perm } => {
                #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let rank = (dist.sample(&mut CellRng::new(seed, row)) as u64).max(1);
                write_int(out, i128::from(perm.apply(rank - 1)) + 1);
            }
            Sampler::Bool { p } => out.push(if CellRng::new(seed, row).unit() < *p { b't' } else { b'f' }),
            Sampler::Choice { values, cumulative } => {
                let u = CellRng::new(seed, row).unit();
                let i = cumulative.partition_point(|c| *c <= u).min(values.len() - 1);
                out.extend_from_slice(&values[i]);
            }
            Sampler::ChoicePerm { values, perm } => {
                out.extend_from_slice(&values[usize::try_from(perm.apply(row)).unwrap_or(0)]);
            }
            Sampler::Timestamp { span_secs, at, date_only, tz } => {
                at.write(out, CellRng::new(seed, row).below(*span_secs), *date_only, *tz);
            }
            Sampler::TimestampPerm { perm, at, date_only, tz } => at.write(out, perm.apply(row), *date_only, *tz),
            Sampler::Text { min, max, max_len, unique } => {
                let mut rng = CellRng::new(seed, row);
                let n = *min + u32::try_from(rng.below(u64::from(max - min) + 1)).unwrap_or(0);
                let start = out.len();
                for w in 0..n {
                    if w > 0 {
                        out.push(b' ');
                    }
                    out.extend_from_slice(
                        WORDS[usize::try_from(rng.below(WORDS.len() as u64)).unwrap_or(0)].as_bytes(),
                    );
                }
                if *unique {
                    let suffix = format!("{}{}", if n > 0 { "-" } else { "" }, row + 1);
                    if let Some(limit) = max_len {
                        out.truncate(start + limit.saturating_sub(suffix.len()).min(out.len() - start));
                    }
                    out.extend_from_slice(suffix.as_bytes());
                } else if let Some(limit) = max_len {
                    out.truncate(start + (*limit).min(out.len() - start));
                }
            }
            Sampler::Uuid => {
                let mut rng = CellRng::new(seed, row);
                let (a, b) = (rng.draw(), rng.draw());
                let a = (a & 0xffff_ffff_ffff_0fff) | 0x4000; // version 4
                let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000; // variant
                let _ = write!(
                    out,
                    "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                    a >> 32,
                    (a >> 16) & 0xffff,
                    a & 0xffff,
                    b >> 48,
                    b & 0xffff_ffff_ffff
                );
            }
            Sampler::Ref(r) => match r.pick(row) {
                Some(j) => r.parent.write(j, out),
                None => out.extend_from_slice(b"\\N"),
            },
            Sampler::Null { p, inner } => {
                if CellRng::new(seed, row).unit() < *p {
                    out.extend_from_slice(b"\\N");
                } else {
                    inner.write(derive(seed, 11), row, out);
                }
            }
            Sampler::Depends { source, inner, noise } => {
                // The draw is keyed by the other column's value (its COPY text), in a
                // space apart from row numbers; a noisy row keeps its own.
                let key = if CellRng::new(seed, row).unit() < *noise {
                    row
                } else {
                    let mut value = Vec::with_capacity(32);
                    source.write(row, &mut value);
                    hash_bytes(&value) | 1 << 63
                };
                inner.write(derive(seed, 23), key, out);
            }
            Sampler::Const(v) => out.extend_from_slice(v.as_deref().unwrap_or(b"\\N")),
            Sampler::Json => {
                let mut rng = CellRng::new(seed, row);
                let k = rng.below(1000);
                let tag = WORDS[usize::try_from(rng.below(WORDS.len() as u64)).unwrap_or(0)];
                let _ = write!(out, "{{\"k\": {k}, \"tag\": \"{tag}\"}}");
            }
            Sampler::Typed { t, unique: false } => write_typed(*t, &mut CellRng::new(seed, row), out),
            Sampler::Typed { t, unique: true } => write_typed_unique(*t, row, &mut CellRng::new(seed, row), out),
            Sampler::Stats(s) => s.write(seed, row, out),
            Sampler::KeyedRef(k) => k.write(seed, row, out),
            Sampler::Array(inner) => {
                let n = CellRng::new(seed, row).below(5);
                out.push(b'{');
                for i in 0..n {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.push(b'"');
                    // Elements are rows of their own stream: row * 5 + i.
                    inner.write(derive(seed, 17), row * 5 + i, out);
                    out.push(b'"');
                }
                out.push(b'}');
            }
        }
    }
}

#[inline]
fn write_int(out: &mut Vec<u8>, v: i128) {
    let _ = write!(out, "{v}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_ext_is_usable_with_cell_rng() {
        use rand::RngExt;
        let mut r = CellRng::new(1, 2);
        let v: f64 = r.random();
        assert!((0.0..1.0).contains(&v));
    }
}
