//! Measuring a write (INSERT, UPDATE, DELETE, MERGE) without changing the world: each run
//! happens in a fresh copy of the scale's database, in a transaction that is rolled back,
//! and the copy is dropped. A rolled-back write still leaves dead tuples, index entries and
//! cleared visibility bits behind, so the world itself is never written to: every read,
//! repeat and later run measures the world exactly as it was loaded.
//!
//! What the statement makes the server do beyond its plan (foreign-key checks, cascades, the
//! application's triggers) does not show in EXPLAIN's buffers. It is read from the
//! session's own statistics of the transaction: `pg_stat_get_xact_blocks_fetched` counts
//! every buffer request per relation, plan or trigger alike, and `pg_stat_get_xact_numscans`
//! every scan, both exact and independent of what is cached.

use std::collections::BTreeMap;

use serde_json::Value;
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection, Row};

use crate::error::{Error, Result};
use crate::postgres::Connector;

/// Where writes are measured: copies of `template`, a copy of the scale's world no session
/// stays connected to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Copies<'a> {
    pub connector: &'a Connector,
    pub template: &'a str,
    /// ` STRATEGY FILE_COPY` where the server has it, else empty.
    pub strategy: &'a str,
    /// The name each run's copy gets (one at a time).
    pub copy: &'a str,
    /// SQL run in each copy before the write is prepared (a candidate index to try).
    pub prelude: Option<&'a str>,
}

/// What a trigger or foreign-key constraint did during one write.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TriggerWork {
    /// The trigger, or for a foreign key the constraint.
    pub name: String,
    /// The table the trigger is on.
    pub table: String,
    pub calls: u64,
    /// Blocks of the tables it reached that the plan did not read (None where they cannot be
    /// told apart from the plan's or another trigger's).
    pub blocks: Option<u64>,
    /// It is a foreign key's check or action, not one of the application's triggers.
    pub foreign_key: bool,
}

/// A foreign key whose check scanned the referencing table whole: it has no index that
/// starts with its columns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UnindexedKey {
    pub constraint: String,
    /// The referencing table and its columns.
    pub table: String,
    pub columns: Vec<String>,
    /// Blocks of the referencing table the checks read.
    pub blocks: u64,
}

/// One write's run in a copy: EXPLAIN's JSON and what happened outside the plan.
#[derive(Debug, Clone)]
pub(crate) struct Measured {
    pub plan: Value,
    /// Blocks requested in the transaction of tables the plan does not read (triggers,
    /// foreign-key checks and actions).
    pub trigger_blocks: u64,
    pub triggers: Vec<TriggerWork>,
    pub unindexed: Vec<UnindexedKey>,
}

/// Run `setup` (which prepares the statement), then `explain` (an `EXPLAIN (ANALYZE,
/// BUFFERS, ...) EXECUTE` of it) in a fresh copy. The outer error is the copy's; the inner
/// one is the statement's, as Postgres said it.
pub(crate) async fn run_in_copy(
    copies: Copies<'_>,
    setup: &str,
    explain: &str,
) -> Result<std::result::Result<Measured, sqlx::Error>> {
    in_copy(copies, setup, async |conn: &mut PgConnection| in_transaction(conn, explain).await).await
}

/// EXPLAIN's text of a write (`explain`, after `setup`), run in a fresh copy and rolled back.
pub(crate) async fn explain_text_in_copy(
    copies: Copies<'_>,
    setup: &str,
    explain: &str,
) -> Result<std::result::Result<Vec<String>, sqlx::Error>> {
    in_copy(copies, setup, async |conn: &mut PgConnection| {
        sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
        let lines = sqlx::raw_sql(AssertSqlSafe(explain)).fetch_all(&mut *conn).await;
        let rolled_back = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
        let lines: Vec<String> = lines?.iter().filter_map(|row| row.try_get::<String, _>(0).ok()).collect();
        rolled_back?;
        Ok(lines)
    })
    .await
}

/// Make a fresh copy, run `setup` then `work` in a session on it, and drop it.
async fn in_copy<T>(
    copies: Copies<'_>,
    setup: &str,
    work: impl AsyncFnOnce(&mut PgConnection) -> std::result::Result<T, sqlx::Error>,
) -> Result<std::result::Result<T, sqlx::Error>> {
    let copy = copies.copy;
    let copying = |e: sqlx::Error| Error::postgres("copying the world to measure a write in", e);
    let mut admin = copies.connector.connect_to("template1").await?;
    let create = format!("CREATE DATABASE {copy} TEMPLATE {}{}", copies.template, copies.strategy);
    for sql in [format!("DROP DATABASE IF EXISTS {copy}"), create] {
        sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut admin).await.map_err(copying)?;
    }
    let measured = async {
        let mut conn = copies.connector.connect_to(copy).await?;
        let measured = match sqlx::raw_sql(AssertSqlSafe(setup)).execute(&mut conn).await {
            Ok(_) => work(&mut conn).await,
            Err(e) => Err(e),
        };
        let _ = conn.close().await;
        Ok::<_, Error>(measured)
    }
    .await;
    let dropped = sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE {copy}"))).execute(&mut admin).await;
    let _ = admin.close().await;
    let measured = measured?;
    dropped.map_err(|e| Error::postgres("dropping the copy a write was measured in", e))?;
    Ok(measured)
}

/// Per user relation: blocks requested and scans started in this transaction so far.
async fn xact_stats(conn: &mut PgConnection) -> std::result::Result<BTreeMap<u32, (u64, u64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT c.oid::int8 AS oid, pg_stat_get_xact_blocks_fetched(c.oid) AS blocks,
                pg_stat_get_xact_numscans(c.oid) AS scans
         FROM pg_class c WHERE c.oid >= 16384 AND c.relkind IN ('r', 'i', 'm', 't', 'p', 'I')",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let n = |k: &str| u64::try_from(r.get::<i64, _>(k)).unwrap_or(0);
            (u32::try_from(r.get::<i64, _>("oid")).unwrap_or(0), (n("blocks"), n("scans")))
        })
        .collect())
}

async fn in_transaction(conn: &mut PgConnection, explain: &str) -> std::result::Result<Measured, sqlx::Error> {
    sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
    let result = async {
        let before = xact_stats(conn).await?;
        let plan: sqlx::types::Json<Value> = sqlx::query_scalar(AssertSqlSafe(explain)).fetch_one(&mut *conn).await?;
        let after = xact_stats(conn).await?;
        let delta: BTreeMap<u32, (u64, u64)> = after
            .iter()
            .map(|(oid, (b, s))| {
                let (b0, s0) = before.get(oid).copied().unwrap_or_default();
                (*oid, (b.saturating_sub(b0), s.saturating_sub(s0)))
            })
            .filter(|(_, (b, s))| *b > 0 || *s > 0)
            .collect();
        outside_the_plan(conn, plan.0, &delta).await
    }
    .await;
    let rolled_back = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
    let measured = result?;
    rolled_back?;
    Ok(measured)
}

/// The relations (by name, with their table) that the plan's nodes name.
fn plan_relations(plan: &Value, out: &mut Vec<String>) {
    for key in ["Relation Name", "Index Name"] {
        if let Some(name) = plan[key].as_str() {
            out.push(name.to_string());
        }
    }
    if let Some(children) = plan["Plans"].as_array() {
        for c in children {
            plan_relations(c, out);
        }
    }
}

async fn outside_the_plan(
    conn: &mut PgConnection,
    plan: Value,
    delta: &BTreeMap<u32, (u64, u64)>,
) -> std::result::Result<Measured, sqlx::Error> {
    // Each touched relation: its name, its table's name, and the table's oid.
    let oids: Vec<i64> = delta.keys().map(|o| i64::from(*o)).collect();
    let rows = sqlx::query(
        "SELECT c.oid::int8 AS oid, c.relname::text AS rel,
                coalesce(t.oid, c.oid)::int8 AS table_oid, coalesce(t.relname, c.relname)::text AS tbl
         FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid LEFT JOIN pg_class t ON t.oid = i.indrelid
         WHERE c.oid = ANY($1)",
    )
    .bind(&oids)
    .fetch_all(&mut *conn)
    .await?;
    let mut in_plan = Vec::new();
    plan_relations(&plan["Plan"], &mut in_plan);
    // Blocks and seq scans per table, of relations the plan does not name.
    let mut outside: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in &rows {
        let (oid, rel, table_oid, table): (i64, String, i64, String) =
            (r.get("oid"), r.get("rel"), r.get("table_oid"), r.get("tbl"));
        if in_plan.contains(&rel) || in_plan.contains(&table) {
            continue;
        }
        let (blocks, scans) = delta.get(&u32::try_from(oid).unwrap_or(0)).copied().unwrap_or_default();
        let entry = outside.entry(table).or_default();
        entry.0 += blocks;
        if oid == table_oid {
            entry.1 += scans;
        }
    }
    let trigger_blocks: u64 = outside.values().map(|(b, _)| b).sum();
    let mut triggers = Vec::new();
    let mut unindexed = Vec::new();
    for t in plan[0]["Triggers"].as_array().into_iter().flatten() {
        let calls = t["Calls"].as_u64().unwrap_or(0);
        let on = t["Relation"].as_str().unwrap_or_default().to_string();
        let Some(constraint) = t["Constraint Name"].as_str() else {
            triggers.push(TriggerWork {
                name: t["Trigger Name"].as_str().unwrap_or_default().to_string(),
                table: on,
                calls,
                blocks: None,
                foreign_key: false,
            });
            continue;
        };
        let key = foreign_key(conn, constraint, &on).await?;
        let reached = key.as_ref().map(|k| if k.child == on { k.parent.clone() } else { k.child.clone() });
        let blocks = reached.as_ref().and_then(|r| outside.get(r)).map(|(b, _)| *b);
        if let Some(k) = &key {
            let scanned = outside.get(&k.child).is_some_and(|(_, seq)| *seq > 0);
            if k.child != on && scanned && !k.indexed {
                unindexed.push(UnindexedKey {
                    constraint: constraint.to_string(),
                    table: k.child_name.clone(),
                    columns: k.columns.clone(),
                    blocks: outside.get(&k.child).map_or(0, |(b, _)| *b),
                });
            }
        }
        match triggers.iter_mut().find(|w: &&mut TriggerWork| w.name == constraint && w.table == on) {
            Some(w) => w.calls += calls,
            None => {
                triggers.push(TriggerWork {
                    name: constraint.to_string(),
                    table: on,
                    calls,
                    blocks,
                    foreign_key: true,
                });
            }
        }
    }
    // The blocks no foreign key accounts for are the application's triggers': told apart
    // when there is one.
    let claimed: u64 = triggers.iter().filter(|t| t.blocks.is_some()).filter_map(|t| t.blocks).sum();
    let mut own = triggers.iter_mut().filter(|t| t.blocks.is_none() && !t.foreign_key);
    if let (Some(only), None) = (own.next(), own.next()) {
        only.blocks = Some(trigger_blocks.saturating_sub(claimed));
    }
    Ok(Measured { plan, trigger_blocks, triggers, unindexed })
}

/// A foreign key named by one of its triggers on table `on`.
struct ForeignKey {
    /// The referencing and the referenced table, by relation name (as plans name them).
    child: String,
    parent: String,
    /// The referencing table as plangate names tables (`t`, or `schema.t` outside `public`).
    child_name: String,
    columns: Vec<String>,
    /// The referencing table has an index whose leading columns are the key's.
    indexed: bool,
}

async fn foreign_key(
    conn: &mut PgConnection,
    constraint: &str,
    on: &str,
) -> std::result::Result<Option<ForeignKey>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT ch.relname::text AS child, pa.relname::text AS parent,
                CASE WHEN n.nspname = 'public' THEN ch.relname::text ELSE n.nspname || '.' || ch.relname END AS child_name,
                ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i) AS columns,
                EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = con.conrelid
                        AND (i.indkey::int2[])[0:cardinality(con.conkey) - 1] @> con.conkey
                        AND (i.indkey::int2[])[0:cardinality(con.conkey) - 1] <@ con.conkey) AS indexed
         FROM pg_constraint con
         JOIN pg_class ch ON ch.oid = con.conrelid JOIN pg_class pa ON pa.oid = con.confrelid
         JOIN pg_namespace n ON n.oid = ch.relnamespace
         WHERE con.contype = 'f' AND con.conname = $1 AND (ch.relname = $2 OR pa.relname = $2)
         LIMIT 1",
    )
    .bind(constraint)
    .bind(on)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| ForeignKey {
        child: r.get("child"),
        parent: r.get("parent"),
        child_name: r.get("child_name"),
        columns: r.get("columns"),
        indexed: r.get("indexed"),
    }))
}
