//! `plangate capture -- CMD`: run the application's own tests against a throwaway Postgres
//! that counts and logs every statement, and turn the reads they executed into the
//! catalog (`--check`: say which are missing from it, and write nothing).

use std::collections::BTreeSet;
use std::time::Instant;

use sqlx::Connection;

use crate::capture::server::{
    APP_DB, SCHEMA_DB, free_port, prepare, random_password, read_counted, read_log, run_command, tests_database,
};
use crate::capture::{self, Counted};
use crate::commands::Outcome;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::postgres::{self, Server, Startup, Target};
use crate::progress::line as progress;
use crate::workload::{self, Entry, Workload};

/// What `plangate capture` was asked for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    /// Keep only the N most executed reads.
    pub queries: Option<usize>,
    /// Write nothing; fail when the run executed reads the catalog does not hold.
    pub check: bool,
    /// Capture even when the command fails.
    pub keep_going: bool,
    /// The test command and its arguments.
    pub command: Vec<String>,
}

pub(crate) async fn run(settings: &Settings, req: &Request) -> Result<Outcome> {
    let Some(program) = req.command.first() else {
        return Err(Error::Argument {
            flag: "CMD".into(),
            detail: "give the test command after `--`: plangate capture -- cargo test".into(),
        });
    };
    let targets = postgres::targets(settings).await?;
    if targets[0] == Target::Url {
        return Err(Error::Argument {
            flag: "--backend url".into(),
            detail: "capture runs the tests against a throwaway server (local or container), whose every \
                     statement it may count and log"
                .into(),
        });
    }
    let password = random_password()?;
    let startup = Startup {
        settings: [
            ("shared_preload_libraries", "pg_stat_statements"),
            ("compute_query_id", "on"),
            ("pg_stat_statements.track", "top"),
            ("pg_stat_statements.max", "10000"),
            ("logging_collector", "on"),
            ("log_destination", "csvlog"),
            ("log_min_duration_statement", "0"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect(),
        tcp_port: matches!(targets[0], Target::Local(_)).then(free_port).transpose()?,
        password: Some(password.clone()),
    };
    let server = Server::start_with(settings, &targets[0], None, &startup).await?;
    let captured = async {
        prepare(&server, settings, &password).await?;
        let (host, port) = server.tcp_address().expect("a throwaway server started for capture listens on TCP");
        let catalog = {
            let mut conn = server.connect_to(SCHEMA_DB).await?;
            let catalog = crate::datagen::schema::read(&mut conn).await?;
            let _ = conn.close().await;
            catalog
        };
        let mut conn = server.connect_to(APP_DB).await?;
        sqlx::raw_sql("SELECT pg_stat_statements_reset()")
            .execute(&mut conn)
            .await
            .map_err(|e| Error::postgres("resetting pg_stat_statements", e))?;
        let started = Instant::now();
        let status = run_command(program, &req.command[1..], (&host, port), &password).await?;
        let elapsed = started.elapsed();
        progress(&format!("`{}` exited with {status} after {:.1} s", req.command.join(" "), elapsed.as_secs_f64()));
        if !status.success() && !req.keep_going {
            return Err(Error::Argument {
                flag: "CMD".into(),
                detail: format!(
                    "`{}` failed ({status}): nothing was written; --keep-going captures what it ran anyway",
                    req.command.join(" ")
                ),
            });
        }
        let counted = read_counted(&mut conn).await?;
        let logged = read_log(&mut conn).await?;
        let _ = conn.close().await;
        // No schema configured: the tests' own, from the database their reads ran on.
        let (catalog, dump) = if settings.schema.is_empty() {
            let (db, catalog) = tests_database(&server, &counted).await?;
            let dump = server.dump_schema(&db).await?;
            (catalog, Some((db, dump)))
        } else {
            (catalog, None)
        };
        Ok::<_, Error>((catalog, counted, logged, dump))
    }
    .await;
    server.shutdown().await?;
    let (catalog, counted, logged, dump) = captured?;
    let found = catalog_of(settings, &catalog, &counted, &logged, req);
    if req.check {
        return Ok(check(&found));
    }
    if let Some((db, text)) = dump {
        let path =
            settings.config_path.parent().unwrap_or(std::path::Path::new(".")).join("schema").join(format!("{db}.sql"));
        if path.exists() {
            return Err(Error::Write {
                path,
                source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "a schema file of that name exists"),
            });
        }
        std::fs::create_dir_all(path.parent().expect("a folder"))
            .map_err(|source| Error::Write { path: path.clone(), source })?;
        crate::files::write_atomically(&path, text)?;
        progress(&format!("wrote the tests' schema (database `{db}`, pg_dump --schema-only) to {}", path.display()));
    }
    found.workload.write_files(settings)?;
    if settings.config_path.exists() {
        append_params(settings, &found.workload)?;
    }
    Ok(Outcome::Pass)
}

/// What the run gave the catalog.
struct Found {
    /// The reads the catalog does not hold yet.
    workload: Workload,
    /// Reads the catalog holds already: (query, the file with the same text).
    known: Vec<(String, String)>,
}

/// Turn what was counted into catalog entries, saying what was skipped and why.
fn catalog_of(
    settings: &Settings,
    catalog: &crate::datagen::schema::Catalog,
    counted: &[Counted],
    logged: &std::collections::BTreeMap<i64, Vec<String>>,
    req: &Request,
) -> Found {
    let known_texts = workload::catalog_texts(settings);
    let mut taken = workload::existing_names(settings);
    let mut skipped: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut known = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut reads: Vec<&Counted> = counted.iter().collect();
    reads.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.text.cmp(&b.text)));
    for c in reads {
        let text =
            logged.get(&c.query_id).map_or_else(|| c.text.clone(), |runs| capture::with_constants(&c.text, runs));
        let (tables, params) = match capture::classify(&text, catalog) {
            Ok(read) => read,
            Err(skip) => {
                *skipped.entry(skip.reason()).or_default() += 1;
                continue;
            }
        };
        let same = workload::normalized(&text);
        if !seen.insert(same.clone()) {
            continue;
        }
        if let Some(name) = known_texts.get(&same) {
            known.push((text.clone(), name.clone()));
            continue;
        }
        if req.queries.is_some_and(|n| entries.len() >= n) {
            *skipped.entry("beyond --queries".into()).or_default() += 1;
            continue;
        }
        let Some(params) = params.into_iter().collect::<Option<Vec<_>>>() else {
            *skipped.entry("a parameter not compared with a column".into()).or_default() += 1;
            continue;
        };
        let name = workload::unique_name(&workload::name_for(&tables, &params), &mut taken);
        entries.push(Entry {
            name,
            sql: text.trim().trim_end_matches(';').to_string(),
            params: workload::toml_params(&params),
            origin: format!(
                "the test run (`{}`): {} execution{}",
                req.command.join(" "),
                c.calls,
                if c.calls == 1 { "" } else { "s" }
            ),
            existing: false,
        });
    }
    progress(&format!(
        "captured {} distinct statements: {} new reads, {} already in the catalog",
        counted.len(),
        entries.len(),
        known.len()
    ));
    for (why, n) in &skipped {
        progress(&format!("  skipped {n}: {why}"));
    }
    for (_, name) in &known {
        progress(&format!("  in the catalog already: {name}"));
    }
    for e in &entries {
        progress(&format!("  {} {}: {}", if req.check { "missing" } else { "new" }, e.name, e.sql));
    }
    Found { workload: Workload { entries }, known }
}

/// `--check`: the reads the catalog lacks, ready to add.
fn check(found: &Found) -> Outcome {
    if found.workload.entries.is_empty() {
        progress(&format!("every read the tests executed is in the catalog ({} of them)", found.known.len()));
        return Outcome::Pass;
    }
    progress(&format!(
        "{} read(s) the tests executed are not in the catalog: run `plangate capture -- CMD` to add them",
        found.workload.entries.len()
    ));
    Outcome::Fail
}

/// The new queries' `[query.NAME]` sections, after plangate.toml's own text.
fn append_params(settings: &Settings, found: &Workload) -> Result<()> {
    if found.entries.is_empty() {
        return Ok(());
    }
    let path = &settings.config_path;
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.clone(), source })?;
    let mut merged = text.clone();
    if !merged.ends_with('\n') {
        merged.push('\n');
    }
    merged.push_str("\n# Added by `plangate capture`: the reads the test run executed.\n");
    merged.push_str(&found.config_text());
    toml::from_str::<toml::Table>(&merged).map_err(|e| Error::ConfigSyntax { path: path.clone(), source: e })?;
    crate::files::write_atomically(path, &merged)?;
    let names: Vec<&str> = found.entries.iter().map(|e| e.name.as_str()).collect();
    progress(&format!("wrote {} queries to {}: {}", names.len(), settings.queries_dir().display(), names.join(", ")));
    Ok(())
}
