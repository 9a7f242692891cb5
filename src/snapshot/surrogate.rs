//! Surrogates for production's text: each value a column's statistics name (most common
//! values, histogram bounds) becomes a string of lowercase letters that keeps its place in
//! the column's order, its frequency (it stays in the same slot) and its length, and says
//! nothing else about it.
//!
//! A surrogate is a fixed-width rank code followed by filler, so surrogates sort by rank in
//! every collation (letters only), and a value made by appending to one stays between it
//! and the next.

use crate::snapshot::ColumnStats;

/// Replace the column's text values by surrogates.
pub(crate) fn replace(c: &mut ColumnStats) {
    // Production's order: the histogram is sorted by the column's collation; a most common
    // value is placed among the bounds by byte order, which is close enough for its rank.
    let mut ordered: Vec<&str> = c.histogram.iter().map(String::as_str).collect();
    for m in &c.most_common {
        let at = ordered.partition_point(|v| v.as_bytes() < m.value.as_bytes());
        ordered.insert(at, &m.value);
    }
    ordered.dedup();
    let width = code_width(ordered.len());
    let surrogate = |v: &str| -> String {
        let rank = ordered.iter().position(|o| *o == v).unwrap_or(0);
        make(rank, width, v.chars().count())
    };
    let histogram: Vec<String> = c.histogram.iter().map(|v| surrogate(v)).collect();
    let common: Vec<String> = c.most_common.iter().map(|m| surrogate(&m.value)).collect();
    for (m, v) in c.most_common.iter_mut().zip(common) {
        m.value = v;
    }
    c.histogram = histogram;
    c.surrogates = true;
}

/// Letters needed to give `n` ranks distinct codes (at least two).
pub(crate) fn code_width(n: usize) -> usize {
    let mut width = 2;
    while 26usize.saturating_pow(u32::try_from(width).unwrap_or(u32::MAX)) < n {
        width += 1;
    }
    width
}

/// The surrogate of rank `rank`: its code in `width` letters, then filler to `len` characters.
pub(crate) fn make(rank: usize, width: usize, len: usize) -> String {
    let mut out = letters(rank, width);
    let mut k = rank;
    while out.len() < len {
        k = k.wrapping_mul(31).wrapping_add(7);
        out.push(char::from(b'a' + u8::try_from(k % 26).unwrap_or(0)));
    }
    out
}

/// `n` in base 26 as `width` letters, most significant first.
pub(crate) fn letters(mut n: usize, width: usize) -> String {
    let mut out = vec![b'a'; width];
    for slot in out.iter_mut().rev() {
        *slot = b'a' + u8::try_from(n % 26).unwrap_or(0);
        n /= 26;
    }
    String::from_utf8(out).expect("letters are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Frequent, ValueKind};

    fn column(mcv: &[(&str, f64)], hist: &[&str]) -> ColumnStats {
        ColumnStats {
            kind: ValueKind::Text,
            type_name: "text".into(),
            null_frac: 0.0,
            n_distinct: 50.0,
            avg_width: 8,
            correlation: None,
            order_correlation: None,
            most_common: mcv.iter().map(|(v, f)| Frequent { value: (*v).into(), freq: *f }).collect(),
            histogram: hist.iter().map(|s| (*s).into()).collect(),
            surrogates: false,
        }
    }

    #[test]
    fn surrogates_keep_order_frequency_and_length_and_hide_the_text() {
        let mut c = column(&[("shipped", 0.8), ("pending", 0.1)], &["alice", "bob", "carol smith", "zed"]);
        replace(&mut c);
        assert!(c.surrogates);
        let hist: Vec<&str> = c.histogram.iter().map(String::as_str).collect();
        assert!(hist.windows(2).all(|w| w[0] < w[1]), "order kept: {hist:?}");
        assert_eq!(hist.iter().map(|s| s.len()).collect::<Vec<_>>(), vec![5, 3, 11, 3]);
        assert!((c.most_common[0].freq - 0.8).abs() < f64::EPSILON);
        assert_eq!(c.most_common[0].value.len(), "shipped".len());
        // "pending" sorts between "carol smith" and "zed", "shipped" too, after "pending".
        assert!(c.most_common[1].value > c.histogram[2] && c.most_common[1].value < c.most_common[0].value);
        assert!(c.most_common[0].value < c.histogram[3]);
        for v in c.histogram.iter().chain(c.most_common.iter().map(|m| &m.value)) {
            assert!(v.bytes().all(|b| b.is_ascii_lowercase()), "{v}");
            assert!(!["alice", "bob", "zed", "shipped", "pending"].contains(&v.as_str()));
        }
    }

    #[test]
    fn the_same_values_get_the_same_surrogates() {
        let mut a = column(&[("x", 0.5)], &["a", "m", "z"]);
        let mut b = a.clone();
        replace(&mut a);
        replace(&mut b);
        assert_eq!(a, b);
    }
}
