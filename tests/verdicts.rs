//! Verdicts that blocks alone miss, against real Postgres: a sort of every row that reads
//! fewer blocks than the index it replaced, and a lookup whose work grows with its table
//! while what it returns does not.

mod common;

use common::{Project, json_report, kinds, query};
use serde_json::Value;

const ITEMS: &str =
    "CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL);\n";
const ITEMS_NAME_INDEX: &str = "CREATE INDEX items_name_idx ON items (name);\n";

const ITEMS_CONFIG: &str = r#"
[database]
settings = { random_page_cost = "1.1" }
[scales]
factors = [0.01, 0.1, 1.0]
[tables.items]
rows = 100_000
[tables.items.columns]
name = "unique(text(1, 3))"
price = "float(1, 500)"
[thresholds]
repeats = 1
[query.paging]
params = ["20", "40"]
"#;

/// A listing wrapped for paging, with the total beside each row.
const PAGING: &str = "SELECT *, count(*) OVER () AS total FROM (SELECT id, name, price FROM items ORDER BY name) t LIMIT $1 OFFSET $2;\n";

fn items(with_index: bool) -> Project {
    let schema = if with_index { format!("{ITEMS}{ITEMS_NAME_INDEX}") } else { ITEMS.to_string() };
    Project::new(&[("plangate.toml", ITEMS_CONFIG), ("schema/items.sql", &schema), ("queries/paging.sql", PAGING)])
}

#[test]
fn a_sort_of_every_row_is_a_regression_by_rows_processed_though_it_reads_fewer_blocks() {
    let p = items(true);
    let (code, report, stderr) = json_report(&p, &["bless"]);
    assert_eq!(code, 0, "{stderr}");
    let run = &query(&report, "paging")["cases"][0]["runs"][2];
    assert!(run["shape"].as_str().unwrap().contains("items_name_idx"), "the index serves the order: {run:#}");
    let baseline = p.read("baselines/paging.json");
    assert!(baseline.contains("\"rows_processed\"") && baseline.contains("\"rows_growth_exponent\""), "{baseline}");

    // The index is dropped: a sort of every row replaces it.
    p.write("schema/items.sql", ITEMS);
    let (code, report, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 1, "{stderr}");
    let q = query(&report, "paging");
    let run = &q["cases"][0]["runs"][2];
    assert!(run["shape"].as_str().unwrap().contains("Sort"), "{run:#}");
    let (work, was) = (run["work"].as_u64().unwrap(), run["baseline_work"].as_u64().unwrap());
    assert!(work < was, "the sort reads fewer blocks than the index did ({work} vs {was}): blocks miss it");
    let (rows, rows_was) = (run["rows_processed"].as_u64().unwrap(), run["baseline_rows_processed"].as_u64().unwrap());
    eprintln!("paging at scale 1: {work} blocks vs {was}, {rows} rows processed vs {rows_was}");
    assert!(rows > 2 * rows_was, "{rows} rows processed vs {rows_was}");
    let k = kinds(q);
    assert!(k.contains(&("rows_regression".into(), "error".into())), "{k:?}");
    assert!(!k.iter().any(|(kind, _)| kind == "work_regression"), "{k:?}");
    let text = p.run(&["check"]).1;
    assert!(text.contains("rows processed") && text.contains("rows_regression"), "{text}");

    // `suggest` builds the index back and says what it measured: fewer rows, far more blocks.
    let (code, out, stderr) = p.run(&["suggest", "paging", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let out: Value = serde_json::from_str(&out).unwrap();
    let tried = out["tried"].as_array().unwrap();
    let name = tried.iter().find(|t| t["ddl"].as_str().unwrap().ends_with("ON items (name)"));
    let name = name.unwrap_or_else(|| panic!("{out:#}"));
    let why = name["outcome"].as_str().unwrap();
    eprintln!("suggest on the paging query: {why}");
    assert!(why.starts_with("cuts rows processed from ") && why.contains("past 1.5x: left out"), "{name}");
    assert_eq!(name["kept"], false);
    p.assert_nothing_left();
}

#[test]
fn a_baseline_without_rows_processed_keeps_working_and_says_to_re_bless() {
    let p = items(true);
    let (code, _, stderr) = json_report(&p, &["bless"]);
    assert_eq!(code, 0, "{stderr}");
    // A baseline blessed before rows processed were measured.
    let mut b: Value = serde_json::from_str(&p.read("baselines/paging.json")).unwrap();
    for c in b["cases"].as_array_mut().unwrap() {
        c.as_object_mut().unwrap().remove("rows_growth_exponent");
        for r in c["runs"].as_array_mut().unwrap() {
            r.as_object_mut().unwrap().remove("rows_processed");
        }
    }
    p.write("baselines/paging.json", &serde_json::to_string_pretty(&b).unwrap());
    let (code, report, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 0, "{stderr}");
    let notes = report["notes"].to_string();
    assert!(notes.contains("before rows processed were measured") && notes.contains("plangate bless"), "{notes}");
    p.assert_nothing_left();
}

const AUDIT: &str = "
CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE audit (
    id bigserial PRIMARY KEY,
    account_id int NOT NULL REFERENCES accounts(id),
    at timestamptz NOT NULL,
    what text NOT NULL
);
";

const AUDIT_CONFIG: &str = r#"
[scales]
factors = [0.01, 0.1, 1.0]
[tables.accounts]
rows = 20_000
[tables.audit]
rows = 200_000
[thresholds]
repeats = 1
[query.account_audit]
params = ["any(accounts.id)"]
"#;

#[test]
fn a_lookup_whose_work_grows_while_its_result_does_not_fails_with_no_budget_set() {
    let queries = [
        ("queries/account_audit.sql", "SELECT id, at, what FROM audit WHERE account_id = $1 ORDER BY at;\n"),
        ("queries/audit_count.sql", "SELECT count(*) FROM audit;\n"),
        (
            "queries/audit_per_day.sql",
            "SELECT date_trunc('day', at) AS day, count(*) FROM audit GROUP BY 1 ORDER BY 1 DESC LIMIT 7;\n",
        ),
    ];
    let mut files = vec![("plangate.toml", AUDIT_CONFIG), ("schema/audit.sql", AUDIT)];
    files.extend(queries);
    let p = Project::new(&files);
    let (code, report, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 1, "{stderr}");
    let lookup = query(&report, "account_audit");
    let finding = lookup["cases"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "outgrows_result")
        .unwrap_or_else(|| panic!("{lookup:#}"));
    assert_eq!(finding["severity"], "error", "{finding:#}");
    assert_eq!(finding["node"], "Seq Scan on audit", "{finding:#}");
    let detail = finding["detail"].as_str().unwrap();
    assert!(detail.contains("grows with `audit` while the result does not"), "{detail}");
    assert!(lookup["cases"][0]["growth_exponent"].as_f64().unwrap() <= 1.15, "the linear budget alone passes it");
    // Summaries read what they summarise: no finding, though their result is as flat.
    for name in ["audit_count", "audit_per_day"] {
        let q = query(&report, name);
        assert_eq!(q["verdict"], "pass", "{q:#}");
        assert!(!q.to_string().contains("outgrows_result"), "{q:#}");
    }

    // With the index the lookup's work stays flat: no finding.
    p.write("schema/audit.sql", &format!("{AUDIT}CREATE INDEX audit_account_idx ON audit (account_id);\n"));
    let (code, report, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 0, "{stderr}\n{report:#}");
    // A budget set for the query wins over the rule.
    p.write("schema/audit.sql", AUDIT);
    p.write("plangate.toml", &format!("{AUDIT_CONFIG}growth = \"linear\"\n"));
    let (code, report, stderr) = json_report(&p, &["check", "account_audit"]);
    assert_eq!(code, 0, "{stderr}\n{report:#}");
    p.assert_nothing_left();
}
