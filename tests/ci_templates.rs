//! The CI templates users copy (ci/templates/): every plangate command in them is one this
//! plangate accepts, and they produce what their platform reads.

use clap::Parser;
use plangate::cli::Cli;

/// The plangate command lines of a template (after `run:` or a `- ` script item).
fn plangate_commands(template: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(format!("{}/ci/templates/{template}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    text.lines()
        .map(|l| l.trim().trim_start_matches("run:").trim_start_matches("- ").trim())
        .filter(|l| l.starts_with("plangate "))
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

#[test]
fn the_github_actions_template_checks_with_annotations() {
    let commands = plangate_commands("github-actions.yml");
    assert_eq!(commands.len(), 1, "{commands:?}");
    Cli::try_parse_from(&commands[0]).unwrap_or_else(|e| panic!("{:?}: {e}", commands[0]));
    assert_eq!(commands[0][1..], ["check", "--format", "github"]);
}

#[test]
fn the_gitlab_template_writes_the_junit_report_it_declares() {
    let commands = plangate_commands("gitlab-ci.yml");
    assert_eq!(commands.len(), 1, "{commands:?}");
    Cli::try_parse_from(&commands[0]).unwrap_or_else(|e| panic!("{:?}: {e}", commands[0]));
    let output = commands[0].iter().skip_while(|a| *a != "--output").nth(1).expect("--output FILE");
    assert!(commands[0].windows(2).any(|w| w == ["--format", "junit"]), "{commands:?}");
    let text = std::fs::read_to_string(format!("{}/ci/templates/gitlab-ci.yml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    assert!(text.contains(&format!("junit: {output}")), "the artifact must be the file plangate writes");
}
