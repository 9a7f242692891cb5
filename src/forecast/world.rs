//! A forecast's world: the schema in a database of its own, a sample of the rows the
//! generators would make at the forecast scale, analyzed as a load is, then made to look
//! its full size to the planner. Every table and index gets the pages and rows its sample
//! stands for (its files are lengthened sparsely, since the planner measures a relation by
//! its file, whatever `pg_class` says), and each column the distinct count ANALYZE would
//! estimate from that sample for the full table. Most common values, histograms,
//! correlation and NULL fractions are the sample's own: shares, which a sample keeps.

use std::collections::BTreeMap;

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection, Row};

use crate::config::Settings;
use crate::datagen::copy::{exec, statistics_target};
use crate::datagen::generate::compile_numbered;
use crate::datagen::load::load_table;
use crate::datagen::model::DataModel;
use crate::error::{Error, Result};
use crate::postgres::{Server, schema};
use crate::sqltext::quote_qualified;

use super::project;

/// Rows loaded per table: the rest of a larger table is projected. Three times the rows
/// a default ANALYZE samples, so that the statistics of the sample are those of a table
/// (most common values, histograms) rather than of a handful of rows.
pub(crate) const SAMPLE_ROWS: u64 = 90_000;

/// Pages and rows of each relation (by name) in the largest measured world: how densely
/// its rows and index entries pack at a size that was loaded.
pub(super) type Densities = BTreeMap<String, (f64, f64)>;

/// The pages and rows of every table, index and materialized view of database `db`.
pub(super) async fn densities(server: &Server, db: &str) -> Result<Densities> {
    let mut conn = server.connect_to(db).await?;
    let rows: std::result::Result<Vec<(String, f64, f64)>, sqlx::Error> = sqlx::query_as(
        "SELECT c.oid::regclass::text, c.relpages::float8, c.reltuples::float8
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'i', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND n.nspname NOT LIKE 'pg_toast%'",
    )
    .fetch_all(&mut conn)
    .await;
    let _ = conn.close().await;
    let rows = rows.map_err(|e| Error::postgres("reading the measured world's relation sizes", e))?;
    Ok(rows.into_iter().map(|(name, pages, tuples)| (name, (pages, tuples))).collect())
}

/// What the forecast's world stands for.
#[derive(Debug, Default)]
pub(super) struct Projected {
    /// Rows of every filled table at the forecast scale.
    pub table_rows: BTreeMap<String, u64>,
    /// Tables whose rows were sampled (the others were loaded whole).
    pub sampled: Vec<String>,
}

/// Build the world of forecast scale `scale` in a new database `db`.
pub(super) async fn build(
    server: &Server,
    settings: &Settings,
    model: &DataModel,
    scale: f64,
    db: &str,
    densities: &Densities,
) -> Result<Projected> {
    let mut admin = server.connect().await?;
    let created =
        exec(&mut admin, &format!("CREATE DATABASE {db} TEMPLATE template0"), "creating a forecast's database").await;
    let _ = admin.close().await;
    created?;
    let mut schema_conn = server.connect_to(db).await?;
    let applied = schema::apply(&mut schema_conn, &settings.schema, schema::Target::Throwaway).await;
    let _ = schema_conn.close().await;
    applied?;
    let mut conn = server.connect_to(db).await?;
    let built = fill(&mut conn, server, settings, model, (scale, densities)).await;
    let _ = conn.close().await;
    built
}

async fn fill(
    conn: &mut PgConnection,
    server: &Server,
    settings: &Settings,
    model: &DataModel,
    (scale, densities): (f64, &Densities),
) -> Result<Projected> {
    // Triggers and foreign-key checks stay off: a sample holds children whose parents it
    // left out. Constraints and indexes stay, as the planner reads them.
    exec(
        conn,
        "SET session_replication_role = replica; SET synchronous_commit = local; SET TimeZone = 'UTC'; \
         SET synchronize_seqscans = off",
        "setting up the forecast's loading session",
    )
    .await?;
    // The scales a load to this one would pass, so that its rows are the ones it would make.
    let mut steps: Vec<f64> =
        settings.scales.iter().chain(&settings.forecast).copied().filter(|&s| s <= scale).collect();
    steps.sort_by(f64::total_cmp);
    steps.dedup();
    let gens = compile_numbered(model, settings.seed, &steps).map_err(|(t, c, e)| {
        let detail = format!(
            "column `{c}` at forecast scale {scale}: {e}; a generator with room for that many rows (in \
             [tables.{}.columns]) lets it be forecast",
            crate::datagen::model::toml_key(&t)
        );
        Error::Load { table: t, detail, source: Some(Box::new(e)) }
    })?;
    let mut projected = Projected::default();
    // (table, rows it stands for, rows sampled, rows loaded)
    let mut tables = Vec::new();
    // The indexes that are not keys go while rows load, and come back after, as a load has it.
    let mut set_aside = Vec::new();
    for g in &gens {
        set_aside.push(drop_plain_indexes(conn, &quote_qualified(&g.name)).await?);
    }
    for mut g in gens {
        let name = g.name.clone();
        let total = g.sample(SAMPLE_ROWS, settings.seed);
        let sampled = g.end - g.start;
        let loaded = load_table(conn, model, g, &mut |_| {}).await?;
        #[expect(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let stands_for = if sampled < total {
            (loaded as f64 * total as f64 / sampled.max(1) as f64).round() as u64
        } else {
            loaded
        };
        projected.table_rows.insert(name.clone(), stands_for);
        if sampled < total {
            projected.sampled.push(name.clone());
        }
        tables.push((name, total, sampled));
    }
    let names: Vec<String> = tables.iter().map(|(n, ..)| quote_qualified(n)).collect();
    if names.is_empty() {
        return Ok(projected);
    }
    // Packed indexes (a load builds them after the rows), frozen pages, and statistics of
    // the whole sample.
    for (n, plain) in names.iter().zip(&set_aside) {
        exec(conn, &format!("REINDEX TABLE {n}"), "rebuilding a forecast's indexes").await?;
        for def in plain {
            exec(conn, def, "rebuilding a forecast's indexes").await?;
        }
    }
    let list = names.join(", ");
    exec(conn, &format!("VACUUM (FREEZE) {list}"), "vacuuming a forecast's tables").await?;
    // The statistics target the world of this size gets: most common values and histograms
    // as long as a load would give them (values common only by chance are dropped below).
    let largest = tables.iter().map(|(_, total, _)| *total).max().unwrap_or(0);
    exec(
        conn,
        &format!("SET default_statistics_target = {}; ANALYZE {list}", statistics_target(largest)),
        "analyzing a forecast's tables",
    )
    .await?;
    let layout = Layout::read(conn).await?;
    for (name, total, sampled) in &tables {
        if sampled < total {
            #[expect(clippy::cast_precision_loss)]
            let factor = *total as f64 / *sampled as f64;
            project_table(conn, server, (&layout, densities), &quote_qualified(name), factor).await?;
        }
    }
    Ok(projected)
}

/// Drop `table`'s indexes that are not a key's; returns their definitions, by name. They
/// are made again after the rows, packed, and after the keys' indexes, in this order, as a
/// load makes them: the planner weighs a table's indexes in the order they were made,
/// which settles near ties between them. A partitioned table keeps its indexes.
async fn drop_plain_indexes(conn: &mut PgConnection, table: &str) -> Result<Vec<String>> {
    let plain: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
         WHERE i.indrelid = $1::regclass AND t.relkind = 'r'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
           AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
         ORDER BY 1",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| Error::postgres(format!("reading the indexes of {table}"), e))?;
    for (name, _) in &plain {
        exec(conn, &format!("DROP INDEX {name}"), "setting a forecast's indexes aside").await?;
    }
    Ok(plain.into_iter().map(|(_, def)| def).collect())
}

/// Where the server keeps relation files, and how it cuts them.
struct Layout {
    data_dir: String,
    block_size: u64,
    segment_blocks: u64,
}

impl Layout {
    async fn read(conn: &mut PgConnection) -> Result<Layout> {
        let row = sqlx::query(
            "SELECT current_setting('data_directory'), current_setting('block_size')::int8,
                    (SELECT setting::int8 FROM pg_settings WHERE name = 'segment_size')",
        )
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| Error::postgres("reading where the server keeps its files", e))?;
        let (data_dir, block_size, segment_blocks): (String, i64, i64) = (row.get(0), row.get(1), row.get(2));
        Ok(Layout {
            data_dir,
            block_size: u64::try_from(block_size).unwrap_or(8192),
            segment_blocks: u64::try_from(segment_blocks).unwrap_or(131_072),
        })
    }
}

/// Make `table` (its partitions and every index) look `factor` times its sample to the
/// planner: rows and pages in `pg_class` and in the files, and distinct counts. Pages
/// follow the rows at the density the relation has in the measured world, where it has
/// one (index entries pack tighter as keys repeat more), else at the sample's.
async fn project_table(
    conn: &mut PgConnection,
    server: &Server,
    (layout, densities): (&Layout, &Densities),
    table: &str,
    factor: f64,
) -> Result<()> {
    let err = |e: sqlx::Error| Error::postgres(format!("projecting {table} for a forecast"), e);
    let rels = sqlx::query(AssertSqlSafe(format!(
        // A table that is not partitioned has no partition tree: it is its own.
        "WITH tree AS (SELECT '{t}'::regclass AS relid UNION SELECT relid FROM pg_partition_tree('{t}'::regclass)),
              rels AS (SELECT relid AS oid FROM tree
                       UNION ALL SELECT x.indexrelid FROM pg_index x JOIN tree ON x.indrelid = tree.relid)
         SELECT c.oid::int8, c.relkind::text, c.relpages::float8, c.reltuples::float8, c.relallvisible::float8,
                pg_relation_filepath(c.oid), c.oid::regclass::text
         FROM rels JOIN pg_class c ON c.oid = rels.oid",
        t = table.replace('\'', "''")
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(err)?;
    let mut files = Vec::new();
    let mut owner = None;
    // (relation, pages its files must hold now)
    let mut sized: Vec<(i64, u64)> = Vec::new();
    for r in &rels {
        let (oid, kind, pages, tuples, visible, path): (i64, String, f64, f64, f64, Option<String>) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
        let new_tuples = if tuples > 0.0 { (tuples * factor).round() } else { tuples };
        let new_pages = match densities.get(&r.get::<String, _>(6)) {
            Some(&(measured_pages, measured_tuples)) if measured_pages > 0.0 && measured_tuples > 0.0 => {
                project::pages(measured_pages, measured_tuples, new_tuples)
            }
            _ => project::pages(pages, 1.0, factor),
        };
        #[expect(clippy::cast_precision_loss)]
        let new_visible = (visible * factor).round().min(new_pages as f64);
        if let (Some(path), true) = (path, new_pages > 0 && matches!(kind.as_str(), "r" | "i" | "m")) {
            owner.get_or_insert_with(|| path.clone());
            sized.push((oid, new_pages));
            for (segment, bytes) in project::segments(new_pages, layout.segment_blocks, layout.block_size) {
                let file = if segment == 0 { path.clone() } else { format!("{path}.{segment}") };
                files.push((file, bytes));
            }
        }
        #[expect(clippy::cast_precision_loss)]
        let new_pages = if matches!(kind.as_str(), "r" | "i" | "m") { new_pages as f64 } else { pages };
        sqlx::query(
            "UPDATE pg_class SET relpages = $2::float8::int4, reltuples = $3::float4, relallvisible = $4::float8::int4
             WHERE oid = $1::int8::oid",
        )
        .bind(oid)
        .bind(new_pages)
        .bind(new_tuples)
        .bind(new_visible)
        .execute(&mut *conn)
        .await
        .map_err(err)?;
        if matches!(kind.as_str(), "r" | "p" | "m") {
            project_columns(conn, oid, tuples, new_tuples).await?;
        }
    }
    if let Some(owner) = owner {
        server.lengthen_files(&layout.data_dir, &owner, &files).await?;
    }
    // The planner counts a relation's pages in its files: they must say the projected size.
    for (oid, pages) in sized {
        let (name, blocks): (String, i64) =
            sqlx::query_as("SELECT $1::int8::oid::regclass::text, pg_relation_size($1::int8::oid) / $2")
                .bind(oid)
                .bind(i64::try_from(layout.block_size).unwrap_or(8192))
                .fetch_one(&mut *conn)
                .await
                .map_err(err)?;
        if u64::try_from(blocks).unwrap_or(0) != pages {
            return Err(Error::postgres(
                format!("projecting {table} for a forecast"),
                std::io::Error::other(format!("{name} has {blocks} pages in its files, not the {pages} projected")),
            ));
        }
    }
    Ok(())
}

/// Each analyzed column of relation `oid` gets the distinct count ANALYZE would estimate
/// from its sample (`sample_rows`) at `rows` rows, and keeps the most common values ANALYZE
/// would keep from such a sample. A column whose values cannot be grouped keeps its own.
async fn project_columns(conn: &mut PgConnection, oid: i64, sample_rows: f64, rows: f64) -> Result<()> {
    let columns = sqlx::query(
        "SELECT s.staattnum::int4, s.stainherit, s.stanullfrac::float8, quote_ident(a.attname::text),
                $1::int8::oid::regclass::text
         FROM pg_statistic s JOIN pg_attribute a ON a.attrelid = s.starelid AND a.attnum = s.staattnum
         WHERE s.starelid = $1::int8::oid AND s.stadistinct <> 0
         ORDER BY 1, 2",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| Error::postgres("reading a forecast's column statistics", e))?;
    for c in columns {
        let (attnum, inherit, null_frac, column, table): (i32, bool, f64, String, String) =
            (c.get(0), c.get(1), c.get(2), c.get(3), c.get(4));
        let only = if inherit { "" } else { "ONLY " };
        let sql = format!(
            "SELECT count(*)::float8, count(*) FILTER (WHERE n = 1)::float8, coalesce(sum(n), 0)::float8
             FROM (SELECT count(*) AS n FROM {only}{table} WHERE {column} IS NOT NULL GROUP BY {column}) g"
        );
        // A type without an equality to group by (json, point): ANALYZE kept no count either.
        let Ok(counts) = sqlx::query(AssertSqlSafe(sql)).fetch_one(&mut *conn).await else { continue };
        let (d, f1, n): (f64, f64, f64) = (counts.get(0), counts.get(1), counts.get(2));
        let distinct = project::distinct(n, d, f1, rows, null_frac);
        if distinct == 0.0 {
            continue;
        }
        trim_common_values(conn, oid, attnum, inherit, (distinct, null_frac, sample_rows, rows), d).await?;
        sqlx::query(
            "UPDATE pg_statistic SET stadistinct = $4::float4
             WHERE starelid = $1::int8::oid AND staattnum = $2 AND stainherit = $3",
        )
        .bind(oid)
        .bind(i16::try_from(attnum).unwrap_or(0))
        .bind(inherit)
        .bind(distinct)
        .execute(&mut *conn)
        .await
        .map_err(|e| Error::postgres(format!("projecting the distinct count of {table}.{column}"), e))?;
    }
    Ok(())
}

/// Cut the column's list of most common values (its MCV slot) to those ANALYZE would keep
/// (see [`project::common_values_kept`]); `of` is (distinct, NULL fraction, sample rows,
/// rows) and `seen` the distinct values of the sample. A list holding every value seen
/// of a closed set stays whole, as ANALYZE keeps it.
async fn trim_common_values(
    conn: &mut PgConnection,
    oid: i64,
    attnum: i32,
    inherit: bool,
    of: (f64, f64, f64, f64),
    seen: f64,
) -> Result<()> {
    let (distinct, null_frac, sample_rows, rows) = of;
    let err = |e: sqlx::Error| Error::postgres("projecting a forecast's most common values", e);
    let attnum = i16::try_from(attnum).unwrap_or(0);
    let slots: Vec<(i32, Vec<f32>)> = sqlx::query_as(
        "SELECT k, n FROM pg_statistic s,
                LATERAL (VALUES (1, s.stakind1, s.stanumbers1), (2, s.stakind2, s.stanumbers2),
                                (3, s.stakind3, s.stanumbers3), (4, s.stakind4, s.stanumbers4),
                                (5, s.stakind5, s.stanumbers5)) v(k, kind, n)
         WHERE s.starelid = $1::int8::oid AND s.staattnum = $2 AND s.stainherit = $3 AND v.kind = 1",
    )
    .bind(oid)
    .bind(attnum)
    .bind(inherit)
    .fetch_all(&mut *conn)
    .await
    .map_err(err)?;
    let Some((slot, freqs)) = slots.into_iter().next() else { return Ok(()) };
    #[expect(clippy::cast_precision_loss)]
    let closed = distinct > 0.0 && freqs.len() as f64 >= seen;
    if closed {
        return Ok(());
    }
    let counts: Vec<f64> = freqs.iter().map(|f| f64::from(*f) * sample_rows).collect();
    let kept = project::common_values_kept(&counts, distinct, null_frac, sample_rows, rows);
    if kept == counts.len() {
        return Ok(());
    }
    // The values are rewritten through their text, as the element type reads it.
    let sql = if kept == 0 {
        format!(
            "UPDATE pg_statistic SET stakind{slot} = 0, staop{slot} = 0, stacoll{slot} = 0, stanumbers{slot} = NULL,
                    stavalues{slot} = NULL
             WHERE starelid = $1::int8::oid AND staattnum = $2 AND stainherit = $3"
        )
    } else {
        format!(
            "UPDATE pg_statistic SET stanumbers{slot} = stanumbers{slot}[1:$4],
                    stavalues{slot} = array_in(((stavalues{slot}::text::text[])[1:$4])::text::cstring,
                                               (SELECT oprleft FROM pg_operator WHERE oid = staop{slot}), -1)
             WHERE starelid = $1::int8::oid AND staattnum = $2 AND stainherit = $3"
        )
    };
    sqlx::query(AssertSqlSafe(sql))
        .bind(oid)
        .bind(attnum)
        .bind(inherit)
        .bind(i32::try_from(kept).unwrap_or(i32::MAX))
        .execute(&mut *conn)
        .await
        .map_err(err)?;
    Ok(())
}
