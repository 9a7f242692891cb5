//! What decides a world's data, hashed into the key of its cache entry.
//!
//! The key covers the schema's text with its plain `CREATE INDEX` statements taken out,
//! every table's size and generators (production's statistics included, for `stats`),
//! the scales, the seed, the server settings, the Postgres build, and the version of
//! plangate's generators. The index statements are kept beside the key: a world whose
//! only change is an index is reused, and only that table's indexes are rebuilt.

use std::fmt::Write as _;

use crate::config::{Settings, hex_sha256};

/// Raised whenever the same inputs would generate different rows, or load them into a
/// different physical layout: a cache entry written by another version is not reused.
pub(crate) const DATA_VERSION: u32 = 3;

/// The key of one world, and what is left out of it.
#[derive(Debug, Clone)]
pub(crate) struct WorldKey {
    /// Lowercase hex SHA-256 of everything that decides the data.
    pub hex: String,
    /// The schema's plain `CREATE INDEX` statements, in the order they appear.
    pub index_statements: Vec<String>,
}

impl WorldKey {
    /// The key's first 12 characters, as listings show it.
    pub(crate) fn short(&self) -> &str {
        &self.hex[..12]
    }
}

/// The key of the world `settings` describes on a Postgres build (`build` names the
/// server's exact version and binaries, or the image).
pub(crate) fn compute(settings: &Settings, build: &str) -> WorldKey {
    let mut text = String::new();
    let _ = writeln!(text, "plangate world data {DATA_VERSION}, generators of plangate {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(text, "postgres {build}");
    let _ = writeln!(text, "seed {}", settings.seed);
    let _ = writeln!(text, "scales {:?}", settings.scales);
    let _ = writeln!(text, "settings {:?}", settings.pg_settings);
    let _ = writeln!(text, "tables {:?}", settings.tables);
    let mut index_statements = Vec::new();
    for m in &settings.schema {
        // As the schema is applied: the tool's up part, psql's meta-commands (a dump's
        // `\restrict`) blanked.
        let sql = crate::sqltext::without_meta_commands(&m.sql).unwrap_or_else(|_| m.sql.clone());
        let (kept, indexes) = split_indexes(&sql);
        let _ = writeln!(text, "schema file\n{kept}");
        index_statements.extend(indexes);
    }
    WorldKey { hex: hex_sha256(text.as_bytes()), index_statements }
}

/// The text's other statements (trimmed, one per line: spacing between statements does
/// not count) and its plain `CREATE INDEX` statements. A unique index decides which rows
/// are kept, so it stays; a text the tokenizer cannot read stays whole.
fn split_indexes(sql: &str) -> (String, Vec<String>) {
    let Ok(statements) = crate::sqltext::statements(sql) else {
        return (sql.to_string(), Vec::new());
    };
    let mut kept = String::with_capacity(sql.len());
    let mut indexes = Vec::new();
    for s in statements {
        let text = sql[s.start..s.end].trim();
        let words = s.words();
        if words.len() >= 2 && words[0] == "CREATE" && words[1] == "INDEX" {
            indexes.push(text.to_string());
        } else {
            kept.push_str(text);
            kept.push_str(";\n");
        }
    }
    (kept, indexes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_indexes_are_taken_out_and_unique_ones_stay() {
        let sql = "CREATE TABLE t (a int, b int);\n\
                   CREATE INDEX t_a ON t (a);\n\
                   CREATE UNIQUE INDEX t_b ON t (b);\n\
                   -- CREATE INDEX in a comment\n\
                   create index concurrently t_ab on t (a, b) where a > 0;\n";
        let (kept, indexes) = split_indexes(sql);
        assert_eq!(indexes, ["CREATE INDEX t_a ON t (a)", "create index concurrently t_ab on t (a, b) where a > 0"]);
        assert!(kept.contains("CREATE UNIQUE INDEX t_b"), "{kept}");
        assert!(kept.contains("CREATE TABLE t"), "{kept}");
        assert!(!kept.contains("t_a ON"), "{kept}");
    }

    #[test]
    fn an_index_change_keeps_the_key_and_a_column_change_does_not() {
        let (a, _) = split_indexes("CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);\n");
        let (b, _) = split_indexes("CREATE TABLE t (a int);\nCREATE INDEX j ON t (a DESC);\n");
        let (c, _) = split_indexes("CREATE TABLE t (a bigint);\nCREATE INDEX i ON t (a);\n");
        let (d, _) = split_indexes("CREATE TABLE t (a int);\n\n");
        assert_eq!(a, b);
        assert_eq!(a, d);
        assert_ne!(a, c);
    }
}
