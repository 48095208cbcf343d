//! The wall-clock times the device prints, pure apart from [`now_ms`]: a notification's RFC 3339
//! `eventTime` (`2026-12-04T08:21:07.123Z`) and IOS's syslog timestamp (`*Dec  4 08:21:07.123`: UTC,
//! the day space-padded, `*` because the simulated clock is not NTP-synchronised).

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
    milli: i64,
}

fn parts(ms: i64) -> Parts {
    let secs = ms.div_euclid(1000);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    Parts {
        year,
        month,
        day,
        hour: rem / 3600,
        minute: (rem % 3600) / 60,
        second: rem % 60,
        milli: ms.rem_euclid(1000),
    }
}

/// `2026-12-04T08:21:07.123Z` (RFC 3339, as `yang:date-and-time` carries it).
pub fn rfc3339(ms: i64) -> String {
    let p = parts(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        p.year, p.month, p.day, p.hour, p.minute, p.second, p.milli
    )
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `*Dec  4 08:21:07.123`: IOS with `service timestamps log datetime msec` and no NTP.
pub fn ios(ms: i64) -> String {
    let p = parts(ms);
    let month = MONTHS
        .get(usize::try_from(p.month.saturating_sub(1)).unwrap_or(0))
        .copied()
        .unwrap_or("Jan");
    format!(
        "*{month} {:>2} {:02}:{:02}:{:02}.{:03}",
        p.day, p.hour, p.minute, p.second, p.milli
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-04T08:21:07.123Z
    const T: i64 = 1_796_372_467_123;

    #[test]
    fn both_forms() {
        assert_eq!(rfc3339(T), "2026-12-04T08:21:07.123Z");
        assert_eq!(ios(T), "*Dec  4 08:21:07.123");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        // Two-digit days are not padded.
        assert_eq!(ios(T + 10 * 86_400_000), "*Dec 14 08:21:07.123");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
