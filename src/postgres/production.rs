//! Reading a production database, read-only: one `REPEATABLE READ, READ ONLY` transaction
//! (every read sees the same moment) with short statement and lock timeouts and its own
//! application name; no ANALYZE, no EXPLAIN ANALYZE, no temporary objects. The URL is used
//! to connect and never written anywhere.
//!
//! [`statistics`] also reads the throwaway world's statistics, to compare the two.

use std::collections::BTreeMap;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Connection, Row};

use crate::error::{DbError, Error, Result};
use crate::plan::{Explain, shape};
use crate::postgres::url;
use crate::snapshot::{ColumnStats, ExtendedStats, Frequent, TableStats, ValueKind};

/// The application name production's `pg_stat_activity` shows.
const APPLICATION_NAME: &str = "plangate init";

/// The transaction every read happens in.
const READ_ONLY: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
    SET LOCAL statement_timeout = '10s'; SET LOCAL lock_timeout = '1s';
    SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'";

/// A table's size as production's statistics have it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TableRows {
    /// `pg_class.reltuples` (summed over the partitions of a partitioned table).
    Estimated(u64),
    /// Never vacuumed or analyzed: production has no estimate.
    Unknown,
}

/// Everything the statistics say about a database's tables, by plangate's table name
/// (`t`, or `schema.t` outside `public`).
#[derive(Debug, Clone, Default)]
pub struct Statistics {
    pub(crate) sizes: BTreeMap<String, TableRows>,
    /// Tables with an estimate, their pages and their columns' statistics.
    pub tables: BTreeMap<String, TableStats>,
    /// Tables the user may not read: Postgres shows no statistics of their columns.
    pub(crate) unreadable: Vec<String>,
}

/// An open, read-only session on production.
pub(crate) struct Production {
    conn: PgConnection,
    what: String,
}

impl Production {
    /// Connect and open the read-only transaction.
    pub(crate) async fn open(database_url: &str) -> Result<Production> {
        let opts = PgConnectOptions::from_str(database_url)
            .map_err(|e| Error::postgres("the database URL is not a Postgres URL", e))?
            .application_name(APPLICATION_NAME);
        let what = url::describe(database_url);
        let mut conn = url::connect(&opts, &what).await?;
        sqlx::raw_sql(READ_ONLY)
            .execute(&mut conn)
            .await
            .map_err(|e| Error::postgres(format!("cannot open a read-only transaction on {what}"), e))?;
        Ok(Production { conn, what })
    }

    /// The server, as errors name it (no password).
    pub(crate) fn name(&self) -> &str {
        &self.what
    }

    pub(crate) async fn statistics(&mut self) -> Result<Statistics> {
        statistics(&mut self.conn).await.map_err(|e| match e {
            Error::Postgres { what, source } => Error::Postgres { what: format!("{what} on {}", self.what), source },
            other => other,
        })
    }

    /// The shape of production's plan for `sql` with these parameter literals (plain
    /// EXPLAIN of the prepared statement; nothing runs). Errors are Postgres' message.
    pub(crate) async fn plan_shape(
        &mut self,
        sql: &str,
        literals: &[String],
    ) -> std::result::Result<String, PlanError> {
        let run = async {
            sqlx::raw_sql("SAVEPOINT plangate_plan").execute(&mut self.conn).await?;
            sqlx::raw_sql(AssertSqlSafe(format!("PREPARE plangate_production AS {sql}")))
                .execute(&mut self.conn)
                .await?;
            let args = if literals.is_empty() { String::new() } else { format!("({})", literals.join(", ")) };
            let plan: sqlx::types::Json<serde_json::Value> =
                sqlx::query_scalar(AssertSqlSafe(format!("EXPLAIN (FORMAT JSON) EXECUTE plangate_production{args}")))
                    .fetch_one(&mut self.conn)
                    .await?;
            sqlx::raw_sql("DEALLOCATE plangate_production; RELEASE SAVEPOINT plangate_plan")
                .execute(&mut self.conn)
                .await?;
            Ok::<_, sqlx::Error>(plan.0)
        }
        .await;
        match run {
            Ok(plan) => Explain::from_json(&plan).map(|e| shape::shape(&e.plan)).map_err(PlanError::Unreadable),
            Err(e) => {
                let _ =
                    sqlx::raw_sql("ROLLBACK TO SAVEPOINT plangate_plan; DEALLOCATE ALL").execute(&mut self.conn).await;
                Err(PlanError::Refused(DbError(e)))
            }
        }
    }

    /// The top `n` statements of `pg_stat_statements` in this database by total time, with
    /// their calls; None when the extension is not installed or not readable.
    pub(crate) async fn statements(&mut self, n: usize) -> Result<Option<Vec<Statement>>> {
        let installed: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements')")
                .fetch_one(&mut self.conn)
                .await
                .map_err(|e| Error::postgres(format!("cannot read the extensions of {}", self.what), e))?;
        if !installed {
            return Ok(None);
        }
        sqlx::raw_sql("SAVEPOINT plangate_statements").execute(&mut self.conn).await.ok();
        let rows = sqlx::query(
            "SELECT s.query, s.calls::int8 AS calls, s.total_exec_time::float8 AS total_ms
             FROM pg_stat_statements s
             WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND s.query IS NOT NULL
             ORDER BY s.total_exec_time DESC
             LIMIT $1",
        )
        .bind(i64::try_from(n.saturating_mul(20).max(100)).unwrap_or(i64::MAX))
        .fetch_all(&mut self.conn)
        .await;
        match rows {
            Ok(rows) => Ok(Some(
                rows.iter()
                    .map(|r| Statement { sql: r.get("query"), calls: r.get("calls"), total_ms: r.get("total_ms") })
                    .collect(),
            )),
            // Installed but not loaded (shared_preload_libraries), or not readable.
            Err(e) => {
                let _ = sqlx::raw_sql("ROLLBACK TO SAVEPOINT plangate_statements").execute(&mut self.conn).await;
                Err(Error::postgres(format!("cannot read pg_stat_statements on {}", self.what), e))
            }
        }
    }

    /// End the transaction (nothing was written) and disconnect.
    pub(crate) async fn close(mut self) {
        let _ = sqlx::raw_sql("ROLLBACK").execute(&mut self.conn).await;
        let _ = self.conn.close().await;
    }
}

/// A statement `pg_stat_statements` recorded.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub(crate) sql: String,
    pub(crate) calls: i64,
    pub(crate) total_ms: f64,
}

/// Table name as plangate writes it: `t` in `public`, else `schema.t`.
const NAME: &str = "CASE WHEN n.nspname = 'public' THEN c.relname::text ELSE n.nspname || '.' || c.relname END";

/// Sizes and column statistics of every user table of the database `conn` is on.
pub async fn statistics(conn: &mut PgConnection) -> Result<Statistics> {
    let mut out = sizes(conn).await?;
    columns(conn, &mut out).await?;
    order_within_partitions(conn, &mut out).await?;
    extended(conn, &mut out).await?;
    Ok(out)
}

fn err(what: &'static str) -> impl Fn(sqlx::Error) -> Error {
    move |e: sqlx::Error| Error::postgres(format!("cannot read {what}"), e)
}

/// Every table's estimated rows and pages, and whether this user may read it.
async fn sizes(conn: &mut PgConnection) -> Result<Statistics> {
    let sizes = sqlx::query(AssertSqlSafe(format!(
        "SELECT {NAME} AS name,
                CASE WHEN c.relkind = 'p'
                     THEN (SELECT CASE WHEN bool_and(l.reltuples < 0) THEN -1
                                       ELSE sum(GREATEST(l.reltuples, 0)) END::float8
                           FROM pg_partition_tree(c.oid) t JOIN pg_class l ON l.oid = t.relid WHERE t.isleaf)
                     ELSE c.reltuples::float8 END AS rows,
                CASE WHEN c.relkind = 'p'
                     THEN (SELECT sum(l.relpages)::float8 FROM pg_partition_tree(c.oid) t
                           JOIN pg_class l ON l.oid = t.relid WHERE t.isleaf)
                     ELSE c.relpages::float8 END AS pages,
                has_table_privilege(c.oid, 'SELECT') AS readable
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(err("the tables' sizes"))?;
    let mut out = Statistics::default();
    for r in &sizes {
        let name: String = r.get("name");
        let rows: Option<f64> = r.get("rows");
        let pages: Option<f64> = r.get("pages");
        let size = match rows {
            #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Some(n) if n >= 0.0 => TableRows::Estimated(n.round() as u64),
            _ => TableRows::Unknown,
        };
        if !r.get::<bool, _>("readable") {
            out.unreadable.push(name.clone());
        }
        if let TableRows::Estimated(rows) = size {
            #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let pages = pages.unwrap_or(0.0).max(0.0) as u64;
            let t = TableStats {
                format_version: crate::snapshot::FORMAT_VERSION,
                table: name.clone(),
                rows,
                pages,
                columns: BTreeMap::new(),
                extended: Vec::new(),
            };
            out.tables.insert(name.clone(), t);
        }
        out.sizes.insert(name, size);
    }
    Ok(out)
}

/// Each column's `pg_stats` row, for the tables with an estimate.
async fn columns(conn: &mut PgConnection, out: &mut Statistics) -> Result<()> {
    // Values are read as text arrays only for the kinds plangate reproduces.
    let kinds = "(bt.typtype = 'e' OR bt.typname IN ('int2', 'int4', 'int8', 'numeric', 'float4', 'float8', \
                 'timestamp', 'timestamptz', 'date', 'text', 'varchar', 'bpchar', 'citext', 'name', 'bool'))";
    let columns = sqlx::query(AssertSqlSafe(format!(
        "SELECT {NAME} AS tbl, s.attname::text AS col, s.null_frac::float8 AS null_frac,
                s.n_distinct::float8 AS n_distinct, s.avg_width AS avg_width, s.correlation::float8 AS correlation,
                CASE WHEN {kinds} THEN s.most_common_vals::text::text[] END AS mcv,
                CASE WHEN {kinds} THEN s.most_common_freqs::float8[] END AS mcf,
                CASE WHEN {kinds} THEN s.histogram_bounds::text::text[] END AS hist,
                bt.typname::text AS type_name, bt.typtype::text AS type_kind
         FROM pg_stats s
         JOIN pg_namespace n ON n.nspname = s.schemaname
         JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = s.attname
         JOIN pg_type t ON t.oid = a.atttypid
         JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
         WHERE s.inherited = (c.relkind = 'p') AND NOT c.relispartition
           AND s.schemaname NOT IN ('pg_catalog', 'information_schema')"
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(err("the columns' statistics (pg_stats)"))?;
    for r in &columns {
        let Some(table) = out.tables.get_mut(&r.get::<String, _>("tbl")) else { continue };
        let kind = ValueKind::of(&r.get::<String, _>("type_name"), &r.get::<String, _>("type_kind"));
        let mcv: Option<Vec<String>> = r.get("mcv");
        let mcf: Option<Vec<f64>> = r.get("mcf");
        let most_common = mcv
            .unwrap_or_default()
            .into_iter()
            .zip(mcf.unwrap_or_default())
            .map(|(value, freq)| Frequent { value, freq })
            .collect();
        let stats = ColumnStats {
            kind,
            type_name: r.get("type_name"),
            null_frac: r.get("null_frac"),
            n_distinct: r.get("n_distinct"),
            avg_width: u32::try_from(r.get::<i32, _>("avg_width")).unwrap_or(0),
            correlation: r.get("correlation"),
            order_correlation: None,
            most_common,
            histogram: r.get::<Option<Vec<String>>, _>("hist").unwrap_or_default(),
            surrogates: false,
        };
        table.columns.insert(r.get("col"), stats);
    }
    Ok(())
}

/// A partitioned table's order, from its partitions' own statistics.
async fn order_within_partitions(conn: &mut PgConnection, out: &mut Statistics) -> Result<()> {
    // Partitioned tables: the order within the partitions, from their own statistics.
    let within = sqlx::query(AssertSqlSafe(format!(
        "SELECT {NAME} AS tbl, s.attname::text AS col,
                sum(s.correlation::float8 * GREATEST(l.reltuples, 0)::float8)
                    / NULLIF(sum(GREATEST(l.reltuples, 0)::float8), 0) AS c
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_partition_tree(c.oid) t ON t.isleaf
         JOIN pg_class l ON l.oid = t.relid
         JOIN pg_namespace ln ON ln.oid = l.relnamespace
         JOIN pg_stats s ON s.schemaname = ln.nspname AND s.tablename = l.relname AND NOT s.inherited
         WHERE c.relkind = 'p' AND NOT c.relispartition AND s.correlation IS NOT NULL
         GROUP BY 1, 2"
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(err("the partitions' statistics (pg_stats)"))?;
    for r in &within {
        let column =
            out.tables.get_mut(&r.get::<String, _>("tbl")).and_then(|t| t.columns.get_mut(&r.get::<String, _>("col")));
        if let Some(column) = column {
            column.order_correlation = r.get("c");
        }
    }
    Ok(())
}

/// `pg_stats_ext`, without values.
async fn extended(conn: &mut PgConnection, out: &mut Statistics) -> Result<()> {
    let extended = sqlx::query(
        "SELECT CASE WHEN e.schemaname = 'public' THEN e.tablename::text ELSE e.schemaname || '.' || e.tablename END AS tbl,
                e.statistics_name::text AS name, e.attnames::text[] AS columns, e.kinds::text[] AS kinds,
                e.n_distinct::text AS n_distinct, e.dependencies::text AS dependencies
         FROM pg_stats_ext e WHERE NOT e.inherited ORDER BY 1, 2",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(err("the extended statistics (pg_stats_ext)"))?;
    for r in &extended {
        if let Some(table) = out.tables.get_mut(&r.get::<String, _>("tbl")) {
            table.extended.push(ExtendedStats {
                name: r.get("name"),
                columns: r.get::<Option<Vec<String>>, _>("columns").unwrap_or_default(),
                kinds: r.get("kinds"),
                n_distinct: r.get("n_distinct"),
                dependencies: r.get("dependencies"),
            });
        }
    }
    Ok(())
}

/// Why production could not plan a query.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanError {
    /// Postgres refused the statement (said as Postgres says it).
    #[error(transparent)]
    Refused(DbError),
    /// Its EXPLAIN output does not read as a plan.
    #[error("its plan does not read as EXPLAIN's JSON")]
    Unreadable(#[source] serde_json::Error),
}
