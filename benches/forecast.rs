//! Forecast accuracy and time, measured (not a timed assertion).
//!
//! `cargo bench --bench forecast`            the repo's shop and every project of the real-schema
//!                                           corpus (tests/corpus): each forecast from a world of
//!                                           scale 1.0 to 3x and 10x, then loaded at those sizes for
//!                                           real; prints, per (query, case, scale), whether the
//!                                           forecast plan's shape is the loaded one's, the
//!                                           estimated rows at the root and at each scan and the
//!                                           estimated cost (forecast / loaded), then the share of
//!                                           equal shapes, and the forecast's time per scale.
//! `cargo bench --bench forecast -- NAME...` only these projects (`shop` is the repo's own).
//!
//! Runs on the local backend, without the world cache.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const FORECAST: [f64; 2] = [3.0, 10.0];

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let wanted: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let mut projects = vec![("shop".to_string(), root.join("plangate.toml"))];
    let mut corpus: Vec<PathBuf> = std::fs::read_dir(root.join("tests/corpus"))
        .expect("tests/corpus")
        .filter_map(|e| e.ok().map(|e| e.path().join("plangate.toml")))
        .filter(|p| p.is_file())
        .collect();
    corpus.sort();
    for p in corpus {
        let name = p.parent().and_then(Path::file_name).unwrap().to_string_lossy().into_owned();
        projects.push((name, p));
    }
    projects.retain(|(n, _)| wanted.is_empty() || wanted.contains(n));
    let out = tempfile::tempdir().unwrap();
    let (mut points, mut equal) = (0usize, 0usize);
    let mut differ = Vec::new();
    let mut times: Vec<(String, f64, u64, u64, usize)> = Vec::new();
    println!(
        "{:<14} {:<22} {:<10} {:>5}  {:<5}  {:>9}  {:>9}  {:>9}",
        "project", "query", "case", "scale", "shape", "root rows", "scan rows", "cost"
    );
    for (name, config) in &projects {
        let forecast = out.path().join(format!("{name}-forecast.json"));
        let loaded = out.path().join(format!("{name}-loaded.json"));
        let list = FORECAST.map(|f| f.to_string()).join(",");
        let (Some(f), Some(l)) = (
            check(config, &["--scales", "1", "--forecast", &list], &forecast),
            check(config, &["--scales", &format!("1,{list}"), "--forecast", "none"], &loaded),
        ) else {
            println!("{name:<14} (did not run: see above)");
            continue;
        };
        for t in f["timings"]["forecasts"].as_array().into_iter().flatten() {
            let cases = f["queries"]
                .as_array()
                .map_or(0, |q| q.iter().map(|q| q["cases"].as_array().map_or(0, Vec::len)).sum());
            times.push((
                name.clone(),
                t["scale"].as_f64().unwrap(),
                t["build_ms"].as_u64().unwrap(),
                t["plan_ms"].as_u64().unwrap(),
                cases,
            ));
        }
        for (fq, lq) in f["queries"].as_array().unwrap().iter().zip(l["queries"].as_array().unwrap()) {
            for (fc, lc) in fq["cases"].as_array().unwrap().iter().zip(lq["cases"].as_array().unwrap()) {
                for fp in fc["forecast"].as_array().into_iter().flatten() {
                    let scale = fp["scale"].as_f64().unwrap();
                    let Some(lp) = lc["runs"].as_array().unwrap().iter().find(|r| r["scale"].as_f64() == Some(scale))
                    else {
                        continue;
                    };
                    points += 1;
                    let same = fp["shape"] == lp["shape"];
                    equal += usize::from(same);
                    let ratio = |a: f64, b: f64| a.max(1.0) / b.max(1.0);
                    let root = ratio(fp["estimated_rows"].as_f64().unwrap(), lp["plan_rows"].as_f64().unwrap());
                    let scans = worst_scan(&fp["scans"], &lp["scans"]);
                    let cost =
                        ratio(fp["estimated_cost"].as_f64().unwrap(), lp["estimated_cost"].as_f64().unwrap_or(0.0));
                    println!(
                        "{name:<14} {:<22} {:<10} {scale:>5}  {:<5}  {root:>9.2}  {:>9}  {cost:>9.2}",
                        fq["name"].as_str().unwrap(),
                        fc["case"].as_str().unwrap(),
                        if same { "equal" } else { "DIFF" },
                        scans.map_or("-".into(), |s| format!("{s:.2}"))
                    );
                    if !same {
                        differ.push(format!(
                            "{name} {} ({}) at {scale}x:\n  forecast: {}\n  loaded:   {}",
                            fq["name"].as_str().unwrap(),
                            fc["case"].as_str().unwrap(),
                            one_line(&fp["shape"]),
                            one_line(&lp["shape"])
                        ));
                    }
                }
            }
        }
    }
    #[expect(clippy::cast_precision_loss)]
    let share = 100.0 * equal as f64 / points.max(1) as f64;
    println!("\nforecast shape equals the loaded shape: {equal} of {points} points ({share:.1}%)");
    for d in &differ {
        println!("{d}");
    }
    println!("\nforecast time (world sampled and projected, then every case planned):");
    for (name, scale, build, plan, cases) in &times {
        println!("  {name:<14} {scale:>5}x  build {build:>6} ms  plan {plan:>4} ms  ({cases} cases)");
    }
}

/// Run `plangate check` on `config` with `args`, the JSON report into `out`.
fn check(config: &Path, args: &[&str], out: &Path) -> Option<Value> {
    let status = Command::new(env!("CARGO_BIN_EXE_plangate"))
        .args(["check", "--quiet", "--backend", "local", "--no-cache", "--format", "json", "--config"])
        .arg(config)
        .args(args)
        .arg("--output")
        .arg(out)
        .status()
        .unwrap();
    if status.code() == Some(2) {
        eprintln!("{}: plangate check {} exited with 2", config.display(), args.join(" "));
        return None;
    }
    serde_json::from_str(&std::fs::read_to_string(out).ok()?).ok()
}

/// The scan whose estimated rows differ most (forecast / loaded, or its inverse), matched by
/// the node's label in plan order.
fn worst_scan(forecast: &Value, loaded: &Value) -> Option<f64> {
    let (f, l) = (forecast.as_array()?, loaded.as_array()?);
    let mut worst: Option<f64> = None;
    for fs in f {
        let Some(ls) = l.iter().find(|s| s["node"] == fs["node"]) else { continue };
        let r = fs["estimated_rows"].as_f64()?.max(1.0) / ls["estimated_rows"].as_f64()?.max(1.0);
        if worst.is_none_or(|w| (r.ln()).abs() > w.ln().abs()) {
            worst = Some(r);
        }
    }
    worst
}

fn one_line(shape: &Value) -> String {
    shape.as_str().unwrap_or("").lines().map(str::trim).collect::<Vec<_>>().join(" > ")
}
