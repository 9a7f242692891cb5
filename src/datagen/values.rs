//! Values that several generators write: the word list, and plausible values of the
//! Postgres types inference fills (bytea, tsvector, inet, ranges, ...), in COPY text format.

use std::io::Write;

use crate::calendar::write_time;
use crate::config::generator::TypedGen;
use crate::datagen::random::CellRng;

/// Words for `text()`. Short, lowercase, no characters COPY or arrays would need to escape.
pub(crate) const WORDS: &[&str] = &[
    "amber", "anchor", "apple", "arrow", "aspen", "atlas", "autumn", "badge", "basil", "beacon", "berry", "birch",
    "blaze", "bloom", "bolt", "breeze", "brick", "bridge", "brook", "cable", "cactus", "canyon", "carbon", "cedar",
    "chalk", "cherry", "cider", "citrus", "clover", "cobalt", "comet", "copper", "coral", "cotton", "crane", "crystal",
    "dawn", "delta", "denim", "desert", "dune", "eagle", "ember", "falcon", "fern", "field", "flint", "forest",
    "frost", "garnet", "glacier", "granite", "harbor", "hazel", "heron", "indigo", "iris", "ivory", "jade", "jasper",
    "juniper", "kettle", "lagoon", "lantern", "lemon", "linen", "lotus", "maple", "marble", "meadow", "mesa", "mint",
    "mist", "moss", "nectar", "nickel", "oak", "ocean", "olive", "onyx", "orbit", "orchid", "otter", "pebble",
    "pepper", "pine", "plum", "prairie", "quartz", "quill", "rain", "raven", "reef", "ridge", "river", "robin",
    "saffron", "sage", "salt", "sand", "shadow", "silk", "silver", "slate", "spruce", "stone", "storm", "summit",
    "sun", "thistle", "thunder", "tide", "timber", "topaz", "tulip", "valley", "velvet", "violet", "walnut", "willow",
    "winter", "wren", "zephyr",
];

/// A value of an inferred type, in COPY text format.
/// A value of an inferred type distinct for every row: made from the row's number (`row`),
/// random around it where the type leaves room. Errors say why a type cannot be.
pub(crate) fn typed_can_be_unique(t: TypedGen) -> Result<(), &'static str> {
    match t {
        TypedGen::Letter => Err("unique() of a \"char\" column: it has 26 values"),
        _ => Ok(()),
    }
}

/// Write the value of `t` for row `row` that no other row has (see [`typed_can_be_unique`]).
pub(crate) fn write_typed_unique(t: TypedGen, row: u64, rng: &mut CellRng, out: &mut Vec<u8>) {
    let groups = [row >> 48, (row >> 32) & 0xffff, (row >> 16) & 0xffff, row & 0xffff];
    match t {
        TypedGen::Bytes => {
            out.extend_from_slice(b"\\\\x");
            let _ = write!(out, "{row:016x}");
            for _ in 0..rng.below(49) {
                let _ = write!(out, "{:02x}", rng.below(256));
            }
        }
        TypedGen::Tsvector => {
            let _ = write!(out, "r{row}");
            for _ in 0..2 + rng.below(10) {
                out.push(b' ');
                out.extend_from_slice(WORDS[usize::try_from(rng.below(WORDS.len() as u64)).unwrap_or(0)].as_bytes());
            }
        }
        TypedGen::Inet => {
            let _ = write!(out, "fd00::{:x}:{:x}:{:x}:{:x}", groups[0], groups[1], groups[2], groups[3]);
        }
        TypedGen::Cidr => {
            let _ = write!(out, "fd00:{:x}:{:x}:{:x}:{:x}::/80", groups[0], groups[1], groups[2], groups[3]);
        }
        TypedGen::Macaddr => {
            let _ = write!(
                out,
                "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                row >> 40 & 0xff,
                row >> 32 & 0xff,
                row >> 24 & 0xff,
                row >> 16 & 0xff,
                row >> 8 & 0xff,
                row & 0xff
            );
        }
        TypedGen::Interval => {
            let _ = write!(out, "{row} seconds");
        }
        TypedGen::Time { tz } => {
            // Microseconds of the day: distinct for the first 86.4 billion rows.
            let us = row % 86_400_000_000;
            let secs = us / 1_000_000;
            let _ = write!(out, "{:02}:{:02}:{:02}.{:06}", secs / 3600, secs / 60 % 60, secs % 60, us % 1_000_000);
            if tz {
                out.extend_from_slice(b"+00");
            }
        }
        TypedGen::Letter => write_typed(t, rng, out),
        TypedGen::NumRange => {
            let _ = write!(out, "[{},{})", row * 2, row * 2 + 1 + rng.below(100));
        }
        TypedGen::TimeRange { date_only, tz } => {
            // A start and a length no other row has both of.
            let unit = if date_only { 1 } else { 86_400 };
            let start = 30 * unit + (row / 30) * if date_only { 1 } else { 60 };
            let end = start - 1 - row % 30;
            write_time_range(out, start, end, date_only, tz);
        }
    }
}

pub(crate) fn write_typed(t: TypedGen, rng: &mut CellRng, out: &mut Vec<u8>) {
    let word = |rng: &mut CellRng| WORDS[usize::try_from(rng.below(WORDS.len() as u64)).unwrap_or(0)];
    match t {
        TypedGen::Bytes => {
            // `\x` hex input; COPY's own escaping doubles the backslash.
            out.extend_from_slice(b"\\\\x");
            for _ in 0..8 + rng.below(57) {
                let _ = write!(out, "{:02x}", rng.below(256));
            }
        }
        TypedGen::Tsvector => {
            for i in 0..3 + rng.below(10) {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(word(rng).as_bytes());
            }
        }
        TypedGen::Inet => {
            let _ = write!(out, "10.{}.{}.{}", rng.below(256), rng.below(256), 1 + rng.below(254));
        }
        TypedGen::Cidr => {
            let _ = write!(out, "10.{}.{}.0/24", rng.below(256), rng.below(256));
        }
        TypedGen::Macaddr => {
            let b: Vec<String> = (0..6).map(|_| format!("{:02x}", rng.below(256))).collect();
            out.extend_from_slice(b.join(":").as_bytes());
        }
        TypedGen::Interval => {
            let _ = write!(out, "{} seconds", rng.below(30 * 86_400));
        }
        TypedGen::Time { tz } => {
            let secs = rng.below(86_400);
            let _ = write!(out, "{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
            if tz {
                out.extend_from_slice(b"+00");
            }
        }
        TypedGen::Letter => out.push(b'a' + u8::try_from(rng.below(26)).unwrap_or(0)),
        TypedGen::NumRange => {
            let lo = rng.below(1000);
            let _ = write!(out, "[{lo},{})", lo + 1 + rng.below(100));
        }
        TypedGen::TimeRange { date_only, tz } => {
            let unit = if date_only { 1 } else { 86_400 };
            let start = 30 * unit + rng.below(970 * unit);
            let end = start - 1 - rng.below(30 * unit - 1);
            write_time_range(out, start, end, date_only, tz);
        }
    }
}

/// `[start,end)` of times given as seconds (days when `date_only`) before the epoch.
fn write_time_range(out: &mut Vec<u8>, start: u64, end: u64, date_only: bool, tz: bool) {
    out.push(b'[');
    if !date_only {
        out.push(b'"');
    }
    write_time(out, start, date_only, tz);
    out.extend_from_slice(if date_only { b"," } else { b"\",\"" });
    write_time(out, end, date_only, tz);
    if !date_only {
        out.push(b'"');
    }
    out.push(b')');
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn unique_values_of_every_type_differ_row_by_row() {
        for t in [
            TypedGen::Bytes,
            TypedGen::Tsvector,
            TypedGen::Inet,
            TypedGen::Cidr,
            TypedGen::Macaddr,
            TypedGen::Interval,
            TypedGen::Time { tz: true },
            TypedGen::NumRange,
            TypedGen::TimeRange { date_only: true, tz: false },
            TypedGen::TimeRange { date_only: false, tz: true },
        ] {
            let mut seen = HashSet::new();
            for row in 0..20_000 {
                let mut out = Vec::new();
                write_typed_unique(t, row, &mut CellRng::new(1, row), &mut out);
                assert!(seen.insert(out), "{t:?}: row {row} repeats a value");
            }
        }
        assert!(typed_can_be_unique(TypedGen::Letter).is_err());
    }
}
