//! The throwaway server side of a capture: the schema and `pg_stat_statements` set up, a
//! password for TCP clients, the test command run against it, and what the server counted
//! and logged read back (with the tests' own schema when none is configured).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sqlx::{AssertSqlSafe, Connection, PgConnection};

use super::{Counted, classify, logged_statements};
use crate::config::Settings;
use crate::datagen::schema::Catalog;
use crate::error::{Error, Result};
use crate::postgres::{Server, schema};

/// The database the schema is applied in to read it; the tests get their own.
pub(crate) const SCHEMA_DB: &str = "plangate_schema";
/// The database `DATABASE_URL` names.
pub(crate) const APP_DB: &str = "postgres";

/// The database the tests' reads ran on: of every database of the server, the one whose
/// schema holds the tables of the most captured reads; with its schema.
pub(crate) async fn tests_database(server: &Server, counted: &[Counted]) -> Result<(String, Catalog)> {
    let mut admin = server.connect().await?;
    let databases: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE NOT datistemplate AND datname <> $1 ORDER BY datname",
    )
    .bind(SCHEMA_DB)
    .fetch_all(&mut admin)
    .await
    .map_err(|e| Error::postgres("listing the tests' databases", e))?;
    let _ = admin.close().await;
    let mut best: Option<(usize, String, Catalog)> = None;
    for db in databases {
        let mut conn = server.connect_to(&db).await?;
        let catalog = crate::datagen::schema::read(&mut conn).await?;
        let _ = conn.close().await;
        let reads = counted.iter().filter(|c| classify(&c.text, &catalog).is_ok()).count();
        if best.as_ref().is_none_or(|(n, _, _)| reads > *n) {
            best = Some((reads, db, catalog));
        }
    }
    let (_, db, catalog) =
        best.ok_or_else(|| Error::postgres("the server has no database", std::io::Error::other("none")))?;
    Ok((db, catalog))
}

/// The schema in its own database (to read it back), `pg_stat_statements`, and the
/// password for TCP clients, set where the statement log does not see it.
pub(crate) async fn prepare(server: &Server, settings: &Settings, password: &str) -> Result<()> {
    let mut admin = server.connect().await?;
    let setup = [
        "SET log_min_duration_statement = -1".to_string(),
        format!("ALTER USER postgres PASSWORD '{password}'"),
        format!("CREATE DATABASE {SCHEMA_DB}"),
    ];
    for sql in setup {
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .map_err(|e| Error::postgres("preparing the server", e))?;
    }
    let _ = admin.close().await;
    if !settings.schema.is_empty() {
        let mut conn = server.connect_to(SCHEMA_DB).await?;
        schema::apply(&mut conn, &settings.schema, schema::Target::Throwaway).await?;
        let _ = conn.close().await;
    }
    let mut app = server.connect_to(APP_DB).await?;
    sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        .execute(&mut app)
        .await
        .map_err(|e| Error::postgres("creating pg_stat_statements", e))?;
    let _ = app.close().await;
    Ok(())
}

/// Run the tests with the server's address in the environment; their output streams through.
pub(crate) async fn run_command(
    program: &str,
    args: &[String],
    (host, port): (&str, u16),
    password: &str,
) -> Result<std::process::ExitStatus> {
    let url = format!("postgres://postgres:{password}@{host}:{port}/{APP_DB}");
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .env("DATABASE_URL", &url)
        .env("PGHOST", host)
        .env("PGPORT", port.to_string())
        .env("PGUSER", "postgres")
        .env("PGPASSWORD", password)
        .env("PGDATABASE", APP_DB)
        .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|source| Error::Argument {
        flag: "CMD".into(),
        detail: format!("cannot run `{program}`: {source}"),
    })?;
    child.wait().await.map_err(|e| Error::postgres(format!("waiting for `{program}`"), e))
}

/// Every top-level statement counted, in every database but the schema's.
pub(crate) async fn read_counted(conn: &mut PgConnection) -> Result<Vec<Counted>> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT s.queryid, s.query, s.calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid \
         WHERE s.toplevel AND d.datname <> $1 AND s.queryid IS NOT NULL AND s.query NOT LIKE '%pg_stat_statements%'",
    )
    .bind(SCHEMA_DB)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| Error::postgres("reading pg_stat_statements", e))?;
    Ok(rows.into_iter().map(|(query_id, text, calls)| Counted { query_id, text, calls }).collect())
}

/// The server's statement log, once the collector has written all of it.
pub(crate) async fn read_log(conn: &mut PgConnection) -> Result<BTreeMap<i64, Vec<String>>> {
    let read = async |conn: &mut PgConnection| -> Result<String> {
        sqlx::query_scalar("SELECT coalesce(pg_read_file(pg_current_logfile('csvlog')), '')")
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| Error::postgres("reading the server's statement log", e))
    };
    let mut text = read(conn).await?;
    // The collector writes what the backends send it: wait until the file stops growing.
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let again = read(conn).await?;
        if again.len() == text.len() {
            break;
        }
        text = again;
    }
    Ok(logged_statements(&text))
}

/// 32 hex digits from the system's random source: never written anywhere, gone with the server.
pub(crate) fn random_password() -> Result<String> {
    use std::io::Read as _;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::postgres("cannot read /dev/urandom for a password", e))?;
    Ok(bytes.iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    }))
}

/// A TCP port on 127.0.0.1 that nothing listens on now.
pub(crate) fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::postgres("cannot find a free TCP port on 127.0.0.1", e))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| Error::postgres("cannot find a free TCP port on 127.0.0.1", e))
}
