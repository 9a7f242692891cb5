//! The data model: for every filled table, a generator per column, from the config where it
//! names one and inferred from the schema's catalog everywhere else.

use std::collections::BTreeSet;

use crate::config::generator::GenExpr;
use crate::config::{Settings, TableSize, TableSpec};
use crate::datagen::infer::infer;
use crate::datagen::schema::{Catalog, Table};
use crate::datagen::wire::Wire;
use crate::error::{Error, Result};
use crate::sqltext::quote_ident;

/// A column to fill.
#[derive(Debug, Clone)]
pub(crate) struct ColumnModel {
    pub name: String,
    pub(crate) generator: GenExpr,
    /// Postgres fills it (identity, generated): not sent by COPY.
    pub(crate) filled_by_postgres: bool,
    /// The column's type is an integer type (floats are rounded for it).
    pub(crate) integer: bool,
    /// Columns of one composite foreign key pick the same parent row: the key's name.
    pub(crate) ref_group: Option<String>,
    /// The longest value the type holds, in characters (varchar(n), char(n)).
    pub(crate) max_len: Option<usize>,
    /// How the column's values go in a binary COPY, when its type has a way.
    pub wire: Option<Wire>,
}

/// A key loading keeps distinct: each part SQL over the table's columns, for the rows the
/// predicate picks (every row when None).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DistinctKey {
    pub(crate) exprs: Vec<String>,
    pub(crate) predicate: Option<String>,
}

/// A table to fill.
#[derive(Debug, Clone)]
pub(crate) struct TableModel {
    pub name: String,
    pub(crate) size: TableSize,
    pub columns: Vec<ColumnModel>,
    /// `serial`-style sequences to move past the generated values: (column, sequence).
    pub(crate) sequences: Vec<(String, String)>,
    /// Keys no generator makes unique (a join table's pair of foreign keys, a one-to-one
    /// table keyed by its foreign key, a unique index over an expression or over some rows):
    /// rows load through a staging table that keeps the first row of each key.
    pub(crate) dedupe_on: Vec<DistinctKey>,
    /// Load through the table's triggers and rules.
    pub(crate) fire_triggers: bool,
}

impl TableModel {
    pub(crate) fn column(&self, name: &str) -> Option<&ColumnModel> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Every filled table, parents before children where the foreign keys allow it.
#[derive(Debug, Clone)]
pub struct DataModel {
    pub(crate) tables: Vec<TableModel>,
    /// What inference decided that a reader should know (columns left NULL, ...).
    pub notes: Vec<String>,
}

impl DataModel {
    pub(crate) fn table(&self, name: &str) -> Option<&TableModel> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Build and validate the model; errors name the config key.
    pub fn build(settings: &Settings, catalog: &Catalog) -> Result<DataModel> {
        let cfg = |key: String, detail: String| Error::config(&settings.config_path, key, detail);
        let mut tables = Vec::new();
        let mut notes = Vec::new();
        for (name, spec) in &settings.tables {
            let table = catalog.get(name).ok_or_else(|| {
                cfg(
                    format!("tables.{name}"),
                    format!(
                        "the schema has no table `{name}` (it has: {})",
                        catalog.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                )
            })?;
            for col in spec.columns.keys() {
                if table.column(col).is_none() {
                    return Err(cfg(
                        format!("tables.{name}.columns.{col}"),
                        format!("table `{name}` has no column `{col}`"),
                    ));
                }
            }
            for fk in &table.foreign_keys {
                let configured = fk.columns.iter().all(|c| spec.columns.contains_key(c));
                if !configured && !settings.tables.contains_key(&fk.parent) {
                    return Err(cfg(
                        format!("tables.{name}"),
                        format!(
                            "foreign key {} of `{name}` points at `{}`, which has no [tables.{}] entry and stays empty",
                            fk.name, fk.parent, fk.parent
                        ),
                    ));
                }
            }
            let (mut columns, sequences) = column_models(settings, name, spec, table, &mut notes)?;
            check_depends(&columns).map_err(|(c, d)| cfg(format!("tables.{}.columns.{c}", toml_key(name)), d))?;
            apply_cluster(settings, name, spec, table, &mut columns)?;
            let distinct = |c: &ColumnModel| {
                c.filled_by_postgres || matches!(c.generator, GenExpr::Serial | GenExpr::Uuid | GenExpr::Unique(_))
            };
            let distinct_column = |c: &str| columns.iter().any(|m: &ColumnModel| m.name == c && distinct(m));
            let plain = table
                .uniques
                .iter()
                .chain(std::iter::once(&table.primary_key))
                .filter(|k| !k.is_empty())
                .filter(|k| !k.iter().any(|c| distinct_column(c)))
                .map(|k| DistinctKey { exprs: k.iter().map(|c| quote_ident(c)).collect(), predicate: None });
            // An expression may fold distinct values together (`lower`): those keys are
            // always kept distinct by loading. Plain columns over some rows are distinct
            // there when a generator makes them distinct everywhere.
            let indexes = table
                .unique_indexes
                .iter()
                .filter(|u| {
                    let plain_columns: Vec<&str> =
                        u.keys.iter().filter_map(|k| table.column(k).map(|c| c.name.as_str())).collect();
                    plain_columns.len() < u.keys.len() || !plain_columns.iter().any(|c| distinct_column(c))
                })
                .map(|u| DistinctKey { exprs: u.keys.clone(), predicate: u.predicate.clone() });
            let dedupe_on = plain.chain(indexes).collect();
            tables.push(TableModel {
                name: name.clone(),
                size: spec.size,
                columns,
                sequences,
                dedupe_on,
                fire_triggers: spec.fire_triggers,
            });
        }
        // Every ref must reach a column of a filled table that plangate (or an identity) fills.
        for t in &tables {
            for c in &t.columns {
                for (pt, pc) in c.generator.references() {
                    let parent = tables.iter().find(|x| x.name == pt).ok_or_else(|| {
                        cfg(
                            format!("tables.{}.columns.{}", t.name, c.name),
                            format!("references table `{pt}`, which has no [tables.{pt}] entry and stays empty"),
                        )
                    })?;
                    if parent.column(pc).is_none() {
                        return Err(cfg(
                            format!("tables.{}.columns.{}", t.name, c.name),
                            format!("references `{pt}.{pc}`, which is not a column plangate can fill"),
                        ));
                    }
                }
            }
        }
        Ok(DataModel { tables: order_by_references(tables), notes })
    }
}

/// A column and the sequence that fills it by default.
type Sequence = (String, String);

/// The columns of one table: identities left to Postgres, configured generators, inferred
/// ones; and the sequences to move past the generated values.
fn column_models(
    settings: &Settings,
    name: &str,
    spec: &TableSpec,
    table: &Table,
    notes: &mut Vec<String>,
) -> Result<(Vec<ColumnModel>, Vec<Sequence>)> {
    let cfg = |key: String, detail: String| Error::config(&settings.config_path, key, detail);
    let mut columns = Vec::new();
    let mut sequences = Vec::new();
    for column in &table.columns {
        let integer = matches!(column.type_name.as_str(), "int2" | "int4" | "int8");
        let max_len = (matches!(column.type_name.as_str(), "varchar" | "bpchar") && column.typmod >= 4)
            .then(|| usize::try_from(column.typmod - 4).unwrap_or(usize::MAX));
        if column.generated {
            continue;
        }
        if column.identity {
            columns.push(ColumnModel {
                name: column.name.clone(),
                generator: GenExpr::Serial,
                filled_by_postgres: true,
                integer,
                ref_group: None,
                max_len,
                wire: Wire::of(column),
            });
            continue;
        }
        let (generator, ref_group) = match spec.columns.get(&column.name) {
            Some(g) => (g.clone(), None),
            None => match infer(table, column) {
                Ok(inferred) => inferred,
                // A nullable column of a type plangate cannot make stays NULL.
                Err(d) if !column.not_null && !table.in_key(&column.name) => {
                    notes.push(format!(
                        "{d}: the nullable column is left NULL; configure a generator for it in \
                         [tables.{}.columns] to fill it",
                        toml_key(name)
                    ));
                    (GenExpr::Const(None), None)
                }
                Err(d) => {
                    return Err(cfg(
                        format!("tables.{}.columns.{}", toml_key(name), column.name),
                        format!("{d}; configure a generator for it in [tables.{}.columns]", toml_key(name)),
                    ));
                }
            },
        };
        if let Some(seq) = &column.serial_sequence {
            sequences.push((column.name.clone(), seq.clone()));
        }
        columns.push(ColumnModel {
            name: column.name.clone(),
            generator,
            filled_by_postgres: false,
            integer,
            ref_group,
            max_len,
            wire: Wire::of(column),
        });
    }
    Ok((columns, sequences))
}

/// Every `depends(c, ...)` names a column of the same table that plangate fills, and not
/// one that depends on another itself: (the column, what is wrong).
fn check_depends(columns: &[ColumnModel]) -> std::result::Result<(), (String, String)> {
    for col in columns {
        let GenExpr::Depends { column, .. } = &col.generator else { continue };
        let source = columns.iter().find(|c| &c.name == column && !c.filled_by_postgres);
        let detail = match source {
            None => format!(
                "depends({column}, ...): `{column}` is not a column of this table that plangate fills (identity and \
                 generated columns are Postgres')"
            ),
            Some(s) if matches!(s.generator, GenExpr::Depends { .. }) => {
                format!("depends({column}, ...): `{column}` depends on a column itself; depend on that one")
            }
            Some(_) => continue,
        };
        return Err((col.name.clone(), detail));
    }
    Ok(())
}

/// Store the rows of one parent together: the table's `cluster` column, else by default
/// a foreign key that is part of a composite primary key (an order's lines, inserted
/// with their order), when its generator is a plain `ref()`.
fn apply_cluster(
    settings: &Settings,
    name: &str,
    spec: &crate::config::TableSpec,
    table: &Table,
    columns: &mut [ColumnModel],
) -> Result<()> {
    fn spread_of(g: &mut GenExpr) -> Option<&mut Option<f64>> {
        match g {
            GenExpr::Ref { zipf: None, spread, .. } => Some(spread),
            GenExpr::Null { inner, .. } => spread_of(inner),
            _ => None,
        }
    }
    let chosen = match spec.cluster.as_deref() {
        Some("none") => return Ok(()),
        Some(c) => c.to_string(),
        None => {
            let part_of_key = |c: &&String| {
                table.primary_key.len() > 1
                    && table.foreign_keys.iter().any(|fk| fk.columns.len() == 1 && fk.columns[0] == **c)
                    && !spec.columns.contains_key(*c)
            };
            match table.primary_key.iter().find(part_of_key) {
                Some(c) => c.clone(),
                None => return Ok(()),
            }
        }
    };
    let spread = columns.iter_mut().find(|c| c.name == chosen).and_then(|c| spread_of(&mut c.generator));
    match spread {
        Some(s) => {
            *s = Some(0.0);
            Ok(())
        }
        None => Err(Error::config(
            &settings.config_path,
            format!("tables.{}.cluster", toml_key(name)),
            format!(
                "`{chosen}` is not a column filled by ref() without zipf; cluster names the foreign-key column whose rows are stored together, or \"none\""
            ),
        )),
    }
}

/// Parents first; cycles and self-references keep their order (foreign keys are added after loading).
fn order_by_references(tables: Vec<TableModel>) -> Vec<TableModel> {
    let mut out: Vec<TableModel> = Vec::new();
    let mut left = tables;
    while !left.is_empty() {
        let placed: BTreeSet<String> = out.iter().map(|t| t.name.clone()).collect();
        let names: BTreeSet<String> = left.iter().map(|t| t.name.clone()).collect();
        let ready = left.iter().position(|t| {
            t.columns
                .iter()
                .flat_map(|c| c.generator.references())
                .all(|(p, _)| p == t.name || placed.contains(p) || !names.contains(p))
        });
        let i = ready.unwrap_or(0); // a cycle: take the first and go on
        out.push(left.remove(i));
    }
    out
}

/// A table's name as a TOML key: `app.users` must be quoted (`"app.users"`) to stay one key.
pub(crate) fn toml_key(table: &str) -> String {
    let bare = !table.is_empty() && table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { table.to_string() } else { toml::Value::String(table.to_string()).to_string() }
}
