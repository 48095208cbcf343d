//! The request-rate limit of a listener: a token bucket (`per_second` on average, `burst` at once)
//! shared by every connection, so a flood spread over many sockets is limited like one. Pure: the
//! caller passes the time.

use std::time::{Duration, Instant};

/// GCRA (the "virtual scheduling" form of a token bucket): each admitted request moves a
/// theoretical arrival time one interval on; a request is refused while that time is more than
/// `burst - 1` intervals ahead of now. Integer time only, so the arithmetic is exact.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    interval: Duration,
    tolerance: Duration,
    next: Option<Instant>,
}

impl RateLimiter {
    /// `per_second` and `burst` are at least 1 (a zero would refuse everything forever).
    pub fn new(per_second: u32, burst: u32) -> Self {
        let interval = Duration::from_secs(1) / per_second.max(1);
        RateLimiter {
            interval,
            tolerance: interval.saturating_mul(burst.max(1) - 1),
            next: None,
        }
    }

    /// Takes one request's share: `Ok`, or `Err(how long until one more would pass)`. A refused
    /// request costs nothing, so a client hammering while refused does not push its wait out.
    pub fn admit(&mut self, now: Instant) -> Result<(), Duration> {
        let next = self.next.map_or(now, |n| n.max(now));
        let ahead = next.saturating_duration_since(now);
        if ahead > self.tolerance {
            return Err(ahead - self.tolerance);
        }
        // `checked_add` only fails centuries from now; then the limiter simply stops moving.
        self.next = Some(next.checked_add(self.interval).unwrap_or(next));
        Ok(())
    }
}

/// A `Retry-After` value: whole seconds, rounded up, at least 1.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    let whole = wait.as_secs();
    let rounded = if wait.subsec_nanos() > 0 {
        whole.saturating_add(1)
    } else {
        whole
    };
    rounded.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(10, 5);
        for i in 0..5 {
            assert_eq!(r.admit(t0), Ok(()), "request {i} of the burst");
        }
        let wait = r.admit(t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(100));
        // A refused request takes no token: the wait does not grow while refused.
        assert_eq!(r.admit(t0).unwrap_err(), Duration::from_millis(100));
        // After 100 ms exactly one more passes.
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(r.admit(t1), Ok(()));
        assert!(r.admit(t1).is_err());
        // Over a second of steady load, `per_second` pass (after the burst is spent).
        let mut passed = 0;
        for ms in 1..=1000 {
            if r.admit(t1 + Duration::from_millis(ms)).is_ok() {
                passed += 1;
            }
        }
        assert_eq!(passed, 10);
    }

    #[test]
    fn an_idle_bucket_refills_only_up_to_the_burst() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(10, 3);
        for _ in 0..3 {
            r.admit(t0).unwrap();
        }
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(r.admit(later), Ok(()));
        }
        assert!(r.admit(later).is_err());
    }

    #[test]
    fn zero_settings_still_let_something_through() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(0, 0);
        assert_eq!(r.admit(t0), Ok(()));
        assert_eq!(r.admit(t0), Err(Duration::from_secs(1)));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_secs(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_seconds(Duration::MAX), u64::MAX);
    }
}
