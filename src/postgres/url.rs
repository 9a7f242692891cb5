//! The url backend: an existing server. plangate creates a scratch database with a unique
//! name there, works only inside it, and drops it at the end (also on error and on signals).

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Connection};

use crate::error::{Error, Result};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A scratch database on an existing server. Dropped (with FORCE) on drop.
#[derive(Debug)]
pub(crate) struct ScratchDb {
    admin: PgConnectOptions,
    pub name: String,
    dropped: bool,
}

/// The host part of a URL, for messages (never the password).
pub(crate) fn describe(url: &str) -> String {
    match PgConnectOptions::from_str(url) {
        Ok(o) => format!("{}:{}", o.get_host(), o.get_port()),
        Err(_) => "the given database URL".into(),
    }
}

/// Connect with a timeout, so an unreachable server fails in seconds.
pub async fn connect(opts: &PgConnectOptions, what: &str) -> Result<PgConnection> {
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(opts)).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(Error::postgres(format!("cannot connect to {what}"), e)),
        Err(_) => Err(Error::Postgres {
            what: format!("cannot connect to {what}: no answer within {} s", CONNECT_TIMEOUT.as_secs()),
            source: None,
        }),
    }
}

impl ScratchDb {
    /// Create a uniquely named scratch database on the server at `url`.
    pub(crate) async fn create(url: &str) -> Result<ScratchDb> {
        let admin = PgConnectOptions::from_str(url)
            .map_err(|e| Error::postgres("the database URL is not a Postgres URL", e))?;
        let mut conn = connect(&admin, &describe(url)).await?;
        let name = format!("plangate_{}_{:08x}", std::process::id(), rand::random::<u32>());
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .map_err(|e| Error::postgres(format!("cannot create scratch database {name} on {}", describe(url)), e))?;
        let _ = conn.close().await;
        Ok(ScratchDb { admin, name, dropped: false })
    }

    /// How to connect to the scratch database.
    pub(crate) fn connect_options(&self) -> PgConnectOptions {
        self.admin.clone().database(&self.name)
    }

    /// The scratch database's name; its copies (writes are measured in them) are named
    /// after it, `<name>_<suffix>`, and dropped with it.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Drop the scratch database now.
    pub(crate) async fn drop_now(&mut self) -> Result<()> {
        if self.dropped {
            return Ok(());
        }
        self.dropped = true;
        let mut conn = connect(&self.admin, "the server to drop the scratch database").await?;
        let copies: Vec<String> =
            sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE starts_with(datname::text, $1)")
                .bind(format!("{}_", self.name))
                .fetch_all(&mut conn)
                .await
                .map_err(|e| Error::postgres("cannot list the scratch database's copies", e))?;
        for db in copies.iter().chain(std::iter::once(&self.name)) {
            sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")))
                .execute(&mut conn)
                .await
                .map_err(|e| Error::postgres(format!("cannot drop scratch database {db}"), e))?;
        }
        let _ = conn.close().await;
        Ok(())
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // Drop can run inside the async runtime (an error, a signal): do the async work on a
        // thread of its own with a runtime of its own.
        let mut me = ScratchDb { admin: self.admin.clone(), name: self.name.clone(), dropped: false };
        self.dropped = true;
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(me.drop_now()).err()
        })
        .join();
        if let Ok(Some(err)) = done {
            eprintln!("warning: {err}");
        }
    }
}
