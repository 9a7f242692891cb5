//! Applying the user's schema files (see `sqltext::files` for which, and in which order).

use std::path::PathBuf;

use sqlx::AssertSqlSafe;
use sqlx::postgres::PgConnection;

use crate::error::{Error, Result};
use crate::sqltext;

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
    pub skipped_privileges: usize,
}

impl Applied {
    pub fn notes(&self) -> Vec<String> {
        match self.skipped_privileges {
            0 => Vec::new(),
            n => vec![format!(
                "{n} ownership and privilege statement{} of the schema (OWNER TO, GRANT, REVOKE, ...) were skipped: \
                 plangate runs as one role, and they do not change plans",
                if n == 1 { "" } else { "s" }
            )],
        }
    }
}

/// How one schema statement is treated.
#[derive(Debug, PartialEq, Eq)]
enum Treatment {
    Apply,
    /// Ownership or privileges: skipped.
    Privileges,
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
        _ => Treatment::Apply,
    }
}

/// Apply the schema files in order; an error names the file, line and column.
///
/// Statements run one by one (split by a SQL tokenizer), so an error that carries no
/// position still names the line of the statement that failed. Give this a session of
/// its own and close it afterwards: whatever the files set (a dump empties `search_path`)
/// must not reach plangate's other sessions.
pub async fn apply(conn: &mut PgConnection, files: &[PathBuf], target: Target) -> Result<Applied> {
    let mut applied = Applied::default();
    for path in files {
        let raw = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.clone(), source })?;
        let sql = crate::sqltext::without_meta_commands(&raw)
            .map_err(|detail| Error::Schema { path: path.clone(), detail })?;
        let statements: Vec<(usize, &str, Treatment)> = match crate::sqltext::statements(&sql) {
            Ok(parts) => parts.iter().map(|p| (p.start, &sql[p.start..p.end], treatment(&p.words()))).collect(),
            // Postgres will report what the tokenizer could not read, with its position.
            Err(_) => vec![(0, sql.as_str(), Treatment::Apply)],
        };
        if target == Target::Shared {
            if let Some((offset, _, Treatment::ServerWide(kind))) =
                statements.iter().find(|s| matches!(s.2, Treatment::ServerWide(_)))
            {
                let (line, _) = sqltext::line_col(&sql, *offset);
                return Err(Error::Schema {
                    path: path.clone(),
                    detail: format!(
                        "line {line}: {kind} changes the server, not the database, and plangate does not touch \
                         anything but its scratch database on a server it did not start; move the statement out \
                         of [schema] files, or use the local or container backend"
                    ),
                });
            }
        }
        for (offset, stmt, treatment) in statements {
            if treatment == Treatment::Privileges {
                applied.skipped_privileges += 1;
                continue;
            }
            crate::progress::sql(1, stmt);
            if let Err(e) = sqlx::raw_sql(AssertSqlSafe(stmt)).execute(&mut *conn).await {
                return Err(Error::Schema { path: path.clone(), detail: describe_error(&sql, offset, &e) });
            }
        }
    }
    Ok(applied)
}

/// Postgres' message with the line and column in `sql` of the statement starting at byte
/// `offset` (and of the error's position inside it, when Postgres gives one).
pub fn describe_error(sql: &str, offset: usize, e: &sqlx::Error) -> String {
    let at = crate::error::db_position(e).map_or(offset, |p| sqltext::advance(sql, offset, p.saturating_sub(1)));
    describe_at(sql, at, e)
}

/// Postgres' message with the line and column of byte `at` in `sql`.
pub fn describe_at(sql: &str, at: usize, e: &sqlx::Error) -> String {
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
            "SET search_path = app",
        ] {
            assert_eq!(treatment(&words(sql)), Treatment::Apply, "{sql}");
        }
    }
}
