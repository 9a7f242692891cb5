//! `plangate init`: a starting plangate.toml from the schema. The schema is applied to a
//! throwaway Postgres and read back from its catalog, so every table and column is listed
//! with the generator a run would infer for it, as a commented line to start from. With
//! `--from-url`, each table's `rows` is production's, read read-only from its statistics.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use crate::Outcome;
use crate::commands::progress;
use crate::config::generator::GenExpr;
use crate::config::{BackendChoice, CONFIG_FILE, DEFAULT_FACTORS, Overrides, Settings};
use crate::datagen::infer::infer;
use crate::datagen::model::toml_key;
use crate::datagen::schema::{Catalog, Table};
use crate::error::{Error, Result};
use crate::postgres::production::{self, TableRows};
use crate::postgres::{self, Server, schema};

/// Rows written for every table: a placeholder the user replaces with production's count.
const PLACEHOLDER_ROWS: u64 = 10_000;

pub async fn run(patterns: &[String], force: bool, from_url: Option<&str>, args: &Overrides) -> Result<Outcome> {
    let path = args.config.clone().unwrap_or_else(|| PathBuf::from(CONFIG_FILE));
    if path.exists() && !force {
        return Err(Error::WouldOverwrite { path });
    }
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
    let from_url = from_url.or(args.database_url.as_deref());
    let args = &Overrides { database_url: None, ..args.clone() };
    let patterns = if patterns.is_empty() { vec!["schema/*.sql".to_string()] } else { patterns.to_vec() };
    let files = toml::Value::Array(patterns.iter().cloned().map(toml::Value::String).collect());
    let settings = Settings::from_text(&path, &format!("[schema]\nfiles = {files}\n"), args)?;
    // Production first: a URL that does not answer fails before a server starts.
    let production = match from_url {
        Some(url) => Some(production::table_rows(url).await?),
        None => None,
    };
    let catalog = read_schema(&settings).await?;
    if let Some(sizes) = &production {
        let unknown: Vec<&str> = sizes.keys().filter(|t| !catalog.contains_key(*t)).map(String::as_str).collect();
        if !unknown.is_empty() {
            progress(&format!("production has tables the schema does not, left out: {}", unknown.join(", ")));
        }
    }
    let text = config_text(&patterns, &catalog, production.as_ref());
    crate::files::write_atomically(&path, &text)?;
    progress(&format!(
        "wrote {} with {} tables: set each table's rows to production's count, then write queries/*.sql",
        path.display(),
        catalog.len()
    ));
    Ok(Outcome::Pass)
}

/// Apply the schema to a throwaway Postgres and read its catalog.
async fn read_schema(settings: &Settings) -> Result<Catalog> {
    let targets = postgres::targets(settings).await?;
    let target = targets.first().expect("a backend has a target");
    let server = Server::start(settings, target).await?;
    let read = async {
        let mut conn = server.connect().await?;
        let kind = if server.is_throwaway() { schema::Target::Throwaway } else { schema::Target::Shared };
        schema::apply(&mut conn, &settings.schema_files, kind).await?;
        let mut conn = server.connect().await?;
        crate::datagen::schema::read(&mut conn).await
    }
    .await;
    server.shutdown().await?;
    read
}

/// The config: the schema's files, the default scales, and every table with a placeholder
/// size and its columns' inferred generators, commented.
fn config_text(patterns: &[String], catalog: &Catalog, production: Option<&BTreeMap<String, TableRows>>) -> String {
    let files = toml::Value::Array(patterns.iter().cloned().map(toml::Value::String).collect());
    let factors: Vec<String> = DEFAULT_FACTORS.iter().map(f64::to_string).collect();
    let rows_note = match production {
        None => "Set each table's `rows` to its row count in production",
        Some(_) => "Each table's `rows` is production's estimate (`pg_class.reltuples`); set",
    };
    let mut out = format!(
        "# Written by `plangate init`. {rows_note}\n\
         # (`fixed_rows` for a table that does not grow with the data). Each column shows, commented,\n\
         # the generator plangate infers for it; uncomment and edit a line to choose another.\n\n\
         [schema]\nfiles = {files}\n\n[scales]\nfactors = [{}]\n",
        factors.join(", ")
    );
    for (name, table) in catalog {
        let rows = match production.map(|p| p.get(name)) {
            None => format!("rows = {PLACEHOLDER_ROWS}"),
            Some(Some(TableRows::Estimated(n))) if *n > 0 => format!("rows = {n}"),
            Some(Some(TableRows::Estimated(_))) => format!("rows = {PLACEHOLDER_ROWS}  # empty in production"),
            Some(Some(TableRows::Unknown)) => {
                format!("rows = {PLACEHOLDER_ROWS}  # production has no estimate: the table was never analyzed")
            }
            Some(None) => format!("rows = {PLACEHOLDER_ROWS}  # not in production"),
        };
        let _ = write!(out, "\n[tables.{}]\n{rows}\n", toml_key(name));
        out.push_str(&columns_text(name, table));
    }
    out
}

/// `[tables.t.columns]` with one commented line per column.
fn columns_text(name: &str, table: &Table) -> String {
    let mut out = format!("[tables.{}.columns]\n", toml_key(name));
    for column in &table.columns {
        let key = toml_key(&column.name);
        let line = if column.generated {
            format!("# {key}: generated by Postgres ({})", column.type_sql)
        } else if column.identity {
            format!("# {key}: an identity, numbered by Postgres")
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

fn describe(g: &GenExpr) -> &'static str {
    match g {
        GenExpr::Json => "small JSON objects",
        GenExpr::Array(_) => "arrays of 0 to 4 elements",
        _ => "inferred from the type",
    }
}
