//! Applying the user's schema files (see `sqltext::files` for which, and in which order).

use sqlx::AssertSqlSafe;
use sqlx::postgres::PgConnection;

use crate::error::{Error, Result};
use crate::sqltext;
use crate::sqltext::migrations::Migration;

/// Where the schema is applied: what it may change beyond the scratch database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A throwaway server plangate started: anything goes.
    Throwaway,
    /// Someone's server (the url backend): statements that change the server itself
    /// (roles, databases, tablespaces, ALTER SYSTEM) are refused.
    Shared,
}

/// What applying the schema left out, for the report.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// Ownership and privilege statements skipped: plangate runs as one role, and they
    /// do not change plans (the roles they name usually do not exist in a throwaway server).
    pub(crate) skipped_privileges: usize,
    /// Session settings this server does not know (a dump of a newer Postgres sets
    /// `transaction_timeout`), skipped: they do not change the schema.
    pub(crate) unknown_settings: Vec<String>,
}

impl Applied {
    pub(crate) fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if let n @ 1.. = self.skipped_privileges {
            notes.push(format!(
                "{n} ownership and privilege statement{} of the schema (OWNER TO, GRANT, REVOKE, ...) were skipped: \
                 plangate runs as one role, and they do not change plans",
                if n == 1 { "" } else { "s" }
            ));
        }
        if !self.unknown_settings.is_empty() {
            notes.push(format!(
                "the schema sets {} that this Postgres does not know (written by a newer pg_dump): skipped",
                self.unknown_settings.join(", ")
            ));
        }
        notes
    }
}

/// How one schema statement is treated.
#[derive(Debug, PartialEq, Eq)]
enum Treatment {
    Apply,
    /// Ownership or privileges: skipped.
    Privileges,
    /// A session setting: skipped when the server does not know the parameter.
    Setting(String),
    /// Changes the server, not the database: refused on a shared server. The statement's kind.
    ServerWide(String),
}

fn treatment(words: &[String]) -> Treatment {
    let w = |i: usize| words.get(i).map_or("", String::as_str);
    match (w(0), w(1), w(2)) {
        ("GRANT" | "REVOKE", _, _) | ("SECURITY", "LABEL", _) | ("ALTER", "DEFAULT", "PRIVILEGES") => {
            Treatment::Privileges
        }
        ("SET" | "RESET", "ROLE", _) | ("SET", "SESSION", "AUTHORIZATION") => Treatment::Privileges,
        ("ALTER", "SYSTEM", _) => Treatment::ServerWide("ALTER SYSTEM".into()),
        ("CREATE" | "ALTER" | "DROP", kind @ ("ROLE" | "USER" | "GROUP" | "DATABASE" | "TABLESPACE"), next)
            if next != "MAPPING" =>
        {
            Treatment::ServerWide(format!("{} {kind}", w(0)))
        }
        ("ALTER", _, _) if words.windows(2).any(|p| p[0] == "OWNER" && p[1] == "TO") => Treatment::Privileges,
        ("SET", "SESSION" | "LOCAL", name) | ("SET", name, _) if !name.is_empty() && name != "SESSION" => {
            Treatment::Setting(name.to_lowercase())
        }
        _ => Treatment::Apply,
    }
}

/// Apply the schema's migrations in order; an error names the file, line and column, and
/// the tool's own name for the migration.
///
/// Statements run one by one (split by a SQL tokenizer, or as the tool groups them), so an
/// error that carries no position still names the line of the statement that failed, and
/// a migration its tool runs outside a transaction (`CREATE INDEX CONCURRENTLY`) applies.
/// Give this a session of its own and close it afterwards: whatever the files set (a dump
/// empties `search_path`) must not reach plangate's other sessions.
pub async fn apply(conn: &mut PgConnection, migrations: &[Migration], target: Target) -> Result<Applied> {
    let mut applied = Applied::default();
    for m in migrations {
        let schema_error = |detail: String| Error::Schema {
            path: m.path.clone(),
            detail: match m.label() {
                Some(label) => format!("{label}: {detail}"),
                None => detail,
            },
            source: None,
        };
        let sql = crate::sqltext::without_meta_commands(&m.sql).map_err(|e| schema_error(e.to_string()))?;
        let statements: Vec<(usize, &str, Treatment)> = match units(&sql, &m.groups) {
            Some(units) => {
                units.into_iter().map(|(start, end, words)| (start, &sql[start..end], treatment(&words))).collect()
            }
            // Postgres will report what the tokenizer could not read, with its position.
            None => vec![(0, sql.as_str(), Treatment::Apply)],
        };
        if target == Target::Shared {
            if let Some((offset, _, Treatment::ServerWide(kind))) =
                statements.iter().find(|s| matches!(s.2, Treatment::ServerWide(_)))
            {
                let (line, _) = sqltext::line_col(&sql, *offset);
                return Err(schema_error(format!(
                    "line {line}: {kind} changes the server, not the database, and plangate does not touch \
                     anything but its scratch database on a server it did not start; move the statement out \
                     of [schema] files, or use the local or container backend"
                )));
            }
        }
        for (offset, stmt, treatment) in statements {
            if treatment == Treatment::Privileges {
                applied.skipped_privileges += 1;
                continue;
            }
            crate::progress::sql(1, stmt);
            if let Err(e) = sqlx::raw_sql(AssertSqlSafe(stmt)).execute(&mut *conn).await {
                // 42704: "unrecognized configuration parameter".
                let unknown =
                    e.as_database_error().and_then(sqlx::error::DatabaseError::code).is_some_and(|c| c == "42704");
                if let (Treatment::Setting(name), true) = (&treatment, unknown) {
                    applied.unknown_settings.push(name.clone());
                    continue;
                }
                return Err(schema_error(describe_error(&sql, offset, &e)));
            }
        }
    }
    Ok(applied)
}

/// The statements of `sql` as (start, end, words), those that start inside one of `groups`
/// sent together as that group; None when the tokenizer cannot read the text.
fn units(sql: &str, groups: &[std::ops::Range<usize>]) -> Option<Vec<(usize, usize, Vec<String>)>> {
    let parts = crate::sqltext::statements(sql).ok()?;
    let mut out: Vec<(usize, usize, Vec<String>)> = Vec::new();
    let mut last_group = None;
    for p in parts {
        match groups.iter().position(|g| g.contains(&p.start)) {
            Some(i) if last_group == Some(i) => {}
            Some(i) => {
                last_group = Some(i);
                out.push((p.start, groups[i].end.max(p.end), p.words()));
            }
            None => {
                last_group = None;
                out.push((p.start, p.end, p.words()));
            }
        }
    }
    Some(out)
}

/// Postgres' message with the line and column in `sql` of the statement starting at byte
/// `offset` (and of the error's position inside it, when Postgres gives one).
pub(crate) fn describe_error(sql: &str, offset: usize, e: &sqlx::Error) -> String {
    let at = crate::error::db_position(e).map_or(offset, |p| sqltext::advance(sql, offset, p.saturating_sub(1)));
    describe_at(sql, at, e)
}

/// Postgres' message with the line and column of byte `at` in `sql`.
pub(crate) fn describe_at(sql: &str, at: usize, e: &sqlx::Error) -> String {
    let (line, col) = sqltext::line_col(sql, at);
    format!("line {line}, column {col}: {}", crate::error::db_message(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(sql: &str) -> Vec<String> {
        crate::sqltext::statements(sql).unwrap()[0].words()
    }

    #[test]
    fn ownership_privileges_and_server_wide_statements_are_told_apart() {
        for sql in [
            "ALTER TABLE app.t OWNER TO helpdesk",
            "ALTER SCHEMA app OWNER TO helpdesk",
            "ALTER FUNCTION app.f() OWNER TO x",
            "GRANT SELECT ON ALL TABLES IN SCHEMA app TO ro",
            "REVOKE ALL ON SCHEMA public FROM PUBLIC",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO ro",
            "SET SESSION AUTHORIZATION helpdesk",
        ] {
            assert_eq!(treatment(&words(sql)), Treatment::Privileges, "{sql}");
        }
        for (sql, kind) in [
            ("ALTER SYSTEM SET work_mem = '1GB'", "ALTER SYSTEM"),
            ("CREATE ROLE app LOGIN", "CREATE ROLE"),
            ("create user app", "CREATE USER"),
            ("ALTER DATABASE x SET timezone = 'UTC'", "ALTER DATABASE"),
            ("CREATE TABLESPACE fast LOCATION '/ssd'", "CREATE TABLESPACE"),
        ] {
            assert_eq!(treatment(&words(sql)), Treatment::ServerWide(kind.into()), "{sql}");
        }
        for sql in [
            "CREATE TABLE owner (id int)",
            "CREATE USER MAPPING FOR CURRENT_USER SERVER s",
            "ALTER TABLE t ADD COLUMN owner_to int",
        ] {
            assert_eq!(treatment(&words(sql)), Treatment::Apply, "{sql}");
        }
        for (sql, name) in
            [("SET search_path = app", "search_path"), ("SET LOCAL transaction_timeout = 0", "transaction_timeout")]
        {
            assert_eq!(treatment(&words(sql)), Treatment::Setting(name.into()), "{sql}");
        }
    }
}
