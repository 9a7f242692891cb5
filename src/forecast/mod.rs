//! Forecasts: every case planned at sizes past what the machine loads. Each forecast scale
//! gets a world of its own (see `world`): a sample of the rows the generators make at that
//! scale, with every table's statistics and files projected to its full size. Postgres
//! plans each case there with plain EXPLAIN; nothing runs, and no world that is measured
//! is ever touched.

pub(crate) mod project;
mod world;

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::Value;
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection};

use crate::analysis::findings::{self, Context};
use crate::analysis::forecast::{self as verdicts, Memory};
use crate::analysis::{Finding, Thresholds};
use crate::config::Settings;
use crate::config::catalog::Query;
use crate::datagen::model::DataModel;
use crate::error::{DbError, Error, Result, db_message};
use crate::measure::{self, ForecastRun, QueryRuns, scans};
use crate::plan::{Explain, shape};
use crate::postgres::Server;

/// A case's forecast findings: its forecast points against its measured ones (see
/// [`verdicts::judge`]), as errors where the query or `[thresholds]` gates on forecasts.
pub(crate) fn judge_case(runs: &crate::measure::CaseRuns, query: &Query, thresholds: &Thresholds) -> Vec<Finding> {
    if runs.forecasts.is_empty() {
        return Vec::new();
    }
    let measured: Vec<verdicts::Point<'_>> = runs
        .runs
        .iter()
        .filter(|r| !r.timed_out)
        .filter_map(|r| {
            r.cost().map(|cost| verdicts::Point {
                scale: r.scale,
                rows: r.growth_rows(),
                shape: &r.shape,
                cost,
                findings: &r.findings,
            })
        })
        .collect();
    let forecast: Vec<verdicts::Point<'_>> = runs
        .forecasts
        .iter()
        .map(|f| verdicts::Point {
            scale: f.scale,
            rows: f.growth_rows(),
            shape: &f.shape,
            cost: f.cost,
            findings: &f.findings,
        })
        .collect();
    let gate = query.forecast_gate.unwrap_or(thresholds.forecast_gate);
    verdicts::judge(&measured, &forecast, query.budget(), gate)
}

/// Time spent on one forecast scale.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ForecastTiming {
    pub scale: f64,
    /// Building its world: the sample loaded, analyzed and projected.
    pub build_ms: u64,
    /// Planning every case there.
    pub plan_ms: u64,
}

/// Plan every case of `runs` at each forecast scale, with the parameters it was measured
/// with. The cases' forecasts are added to `runs`.
pub(crate) async fn plan_all(
    server: &Server,
    settings: &Settings,
    model: &DataModel,
    queries: &[Query],
    runs: &mut [QueryRuns],
    measured_db: Option<&str>,
) -> Result<Vec<ForecastTiming>> {
    let mut timings = Vec::new();
    let densities = match measured_db {
        Some(db) if !settings.forecast.is_empty() => world::densities(server, db).await?,
        _ => world::Densities::new(),
    };
    for &scale in &settings.forecast {
        let db = server.copy_name("forecast");
        let started = Instant::now();
        let display = crate::progress::global();
        display.spin(&format!("forecast scale {scale}: sampling and projecting the world"));
        let built = world::build(server, settings, model, scale, &db, &densities).await;
        let build_ms = ms_since(started);
        let planned = match built {
            Ok(projected) => {
                display.spin(&format!("forecast scale {scale}: planning"));
                let t = Instant::now();
                let r =
                    plan_scale(server, &db, scale, &projected.table_rows, &settings.thresholds, queries, runs).await;
                r.map(|()| ms_since(t))
            }
            Err(e) => Err(e),
        };
        display.finish();
        let dropped = drop_database(server, &db).await;
        let plan_ms = planned?;
        dropped?;
        crate::progress::line(&format!(
            "forecast scale {scale}: world sampled and projected in {build_ms} ms, planned in {plan_ms} ms"
        ));
        timings.push(ForecastTiming { scale, build_ms, plan_ms });
    }
    Ok(timings)
}

/// Narrow where each case's plan first flips past the measured scales: plan at the
/// geometric middle of the two scales around the flip, `settings.forecast_bisect` times.
/// The points planned join the cases' forecasts.
pub(crate) async fn bisect(
    server: &Server,
    settings: &Settings,
    model: &DataModel,
    queries: &[Query],
    runs: &mut [QueryRuns],
    measured_db: Option<&str>,
) -> Result<Vec<ForecastTiming>> {
    let mut timings = Vec::new();
    for _ in 0..settings.forecast_bisect {
        let mut middles: Vec<f64> = Vec::new();
        for cr in runs.iter().flat_map(|q| &q.cases) {
            let Some((lo, hi)) = flip_gap(cr) else { continue };
            let middle = round3((lo * hi).sqrt());
            if middle > lo && middle < hi && !middles.contains(&middle) {
                middles.push(middle);
            }
        }
        if middles.is_empty() {
            break;
        }
        middles.sort_by(f64::total_cmp);
        let mut at = settings.clone();
        at.forecast = middles;
        timings.extend(plan_all(server, &at, model, queries, runs, measured_db).await?);
        for cr in runs.iter_mut().flat_map(|q| &mut q.cases) {
            cr.forecasts.sort_by(|a, b| a.scale.total_cmp(&b.scale));
        }
    }
    Ok(timings)
}

/// The scales around the first change of a case's plan past its largest measured scale
/// (that scale, or a forecast one, and the forecast scale where the plan differs).
pub(crate) fn flip_gap(runs: &crate::measure::CaseRuns) -> Option<(f64, f64)> {
    let last = runs.runs.iter().rev().find(|r| !r.timed_out)?;
    let mut previous = (last.scale, last.shape.as_str());
    for f in &runs.forecasts {
        if shape::diff(previous.1, &f.shape).is_some() {
            return Some((previous.0, f.scale));
        }
        previous = (f.scale, &f.shape);
    }
    None
}

/// Three significant digits: a scale as plangate prints it.
fn round3(v: f64) -> f64 {
    let digits = 2.0 - v.log10().floor();
    let f = 10f64.powf(digits);
    (v * f).round() / f
}

async fn plan_scale(
    server: &Server,
    db: &str,
    scale: f64,
    table_rows: &BTreeMap<String, u64>,
    thresholds: &Thresholds,
    queries: &[Query],
    runs: &mut [QueryRuns],
) -> Result<()> {
    let mut conn = server.connect_to(db).await?;
    let result = async {
        measure::prepare_session(&mut conn, thresholds).await?;
        let memory = memory(&mut conn).await?;

        for (i, (q, qr)) in queries.iter().zip(runs.iter_mut()).enumerate() {
            measure::prepare(&mut conn, q, i).await?;
            for cr in &mut qr.cases {
                let params = cr.runs.first().map(|r| r.params.clone()).unwrap_or_default();
                let run = plan_case(&mut conn, q, i, &params, scale, table_rows, thresholds, memory).await?;
                cr.forecasts.push(run);
            }
        }
        Ok(())
    }
    .await;
    let _ = conn.close().await;
    result
}

/// `work_mem` and `hash_mem_multiplier` of the planning session.
async fn memory(conn: &mut PgConnection) -> Result<Memory> {
    let (work_mem, hash_multiplier): (i64, f64) = sqlx::query_as(
        "SELECT pg_size_bytes(current_setting('work_mem')), current_setting('hash_mem_multiplier')::float8",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| Error::postgres("reading work_mem", e))?;
    #[expect(clippy::cast_precision_loss)]
    let work_mem = work_mem as f64;
    Ok(Memory { work_mem, hash_multiplier })
}

#[expect(clippy::too_many_arguments, reason = "one case at one scale, with what every case shares")]
async fn plan_case(
    conn: &mut PgConnection,
    query: &Query,
    index: usize,
    params: &[Option<String>],
    scale: f64,
    table_rows: &BTreeMap<String, u64>,
    thresholds: &Thresholds,
    memory: Memory,
) -> Result<ForecastRun> {
    let literals: Vec<String> = params.iter().map(|p| crate::config::catalog::sql_literal(p.as_deref())).collect();
    let args = if literals.is_empty() { String::new() } else { format!("({})", literals.join(", ")) };
    let sql = format!("EXPLAIN (FORMAT JSON) EXECUTE {}{args}", measure::statement_name(index));
    crate::progress::sql(2, &sql);
    let failed = |message: String, source: Option<Box<dyn std::error::Error + Send + Sync>>| Error::QueryFailed {
        query: query.name.clone(),
        scale,
        message,
        source,
    };
    let json: sqlx::types::Json<Value> = sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| failed(db_message(&e), Some(Box::new(DbError(e)))))?;
    let explain = Explain::from_json(&json.0)
        .map_err(|e| failed(format!("unexpected EXPLAIN output: {e}"), Some(Box::new(e))))?;
    let text: Vec<String> =
        sqlx::query_scalar(AssertSqlSafe(format!("EXPLAIN EXECUTE {}{args}", measure::statement_name(index))))
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| failed(db_message(&e), Some(Box::new(DbError(e)))))?;
    let plan = &explain.plan;
    let ctx = Context { scale, table_rows, thresholds };
    // Of what a run finds, a plan alone shows its seq scans; spills are estimated.
    let mut found: Vec<Finding> =
        findings::detect(plan, &ctx).into_iter().filter(|f| f.kind == crate::analysis::Kind::SeqScan).collect();
    found.extend(verdicts::estimated_spills(plan, memory, scale));
    let forbidden = findings::forbidden(plan, &found, &query.forbid, scale);
    found.extend(forbidden);
    let rows = plan
        .walk()
        .into_iter()
        .filter_map(|(n, _)| findings::rows_of(table_rows, n).map(|(name, rows)| (name.to_string(), rows)))
        .collect();
    Ok(ForecastRun {
        scale,
        rows,
        shape: shape::shape(plan),
        cost: plan.total_cost,
        plan_rows: plan.plan_rows,
        scans: scans(plan),
        findings: found,
        plan: json.0,
        text,
    })
}

async fn drop_database(server: &Server, db: &str) -> Result<()> {
    let mut admin = server.connect().await?;
    let dropped = crate::datagen::copy::exec(
        &mut admin,
        &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
        "dropping a forecast's database",
    )
    .await;
    let _ = admin.close().await;
    dropped
}

fn ms_since(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}
