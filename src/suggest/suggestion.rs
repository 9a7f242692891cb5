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
    /// An index's access method: `btree`, or `gin`/`gist` for a trigram index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<&'static str>,
    pub scale: f64,
    pub work_before: u64,
    pub work_after: u64,
    /// Rows processed by every plan node, before and after.
    pub rows_processed_before: u64,
    pub rows_processed_after: u64,
    pub time_before_ms: f64,
    pub time_after_ms: f64,
    pub size_bytes: i64,
    /// What keeping it up costs: the bytes each row adds to it (its size over the table's
    /// rows), written on every insert and on every update of a key column.
    pub bytes_per_row: f64,
    /// The case with the index built at every scale whose world was at hand, smallest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub curve: Vec<CurvePoint>,
    /// The exponent of work over rows along `curve`.
    pub growth_exponent: Option<f64>,
    /// Whether, with the index, the case keeps inside the query's growth budget (None: one
    /// scale only was at hand).
    pub within_budget: Option<bool>,
    /// An extension the index needs and the schema lacks: the migration creates it first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    /// Why it is kept beside a suggestion that starts with the same keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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

/// One scale of a suggestion's curve.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CurvePoint {
    pub scale: f64,
    pub work: u64,
    pub rows_processed: u64,
}

/// A query no candidate was tried for, and what in it or its plan left none.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct NoCandidate {
    pub query: String,
    pub reasons: Vec<String>,
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
    /// Queries no candidate was tried for, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub no_candidates: Vec<NoCandidate>,
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
/// first. Within one: those that keep the case inside its growth budget first, then those
/// whose work grows no faster than the best's (within `slack` of its exponent); then the
/// suggestions that do about as little work as the best (at most twice its work, or twice
/// the rows the query returns, whichever is more: a few blocks more do not matter),
/// smallest first, since every write pays for an index's size; the others follow, least
/// work first.
pub(crate) fn rank(found: &mut [Suggestion], slack: f64) {
    let key = |s: &Suggestion| (s.query.clone(), s.case.clone());
    let mut best: BTreeMap<(String, String), (u64, u64, f64)> = BTreeMap::new();
    for s in found.iter() {
        let e = best.entry(key(s)).or_insert((u64::MAX, 0, f64::INFINITY));
        e.0 = e.0.min(s.work_after);
        e.1 = e.1.max(s.work_before.saturating_sub(s.work_after));
        e.2 = e.2.min(s.growth_exponent.unwrap_or(f64::INFINITY));
    }
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let good_enough = |s: &Suggestion| {
        let (least, _, _) = best[&key(s)];
        s.work_after <= 2 * least.max(s.returned_rows.ceil() as u64)
    };
    let outgrows = |s: &Suggestion| s.growth_exponent.is_some_and(|e| e > best[&key(s)].2 + slack);
    let fails = |s: &Suggestion| s.within_budget == Some(false);
    found.sort_by(|a, b| {
        let (sa, sb) = (best[&key(a)].1, best[&key(b)].1);
        sb.cmp(&sa)
            .then(key(a).cmp(&key(b)))
            .then(fails(a).cmp(&fails(b)))
            .then(outgrows(a).cmp(&outgrows(b)))
            .then(good_enough(b).cmp(&good_enough(a)))
            .then_with(
                || {
                    if good_enough(a) { a.size_bytes.cmp(&b.size_bytes) } else { a.work_after.cmp(&b.work_after) }
                },
            )
    });
}

/// Take out of `found` (ranked) every plain index one of whose keys begins the other's
/// (same table and predicate, INCLUDE aside) with a suggestion ranked above it for the same
/// query: one such index serves the query, and every write pays for each. Returns the
/// removed, and why. One kept because only another query's suggestion extends it gets a
/// note that says so.
pub(crate) fn drop_prefixes(found: &mut Vec<Suggestion>) -> Vec<(Suggestion, String)> {
    let begins = |short: &Suggestion, long: &Suggestion| {
        short.kind == SuggestionKind::Index
            && long.kind == SuggestionKind::Index
            && short.table == long.table
            && short.method == Some("btree")
            && long.method == Some("btree")
            && short.predicate == long.predicate
            && short.columns.len() <= long.columns.len()
            && long.columns[..short.columns.len()] == short.columns[..]
    };
    let mut kept: Vec<Suggestion> = Vec::new();
    let mut dropped = Vec::new();
    for s in std::mem::take(found) {
        let above = kept.iter().find(|k| k.query == s.query && (begins(&s, k) || begins(k, &s)));
        match above {
            Some(k) => {
                let growth = match (k.growth_exponent, s.growth_exponent) {
                    (Some(a), Some(b)) => format!("; work grows as rows^{a} against rows^{b}"),
                    _ => String::new(),
                };
                let why = format!(
                    "left out: `{}` shares its leading keys and ranks above it for `{}` ({} blocks against {}{growth}, \
                     {} kB against {})",
                    k.ddl,
                    s.query,
                    k.work_after,
                    s.work_after,
                    k.size_bytes / 1024,
                    s.size_bytes / 1024
                );
                dropped.push((s, why));
            }
            None => kept.push(s),
        }
    }
    for i in 0..kept.len() {
        let other = kept
            .iter()
            .find(|l| l.query != kept[i].query && l.columns.len() > kept[i].columns.len() && begins(&kept[i], l));
        if let Some(other) = other {
            let note = format!(
                "`{}` (for `{}`) begins with its keys but was not verified for `{}`: both are needed, by different queries",
                other.ddl, other.query, kept[i].query
            );
            kept[i].note = Some(note);
        }
    }
    *found = kept;
    dropped
}
