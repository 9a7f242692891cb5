//! The traps a literal EXPLAIN does not show, against real Postgres: a prepared statement's
//! generic plan, a parameter's skew, and columns that move together.

mod common;

use common::{Project, json_report, query};
use serde_json::Value;

/// Orders whose status is `done` on 95% of rows, with rare ones; indexes on status and
/// on the creation time, which a LIMIT-ordered list can walk instead.
const ORDERS_SCHEMA: &str = "
CREATE TABLE orders (
    id         bigserial PRIMARY KEY,
    status     text NOT NULL,
    created_at timestamptz NOT NULL,
    total      numeric(10, 2) NOT NULL
);
CREATE INDEX orders_status_idx ON orders (status);
CREATE INDEX orders_created_idx ON orders (created_at);
";

const ORDERS_CONFIG: &str = r#"
[scales]
factors = [0.1, 0.4, 1.0]
seed = 3
[thresholds]
repeats = 1
[tables.orders]
rows = 60_000
[tables.orders.columns]
status     = 'choice("done" = 0.95, "new" = 0.045, "lost" = 0.005)'
created_at = "timestamp(days = 700)"
total      = "float(1, 900)"
[query.recent_by_status]
params = ["skew(orders.status)"]
# The rare status is read whole and sorted for its 50 newest: set, the budget accepts it.
growth = "linear"
[query.order_by_id]
params = ["typical(orders.id)"]
"#;

fn orders() -> Project {
    Project::new(&[
        ("plangate.toml", ORDERS_CONFIG),
        ("schema/orders.sql", ORDERS_SCHEMA),
        (
            "queries/recent_by_status.sql",
            "SELECT id, total FROM orders WHERE status = $1 ORDER BY created_at LIMIT 50;\n",
        ),
        ("queries/order_by_id.sql", "SELECT status, total FROM orders WHERE id = $1;\n"),
    ])
}

fn case<'a>(q: &'a Value, name: &str) -> &'a Value {
    q["cases"].as_array().unwrap().iter().find(|c| c["case"] == name).unwrap_or_else(|| panic!("no case {name}: {q}"))
}

fn findings_of<'a>(c: &'a Value, kind: &str) -> Vec<&'a Value> {
    c["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == kind).collect()
}

#[test]
fn the_generic_plan_trap_is_found_for_the_rare_value_and_not_where_it_is_harmless() {
    let p = orders();
    let (code, report, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 0, "no baseline: findings are warnings\n{stderr}");
    let q = query(&report, "recent_by_status");
    let names: Vec<&str> = q["cases"].as_array().unwrap().iter().map(|c| c["case"].as_str().unwrap()).collect();
    assert_eq!(names, ["hot", "typical", "cold"], "skew() makes three cases");
    let cold = case(q, "cold");
    assert_eq!(cold["runs"][2]["params"][0], "lost", "the cold case runs the rarest status");
    let trap = findings_of(cold, "generic_plan");
    assert!(
        trap.iter().any(|f| f["scale"] == 1.0),
        "the rare value's generic plan is a trap at production's size: {}",
        serde_json::to_string_pretty(cold).unwrap()
    );
    let last = &cold["runs"][2];
    let generic = &last["generic"];
    assert_eq!(generic["chosen"], true, "the server settles on the generic plan: {last}");
    assert!(generic["work"].as_u64().unwrap() >= 2 * last["work"].as_u64().unwrap(), "{last}");
    assert!(generic["shape_diff"].is_string(), "both plans are in the report where they differ: {last}");
    // The hot value's custom plan is the generic one: nothing to report.
    assert!(findings_of(case(q, "hot"), "generic_plan").is_empty(), "{q}");
    // A lookup by key: the server settles on the generic plan too, and it is the same plan.
    let by_id = query(&report, "order_by_id");
    let run = &by_id["cases"][0]["runs"][2];
    assert_eq!(run["generic"]["chosen"], true, "{run}");
    assert!(run["generic"]["shape_diff"].is_null(), "{run}");
    assert!(findings_of(&by_id["cases"][0], "generic_plan").is_empty(), "{by_id}");

    // Blessed, the trap is known: the same check passes; the baseline records both plans.
    let (code, _, stderr) = p.run(&["bless"]);
    assert_eq!(code, 0, "{stderr}");
    let baseline: Value = serde_json::from_str(&p.read("baselines/recent_by_status.json")).unwrap();
    let cold = baseline["cases"].as_array().unwrap().iter().find(|c| c["case"] == "cold").unwrap();
    assert_eq!(cold["runs"][2]["generic"]["chosen"], true, "{cold}");
    let (code, _, stderr) = p.run(&["check"]);
    assert_eq!(code, 0, "{stderr}");

    // The generic plan, as Postgres prints it.
    let (code, out, stderr) = p.run(&["explain", "recent_by_status", "--case", "cold", "--generic"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(out.contains("the generic plan, which the server settles on"), "{out}");
    assert!(out.contains("$1"), "a generic plan is planned without the value: {out}");
    let (code, out, _) = p.run(&["explain", "recent_by_status", "--case", "cold"]);
    assert_eq!(code, 0);
    assert!(out.contains("'lost'"), "the custom plan has the value: {out}");
    p.assert_nothing_left();
}

#[test]
fn a_skewed_parameter_shows_fast_and_slow_values_side_by_side() {
    let p = orders();
    let (code, out, stderr) = p.run(&["check", "recent_by_status"]);
    assert_eq!(code, 0, "{stderr}");
    let line = out.lines().find(|l| l.contains("skew of orders.status")).unwrap_or_else(|| panic!("{out}"));
    assert!(line.starts_with("recent_by_status: skew of orders.status at scale 1: hot "), "{line}");
    assert!(line.contains("typical") && line.contains("cold"), "{line}");
    assert!(line.contains("plans differ"), "the hot and cold values are planned apart: {line}");
    assert!(line.contains("orders_status_idx") && line.contains("orders_created_idx"), "{line}");
    let (code, md, _) = p.run(&["check", "recent_by_status", "--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(md.contains("> `recent_by_status`: skew of orders.status"), "{md}");
}

#[test]
fn two_skews_in_one_case_are_refused_with_the_key() {
    let p = orders();
    // A generic plan of a query without parameters is asked for by mistake.
    p.write("queries/count_all.sql", "SELECT count(*) FROM orders;\n");
    let (code, _, stderr) = p.run(&["explain", "count_all", "--generic"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--generic") && stderr.contains("`count_all` has no parameters"), "{stderr}");
    p.write("queries/two.sql", "SELECT id FROM orders WHERE status = $1 AND id = $2;\n");
    let config = format!("{ORDERS_CONFIG}[query.two]\nparams = [\"skew(orders.status)\", \"skew(orders.id)\"]\n");
    p.write("plangate.toml", &config);
    let (code, _, stderr) = p.run(&["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("query.two.params") && stderr.contains("more than one skew()"), "{stderr}");
    p.assert_nothing_left();
}

/// People whose zip code is a function of their city. (Postgres counts a city with any
/// exception as not determining the zip code, so `noise` would hide the dependency from
/// `CREATE STATISTICS (dependencies)`; `mcv` statistics see through it.)
const PEOPLE_SCHEMA: &str = "
CREATE TABLE people (
    id   bigserial PRIMARY KEY,
    city int NOT NULL,
    zip  int NOT NULL,
    name text NOT NULL
);
";

const PEOPLE_CONFIG: &str = r#"
[scales]
factors = [0.2, 1.0]
[thresholds]
repeats = 1
[tables.people]
rows = 50_000
[tables.people.columns]
city = "int(1, 100)"
zip  = "depends(city, int(1, 60))"
"#;

/// The zip code of city 7, and the people of both: the planner multiplies the two
/// selectivities unless it knows that zip follows city.
const PEOPLE_QUERY: &str = "SELECT count(*) FROM people
WHERE city = 7 AND zip = (SELECT min(zip) FROM people WHERE city = 7);\n";

fn people(schema_extra: &str) -> Project {
    Project::new(&[
        ("plangate.toml", PEOPLE_CONFIG),
        ("schema/people.sql", &format!("{PEOPLE_SCHEMA}{schema_extra}")),
        ("queries/same_place.sql", PEOPLE_QUERY),
    ])
}

#[test]
fn correlated_columns_misestimate_until_the_planner_has_their_dependencies() {
    let p = people("");
    let (code, report, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 0, "{stderr}");
    let c = &query(&report, "same_place")["cases"][0];
    let found: Vec<&Value> = findings_of(c, "misestimate")
        .into_iter()
        .filter(|f| f["estimate"]["columns"] == serde_json::json!(["city", "zip"]))
        .collect();
    let f = found
        .iter()
        .find(|f| f["scale"] == 1.0)
        .unwrap_or_else(|| panic!("{}", serde_json::to_string_pretty(c).unwrap()));
    let e = &f["estimate"];
    assert_eq!(e["table"], "people", "{f}");
    let (est, act) = (e["estimated_rows"].as_f64().unwrap(), e["actual_rows"].as_f64().unwrap());
    assert!(act >= 10.0 * est, "zip follows city: far more rows than the planner thinks ({est} vs {act})");
    let detail = f["detail"].as_str().unwrap();
    assert!(detail.contains("Seq Scan on people") && detail.contains("city, zip"), "{detail}");
    assert!(detail.contains(&format!("estimated {est:.0} rows, got {act:.0}")), "{detail}");

    // The world really has the dependency: about one zip code per city.
    let with = people("CREATE STATISTICS people_city_zip (dependencies) ON city, zip FROM people;\n");
    let (code, report, stderr) = json_report(&with, &["check"]);
    assert_eq!(code, 0, "{stderr}");
    let c = &query(&report, "same_place")["cases"][0];
    let left: Vec<&Value> = findings_of(c, "misestimate")
        .into_iter()
        .filter(|f| f["estimate"]["columns"].as_array().is_some_and(|cols| cols.len() == 2))
        .collect();
    assert!(left.is_empty(), "with the dependency known the estimate holds: {left:?}");
}
