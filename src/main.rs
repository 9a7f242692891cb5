//! The plangate binary: parse, run, map the outcome to an exit code. The only place that
//! knows processes, signals and exit codes.

use std::process::ExitCode;

use clap::Parser;
use plangate::Outcome;
use plangate::cli::Cli;
use plangate::error::{EXIT_ERROR, EXIT_FAIL, EXIT_PASS, EXIT_SIGINT, EXIT_SIGTERM, Error};
use tokio::signal::unix::{SignalKind, signal};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let result = runtime.block_on(async {
        let (mut int, mut term) = match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
            (Ok(int), Ok(term)) => (int, term),
            (Err(e), _) | (_, Err(e)) => return Err(Error::postgres("cannot install signal handlers", e)),
        };
        // On a signal the run's future is dropped, and with it every guard: the throwaway
        // server is stopped, its directory and any scratch database removed.
        tokio::select! {
            r = plangate::run(cli) => r,
            _ = int.recv() => Err(Error::Interrupted { name: "SIGINT", code: EXIT_SIGINT }),
            _ = term.recv() => Err(Error::Interrupted { name: "SIGTERM", code: EXIT_SIGTERM }),
        }
    });
    // A container whose start was interrupted half-way has no guard yet: remove it by label.
    if matches!(result, Err(Error::Interrupted { .. })) {
        runtime.block_on(plangate::postgres::container::reap_if_used());
    }
    // Every container is gone by now: the reaper that would remove them ends untouched.
    plangate::postgres::container::disarm_reaper();
    // Blocking cleanup tasks (stopping a server) finish before the process exits.
    runtime.shutdown_timeout(std::time::Duration::from_secs(15));
    match result {
        Ok(Outcome::Pass) => ExitCode::from(EXIT_PASS),
        Ok(Outcome::Fail) => ExitCode::from(EXIT_FAIL),
        Err(e) => {
            report_error(&e);
            ExitCode::from(e.exit_code())
        }
    }
}

fn report_error(e: &Error) {
    let message = e.to_string();
    eprintln!("error: {message}");
    // Causes the message already says are not said twice.
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let cause = s.to_string();
        let cause = cause.trim_end();
        if !message.contains(cause) {
            eprintln!("  caused by: {cause}");
        }
        source = s.source();
    }
    if let Some(hint) = e.hint() {
        eprintln!("  hint: {hint}");
    }
}
