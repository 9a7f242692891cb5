//! The engine every measuring command goes through: start a server for a target, build
//! or restore the world scale by scale, measure the catalog on it, keep the world in the
//! cache, and judge the runs against baselines. Commands call it and render what it returns.

mod cached;
mod judge;
mod scales;
pub(crate) mod verify;
mod world;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::config::Settings;
use crate::config::catalog::Query;
use crate::datagen::schema::Catalog;
use crate::error::{Error, Result};
use crate::measure::QueryRuns;
use crate::postgres::{self, Server, Target};
use crate::progress::line as progress;
use crate::report::Timings;

pub(crate) use judge::{baseline_of, build_report, production_plans};

/// What a measuring run produced.
#[derive(Debug)]
pub(crate) struct Measured {
    pub postgres_version: String,
    pub major: u32,
    pub backend: String,
    /// The image, on the container backend.
    pub image: Option<String>,
    /// Where the server binaries came from, on the local backend.
    pub binaries: Option<String>,
    /// The settings the server was started with.
    pub server_settings: Vec<(String, String)>,
    pub runs: Vec<QueryRuns>,
    pub timings: Timings,
    /// How the world was made, for the report's reader.
    pub notes: Vec<String>,
}

/// The state at the largest scale after measuring, for steps that go on there (suggest).
pub(crate) struct Session<'q> {
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
    /// Opens sessions on the server, e.g. on a smaller scale's world.
    connector: postgres::Connector,
    /// The notes that come with the data (schema and generators), which a cached world keeps.
    data_notes: Vec<String>,
    /// A copy of the largest scale's world that writes are measured in copies of (dropped
    /// when the session ends).
    pristine: Option<Pristine>,
}

/// A copy of a scale's world that no session stays on, for writes to be measured in
/// copies of it.
#[derive(Debug, Clone)]
pub(crate) struct Pristine {
    pub(crate) db: String,
    /// The name each run's copy of it gets.
    pub(crate) copy: String,
    /// How `CREATE DATABASE` copies on this server.
    pub(crate) strategy: &'static str,
}

impl Pristine {
    pub(crate) fn copies<'a>(&'a self, connector: &'a postgres::Connector) -> crate::measure::write::Copies<'a> {
        crate::measure::write::Copies {
            connector,
            template: &self.db,
            strategy: self.strategy,
            copy: &self.copy,
            prelude: None,
        }
    }
}

impl Session<'_> {
    /// Where writes are measured after the scales: copies of the largest scale's world.
    pub(crate) fn copies(&self) -> Option<crate::measure::write::Copies<'_>> {
        self.pristine.as_ref().map(|p| p.copies(&self.connector))
    }
}

/// Start Postgres, apply the schema, grow the world scale by scale, and measure every
/// query and case at each scale. The server is stopped on every way out.
pub(crate) async fn measure_catalog(settings: &Settings, queries: &[Query]) -> Result<Measured> {
    measure_then(settings, queries, async |_| Ok(())).await.map(|(m, ())| m)
}

/// [`measure_catalog`] on every target: each image or local version of a version matrix in
/// turn, one throwaway server at a time. Two targets of one major version would share baselines.
pub(crate) async fn measure_matrix(settings: &Settings, queries: &[Query]) -> Result<Vec<Measured>> {
    let mut all: Vec<Measured> = Vec::new();
    for target in postgres::targets(settings).await? {
        let (m, ()) = measure_on_target(settings, &target, queries, async |_| Ok(())).await?;
        if let Some(twin) = all.iter().find(|o| o.major == m.major) {
            let name = |m: &Measured| m.image.clone().or_else(|| m.binaries.clone()).unwrap_or_else(|| "?".into());
            return Err(Error::config(
                &settings.config_path,
                if m.image.is_some() { "database.image" } else { "database.postgres" },
                format!(
                    "{} and {} are both Postgres {}; a version matrix keeps one baseline entry per major version",
                    name(twin),
                    name(&m),
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
pub(crate) async fn measure_then<T>(
    settings: &Settings,
    queries: &[Query],
    after: impl AsyncFnOnce(&mut Session<'_>) -> Result<T>,
) -> Result<(Measured, T)> {
    let targets = postgres::targets(settings).await?;
    let target = &targets[0];
    if targets.len() > 1 {
        let which = target.image().or(target.binaries()).unwrap_or_default();
        progress(&format!("this command runs on the version matrix's first target: {which}"));
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
    if *target == Target::Url && !settings.forecast.is_empty() {
        return Err(Error::Argument {
            flag: "--forecast".into(),
            detail: "a forecast is planned in a throwaway server's own files (local or container backend); the url \
                     backend's server is not plangate's to change"
                .into(),
        });
    }
    let cached = cached::cache_use(settings, target).await?;
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
    if let Some(b) = target.binaries() {
        from = format!("{from}, binaries {b}");
    }
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
    let mut result = match scales::measure_on(&server, settings, queries, &mut timings, restored).await {
        Ok(mut session) => {
            let extra = after(&mut session).await;
            let Session { conn, runs, notes, world_changed, kept, data_notes, pristine, .. } = session;
            let _ = conn.close().await;
            // Gone before the world is cached.
            let dropped = match pristine {
                Some(p) => scales::drop_database(&server, &p.db).await,
                None => Ok(()),
            };
            let extra = dropped.and(extra);
            extra.map(|x| (Finished { runs, notes, world_changed, kept, data_notes }, x))
        }
        Err(e) => Err(e),
    };
    // An error because the server died blames whatever statement was running: say so.
    if let Err(e) = &result {
        let during = lowercase_first(&crate::error::chain(e));
        let report = server.crash_report().await;
        // A full file system is the cause whatever else it broke (a query, the server), and
        // the server's whole log says so even when a crash pushed it out of the report's tail.
        if postgres::says_disk_full(&during) || server.log_says_disk_full().await {
            result = Err(Error::NoSpace {
                place: server.storage(),
                needs: crate::cache::human_size(settings.world_size_estimate()),
                during,
            });
        } else if let Some(report) = report {
            result = Err(Error::ServerDied { report, during: lowercase_first(&e.to_string()) });
        }
    }
    if let (Some(c), Ok((session, _))) = (&cached, &result) {
        if !server.restored && !session.world_changed {
            let t = Instant::now();
            if cached::save(&mut server, c, session, &settings.scales).await {
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
    let binaries = target.binaries().map(str::to_string);
    let (runs, notes) = (session.runs, session.notes);
    let measured =
        Measured { postgres_version: version, major, backend, image, binaries, server_settings, runs, timings, notes };
    Ok((measured, extra))
}

/// What a measuring run keeps once its session is closed.
struct Finished {
    runs: Vec<QueryRuns>,
    notes: Vec<String>,
    world_changed: bool,
    kept: Vec<(Option<String>, BTreeMap<String, u64>)>,
    data_notes: Vec<String>,
}
async fn server_info_then_shutdown(server: Server) -> Result<(String, u32, String)> {
    let info = (server.version.clone(), server.major, server.backend_name().to_string());
    server.shutdown().await?;
    Ok(info)
}
fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_lowercase().chain(c).collect()).unwrap_or_default()
}

fn ms_since(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}
