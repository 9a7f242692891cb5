//! What an application's test run executed, turned into catalog queries: the statements
//! `pg_stat_statements` counted, their text as the server logged it (so that a constant the
//! application wrote into the SQL, the same in every execution, stays a literal), and why
//! each statement that is not a catalog query was left out. Pure but for `server`, which
//! runs the tests against a throwaway server and reads it back.

use std::collections::BTreeMap;

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::datagen::schema::Catalog;
use crate::suggest::query::{Parameter, parameters};

pub(crate) mod server;

/// Tables of the migration tools and frameworks: their bookkeeping, not the application's.
const MIGRATION_TABLES: &[&str] = &[
    "_sqlx_migrations",
    "schema_migrations",
    "flyway_schema_history",
    "goose_db_version",
    "__diesel_schema_migrations",
    "_prisma_migrations",
    "knex_migrations",
    "knex_migrations_lock",
    "django_migrations",
    "ar_internal_metadata",
    "alembic_version",
    "seaql_migrations",
    "atlas_schema_revisions",
    "sqitch.changes",
];

/// One statement as `pg_stat_statements` counted it.
#[derive(Debug, Clone)]
pub(crate) struct Counted {
    pub query_id: i64,
    /// Normalized: constants replaced by `$n`.
    pub text: String,
    pub calls: i64,
}

/// Why a statement did not become a catalog query.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Skip {
    /// A write, DDL, a utility statement or a locking read.
    NotARead,
    /// It reads Postgres' catalog (`pg_catalog`, `information_schema`).
    SystemCatalog,
    /// It reads a migration tool's table.
    Bookkeeping,
    /// It reads no table (`SELECT 1`).
    NoTable,
    /// It reads tables the schema does not have (named).
    UnknownTables(Vec<String>),
}

impl Skip {
    pub(crate) fn reason(&self) -> String {
        match self {
            Skip::NotARead => "not a read (writes, DDL, utility statements, locking reads)".into(),
            Skip::SystemCatalog => "Postgres' own catalog".into(),
            Skip::Bookkeeping => "a migration tool's bookkeeping".into(),
            Skip::NoTable => "no table read (`SELECT 1`)".into(),
            Skip::UnknownTables(t) => format!("on tables the schema does not have ({})", t.join(", ")),
        }
    }
}

/// A read for the catalog: its tables and what each `$n` stands for.
pub(crate) type Read = (Vec<String>, Vec<Option<Parameter>>);

/// Whether `sql` is a read of the application's tables in `catalog`, or why not.
pub(crate) fn classify(sql: &str, catalog: &Catalog) -> Result<Read, Skip> {
    let Some((tables, params)) = parameters(sql, catalog) else { return Err(Skip::NotARead) };
    let bare = |t: &str| t.rsplit('.').next().unwrap_or(t).to_string();
    if tables.is_empty() {
        return Err(Skip::NoTable);
    }
    if tables
        .iter()
        .any(|t| t.starts_with("pg_") || t.starts_with("pg_catalog.") || t.starts_with("information_schema."))
    {
        return Err(Skip::SystemCatalog);
    }
    if tables.iter().any(|t| MIGRATION_TABLES.contains(&t.as_str()) || MIGRATION_TABLES.contains(&bare(t).as_str())) {
        return Err(Skip::Bookkeeping);
    }
    let unknown: Vec<String> = tables.iter().filter(|t| !catalog.contains_key(*t)).cloned().collect();
    if !unknown.is_empty() {
        return Err(Skip::UnknownTables(unknown));
    }
    Ok((tables, params))
}

/// The statements of a `csvlog` file the server logged with `log_min_duration_statement = 0`:
/// by query id, the text of each execution (`statement: ...`, or `execute NAME: ...` for
/// the extended protocol, where bound values stay `$n`).
pub(crate) fn logged_statements(csv: &str) -> BTreeMap<i64, Vec<String>> {
    const MESSAGE: usize = 13;
    const QUERY_ID: usize = 25;
    let mut out: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(csv.as_bytes());
    for record in reader.records().filter_map(std::result::Result::ok) {
        let (Some(message), Some(id)) = (record.get(MESSAGE), record.get(QUERY_ID)) else { continue };
        let Ok(id) = id.parse::<i64>() else { continue };
        let Some(rest) = message.strip_prefix("duration: ").and_then(|m| m.split_once(" ms  ")).map(|(_, r)| r) else {
            continue;
        };
        let text = if let Some(t) = rest.strip_prefix("statement: ") {
            t
        } else if let Some(t) = rest.strip_prefix("execute ") {
            match t.split_once(": ") {
                Some((_, t)) => t,
                None => continue,
            }
        } else {
            continue;
        };
        if id != 0 {
            // As `pg_stat_statements` keeps it: without the statement's closing semicolon.
            out.entry(id).or_default().push(text.trim().trim_end_matches(';').trim_end().to_string());
        }
    }
    out
}

/// The statement as the catalog should hold it: `normalized` (every constant a `$n`) with
/// each constant that was the same literal in every logged execution put back, and the
/// remaining parameters numbered from `$1`. `normalized` itself with fewer than two
/// executions, or when they do not line up with it token for token.
pub(crate) fn with_constants(normalized: &str, executions: &[String]) -> String {
    let dialect = PostgreSqlDialect {};
    let tokens = |s: &str| -> Option<Vec<Token>> {
        let all = Tokenizer::new(&dialect, s).tokenize().ok()?;
        Some(all.into_iter().filter(|t| !matches!(t, Token::Whitespace(_))).collect())
    };
    let Some(shape) = tokens(normalized) else { return normalized.to_string() };
    let Some(runs) = executions.iter().map(|e| tokens(e)).collect::<Option<Vec<_>>>() else {
        return normalized.to_string();
    };
    // One execution cannot tell a constant of the query from a value of the test.
    if runs.len() < 2 || runs.iter().any(|r| r.len() != shape.len()) {
        return normalized.to_string();
    }
    let is_literal =
        |t: &Token| matches!(t, Token::Number(..) | Token::SingleQuotedString(_) | Token::EscapedStringLiteral(_));
    let mut renumber: BTreeMap<String, usize> = BTreeMap::new();
    let mut out: Vec<String> = Vec::new();
    for (i, t) in shape.iter().enumerate() {
        let Token::Placeholder(p) = t else {
            out.push(t.to_string());
            continue;
        };
        let first = &runs[0][i];
        if is_literal(first) && runs.iter().all(|r| r[i] == *first) {
            out.push(first.to_string());
        } else {
            let next = renumber.len() + 1;
            let n = *renumber.entry(p.clone()).or_insert(next);
            out.push(format!("${n}"));
        }
    }
    join_tokens(&out)
}

/// Tokens back into SQL text: a space between tokens, none inside `a.b`, `f(`, `(x)`, `x,`.
fn join_tokens(tokens: &[String]) -> String {
    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| tokens[j].as_str());
        let tight = matches!(t.as_str(), "." | "," | ")" | "::" | ";" | "[" | "]")
            || matches!(prev, Some("." | "(" | "::" | "["))
            || (t == "(" && prev.is_some_and(|p| p.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '"')));
        if i > 0 && !tight {
            out.push(' ');
        }
        out.push_str(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_the_same_in_every_execution_stays_a_literal() {
        let normalized = "SELECT id FROM tickets WHERE status = $1 AND owner = $2 LIMIT $3";
        let runs = vec![
            "SELECT id FROM tickets WHERE status = 'open' AND owner = 7 LIMIT 20".to_string(),
            "SELECT id FROM tickets WHERE status = 'open' AND owner = 9 LIMIT 20".to_string(),
        ];
        assert_eq!(
            with_constants(normalized, &runs),
            "SELECT id FROM tickets WHERE status = 'open' AND owner = $1 LIMIT 20"
        );
        // Bound by the driver: the log keeps `$n`, and so does the catalog.
        let runs = vec!["SELECT id FROM tickets WHERE status = 'open' AND owner = $1 LIMIT $2".to_string(); 2];
        let normalized = "SELECT id FROM tickets WHERE status = $3 AND owner = $1 LIMIT $2";
        assert_eq!(
            with_constants(normalized, &runs),
            "SELECT id FROM tickets WHERE status = 'open' AND owner = $1 LIMIT $2"
        );
        // Executions that do not line up, or one alone, leave the normalized text.
        assert_eq!(with_constants(normalized, &["SELECT 1".to_string(), "SELECT 1".to_string()]), normalized);
        assert_eq!(with_constants(normalized, &runs[..1]), normalized);
    }

    #[test]
    fn csvlog_lines_give_each_executions_text_by_query_id() {
        let line = |message: &str, id: i64| {
            let mut fields = vec![String::new(); 26];
            fields[13] = message.to_string();
            fields[25] = id.to_string();
            fields.iter().map(|f| format!("\"{}\"", f.replace('"', "\"\""))).collect::<Vec<_>>().join(",")
        };
        let csv = [
            line("duration: 0.120 ms  statement: SELECT 1;", 11),
            line("duration: 0.010 ms  parse s1: SELECT a FROM t WHERE b = $1", 22),
            line("duration: 0.030 ms  execute s1: SELECT a FROM t\nWHERE b = $1", 22),
            line("connection authorized: user=postgres", 0),
        ]
        .join("\n");
        let logged = logged_statements(&csv);
        assert_eq!(logged[&11], ["SELECT 1"]);
        assert_eq!(logged[&22], ["SELECT a FROM t\nWHERE b = $1"]);
        assert_eq!(logged.len(), 2);
    }
}
