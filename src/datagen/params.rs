//! Query parameters sampled from the generated data at each scale, with plain SQL.

use sqlx::AssertSqlSafe;
use sqlx::postgres::PgConnection;

use crate::config::catalog::{ParamSpec, Sampler, sql_literal};
use crate::datagen::load::{quote_ident, quote_qualified};
use crate::datagen::random::{CellRng, hash_str};
use crate::error::{Error, Result};

/// A sampled or literal value: its text (for reports and baselines) and its SQL literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParamValue {
    pub(crate) text: Option<String>,
    pub(crate) sql: String,
}

/// Evaluate the parameters of one case against the loaded data.
pub(crate) async fn sample(
    conn: &mut PgConnection,
    query: &str,
    specs: &[ParamSpec],
    seed: u64,
) -> Result<Vec<ParamValue>> {
    let mut out = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let text = match spec {
            ParamSpec::Literal(v) => v.clone(),
            ParamSpec::Sample { how, table, column } => {
                let (t, c) = (quote_qualified(table), quote_ident(column));
                let freq = format!("SELECT {c} AS v, count(*) AS n FROM {t} WHERE {c} IS NOT NULL GROUP BY {c}");
                let sql = match how {
                    Sampler::Hot => {
                        format!("SELECT v::text FROM ({freq}) f ORDER BY n DESC, v LIMIT 1")
                    }
                    Sampler::Cold => {
                        format!("SELECT v::text FROM ({freq}) f ORDER BY n, v LIMIT 1")
                    }
                    Sampler::Typical => format!(
                        "SELECT v::text FROM ({freq}) f ORDER BY n, v OFFSET (SELECT count(*) FROM ({freq}) g) / 2 LIMIT 1"
                    ),
                    Sampler::Any => {
                        let mut rng = CellRng::new(seed ^ hash_str(table) ^ hash_str(column), i as u64);
                        let pick = rng.draw() % 1_000_003;
                        format!(
                            "SELECT v::text FROM (SELECT DISTINCT {c} AS v FROM {t} WHERE {c} IS NOT NULL) d ORDER BY v
                             OFFSET {pick} % GREATEST((SELECT count(DISTINCT {c}) FROM {t}), 1) LIMIT 1"
                        )
                    }
                };
                let v: Option<String> =
                    sqlx::query_scalar(AssertSqlSafe(sql)).fetch_optional(&mut *conn).await.map_err(|e| {
                        Error::postgres(
                            format!("sampling parameter ${} of query `{query}` from {table}.{column}", i + 1),
                            e,
                        )
                    })?;
                match v {
                    Some(v) => Some(v),
                    None => {
                        return Err(Error::Postgres {
                            what: format!(
                                "sampling parameter ${} of query `{query}`: {table}.{column} has no values",
                                i + 1
                            ),
                            source: None,
                        });
                    }
                }
            }
        };
        out.push(ParamValue { sql: sql_literal(text.as_deref()), text });
    }
    Ok(out)
}
