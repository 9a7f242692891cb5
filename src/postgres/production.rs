//! Reading a production database, read-only: one `READ ONLY` transaction with short
//! statement and lock timeouts and its own application name; no ANALYZE, no EXPLAIN
//! ANALYZE, no temporary objects. The URL is used to connect and never written anywhere.

use std::collections::BTreeMap;
use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, Row};

use crate::error::{Error, Result};
use crate::postgres::url;

/// The application name production's `pg_stat_activity` shows.
const APPLICATION_NAME: &str = "plangate init";

/// A table's size as production's statistics have it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TableRows {
    /// `pg_class.reltuples` (summed over the partitions of a partitioned table).
    Estimated(u64),
    /// Never vacuumed or analyzed: production has no estimate.
    Unknown,
}

/// Every user table's estimated rows, by plangate's table name (`t`, or `schema.t` outside
/// `public`).
pub async fn table_rows(database_url: &str) -> Result<BTreeMap<String, TableRows>> {
    let opts = PgConnectOptions::from_str(database_url)
        .map_err(|e| Error::postgres("the database URL is not a Postgres URL", e))?
        .application_name(APPLICATION_NAME);
    let what = url::describe(database_url);
    let mut conn = url::connect(&opts, &what).await?;
    let mut tx = conn.begin().await.map_err(|e| Error::postgres(format!("cannot read {what}"), e))?;
    let read = async {
        sqlx::raw_sql("SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = '10s'; SET LOCAL lock_timeout = '1s'")
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END AS name,
                    CASE WHEN c.relkind = 'p'
                         THEN (SELECT CASE WHEN bool_and(l.reltuples < 0) THEN -1
                                           ELSE sum(GREATEST(l.reltuples, 0)) END::float8
                               FROM pg_partition_tree(c.oid) t JOIN pg_class l ON l.oid = t.relid
                               WHERE t.isleaf)
                         ELSE c.reltuples::float8 END AS rows
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'",
        )
        .fetch_all(&mut *tx)
        .await
    }
    .await
    .map_err(|e| Error::postgres(format!("cannot read the tables' sizes from {what}"), e))?;
    let _ = tx.rollback().await;
    let _ = conn.close().await;
    Ok(read
        .into_iter()
        .map(|r| {
            let rows: Option<f64> = r.get("rows");
            let size = match rows {
                #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Some(n) if n >= 0.0 => TableRows::Estimated(n.round() as u64),
                _ => TableRows::Unknown,
            };
            (r.get::<String, _>("name"), size)
        })
        .collect())
}
