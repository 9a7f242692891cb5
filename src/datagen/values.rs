//! Values that several generators write: the word list, and plausible values of the
//! Postgres types inference fills (bytea, tsvector, inet, ranges, ...), in COPY text format.

use std::io::Write;

use crate::calendar::write_time;
use crate::config::generator::TypedGen;
use crate::datagen::random::CellRng;

/// Words for `text()`. Short, lowercase, no characters COPY or arrays would need to escape.
pub const WORDS: &[&str] = &[
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
pub fn write_typed(t: TypedGen, rng: &mut CellRng, out: &mut Vec<u8>) {
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
    }
}
