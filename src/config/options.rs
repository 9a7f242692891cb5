//! Options of a run that are not the config file's: what the command line lays over it.

use std::path::PathBuf;

/// Which backend to use, after `auto` is resolved later against the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    #[default]
    Auto,
    Container,
    Local,
    Url,
}

/// What the command line lays over the config file: plain values, already checked one by
/// one where they were given (the config file's own values are checked here).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// The config file; searched upward from the working directory when None.
    pub config: Option<PathBuf>,
    /// Scale factors, ascending, without repeats (see [`crate::config::validate_factors`]).
    pub scales: Option<Vec<f64>>,
    /// Forecast scales, ascending, without repeats; Some(empty) turns the config's off.
    pub forecast: Option<Vec<f64>>,
    pub backend: BackendChoice,
    /// Images, each a valid reference (see [`crate::config::image::ImageRef`]); empty: the config's.
    pub images: Vec<String>,
    /// Postgres major versions for the local backend; empty: the config's.
    pub postgres: Vec<u32>,
    pub database_url: Option<String>,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub seed: Option<u64>,
    pub partition: Option<Partition>,
    /// The world cache; None with `--no-cache`.
    pub cache: Option<CacheOptions>,
}

/// Where the world cache lives and how large it may grow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheOptions {
    pub(crate) dir: PathBuf,
    pub(crate) max_bytes: u64,
}

/// One slice of the catalog: the `index`-th (from 1) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub(crate) index: usize,
    pub(crate) count: usize,
}

impl std::str::FromStr for Partition {
    type Err = Invalid;

    /// `K/N` with 1 <= K <= N.
    fn from_str(s: &str) -> Result<Partition, Invalid> {
        let bad = || Invalid(format!("expected K/N with 1 <= K <= N, got `{s}`"));
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Partition { index, count })
    }
}

/// A value that is not valid where it was given; the caller names the place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Terminal,
    Json,
    Markdown,
    Junit,
    Github,
    Html,
}

impl Format {
    /// Every format, in the order help lists them.
    pub(crate) const ALL: [Format; 6] =
        [Format::Terminal, Format::Json, Format::Markdown, Format::Junit, Format::Github, Format::Html];

    /// The format's name, as `--format` takes it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Format::Terminal => "terminal",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Junit => "junit",
            Format::Github => "github",
            Format::Html => "html",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Format, Invalid> {
        Format::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| Invalid(format!("unknown format `{s}`")))
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
