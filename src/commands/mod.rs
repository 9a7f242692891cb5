//! One short function per subcommand, wiring the stages; the shared measuring pipeline.

pub mod bless;
pub mod cache;
pub mod check;
pub mod curve;
pub mod explain;
pub mod fidelity;
pub mod init;
pub mod merge;
pub mod suggest;
mod world;

use std::collections::BTreeMap;
use std::time::Instant;

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use std::sync::Arc;

use crate::cache::store::Lookup;
use crate::cache::{Cache, Entry, EntryMeta, WorldKey};
use crate::config::Settings;
use crate::config::catalog::{ParamSpec, Query};
use crate::datagen::model::DataModel;
use crate::datagen::schema::Catalog;
use crate::error::{Error, Result};
use crate::measure::{self, CaseRuns, QueryRuns};
use crate::postgres::{self, Server, Target};
use crate::report::Timings;
use world::World;

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
    /// Set by a step that changes the world (builds an index): such a world is not cached.
    pub world_changed: bool,
    /// Per scale: where its world is kept (its database; None: the server's own) with the
    /// rows of every filled table there.
    kept: Vec<(Option<String>, BTreeMap<String, u64>)>,
    /// The notes that come with the data (schema and generators), which a cached world keeps.
    data_notes: Vec<String>,
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
    let cached = cache_use(settings, target).await?;
    let entry = cached.as_ref().and_then(|c| c.entry.clone());
    let server = Server::start_from(settings, target, entry.clone()).await?;
    if let (Some(c), Some(e), false) = (&cached, entry, server.restored) {
        // It did not restore cleanly: it goes, and this run builds the world again.
        if let Ok(e) = Arc::try_unwrap(e) {
            c.cache.discard(e);
        }
    }
    let mut timings = Timings {
        backend: server.backend_name().into(),
        start_ms: ms_since(started),
        restore_ms: server.restore_ms,
        world: (if server.restored { "cached" } else { "built" }).into(),
        ..Timings::default()
    };
    let mut from = target.image().map(|i| format!(", image {i}")).unwrap_or_default();
    if server.in_memory() {
        from.push_str(", in memory");
    }
    let world = if server.restored {
        format!(" on a cached world (restored in {} ms)", server.restore_ms)
    } else {
        String::new()
    };
    progress(&format!(
        "Postgres {} ready ({} backend{from}){world} in {} ms",
        server.version,
        server.backend_name(),
        timings.start_ms
    ));
    let mut server = server;
    let restored =
        cached.as_ref().filter(|_| server.restored).and_then(|c| c.entry.as_ref().map(|e| (&e.meta, &c.key)));
    let mut result = match measure_on(&server, settings, queries, &mut timings, restored).await {
        Ok(mut session) => {
            let extra = after(&mut session).await;
            let Session { conn, runs, notes, world_changed, kept, data_notes, .. } = session;
            let _ = conn.close().await;
            extra.map(|x| (Finished { runs, notes, world_changed, kept, data_notes }, x))
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
    if let (Some(c), Ok((session, _))) = (&cached, &result) {
        if !server.restored && !session.world_changed {
            let t = Instant::now();
            if save(&mut server, c, session, &settings.scales).await {
                timings.world = "built and cached".into();
            }
            timings.save_ms = ms_since(t);
        }
    }
    let server_settings = server.server_settings.clone();
    let (version, major, backend) = server_info_then_shutdown(server).await?;
    let (session, extra) = result?;
    timings.total_ms = ms_since(started);
    let image = target.image().map(str::to_string);
    let (runs, notes) = (session.runs, session.notes);
    Ok((Measured { postgres_version: version, major, backend, image, server_settings, runs, timings, notes }, extra))
}

/// What a measuring run keeps once its session is closed.
struct Finished {
    runs: Vec<QueryRuns>,
    notes: Vec<String>,
    world_changed: bool,
    kept: Vec<(Option<String>, BTreeMap<String, u64>)>,
    data_notes: Vec<String>,
}

/// The world cache as one target uses it: the key of the world this run describes, and
/// the entry found under it.
struct CacheUse {
    cache: Cache,
    key: WorldKey,
    build: String,
    entry: Option<Arc<Entry>>,
}

/// The cache, the key and a hit, where this target's worlds are cached.
async fn cache_use(settings: &Settings, target: &Target) -> Result<Option<CacheUse>> {
    let Some(cache) = settings.cache.as_ref().map(Cache::from) else { return Ok(None) };
    let Some(build) = Server::build_id(target).await else { return Ok(None) };
    let key = crate::cache::key::compute(settings, &build)?;
    let entry = match cache.lookup(&key.hex) {
        Lookup::Hit(e) => Some(Arc::new(*e)),
        Lookup::Miss => None,
        Lookup::Corrupt(why) => {
            progress(&format!("the cached world {} could not be read ({why}); building it again", key.short()));
            None
        }
    };
    Ok(Some(CacheUse { cache, key, build, entry }))
}

/// Stop the server cleanly and keep its data as the world of `c.key`. A world that
/// cannot be kept is said, not an error: the run's results stand.
async fn save(server: &mut Server, c: &CacheUse, session: &Finished, scales: &[f64]) -> bool {
    let meta = EntryMeta {
        postgres_version: server.version.clone(),
        scales: scales.to_vec(),
        databases: session.kept.iter().map(|(db, _)| db.clone().unwrap_or_default()).collect(),
        table_rows: session.kept.iter().map(|(_, rows)| rows.clone()).collect(),
        notes: session.data_notes.clone(),
        index_statements: c.key.index_statements.clone(),
        password: server.password(),
        ..EntryMeta::new(&c.key.hex, &c.build)
    };
    let scratch = c.cache.scratch();
    let kept = match &scratch {
        Ok(dir) => server.stop_keeping_data(dir.path()).await.and_then(|data| c.cache.publish(&data, meta, true)),
        Err(e) => Err(e.clone()),
    };
    drop(scratch);
    match kept {
        Ok(bytes) => {
            progress(&format!(
                "world cache: kept this world ({}) as {} in {}",
                crate::cache::human_size(bytes),
                c.key.short(),
                c.cache.root.display()
            ));
            true
        }
        Err(why) => {
            progress(&format!("world cache: this world was not kept: {why}"));
            false
        }
    }
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
            cases: q.cases.iter().map(|c| CaseRuns { case: c.name.clone(), runs: Vec::new() }).collect(),
        })
        .collect();

    let mut table_rows = BTreeMap::new();
    for (si, &scale) in settings.scales.iter().enumerate() {
        let (db, rows) = world.scale(si, scale, timings).await?;
        table_rows = rows;
        if let Some(db) = &db {
            let _ = std::mem::replace(&mut qconn, server.connect_to(db).await?).close().await;
            measure::prepare_session(&mut qconn, &settings.thresholds).await?;
            for (i, q) in queries.iter().enumerate() {
                measure::prepare(&mut qconn, q, i).await?;
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
                let run = measure::run_case(&mut qconn, at, q, i, case, follow.as_deref()).await?;
                timings.generic_ms += run.generic.as_ref().map_or(0, |g| g.measure_ms);
                cr.runs.push(run);
                display.inc(1);
            }
        }
        display.finish();
        timings.explain_ms += ms_since(t);
        progress(&format!("scale {scale}: measured {} queries", queries.len()));
    }
    let notes = world.notes(server, settings).await?;
    let scale = settings.scales.last().copied().unwrap_or(1.0);
    let data_notes = world.notes.clone();
    let kept = std::mem::take(&mut world.scales);
    let catalog = world.catalog.clone();
    world.close().await;
    Ok(Session {
        conn: qconn,
        catalog,
        queries,
        runs,
        scale,
        table_rows,
        notes,
        world_changed: false,
        kept,
        data_notes,
    })
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
