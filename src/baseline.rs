//! The baseline file format (`baselines/<query>.json`) and its versions.
//!
//! Pretty-printed with a stable field order so pull-request diffs are readable; written
//! atomically (temporary file, then rename). Readers ignore unknown fields and refuse a
//! `format_version` they do not know.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analysis::Finding;
use crate::error::{Error, Result};
use crate::measure::{Run, round2};

pub(crate) const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Baseline {
    pub format_version: u32,
    pub query: String,
    pub sql_sha256: String,
    pub postgres_version: String,
    pub config_sha256: String,
    pub cases: Vec<BaselineCase>,
    /// Entries for other Postgres major versions (a version matrix), ascending. The
    /// top-level `postgres_version` and `cases` are the lowest major's entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_versions: Vec<VersionEntry>,
}

/// What one Postgres major version's run recorded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct VersionEntry {
    pub postgres_version: String,
    pub cases: Vec<BaselineCase>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BaselineCase {
    pub case: String,
    pub growth_exponent: Option<f64>,
    /// The growth exponent of rows processed (absent from baselines blessed before it was measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_growth_exponent: Option<f64>,
    pub runs: Vec<BaselineRun>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BaselineRun {
    pub scale: f64,
    pub rows: BTreeMap<String, u64>,
    pub params: Vec<Option<String>>,
    pub shape: String,
    pub work: u64,
    /// Absent from baselines blessed before it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_processed: Option<u64>,
    pub time_ms: f64,
    pub plan_rows: f64,
    pub actual_rows: f64,
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// A query with parameters: its prepared statement's generic plan with these values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generic: Option<BaselineGeneric>,
}

/// What a baseline records of a generic plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BaselineGeneric {
    /// Whether the server settles on it after its first custom plans.
    pub chosen: bool,
    pub shape: String,
    pub work: u64,
}

impl Baseline {
    /// Every entry, the top-level one first.
    pub(crate) fn entries(&self) -> impl Iterator<Item = VersionView<'_>> {
        std::iter::once(VersionView { postgres_version: &self.postgres_version, cases: &self.cases }).chain(
            self.other_versions.iter().map(|e| VersionView { postgres_version: &e.postgres_version, cases: &e.cases }),
        )
    }

    /// The entry blessed on this major version.
    pub(crate) fn for_major(&self, major: u32) -> Option<VersionView<'_>> {
        self.entries().find(|e| major_of(e.postgres_version) == major)
    }

    /// The major versions it has entries for, e.g. "15 and 17".
    pub(crate) fn majors(&self) -> String {
        self.entries().map(|e| major_of(e.postgres_version).to_string()).collect::<Vec<_>>().join(" and ")
    }

    /// `fresh` (one entry) laid over `old`: its major's entry replaced, the other majors' kept.
    pub(crate) fn merge(old: Option<Baseline>, fresh: Baseline) -> Baseline {
        let major = major_of(&fresh.postgres_version);
        let mut entries: Vec<VersionEntry> = old
            .map(|o| {
                std::iter::once(VersionEntry { postgres_version: o.postgres_version, cases: o.cases })
                    .chain(o.other_versions)
                    .filter(|e| major_of(&e.postgres_version) != major)
                    .collect()
            })
            .unwrap_or_default();
        entries.push(VersionEntry { postgres_version: fresh.postgres_version, cases: fresh.cases });
        entries.sort_by_key(|e| major_of(&e.postgres_version));
        let top = entries.remove(0);
        Baseline { postgres_version: top.postgres_version, cases: top.cases, other_versions: entries, ..fresh }
    }
}

/// One major version's entry of a baseline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VersionView<'a> {
    pub postgres_version: &'a str,
    pub cases: &'a [BaselineCase],
}

impl<'a> VersionView<'a> {
    pub(crate) fn case(&self, name: &str) -> Option<&'a BaselineCase> {
        self.cases.iter().find(|c| c.case == name)
    }
}

impl BaselineRun {
    /// What a baseline records of a run (times to two decimals).
    pub(crate) fn of(r: &Run) -> BaselineRun {
        BaselineRun {
            scale: r.scale,
            rows: r.rows.clone(),
            params: r.params.clone(),
            shape: r.shape.clone(),
            work: r.work,
            rows_processed: (!r.timed_out).then_some(r.rows_processed),
            time_ms: round2(r.time_ms),
            plan_rows: r.plan_rows,
            actual_rows: r.actual_rows,
            findings: r.findings.clone(),
            generic: r.generic.as_ref().filter(|g| !g.timed_out).map(|g| BaselineGeneric {
                chosen: g.chosen,
                shape: g.shape.clone(),
                work: g.work,
            }),
        }
    }
}

impl BaselineCase {
    /// The run at `scale`, if the baseline has it.
    pub(crate) fn run_at(&self, scale: f64) -> Option<&BaselineRun> {
        self.runs.iter().find(|r| (r.scale - scale).abs() <= 1e-9 * scale.max(1.0))
    }
}

/// The major version of a `server_version` string ("15.18" -> 15, "9.6.1" -> 9).
pub(crate) fn major_of(version: &str) -> u32 {
    version.split(['.', ' ']).next().and_then(|m| m.parse().ok()).unwrap_or(0)
}

/// The path of a query's baseline.
pub(crate) fn path_for(dir: &Path, query: &str) -> PathBuf {
    dir.join(format!("{query}.json"))
}

/// Read one baseline file, or None when it does not exist.
pub(crate) fn read(path: &Path) -> Result<Option<Baseline>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Read { path: path.to_path_buf(), source });
        }
    };
    let bad = |detail: String| Error::Baseline { path: path.to_path_buf(), detail, source: None };
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| bad(format!("not valid JSON ({e}); re-bless it with `plangate bless`")).because(e))?;
    match value.get("format_version").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(FORMAT_VERSION) => {}
        Some(v) => {
            return Err(bad(format!(
                "format_version {v} is not one this plangate reads (it reads {FORMAT_VERSION}); upgrade plangate or re-bless"
            )));
        }
        None => {
            return Err(bad("no format_version; this is not a plangate baseline".into()));
        }
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| bad(format!("unreadable baseline ({e}); re-bless it with `plangate bless`")).because(e))
}

/// Baseline files whose query no longer exists in the catalog.
pub(crate) fn orphans(dir: &Path, queries: &[String]) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Read { path: dir.to_path_buf(), source });
        }
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| !queries.iter().any(|q| p.file_stem().is_some_and(|s| s == q.as_str())))
        .collect();
    out.sort();
    Ok(out)
}

/// Write a baseline atomically: a temporary file in the same folder, then a rename.
pub(crate) fn write(dir: &Path, baseline: &Baseline) -> Result<PathBuf> {
    let path = path_for(dir, &baseline.query);
    let werr = |source: std::io::Error| Error::Write { path: path.clone(), source };
    std::fs::create_dir_all(dir).map_err(werr)?;
    let mut text = serde_json::to_string_pretty(baseline).expect("a baseline serializes");
    text.push('\n');
    crate::files::write_atomically(&path, &text)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Baseline {
        Baseline {
            format_version: 1,
            query: "q".into(),
            sql_sha256: "s".into(),
            postgres_version: "15.18".into(),
            config_sha256: "c".into(),
            cases: vec![BaselineCase {
                case: "default".into(),
                growth_exponent: Some(0.02),
                rows_growth_exponent: None,
                runs: vec![],
            }],
            other_versions: vec![],
        }
    }

    fn blessed_on(version: &str, exponent: f64) -> Baseline {
        let mut b = sample();
        b.postgres_version = version.into();
        b.cases[0].growth_exponent = Some(exponent);
        b
    }

    #[test]
    fn each_major_keeps_its_own_entry() {
        let b = Baseline::merge(Some(blessed_on("17.10", 0.5)), blessed_on("15.18", 0.1));
        assert_eq!(b.postgres_version, "15.18", "the lowest major is the top-level entry");
        assert_eq!(b.majors(), "15 and 17");
        assert_eq!(b.for_major(17).unwrap().case("default").unwrap().growth_exponent, Some(0.5));
        // Re-blessing one major replaces its entry and keeps the other.
        let b = Baseline::merge(Some(b), blessed_on("17.11", 0.7));
        assert_eq!(b.majors(), "15 and 17");
        assert_eq!(b.for_major(17).unwrap().postgres_version, "17.11");
        assert_eq!(b.for_major(15).unwrap().case("default").unwrap().growth_exponent, Some(0.1));
        assert!(b.for_major(16).is_none());
        // It survives a write and a read, and a single-version file has no other_versions key.
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), &b).unwrap();
        assert_eq!(read(&path).unwrap().unwrap().for_major(17).unwrap().postgres_version, "17.11");
        let path = write(dir.path(), &sample()).unwrap();
        assert!(!std::fs::read_to_string(path).unwrap().contains("other_versions"));
    }

    #[test]
    fn round_trip_and_unknown_fields_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), &sample()).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        v["future_field"] = serde_json::json!(1);
        std::fs::write(&path, v.to_string()).unwrap();
        let b = read(&path).unwrap().unwrap();
        assert!(b.for_major(15).is_some());
        assert_eq!(b.cases[0].growth_exponent, Some(0.02));
    }

    #[test]
    fn unknown_format_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.json");
        std::fs::write(&path, r#"{"format_version": 99, "query": "q"}"#).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("format_version 99"), "{err}");
        std::fs::write(&path, "{ not json").unwrap();
        assert!(read(&path).unwrap_err().to_string().contains("not valid JSON"));
    }

    #[test]
    fn no_temporary_file_is_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &sample()).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("q.json")]);
    }
}
