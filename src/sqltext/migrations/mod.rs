//! The user's schema as its migration tool keeps it: which migrations, in the tool's order,
//! and which part of each the tool applies going up. Read without Postgres.
//!
//! A `[schema] files` entry is a glob (its files applied in version order) or a folder,
//! whose layout is recognised by what is in it: goose's and dbmate's markers, Diesel's and
//! Prisma's folder per migration, Atlas's `atlas.sum`, sqitch's `sqitch.plan`, Flyway's
//! `V1__` names, golang-migrate's and sqlx's `.up.sql`, else a folder of plain numbered
//! files. `[schema] format` says which when the guess is not wanted.

mod markers;
mod sqitch;

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

pub(crate) use markers::MarkerError;
use markers::Markers;

/// A migration tool's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Plain,
    Goose,
    Dbmate,
    Diesel,
    Prisma,
    Atlas,
    Sqitch,
    Flyway,
    GolangMigrate,
    Sqlx,
}

impl Format {
    pub const ALL: [Format; 10] = [
        Format::Goose,
        Format::Dbmate,
        Format::Diesel,
        Format::Prisma,
        Format::Atlas,
        Format::Sqitch,
        Format::Flyway,
        Format::GolangMigrate,
        Format::Sqlx,
        Format::Plain,
    ];

    /// The name `[schema] format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Plain => "plain",
            Format::Goose => "goose",
            Format::Dbmate => "dbmate",
            Format::Diesel => "diesel",
            Format::Prisma => "prisma",
            Format::Atlas => "atlas",
            Format::Sqitch => "sqitch",
            Format::Flyway => "flyway",
            Format::GolangMigrate => "golang-migrate",
            Format::Sqlx => "sqlx",
        }
    }

    /// The format `[schema] format` names.
    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// How the format's files mark their up part.
    fn markers(self) -> Markers {
        match self {
            Format::Goose => Markers::Goose,
            Format::Dbmate => Markers::Dbmate,
            Format::Atlas => Markers::Atlas,
            _ => Markers::None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One migration, as its tool applies it going up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The file read.
    pub path: PathBuf,
    /// The tool's own name for the migration (its file, folder or sqitch change).
    pub name: String,
    pub format: Format,
    /// The text to apply: the file with what the tool does not apply going up blanked in
    /// place, so that lines and columns are the file's.
    pub sql: String,
    /// Byte ranges of `sql` that go to the server as one statement (goose's statement
    /// blocks, atlas's delimited statements).
    pub groups: Vec<Range<usize>>,
}

impl Migration {
    /// How an error in this migration is introduced: the tool's migration name, where the
    /// file's own name does not say it.
    pub fn label(&self) -> Option<String> {
        (self.format != Format::Plain).then(|| format!("{} migration `{}`", self.format, self.name))
    }
}

/// A `[schema] files` entry that cannot be read as migrations.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MigrationsError {
    #[error("cannot read folder {}", .path.display())]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("bad pattern `{pattern}`")]
    Pattern {
        pattern: String,
        #[source]
        source: glob::PatternError,
    },
    #[error("`{pattern}` matches no schema file (relative to {})", .root.display())]
    NoMatch { pattern: String, root: PathBuf },
    #[error(
        "{} could be a {first} folder ({first_why}) or a {second} folder ({second_why}); \
         say which with [schema] format = \"{first}\" or \"{second}\"",
        .path.display()
    )]
    Ambiguous { path: PathBuf, first: Format, first_why: String, second: Format, second_why: String },
    #[error("{}: {source}", .path.display())]
    Markers {
        path: PathBuf,
        #[source]
        source: MarkerError,
    },
    #[error("{}: line {line}: {detail}", .path.display())]
    Plan { path: PathBuf, line: usize, detail: String },
    #[error("{} is not there, but {} lists it", .path.display(), .listed_in.display())]
    Missing { path: PathBuf, listed_in: PathBuf },
    #[error("{} is not listed in {} (atlas refuses such a folder: run `atlas migrate hash`)", .path.display(), .sum.display())]
    Unlisted { path: PathBuf, sum: PathBuf },
}

/// The migrations of every `[schema] files` entry, in order (a file named twice is applied
/// once). `format` overrides the layout each folder is recognised as.
pub(crate) fn read(
    root: &Path,
    patterns: &[String],
    format: Option<Format>,
) -> Result<Vec<Migration>, MigrationsError> {
    let mut out: Vec<Migration> = Vec::new();
    for pattern in patterns {
        let full = root.join(pattern);
        let found = if full.is_dir() {
            read_folder(&full, format)?
        } else if full.file_name().is_some_and(|n| n == "sqitch.plan") && full.is_file() {
            read_folder(full.parent().unwrap_or(root), Some(format.unwrap_or(Format::Sqitch)))?
        } else {
            read_glob(&full, pattern, format)?
        };
        if found.is_empty() {
            return Err(MigrationsError::NoMatch { pattern: pattern.clone(), root: root.to_path_buf() });
        }
        for m in found {
            if !out.iter().any(|o| o.path == m.path) {
                out.push(m);
            }
        }
    }
    Ok(out)
}

/// The files a glob names, in version order, each read by the markers it uses.
fn read_glob(full: &Path, pattern: &str, format: Option<Format>) -> Result<Vec<Migration>, MigrationsError> {
    let mut files: Vec<PathBuf> = glob::glob(&full.to_string_lossy())
        .map_err(|source| MigrationsError::Pattern { pattern: pattern.to_string(), source })?
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    files.sort_by_key(|p| version_key(file_name(p)));
    files.into_iter().map(|p| migration(p, format.unwrap_or(Format::Plain), format.is_none(), None)).collect()
}

fn file_name(p: &Path) -> &str {
    p.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// Read one migration file. `sniff`: read whatever markers the file uses (a glob, or a
/// folder whose files may be in another tool's format, as Atlas's).
fn migration(path: PathBuf, format: Format, sniff: bool, name: Option<String>) -> Result<Migration, MigrationsError> {
    let text = std::fs::read_to_string(&path).map_err(|source| MigrationsError::Read { path: path.clone(), source })?;
    let found = markers::sniff(&text);
    let (format, markers) = match (sniff, found) {
        (true, Markers::Goose) => (Format::Goose, Markers::Goose),
        (true, Markers::Dbmate) => (Format::Dbmate, Markers::Dbmate),
        (true, _) if format == Format::Plain => (format, Markers::None),
        _ => (format, format.markers()),
    };
    let up =
        markers::up_part(&text, markers).map_err(|source| MigrationsError::Markers { path: path.clone(), source })?;
    let name = name.unwrap_or_else(|| {
        let n = file_name(&path);
        n.strip_suffix(".up.sql").or_else(|| n.strip_suffix(".sql")).unwrap_or(n).to_string()
    });
    Ok(Migration { path, name, format, sql: up.sql, groups: up.groups })
}

/// What a folder holds: its `.sql` files and its subfolders.
struct Listing {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

fn list(dir: &Path) -> Result<Listing, MigrationsError> {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(|source| MigrationsError::Folder { path: dir.to_path_buf(), source })?;
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            dirs.push(p);
        } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("sql")) {
            files.push(p);
        }
    }
    files.sort();
    dirs.sort();
    Ok(Listing { files, dirs })
}

/// The layouts a folder could be, each with what says so.
fn guesses(dir: &Path, l: &Listing) -> Result<Vec<(Format, String)>, MigrationsError> {
    let mut out: Vec<(Format, String)> = Vec::new();
    let mut add = |f: Format, why: String| {
        if !out.iter().any(|(g, _)| *g == f) {
            out.push((f, why));
        }
    };
    if dir.join("sqitch.plan").is_file() {
        add(Format::Sqitch, "sqitch.plan".into());
    }
    for d in &l.dirs {
        let name = file_name(d);
        if d.join("migration.sql").is_file() {
            add(Format::Prisma, format!("{name}/migration.sql"));
        }
        if d.join("up.sql").is_file() {
            add(Format::Diesel, format!("{name}/up.sql"));
        }
    }
    for f in &l.files {
        let name = file_name(f);
        let text = std::fs::read_to_string(f).map_err(|source| MigrationsError::Read { path: f.clone(), source })?;
        match markers::sniff(&text) {
            Markers::Goose => add(Format::Goose, format!("`-- +goose Up` in {name}")),
            Markers::Dbmate => add(Format::Dbmate, format!("`-- migrate:up` in {name}")),
            _ => {}
        }
        if flyway_version(name).is_some() {
            add(Format::Flyway, name.to_string());
        }
        if name.to_ascii_lowercase().ends_with(".up.sql") {
            add(Format::GolangMigrate, name.to_string());
        }
    }
    Ok(out)
}

/// The folder's migrations, as the layout it has (or `forced`) applies them.
fn read_folder(dir: &Path, forced: Option<Format>) -> Result<Vec<Migration>, MigrationsError> {
    let l = list(dir)?;
    let format = match forced {
        Some(f) => f,
        // Atlas writes its folders in other tools' formats too: its `atlas.sum` then decides
        // which files and in which order, and each file's markers what it applies.
        None if dir.join("atlas.sum").is_file() => Format::Atlas,
        None => {
            let mut g = guesses(dir, &l)?;
            match g.len() {
                0 => Format::Plain,
                1 => g[0].0,
                _ => {
                    let (second, second_why) = g.remove(1);
                    let (first, first_why) = g.remove(0);
                    return Err(MigrationsError::Ambiguous {
                        path: dir.to_path_buf(),
                        first,
                        first_why,
                        second,
                        second_why,
                    });
                }
            }
        }
    };
    let plain_files = |l: &Listing| -> Vec<PathBuf> {
        let mut f: Vec<PathBuf> =
            l.files.iter().filter(|p| !file_name(p).to_ascii_lowercase().ends_with(".down.sql")).cloned().collect();
        f.sort_by_key(|p| version_key(file_name(p)));
        f
    };
    match format {
        Format::Sqitch => sqitch::changes(dir)?
            .into_iter()
            .map(|c| migration(c.script, Format::Sqitch, false, Some(c.name)))
            .collect(),
        Format::Atlas => atlas(dir, &l),
        Format::Prisma | Format::Diesel => {
            let script = if format == Format::Prisma { "migration.sql" } else { "up.sql" };
            let mut dirs: Vec<&PathBuf> = l.dirs.iter().filter(|d| d.join(script).is_file()).collect();
            // Diesel orders by the version before the first `_`, dashes dropped; Prisma by name.
            dirs.sort_by_key(|d| {
                let name = file_name(d);
                let version: String = name.split('_').next().unwrap_or("").chars().filter(|c| *c != '-').collect();
                if format == Format::Diesel { (version, name.to_string()) } else { (String::new(), name.to_string()) }
            });
            dirs.into_iter().map(|d| migration(d.join(script), format, false, Some(file_name(d).to_string()))).collect()
        }
        Format::Flyway => {
            let mut versioned: Vec<(Vec<u128>, &PathBuf)> =
                l.files.iter().filter_map(|p| flyway_version(file_name(p)).map(|v| (v, p))).collect();
            versioned.sort();
            // Repeatable migrations run after every versioned one, by description.
            let repeatable = l.files.iter().filter(|p| file_name(p).starts_with("R__"));
            versioned
                .into_iter()
                .map(|(_, p)| p)
                .chain(repeatable)
                .map(|p| migration(p.clone(), Format::Flyway, false, None))
                .collect()
        }
        Format::Goose | Format::Dbmate | Format::GolangMigrate | Format::Sqlx | Format::Plain => {
            plain_files(&l).into_iter().map(|p| migration(p, format, false, None)).collect()
        }
    }
}

/// An Atlas folder: the files `atlas.sum` lists, in its order, down files left out; every
/// other `.sql` file is an error, as it is for atlas.
fn atlas(dir: &Path, l: &Listing) -> Result<Vec<Migration>, MigrationsError> {
    let sum = dir.join("atlas.sum");
    let text = std::fs::read_to_string(&sum).map_err(|source| MigrationsError::Read { path: sum.clone(), source })?;
    let mut listed = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let Some(name) = line.split_whitespace().next() else { continue };
        if !line.split_whitespace().nth(1).is_some_and(|h| h.starts_with("h1:")) {
            return Err(MigrationsError::Plan {
                path: sum.clone(),
                line: i + 1,
                detail: "not `<file> h1:<hash>`".into(),
            });
        }
        listed.push(dir.join(name));
    }
    if let Some(extra) = l.files.iter().find(|f| !listed.contains(f)) {
        return Err(MigrationsError::Unlisted { path: extra.clone(), sum });
    }
    let mut out = Vec::new();
    for path in listed {
        if file_name(&path).to_ascii_lowercase().ends_with(".down.sql") {
            continue;
        }
        if !path.is_file() {
            return Err(MigrationsError::Missing { path, listed_in: sum });
        }
        out.push(migration(path, Format::Atlas, true, None)?);
    }
    Ok(out)
}

/// Flyway's version of a `V<version>__<description>.sql` file: its numbers, split at `.`
/// and `_`.
fn flyway_version(name: &str) -> Option<Vec<u128>> {
    let rest = name.strip_prefix(['V', 'v'])?;
    let (version, _) = rest.split_once("__")?;
    version.split(['.', '_']).map(|n| n.parse().ok()).collect()
}

/// Sort key: the version number a migration file starts with (`0001_`, `V12__`, a timestamp),
/// files without one after those, then the name.
fn version_key(name: &str) -> (u8, u128, String) {
    let digits_from = usize::from(name.starts_with(['V', 'v']) && name[1..].starts_with(|c: char| c.is_ascii_digit()));
    let digits: String = name[digits_from..].chars().take_while(char::is_ascii_digit).collect();
    match digits.parse::<u128>() {
        Ok(v) => (0, v, name.to_string()),
        Err(_) => (1, 0, name.to_string()),
    }
}

#[cfg(test)]
mod tests;
