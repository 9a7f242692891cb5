//! What `suggest` reports: each verified suggestion, the candidates tried, the schema's own
//! indexes that go unused, one migration for the failing queries, and their ranking.

use std::collections::BTreeMap;

use serde::Serialize;

/// A suggestion that was verified by building it and re-running the query.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Suggestion {
    /// `index`, or `statistics` (extended statistics for a misestimate).
    pub kind: SuggestionKind,
    pub query: String,
    pub case: String,
    pub table: String,
    pub ddl: String,
    pub columns: Vec<String>,
    pub include: Vec<String>,
    #[serde(rename = "where")]
    pub predicate: Option<String>,
    pub scale: f64,
    pub work_before: u64,
    pub work_after: u64,
    pub time_before_ms: f64,
    pub time_after_ms: f64,
    pub size_bytes: i64,
    /// What keeping it up costs: the bytes each row adds to it (its size over the table's
    /// rows), written on every insert and on every update of a key column.
    pub bytes_per_row: f64,
    /// Rows the case returns, which ranking weighs work against.
    #[serde(skip)]
    pub returned_rows: f64,
    /// The statement it was verified with, building it under a placeholder name.
    #[serde(skip)]
    pub built_as: String,
    /// Statistics: the misestimated node, and its q-error (estimate vs actual rows, the
    /// larger over the smaller) before and after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q_error_before: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q_error_after: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SuggestionKind {
    Index,
    Statistics,
}

/// A candidate and what became of it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Tried {
    pub query: String,
    pub ddl: String,
    /// Whether it is among the suggestions.
    pub kept: bool,
    /// Its measured effect, or why it was left out.
    pub outcome: String,
}

/// An index of the schema the whole catalog's run advises on.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct IndexNote {
    pub index: String,
    pub table: String,
    /// Why: no plan of the catalog reads it; or a suggested index starts with its keys.
    pub reason: String,
}

/// What `suggest --format json` prints.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Suggestions {
    pub format_version: u32,
    /// Best first (see [`rank`]).
    #[expect(clippy::struct_field_names, reason = "the JSON output's key")]
    pub suggestions: Vec<Suggestion>,
    /// With the whole catalog: the fewest suggestions that fix the failing queries, built
    /// together and checked, as one migration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<Migration>,
    /// With the whole catalog: indexes no query uses, and ones a suggested index makes redundant.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub existing: Vec<IndexNote>,
    pub tried: Vec<Tried>,
}

/// One set of suggestions for the whole catalog.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Migration {
    /// The failing queries (at the largest scale) it fixes.
    pub fixes: Vec<String>,
    /// Failing queries none of the suggestions fixes.
    pub unfixed: Vec<String>,
    /// The statements, in order.
    pub statements: Vec<String>,
    /// What building them together showed, when it differs from building each alone.
    pub notes: Vec<String>,
}

/// Rank suggestions. Queries (and cases) whose best suggestion saves the most work come
/// first. Within one, the suggestions that do about as little work as the best (at most
/// twice its work, or twice the rows the query returns, whichever is more: a few blocks
/// more do not matter) come first, smallest first, since every write pays for an index's
/// size; the others follow, least work first.
pub(crate) fn rank(found: &mut [Suggestion]) {
    let key = |s: &Suggestion| (s.query.clone(), s.case.clone());
    let mut best: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    for s in found.iter() {
        let e = best.entry(key(s)).or_insert((u64::MAX, 0));
        e.0 = e.0.min(s.work_after);
        e.1 = e.1.max(s.work_before.saturating_sub(s.work_after));
    }
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let good_enough = |s: &Suggestion| {
        let (least, _) = best[&key(s)];
        s.work_after <= 2 * least.max(s.returned_rows.ceil() as u64)
    };
    found.sort_by(|a, b| {
        let (sa, sb) = (best[&key(a)].1, best[&key(b)].1);
        sb.cmp(&sa).then(key(a).cmp(&key(b))).then(good_enough(b).cmp(&good_enough(a))).then_with(|| {
            if good_enough(a) { a.size_bytes.cmp(&b.size_bytes) } else { a.work_after.cmp(&b.work_after) }
        })
    });
}
