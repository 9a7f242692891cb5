//! Rows into Postgres: COPY from the generators, the staging path for rows that must be
//! distinct, why Postgres refused a row, and quoting.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use sqlx::AssertSqlSafe;
use sqlx::postgres::PgConnection;

use crate::datagen::generate::TableGen;
use crate::datagen::model::DistinctKey;
use crate::datagen::wire;
use crate::error::{DbError, Error, Result, db_message};
use crate::sqltext::{quote_ident, quote_qualified};

/// Bytes per COPY chunk.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks buffered between the generator thread and the connection.
const CHANNEL_CHUNKS: usize = 4;
/// ANALYZE samples 300 rows per unit of statistics target; the target is raised so that
/// the sample is the whole table (up to 3M rows), which makes statistics, and so plans,
/// repeat exactly from run to run.
const MAX_STATISTICS_TARGET: u64 = 10_000;

/// The statistics target whose ANALYZE sample is the whole of a `rows`-row table (up to 3M rows).
pub(crate) fn statistics_target(rows: u64) -> u64 {
    rows.div_ceil(300).clamp(100, MAX_STATISTICS_TARGET)
}

/// Move the staging table's rows into `table`, keeping the first row (in load order) of each
/// key in `keys` that the table does not have yet. Returns the rows added.
///
/// Each key's parts and predicate are computed on the staged rows once; a row the
/// predicate does not pick stands apart (its place in the load is its key), so that only
/// the rows a partial index covers are made distinct.
pub(crate) async fn insert_distinct(
    conn: &mut PgConnection,
    table: &str,
    columns: &[String],
    keys: &[DistinctKey],
) -> Result<u64> {
    let cols = column_list(columns);
    let mut computed = String::new();
    for (i, key) in keys.iter().enumerate() {
        for (j, e) in key.exprs.iter().enumerate() {
            let _ = write!(computed, ", ({e}) AS plangate_k{i}_{j}");
        }
        let _ = write!(computed, ", ({}) IS TRUE AS plangate_p{i}", key.predicate.as_deref().unwrap_or("true"));
    }
    let mut sql = format!("SELECT {cols}, ctid AS plangate_order{computed} FROM plangate_stage");
    for (i, key) in keys.iter().enumerate() {
        let parts: Vec<String> = (0..key.exprs.len()).map(|j| format!("plangate_k{i}_{j}")).collect();
        let on = format!("CASE WHEN plangate_p{i} THEN NULL ELSE plangate_order END, {}", parts.join(", "));
        // The table's keys are computed in a derived table and compared there, so that the
        // NOT EXISTS holds no function call (a function not marked immutable keeps Postgres
        // from making it a hashed anti join: it would scan the table once per staged row).
        let keys: Vec<String> = key.exprs.iter().enumerate().map(|(j, e)| format!("({e}) AS k{j}")).collect();
        let covered = key.predicate.as_ref().map(|p| format!(" WHERE {p}")).unwrap_or_default();
        let matches: Vec<String> = parts.iter().enumerate().map(|(j, p)| format!("t.k{j} = s.{p}")).collect();
        sql = format!(
            "SELECT DISTINCT ON ({on}) * FROM ({sql}) s \
             WHERE NOT EXISTS (SELECT 1 FROM (SELECT {} FROM {}{covered}) t WHERE s.plangate_p{i} AND {}) \
             ORDER BY {on}, plangate_order",
            keys.join(", "),
            quote_qualified(table),
            matches.join(" AND ")
        );
    }
    let insert =
        format!("INSERT INTO {} ({cols}) SELECT {cols} FROM ({sql}) s ORDER BY plangate_order", quote_qualified(table));
    sqlx::raw_sql(AssertSqlSafe(insert)).execute(&mut *conn).await.map(|r| r.rows_affected()).map_err(|e| Error::Load {
        table: table.to_string(),
        detail: rejected_value(table, &e),
        source: Some(Box::new(DbError(e))),
    })
}

pub(crate) fn column_list(columns: &[String]) -> String {
    columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ")
}

/// Stream rows [start, end) of one table (or into `target` instead) through COPY: in the
/// binary format where every column can take it (the server then parses nothing), else in
/// text. A value the binary encoding refuses (one out of its type's range) is sent again in
/// text, so that the error is the server's own.
pub(crate) async fn copy_rows(
    conn: &mut PgConnection,
    g: Arc<TableGen>,
    target: Option<&str>,
    sent: &mut dyn FnMut(u64),
) -> Result<u64> {
    if g.binary() {
        if let Some(rows) = copy_in(conn, Arc::clone(&g), target, sent, true).await? {
            return Ok(rows);
        }
    }
    Ok(copy_in(conn, g, target, sent, false).await?.unwrap_or(0))
}

/// One COPY of the table's rows, in binary or text; None when a value had no binary form
/// (the COPY is abandoned: none of its rows are kept).
async fn copy_in(
    conn: &mut PgConnection,
    g: Arc<TableGen>,
    target: Option<&str>,
    sent: &mut dyn FnMut(u64),
    binary: bool,
) -> Result<Option<u64>> {
    let stmt = format!(
        "COPY {} ({}) FROM STDIN{}",
        target.map_or_else(|| quote_qualified(&g.name), str::to_string),
        column_list(&g.columns),
        if binary { " (FORMAT binary)" } else { "" }
    );
    // A chunk and its rows, or None: a value the binary format cannot carry.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Option<(Vec<u8>, u64)>>(CHANNEL_CHUNKS);
    let producer = {
        let g = Arc::clone(&g);
        tokio::task::spawn_blocking(move || {
            let mut row = g.start;
            let mut scratch = Vec::with_capacity(256);
            let mut buf = Vec::with_capacity(CHUNK_BYTES + CHUNK_BYTES / 8);
            if binary {
                buf.extend_from_slice(wire::HEADER);
            }
            loop {
                let first = row;
                while row < g.end && buf.len() < CHUNK_BYTES {
                    let to = (row + 256).min(g.end);
                    if binary {
                        if g.write_rows_binary(row, to, &mut buf, &mut scratch).is_err() {
                            let _ = tx.blocking_send(None);
                            return;
                        }
                    } else {
                        g.write_rows(row, to, &mut buf);
                    }
                    row = to;
                }
                let last = row >= g.end;
                if last && binary {
                    buf.extend_from_slice(wire::TRAILER);
                }
                let next = if last { Vec::new() } else { Vec::with_capacity(CHUNK_BYTES + CHUNK_BYTES / 8) };
                let chunk = std::mem::replace(&mut buf, next);
                if tx.blocking_send(Some((chunk, row - first))).is_err() || last {
                    return;
                }
            }
        })
    };
    let load_err = |e: sqlx::Error| Error::Load {
        table: g.name.clone(),
        detail: rejected_value(&g.name, &e),
        source: Some(Box::new(DbError(e))),
    };
    let mut copy = conn.copy_in_raw(&stmt).await.map_err(load_err)?;
    while let Some(next) = rx.recv().await {
        let Some((chunk, rows)) = next else {
            let _ = producer.await;
            let _ = copy.abort("a value has no binary form").await;
            return Ok(None);
        };
        sent(rows);
        if let Err(e) = copy.send(chunk).await {
            drop(rx);
            let _ = producer.await;
            let _ = copy.abort("plangate stopped sending").await;
            return Err(load_err(e));
        }
    }
    let _ = producer.await;
    copy.finish().await.map(Some).map_err(load_err)
}

/// Why Postgres refused a generated row, loaded by COPY or from the staging table: its
/// message, the column it names (COPY's context says "COPY t, line 5, column c: ..."; an
/// INSERT's error names the column itself), and what to do about it.
fn rejected_value(table: &str, e: &sqlx::Error) -> String {
    let mut msg = db_message(e);
    let pg = match e {
        sqlx::Error::Database(db) => db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>(),
        _ => None,
    };
    let column = pg
        .and_then(|pg| pg.r#where())
        .and_then(|w| w.split(", column ").nth(1))
        .and_then(|c| c.split(':').next())
        .map(str::to_string)
        .or_else(|| pg.and_then(|pg| pg.column()).map(str::to_string));
    let key = crate::datagen::model::toml_key(table);
    let hint = if msg.contains("no partition of relation") {
        format!(
            "; the partition key's generator in [tables.{key}.columns] must stay within the partitions' bounds \
             (for a time range: timestamp(from = \"...\", to = \"...\"))"
        )
    } else {
        // A check (a domain's too), NOT NULL, a bad value for the type, a too long string.
        match (pg.map(sqlx::postgres::PgDatabaseError::code), column) {
            (Some("23514" | "23502" | "22P02" | "22001" | "22003" | "22007" | "22008"), Some(c)) => {
                format!(" (column `{c}`); give it a generator whose values it takes in [tables.{key}.columns]")
            }
            (Some("23514"), None) => format!("; give the columns it checks generators in [tables.{key}.columns]"),
            _ => String::new(),
        }
    };
    msg.push_str(&hint);
    msg
}

pub(crate) async fn exec(conn: &mut PgConnection, sql: &str, what: &str) -> Result<()> {
    crate::progress::sql(1, sql);
    sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(|e| Error::postgres(format!("{what} ({sql})"), e))
}

pub(crate) fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}
