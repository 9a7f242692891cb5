//! The world each scale is measured on: grown from the generators, or restored from the
//! cache. On a throwaway server each scale's world is kept in a database of its own
//! (`plangate_scale_<i>`), and the scales are built on two lanes at once: each lane is a
//! database made from the schema that grows through its share of the scales, copied at
//! each but its last and renamed at its last. A lane that skips scales generates their
//! rows as a load stopping there would, so a scale's rows do not depend on its lane. That
//! server's data directory is what the cache keeps. On the url backend the scratch
//! database grows in place, one scale after another.

use std::collections::BTreeMap;
use std::time::Instant;

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::cache::EntryMeta;
use crate::config::Settings;
use crate::datagen::load::{LoadEvent, Loader, StepTimings};
use crate::datagen::model::DataModel;
use crate::datagen::schema::Catalog;
use crate::error::{Error, Result};
use crate::postgres::{Server, schema};
use crate::progress;
use crate::report::Timings;
use lanes::Lanes;

mod lanes;

/// The database the schema is applied in: the one every new cluster has. On a throwaway
/// server the first lane grows in it and the others in copies of it; sessions that manage
/// databases use `template1` (`Server::connect`), so it can be copied and renamed.
const GROWING: &str = "postgres";
/// The database an index change is worked out in, with the schema as it is now.
const PROBE: &str = "plangate_probe";

/// The database holding the world at the `i`-th scale, on a throwaway server.
pub(super) fn scale_db(i: usize) -> String {
    format!("plangate_scale_{i}")
}

/// The schema as Postgres describes it, the data model, and how each scale's world comes.
pub(super) struct World {
    pub catalog: Catalog,
    pub model: DataModel,
    /// How the data was made (schema statements skipped, generators...), for the report.
    pub notes: Vec<String>,
    source: Source,
    /// Per scale so far: its database (None: the scratch database) and table rows.
    pub scales: Vec<(Option<String>, BTreeMap<String, u64>)>,
    /// Whether a restored world's indexes were rebuilt to the schema's.
    pub reindexed: bool,
}

enum Source {
    /// Grown now in the scratch database, one scale after another (the url backend).
    Grow { loader: Box<Loader>, conn: PgConnection },
    /// Being built now on a throwaway server, each scale in a database of its own.
    Lanes(Lanes),
    /// Every scale's database is there already.
    Restored { databases: Vec<String>, table_rows: Vec<BTreeMap<String, u64>> },
}

impl World {
    /// Apply the schema and read it back: the world about to be built. On a throwaway server
    /// the lanes start building every scale when the first is asked for; on the url backend
    /// the scratch database grows as each scale is asked for.
    pub(super) async fn grow(server: &Server, settings: &Settings) -> Result<World> {
        // The schema gets a session of its own: what its files set must not reach plangate's.
        let mut schema_conn = server.connect_to(GROWING).await?;
        let target = if server.is_throwaway() { schema::Target::Throwaway } else { schema::Target::Shared };
        let applied = schema::apply(&mut schema_conn, &settings.schema, target).await?;
        let _ = schema_conn.close().await;
        let mut conn = server.connect_to(GROWING).await?;
        let catalog = crate::datagen::schema::read(&mut conn).await?;
        let model = DataModel::build(settings, &catalog)?;
        let mut notes = applied.notes();
        notes.extend(model.notes.iter().cloned());
        let source = if server.is_throwaway() {
            let loader = Loader::new(&mut conn, None, model.clone(), settings.seed).await?;
            let load_notes = loader.notes();
            let _ = conn.close().await;
            Source::Lanes(Lanes::start(server, &model, settings, load_notes).await?)
        } else {
            let helper = server.connect_to(GROWING).await?;
            let loader = Loader::new(&mut conn, Some(helper), model.clone(), settings.seed).await?;
            Source::Grow { loader: Box::new(loader), conn }
        };
        Ok(World { catalog, model, notes, source, scales: Vec::new(), reindexed: false })
    }

    /// The world of a cached entry, on a server started on its data: the schema read back
    /// from the largest scale, and the plain indexes made the schema's where they changed.
    pub(super) async fn restored(
        server: &Server,
        settings: &Settings,
        meta: &EntryMeta,
        index_statements: &[String],
        timings: &mut Timings,
    ) -> Result<World> {
        let last = meta.databases.last().expect("a cached world has a scale");
        let mut reindexed = false;
        if meta.index_statements != index_statements {
            let t = Instant::now();
            reindexed = reindex(server, settings, meta).await?;
            timings.index_ms += ms_since(t);
        }
        let mut conn = server.connect_to(last).await?;
        let catalog = crate::datagen::schema::read(&mut conn).await?;
        let model = DataModel::build(settings, &catalog)?;
        let _ = conn.close().await;
        Ok(World {
            catalog,
            model,
            notes: meta.notes.clone(),
            source: Source::Restored { databases: meta.databases.clone(), table_rows: meta.table_rows.clone() },
            scales: Vec::new(),
            reindexed,
        })
    }

    /// The database a session may parse the catalog's queries in before any data is loaded.
    /// On a throwaway server the world is built there next: that session must leave before
    /// the first scale is asked for (see [`World::measured_elsewhere`]).
    pub(super) fn schema_db(&self) -> &str {
        match &self.source {
            Source::Grow { .. } | Source::Lanes(_) => GROWING,
            Source::Restored { databases, .. } => &databases[0],
        }
    }

    /// Make the world of the `i`-th scale ready (built, or already there); returns its
    /// database (None: the scratch database) and the rows of every filled table there.
    /// Scales are asked for in order.
    pub(super) async fn scale(
        &mut self,
        i: usize,
        scale: f64,
        timings: &mut Timings,
    ) -> Result<(Option<String>, BTreeMap<String, u64>)> {
        let ready = match &mut self.source {
            Source::Restored { databases, table_rows } => (Some(databases[i].clone()), table_rows[i].clone()),
            Source::Grow { loader, conn } => {
                let step = grow_step(loader, conn, scale, true, &mut || {}).await?;
                add_step(timings, step);
                (None, loader.relation_rows(conn).await?)
            }
            Source::Lanes(lanes) => {
                let built = lanes.wait(i, scale).await?;
                add_step(timings, built.step);
                timings.copy_ms += built.copy_ms;
                (Some(scale_db(i)), built.rows)
            }
        };
        self.scales.push(ready.clone());
        Ok(ready)
    }

    /// On the url backend, where the world grows in the scratch database: copy it as it is
    /// now into `name`. The copy is made by the loader's own session, once every other one
    /// has left the database (the caller's measuring session too).
    pub(super) async fn copy_grown(&mut self, server: &Server, name: &str) -> Result<()> {
        let Source::Grow { loader, conn } = &mut self.source else {
            return Err(Error::postgres("copying the world", std::io::Error::other("not grown in place")));
        };
        loader.release_helper().await;
        let db: String = sqlx::query_scalar("SELECT current_database()::text")
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| Error::postgres("reading the scratch database's name", e))?;
        alone_on(conn, &db).await?;
        let sql = format!("CREATE DATABASE {name} TEMPLATE {db}{}", server.copy_strategy());
        exec(conn, &sql, "copying the world for the writes").await?;
        loader.attach_helper(server.connect_to(GROWING).await?).await
    }

    /// What a reader of the report should know about how the world was loaded.
    pub(super) async fn notes(&self, server: &Server, settings: &Settings) -> Result<Vec<String>> {
        let mut notes = self.notes.clone();
        match &self.source {
            Source::Grow { loader, .. } => notes.extend(loader.notes()),
            Source::Lanes(lanes) => notes.extend(lanes.notes.iter().cloned()),
            Source::Restored { databases, .. } => {
                let mut conn = server.connect_to(databases.last().expect("a scale")).await?;
                let loader = Loader::new(&mut conn, None, self.model.clone(), settings.seed).await?;
                let _ = conn.close().await;
                notes.extend(loader.notes());
            }
        }
        Ok(notes)
    }

    /// Whether each scale is measured in a database of its own, so that no session may stay
    /// in [`World::schema_db`] (being built in, it is renamed to a scale's at the end).
    pub(super) fn measured_elsewhere(&self) -> bool {
        matches!(self.source, Source::Lanes(_))
    }

    /// Whether the world was restored from the cache.
    pub(super) fn is_restored(&self) -> bool {
        matches!(self.source, Source::Restored { .. })
    }

    /// Close the growing sessions.
    pub(super) async fn close(self) {
        if let Source::Grow { mut loader, conn } = self.source {
            loader.release_helper().await;
            let _ = conn.close().await;
        }
    }
}

fn add_step(timings: &mut Timings, step: StepTimings) {
    timings.loads.extend(step.loads);
    timings.load_ms += step.load_ms;
    timings.index_ms += step.index_ms;
    timings.analyze_ms += step.analyze_ms;
}

/// One scale step, with its progress: a bar when `bars` (one step at a time), else only
/// each loaded table's line. `analyzing` is called when the step starts analyzing.
async fn grow_step(
    loader: &mut Loader,
    conn: &mut PgConnection,
    scale: f64,
    bars: bool,
    analyzing: &mut dyn FnMut(),
) -> Result<StepTimings> {
    let display = progress::global();
    loader
        .grow_to(conn, scale, |event| match event {
            LoadEvent::Analyzing => analyzing(),
            LoadEvent::Started { tables, rows } if bars => {
                let what = match tables {
                    [one] => (*one).to_string(),
                    many => format!("{} tables", many.len()),
                };
                display.start(&format!("scale {scale}: {what}"), rows, "rows");
            }
            LoadEvent::Rows(n) if bars => display.inc(n),
            LoadEvent::Rebuilding if bars => {
                display.spin(&format!("scale {scale}: rebuilding indexes and keys, analyzing"));
            }
            LoadEvent::Done(t) => {
                #[expect(clippy::cast_precision_loss)]
                let rate = t.rows as f64 / (t.ms.max(1) as f64 / 1000.0);
                display.line(&format!(
                    "scale {scale}: loaded {} rows into {} in {} ms ({:.0} rows/s)",
                    t.rows, t.table, t.ms, rate
                ));
            }
            _ => {}
        })
        .await
}

/// Make every scale's database of a cached world carry the plain indexes the schema
/// defines now: the schema is applied to an empty probe database, read as a load would
/// read it, and each scale's changed tables follow it. Whether any table changed.
async fn reindex(server: &Server, settings: &Settings, meta: &EntryMeta) -> Result<bool> {
    let mut admin = server.connect().await?;
    exec(&mut admin, &format!("CREATE DATABASE {PROBE} TEMPLATE template0"), "creating a probe database").await?;
    let result = async {
        // The schema gets a session of its own: what it sets (a dump empties `search_path`)
        // must not reach the session that reads the catalog.
        let mut schema_conn = server.connect_to(PROBE).await?;
        let applied = schema::apply(&mut schema_conn, &settings.schema, schema::Target::Throwaway).await;
        let _ = schema_conn.close().await;
        applied?;
        let mut probe = server.connect_to(PROBE).await?;
        let read = read_probe(&mut probe, server, settings, meta).await;
        let _ = probe.close().await;
        read
    }
    .await;
    exec(&mut admin, &format!("DROP DATABASE {PROBE} WITH (FORCE)"), "dropping the probe database").await?;
    let _ = admin.close().await;
    result
}

/// Read the probe's indexes as a load would, and make each scale's database follow them.
async fn read_probe(probe: &mut PgConnection, server: &Server, settings: &Settings, meta: &EntryMeta) -> Result<bool> {
    let catalog = crate::datagen::schema::read(&mut *probe).await?;
    let model = DataModel::build(settings, &catalog)?;
    let desired = Loader::new(&mut *probe, None, model.clone(), settings.seed).await?;
    let mut any = false;
    for (db, scale) in meta.databases.iter().zip(&meta.scales) {
        let mut conn = server.connect_to(db).await?;
        let mut current = Loader::new(&mut conn, None, model.clone(), settings.seed).await?;
        let changed = current.reindex(&mut conn, &desired, *scale).await?;
        let _ = conn.close().await;
        if !changed.is_empty() {
            any = true;
            progress::global().line(&format!("scale {scale}: rebuilt the indexes of {}", changed.join(", ")));
        }
    }
    Ok(any)
}

/// Wait until no session but `conn`'s is on database `db`: a closed session's server
/// process ends a moment after the client goes, and `CREATE DATABASE` and `ALTER DATABASE`
/// would otherwise find it there and sleep a tenth of a second before they look again.
async fn alone_on(conn: &mut PgConnection, db: &str) -> Result<()> {
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let others: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()")
                .bind(db)
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| Error::postgres("cannot list the sessions of a database", e))?;
        if others == 0 || Instant::now() > deadline {
            // Past the deadline the statement that follows says who is in the way.
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}

async fn exec(conn: &mut PgConnection, sql: &str, what: &str) -> Result<()> {
    crate::datagen::copy::exec(conn, sql, what).await
}

fn ms_since(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("restored", &self.is_restored())
            .field("scales", &self.scales)
            .finish_non_exhaustive()
    }
}
