//! plangate.toml as written, and the readers that turn its sections into checked values,
//! each error naming the file and the dotted key.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use crate::analysis::Thresholds;
use crate::config::generator::GenExpr;
use crate::config::{DEFAULT_IMAGE, Invalid, TableSize, TableSpec, image};
use crate::error::{Error, Result};
use crate::snapshot::{Snapshot, TableStats};

/// plangate.toml as written (unknown keys are rejected).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConfigFile {
    #[serde(default)]
    pub(crate) database: DatabaseSection,
    #[serde(default)]
    pub schema: SchemaSection,
    #[serde(default)]
    pub(crate) scales: ScalesSection,
    #[serde(default)]
    pub tables: BTreeMap<String, TableSection>,
    #[serde(default)]
    pub(crate) query: BTreeMap<String, crate::config::catalog::QuerySection>,
    #[serde(default)]
    pub(crate) thresholds: Thresholds,
    #[serde(default)]
    pub(crate) snapshot: SnapshotSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SnapshotSection {
    /// Where production's snapshot lives, relative to the config.
    pub(crate) dir: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DatabaseSection {
    pub image: Option<ImageSpec>,
    /// The Postgres major version (or versions, a matrix) the local backend runs.
    pub postgres: Option<toml::Value>,
    #[serde(default)]
    pub settings: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum ImageSpec {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SchemaSection {
    pub(crate) files: Option<Vec<String>>,
    /// The migration tool whose layout the folders are in (guessed when not given).
    pub(crate) format: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ScalesSection {
    pub(crate) factors: Option<Vec<f64>>,
    pub seed: Option<u64>,
    /// Multiples of scale 1.0 that are planned but never loaded.
    pub(crate) forecast: Option<Vec<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TableSection {
    rows: Option<u64>,
    fixed_rows: Option<u64>,
    #[serde(default)]
    columns: BTreeMap<String, String>,
    /// Load through the table's triggers and rules (off by default).
    #[serde(default)]
    fire_triggers: bool,
    /// Store the rows of one parent together: the foreign-key column to group by.
    cluster: Option<String>,
}

/// Reads sections of one config file.
pub(super) struct Reader<'a> {
    pub(crate) path: &'a Path,
}

impl Reader<'_> {
    pub(super) fn err(&self, key: &str, detail: String) -> Error {
        Error::config(self.path, key, detail)
    }

    /// The images to run on, and whether any were named (by the file or the flags).
    pub(super) fn images(&self, spec: Option<ImageSpec>, flags: &[String]) -> Result<(Vec<String>, bool)> {
        let images = match (flags, spec) {
            ([_, ..], _) => return Ok((flags.to_vec(), true)),
            ([], Some(ImageSpec::One(s))) => vec![s],
            ([], Some(ImageSpec::Many(v))) if !v.is_empty() => v,
            ([], Some(ImageSpec::Many(_))) => {
                return Err(self.err("database.image", "the list of images is empty".into()));
            }
            ([], None) => return Ok((vec![DEFAULT_IMAGE.to_string()], false)),
        };
        image::check_list(&images).map_err(|Invalid(detail)| self.err("database.image", detail))?;
        Ok((images, true))
    }

    /// The Postgres major versions to run on: the flag's, else `[database] postgres`, a
    /// version ("18", 18) or a list of them, each once; empty when neither names any.
    pub(super) fn postgres(&self, value: Option<toml::Value>, flags: &[u32]) -> Result<Vec<u32>> {
        if !flags.is_empty() {
            return Ok(flags.to_vec());
        }
        let items = match value {
            None => return Ok(Vec::new()),
            Some(toml::Value::Array(items)) if items.is_empty() => {
                return Err(self.err("database.postgres", "the list of versions is empty".into()));
            }
            Some(toml::Value::Array(items)) => items,
            Some(one) => vec![one],
        };
        let mut out: Vec<u32> = Vec::new();
        for item in items {
            let text = match &item {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                other => other.to_string(),
            };
            let major = super::parse_major(&text).map_err(|Invalid(detail)| self.err("database.postgres", detail))?;
            if out.contains(&major) {
                return Err(self.err("database.postgres", format!("Postgres {major} is listed twice")));
            }
            out.push(major);
        }
        Ok(out)
    }

    /// `[database.settings]`: GUC names and their values as Postgres takes them.
    pub(super) fn pg_settings(&self, settings: BTreeMap<String, toml::Value>) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for (name, value) in settings {
            let key = format!("database.settings.{name}");
            let value = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => if b { "on" } else { "off" }.to_string(),
                other => {
                    return Err(
                        self.err(&key, format!("expected a string, number or boolean, found {}", other.type_str()))
                    );
                }
            };
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
                return Err(self.err(&key, "not a valid Postgres setting name".into()));
            }
            out.push((name, value));
        }
        Ok(out)
    }

    /// `[tables]`: sizes and generators; every `ref()` must name a table that gets rows.
    pub(super) fn tables(&self, sections: BTreeMap<String, TableSection>) -> Result<BTreeMap<String, TableSpec>> {
        let mut tables = BTreeMap::new();
        for (name, t) in sections {
            let size = match (t.rows, t.fixed_rows) {
                (Some(n), None) => TableSize::Scaled(n),
                (None, Some(n)) => TableSize::Fixed(n),
                (Some(_), Some(_)) => {
                    return Err(self.err(
                        &format!("tables.{name}"),
                        "give either `rows` (scales) or `fixed_rows` (does not scale), not both".into(),
                    ));
                }
                (None, None) => {
                    return Err(self.err(&format!("tables.{name}"), "missing `rows` or `fixed_rows`".into()));
                }
            };
            let mut columns = BTreeMap::new();
            for (col, expr) in t.columns {
                let parsed = GenExpr::parse(&expr).map_err(|e| {
                    Error::config_cause(self.path, format!("tables.{name}.columns.{col}"), format!("`{expr}`"), e)
                })?;
                columns.insert(col, parsed);
            }
            tables.insert(name, TableSpec { size, columns, fire_triggers: t.fire_triggers, cluster: t.cluster });
        }
        for (name, t) in &tables {
            for (col, g) in &t.columns {
                for (pt, _) in g.references() {
                    if !tables.contains_key(pt) {
                        return Err(self.err(
                            &format!("tables.{name}.columns.{col}"),
                            format!("references table `{pt}`, which has no [tables.{pt}] entry and stays empty"),
                        ));
                    }
                }
            }
        }
        Ok(tables)
    }

    /// Attach production's statistics to every `stats` generator: the column's entry in the
    /// snapshot's file for its table.
    pub(super) fn attach_stats(&self, tables: &mut BTreeMap<String, TableSpec>, snapshot: &Snapshot) -> Result<()> {
        for (name, t) in tables.iter_mut() {
            let mut file = None;
            for (col, g) in &mut t.columns {
                let GenExpr::Stats { column, .. } = g else { continue };
                let key = format!("tables.{name}.columns.{col}");
                if file.is_none() {
                    file = Some(snapshot.read_table(name)?.ok_or_else(|| {
                        self.err(
                            &key,
                            format!(
                                "`stats` reads production's statistics from {}, which does not exist; run \
                                 `plangate init --from-url` to write it",
                                snapshot.table_path(name).display()
                            ),
                        )
                    })?);
                }
                let stats = file.as_ref().and_then(|f: &TableStats| f.columns.get(col)).ok_or_else(|| {
                    self.err(
                        &key,
                        format!(
                            "{} has no statistics for column `{col}` (production never analyzed it, or the column is new)",
                            snapshot.table_path(name).display()
                        ),
                    )
                })?;
                *column = Some(std::sync::Arc::new(stats.clone()));
            }
        }
        Ok(())
    }

    /// Every configured table and column is one the schema files declare.
    pub(super) fn check_declared(
        &self,
        tables: &BTreeMap<String, TableSpec>,
        declared: &BTreeMap<String, BTreeSet<String>>,
    ) -> Result<()> {
        for (name, t) in tables {
            let Some(columns) = declared.get(name) else {
                let known = declared.keys().cloned().collect::<Vec<_>>().join(", ");
                return Err(
                    self.err(&format!("tables.{name}"), format!("the schema has no table `{name}` (it has: {known})"))
                );
            };
            if let Some(col) = t.columns.keys().find(|c| !columns.contains(*c)) {
                return Err(
                    self.err(&format!("tables.{name}.columns.{col}"), format!("table `{name}` has no column `{col}`"))
                );
            }
        }
        Ok(())
    }
}
