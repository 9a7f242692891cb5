//! Measurements: each query and case at one scale, run under
//! `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON, SETTINGS)` after one warm-up.

use std::collections::BTreeMap;

use serde_json::Value;
use sqlx::AssertSqlSafe;
use sqlx::postgres::PgConnection;

use crate::analysis::Thresholds;
use crate::analysis::findings::{self, Context};
use crate::analysis::growth;
use crate::analysis::{Finding, Kind, Severity};
use crate::config::catalog::{Case, Query};
use crate::datagen::params;
use crate::error::{DbError, Error, Result, db_message, db_position};
use crate::plan::{Explain, shape};
use crate::sqltext;

pub(crate) mod write;

/// One query, case and scale.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub scale: f64,
    /// Rows of each filled table the plan reads, at this scale.
    pub rows: BTreeMap<String, u64>,
    /// The parameter values (text; None is NULL).
    pub params: Vec<Option<String>>,
    /// EXPLAIN's JSON of the last timed run (None when it timed out).
    pub plan: Option<Value>,
    pub shape: String,
    /// Shared hit + read and temp read + written blocks (median over the timed runs).
    pub work: u64,
    /// The rows every plan node handled (the same on every timed run).
    pub rows_processed: u64,
    /// Median execution time.
    pub time_ms: f64,
    /// Median planning time.
    pub planning_ms: f64,
    /// The top node's estimated and actual rows.
    pub plan_rows: f64,
    pub actual_rows: f64,
    pub findings: Vec<Finding>,
    pub timed_out: bool,
    /// At production's size, when the followed parameters are not the ones sampled at
    /// this scale: the plan's shape with those (plain EXPLAIN), which is what production's
    /// plan, chosen the same way, is compared with.
    pub sampled_shape: Option<String>,
    /// A query with parameters, run the way a driver runs a prepared statement: the
    /// generic plan, and whether the server would settle on it.
    pub generic: Option<GenericRun>,
    /// A write's triggers and foreign-key checks, each with its calls and blocks.
    pub triggers: Vec<write::TriggerWork>,
    /// The blocks of `work` spent outside the plan, by triggers and foreign-key checks.
    pub trigger_work: u64,
    /// A write's foreign keys whose checks scanned the referencing table.
    pub unindexed: Vec<write::UnindexedKey>,
}

/// The generic plan of a prepared statement (planned without the parameters' values), run
/// with the case's values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GenericRun {
    /// Whether the server, in `plan_cache_mode = auto`, switches to the generic plan after
    /// its first custom plans with these values.
    pub chosen: bool,
    pub shape: String,
    /// Shared hit + read and temp blocks of one run (0 when it timed out).
    pub work: u64,
    pub time_ms: f64,
    pub timed_out: bool,
    /// EXPLAIN's JSON (None when it timed out).
    pub plan: Option<Value>,
    /// Wall time spent working the generic plan out and running it.
    pub measure_ms: u64,
}

/// The statement the generic plan is worked out on, prepared afresh for every case.
const GENERIC_STATEMENT: &str = "plangate_generic";

impl Run {
    /// The plan's estimated total cost, at its root (None for a run that timed out).
    pub(crate) fn cost(&self) -> Option<f64> {
        self.plan.as_ref().and_then(|p| Explain::from_json(p).ok()).map(|e| e.plan.total_cost)
    }

    /// The rows that growth is measured against: the largest table the plan reads, else the scale.
    #[expect(clippy::cast_precision_loss)]
    pub(crate) fn growth_rows(&self) -> f64 {
        self.rows.values().max().map_or(self.scale, |r| *r as f64)
    }
}

/// A case's runs read as a scaling curve, once for every command and renderer: each run's
/// x (its rows), where the plan's shape changes, and the fit of work over rows.
#[derive(Debug, Clone)]
pub(crate) struct Curve {
    /// Per run: the rows growth is measured against.
    pub rows: Vec<f64>,
    /// Indices of the runs whose shape differs from the previous run's.
    pub flips: Vec<usize>,
    /// Work over rows, runs that timed out left out; None with too few distinct points.
    pub fit: Option<growth::Fit>,
    /// Rows processed over rows, the same way.
    pub rows_fit: Option<growth::Fit>,
}

impl Curve {
    pub(crate) fn of(runs: &[Run]) -> Curve {
        let flips = shape::flips(runs.iter().map(|r| r.shape.as_str()));
        #[expect(clippy::cast_precision_loss)]
        let over_rows = |measure: growth::Measure, of: fn(&Run) -> u64| -> Option<growth::Fit> {
            let points: Vec<(f64, f64)> =
                runs.iter().filter(|r| !r.timed_out).map(|r| (r.growth_rows(), of(r) as f64)).collect();
            growth::fit_of(measure, &points)
        };
        Curve {
            rows: runs.iter().map(Run::growth_rows).collect(),
            flips,
            fit: over_rows(growth::Measure::Work, |r| r.work),
            rows_fit: over_rows(growth::Measure::Rows, |r| r.rows_processed),
        }
    }

    /// The rows at which the plan changes.
    pub(crate) fn flip_rows(&self) -> Vec<f64> {
        self.flips.iter().map(|&i| self.rows[i]).collect()
    }
}

/// Round to two decimals: times and exponents as reports and baselines record them.
pub(crate) fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// One case planned at a forecast scale.
#[derive(Debug, Clone)]
pub(crate) struct ForecastRun {
    pub scale: f64,
    /// Rows of the tables the plan reads, as the forecast projects them.
    pub rows: BTreeMap<String, u64>,
    pub shape: String,
    /// The plan's estimated total cost and rows, at its root.
    pub cost: f64,
    pub plan_rows: f64,
    /// Each scan's estimated rows.
    pub scans: Vec<ScanEstimate>,
    /// Patterns of the plan: seq scans, sorts and hashes that would spill, forbidden ones.
    pub findings: Vec<Finding>,
    /// The plan as EXPLAIN's JSON and as its text.
    pub plan: Value,
    pub text: Vec<String>,
}

/// A scan of a plan and the rows the planner expects of it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScanEstimate {
    /// The node as reports label it (`Index Scan on orders using orders_customer_idx`).
    pub node: String,
    pub estimated_rows: f64,
}

impl ForecastRun {
    /// The rows growth is measured against: the largest table the plan reads, else the scale.
    #[expect(clippy::cast_precision_loss)]
    pub(crate) fn growth_rows(&self) -> f64 {
        self.rows.values().max().map_or(self.scale, |r| *r as f64)
    }
}

/// The scans of a plan with their estimated rows (per loop), in plan order.
pub(crate) fn scans(plan: &crate::plan::PlanNode) -> Vec<ScanEstimate> {
    plan.walk()
        .into_iter()
        .filter(|(n, _)| n.relation_name.is_some())
        .map(|(n, _)| ScanEstimate { node: n.label(), estimated_rows: n.plan_rows })
        .collect()
}

/// All scales of one case of one query.
#[derive(Debug, Clone)]
pub(crate) struct CaseRuns {
    pub case: String,
    pub runs: Vec<Run>,
    /// The case planned at each forecast scale, in order.
    pub forecasts: Vec<ForecastRun>,
}

/// All cases of one query.
#[derive(Debug, Clone)]
pub(crate) struct QueryRuns {
    pub query: Query,
    pub cases: Vec<CaseRuns>,
}

/// Set the statement timeout of a measuring session.
pub(crate) async fn prepare_session(conn: &mut PgConnection, thresholds: &Thresholds) -> Result<()> {
    let ms = thresholds.statement_timeout.as_millis();
    sqlx::raw_sql(AssertSqlSafe(format!("SET statement_timeout = {ms}")))
        .execute(&mut *conn)
        .await
        .map_err(|e| Error::postgres("cannot set the statement timeout", e))?;
    Ok(())
}

/// The prepared statement's name for the query at `index` of this run's catalog.
pub(crate) fn statement_name(index: usize) -> String {
    format!("plangate_q{index}")
}

/// Have Postgres parse and analyze the query against the schema (PREPARE), before any
/// data is loaded; refuse a statement that would modify data under EXPLAIN ANALYZE.
pub(crate) async fn prepare(conn: &mut PgConnection, query: &Query, index: usize) -> Result<()> {
    let name = statement_name(index);
    let sql = query.statement();
    let fail = |detail: String| Error::Catalog { path: query.path.clone(), detail, source: None };
    if let Err(e) = sqlx::raw_sql(AssertSqlSafe(format!("PREPARE {name} AS {sql}"))).execute(&mut *conn).await {
        // Positions refer to the PREPARE text: move them back into the file.
        let shift = format!("PREPARE {name} AS ").chars().count();
        let detail = match db_position(&e) {
            Some(p) if p > shift => {
                let at = sqltext::advance(&query.sql, query.statement_range().start, p - shift - 1);
                crate::postgres::schema::describe_at(&query.sql, at, &e)
            }
            _ => db_message(&e),
        };
        return Err(fail(detail).because(DbError(e)));
    }
    let nulls = vec!["NULL"; query.param_count].join(", ");
    let args = if query.param_count > 0 { format!("({nulls})") } else { String::new() };
    let plan: sqlx::types::Json<Value> =
        sqlx::query_scalar(AssertSqlSafe(format!("EXPLAIN (FORMAT JSON) EXECUTE {name}{args}")))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| fail(db_message(&e)).because(DbError(e)))?;
    let explain =
        Explain::from_json(&plan.0).map_err(|e| fail(format!("unexpected EXPLAIN output: {e}")).because(e))?;
    let modifies = explain.plan.walk().iter().any(|(n, _)| n.node_type == crate::plan::NodeType::ModifyTable);
    if modifies && !query.writes {
        return Err(fail(
            "the query modifies data, yet does not read as a write (INSERT, UPDATE, DELETE, MERGE)".into(),
        ));
    }
    Ok(())
}

/// What every measurement at one scale shares.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AtScale<'a> {
    pub scale: f64,
    /// Rows of every filled table at this scale.
    pub table_rows: &'a BTreeMap<String, u64>,
    pub thresholds: &'a Thresholds,
    pub seed: u64,
    /// Also plan the query with parameters sampled at this scale (see `Run::sampled_shape`).
    pub sample_shape: bool,
    /// Where writes are measured; None where they cannot be (the world is never written).
    pub copies: Option<write::Copies<'a>>,
}

/// Measure one case of a query (prepared as statement `index`) at one scale, with the
/// parameter values `follow` (those of a smaller scale), or values sampled now.
pub(crate) async fn run_case(
    conn: &mut PgConnection,
    at: AtScale<'_>,
    query: &Query,
    index: usize,
    case: &Case,
    follow: Option<&[Option<String>]>,
) -> Result<Run> {
    let AtScale { scale, table_rows, thresholds, seed, sample_shape, copies } = at;
    let copies = match (query.writes, copies) {
        (false, _) => None,
        (true, Some(c)) => Some(c),
        (true, None) => {
            return Err(Error::Catalog {
                path: query.path.clone(),
                detail: "a write is measured in copies of the world, which only a throwaway server (local or \
                         container backend) makes; it is not measured here"
                    .into(),
                source: None,
            });
        }
    };
    let values = match follow {
        Some(texts) => texts
            .iter()
            .map(|t| params::ParamValue { sql: crate::config::catalog::sql_literal(t.as_deref()), text: t.clone() })
            .collect(),
        None => params::sample(conn, &query.name, &case.params, seed).await?,
    };
    let literals: Vec<String> = values.iter().map(|v| v.sql.clone()).collect();
    let args = if literals.is_empty() { String::new() } else { format!("({})", literals.join(", ")) };
    let sql = format!("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON, SETTINGS) EXECUTE {}{args}", statement_name(index));
    crate::progress::sql(2, &sql);
    let mut explains = Vec::new();
    let mut last_json = None;
    let mut outside: Vec<write::Measured> = Vec::new();
    let setup = format!(
        "{}SET statement_timeout = {}; PREPARE {} AS {}",
        copies.and_then(|c| c.prelude).map(|p| format!("{p}; ")).unwrap_or_default(),
        thresholds.statement_timeout.as_millis(),
        statement_name(index),
        query.statement()
    );
    for i in 0..=thresholds.repeats.get() {
        // A write runs in a fresh copy each time: there is nothing to warm up.
        if i == 0 && copies.is_some() {
            continue;
        }
        let res: std::result::Result<Value, sqlx::Error> = match copies {
            None => sqlx::query_scalar(AssertSqlSafe(sql.as_str()))
                .fetch_one(&mut *conn)
                .await
                .map(|j: sqlx::types::Json<Value>| j.0),
            Some(c) => write::run_in_copy(c, &setup, &sql).await?.map(|m| {
                let plan = m.plan.clone();
                outside.push(m);
                plan
            }),
        };
        match res {
            Ok(json) => {
                if i > 0 {
                    explains.push(read_explain(&json, query, scale)?);
                    last_json = Some(json);
                }
            }
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("57014") => {
                return Ok(timed_out(scale, values, thresholds));
            }
            Err(e) => {
                return Err(Error::QueryFailed {
                    query: query.name.clone(),
                    scale,
                    message: db_message(&e),
                    source: Some(Box::new(DbError(e))),
                });
            }
        }
    }
    let last = explains.last().expect("at least one timed run");
    let trigger_work = |i: usize| outside.get(i).map_or(0, |m| m.trigger_blocks);
    let mut works: Vec<u64> = explains.iter().enumerate().map(|(i, e)| e.work() + trigger_work(i)).collect();
    works.sort_unstable();
    let rows: BTreeMap<String, u64> = last
        .plan
        .walk()
        .into_iter()
        .filter_map(|(n, _)| findings::rows_of(table_rows, n).map(|(name, rows)| (name.to_string(), rows)))
        .collect();
    let sampled_shape = match follow {
        Some(_) if sample_shape => sampled_shape(conn, query, index, case, seed, &values).await?,
        _ => None,
    };
    let ctx = Context { scale, table_rows, thresholds };
    let mut found = findings::detect(&last.plan, &ctx);
    let last_outside = outside.last();
    for key in last_outside.iter().flat_map(|m| &m.unindexed) {
        found.push(findings::unindexed_foreign_key(&key.constraint, &key.table, &key.columns, key.blocks, scale));
    }
    let forbidden = findings::forbidden(&last.plan, &found, &query.forbid, scale);
    found.extend(forbidden);
    let work = works[works.len() / 2];
    let generic = if query.param_count > 0 {
        let g = generic_run(conn, query, scale, &args, copies, thresholds.statement_timeout.as_millis()).await?;
        let custom = findings::Measured { work, shape: &shape::shape(&last.plan) };
        let measured = (!g.timed_out).then_some(findings::Measured { work: g.work, shape: &g.shape });
        found.extend(findings::generic_plan(g.chosen, measured, custom, &ctx));
        Some(g)
    } else {
        None
    };
    Ok(Run {
        scale,
        rows,
        params: values.into_iter().map(|v| v.text).collect(),
        shape: shape::shape(&last.plan),
        work,
        rows_processed: last.rows_processed(),
        time_ms: median(explains.iter().map(|e| e.execution_time_ms).collect()),
        planning_ms: median(explains.iter().map(|e| e.planning_time_ms).collect()),
        plan_rows: last.plan.plan_rows,
        actual_rows: last.plan.actual_rows,
        plan: last_json,
        findings: found,
        timed_out: false,
        sampled_shape,
        generic,
        triggers: last_outside.map(|m| m.triggers.clone()).unwrap_or_default(),
        trigger_work: last_outside.map_or(0, |m| m.trigger_blocks),
        unindexed: last_outside.map(|m| m.unindexed.clone()).unwrap_or_default(),
    })
}

/// Run the query as a driver runs a prepared statement. Prepared afresh, in
/// `plan_cache_mode = auto`, it is planned with the case's values as often as the server
/// does before it weighs its generic plan, then once more: the server's statistics of the
/// statement say whether it switched. The generic plan is then run under
/// `force_generic_plan` with the same values, so it is measured whichever way the server
/// decided. `args` is the parenthesized list of the case's literals.
/// A write (`copies`) is planned here the same way, and run in a copy of the world.
async fn generic_run(
    conn: &mut PgConnection,
    query: &Query,
    scale: f64,
    args: &str,
    copies: Option<write::Copies<'_>>,
    timeout_ms: u128,
) -> Result<GenericRun> {
    let started = std::time::Instant::now();
    let failed = |e: sqlx::Error| Error::QueryFailed {
        query: query.name.clone(),
        scale,
        message: db_message(&e),
        source: Some(Box::new(DbError(e))),
    };
    let setup = format!("SET plan_cache_mode = auto; PREPARE {GENERIC_STATEMENT} AS {}", query.statement());
    crate::progress::sql(2, &setup);
    sqlx::raw_sql(AssertSqlSafe(setup)).execute(&mut *conn).await.map_err(failed)?;
    let result = async {
        let plan_only = format!("EXPLAIN (FORMAT JSON) EXECUTE {GENERIC_STATEMENT}{args}");
        for _ in 0..=findings::CUSTOM_PLANS_BEFORE_GENERIC {
            sqlx::query(AssertSqlSafe(plan_only.as_str())).fetch_all(&mut *conn).await.map_err(failed)?;
        }
        let generic_plans: i64 = sqlx::query_scalar("SELECT generic_plans FROM pg_prepared_statements WHERE name = $1")
            .bind(GENERIC_STATEMENT)
            .fetch_one(&mut *conn)
            .await
            .map_err(failed)?;
        let sql = format!("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON, SETTINGS) EXECUTE {GENERIC_STATEMENT}{args}");
        // A fresh copy's session is as cold every time: one run.
        let (res, outside) = if let Some(c) = copies {
                let setup = format!(
                    "{}SET statement_timeout = {}; SET plan_cache_mode = force_generic_plan; PREPARE {GENERIC_STATEMENT} AS {}",
                    c.prelude.map(|p| format!("{p}; ")).unwrap_or_default(),
                    timeout_ms,
                    query.statement()
                );
                match write::run_in_copy(c, &setup, &sql).await? {
                    Ok(m) => (Ok(m.plan), m.trigger_blocks),
                    Err(e) => (Err(e), 0),
                }
            } else {
                sqlx::raw_sql("SET plan_cache_mode = force_generic_plan").execute(&mut *conn).await.map_err(failed)?;
                // Run twice, measure the second: the first run's catalog lookups (operators,
                // output functions) count as blocks while the session's caches are cold, and
                // how cold they are depends on which queries ran before.
                let mut res: std::result::Result<Value, sqlx::Error> = sqlx::query_scalar(AssertSqlSafe(sql.as_str()))
                    .fetch_one(&mut *conn)
                    .await
                    .map(|j: sqlx::types::Json<Value>| j.0);
                if res.is_ok() {
                    res = sqlx::query_scalar(AssertSqlSafe(sql))
                        .fetch_one(&mut *conn)
                        .await
                        .map(|j: sqlx::types::Json<Value>| j.0);
                }
                (res, 0)
        };
        let chosen = generic_plans > 0;
        match res {
            Ok(json) => {
                let e = read_explain(&json, query, scale)?;
                Ok(GenericRun {
                    chosen,
                    shape: shape::shape(&e.plan),
                    work: e.work() + outside,
                    time_ms: e.execution_time_ms,
                    timed_out: false,
                    plan: Some(json),
                    measure_ms: 0,
                })
            }
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("57014") => Ok(GenericRun {
                chosen,
                shape: String::new(),
                work: 0,
                time_ms: 0.0,
                timed_out: true,
                plan: None,
                measure_ms: 0,
            }),
            Err(e) => Err(failed(e)),
        }
    }
    .await;
    let reset = format!("DEALLOCATE {GENERIC_STATEMENT}; SET plan_cache_mode = force_custom_plan");
    let reset = sqlx::raw_sql(AssertSqlSafe(reset)).execute(&mut *conn).await.map_err(failed);
    let run = result?;
    reset?;
    Ok(GenericRun { measure_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX), ..run })
}

/// The shape of the plan with parameters sampled now, when they differ from `followed`.
async fn sampled_shape(
    conn: &mut PgConnection,
    query: &Query,
    index: usize,
    case: &Case,
    seed: u64,
    followed: &[params::ParamValue],
) -> Result<Option<String>> {
    let values = params::sample(conn, &query.name, &case.params, seed).await?;
    if values == followed {
        return Ok(None);
    }
    let literals: Vec<String> = values.iter().map(|v| v.sql.clone()).collect();
    let args = if literals.is_empty() { String::new() } else { format!("({})", literals.join(", ")) };
    let sql = format!("EXPLAIN (FORMAT JSON) EXECUTE {}{args}", statement_name(index));
    let json: sqlx::types::Json<Value> =
        sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(&mut *conn).await.map_err(|e| Error::QueryFailed {
            query: query.name.clone(),
            scale: 1.0,
            message: db_message(&e),
            source: Some(Box::new(DbError(e))),
        })?;
    let e = read_explain(&json.0, query, 1.0)?;
    Ok(Some(shape::shape(&e.plan)))
}

/// A measured run's EXPLAIN JSON, read as a plan.
fn read_explain(json: &Value, query: &Query, scale: f64) -> Result<Explain> {
    Explain::from_json(json).map_err(|e| Error::QueryFailed {
        query: query.name.clone(),
        scale,
        message: format!("unexpected EXPLAIN output: {e}"),
        source: Some(Box::new(e)),
    })
}

fn timed_out(scale: f64, values: Vec<params::ParamValue>, thresholds: &Thresholds) -> Run {
    Run {
        scale,
        rows: BTreeMap::new(),
        params: values.into_iter().map(|v| v.text).collect(),
        plan: None,
        shape: String::new(),
        work: 0,
        rows_processed: 0,
        time_ms: thresholds.statement_timeout.as_secs_f64() * 1000.0,
        planning_ms: 0.0,
        plan_rows: 0.0,
        actual_rows: 0.0,
        findings: vec![Finding {
            kind: Kind::Timeout,
            severity: Severity::Error,
            scale: Some(scale),
            node: None,
            detail: format!(
                "ran longer than the statement timeout of {} s",
                thresholds.statement_timeout.as_secs_f64()
            ),
            estimate: None,
        }],
        timed_out: true,
        sampled_shape: None,
        generic: None,
        triggers: Vec::new(),
        trigger_work: 0,
        unindexed: Vec::new(),
    }
}

/// The median (the upper one of an even count).
pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
