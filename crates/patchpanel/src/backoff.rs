//! The one retry schedule of the crate: exponential backoff with jitter. Every loop that waits after
//! a failure (the Webex socket's reconnects, Webex REST retries, queued chat notes, the NetBox poller,
//! parked W2 candidates) uses it, so they all behave and are tested alike.
//!
//! Pure: the caller passes the random draw, so the schedule is a function of its inputs.

use std::time::Duration;

/// Doubles from `base` to `max`; each delay is drawn from `[d/2, d]` so that many bots or tasks
/// that failed together do not retry in lockstep.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    /// `base` above `max` is taken as `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        Backoff {
            base: base.min(max),
            max,
            failures: 0,
        }
    }

    /// After a success the next failure starts from `base` again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Whether the last attempt failed (the schedule is backing off).
    pub fn is_failing(&self) -> bool {
        self.failures > 0
    }

    /// The ceiling of the next delay (before jitter).
    pub fn ceiling(&self) -> Duration {
        exponential(self.base, self.max, self.failures)
    }

    /// The wait after one more failure; `unit` in `[0, 1]` is the jitter draw (`fastrand::f64()`).
    pub fn next_delay(&mut self, unit: f64) -> Duration {
        self.next_delay_at_least(unit, None)
    }

    /// [`Backoff::next_delay`], but at least `at_least` (a server's `Retry-After`), which is itself
    /// capped at `max` so an absurd value cannot park the loop.
    pub fn next_delay_at_least(&mut self, unit: f64, at_least: Option<Duration>) -> Duration {
        let delay = jittered(self.ceiling(), unit);
        self.failures = self.failures.saturating_add(1);
        delay.max(at_least.unwrap_or_default().min(self.max))
    }
}

/// The ceiling after `earlier` failures: `base · 2^earlier`, capped at `max`.
fn exponential(base: Duration, max: Duration, earlier: u32) -> Duration {
    let factor = 1u32.checked_shl(earlier.min(20)).unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(max)
}

/// The wait after `earlier` failures before this one, for schedules kept outside a [`Backoff`] (a
/// parked candidate's attempts are counted in the store): `base · 2^earlier` capped at `max`, drawn
/// from `[d/2, d]` by `unit`.
pub fn delay_after(base: Duration, max: Duration, earlier: u32, unit: f64) -> Duration {
    jittered(exponential(base.min(max), max, earlier), unit)
}

/// A delay in `[d/2, d]` for `unit` in `[0, 1]`; a draw outside (or NaN) is clamped, never a panic.
pub fn jittered(d: Duration, unit: f64) -> Duration {
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.0
    };
    d.mul_f64(0.5 + 0.5 * unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_cap_within_jitter_bounds() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(32));
        let ceilings: Vec<u64> = (0..8)
            .map(|_| {
                let c = b.ceiling();
                let d = b.next_delay(fastrand::f64());
                assert!(d <= c && d >= c / 2, "{d:?} vs {c:?}");
                c.as_secs()
            })
            .collect();
        assert_eq!(ceilings, vec![1, 2, 4, 8, 16, 32, 32, 32]);
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_secs(1));
    }

    #[test]
    fn survives_many_attempts_and_odd_jitter() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(32));
        for _ in 0..10_000 {
            b.next_delay(0.5);
        }
        assert_eq!(b.ceiling(), Duration::from_secs(32));
        assert_eq!(b.next_delay(f64::NAN), Duration::from_secs(16));
        assert_eq!(b.next_delay(7.0), Duration::from_secs(32));
        assert_eq!(
            jittered(Duration::from_secs(2), 0.0),
            Duration::from_secs(1)
        );
        assert_eq!(
            delay_after(Duration::from_secs(1), Duration::from_secs(8), 40, f64::NAN),
            Duration::from_secs(4)
        );
    }

    #[test]
    fn retry_after_is_honoured_but_capped() {
        let max = Duration::from_secs(60);
        let mut b = Backoff::new(Duration::from_secs(1), max);
        assert!(!b.is_failing());
        assert_eq!(b.next_delay(1.0), Duration::from_secs(1));
        assert!(b.is_failing());
        assert_eq!(b.next_delay(0.0), Duration::from_secs(1));
        assert_eq!(b.next_delay(1.0), Duration::from_secs(4));
        let delays: Vec<Duration> = (0..40).map(|_| b.next_delay(0.5)).collect();
        assert!(delays.windows(2).all(|w| w[0] <= w[1]), "{delays:?}");
        assert!(delays.iter().all(|d| *d <= max));
        assert_eq!(
            delays[39],
            max / 2 + max / 4,
            "capped: half fixed, half jitter"
        );
        assert_eq!(
            b.next_delay_at_least(0.0, Some(Duration::from_secs(3600))),
            max,
            "Retry-After is honoured but capped"
        );
        b.reset();
        assert_eq!(
            b.next_delay_at_least(1.0, Some(Duration::from_secs(5))),
            Duration::from_secs(5)
        );
        let mut small = Backoff::new(Duration::from_secs(1), Duration::from_millis(100));
        assert_eq!(small.next_delay(1.0), Duration::from_millis(100));
    }
}
