//! The catalog from sqlx's offline query data: the `query-<hash>.json` files `cargo sqlx
//! prepare` writes (`.sqlx/` by default), one per checked query. Each read query becomes a
//! query file, named and de-duplicated as `--queries` does, its parameters sampled from the
//! columns they are compared with, or a value of the type the JSON's `describe` gives.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::config::Settings;
use crate::datagen::schema::Catalog;
use crate::error::{Error, Result};
use crate::progress::line as progress;
use crate::suggest::query::{Parameter, parameters};

use crate::workload::{Entry, Workload, catalog_texts, existing_names, name_for, normalized, toml_params, unique_name};

/// One `query-<hash>.json`.
#[derive(Debug, Deserialize)]
struct QueryData {
    db_name: String,
    query: String,
    describe: Describe,
}

#[derive(Debug, Deserialize)]
struct Describe {
    parameters: Option<Parameters>,
}

/// sqlx writes Postgres' parameter types as `{"Left": [...]}`.
#[derive(Debug, Deserialize)]
enum Parameters {
    Left(Vec<serde_json::Value>),
    Right(serde::de::IgnoredAny),
}

/// Why a query of the folder did not become a query file.
#[derive(Debug, Default)]
struct Skipped {
    not_a_read: usize,
    other_database: usize,
    unknown_tables: usize,
    untyped: Vec<String>,
    /// (file, the catalog's query with the same text).
    already: Vec<(String, String)>,
}

/// Read `dir`'s query data into catalog entries.
pub(super) fn read(dir: &Path, catalog: &Catalog, settings: &Settings) -> Result<Workload> {
    let listing = std::fs::read_dir(dir).map_err(|source| Error::Read { path: dir.to_path_buf(), source })?;
    let mut files: Vec<std::path::PathBuf> = listing
        .filter_map(std::result::Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json")
                && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("query-"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Catalog {
            path: dir.to_path_buf(),
            detail: "holds no query-*.json: run `cargo sqlx prepare` to write sqlx's offline query data".into(),
            source: None,
        });
    }
    let known = catalog_texts(settings);
    let mut taken = existing_names(settings);
    let mut written: BTreeMap<String, String> = BTreeMap::new();
    let mut skipped = Skipped::default();
    let mut entries = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.clone(), source })?;
        let data: QueryData = serde_json::from_str(&text).map_err(|e| Error::Catalog {
            path: path.clone(),
            detail: format!("not sqlx's offline query data ({e})"),
            source: None,
        })?;
        if data.db_name != "PostgreSQL" {
            skipped.other_database += 1;
            continue;
        }
        let Some((tables, params)) = parameters(&data.query, catalog) else {
            skipped.not_a_read += 1;
            continue;
        };
        if tables.is_empty() || tables.iter().any(|t| !catalog.contains_key(t)) {
            skipped.unknown_tables += 1;
            continue;
        }
        let file = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let same = normalized(&data.query);
        if let Some(name) = known.get(&same).or_else(|| written.get(&same)) {
            skipped.already.push((file, name.clone()));
            continue;
        }
        let types = match data.describe.parameters {
            Some(Parameters::Left(types)) => types.iter().map(type_name).collect(),
            _ => Vec::new(),
        };
        let mut values = Vec::new();
        for (i, p) in params.iter().enumerate() {
            let ty = types.get(i).map_or("unknown", String::as_str);
            match (p, literal_for(ty)) {
                (Some(p), _) => values.push(toml_params(std::slice::from_ref(p)).remove(0)),
                (None, Some(v)) => values.push(toml::Value::String(v.into())),
                (None, None) => break,
            }
        }
        if values.len() < params.len() {
            skipped.untyped.push(file);
            continue;
        }
        let known_params: Vec<Parameter> = params.iter().flatten().cloned().collect();
        let name = unique_name(&name_for(&tables, &known_params), &mut taken);
        written.insert(same, name.clone());
        let declared: Vec<String> = types.iter().enumerate().map(|(i, t)| format!("${} {t}", i + 1)).collect();
        let origin = if declared.is_empty() {
            format!("sqlx's offline data ({file})")
        } else {
            format!("sqlx's offline data ({file}); parameters: {}", declared.join(", "))
        };
        entries.push(Entry {
            name,
            sql: data.query.trim().trim_end_matches(';').to_string(),
            params: values,
            origin,
            existing: false,
        });
    }
    progress(&format!("{}: {} queries, {} read queries imported", dir.display(), files.len(), entries.len()));
    let Skipped { not_a_read, other_database, unknown_tables, untyped, already } = skipped;
    if not_a_read + other_database + unknown_tables > 0 {
        progress(&format!(
            "skipped {not_a_read} that are not a plain read (writes, locking reads, DDL), {unknown_tables} on tables \
             the schema does not have, {other_database} for another database"
        ));
    }
    for file in untyped {
        progress(&format!(
            "skipped {file}: a parameter is not compared with a column and its type has no sample value"
        ));
    }
    for (file, name) in already {
        progress(&format!("{file} is in the catalog already, as {name}"));
    }
    Ok(Workload { entries })
}

/// The type sqlx records for a parameter: `Int4`, or a custom type's name.
fn type_name(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other
            .pointer("/Custom/name")
            .and_then(serde_json::Value::as_str)
            .map_or_else(|| other.to_string(), str::to_string),
    }
}

/// A value of sqlx's type, as a parameter's SQL text, for a parameter no column tells.
fn literal_for(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "Int2" | "Int4" | "Int8" | "Float4" | "Float8" | "Numeric" => "1",
        "Bool" => "true",
        "Text" | "Varchar" | "Bpchar" | "Name" => "'a'",
        "Uuid" => "'00000000-0000-0000-0000-000000000000'",
        "Timestamptz" | "Timestamp" | "Date" => "'2025-01-01'",
        _ => return None,
    })
}
