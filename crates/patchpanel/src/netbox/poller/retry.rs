//! The retry budget of parked candidates (pure): when a candidate that could not be finished is
//! offered again, when its budget is spent, and which parked candidates are due. No IO, no clock
//! reads: callers pass the time (Unix milliseconds, so a schedule survives a restart) and the
//! random numbers for the jitter.

use std::time::Duration;

use crate::store::Parked;

/// How often and how patiently one candidate is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first offer included (at least 2: one retry, flagged as the last).
    pub budget: u32,
    /// Wait after the first failed attempt; doubles per further failure, up to `max`.
    pub base: Duration,
    pub max: Duration,
}

/// What follows a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Park the candidate and offer it again after this wait.
    RetryIn(Duration),
    /// The budget is spent: stop offering it.
    GiveUp,
}

impl RetryPolicy {
    pub fn new(budget: u32, base: Duration, max: Duration) -> Self {
        RetryPolicy {
            budget: budget.max(2),
            base: base.min(max),
            max,
        }
    }

    /// The number of the next attempt of a candidate that failed `failed` times, and whether it is
    /// its last.
    pub fn next_attempt(&self, failed: u32) -> (u32, bool) {
        let n = failed.saturating_add(1);
        (n, n >= self.budget)
    }

    /// After the `failed`-th failed attempt (counting the one that just failed): the wait before
    /// the next one, or give up. `random` in `[0, 1]` spreads retries (half fixed, half random).
    pub fn after_failure(&self, failed: u32, random: f64) -> AfterFailure {
        if failed >= self.budget {
            return AfterFailure::GiveUp;
        }
        AfterFailure::RetryIn(crate::backoff::delay_after(
            self.base,
            self.max,
            failed.saturating_sub(1),
            random,
        ))
    }
}

/// `now_ms + wait`, saturating.
pub fn at(now_ms: i64, wait: Duration) -> i64 {
    now_ms.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX))
}

/// The parked items due at `now_ms` (soonest first), and when the earliest of the others is due.
pub fn due(parked: &[Parked], now_ms: i64) -> (Vec<&Parked>, Option<i64>) {
    let mut now: Vec<&Parked> = parked.iter().filter(|p| p.next_at_ms <= now_ms).collect();
    now.sort_by_key(|p| (p.next_at_ms, p.item));
    let later = parked
        .iter()
        .filter(|p| p.next_at_ms > now_ms)
        .map(|p| p.next_at_ms)
        .min();
    (now, later)
}

/// How long until `at_ms`, from `now_ms` (zero when it is past).
pub fn wait_until(at_ms: i64, now_ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(at_ms.saturating_sub(now_ms)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parked(item: u64, attempts: u32, next_at_ms: i64) -> Parked {
        Parked {
            source: "netbox".into(),
            item,
            ticket: format!("CHG-{item}"),
            attempts,
            next_at_ms,
            reason: "HTTP 500".into(),
        }
    }

    #[test]
    fn the_budget_counts_every_attempt_and_flags_the_last() {
        let p = RetryPolicy::new(8, Duration::from_secs(5), Duration::from_secs(300));
        assert_eq!(p.next_attempt(0), (1, false), "the first offer");
        assert_eq!(p.next_attempt(6), (7, false));
        assert_eq!(
            p.next_attempt(7),
            (8, true),
            "the eighth attempt is the last"
        );
        for failed in 1..8 {
            assert!(
                matches!(p.after_failure(failed, 0.5), AfterFailure::RetryIn(_)),
                "{failed}"
            );
        }
        assert_eq!(p.after_failure(8, 0.5), AfterFailure::GiveUp);
        assert_eq!(p.after_failure(u32::MAX, 0.5), AfterFailure::GiveUp);
        let tiny = RetryPolicy::new(0, Duration::from_secs(1), Duration::from_secs(1));
        assert_eq!(
            tiny.budget, 2,
            "at least one retry, so the handler sees a last attempt"
        );
        assert_eq!(tiny.next_attempt(1), (2, true));
    }

    #[test]
    fn waits_double_with_jitter_up_to_the_cap() {
        let p = RetryPolicy::new(12, Duration::from_secs(5), Duration::from_secs(300));
        let wait = |failed, r| match p.after_failure(failed, r) {
            AfterFailure::RetryIn(d) => d,
            AfterFailure::GiveUp => panic!("gave up at {failed}"),
        };
        assert_eq!(wait(1, 1.0), Duration::from_secs(5));
        assert_eq!(wait(1, 0.0), Duration::from_millis(2500));
        assert_eq!(wait(2, 1.0), Duration::from_secs(10));
        assert_eq!(wait(3, 1.0), Duration::from_secs(20));
        assert_eq!(wait(7, 1.0), Duration::from_secs(300), "capped");
        assert_eq!(
            wait(11, 0.0),
            Duration::from_secs(150),
            "half fixed at the cap"
        );
        assert_eq!(wait(2, 7.0), Duration::from_secs(10), "random is clamped");
        // The whole schedule of the default policy: about ten minutes before giving up.
        let d = RetryPolicy::new(8, Duration::from_secs(5), Duration::from_secs(300));
        let total: Duration = (1..8)
            .map(|f| match d.after_failure(f, 1.0) {
                AfterFailure::RetryIn(w) => w,
                AfterFailure::GiveUp => Duration::ZERO,
            })
            .sum();
        assert_eq!(
            total,
            Duration::from_secs(5 + 10 + 20 + 40 + 80 + 160 + 300)
        );
    }

    #[test]
    fn due_items_come_soonest_first_and_the_next_wake_is_the_earliest_other() {
        let items = vec![
            parked(3, 1, 2_000),
            parked(1, 2, 500),
            parked(2, 1, 9_000),
            parked(4, 1, 1_000),
        ];
        let (now, later) = due(&items, 1_000);
        assert_eq!(now.iter().map(|p| p.item).collect::<Vec<_>>(), vec![1, 4]);
        assert_eq!(later, Some(2_000));
        let (now, later) = due(&items, 0);
        assert!(now.is_empty());
        assert_eq!(later, Some(500));
        let (now, later) = due(&[], 0);
        assert!(now.is_empty() && later.is_none());
    }

    #[test]
    fn times_saturate_instead_of_overflowing() {
        assert_eq!(at(1_000, Duration::from_millis(250)), 1_250);
        assert_eq!(at(i64::MAX - 1, Duration::from_secs(10)), i64::MAX);
        assert_eq!(wait_until(1_250, 1_000), Duration::from_millis(250));
        assert_eq!(wait_until(1_000, 1_250), Duration::ZERO);
    }
}
