//! Values as COPY's text format writes them: numbers in a column's format, and text
//! escaped. Shared by every sampler.

use std::io::Write;

/// How a number column writes its values.
#[derive(Debug, Clone, Copy)]
pub(super) enum NumFmt {
    Integer,
    Decimals(usize),
    Shortest,
}

#[inline]
pub(super) fn write_float(out: &mut Vec<u8>, v: f64, fmt: NumFmt) {
    let _ = match fmt {
        NumFmt::Integer => write!(out, "{}", v.round()),
        NumFmt::Decimals(d) => write!(out, "{v:.d$}"),
        NumFmt::Shortest => write!(out, "{v}"),
    };
}

/// A value in COPY text format: backslash, tab, newline and carriage return escaped.
pub(crate) fn escape(v: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_escaping() {
        assert_eq!(escape("a\tb\\c\nd"), b"a\\tb\\\\c\\nd".to_vec());
    }
}
