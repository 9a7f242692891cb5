//! Measuring the catalog on one server: the world grown or restored, then every query and
//! case at each scale, each step timed for the report.

use std::collections::BTreeMap;
use std::time::Instant;

use sqlx::Connection;

use crate::cache::{EntryMeta, WorldKey};
use crate::config::Settings;
use crate::config::catalog::{ParamSpec, Query};
use crate::datagen::model::DataModel;
use crate::error::{Error, Result};
use crate::measure::{self, CaseRuns, QueryRuns};
use crate::postgres::Server;
use crate::progress::line as progress;
use crate::report::Timings;

use super::world::World;
use super::{Session, ms_since};

// Long: the pipeline's steps in the order they run, each timed for the report.
pub(super) async fn measure_on<'q>(
    server: &Server,
    settings: &Settings,
    queries: &'q [Query],
    timings: &mut Timings,
    restored: Option<(&EntryMeta, &WorldKey)>,
) -> Result<Session<'q>> {
    // Lets the end-to-end tests prove that a panic still removes the throwaway server.
    assert!(std::env::var_os("PLANGATE_TEST_PANIC_AFTER_START").is_none(), "PLANGATE_TEST_PANIC_AFTER_START is set");
    let t = Instant::now();
    let index_before = timings.index_ms;
    let mut world = match restored {
        Some((meta, key)) => {
            let w = World::restored(server, settings, meta, &key.index_statements, timings).await?;
            if w.reindexed {
                timings.world = "cached, indexes rebuilt".into();
            }
            w
        }
        None => World::grow(server, settings).await?,
    };
    check_samplers(settings, &world.model, queries)?;
    // Postgres parses every query against the schema now, before any data is loaded.
    let mut qconn = server.connect_to(world.schema_db()).await?;
    measure::prepare_session(&mut qconn, &settings.thresholds).await?;
    for (i, q) in queries.iter().enumerate() {
        measure::prepare(&mut qconn, q, i).await?;
    }
    if world.measured_elsewhere() {
        let _ = std::mem::replace(&mut qconn, server.connect().await?).close().await;
    }
    // Taken while a copy of the world is made, which no other session may be on.
    let mut qconn = Some(qconn);
    // Indexes a cached world rebuilt are counted as index time.
    timings.schema_ms = ms_since(t).saturating_sub(timings.index_ms - index_before);

    // Queries whose production plan the snapshot holds (compared at scale 1.0).
    let store = settings.snapshot();
    let planned: std::collections::BTreeSet<&str> =
        queries.iter().filter(|q| store.plans_path(&q.name).is_file()).map(|q| q.name.as_str()).collect();
    let mut runs: Vec<QueryRuns> = queries
        .iter()
        .map(|q| QueryRuns {
            query: q.clone(),
            cases: q
                .cases
                .iter()
                .map(|c| CaseRuns { case: c.name.clone(), runs: Vec::new(), forecasts: Vec::new() })
                .collect(),
        })
        .collect();

    let mut table_rows = BTreeMap::new();
    let connector = server.connector();
    let writes = queries.iter().any(|q| q.writes);
    let mut kept_pristine = None;
    for (si, &scale) in settings.scales.iter().enumerate() {
        let (db, rows) = world.scale(si, scale, timings).await?;
        table_rows = rows;
        // Writes are measured in copies of a copy of the world that no session stays on
        // (the measuring session leaves it while the copy is made).
        let pristine = if writes {
            let _ = qconn.take().expect("the measuring session").close().await;
            let name = server.copy_name("pristine");
            match &db {
                Some(db) => pristine_copy(server, db, &name).await?,
                // The url backend: the world grows in the scratch database itself.
                None => world.copy_grown(server, &name).await?,
            }
            qconn = Some(server.connect_to(db.as_deref().unwrap_or(world.schema_db())).await?);
            Some(super::Pristine { db: name, copy: server.copy_name("write"), strategy: server.copy_strategy() })
        } else {
            if let Some(db) = &db {
                let _ = std::mem::replace(qconn.as_mut().expect("the measuring session"), server.connect_to(db).await?)
                    .close()
                    .await;
            }
            None
        };
        if db.is_some() || writes {
            let conn = qconn.as_mut().expect("the measuring session");
            measure::prepare_session(conn, &settings.thresholds).await?;
            for (i, q) in queries.iter().enumerate() {
                measure::prepare(conn, q, i).await?;
            }
        }
        // At production's size, production's plans (if recorded) are compared with the
        // plans of parameters chosen there.
        let sample_shape = (scale - 1.0).abs() < 1e-9;
        let at = measure::AtScale {
            scale,
            table_rows: &table_rows,
            thresholds: &settings.thresholds,
            seed: settings.seed,
            sample_shape,
            copies: pristine.as_ref().map(|p| p.copies(&connector)),
        };
        let t = Instant::now();
        let display = crate::progress::global();
        let cases: usize = queries.iter().map(|q| q.cases.len()).sum();
        display.start(&format!("scale {scale}: queries"), cases as u64, "cases");
        for (i, (q, qr)) in queries.iter().zip(runs.iter_mut()).enumerate() {
            for (case, cr) in q.cases.iter().zip(qr.cases.iter_mut()) {
                // One key is followed across scales: sampled at the smallest, then reused
                // (rows are only ever added, so it exists at every larger scale), so that
                // the growth fit compares like with like.
                let follow = cr.runs.first().map(|r| r.params.clone());
                // Only a query production has a plan of is planned again with its own samples.
                let at = measure::AtScale { sample_shape: at.sample_shape && planned.contains(q.name.as_str()), ..at };
                let conn = qconn.as_mut().expect("the measuring session");
                let run = measure::run_case(conn, at, q, i, case, follow.as_deref()).await?;
                timings.generic_ms += run.generic.as_ref().map_or(0, |g| g.measure_ms);
                cr.runs.push(run);
                display.inc(1);
            }
        }
        display.finish();
        // The largest scale's copy stays for the steps after measuring (suggest).
        let last = si + 1 == settings.scales.len();
        match pristine {
            Some(p) if last => kept_pristine = Some(p),
            Some(p) => drop_database(server, &p.db).await?,
            None => {}
        }
        timings.explain_ms += ms_since(t);
        progress(&format!("scale {scale}: measured {} queries", queries.len()));
    }
    if !settings.forecast.is_empty() {
        // The measuring session leaves the world while the forecasts are planned elsewhere.
        let measured = world.scales.last().and_then(|(db, _)| db.clone());
        let measured = measured.as_deref();
        timings.forecasts =
            crate::forecast::plan_all(server, settings, &world.model, queries, &mut runs, measured).await?;
        let narrowed = crate::forecast::bisect(server, settings, &world.model, queries, &mut runs, measured).await?;
        timings.forecasts.extend(narrowed);
    }
    let notes = world.notes(server, settings).await?;
    let scale = settings.scales.last().copied().unwrap_or(1.0);
    let data_notes = world.notes.clone();
    let kept = std::mem::take(&mut world.scales);
    let catalog = world.catalog.clone();
    world.close().await;
    Ok(Session {
        conn: qconn.expect("the measuring session"),
        catalog,
        queries,
        runs,
        scale,
        table_rows,
        notes,
        world_changed: false,
        kept,
        connector: server.connector(),
        data_notes,
        pristine: kept_pristine,
    })
}

/// A copy `name` of the scale's world `db`, for writes to be measured in copies of.
async fn pristine_copy(server: &Server, db: &str, name: &str) -> Result<()> {
    let mut admin = server.connect().await?;
    let sql = format!("CREATE DATABASE {name} TEMPLATE {db}{}", server.copy_strategy());
    let made = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await;
    let _ = admin.close().await;
    made.map_err(|e| Error::postgres("copying a scale's world for the writes", e))?;
    Ok(())
}

pub(super) async fn drop_database(server: &Server, db: &str) -> Result<()> {
    let mut admin = server.connect().await?;
    let dropped = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}"))).execute(&mut admin).await;
    let _ = admin.close().await;
    dropped.map(|_| ()).map_err(|e| Error::postgres(format!("dropping {db}"), e))
}

/// Samplers must name a column of a filled table; say which query asks for what.
fn check_samplers(settings: &Settings, model: &DataModel, queries: &[Query]) -> Result<()> {
    for q in queries {
        for case in &q.cases {
            for p in &case.params {
                if let ParamSpec::Sample { table, column, .. } = p {
                    let ok = model.table(table).is_some_and(|t| t.column(column).is_some());
                    if !ok {
                        return Err(Error::config(
                            &settings.config_path,
                            format!("query.{}.params", q.name),
                            format!("samples {table}.{column}, which is not a column of a filled table"),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}
