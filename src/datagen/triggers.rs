//! The application's triggers and rules, switched off while plangate loads rows (a counter
//! trigger would run for every generated row and then collide with the counter table's own
//! generated rows) and back on afterwards, each in the mode it had.

use sqlx::Row;
use sqlx::postgres::PgConnection;

use crate::error::{Error, Result};

/// A user trigger or rule of a filled table, switched off while rows load.
#[derive(Debug, Clone)]
pub(crate) struct Switch {
    /// The table as `regclass::text` spells it.
    table: String,
    /// `TRIGGER` or `RULE`.
    what: &'static str,
    /// Quoted name.
    name: String,
    /// `pg_trigger.tgenabled` / `pg_rewrite.ev_enabled`: O (origin), A (always), R (replica).
    enabled: String,
    /// A partition's copy of its parent's trigger.
    cloned: bool,
}

impl Switch {
    pub(crate) fn off(&self) -> String {
        format!("ALTER TABLE {} DISABLE {} {}", self.table, self.what, self.name)
    }

    pub(crate) fn on(&self) -> String {
        let mode = match self.enabled.as_str() {
            "A" => "ALWAYS ",
            "R" => "REPLICA ",
            _ => "",
        };
        format!("ALTER TABLE {} ENABLE {mode}{} {}", self.table, self.what, self.name)
    }
}

/// The enabled user triggers and rules of `tables` and of their partitions.
pub(crate) async fn read(conn: &mut PgConnection, tables: &[String]) -> Result<Vec<Switch>> {
    let rows = sqlx::query(
        "WITH rel AS (SELECT u.t::regclass AS relid FROM unnest($1::text[]) u(t)
                     UNION SELECT p.relid FROM unnest($1::text[]) u(t), pg_partition_tree(u.t::regclass) p)
         SELECT 'TRIGGER' AS what, tgrelid::regclass::text AS tbl, quote_ident(tgname) AS name,
                tgenabled::text AS enabled, tgparentid <> 0 AS cloned
         FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' AND tgrelid IN (SELECT relid FROM rel)
         UNION ALL
         SELECT 'RULE', ev_class::regclass::text, quote_ident(rulename), ev_enabled::text, false
         FROM pg_rewrite WHERE rulename <> '_RETURN' AND ev_enabled <> 'D' AND ev_class IN (SELECT relid FROM rel)
         ORDER BY cloned, tbl, name",
    )
    .bind(tables)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| Error::postgres("cannot read the tables' triggers and rules", e))?;
    Ok(rows
        .into_iter()
        .map(|r| Switch {
            what: if r.get::<String, _>("what") == "RULE" { "RULE" } else { "TRIGGER" },
            table: r.get("tbl"),
            name: r.get("name"),
            enabled: r.get("enabled"),
            cloned: r.get("cloned"),
        })
        .collect())
}

/// The report's note on the triggers and rules that were off, if any.
pub(crate) fn note(switches: &[Switch]) -> Option<String> {
    // A partition's copy of a trigger is its parent's: name the parent's only.
    let names: Vec<String> = switches
        .iter()
        .filter(|s| !s.cloned)
        .map(|s| format!("{} {} on {}", s.what.to_lowercase(), s.name, s.table))
        .collect();
    (!names.is_empty()).then(|| {
        format!(
            "the application's triggers and rules did not fire while rows loaded ({}); set `fire_triggers = true` \
             in a table's [tables.NAME] entry to load through them",
            names.join(", ")
        )
    })
}
