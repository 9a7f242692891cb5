//! The `stats` generator: a column with production's statistics at every scale.
//!
//! A row is NULL with production's null fraction; otherwise it takes a place `u` in the
//! column's value order, uniform in [0, 1), and the value at that place. The order is laid
//! out as production's statistics describe it: each most common value a piece as wide as
//! its frequency, the rest spread over the histogram's equal-frequency buckets. A share of
//! the rows equal to production's correlation takes its place from its row number instead
//! (insertion order), which is what gives the column production's physical order.
//!
//! Values between histogram bounds are drawn from a grid of as many points as production
//! has distinct values, so the distinct count matches; when production's distinct count
//! grows with the table (a negative `n_distinct`), the grid's points are born as rows are,
//! in an order that spreads every prefix evenly over the column's range (bit reversal), so
//! the distinct count grows with the scale too.

use super::CompileError;
use super::text::{NumFmt, escape, write_float};
use crate::calendar;
use crate::datagen::random::{CellRng, Permutation, Places, derive};
use crate::snapshot::surrogate::{code_width, letters};
use crate::snapshot::{ColumnStats, ValueKind};

#[derive(Debug)]
pub(in crate::datagen) struct StatsSampler {
    null_frac: f64,
    /// The share of rows placed by row number (production's |correlation|).
    sorted: f64,
    descending: bool,
    /// The end of each piece in the value order, as a share of the non-null values.
    ends: Vec<f64>,
    pieces: Vec<Piece>,
    /// The most common values, as COPY writes them.
    common: Vec<Vec<u8>>,
    bounds: Bounds,
    grid: Option<Grid>,
    /// A permutation of the full table's rows: row i's stratum.
    strata: Permutation,
    /// Each row's place in the value order when a share follows insertion order.
    places: Places,
}

/// What a row holds.
#[derive(Debug, Clone, Copy)]
pub(in crate::datagen) enum Pick {
    Null,
    /// The i-th most common value.
    Common(usize),
    /// A place in the rest's order, in [0, 1), and the grid's point there.
    Rest {
        place: f64,
        point: Option<u64>,
    },
}

#[derive(Debug, Clone, Copy)]
enum Piece {
    Common(usize),
    /// A bucket of the histogram (the most common values are not in it).
    Bucket(usize),
}

/// The histogram's bounds, read for the column's kind.
#[derive(Debug)]
enum Bounds {
    None,
    Numbers {
        bounds: Vec<f64>,
        fmt: NumFmt,
    },
    /// Seconds since 1970.
    Times {
        bounds: Vec<f64>,
        date_only: bool,
        tz: bool,
    },
    Words {
        bounds: Vec<String>,
        width: usize,
        code: usize,
        limit: Option<usize>,
    },
    /// Values taken as they are (enum labels, and anything that cannot be interpolated).
    Picks(Vec<Vec<u8>>),
}

impl Bounds {
    fn buckets(&self) -> usize {
        match self {
            Bounds::None => 0,
            Bounds::Numbers { bounds, .. } | Bounds::Times { bounds, .. } => bounds.len().saturating_sub(1),
            Bounds::Words { bounds, .. } => bounds.len().saturating_sub(1),
            Bounds::Picks(v) => v.len(),
        }
    }
}

/// Points of the rest's order that values are drawn from (see the module's comment).
#[derive(Debug, Clone, Copy)]
struct Grid {
    points: u64,
    bits: u32,
    /// Points are born with the rows (a negative `n_distinct`).
    grows: bool,
    full_rows: u64,
}

impl Grid {
    /// The born point nearest below `v` (a place in the rest, in [0, 1)): its index and place.
    /// A row in insertion order reaches new values as it goes: every point is born for it.
    fn snap(&self, v: f64, row: u64, in_order: bool) -> (u64, f64) {
        let size = 1u64 << self.bits;
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let born = if self.grows && !in_order {
            ((self.points as f64 * (row + 1) as f64 / self.full_rows as f64).ceil() as u64).clamp(1, self.points)
        } else {
            self.points
        };
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let q = ((v * size as f64) as u64).min(size - 1);
        let mut shift = 0;
        loop {
            let p = (q >> shift) << shift;
            if reverse(p, self.bits) < born {
                #[expect(clippy::cast_precision_loss)]
                return (p, (p as f64 + 0.5) / size as f64);
            }
            shift += 1;
        }
    }
}

/// `x`'s lowest `bits` bits in reverse order.
fn reverse(x: u64, bits: u32) -> u64 {
    if bits == 0 { 0 } else { x.reverse_bits() >> (64 - bits) }
}

impl StatsSampler {
    /// The sampler for a column of a table of `full_rows` rows at scale 1.0; `integer` for
    /// an integer column; `max_len` the longest text the column's type holds.
    pub(in crate::datagen) fn new(
        stats: &ColumnStats,
        full_rows: u64,
        integer: bool,
        max_len: Option<usize>,
        seed: u64,
    ) -> Result<StatsSampler, CompileError> {
        let common: Vec<Vec<u8>> = stats.most_common.iter().map(|m| escape(&m.value)).collect();
        let bounds = bounds(stats, integer)?;
        let non_null = (1.0 - stats.null_frac).max(0.0);
        let mut widths: Vec<(Piece, f64)> = Vec::new();
        for (i, m) in stats.most_common.iter().enumerate() {
            widths.push((Piece::Common(i), m.freq));
        }
        let buckets = bounds.buckets();
        let rest = if buckets > 0 { stats.rest() } else { 0.0 };
        if rest > 0.0 {
            #[expect(clippy::cast_precision_loss)]
            widths.extend((0..buckets).map(|b| (Piece::Bucket(b), rest / buckets as f64)));
        }
        // Value order: each most common value at the bucket its value falls in, before it.
        #[expect(clippy::cast_precision_loss)]
        let at = |p: &Piece| match p {
            Piece::Common(i) => position_in(&bounds, &stats.most_common[*i].value) * buckets as f64 - 0.5,
            Piece::Bucket(b) => *b as f64,
        };
        widths.sort_by(|a, b| at(&a.0).total_cmp(&at(&b.0)));
        let total: f64 = widths.iter().map(|w| w.1).sum();
        let mut ends = Vec::with_capacity(widths.len());
        let mut acc = 0.0;
        for (_, w) in &widths {
            acc += w / total.max(f64::MIN_POSITIVE);
            ends.push(acc);
        }
        if let Some(last) = ends.last_mut() {
            *last = 1.0;
        }
        let correlation = stats.order_correlation.or(stats.correlation).unwrap_or(0.0).clamp(-1.0, 1.0);
        // Postgres orders equal values by their place on disk when it computes the
        // correlation, so a column of few values shows the chance that two rows share a
        // value even when its order is random: only the rest is insertion order.
        #[expect(clippy::cast_precision_loss)]
        let ties = {
            let nn = non_null.max(f64::MIN_POSITIVE);
            let spread = (stats.distinct_at(full_rows) - stats.most_common.len() as f64).max(1.0);
            stats.most_common.iter().map(|m| (m.freq / nn).powi(2)).sum::<f64>() + (rest / nn).powi(2) / spread
        };
        let sorted =
            if correlation > 0.0 { ((correlation - ties) / (1.0 - ties)).clamp(0.0, 1.0) } else { -correlation };
        let grid = grid(stats, full_rows, &bounds, sorted);
        let mut bounds = bounds;
        if let Bounds::Words { code, width, limit, .. } = &mut bounds {
            *code = code_width(grid.map_or(1, |g| 1usize << g.bits));
            *limit = max_len;
            if let Some(n) = max_len {
                *width = (*width).min(n);
            }
        }
        Ok(StatsSampler {
            null_frac: if widths.is_empty() { 1.0 } else { stats.null_frac },
            sorted,
            descending: correlation < 0.0,
            ends,
            pieces: widths.into_iter().map(|w| w.0).collect(),
            common,
            bounds,
            grid,
            strata: Permutation::new(full_rows.max(1), seed),
            places: Places::new(full_rows, sorted, derive(seed, 3)),
        })
    }

    /// Values as fine as the column's type, whatever the distinct count (a key: every
    /// value is a parent, laid out by the caller).
    pub(in crate::datagen) fn without_grid(mut self) -> StatsSampler {
        self.grid = None;
        self
    }

    /// What row `row` holds: NULL, a most common value, or a place in the rest.
    #[inline]
    pub(in crate::datagen) fn pick(&self, seed: u64, row: u64) -> Pick {
        let mut rng = CellRng::new(seed, row);
        // With no rows in insertion order, the row's stratum decides NULL and its place: at
        // production's size every share is exact, at a smaller one the rows are a random
        // subset. Otherwise each row's place is taken once over the full table, those in
        // order at their own row, and the NULLs are places spread evenly over the order, so
        // the values left hold every stretch of it exactly too.
        let (u, sorted) = if self.sorted > 0.0 {
            let place = self.places.place(row, &mut rng);
            if self.places.spread(place.at, self.null_frac) {
                return Pick::Null;
            }
            let u = if place.in_order && self.descending { 1.0 - place.at } else { place.at };
            (u.min(1.0 - f64::EPSILON), place.in_order)
        } else {
            let stratum = self.strata.stratum(row, &mut rng);
            if stratum < self.null_frac {
                return Pick::Null;
            }
            (((stratum - self.null_frac) / (1.0 - self.null_frac)).clamp(0.0, 1.0 - f64::EPSILON), false)
        };
        let k = self.ends.partition_point(|e| *e <= u).min(self.pieces.len() - 1);
        match self.pieces[k] {
            Piece::Common(i) => Pick::Common(i),
            Piece::Bucket(b) => {
                // The place in the bucket follows the row's stratum (or, in insertion order,
                // the row), so the buckets fill exactly at production's size; on a grid it is
                // drawn, as the grid's size assumes.
                let within = if sorted || self.grid.is_none() {
                    let start = if k == 0 { 0.0 } else { self.ends[k - 1] };
                    ((u - start) / (self.ends[k] - start)).clamp(0.0, 1.0 - f64::EPSILON)
                } else {
                    rng.unit()
                };
                #[expect(clippy::cast_precision_loss)]
                let v = ((b as f64 + within) / self.bounds.buckets() as f64).min(1.0 - f64::EPSILON);
                match &self.grid {
                    Some(grid) => {
                        let (point, place) = grid.snap(v, row, sorted);
                        Pick::Rest { place, point: Some(point) }
                    }
                    None => Pick::Rest { place: v, point: None },
                }
            }
        }
    }

    #[inline]
    pub(in crate::datagen) fn write(&self, seed: u64, row: u64, out: &mut Vec<u8>) {
        match self.pick(seed, row) {
            Pick::Null => out.extend_from_slice(b"\\N"),
            Pick::Common(i) => out.extend_from_slice(&self.common[i]),
            Pick::Rest { place, point } => self.write_rest(place, point, out),
        }
    }

    /// The number at a place of the rest (None unless the histogram is of numbers).
    pub(in crate::datagen) fn number_at(&self, place: f64) -> Option<f64> {
        let Bounds::Numbers { bounds, .. } = &self.bounds else { return None };
        let (b, f) = self.bucket(place);
        Some(bounds[b] + f * (bounds[b + 1] - bounds[b]))
    }

    /// The bucket of a place of the rest, and the share of the bucket below it.
    fn bucket(&self, place: f64) -> (usize, f64) {
        let buckets = self.bounds.buckets();
        #[expect(clippy::cast_precision_loss)]
        let x = place * buckets as f64;
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let b = (x as usize).min(buckets - 1);
        #[expect(clippy::cast_precision_loss)]
        (b, x - b as f64)
    }

    /// The value at a place of the rest (`point`: the grid's point it is at).
    fn write_rest(&self, place: f64, point: Option<u64>, out: &mut Vec<u8>) {
        let (b, f) = self.bucket(place);
        match &self.bounds {
            Bounds::None => out.extend_from_slice(b"\\N"),
            Bounds::Numbers { bounds, fmt } => write_float(out, bounds[b] + f * (bounds[b + 1] - bounds[b]), *fmt),
            Bounds::Times { bounds, date_only, tz } => {
                #[expect(clippy::cast_possible_truncation)]
                let t = (bounds[b] + f * (bounds[b + 1] - bounds[b])).floor() as i64;
                calendar::write_unix(out, t, *date_only, *tz);
            }
            Bounds::Words { bounds, width, code, limit } => {
                // The bound, the point's code, and filler to production's width; the code
                // gives way to the type's length, keeping the bound's characters.
                let mut value: String = bounds[b].clone();
                #[expect(clippy::cast_possible_truncation)]
                value.push_str(&letters(point.unwrap_or(0) as usize, *code));
                while value.chars().count() < *width {
                    value.push('x');
                }
                if let Some(n) = limit {
                    if let Some((at, _)) = value.char_indices().nth(*n) {
                        value.truncate(at);
                    }
                }
                out.extend_from_slice(&escape(&value));
            }
            Bounds::Picks(values) => out.extend_from_slice(&values[b]),
        }
    }
}

/// The histogram's bounds as the column's kind reads them.
fn bounds(stats: &ColumnStats, integer: bool) -> Result<Bounds, CompileError> {
    let h = &stats.histogram;
    if h.is_empty() {
        return Ok(Bounds::None);
    }
    Ok(match stats.kind {
        ValueKind::Number => {
            let bounds = h
                .iter()
                .map(|s| {
                    s.parse::<f64>().map_err(|_| CompileError::from(format!("histogram bound `{s}` is not a number")))
                })
                .collect::<Result<Vec<f64>, CompileError>>()?;
            let decimals = h.iter().chain(stats.most_common.iter().map(|m| &m.value)).map(|s| decimals(s)).max();
            let fmt = match stats.type_name.as_str() {
                _ if integer => NumFmt::Integer,
                "numeric" => NumFmt::Decimals(decimals.unwrap_or(0)),
                _ => NumFmt::Shortest,
            };
            if bounds.len() < 2 {
                Bounds::Picks(h.iter().map(|s| escape(s)).collect())
            } else {
                Bounds::Numbers { bounds, fmt }
            }
        }
        ValueKind::Timestamp | ValueKind::Timestamptz | ValueKind::Date => {
            let bounds = h
                .iter()
                .map(|s| {
                    parse_time(s).ok_or_else(|| {
                        CompileError::from(format!("histogram bound `{s}` is not a time plangate reads"))
                    })
                })
                .collect::<Result<Vec<f64>, CompileError>>()?;
            if bounds.len() < 2 {
                Bounds::Picks(h.iter().map(|s| escape(s)).collect())
            } else {
                Bounds::Times {
                    bounds,
                    date_only: stats.kind == ValueKind::Date,
                    tz: stats.kind == ValueKind::Timestamptz,
                }
            }
        }
        ValueKind::Text if h.len() >= 2 => {
            // Text values are about as wide as production's (avg_width counts a 1-byte header).
            let width = usize::try_from(stats.avg_width.saturating_sub(1)).unwrap_or(0);
            Bounds::Words { bounds: h.clone(), width, code: 0, limit: None }
        }
        _ => Bounds::Picks(h.iter().map(|s| escape(s)).collect()),
    })
}

/// Where `value` falls among the bounds, as a share of the histogram (0.5 when unknown).
fn position_in(bounds: &Bounds, value: &str) -> f64 {
    let place = |n: usize, below: usize| {
        #[expect(clippy::cast_precision_loss)]
        let p = below as f64 / n.max(1) as f64;
        p
    };
    match bounds {
        Bounds::Numbers { bounds, .. } => match value.parse::<f64>() {
            Ok(x) => place(bounds.len(), bounds.partition_point(|b| *b < x)),
            Err(_) => 0.5,
        },
        Bounds::Times { bounds, .. } => match parse_time(value) {
            Some(x) => place(bounds.len(), bounds.partition_point(|b| *b < x)),
            None => 0.5,
        },
        Bounds::Words { bounds, .. } => place(bounds.len(), bounds.partition_point(|b| b.as_str() < value)),
        Bounds::Picks(_) | Bounds::None => 0.5,
    }
}

/// Digits after the decimal point.
fn decimals(s: &str) -> usize {
    s.split_once('.').map_or(0, |(_, f)| f.chars().take_while(char::is_ascii_digit).count())
}

/// Seconds since 1970 of a date or timestamp as Postgres prints it in UTC (`2024-05-01
/// 10:00:00.25+00`).
pub(super) fn parse_time(s: &str) -> Option<f64> {
    let s = s.trim();
    let s = match s.rfind(['+', '-']) {
        Some(i) if i > 10 => &s[..i],
        _ => s,
    };
    let (whole, fraction) = match s.split_once('.') {
        Some((w, f)) => (w, format!("0.{f}").parse::<f64>().ok()?),
        None => (s, 0.0),
    };
    #[expect(clippy::cast_precision_loss)]
    calendar::parse_time(whole).map(|t| t as f64 + fraction)
}

/// The grid for the rest, or None when values may be as fine as the column's type.
fn grid(stats: &ColumnStats, full_rows: u64, bounds: &Bounds, sorted: f64) -> Option<Grid> {
    #[expect(clippy::cast_precision_loss)]
    let rest_rows = stats.rest() * full_rows as f64;
    if rest_rows < 1.0 {
        return None;
    }
    #[expect(clippy::cast_precision_loss)]
    let distinct = (stats.distinct_at(full_rows) - stats.most_common.len() as f64).max(1.0);
    // The type's resolution: how many values each bucket can hold.
    let lattice: Option<Vec<f64>> = match bounds {
        Bounds::Numbers { bounds, fmt } => match fmt {
            NumFmt::Integer => Some(lattice(bounds, 1.0)),
            #[expect(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
            NumFmt::Decimals(d) => Some(lattice(bounds, 10f64.powi(-(*d as i32)))),
            NumFmt::Shortest => None,
        },
        Bounds::Times { bounds, date_only, .. } => Some(lattice(bounds, if *date_only { 86_400.0 } else { 1.0 })),
        Bounds::Words { .. } => None,
        Bounds::None | Bounds::Picks(_) => return None,
    };
    let grows = stats.n_distinct < 0.0;
    // Points drawn by the rows: rows draw among the points born so far, so a point born
    // late is drawn less; then points that round to one value of the type are one value.
    let drawn = |g: f64| {
        // Rows in insertion order walk the points one after another: they reach every
        // point while there are as many of them as points; the others draw.
        let walked = (sorted * rest_rows / g).min(1.0);
        let drawing = (1.0 - sorted) * rest_rows;
        let drawn = if grows { drawing / (g + drawing) } else { 1.0 - (-drawing / g).exp() };
        let points = g * (1.0 - (1.0 - walked) * (1.0 - drawn));
        match &lattice {
            None => points,
            Some(values) => {
                // Each value of a bucket covers `per_value` neighbouring points, each drawn
                // with the chance `p`.
                let p = points / g;
                #[expect(clippy::cast_precision_loss)]
                let per_bucket = g / values.len() as f64;
                values
                    .iter()
                    .map(|v| {
                        let per_value = per_bucket / v;
                        if per_value <= 1.0 { per_bucket * p } else { v * -(per_value * (-p).ln_1p()).exp_m1() }
                    })
                    .sum()
            }
        }
    };
    // Values as fine as the type give about production's count (or fewer): no grid.
    if lattice.is_some() && drawn(rest_rows * 1e3) <= 1.1 * distinct {
        return None;
    }
    if lattice.is_none() && !matches!(bounds, Bounds::Words { .. }) && rest_rows <= 1.1 * distinct {
        return None;
    }
    let (mut lo, mut hi) = (distinct, distinct * 1e3);
    for _ in 0..80 {
        let mid = f64::midpoint(lo, hi);
        if drawn(mid) < distinct { lo = mid } else { hi = mid }
    }
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let points = (hi.round() as u64).max(1);
    let bits = 64 - (points.max(2) - 1).leading_zeros();
    Some(Grid { points, bits, grows, full_rows: full_rows.max(1) })
}

/// How many values of resolution `step` each bucket holds.
fn lattice(bounds: &[f64], step: f64) -> Vec<f64> {
    bounds.windows(2).map(|w| ((w[1] - w[0]) / step).floor() + 1.0).collect()
}

#[cfg(test)]
#[expect(clippy::cast_precision_loss, reason = "counts of a few thousand rows")]
mod tests {
    use super::*;
    use crate::snapshot::Frequent;

    fn amounts() -> ColumnStats {
        ColumnStats {
            kind: ValueKind::Number,
            type_name: "numeric".into(),
            null_frac: 0.1,
            n_distinct: 200.0,
            avg_width: 6,
            correlation: Some(0.0),
            order_correlation: None,
            most_common: vec![Frequent { value: "9.99".into(), freq: 0.3 }],
            histogram: (0..=10).map(|i| format!("{}.00", i * 10)).collect(),
            surrogates: false,
        }
    }

    fn sample(s: &StatsSampler, rows: u64) -> Vec<Option<String>> {
        (0..rows)
            .map(|r| {
                let mut out = Vec::new();
                s.write(7, r, &mut out);
                let v = String::from_utf8(out).unwrap();
                (v != "\\N").then_some(v)
            })
            .collect()
    }

    #[test]
    fn nulls_common_values_quantiles_and_distinct_count_follow_the_statistics() {
        let s = StatsSampler::new(&amounts(), 100_000, false, None, 3).unwrap();
        let values = sample(&s, 100_000);
        let nulls = values.iter().filter(|v| v.is_none()).count();
        assert!((nulls as f64 / 1e5 - 0.1).abs() < 0.01, "{nulls}");
        let common = values.iter().filter(|v| v.as_deref() == Some("9.99")).count();
        assert!((common as f64 / 1e5 - 0.3).abs() < 0.01, "{common}");
        let rest: Vec<f64> = values.iter().flatten().filter(|v| *v != "9.99").map(|v| v.parse().unwrap()).collect();
        assert!(rest.iter().all(|v| (0.0..=100.0).contains(v)));
        let below_50 = rest.iter().filter(|v| **v < 50.0).count() as f64 / rest.len() as f64;
        assert!((below_50 - 0.5).abs() < 0.02, "{below_50}");
        let mut distinct: Vec<&String> = values.iter().flatten().collect();
        distinct.sort();
        distinct.dedup();
        assert!((distinct.len() as f64 - 200.0).abs() < 20.0, "{}", distinct.len());
        assert!(values.iter().flatten().all(|v| v.split_once('.').is_some_and(|(_, f)| f.len() == 2)));
    }

    #[test]
    fn a_growing_distinct_count_grows_with_the_rows() {
        let mut stats = amounts();
        stats.n_distinct = -0.05;
        stats.histogram = (0..=100).map(|i| format!("{}.00", i * 1000)).collect();
        let s = StatsSampler::new(&stats, 200_000, false, None, 3).unwrap();
        let distinct = |rows: u64| {
            let mut v: Vec<String> = sample(&s, rows).into_iter().flatten().collect();
            v.sort();
            v.dedup();
            v.len() as f64
        };
        let (small, full) = (distinct(20_000), distinct(200_000));
        assert!((full / 10_000.0 - 1.0).abs() < 0.1, "{full}");
        assert!((small / 1_000.0 - 1.0).abs() < 0.25, "{small}");
    }

    #[test]
    fn correlation_follows_insertion_order() {
        let mut stats = amounts();
        stats.correlation = Some(0.9);
        stats.most_common.clear();
        stats.null_frac = 0.0;
        let s = StatsSampler::new(&stats, 10_000, false, None, 3).unwrap();
        let v: Vec<f64> = sample(&s, 10_000).into_iter().map(|v| v.unwrap().parse().unwrap()).collect();
        let n = v.len() as f64;
        let mean_i = (n - 1.0) / 2.0;
        let mean_v = v.iter().sum::<f64>() / n;
        let cov: f64 = v.iter().enumerate().map(|(i, x)| (i as f64 - mean_i) * (x - mean_v)).sum();
        let var_i: f64 = (0..v.len()).map(|i| (i as f64 - mean_i).powi(2)).sum();
        let var_v: f64 = v.iter().map(|x| (x - mean_v).powi(2)).sum();
        let r = cov / (var_i * var_v).sqrt();
        assert!((r - 0.9).abs() < 0.05, "{r}");
    }

    #[test]
    fn nulls_leave_the_values_of_a_column_in_partial_order_exactly_spread() {
        // 70% NULLs and a slight correlation: at production's size every bucket of the
        // histogram holds its share of the values, to within a few rows.
        let mut stats = amounts();
        stats.null_frac = 0.7;
        stats.correlation = Some(-0.02);
        stats.most_common.clear();
        let rows = 50_000;
        // Without a grid of values, whose points would blur the buckets' bounds.
        let s = StatsSampler::new(&stats, rows, false, None, 3).unwrap().without_grid();
        let values: Vec<f64> = sample(&s, rows).into_iter().flatten().map(|v| v.parse().unwrap()).collect();
        assert!((values.len() as f64 - 15_000.0).abs() <= 2.0, "{}", values.len());
        let worst = (1..10)
            .map(|b| {
                let below = values.iter().filter(|v| **v < f64::from(b) * 10.0).count() as f64;
                (below - values.len() as f64 * f64::from(b) / 10.0).abs()
            })
            .fold(0.0, f64::max);
        assert!(worst <= 20.0, "a bucket bound {worst} rows off");
        // The rows in insertion order keep their share of the values.
        let r = {
            let v: Vec<(f64, f64)> = sample(&s, rows)
                .into_iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i as f64, v.parse::<f64>().unwrap())))
                .collect();
            let n = v.len() as f64;
            let (mi, mv) = (v.iter().map(|p| p.0).sum::<f64>() / n, v.iter().map(|p| p.1).sum::<f64>() / n);
            let cov: f64 = v.iter().map(|(i, x)| (i - mi) * (x - mv)).sum();
            let (vi, vv): (f64, f64) =
                (v.iter().map(|p| (p.0 - mi).powi(2)).sum(), v.iter().map(|p| (p.1 - mv).powi(2)).sum());
            cov / (vi * vv).sqrt()
        };
        assert!((r + 0.02).abs() < 0.015, "{r}");
    }

    #[test]
    fn times_print_as_postgres_reads_them() {
        assert_eq!(parse_time("2024-05-01 10:00:00.25+00"), Some(1_714_557_600.25));
        assert_eq!(parse_time("2024-05-01"), Some(1_714_521_600.0));
        assert_eq!(reverse(1, 3), 4);
    }
}
