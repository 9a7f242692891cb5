//! Generator expressions of plangate.toml (`zipf(1000, 1.1)`, `ref(t.c, zipf = 1.1)`, ...):
//! the parsed form and its parser.

use std::fmt;

/// The share of the parents existing when a child row is made that `ref()` picks from:
/// every parent but the newest tenth gets the same number of children on average, at
/// every scale.
pub const DEFAULT_SPREAD: f64 = 0.1;

/// A column generator, as written by the user or inferred from the schema.
#[derive(Debug, Clone, PartialEq)]
pub enum GenExpr {
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
    /// Always this value (COPY text form; `None` is NULL).
    Const(Option<String>),
    /// A small JSON object (inferred for json/jsonb).
    Json,
    /// An array of 0..=4 elements of the inner generator (inferred for arrays).
    Array(Box<GenExpr>),
    /// Plausible values of a type no generator above names (inferred from the column's type).
    Typed(TypedGen),
}

/// Values of one Postgres type, for columns of that type the config does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypedGen {
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
    pub fn parse(text: &str) -> Result<GenExpr, String> {
        let mut p = Parser { toks: tokenize(text)?, pos: 0 };
        let g = p.generator()?;
        if let Some(t) = p.peek() {
            return Err(format!("unexpected `{t}` after the generator"));
        }
        Ok(g)
    }

    /// Every (table, column) this generator references.
    pub fn references(&self) -> Vec<(&str, &str)> {
        match self {
            GenExpr::Ref { table, column, .. } => vec![(table.as_str(), column.as_str())],
            GenExpr::Null { inner, .. } | GenExpr::Unique(inner) | GenExpr::Array(inner) => inner.references(),
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Num(f64, String),
    Str(String),
    Punct(char),
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Ident(s) => f.write_str(s),
            Tok::Num(_, raw) => f.write_str(raw),
            Tok::Str(s) => write!(f, "\"{s}\""),
            Tok::Punct(c) => write!(f, "{c}"),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
        } else if c.is_ascii_digit()
            || ((c == '-' || c == '+' || c == '.') && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit() || *d == '.'))
        {
            let start = i;
            i += 1;
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || matches!(chars[i], '.' | '_' | 'e' | 'E')
                    || ((chars[i] == '-' || chars[i] == '+') && matches!(chars[i - 1], 'e' | 'E')))
            {
                i += 1;
            }
            let raw: String = chars[start..i].iter().collect();
            let v: f64 = raw.replace('_', "").parse().map_err(|_| format!("bad number `{raw}`"))?;
            out.push(Tok::Num(v, raw));
        } else if c == '"' || c == '\'' {
            let quote = c;
            i += 1;
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None => return Err("unterminated string".into()),
                    Some(&ch) if ch == quote => {
                        if chars.get(i + 1) == Some(&quote) {
                            s.push(quote);
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(s));
        } else if "(),=.".contains(c) {
            out.push(Tok::Punct(c));
            i += 1;
        } else {
            return Err(format!("unexpected character `{c}`"));
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Punct(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        match self.next() {
            Some(Tok::Punct(p)) if p == c => Ok(()),
            Some(t) => Err(format!("expected `{c}`, found `{t}`")),
            None => Err(format!("expected `{c}` at the end")),
        }
    }

    fn number(&mut self, what: &str) -> Result<f64, String> {
        match self.next() {
            Some(Tok::Num(v, _)) => Ok(v),
            Some(t) => Err(format!("expected a number for {what}, found `{t}`")),
            None => Err(format!("expected a number for {what}")),
        }
    }

    fn ident(&mut self, what: &str) -> Result<String, String> {
        match self.next() {
            Some(Tok::Ident(s)) => Ok(s),
            Some(Tok::Str(s)) => Ok(s),
            Some(t) => Err(format!("expected {what}, found `{t}`")),
            None => Err(format!("expected {what}")),
        }
    }

    /// `name = number`, the keyword argument form.
    fn keyword(&mut self, name: &str) -> Result<f64, String> {
        match self.next() {
            Some(Tok::Ident(s)) if s == name => {}
            Some(t) => return Err(format!("expected `{name} = ...`, found `{t}`")),
            None => return Err(format!("expected `{name} = ...`")),
        }
        self.expect('=')?;
        self.number(name)
    }

    /// `name = "YYYY-MM-DD[ HH:MM:SS]"`: seconds since 1970 (UTC).
    fn time_keyword(&mut self, name: &str, generator: &str) -> Result<i64, String> {
        match self.next() {
            Some(Tok::Ident(s)) if s == name => {}
            Some(t) => return Err(format!("expected `{name} = \"...\"` in {generator}(), found `{t}`")),
            None => return Err(format!("expected `{name} = \"...\"` in {generator}()")),
        }
        self.expect('=')?;
        match self.next() {
            Some(Tok::Str(s)) => crate::datagen::time::parse_time(&s).ok_or_else(|| {
                format!("{generator}({name} = \"{s}\"): expected a date \"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM:SS\"")
            }),
            Some(t) => Err(format!("{generator}({name} = ...) takes a quoted date, found `{t}`")),
            None => Err(format!("{generator}({name} = ...) takes a quoted date")),
        }
    }

    fn generator(&mut self) -> Result<GenExpr, String> {
        let name = match self.next() {
            Some(Tok::Ident(s)) => s,
            Some(t) => return Err(format!("expected a generator name, found `{t}`")),
            None => return Err("empty generator".into()),
        };
        let has_args = self.eat('(');
        let g = match (name.as_str(), has_args) {
            ("serial", false) => return Ok(GenExpr::Serial),
            ("uuid", false) => return Ok(GenExpr::Uuid),
            ("serial" | "uuid", true) => GenExpr::parse_empty_args(self, &name)?,
            ("int", true) => {
                let lo = self.number("the lower bound")?;
                self.expect(',')?;
                let hi = self.number("the upper bound")?;
                let (lo, hi) = (whole(lo, "int")?, whole(hi, "int")?);
                if lo > hi {
                    return Err(format!("int({lo}, {hi}): the lower bound is above the upper"));
                }
                GenExpr::Int { lo, hi }
            }
            ("float", true) => {
                let lo = self.number("the lower bound")?;
                self.expect(',')?;
                let hi = self.number("the upper bound")?;
                if lo > hi {
                    return Err(format!("float({lo}, {hi}): the lower bound is above the upper"));
                }
                GenExpr::Float { lo, hi, decimals: None }
            }
            ("normal", true) => {
                let mean = self.number("the mean")?;
                self.expect(',')?;
                let sd = self.number("the standard deviation")?;
                if sd.is_nan() || sd < 0.0 {
                    return Err("normal(): the standard deviation must not be negative".into());
                }
                GenExpr::Normal { mean, sd }
            }
            ("zipf", true) => {
                let n = self.number("n")?;
                self.expect(',')?;
                let s = self.number("s")?;
                let n = whole(n, "zipf n")?;
                if n < 1 || s < 0.0 {
                    return Err("zipf(n, s) needs n >= 1 and s >= 0".into());
                }
                GenExpr::Zipf { n: n.unsigned_abs(), s }
            }
            ("bool", true) => GenExpr::Bool { p: probability(self.number("p")?)? },
            ("choice", true) => self.choice()?,
            ("timestamp" | "date", true) => {
                let date_only = name == "date";
                if self.peek() == Some(&Tok::Ident("from".into())) {
                    let from = self.time_keyword("from", &name)?;
                    self.expect(',')?;
                    let to = self.time_keyword("to", &name)?;
                    // A date range counts whole days; `to` is never included.
                    if to <= from {
                        return Err(format!("{name}(from, to): `to` must be after `from`"));
                    }
                    #[expect(clippy::cast_precision_loss)]
                    let days = (to - from) as f64 / 86_400.0;
                    if date_only && (from % 86_400 != 0 || to % 86_400 != 0) {
                        return Err("date(from, to) takes dates (\"YYYY-MM-DD\") without a time".into());
                    }
                    GenExpr::Timestamp { days, from: Some(from), date_only, tz: false }
                } else {
                    let days = self.keyword("days")?;
                    if days.is_nan() || days <= 0.0 {
                        return Err(format!("{name}(days = {days}): days must be positive"));
                    }
                    GenExpr::Timestamp { days, from: None, date_only, tz: false }
                }
            }
            ("text", true) => {
                let min = whole(self.number("min_words")?, "min_words")?;
                self.expect(',')?;
                let max = whole(self.number("max_words")?, "max_words")?;
                if min < 0 || min > max {
                    return Err(format!("text({min}, {max}) needs 0 <= min_words <= max_words"));
                }
                GenExpr::Text {
                    min_words: u32::try_from(min).map_err(|_| "too many words")?,
                    max_words: u32::try_from(max).map_err(|_| "too many words")?,
                    max_len: None,
                }
            }
            ("ref", true) => {
                // `t.c`, or `schema.t.c` for a table outside `public`.
                let mut parts = vec![self.ident("a table name")?];
                self.expect('.')?;
                parts.push(self.ident("a column name")?);
                if self.eat('.') {
                    parts.push(self.ident("a column name")?);
                }
                let column = parts.pop().expect("two parts at least");
                let table = parts.join(".");
                let (mut zipf, mut spread) = (None, None);
                while self.eat(',') {
                    match self.peek() {
                        Some(Tok::Ident(k)) if k == "zipf" && zipf.is_none() => zipf = Some(self.keyword("zipf")?),
                        Some(Tok::Ident(k)) if k == "spread" && spread.is_none() => {
                            spread = Some(self.keyword("spread")?);
                        }
                        Some(t) => {
                            return Err(format!("expected `zipf = ...` or `spread = ...` in ref(), found `{t}`"));
                        }
                        None => return Err("expected `zipf = ...` or `spread = ...` in ref()".into()),
                    }
                }
                if zipf.is_some_and(|s| s < 0.0) {
                    return Err("ref(..., zipf = s) needs s >= 0".into());
                }
                if spread.is_some_and(|s| !(0.0..=1.0).contains(&s)) {
                    return Err("ref(..., spread = s) needs 0 <= s <= 1".into());
                }
                if zipf.is_some() && spread.is_some() {
                    return Err("ref() takes zipf or spread, not both: zipf ranks every parent".into());
                }
                GenExpr::Ref { table, column, zipf, spread }
            }
            ("null", true) => {
                let p = probability(self.number("p")?)?;
                self.expect(',')?;
                let inner = self.generator()?;
                GenExpr::Null { p, inner: Box::new(inner) }
            }
            ("unique", true) => GenExpr::Unique(Box::new(self.generator()?)),
            ("const", true) => match self.next() {
                Some(Tok::Num(_, raw)) => GenExpr::Const(Some(raw.replace('_', ""))),
                Some(Tok::Str(s)) => GenExpr::Const(Some(s)),
                Some(Tok::Ident(s)) if s == "true" || s == "false" => GenExpr::Const(Some(s)),
                Some(Tok::Ident(s)) if s == "null" => GenExpr::Const(None),
                Some(t) => return Err(format!("const() takes a number, a string, true, false or null, found `{t}`")),
                None => return Err("const() needs a value".into()),
            },
            ("stats", _) => {
                return Err(
                    "the stats(...) generator is written by `plangate init --from-url`, which is not yet available"
                        .into(),
                );
            }
            (known, false) if KNOWN.contains(&known) => {
                return Err(format!("`{known}` needs arguments in parentheses"));
            }
            (other, _) => return Err(format!("unknown generator `{other}` (known: {})", KNOWN.join(", "))),
        };
        self.expect(')')?;
        Ok(g)
    }

    fn choice(&mut self) -> Result<GenExpr, String> {
        let mut values = Vec::new();
        let mut weights = Vec::new();
        loop {
            let v = match self.next() {
                Some(Tok::Str(s)) => s,
                Some(Tok::Num(_, raw)) => raw,
                Some(Tok::Ident(s)) => s,
                Some(t) => return Err(format!("expected a choice value, found `{t}`")),
                None => return Err("choice() needs values".into()),
            };
            let w = if self.eat('=') { self.number("a weight")? } else { f64::NAN };
            values.push(v);
            weights.push(w);
            if !self.eat(',') {
                break;
            }
        }
        let weighted = weights.iter().filter(|w| !w.is_nan()).count();
        if weighted == 0 {
            weights.iter_mut().for_each(|w| *w = 1.0);
        } else if weighted != weights.len() {
            return Err("choice(): give a weight to every value or to none".into());
        }
        if weights.iter().any(|w| *w < 0.0) || weights.iter().sum::<f64>() <= 0.0 {
            return Err("choice(): weights must be non-negative and not all zero".into());
        }
        Ok(GenExpr::Choice { values, weights })
    }
}

impl GenExpr {
    fn parse_empty_args(p: &mut Parser, name: &str) -> Result<GenExpr, String> {
        if p.peek() != Some(&Tok::Punct(')')) {
            return Err(format!("`{name}` takes no arguments"));
        }
        Ok(if name == "serial" { GenExpr::Serial } else { GenExpr::Uuid })
    }
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
    "const",
    "stats",
];

fn whole(v: f64, what: &str) -> Result<i64, String> {
    if v.fract() != 0.0 || !v.is_finite() || v.abs() > 9.0e18 {
        return Err(format!("{what} needs a whole number, found {v}"));
    }
    #[expect(clippy::cast_possible_truncation)]
    Ok(v as i64)
}

fn probability(p: f64) -> Result<f64, String> {
    if (0.0..=1.0).contains(&p) { Ok(p) } else { Err(format!("probability {p} is not between 0 and 1")) }
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
            let err = GenExpr::parse(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
