//! Production's shape, as `plangate init --from-url` records it: per table, the row count
//! and each column's statistics (`snapshot/tables/<table>.json`), and per query the shape of
//! production's plan (`snapshot/plans/<query>.json`). Committed with the repository, so a
//! refresh shows up as a diff; `stats` generators read it.
//!
//! Files are pretty-printed with a stable order and written atomically; readers refuse a
//! `format_version` they do not know.

pub(crate) mod compare;
pub(crate) mod stats_dump;
pub(crate) mod surrogate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub(crate) const FORMAT_VERSION: u32 = 1;

/// The folder a snapshot lives in, relative to plangate.toml, unless `[snapshot] dir` says.
pub(crate) const DEFAULT_DIR: &str = "snapshot";

/// One table of production, as its statistics describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableStats {
    pub(crate) format_version: u32,
    pub(crate) table: String,
    /// `pg_class.reltuples` (summed over partitions).
    pub(crate) rows: u64,
    /// `pg_class.relpages` (summed over partitions).
    pub(crate) pages: u64,
    pub(crate) columns: BTreeMap<String, ColumnStats>,
    /// `pg_stats_ext`, where `CREATE STATISTICS` objects exist: recorded for the reader and
    /// for drift, without values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) extended: Vec<ExtendedStats>,
}

/// What a column's values are, for reproducing them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ValueKind {
    /// Integers, numerics and floats.
    Number,
    /// `timestamp` (without time zone).
    Timestamp,
    Timestamptz,
    Date,
    /// Text of any length (text, varchar, char, citext).
    Text,
    Bool,
    /// An enum's labels.
    Label,
    /// A type plangate does not reproduce from statistics: only its null fraction and
    /// distinct count are recorded.
    Other,
}

impl ValueKind {
    /// The kind of a column of base type `type_name` (`typtype` `type_kind`).
    pub(crate) fn of(type_name: &str, type_kind: &str) -> ValueKind {
        match type_name {
            _ if type_kind == "e" => ValueKind::Label,
            "int2" | "int4" | "int8" | "numeric" | "float4" | "float8" => ValueKind::Number,
            "timestamp" => ValueKind::Timestamp,
            "timestamptz" => ValueKind::Timestamptz,
            "date" => ValueKind::Date,
            "text" | "varchar" | "bpchar" | "citext" | "name" => ValueKind::Text,
            "bool" => ValueKind::Bool,
            _ => ValueKind::Other,
        }
    }

    /// Values of this kind are distributions (kept by default), not text a person wrote.
    pub(crate) fn is_text(self) -> bool {
        self == ValueKind::Text
    }
}

/// One column's `pg_stats` row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ColumnStats {
    pub kind: ValueKind,
    /// The base type's name (`int4`, `numeric`, `text`, ...).
    #[serde(rename = "type")]
    pub(crate) type_name: String,
    pub(crate) null_frac: f64,
    /// Postgres' convention: positive, a count of distinct values; negative, minus the
    /// share of rows that are distinct (it grows with the table).
    pub(crate) n_distinct: f64,
    pub(crate) avg_width: u32,
    pub(crate) correlation: Option<f64>,
    /// For a partitioned table: the correlation within its partitions (their own
    /// statistics, weighted by rows). Postgres computes the table's `correlation` over its
    /// partitions' samples laid end to end, which says little of the order rows are in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) order_correlation: Option<f64>,
    /// The most common values with their frequencies, most common first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) most_common: Vec<Frequent>,
    /// Equal-frequency bucket bounds of the values that are not among the most common.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) histogram: Vec<String>,
    /// The values are surrogates: production's text replaced, order, frequency and width kept.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) surrogates: bool,
}

/// A most common value and its frequency (a share of all rows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Frequent {
    pub(crate) value: String,
    pub(crate) freq: f64,
}

/// One `pg_stats_ext` row, without values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ExtendedStats {
    pub name: String,
    pub columns: Vec<String>,
    pub(crate) kinds: Vec<String>,
    /// `pg_ndistinct` as Postgres prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) n_distinct: Option<String>,
    /// `pg_dependencies` as Postgres prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) dependencies: Option<String>,
}

impl ColumnStats {
    /// The share of rows that are neither NULL nor one of the most common values.
    pub(crate) fn rest(&self) -> f64 {
        (1.0 - self.null_frac - self.most_common.iter().map(|m| m.freq).sum::<f64>()).max(0.0)
    }

    /// Distinct non-null values in a table of `rows` rows.
    pub(crate) fn distinct_at(&self, rows: u64) -> f64 {
        #[expect(clippy::cast_precision_loss)]
        let rows = rows as f64;
        if self.n_distinct >= 0.0 { self.n_distinct } else { -self.n_distinct * rows }
    }
}

/// Production's plan for one query: each case's parameters (as the samplers that chose
/// them, never production's values) and plan shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct QueryPlans {
    pub(crate) format_version: u32,
    pub(crate) query: String,
    /// The hash of the query's SQL: a plan of other SQL is not compared.
    pub(crate) sql_sha256: String,
    pub cases: BTreeMap<String, CasePlan>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CasePlan {
    pub(crate) params: Vec<String>,
    pub(crate) shape: String,
}

/// A snapshot folder.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub(crate) dir: PathBuf,
}

impl Snapshot {
    pub fn new(dir: PathBuf) -> Snapshot {
        Snapshot { dir }
    }

    pub(crate) fn table_path(&self, table: &str) -> PathBuf {
        self.dir.join("tables").join(format!("{table}.json"))
    }

    pub(crate) fn plans_path(&self, query: &str) -> PathBuf {
        self.dir.join("plans").join(format!("{query}.json"))
    }

    /// One table's statistics; None when the snapshot has no file for it.
    pub(crate) fn read_table(&self, table: &str) -> Result<Option<TableStats>> {
        read_json(&self.table_path(table))
    }

    /// Every table of the snapshot, by name.
    pub(crate) fn read_tables(&self) -> Result<BTreeMap<String, TableStats>> {
        let mut out = BTreeMap::new();
        for path in json_files(&self.dir.join("tables"))? {
            if let Some(t) = read_json::<TableStats>(&path)? {
                out.insert(t.table.clone(), t);
            }
        }
        Ok(out)
    }

    /// Production's plans for one query; None when there are none.
    pub(crate) fn read_plans(&self, query: &str) -> Result<Option<QueryPlans>> {
        read_json(&self.plans_path(query))
    }

    /// Write one table's file (atomically).
    pub fn write_table(&self, t: &TableStats) -> Result<()> {
        write_json(&self.table_path(&t.table), t)
    }

    pub(crate) fn write_plans(&self, p: &QueryPlans) -> Result<()> {
        write_json(&self.plans_path(&p.query), p)
    }

    /// Remove the files of tables and queries that are no longer there (`queries`: None
    /// leaves every plan file as it is).
    pub(crate) fn remove_others(&self, tables: &[String], queries: Option<&[String]>) -> Result<()> {
        let subs = [("tables", Some(tables)), ("plans", queries)];
        for (sub, keep) in subs.into_iter().filter_map(|(sub, keep)| Some((sub, keep?))) {
            for path in json_files(&self.dir.join(sub))? {
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
                if !keep.contains(&stem) {
                    std::fs::remove_file(&path).map_err(|source| Error::Write { path: path.clone(), source })?;
                }
            }
        }
        Ok(())
    }
}

fn json_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(Error::Read { path: dir.to_path_buf(), source }),
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(std::result::Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    out.sort();
    Ok(out)
}

fn read_json<T: serde::de::DeserializeOwned + Versioned>(path: &Path) -> Result<Option<T>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(Error::Read { path: path.to_path_buf(), source }),
    };
    let bad = |detail: String| Error::Snapshot { path: path.to_path_buf(), detail, source: None };
    let value: T = serde_json::from_str(&text).map_err(|e| bad(format!("not a snapshot file: {e}")).because(e))?;
    if value.version() != FORMAT_VERSION {
        return Err(bad(format!(
            "format_version {} is not one this plangate reads ({FORMAT_VERSION}); run `plangate init --from-url` again",
            value.version()
        )));
    }
    Ok(Some(value))
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
    }
    let mut text = serde_json::to_string_pretty(value).expect("a snapshot serializes");
    text.push('\n');
    crate::files::write_atomically(path, &text)
}

trait Versioned {
    fn version(&self) -> u32;
}

impl Versioned for TableStats {
    fn version(&self) -> u32 {
        self.format_version
    }
}

impl Versioned for QueryPlans {
    fn version(&self) -> u32 {
        self.format_version
    }
}
