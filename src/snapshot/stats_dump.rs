//! A statistics dump as `pg_dump --statistics-only` writes it (Postgres 18 and later): one
//! `pg_restore_relation_stats` call per table and index, one `pg_restore_attribute_stats`
//! call per analyzed column, among the `SET`s that open every dump. Read without a server;
//! what the calls mean for a snapshot is decided by whoever knows the schema.

use sqlparser::ast::{Expr, FunctionArg, FunctionArgExpr, SetExpr, Statement, TableFactor, Value};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::sqltext;

/// Every restore call of a dump, in file order.
#[derive(Debug, Default)]
pub(crate) struct Dump {
    /// The `version` the calls name: the dumped server's `server_version_num`.
    pub(crate) version: Option<u32>,
    pub(crate) relations: Vec<RelationCall>,
    pub(crate) attributes: Vec<AttributeCall>,
}

/// A `pg_restore_relation_stats` call: a relation's size.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RelationCall {
    pub(crate) line: usize,
    pub(crate) schema: String,
    pub(crate) relation: String,
    pub(crate) pages: i64,
    /// `reltuples`: negative when the relation was never vacuumed or analyzed.
    pub(crate) tuples: f32,
}

/// A `pg_restore_attribute_stats` call: one column's `pg_stats` row. Value arrays stay as
/// Postgres printed them, to be read only for the columns whose values matter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AttributeCall {
    pub(crate) line: usize,
    pub(crate) schema: String,
    pub(crate) relation: String,
    /// None for an index's expression column, which the dump names by number.
    pub(crate) column: Option<String>,
    /// The row describes the table with its inheritance children (a partitioned table's).
    pub(crate) inherited: bool,
    pub(crate) null_frac: f32,
    pub(crate) avg_width: i32,
    pub(crate) n_distinct: f32,
    pub(crate) correlation: Option<f32>,
    pub(crate) most_common_vals: Option<String>,
    pub(crate) most_common_freqs: Option<String>,
    pub(crate) histogram_bounds: Option<String>,
}

/// Why a text is not a statistics dump, and where.
#[derive(Debug, PartialEq, thiserror::Error)]
#[error("line {line}: {detail}")]
pub(crate) struct DumpError {
    pub(crate) line: usize,
    pub(crate) detail: String,
}

const RELATION: &str = "PG_RESTORE_RELATION_STATS";
const ATTRIBUTE: &str = "PG_RESTORE_ATTRIBUTE_STATS";

/// Read a dump. Its statements may only be the restore calls and what `pg_dump` writes
/// around them (`SET`, `set_config`, psql's `\restrict`); anything else names its line.
pub(crate) fn parse(text: &str) -> Result<Dump, DumpError> {
    let text = sqltext::without_meta_commands(text)
        .map_err(|e| DumpError { line: e.line, detail: format!("psql's `{}` is not in a statistics dump", e.name) })?;
    let statements = sqltext::statements(&text).map_err(|e| DumpError {
        line: usize::try_from(e.location.line).unwrap_or(0),
        detail: format!("not SQL: {}", e.message),
    })?;
    let mut dump = Dump::default();
    for s in &statements {
        let line = sqltext::line_col(&text, s.start).0;
        let words = s.words();
        let call = words.iter().find(|w| *w == RELATION || *w == ATTRIBUTE);
        match (s.first_word().as_str(), call) {
            ("SET", _) => {}
            ("SELECT", None)
                if words.get(1).is_some_and(|w| w == "PG_CATALOG") && words.contains(&"SET_CONFIG".into()) => {}
            ("SELECT", Some(call)) => {
                let args = call_arguments(&text[s.start..s.end], line)?;
                let version = args.get("version").and_then(|v| v.parse().ok());
                dump.version = dump.version.or(version);
                if call == RELATION {
                    dump.relations.push(relation_call(&args, line)?);
                } else {
                    dump.attributes.push(attribute_call(&args, line)?);
                }
            }
            _ => {
                let head: String = text[s.start..s.end].split_whitespace().take(4).collect::<Vec<_>>().join(" ");
                return Err(DumpError {
                    line,
                    detail: format!(
                        "`{head} ...` is not part of a statistics dump; the file should be what \
                         `pg_dump --statistics-only` writes (Postgres 18 or later)"
                    ),
                });
            }
        }
    }
    if dump.relations.is_empty() && dump.attributes.is_empty() {
        return Err(DumpError {
            line: 1,
            detail: "no pg_restore_relation_stats or pg_restore_attribute_stats call: not a statistics dump \
                     (`pg_dump --statistics-only`, Postgres 18 or later, writes one)"
                .into(),
        });
    }
    Ok(dump)
}

/// A restore call's name/value pairs, the way Postgres reads them: each value a string
/// literal, with or without a cast.
struct Arguments {
    pairs: Vec<(String, Option<String>, usize)>,
}

impl Arguments {
    fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(n, _, _)| n == name).and_then(|(_, v, _)| v.as_deref())
    }

    /// The line a pair is on, else the call's.
    fn line(&self, name: &str, call: usize) -> usize {
        self.pairs.iter().find(|(n, _, _)| n == name).map_or(call, |(_, _, l)| *l)
    }
}

fn call_arguments(sql: &str, line: usize) -> Result<Arguments, DumpError> {
    let bad = |at: usize, detail: String| DumpError { line: at, detail };
    let statement = Parser::parse_sql(&PostgreSqlDialect {}, sql)
        .map_err(|e| bad(line, format!("a restore call that does not parse: {e}")))?
        .into_iter()
        .next();
    let args = match &statement {
        Some(Statement::Query(q)) => match q.body.as_ref() {
            SetExpr::Select(s) => match s.from.first().map(|f| &f.relation) {
                Some(TableFactor::Table { args: Some(a), .. }) => Some(&a.args),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    let args = args.ok_or_else(|| bad(line, "expected `SELECT * FROM pg_catalog.pg_restore_...(...)`".into()))?;
    let mut values = Vec::with_capacity(args.len());
    for a in args {
        let FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) = a else {
            return Err(bad(line, format!("argument `{a}` is not a literal")));
        };
        let inner = match e {
            Expr::Cast { expr, .. } => expr.as_ref(),
            other => other,
        };
        let Expr::Value(v) = inner else {
            return Err(bad(line, format!("argument `{e}` is not a literal")));
        };
        let at = line + usize::try_from(v.span.start.line).unwrap_or(1).saturating_sub(1);
        let value = match &v.value {
            Value::SingleQuotedString(s) => Some(s.clone()),
            Value::Null => None,
            other => return Err(bad(at, format!("argument `{other}` is not a string literal"))),
        };
        values.push((value, at));
    }
    if values.len() % 2 != 0 {
        return Err(bad(line, "arguments come in name/value pairs; this call has an odd number".into()));
    }
    let mut pairs = Vec::with_capacity(values.len() / 2);
    for pair in values.chunks(2) {
        let (Some(name), at) = &pair[0] else {
            return Err(bad(pair[0].1, "an argument name is NULL".into()));
        };
        pairs.push((name.clone(), pair[1].0.clone(), *at));
    }
    Ok(Arguments { pairs })
}

fn required<'a>(args: &'a Arguments, name: &str, line: usize) -> Result<&'a str, DumpError> {
    args.get(name).ok_or_else(|| DumpError { line, detail: format!("the call has no `{name}`") })
}

/// The value of `name` read as a number; `default` when the call leaves it out.
fn number<T: std::str::FromStr>(args: &Arguments, name: &str, line: usize, default: T) -> Result<T, DumpError> {
    match args.get(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| DumpError { line: args.line(name, line), detail: format!("`{name}` is `{v}`, not a number") }),
    }
}

fn relation_call(args: &Arguments, line: usize) -> Result<RelationCall, DumpError> {
    Ok(RelationCall {
        line,
        schema: required(args, "schemaname", line)?.to_string(),
        relation: required(args, "relname", line)?.to_string(),
        pages: number(args, "relpages", line, 0)?,
        tuples: number(args, "reltuples", line, -1.0)?,
    })
}

fn attribute_call(args: &Arguments, line: usize) -> Result<AttributeCall, DumpError> {
    let inherited = match args.get("inherited") {
        None | Some("f" | "false") => false,
        Some("t" | "true") => true,
        Some(other) => {
            return Err(DumpError {
                line: args.line("inherited", line),
                detail: format!("`inherited` is `{other}`, not a boolean"),
            });
        }
    };
    if args.get("attname").is_none() && args.get("attnum").is_none() {
        return Err(DumpError { line, detail: "the call names no column (`attname` or `attnum`)".into() });
    }
    Ok(AttributeCall {
        line,
        schema: required(args, "schemaname", line)?.to_string(),
        relation: required(args, "relname", line)?.to_string(),
        column: args.get("attname").map(str::to_string),
        inherited,
        null_frac: number(args, "null_frac", line, 0.0)?,
        avg_width: number(args, "avg_width", line, 0)?,
        n_distinct: number(args, "n_distinct", line, 0.0)?,
        correlation: args.get("correlation").map(|_| number(args, "correlation", line, 0.0)).transpose()?,
        most_common_vals: args.get("most_common_vals").map(str::to_string),
        most_common_freqs: args.get("most_common_freqs").map(str::to_string),
        histogram_bounds: args.get("histogram_bounds").map(str::to_string),
    })
}

/// The elements of a one-dimensional array literal as Postgres prints it (`{a,"b c",NULL}`),
/// as `::text[]` would give them; None when the text is not one.
pub(crate) fn array_elements(text: &str) -> Option<Vec<Option<String>>> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut out = Vec::new();
    if inner.trim().is_empty() {
        return Some(out);
    }
    let mut chars = inner.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let element = if chars.next_if_eq(&'"').is_some() {
            let mut value = String::new();
            loop {
                match chars.next()? {
                    '\\' => value.push(chars.next()?),
                    '"' => break,
                    c => value.push(c),
                }
            }
            Some(value)
        } else {
            let mut value = String::new();
            while let Some(c) = chars.next_if(|c| *c != ',') {
                match c {
                    '\\' => value.push(chars.next()?),
                    '{' | '}' | '"' => return None,
                    c => value.push(c),
                }
            }
            let value = value.trim_end().to_string();
            (!value.eq_ignore_ascii_case("NULL")).then_some(value)
        };
        out.push(element);
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        match chars.next() {
            None => return Some(out),
            Some(',') => {}
            Some(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = r#"--
-- PostgreSQL database dump
--

\restrict abc

SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);

SELECT * FROM pg_catalog.pg_restore_relation_stats(
	'version', '180006'::integer,
	'schemaname', 'crm',
	'relname', 'Odd Name',
	'relpages', '6'::integer,
	'reltuples', '1000'::real,
	'relallvisible', '0'::integer
);
SELECT * FROM pg_catalog.pg_restore_attribute_stats(
	'version', '180006'::integer,
	'schemaname', 'public',
	'relname', 'customers',
	'attname', 'region',
	'inherited', 'f'::boolean,
	'null_frac', '0.25'::real,
	'avg_width', '6'::integer,
	'n_distinct', '3'::real,
	'most_common_vals', '{south,"it''s \"q\"",north}'::text,
	'most_common_freqs', '{0.3333333,0.33333334,0.08333334}'::real[],
	'correlation', '0.3497'::real
);
SELECT * FROM pg_catalog.pg_restore_attribute_stats(
	'version', '180006'::integer,
	'schemaname', 'public',
	'relname', 'orders_lower_idx',
	'attnum', '1'::smallint,
	'inherited', 'f'::boolean,
	'null_frac', '0'::real,
	'avg_width', '12'::integer,
	'n_distinct', '2'::real
);

\unrestrict abc
"#;

    #[test]
    fn a_dump_reads_as_its_calls() {
        let d = parse(DUMP).unwrap();
        assert_eq!(d.version, Some(180_006));
        assert_eq!(
            d.relations,
            vec![RelationCall {
                line: 10,
                schema: "crm".into(),
                relation: "Odd Name".into(),
                pages: 6,
                tuples: 1000.0
            }]
        );
        let a = &d.attributes[0];
        assert_eq!((a.line, a.column.as_deref(), a.inherited), (18, Some("region"), false));
        assert!((a.null_frac - 0.25).abs() < f32::EPSILON && a.avg_width == 6 && a.correlation == Some(0.3497));
        let mcv = array_elements(a.most_common_vals.as_deref().unwrap()).unwrap();
        assert_eq!(mcv, vec![Some("south".into()), Some("it's \"q\"".into()), Some("north".into())]);
        assert_eq!(d.attributes[1].column, None, "an index expression is named by number");
        assert_eq!(d.attributes[1].correlation, None);
    }

    #[test]
    fn array_literals_read_as_postgres_reads_them() {
        let got = array_elements(r#"{1,"a,b", c d ,NULL,"NULL","x\\y",""}"#).unwrap();
        let want = ["1", "a,b", "c d", "", "NULL", "x\\y", ""];
        assert_eq!(got.len(), want.len());
        assert_eq!(got[3], None);
        for (g, w) in got.iter().zip(want).filter(|(g, _)| g.is_some()) {
            assert_eq!(g.as_deref(), Some(w));
        }
        assert_eq!(array_elements("{}"), Some(vec![]));
        assert_eq!(array_elements("not an array"), None);
        assert_eq!(array_elements(r#"{"unterminated}"#), None);
    }

    #[test]
    fn what_is_not_a_dump_names_its_line() {
        let e = parse("SET x = 1;\n\nCREATE TABLE t (id int);\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.detail.contains("CREATE TABLE t"), "{e}");
        let e = parse("-- nothing here\nSET x = 1;\n").unwrap_err();
        assert!(e.detail.contains("no pg_restore_relation_stats"), "{e}");
        let bad = DUMP.replace("'6'::integer", "'six'::integer");
        let e = parse(&bad).unwrap_err();
        assert_eq!(e.line, 14, "{e}");
        assert!(e.detail.contains("`relpages` is `six`"), "{e}");
        let e = parse("SELECT * FROM pg_catalog.pg_restore_relation_stats('relname', 'x');").unwrap_err();
        assert!(e.detail.contains("no `schemaname`"), "{e}");
        let e = parse("\\connect other\n").unwrap_err();
        assert_eq!(e.line, 1);
    }
}
