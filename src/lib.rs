//! plangate: a PostgreSQL query-plan regression checker.
//!
//! The data flow is the architecture: settings -> catalog + data model -> throwaway
//! Postgres (schema, then seeded data grown scale by scale) -> measurements ->
//! analysis (findings, growth, baselines) -> one Report -> renderers.

pub mod analysis;
pub(crate) mod baseline;
pub(crate) mod cache;
pub(crate) mod calendar;
pub(crate) mod capture;
pub mod cli;
pub(crate) mod commands;
pub mod config;
pub mod datagen;
pub mod error;
pub(crate) mod expr;
pub(crate) mod files;
pub(crate) mod forecast;
pub(crate) mod measure;
pub(crate) mod output;
pub(crate) mod pipeline;
pub mod plan;
pub mod postgres;
pub(crate) mod progress;
pub mod report;
pub mod snapshot;
pub(crate) mod sqltext;
pub(crate) mod suggest;
pub(crate) mod verdict;
pub(crate) mod workload;

use crate::cli::{Cli, Command};
use crate::config::Settings;
use crate::error::{Error, Result};

pub use crate::commands::Outcome;

pub use crate::cli::VERSION;

/// Run one command.
pub async fn run(cli: Cli) -> Result<Outcome> {
    progress::configure(cli.quiet, cli.verbose);
    match cli.command {
        Command::Check { queries, forecast, common } => {
            commands::check::run(&Settings::load(&forecast.apply(common.overrides()?)?)?, &queries).await
        }
        Command::Bless { queries, common } => {
            commands::bless::run(&Settings::load(&common.overrides()?)?, &queries).await
        }
        Command::Curve { query, points, max_scale, svg, forecast, bisect, common } => {
            let settings = Settings::load(&forecast.apply(common.overrides()?)?)?;
            let shape = commands::curve::Request { points, max_scale, svg: svg.as_deref(), bisect };
            commands::curve::run(&settings, &query, &shape).await
        }
        Command::Explain { query, scale, case, generic, forecast, common } => {
            let settings = Settings::load(&forecast.apply(common.overrides()?)?)?;
            commands::explain::run(&settings, &query, scale, case.as_deref(), generic).await
        }
        Command::Upgrade { queries, from, to, common } => {
            commands::upgrade::run(&Settings::load(&common.upgrade_overrides(from, to)?)?, &queries).await
        }
        Command::Merge { reports, format, output } => commands::merge::run(&reports, format, output.as_deref()),
        Command::Suggest { queries, from, common } => {
            let settings = Settings::load(&common.overrides()?)?;
            commands::suggest::run(&settings, &queries, from.as_deref(), progress::verbosity() > 0).await
        }
        Command::Completions { shell } => {
            let mut cmd = <cli::Cli as clap::CommandFactory>::command();
            output::write(None, |_, out| {
                clap_complete::generate(shell, &mut cmd, "plangate", out);
                Ok(())
            })?;
            Ok(Outcome::Pass)
        }
        Command::Man => {
            let cmd = <cli::Cli as clap::CommandFactory>::command();
            output::write(None, |_, out| clap_mangen::Man::new(cmd).render(out))?;
            Ok(Outcome::Pass)
        }
        Command::Init { schema, force, common, from_url, keep_values, queries, from_sqlx, from_stats } => {
            let request =
                commands::init::Request { schema, force, from_url, keep_values, queries, from_sqlx, from_stats };
            commands::init::run(&request, &common.overrides()?).await
        }
        Command::ReapContainers { run } => {
            postgres::container::reap_when_gone(&run).await;
            Ok(Outcome::Pass)
        }
        Command::Cache { action, cache } => commands::cache::run(&action, &cache),
        Command::Capture { queries, check, keep_going, command, common } => {
            let request = commands::capture::Request { queries, check, keep_going, command };
            let overrides = common.overrides()?;
            match Settings::load(&overrides) {
                Err(Error::ConfigNotFound { .. }) if overrides.config.is_none() => {
                    // No plangate.toml yet: capture writes the tests' schema, then init writes
                    // the config from it, and adds the captured queries' parameters.
                    let path = std::path::PathBuf::from(config::CONFIG_FILE);
                    let settings = Settings::from_text(&path, "[schema]\nfiles = []\n", &overrides)?;
                    let outcome = commands::capture::run(&settings, &request).await?;
                    if !request.check {
                        let init = commands::init::Request::default();
                        commands::init::run(&init, &overrides).await?;
                        commands::init::run(&init, &overrides).await?;
                    }
                    Ok(outcome)
                }
                loaded => commands::capture::run(&loaded?, &request).await,
            }
        }
        Command::Fidelity { tables, common } => {
            commands::fidelity::run(&Settings::load(&common.overrides()?)?, &tables).await
        }
    }
}
