//! `plangate cache`: list, clear and locate the world cache.

use std::time::SystemTime;

use crate::cache::{self, Cache};
use crate::cli::{CacheAction, CacheArgs};
use crate::commands::Outcome;
use crate::error::{Error, Result};
use crate::progress::line as progress;

pub(crate) fn run(action: &CacheAction, args: &CacheArgs) -> Result<Outcome> {
    let Some(cache) = args.options().as_ref().map(Cache::from) else {
        let why = if args.no_cache {
            "--no-cache (or PLANGATE_NO_CACHE) is set"
        } else {
            "neither --cache-dir, PLANGATE_CACHE_DIR, XDG_CACHE_HOME nor HOME is set"
        };
        return Err(Error::Argument { flag: "--cache-dir".into(), detail: format!("no cache to use: {why}") });
    };
    match action {
        CacheAction::Dir => println!("{}", cache.root.display()),
        CacheAction::List => list(&cache),
        CacheAction::Clear => {
            let (removed, bytes, kept) = cache.clear();
            let busy = if kept > 0 { format!("; {kept} in use by a running plangate, kept") } else { String::new() };
            progress(&format!("removed {removed} cached worlds ({}){busy}", cache::human_size(bytes)));
        }
    }
    Ok(Outcome::Pass)
}

fn list(cache: &Cache) {
    let entries = cache.list();
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_header(["key", "size", "last used", "postgres", "scales", "rows at the largest scale"]);
    for e in &entries {
        let scales: Vec<String> = e.scales.iter().map(f64::to_string).collect();
        let rows: u64 = e.rows.values().sum();
        let tables = e.rows.len();
        let used = SystemTime::now().duration_since(e.used).map_or_else(|_| "now".into(), |d| ago(d.as_secs()));
        let (postgres, what) = if e.scales.is_empty() {
            ("-".to_string(), "an empty cluster, copied instead of running initdb".to_string())
        } else {
            (e.postgres_version.clone(), format!("{rows} in {tables} tables and partitions"))
        };
        table.add_row([
            format!("{}{}", &e.key[..12.min(e.key.len())], if e.in_use { " (in use)" } else { "" }),
            cache::human_size(e.bytes),
            used,
            postgres,
            scales.join(", "),
            what,
        ]);
    }
    let total: u64 = entries.iter().map(|e| e.bytes).sum();
    println!("{table}");
    println!(
        "{} worlds, {} of {} in {}",
        entries.len(),
        cache::human_size(total),
        cache::human_size(cache.max_bytes),
        cache.root.display()
    );
}

fn ago(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s ago"),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}
