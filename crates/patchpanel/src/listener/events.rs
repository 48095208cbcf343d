//! What a listener counts and how it logs it: one counter per notable event, and one log line per
//! burst of each kind (see `burst`), so a flood of 20,000 connections is a handful of lines. Shared
//! by the accept loop, the connection tasks and the handler (which notes its own refusals).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::burst::{Burst, Report};

/// A burst ends after this long without its event.
const QUIET: Duration = Duration::from_secs(5);
/// A burst that goes on is summarised this often.
const PROGRESS: Duration = Duration::from_secs(60);

/// The notable events of a listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A connection arrived while every slot was taken: accepted and closed at once.
    OverCap,
    /// A request beyond the rate limit: answered 429.
    RateLimited,
    /// A connection did not send a whole request head in time: closed.
    HeaderTimeout,
    /// Nothing moved on a connection for the idle timeout: closed.
    IdleTimeout,
    /// `accept` failed (e.g. the process is out of file descriptors).
    AcceptFailed,
    /// The handler refused a request (bad signature, bad body, too large).
    Refused,
    /// The handler recognised a replay and acknowledged it without effect.
    Replay,
}

impl Event {
    const ALL: [Event; 7] = [
        Event::OverCap,
        Event::RateLimited,
        Event::HeaderTimeout,
        Event::IdleTimeout,
        Event::AcceptFailed,
        Event::Refused,
        Event::Replay,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// What a burst of it means, for the log.
    fn what(self) -> &'static str {
        match self {
            Event::OverCap => "connections refused: the listener is at its connection cap",
            Event::RateLimited => "requests answered 429: over the listener's rate limit",
            Event::HeaderTimeout => "connections closed: no complete request head in time",
            Event::IdleTimeout => "connections closed: idle too long",
            Event::AcceptFailed => "accepting connections failed",
            Event::Refused => "requests refused",
            Event::Replay => "replayed requests acknowledged without effect",
        }
    }

    /// Floods and failures are warnings; timeouts and replays are what a listener does.
    fn is_warning(self) -> bool {
        matches!(
            self,
            Event::OverCap | Event::RateLimited | Event::AcceptFailed | Event::Refused
        )
    }
}

/// Every counter of a listener, at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Connections accepted and served (not counting the ones refused over the cap).
    pub accepted: u64,
    /// Connections being served now.
    pub open: u64,
    pub over_cap: u64,
    pub rate_limited: u64,
    pub header_timeouts: u64,
    pub idle_timeouts: u64,
    pub accept_failures: u64,
    pub refused: u64,
    pub replays: u64,
}

/// The event board of one listener. Cheap to clone (one `Arc`).
#[derive(Debug, Clone)]
pub struct Events {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    name: &'static str,
    accepted: AtomicU64,
    open: AtomicU64,
    bursts: Mutex<[Burst; 7]>,
}

impl Events {
    /// `name` says which listener in every line ("netbox webhook").
    pub fn new(name: &'static str) -> Self {
        Events {
            inner: Arc::new(Inner {
                name,
                accepted: AtomicU64::new(0),
                open: AtomicU64::new(0),
                bursts: Mutex::new(std::array::from_fn(|_| Burst::new(QUIET, PROGRESS))),
            }),
        }
    }

    pub fn name(&self) -> &'static str {
        self.inner.name
    }

    fn bursts(&self) -> MutexGuard<'_, [Burst; 7]> {
        // A panic while holding it cannot leave the counters inconsistent: keep counting.
        self.inner
            .bursts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts one `event`; the first of a burst is logged with `detail` (the peer, a reason).
    pub fn note(&self, event: Event, detail: &dyn std::fmt::Display) {
        let (begins, total) = {
            let mut bursts = self.bursts();
            let b = &mut bursts[event.index()];
            (b.note(Instant::now()), b.total())
        };
        if !begins {
            return;
        }
        let listener = self.inner.name;
        let what = event.what();
        if event.is_warning() {
            tracing::warn!(listener, %detail, total, "{what} (this burst is logged once; a summary follows when it ends)");
        } else {
            tracing::info!(listener, %detail, total, "{what} (this burst is logged once; a summary follows when it ends)");
        }
    }

    /// Writes the summaries that are due (the accept loop calls it every second or so).
    pub fn tick(&self) {
        let now = Instant::now();
        let due: Vec<(Event, Report, u64)> = {
            let mut bursts = self.bursts();
            Event::ALL
                .iter()
                .filter_map(|e| {
                    let b = &mut bursts[e.index()];
                    b.tick(now).map(|r| (*e, r, b.total()))
                })
                .collect()
        };
        let listener = self.inner.name;
        for (event, report, total) in due {
            let what = event.what();
            match report {
                Report::Ongoing { count, lasted } => tracing::warn!(
                    listener,
                    count,
                    lasted_s = lasted.as_secs(),
                    total,
                    "{what}: still going"
                ),
                Report::Ended { count, lasted } => tracing::info!(
                    listener,
                    count,
                    lasted_s = lasted.as_secs_f64(),
                    total,
                    "{what}: the burst is over"
                ),
            }
        }
    }

    pub(super) fn connection_opened(&self) {
        self.inner.accepted.fetch_add(1, Ordering::Relaxed);
        self.inner.open.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn connection_closed(&self) {
        self.inner.open.fetch_sub(1, Ordering::Relaxed);
    }

    /// Every counter now.
    pub fn counts(&self) -> Counts {
        let totals: Vec<u64> = self.bursts().iter().map(Burst::total).collect();
        let t = |e: Event| totals.get(e.index()).copied().unwrap_or(0);
        Counts {
            accepted: self.inner.accepted.load(Ordering::Relaxed),
            open: self.inner.open.load(Ordering::Relaxed),
            over_cap: t(Event::OverCap),
            rate_limited: t(Event::RateLimited),
            header_timeouts: t(Event::HeaderTimeout),
            idle_timeouts: t(Event::IdleTimeout),
            accept_failures: t(Event::AcceptFailed),
            refused: t(Event::Refused),
            replays: t(Event::Replay),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_has_its_own_counter() {
        let e = Events::new("test");
        for (i, event) in Event::ALL.iter().enumerate() {
            for _ in 0..=i {
                e.note(*event, &"detail");
            }
        }
        e.connection_opened();
        e.connection_opened();
        e.connection_closed();
        assert_eq!(
            e.counts(),
            Counts {
                accepted: 2,
                open: 1,
                over_cap: 1,
                rate_limited: 2,
                header_timeouts: 3,
                idle_timeouts: 4,
                accept_failures: 5,
                refused: 6,
                replays: 7,
            }
        );
    }
}
