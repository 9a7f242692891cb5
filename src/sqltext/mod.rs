//! Lexical facts about SQL text, from a real tokenizer (strings, dollar quotes and comments
//! are not code): is there a statement, how many, which kind, which `$n`, where each starts.
//! Parsing proper is left to Postgres itself.

pub(crate) mod files;
pub(crate) mod migrations;

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, TokenizerError};

/// One statement of a text: its byte range and its significant tokens.
#[derive(Debug)]
pub(crate) struct Statement {
    pub start: usize,
    pub end: usize,
    tokens: Vec<Token>,
}

impl Statement {
    /// The first word, uppercased (`SELECT`, `WITH`, `DELETE`, ...), or the first symbol.
    pub(crate) fn first_word(&self) -> String {
        match self.tokens.first() {
            Some(Token::Word(w)) => w.value.to_uppercase(),
            Some(t) => t.to_string(),
            None => String::new(),
        }
    }

    /// Whether the statement is a query: SELECT, WITH, VALUES, TABLE or a parenthesized one.
    pub(crate) fn is_query(&self) -> bool {
        match self.tokens.first() {
            Some(Token::Word(w)) => {
                matches!(w.keyword, Keyword::SELECT | Keyword::WITH | Keyword::VALUES | Keyword::TABLE)
            }
            Some(Token::LParen) => true,
            _ => false,
        }
    }

    /// Whether the statement writes: an INSERT, UPDATE, DELETE or MERGE, or a query whose
    /// WITH holds one (`FOR UPDATE` and `FOR NO KEY UPDATE` lock, and are not writes).
    pub(crate) fn is_write(&self) -> bool {
        let words = self.words();
        match words.first().map(String::as_str) {
            Some("INSERT" | "UPDATE" | "DELETE" | "MERGE") => true,
            Some("WITH") => words.iter().enumerate().any(|(i, w)| match w.as_str() {
                "INSERT" | "DELETE" | "MERGE" => true,
                "UPDATE" => !matches!(words.get(i.wrapping_sub(1)).map(String::as_str), Some("FOR" | "KEY")),
                _ => false,
            }),
            _ => false,
        }
    }

    /// The statement's unquoted words, uppercased, in order (strings and symbols left out).
    pub(crate) fn words(&self) -> Vec<String> {
        self.tokens
            .iter()
            .filter_map(|t| match t {
                Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_uppercase()),
                _ => None,
            })
            .collect()
    }

    /// The highest `$n` parameter.
    pub(crate) fn param_count(&self) -> usize {
        self.tokens
            .iter()
            .filter_map(|t| match t {
                Token::Placeholder(p) => p.strip_prefix('$').and_then(|n| n.parse().ok()),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }
}

/// `"name"` with embedded quotes doubled.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A table name as plangate writes it (`t` or `schema.t`), quoted part by part.
pub(crate) fn quote_qualified(name: &str) -> String {
    name.split('.').map(quote_ident).collect::<Vec<_>>().join(".")
}

/// `pg_dump`'s psql meta-commands that only guard a restore (`\restrict KEY`, `\unrestrict KEY`).
const HARMLESS_META: &[&str] = &["\\restrict", "\\unrestrict"];

/// A psql meta-command plangate cannot follow, and its line.
#[derive(Debug, thiserror::Error)]
#[error(
    "line {line}: psql meta-command `{name}` is not SQL; plangate applies schema files as plain SQL \
     (pg_dump's \\restrict and \\unrestrict are skipped)"
)]
pub(crate) struct MetaCommand {
    pub(crate) line: usize,
    pub(crate) name: String,
}

/// The text with psql meta-command lines blanked (offsets and lines kept), or the line
/// of one plangate cannot follow.
pub(crate) fn without_meta_commands(sql: &str) -> std::result::Result<String, MetaCommand> {
    let mut out = String::with_capacity(sql.len());
    for (i, line) in sql.split_inclusive('\n').enumerate() {
        let command = line.trim_start();
        if command.starts_with('\\') {
            let name = command.split_whitespace().next().unwrap_or(command);
            if !HARMLESS_META.contains(&name) {
                return Err(MetaCommand { line: i + 1, name: name.to_string() });
            }
            out.extend(line.chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
        } else {
            out.push_str(line);
        }
    }
    Ok(out)
}

/// Split a text into its statements (empty ones dropped). Errors say what and where.
pub(crate) fn statements(sql: &str) -> Result<Vec<Statement>, TokenizerError> {
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, sql).tokenize_with_location()?;
    let line_starts: Vec<usize> = std::iter::once(0).chain(sql.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let offset = |t: &TokenWithSpan, end: bool| -> usize {
        let loc = if end { t.span.end } else { t.span.start };
        let line = usize::try_from(loc.line).unwrap_or(1).max(1) - 1;
        let base = line_starts.get(line).copied().unwrap_or(sql.len());
        // Columns count characters, not bytes.
        let col = usize::try_from(loc.column).unwrap_or(1).max(1) - 1;
        sql[base..].char_indices().nth(col).map_or(sql.len(), |(i, _)| base + i)
    };
    let mut out = Vec::new();
    let mut current: Option<Statement> = None;
    for t in &tokens {
        match &t.token {
            Token::Whitespace(_) | Token::EOF => {}
            Token::SemiColon => out.extend(current.take()),
            other => {
                let s = current.get_or_insert_with(|| Statement {
                    start: offset(t, false),
                    end: sql.len(),
                    tokens: Vec::new(),
                });
                s.end = offset(t, true);
                s.tokens.push(other.clone());
            }
        }
    }
    out.extend(current);
    Ok(out)
}

/// The byte offset `n` characters after byte offset `from` in `text` (its end when shorter).
pub(crate) fn advance(text: &str, from: usize, n: usize) -> usize {
    text[from..].char_indices().nth(n).map_or(text.len(), |(i, _)| from + i)
}

/// 1-based line and column (counted in characters) of byte offset `at` in `text`.
pub(crate) fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Postgres' folding: unquoted names are lowercased.
pub(crate) fn ident(i: &sqlparser::ast::Ident) -> String {
    if i.quote_style.is_some() { i.value.clone() } else { i.value.to_lowercase() }
}

/// `t` for public tables, `schema.t` otherwise, as plangate names tables.
pub(crate) fn table_name(n: &sqlparser::ast::ObjectName) -> Option<String> {
    let parts: Vec<String> = n.0.iter().map(|p| p.as_ident().map(ident)).collect::<Option<_>>()?;
    match parts.as_slice() {
        [t] => Some(t.clone()),
        [s, t] if s == "public" => Some(t.clone()),
        [s, t] => Some(format!("{s}.{t}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_dumps_restrict_lines_are_blanked_in_place() {
        let sql = "\\restrict abc\nCREATE TABLE t (x int);\n\\unrestrict abc\n";
        let out = without_meta_commands(sql).unwrap();
        assert_eq!(out.len(), sql.len());
        assert_eq!(out.lines().nth(1), Some("CREATE TABLE t (x int);"));
        assert!(out.lines().next().unwrap().trim().is_empty());
        let err = without_meta_commands("SELECT 1;\n\\i other.sql\n").unwrap_err().to_string();
        assert!(err.starts_with("line 2: psql meta-command `\\i`"), "{err}");
    }

    #[test]
    fn splits_statements_skipping_strings_and_comments() {
        let sql = "select ';' -- ; no\n; /* ; */ create function f() returns int as $$ select 1; $$ language sql;\n\n";
        let s = statements(sql).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(&sql[s[0].start..s[0].end], "select ';'");
        assert!(sql[s[1].start..s[1].end].starts_with("create function"));
        assert!(sql[s[1].start..s[1].end].ends_with("language sql"));
        assert_eq!(s[1].first_word(), "CREATE");
        assert!(!s[1].is_query());
    }

    #[test]
    fn queries_and_parameters() {
        let s = statements("WITH x AS (SELECT $2) SELECT * FROM x WHERE a = $1 AND b = '$9'").unwrap();
        assert!(s[0].is_query());
        assert_eq!(s[0].param_count(), 2);
        assert!(statements("(select 1) union (select 2)").unwrap()[0].is_query());
        assert!(statements("values (1)").unwrap()[0].is_query());
        assert!(!statements("delete from t").unwrap()[0].is_query());
        assert!(statements("delete from t").unwrap()[0].is_write());
        assert!(statements("with d as (delete from t returning id) select * from d").unwrap()[0].is_write());
        assert!(!statements("with d as (select 1) select * from t for no key update").unwrap()[0].is_write());
        assert!(!statements("select * from t for update").unwrap()[0].is_write());
        assert!(statements("merge into t using s on t.id = s.id when matched then delete").unwrap()[0].is_write());
    }

    #[test]
    fn words_leave_out_strings_and_quoted_names() {
        let s = statements("ALTER TABLE \"Owner\" OWNER TO 'x' ;").unwrap();
        assert_eq!(s[0].words(), ["ALTER", "TABLE", "OWNER", "TO"]);
    }

    #[test]
    fn offsets_count_characters_not_bytes() {
        let sql = "select 'é';\nselect 2";
        let s = statements(sql).unwrap();
        assert_eq!(&sql[s[1].start..s[1].end], "select 2");
    }

    #[test]
    fn offsets_become_lines_and_columns() {
        assert_eq!(line_col("abc\ndef", 5), (2, 2));
        assert_eq!(line_col("abc", 0), (1, 1));
        assert_eq!(line_col("é\nx", advance("é\nx", 0, 2)), (2, 1));
    }
}
