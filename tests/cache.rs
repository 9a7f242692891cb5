//! The world cache on real Postgres: a warm run measures exactly what a cold run measures,
//! an index change reuses the data, a changed generator does not, a damaged entry is
//! rebuilt and never used, two runs share a cache safely, and nothing is left behind.

mod common;

use common::{Project, SHOP_DATA, SHOP_TABLES, json_report};
use serde_json::Value;

/// Everything a run measured that a verdict rests on, per query, case and scale.
fn measured(report: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for q in report["queries"].as_array().unwrap() {
        for c in q["cases"].as_array().unwrap() {
            for r in c["runs"].as_array().unwrap() {
                out.push(format!(
                    "{} {} {}: work {} rows {} params {} estimated {} actual {} shape {}",
                    q["name"],
                    c["case"],
                    r["scale"],
                    r["work"],
                    r["rows"],
                    r["params"],
                    r["plan_rows"],
                    r["actual_rows"],
                    r["shape"]
                ));
            }
            out.push(format!("{} {} findings {} verdict {}", q["name"], c["case"], c["findings"], c["verdict"]));
        }
    }
    out
}

fn world(report: &Value) -> &str {
    report["timings"]["world"].as_str().unwrap()
}

/// The shop at 100k products, with a listing, a lookup, an expression lookup and an aggregate.
/// The shop with two queries that miss an index (the listing its composite one, the lookup
/// by `lower(name)` an expression index): these tests judge the cache, so their budgets are
/// set and accept it.
fn shop() -> Project {
    let config = SHOP_DATA.replace("rows = 340_000", "rows = 100_000")
        + "[thresholds]\nrepeats = 1\n\
           [query.listing]\nparams = [\"hot(products.category_id)\"]\ngrowth = \"linear\"\n\
           [query.by_id]\nparams = [\"typical(products.id)\"]\n\
           [query.by_name]\nparams = [\"typical(products.name)\"]\ngrowth = \"linear\"\n";
    Project::new(&[
        ("plangate.toml", &config),
        (
            "schema/shop.sql",
            &format!(
                "{SHOP_TABLES}\nCREATE INDEX products_category_idx ON products (category_id);\n\
                 CREATE INDEX products_created_idx ON products (created_at);\n"
            ),
        ),
        (
            "queries/listing.sql",
            "SELECT id, name, price FROM products WHERE category_id = $1 AND active\n\
             ORDER BY featured DESC, created_at DESC LIMIT 20;\n",
        ),
        (
            "queries/by_id.sql",
            "SELECT p.id, p.name, c.name FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = $1;\n",
        ),
        ("queries/by_name.sql", "SELECT id FROM products WHERE lower(name) = lower($1);\n"),
        ("queries/per_category.sql", "SELECT category_id, count(*) FROM products GROUP BY category_id;\n"),
    ])
}

fn check(p: &Project, extra: &[&str]) -> Value {
    let mut args = vec!["check"];
    args.extend(extra);
    let (code, report, stderr) = json_report(p, &args);
    assert_eq!(code, 0, "{stderr}\n{report:#}");
    report
}

fn cached_worlds(p: &Project) -> Vec<String> {
    let (code, out, err) = p.run(&["cache", "list"]);
    assert_eq!(code, 0, "{err}");
    out.lines().filter(|l| l.contains("tables and partitions")).map(str::to_string).collect()
}

#[test]
fn a_warm_run_measures_exactly_what_a_cold_run_measures() {
    let p = shop();
    let cold = check(&p, &[]);
    assert_eq!(world(&cold), "built and cached");
    let warm = check(&p, &[]);
    assert_eq!(world(&warm), "cached");
    assert!(warm["timings"]["loads"].as_array().unwrap().is_empty(), "a warm run loads nothing");
    let uncached = check(&p, &["--no-cache"]);
    assert_eq!(world(&uncached), "built");
    assert_eq!(measured(&warm), measured(&cold));
    assert_eq!(measured(&uncached), measured(&cold));
    assert_eq!(cached_worlds(&p).len(), 1, "{:?}", cached_worlds(&p));
    p.assert_nothing_left();
}

#[test]
fn an_index_change_reuses_the_data_and_matches_a_cold_run() {
    let p = shop();
    check(&p, &[]);
    // A plain and an expression index: the second needs statistics of its expression.
    let schema = p.read("schema/shop.sql");
    p.write(
        "schema/shop.sql",
        &format!(
            "{schema}CREATE INDEX products_listing_idx ON products (category_id, featured DESC, created_at DESC) WHERE active;\n\
             CREATE INDEX products_lower_name_idx ON products (lower(name));\n"
        ),
    );
    let (code, warm, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(world(&warm), "cached, indexes rebuilt");
    assert!(stderr.contains("scale 1: rebuilt the indexes of products"), "{stderr}");
    let shapes = measured(&warm).join("\n");
    assert!(shapes.contains("products_listing_idx") && shapes.contains("products_lower_name_idx"), "{shapes}");
    let cold = check(&p, &["--no-cache"]);
    assert_eq!(measured(&warm), measured(&cold));
    // An index dropped again: back to the world as cached.
    p.write("schema/shop.sql", &schema);
    let again = check(&p, &[]);
    assert_eq!(world(&again), "cached");
    assert_eq!(cached_worlds(&p).len(), 1);
    p.assert_nothing_left();
}

#[test]
fn what_decides_the_data_builds_a_new_world_and_what_does_not_reuses_it() {
    let p = shop();
    check(&p, &[]);
    // A new query and new thresholds: the same world.
    p.write("queries/newest.sql", "SELECT id FROM products ORDER BY created_at DESC LIMIT 5;\n");
    let config = p.read("plangate.toml").replace("repeats = 1", "repeats = 2\nmisestimate_factor = 20");
    p.write("plangate.toml", &config);
    assert_eq!(world(&check(&p, &[])), "cached");
    // A generator, a seed, the scales: each a world of its own.
    p.write("plangate.toml", &config.replace("bool(0.05)", "bool(0.06)"));
    assert_eq!(world(&check(&p, &[])), "built and cached");
    assert_eq!(world(&check(&p, &["--seed", "43"])), "built and cached");
    assert_eq!(world(&check(&p, &["--scales", "0.3,1"])), "built and cached");
    // A column's type in the schema.
    let schema = p.read("schema/shop.sql").replace("price numeric(10, 2)", "price numeric(12, 2)");
    p.write("schema/shop.sql", &schema);
    assert_eq!(world(&check(&p, &[])), "built and cached");
    assert_eq!(cached_worlds(&p).len(), 5);
    p.assert_nothing_left();
}

/// The largest file of a cached world's data, as kept: the file holding it, where it starts
/// there, and its length (in the entry's folder, or inside its archive).
fn largest_file(entry: &std::path::Path) -> (std::path::PathBuf, u64, u64) {
    let archive = entry.join("world.tar");
    let mut best = (archive.clone(), 0, 0);
    if archive.exists() {
        let mut tar = tar::Archive::new(std::fs::File::open(&archive).unwrap());
        for e in tar.entries().unwrap() {
            let e = e.unwrap();
            if e.size() > best.2 {
                best = (archive.clone(), e.raw_file_position(), e.size());
            }
        }
        return best;
    }
    let mut stack = vec![entry.join("data")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else if m.len() > best.2 {
                best = (e.path(), 0, m.len());
            }
        }
    }
    best
}

fn world_dirs(p: &Project) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(p.cache.join("worlds"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|d| std::fs::read_to_string(d.join("entry.json")).is_ok_and(|t| !t.contains("\"scales\": []")))
        .collect()
}

#[test]
fn a_damaged_or_half_written_entry_is_rebuilt_and_never_used() {
    let p = shop();
    let cold = check(&p, &[]);
    let entry = world_dirs(&p).pop().unwrap();
    // One flipped bit in the largest table file.
    let (file, start, len) = largest_file(&entry);
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = usize::try_from(start + len / 2).unwrap();
    bytes[middle] ^= 0x10;
    std::fs::write(&file, bytes).unwrap();
    let (code, rebuilt, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("the cached world is damaged") && stderr.contains("does not match its manifest"),
        "{stderr}"
    );
    assert_eq!(world(&rebuilt), "built and cached");
    assert_eq!(measured(&rebuilt), measured(&cold));
    // Its description cut short, as by a crash while it was written.
    let entry = world_dirs(&p).pop().unwrap();
    let json = std::fs::read_to_string(entry.join("entry.json")).unwrap();
    std::fs::write(entry.join("entry.json"), &json[..json.len() / 2]).unwrap();
    let (code, rebuilt, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("could not be read"), "{stderr}");
    assert_eq!(world(&rebuilt), "built and cached");
    assert_eq!(measured(&rebuilt), measured(&cold));
    assert_eq!(world(&check(&p, &[])), "cached");
    p.assert_nothing_left();
}

#[test]
fn two_runs_at_once_share_one_cache() {
    let p = shop();
    let start = || p.cmd(&["check", "--format", "json"]).output().unwrap();
    let two_at_once = || {
        std::thread::scope(|scope| {
            let first = scope.spawn(start);
            let second = scope.spawn(start);
            (first.join().unwrap(), second.join().unwrap())
        })
    };
    let report = |o: &std::process::Output| -> Value {
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let (first, second) = two_at_once();
    let (first, second) = (report(&first), report(&second));
    assert_eq!(measured(&first), measured(&second));
    assert_eq!(cached_worlds(&p).len(), 1);
    // Two warm runs at once, each on its own copy.
    let (third, fourth) = two_at_once();
    let (third, fourth) = (report(&third), report(&fourth));
    assert_eq!((world(&third), world(&fourth)), ("cached", "cached"));
    assert_eq!(measured(&third), measured(&first));
    assert_eq!(measured(&fourth), measured(&first));
    let left: Vec<_> = std::fs::read_dir(p.cache.join("tmp")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "{left:?}");
    p.assert_nothing_left();
}

#[test]
fn the_cache_is_listed_bounded_and_cleared() {
    let p = shop();
    check(&p, &[]);
    let (code, out, _) = p.run(&["cache", "list"]);
    assert_eq!(code, 0);
    assert!(out.contains("0.035, 0.3, 1") && out.contains("100400 in 2 tables"), "{out}");
    assert!(out.contains("an empty cluster, copied instead of running initdb"), "{out}");
    let (_, dir, _) = p.run(&["cache", "dir"]);
    assert_eq!(dir.trim(), p.cache.display().to_string());
    // A bound smaller than the world: the run's results stand, the world is not kept.
    p.run(&["cache", "clear"]);
    let (code, report, stderr) = json_report(&p, &["check", "--cache-max-size", "20M"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("this world was not kept") && stderr.contains("more than the cache's bound"), "{stderr}");
    assert_eq!(world(&report), "built");
    assert!(cached_worlds(&p).is_empty());
    let (code, _, stderr) = p.run(&["cache", "clear"]);
    assert_eq!(code, 0);
    assert!(stderr.contains("removed"), "{stderr}");
    // --no-cache writes nothing at all.
    check(&p, &["--no-cache"]);
    assert!(std::fs::read_dir(p.cache.join("worlds")).unwrap().next().is_none());
    p.assert_nothing_left();
}

#[test]
fn a_bad_cache_setting_is_an_error_that_names_it() {
    let p = shop();
    let (code, _, stderr) = p.run(&["check", "--cache-max-size", "lots"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--cache-max-size") && stderr.contains("500M"), "{stderr}");
    let (code, _, stderr) = p.run(&["cache", "list", "--no-cache"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--no-cache"), "{stderr}");
    // A cache folder that cannot be made: said before anything starts, with the way out.
    p.write("not-a-folder", "");
    let (code, _, stderr) = p.run(&["check", "--cache-dir", "not-a-folder/cache"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("the world cache not-a-folder/cache cannot be written"), "{stderr}");
    assert!(stderr.contains("--no-cache") && !stderr.contains("ready"), "{stderr}");
    p.assert_nothing_left();
}

/// A `pg_dump` schema with partitioned tables: warm equals cold, and a new index on a
/// partitioned table reaches every partition under the names a fresh load gives them.
#[test]
fn a_pg_dump_world_with_partitions_is_reused_and_reindexed_exactly() {
    let p = Project::from_data("helpdesk");
    let cold = check(&p, &[]);
    let warm = check(&p, &[]);
    assert_eq!(world(&warm), "cached");
    assert_eq!(measured(&warm), measured(&cold));
    p.write("queries/kinds.sql", "SELECT count(*) FROM app.events WHERE kind = 'reopened';\n");
    let schema = p.read("schema/helpdesk.sql");
    p.write("schema/helpdesk.sql", &format!("{schema}\nCREATE INDEX events_kind_idx ON app.events (kind);\n"));
    let reindexed = check(&p, &[]);
    assert_eq!(world(&reindexed), "cached, indexes rebuilt");
    let cold = check(&p, &["--no-cache"]);
    assert_eq!(measured(&reindexed), measured(&cold));
    assert!(measured(&cold).join("\n").contains("events_2024_"), "{:?}", measured(&cold));
    p.assert_nothing_left();
}

/// A `pg_dump` of tables in `public`, whose partitioned indexes are written as `pg_dump`
/// writes them (`ON ONLY` the parent, each partition's own, then `ATTACH PARTITION`): one
/// of them changed in the dump is rebuilt on the kept world, under the dump's names, and
/// measures what a cold load of the changed dump measures. (The dump empties
/// `search_path`; reading the changed schema back once failed on it.)
#[test]
fn a_changed_partitioned_index_of_a_public_pg_dump_is_rebuilt_on_the_kept_world() {
    let p = Project::from_corpus("hatchet");
    let cold = check(&p, &[]);
    assert_eq!(world(&cold), "built and cached");
    let dump = p.read("schema/hatchet.sql");
    let changed =
        dump.replace("USING btree (tenant_id, created_at DESC, level);", "USING btree (tenant_id, created_at, level);");
    assert_eq!(
        dump.matches("USING btree (tenant_id, created_at DESC, level);").count(),
        4,
        "the parent's and 3 partitions'"
    );
    p.write("schema/hatchet.sql", &changed);
    let reindexed = check(&p, &[]);
    assert_eq!(world(&reindexed), "cached, indexes rebuilt");
    let again = check(&p, &["--no-cache"]);
    assert_eq!(measured(&reindexed), measured(&again));
    p.assert_nothing_left();
}

/// A world built in memory (no TMPDIR) is kept as one archive, and a warm run from it
/// measures what the cold run measured; one built on disk is moved in as its folder.
#[test]
fn a_world_built_in_memory_is_kept_as_an_archive_and_measures_the_same() {
    let p = shop();
    let in_memory = |args: &[&str]| {
        let out = p.cmd(args).env_remove("TMPDIR").output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        (serde_json::from_slice::<Value>(&out.stdout).unwrap(), stderr)
    };
    let (cold, stderr) = in_memory(&["check", "--format", "json"]);
    if !stderr.contains("in memory") {
        eprintln!("no room in /dev/shm here: the cluster ran on disk");
        return;
    }
    assert_eq!(world(&cold), "built and cached");
    let entry = world_dirs(&p).pop().unwrap();
    assert!(entry.join("world.tar").is_file() && !entry.join("data").exists(), "{}", entry.display());
    let (warm, _) = in_memory(&["check", "--format", "json"]);
    assert_eq!(world(&warm), "cached");
    assert_eq!(measured(&warm), measured(&cold));
    // On disk (the test's TMPDIR, on the cache's file system): a folder.
    assert_eq!(world(&check(&p, &["--seed", "5"])), "built and cached");
    assert!(world_dirs(&p).iter().any(|d| d.join("data").is_dir() && !d.join("world.tar").exists()));
    p.assert_nothing_left();
}

#[test]
fn a_read_only_cache_is_exit_2_naming_it_before_anything_starts() {
    let test = "a_read_only_cache_is_exit_2_naming_it_before_anything_starts";
    let p = shop();
    let at = p.dir.path().join("read-only-cache");
    let Some(ro) = common::SmallFs::mount(&at, "ro,size=1m") else {
        common::did_not_run(test, "this process may not mount a tmpfs (it needs root or CAP_SYS_ADMIN)");
        return;
    };
    let out = p.cmd(&["check"]).env("PLANGATE_CACHE_DIR", &ro.0).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("the world cache {} cannot be written", ro.0.display())), "{stderr}");
    assert!(stderr.contains("Read-only file system"), "the cause: {stderr}");
    assert!(stderr.contains("--no-cache"), "the way out: {stderr}");
    assert!(!stderr.contains("ready"), "nothing started: {stderr}");
    drop(ro);
    p.assert_nothing_left();
}

/// Two runs share one cache and one of them is killed while it keeps its world: the other
/// finishes as a run alone would, and the next run removes what the killed one left and
/// says so.
#[test]
fn two_runs_share_a_cache_while_one_of_them_is_killed() {
    use std::io::BufRead;
    let p = shop();
    let alone = check(&p, &["--no-cache"]);
    let mut victim = p.cmd(&["check", "--format", "json"]).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let other = std::thread::scope(|scope| {
        let other = scope.spawn(|| p.cmd(&["check", "--format", "json"]).output().unwrap());
        // Killed once it has measured everything: while it stops its server to keep the world.
        let mut lines = std::io::BufReader::new(victim.stderr.take().unwrap()).lines();
        for line in lines.by_ref() {
            if line.unwrap().contains("scale 1: measured") {
                break;
            }
        }
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(i32::try_from(victim.id()).unwrap()),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        let _ = victim.wait();
        other.join().unwrap()
    });
    assert_eq!(other.status.code(), Some(0), "{}", String::from_utf8_lossy(&other.stderr));
    let other: Value = serde_json::from_slice(&other.stdout).unwrap();
    assert_eq!(measured(&other), measured(&alone), "the run that was not killed measures as a run alone");
    // The next run: on the kept world, measuring the same, with nothing half-written left.
    let (code, next, stderr) = json_report(&p, &["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(world(&next), "cached", "{stderr}");
    assert_eq!(measured(&next), measured(&alone));
    let left: Vec<_> = std::fs::read_dir(p.cache.join("tmp")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "half-written entries left: {left:?}\n{stderr}");
    // Its cluster went with its watchdog.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !common::processes_mentioning(&p.tmp).is_empty() || std::fs::read_dir(&p.tmp).unwrap().next().is_some() {
        assert!(std::time::Instant::now() < deadline, "the killed run's cluster stayed");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    p.assert_nothing_left();
}
