//! Verifying `suggest`'s candidates on the measured world: each index or statistics object
//! built at the largest scale, the catalog re-run, and kept only when it halves a case's
//! work without making another query worse; with the whole catalog, one migration for the
//! failing queries, checked built together.

use std::collections::BTreeMap;

use sqlx::{AssertSqlSafe, PgConnection, Row};

use crate::analysis::Kind;
use crate::baseline;
use crate::config::Settings;
use crate::config::catalog::Query;
use crate::datagen::load::{quote_ident, statistics_target};
use crate::error::{Error, Result, db_message};
use crate::measure::{self, AtScale, Run};
use crate::plan::Explain;
use crate::progress::line as progress;
use crate::suggest::{
    self, Candidate, IndexNote, Migration, Suggestion, SuggestionKind, Suggestions, Tried, can_exceed_btree_entry,
};
use crate::{report, verdict};

use super::Session;

/// The name candidates are built under while they are measured.
const CANDIDATE: &str = "plangate_candidate";
/// Largest key value, in bytes, a key of a type without a bound may have in the world:
/// an eighth of the btree entry limit (2704 bytes on 8 kB pages), so that production's
/// longer values still fit.
const MAX_UNBOUNDED_KEY_BYTES: i64 = 338;
/// Factor by which extended statistics must cut the misestimate at its node to be kept.
const STATISTICS_GAIN: f64 = 10.0;
/// An index of the schema: its table, name and definition, and whether a constraint
/// (a key) owns it.
struct Existing {
    table: String,
    name: String,
    def: String,
    constraint: bool,
    /// The partitioned index at the top of the tree this index is attached to (its own
    /// name when it is attached to none): a plan reads a partition's index, and the schema
    /// declares the parent's.
    root: String,
}

/// What one verification run shares.
struct Verifier<'a> {
    queries: &'a [Query],
    at: AtScale<'a>,
    /// Each case at the largest scale before any candidate: [query][case].
    before: Vec<Vec<Before>>,
    largest: u64,
    tried: Vec<Tried>,
}

/// A case at the largest scale before any candidate: candidates are measured with the
/// same parameter values, and must halve its work.
struct Before {
    work: u64,
    time_ms: f64,
    params: Vec<Option<String>>,
    /// Rows the case returns.
    rows: f64,
}

/// What building a candidate did to the query it is for.
enum Effect {
    /// Halved the work of `case` (the case it helps most), and made no other query worse.
    Helps { case: usize, work: u64, time_ms: f64 },
    /// The best it did: no case's work halved.
    TooLittle { before: u64, after: u64 },
    /// It made another query worse.
    Hurts { query: String, before: u64, after: u64 },
}

/// Every candidate of the measured queries, verified on the session at the largest scale.
pub(crate) async fn verify(
    settings: &Settings,
    s: &mut Session<'_>,
    baselines: &[Option<baseline::Baseline>],
    whole_catalog: bool,
) -> Result<Suggestions> {
    // Candidates are built in the world and dropped again: it is not kept for another run.
    s.world_changed = true;
    let existing = existing_indexes(&mut s.conn).await?;
    let mut indexdefs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in &existing {
        indexdefs.entry(e.table.clone()).or_default().push(e.def.clone());
    }
    let before: Vec<Vec<Before>> = s
        .runs
        .iter()
        .map(|q| {
            q.cases
                .iter()
                .map(|c| match c.runs.last() {
                    Some(r) => {
                        Before { work: r.work, time_ms: r.time_ms, params: r.params.clone(), rows: r.actual_rows }
                    }
                    None => Before { work: 0, time_ms: 0.0, params: Vec::new(), rows: 0.0 },
                })
                .collect()
        })
        .collect();
    let table_rows = s.table_rows.clone();
    let at = AtScale {
        scale: s.scale,
        table_rows: &table_rows,
        thresholds: &settings.thresholds,
        seed: settings.seed,
        sample_shape: false,
    };
    let mut v = Verifier {
        queries: s.queries,
        at,
        before,
        largest: table_rows.values().copied().max().unwrap_or(0),
        tried: Vec::new(),
    };

    let mut found: Vec<Suggestion> = Vec::new();
    for (qi, q) in s.queries.iter().enumerate() {
        let mut candidates: Vec<Candidate> = Vec::new();
        for run in s.runs[qi].cases.iter().filter_map(|c| c.runs.last()) {
            let Some(plan) = run.plan.as_ref().and_then(|p| Explain::from_json(p).ok()) else { continue };
            let c = suggest::candidates(&q.statement(), &plan.plan, &s.catalog, &indexdefs);
            for (ddl, why) in c.skipped {
                if !v.tried.iter().any(|t| t.query == q.name && t.ddl == ddl) {
                    v.tried.push(Tried {
                        query: q.name.clone(),
                        ddl,
                        kept: false,
                        outcome: format!("left out: {why}"),
                    });
                }
            }
            for c in c.list {
                if !candidates.contains(&c) {
                    candidates.push(c);
                }
            }
        }
        for cand in candidates {
            if let Some(s) = v.index(&mut s.conn, &s.catalog, &s.runs[qi].cases, (qi, q), &cand).await? {
                found.push(s);
            }
        }
        // Extended statistics for misestimates over two or more columns of one table.
        let mut statistics: Vec<(String, Vec<String>)> = Vec::new();
        for (ci, c) in s.runs[qi].cases.iter().enumerate() {
            let Some(run) = c.runs.last() else { continue };
            for f in run.findings.iter().filter(|f| f.kind == Kind::Misestimate) {
                let (Some(estimate), Some(node)) = (&f.estimate, &f.node) else { continue };
                let Some(target) = suggest::statistics_columns(estimate, &s.catalog) else { continue };
                if statistics.contains(&target) {
                    continue;
                }
                statistics.push(target.clone());
                let (table, columns) = target;
                let q_before = q_error(estimate.estimated_rows, estimate.actual_rows);
                let case_name = c.case.clone();
                let stat = (table, columns, node.label.clone(), q_before);
                if let Some(s) = v.statistics(&mut s.conn, (qi, q), (ci, case_name), stat).await? {
                    found.push(s);
                }
            }
        }
    }
    suggest::rank(&mut found);

    let (migration, notes) = if whole_catalog {
        let version: String = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&mut s.conn)
            .await
            .map_err(|e| Error::postgres("reading the server's version", e))?;
        let failing = failing_cases(s, baseline::major_of(&version), baselines, settings);
        let migration = v.migration(&mut s.conn, &found, &failing).await?;
        (Some(migration), existing_notes(s, &existing, &found))
    } else {
        (None, Vec::new())
    };
    Ok(Suggestions { format_version: 1, suggestions: found, migration, existing: notes, tried: v.tried })
}

impl Verifier<'_> {
    fn note(&mut self, q: &Query, ddl: &str, kept: bool, outcome: String) {
        self.tried.push(Tried { query: q.name.clone(), ddl: ddl.to_string(), kept, outcome });
    }

    /// Build an index candidate, measure, drop it; the suggestion when it is kept.
    async fn index(
        &mut self,
        conn: &mut PgConnection,
        catalog: &crate::datagen::schema::Catalog,
        cases: &[measure::CaseRuns],
        (qi, q): (usize, &Query),
        cand: &Candidate,
    ) -> Result<Option<Suggestion>> {
        let ddl = cand.ddl(true, &cand.name());
        if let Some(why) = too_wide_key(conn, catalog, cand).await? {
            self.note(q, &ddl, false, format!("left out: {why}"));
            return Ok(None);
        }
        let build = cand.ddl(false, CANDIDATE);
        crate::progress::sql(1, &build);
        if let Err(e) = sqlx::raw_sql(AssertSqlSafe(build.clone())).execute(&mut *conn).await {
            self.note(q, &ddl, false, format!("cannot be built: {}", db_message(&e)));
            return Ok(None);
        }
        let measured = async {
            if cand.columns.iter().any(suggest::IndexKey::is_expression) {
                // Expression indexes have statistics of their own; sample the whole table, as the loader does.
                analyze(conn, &cand.table, self.largest).await?;
            }
            let size: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT pg_relation_size('{CANDIDATE}')")))
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| Error::postgres("measuring a candidate's size", e))?;
            Ok::<_, Error>((size, self.effect(conn, qi, q).await?))
        }
        .await;
        sqlx::raw_sql(AssertSqlSafe(format!("DROP INDEX {CANDIDATE}")))
            .execute(&mut *conn)
            .await
            .map_err(|e| Error::postgres("dropping a candidate index", e))?;
        let (size, effect) = measured?;
        let rows = self.at.table_rows.get(&cand.table).copied().unwrap_or(0).max(1);
        #[expect(clippy::cast_precision_loss)]
        let bytes_per_row = report::round2(size as f64 / rows as f64);
        let (case, work, time_ms) = match effect {
            Effect::Helps { case, work, time_ms } => (case, work, time_ms),
            Effect::TooLittle { before, after } => {
                self.note(q, &ddl, false, format!("does not halve the work ({before} -> {after} blocks at best)"));
                return Ok(None);
            }
            Effect::Hurts { query, before, after } => {
                self.note(q, &ddl, false, format!("makes `{query}` worse ({before} -> {after} blocks)"));
                return Ok(None);
            }
        };
        let (b_work, b_time) = (self.before[qi][case].work, self.before[qi][case].time_ms);
        self.note(
            q,
            &ddl,
            true,
            format!(
                "cuts {} from {b_work} to {} blocks; {} kB, {bytes_per_row} bytes per row",
                cases[case].case,
                work,
                size / 1024
            ),
        );
        progress(&format!("{}: {} cuts work from {b_work} to {} blocks", q.name, cand.name(), work));
        Ok(Some(Suggestion {
            kind: SuggestionKind::Index,
            query: q.name.clone(),
            case: cases[case].case.clone(),
            table: cand.table.clone(),
            ddl,
            columns: cand.columns.iter().map(ToString::to_string).collect(),
            include: cand.include.clone(),
            predicate: cand.predicate.as_ref().map(ToString::to_string),
            scale: self.at.scale,
            work_before: b_work,
            work_after: work,
            time_before_ms: b_time,
            time_after_ms: report::round2(time_ms),
            size_bytes: size,
            bytes_per_row,
            returned_rows: self.before[qi][case].rows,
            built_as: build,
            node: None,
            q_error_before: None,
            q_error_after: None,
        }))
    }

    /// Create extended statistics on `columns` of `table`, analyze, re-run; keep them when
    /// the misestimate at `node` falls `STATISTICS_GAIN` times or the work halves, and no
    /// other query gets worse.
    async fn statistics(
        &mut self,
        conn: &mut PgConnection,
        (qi, q): (usize, &Query),
        (ci, case): (usize, String),
        (table, columns, node, q_before): (String, Vec<String>, String, f64),
    ) -> Result<Option<Suggestion>> {
        let cols: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
        let short = table.rsplit('.').next().unwrap_or(&table);
        let name = format!("{short}_{}_stats", columns.join("_"));
        let on = format!("(dependencies, ndistinct, mcv) ON {} FROM {}", cols.join(", "), table);
        let ddl = format!("CREATE STATISTICS {} {on}", quote_ident(&name));
        let create = format!("CREATE STATISTICS {CANDIDATE} {on}");
        crate::progress::sql(1, &create);
        if let Err(e) = sqlx::raw_sql(AssertSqlSafe(create.clone())).execute(&mut *conn).await {
            self.note(q, &ddl, false, format!("cannot be created: {}", db_message(&e)));
            return Ok(None);
        }
        let measured = async {
            analyze(conn, &table, self.largest).await?;
            let case_spec = &q.cases[ci];
            let run =
                measure::run_case(&mut *conn, self.at, q, qi, case_spec, Some(&self.before[qi][ci].params)).await?;
            let others = self.others_worse(conn, qi).await?;
            Ok::<_, Error>((run, others))
        }
        .await;
        sqlx::raw_sql(AssertSqlSafe(format!("DROP STATISTICS {CANDIDATE}")))
            .execute(&mut *conn)
            .await
            .map_err(|e| Error::postgres("dropping candidate statistics", e))?;
        // The table's statistics as they were (ANALYZE samples every row: the same again).
        analyze(conn, &table, self.largest).await?;
        let (run, worse) = measured?;
        let q_after = run
            .plan
            .as_ref()
            .and_then(|p| Explain::from_json(p).ok())
            .and_then(|e| {
                e.plan
                    .walk()
                    .into_iter()
                    .find(|(n, _)| n.label() == node)
                    .map(|(n, _)| q_error(n.plan_rows, n.actual_rows))
            })
            .unwrap_or(q_before);
        let (b_work, b_time) = (self.before[qi][ci].work, self.before[qi][ci].time_ms);
        if let Some((query, before, after)) = worse {
            self.note(q, &ddl, false, format!("makes `{query}` worse ({before} -> {after} blocks)"));
            return Ok(None);
        }
        let gain = q_before / q_after.max(1.0);
        if gain < STATISTICS_GAIN && run.work * 2 > b_work {
            self.note(
                q,
                &ddl,
                false,
                format!(
                    "{node}: q-error {q_before:.0} -> {q_after:.0}, work {b_work} -> {} blocks: too little",
                    run.work
                ),
            );
            return Ok(None);
        }
        self.note(
            q,
            &ddl,
            true,
            format!("{node}: q-error {q_before:.0} -> {q_after:.1}; work {b_work} -> {} blocks", run.work),
        );
        progress(&format!("{}: statistics on {} cut the misestimate at {node} {gain:.0}x", q.name, columns.join(", ")));
        Ok(Some(Suggestion {
            kind: SuggestionKind::Statistics,
            query: q.name.clone(),
            case,
            table,
            ddl,
            columns,
            include: Vec::new(),
            predicate: None,
            scale: self.at.scale,
            work_before: b_work,
            work_after: run.work,
            time_before_ms: b_time,
            time_after_ms: report::round2(run.time_ms),
            size_bytes: 0,
            bytes_per_row: 0.0,
            returned_rows: self.before[qi][ci].rows,
            built_as: create,
            node: Some(node),
            q_error_before: Some(report::round2(q_before)),
            q_error_after: Some(report::round2(q_after)),
        }))
    }

    /// With a candidate built: the case of `q` it helps most, or why it does not count.
    async fn effect(&self, conn: &mut PgConnection, qi: usize, q: &Query) -> Result<Effect> {
        let mut best: Option<(usize, Run)> = None;
        let mut least = (0, u64::MAX);
        for (ci, case) in q.cases.iter().enumerate() {
            let run = measure::run_case(&mut *conn, self.at, q, qi, case, Some(&self.before[qi][ci].params)).await?;
            let was = self.before[qi][ci].work;
            if run.work < least.1 {
                least = (was, run.work);
            }
            let saves = was.saturating_sub(run.work);
            if run.work * 2 <= was
                && best.as_ref().is_none_or(|(bi, b)| saves > self.before[qi][*bi].work.saturating_sub(b.work))
            {
                best = Some((ci, run));
            }
        }
        let Some((case, run)) = best else { return Ok(Effect::TooLittle { before: least.0, after: least.1 }) };
        if let Some((query, before, after)) = self.others_worse(conn, qi).await? {
            return Ok(Effect::Hurts { query, before, after });
        }
        Ok(Effect::Helps { case, work: run.work, time_ms: run.time_ms })
    }

    /// The first query of the run but `qi` whose work got worse than the threshold allows.
    async fn others_worse(&self, conn: &mut PgConnection, qi: usize) -> Result<Option<(String, u64, u64)>> {
        for (oi, other) in self.queries.iter().enumerate().filter(|(oi, _)| *oi != qi) {
            for (ci, case) in other.cases.iter().enumerate() {
                let run =
                    measure::run_case(&mut *conn, self.at, other, oi, case, Some(&self.before[oi][ci].params)).await?;
                let was = self.before[oi][ci].work;
                #[expect(clippy::cast_precision_loss)]
                if run.work as f64 > self.at.thresholds.regression_ratio * was.max(1) as f64 {
                    return Ok(Some((other.name.clone(), was, run.work)));
                }
            }
        }
        Ok(None)
    }

    /// The fewest suggestions that fix the failing cases: for each failing case, best
    /// first, the first suggestion that halves its work, unless one already chosen does.
    /// They are then built together and every query re-run: what the set does differently
    /// from each suggestion alone is noted.
    async fn migration(
        &mut self,
        conn: &mut PgConnection,
        found: &[Suggestion],
        failing: &[(usize, usize)],
    ) -> Result<Migration> {
        let label = |qi: usize, ci: usize| {
            let q = &self.queries[qi];
            if q.cases.len() == 1 { q.name.clone() } else { format!("{} ({})", q.name, q.cases[ci].name) }
        };
        let mut chosen: Vec<&Suggestion> = Vec::new();
        let mut fixes = Vec::new();
        let mut unfixed = Vec::new();
        for &(qi, ci) in failing {
            let (name, case) = (&self.queries[qi].name, &self.queries[qi].cases[ci].name);
            let covered = chosen.iter().any(|s| &s.query == name && &s.case == case);
            match found.iter().find(|s| &s.query == name && &s.case == case) {
                Some(s) => {
                    if !covered && !chosen.iter().any(|c| c.ddl == s.ddl) {
                        chosen.push(s);
                    }
                    fixes.push(label(qi, ci));
                }
                None if !covered => unfixed.push(label(qi, ci)),
                None => fixes.push(label(qi, ci)),
            }
        }
        let mut notes = Vec::new();
        if !chosen.is_empty() {
            notes = self.together(conn, &chosen).await?;
        }
        Ok(Migration { fixes, unfixed, statements: chosen.iter().map(|s| format!("{};", s.ddl)).collect(), notes })
    }

    /// Build `chosen` together, re-run every case, drop them: where a chosen suggestion's
    /// case does not keep its gain, or another case gets worse, a note.
    async fn together(&self, conn: &mut PgConnection, chosen: &[&Suggestion]) -> Result<Vec<String>> {
        let mut made: Vec<String> = Vec::new();
        let mut notes = Vec::new();
        for (i, s) in chosen.iter().enumerate() {
            let name = format!("plangate_set_{i}");
            let sql = s.built_as.replacen(CANDIDATE, &name, 1);
            if let Err(e) = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *conn).await {
                notes.push(format!("`{}` could not be built with the others: {}", s.ddl, db_message(&e)));
                continue;
            }
            made.push(match s.kind {
                SuggestionKind::Index => format!("DROP INDEX {name}"),
                SuggestionKind::Statistics => format!("DROP STATISTICS {name}"),
            });
        }
        let checked = async {
            let tables: Vec<&str> = chosen.iter().map(|s| s.table.as_str()).collect();
            for t in &tables {
                analyze(conn, t, self.largest).await?;
            }
            for (qi, q) in self.queries.iter().enumerate() {
                for (ci, case) in q.cases.iter().enumerate() {
                    let run =
                        measure::run_case(&mut *conn, self.at, q, qi, case, Some(&self.before[qi][ci].params)).await?;
                    let was = self.before[qi][ci].work;
                    let alone =
                        chosen.iter().filter(|s| s.query == q.name && s.case == case.name).map(|s| s.work_after).min();
                    #[expect(clippy::cast_precision_loss)]
                    let limit = self.at.thresholds.regression_ratio * alone.unwrap_or(was).max(1) as f64;
                    #[expect(clippy::cast_precision_loss)]
                    if run.work as f64 > limit {
                        notes.push(format!(
                            "built together, {} ({}) does {} blocks of work, against {} with its suggestion alone",
                            q.name,
                            case.name,
                            run.work,
                            alone.unwrap_or(was)
                        ));
                    }
                }
            }
            Ok::<_, Error>(())
        }
        .await;
        for drop in made {
            sqlx::raw_sql(AssertSqlSafe(drop))
                .execute(&mut *conn)
                .await
                .map_err(|e| Error::postgres("dropping the set's indexes", e))?;
        }
        for s in chosen {
            analyze(conn, &s.table, self.largest).await?;
        }
        checked?;
        Ok(notes)
    }
}

/// Every case of the run that fails its check at the largest scale (budgets and
/// baselines as `check` judges them): (query, case).
fn failing_cases(
    s: &Session<'_>,
    major: u32,
    baselines: &[Option<baseline::Baseline>],
    settings: &Settings,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (qi, (qr, base)) in s.runs.iter().zip(baselines).enumerate() {
        for (ci, c) in qr.cases.iter().enumerate() {
            let entry = base.as_ref().and_then(|b| b.for_major(major)).and_then(|e| e.case(&c.case));
            if verdict::evaluate(c, qr.query.budget(), entry, &settings.thresholds).failed() {
                out.push((qi, ci));
            }
        }
    }
    out
}

/// Indexes of the schema no plan of the run reads (keys aside: they enforce), and those a
/// suggestion makes redundant (its keys start with theirs, with the same predicate).
fn existing_notes(s: &Session<'_>, existing: &[Existing], found: &[Suggestion]) -> Vec<IndexNote> {
    let mut used: Vec<String> = Vec::new();
    for run in s.runs.iter().flat_map(|q| &q.cases).flat_map(|c| &c.runs) {
        let plans = run.plan.iter().chain(run.generic.iter().filter_map(|g| g.plan.as_ref()));
        for p in plans.filter_map(|p| Explain::from_json(p).ok()) {
            for (n, _) in p.plan.walk() {
                if let Some(i) = &n.index_name {
                    if !used.contains(i) {
                        used.push(i.clone());
                    }
                }
            }
        }
    }
    // A partitioned index is read when any partition's index attached to it is.
    let roots: Vec<&str> = existing.iter().filter(|e| used.contains(&e.name)).map(|e| e.root.as_str()).collect();
    let mut out = Vec::new();
    for e in existing.iter().filter(|e| !e.constraint && e.root == e.name) {
        if !used.contains(&e.name) && !roots.contains(&e.name.as_str()) {
            out.push(IndexNote {
                index: e.name.clone(),
                table: e.table.clone(),
                reason: "no plan of the catalog reads it, at any scale; it still costs every write".into(),
            });
        }
        if let Some(s) = found.iter().find(|s| s.kind == SuggestionKind::Index && suggest::prefix_of(&e.def, &s.ddl)) {
            out.push(IndexNote {
                index: e.name.clone(),
                table: e.table.clone(),
                reason: format!("the suggested `{}` starts with its keys: it would be redundant", s.ddl),
            });
        }
    }
    out
}

async fn existing_indexes(conn: &mut PgConnection) -> Result<Vec<Existing>> {
    let rows = sqlx::query(
        "SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END AS tbl,
                ic.relname::text AS name, pg_get_indexdef(i.indexrelid) AS def,
                EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) AS constraint,
                (SELECT r.relname::text FROM pg_class r
                 WHERE r.oid = COALESCE(pg_partition_root(i.indexrelid), i.indexrelid)) AS root
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_class ic ON ic.oid = i.indexrelid
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
         ORDER BY 1, 2",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| Error::postgres("reading existing indexes", e))?;
    Ok(rows
        .into_iter()
        .map(|r| Existing {
            table: r.get("tbl"),
            name: r.get("name"),
            def: r.get("def"),
            constraint: r.get("constraint"),
            root: r.get("root"),
        })
        .collect())
}

/// Why a candidate's key cannot be trusted to fit a btree entry: a key of a type without
/// a bound whose widest value in the world is already more than an eighth of the limit.
async fn too_wide_key(
    conn: &mut PgConnection,
    catalog: &crate::datagen::schema::Catalog,
    cand: &Candidate,
) -> Result<Option<String>> {
    let Some(table) = catalog.get(&cand.table) else { return Ok(None) };
    for key in &cand.columns {
        let mut unbounded = false;
        let _ = sqlparser::ast::visit_expressions(&key.expr, |e| {
            if let sqlparser::ast::Expr::Identifier(i) = e {
                unbounded |= table.column(&i.value).is_some_and(can_exceed_btree_entry);
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
        if !unbounded {
            continue;
        }
        let sql = format!("SELECT coalesce(max(pg_column_size({})), 0)::int8 FROM {}", key.expr, cand.table);
        let widest: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| Error::postgres("measuring a key's widest value", e))?;
        if widest > MAX_UNBOUNDED_KEY_BYTES {
            return Ok(Some(format!(
                "key `{}` has no length bound and values of {widest} bytes already: a longer one would not fit a \
                 btree entry (about a third of a page)",
                key.expr
            )));
        }
    }
    Ok(None)
}

/// ANALYZE a table the way the loader does (every row sampled).
async fn analyze(conn: &mut PgConnection, table: &str, largest: u64) -> Result<()> {
    let sql = format!("SET default_statistics_target = {}; ANALYZE {table}", statistics_target(largest));
    sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *conn).await.map_err(|e| Error::postgres("analyzing a table", e))?;
    Ok(())
}

fn q_error(estimated: f64, actual: f64) -> f64 {
    let (e, a) = (estimated.max(1.0), actual.max(1.0));
    (e / a).max(a / e)
}
