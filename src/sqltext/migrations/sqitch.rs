//! A sqitch project: `sqitch.plan` names the changes in the order they deploy, and each
//! change's deploy script is `deploy/<change>.sql`. A change reworked later in the plan
//! keeps its earlier script as `deploy/<change>@<tag>.sql`, after the first tag that
//! follows it. `sqitch.conf` may move the plan and the scripts (`top_dir`, `plan_file`,
//! `deploy_dir`).

use std::path::{Path, PathBuf};

use super::MigrationsError;

/// One change to deploy: its name as sqitch prints it and its deploy script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Change {
    pub name: String,
    pub script: PathBuf,
}

/// The changes of the project in `dir` (the folder holding `sqitch.plan` or `sqitch.conf`).
pub(super) fn changes(dir: &Path) -> Result<Vec<Change>, MigrationsError> {
    let conf = read_conf(dir);
    let get = |key: &str| conf.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let top = dir.join(get("top_dir").unwrap_or_else(|| ".".into()));
    let plan_path = get("plan_file").map_or_else(|| top.join("sqitch.plan"), |p| dir.join(p));
    let deploy = get("deploy_dir").map_or_else(|| top.join("deploy"), |p| dir.join(p));
    let text = std::fs::read_to_string(&plan_path)
        .map_err(|source| MigrationsError::Read { path: plan_path.clone(), source })?;
    let entries =
        parse_plan(&text).map_err(|(line, detail)| MigrationsError::Plan { path: plan_path.clone(), line, detail })?;
    let mut out = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let Entry::Change { name, line } = entry else { continue };
        // Reworking a change copies its script to `<change>@<tag>.sql`, after the newest
        // tag at the time: the last tag before the change's next appearance in the plan.
        let next = entries[i + 1..].iter().position(|e| matches!(e, Entry::Change { name: n, .. } if n == name));
        let file = match next {
            None => name.clone(),
            Some(j) => {
                let Some(tag) = entries[i + 1..=i + j].iter().rev().find_map(|e| match e {
                    Entry::Tag(t) => Some(t),
                    Entry::Change { .. } => None,
                }) else {
                    return Err(MigrationsError::Plan {
                        path: plan_path.clone(),
                        line: *line,
                        detail: format!("change `{name}` is reworked later in the plan, but no tag stands between"),
                    });
                };
                format!("{name}@{tag}")
            }
        };
        let script = deploy.join(format!("{file}.sql"));
        if !script.is_file() {
            return Err(MigrationsError::Missing { path: script, listed_in: plan_path.clone() });
        }
        out.push(Change { name: file, script });
    }
    Ok(out)
}

#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Change { name: String, line: usize },
    Tag(String),
}

/// The plan's changes and tags in order; an error is (line, what is wrong).
fn parse_plan(text: &str) -> Result<Vec<Entry>, (usize, String)> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('%') {
            continue;
        }
        let word = line.split_whitespace().next().unwrap_or("");
        if let Some(tag) = word.strip_prefix('@') {
            out.push(Entry::Tag(tag.to_string()));
            continue;
        }
        if word.starts_with('-') {
            return Err((i + 1, format!("`{word}` reverts a change; plangate deploys the plan forward only")));
        }
        let name = word.trim_start_matches('+');
        if name.is_empty() || name.contains(['[', ']', '@', ':', '#']) {
            return Err((i + 1, format!("`{word}` is not a change name")));
        }
        out.push(Entry::Change { name: name.to_string(), line: i + 1 });
    }
    Ok(out)
}

/// `key = value` pairs of `sqitch.conf`'s `[core]` and `[engine "pg"]` sections, in order.
fn read_conf(dir: &Path) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(dir.join("sqitch.conf")) else {
        return Vec::new();
    };
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.trim_matches(['[', ']']).split_whitespace().collect::<Vec<_>>().join(" ");
        } else if let Some((k, v)) = line.split_once('=')
            && (section == "core" || section == "engine \"pg\"")
        {
            out.push((k.trim().to_string(), v.trim().trim_matches('"').to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reworked_changes_deploy_their_tagged_script_first() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("sqitch.plan"),
            "%syntax-version=1.0.0\n%project=x\n\nschema 2020-01-01T00:00:00Z A <a@b> # note\n\
             users [schema] 2020-01-01T00:00:00Z A <a@b>\n@v0 2020-01-01T00:00:00Z A <a@b> # tag\n\
             other 2020-01-01T00:00:00Z A <a@b>\n@v1 2020-01-01T00:00:00Z A <a@b> # tag\n\
             users [users@v1] 2020-01-02T00:00:00Z A <a@b> # reworked\n",
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("deploy")).unwrap();
        for f in ["schema.sql", "users.sql", "users@v1.sql", "other.sql"] {
            std::fs::write(dir.path().join("deploy").join(f), "").unwrap();
        }
        let names: Vec<String> = changes(dir.path()).unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["schema", "users@v1", "other", "users"]);
        std::fs::remove_file(dir.path().join("deploy/schema.sql")).unwrap();
        let err = changes(dir.path()).unwrap_err().to_string();
        assert!(err.contains("schema.sql") && err.contains("sqitch.plan"), "{err}");
    }

    #[test]
    fn plan_lines_that_cannot_be_read_are_named() {
        assert_eq!(parse_plan("-users 2020").unwrap_err().0, 1);
        assert!(parse_plan("\n[bad] x").unwrap_err().1.contains("not a change name"));
    }
}
