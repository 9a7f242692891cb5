//! The command line: the only module that knows clap.

// Doc comments here are `--help` text, where `[default: ...]` is prose, not a link.
#![allow(rustdoc::broken_intra_doc_links)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::config::Format;
use crate::config::{self, BackendChoice, Overrides, Partition};
use crate::error::{Error, Result};

/// PostgreSQL query-plan regression checker.
///
/// Runs a catalog of critical SQL queries with EXPLAIN (ANALYZE, BUFFERS) at several
/// synthetic table scales inside throwaway Postgres instances, and flags sequential
/// scans, spills, misestimates, plan-shape changes and superlinear growth against
/// baselines committed in git.
/// `plangate --version`: the package version and, when built from a repository, the commit.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), env!("PLANGATE_BUILD_COMMIT"));

#[derive(Debug, Parser)]
#[command(name = "plangate", version = VERSION, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// No progress on stderr (errors and the report only).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More on stderr: -v the SQL plangate runs to build the world and what suggest tried,
    /// -vv also every measuring statement.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the catalog, compare with baselines, and gate (exit 1 on a regression).
    Check {
        /// Queries to check (default: the whole catalog).
        queries: Vec<String>,
        #[command(flatten)]
        forecast: ForecastArgs,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Run the catalog and (re)write baselines for the queries that ran.
    Bless {
        /// Queries to bless (default: the whole catalog).
        queries: Vec<String>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// One query's scaling curve over many scales.
    Curve {
        /// The query to draw.
        query: String,
        /// Number of scales, spaced geometrically.
        #[arg(long, default_value_t = 8)]
        points: usize,
        /// The largest scale (default: the largest configured factor).
        #[arg(long)]
        max_scale: Option<f64>,
        /// Also draw the curve as SVG into this file.
        #[arg(long)]
        svg: Option<PathBuf>,
        #[command(flatten)]
        forecast: ForecastArgs,
        /// Where the plan changes between two forecast points, plan sizes between them
        /// (halving the gap this many times) to name where it flips.
        #[arg(long, value_name = "STEPS", requires = "forecast")]
        bisect: Option<u32>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// The full plan of one query at one scale.
    Explain {
        /// The query to explain.
        query: String,
        /// The scale (default: the largest configured factor).
        #[arg(long)]
        scale: Option<f64>,
        /// The case (default: the first).
        #[arg(long)]
        case: Option<String>,
        /// The prepared statement's generic plan (planned without the parameters' values),
        /// run with the case's values, instead of the custom plan.
        #[arg(long)]
        generic: bool,
        #[command(flatten)]
        forecast: ForecastArgs,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Composite-index suggestions, verified by building them.
    Suggest {
        /// Queries to suggest for (default: the whole catalog).
        queries: Vec<String>,
        /// Read a saved `check --format json` report instead of running the catalog first.
        #[arg(long)]
        from: Option<PathBuf>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Run the catalog on two Postgres major versions and report each case whose plan or
    /// work differs on the newer one, worst first (exit 1 when one gets worse past
    /// `regression_ratio`).
    Upgrade {
        /// Queries to compare (default: the whole catalog).
        queries: Vec<String>,
        /// The major version production runs now.
        #[arg(long, value_name = "MAJOR", value_parser = parse_major)]
        from: u32,
        /// The major version it moves to.
        #[arg(long, value_name = "MAJOR", value_parser = parse_major)]
        to: u32,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Combine the JSON reports of partitioned jobs, or of a version matrix run on separate
    /// runners, into one report with the combined verdict (exit 1 when a query fails).
    Merge {
        /// The `check --format json` reports.
        #[arg(required = true, value_name = "REPORT.json")]
        reports: Vec<PathBuf>,
        /// Report format.
        #[arg(long, default_value_t = Format::Terminal, value_parser = format_parser())]
        format: Format,
        /// Write the report there instead of stdout.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// A shell completion script, printed (e.g. `plangate completions bash >
    /// ~/.local/share/bash-completion/completions/plangate`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// The man page (roff), printed (e.g. `plangate man > ~/.local/share/man/man1/plangate.1`).
    Man,
    /// The reaper of a run's containers (plangate starts it itself): removes them when the
    /// run's plangate is gone without saying it cleaned up.
    #[command(name = "__reap-containers", hide = true)]
    ReapContainers {
        /// The run's `dev.plangate.run` label.
        run: String,
    },
    /// Production's statistics beside the world's, per column, at scale 1.0: how closely
    /// the `stats` generators reproduce production's shape, worst first.
    Fidelity {
        /// Only these tables.
        tables: Vec<String>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Write a starting plangate.toml from the schema: every table, and every column with
    /// the generator plangate infers for it.
    Init {
        /// Schema files or folders of migrations (globs) [default: schema/*.sql].
        #[arg(long, value_name = "FILES", num_args = 1..)]
        schema: Vec<String>,
        /// A production database to read, read-only: each table's row count and its columns'
        /// statistics (written to snapshot/), and production's plan for each query. The URL
        /// is never written anywhere. On an initialized repository: refresh the snapshot.
        #[arg(long, value_name = "URL", value_parser = parse_database_url)]
        from_url: Option<String>,
        /// Columns (table.column) whose text values may be written to the snapshot as they
        /// are; others get surrogates that keep order, frequency and width.
        #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
        keep_values: Vec<String>,
        /// Write the top N read queries of production's `pg_stat_statements` to queries/.
        #[arg(long, value_name = "N")]
        queries: Option<usize>,
        /// Write the read queries of sqlx's offline query data (`cargo sqlx prepare`) to
        /// queries/, with their parameters.
        #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = ".sqlx")]
        from_sqlx: Option<PathBuf>,
        /// Production's statistics from FILE, what `pg_dump --statistics-only` (Postgres 18
        /// or later) writes: the snapshot `--from-url` takes, without a connection.
        #[arg(long, value_name = "FILE", conflicts_with = "from_url")]
        from_stats: Option<PathBuf>,
        /// Overwrite an existing config file.
        #[arg(long)]
        force: bool,
        /// Where the schema is read: `--config` (the file to write), `--backend`, `--image`.
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Run the application's tests against a throwaway Postgres and write the reads they
    /// executed to queries/ (`DATABASE_URL` and `PG*` point the tests at it).
    Capture {
        /// Keep only the N most executed reads.
        #[arg(long, value_name = "N")]
        queries: Option<usize>,
        /// Write nothing; exit 1 when the tests executed reads the catalog does not hold.
        #[arg(long)]
        check: bool,
        /// Capture what the tests ran even when they fail.
        #[arg(long)]
        keep_going: bool,
        /// The test command, after `--`.
        #[arg(last = true, required = true, value_name = "CMD")]
        command: Vec<String>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// The world cache: loaded worlds kept between runs.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
        #[command(flatten)]
        cache: CacheArgs,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum CacheAction {
    /// Every cached world: its key, size, last use, Postgres version, scales and rows.
    List,
    /// Remove every cached world no run is using.
    Clear,
    /// Print the cache's folder.
    Dir,
}

/// Where loaded worlds are kept between runs.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "World cache")]
pub struct CacheArgs {
    /// Build the world afresh, and neither read nor write the cache.
    #[arg(long, env = "PLANGATE_NO_CACHE", global = true, value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cache: bool,
    /// The cache's folder [default: `$XDG_CACHE_HOME/plangate`, else `~/.cache/plangate`].
    #[arg(long, value_name = "DIR", env = "PLANGATE_CACHE_DIR", global = true)]
    pub cache_dir: Option<PathBuf>,
    /// The cache's size bound; least recently used worlds are evicted past it [default: 10G].
    #[arg(long, value_name = "SIZE", env = "PLANGATE_CACHE_MAX_SIZE", value_parser = parse_size, global = true)]
    pub cache_max_size: Option<u64>,
}

impl CacheArgs {
    /// The cache to use, or None with `--no-cache` or nowhere to put it.
    pub fn options(&self) -> Option<config::CacheOptions> {
        if self.no_cache {
            return None;
        }
        let dir = self.cache_dir.clone().or_else(crate::cache::default_dir)?;
        Some(config::CacheOptions { dir, max_bytes: self.cache_max_size.unwrap_or(crate::cache::DEFAULT_MAX_BYTES) })
    }
}

fn parse_size(s: &str) -> std::result::Result<u64, String> {
    crate::cache::parse_size(s).ok_or_else(|| "a size in bytes, or with a unit: 500M, 10G, 2GiB".into())
}

/// Options shared by every command that runs queries.
#[derive(Debug, Clone, Default, Args)]
pub struct CommonArgs {
    /// The config file [default: plangate.toml, searched upward].
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Comma-separated scale factors [default: [scales] factors].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub scales: Option<Vec<f64>>,
    /// Where throwaway Postgres comes from.
    #[arg(long, value_enum)]
    pub backend: Option<BackendKind>,
    /// Container image; a comma-separated list (or the flag repeated) runs a version matrix
    /// [default: [database] image, else postgres:17].
    #[arg(long, value_name = "IMAGE", value_delimiter = ',', value_parser = parse_image)]
    pub image: Vec<String>,
    /// Postgres major version for the local backend; a comma-separated list runs a version
    /// matrix. Found on this machine, else fetched once [default: [database] postgres, else
    /// the server found first].
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_major)]
    pub postgres: Vec<u32>,
    /// An existing server; plangate creates and drops its own scratch database there.
    #[arg(
        long,
        value_name = "URL",
        env = "PLANGATE_DATABASE_URL",
        hide_env_values = true,
        value_parser = parse_database_url
    )]
    pub database_url: Option<String>,
    /// Report format.
    #[arg(long, default_value_t = Format::Terminal, value_parser = format_parser())]
    pub format: Format,
    /// Write the report there instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Data seed [default: [scales] seed, else 1].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Run only the K-th of N slices of the catalog (CI matrix).
    #[arg(long, value_name = "K/N")]
    pub partition: Option<Partition>,
    #[command(flatten)]
    pub cache: CacheArgs,
}

/// Sizes past what is loaded, planned only.
#[derive(Debug, Clone, Default, Args)]
pub struct ForecastArgs {
    /// Comma-separated multiples of scale 1.0 planned (plain EXPLAIN) at projected
    /// statistics but never loaded; `none` turns `[scales] forecast` off
    /// [default: [scales] forecast].
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_forecast)]
    pub forecast: Option<Vec<ForecastScale>>,
}

/// One `--forecast` value: a scale, or `none`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ForecastScale {
    Scale(f64),
    None,
}

fn parse_forecast(s: &str) -> std::result::Result<ForecastScale, String> {
    if s == "none" {
        return Ok(ForecastScale::None);
    }
    s.parse::<f64>().map(ForecastScale::Scale).map_err(|_| format!("`{s}` is not a number (or `none`)"))
}

impl ForecastArgs {
    /// Lay `--forecast` over the other flags.
    pub fn apply(&self, mut overrides: Overrides) -> Result<Overrides> {
        let Some(list) = &self.forecast else { return Ok(overrides) };
        let scales: Vec<f64> = list
            .iter()
            .filter_map(|f| match f {
                ForecastScale::Scale(s) => Some(*s),
                ForecastScale::None => None,
            })
            .collect();
        overrides.forecast = Some(if scales.is_empty() {
            Vec::new()
        } else {
            config::validate_factors(scales).map_err(|e| Error::Argument { flag: "--forecast".into(), detail: e.0 })?
        });
        Ok(overrides)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    Auto,
    Container,
    Local,
    Url,
}

impl CommonArgs {
    /// The flags as plain values for the config layer, checked where only the list as a
    /// whole can be (each value was checked by its parser).
    pub fn overrides(&self) -> Result<Overrides> {
        let scales = self
            .scales
            .clone()
            .map(config::validate_factors)
            .transpose()
            .map_err(|e| Error::Argument { flag: "--scales".into(), detail: e.0 })?;
        config::image::check_list(&self.image).map_err(|e| Error::Argument { flag: "--image".into(), detail: e.0 })?;
        let backend = match self.backend {
            Some(BackendKind::Auto) | None => BackendChoice::Auto,
            Some(BackendKind::Container) => BackendChoice::Container,
            Some(BackendKind::Local) => BackendChoice::Local,
            Some(BackendKind::Url) => BackendChoice::Url,
        };
        if backend == BackendChoice::Url && self.database_url.is_none() {
            return Err(Error::Argument {
                flag: "--backend url".into(),
                detail: "needs --database-url or PLANGATE_DATABASE_URL".into(),
            });
        }
        Ok(Overrides {
            config: self.config.clone(),
            scales,
            forecast: None,
            backend,
            images: self.image.clone(),
            postgres: self.postgres.clone(),
            database_url: self.database_url.clone(),
            format: self.format,
            output: self.output.clone(),
            seed: self.seed,
            partition: self.partition,
            cache: self.cache.options(),
        })
    }
}

fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Format::ALL.map(Format::as_str))
        .map(|name| name.parse::<Format>().expect("one of the listed names"))
}

impl CommonArgs {
    /// The overrides of `plangate upgrade`: the two versions, on the local backend unless
    /// the container backend is asked for (then the official image of each version).
    pub fn upgrade_overrides(&self, from: u32, to: u32) -> Result<Overrides> {
        let flag = |detail: &str| Error::Argument { flag: "--from/--to".into(), detail: detail.into() };
        if from == to {
            return Err(flag("name two different major versions"));
        }
        if !self.postgres.is_empty() {
            return Err(flag("--from and --to name the versions; drop --postgres"));
        }
        if !self.image.is_empty() {
            return Err(flag(
                "--from and --to name the versions (on the container backend, their official images); drop --image",
            ));
        }
        let mut o = self.overrides()?;
        o.postgres = vec![from, to];
        match o.backend {
            BackendChoice::Auto | BackendChoice::Local => o.backend = BackendChoice::Local,
            BackendChoice::Container => o.images = vec![format!("postgres:{from}"), format!("postgres:{to}")],
            BackendChoice::Url => {
                return Err(Error::Argument {
                    flag: "--backend url".into(),
                    detail: "an upgrade runs two servers of plangate's own; use the local or container backend".into(),
                });
            }
        }
        Ok(o)
    }
}

fn parse_major(s: &str) -> std::result::Result<u32, config::Invalid> {
    config::parse_major(s)
}

fn parse_image(s: &str) -> std::result::Result<String, config::Invalid> {
    s.parse::<config::image::ImageRef>().map(|_| s.to_string())
}

/// A Postgres URL, checked the way the url backend will read it.
fn parse_database_url(s: &str) -> std::result::Result<String, String> {
    use std::str::FromStr;
    sqlx::postgres::PgConnectOptions::from_str(s).map(|_| s.to_string()).map_err(|e| format!("not a Postgres URL: {e}"))
}
