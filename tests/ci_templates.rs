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

/// The `args` the GitHub Actions template gives the action, as a plangate command line.
fn action_args(template: &str) -> Vec<String> {
    let text = std::fs::read_to_string(format!("{}/ci/templates/{template}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let args = text.lines().find_map(|l| l.trim().strip_prefix("args:")).expect("args: for the action");
    std::iter::once("plangate").chain(args.split_whitespace()).map(str::to_string).collect()
}

#[test]
fn the_github_actions_template_runs_the_repos_action() {
    let text =
        std::fs::read_to_string(format!("{}/ci/templates/github-actions.yml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    assert!(text.contains("uses: OWNER/plangate@v1"), "{text}");
    assert!(text.contains("pull-requests: write"), "the action comments on the pull request");
    let args = action_args("github-actions.yml");
    Cli::try_parse_from(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert_eq!(args[1..], ["check"]);
}

/// The action the template uses: every script it runs is in the repository, and the
/// command it runs with the default arguments is one plangate accepts.
#[test]
fn the_action_runs_scripts_that_exist() {
    let root = env!("CARGO_MANIFEST_DIR");
    let action = std::fs::read_to_string(format!("{root}/action.yml")).unwrap();
    let scripts: Vec<&str> = action
        .lines()
        .filter_map(|l| l.split("$GITHUB_ACTION_PATH/").nth(1))
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    assert_eq!(scripts, ["ci/action/install.sh", "ci/action/run.sh", "ci/action/comment.sh"], "{action}");
    for s in scripts {
        assert!(std::path::Path::new(&format!("{root}/{s}")).is_file(), "{s}");
    }
    assert!(
        action.contains("exit ${{ steps.run.outputs.exit-code || 2 }}"),
        "the job fails on the check's exit code, or when it did not run"
    );
}

#[test]
fn the_gitlab_template_writes_the_junit_report_it_declares() {
    let commands = plangate_commands("gitlab-ci.yml");
    assert_eq!(commands.len(), 1, "{commands:?}");
    Cli::try_parse_from(&commands[0]).unwrap_or_else(|e| panic!("{:?}: {e}", commands[0]));
    let output = commands[0].iter().skip_while(|a| *a != "--output").nth(1).expect("--output FILE");
    assert!(commands[0].windows(2).any(|w| w == ["--format", "junit"]), "{commands:?}");
    assert!(commands[0].windows(2).any(|w| w == ["--backend", "local"]), "the image has the server: {commands:?}");
    let text = std::fs::read_to_string(format!("{}/ci/templates/gitlab-ci.yml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    assert!(text.contains(&format!("junit: {output}")), "the artifact must be the file plangate writes");
}

/// Both templates show the line that keeps the catalog complete, and it parses.
#[test]
fn the_templates_show_capture_check_as_plangate_parses_it() {
    for template in ["github-actions.yml", "gitlab-ci.yml"] {
        let text = std::fs::read_to_string(format!("{}/ci/templates/{template}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let line =
            text.lines().find(|l| l.contains("plangate capture --check")).unwrap_or_else(|| panic!("{template}"));
        let command = line.trim_start_matches(|c: char| c == '#' || c == '-' || c.is_whitespace());
        let command = command.trim_start_matches("run:").trim();
        let args: Vec<&str> = command.split_whitespace().collect();
        Cli::try_parse_from(&args).unwrap_or_else(|e| panic!("{template}: {args:?}: {e}"));
    }
}
