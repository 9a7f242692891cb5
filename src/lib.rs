//! plangate: a PostgreSQL query-plan regression checker.
//!
//! The data flow is the architecture: settings -> catalog + data model -> throwaway
//! Postgres (schema, then seeded data grown scale by scale) -> measurements ->
//! analysis (findings, growth, baselines) -> one Report -> renderers.

pub mod analysis;
pub mod baseline;
pub mod cache;
pub mod calendar;
pub mod cli;
pub mod commands;
pub mod config;
pub mod datagen;
pub mod error;
pub mod expr;
pub mod files;
pub mod measure;
pub mod plan;
pub mod postgres;
pub mod progress;
pub mod report;
pub mod snapshot;
pub mod sqltext;
pub mod suggest;
pub mod verdict;

use std::io::{IsTerminal, Write};

use crate::cli::{Cli, Command};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::report::Report;

/// `plangate --version`: the package version and, when built from a repository, the commit.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), env!("PLANGATE_BUILD_COMMIT"));

/// Whether output to a stream goes in colour: never with `NO_COLOR` set (and not empty),
/// always with `CLICOLOR_FORCE` set (and not `0`), else when the stream is a terminal.
pub fn color(is_terminal: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("NO_COLOR") {
        return false;
    }
    if set("CLICOLOR_FORCE") && std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    is_terminal
}

/// How a run that could run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing falls short.
    Pass,
    /// At least one query regressed or broke its budget.
    Fail,
}

/// Run one command.
pub async fn run(cli: Cli) -> Result<Outcome> {
    progress::configure(cli.quiet, cli.verbose);
    match cli.command {
        Command::Check { queries, common } => {
            commands::check::run(&Settings::load(&common.overrides()?)?, &queries).await
        }
        Command::Bless { queries, common } => {
            commands::bless::run(&Settings::load(&common.overrides()?)?, &queries).await
        }
        Command::Curve { query, points, max_scale, svg, common } => {
            commands::curve::run(&Settings::load(&common.overrides()?)?, &query, points, max_scale, svg.as_deref())
                .await
        }
        Command::Explain { query, scale, case, generic, common } => {
            let settings = Settings::load(&common.overrides()?)?;
            commands::explain::run(&settings, &query, scale, case.as_deref(), generic).await
        }
        Command::Merge { reports, format, output } => commands::merge::run(&reports, format, output.as_deref()),
        Command::Suggest { queries, from, common } => {
            let settings = Settings::load(&common.overrides()?)?;
            commands::suggest::run(&settings, &queries, from.as_deref(), progress::verbosity() > 0).await
        }
        Command::Completions { shell } => {
            let mut cmd = <cli::Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "plangate", &mut std::io::stdout());
            Ok(Outcome::Pass)
        }
        Command::Man => {
            let cmd = <cli::Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .map_err(|source| Error::Write { path: "<stdout>".into(), source })?;
            Ok(Outcome::Pass)
        }
        Command::Init { schema, force, common, from_url, keep_values, queries } => {
            let request = commands::init::Request { schema, force, from_url, keep_values, queries };
            commands::init::run(&request, &common.overrides()?).await
        }
        Command::Cache { action, cache } => commands::cache::run(&action, &cache),
        Command::Fidelity { tables, common } => {
            commands::fidelity::run(&Settings::load(&common.overrides()?)?, &tables).await
        }
    }
}

/// Write the report to `--output` or stdout.
pub fn emit(settings: &Settings, report: &Report) -> Result<()> {
    emit_report(report, settings.format, settings.output.as_deref())
}

/// Render `report` in `format` into `output`, or to stdout.
pub fn emit_report(report: &Report, format: report::Format, output: Option<&std::path::Path>) -> Result<()> {
    if let Some(path) = output {
        let mut buf = Vec::new();
        report::render(report, format, false, &mut buf).expect("writing to memory");
        std::fs::write(path, buf).map_err(|source| Error::Write { path: path.to_path_buf(), source })
    } else {
        let stdout = std::io::stdout();
        let color = color(stdout.is_terminal());
        let mut lock = stdout.lock();
        report::render(report, format, color, &mut lock)
            .and_then(|()| lock.flush())
            .map_err(|source| Error::Write { path: "<stdout>".into(), source })
    }
}
