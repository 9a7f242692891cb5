//! The catalog: `queries/*.sql`, one query per file, and their `[query.NAME]` settings.
//!
//! Query text gets lexical checks here, before Postgres starts (one statement, a query,
//! its `$n`); Postgres' own parser checks it fully once the schema is applied
//! (`crate::measure::prepare`), before any data is loaded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::analysis::Pattern;
use crate::analysis::growth::GrowthClass;
use crate::config::{Partition, Settings};
use crate::error::{Error, Result};
use crate::expr::{self, Args, Expr, ExprError};

/// `[query.NAME]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuerySection {
    pub(crate) params: Option<Vec<toml::Value>>,
    pub cases: Option<BTreeMap<String, Vec<toml::Value>>>,
    pub(crate) growth: Option<GrowthClass>,
    #[serde(default)]
    pub(crate) forbid: Vec<String>,
    /// Forecast findings of this query fail the check (default: `[thresholds] forecast_gate`).
    pub(crate) forecast_gate: Option<bool>,
}

/// A parameter of a query: sampled from the data, or a literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ParamSpec {
    Sample {
        how: Sampler,
        table: String,
        column: String,
    },
    /// SQL text of the value (None is NULL).
    Literal(Option<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sampler {
    /// The most common value.
    Hot,
    /// The least common value that exists.
    Cold,
    /// A value of median frequency.
    Typical,
    /// A value drawn by the seed.
    Any,
}

impl Sampler {
    /// The sampler's name as the config writes it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Sampler::Hot => "hot",
            Sampler::Cold => "cold",
            Sampler::Typical => "typical",
            Sampler::Any => "any",
        }
    }
}

/// One named set of parameters of a query.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub name: String,
    pub(crate) params: Vec<ParamSpec>,
    /// A case made by `skew(table.column)`: one of three that run the query across the
    /// column's skew.
    pub(crate) skew: Option<Skew>,
}

/// Which of its column's values a case made by `skew(table.column)` runs with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Skew {
    /// The case as configured, which `skew()` turned into three.
    pub(crate) of: String,
    /// `table.column`.
    pub(crate) column: String,
    /// Hot, typical or cold.
    pub(crate) value: Sampler,
}

/// The values `skew(table.column)` runs a case with, in the order reports show them.
pub(crate) const SKEW_VALUES: [Sampler; 3] = [Sampler::Hot, Sampler::Typical, Sampler::Cold];

/// A parameter as written: a value, or `skew(table.column)`, which makes three cases.
enum Written {
    Spec(ParamSpec),
    Skew { table: String, column: String },
}

/// The case `name` with the parameters `written`: itself, or, with a `skew()` parameter,
/// three cases named after the value they run with (`hot`, or `NAME/hot` when the case
/// has a name of its own).
fn expand(name: &str, written: &[Written]) -> std::result::Result<Vec<Case>, ExprError> {
    let skews: Vec<(String, String)> = written
        .iter()
        .filter_map(|w| match w {
            Written::Skew { table, column } => Some((table.clone(), column.clone())),
            Written::Spec(_) => None,
        })
        .collect();
    // The parameters with the `skew()` one sampled as `value` (there is none without a skew).
    let with = |value: Sampler| -> Vec<ParamSpec> {
        written
            .iter()
            .map(|w| match w {
                Written::Spec(s) => s.clone(),
                Written::Skew { table, column } => {
                    ParamSpec::Sample { how: value, table: table.clone(), column: column.clone() }
                }
            })
            .collect()
    };
    match skews.as_slice() {
        [] => {
            let params = written.iter().filter_map(|w| if let Written::Spec(s) = w { Some(s.clone()) } else { None });
            Ok(vec![Case { name: name.to_string(), params: params.collect(), skew: None }])
        }
        [(table, column)] => Ok(SKEW_VALUES
            .iter()
            .map(|&value| Case {
                name: if name == "default" { value.name().to_string() } else { format!("{name}/{}", value.name()) },
                params: with(value),
                skew: Some(Skew { of: name.to_string(), column: format!("{table}.{column}"), value }),
            })
            .collect()),
        _ => Err(ExprError::invalid(
            "more than one skew() in a case; skew one parameter and give the others values or samplers",
        )),
    }
}

/// A query of the catalog, validated.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub name: String,
    pub(crate) path: PathBuf,
    pub(crate) sql: String,
    /// The highest `$n`.
    pub(crate) param_count: usize,
    pub cases: Vec<Case>,
    pub(crate) growth: GrowthClass,
    /// The budget was set for this query (not the default).
    pub(crate) growth_set: bool,
    pub(crate) forbid: Vec<Pattern>,
    /// An INSERT, UPDATE, DELETE or MERGE (or a WITH holding one): measured in copies of
    /// the world, never in it.
    pub(crate) writes: bool,
    /// Its own `forecast_gate`, where set.
    pub(crate) forecast_gate: Option<bool>,
}

impl Query {
    /// Its growth budget.
    pub(crate) fn budget(&self) -> crate::analysis::growth::Budget {
        crate::analysis::growth::Budget { class: self.growth, set: self.growth_set }
    }
}

/// Load and validate every query of the catalog folder.
pub(crate) fn load(settings: &Settings) -> Result<Vec<Query>> {
    let dir = settings.queries_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|source| Error::Read { path: dir.clone(), source })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql") && p.is_file())
        .collect();
    files.sort();
    let mut queries = Vec::new();
    for path in files {
        let name = path.file_stem().unwrap_or_default().to_string_lossy().to_string();
        let sql = std::fs::read_to_string(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
        let section = settings.queries.get(&name).cloned().unwrap_or_default();
        queries.push(Query::new(name, path, sql, &section, &settings.config_path)?);
    }
    for name in settings.queries.keys() {
        if !queries.iter().any(|q| &q.name == name) {
            return Err(Error::config(
                &settings.config_path,
                format!("query.{name}"),
                format!("there is no query file {}", dir.join(format!("{name}.sql")).display()),
            ));
        }
    }
    if queries.is_empty() {
        return Err(Error::Catalog { path: dir, detail: "no query files (*.sql) in the catalog".into(), source: None });
    }
    Ok(queries)
}

/// Keep only the named queries (all when `names` is empty), then this run's partition.
pub(crate) fn select(queries: Vec<Query>, names: &[String], partition: Option<Partition>) -> Result<Vec<Query>> {
    for n in names {
        if !queries.iter().any(|q| &q.name == n) {
            let known: Vec<&str> = queries.iter().map(|q| q.name.as_str()).collect();
            return Err(Error::UnknownQuery {
                name: n.clone(),
                hint: format!(" (the catalog has: {})", known.join(", ")),
            });
        }
    }
    let chosen: Vec<Query> = queries.into_iter().filter(|q| names.is_empty() || names.contains(&q.name)).collect();
    Ok(match partition {
        None => chosen,
        Some(Partition { index, count }) => {
            chosen.into_iter().enumerate().filter(|(i, _)| i % count == index - 1).map(|(_, q)| q).collect()
        }
    })
}

impl Query {
    /// Validate one query file and its settings.
    pub(crate) fn new(
        name: String,
        path: PathBuf,
        sql: String,
        section: &QuerySection,
        config: &Path,
    ) -> Result<Query> {
        let cat_err = |detail: String| Error::Catalog { path: path.clone(), detail, source: None };
        if sql.trim().is_empty() {
            return Err(cat_err("the query file is empty".into()));
        }
        let statements =
            crate::sqltext::statements(&sql).map_err(|e| cat_err(format!("cannot read the SQL: {e}")).because(e))?;
        let stmt = match statements.as_slice() {
            [] => return Err(cat_err("the query file holds only comments".into())),
            [one] => one,
            many => return Err(cat_err(format!("{} statements; a query file holds exactly one", many.len()))),
        };
        let writes = stmt.is_write();
        if !stmt.is_query() && !writes {
            return Err(cat_err(format!(
                "a {} statement is neither a read (SELECT, WITH, VALUES) nor a write (INSERT, UPDATE, DELETE, \
                 MERGE); plangate runs each statement under EXPLAIN ANALYZE in a transaction it rolls back, \
                 which utility statements (VACUUM, CREATE INDEX CONCURRENTLY, ...) cannot run in",
                stmt.first_word()
            )));
        }
        let param_count = stmt.param_count();

        let key = |k: &str| format!("query.{name}.{k}");
        let cfg_err = |k: &str, detail: String| Error::config(config, key(k), detail);
        let cause = |k: &str, e: ExprError| Error::config_cause(config, key(k), "", e);
        let mut cases = Vec::new();
        match (&section.params, &section.cases) {
            (Some(_), Some(_)) => {
                return Err(cfg_err("cases", "give `params` or `cases`, not both".into()));
            }
            (Some(p), None) => {
                let written = parse_params(p).map_err(|e| cause("params", e))?;
                cases.extend(expand("default", &written).map_err(|e| cause("params", e))?);
            }
            (None, Some(c)) => {
                if c.is_empty() {
                    return Err(cfg_err("cases", "no cases".into()));
                }
                for (case, p) in c {
                    let written = parse_params(p).map_err(|e| cause(&format!("cases.{case}"), e))?;
                    cases.extend(expand(case, &written).map_err(|e| cause(&format!("cases.{case}"), e))?);
                }
            }
            (None, None) => cases.push(Case { name: "default".into(), params: Vec::new(), skew: None }),
        }
        for c in &cases {
            if c.params.len() != param_count {
                let configured = c.skew.as_ref().map_or(c.name.as_str(), |s| s.of.as_str());
                let what = if section.cases.is_some() { format!("cases.{configured}") } else { "params".to_string() };
                return Err(if param_count > 0 && section.params.is_none() && section.cases.is_none() {
                    cat_err(format!(
                        "uses parameters $1..${param_count}, but plangate.toml has no [query.{name}] params to fill them"
                    ))
                } else {
                    cfg_err(
                        &what,
                        format!(
                            "{} values for {param_count} parameters ($1..${param_count}) in {}",
                            c.params.len(),
                            path.display()
                        ),
                    )
                });
            }
        }
        let mut forbid = Vec::new();
        for f in &section.forbid {
            forbid.push(f.parse::<Pattern>().map_err(|e| cause("forbid", e))?);
        }
        Ok(Query {
            name,
            path,
            sql,
            param_count,
            cases,
            growth: section.growth.unwrap_or_default(),
            growth_set: section.growth.is_some(),
            forbid,
            writes,
            forecast_gate: section.forecast_gate,
        })
    }

    /// The statement without its closing `;`, ready to be wrapped in PREPARE.
    pub(crate) fn statement(&self) -> String {
        self.sql[self.statement_range()].to_string()
    }

    /// Where the statement stands in the file (after leading comments, before the `;`).
    pub(crate) fn statement_range(&self) -> std::ops::Range<usize> {
        let stmt = crate::sqltext::statements(&self.sql).expect("validated when loaded");
        stmt[0].start..stmt[0].end
    }
}

/// `SQL literal of a value`, quoted for Postgres (coerced to the column type by the parser).
pub(crate) fn sql_literal(value: Option<&str>) -> String {
    match value {
        None => "NULL".into(),
        Some(v) => format!("'{}'", v.replace('\'', "''")),
    }
}

fn parse_params(values: &[toml::Value]) -> std::result::Result<Vec<Written>, ExprError> {
    values.iter().map(parse_param).collect()
}

/// A literal, a sampler written in the config's expression language (`hot(t.c)`), or
/// `skew(t.c)`.
fn parse_param(v: &toml::Value) -> std::result::Result<Written, ExprError> {
    Ok(Written::Spec(match v {
        toml::Value::Integer(i) => ParamSpec::Literal(Some(i.to_string())),
        toml::Value::Float(f) => ParamSpec::Literal(Some(f.to_string())),
        toml::Value::Boolean(b) => ParamSpec::Literal(Some(b.to_string())),
        toml::Value::String(s) => {
            let s = s.trim();
            if let Some(inner) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
                return Ok(Written::Spec(ParamSpec::Literal(Some(inner.replace("''", "'")))));
            }
            if s.eq_ignore_ascii_case("null") {
                return Ok(Written::Spec(ParamSpec::Literal(None)));
            }
            if !s.contains('(') {
                return Ok(Written::Spec(ParamSpec::Literal(Some(s.to_string()))));
            }
            return sampler(&expr::parse(s)?).map_err(|e| ExprError::invalid(format!("{} in `{s}`", e.message)));
        }
        other => {
            return Err(ExprError::invalid(format!(
                "a parameter must be a sampler, a number, a string or a boolean, found {}",
                other.type_str()
            )));
        }
    }))
}

fn sampler(e: &Expr) -> std::result::Result<Written, ExprError> {
    let Expr::Call { name, args } = e else {
        return Err(ExprError::invalid(format!("expected a sampler, found `{e}`")));
    };
    let how = match name.as_str() {
        "hot" => Some(Sampler::Hot),
        "cold" => Some(Sampler::Cold),
        "typical" => Some(Sampler::Typical),
        "any" => Some(Sampler::Any),
        "skew" => None,
        other => {
            return Err(ExprError::invalid(format!(
                "unknown sampler `{other}` (known: hot, cold, typical, any, skew; quote a literal string as '...')"
            )));
        }
    };
    let mut a = Args::new(name, args);
    let (table, column) = match a.next("a column, as table.column")? {
        Expr::Name(parts) if parts.len() >= 2 => (parts[..parts.len() - 1].join("."), parts[parts.len() - 1].clone()),
        other => return Err(ExprError::invalid(format!("{name}() needs table.column, found `{other}`"))),
    };
    a.finish(&[])?;
    Ok(match how {
        Some(how) => Written::Spec(ParamSpec::Sample { how, table, column }),
        None => Written::Skew { table, column },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(sql: &str, section: &str) -> Result<Query> {
        let section: QuerySection = toml::from_str(section).unwrap();
        Query::new("q".into(), "queries/q.sql".into(), sql.into(), &section, Path::new("plangate.toml"))
    }

    #[test]
    fn accepts_select_with_and_values() {
        for sql in ["select 1", "with x as (select 1) select * from x", "values (1), (2);", "-- c\nSELECT $1::int"] {
            let section = if sql.contains("$1") { "params = [1]" } else { "" };
            query(sql, section).unwrap();
        }
    }

    #[test]
    fn rejects_empty_several_and_utility_statements() {
        for (sql, needle) in [
            ("  \n", "empty"),
            ("-- only a comment", "only comments"),
            ("select 1; select 2", "2 statements"),
            ("vacuum t", "a VACUUM statement"),
            ("create index concurrently i on t (a)", "a CREATE statement"),
            ("select 'unterminated", "cannot read the SQL"),
        ] {
            let err = query(sql, "").unwrap_err().to_string();
            assert!(err.starts_with("queries/q.sql: "), "{err}");
            assert!(err.contains(needle), "{sql}: {err}");
        }
    }

    #[test]
    fn skew_makes_three_cases_named_after_their_values() {
        let q = query("select * from t where a = $1 and b = $2", "params = [\"skew(t.a)\", 3]").unwrap();
        let names: Vec<&str> = q.cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["hot", "typical", "cold"]);
        assert_eq!(
            q.cases[2].params[0],
            ParamSpec::Sample { how: Sampler::Cold, table: "t".into(), column: "a".into() }
        );
        assert_eq!(q.cases[2].params[1], ParamSpec::Literal(Some("3".into())), "the other parameters stay");
        let q = query("select * from t where a = $1", "cases.by_a = [\"skew(t.a)\"]\ncases.one = [1]").unwrap();
        let names: Vec<&str> = q.cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["by_a/hot", "by_a/typical", "by_a/cold", "one"]);
        assert_eq!(q.cases[0].skew.as_ref().map(|s| s.of.as_str()), Some("by_a"));
    }

    #[test]
    fn parameters_must_be_filled() {
        let err = query("select * from t where a = $1 and b = $2", "params = [1]").unwrap_err().to_string();
        assert!(err.contains("query.q.params"), "{err}");
        assert!(err.contains("1 values for 2 parameters"), "{err}");
        let err = query("select * from t where a = $1", "").unwrap_err().to_string();
        assert!(err.contains("no [query.q] params"), "{err}");
    }

    #[test]
    fn the_statement_loses_its_semicolon_and_keeps_strings() {
        let q = query("select '$1;', $1 from t where b = $2 -- $1\n;\n", "params = [\"'it''s'\", 42]").unwrap();
        assert_eq!(
            q.cases[0].params,
            vec![ParamSpec::Literal(Some("it's".into())), ParamSpec::Literal(Some("42".into()))]
        );
        assert_eq!(q.statement(), "select '$1;', $1 from t where b = $2");
    }

    #[test]
    fn samplers_and_forbid_patterns_parse() {
        let q = query(
            "select * from p where c = $1",
            "params = [\"hot(products.category_id)\"]\nforbid = [\"seq_scan(products)\", \"sort_spill\"]\ngrowth = \"constant\"",
        )
        .unwrap();
        assert_eq!(
            q.cases[0].params[0],
            ParamSpec::Sample { how: Sampler::Hot, table: "products".into(), column: "category_id".into() }
        );
        assert_eq!(
            q.forbid[0],
            Pattern {
                target: crate::analysis::pattern::Target::Finding(crate::analysis::Kind::SeqScan),
                relation: Some("products".into())
            }
        );
        assert_eq!(q.growth, GrowthClass::Constant);
        let err = query("select 1", "forbid = [\"seqscan\"]").unwrap_err().to_string();
        assert!(err.contains("query.q.forbid") && err.contains("unknown pattern"), "{err}");
        let err = query("select $1", "params = [\"warm(t.c)\"]").unwrap_err().to_string();
        assert!(err.contains("unknown sampler `warm`"), "{err}");
    }
}
