//! The JSON report: stable and documented (SPEC section 6).

use crate::report::Report;

pub fn render(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
