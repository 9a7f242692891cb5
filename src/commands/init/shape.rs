//! Production's shape for the snapshot: the schema's tables' statistics, with text values
//! replaced by surrogates unless the user keeps them, and the shape of production's plan
//! for each query of the catalog.

use std::collections::BTreeMap;

use crate::config::Settings;
use crate::config::catalog::{self, ParamSpec, Query, Sampler, sql_literal};
use crate::datagen::schema::Catalog;
use crate::error::{Error, Result};
use crate::postgres::production::{Production, Statistics, TableRows};
use crate::snapshot::{CasePlan, ColumnStats, FORMAT_VERSION, QueryPlans, TableStats, ValueKind, surrogate};
use crate::workload::Workload;

/// The snapshot's tables, and what a reader should know about them.
pub(super) struct Snapshot {
    pub tables: BTreeMap<String, TableStats>,
    pub notes: Vec<String>,
    /// Production's own statistics (values not replaced): for choosing plan parameters.
    raw: BTreeMap<String, TableStats>,
}

/// The statistics can be reproduced by a `stats` generator.
pub(super) fn reproducible(s: &ColumnStats) -> bool {
    s.kind != ValueKind::Other && (!s.most_common.is_empty() || !s.histogram.is_empty() || s.null_frac >= 1.0)
}

/// The schema's tables as production's statistics describe them.
pub(super) fn snapshot(stats: &Statistics, catalog: &Catalog, keep: &[String]) -> Result<Snapshot> {
    let mut keep_columns = Vec::new();
    for k in keep {
        let (table, column) = k.rsplit_once('.').ok_or_else(|| Error::Argument {
            flag: "--keep-values".into(),
            detail: format!("`{k}`: name a column as table.column"),
        })?;
        let known = catalog.get(table).is_some_and(|t| t.column(column).is_some());
        if !known {
            return Err(Error::Argument {
                flag: "--keep-values".into(),
                detail: format!("`{k}`: the schema has no column `{column}` in a table `{table}`"),
            });
        }
        keep_columns.push((table, column));
    }
    let mut notes = Vec::new();
    let mut tables = BTreeMap::new();
    let mut raw = BTreeMap::new();
    let mut readable = 0;
    for (name, table) in catalog {
        match (stats.tables.get(name), stats.sizes.get(name)) {
            (Some(t), _) => {
                let mut t = t.clone();
                t.columns.retain(|c, _| table.column(c).is_some());
                if stats.unreadable.contains(name) {
                    notes.push(format!(
                        "production shows no statistics of `{name}`'s columns: this user may not SELECT from it \
                         (grant it, or connect as a user who may); its columns keep inferred generators"
                    ));
                } else {
                    readable += 1;
                }
                raw.insert(name.clone(), t.clone());
                for (column, s) in &mut t.columns {
                    let kept = keep_columns.iter().any(|(kt, kc)| kt == name && kc == column);
                    if s.kind.is_text() && !kept {
                        surrogate::replace(s);
                    }
                }
                if t.rows == 0 {
                    notes.push(format!("`{name}` is empty in production: it gets placeholder rows"));
                }
                tables.insert(name.clone(), t);
            }
            (None, Some(TableRows::Unknown)) => notes.push(format!(
                "production has never analyzed `{name}` (no row estimate, no statistics): it gets placeholder rows \
                 and inferred generators; run ANALYZE on production, then init again"
            )),
            (None, _) => notes.push(format!(
                "`{name}` is in the schema but not in production: it gets placeholder rows and inferred generators"
            )),
        }
    }
    let unknown: Vec<&str> = stats.sizes.keys().filter(|t| !catalog.contains_key(*t)).map(String::as_str).collect();
    if !unknown.is_empty() {
        notes.push(format!("production has tables the schema does not, left out: {}", unknown.join(", ")));
    }
    if readable == 0 && !tables.is_empty() && !stats.unreadable.is_empty() {
        return Err(Error::Argument {
            flag: "--from-url".into(),
            detail: format!(
                "this user may read none of the schema's tables in production ({}), so Postgres shows none of \
                 their statistics: connect as a user with SELECT on them",
                stats.unreadable.join(", ")
            ),
        });
    }
    Ok(Snapshot { tables, notes, raw })
}

/// Production's plan shape for every case of every query of the catalog (and of the
/// queries just read from its workload), with parameters chosen from its statistics.
pub(super) async fn plans(
    production: &mut Production,
    settings: &Settings,
    snapshot: &Snapshot,
    workload: &Workload,
    configured: bool,
) -> Result<Vec<QueryPlans>> {
    // The catalog as the config names it; on a first init, with the parameters inferred.
    let catalog_exists = settings.queries_dir().is_dir();
    let mut queries: Vec<Query> = if configured && catalog_exists { catalog::load(settings)? } else { Vec::new() };
    queries.extend(workload.queries(settings)?);
    let mut out = Vec::new();
    for q in &queries {
        let mut cases = BTreeMap::new();
        for case in &q.cases {
            let Some(literals) = case.params.iter().map(|p| literal(p, &snapshot.raw)).collect::<Option<Vec<_>>>()
            else {
                crate::progress::line(&format!(
                    "production's plan of `{}` ({}) is not recorded: a parameter's column has no statistics there",
                    q.name, case.name
                ));
                continue;
            };
            match production.plan_shape(&q.statement(), &literals).await {
                Ok(shape) => {
                    let params = case.params.iter().map(describe).collect();
                    cases.insert(case.name.clone(), CasePlan { params, shape });
                }
                Err(e) => crate::progress::line(&format!(
                    "production cannot plan `{}` ({}), so it is not compared there: {}",
                    q.name,
                    case.name,
                    crate::error::chain(&e)
                )),
            }
        }
        if !cases.is_empty() {
            out.push(QueryPlans {
                format_version: FORMAT_VERSION,
                query: q.name.clone(),
                sql_sha256: crate::config::hex_sha256(q.sql.as_bytes()),
                cases,
            });
        }
    }
    Ok(out)
}

/// A parameter as SQL, chosen from production's statistics the way the world's samplers
/// choose from its data: hot, the most common value; cold and typical, a value of the
/// histogram (rarer than any of the most common); any, another of the histogram.
fn literal(p: &ParamSpec, raw: &BTreeMap<String, TableStats>) -> Option<String> {
    match p {
        ParamSpec::Literal(v) => Some(sql_literal(v.as_deref())),
        ParamSpec::Sample { how, table, column } => {
            let s = raw.get(table)?.columns.get(column)?;
            let (mcv, hist) = (&s.most_common, &s.histogram);
            let middle = hist.get(hist.len() / 2);
            let value = match how {
                Sampler::Hot => mcv.first().map(|m| &m.value).or(middle),
                Sampler::Cold => middle.or(mcv.last().map(|m| &m.value)),
                Sampler::Typical => middle.or(mcv.get(mcv.len() / 2).map(|m| &m.value)),
                Sampler::Any => hist.get(hist.len() / 3).or(mcv.first().map(|m| &m.value)),
            }?;
            Some(sql_literal(Some(value)))
        }
    }
}

/// A parameter as the config writes it (production's values are not recorded).
fn describe(p: &ParamSpec) -> String {
    match p {
        ParamSpec::Literal(v) => sql_literal(v.as_deref()),
        ParamSpec::Sample { how, table, column } => format!("{}({table}.{column})", how.name()),
    }
}
