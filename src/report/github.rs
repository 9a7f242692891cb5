//! The GitHub Actions report: workflow annotations on the query files and the summary
//! line. The output appends the markdown report to `$GITHUB_STEP_SUMMARY`.

use crate::analysis::Severity;
use crate::report::Report;

pub fn render(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for q in &report.queries {
        for c in &q.cases {
            for f in &c.findings {
                let level = if f.severity == Severity::Error { "error" } else { "warning" };
                let at = f.at();
                writeln!(
                    out,
                    "::{level} file={},title={}::{}",
                    property(&q.file),
                    property(&format!("plangate {} ({})", f.kind, q.title())),
                    data(&format!("{} ({}){at}: {}", q.title(), c.case, f.detail))
                )?;
            }
        }
    }
    if let Some(u) = &report.upgrade {
        for c in u.changes.iter().filter(|c| c.change != crate::report::upgrade::Change::Worse) {
            writeln!(
                out,
                "::notice file={},title={}::{}",
                property(&c.file),
                property(&format!("plangate upgrade: {} ({})", c.change.as_str(), c.query)),
                data(&format!("{} ({}) on Postgres {} -> {}: {}", c.query, c.case, u.from, u.to, c.work()))
            )?;
        }
        writeln!(out, "{}", u.headline())?;
    }
    writeln!(out, "{}", report.summary())?;
    Ok(())
}

/// Escape an annotation's message (GitHub's workflow-command encoding).
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escape an annotation property.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}
