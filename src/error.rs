//! Every failure a user can see: its message, its hint, and its exit code.
//!
//! Bugs panic; everything a user can fix (config, catalog, environment, a failing
//! query) is a variant here. Messages are lowercase fragments that name the file,
//! key or query involved.

use std::fmt::Write as _;
use std::path::PathBuf;

/// Exit code: ran, and nothing falls short.
pub const EXIT_PASS: u8 = 0;
/// Exit code: ran, and at least one query regressed or broke its budget.
pub const EXIT_FAIL: u8 = 1;
/// Exit code: could not run (bad input, no Postgres, a query failed).
pub const EXIT_ERROR: u8 = 2;
/// Exit code after SIGINT (the shell convention, 128 + 2).
pub const EXIT_SIGINT: u8 = 130;
/// Exit code after SIGTERM (128 + 15).
pub const EXIT_SIGTERM: u8 = 143;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The error underneath one of plangate's, kept as its source.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no plangate.toml found in {start} or any parent directory")]
    ConfigNotFound { start: PathBuf },

    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A config problem; `key` is the dotted TOML key, `detail` says what is wrong, and
    /// `source` why, when another error knows.
    #[error("{path}: {key}: {}", with_cause(detail, source.as_deref()))]
    Config {
        path: PathBuf,
        key: String,
        detail: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// The TOML could not be parsed (toml's message has line and column).
    #[error("{path}: {}", source.to_string().trim_end())]
    ConfigSyntax {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },

    #[error("bad argument {flag}: {detail}")]
    Argument { flag: String, detail: String },

    /// A query file of the catalog is unusable.
    #[error("{path}: {detail}")]
    Catalog {
        path: PathBuf,
        detail: String,
        #[source]
        source: Option<Cause>,
    },

    #[error("unknown query `{name}`{hint}")]
    UnknownQuery { name: String, hint: String },

    /// A schema file failed to parse or apply.
    #[error("{path}: {detail}")]
    Schema {
        path: PathBuf,
        detail: String,
        #[source]
        source: Option<Cause>,
    },

    /// A baseline file is unusable.
    #[error("{path}: {detail}")]
    Baseline {
        path: PathBuf,
        detail: String,
        #[source]
        source: Option<Cause>,
    },

    /// A report given to `plangate merge` is unusable, or does not go with the others.
    #[error("{path}: {detail}")]
    Report {
        path: PathBuf,
        detail: String,
        #[source]
        source: Option<Cause>,
    },

    /// A file of production's snapshot is unusable.
    #[error("{path}: {detail}")]
    Snapshot {
        path: PathBuf,
        detail: String,
        #[source]
        source: Option<Cause>,
    },

    /// No way to get a Postgres server.
    #[error("{detail}")]
    NoPostgres {
        detail: String,
        #[source]
        source: Option<Cause>,
    },

    /// The throwaway Postgres could not be started or reached, or refused a statement of
    /// plangate's own.
    #[error("{}", with_cause(what, source.as_deref()))]
    Postgres {
        what: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// The throwaway server died while plangate was using it (killed, out of memory, disk
    /// full): what plangate was doing is only the symptom.
    #[error("{report}\n(what plangate saw: {during})")]
    ServerDied { report: String, during: String },

    /// The throwaway server's file system filled up: where, how full, and how much the world
    /// needs.
    #[error(
        "no space left {place}: this world needs about {needs} (an estimate: 1 kB per row, every scale kept); \
         make room there, point TMPDIR at a file system with more, or use smaller --scales\n(what plangate saw: {during})"
    )]
    NoSpace { place: String, needs: String, during: String },

    /// The world cache's folder cannot be written (a read-only file system, no permission).
    #[error("the world cache {path} cannot be written")]
    CacheUnwritable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A catalog query failed in Postgres.
    #[error("query `{query}` failed at scale {scale}: {message}")]
    QueryFailed {
        query: String,
        scale: f64,
        message: String,
        #[source]
        source: Option<Cause>,
    },

    /// Loading synthetic data failed.
    #[error("loading table `{table}`: {detail}")]
    Load {
        table: String,
        detail: String,
        #[source]
        source: Option<Cause>,
    },

    /// A thread building scales' worlds ended before it said how a scale went (it panicked,
    /// or could not start).
    #[error("building the world of scale {scale} stopped before it was done")]
    WorldStopped { scale: f64 },

    /// The run was interrupted by a signal (SIGINT or SIGTERM).
    #[error("interrupted by {name}; cleaned up")]
    Interrupted { name: &'static str, code: u8 },
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Interrupted { code, .. } => *code,
            _ => EXIT_ERROR,
        }
    }

    /// A hint shown under the message, where one helps.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::ConfigNotFound { .. } => Some("run `plangate init` to write one, or pass --config FILE".to_string()),
            Error::CacheUnwritable { .. } => Some(
                "give --cache-dir (or PLANGATE_CACHE_DIR) a folder plangate can write, or pass --no-cache".to_string(),
            ),
            _ => None,
        }
    }

    /// The same error with `cause` kept as its source, where the message already says it
    /// (a file's detail, a query's failure, a load's rejected value).
    pub(crate) fn because(mut self, cause: impl Into<Cause>) -> Self {
        match &mut self {
            Error::Catalog { source, .. }
            | Error::Schema { source, .. }
            | Error::Baseline { source, .. }
            | Error::Report { source, .. }
            | Error::Snapshot { source, .. }
            | Error::NoPostgres { source, .. }
            | Error::QueryFailed { source, .. }
            | Error::Load { source, .. } => *source = Some(cause.into()),
            _ => {}
        }
        self
    }

    /// No Postgres server to be had, as `detail` says.
    pub(crate) fn no_postgres(detail: impl Into<String>) -> Self {
        Error::NoPostgres { detail: detail.into(), source: None }
    }

    /// A Postgres-side error with context. A database error is kept as a [`DbError`], which
    /// says it as Postgres does.
    pub fn postgres(what: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        let source: Box<dyn std::error::Error + Send + Sync> = Box::new(source);
        let source = match source.downcast::<sqlx::Error>() {
            Ok(db) => Box::new(DbError(*db)),
            Err(other) => other,
        };
        Error::Postgres { what: what.into(), source: Some(source) }
    }

    /// A config error at `key` in `path`.
    pub fn config(path: impl Into<PathBuf>, key: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::Config { path: path.into(), key: key.into(), detail: detail.into(), source: None }
    }

    /// A config error at `key` in `path` that another error explains.
    pub fn config_cause(
        path: impl Into<PathBuf>,
        key: impl Into<String>,
        detail: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Config { path: path.into(), key: key.into(), detail: detail.into(), source: Some(Box::new(source)) }
    }
}

/// `detail: cause`, or either alone: a message that says its cause in one line (the cause
/// stays reachable as the error's source).
/// An error and its causes on one line, each after a colon; a cause the message already
/// says is not said twice. For errors said in a progress line rather than returned.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let cause = s.to_string();
        let cause = cause.trim_end();
        if !text.contains(cause) {
            text.push_str(": ");
            text.push_str(cause);
        }
        source = s.source();
    }
    text
}

fn with_cause(detail: &str, cause: Option<&(dyn std::error::Error + Send + Sync)>) -> String {
    match (detail, cause) {
        (d, None) => d.to_string(),
        ("", Some(c)) => c.to_string(),
        (d, Some(c)) => format!("{d}: {c}"),
    }
}

/// A database error, said as Postgres says it (see [`db_message`]); the sqlx error stays
/// reachable.
#[derive(Debug, thiserror::Error)]
#[error("{}", db_message(.0))]
pub struct DbError(pub sqlx::Error);

/// Where in the statement Postgres says the error is: a 1-based character position.
pub fn db_position(err: &sqlx::Error) -> Option<usize> {
    let sqlx::Error::Database(db) = err else {
        return None;
    };
    match db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()?.position()? {
        sqlx::postgres::PgErrorPosition::Original(p) => Some(p),
        sqlx::postgres::PgErrorPosition::Internal { .. } => None,
    }
}

/// The message of a database error without sqlx's prefix, with Postgres' position when it has one.
pub fn db_message(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(db) => {
            let mut msg = db.message().to_string();
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                if let Some(detail) = pg.detail() {
                    let _ = write!(msg, " ({detail})");
                }
                if let Some(hint) = pg.hint() {
                    let _ = write!(msg, "; hint: {hint}");
                }
            }
            msg
        }
        other => other.to_string(),
    }
}
