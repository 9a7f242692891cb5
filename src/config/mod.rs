//! The config file plus flags and environment, resolved once into [`Settings`].
//!
//! Precedence: flags > environment > plangate.toml > defaults. Everything here is
//! validated before any Postgres starts; errors name the file and the dotted key.

pub(crate) mod catalog;
mod file;
pub(crate) mod generator;
pub(crate) mod image;
mod options;

use file::{ConfigFile, Reader};
pub use options::{BackendChoice, CacheOptions, Format, Invalid, Overrides, Partition};
use std::fmt::Write as _;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::analysis::Thresholds;
use crate::config::generator::GenExpr;
use crate::error::{Error, Result};
use crate::snapshot::Snapshot;
use crate::sqltext::files;
use crate::sqltext::migrations::{self, Migration};

pub(crate) const CONFIG_FILE: &str = "plangate.toml";
pub(crate) const DEFAULT_IMAGE: &str = "postgres:17";
pub(crate) const DEFAULT_FACTORS: [f64; 3] = [0.01, 0.1, 1.0];

/// How many rows a table gets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TableSize {
    /// Rows at scale 1.0; multiplied by the scale factor.
    Scaled(u64),
    /// Does not scale.
    Fixed(u64),
}

impl TableSize {
    /// Rows at scale `s`: at least one row for a non-empty table.
    pub(crate) fn rows_at(self, scale: f64) -> u64 {
        match self {
            TableSize::Fixed(n) => n,
            TableSize::Scaled(0) => 0,
            #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
            TableSize::Scaled(n) => ((n as f64 * scale).round() as u64).max(1),
        }
    }

    /// Rows at scale 1.0 (the production size).
    pub(crate) fn full(self) -> u64 {
        match self {
            TableSize::Fixed(n) | TableSize::Scaled(n) => n,
        }
    }
}

/// A configured table: its size and the generators the user named.
#[derive(Debug, Clone)]
pub(crate) struct TableSpec {
    pub(crate) size: TableSize,
    pub columns: BTreeMap<String, GenExpr>,
    /// Load through the table's triggers and rules.
    pub(crate) fire_triggers: bool,
    /// The foreign-key column whose rows are stored together (None: the default for the table).
    pub(crate) cluster: Option<String>,
}

/// Everything a run needs, resolved once.
#[derive(Debug, Clone)]
pub struct Settings {
    pub(crate) config_path: PathBuf,
    /// The directory holding plangate.toml; relative paths resolve against it.
    pub(crate) root: PathBuf,
    pub backend: BackendChoice,
    pub(crate) images: Vec<String>,
    pub(crate) image_configured: bool,
    /// The Postgres major versions asked for (`[database] postgres`, `--postgres`), in the
    /// order given; empty: whatever server the backend finds.
    pub(crate) postgres: Vec<u32>,
    pub(crate) database_url: Option<String>,
    /// Server settings (GUCs) to mirror production.
    #[expect(clippy::struct_field_names, reason = "the server's settings, not plangate's")]
    pub(crate) pg_settings: Vec<(String, String)>,
    /// The schema's migrations in the order they are applied, each the part its tool
    /// applies going up.
    pub schema: Vec<Migration>,
    /// Scale factors, ascending.
    pub(crate) scales: Vec<f64>,
    /// Forecast scales, ascending, each past the largest of `scales`: planned, never loaded.
    pub(crate) forecast: Vec<f64>,
    /// Where a case's plan flips between two forecast points, plan this many halvings of
    /// the gap (`curve --bisect`).
    pub(crate) forecast_bisect: u32,
    pub seed: u64,
    pub(crate) tables: BTreeMap<String, TableSpec>,
    pub(crate) queries: BTreeMap<String, crate::config::catalog::QuerySection>,
    pub(crate) thresholds: Thresholds,
    pub(crate) format: Format,
    pub(crate) output: Option<PathBuf>,
    /// Run only this slice of the catalog.
    pub(crate) partition: Option<Partition>,
    /// Hash of the config file text, recorded in baselines.
    pub(crate) config_sha256: String,
    /// Production's snapshot (`[snapshot] dir`).
    pub(crate) snapshot_dir: PathBuf,
    /// The world cache; None with `--no-cache`.
    pub(crate) cache: Option<CacheOptions>,
}

impl Settings {
    /// A generous guess at the bytes every scale's world takes together (rows with their
    /// indexes at a kilobyte each), before any is loaded.
    pub(crate) fn world_size_estimate(&self) -> u64 {
        let rows: u64 = self.tables.values().map(|t| self.scales.iter().map(|&s| t.size.rows_at(s)).sum::<u64>()).sum();
        rows.saturating_mul(1024)
    }

    /// Find, read, parse and validate the config, then lay the flags over it.
    pub fn load(args: &Overrides) -> Result<Settings> {
        let config_path = match &args.config {
            Some(p) => p.clone(),
            None => {
                find_config(&std::env::current_dir().map_err(|e| Error::Read { path: PathBuf::from("."), source: e })?)?
            }
        };
        let text = std::fs::read_to_string(&config_path)
            .map_err(|source| Error::Read { path: config_path.clone(), source })?;
        Self::from_text(&config_path, &text, args)
    }

    /// Parse and validate config text as if read from `config_path`.
    pub fn from_text(config_path: &Path, text: &str, args: &Overrides) -> Result<Settings> {
        let file: ConfigFile =
            toml::from_str(text).map_err(|e| Error::ConfigSyntax { path: config_path.to_path_buf(), source: e })?;
        let root = config_path
            .parent()
            .map_or(Path::new("."), |p| if p.as_os_str().is_empty() { Path::new(".") } else { p })
            .to_path_buf();
        let read = Reader { path: config_path };
        let postgres = read.postgres(file.database.postgres, &args.postgres)?;
        let (mut images, image_configured) = read.images(file.database.image, &args.images)?;
        if !image_configured && !postgres.is_empty() {
            // On the container backend, the official image of each version asked for.
            images = postgres.iter().map(|m| format!("postgres:{m}")).collect();
        }
        let pg_settings = read.pg_settings(file.database.settings)?;
        let patterns = file.schema.files.unwrap_or_else(|| vec!["schema/*.sql".to_string()]);
        let format = match file.schema.format.as_deref() {
            None => None,
            Some(name) => Some(migrations::Format::parse(name).ok_or_else(|| {
                let known: Vec<&str> = migrations::Format::ALL.iter().map(|f| f.name()).collect();
                read.err("schema.format", format!("unknown format `{name}` (known: {})", known.join(", ")))
            })?),
        };
        let schema = migrations::read(&root, &patterns, format)
            .map_err(|e| Error::config_cause(config_path, "schema.files", "", e))?;
        let scales = match (&args.scales, file.scales.factors) {
            (Some(scales), _) => scales.clone(),
            (None, Some(factors)) => {
                validate_factors(factors).map_err(|Invalid(detail)| read.err("scales.factors", detail))?
            }
            (None, None) => DEFAULT_FACTORS.to_vec(),
        };
        let forecast = match (&args.forecast, file.scales.forecast) {
            (Some(f), _) => f.clone(),
            (None, Some(f)) if f.is_empty() => Vec::new(),
            (None, Some(f)) => validate_factors(f).map_err(|Invalid(detail)| read.err("scales.forecast", detail))?,
            (None, None) => Vec::new(),
        };
        if let (Some(&f), Some(&largest)) = (forecast.first(), scales.last()) {
            if f <= largest {
                let (place, detail) = (
                    if args.forecast.is_some() { "--forecast" } else { "scales.forecast" },
                    format!(
                        "forecast scale {f} is not past the largest measured scale {largest}: a forecast is planned at \
                         a size that is never loaded"
                    ),
                );
                return Err(if args.forecast.is_some() {
                    Error::Argument { flag: place.into(), detail }
                } else {
                    read.err(place, detail)
                });
            }
        }
        let mut tables = read.tables(file.tables)?;
        let snapshot_dir = root.join(file.snapshot.dir.as_deref().unwrap_or(crate::snapshot::DEFAULT_DIR));
        read.attach_stats(&mut tables, &Snapshot::new(snapshot_dir.clone()))?;
        // Tables and columns the schema files do not declare, before any Postgres starts.
        if let Some(declared) = files::declared_tables(&schema) {
            read.check_declared(&tables, &declared)?;
        }
        validate_thresholds(&file.thresholds).map_err(|(k, d)| read.err(&format!("thresholds.{k}"), d))?;
        // `auto` with a database URL is the url backend.
        let backend = match args.backend {
            BackendChoice::Auto if args.database_url.is_some() => BackendChoice::Url,
            chosen => chosen,
        };
        Ok(Settings {
            config_path: config_path.to_path_buf(),
            root,
            backend,
            images,
            image_configured,
            postgres,
            database_url: args.database_url.clone(),
            pg_settings,
            schema,
            scales,
            forecast,
            forecast_bisect: 0,
            seed: args.seed.or(file.scales.seed).unwrap_or(1),
            tables,
            queries: file.query,
            thresholds: file.thresholds,
            format: args.format,
            output: args.output.clone(),
            partition: args.partition,
            config_sha256: hex_sha256(text.as_bytes()),
            snapshot_dir,
            cache: args.cache.clone(),
        })
    }

    /// The catalog folder.
    pub(crate) fn queries_dir(&self) -> PathBuf {
        self.root.join("queries")
    }

    /// Production's snapshot.
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot::new(self.snapshot_dir.clone())
    }

    /// The baselines folder.
    pub(crate) fn baselines_dir(&self) -> PathBuf {
        self.root.join("baselines")
    }
}

/// Search `plangate.toml` from `start` upward.
pub(crate) fn find_config(start: &Path) -> Result<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(CONFIG_FILE);
        if candidate.is_file() {
            return Ok(candidate);
        }
        dir = d.parent();
    }
    Err(Error::ConfigNotFound { start: start.to_path_buf() })
}

/// Scale factors, checked, ascending.
pub(crate) fn validate_factors(mut scales: Vec<f64>) -> std::result::Result<Vec<f64>, Invalid> {
    if scales.is_empty() {
        return Err(Invalid("needs at least one scale factor".into()));
    }
    for &f in &scales {
        if !f.is_finite() || f <= 0.0 {
            return Err(Invalid(format!("scale factor {f} must be a positive number")));
        }
        if f > 1000.0 {
            return Err(Invalid(format!("scale factor {f} is larger than 1000")));
        }
    }
    scales.sort_by(f64::total_cmp);
    let before = scales.len();
    scales.dedup();
    if scales.len() != before {
        return Err(Invalid("scale factors must not repeat".into()));
    }
    Ok(scales)
}

fn validate_thresholds(t: &Thresholds) -> std::result::Result<(), (&'static str, String)> {
    if t.regression_ratio.is_nan() || t.regression_ratio <= 1.0 {
        return Err(("regression_ratio", format!("{} must be greater than 1", t.regression_ratio)));
    }
    if t.growth_slack.is_nan() || t.growth_slack < 0.0 {
        return Err(("growth_slack", format!("{} must not be negative", t.growth_slack)));
    }
    if t.misestimate_factor.is_nan() || t.misestimate_factor <= 1.0 {
        return Err(("misestimate_factor", format!("{} must be greater than 1", t.misestimate_factor)));
    }
    Ok(())
}

/// Lowercase hex SHA-256.
pub(crate) fn hex_sha256(bytes: &[u8]) -> String {
    hex_digest(&Sha256::digest(bytes))
}

/// Lowercase hex of a digest.
pub(crate) fn hex_digest(digest: &[u8]) -> String {
    digest.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The oldest Postgres major plangate runs on.
pub(crate) const OLDEST_POSTGRES: u32 = 13;

/// A Postgres major version as a user writes it ("18"); plangate runs on 13 and newer.
pub fn parse_major(text: &str) -> std::result::Result<u32, Invalid> {
    let t = text.trim();
    match t.parse::<u32>() {
        Ok(m) if m >= OLDEST_POSTGRES => Ok(m),
        Ok(m) => Err(Invalid(format!("Postgres {m} is older than plangate supports ({OLDEST_POSTGRES} and newer)"))),
        Err(_) => Err(Invalid(format!("`{t}` is not a Postgres major version (such as 15 or 18)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("schema")).unwrap();
        std::fs::write(dir.path().join("schema/a.sql"), "create table t (id int);").unwrap();
        let path = dir.path().join("plangate.toml");
        Settings::from_text(&path, text, &Overrides::default())
    }

    #[test]
    fn defaults_apply_to_an_empty_config() {
        let s = parse("").unwrap();
        assert_eq!(s.scales, vec![0.01, 0.1, 1.0]);
        assert_eq!(s.seed, 1);
        assert_eq!(s.thresholds.repeats.get(), 5);
        assert_eq!(s.images, vec!["postgres:17"]);
        assert!(!s.image_configured);
    }

    #[test]
    fn unknown_key_names_the_key_and_line() {
        let err = parse("[scales]\nfactor = [1.0]\n").unwrap_err().to_string();
        assert!(err.contains("unknown field `factor`"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn bad_factor_is_rejected() {
        let err = parse("[scales]\nfactors = [0.1, -1.0]\n").unwrap_err().to_string();
        assert!(err.contains("scales.factors"), "{err}");
        assert!(err.contains("positive"), "{err}");
    }

    #[test]
    fn unknown_generator_names_table_and_column() {
        let err = parse("[tables.t]\nrows = 10\n[tables.t.columns]\nid = \"bogus(1)\"\n").unwrap_err().to_string();
        assert!(err.contains("tables.t.columns.id"), "{err}");
        assert!(err.contains("bogus"), "{err}");
    }

    #[test]
    fn ref_to_unfilled_table_names_both() {
        let err = parse("[tables.t]\nrows = 10\n[tables.t.columns]\nid = \"ref(u.id)\"\n").unwrap_err().to_string();
        assert!(err.contains("tables.t.columns.id"), "{err}");
        assert!(err.contains("`u`"), "{err}");
    }

    #[test]
    fn table_size_scales_and_rounds() {
        assert_eq!(TableSize::Scaled(340_000).rows_at(0.01), 3_400);
        assert_eq!(TableSize::Scaled(10).rows_at(0.001), 1);
        assert_eq!(TableSize::Fixed(400).rows_at(0.01), 400);
    }

    #[test]
    fn partition_parses() {
        assert_eq!("2/3".parse::<Partition>().unwrap(), Partition { index: 2, count: 3 });
        assert!("0/3".parse::<Partition>().is_err());
        assert!("4/3".parse::<Partition>().is_err());
        assert!("x".parse::<Partition>().is_err());
    }
}
