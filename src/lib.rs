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
        Command::Suggest { queries, from, verbose, common } => {
            let settings = Settings::load(&common.overrides()?)?;
            commands::suggest::run(&settings, &queries, from.as_deref(), verbose).await
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
        let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let mut lock = stdout.lock();
        report::render(report, format, color, &mut lock)
            .and_then(|()| lock.flush())
            .map_err(|source| Error::Write { path: "<stdout>".into(), source })
    }
}
