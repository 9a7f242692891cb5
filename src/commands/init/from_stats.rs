//! Production's statistics from a dump instead of a connection: the calls of
//! `pg_dump --statistics-only` read into the same [`Statistics`] `--from-url` reads from
//! `pg_class` and `pg_stats`, so the snapshot written from either is the same.

use std::collections::BTreeMap;
use std::path::Path;

use crate::datagen::schema::{Catalog, Relation};
use crate::error::{Error, Result};
use crate::postgres::production::{Statistics, TableRows};
use crate::snapshot::stats_dump::{self, AttributeCall, Dump, RelationCall};
use crate::snapshot::{ColumnStats, FORMAT_VERSION, Frequent, TableStats, ValueKind};

/// The schema's relations, by (schema, relation name), as the throwaway server has them.
pub(super) type Relations = BTreeMap<(String, String), Relation>;

/// Read and check a dump file.
pub(super) fn read(path: &Path) -> Result<Dump> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    stats_dump::parse(&text).map_err(|e| Error::Snapshot {
        path: path.to_path_buf(),
        detail: e.to_string(),
        source: None,
    })
}

/// The dump's statistics of the schema's tables, and a note naming the relations the
/// schema does not have (they are skipped).
pub(super) fn statistics(dump: &Dump, relations: &Relations, catalog: &Catalog) -> (Statistics, Option<String>) {
    let mut out = Statistics::default();
    let mut skipped = Vec::new();
    // A partitioned table's size is its leaves', as `pg_class` has it for each of them.
    let mut leaves: Leaves<'_> = BTreeMap::new();
    for r in &dump.relations {
        match relations.get(&(r.schema.clone(), r.relation.clone())) {
            Some(Relation::Table(name)) if !partitioned(catalog, name) => {
                insert_size(&mut out, name, r.tuples, r.pages);
            }
            Some(Relation::Leaf { root }) => {
                leaves.entry(root).or_default().push(r);
            }
            Some(_) => {}
            None => skipped.push(format!("{} (line {})", qualified(&r.schema, &r.relation), r.line)),
        }
    }
    for (root, parts) in &leaves {
        let tuples =
            if parts.iter().all(|p| p.tuples < 0.0) { -1.0 } else { parts.iter().map(|p| p.tuples.max(0.0)).sum() };
        insert_size(&mut out, root, tuples, parts.iter().map(|p| p.pages.max(0)).sum());
    }
    for name in catalog.keys().filter(|n| partitioned(catalog, n) && !leaves.contains_key(n.as_str())) {
        out.sizes.insert(name.clone(), TableRows::Unknown);
    }
    for a in &dump.attributes {
        let Some(column) = &a.column else { continue };
        let relation = relations.get(&(a.schema.clone(), a.relation.clone()));
        let Some(Relation::Table(name)) = relation else { continue };
        let Some(table) = out.tables.get_mut(name) else { continue };
        let Some(kind) = catalog.get(name).and_then(|t| t.column(column)) else { continue };
        if a.inherited != partitioned(catalog, name) {
            continue;
        }
        let kind_of = ValueKind::of(&kind.type_name, &kind.type_kind);
        table.columns.insert(column.clone(), column_stats(a, kind_of, &kind.type_name));
    }
    order_within_partitions(dump, relations, &leaves, &mut out);
    let note = (!skipped.is_empty()).then(|| {
        format!("the statistics dump describes relations the schema does not have, skipped: {}", skipped.join(", "))
    });
    (out, note)
}

/// Each partitioned table's leaf partitions, by the table's name.
type Leaves<'a> = BTreeMap<&'a str, Vec<&'a RelationCall>>;

fn partitioned(catalog: &Catalog, name: &str) -> bool {
    catalog.get(name).is_some_and(|t| t.partitioning.is_some())
}

fn qualified(schema: &str, relation: &str) -> String {
    if schema == "public" { relation.to_string() } else { format!("{schema}.{relation}") }
}

/// A table's size: an estimate when `reltuples` is one, else unknown (never analyzed).
fn insert_size(out: &mut Statistics, name: &str, tuples: f32, pages: i64) {
    if tuples < 0.0 {
        out.sizes.insert(name.to_string(), TableRows::Unknown);
        return;
    }
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a row count, rounded")]
    let rows = f64::from(tuples).round() as u64;
    out.sizes.insert(name.to_string(), TableRows::Estimated(rows));
    out.tables.insert(
        name.to_string(),
        TableStats {
            format_version: FORMAT_VERSION,
            table: name.to_string(),
            rows,
            pages: u64::try_from(pages.max(0)).unwrap_or(0),
            columns: BTreeMap::new(),
            extended: Vec::new(),
        },
    );
}

/// One column's statistics; values only for the kinds plangate reproduces, as `--from-url`
/// reads them (a `timestamptz` in UTC, whatever zone the dump was written in).
fn column_stats(a: &AttributeCall, kind: ValueKind, type_name: &str) -> ColumnStats {
    let values = |text: &Option<String>| -> Vec<String> {
        if kind == ValueKind::Other {
            return Vec::new();
        }
        let elements = text.as_deref().and_then(stats_dump::array_elements).unwrap_or_default();
        elements
            .into_iter()
            .flatten()
            .map(|v| match kind {
                ValueKind::Timestamptz => crate::calendar::to_utc(&v).unwrap_or(v),
                _ => v,
            })
            .collect()
    };
    let freqs: Vec<f64> = a
        .most_common_freqs
        .as_deref()
        .and_then(stats_dump::array_elements)
        .unwrap_or_default()
        .into_iter()
        .map(|f| f.and_then(|f| f.parse::<f32>().ok()).map_or(0.0, f64::from))
        .collect();
    let most_common =
        values(&a.most_common_vals).into_iter().zip(freqs).map(|(value, freq)| Frequent { value, freq }).collect();
    ColumnStats {
        kind,
        type_name: type_name.to_string(),
        null_frac: f64::from(a.null_frac),
        n_distinct: f64::from(a.n_distinct),
        avg_width: u32::try_from(a.avg_width).unwrap_or(0),
        correlation: a.correlation.map(f64::from),
        order_correlation: None,
        most_common,
        histogram: values(&a.histogram_bounds),
        surrogates: false,
    }
}

/// A partitioned table's order: its leaves' own correlations, weighted by their rows.
fn order_within_partitions(dump: &Dump, relations: &Relations, leaves: &Leaves<'_>, out: &mut Statistics) {
    // (root, column) -> (sum of correlation x rows, sum of rows)
    let mut sums: BTreeMap<(&str, &str), (f64, f64)> = BTreeMap::new();
    for a in dump.attributes.iter().filter(|a| !a.inherited) {
        let (Some(column), Some(correlation)) = (&a.column, a.correlation) else { continue };
        let Some(Relation::Leaf { root }) = relations.get(&(a.schema.clone(), a.relation.clone())) else { continue };
        let rows = leaves
            .get(root.as_str())
            .and_then(|parts| parts.iter().find(|p| p.schema == a.schema && p.relation == a.relation))
            .map_or(0.0, |p| f64::from(p.tuples.max(0.0)));
        let sum = sums.entry((root, column)).or_default();
        sum.0 += f64::from(correlation) * rows;
        sum.1 += rows;
    }
    for ((root, column), (weighted, rows)) in sums {
        if let Some(c) = out.tables.get_mut(root).and_then(|t| t.columns.get_mut(column)) {
            c.order_correlation = (rows > 0.0).then(|| weighted / rows);
        }
    }
}
