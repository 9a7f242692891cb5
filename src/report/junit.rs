//! The JUnit report: one test case per query and case; failures carry the findings.

use std::fmt::Write as _;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report as Junit, TestCase, TestCaseStatus, TestSuite};

use crate::analysis::Severity;
use crate::report::{Report, Verdict};

pub(crate) fn render(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut suite = TestSuite::new("plangate");
    for q in &report.queries {
        for c in &q.cases {
            let status = if c.verdict == Verdict::Fail {
                let errors: Vec<_> = c.findings.iter().filter(|f| f.severity == Severity::Error).collect();
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type(errors.first().map_or("regression", |f| f.kind.as_str()));
                s.set_message(errors.first().map_or(String::new(), |f| f.detail.clone()));
                s.set_description(
                    c.findings
                        .iter()
                        .map(|f| {
                            let sev = if f.severity == Severity::Error { "error" } else { "warning" };
                            let at = f.at();
                            format!("{sev}: {}{at}: {}", f.kind, f.detail)
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
                s
            } else {
                TestCaseStatus::success()
            };
            let mut tc = TestCase::new(format!("{} ({})", q.title(), c.case), status);
            tc.set_classname(format!("plangate.{}", q.name));
            if let Some(r) = c.runs.last() {
                tc.set_time(Duration::from_secs_f64(r.time_ms.max(0.0) / 1000.0));
                let growth = c.growth_exponent.map_or("not fitted".into(), |b| format!("rows^{b:.2}"));
                let mut text = format!("work {} blocks at scale {}; growth {growth}\n{}", r.work, r.scale, r.shape);
                for f in &c.forecast {
                    let _ = write!(
                        text,
                        "\nforecast at scale {} (planned, never loaded): estimated cost {:.0}, estimated rows {:.0}{}",
                        f.scale,
                        f.estimated_cost,
                        f.estimated_rows,
                        if f.shape_diff.is_some() { "; the plan changes shape" } else { "" }
                    );
                    for x in c.findings.iter().filter(|x| x.kind.is_forecast() && x.scale == Some(f.scale)) {
                        let sev = if x.severity == Severity::Error { "error" } else { "warning" };
                        let _ = write!(text, "\n  {sev}: {}: {}", x.kind, x.detail);
                    }
                }
                if let Some(u) = report.upgrade.as_ref().and_then(|u| u.of(&q.name, &c.case).map(|x| (u, x))) {
                    let (u, x) = u;
                    let _ = write!(text, "\nPostgres {} -> {}: {}, {}", u.from, u.to, x.change.as_str(), x.work());
                    if let Some(d) = &x.shape_diff {
                        let _ = write!(text, "\n{d}");
                    }
                }
                tc.set_system_out(text);
            }
            suite.add_test_case(tc);
        }
    }
    let mut junit = Junit::new("plangate");
    #[expect(clippy::cast_precision_loss)]
    junit.set_time(Duration::from_secs_f64(report.timings.total_ms as f64 / 1000.0));
    junit.add_test_suite(suite);
    junit.serialize(&mut *out).map_err(std::io::Error::other)?;
    writeln!(out)
}
