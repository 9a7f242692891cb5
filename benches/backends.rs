//! Backend start-up and whole-check benchmarks (issue targets; not timed assertions).
//!
//! `cargo bench --bench backends`          start to first query: a throwaway server of each
//!                                         backend started, its first query answered, and
//!                                         removed, 5 rounds alternating local and container;
//!                                         prints every round and the medians.
//! `cargo bench --bench backends -- check` the full `plangate check` of the repo's catalog
//!                                         on each backend, 3 rounds alternating; medians.
//!
//! The container rounds need a Docker-API socket in `DOCKER_HOST` (see ci/container-runtime.sh);
//! `PLANGATE_BENCH_IMAGE` picks the image (default postgres:15, the local major version).

use std::process::Command;
use std::time::Instant;

use plangate::config::Overrides;
use plangate::config::Settings;
use plangate::postgres::{Server, Target};
use sqlx::Connection;

const ROUNDS: usize = 5;
const CHECK_ROUNDS: usize = 3;

fn main() {
    let image = std::env::var("PLANGATE_BENCH_IMAGE").unwrap_or_else(|_| "postgres:15".into());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    if rt.block_on(plangate::postgres::container::runtime()).is_none() {
        eprintln!("no Docker-API runtime answers at {}; set DOCKER_HOST", plangate::postgres::container::docker_host());
        std::process::exit(2);
    }
    if std::env::args().any(|a| a == "check") {
        whole_check(&image);
    } else {
        rt.block_on(start_to_first_query(&image));
    }
}

async fn start_to_first_query(image: &str) {
    let root = env!("CARGO_MANIFEST_DIR");
    let settings =
        Settings::load(&Overrides { config: Some(format!("{root}/plangate.toml").into()), ..Overrides::default() })
            .unwrap();
    let local = Target::local().expect("Postgres server binaries");
    let targets = [("local", local), ("container", Target::Container(image.to_string()))];
    let mut ms: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for round in 1..=ROUNDS {
        for (i, (name, target)) in targets.iter().enumerate() {
            let t = Instant::now();
            let server = Server::start(&settings, target).await.unwrap();
            let mut conn = server.connect().await.unwrap();
            let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&mut conn).await.unwrap();
            let took = t.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(one, 1);
            let _ = conn.close().await;
            let t = Instant::now();
            server.shutdown().await.unwrap();
            println!("round {round}: {name:9} start to first query {took:7.0} ms (removal {:.0} ms)", ms_since(t));
            ms[i].push(took);
        }
    }
    let (local, container) = (median(&mut ms[0]), median(&mut ms[1]));
    println!(
        "median of {ROUNDS}: local {local:.0} ms, container ({image}) {container:.0} ms; container/local {:.2}x",
        container / local
    );
}

fn whole_check(image: &str) {
    let exe = env!("CARGO_BIN_EXE_plangate");
    let backends: [(&str, Vec<&str>); 2] =
        [("local", vec!["--backend", "local"]), ("container", vec!["--backend", "container", "--image", image])];
    let mut ms: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for round in 1..=CHECK_ROUNDS {
        for (i, (name, args)) in backends.iter().enumerate() {
            let t = Instant::now();
            let out = Command::new(exe)
                .arg("check")
                .args(args)
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .output()
                .expect("plangate runs");
            let took = t.elapsed().as_secs_f64() * 1000.0;
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            println!("round {round}: {name:9} check {took:7.0} ms");
            ms[i].push(took);
        }
    }
    let (local, container) = (median(&mut ms[0]), median(&mut ms[1]));
    println!(
        "median of {CHECK_ROUNDS}: local {local:.0} ms, container ({image}) {container:.0} ms; container/local {:.2}x",
        container / local
    );
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
