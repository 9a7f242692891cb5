//! Loading the generated world into Postgres, one scale step at a time.
//!
//! Each step adds the rows that take every table from the previous scale to the next
//! (never regenerating), through streamed `COPY ... FROM STDIN` fed by a generator thread
//! over a bounded channel, so memory does not grow with the row count. Secondary indexes
//! and foreign keys are dropped before a step and recreated exactly as the schema defined
//! them after it (bulk index builds beat maintaining indexes row by row), then the tables
//! are vacuumed and analyzed. Keys (primary, unique, exclusion) are dropped and recreated
//! the same way, which also checks that the generated keys are unique.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Row};

pub(crate) use crate::datagen::copy::statistics_target;
use crate::datagen::copy::{column_list, copy_rows, elapsed_ms, exec, insert_distinct};
use crate::datagen::generate::{TableGen, compile};
use crate::datagen::model::DataModel;
use crate::datagen::triggers::{self, Switch};
use crate::error::{Error, Result};
pub(crate) use crate::sqltext::{quote_ident, quote_qualified};

/// One table's load at one scale: the rows that step added and its wall time.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct LoadTiming {
    pub(crate) table: String,
    pub(crate) scale: f64,
    pub(crate) rows: u64,
    pub ms: u64,
}

/// What a growth step reports while it runs.
#[derive(Debug)]
pub enum LoadEvent<'a> {
    /// The step starts loading these tables (on one or two sessions), this many rows in all.
    Started { tables: &'a [&'a str], rows: u64 },
    /// Rows sent since the last report, of any table of the step.
    Rows(u64),
    /// A table is loaded.
    Done(&'a LoadTiming),
    /// Indexes, keys and statistics are being rebuilt.
    Rebuilding,
    /// The tables are being vacuumed and analyzed (the step's last part).
    Analyzing,
}

/// Timings of one scale step.
#[derive(Debug, Clone, Default)]
pub struct StepTimings {
    pub(crate) loads: Vec<LoadTiming>,
    /// Wall time of the loads (tables may load two at a time).
    pub(crate) load_ms: u64,
    pub(crate) index_ms: u64,
    pub(crate) analyze_ms: u64,
}

/// What the schema defines that is recreated after each step.
#[derive(Debug, Clone)]
struct Deferred {
    /// (table, quoted index name, CREATE INDEX statement).
    indexes: Vec<(String, String, String)>,
    /// Primary keys, unique and exclusion constraints: (quoted table, quoted name, definition).
    keys: Vec<(String, String, String)>,
    /// (quoted table, quoted constraint name, definition).
    foreign_keys: Vec<(String, String, String)>,
    /// Indexes of partitions attached to a partitioned index: (parent index, partition,
    /// quoted index name), parents before children.
    attached: Vec<(String, String, String)>,
    /// Foreign keys between filled tables: (child, parent, child columns, parent columns),
    /// tables as `regclass::text` and columns quoted.
    links: Vec<(String, String, Vec<String>, Vec<String>)>,
    /// Materialized views, each after the views it reads (`regclass::text`).
    views: Vec<String>,
}

/// Grows the world scale by scale.
#[derive(Debug)]
pub struct Loader {
    model: DataModel,
    seed: u64,
    deferred: Deferred,
    loaded: Option<f64>,
    /// Each filled table's name as `regclass::text` spells it (how the deferred lists name tables).
    regclass: Vec<String>,
    /// A second session: rebuilding and analyzing run on two connections when there is one.
    helper: Option<PgConnection>,
    /// The application's triggers and rules, off while rows load.
    switches: Vec<Switch>,
    /// Rows loaded so far, per filled table.
    loaded_rows: BTreeMap<String, u64>,
    /// Every scale of the run: a load that passes some makes their rows as their own loads would.
    steps: Vec<f64>,
}

/// Session settings of the loading sessions. Commits wait for their WAL to be flushed
/// (locally; no standby is waited for): VACUUM can set a tuple's hint bits, and so mark
/// its page all-visible, only once the commit that wrote it is flushed. With the
/// disposable servers' asynchronous commit, how many pages VACUUM marks would depend on
/// when the WAL writer last ran, and index-only scans, heap fetches and plans with it.
/// fsync is off on throwaway servers, so the flush costs next to nothing.
/// Generated times without an offset are UTC, whatever time zone the server has.
/// Every scan of a table starts at its first block: with synchronized scans, an index build
/// on a large table starts where the last scan of it said it was, a report skipped when its
/// lock is busy (two sessions, two lanes), and an index built in the order rows are read
/// (`gin`, `gist`) would be laid out by chance.
const LOADING_SESSION: &str = "SET synchronous_commit = local; SET TimeZone = 'UTC'; SET synchronize_seqscans = off";

impl Loader {
    /// Read what must be dropped and recreated around each step; set up the loading
    /// sessions (`helper`, a second one, rebuilds and analyzes in parallel).
    pub async fn new(
        conn: &mut PgConnection,
        mut helper: Option<PgConnection>,
        model: DataModel,
        seed: u64,
    ) -> Result<Loader> {
        exec(conn, LOADING_SESSION, "setting up the loading session").await?;
        if let Some(h) = helper.as_mut() {
            exec(h, LOADING_SESSION, "setting up the loading session").await?;
        }
        let names: Vec<String> = model.tables.iter().map(|t| quote_qualified(&t.name)).collect();
        let err = |e: sqlx::Error| Error::postgres("cannot read indexes and foreign keys", e);
        // The filled tables and all their partitions. An index attached to a partitioned
        // index, and a constraint cloned from the parent's, go and come back with the parent's.
        let rels = "SELECT u.t::regclass FROM unnest($1::text[]) u(t)
                    UNION SELECT p.relid FROM unnest($1::text[]) u(t), pg_partition_tree(u.t::regclass) p";
        let indexes = sqlx::query(AssertSqlSafe(format!(
            "SELECT i.indrelid::regclass::text AS tbl, i.indexrelid::regclass::text AS name,
                    pg_get_indexdef(i.indexrelid) AS def
             FROM pg_index i
             WHERE i.indrelid IN ({rels})
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
               AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
             ORDER BY 1, 2"
        )))
        .bind(&names)
        .fetch_all(&mut *conn)
        .await
        .map_err(err)?
        .into_iter()
        // A partitioned index prints as `ON ONLY`, which would leave the partitions without
        // one: recreate it for the whole tree (the names are restored afterwards).
        .map(|r| (r.get("tbl"), r.get("name"), r.get::<String, _>("def").replacen(" ON ONLY ", " ON ", 1)))
        .collect();
        let regclass: Vec<String> =
            sqlx::query_scalar("SELECT x::regclass::text FROM unnest($1::text[]) WITH ORDINALITY u(x, n) ORDER BY n")
                .bind(&names)
                .fetch_all(&mut *conn)
                .await
                .map_err(err)?;
        let keys = constraints(
            conn,
            &names,
            &format!("contype IN ('p', 'u', 'x') AND conparentid = 0 AND conrelid IN ({rels})"),
        )
        .await?;
        let foreign_keys = constraints(
            conn,
            &names,
            &format!("contype = 'f' AND conparentid = 0 AND (conrelid IN ({rels}) OR confrelid IN ({rels}))"),
        )
        .await?;
        // Indexes of partitions attached to a partitioned index come back with default names
        // when the parent is recreated: remember theirs, to name them as the schema did.
        let attached = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT h.inhparent::regclass::text, x.indrelid::regclass::text, quote_ident(c.relname::text)
             FROM pg_inherits h JOIN pg_index x ON x.indexrelid = h.inhrelid JOIN pg_class c ON c.oid = h.inhrelid
             WHERE x.indrelid IN ({rels})
             ORDER BY (SELECT count(*) FROM pg_partition_ancestors(x.indrelid)), 2"
        )))
        .bind(&names)
        .fetch_all(&mut *conn)
        .await
        .map_err(err)?;
        let links = sqlx::query_as(
            "SELECT conrelid::regclass::text, confrelid::regclass::text,
                    ARRAY(SELECT quote_ident(a.attname) FROM unnest(conkey) WITH ORDINALITY k(n, i)
                          JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.n ORDER BY k.i),
                    ARRAY(SELECT quote_ident(a.attname) FROM unnest(confkey) WITH ORDINALITY k(n, i)
                          JOIN pg_attribute a ON a.attrelid = confrelid AND a.attnum = k.n ORDER BY k.i)
             FROM pg_constraint
             WHERE contype = 'f' AND conparentid = 0
               AND conrelid = ANY(SELECT u.t::regclass FROM unnest($1::text[]) u(t))
               AND confrelid = ANY(SELECT u.t::regclass FROM unnest($1::text[]) u(t))
             ORDER BY 1, conname",
        )
        .bind(&names)
        .fetch_all(&mut *conn)
        .await
        .map_err(err)?;
        let views = sqlx::query_scalar(
            "WITH RECURSIVE reads AS (
                 SELECT DISTINCT r.ev_class AS view, d.refobjid AS read
                 FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                 JOIN pg_class m ON m.oid = d.refobjid AND m.relkind = 'm'
                 WHERE d.refobjid <> r.ev_class
             ), depth(view, n) AS (
                 SELECT c.oid, 0 FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
                 WHERE c.relkind = 'm' AND ns.nspname NOT IN ('pg_catalog', 'information_schema')
                 UNION ALL
                 SELECT r.view, d.n + 1 FROM reads r JOIN depth d ON d.view = r.read WHERE d.n < 100
             )
             SELECT view::regclass::text FROM depth GROUP BY view ORDER BY max(n), 1",
        )
        .fetch_all(&mut *conn)
        .await
        .map_err(err)?;
        let quiet: Vec<String> =
            model.tables.iter().filter(|t| !t.fire_triggers).map(|t| quote_qualified(&t.name)).collect();
        let switches = triggers::read(conn, &quiet).await?;
        Ok(Loader {
            model,
            seed,
            deferred: Deferred { indexes, keys, foreign_keys, attached, links, views },
            loaded: None,
            regclass,
            helper,
            switches,
            loaded_rows: BTreeMap::new(),
            steps: Vec::new(),
        })
    }

    /// What a reader of the report should know about how the data was loaded.
    pub(crate) fn notes(&self) -> Vec<String> {
        let mut notes: Vec<String> = triggers::note(&self.switches).into_iter().collect();
        // Postgres builds a GiST index (of a type with no sort order) row by row, breaking
        // ties between equally good pages at random, from a state no SQL can seed.
        let gist: Vec<&str> =
            self.deferred.indexes.iter().filter(|i| i.2.contains(" USING gist ")).map(|i| i.1.as_str()).collect();
        if !gist.is_empty() {
            notes.push(format!(
                "GiST indexes ({}) are built by Postgres with random tie-breaks: their pages, and the work of plans \
                 that read them, may differ by a few blocks from run to run",
                gist.join(", ")
            ));
        }
        notes
    }

    /// Rows of every filled table as loaded (after duplicate keys were dropped), and of each
    /// of their partitions as the last VACUUM and ANALYZE counted them; keyed by table name
    /// as plans and plangate name tables (`t` in `public`, else `schema.t`).
    pub(crate) async fn relation_rows(&self, conn: &mut PgConnection) -> Result<BTreeMap<String, u64>> {
        let names: Vec<String> = self.model.tables.iter().map(|t| quote_qualified(&t.name)).collect();
        let partitions: Vec<(String, f64)> = sqlx::query_as(
            "SELECT CASE WHEN n.nspname = 'public' THEN c.relname::text ELSE n.nspname || '.' || c.relname END,
                    (SELECT COALESCE(sum(GREATEST(lc.reltuples, 0)), 0)::float8
                     FROM pg_partition_tree(p.relid) l JOIN pg_class lc ON lc.oid = l.relid WHERE l.isleaf)
             FROM unnest($1::text[]) u(t), pg_partition_tree(u.t::regclass) p
             JOIN pg_class c ON c.oid = p.relid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE p.level > 0",
        )
        .bind(&names)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| Error::postgres("cannot count the rows of partitions", e))?;
        let mut rows = self.loaded_rows.clone();
        for t in &self.model.tables {
            rows.entry(t.name.clone()).or_insert(0);
        }
        for (name, n) in partitions {
            #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            rows.insert(name, n.round() as u64);
        }
        Ok(rows)
    }

    /// The model being loaded.
    pub fn model(&self) -> &DataModel {
        &self.model
    }

    /// The run's scales, for a loader that skips some of them: a load that passes a scale
    /// makes its rows the way a load stopping there would have, so every scale's world has
    /// the same rows whichever scales were loaded on the way.
    pub fn follow_scales(&mut self, scales: &[f64]) {
        self.steps = scales.to_vec();
    }

    /// Close the second session (no session may be open on a database being copied).
    pub(crate) async fn release_helper(&mut self) {
        if let Some(h) = self.helper.take() {
            let _ = sqlx::Connection::close(h).await;
        }
    }

    /// Give the loader a second session again.
    pub(crate) async fn attach_helper(&mut self, mut helper: PgConnection) -> Result<()> {
        exec(&mut helper, LOADING_SESSION, "setting up the loading session").await?;
        self.helper = Some(helper);
        Ok(())
    }

    /// Give the tables of a loaded world (read by this loader) the plain indexes `desired`
    /// (a loader read on the schema as it is now) defines, the way a load builds them:
    /// each changed table's indexes dropped and recreated in order, after its keys; then,
    /// where a new index has expressions, statistics for them as a load gathers them.
    /// Returns the tables changed.
    pub(crate) async fn reindex(
        &mut self,
        conn: &mut PgConnection,
        desired: &Loader,
        scale: f64,
    ) -> Result<Vec<String>> {
        let of = |l: &Loader, t: &str| -> Vec<String> {
            l.deferred.indexes.iter().filter(|x| x.0 == t).map(|x| x.2.clone()).collect()
        };
        let changed: Vec<usize> = (0..self.regclass.len())
            .filter(|&i| of(self, &self.regclass[i]) != of(desired, &self.regclass[i]))
            .collect();
        let mut expressions = false;
        for &i in &changed {
            let t = &self.regclass[i];
            for (_, name, _) in self.deferred.indexes.iter().filter(|x| &x.0 == t) {
                exec(conn, &format!("DROP INDEX {name}"), "dropping an index the schema changed").await?;
            }
            for def in of(desired, t) {
                expressions |= index_has_expressions(&def);
                exec(conn, &def, "creating an index the schema changed").await?;
            }
        }
        desired.rename_attached(conn).await?;
        if expressions {
            self.vacuum_analyze(conn, scale, &changed, &[]).await?;
        }
        self.deferred = desired.deferred.clone();
        Ok(changed.iter().map(|&i| self.regclass[i].clone()).collect())
    }

    /// Add the rows that take the world from the loaded scale to `scale` (which must be larger).
    pub async fn grow_to(
        &mut self,
        conn: &mut PgConnection,
        scale: f64,
        mut progress: impl FnMut(LoadEvent<'_>),
    ) -> Result<StepTimings> {
        assert!(self.loaded.is_none_or(|l| scale > l), "scales grow");
        let passed: Vec<f64> = self
            .steps
            .iter()
            .copied()
            .filter(|&s| self.loaded.is_none_or(|l| s > l) && s < scale)
            .chain([scale])
            .collect();
        let gens = compile(&self.model, self.seed, self.loaded, &passed).map_err(|(t, c, e)| Error::Load {
            table: t,
            detail: format!("column `{c}`: {e}"),
            source: Some(Box::new(e)),
        })?;
        let mut timings = StepTimings::default();
        self.set_aside(conn).await?;
        let gens: Vec<TableGen> = gens.into_iter().filter(|g| g.end > g.start).collect();
        let names: Vec<&str> = gens.iter().map(|g| g.name.as_str()).collect();
        progress(LoadEvent::Started { tables: &names, rows: gens.iter().map(|g| g.end - g.start).sum() });
        let started = Instant::now();
        timings.loads = self.load_tables(conn, gens, scale, &mut progress).await?;
        timings.load_ms = elapsed_ms(started);
        for t in &timings.loads {
            *self.loaded_rows.entry(t.table.clone()).or_default() += t.rows;
        }
        self.drop_orphans(conn).await?;
        for s in &self.switches {
            exec(conn, &s.on(), "turning a trigger or rule back on after loading").await?;
        }
        progress(LoadEvent::Rebuilding);
        let started = Instant::now();
        let (left, right) = self.split(scale);
        self.rebuild(conn, &left, &right).await?;
        timings.index_ms = elapsed_ms(started);
        progress(LoadEvent::Analyzing);
        let started = Instant::now();
        self.vacuum_analyze(conn, scale, &left, &right).await?;
        self.refresh_views(conn, scale).await?;
        timings.analyze_ms = elapsed_ms(started);
        self.loaded = Some(scale);
        Ok(timings)
    }
}

impl Loader {
    /// Delete the rows whose parent row loading left out to keep a key distinct (and, in
    /// turn, their own children): a reference picks a parent row by its place among the
    /// generated ones, dropped or not. Foreign keys are off while this runs; a row with a
    /// NULL in its key references nothing, as Postgres reads it.
    async fn drop_orphans(&mut self, conn: &mut PgConnection) -> Result<()> {
        let mut thinned: Vec<String> = self
            .model
            .tables
            .iter()
            .filter(|t| !t.dedupe_on.is_empty())
            .map(|t| {
                self.regclass[self.model.tables.iter().position(|x| x.name == t.name).expect("a model table")].clone()
            })
            .collect();
        let mut changed = true;
        while changed {
            changed = false;
            for (child, parent, cols, parent_cols) in &self.deferred.links {
                if !thinned.contains(parent) {
                    continue;
                }
                let present = cols.iter().map(|c| format!("c.{c} IS NOT NULL")).collect::<Vec<_>>().join(" AND ");
                let matches = cols
                    .iter()
                    .zip(parent_cols)
                    .map(|(c, p)| format!("p.{p} = c.{c}"))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                let sql = format!(
                    "DELETE FROM {child} c WHERE {present} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {matches})"
                );
                crate::progress::sql(1, &sql);
                let deleted = sqlx::raw_sql(AssertSqlSafe(sql))
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| Error::postgres("dropping rows whose parent row was left out", e))?
                    .rows_affected();
                if deleted > 0 {
                    let i = self.regclass.iter().position(|r| r == child).expect("a filled table");
                    if let Some(n) = self.loaded_rows.get_mut(&self.model.tables[i].name) {
                        *n = n.saturating_sub(deleted);
                    }
                    if !thinned.contains(child) {
                        thinned.push(child.clone());
                        changed = true;
                    }
                }
            }
        }
        Ok(())
    }

    /// Refresh every materialized view on the tables as loaded (analyzed, so that the
    /// refresh plans, and so the order its rows are stored in, repeat), views read by
    /// other views first; then vacuum and analyze them as tables are.
    async fn refresh_views(&mut self, conn: &mut PgConnection, scale: f64) -> Result<()> {
        let largest = self.model.tables.iter().map(|t| t.size.rows_at(scale)).max().unwrap_or(0);
        for view in &self.deferred.views {
            let refresh = format!("REFRESH MATERIALIZED VIEW {view}");
            crate::progress::sql(1, &refresh);
            sqlx::raw_sql(AssertSqlSafe(refresh))
                .execute(&mut *conn)
                .await
                .map_err(|e| Error::postgres(format!("refreshing materialized view {view}"), e))?;
        }
        if !self.deferred.views.is_empty() {
            let names = self.deferred.views.join(", ");
            exec(conn, &format!("VACUUM (FREEZE) {names}"), "vacuuming materialized views").await?;
            let target = statistics_target(largest);
            exec(
                conn,
                &format!("SET default_statistics_target = {target}; ANALYZE {names}"),
                "analyzing materialized views",
            )
            .await?;
        }
        Ok(())
    }

    /// Drop the deferred foreign keys, keys and indexes, and turn triggers and rules off.
    async fn set_aside(&self, conn: &mut PgConnection) -> Result<()> {
        for (table, name, _) in &self.deferred.foreign_keys {
            exec(conn, &format!("ALTER TABLE {table} DROP CONSTRAINT {name}"), "dropping a foreign key before loading")
                .await?;
        }
        for (table, name, _) in &self.deferred.keys {
            exec(conn, &format!("ALTER TABLE {table} DROP CONSTRAINT {name}"), "dropping a key before loading").await?;
        }
        for (_, name, _) in &self.deferred.indexes {
            exec(conn, &format!("DROP INDEX {name}"), "dropping an index before loading").await?;
        }
        for s in &self.switches {
            exec(conn, &s.off(), "turning off a trigger or rule before loading").await?;
        }
        Ok(())
    }

    /// COPY the step's rows: the two halves of the tables on the two sessions at the same
    /// time when there is a second one. Each table's pages fill in the same order whichever
    /// session loads it. Tables loaded through their triggers load one after another on one
    /// session: a trigger may write into another table, whose row order would then depend
    /// on timing.
    async fn load_tables(
        &mut self,
        conn: &mut PgConnection,
        gens: Vec<TableGen>,
        scale: f64,
        progress: &mut impl FnMut(LoadEvent<'_>),
    ) -> Result<Vec<LoadTiming>> {
        let (left, _) = self.split(scale);
        let parallel = self.helper.is_some() && self.model.tables.iter().all(|t| !t.fire_triggers);
        let on_left = |g: &TableGen| !parallel || left.iter().any(|&i| self.model.tables[i].name == g.name);
        let (a, b): (Vec<TableGen>, Vec<TableGen>) = gens.into_iter().partition(on_left);
        let progress = RefCell::new(progress);
        let model = &self.model;
        let (mut loads, more) = match self.helper.as_mut() {
            Some(helper) if !b.is_empty() => tokio::try_join!(
                load_each(conn, model, a, scale, &progress),
                load_each(helper, model, b, scale, &progress)
            )?,
            _ => (load_each(conn, model, a, scale, &progress).await?, Vec::new()),
        };
        loads.extend(more);
        Ok(loads)
    }

    /// Indexes and keys back, table by table (each table's statements stay on one
    /// session), then foreign keys, then sequences past the generated values.
    async fn rebuild(&mut self, conn: &mut PgConnection, left: &[usize], right: &[usize]) -> Result<()> {
        let statements = |tables: &[usize]| -> Vec<String> {
            let mut out = Vec::new();
            // Keys before indexes: a cached world whose indexes changed recreates only
            // those, after the keys, and the planner's order of a table's indexes (by
            // creation) stays the one a fresh load gives.
            for &i in tables {
                let t = &self.regclass[i];
                out.extend(
                    self.deferred
                        .keys
                        .iter()
                        .filter(|x| &x.0 == t)
                        .map(|(t, n, d)| format!("ALTER TABLE {t} ADD CONSTRAINT {n} {d}")),
                );
                out.extend(self.deferred.indexes.iter().filter(|x| &x.0 == t).map(|x| x.2.clone()));
            }
            out
        };
        let (a, b) = (statements(left), statements(right));
        self.on_both(conn, a, b, "recreating indexes and keys after loading").await?;
        self.rename_attached(conn).await?;
        for (table, name, def) in &self.deferred.foreign_keys {
            exec(
                conn,
                &format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def}"),
                "recreating a foreign key after loading",
            )
            .await?;
        }
        for t in &self.model.tables {
            for (column, seq) in &t.sequences {
                exec(
                    conn,
                    &format!(
                        "SELECT setval('{}', COALESCE((SELECT max({}) FROM {}), 0) + 1, false)",
                        seq.replace('\'', "''"),
                        quote_ident(column),
                        quote_qualified(&t.name)
                    ),
                    "moving a sequence past the generated values",
                )
                .await?;
            }
        }
        Ok(())
    }

    /// VACUUM (FREEZE) every table, then ANALYZE every table. FREEZE sets hint bits and the
    /// visibility map now, so the first measured query does not pay for them and index-only
    /// scans see the same heap fetches every run. Every table is vacuumed, on one session,
    /// before any is analyzed: a page is marked all-visible only if its rows are older than
    /// every snapshot of a session in the database that is not itself vacuuming, and a
    /// snapshot counts the transactions running anywhere on the server (another database's
    /// load, on a throwaway server building scales at once), so which pages got marked
    /// would depend on timing.
    async fn vacuum_analyze(
        &mut self,
        conn: &mut PgConnection,
        scale: f64,
        left: &[usize],
        right: &[usize],
    ) -> Result<()> {
        let largest = self.model.tables.iter().map(|t| t.size.rows_at(scale)).max().unwrap_or(0);
        let set_target = format!("SET default_statistics_target = {}", statistics_target(largest));
        let each = |tables: &[usize], what: &str| -> Vec<String> {
            let names: Vec<String> = tables.iter().map(|&i| self.regclass[i].clone()).collect();
            if names.is_empty() { Vec::new() } else { vec![set_target.clone(), format!("{what} {}", names.join(", "))] }
        };
        // One session vacuums every table: a VACUUM statement holds a snapshot while it lists
        // its tables, and its horizon counts what runs anywhere on the server (another lane's
        // load), so a second session's VACUUM starting then would hold back this one's and
        // leave the pages it vacuumed meanwhile unmarked.
        let vacuum = [each(left, "VACUUM (FREEZE)"), each(right, "VACUUM (FREEZE)")].concat();
        for sql in &vacuum {
            exec(conn, sql, "vacuuming").await?;
        }
        let (c, d) = (each(left, "ANALYZE"), each(right, "ANALYZE"));
        self.on_both(conn, c, d, "analyzing").await
    }
}

impl Loader {
    /// The filled tables (indexes into the model) in two halves of about equal rows at
    /// `scale`, for two sessions; everything in the first when there is no second session.
    fn split(&self, scale: f64) -> (Vec<usize>, Vec<usize>) {
        let mut order: Vec<usize> = (0..self.model.tables.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(self.model.tables[i].size.rows_at(scale)));
        let (mut left, mut right) = (Vec::new(), Vec::new());
        let (mut l, mut r) = (0u64, 0u64);
        for i in order {
            let rows = self.model.tables[i].size.rows_at(scale);
            if self.helper.is_none() || l <= r {
                left.push(i);
                l += rows;
            } else {
                right.push(i);
                r += rows;
            }
        }
        (left, right)
    }

    /// Give the indexes that partitions got from a recreated partitioned index (and key)
    /// the names the schema gave them, which plan shapes show.
    async fn rename_attached(&self, conn: &mut PgConnection) -> Result<()> {
        for (parent, partition, name) in &self.deferred.attached {
            let now: Option<(String, String)> = sqlx::query_as(
                "SELECT quote_ident(n.nspname::text) || '.' || quote_ident(c.relname::text), quote_ident(c.relname::text)
                 FROM pg_inherits h JOIN pg_index x ON x.indexrelid = h.inhrelid
                 JOIN pg_class c ON c.oid = h.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE h.inhparent = $1::regclass AND x.indrelid = $2::regclass",
            )
            .bind(parent)
            .bind(partition)
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| Error::postgres("cannot read the indexes of partitions", e))?;
            if let Some((qualified, _)) = now.filter(|(_, current)| current != name) {
                exec(conn, &format!("ALTER INDEX {qualified} RENAME TO {name}"), "naming a partition's index").await?;
            }
        }
        Ok(())
    }

    /// Run `a` on `conn` and `b` on the helper session at the same time.
    async fn on_both(&mut self, conn: &mut PgConnection, a: Vec<String>, b: Vec<String>, what: &str) -> Result<()> {
        async fn all(conn: &mut PgConnection, stmts: &[String], what: &str) -> Result<()> {
            for s in stmts {
                exec(conn, s, what).await?;
            }
            Ok(())
        }
        match self.helper.as_mut() {
            Some(helper) => {
                tokio::try_join!(all(conn, &a, what), all(helper, &b, what))?;
            }
            None => all(conn, &[a, b].concat(), what).await?,
        }
        Ok(())
    }
}

/// Load `gens` one after another on `conn`: each through a staging table when its rows
/// must be distinct. The progress callback is shared with the other session's loads.
async fn load_each(
    conn: &mut PgConnection,
    model: &DataModel,
    gens: Vec<TableGen>,
    scale: f64,
    progress: &RefCell<&mut impl FnMut(LoadEvent<'_>)>,
) -> Result<Vec<LoadTiming>> {
    let mut out = Vec::with_capacity(gens.len());
    for g in gens {
        let started = Instant::now();
        let name = g.name.clone();
        let mut sent = |n| (progress.borrow_mut())(LoadEvent::Rows(n));
        let rows = load_table(conn, model, g, &mut sent).await?;
        let t = LoadTiming { table: name, scale, rows, ms: elapsed_ms(started) };
        (progress.borrow_mut())(LoadEvent::Done(&t));
        out.push(t);
    }
    Ok(out)
}

/// COPY one table's rows; rows that must be distinct go through a staging table, which
/// keeps the first of each key. Returns the rows the table got.
pub(crate) async fn load_table(
    conn: &mut PgConnection,
    model: &DataModel,
    g: TableGen,
    sent: &mut dyn FnMut(u64),
) -> Result<u64> {
    let name = g.name.clone();
    let dedupe = model.table(&name).map(|t| t.dedupe_on.clone()).unwrap_or_default();
    if dedupe.is_empty() {
        return copy_rows(conn, Arc::new(g), None, sent).await;
    }
    let columns = g.columns.clone();
    exec(conn, "DROP TABLE IF EXISTS plangate_stage", "preparing a staging table").await?;
    let create = format!(
        "CREATE TEMP TABLE plangate_stage AS SELECT {} FROM {} LIMIT 0",
        column_list(&columns),
        quote_qualified(&name)
    );
    exec(conn, &create, "creating a staging table").await?;
    copy_rows(conn, Arc::new(g), Some("plangate_stage"), sent).await?;
    let loaded = insert_distinct(conn, &name, &columns, &dedupe).await?;
    exec(conn, "DROP TABLE plangate_stage", "dropping the staging table").await?;
    Ok(loaded)
}

/// Whether an index definition (as `pg_get_indexdef` prints it) indexes an expression: a
/// key in parentheses, or a call. Statistics of expressions are gathered by ANALYZE.
fn index_has_expressions(def: &str) -> bool {
    let Some(open) = def.find(" USING ").and_then(|u| def[u..].find('(').map(|p| u + p)) else { return false };
    let keys = &def[open + 1..];
    let end = keys.find(") WHERE ").or_else(|| keys.find(") INCLUDE ")).unwrap_or(keys.len());
    keys[..end].trim_end_matches(')').contains('(')
}

/// (quoted table, quoted name, definition) of the constraints matching `filter` over `tables`.
async fn constraints(
    conn: &mut PgConnection,
    tables: &[String],
    filter: &str,
) -> Result<Vec<(String, String, String)>> {
    let sql = format!(
        "SELECT conrelid::regclass::text AS tbl, quote_ident(conname) AS name, pg_get_constraintdef(oid) AS def
         FROM pg_constraint WHERE {filter} ORDER BY 1, 2"
    );
    Ok(sqlx::query(AssertSqlSafe(sql))
        .bind(tables)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| Error::postgres("cannot read keys and foreign keys", e))?
        .into_iter()
        .map(|r| (r.get("tbl"), r.get("name"), r.get("def")))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::index_has_expressions;

    #[test]
    fn expression_indexes_are_told_from_plain_ones() {
        assert!(index_has_expressions("CREATE INDEX i ON public.t USING btree (lower(name))"));
        assert!(index_has_expressions("CREATE INDEX i ON public.t USING btree (a, ((b + 1))) WHERE (a > 0)"));
        assert!(!index_has_expressions("CREATE INDEX i ON public.t USING btree (a, b DESC) WHERE (a > 0)"));
        assert!(!index_has_expressions("CREATE INDEX i ON public.t USING btree (a) INCLUDE (b)"));
        assert!(!index_has_expressions("CREATE INDEX i ON public.t USING gin (tags)"));
    }
}
