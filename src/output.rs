//! The one place that writes what a command produced: stdout, or the `--output` file
//! (written whole or not at all), and the GitHub step summary. Renderers only make text.

use std::io::{IsTerminal, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::report::{self, Format, Report};

/// Whether output to a stream goes in colour: never with `NO_COLOR` set (and not empty),
/// always with `CLICOLOR_FORCE` set (and not `0`), else when the stream is a terminal.
pub(crate) fn color(is_terminal: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("NO_COLOR") {
        return false;
    }
    if set("CLICOLOR_FORCE") && std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    is_terminal
}

/// Write the text `render` makes to `output`, or to stdout. `render` is told whether the
/// text goes to a colour terminal; a file never gets colour.
pub(crate) fn write(
    output: Option<&Path>,
    render: impl FnOnce(bool, &mut Vec<u8>) -> std::io::Result<()>,
) -> Result<()> {
    let mut text = Vec::new();
    if let Some(path) = output {
        render(false, &mut text).map_err(|source| Error::Write { path: path.to_path_buf(), source })?;
        return crate::files::write_atomically(path, &text);
    }
    let stdout = std::io::stdout();
    let fail = |source| Error::Write { path: "<stdout>".into(), source };
    render(color(stdout.is_terminal()), &mut text).map_err(fail)?;
    let mut lock = stdout.lock();
    lock.write_all(&text).and_then(|()| lock.flush()).map_err(fail)
}

/// Write a report in `format` to `output` or stdout. The GitHub format also appends the
/// markdown report to `$GITHUB_STEP_SUMMARY` when that is set.
pub(crate) fn report(report: &Report, format: Format, output: Option<&Path>) -> Result<()> {
    write(output, |color, out| report::render(report, format, color, out))?;
    if format == Format::Github {
        if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            let path = Path::new(&path);
            let mut md = Vec::new();
            let appended = report::markdown::render(report, &mut md)
                .and_then(|()| std::fs::OpenOptions::new().create(true).append(true).open(path)?.write_all(&md));
            appended.map_err(|source| Error::Write { path: path.to_path_buf(), source })?;
        }
    }
    Ok(())
}
