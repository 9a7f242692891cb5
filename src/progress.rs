//! Progress on stderr: bars on a terminal, plain lines when stderr is not one or `CI` is
//! set. Nothing of it goes to stdout, where reports go.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The run's progress display.
pub(crate) struct Progress {
    bars: bool,
    quiet: bool,
    current: Mutex<Option<ProgressBar>>,
}

/// `--quiet` (0 when quiet, else 1 + the number of `-v`), set once before the run.
static LEVEL: AtomicU8 = AtomicU8::new(1);

/// Set `--quiet` and `-v`; before the first use of [`global`].
pub(crate) fn configure(quiet: bool, verbose: u8) {
    LEVEL.store(if quiet { 0 } else { verbose.saturating_add(1) }, Ordering::Relaxed);
}

/// How many `-v` were given (0 also when quiet).
pub(crate) fn verbosity() -> u8 {
    LEVEL.load(Ordering::Relaxed).saturating_sub(1)
}

/// Show a statement plangate runs, with `-v` (`level` 1: what builds and changes the world)
/// or `-vv` (2: every measuring statement too).
pub(crate) fn sql(level: u8, statement: &str) {
    if verbosity() >= level {
        global().line(&format!("sql: {}", statement.trim()));
    }
}

/// A progress line on stderr: a finished step.
pub(crate) fn line(msg: &str) {
    global().line(msg);
}

/// The one display of this process.
pub(crate) fn global() -> &'static Progress {
    static P: OnceLock<Progress> = OnceLock::new();
    P.get_or_init(|| {
        let quiet = LEVEL.load(Ordering::Relaxed) == 0;
        Progress {
            bars: !quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
            quiet,
            current: Mutex::new(None),
        }
    })
}

impl Progress {
    /// A finished step, as a line (above the bar, when there is one).
    pub(crate) fn line(&self, msg: &str) {
        if self.quiet {
            return;
        }
        let current = self.current.lock().expect("progress lock");
        match current.as_ref() {
            Some(bar) => bar.println(format!("plangate: {msg}")),
            None => eprintln!("plangate: {msg}"),
        }
    }

    /// Start a bar of `total` units (plain mode: nothing until the step's line).
    pub(crate) fn start(&self, label: &str, total: u64, unit: &str) {
        if !self.bars {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let template = format!("{{msg:>28}} [{{bar:30}}] {{human_pos}}/{{human_len}} {unit} {{per_sec}} {{elapsed}}");
        bar.set_style(
            ProgressStyle::with_template(&template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Some(old) = self.current.lock().expect("progress lock").replace(bar) {
            old.finish_and_clear();
        }
    }

    /// Start a spinner for a step of unknown length.
    pub(crate) fn spin(&self, label: &str) {
        if !self.bars {
            return;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Some(old) = self.current.lock().expect("progress lock").replace(bar) {
            old.finish_and_clear();
        }
    }

    /// Advance the current bar.
    pub(crate) fn inc(&self, n: u64) {
        if let Some(bar) = self.current.lock().expect("progress lock").as_ref() {
            bar.inc(n);
        }
    }

    /// Remove the current bar.
    pub(crate) fn finish(&self) {
        if let Some(bar) = self.current.lock().expect("progress lock").take() {
            bar.finish_and_clear();
        }
    }
}
