//! One short function per subcommand, wiring the stages; the shared measuring pipeline.

pub mod bless;
pub mod check;
pub mod curve;
pub mod explain;
pub mod fidelity;
pub mod init;
pub mod suggest;

use std::collections::BTreeMap;
use std::time::Instant;

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::config::Settings;
use crate::config::catalog::{ParamSpec, Query};
use crate::datagen::load::{LoadEvent, Loader};
use crate::datagen::model::DataModel;
use crate::datagen::schema::Catalog;
use crate::error::{Error, Result};
use crate::measure::{self, CaseRuns, QueryRuns};
use crate::postgres::{self, Server, Target, schema};
use crate::report::Timings;

/// What a measuring run produced.
#[derive(Debug)]
pub struct Measured {
    pub postgres_version: String,
    pub major: u32,
    pub backend: String,
    /// The image, on the container backend.
    pub image: Option<String>,
    /// The settings the server was started with.
    pub server_settings: Vec<(String, String)>,
    pub runs: Vec<QueryRuns>,
    pub timings: Timings,
    /// How the world was made, for the report's reader.
    pub notes: Vec<String>,
}

/// A progress line on stderr.
pub fn progress(msg: &str) {
    crate::progress::global().line(msg);
}

/// The state at the largest scale after measuring, for steps that go on there (suggest).
pub struct Session<'q> {
    /// The measuring session: every query prepared as `measure::statement_name(i)`.
    pub conn: PgConnection,
    /// The schema as Postgres' catalog describes it.
    pub catalog: Catalog,
    pub queries: &'q [Query],
    pub runs: Vec<QueryRuns>,
    /// The largest scale and the rows of every filled table there.
    pub scale: f64,
    pub table_rows: BTreeMap<String, u64>,
    /// How the world was made, for the report's reader (triggers off, columns left NULL...).
    pub notes: Vec<String>,
}

/// Start Postgres, apply the schema, grow the world scale by scale, and measure every
/// query and case at each scale. The server is stopped on every way out.
pub async fn measure_catalog(settings: &Settings, queries: &[Query]) -> Result<Measured> {
    measure_then(settings, queries, async |_| Ok(())).await.map(|(m, ())| m)
}

/// [`measure_catalog`] on every target: each image of a version matrix in turn, one
/// throwaway server at a time. Two images of one major version would share baselines.
pub async fn measure_matrix(settings: &Settings, queries: &[Query]) -> Result<Vec<Measured>> {
    let mut all: Vec<Measured> = Vec::new();
    for target in postgres::targets(settings).await? {
        let (m, ()) = measure_on_target(settings, &target, queries, async |_| Ok(())).await?;
        if let Some(twin) = all.iter().find(|o| o.major == m.major) {
            return Err(Error::config(
                &settings.config_path,
                "database.image",
                format!(
                    "images {} and {} are both Postgres {}; a version matrix keeps one baseline entry per major version",
                    twin.image.as_deref().unwrap_or("?"),
                    m.image.as_deref().unwrap_or("?"),
                    m.major
                ),
            ));
        }
        all.push(m);
    }
    Ok(all)
}

/// [`measure_catalog`], then `after` on the session at the largest scale before the server
/// stops. With a version matrix, on its first image.
pub async fn measure_then<T>(
    settings: &Settings,
    queries: &[Query],
    after: impl AsyncFnOnce(&mut Session<'_>) -> Result<T>,
) -> Result<(Measured, T)> {
    let targets = postgres::targets(settings).await?;
    let target = &targets[0];
    if targets.len() > 1 {
        progress(&format!(
            "this command runs on one image of the version matrix: {}",
            target.image().unwrap_or_default()
        ));
    }
    measure_on_target(settings, target, queries, after).await
}

async fn measure_on_target<T>(
    settings: &Settings,
    target: &Target,
    queries: &[Query],
    after: impl AsyncFnOnce(&mut Session<'_>) -> Result<T>,
) -> Result<(Measured, T)> {
    let started = Instant::now();
    let server = Server::start(settings, target).await?;
    let mut timings =
        Timings { backend: server.backend_name().into(), start_ms: ms_since(started), ..Timings::default() };
    let from = target.image().map(|i| format!(", image {i}")).unwrap_or_default();
    progress(&format!(
        "Postgres {} ready ({} backend{from}) in {} ms",
        server.version,
        server.backend_name(),
        timings.start_ms
    ));
    let mut server = server;
    let mut result = match measure_on(&server, settings, queries, &mut timings).await {
        Ok(mut session) => {
            let extra = after(&mut session).await;
            let _ = session.conn.close().await;
            extra.map(|x| (session.runs, session.notes, x))
        }
        Err(e) => Err(e),
    };
    // An error because the server died blames whatever statement was running: say so.
    if let Err(e) = &result {
        if let Some(report) = server.crash_report().await {
            let during = e.to_string();
            result = Err(Error::ServerDied { report, during: lowercase_first(&during) });
        }
    }
    let server_settings = server.server_settings.clone();
    let (version, major, backend) = server_info_then_shutdown(server).await?;
    let (runs, notes, extra) = result?;
    timings.total_ms = ms_since(started);
    let image = target.image().map(str::to_string);
    Ok((Measured { postgres_version: version, major, backend, image, server_settings, runs, timings, notes }, extra))
}

async fn server_info_then_shutdown(server: Server) -> Result<(String, u32, String)> {
    let info = (server.version.clone(), server.major, server.backend_name().to_string());
    server.shutdown().await?;
    Ok(info)
}

// Long: the pipeline's steps in the order they run, each timed for the report.
async fn measure_on<'q>(
    server: &Server,
    settings: &Settings,
    queries: &'q [Query],
    timings: &mut Timings,
) -> Result<Session<'q>> {
    // Lets the end-to-end tests prove that a panic still removes the throwaway server.
    assert!(std::env::var_os("PLANGATE_TEST_PANIC_AFTER_START").is_none(), "PLANGATE_TEST_PANIC_AFTER_START is set");
    let t = Instant::now();
    // The schema gets a session of its own: what its files set must not reach plangate's.
    let mut schema_conn = server.connect().await?;
    let target = if server.is_throwaway() { schema::Target::Throwaway } else { schema::Target::Shared };
    let applied = schema::apply(&mut schema_conn, &settings.schema_files, target).await?;
    let _ = schema_conn.close().await;
    let mut conn = server.connect().await?;
    let catalog = crate::datagen::schema::read(&mut conn).await?;
    let model = DataModel::build(settings, &catalog)?;
    let mut notes = applied.notes();
    notes.extend(model.notes.iter().cloned());
    let mut table_rows = BTreeMap::new();
    check_samplers(settings, &model, queries)?;
    // Postgres parses every query against the schema now, before any data is loaded.
    let mut qconn = server.connect().await?;
    measure::prepare_session(&mut qconn, &settings.thresholds).await?;
    for (i, q) in queries.iter().enumerate() {
        measure::prepare(&mut qconn, q, i).await?;
    }
    timings.schema_ms = ms_since(t);

    let helper = server.connect().await?;
    let mut loader = Loader::new(&mut conn, Some(helper), model, settings.seed).await?;
    // Queries whose production plan the snapshot holds (compared at scale 1.0).
    let store = settings.snapshot();
    let planned: std::collections::BTreeSet<&str> =
        queries.iter().filter(|q| store.plans_path(&q.name).is_file()).map(|q| q.name.as_str()).collect();
    let mut runs: Vec<QueryRuns> = queries
        .iter()
        .map(|q| QueryRuns {
            query: q.clone(),
            cases: q.cases.iter().map(|c| CaseRuns { case: c.name.clone(), runs: Vec::new() }).collect(),
        })
        .collect();

    for &scale in &settings.scales {
        let display = crate::progress::global();
        let step = loader
            .grow_to(&mut conn, scale, |event| match event {
                LoadEvent::Started { table, rows } => display.start(&format!("scale {scale}: {table}"), rows, "rows"),
                LoadEvent::Rows(n) => display.inc(n),
                LoadEvent::Rebuilding => {
                    display.spin(&format!("scale {scale}: rebuilding indexes and keys, analyzing"));
                }
                LoadEvent::Done(t) => {
                    display.finish();
                    #[expect(clippy::cast_precision_loss)]
                    let rate = t.rows as f64 / (t.ms.max(1) as f64 / 1000.0);
                    progress(&format!(
                        "scale {scale}: loaded {} rows into {} in {} ms ({:.0} rows/s)",
                        t.rows, t.table, t.ms, rate
                    ));
                }
            })
            .await?;
        timings.loads.extend(step.loads);
        timings.index_ms += step.index_ms;
        timings.analyze_ms += step.analyze_ms;
        table_rows = loader.relation_rows(&mut conn).await?;
        // At production's size, production's plans (if recorded) are compared with the
        // plans of parameters chosen there.
        let sample_shape = (scale - 1.0).abs() < 1e-9;
        let at = measure::AtScale {
            scale,
            table_rows: &table_rows,
            thresholds: &settings.thresholds,
            seed: settings.seed,
            sample_shape,
        };
        let t = Instant::now();
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
                cr.runs.push(measure::run_case(&mut qconn, at, q, i, case, follow.as_deref()).await?);
                display.inc(1);
            }
        }
        display.finish();
        timings.explain_ms += ms_since(t);
        progress(&format!("scale {scale}: measured {} queries", queries.len()));
    }
    let _ = conn.close().await;
    let scale = settings.scales.last().copied().unwrap_or(1.0);
    notes.extend(loader.notes());
    Ok(Session { conn: qconn, catalog, queries, runs, scale, table_rows, notes })
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

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_lowercase().chain(c).collect()).unwrap_or_default()
}

fn ms_since(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}
