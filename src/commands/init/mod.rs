//! `plangate init`: a starting plangate.toml from the schema. The schema is applied to a
//! throwaway Postgres and read back from its catalog, so every table and column is listed
//! with the generator a run would infer for it, as a commented line to start from.
//!
//! With `--from-url`, production is read, read-only: each table's `rows`, a snapshot of its
//! columns' statistics that `stats` generators read, the shape of production's plan for
//! each query of the catalog, and (with `--queries N`) the catalog itself from
//! `pg_stat_statements`. With `--from-stats`, the same snapshot (without plans) comes from
//! production's statistics dump. Run again on an initialized repository, it refreshes the
//! snapshot in place and says what moved, leaving plangate.toml as it is.

mod from_stats;
mod shape;
mod sqlx_data;
mod workload;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::commands::Outcome;
use crate::config::generator::GenExpr;
use crate::config::{BackendChoice, CONFIG_FILE, DEFAULT_FACTORS, Overrides, Settings};
use crate::datagen::infer::infer;
use crate::datagen::model::toml_key;
use crate::datagen::schema::{Catalog, Column, Table};
use crate::error::{Error, Result};
use crate::postgres::production::{Production, Statistics, TableRows};
use crate::postgres::{self, Server, schema};
use crate::progress::line as progress;
use crate::snapshot::TableStats;

/// Rows written for every table: a placeholder the user replaces with production's count.
const PLACEHOLDER_ROWS: u64 = 10_000;

/// What `plangate init` was asked for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    /// Schema files (globs); empty: `schema/*.sql`.
    pub schema: Vec<String>,
    pub force: bool,
    pub from_url: Option<String>,
    /// `table.column`s whose text values may be kept in the snapshot.
    pub keep_values: Vec<String>,
    /// Write the top N read queries of `pg_stat_statements` to the catalog.
    pub queries: Option<usize>,
    /// Write the read queries of sqlx's offline query data in this folder to the catalog.
    pub from_sqlx: Option<PathBuf>,
    /// Production's statistics from this `pg_dump --statistics-only` file.
    pub from_stats: Option<PathBuf>,
}

/// Where production's statistics come from.
enum Source<'a> {
    Url(&'a str),
    Dump(&'a Path),
}

pub(crate) async fn run(req: &Request, args: &Overrides) -> Result<Outcome> {
    let path = args.config.clone().unwrap_or_else(|| PathBuf::from(CONFIG_FILE));
    // A statistics dump stands for production: a database URL from the environment is not read.
    let from_url = req.from_url.as_deref().or(args.database_url.as_deref().filter(|_| req.from_stats.is_none()));
    // Run on an initialized repository: add what the config does not describe (and, with
    // production, refresh the snapshot), leaving what it says as it is.
    let existing = path.exists() && !req.force;
    let refresh = existing && (from_url.is_some() || req.from_stats.is_some());
    check_request(req, args, &path, existing, from_url.is_some())?;
    let args = &Overrides { database_url: None, config: Some(path.clone()), ..args.clone() };
    let patterns = if req.schema.is_empty() { vec!["schema/*.sql".to_string()] } else { req.schema.clone() };
    let (settings, text) = if existing {
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
        (Settings::from_text(&path, &text, args)?, Some(text))
    } else {
        let files = toml::Value::Array(patterns.iter().cloned().map(toml::Value::String).collect());
        (Settings::from_text(&path, &format!("[schema]\nfiles = {files}\n"), args)?, None)
    };
    let source = match (from_url, &req.from_stats) {
        (Some(url), _) => Source::Url(url),
        (None, Some(file)) => Source::Dump(file),
        (None, None) => return without_production(req, &path, &settings, text.as_deref(), &patterns).await,
    };
    let previous = if refresh { settings.snapshot().read_tables()? } else { BTreeMap::new() };
    let read = match source {
        Source::Url(url) => read_production(url, req, &settings, refresh, &previous).await?,
        Source::Dump(file) => read_dump(file, req, &settings, refresh, &previous).await?,
    };
    for note in &read.snapshot.notes {
        progress(note);
    }
    // Everything is read: now write, each file whole.
    let store = settings.snapshot();
    if let Some(w) = &read.statements {
        w.write(&settings)?;
    }
    for t in read.snapshot.tables.values() {
        store.write_table(t)?;
    }
    for p in read.plans.iter().flatten() {
        store.write_plans(p)?;
    }
    let plans: Option<Vec<String>> = read.plans.as_ref().map(|p| p.iter().map(|p| p.query.clone()).collect());
    store.remove_others(&read.snapshot.tables.keys().cloned().collect::<Vec<_>>(), plans.as_deref())?;
    if let Some(text) = &text {
        let moved = crate::snapshot::compare::drift(&previous, &read.snapshot.tables);
        progress(&format!("refreshed {} from {}", store.dir.display(), read.source));
        if moved.is_empty() {
            progress("nothing moved since the last snapshot");
        }
        for line in moved {
            progress(&format!("  {line}"));
        }
        let production = (&read.stats.sizes, &read.snapshot.tables, None);
        return add_to_config(&path, text, &settings, &read.catalog, Some(production), None);
    }
    let production = (&read.stats.sizes, &read.snapshot.tables, read.statements.as_ref());
    let refresh_with = match source {
        Source::Url(_) => "plangate init --from-url".to_string(),
        Source::Dump(file) => format!("plangate init --from-stats {}", file.display()),
    };
    crate::files::write_atomically(&path, config_text(&patterns, &read.catalog, Some((production, &refresh_with))))?;
    progress(&format!(
        "wrote {} with {} tables and production's statistics in {}",
        path.display(),
        read.catalog.len(),
        store.dir.display()
    ));
    Ok(Outcome::Pass)
}

/// Init from the schema alone (and sqlx's offline data): placeholder sizes, inferred generators.
async fn without_production(
    req: &Request,
    path: &Path,
    settings: &Settings,
    text: Option<&str>,
    patterns: &[String],
) -> Result<Outcome> {
    let catalog = read_schema(settings).await?.0;
    let imported = match &req.from_sqlx {
        Some(dir) => Some(sqlx_data::read(dir, &catalog, settings)?),
        None => None,
    };
    if let Some(w) = &imported {
        w.write_files(settings)?;
    }
    if let Some(text) = text {
        return add_to_config(path, text, settings, &catalog, None, imported.as_ref());
    }
    let mut config = config_text(patterns, &catalog, None);
    if let Some(w) = &imported {
        config.push_str(&w.config_text());
    }
    crate::files::write_atomically(path, config)?;
    progress(&format!(
        "wrote {} with {} tables: set each table's rows to production's count, then write queries/*.sql",
        path.display(),
        catalog.len()
    ));
    Ok(Outcome::Pass)
}

/// Append to the config the tables of the schema and the query files it does not describe
/// yet, as a first init would write them (`imported`: queries just written, with their
/// parameters); everything the file says, its comments and its layout stay as they are.
/// Says what was added.
fn add_to_config(
    path: &Path,
    text: &str,
    settings: &Settings,
    catalog: &Catalog,
    production: Option<FromProduction<'_>>,
    imported: Option<&crate::workload::Workload>,
) -> Result<Outcome> {
    let parsed: toml::Table =
        toml::from_str(text).map_err(|e| Error::ConfigSyntax { path: path.to_path_buf(), source: e })?;
    let keys = |section: &str| -> std::collections::BTreeSet<String> {
        parsed.get(section).and_then(toml::Value::as_table).map(|t| t.keys().cloned().collect()).unwrap_or_default()
    };
    let (known_tables, known_queries) = (keys("tables"), keys("query"));
    let mut added = String::new();
    let mut tables = Vec::new();
    for (name, table) in catalog.iter().filter(|(name, _)| !known_tables.contains(*name)) {
        added.push_str(&table_text(name, table, production));
        tables.push(name.clone());
    }
    let mut known_queries = known_queries;
    known_queries.extend(imported.iter().flat_map(|w| w.entries.iter().map(|e| e.name.clone())));
    let mut queries = workload::existing(settings, catalog, &known_queries);
    if let Some(w) = imported {
        queries.extend(w.clone());
    }
    let query_names: Vec<String> =
        queries.entries.iter().filter(|e| !e.params.is_empty()).map(|e| e.name.clone()).collect();
    added.push_str(&queries.config_text());
    if tables.is_empty() && query_names.is_empty() {
        progress(&format!("{} describes every table of the schema and every query: nothing added", path.display()));
        return Ok(Outcome::Pass);
    }
    let mut merged = text.to_string();
    if !merged.ends_with('\n') {
        merged.push('\n');
    }
    merged
        .push_str("\n# Added by `plangate init`: what the schema and queries/ have that this file did not describe.\n");
    merged.push_str(&added);
    // What was added must read back: a file that would not is never written.
    toml::from_str::<toml::Table>(&merged).map_err(|e| Error::ConfigSyntax { path: path.to_path_buf(), source: e })?;
    crate::files::write_atomically(path, &merged)?;
    if !tables.is_empty() {
        progress(&format!("added to {}: {} table(s): {}", path.display(), tables.len(), tables.join(", ")));
    }
    if !query_names.is_empty() {
        progress(&format!("added to {}: parameters of {}", path.display(), query_names.join(", ")));
    }
    Ok(Outcome::Pass)
}

/// The requests init refuses before reading anything.
fn check_request(req: &Request, args: &Overrides, path: &Path, existing: bool, production: bool) -> Result<()> {
    // The schema goes to a throwaway server only: a database URL (flag or environment) is
    // production, to read from, never a server to create a scratch database on.
    if args.backend == BackendChoice::Url {
        return Err(Error::Argument {
            flag: "--backend url".into(),
            detail: "init applies the schema to a throwaway server (local or container); \
                     production is read with --from-url"
                .into(),
        });
    }
    if req.from_stats.is_some() && production {
        return Err(Error::Argument {
            flag: "--from-stats".into(),
            detail: "production's statistics come from a database URL (--from-url) or from a dump, not both".into(),
        });
    }
    if req.from_sqlx.is_some() && production {
        return Err(Error::Argument {
            flag: "--from-sqlx".into(),
            detail: "the catalog comes from production (--from-url) or from sqlx's offline data, not both".into(),
        });
    }
    if req.queries.is_some() && !production {
        return Err(Error::Argument {
            flag: "--queries".into(),
            detail: "the catalog is read from production's pg_stat_statements: give --from-url".into(),
        });
    }
    if existing && !req.schema.is_empty() {
        return Err(Error::Argument {
            flag: "--schema".into(),
            detail: format!("{} names the schema; --schema is for writing a new one (with --force)", path.display()),
        });
    }
    Ok(())
}

/// What init reads from production (and from the schema) before it writes anything.
struct Read {
    /// Where the statistics came from, as messages name it.
    source: &'static str,
    stats: Statistics,
    catalog: Catalog,
    snapshot: shape::Snapshot,
    statements: Option<crate::workload::Workload>,
    /// Production's plans; None when the source has none (the snapshot's stay as they are).
    plans: Option<Vec<crate::snapshot::QueryPlans>>,
}

/// Columns whose text values are kept: those asked for, and those a previous snapshot kept.
fn kept_values(req: &Request, previous: &BTreeMap<String, TableStats>) -> Vec<String> {
    let mut keep = req.keep_values.clone();
    for (table, t) in previous {
        let kept = t.columns.iter().filter(|(_, c)| c.kind.is_text() && !c.surrogates);
        keep.extend(kept.map(|(column, _)| format!("{table}.{column}")));
    }
    keep
}

/// Read production, in its one read-only transaction, and the schema.
async fn read_production(
    url: &str,
    req: &Request,
    settings: &Settings,
    refresh: bool,
    previous: &BTreeMap<String, TableStats>,
) -> Result<Read> {
    // Production first: a URL that does not answer fails before a server starts.
    let mut production = Production::open(url).await?;
    let read = async {
        let stats = production.statistics().await?;
        let catalog = read_schema(settings).await?.0;
        let snapshot = shape::snapshot(&stats, &catalog, &kept_values(req, previous))?;
        // A first init gives the catalog's own queries their parameters; --queries adds
        // production's top queries.
        let mut queries = if refresh {
            crate::workload::Workload::default()
        } else {
            workload::existing(settings, &catalog, &std::collections::BTreeSet::new())
        };
        if let Some(n) = req.queries {
            queries.extend(workload::read(&mut production, n, &catalog, settings).await?);
        }
        let plans = shape::plans(&mut production, settings, &snapshot, &queries, refresh).await?;
        let statements = (!queries.entries.is_empty()).then_some(queries);
        Ok(Read { source: "production", stats, catalog, snapshot, statements, plans: Some(plans) })
    }
    .await;
    production.close().await;
    read
}

/// Read production's statistics dump, and the schema. A dump has no planner, so no plans.
async fn read_dump(
    file: &Path,
    req: &Request,
    settings: &Settings,
    refresh: bool,
    previous: &BTreeMap<String, TableStats>,
) -> Result<Read> {
    // The file first: one that is not a dump fails before a server starts.
    let dump = from_stats::read(file)?;
    let (catalog, relations) = read_schema(settings).await?;
    let (stats, skipped) = from_stats::statistics(&dump, &relations, &catalog);
    let mut snapshot = shape::snapshot(&stats, &catalog, &kept_values(req, previous))?;
    snapshot.notes.extend(skipped);
    let mut queries = if refresh {
        crate::workload::Workload::default()
    } else {
        workload::existing(settings, &catalog, &std::collections::BTreeSet::new())
    };
    if let Some(dir) = &req.from_sqlx {
        queries.extend(sqlx_data::read(dir, &catalog, settings)?);
    }
    let statements = (!queries.entries.is_empty()).then_some(queries);
    Ok(Read { source: "the statistics dump", stats, catalog, snapshot, statements, plans: None })
}

/// Apply the schema to a throwaway Postgres and read its catalog and relations.
async fn read_schema(settings: &Settings) -> Result<(Catalog, from_stats::Relations)> {
    let targets = postgres::targets(settings).await?;
    let target = targets.first().expect("a backend has a target");
    let server = Server::start(settings, target).await?;
    let read = async {
        let mut conn = server.connect().await?;
        let kind = if server.is_throwaway() { schema::Target::Throwaway } else { schema::Target::Shared };
        schema::apply(&mut conn, &settings.schema, kind).await?;
        let mut conn = server.connect().await?;
        let catalog = crate::datagen::schema::read(&mut conn).await?;
        Ok((catalog, crate::datagen::schema::relations(&mut conn).await?))
    }
    .await;
    server.shutdown().await?;
    read
}

/// What production says, for the config: sizes, the snapshot's tables, the catalog read
/// from its workload.
type FromProduction<'a> =
    (&'a BTreeMap<String, TableRows>, &'a BTreeMap<String, TableStats>, Option<&'a crate::workload::Workload>);

/// The config: the schema's files, the default scales, and every table with its size and
/// its columns' generators: `stats` where production's statistics describe the column,
/// else the inferred one, commented.
/// `production` comes with the command that refreshes it.
fn config_text(patterns: &[String], catalog: &Catalog, production: Option<(FromProduction<'_>, &str)>) -> String {
    let files = toml::Value::Array(patterns.iter().cloned().map(toml::Value::String).collect());
    let factors: Vec<String> = DEFAULT_FACTORS.iter().map(f64::to_string).collect();
    let rows_note = match production {
        None => "Set each table's `rows` to its row count in production".to_string(),
        Some((_, refresh)) => format!(
            "Each table's `rows` is production's estimate (`pg_class.reltuples`), and `stats` columns\n\
             # follow production's statistics (snapshot/, refreshed by running `{refresh}`\n\
             # again). Set"
        ),
    };
    let production = production.map(|p| p.0);
    let mut out = format!(
        "# Written by `plangate init`. {rows_note}\n\
         # (`fixed_rows` for a table that does not grow with the data). Each column shows, commented,\n\
         # the generator plangate infers for it; uncomment and edit a line to choose another.\n\n\
         [schema]\nfiles = {files}\n\n[scales]\nfactors = [{}]\n",
        factors.join(", ")
    );
    for (name, table) in catalog {
        out.push_str(&table_text(name, table, production));
    }
    if let Some(w) = production.and_then(|p| p.2) {
        out.push_str(&w.config_text());
    }
    out
}

/// `[tables.t]` with its size and its columns' generators.
fn table_text(name: &str, table: &Table, production: Option<FromProduction<'_>>) -> String {
    let rows = match production.map(|p| p.0.get(name)) {
        None => format!("rows = {PLACEHOLDER_ROWS}"),
        Some(Some(TableRows::Estimated(n))) if *n > 0 => format!("rows = {n}"),
        Some(Some(TableRows::Estimated(_))) => format!("rows = {PLACEHOLDER_ROWS}  # empty in production"),
        Some(Some(TableRows::Unknown)) => {
            format!("rows = {PLACEHOLDER_ROWS}  # production has no estimate: the table was never analyzed")
        }
        Some(None) => format!("rows = {PLACEHOLDER_ROWS}  # not in production"),
    };
    let mut out = format!("\n[tables.{}]\n{rows}\n", toml_key(name));
    let stats = production.and_then(|p| p.1.get(name));
    out.push_str(&columns_text(name, table, stats));
    out
}

/// `[tables.t.columns]`: `stats` for a column production's statistics describe, else a
/// commented line with the inferred generator.
fn columns_text(name: &str, table: &Table, stats: Option<&TableStats>) -> String {
    let mut out = format!("[tables.{}.columns]\n", toml_key(name));
    for column in &table.columns {
        let key = toml_key(&column.name);
        let line = if column.generated {
            format!("# {key}: generated by Postgres ({})", column.type_sql)
        } else if column.identity {
            format!("# {key}: an identity, numbered by Postgres")
        } else if let Some(g) = stats.and_then(|s| stats_generator(table, column, s)) {
            format!("{key} = {}", toml::Value::String(g))
        } else {
            match infer(table, column) {
                Ok((g, _)) => match g.to_config() {
                    Some(text) => format!("# {key} = {}", toml::Value::String(text)),
                    None => format!("# {key}: values of its type {} ({})", column.type_sql, describe(&g)),
                },
                Err(e) if column.not_null => format!("# {key} = \"...\"  # {e}: configure a generator"),
                Err(e) => format!("# {key}: left NULL ({e})"),
            }
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `stats` (or `stats(ref = ...)` for a foreign key) when the snapshot describes the column
/// and the column is not a key: keys keep the generators that make them unique.
fn stats_generator(table: &Table, column: &Column, stats: &TableStats) -> Option<String> {
    let s = stats.columns.get(&column.name)?;
    let name = &column.name;
    let reference = table.foreign_keys.iter().find(|fk| fk.columns.contains(name));
    // A foreign key of a type whose values are not recorded (a uuid) still has production's
    // null fraction, distinct count and order: enough to pick as many parents.
    let keyed = reference.is_some_and(|fk| fk.columns.len() == 1) && s.kind == crate::snapshot::ValueKind::Other;
    if !shape::reproducible(s) && !keyed {
        return None;
    }
    let in_key = table.uniques.iter().chain(std::iter::once(&table.primary_key)).any(|k| k.len() == 1 && k[0] == *name);
    // A partition key takes the values the partitions accept, and text under a CHECK (of
    // the table or of a domain) the values the check allows: surrogates and values made
    // between production's would not.
    let partition_key = table.partitioning.as_ref().is_some_and(|p| p.key.as_ref().is_none_or(|k| k.contains(name)));
    let checked_text =
        s.kind.is_text() && (!column.domain_checks.is_empty() || table.checks.iter().any(|(c, _)| c == name));
    if in_key || partition_key || checked_text {
        return None;
    }
    match reference {
        Some(fk) if fk.columns.len() == 1 => Some(format!("stats(ref = {}.{})", fk.parent, fk.parent_columns[0])),
        Some(_) => None,
        None => Some("stats".into()),
    }
}

fn describe(g: &GenExpr) -> &'static str {
    match g {
        GenExpr::Json => "small JSON objects",
        GenExpr::Array(_) => "arrays of 0 to 4 elements",
        _ => "inferred from the type",
    }
}
