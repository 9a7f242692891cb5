//! The world cache: loaded worlds kept between runs and reused while nothing that decides
//! their data changed.
//!
//! An entry is the data directory of a cleanly stopped throwaway cluster that holds one
//! database per scale, with a manifest (every file's size and SHA-256) and what the run
//! learned while loading (rows per scale, notes). An entry is written under `tmp/` and
//! renamed to `worlds/<key>` once complete, so a half-written entry never carries a key. A
//! restore checks every file against the manifest while it copies: a corrupt entry is
//! dropped and the world rebuilt, never used. A run holds a shared lock on the entry it
//! copies; eviction (least recently used first, down to the size bound) and `cache clear`
//! take that lock exclusively and pass over entries in use.

mod error;
pub(crate) mod key;
mod manifest;
pub(crate) mod store;

pub(crate) use error::WorldError;
pub(crate) use key::{DATA_VERSION, WorldKey};
pub(crate) use manifest::{FileSum, Layout, verify};
pub(crate) use store::{Cache, Entry, EntryMeta};

use std::path::PathBuf;

use crate::config::CacheOptions;

impl From<&CacheOptions> for Cache {
    fn from(o: &CacheOptions) -> Cache {
        Cache { root: o.dir.clone(), max_bytes: o.max_bytes }
    }
}

/// The size bound when `PLANGATE_CACHE_MAX_SIZE` is not set.
pub(crate) const DEFAULT_MAX_BYTES: u64 = 10 << 30;

/// Where the cache lives unless told: `$XDG_CACHE_HOME/plangate`, else `~/.cache/plangate`;
/// None when neither is set.
pub(crate) fn default_dir() -> Option<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    env("XDG_CACHE_HOME").map(|d| d.join("plangate")).or_else(|| env("HOME").map(|d| d.join(".cache").join("plangate")))
}

/// A size such as `500M`, `10G`, `2GiB` or `1048576` (bytes), in bytes.
pub(crate) fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().ok()?;
    let shift = match unit.trim().to_ascii_uppercase().trim_end_matches("IB").trim_end_matches('B') {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return None,
    };
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let bytes = (number * (1u64 << shift) as f64) as u64;
    (number.is_finite() && number >= 0.0).then_some(bytes)
}

/// Bytes as a listing shows them: `812 MiB`, `3.4 GiB`.
pub(crate) fn human_size(bytes: u64) -> String {
    #[expect(clippy::cast_precision_loss)]
    let b = bytes as f64;
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..0x10_0000 => format!("{:.0} KiB", b / 1024.0),
        0x10_0000..0x4000_0000 => format!("{:.0} MiB", b / f64::from(1 << 20)),
        _ => format!("{:.1} GiB", b / f64::from(1 << 30)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1048576"), Some(1 << 20));
        assert_eq!(parse_size("500M"), Some(500 << 20));
        assert_eq!(parse_size("10G"), Some(10 << 30));
        assert_eq!(parse_size("2GiB"), Some(2 << 30));
        assert_eq!(parse_size("1.5g"), Some(3 << 29));
        assert_eq!(parse_size("ten"), None);
        assert_eq!(parse_size("5X"), None);
        assert_eq!(human_size(3 << 29), "1.5 GiB");
        assert_eq!(human_size(812 << 20), "812 MiB");
    }
}
