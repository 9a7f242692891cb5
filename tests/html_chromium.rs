//! The HTML report as a browser draws it: headless Chromium renders a real report and
//! every SVG chart must have a non-zero size on the page.

mod common;

use std::process::Command;

fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
        .map(str::to_string)
}

#[test]
fn charts_of_the_html_report_are_drawn_in_a_browser() {
    let Some(browser) = chromium() else {
        // CI installs Chromium (ci/install-deps.sh); there, its absence is a failure.
        assert!(std::env::var_os("CI").is_none(), "Chromium is missing in CI: ci/install-deps.sh installs it");
        common::did_not_run("charts_of_the_html_report_are_drawn_in_a_browser", "no Chromium on this machine");
        return;
    };
    let p = common::small_project("SELECT count(*) FROM items WHERE kind = 3");
    let (code, _, stderr) = p.run(&["check", "--format", "html", "--output", "report.html"]);
    assert_eq!(code, 0, "{stderr}");
    // Measure every chart once the page is laid out, and write the sizes into the DOM.
    let html = p.read("report.html").replace(
        "</body>",
        "<script>document.body.setAttribute('data-svg-sizes', [...document.querySelectorAll('svg')]\
         .map(s => { const r = s.getBoundingClientRect(); return Math.round(r.width) + 'x' + Math.round(r.height); }).join(','));</script></body>",
    );
    p.write("measured.html", &html);
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", p.path().join("measured.html").display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let sizes = dom
        .split("data-svg-sizes=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no sizes in the DOM: {dom}"));
    let sizes: Vec<(u32, u32)> = sizes
        .split(',')
        .map(|s| {
            let (w, h) = s.split_once('x').unwrap();
            (w.parse().unwrap(), h.parse().unwrap())
        })
        .collect();
    assert_eq!(sizes.len(), 2, "a work and a time chart: {sizes:?}");
    assert!(sizes.iter().all(|(w, h)| *w > 100 && *h > 100), "charts are drawn: {sizes:?}");
}
