//! Column generators of plangate.toml (`zipf(1000, 1.1)`, `ref(t.c, zipf = 1.1)`, ...): the
//! typed values, read out of the config's expression language.

use std::sync::Arc;

use crate::expr::{self, Arg, Args, Expr, ExprError, Result};
use crate::snapshot::ColumnStats;

/// The share of the parents existing when a child row is made that `ref()` picks from:
/// every parent but the newest tenth gets the same number of children on average, at
/// every scale.
pub(crate) const DEFAULT_SPREAD: f64 = 0.1;

/// A column generator, as written by the user or inferred from the schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum GenExpr {
    /// 1, 2, 3, ...
    Serial,
    /// Uniform integer in [lo, hi].
    Int {
        lo: i64,
        hi: i64,
    },
    /// Uniform float in [lo, hi]; `decimals` rounds (numeric(p, s)).
    Float {
        lo: f64,
        hi: f64,
        decimals: Option<u32>,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    /// 1..n, value k with weight 1/k^s, popularity order shuffled by the seed.
    Zipf {
        n: u64,
        s: f64,
    },
    Bool {
        p: f64,
    },
    /// Weighted pick (uniform when all weights are equal).
    Choice {
        values: Vec<String>,
        weights: Vec<f64>,
    },
    /// Within the `days` days before the fixed epoch, or, with `from` (seconds since
    /// 1970), within the `days` days from then on; `date_only` for dates, `tz` for timestamptz.
    Timestamp {
        days: f64,
        from: Option<i64>,
        date_only: bool,
        tz: bool,
    },
    /// Words; `max_len` truncates (varchar(n)).
    Text {
        min_words: u32,
        max_words: u32,
        max_len: Option<u32>,
    },
    Uuid,
    /// A value of parent column `table.column`, uniform or zipf-skewed over parent rows.
    /// `spread` is the newest share of the parents that exist when a child row is made
    /// that it picks from (None: [`DEFAULT_SPREAD`]; 0: a few parents, which stores a
    /// parent's children together; 1: any, so older parents gather more children).
    Ref {
        table: String,
        column: String,
        zipf: Option<f64>,
        spread: Option<f64>,
    },
    /// NULL with probability p, else the inner generator.
    Null {
        p: f64,
        inner: Box<GenExpr>,
    },
    /// The inner generator without repeats.
    Unique(Box<GenExpr>),
    /// A function of another column of the same row: the inner generator's value drawn
    /// from the other column's value, so equal values there give equal values here (city
    /// and zip code). With probability `noise`, an independent draw instead.
    Depends {
        column: String,
        inner: Box<GenExpr>,
        noise: f64,
    },
    /// Always this value (COPY text form; `None` is NULL).
    Const(Option<String>),
    /// A small JSON object (inferred for json/jsonb).
    Json,
    /// An array of 0..=4 elements of the inner generator (inferred for arrays).
    Array(Box<GenExpr>),
    /// Plausible values of a type no generator above names (inferred from the column's type).
    Typed(TypedGen),
    /// Production's statistics for the column, from the snapshot `plangate init --from-url`
    /// wrote (attached when the config is read). With `reference`, a foreign key: parents
    /// are picked with production's fan-out, its hot keys staying hot.
    Stats {
        reference: Option<(String, String)>,
        column: Option<Arc<ColumnStats>>,
    },
}

/// Values of one Postgres type, for columns of that type the config does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypedGen {
    /// bytea: 8 to 64 random bytes.
    Bytes,
    /// tsvector: 3 to 12 words.
    Tsvector,
    /// inet: an address in 10.0.0.0/8.
    Inet,
    /// cidr: a /24 network in 10.0.0.0/8.
    Cidr,
    Macaddr,
    /// interval: up to 30 days, in seconds.
    Interval,
    Time {
        tz: bool,
    },
    /// "char": one letter.
    Letter,
    /// int4range, int8range, numrange: `[a,b)` within 0..1000.
    NumRange,
    /// daterange, tsrange, tstzrange: up to 30 days within the 1000 days before the epoch.
    TimeRange {
        date_only: bool,
        tz: bool,
    },
}

impl GenExpr {
    /// Parse a generator expression.
    pub(crate) fn parse(text: &str) -> Result<GenExpr> {
        GenExpr::from_expr(&expr::parse(text)?)
    }

    /// The generator an expression names.
    pub(crate) fn from_expr(e: &Expr) -> Result<GenExpr> {
        let (name, args) = match e {
            Expr::Call { name, args } => (name.as_str(), args.as_slice()),
            Expr::Name(parts) if parts.len() == 1 => {
                return match parts[0].as_str() {
                    "serial" => Ok(GenExpr::Serial),
                    "uuid" => Ok(GenExpr::Uuid),
                    "stats" => Ok(GenExpr::Stats { reference: None, column: None }),
                    known if KNOWN.contains(&known) => {
                        Err(invalid(format!("`{known}` needs arguments in parentheses")))
                    }
                    other => Err(unknown(other)),
                };
            }
            other => return Err(invalid(format!("expected a generator name, found `{other}`"))),
        };
        let mut a = Args::new(name, args);
        let (g, keywords): (GenExpr, &[&str]) = match name {
            "serial" | "uuid" => {
                if !args.is_empty() {
                    return Err(invalid(format!("`{name}` takes no arguments")));
                }
                (if name == "serial" { GenExpr::Serial } else { GenExpr::Uuid }, &[])
            }
            "int" => {
                let (lo, hi) = (a.number("the lower bound")?, a.number("the upper bound")?);
                let (lo, hi) = (whole(lo, "int")?, whole(hi, "int")?);
                if lo > hi {
                    return Err(invalid(format!("int({lo}, {hi}): the lower bound is above the upper")));
                }
                (GenExpr::Int { lo, hi }, &[])
            }
            "float" => {
                let (lo, hi) = (a.number("the lower bound")?, a.number("the upper bound")?);
                if lo > hi {
                    return Err(invalid(format!("float({lo}, {hi}): the lower bound is above the upper")));
                }
                (GenExpr::Float { lo, hi, decimals: None }, &[])
            }
            "normal" => {
                let (mean, sd) = (a.number("the mean")?, a.number("the standard deviation")?);
                if sd.is_nan() || sd < 0.0 {
                    return Err(invalid("normal(): the standard deviation must not be negative"));
                }
                (GenExpr::Normal { mean, sd }, &[])
            }
            "zipf" => {
                let (n, s) = (whole(a.number("n")?, "zipf n")?, a.number("s")?);
                if n < 1 || s < 0.0 {
                    return Err(invalid("zipf(n, s) needs n >= 1 and s >= 0"));
                }
                (GenExpr::Zipf { n: n.unsigned_abs(), s }, &[])
            }
            "bool" => (GenExpr::Bool { p: probability(a.number("p")?)? }, &[]),
            "choice" => return choice(args),
            "timestamp" | "date" => (time_range(name, &a)?, &["days", "from", "to"]),
            "text" => {
                let min = whole(a.number("min_words")?, "min_words")?;
                let max = whole(a.number("max_words")?, "max_words")?;
                if min < 0 || min > max {
                    return Err(invalid(format!("text({min}, {max}) needs 0 <= min_words <= max_words")));
                }
                let words = |n: i64| u32::try_from(n).map_err(|_| invalid("text(): too many words"));
                (GenExpr::Text { min_words: words(min)?, max_words: words(max)?, max_len: None }, &[])
            }
            "ref" => (reference(&mut a)?, &["zipf", "spread"]),
            "null" => {
                let p = probability(a.number("p")?)?;
                let inner = GenExpr::from_expr(a.next("a generator")?)?;
                (GenExpr::Null { p, inner: Box::new(inner) }, &[])
            }
            "unique" => (GenExpr::Unique(Box::new(GenExpr::from_expr(a.next("a generator")?)?)), &[]),
            "depends" => (depends(&mut a)?, &["noise"]),
            "const" => (constant(a.next("a value")?)?, &[]),
            "stats" => (stats(&a)?, &["ref"]),
            other => return Err(unknown(other)),
        };
        a.finish(keywords)?;
        Ok(g)
    }

    /// Every (table, column) this generator references.
    pub(crate) fn references(&self) -> Vec<(&str, &str)> {
        match self {
            GenExpr::Ref { table, column, .. } | GenExpr::Stats { reference: Some((table, column)), .. } => {
                vec![(table.as_str(), column.as_str())]
            }
            GenExpr::Null { inner, .. } | GenExpr::Unique(inner) | GenExpr::Array(inner) => inner.references(),
            _ => Vec::new(),
        }
    }
}

impl GenExpr {
    /// The generator as the config writes it, when the config's language can say it: a
    /// generator inferred from a column's type alone (json, arrays, network types...) cannot.
    /// What the language leaves implicit (rounding to a numeric's scale, a varchar's length,
    /// a time zone) is what the column's type says anyway.
    pub(crate) fn to_config(&self) -> Option<String> {
        Some(match self {
            GenExpr::Serial => "serial".into(),
            GenExpr::Uuid => "uuid".into(),
            GenExpr::Int { lo, hi } => format!("int({lo}, {hi})"),
            GenExpr::Float { lo, hi, .. } => format!("float({}, {})", number(*lo), number(*hi)),
            GenExpr::Normal { mean, sd } => format!("normal({}, {})", number(*mean), number(*sd)),
            GenExpr::Zipf { n, s } => format!("zipf({n}, {})", number(*s)),
            GenExpr::Bool { p } => format!("bool({})", number(*p)),
            GenExpr::Choice { values, weights } => {
                // Equal weights were written without any (`choice("a", "b")`): bit for bit.
                let even = weights.windows(2).all(|w| w[0].to_bits() == w[1].to_bits());
                let items: Vec<String> = values
                    .iter()
                    .zip(weights)
                    .map(|(v, w)| if even { quoted(v) } else { format!("{} = {}", quoted(v), number(*w)) })
                    .collect();
                format!("choice({})", items.join(", "))
            }
            GenExpr::Timestamp { days, from, date_only, .. } => {
                let name = if *date_only { "date" } else { "timestamp" };
                match from {
                    None => format!("{name}(days = {})", number(*days)),
                    Some(from) => {
                        #[expect(clippy::cast_possible_truncation)]
                        let to = from + (days * 86_400.0).round() as i64;
                        let at = |t: i64| {
                            let mut out = Vec::new();
                            crate::calendar::write_unix(&mut out, t, *date_only, false);
                            String::from_utf8(out).unwrap_or_default()
                        };
                        format!("{name}(from = \"{}\", to = \"{}\")", at(*from), at(to))
                    }
                }
            }
            GenExpr::Text { min_words, max_words, .. } => format!("text({min_words}, {max_words})"),
            GenExpr::Ref { table, column, zipf, spread } => {
                let zipf = zipf.map(|z| format!(", zipf = {}", number(z))).unwrap_or_default();
                let spread = spread.map(|s| format!(", spread = {}", number(s))).unwrap_or_default();
                format!("ref({table}.{column}{zipf}{spread})")
            }
            GenExpr::Null { p, inner } => format!("null({}, {})", number(*p), inner.to_config()?),
            GenExpr::Depends { column, inner, noise } => {
                format!("depends({column}, {}, noise = {})", inner.to_config()?, number(*noise))
            }
            GenExpr::Unique(inner) => format!("unique({})", inner.to_config()?),
            GenExpr::Const(None) => "const(null)".into(),
            GenExpr::Const(Some(v)) => format!("const({})", quoted(v)),
            GenExpr::Stats { reference: None, .. } => "stats".into(),
            GenExpr::Stats { reference: Some((t, c)), .. } => format!("stats(ref = {t}.{c})"),
            GenExpr::Json | GenExpr::Array(_) | GenExpr::Typed(_) => return None,
        })
    }
}

/// A number as the expression language reads it back to the same value.
fn number(v: f64) -> String {
    format!("{v}")
}

/// A string literal: double quotes, a double quote doubled.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `days = n`, or `from = "...", to = "..."` (seconds since 1970, UTC).
fn time_range(name: &str, a: &Args<'_>) -> Result<GenExpr> {
    let date_only = name == "date";
    let (from, to, days) = (a.keyword("from"), a.keyword("to"), a.keyword("days"));
    if let Some(extra) = a.positional().first() {
        return Err(invalid(format!("{name}() takes `days = ...` or `from = \"...\", to = \"...\"`, not `{extra}`")));
    }
    match (from, to, days) {
        (None, None, Some(days)) => {
            let days = expr::number_of(days, "days", name)?;
            if days.is_nan() || days <= 0.0 {
                return Err(invalid(format!("{name}(days = {days}): days must be positive")));
            }
            Ok(GenExpr::Timestamp { days, from: None, date_only, tz: false })
        }
        (Some(from), Some(to), None) => {
            let (from, to) = (date_of(name, "from", from)?, date_of(name, "to", to)?);
            // A date range counts whole days; `to` is never included.
            if to <= from {
                return Err(invalid(format!("{name}(from, to): `to` must be after `from`")));
            }
            if date_only && (from % 86_400 != 0 || to % 86_400 != 0) {
                return Err(invalid("date(from, to) takes dates (\"YYYY-MM-DD\") without a time"));
            }
            #[expect(clippy::cast_precision_loss)]
            let days = (to - from) as f64 / 86_400.0;
            Ok(GenExpr::Timestamp { days, from: Some(from), date_only, tz: false })
        }
        _ => Err(invalid(format!("{name}() takes `days = ...` or `from = \"...\", to = \"...\"`"))),
    }
}

fn date_of(generator: &str, key: &str, e: &Expr) -> Result<i64> {
    match e {
        Expr::Str(s) => crate::calendar::parse_time(s).ok_or_else(|| {
            invalid(format!("{generator}({key} = \"{s}\"): expected a date \"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM:SS\""))
        }),
        other => Err(invalid(format!("{generator}({key} = ...) takes a quoted date, found `{other}`"))),
    }
}

/// `ref(t.c)` or `ref(schema.t.c)`, with `zipf = s` or `spread = s`.
/// Generators whose value is a function of the draw alone (not of the row's place).
fn drawn(g: &GenExpr) -> bool {
    match g {
        GenExpr::Int { .. }
        | GenExpr::Float { .. }
        | GenExpr::Normal { .. }
        | GenExpr::Zipf { .. }
        | GenExpr::Bool { .. }
        | GenExpr::Choice { .. }
        | GenExpr::Timestamp { .. }
        | GenExpr::Text { .. }
        | GenExpr::Const(_) => true,
        GenExpr::Null { inner, .. } => drawn(inner),
        _ => false,
    }
}

/// `depends(column, generator, noise = p)`.
fn depends(a: &mut Args<'_>) -> Result<GenExpr> {
    let column = match a.next("a column of the same table")? {
        Expr::Name(parts) if parts.len() == 1 => parts[0].clone(),
        other => return Err(invalid(format!("depends() takes a column of the same table first, found `{other}`"))),
    };
    let inner = GenExpr::from_expr(a.next("a generator")?)?;
    let noise = a.keyword("noise").map(|e| expr::number_of(e, "noise", "depends")).transpose()?.unwrap_or(0.0);
    let noise = probability(noise)?;
    if !drawn(&inner) {
        return Err(invalid(format!(
            "depends() draws its value with int, float, normal, zipf, bool, choice, timestamp, date, text, const \
             or null of those, not `{}`",
            inner.to_config().unwrap_or_else(|| "that generator".into())
        )));
    }
    Ok(GenExpr::Depends { column, inner: Box::new(inner), noise })
}

fn reference(a: &mut Args<'_>) -> Result<GenExpr> {
    let (table, column) = match a.next("a column, as table.column")? {
        Expr::Name(parts) if (2..=3).contains(&parts.len()) => {
            (parts[..parts.len() - 1].join("."), parts[parts.len() - 1].clone())
        }
        other => return Err(invalid(format!("ref() takes a column as table.column, found `{other}`"))),
    };
    let zipf = a.keyword("zipf").map(|e| expr::number_of(e, "zipf", "ref")).transpose()?;
    let spread = a.keyword("spread").map(|e| expr::number_of(e, "spread", "ref")).transpose()?;
    if zipf.is_some_and(|s| s < 0.0) {
        return Err(invalid("ref(..., zipf = s) needs s >= 0"));
    }
    if spread.is_some_and(|s| !(0.0..=1.0).contains(&s)) {
        return Err(invalid("ref(..., spread = s) needs 0 <= s <= 1"));
    }
    if zipf.is_some() && spread.is_some() {
        return Err(invalid("ref() takes zipf or spread, not both: zipf ranks every parent"));
    }
    Ok(GenExpr::Ref { table, column, zipf, spread })
}

fn constant(e: &Expr) -> Result<GenExpr> {
    Ok(match e {
        Expr::Number { text, .. } => GenExpr::Const(Some(text.replace('_', ""))),
        Expr::Str(s) => GenExpr::Const(Some(s.clone())),
        e if matches!(e.as_word(), Some("true" | "false")) => GenExpr::Const(e.as_word().map(str::to_string)),
        e if e.as_word() == Some("null") => GenExpr::Const(None),
        other => {
            return Err(invalid(format!("const() takes a number, a string, true, false or null, found `{other}`")));
        }
    })
}

/// `choice("a", "b")` or `choice("a" = 0.7, "b" = 0.3)`, in the order written.
fn choice(args: &[Arg]) -> Result<GenExpr> {
    if args.is_empty() {
        return Err(invalid("choice() needs values"));
    }
    let mut values = Vec::new();
    let mut weights = Vec::new();
    for arg in args {
        let (value, weight) = match &arg.key {
            Some(k) => (k, expr::number_of(&arg.value, "a weight", "choice")?),
            None => (&arg.value, f64::NAN),
        };
        values.push(match value {
            Expr::Str(s) => s.clone(),
            Expr::Number { text, .. } => text.clone(),
            e if e.as_word().is_some() => e.to_string(),
            other => return Err(invalid(format!("expected a choice value, found `{other}`"))),
        });
        weights.push(weight);
    }
    let weighted = weights.iter().filter(|w| !w.is_nan()).count();
    if weighted == 0 {
        weights.fill(1.0);
    } else if weighted != weights.len() {
        return Err(invalid("choice(): give a weight to every value or to none"));
    }
    if weights.iter().any(|w| *w < 0.0) || weights.iter().sum::<f64>() <= 0.0 {
        return Err(invalid("choice(): weights must be non-negative and not all zero"));
    }
    Ok(GenExpr::Choice { values, weights })
}

fn invalid(message: impl Into<String>) -> ExprError {
    ExprError::invalid(message)
}

fn unknown(name: &str) -> ExprError {
    invalid(format!("unknown generator `{name}` (known: {})", KNOWN.join(", ")))
}

/// `stats` or `stats(ref = t.c)`.
fn stats(a: &Args<'_>) -> Result<GenExpr> {
    if let Some(extra) = a.positional().first() {
        return Err(invalid(format!(
            "stats takes no values, or `ref = table.column` for a foreign key, not `{extra}`"
        )));
    }
    let reference = match a.keyword("ref") {
        None => None,
        Some(Expr::Name(parts)) if (2..=3).contains(&parts.len()) => {
            Some((parts[..parts.len() - 1].join("."), parts[parts.len() - 1].clone()))
        }
        Some(other) => {
            return Err(invalid(format!("stats(ref = ...) takes a column as table.column, found `{other}`")));
        }
    };
    Ok(GenExpr::Stats { reference, column: None })
}

const KNOWN: &[&str] = &[
    "serial",
    "int",
    "float",
    "normal",
    "zipf",
    "bool",
    "choice",
    "timestamp",
    "date",
    "text",
    "uuid",
    "ref",
    "null",
    "unique",
    "depends",
    "const",
    "stats",
];

fn whole(v: f64, what: &str) -> Result<i64> {
    if v.fract() != 0.0 || !v.is_finite() || v.abs() > 9.0e18 {
        return Err(invalid(format!("{what} needs a whole number, found {v}")));
    }
    #[expect(clippy::cast_possible_truncation)]
    Ok(v as i64)
}

fn probability(p: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&p) { Ok(p) } else { Err(invalid(format!("probability {p} is not between 0 and 1"))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_generator_of_the_spec() {
        let cases = [
            ("serial", GenExpr::Serial),
            ("int(1, 10)", GenExpr::Int { lo: 1, hi: 10 }),
            ("float(1, 500)", GenExpr::Float { lo: 1.0, hi: 500.0, decimals: None }),
            ("normal(50, 5.5)", GenExpr::Normal { mean: 50.0, sd: 5.5 }),
            ("zipf(1_000, 1.1)", GenExpr::Zipf { n: 1000, s: 1.1 }),
            ("bool(0.9)", GenExpr::Bool { p: 0.9 }),
            ("timestamp(days = 1000)", GenExpr::Timestamp { days: 1000.0, from: None, date_only: false, tz: false }),
            (
                r#"date(from = "1992-01-01", to = "1999-01-01")"#,
                GenExpr::Timestamp { days: 2557.0, from: Some(694_224_000), date_only: true, tz: false },
            ),
            (
                r#"timestamp(from = "2024-10-01 12:00", to = "2024-10-02 12:00")"#,
                GenExpr::Timestamp { days: 1.0, from: Some(1_727_784_000), date_only: false, tz: false },
            ),
            ("text(2, 8)", GenExpr::Text { min_words: 2, max_words: 8, max_len: None }),
            ("uuid", GenExpr::Uuid),
            (
                "ref(categories.id, zipf = 1.1)",
                GenExpr::Ref { table: "categories".into(), column: "id".into(), zipf: Some(1.1), spread: None },
            ),
            ("ref(users.id)", GenExpr::Ref { table: "users".into(), column: "id".into(), zipf: None, spread: None }),
            (
                "ref(app.users.id, spread = 0)",
                GenExpr::Ref { table: "app.users".into(), column: "id".into(), zipf: None, spread: Some(0.0) },
            ),
            ("unique(int(1, 100))", GenExpr::Unique(Box::new(GenExpr::Int { lo: 1, hi: 100 }))),
            ("const(7)", GenExpr::Const(Some("7".into()))),
            ("const(null)", GenExpr::Const(None)),
            ("stats", GenExpr::Stats { reference: None, column: None }),
            (
                "stats(ref = customers.id)",
                GenExpr::Stats { reference: Some(("customers".into(), "id".into())), column: None },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(GenExpr::parse(text).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn parses_choices_and_nesting() {
        assert_eq!(
            GenExpr::parse(r#"choice("a", "b")"#).unwrap(),
            GenExpr::Choice { values: vec!["a".into(), "b".into()], weights: vec![1.0, 1.0] }
        );
        assert_eq!(
            GenExpr::parse(r#"choice("a" = 0.7, "b" = 0.3)"#).unwrap(),
            GenExpr::Choice { values: vec!["a".into(), "b".into()], weights: vec![0.7, 0.3] }
        );
        let g = GenExpr::parse("null(0.2, ref(users.id))").unwrap();
        assert_eq!(g.references(), vec![("users", "id")]);
    }

    #[test]
    fn errors_name_the_offending_text() {
        for (text, needle) in [
            ("bogus(1)", "unknown generator `bogus`"),
            ("int(5, 1)", "lower bound is above"),
            ("bool(1.5)", "not between 0 and 1"),
            ("int(1, 2", "expected `)`"),
            ("choice(\"a\" = 1, \"b\")", "every value or to none"),
            ("int(1.5, 3)", "whole number"),
            ("timestamp(1000)", "days = ..."),
            (r#"timestamp(from = "2024-02-30", to = "2025-01-01")"#, "expected a date"),
            (r#"date(from = "2024-01-01", to = "2023-01-01")"#, "must be after"),
            (r#"date(from = "2024-01-01 10:00", to = "2025-01-01")"#, "without a time"),
            ("int", "needs arguments"),
            ("int(1, 2) x", "unexpected `x`"),
            ("ref(t.c, spread = 2)", "0 <= s <= 1"),
            ("ref(t.c, zipf = 1, spread = 0.5)", "not both"),
        ] {
            let err = GenExpr::parse(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn generators_print_as_the_config_writes_them_and_read_back() {
        for text in [
            "serial",
            "int(1, 10)",
            "float(0.5, 99.25)",
            "normal(50, 5.5)",
            "zipf(1000, 1.1)",
            "bool(0.9)",
            r#"choice("a", "b")"#,
            r#"choice("it""s" = 0.7, "b" = 0.3)"#,
            "timestamp(days = 1000)",
            r#"date(from = "1992-01-01", to = "1999-01-01")"#,
            r#"timestamp(from = "2024-10-01 12:00:00", to = "2024-10-02 12:00:00")"#,
            "text(2, 8)",
            "uuid",
            "ref(app.users.id, zipf = 1.1)",
            "ref(users.id, spread = 0)",
            "null(0.05, unique(ref(users.id)))",
            "const(null)",
            r#"const("7")"#,
            "stats",
            "stats(ref = app.users.id)",
        ] {
            let g = GenExpr::parse(text).unwrap();
            let printed = g.to_config().unwrap();
            assert_eq!(GenExpr::parse(&printed).unwrap(), g, "{text} printed as {printed}");
        }
        assert_eq!(GenExpr::Json.to_config(), None);
    }
}
