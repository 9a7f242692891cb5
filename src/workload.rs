//! Queries a command adds to the catalog (read from production's workload, from sqlx's
//! offline data, from an application's test run): readable names that never take an
//! existing file's, parameters sampled from the columns they are compared with, the file
//! each is written to and the `[query.NAME]` sections the config needs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::config::Settings;
use crate::config::catalog::{Query, QuerySection};
use crate::error::{Error, Result};
use crate::progress::line as progress;
use crate::suggest::query::Parameter;

/// Queries for the catalog.
#[derive(Debug, Clone, Default)]
pub(crate) struct Workload {
    pub entries: Vec<Entry>,
}

/// One query for the catalog.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub name: String,
    pub sql: String,
    /// The config's `params`, as TOML values.
    pub params: Vec<toml::Value>,
    /// Where it comes from, for the file's first line: `production's pg_stat_statements: ...`.
    pub origin: String,
    /// The query file exists already (the catalog's own): only its parameters are new.
    pub existing: bool,
}

/// `hot(t.c)` for a column, 20 for a LIMIT, 0 for an OFFSET.
pub(crate) fn toml_params(params: &[Parameter]) -> Vec<toml::Value> {
    params
        .iter()
        .map(|p| match p {
            Parameter::Column(t, c) => toml::Value::String(format!("hot({t}.{c})")),
            Parameter::Limit => toml::Value::Integer(20),
            Parameter::Offset => toml::Value::Integer(0),
        })
        .collect()
}

impl Workload {
    pub(crate) fn extend(&mut self, other: Workload) {
        self.entries.extend(other.entries);
    }

    /// The entries as catalog queries (for planning them in production before they are written).
    pub(crate) fn queries(&self, settings: &Settings) -> Result<Vec<Query>> {
        self.entries
            .iter()
            .map(|e| {
                let section = QuerySection { params: Some(e.params.clone()), ..QuerySection::default() };
                let text = if e.existing { e.sql.clone() } else { e.file_text() };
                Query::new(e.name.clone(), path(settings, &e.name), text, &section, &settings.config_path)
            })
            .collect()
    }

    /// Write each new query's file (never over an existing one).
    pub(crate) fn write_files(&self, settings: &Settings) -> Result<()> {
        let dir = settings.queries_dir();
        if !self.entries.is_empty() {
            std::fs::create_dir_all(&dir).map_err(|source| Error::Write { path: dir.clone(), source })?;
        }
        for e in self.entries.iter().filter(|e| !e.existing) {
            let file = path(settings, &e.name);
            if file.exists() {
                return Err(Error::Write {
                    path: file,
                    source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "a query file of that name exists"),
                });
            }
            crate::files::write_atomically(&file, e.file_text())?;
        }
        Ok(())
    }

    /// Write each query's file, and say what the config needs.
    pub(crate) fn write(&self, settings: &Settings) -> Result<()> {
        self.write_files(settings)?;
        if self.entries.iter().any(|e| !e.existing) && settings.config_path.exists() {
            progress(&format!("add to {}:\n{}", settings.config_path.display(), self.config_text()));
        }
        Ok(())
    }

    /// `[query.NAME]` sections with each query's parameters.
    pub(crate) fn config_text(&self) -> String {
        let mut out = String::new();
        for e in self.entries.iter().filter(|e| !e.params.is_empty() || !e.existing) {
            let params = toml::Value::Array(e.params.clone());
            let _ = write!(out, "\n[query.{}]\nparams = {params}\n", e.name);
        }
        out
    }
}

impl Entry {
    fn file_text(&self) -> String {
        format!("-- From {}.\n{};\n", self.origin, self.sql)
    }
}

pub(crate) fn path(settings: &Settings, name: &str) -> std::path::PathBuf {
    settings.queries_dir().join(format!("{name}.sql"))
}

pub(crate) fn existing_names(settings: &Settings) -> BTreeSet<String> {
    std::fs::read_dir(settings.queries_dir())
        .map(|d| {
            d.filter_map(std::result::Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "sql"))
                .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// `orders_by_customer_id`, `orders_customers_by_status`, `orders_list`.
pub(crate) fn name_for(tables: &[String], params: &[Parameter]) -> String {
    let mut name: Vec<String> = tables.iter().take(2).map(|t| t.rsplit('.').next().unwrap_or(t).to_string()).collect();
    let mut columns: Vec<&str> = Vec::new();
    for p in params {
        if let Parameter::Column(_, c) = p {
            if !columns.contains(&c.as_str()) {
                columns.push(c);
            }
        }
    }
    if columns.is_empty() {
        name.push("list".into());
    } else {
        name.push("by".into());
        name.extend(columns.iter().take(3).map(|c| (*c).to_string()));
    }
    name.join("_").chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}

pub(crate) fn unique_name(base: &str, taken: &mut BTreeSet<String>) -> String {
    let mut name = base.to_string();
    let mut i = 2;
    while taken.contains(&name) {
        name = format!("{base}_{i}");
        i += 1;
    }
    taken.insert(name.clone());
    name
}

/// A statement's text as the parser prints it back: the same for two files that differ in
/// formatting, comments or keyword case (the text itself when it does not parse).
pub(crate) fn normalized(sql: &str) -> String {
    match sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, sql) {
        Ok(stmts) => stmts.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ").to_lowercase(),
        Err(_) => sql.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase(),
    }
}

/// The catalog's queries by their normalized text: (text, name).
pub(crate) fn catalog_texts(settings: &Settings) -> BTreeMap<String, String> {
    existing_names(settings)
        .into_iter()
        .filter_map(|name| std::fs::read_to_string(path(settings, &name)).ok().map(|sql| (normalized(&sql), name)))
        .collect()
}
