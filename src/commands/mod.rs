//! One short function per subcommand, wiring the stages; the shared measuring pipeline.

pub mod bless;
pub mod check;

use std::collections::BTreeMap;
use std::time::Instant;

use sqlx::Connection;

use crate::catalog::{ParamSpec, Query};
use crate::datagen::load::Loader;
use crate::datagen::model::DataModel;
use crate::error::{Error, Result};
use crate::measure::{self, CaseRuns, QueryRuns};
use crate::postgres::{Server, schema};
use crate::report::Timings;
use crate::settings::Settings;

/// What a measuring run produced.
#[derive(Debug)]
pub struct Measured {
    pub postgres_version: String,
    pub major: u32,
    pub backend: String,
    pub runs: Vec<QueryRuns>,
    pub timings: Timings,
}

/// Progress lines on stderr.
pub fn progress(msg: &str) {
    eprintln!("plangate: {msg}");
}

/// Start Postgres, apply the schema, grow the world scale by scale, and measure every
/// query and case at each scale. The server is stopped on every way out.
pub async fn measure_catalog(settings: &Settings, queries: &[Query]) -> Result<Measured> {
    let started = Instant::now();
    let server = Server::start(settings).await?;
    let mut timings =
        Timings { backend: server.backend_name().into(), start_ms: ms_since(started), ..Timings::default() };
    progress(&format!(
        "Postgres {} ready ({} backend) in {} ms",
        server.version,
        server.backend_name(),
        timings.start_ms
    ));
    let result = measure_on(&server, settings, queries, &mut timings).await;
    let shutdown = server_info_then_shutdown(server).await;
    let (version, major, backend) = shutdown?;
    let runs = result?;
    timings.total_ms = ms_since(started);
    Ok(Measured { postgres_version: version, major, backend, runs, timings })
}

async fn server_info_then_shutdown(server: Server) -> Result<(String, u32, String)> {
    let info = (server.version.clone(), server.major, server.backend_name().to_string());
    server.shutdown().await?;
    Ok(info)
}

async fn measure_on(
    server: &Server,
    settings: &Settings,
    queries: &[Query],
    timings: &mut Timings,
) -> Result<Vec<QueryRuns>> {
    // Lets the end-to-end tests prove that a panic still removes the throwaway server.
    if std::env::var_os("PLANGATE_TEST_PANIC_AFTER_START").is_some() {
        panic!("PLANGATE_TEST_PANIC_AFTER_START is set");
    }
    let mut conn = server.connect().await?;
    let t = Instant::now();
    schema::apply(&mut conn, &settings.schema_files).await?;
    let catalog = crate::datagen::schema::read(&mut conn).await?;
    let model = DataModel::build(settings, &catalog)?;
    check_samplers(settings, &model, queries)?;
    // Postgres parses every query against the schema now, before any data is loaded.
    let mut qconn = server.connect().await?;
    measure::prepare_session(&mut qconn, &settings.thresholds).await?;
    for (i, q) in queries.iter().enumerate() {
        measure::prepare(&mut qconn, q, i).await?;
    }
    timings.schema_ms = ms_since(t);

    let mut loader = Loader::new(&mut conn, model, settings.seed).await?;
    let mut runs: Vec<QueryRuns> = queries
        .iter()
        .map(|q| QueryRuns {
            query: q.clone(),
            cases: q.cases.iter().map(|c| CaseRuns { case: c.name.clone(), runs: Vec::new() }).collect(),
        })
        .collect();

    for &scale in &settings.scales {
        let step = loader
            .grow_to(&mut conn, scale, |t| {
                #[expect(clippy::cast_precision_loss)]
                let rate = t.rows as f64 / (t.ms.max(1) as f64 / 1000.0);
                progress(&format!(
                    "scale {scale}: loaded {} rows into {} in {} ms ({:.0} rows/s)",
                    t.rows, t.table, t.ms, rate
                ));
            })
            .await?;
        timings.loads.extend(step.loads);
        timings.index_ms += step.index_ms;
        timings.analyze_ms += step.analyze_ms;
        let table_rows: BTreeMap<String, u64> =
            loader.model().tables.iter().map(|t| (t.name.clone(), t.size.rows_at(scale))).collect();
        let at =
            measure::AtScale { scale, table_rows: &table_rows, thresholds: &settings.thresholds, seed: settings.seed };
        let t = Instant::now();
        for (i, (q, qr)) in queries.iter().zip(runs.iter_mut()).enumerate() {
            for (case, cr) in q.cases.iter().zip(qr.cases.iter_mut()) {
                cr.runs.push(measure::run_case(&mut qconn, at, q, i, case).await?);
            }
        }
        timings.explain_ms += ms_since(t);
        progress(&format!("scale {scale}: measured {} queries", queries.len()));
    }
    let _ = qconn.close().await;
    let _ = conn.close().await;
    Ok(runs)
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

fn ms_since(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}
