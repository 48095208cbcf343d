//! Times as approvers read them: UTC to the minute (`2026-12-04 07:30 UTC`), from Unix
//! milliseconds. The bot does not know a reader's time zone, so it always says which it uses.

/// `YYYY-MM-DD HH:MM UTC`; times before 1970 are shown as 1970-01-01 00:00.
pub fn utc_minute(unix_ms: i64) -> String {
    let secs = unix_ms.max(0) / 1000;
    let (days, of_day) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        of_day / 3600,
        of_day % 3600 / 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_minute(-5), "1970-01-01 00:00 UTC");
        // 2023-05-30T16:30:05.449Z, the seed ticket's update.
        assert_eq!(utc_minute(1_685_464_205_449), "2023-05-30 16:30 UTC");
        // A leap day and the turn of a century divisible by 400.
        assert_eq!(utc_minute(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(utc_minute(1_798_761_599_000), "2026-12-31 23:59 UTC");
    }
}
