//! Turning the data model into rows: each generator compiled for one scale step, writing
//! COPY text-format values straight into a byte buffer.

use std::io::Write;
use std::sync::Arc;

use rand_distr::{Distribution, Normal, Zipf};

use crate::calendar::TimeAt;
use crate::config::generator::{DEFAULT_SPREAD, GenExpr, TypedGen};
use crate::datagen::model::{DataModel, TableModel};
use crate::datagen::random::{CellRng, Permutation, derive, stream_seed};
use crate::datagen::values::{WORDS, write_typed};

/// A generator ready to write values for one scale step.
#[derive(Debug)]
enum Sampler {
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
    Const(Option<Vec<u8>>),
    Json,
    Array(Box<Sampler>),
    Typed(TypedGen),
}

#[derive(Debug, Clone, Copy)]
enum NumFmt {
    Integer,
    Decimals(usize),
    Shortest,
}

/// Which parent rows exist for a child row.
#[derive(Debug, Clone, Copy)]
enum Population {
    /// A fixed set of parent rows.
    Fixed(u64),
    /// The world grows together: child row i of n_child sees floor((i+1) * n_parent / n_child)
    /// parents, never more than exist at this scale.
    Proportional { parent_full: u64, child_full: u64, now: u64 },
    /// Self-references: the rows before this one.
    Earlier,
}

#[derive(Debug)]
struct RefSampler {
    /// The parent column's sampler and stream seed: its value at parent row j is computed, not stored.
    parent: Arc<ColumnGen>,
    population: Population,
    /// Zipf over the parent's full rows, popularity shuffled.
    zipf: Option<(Zipf<f64>, Permutation, u64)>,
    /// Seed that picks the parent row (shared by the columns of a composite key).
    pick_seed: u64,
    /// The newest share of the parents born so far that a child picks from (0: a few).
    spread: f64,
    /// For a unique reference: the parents each child row owns (see `distinct_stride`).
    stride: Option<f64>,
}

/// How many of the newest parents a child picks from at spread 0: few enough that a
/// parent's children lie within a few parents' worth of rows, enough that the number
/// of children per parent varies.
const CLUSTER_WINDOW: u64 = 4;

/// One column's generator with its stream seed.
#[derive(Debug)]
pub struct ColumnGen {
    sampler: Sampler,
    seed: u64,
}

impl ColumnGen {
    /// Append the COPY text value at `row` to `out`.
    #[inline]
    pub fn write(&self, row: u64, out: &mut Vec<u8>) {
        self.sampler.write(self.seed, row, out);
    }
}

/// A table's generators for one scale step: rows [start, end).
#[derive(Debug)]
pub struct TableGen {
    pub name: String,
    /// The columns COPY sends, in order.
    pub columns: Vec<String>,
    gens: Vec<Arc<ColumnGen>>,
    pub start: u64,
    pub end: u64,
}

impl TableGen {
    /// Append rows [from, to) in COPY text format.
    pub fn write_rows(&self, from: u64, to: u64, out: &mut Vec<u8>) {
        for row in from..to {
            for (i, g) in self.gens.iter().enumerate() {
                if i > 0 {
                    out.push(b'\t');
                }
                g.write(row, out);
            }
            out.push(b'\n');
        }
    }
}

/// Why a generator cannot be compiled (the column is named by the caller).
pub type CompileError = String;

/// Compile every table for the step that grows the world from `prev_scale` (None: empty) to `scale`.
pub fn compile(
    model: &DataModel,
    seed: u64,
    prev_scale: Option<f64>,
    scale: f64,
) -> Result<Vec<TableGen>, (String, String, CompileError)> {
    let mut out = Vec::new();
    for table in &model.tables {
        let end = table.size.rows_at(scale);
        let start = prev_scale.map_or(0, |p| table.size.rows_at(p)).min(end);
        let mut gens = Vec::new();
        let mut columns = Vec::new();
        for col in table.columns.iter().filter(|c| !c.filled_by_postgres) {
            let g = compile_column(model, table, &col.name, seed, scale)
                .map_err(|e| (table.name.clone(), col.name.clone(), e))?;
            gens.push(g);
            columns.push(col.name.clone());
        }
        out.push(TableGen { name: table.name.clone(), columns, gens, start, end });
    }
    Ok(out)
}

fn compile_column(
    model: &DataModel,
    table: &TableModel,
    column: &str,
    seed: u64,
    scale: f64,
) -> Result<Arc<ColumnGen>, CompileError> {
    let col = table.column(column).ok_or_else(|| format!("no column `{column}` in `{}`", table.name))?;
    let col_seed = stream_seed(seed, &table.name, column);
    let fmt = if col.integer { NumFmt::Integer } else { NumFmt::Shortest };
    let ctx = Ctx { model, table, seed, scale, group: col.ref_group.as_deref() };
    let sampler = if col.filled_by_postgres {
        // Identity columns: Postgres numbers the rows 1, 2, 3 in load order.
        Sampler::Serial
    } else {
        ctx.sampler(&col.generator, col_seed, fmt, false)?
    };
    Ok(Arc::new(ColumnGen { sampler, seed: col_seed }))
}

struct Ctx<'a> {
    model: &'a DataModel,
    table: &'a TableModel,
    seed: u64,
    scale: f64,
    group: Option<&'a str>,
}

impl Ctx<'_> {
    fn sampler(&self, g: &GenExpr, seed: u64, fmt: NumFmt, unique: bool) -> Result<Sampler, CompileError> {
        let full_rows = self.table.size.full().max(self.table.size.rows_at(self.scale));
        let need_domain = |domain: u64, what: &str| -> Result<Permutation, CompileError> {
            if domain < full_rows {
                return Err(format!("unique({what}) has only {domain} distinct values for {full_rows} rows"));
            }
            Ok(Permutation::new(domain, derive(seed, 99)))
        };
        let fmt_for = |decimals: Option<u32>| match (fmt, decimals) {
            (NumFmt::Integer, _) => NumFmt::Integer,
            (_, Some(d)) => NumFmt::Decimals(d as usize),
            (f, None) => f,
        };
        Ok(match g {
            GenExpr::Serial => Sampler::Serial,
            GenExpr::Int { lo, hi } => {
                let span = hi.abs_diff(*lo).saturating_add(1);
                if unique {
                    Sampler::IntPerm { lo: *lo, perm: need_domain(span, "int")? }
                } else {
                    Sampler::Int { lo: *lo, span }
                }
            }
            GenExpr::Float { lo, hi, decimals } => {
                let fmt = fmt_for(*decimals);
                if unique {
                    let steps = match fmt {
                        NumFmt::Integer => (hi - lo).floor() + 1.0,
                        NumFmt::Decimals(d) => ((hi - lo) * 10f64.powi(i32::try_from(d).unwrap_or(0))).floor() + 1.0,
                        NumFmt::Shortest => 1e15,
                    };
                    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let domain = steps.min(1e15) as u64;
                    let perm = need_domain(domain, "float")?;
                    #[expect(clippy::cast_precision_loss)]
                    let step = if domain > 1 { (hi - lo) / (domain - 1) as f64 } else { 0.0 };
                    Sampler::FloatPerm { lo: *lo, step, perm, fmt }
                } else {
                    Sampler::Float { lo: *lo, hi: *hi, fmt }
                }
            }
            GenExpr::Normal { mean, sd } => {
                if unique {
                    return Err("unique() of normal() is not supported; use unique(float(a, b))".into());
                }
                Sampler::Normal { dist: Normal::new(*mean, *sd).map_err(|e| e.to_string())?, fmt }
            }
            GenExpr::Zipf { n, s } => {
                if unique {
                    Sampler::IntPerm { lo: 1, perm: need_domain(*n, "zipf")? }
                } else {
                    #[expect(clippy::cast_precision_loss)]
                    let dist = Zipf::new(*n as f64, *s).map_err(|e| e.to_string())?;
                    Sampler::Zipf { dist, perm: Permutation::new(*n, derive(seed, 7)) }
                }
            }
            GenExpr::Bool { p } => {
                if unique {
                    return Err("unique(bool) has two values".into());
                }
                Sampler::Bool { p: *p }
            }
            GenExpr::Choice { values, weights } => {
                let values: Vec<Vec<u8>> = values.iter().map(|v| escape(v)).collect();
                if unique {
                    Sampler::ChoicePerm { perm: need_domain(values.len() as u64, "choice")?, values }
                } else {
                    let total: f64 = weights.iter().sum();
                    let mut acc = 0.0;
                    let cumulative = weights.iter().map(|w| {
                        acc += w / total;
                        acc
                    });
                    Sampler::Choice { cumulative: cumulative.collect(), values }
                }
            }
            GenExpr::Timestamp { days, from, date_only, tz } => {
                #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let span_secs = if *date_only { (*days as u64).max(1) } else { ((days * 86_400.0) as u64).max(1) };
                let at = match from {
                    Some(f) => TimeAt::After(*f),
                    None => TimeAt::BeforeEpoch,
                };
                if unique {
                    Sampler::TimestampPerm {
                        perm: need_domain(span_secs, "timestamp")?,
                        at,
                        date_only: *date_only,
                        tz: *tz,
                    }
                } else {
                    Sampler::Timestamp { span_secs, at, date_only: *date_only, tz: *tz }
                }
            }
            GenExpr::Text { min_words, max_words, max_len } => {
                let max_len = max_len.map(|n| n as usize);
                if unique && max_len.is_some_and(|n| n < 12) {
                    return Err(format!(
                        "unique text in at most {} characters cannot hold a row number; configure a generator",
                        max_len.unwrap_or(0)
                    ));
                }
                Sampler::Text { min: *min_words, max: *max_words, max_len, unique }
            }
            GenExpr::Uuid => Sampler::Uuid,
            GenExpr::Ref { table, column, zipf, spread } => {
                let mut r = self.reference(table, column, *zipf, spread.unwrap_or(DEFAULT_SPREAD), seed)?;
                if unique {
                    r.stride = Some(self.distinct_stride(&r, table)?);
                }
                Sampler::Ref(Box::new(r))
            }
            GenExpr::Null { p, inner } => {
                if unique {
                    return Err("unique(null(...)) is not supported; write null(p, unique(...))".into());
                }
                Sampler::Null { p: *p, inner: Box::new(self.sampler(inner, derive(seed, 11), fmt, false)?) }
            }
            GenExpr::Unique(inner) => self.sampler(inner, derive(seed, 13), fmt, true)?,
            GenExpr::Const(v) => {
                if unique {
                    return Err("unique(const(...)) has one value".into());
                }
                Sampler::Const(v.as_deref().map(escape))
            }
            GenExpr::Json => Sampler::Json,
            GenExpr::Typed(t) => {
                if unique {
                    return Err("unique() of an inferred type is not supported".into());
                }
                Sampler::Typed(*t)
            }
            GenExpr::Array(inner) => Sampler::Array(Box::new(self.sampler(inner, derive(seed, 17), fmt, false)?)),
        })
    }

    fn reference(
        &self,
        table: &str,
        column: &str,
        zipf: Option<f64>,
        spread: f64,
        seed: u64,
    ) -> Result<RefSampler, CompileError> {
        let parent = self.model.table(table).ok_or_else(|| format!("references `{table}`, which is not filled"))?;
        let parent_col = compile_column(self.model, parent, column, self.seed, self.scale)?;
        let self_ref = parent.name == self.table.name;
        let population = if self_ref {
            Population::Earlier
        } else {
            match (parent.size, self.table.size) {
                (crate::config::TableSize::Fixed(n), _) => Population::Fixed(n),
                (_, crate::config::TableSize::Fixed(_)) => Population::Fixed(parent.size.rows_at(self.scale)),
                (p, c) => Population::Proportional {
                    parent_full: p.full(),
                    child_full: c.full().max(1),
                    now: p.rows_at(self.scale),
                },
            }
        };
        let full_parent = parent.size.full().max(parent.size.rows_at(self.scale));
        if full_parent == 0 {
            return Err(format!("references `{table}`, which has no rows"));
        }
        let pick_seed = match self.group {
            Some(g) => stream_seed(self.seed, &self.table.name, g),
            None => derive(seed, 23),
        };
        let zipf = match zipf {
            Some(s) => {
                #[expect(clippy::cast_precision_loss)]
                let dist = Zipf::new(full_parent as f64, s).map_err(|e| e.to_string())?;
                Some((
                    dist,
                    Permutation::new(full_parent, derive(stream_seed(self.seed, table, column), 29)),
                    full_parent,
                ))
            }
            None => None,
        };
        Ok(RefSampler { parent: parent_col, population, zipf, pick_seed, spread, stride: None })
    }

    /// Parents per child row for `unique(ref(...))`: each child row owns a run of that many
    /// parents and picks one of them, so no two rows share a parent and each picks one that
    /// exists at every scale where the row does.
    fn distinct_stride(&self, r: &RefSampler, table: &str) -> Result<f64, CompileError> {
        if r.zipf.is_some() {
            return Err("unique(ref(..., zipf = s)): a unique reference cannot favour popular parents".into());
        }
        let (parents, children) = match r.population {
            Population::Proportional { parent_full, child_full, .. } => (parent_full, child_full),
            Population::Fixed(n) => (n, self.table.size.full().max(self.table.size.rows_at(self.scale))),
            Population::Earlier => return Err("unique(ref(...)) of the table itself is not supported".into()),
        };
        #[expect(clippy::cast_precision_loss)]
        let stride = parents as f64 / children.max(1) as f64;
        if stride < 1.0 {
            return Err(format!(
                "a unique reference to `{table}` needs a parent per row: {children} rows, {parents} rows in `{table}`"
            ));
        }
        Ok(stride)
    }
}

impl RefSampler {
    /// The parent row for child row `row`, or None (a self-reference of the first row).
    #[inline]
    fn pick(&self, row: u64) -> Option<u64> {
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
    fn write(&self, seed: u64, row: u64, out: &mut Vec<u8>) {
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
            Sampler::Const(v) => out.extend_from_slice(v.as_deref().unwrap_or(b"\\N")),
            Sampler::Json => {
                let mut rng = CellRng::new(seed, row);
                let k = rng.below(1000);
                let tag = WORDS[usize::try_from(rng.below(WORDS.len() as u64)).unwrap_or(0)];
                let _ = write!(out, "{{\"k\": {k}, \"tag\": \"{tag}\"}}");
            }
            Sampler::Typed(t) => write_typed(*t, &mut CellRng::new(seed, row), out),
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

#[inline]
fn write_float(out: &mut Vec<u8>, v: f64, fmt: NumFmt) {
    let _ = match fmt {
        NumFmt::Integer => write!(out, "{}", v.round()),
        NumFmt::Decimals(d) => write!(out, "{v:.d$}"),
        NumFmt::Shortest => write!(out, "{v}"),
    };
}

/// A value in COPY text format: backslash, tab, newline and carriage return escaped.
pub fn escape(v: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_escaping() {
        assert_eq!(escape("a\tb\\c\nd"), b"a\\tb\\\\c\\nd".to_vec());
    }

    #[test]
    fn rng_ext_is_usable_with_cell_rng() {
        use rand::RngExt;
        let mut r = CellRng::new(1, 2);
        let v: f64 = r.random();
        assert!((0.0..1.0).contains(&v));
    }
}
