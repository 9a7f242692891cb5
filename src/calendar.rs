//! Calendar arithmetic: the fixed epoch generated times count from, dates as the config
//! writes them, and times in COPY text format. Times are UTC; the clock is never read.

use std::io::Write;

/// The fixed epoch timestamps count back from (2025-01-01 00:00:00 UTC), never `now()`:
/// runs repeat exactly.
pub(crate) const EPOCH_UNIX: i64 = 1_735_689_600;

/// Where generated times lie: an offset counts back from the epoch, or on from a start.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TimeAt {
    BeforeEpoch,
    /// Seconds since 1970 (a date's midnight for dates).
    After(i64),
}

impl TimeAt {
    /// Write the time `offset` seconds (days for dates) away from the anchor.
    pub(crate) fn write(self, out: &mut Vec<u8>, offset: u64, date_only: bool, tz: bool) {
        write_unix(out, self.unix(offset, date_only), date_only, tz);
    }

    /// The time `offset` seconds (days for dates) away from the anchor, in seconds since 1970.
    pub(crate) fn unix(self, offset: u64, date_only: bool) -> i64 {
        let offset = i64::try_from(offset).unwrap_or(i64::MAX / 4);
        match self {
            TimeAt::BeforeEpoch if date_only => EPOCH_UNIX - offset * 86_400,
            TimeAt::BeforeEpoch => EPOCH_UNIX - offset,
            TimeAt::After(start) if date_only => start + offset * 86_400,
            TimeAt::After(start) => start + offset,
        }
    }
}

/// Seconds since 1970-01-01 00:00:00 UTC of `YYYY-MM-DD` or `YYYY-MM-DD HH:MM[:SS]`.
#[expect(clippy::many_single_char_names, reason = "the calendar's own names: y, m, d, h")]
pub(crate) fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, time) = match s.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut d = date.splitn(3, '-');
    let (y, m, day): (i64, u32, u32) = (d.next()?.parse().ok()?, d.next()?.parse().ok()?, d.next()?.parse().ok()?);
    if !(1..=12).contains(&m) || day == 0 || day > days_in_month(y, m) {
        return None;
    }
    let mut secs = days_from_civil(y, m, day) * 86_400;
    if let Some(t) = time {
        let mut parts = t.split(':');
        let h: i64 = parts.next()?.parse().ok()?;
        let min: i64 = parts.next()?.parse().ok()?;
        let sec: i64 = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        if parts.next().is_some() || h > 23 || min > 59 || sec > 59 {
            return None;
        }
        secs += h * 3600 + min * 60 + sec;
    }
    Some(secs)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Write the time `back` seconds (or days) before the epoch.
pub(crate) fn write_time(out: &mut Vec<u8>, back: u64, date_only: bool, tz: bool) {
    let back = i64::try_from(back).unwrap_or(i64::MAX / 4);
    let t = if date_only { EPOCH_UNIX - back * 86_400 } else { EPOCH_UNIX - back };
    write_unix(out, t, date_only, tz);
}

/// Write the time `t` (seconds since 1970, UTC).
pub(crate) fn write_unix(out: &mut Vec<u8>, t: i64, date_only: bool, tz: bool) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let _ = write!(out, "{y:04}-{m:02}-{d:02}");
    if !date_only {
        let _ = write!(out, " {:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
        if tz {
            out.extend_from_slice(b"+00");
        }
    }
}

/// A `timestamptz` as Postgres prints it in some time zone (`2023-06-01 02:00:00.5+02`,
/// `...-03:30`) as it prints it in UTC (`2023-06-01 00:00:00.5+00`); None for text that is
/// not such a time (`infinity`, BC dates).
pub(crate) fn to_utc(s: &str) -> Option<String> {
    let at = s.rfind(['+', '-']).filter(|&i| i > 10)?;
    let (local, zone) = s.split_at(at);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let mut parts = zone[1..].split(':');
    let mut offset = 0i64;
    for unit in [3600, 60, 1] {
        match parts.next() {
            Some(p) if p.len() == 2 => offset += unit * p.parse::<i64>().ok()?,
            Some(_) => return None,
            None => break,
        }
    }
    let (whole, fraction) = match local.split_once('.') {
        Some((w, f)) if f.bytes().all(|b| b.is_ascii_digit()) => (w, Some(f)),
        Some(_) => return None,
        None => (local, None),
    };
    if !whole.contains(' ') {
        return None;
    }
    let t = parse_time(whole)? - sign * offset;
    let mut out = Vec::new();
    write_unix(&mut out, t, false, false);
    let mut out = String::from_utf8(out).ok()?;
    if let Some(f) = fraction {
        out.push('.');
        out.push_str(f);
    }
    out.push_str("+00");
    Some(out)
}

/// (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_with_a_zone_read_back_in_utc() {
        assert_eq!(to_utc("2023-06-01 02:00:00+02").as_deref(), Some("2023-06-01 00:00:00+00"));
        assert_eq!(to_utc("2023-12-31 21:30:00.25-03:30").as_deref(), Some("2024-01-01 01:00:00.25+00"));
        assert_eq!(to_utc("2024-02-29 00:00:00+00").as_deref(), Some("2024-02-29 00:00:00+00"));
        assert_eq!(to_utc("1900-01-01 00:00:00+00:09:21").as_deref(), Some("1899-12-31 23:50:39+00"));
        assert_eq!(to_utc("infinity"), None);
        assert_eq!(to_utc("2023-06-01"), None);
        assert_eq!(to_utc("0044-03-15 12:00:00+00 BC"), None);
    }

    #[test]
    fn dates_from_day_counts() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_089), (2025, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn times_count_back_from_the_epoch() {
        let mut out = Vec::new();
        write_time(&mut out, 1, false, true);
        assert_eq!(String::from_utf8(out).unwrap(), "2024-12-31 23:59:59+00");
        let mut out = Vec::new();
        write_time(&mut out, 366, true, false);
        assert_eq!(String::from_utf8(out).unwrap(), "2024-01-01");
    }

    #[test]
    fn times_count_on_from_a_start() {
        let mut out = Vec::new();
        TimeAt::After(parse_time("1992-01-01").unwrap()).write(&mut out, 2556, true, false);
        assert_eq!(String::from_utf8(out).unwrap(), "1998-12-31");
        let mut out = Vec::new();
        TimeAt::After(parse_time("2024-10-01 12:00").unwrap()).write(&mut out, 61, false, true);
        assert_eq!(String::from_utf8(out).unwrap(), "2024-10-01 12:01:01+00");
    }
}
