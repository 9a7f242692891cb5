//! The world each scale is measured on: grown from the generators, or restored from the
//! cache. On a throwaway server each scale's world is kept in a database of its own
//! (`plangate_scale_<i>`), copied from the growing one once that scale is loaded (the
//! largest is the growing one, renamed); that server's data directory is what the cache
//! keeps. On the url backend the scratch database grows in place.

use std::collections::BTreeMap;
use std::time::Instant;

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::cache::EntryMeta;
use crate::config::Settings;
use crate::datagen::load::{LoadEvent, Loader, StepTimings};
use crate::datagen::model::DataModel;
use crate::datagen::schema::Catalog;
use crate::error::Result;
use crate::postgres::{Server, schema};
use crate::progress;
use crate::report::Timings;

/// The database a throwaway server grows the world in: the one every new cluster has (a
/// new database would cost a copy of its template and a checkpoint). Sessions that manage
/// databases use `template1` (`Server::connect`), so this one can be copied and renamed.
const GROWING: &str = "postgres";
/// The database an index change is worked out in, with the schema as it is now.
const PROBE: &str = "plangate_probe";

/// The database holding the world at the `i`-th scale, on a throwaway server.
pub fn scale_db(i: usize) -> String {
    format!("plangate_scale_{i}")
}

/// The schema as Postgres describes it, the data model, and how each scale's world comes.
pub struct World {
    pub catalog: Catalog,
    pub model: DataModel,
    /// How the data was made (schema statements skipped, generators...), for the report.
    pub notes: Vec<String>,
    source: Source,
    /// Per scale so far: its database (None: the server's own) and table rows.
    pub scales: Vec<(Option<String>, BTreeMap<String, u64>)>,
    /// Whether a restored world's indexes were rebuilt to the schema's.
    pub reindexed: bool,
}

enum Source {
    /// Grown now; on a throwaway server each scale is copied to a database of its own.
    Grow { loader: Box<Loader>, conn: PgConnection, copies: bool },
    /// Every scale's database is there already.
    Restored { databases: Vec<String>, table_rows: Vec<BTreeMap<String, u64>> },
}

impl World {
    /// Apply the schema in the growing database (on a throwaway server) or the scratch one,
    /// and read it back: the world about to be grown. With `keep` (a world for the cache), each
    /// scale is copied to a database of its own; without, every scale is measured in the
    /// growing database (the same pages: the copy is a copy of its files).
    pub async fn grow(server: &Server, settings: &Settings, keep: bool) -> Result<World> {
        let copies = keep && server.is_throwaway();
        // The schema gets a session of its own: what its files set must not reach plangate's.
        let mut schema_conn = server.connect_to(GROWING).await?;
        let target = if server.is_throwaway() { schema::Target::Throwaway } else { schema::Target::Shared };
        let applied = schema::apply(&mut schema_conn, &settings.schema_files, target).await?;
        let _ = schema_conn.close().await;
        let mut conn = server.connect_to(GROWING).await?;
        let catalog = crate::datagen::schema::read(&mut conn).await?;
        let model = DataModel::build(settings, &catalog)?;
        let mut notes = applied.notes();
        notes.extend(model.notes.iter().cloned());
        let helper = server.connect_to(GROWING).await?;
        let loader = Loader::new(&mut conn, Some(helper), model.clone(), settings.seed).await?;
        let loader = Box::new(loader);
        Ok(World {
            catalog,
            model,
            notes,
            source: Source::Grow { loader, conn, copies },
            scales: Vec::new(),
            reindexed: false,
        })
    }

    /// The world of a cached entry, on a server started on its data: the schema read back
    /// from the largest scale, and the plain indexes made the schema's where they changed.
    pub async fn restored(
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
    pub fn schema_db(&self) -> &str {
        match &self.source {
            Source::Grow { .. } => GROWING,
            Source::Restored { databases, .. } => &databases[0],
        }
    }

    /// Make the world of the `i`-th scale ready (grown, or already there); returns its
    /// database (None: the server's own) and the rows of every filled table there.
    pub async fn scale(
        &mut self,
        server: &Server,
        i: usize,
        scale: f64,
        last: bool,
        timings: &mut Timings,
    ) -> Result<(Option<String>, BTreeMap<String, u64>)> {
        let ready = match &mut self.source {
            Source::Restored { databases, table_rows } => (Some(databases[i].clone()), table_rows[i].clone()),
            Source::Grow { loader, conn, copies } => {
                let step = grow_step(loader, conn, scale).await?;
                timings.loads.extend(step.loads);
                timings.load_ms += step.load_ms;
                timings.index_ms += step.index_ms;
                timings.analyze_ms += step.analyze_ms;
                let rows = loader.relation_rows(conn).await?;
                if *copies {
                    let t = Instant::now();
                    copy_scale(server, loader, conn, i, last).await?;
                    timings.copy_ms += ms_since(t);
                    (Some(scale_db(i)), rows)
                } else {
                    (None, rows)
                }
            }
        };
        self.scales.push(ready.clone());
        Ok(ready)
    }

    /// What a reader of the report should know about how the world was loaded.
    pub async fn notes(&self, server: &Server, settings: &Settings) -> Result<Vec<String>> {
        let mut notes = self.notes.clone();
        match &self.source {
            Source::Grow { loader, .. } => notes.extend(loader.notes()),
            Source::Restored { databases, .. } => {
                let mut conn = server.connect_to(databases.last().expect("a scale")).await?;
                let loader = Loader::new(&mut conn, None, self.model.clone(), settings.seed).await?;
                let _ = conn.close().await;
                notes.extend(loader.notes());
            }
        }
        Ok(notes)
    }

    /// Whether each scale is measured in a database of its own (so that no session of the
    /// growing database may stay open while a scale is copied).
    pub fn copies(&self) -> bool {
        matches!(self.source, Source::Grow { copies: true, .. })
    }

    /// Whether the world was restored from the cache.
    pub fn is_restored(&self) -> bool {
        matches!(self.source, Source::Restored { .. })
    }

    /// Close the growing sessions.
    pub async fn close(self) {
        if let Source::Grow { mut loader, conn, .. } = self.source {
            loader.release_helper().await;
            let _ = conn.close().await;
        }
    }
}

async fn grow_step(loader: &mut Loader, conn: &mut PgConnection, scale: f64) -> Result<StepTimings> {
    let display = progress::global();
    loader
        .grow_to(conn, scale, |event| match event {
            LoadEvent::Started { tables, rows } => {
                let what = match tables {
                    [one] => (*one).to_string(),
                    many => format!("{} tables", many.len()),
                };
                display.start(&format!("scale {scale}: {what}"), rows, "rows");
            }
            LoadEvent::Rows(n) => display.inc(n),
            LoadEvent::Rebuilding => display.spin(&format!("scale {scale}: rebuilding indexes and keys, analyzing")),
            LoadEvent::Done(t) => {
                #[expect(clippy::cast_precision_loss)]
                let rate = t.rows as f64 / (t.ms.max(1) as f64 / 1000.0);
                display.line(&format!(
                    "scale {scale}: loaded {} rows into {} in {} ms ({:.0} rows/s)",
                    t.rows, t.table, t.ms, rate
                ));
            }
        })
        .await
}

/// Keep the world at scale `i` in a database of its own: a file copy of the growing one
/// (no other session may be on it meanwhile), or, at the last scale, the growing one renamed.
async fn copy_scale(server: &Server, loader: &mut Loader, conn: &mut PgConnection, i: usize, last: bool) -> Result<()> {
    loader.release_helper().await;
    if last {
        let mut admin = server.connect().await?;
        let closed = std::mem::replace(conn, server.connect().await?);
        let _ = closed.close().await;
        let sql = format!("ALTER DATABASE {GROWING} RENAME TO {}", scale_db(i));
        exec(&mut admin, &sql, "keeping the largest scale's world").await?;
        let _ = admin.close().await;
        return Ok(());
    }
    let sql = format!("CREATE DATABASE {} TEMPLATE {GROWING}{}", scale_db(i), file_copy(server));
    exec(conn, &sql, "keeping a scale's world").await?;
    loader.attach_helper(server.connect_to(GROWING).await?).await
}

/// Make every scale's database of a cached world carry the plain indexes the schema
/// defines now: the schema is applied to an empty probe database, read as a load would
/// read it, and each scale's changed tables follow it. Whether any table changed.
async fn reindex(server: &Server, settings: &Settings, meta: &EntryMeta) -> Result<bool> {
    let mut admin = server.connect().await?;
    exec(&mut admin, &format!("CREATE DATABASE {PROBE} TEMPLATE template0"), "creating a probe database").await?;
    let mut probe = server.connect_to(PROBE).await?;
    let result = async {
        schema::apply(&mut probe, &settings.schema_files, schema::Target::Throwaway).await?;
        let catalog = crate::datagen::schema::read(&mut probe).await?;
        let model = DataModel::build(settings, &catalog)?;
        let desired = Loader::new(&mut probe, None, model.clone(), settings.seed).await?;
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
    .await;
    let _ = probe.close().await;
    exec(&mut admin, &format!("DROP DATABASE {PROBE} WITH (FORCE)"), "dropping the probe database").await?;
    let _ = admin.close().await;
    result
}

/// How `CREATE DATABASE` should copy its template: by files, which takes a checkpoint but
/// writes no WAL for the data (Postgres 15 and later otherwise copy block by block through
/// the log; older servers copy files anyway).
fn file_copy(server: &Server) -> &'static str {
    if server.major >= 15 { " STRATEGY FILE_COPY" } else { "" }
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
