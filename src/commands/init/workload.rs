//! The catalog from production's workload: the top read queries of `pg_stat_statements` by
//! total time (already normalized with `$n`), each with a readable name and parameters
//! sampled from the columns they are compared with.

use std::collections::BTreeSet;

use crate::config::Settings;
use crate::datagen::schema::Catalog;
use crate::error::Result;
use crate::postgres::production::Production;
use crate::progress::line as progress;
use crate::suggest::query::{Parameter, parameters};
use crate::workload::{Entry, Workload, existing_names, name_for, path, toml_params, unique_name};

/// The top `n` read queries over the schema's tables.
pub(super) async fn read(
    production: &mut Production,
    n: usize,
    catalog: &Catalog,
    settings: &Settings,
) -> Result<Workload> {
    let Some(statements) = production.statements(n).await? else {
        progress(&format!(
            "pg_stat_statements is not installed on {}: no queries were read (CREATE EXTENSION pg_stat_statements, \
             with it in shared_preload_libraries, to use --queries)",
            production.name()
        ));
        return Ok(Workload::default());
    };
    let mut taken: BTreeSet<String> = existing_names(settings);
    let mut entries = Vec::new();
    let (mut not_read, mut unknown, mut unparameterized) = (0, 0, 0);
    for s in statements {
        if entries.len() == n {
            break;
        }
        let Some((tables, params)) = parameters(&s.sql, catalog) else {
            not_read += 1;
            continue;
        };
        if tables.is_empty() || tables.iter().any(|t| !catalog.contains_key(t)) {
            unknown += 1;
            continue;
        }
        let Some(params) = params.into_iter().collect::<Option<Vec<Parameter>>>() else {
            unparameterized += 1;
            continue;
        };
        let name = unique_name(&name_for(&tables, &params), &mut taken);
        entries.push(Entry {
            name,
            sql: s.sql.trim().trim_end_matches(';').to_string(),
            params: toml_params(&params),
            origin: format!("production's pg_stat_statements: {} calls, {:.0} ms in all", s.calls, s.total_ms),
            existing: false,
        });
    }
    if not_read + unknown + unparameterized > 0 {
        progress(&format!(
            "pg_stat_statements: skipped {not_read} statements that are not a plain read (utility, data-modifying, \
             locking), {unknown} on tables the schema does not have, and {unparameterized} whose parameters are not \
             compared with a column"
        ));
    }
    progress(&format!("read {} queries from production's pg_stat_statements", entries.len()));
    Ok(Workload { entries })
}

/// Parameters for the catalog's own query files that the config does not describe yet
/// (`known`: those it does), inferred the same way; a query whose parameters cannot be
/// inferred is named.
pub(super) fn existing(settings: &Settings, catalog: &Catalog, known: &BTreeSet<String>) -> Workload {
    let mut entries = Vec::new();
    for name in existing_names(settings).into_iter().filter(|n| !known.contains(n)) {
        let path = path(settings, &name);
        let Ok(sql) = std::fs::read_to_string(&path) else { continue };
        match parameters(&sql, catalog).and_then(|(_, p)| p.into_iter().collect::<Option<Vec<Parameter>>>()) {
            Some(params) => {
                entries.push(Entry { name, sql, params: toml_params(&params), origin: String::new(), existing: true });
            }
            None => progress(&format!(
                "{}: set its parameters in [query.{name}] (plangate could not tell what each $n is compared with)",
                path.display()
            )),
        }
    }
    Workload { entries }
}
