//! Zammad's timestamps: UTC ISO-8601 with milliseconds (`2023-05-30T14:03:49.004Z`,
//! docs/zammad.md §6), written from and read back to milliseconds since the Unix epoch. Pure.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `2023-05-30T14:03:49.004Z`.
pub fn iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Reads what a selector's date condition may carry: `2026-11-23`, `2026-11-23T10:00:00Z`,
/// `…T10:00:00.123Z`, `…T10:00:00+02:00` (PostgreSQL casts all of them). `None` when it is not a
/// time at all (PostgreSQL would refuse the statement).
pub fn parse(text: &str) -> Option<i64> {
    let t = text.trim();
    let (date, rest) = match t.find(['T', 't', ' ']) {
        Some(i) => (&t[..i], &t[i + 1..]),
        None => (t, ""),
    };
    let mut parts = date.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut ms = days_from_civil(y, m, d) * 86_400_000;
    if rest.is_empty() {
        return Some(ms);
    }
    // Split the clock from its zone: `Z`, `+hh:mm`, `-hh:mm` or nothing (UTC).
    let (clock, offset_min) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => {
            let zone = &rest[i..];
            let offset = if zone.eq_ignore_ascii_case("z") {
                0
            } else {
                let sign = if zone.starts_with('-') { -1 } else { 1 };
                let digits: String = zone[1..].chars().filter(char::is_ascii_digit).collect();
                if digits.len() != 4 {
                    return None;
                }
                let h: i64 = digits[..2].parse().ok()?;
                let mi: i64 = digits[2..].parse().ok()?;
                sign * (h * 60 + mi)
            };
            (&rest[..i], offset)
        }
        None => (rest, 0),
    };
    let (hms, frac) = match clock.split_once('.') {
        Some((a, b)) => (a, b),
        None => (clock, ""),
    };
    let mut hms = hms.splitn(3, ':');
    let h: i64 = hms.next()?.parse().ok()?;
    let mi: i64 = hms.next()?.parse().ok()?;
    let s: i64 = hms.next().unwrap_or("0").parse().ok()?;
    if h > 23 || mi > 59 || s > 60 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let millis: i64 = format!("{:0<3}", frac.get(..3).unwrap_or(frac))
        .parse()
        .ok()?;
    ms += ((h * 60 + mi) * 60 + s) * 1000 + millis - offset_min * 60_000;
    Some(ms)
}

// Howard Hinnant's civil calendar algorithms.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(1_685_455_429_004), "2023-05-30T14:03:49.004Z");
    }

    #[test]
    fn parses_what_it_writes_and_other_spellings() {
        let t = 1_685_455_429_004;
        assert_eq!(parse(&iso(t)), Some(t));
        assert_eq!(parse("2023-05-30T14:03:49Z"), Some(t - 4));
        assert_eq!(parse("2023-05-30T16:03:49.004+02:00"), Some(t));
        assert_eq!(parse("2023-05-30"), Some(t - t.rem_euclid(86_400_000)));
        assert_eq!(parse("2023-05-30T14:03:49.0041Z"), Some(t));
        assert_eq!(parse("yesterday"), None);
        assert_eq!(parse("2023-13-01"), None);
    }
}
