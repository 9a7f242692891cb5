//! Progress on stderr: bars on a terminal, plain lines when stderr is not one or `CI` is
//! set. Nothing of it goes to stdout, where reports go.

use std::io::IsTerminal;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The run's progress display.
pub struct Progress {
    bars: bool,
    current: Mutex<Option<ProgressBar>>,
}

/// The one display of this process.
pub fn global() -> &'static Progress {
    static P: OnceLock<Progress> = OnceLock::new();
    P.get_or_init(|| Progress {
        bars: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
        current: Mutex::new(None),
    })
}

impl Progress {
    /// A finished step, as a line (above the bar, when there is one).
    pub fn line(&self, msg: &str) {
        let current = self.current.lock().expect("progress lock");
        match current.as_ref() {
            Some(bar) => bar.println(format!("plangate: {msg}")),
            None => eprintln!("plangate: {msg}"),
        }
    }

    /// Start a bar of `total` units (plain mode: nothing until the step's line).
    pub fn start(&self, label: &str, total: u64, unit: &str) {
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
    pub fn spin(&self, label: &str) {
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
    pub fn inc(&self, n: u64) {
        if let Some(bar) = self.current.lock().expect("progress lock").as_ref() {
            bar.inc(n);
        }
    }

    /// Remove the current bar.
    pub fn finish(&self) {
        if let Some(bar) = self.current.lock().expect("progress lock").take() {
            bar.finish_and_clear();
        }
    }
}
