//! COPY's binary format for the column types most tables are made of. A value is made in
//! text first, as the generators write it, and turned into the bytes the type's binary
//! input reads; the server then stores what its text input would have stored from that
//! text: integers and floats parse to the same number (floats correctly rounded, as the
//! server's `strtod` does), a numeric keeps the text's digits and scale (the column's
//! typmod rounds both the same way), times are counted from the same calendar.
//! Binary input skips the server's parsing of each value, which is most of what a text
//! COPY costs it.

use crate::datagen::schema::Column;

/// The signature, flags and header extension that start a binary COPY stream.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The field count -1 that ends it.
pub const TRAILER: &[u8] = &[0xff, 0xff];

/// Seconds from 1970-01-01 to Postgres' epoch, 2000-01-01.
const PG_EPOCH_UNIX: i64 = 946_684_800;

/// A column type whose binary input plangate writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wire {
    Int2,
    Int4,
    Int8,
    Bool,
    Float4,
    Float8,
    Numeric,
    /// text, varchar, char(n) and enums: the characters themselves.
    Text,
    Timestamp,
    TimestampTz,
    Date,
}

impl Wire {
    /// The column's, when its type (a domain's base type) is one of these.
    pub(crate) fn of(column: &Column) -> Option<Wire> {
        if column.type_kind == "e" {
            return Some(Wire::Text);
        }
        Some(match column.type_name.as_str() {
            "int2" => Wire::Int2,
            "int4" => Wire::Int4,
            "int8" => Wire::Int8,
            "bool" => Wire::Bool,
            "float4" => Wire::Float4,
            "float8" => Wire::Float8,
            "numeric" => Wire::Numeric,
            "text" | "varchar" | "bpchar" => Wire::Text,
            "timestamp" => Wire::Timestamp,
            "timestamptz" => Wire::TimestampTz,
            "date" => Wire::Date,
            _ => return None,
        })
    }

    /// Append the field for `text`, a value in COPY text format (`\N`: NULL): its length
    /// and bytes. False when the text is not one this type's input takes (nothing appended).
    pub(crate) fn encode(self, text: &[u8], out: &mut Vec<u8>) -> bool {
        if text == b"\\N" {
            return null(out);
        }
        let at = out.len();
        out.extend_from_slice(&[0; 4]);
        let ok = match self {
            Wire::Text => {
                unescape(text, out);
                true
            }
            _ => std::str::from_utf8(text).is_ok_and(|t| self.encode_str(t.trim_matches(is_space), out)),
        };
        if !ok {
            out.truncate(at);
            return false;
        }
        let len = i32::try_from(out.len() - at - 4).unwrap_or(i32::MAX);
        out[at..at + 4].copy_from_slice(&len.to_be_bytes());
        true
    }

    /// Whether the type is one of the integers.
    pub(crate) fn is_integer(self) -> bool {
        matches!(self, Wire::Int2 | Wire::Int4 | Wire::Int8)
    }

    /// Append the field of the integer `v` (an integer type's); false when out of its range.
    pub(crate) fn put_int(self, v: i128, out: &mut Vec<u8>) -> bool {
        match self {
            Wire::Int2 => field(out, i16::try_from(v).ok().map(i16::to_be_bytes)),
            Wire::Int4 => field(out, i32::try_from(v).ok().map(i32::to_be_bytes)),
            Wire::Int8 => field(out, i64::try_from(v).ok().map(i64::to_be_bytes)),
            _ => false,
        }
    }

    /// Append the field of the time `t` (seconds since 1970, UTC) as the text
    /// `calendar::write_unix` makes of it reads into a time or date type; false for a year
    /// that text has no four digits for.
    pub(crate) fn put_time(self, t: i64, out: &mut Vec<u8>) -> bool {
        let days = t.div_euclid(86_400);
        if !(1..=9999).contains(&crate::calendar::civil_from_days(days).0) {
            return false;
        }
        match self {
            Wire::Timestamp | Wire::TimestampTz => {
                field(out, (t - PG_EPOCH_UNIX).checked_mul(1_000_000).map(i64::to_be_bytes))
            }
            Wire::Date => field(out, i32::try_from(days - 10_957).ok().map(i32::to_be_bytes)),
            _ => false,
        }
    }

    fn encode_str(self, t: &str, out: &mut Vec<u8>) -> bool {
        match self {
            Wire::Int2 => put(out, int(t).and_then(|v| i16::try_from(v).ok()).map(i16::to_be_bytes)),
            Wire::Int4 => put(out, int(t).and_then(|v| i32::try_from(v).ok()).map(i32::to_be_bytes)),
            Wire::Int8 => put(out, int(t).map(i64::to_be_bytes)),
            Wire::Bool => put(out, boolean(t).map(|b| [u8::from(b)])),
            Wire::Float4 => put(out, float(t).map(f32::to_be_bytes)),
            Wire::Float8 => put(out, float(t).map(f64::to_be_bytes)),
            Wire::Numeric => numeric(t, out),
            Wire::Timestamp | Wire::TimestampTz => {
                put(out, time(t).and_then(|s| (s - PG_EPOCH_UNIX).checked_mul(1_000_000)).map(i64::to_be_bytes))
            }
            Wire::Date => {
                put(out, time(t).and_then(|s| i32::try_from(s.div_euclid(86_400) - 10_957).ok()).map(i32::to_be_bytes))
            }
            Wire::Text => unreachable!("text is copied as it is"),
        }
    }
}

/// Append a whole field: its length, then `bytes`.
pub(crate) fn field<const N: usize>(out: &mut Vec<u8>, bytes: Option<[u8; N]>) -> bool {
    bytes.is_some_and(|b| {
        out.extend_from_slice(&i32::try_from(N).unwrap_or(0).to_be_bytes());
        out.extend_from_slice(&b);
        true
    })
}

/// Append a NULL field.
pub(crate) fn null(out: &mut Vec<u8>) -> bool {
    out.extend_from_slice(&(-1i32).to_be_bytes());
    true
}

fn put<const N: usize>(out: &mut Vec<u8>, bytes: Option<[u8; N]>) -> bool {
    bytes.is_some_and(|b| {
        out.extend_from_slice(&b);
        true
    })
}

/// The white space Postgres' number and boolean inputs skip around a value.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// `[+-]digits`, as the integer types read it.
fn int(t: &str) -> Option<i64> {
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.strip_prefix('+').unwrap_or(t).parse().ok()
}

/// `boolin`: t/f, true/false, yes/no, on/off, 1/0, any case, a prefix that is not ambiguous.
fn boolean(t: &str) -> Option<bool> {
    let l = t.to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| l.len() >= min && word.starts_with(l.as_str());
    if prefix_of("true", 1) || prefix_of("yes", 1) || prefix_of("on", 2) || l == "1" {
        Some(true)
    } else if prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || l == "0" {
        Some(false)
    } else {
        None
    }
}

/// A decimal float, nearest to the text as `strtod`/`strtof` give it; refused where the
/// server's input says it is out of range (a finite value that overflows, or underflows to zero).
fn float<F>(t: &str) -> Option<F>
where
    F: std::str::FromStr + Into<f64> + Copy,
{
    let v: F = t.parse().ok()?;
    let x: f64 = v.into();
    let special = !t.bytes().any(|b| b.is_ascii_digit());
    let mantissa = t.split(['e', 'E']).next().unwrap_or("");
    let zero_text = mantissa.bytes().filter(u8::is_ascii_digit).all(|b| b == b'0');
    if !special && (x.is_infinite() || (x == 0.0 && !zero_text)) {
        return None;
    }
    Some(v)
}

/// `[-+]digits[.digits]` (or NaN) as a numeric's binary form: base-10000 digits, the
/// weight of the first, the sign, and the text's count of decimals as its scale.
fn numeric(t: &str, out: &mut Vec<u8>) -> bool {
    const POS: u16 = 0x0000;
    const NEG: u16 = 0x4000;
    const NAN: u16 = 0xC000;
    if t.eq_ignore_ascii_case("nan") {
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&NAN.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        return true;
    }
    let (sign, unsigned) = match t.as_bytes().first() {
        Some(b'-') => (NEG, &t[1..]),
        Some(b'+') => (POS, &t[1..]),
        _ => (POS, t),
    };
    let (whole, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digit = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + frac.len() == 0 || !digit(whole) || !digit(frac) {
        return false;
    }
    let Ok(dscale) = u16::try_from(frac.len()) else { return false };
    if dscale > 0x3FFF {
        return false;
    }
    // Decimal digits aligned on groups of four around the point.
    let lead = (4 - whole.len() % 4) % 4;
    let trail = (4 - frac.len() % 4) % 4;
    let mut decimal = Vec::with_capacity(lead + whole.len() + frac.len() + trail);
    decimal.extend(std::iter::repeat_n(0u8, lead));
    decimal.extend(whole.bytes().map(|b| b - b'0'));
    decimal.extend(frac.bytes().map(|b| b - b'0'));
    decimal.extend(std::iter::repeat_n(0u8, trail));
    let mut groups: Vec<i16> =
        decimal.chunks(4).map(|c| c.iter().fold(0i16, |acc, &d| acc * 10 + i16::from(d))).collect();
    let Ok(mut weight) = i16::try_from((lead + whole.len()) / 4) else { return false };
    weight -= 1;
    let first = groups.iter().position(|&g| g != 0);
    let (sign, weight) = match first {
        None => {
            groups.clear();
            (POS, 0)
        }
        Some(i) => {
            groups.drain(..i);
            let last = groups.iter().rposition(|&g| g != 0).map_or(0, |p| p + 1);
            groups.truncate(last);
            (sign, weight - i16::try_from(i).unwrap_or(0))
        }
    };
    let Ok(ndigits) = i16::try_from(groups.len()) else { return false };
    out.extend_from_slice(&ndigits.to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&dscale.to_be_bytes());
    for g in groups {
        out.extend_from_slice(&g.to_be_bytes());
    }
    true
}

/// Seconds since 1970 of `YYYY-MM-DD[ HH:MM[:SS]][+00]`, the times the generators write
/// (a time without an offset is UTC, the loading session's time zone).
fn time(text: &str) -> Option<i64> {
    let text = text.strip_suffix("+00").unwrap_or(text);
    let shape = text.as_bytes().get(..10)?;
    let digits = [0, 1, 2, 3, 5, 6, 8, 9].iter().all(|&k| shape[k].is_ascii_digit());
    if !digits || shape[4] != b'-' || shape[7] != b'-' || &shape[..4] == b"0000" {
        return None;
    }
    crate::calendar::parse_time(text)
}

/// The characters of a value in COPY text format, its escapes undone as COPY undoes them.
fn unescape(text: &[u8], out: &mut Vec<u8>) {
    let mut pos = 0;
    while pos < text.len() {
        let byte = text[pos];
        pos += 1;
        if byte != b'\\' || pos == text.len() {
            out.push(byte);
            continue;
        }
        let escaped = text[pos];
        pos += 1;
        let plain = match escaped {
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0b,
            b'0'..=b'7' => number(text, &mut pos, u32::from(escaped - b'0'), 8),
            b'x' if text.get(pos).is_some_and(u8::is_ascii_hexdigit) => number(text, &mut pos, 0, 16),
            other => other,
        };
        out.push(plain);
    }
}

/// An escape's number: `first`, then up to two more digits of `radix` from `pos` on.
fn number(text: &[u8], pos: &mut usize, first: u32, radix: u32) -> u8 {
    let mut value = first;
    for _ in 0..2 {
        match text.get(*pos).and_then(|d| char::from(*d).to_digit(radix)) {
            Some(digit) => {
                value = value * radix + digit;
                *pos += 1;
            }
            None => break,
        }
    }
    u8::try_from(value & 0xff).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(wire: Wire, text: &str) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        wire.encode(text.as_bytes(), &mut out).then(|| out[4..].to_vec())
    }

    #[test]
    fn integers_and_their_ranges() {
        assert_eq!(field(Wire::Int4, "-42"), Some((-42i32).to_be_bytes().to_vec()));
        assert_eq!(field(Wire::Int4, " +7 "), Some(7i32.to_be_bytes().to_vec()));
        assert_eq!(field(Wire::Int2, "40000"), None);
        assert_eq!(field(Wire::Int8, "12.0"), None);
        assert_eq!(field(Wire::Int8, "-"), None);
    }

    #[test]
    fn numerics_keep_digits_and_scale() {
        // 12345.678 = 1 2345 . 6780, weight 1, scale 3.
        let want: Vec<u8> = [3i16, 1, 0, 3, 1, 2345, 6780].iter().flat_map(|v| v.to_be_bytes()).collect();
        assert_eq!(field(Wire::Numeric, "12345.678"), Some(want));
        // -0.0001: one digit of weight -1.
        let want: Vec<u8> = [1i16, -1, 0x4000, 4, 1].iter().flat_map(|v| v.to_be_bytes()).collect();
        assert_eq!(field(Wire::Numeric, "-0.0001"), Some(want));
        // Zero keeps its scale, positive.
        let want: Vec<u8> = [0i16, 0, 0, 2].iter().flat_map(|v| v.to_be_bytes()).collect();
        assert_eq!(field(Wire::Numeric, "-0.00"), Some(want));
        assert_eq!(field(Wire::Numeric, "1e5"), None);
    }

    #[test]
    fn times_count_from_2000() {
        assert_eq!(field(Wire::TimestampTz, "2000-01-01 00:00:01+00"), Some(1_000_000i64.to_be_bytes().to_vec()));
        assert_eq!(field(Wire::Timestamp, "1999-12-31 23:59:59"), Some((-1_000_000i64).to_be_bytes().to_vec()));
        assert_eq!(field(Wire::Date, "2000-01-02"), Some(1i32.to_be_bytes().to_vec()));
        assert_eq!(field(Wire::Date, "2023-02-29"), None);
    }

    #[test]
    fn text_escapes_are_undone_and_null_is_null() {
        assert_eq!(field(Wire::Text, "a\\tb\\\\c\\nd\\101"), Some(b"a\tb\\c\ndA".to_vec()));
        let mut out = Vec::new();
        assert!(Wire::Int4.encode(b"\\N", &mut out));
        assert_eq!(out, (-1i32).to_be_bytes());
    }

    #[test]
    fn booleans_and_floats_read_as_the_server_reads_them() {
        assert_eq!(field(Wire::Bool, "t"), Some(vec![1]));
        assert_eq!(field(Wire::Bool, "of"), Some(vec![0]));
        assert_eq!(field(Wire::Bool, "o"), None);
        assert_eq!(field(Wire::Float8, "0.1"), Some(0.1f64.to_be_bytes().to_vec()));
        assert_eq!(field(Wire::Float4, "1e40"), None);
        assert_eq!(field(Wire::Float4, "0.1"), Some(0.1f32.to_be_bytes().to_vec()));
    }
}
