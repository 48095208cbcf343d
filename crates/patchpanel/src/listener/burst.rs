//! Logging a flood without flooding the log: the first event of a burst is worth a line, later ones
//! are only counted, and one summary line follows when the burst has gone quiet (and one every
//! `progress` while it goes on). Pure: the caller passes the time and writes the lines.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Burst {
    quiet: Duration,
    progress: Duration,
    total: u64,
    active: Option<Active>,
}

#[derive(Debug, Clone)]
struct Active {
    started: Instant,
    last: Instant,
    count: u64,
    reported_at: Instant,
}

/// A summary line to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// Still going: `count` events since it began, `lasted` ago.
    Ongoing { count: u64, lasted: Duration },
    /// Over: `count` events over `lasted`.
    Ended { count: u64, lasted: Duration },
}

impl Burst {
    /// A burst ends after `quiet` without an event; a long one is summarised every `progress`.
    pub fn new(quiet: Duration, progress: Duration) -> Self {
        Burst {
            quiet,
            progress,
            total: 0,
            active: None,
        }
    }

    /// Counts one event; `true` when it begins a burst (the caller logs it).
    pub fn note(&mut self, now: Instant) -> bool {
        self.total = self.total.saturating_add(1);
        match &mut self.active {
            Some(a) if now.saturating_duration_since(a.last) < self.quiet => {
                a.count = a.count.saturating_add(1);
                a.last = a.last.max(now);
                false
            }
            _ => {
                self.active = Some(Active {
                    started: now,
                    last: now,
                    count: 1,
                    reported_at: now,
                });
                true
            }
        }
    }

    /// The summary due at `now`, if any. A burst of a single event ends silently: its one line
    /// was written when it began.
    pub fn tick(&mut self, now: Instant) -> Option<Report> {
        let a = self.active.as_mut()?;
        let lasted = a.last.saturating_duration_since(a.started);
        if now.saturating_duration_since(a.last) >= self.quiet {
            let count = a.count;
            self.active = None;
            return (count > 1).then_some(Report::Ended { count, lasted });
        }
        if now.saturating_duration_since(a.reported_at) >= self.progress {
            a.reported_at = now;
            return Some(Report::Ongoing {
                count: a.count,
                lasted: now.saturating_duration_since(a.started),
            });
        }
        None
    }

    /// Events counted since the start.
    pub fn total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUIET: Duration = Duration::from_secs(5);
    const PROGRESS: Duration = Duration::from_secs(60);

    fn at(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    #[test]
    fn a_flood_is_one_line_then_one_summary() {
        let t0 = Instant::now();
        let mut b = Burst::new(QUIET, PROGRESS);
        let lines: usize = (0..20_000).filter(|i| b.note(at(t0, *i / 10))).count();
        assert_eq!(lines, 1, "20,000 events in 2 s begin one burst");
        assert_eq!(b.tick(at(t0, 3_000)), None, "not quiet yet");
        assert_eq!(
            b.tick(at(t0, 1_999 + 5_000)),
            Some(Report::Ended {
                count: 20_000,
                lasted: Duration::from_millis(1_999)
            })
        );
        assert_eq!(b.tick(at(t0, 20_000)), None, "summarised once");
        assert_eq!(b.total(), 20_000);
        // The next event begins a new burst.
        assert!(b.note(at(t0, 30_000)));
        assert_eq!(b.total(), 20_001);
    }

    #[test]
    fn a_long_burst_is_summarised_every_progress_period() {
        let t0 = Instant::now();
        let mut b = Burst::new(QUIET, PROGRESS);
        let mut reports = Vec::new();
        // One event a second for three minutes, ticking each second.
        for s in 0..180u64 {
            b.note(at(t0, s * 1000));
            reports.extend(b.tick(at(t0, s * 1000 + 500)));
        }
        let ongoing = reports
            .iter()
            .filter(|r| matches!(r, Report::Ongoing { .. }))
            .count();
        assert_eq!(ongoing, 2, "{reports:?}");
        assert!(matches!(
            b.tick(at(t0, 200_000)),
            Some(Report::Ended { count: 180, .. })
        ));
    }

    #[test]
    fn a_lone_event_needs_no_summary() {
        let t0 = Instant::now();
        let mut b = Burst::new(QUIET, PROGRESS);
        assert!(b.note(t0));
        assert_eq!(b.tick(at(t0, 10_000)), None);
        assert!(b.note(at(t0, 20_000)), "a new burst after the quiet");
    }
}
