//! Turning the data model into rows: each generator compiled for one scale step, writing
//! COPY text-format values straight into a byte buffer (and from there, where the
//! column's type allows, into COPY's binary format).

use std::sync::Arc;

use rand_distr::{Normal, Zipf};

use crate::calendar::TimeAt;
use crate::config::generator::{DEFAULT_SPREAD, GenExpr};
use crate::datagen::model::{DataModel, TableModel};
use crate::datagen::random::{Permutation, Places, derive, stream_seed};
use crate::datagen::wire::Wire;

mod keys;
mod sampler;
mod stats;
mod text;

use sampler::{HotParents, KeyedRef, Population, RefSampler, Sampler};
use stats::StatsSampler;
use text::NumFmt;
pub(crate) use text::escape;

/// One column's generator with its stream seed.
#[derive(Debug)]
pub(crate) struct ColumnGen {
    sampler: Sampler,
    seed: u64,
    /// How its values go in a binary COPY, when every value it writes can.
    wire: Option<Wire>,
}

impl ColumnGen {
    /// Append the COPY text value at `row` to `out`.
    #[inline]
    pub(crate) fn write(&self, row: u64, out: &mut Vec<u8>) {
        self.sampler.write(self.seed, row, out);
    }
}

/// A table's generators for one load: rows [start, end). A load that takes the world past
/// several scales at once has one segment per scale passed, each compiled at its scale, so
/// that its rows are those the loads of one scale at a time would have made.
#[derive(Debug)]
pub struct TableGen {
    pub name: String,
    /// The columns COPY sends, in order.
    pub columns: Vec<String>,
    /// (first row after the segment, its generators), in row order.
    segments: Vec<(u64, Vec<Arc<ColumnGen>>)>,
    /// Positions written: rows themselves, or places in a sample of the rows.
    pub start: u64,
    pub end: u64,
    /// When set, position `p` of [start, end) is a row of an evenly spread sample.
    pick: Option<Pick>,
}

/// A random sample of a table's rows, in row order: each row is in it with the same
/// chance, drawn by the seed, so that values repeat in it as often as chance makes them
/// repeat in any random sample of the table (which is what ANALYZE's estimates assume),
/// and rows keep the order (and correlation) a full load gives them.
#[derive(Debug, Clone)]
struct Pick {
    rows: Arc<Vec<u64>>,
}

impl TableGen {
    /// Whether the rows can go in COPY's binary format: every column's type has a binary
    /// form plangate writes, and every value its generator makes reads there as in text.
    pub fn binary(&self) -> bool {
        self.segments.iter().all(|(_, gens)| gens.iter().all(|g| g.wire.is_some()))
    }

    /// Append rows [from, to) in COPY binary format (see [`TableGen::binary`]); `scratch`
    /// holds a value's text where it is made from its text. On a value the column's type
    /// refuses, the column's name (what was appended of the row is left).
    pub fn write_rows_binary(
        &self,
        mut from: u64,
        to: u64,
        out: &mut Vec<u8>,
        scratch: &mut Vec<u8>,
    ) -> Result<(), &str> {
        let fields = i16::try_from(self.columns.len()).unwrap_or(i16::MAX).to_be_bytes();
        let mut seg = 0;
        while from < to {
            let row = self.row_at(from);
            let Some(gens) = self.segment_of(row, &mut seg) else { break };
            out.extend_from_slice(&fields);
            for (i, g) in gens.iter().enumerate() {
                if !g.wire.is_some_and(|w| g.sampler.write_binary(g.seed, row, w, out, scratch)) {
                    return Err(&self.columns[i]);
                }
            }
            from += 1;
        }
        Ok(())
    }

    /// Append rows [from, to) in COPY text format.
    pub fn write_rows(&self, mut from: u64, to: u64, out: &mut Vec<u8>) {
        let mut seg = 0;
        while from < to {
            let row = self.row_at(from);
            let Some(gens) = self.segment_of(row, &mut seg) else { break };
            for (i, g) in gens.iter().enumerate() {
                if i > 0 {
                    out.push(b'\t');
                }
                g.write(row, out);
            }
            out.push(b'\n');
            from += 1;
        }
    }

    /// The row at position `pos`.
    #[inline]
    fn row_at(&self, pos: u64) -> u64 {
        match &self.pick {
            None => pos,
            Some(p) => usize::try_from(pos).ok().and_then(|i| p.rows.get(i).copied()).unwrap_or(u64::MAX),
        }
    }

    /// The generators of the segment holding `row`, searched from segment `seg` on (rows
    /// only grow); None past the last segment.
    #[inline]
    fn segment_of(&self, row: u64, seg: &mut usize) -> Option<&[Arc<ColumnGen>]> {
        while *seg < self.segments.len() && row >= self.segments[*seg].0 {
            *seg += 1;
        }
        self.segments.get(*seg).map(|(_, g)| g.as_slice())
    }

    /// Write a random sample of about `n` of the table's rows instead of all of them
    /// (nothing changes when it has no more than `n`). Returns the rows the table stands for.
    pub fn sample(&mut self, n: u64, seed: u64) -> u64 {
        let total = self.end;
        if self.start == 0 && total > n {
            let rows = random_rows(total, n, derive(stream_seed(seed, &self.name, "sample"), 41));
            self.end = rows.len() as u64;
            self.pick = Some(Pick { rows: Arc::new(rows) });
        }
        total
    }
}

/// Rows of [0, total), each with chance `n / total`, ascending: the gaps between them
/// drawn as a run of misses of that chance.
fn random_rows(total: u64, n: u64, seed: u64) -> Vec<u64> {
    #[expect(clippy::cast_precision_loss)]
    let p = (n as f64 / total as f64).clamp(f64::MIN_POSITIVE, 1.0);
    let miss = (1.0 - p).ln();
    let mut rng = crate::datagen::random::CellRng::new(seed, 0);
    let mut rows = Vec::with_capacity(usize::try_from(n + n / 8).unwrap_or(0));
    let mut row = 0u64;
    loop {
        let u = rng.unit().max(f64::MIN_POSITIVE);
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let gap = if miss < 0.0 { (u.ln() / miss).floor() as u64 } else { 0 };
        row = row.saturating_add(gap);
        if row >= total {
            return rows;
        }
        rows.push(row);
        row += 1;
    }
}

/// Why a generator cannot be compiled: a combination plangate does not generate, or
/// statistics it cannot read (the column is named by the caller).
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// A combination plangate does not generate, as plangate says it.
    #[error("{0}")]
    Unsupported(String),
    /// The normal distribution's parameters, as `rand_distr` refuses them.
    #[error(transparent)]
    Normal(#[from] rand_distr::NormalError),
    /// The zipf distribution's parameters, as `rand_distr` refuses them.
    #[error(transparent)]
    Zipf(#[from] rand_distr::ZipfError),
}

impl From<String> for CompileError {
    fn from(why: String) -> Self {
        CompileError::Unsupported(why)
    }
}

impl From<&str> for CompileError {
    fn from(why: &str) -> Self {
        CompileError::Unsupported(why.to_string())
    }
}

/// Compile every table for the load that takes the world from `prev_scale` (None: empty)
/// to `steps`' last scale, through the scales in `steps` (ascending, each above
/// `prev_scale`): a segment per scale.
pub fn compile(
    model: &DataModel,
    seed: u64,
    prev_scale: Option<f64>,
    steps: &[f64],
) -> Result<Vec<TableGen>, (String, String, CompileError)> {
    compile_columns(model, seed, prev_scale, steps, false)
}

/// [`compile`] from an empty world, with the columns Postgres numbers itself (identities)
/// written as it would number them: for a load that writes only a sample of the rows.
pub fn compile_numbered(
    model: &DataModel,
    seed: u64,
    steps: &[f64],
) -> Result<Vec<TableGen>, (String, String, CompileError)> {
    compile_columns(model, seed, None, steps, true)
}

fn compile_columns(
    model: &DataModel,
    seed: u64,
    prev_scale: Option<f64>,
    steps: &[f64],
    numbered: bool,
) -> Result<Vec<TableGen>, (String, String, CompileError)> {
    let mut out = Vec::new();
    for table in &model.tables {
        let start = prev_scale.map_or(0, |p| table.size.rows_at(p));
        let mut segments = Vec::new();
        let mut columns = Vec::new();
        let mut end = start;
        for &scale in steps {
            end = table.size.rows_at(scale).max(end);
            let mut gens = Vec::new();
            columns.clear();
            for col in table.columns.iter().filter(|c| numbered || !c.filled_by_postgres) {
                let g = compile_column(model, table, &col.name, seed, scale)
                    .map_err(|e| (table.name.clone(), col.name.clone(), e))?;
                gens.push(g);
                columns.push(col.name.clone());
            }
            segments.push((end, gens));
        }
        out.push(TableGen { name: table.name.clone(), columns, segments, start: start.min(end), end, pick: None });
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
    let ctx = Ctx { model, table, seed, scale, group: col.ref_group.as_deref(), max_len: col.max_len };
    let sampler = if col.filled_by_postgres {
        // Identity columns: Postgres numbers the rows 1, 2, 3 in load order.
        Sampler::Serial
    } else {
        ctx.sampler(&col.generator, col_seed, fmt, false)?
    };
    let wire = col.wire.filter(|w| sampler.binary_ok(*w));
    Ok(Arc::new(ColumnGen { sampler, seed: col_seed, wire }))
}

struct Ctx<'a> {
    model: &'a DataModel,
    table: &'a TableModel,
    seed: u64,
    scale: f64,
    group: Option<&'a str>,
    /// The column's longest value, in characters.
    max_len: Option<usize>,
}

impl Ctx<'_> {
    // Long: one arm per generator, so that the table of generators reads in one place.
    fn sampler(&self, g: &GenExpr, seed: u64, fmt: NumFmt, unique: bool) -> Result<Sampler, CompileError> {
        let full_rows = self.table.size.full().max(self.table.size.rows_at(self.scale));
        let need_domain = |domain: u64, what: &str| -> Result<Permutation, CompileError> {
            if domain < full_rows {
                return Err(format!("unique({what}) has only {domain} distinct values for {full_rows} rows").into());
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
                Sampler::Normal { dist: Normal::new(*mean, *sd)?, fmt }
            }
            GenExpr::Zipf { n, s } => {
                if unique {
                    Sampler::IntPerm { lo: 1, perm: need_domain(*n, "zipf")? }
                } else {
                    #[expect(clippy::cast_precision_loss)]
                    let dist = Zipf::new(*n as f64, *s)?;
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
                    )
                    .into());
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
            GenExpr::Depends { column, inner, noise } => {
                if unique {
                    return Err(
                        "unique(depends(...)) is not supported: equal values there give equal values here".into()
                    );
                }
                // The data model checked the column depended on (`check_depends`).
                Sampler::Depends {
                    source: compile_column(self.model, self.table, column, self.seed, self.scale)?,
                    inner: Box::new(self.sampler(inner, derive(seed, 23), fmt, false)?),
                    noise: *noise,
                }
            }
            GenExpr::Const(v) => {
                if unique {
                    return Err("unique(const(...)) has one value".into());
                }
                Sampler::Const(v.as_deref().map(escape))
            }
            GenExpr::Json => Sampler::Json,
            GenExpr::Typed(t) => {
                if unique {
                    crate::datagen::values::typed_can_be_unique(*t)?;
                }
                Sampler::Typed { t: *t, unique }
            }
            GenExpr::Array(inner) => Sampler::Array(Box::new(self.sampler(inner, derive(seed, 17), fmt, false)?)),
            GenExpr::Stats { column, reference } => {
                let stats = column.as_deref().ok_or("stats: production's statistics were not read")?;
                if unique {
                    return Err("unique(stats) is not supported: a unique column's statistics say only that".into());
                }
                self.stats(stats, reference.as_ref(), seed, fmt)?
            }
        })
    }

    /// A column from production's statistics; with `reference`, a foreign key.
    fn stats(
        &self,
        stats: &crate::snapshot::ColumnStats,
        reference: Option<&(String, String)>,
        seed: u64,
        fmt: NumFmt,
    ) -> Result<Sampler, CompileError> {
        let full_rows = self.table.size.full().max(1);
        let strata = derive(seed, 37);
        Ok(match reference {
            None if stats.kind == crate::snapshot::ValueKind::Other => {
                return Err(format!(
                    "stats: production's statistics of a `{}` column record only its NULLs and distinct count; \
                     use another generator (or stats(ref = ...) for a foreign key)",
                    stats.type_name
                )
                .into());
            }
            None => Sampler::Stats(Box::new(StatsSampler::new(
                stats,
                full_rows,
                matches!(fmt, NumFmt::Integer),
                self.max_len,
                strata,
            )?)),
            Some((table, column)) if self.numbered(table, column, stats) => {
                let parent = self.model.table(table).expect("numbered() found it");
                let hot = self.hot_parents(stats, table, column, seed)?;
                Sampler::KeyedRef(Box::new(KeyedRef {
                    stats: StatsSampler::new(stats, full_rows, true, None, strata)?.without_grid(),
                    slots: keys::KeySlots::new(stats, full_rows),
                    hot_rows: hot.rows,
                    parent: compile_column(self.model, parent, column, self.seed, self.scale)?,
                    parents: parent.size.rows_at(self.scale),
                }))
            }
            Some((table, column)) => {
                let mut r = self.reference(table, column, None, DEFAULT_SPREAD, seed)?;
                // Any parent of this scale, as production's picks are spread over all its
                // parents (its correlation says how much they follow order).
                if let Some(parent) = self.model.table(table).filter(|p| p.name != self.table.name) {
                    r.population = Population::Fixed(parent.size.rows_at(self.scale));
                }
                r.hot = Some(self.hot_parents(stats, table, column, seed)?);
                Sampler::Ref(Box::new(r))
            }
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
            return Err(format!("references `{table}`, which has no rows").into());
        }
        let pick_seed = match self.group {
            Some(g) => stream_seed(self.seed, &self.table.name, g),
            None => derive(seed, 23),
        };
        let zipf = match zipf {
            Some(s) => {
                #[expect(clippy::cast_precision_loss)]
                let dist = Zipf::new(full_parent as f64, s)?;
                Some((
                    dist,
                    Permutation::new(full_parent, derive(stream_seed(self.seed, table, column), 29)),
                    full_parent,
                ))
            }
            None => None,
        };
        Ok(RefSampler { parent: parent_col, population, zipf, pick_seed, spread, stride: None, hot: None })
    }

    /// The parent's key is numbered 1, 2, 3 (serial, identity) in another table, and the
    /// statistics are of numbers: the values can be read as parent rows.
    fn numbered(&self, table: &str, column: &str, stats: &crate::snapshot::ColumnStats) -> bool {
        let parent = self.model.table(table).filter(|p| p.name != self.table.name);
        let key = parent.and_then(|p| p.column(column));
        key.is_some_and(|c| c.filled_by_postgres || c.generator == GenExpr::Serial)
            && stats.kind == crate::snapshot::ValueKind::Number
            && stats.histogram.iter().all(|v| v.parse::<f64>().is_ok())
    }

    /// The parent rows of production's most common foreign-key values: the row that holds
    /// the value when the parent's key is numbered 1, 2, 3 (as `serial` and identities
    /// are), else a parent chosen by the value's rank; the same parent at every scale.
    fn hot_parents(
        &self,
        stats: &crate::snapshot::ColumnStats,
        table: &str,
        column: &str,
        seed: u64,
    ) -> Result<HotParents, CompileError> {
        let parent = self.model.table(table).ok_or_else(|| format!("references `{table}`, which is not filled"))?;
        let full = parent.size.full().max(1);
        let numbered = parent.column(column).is_some_and(|c| c.filled_by_postgres || c.generator == GenExpr::Serial);
        let ranks = Permutation::new(full, derive(seed, 31));
        let non_null = (1.0 - stats.null_frac).max(f64::MIN_POSITIVE);
        let mut ends = Vec::new();
        let mut rows = Vec::new();
        let mut acc = 0.0;
        for (rank, m) in stats.most_common.iter().enumerate() {
            let by_value = m.value.parse::<u64>().ok().filter(|v| numbered && (1..=full).contains(v)).map(|v| v - 1);
            rows.push(by_value.unwrap_or_else(|| ranks.apply(rank as u64 % full)));
            acc += m.freq / non_null;
            ends.push(acc);
        }
        let rest = (1.0 - acc).max(0.0);
        #[expect(clippy::cast_precision_loss)]
        let spread = (stats.distinct_at(self.table.size.full()) - stats.most_common.len() as f64).max(1.0);
        let ties = stats.most_common.iter().map(|m| (m.freq / non_null).powi(2)).sum::<f64>() + rest * rest / spread;
        let correlation = stats.order_correlation.or(stats.correlation).unwrap_or(0.0);
        let sorted = ((correlation - ties) / (1.0 - ties)).clamp(0.0, 1.0) / rest.max(f64::MIN_POSITIVE);
        let mut sorted_rows = rows.clone();
        sorted_rows.sort_unstable();
        sorted_rows.dedup();
        // The parents production uses besides the hot ones, as a share of the others.
        #[expect(clippy::cast_precision_loss)]
        let used = (spread / full.saturating_sub(sorted_rows.len() as u64).max(1) as f64).clamp(0.0, 1.0);
        Ok(HotParents {
            ends,
            rows,
            sorted_rows,
            used,
            parent_full: full,
            child_full: self.table.size.full().max(1),
            null_frac: stats.null_frac,
            places: Places::new(self.table.size.full().max(1), sorted.min(1.0), derive(seed, 37)),
        })
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
            )
            .into());
        }
        Ok(stride)
    }
}
