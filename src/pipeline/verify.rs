//! Verifying `suggest`'s candidates on the measured world: each index or statistics object
//! built at the largest scale, the catalog re-run, and kept only when it halves a case's
//! work (or its rows processed, work staying in bounds) without making another query
//! worse; a kept index is measured again at every smaller scale, so that suggestions are
//! ranked by their curve and by whether they keep the query inside its growth budget; with
//! the whole catalog, one migration for the failing queries, checked built together.

use std::collections::BTreeMap;

use sqlx::{AssertSqlSafe, PgConnection, Row};

use crate::analysis::Kind;
use crate::baseline;
use crate::config::Settings;
use crate::config::catalog::Query;
use crate::datagen::load::{quote_ident, statistics_target};
use crate::error::{Error, Result, db_message};
use crate::measure::{self, AtScale, CaseRuns, Curve, Run};
use crate::plan::Explain;
use crate::postgres::Connector;
use crate::progress::line as progress;
use crate::suggest::{
    self, Candidate, CurvePoint, IndexNote, Migration, NoCandidate, Suggestion, SuggestionKind, Suggestions, Tried,
    can_exceed_btree_entry,
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
    /// Per scale: its world's database (None: not at hand) and table rows.
    kept: Vec<(Option<String>, BTreeMap<String, u64>)>,
    connector: Connector,
    /// Extensions the schema has, and those the server could create.
    installed: Vec<String>,
    available: Vec<String>,
    /// The candidate being measured, as each copy a write is measured in builds it.
    prelude: Option<String>,
}

/// A case at the largest scale before any candidate: candidates are measured with the
/// same parameter values, and must halve its work.
struct Before {
    work: u64,
    time_ms: f64,
    params: Vec<Option<String>>,
    /// Rows the case returns.
    rows: f64,
    rows_processed: u64,
}

/// What building a candidate did to the query it is for.
enum Effect {
    /// Halved the work of `case` (the case it helps most), or its rows processed with work
    /// within `regression_ratio`, and made no other query worse.
    Helps { case: usize, run: Box<Run> },
    /// The best it did (the case whose work it cut most): neither halved.
    TooLittle { before: u64, after: u64, rows_before: u64, rows_after: u64 },
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
                    Some(r) => Before {
                        work: r.work,
                        time_ms: r.time_ms,
                        params: r.params.clone(),
                        rows: r.actual_rows,
                        rows_processed: r.rows_processed,
                    },
                    None => Before { work: 0, time_ms: 0.0, params: Vec::new(), rows: 0.0, rows_processed: 0 },
                })
                .collect()
        })
        .collect();
    let table_rows = s.table_rows.clone();
    // Writes are measured in copies of the largest scale's world, with the candidate built
    // in each copy.
    let at = AtScale {
        copies: s.pristine.as_ref().map(|p| p.copies(&s.connector)),
        scale: s.scale,
        table_rows: &table_rows,
        thresholds: &settings.thresholds,
        seed: settings.seed,
        sample_shape: false,
    };
    let (installed, available) = extensions(&mut s.conn).await?;
    let mut v = Verifier {
        queries: s.queries,
        at,
        before,
        largest: table_rows.values().copied().max().unwrap_or(0),
        tried: Vec::new(),
        kept: s.kept.clone(),
        connector: s.connector.clone(),
        installed,
        available,
        prelude: None,
    };
    let mut no_candidates: Vec<NoCandidate> = Vec::new();

    let mut found: Vec<Suggestion> = Vec::new();
    for (qi, q) in s.queries.iter().enumerate() {
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut stops: Vec<String> = Vec::new();
        // A write's candidates are the indexes its foreign keys' checks lack.
        if q.writes {
            for key in s.runs[qi].cases.iter().filter_map(|c| c.runs.last()).flat_map(|r| &r.unindexed) {
                let c = suggest::foreign_key_index(&key.table, &key.columns);
                if !candidates.contains(&c) {
                    candidates.push(c);
                }
            }
            if candidates.is_empty() {
                let why = "a write whose foreign-key checks all use an index".to_string();
                no_candidates.push(NoCandidate { query: q.name.clone(), reasons: vec![why] });
            }
            for cand in candidates {
                if let Some(s) = v.index(&mut s.conn, &s.catalog, &s.runs[qi].cases, (qi, q), &cand).await? {
                    found.push(s);
                }
            }
            continue;
        }
        for run in s.runs[qi].cases.iter().filter_map(|c| c.runs.last()) {
            let Some(plan) = run.plan.as_ref().and_then(|p| Explain::from_json(p).ok()) else { continue };
            let c = suggest::candidates(&q.statement(), &plan.plan, &s.catalog, &indexdefs);
            for why in c.stops {
                if !stops.contains(&why) {
                    stops.push(why);
                }
            }
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
        if candidates.is_empty() {
            no_candidates.push(NoCandidate { query: q.name.clone(), reasons: stops });
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
    suggest::rank(&mut found, settings.thresholds.growth_slack);
    for (dropped, because) in suggest::drop_prefixes(&mut found) {
        v.note_query(&dropped.query, &dropped.ddl, false, because);
    }

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
    Ok(Suggestions { format_version: 1, suggestions: found, migration, existing: notes, tried: v.tried, no_candidates })
}

impl Verifier<'_> {
    fn note(&mut self, q: &Query, ddl: &str, kept: bool, outcome: String) {
        self.note_query(&q.name, ddl, kept, outcome);
    }

    fn note_query(&mut self, query: &str, ddl: &str, kept: bool, outcome: String) {
        match self.tried.iter_mut().find(|t| t.query == query && t.ddl == ddl) {
            Some(t) => {
                t.kept = kept;
                t.outcome = outcome;
            }
            None => self.tried.push(Tried { query: query.to_string(), ddl: ddl.to_string(), kept, outcome }),
        }
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
        // An extension the schema lacks is created for the measurement and dropped after it.
        let extension = match cand.method.extension() {
            Some(e) if self.installed.iter().any(|i| i == e) => None,
            Some(e) if self.available.iter().any(|a| a == e) => Some(e),
            Some(e) => {
                self.note(q, &ddl, false, format!("left out: the server has no `{e}` extension to build it with"));
                return Ok(None);
            }
            None => None,
        };
        let build = cand.ddl(false, CANDIDATE);
        crate::progress::sql(1, &build);
        if let Err(e) = create(conn, &build, extension).await {
            self.note(q, &ddl, false, format!("cannot be built: {}", db_message(&e)));
            return Ok(None);
        }
        let expression = cand.columns.iter().any(suggest::IndexKey::is_expression);
        let measured = async {
            if expression {
                // Expression indexes have statistics of their own; sample the whole table, as the loader does.
                analyze(conn, &cand.table, self.largest).await?;
            }
            let size: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT pg_relation_size('{CANDIDATE}')")))
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| Error::postgres("measuring a candidate's size", e))?;
            self.prelude = Some(build.clone());
            let effect = self.effect(conn, qi, q).await;
            self.prelude = None;
            Ok::<_, Error>((size, effect?))
        }
        .await;
        remove(conn, extension).await?;
        let (size, effect) = measured?;
        let rows = self.at.table_rows.get(&cand.table).copied().unwrap_or(0).max(1);
        #[expect(clippy::cast_precision_loss)]
        let bytes_per_row = report::round2(size as f64 / rows as f64);
        let (case, run) = match effect {
            Effect::Helps { case, run } => (case, *run),
            Effect::TooLittle { before, after, rows_before, rows_after } => {
                let why = if rows_after * 2 <= rows_before {
                    format!(
                        "cuts rows processed from {rows_before} to {rows_after}, but work goes from {before} to {after} \
                         blocks, past {}x: left out",
                        self.at.thresholds.regression_ratio
                    )
                } else {
                    format!(
                        "does not halve the work ({before} -> {after} blocks at best) nor the rows processed \
                         ({rows_before} -> {rows_after})"
                    )
                };
                self.note(q, &ddl, false, why);
                return Ok(None);
            }
            Effect::Hurts { query, before, after } => {
                self.note(q, &ddl, false, format!("makes `{query}` worse ({before} -> {after} blocks)"));
                return Ok(None);
            }
        };
        let b = &self.before[qi][case];
        let (b_work, b_time, b_rows) = (b.work, b.time_ms, b.rows_processed);
        let (work, time_ms, rows_after) = (run.work, run.time_ms, run.rows_processed);
        let measured_as = Built { sql: &build, extension, table: &cand.table, expression };
        let runs = self.across_scales(&measured_as, (qi, q), &cases[case], run).await?;
        let curve = Curve::of(&runs);
        let exponent = curve.fit.map(|f| report::round2(f.exponent));
        let within_budget = (runs.len() > 1).then(|| {
            let as_case = CaseRuns { case: cases[case].case.clone(), runs: runs.clone(), forecasts: Vec::new() };
            !verdict::evaluate(&as_case, q.budget(), None, self.at.thresholds).failed()
        });
        let budget = match within_budget {
            Some(true) => "; inside the query's growth budget",
            Some(false) => "; the query still fails its growth budget with it",
            None => "",
        };
        let growth = exponent.map(|e| format!(", work grows as rows^{e}")).unwrap_or_default();
        let cut = if work * 2 <= b_work {
            format!("cuts {} from {b_work} to {work} blocks", cases[case].case)
        } else {
            format!(
                "cuts {} from {b_rows} to {rows_after} rows processed, though work goes from {b_work} to {work} blocks",
                cases[case].case
            )
        };
        self.note(q, &ddl, true, format!("{cut}{growth}{budget}; {} kB, {bytes_per_row} bytes per row", size / 1024));
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
            method: Some(cand.method.name()),
            scale: self.at.scale,
            work_before: b_work,
            work_after: work,
            rows_processed_before: b_rows,
            rows_processed_after: rows_after,
            time_before_ms: b_time,
            time_after_ms: report::round2(time_ms),
            size_bytes: size,
            bytes_per_row,
            curve: runs
                .iter()
                .map(|r| CurvePoint { scale: r.scale, work: r.work, rows_processed: r.rows_processed })
                .collect(),
            growth_exponent: exponent,
            within_budget,
            extension: extension.map(str::to_string),
            note: None,
            returned_rows: self.before[qi][case].rows,
            built_as: build,
            node: None,
            q_error_before: None,
            q_error_after: None,
        }))
    }

    /// The case a kept index helps, at every smaller scale whose world is at hand, with the
    /// index built there too: its runs in scale order, ending with `largest` (the run at the
    /// largest scale). Only `largest` where no other world is at hand (the url backend).
    async fn across_scales(
        &self,
        built: &Built<'_>,
        (qi, q): (usize, &Query),
        case: &CaseRuns,
        largest: Run,
    ) -> Result<Vec<Run>> {
        let mut runs = Vec::new();
        let Some(ci) = q.cases.iter().position(|c| c.name == case.case) else { return Ok(vec![largest]) };
        // A write is measured in copies of the largest scale's world only.
        if q.writes {
            return Ok(vec![largest]);
        }
        for ((db, rows), before) in self.kept.iter().zip(&case.runs).take(self.kept.len().saturating_sub(1)) {
            let Some(db) = db else { continue };
            let mut conn = self.connector.connect_to(db).await?;
            let run = async {
                measure::prepare_session(&mut conn, self.at.thresholds).await?;
                measure::prepare(&mut conn, q, qi).await?;
                create(&mut conn, built.sql, built.extension)
                    .await
                    .map_err(|e| Error::postgres(format!("building a candidate at scale {}", before.scale), e))?;
                let measured = async {
                    if built.expression {
                        analyze(&mut conn, built.table, rows.values().copied().max().unwrap_or(0)).await?;
                    }
                    let at = AtScale { scale: before.scale, table_rows: rows, ..self.at };
                    measure::run_case(&mut conn, at, q, qi, &q.cases[ci], Some(&before.params)).await
                }
                .await;
                remove(&mut conn, built.extension).await?;
                measured
            }
            .await;
            let _ = sqlx::Connection::close(conn).await;
            runs.push(run?);
        }
        runs.push(largest);
        Ok(runs)
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
            method: None,
            scale: self.at.scale,
            work_before: b_work,
            work_after: run.work,
            rows_processed_before: self.before[qi][ci].rows_processed,
            rows_processed_after: run.rows_processed,
            time_before_ms: b_time,
            time_after_ms: report::round2(run.time_ms),
            size_bytes: 0,
            bytes_per_row: 0.0,
            curve: Vec::new(),
            growth_exponent: None,
            within_budget: None,
            extension: None,
            note: None,
            returned_rows: self.before[qi][ci].rows,
            built_as: create,
            node: Some(node),
            q_error_before: Some(report::round2(q_before)),
            q_error_after: Some(report::round2(q_after)),
        }))
    }

    /// With a candidate built: the case of `q` it helps most, or why it does not count. A
    /// case is helped when its work halves, or when its rows processed halve while its
    /// work stays within `regression_ratio` (an index that spares a sort of every row may
    /// read a few more blocks).
    async fn effect(&self, conn: &mut PgConnection, qi: usize, q: &Query) -> Result<Effect> {
        let mut best: Option<(usize, Run)> = None;
        let mut least: Option<(usize, u64, u64)> = None;
        let copies = self.at.copies.map(|c| measure::write::Copies { prelude: self.prelude.as_deref(), ..c });
        let at = AtScale { copies, ..self.at };
        for (ci, case) in q.cases.iter().enumerate() {
            let run = measure::run_case(&mut *conn, at, q, qi, case, Some(&self.before[qi][ci].params)).await?;
            let was = &self.before[qi][ci];
            if least.is_none_or(|(_, work, _)| run.work < work) {
                least = Some((ci, run.work, run.rows_processed));
            }
            #[expect(clippy::cast_precision_loss)]
            let in_bounds = run.work as f64 <= self.at.thresholds.regression_ratio * was.work.max(1) as f64;
            let halves = run.work * 2 <= was.work || (run.rows_processed * 2 <= was.rows_processed && in_bounds);
            let saves = |ci: usize, r: &Run| {
                let was = &self.before[qi][ci];
                (was.work.saturating_sub(r.work), was.rows_processed.saturating_sub(r.rows_processed))
            };
            if halves && best.as_ref().is_none_or(|(bi, b)| saves(ci, &run) > saves(*bi, b)) {
                best = Some((ci, run));
            }
        }
        let Some((case, run)) = best else {
            let (ci, after, rows_after) = least.unwrap_or((0, 0, 0));
            let was = self.before[qi].get(ci);
            return Ok(Effect::TooLittle {
                before: was.map_or(0, |b| b.work),
                after,
                rows_before: was.map_or(0, |b| b.rows_processed),
                rows_after,
            });
        };
        if let Some((query, before, after)) = self.others_worse(conn, qi).await? {
            return Ok(Effect::Hurts { query, before, after });
        }
        Ok(Effect::Helps { case, run: Box::new(run) })
    }

    /// The first query of the run but `qi` whose work got worse than the threshold allows.
    async fn others_worse(&self, conn: &mut PgConnection, qi: usize) -> Result<Option<(String, u64, u64)>> {
        for (oi, other) in self.queries.iter().enumerate().filter(|(oi, o)| *oi != qi && !o.writes) {
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
        let mut statements: Vec<String> = Vec::new();
        for s in &chosen {
            if let Some(e) = &s.extension {
                let create = format!("CREATE EXTENSION IF NOT EXISTS {e};");
                if !statements.contains(&create) {
                    statements.insert(0, create);
                }
            }
        }
        statements.extend(chosen.iter().map(|s| format!("{};", s.ddl)));
        Ok(Migration { fixes, unfixed, statements, notes })
    }

    /// Build `chosen` together, re-run every case, drop them: where a chosen suggestion's
    /// case does not keep its gain, or another case gets worse, a note.
    async fn together(&self, conn: &mut PgConnection, chosen: &[&Suggestion]) -> Result<Vec<String>> {
        let mut made: Vec<String> = Vec::new();
        let mut notes = Vec::new();
        let mut extensions: Vec<&str> = chosen.iter().filter_map(|s| s.extension.as_deref()).collect();
        extensions.dedup();
        for e in &extensions {
            sqlx::raw_sql(AssertSqlSafe(format!("CREATE EXTENSION IF NOT EXISTS {e}")))
                .execute(&mut *conn)
                .await
                .map_err(|err| Error::postgres(format!("creating extension {e}"), err))?;
        }
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
            for (qi, q) in self.queries.iter().enumerate().filter(|(_, q)| !q.writes) {
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
        for e in extensions {
            sqlx::raw_sql(AssertSqlSafe(format!("DROP EXTENSION IF EXISTS {e}")))
                .execute(&mut *conn)
                .await
                .map_err(|err| Error::postgres(format!("dropping extension {e}"), err))?;
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
/// A candidate index as it is built for measuring.
struct Built<'a> {
    /// The CREATE INDEX, under the candidate's placeholder name.
    sql: &'a str,
    /// The extension created with it, which the schema lacks.
    extension: Option<&'a str>,
    table: &'a str,
    /// Whether a key is an expression (its statistics come from ANALYZE).
    expression: bool,
}

/// Build a candidate (`sql`), with `extension` created first; on failure nothing is left.
async fn create(conn: &mut PgConnection, sql: &str, extension: Option<&str>) -> std::result::Result<(), sqlx::Error> {
    if let Some(e) = extension {
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE EXTENSION IF NOT EXISTS {e}"))).execute(&mut *conn).await?;
    }
    let built = sqlx::raw_sql(AssertSqlSafe(sql.to_string())).execute(&mut *conn).await;
    if let (Err(_), Some(e)) = (&built, extension) {
        sqlx::raw_sql(AssertSqlSafe(format!("DROP EXTENSION IF EXISTS {e}"))).execute(&mut *conn).await?;
    }
    built.map(|_| ())
}

/// Drop the candidate index, and the extension built with it.
async fn remove(conn: &mut PgConnection, extension: Option<&str>) -> Result<()> {
    sqlx::raw_sql(AssertSqlSafe(format!("DROP INDEX {CANDIDATE}")))
        .execute(&mut *conn)
        .await
        .map_err(|e| Error::postgres("dropping a candidate index", e))?;
    if let Some(e) = extension {
        sqlx::raw_sql(AssertSqlSafe(format!("DROP EXTENSION IF EXISTS {e}")))
            .execute(&mut *conn)
            .await
            .map_err(|err| Error::postgres(format!("dropping extension {e}"), err))?;
    }
    Ok(())
}

/// The extensions the schema has, and those the server could create.
async fn extensions(conn: &mut PgConnection) -> Result<(Vec<String>, Vec<String>)> {
    let installed: Vec<String> = sqlx::query_scalar("SELECT extname::text FROM pg_extension")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| Error::postgres("listing the schema's extensions", e))?;
    let available: Vec<String> = sqlx::query_scalar("SELECT name::text FROM pg_available_extensions")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| Error::postgres("listing the server's extensions", e))?;
    Ok((installed, available))
}

async fn analyze(conn: &mut PgConnection, table: &str, largest: u64) -> Result<()> {
    let sql = format!("SET default_statistics_target = {}; ANALYZE {table}", statistics_target(largest));
    sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *conn).await.map_err(|e| Error::postgres("analyzing a table", e))?;
    Ok(())
}

fn q_error(estimated: f64, actual: f64) -> f64 {
    let (e, a) = (estimated.max(1.0), actual.max(1.0));
    (e / a).max(a / e)
}
