//! The JSON report: stable, versioned (`format_version`) and documented in the README.

use crate::report::Report;

pub(crate) fn render(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
