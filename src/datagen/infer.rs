//! Inference: a generator for every column the config does not name, from the column's
//! type (domains resolved), its keys and foreign keys, its CHECKs and, for a partition
//! key, the partitions' bounds.

use crate::config::generator::{GenExpr, TypedGen};
use crate::datagen::schema::{Column, Table};

/// Null fraction given to nullable columns the config does not name.
const INFERRED_NULL_FRACTION: f64 = 0.05;

/// A column of a type no generator makes values of.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot generate values of type {type_sql}{} for `{table}.{column}`", over.as_ref().map(|o| format!(" (over {o})")).unwrap_or_default())]
pub(crate) struct NoGenerator {
    pub(crate) type_sql: String,
    /// The base type, for a domain.
    pub(crate) over: Option<String>,
    pub(crate) table: String,
    pub(crate) column: String,
}

impl NoGenerator {
    fn of(table: &Table, column: &Column, over: Option<String>) -> NoGenerator {
        NoGenerator { type_sql: column.type_sql.clone(), over, table: table.name.clone(), column: column.name.clone() }
    }
}

/// A generator for a column the config does not name.
pub(crate) fn infer(table: &Table, column: &Column) -> Result<(GenExpr, Option<String>), NoGenerator> {
    let name = &column.name;
    // Foreign keys: a reference to the parent (composite keys share one parent row).
    if let Some(fk) = table.foreign_keys.iter().find(|fk| fk.columns.contains(name)) {
        let i = fk.columns.iter().position(|c| c == name).expect("found above");
        let g =
            GenExpr::Ref { table: fk.parent.clone(), column: fk.parent_columns[i].clone(), zipf: None, spread: None };
        let group = (fk.columns.len() > 1).then(|| fk.name.clone());
        // A one-to-one link (the foreign key is the whole of a key): a parent per row.
        let one_to_one =
            fk.columns.len() == 1 && (table.primary_key == fk.columns || table.uniques.contains(&fk.columns));
        let g = if one_to_one { GenExpr::Unique(Box::new(g)) } else { g };
        let g = if column.not_null || fk.parent == table.name {
            g
        } else {
            GenExpr::Null { p: INFERRED_NULL_FRACTION, inner: Box::new(g) }
        };
        return Ok((g, group));
    }
    let single_pk = table.primary_key.len() == 1 && table.primary_key[0] == *name;
    // A unique index over one column's expression (`lower(email)`), or over one column for
    // some rows only: values distinct for every row keep it unique (what is left to chance,
    // two values the expression folds together, loading drops).
    let single_unique = table.uniques.iter().any(|u| u.len() == 1 && u[0] == *name)
        || table.unique_indexes.iter().any(|u| u.keys.len() == 1 && u.key_columns(0, &table.columns) == [name.clone()]);
    // The last non-foreign-key column of a composite key is made unique, so the key is.
    let composite_last =
        table.uniques.iter().chain(std::iter::once(&table.primary_key)).filter(|k| k.len() > 1).any(|k| {
            k.iter().rev().find(|c| !table.foreign_keys.iter().any(|fk| fk.columns.contains(c))) == Some(name)
        });
    let integer = matches!(column.type_name.as_str(), "int2" | "int4" | "int8");
    if single_pk && (integer || column.serial_sequence.is_some()) {
        return Ok((GenExpr::Serial, None));
    }
    let base = base_generator(table, column)?;
    let g = if single_pk || single_unique || composite_last {
        match base {
            GenExpr::Uuid => GenExpr::Uuid,
            b => GenExpr::Unique(Box::new(b)),
        }
    } else {
        base
    };
    let in_key = table.primary_key.contains(name);
    let g = if column.not_null || in_key || single_unique {
        g
    } else {
        GenExpr::Null { p: INFERRED_NULL_FRACTION, inner: Box::new(g) }
    };
    Ok((g, None))
}

/// For the key column of a list or range partitioned table with no default partition:
/// values that some partition takes (the listed values; the widest run of adjoining ranges).
fn partition_generator(table: &Table, column: &Column) -> Option<GenExpr> {
    let p = table.partitioning.as_ref().filter(|p| !p.has_default)?;
    if p.key.as_deref() != Some(std::slice::from_ref(&column.name)) {
        return None;
    }
    match p.strategy {
        'l' => {
            let mut values: Vec<String> = Vec::new();
            for b in &p.bounds {
                for v in bound_literals(b.split_once(" IN ")?.1).into_iter().flatten() {
                    if !values.contains(&v) {
                        values.push(v);
                    }
                }
            }
            (!values.is_empty()).then(|| GenExpr::Choice { weights: vec![1.0; values.len()], values })
        }
        'r' => {
            let time = matches!(column.type_name.as_str(), "timestamp" | "timestamptz" | "date");
            let value = |v: Option<String>| -> Option<Option<f64>> {
                let Some(v) = v else { return Some(None) }; // MINVALUE or MAXVALUE
                #[expect(clippy::cast_precision_loss)]
                let parsed = if time {
                    // '2024-01-01 00:00:00+00': the session printed it in UTC.
                    let v = v.split(['+', '.']).next().unwrap_or(&v);
                    crate::calendar::parse_time(v).map(|t| t as f64)
                } else {
                    v.parse::<f64>().ok()
                };
                parsed.map(Some)
            };
            let mut ranges: Vec<(Option<f64>, Option<f64>)> = Vec::new();
            for b in &p.bounds {
                let (from, to) = b.split_once(" FROM ")?.1.split_once(" TO ")?;
                let (from, to) = (bound_literals(from), bound_literals(to));
                ranges.push((value(from.into_iter().next()?)?, value(to.into_iter().next()?)?));
            }
            ranges.sort_by(|a, b| a.0.unwrap_or(f64::MIN).total_cmp(&b.0.unwrap_or(f64::MIN)));
            // Adjoining ranges merge into runs; the widest run is used.
            let mut runs: Vec<(Option<f64>, Option<f64>)> = Vec::new();
            for (lo, hi) in ranges {
                match runs.last_mut() {
                    Some(last) if last.1.is_some() && last.1 == lo => last.1 = hi,
                    _ => runs.push((lo, hi)),
                }
            }
            let width = |r: &(Option<f64>, Option<f64>)| match r {
                (Some(lo), Some(hi)) => hi - lo,
                _ => f64::INFINITY,
            };
            let (lo, hi) = runs.into_iter().max_by(|a, b| width(a).total_cmp(&width(b)))?;
            let span = if time { 1_000.0 * 86_400.0 } else { 1_000_000.0 };
            let (lo, hi) = match (lo, hi) {
                (Some(lo), Some(hi)) => (lo, hi),
                (Some(lo), None) => (lo, lo + span),
                (None, Some(hi)) => (hi - span, hi),
                (None, None) => return None,
            };
            #[expect(clippy::cast_possible_truncation)]
            Some(if time {
                let date_only = column.type_name == "date";
                GenExpr::Timestamp {
                    days: (hi - lo) / 86_400.0,
                    from: Some(lo as i64),
                    date_only,
                    tz: column.type_name == "timestamptz",
                }
            } else if matches!(column.type_name.as_str(), "int2" | "int4" | "int8") {
                GenExpr::Int { lo: lo.ceil() as i64, hi: hi.ceil() as i64 - 1 }
            } else {
                GenExpr::Float { lo, hi: hi - (hi - lo) * 1e-9, decimals: None }
            })
        }
        _ => None,
    }
}

/// The literals of a partition bound's parenthesized list: `('a', 'b')` -> a, b; `MINVALUE`,
/// `MAXVALUE` and `NULL` are None.
fn bound_literals(text: &str) -> Vec<Option<String>> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let Ok(tokens) = Tokenizer::new(&sqlparser::dialect::PostgreSqlDialect {}, text).tokenize() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut depth = 0;
    let mut negative = false;
    for t in tokens {
        let keeps_sign = matches!(t, Token::Minus | Token::Whitespace(_));
        match t {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Token::Minus if depth == 1 => negative = true,
            Token::SingleQuotedString(v) if depth == 1 => out.push(Some(v)),
            Token::Number(n, _) if depth == 1 => out.push(Some(if negative { format!("-{n}") } else { n })),
            Token::Word(w) if depth == 1 => match w.value.to_uppercase().as_str() {
                "MINVALUE" | "MAXVALUE" | "NULL" => out.push(None),
                _ => out.push(Some(w.value)),
            },
            _ => {}
        }
        if !keeps_sign {
            negative = false;
        }
    }
    out
}

/// The plain generator for a column's type, narrowed by its CHECK constraints and, for a
/// partition key, by the partitions' bounds.
fn base_generator(table: &Table, column: &Column) -> Result<GenExpr, NoGenerator> {
    if let Some(g) = partition_generator(table, column) {
        return Ok(g);
    }
    // The column's own CHECKs name it; its domain's name the value `VALUE`.
    let checks: Vec<(&str, &str)> = table
        .checks
        .iter()
        .filter(|(c, _)| *c == column.name)
        .map(|(_, d)| (d.as_str(), column.name.as_str()))
        .chain(column.domain_checks.iter().map(|d| (d.as_str(), "VALUE")))
        .collect();
    for (def, _) in &checks {
        if let Some(values) = check_in_list(def) {
            let weights = vec![1.0; values.len()];
            return Ok(GenExpr::Choice { values, weights });
        }
    }
    // The tightest bounds of all the CHECKs.
    let (lo, hi) = checks.iter().fold((None::<f64>, None::<f64>), |(lo, hi), (def, name)| {
        let (l, h) = check_bounds(def, name);
        (max_of(l, lo), min_of(h, hi))
    });
    if column.type_kind == "e" {
        let weights = vec![1.0; column.enum_labels.len()];
        return Ok(GenExpr::Choice { values: column.enum_labels.clone(), weights });
    }
    if let Some(elem) = &column.element {
        let inner = if column.element_kind.as_deref() == Some("e") {
            GenExpr::Choice { values: column.enum_labels.clone(), weights: vec![1.0; column.enum_labels.len()] }
        } else {
            scalar(elem, -1, None, None).ok_or_else(|| NoGenerator::of(table, column, None))?
        };
        return Ok(GenExpr::Array(Box::new(match inner {
            GenExpr::Text { .. } => GenExpr::Text { min_words: 1, max_words: 1, max_len: None },
            other => other,
        })));
    }
    scalar(&column.type_name, column.typmod, lo, hi)
        .ok_or_else(|| NoGenerator::of(table, column, column.domain.as_ref().map(|_| column.type_name.clone())))
}

fn max_of(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

fn min_of(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// A generator for a scalar type; `lo`/`hi` are bounds from CHECK constraints.
fn scalar(type_name: &str, typmod: i32, lo: Option<f64>, hi: Option<f64>) -> Option<GenExpr> {
    let int_range = |default_hi: f64, max: f64| {
        let lo = lo.map_or(0.0, f64::ceil).max(-max);
        let hi = hi.map_or(default_hi.max(lo + default_hi), f64::floor).min(max);
        #[expect(clippy::cast_possible_truncation)]
        GenExpr::Int { lo: lo as i64, hi: (hi as i64).max(lo as i64) }
    };
    Some(match type_name {
        "int2" => int_range(1_000.0, 32_767.0),
        "int4" => int_range(1_000_000.0, 2_147_483_647.0),
        "int8" => int_range(1_000_000_000.0, 9.0e18),
        "float4" | "float8" => {
            let lo = lo.unwrap_or(0.0);
            GenExpr::Float { lo, hi: hi.unwrap_or(lo + 1_000.0), decimals: None }
        }
        "numeric" => {
            // typmod = ((precision << 16) | scale) + 4
            let (limit, decimals) = if typmod >= 4 {
                let p = ((typmod - 4) >> 16) & 0xffff;
                let s = (typmod - 4) & 0xffff;
                (10f64.powi(p - s) - 10f64.powi(-s), u32::try_from(s).unwrap_or(0))
            } else {
                (f64::MAX, 2)
            };
            let lo = lo.unwrap_or(0.0).max(-limit);
            let hi = hi.unwrap_or(lo + 1_000.0).min(limit);
            GenExpr::Float { lo, hi: hi.max(lo), decimals: Some(decimals) }
        }
        "bool" => GenExpr::Bool { p: 0.5 },
        "text" | "citext" | "name" => GenExpr::Text { min_words: 1, max_words: 4, max_len: None },
        "varchar" | "bpchar" => {
            let max_len = (typmod >= 4).then(|| u32::try_from(typmod - 4).unwrap_or(u32::MAX));
            let words = if max_len.is_some_and(|n| n < 12) { 1 } else { 3 };
            GenExpr::Text { min_words: 1, max_words: words, max_len }
        }
        "date" => GenExpr::Timestamp { days: 1_000.0, from: None, date_only: true, tz: false },
        "timestamp" => GenExpr::Timestamp { days: 1_000.0, from: None, date_only: false, tz: false },
        "timestamptz" => GenExpr::Timestamp { days: 1_000.0, from: None, date_only: false, tz: true },
        "uuid" => GenExpr::Uuid,
        "json" | "jsonb" => GenExpr::Json,
        "bytea" => GenExpr::Typed(TypedGen::Bytes),
        "tsvector" => GenExpr::Typed(TypedGen::Tsvector),
        "inet" => GenExpr::Typed(TypedGen::Inet),
        "cidr" => GenExpr::Typed(TypedGen::Cidr),
        "macaddr" => GenExpr::Typed(TypedGen::Macaddr),
        "interval" => GenExpr::Typed(TypedGen::Interval),
        "time" => GenExpr::Typed(TypedGen::Time { tz: false }),
        "timetz" => GenExpr::Typed(TypedGen::Time { tz: true }),
        "money" => GenExpr::Float { lo: lo.unwrap_or(0.0), hi: hi.unwrap_or(1_000.0), decimals: Some(2) },
        "char" => GenExpr::Typed(TypedGen::Letter),
        "int4range" | "int8range" | "numrange" => GenExpr::Typed(TypedGen::NumRange),
        "daterange" => GenExpr::Typed(TypedGen::TimeRange { date_only: true, tz: false }),
        "tsrange" => GenExpr::Typed(TypedGen::TimeRange { date_only: false, tz: false }),
        "tstzrange" => GenExpr::Typed(TypedGen::TimeRange { date_only: false, tz: true }),
        _ => return None,
    })
}

/// The values of `CHECK (x = ANY (ARRAY['a', 'b']))` (how Postgres prints `x IN ('a', 'b')`).
fn check_in_list(def: &str) -> Option<Vec<String>> {
    let start = def.find("ANY (")?;
    let rest = &def[start..];
    let open = rest.find("ARRAY[")? + "ARRAY[".len();
    let close = rest[open..].find(']')? + open;
    let mut values = Vec::new();
    let mut chars = rest[open..close].chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            let mut v = String::new();
            while let Some(ch) = chars.next() {
                if ch == '\'' {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                        v.push('\'');
                    } else {
                        break;
                    }
                } else {
                    v.push(ch);
                }
            }
            values.push(v);
        } else if c.is_ascii_digit() || c == '-' {
            let mut v = String::from(c);
            while chars.peek().is_some_and(|d| d.is_ascii_digit() || *d == '.') {
                v.push(chars.next().expect("peeked"));
            }
            values.push(v);
        }
    }
    (!values.is_empty()).then_some(values)
}

/// Lower and upper bounds of `column` in a CHECK like `((x >= 0) AND (x <= 10))` or `(x > (0)::numeric)`.
fn check_bounds(def: &str, column: &str) -> (Option<f64>, Option<f64>) {
    let mut lo = None;
    let mut hi = None;
    let mut rest = def;
    while let Some(i) = rest.find(column) {
        let after = &rest[i + column.len()..];
        let boundary_ok = rest[..i].chars().last().is_none_or(|c| !c.is_alphanumeric() && c != '_');
        rest = after;
        if !boundary_ok {
            continue;
        }
        // Step over closing parentheses and casts: `((VALUE)::integer <= 15)`.
        let mut after = after.trim_start_matches(|c: char| c == ')' || c.is_whitespace());
        while let Some(cast) = after.strip_prefix("::") {
            after = cast
                .trim_start_matches(|c: char| c.is_alphanumeric() || c == '_' || c == ' ')
                .trim_start_matches(|c: char| c == ')' || c.is_whitespace());
        }
        let (op, tail) = if let Some(t) = after.strip_prefix(">=") {
            (">=", t)
        } else if let Some(t) = after.strip_prefix("<=") {
            ("<=", t)
        } else if let Some(t) = after.strip_prefix('>') {
            (">", t)
        } else if let Some(t) = after.strip_prefix('<') {
            ("<", t)
        } else {
            continue;
        };
        let num: String = tail
            .trim_start_matches(|c: char| c == '(' || c == '\'' || c.is_whitespace())
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
            .collect();
        let Ok(v) = num.parse::<f64>() else { continue };
        match op {
            ">=" => lo = Some(v),
            ">" => lo = Some(v + if v.fract() == 0.0 { 1.0 } else { 1e-6 }),
            "<=" => hi = Some(v),
            _ => hi = Some(v - if v.fract() == 0.0 { 1.0 } else { 1e-6 }),
        }
    }
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_lists_from_constraint_definitions() {
        assert_eq!(
            check_in_list("CHECK ((status = ANY (ARRAY['new'::text, 'paid'::text, 'it''s'::text])))"),
            Some(vec!["new".into(), "paid".into(), "it's".into()])
        );
        assert_eq!(
            check_in_list(
                "CHECK (((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))"
            ),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(check_in_list("CHECK ((qty > 0))"), None);
    }

    #[test]
    fn bounds_from_constraint_definitions() {
        assert_eq!(check_bounds("CHECK (((qty >= 1) AND (qty <= 100)))", "qty"), (Some(1.0), Some(100.0)));
        assert_eq!(check_bounds("CHECK ((price > (0)::numeric))", "price"), (Some(1.0), None));
        assert_eq!(check_bounds("CHECK ((rating < 6))", "rating"), (None, Some(5.0)));
        assert_eq!(check_bounds("CHECK ((other_qty > 6))", "qty"), (None, None));
        assert_eq!(check_bounds("CHECK (((VALUE)::integer <= 15))", "VALUE"), (None, Some(15.0)));
    }

    #[test]
    fn partition_bound_literals() {
        assert_eq!(bound_literals("('email', 'it''s')"), [Some("email".into()), Some("it's".into())]);
        assert_eq!(bound_literals("(MINVALUE)"), [None]);
        assert_eq!(bound_literals("(-5)"), [Some("-5".into())]);
        assert_eq!(
            bound_literals("('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00')"),
            [Some("2024-01-01 00:00:00+00".into())]
        );
    }

    #[test]
    fn numeric_respects_precision_and_scale() {
        // numeric(5,2): typmod = (5 << 16 | 2) + 4
        let g = scalar("numeric", (5 << 16 | 2) + 4, None, None).unwrap();
        assert_eq!(g, GenExpr::Float { lo: 0.0, hi: 999.99, decimals: Some(2) });
    }
}
