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
        return write_file(path, &text);
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

/// Replace `path` with `bytes` at once: a reader, or a run killed half-way, never sees
/// half a file.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let fail = |source| Error::Write { path: path.to_path_buf(), source };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".plangate-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .tempfile_in(dir)
        .map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, "old and longer than the new").unwrap();
        write_file(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_file_in_a_missing_folder_is_a_write_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/report.json");
        let e = write_file(&path, b"x").unwrap_err();
        assert!(matches!(&e, Error::Write { path: p, .. } if *p == path), "{e:?}");
    }
}
