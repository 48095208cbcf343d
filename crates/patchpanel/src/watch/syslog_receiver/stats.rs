//! What the syslog receiver counts and how it logs it: one atomic counter per outcome (every
//! datagram and every TCP frame lands in exactly one of `config_changes`, `ignored`, `malformed`,
//! `oversized`, `unknown_sender`), and one log line per burst of each notable event (the
//! listener's pure `Burst`), so a flood of garbage is a handful of lines, not one per message.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::listener::{Burst, Report};

/// A burst ends after this long without its event.
const QUIET: Duration = Duration::from_secs(5);
/// A burst that goes on is summarised this often.
const PROGRESS: Duration = Duration::from_secs(60);

/// Every counter of the receiver at one moment. Since the start; `open_connections` is now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyslogStats {
    /// UDP datagrams received.
    pub datagrams: u64,
    /// Frames cut from TCP streams (a broken frame, which ends its connection, included).
    pub frames: u64,
    /// Configuration-change messages from a known sender (each gave one signal per device).
    pub config_changes: u64,
    /// Well-formed messages that are not a configuration change.
    pub ignored: u64,
    /// Messages that are not syslog (no `<PRI>`, not UTF-8, a bad octet count).
    pub malformed: u64,
    /// Datagrams and frames over `syslog::MAX_MESSAGE` (a TCP octet count included).
    pub oversized: u64,
    /// Configuration changes from an address the address book does not know: no signal.
    pub unknown_sender: u64,
    /// Signals the queue took (a new entry or merged into the device's waiting one).
    pub signals: u64,
    /// Signals the queue refused: it holds as many devices as it may (the safety-net poll
    /// still checks them).
    pub queue_full: u64,
    /// TCP connections accepted and served.
    pub connections: u64,
    /// TCP connections being served now.
    pub open_connections: u64,
    /// TCP connections over the cap: accepted and closed at once.
    pub over_cap: u64,
    /// TCP connections closed because nothing came for the idle timeout, or a frame begun was
    /// not finished within the frame timeout.
    pub timeouts: u64,
    /// TCP connections closed because their stream could no longer be framed.
    pub broken_streams: u64,
    /// `recv`/`accept` failures (out of descriptors, …).
    pub socket_errors: u64,
}

impl SyslogStats {
    /// Datagrams and frames taken; equal to the sum of the five outcomes.
    pub fn messages(&self) -> u64 {
        self.datagrams + self.frames
    }

    /// The sum of the five outcomes each message lands in.
    pub fn outcomes(&self) -> u64 {
        self.config_changes + self.ignored + self.malformed + self.oversized + self.unknown_sender
    }
}

/// The notable events, each logged once per burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Event {
    UnknownSender,
    Malformed,
    Oversized,
    QueueFull,
    OverCap,
    Timeout,
    BrokenStream,
    SocketError,
}

impl Event {
    const ALL: [Event; 8] = [
        Event::UnknownSender,
        Event::Malformed,
        Event::Oversized,
        Event::QueueFull,
        Event::OverCap,
        Event::Timeout,
        Event::BrokenStream,
        Event::SocketError,
    ];

    fn what(self) -> &'static str {
        match self {
            Event::UnknownSender => {
                "syslog configuration changes from an address no managed device has: ignored"
            }
            Event::Malformed => "syslog messages that are not syslog: ignored",
            Event::Oversized => "syslog messages over the size limit: ignored",
            Event::QueueFull => "change signals dropped: the queue holds as many devices as it may",
            Event::OverCap => "syslog TCP connections refused: at the connection cap",
            Event::Timeout => {
                "syslog TCP connections closed: idle, or a frame not finished in time"
            }
            Event::BrokenStream => "syslog TCP connections closed: the stream cannot be framed",
            Event::SocketError => "syslog socket errors",
        }
    }

    /// Unknown senders and a full queue mean the bot misses changes; the rest is noise it copes with.
    fn is_warning(self) -> bool {
        matches!(
            self,
            Event::UnknownSender | Event::QueueFull | Event::OverCap | Event::SocketError
        )
    }
}

#[derive(Debug, Default)]
pub(super) struct Counters {
    pub datagrams: AtomicU64,
    pub frames: AtomicU64,
    pub config_changes: AtomicU64,
    pub ignored: AtomicU64,
    pub malformed: AtomicU64,
    pub oversized: AtomicU64,
    pub unknown_sender: AtomicU64,
    pub signals: AtomicU64,
    pub queue_full: AtomicU64,
    pub connections: AtomicU64,
    pub open_connections: AtomicU64,
    pub over_cap: AtomicU64,
    pub timeouts: AtomicU64,
    pub broken_streams: AtomicU64,
    pub socket_errors: AtomicU64,
}

pub(super) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// The counters and burst logs of one receiver, shared by its tasks. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SyslogCounters {
    inner: Arc<Board>,
}

#[derive(Debug)]
struct Board {
    counters: Counters,
    bursts: Mutex<[Burst; 8]>,
}

impl SyslogCounters {
    pub(super) fn new() -> Self {
        SyslogCounters {
            inner: Arc::new(Board {
                counters: Counters::default(),
                bursts: Mutex::new(std::array::from_fn(|_| Burst::new(QUIET, PROGRESS))),
            }),
        }
    }

    pub(super) fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    /// Every counter now.
    pub fn snapshot(&self) -> SyslogStats {
        let c = &self.inner.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        SyslogStats {
            datagrams: get(&c.datagrams),
            frames: get(&c.frames),
            config_changes: get(&c.config_changes),
            ignored: get(&c.ignored),
            malformed: get(&c.malformed),
            oversized: get(&c.oversized),
            unknown_sender: get(&c.unknown_sender),
            signals: get(&c.signals),
            queue_full: get(&c.queue_full),
            connections: get(&c.connections),
            open_connections: get(&c.open_connections),
            over_cap: get(&c.over_cap),
            timeouts: get(&c.timeouts),
            broken_streams: get(&c.broken_streams),
            socket_errors: get(&c.socket_errors),
        }
    }

    /// Logs `event` if it begins a burst, with `detail` (the peer, a reason); the caller counted it.
    pub(super) fn note(&self, event: Event, detail: &dyn std::fmt::Display) {
        let begins = {
            // A panic while holding it cannot leave a burst inconsistent: keep going.
            let mut bursts = self
                .inner
                .bursts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            bursts[event as usize].note(Instant::now())
        };
        if !begins {
            return;
        }
        let what = event.what();
        if event.is_warning() {
            tracing::warn!(%detail, "{what} (this burst is logged once; a summary follows when it ends)");
        } else {
            tracing::info!(%detail, "{what} (this burst is logged once; a summary follows when it ends)");
        }
    }

    /// Writes the summaries that are due (the receiver calls it every second).
    pub(super) fn tick(&self) {
        let now = Instant::now();
        let due: Vec<(Event, Report)> = {
            let mut bursts = self
                .inner
                .bursts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Event::ALL
                .iter()
                .filter_map(|e| bursts[*e as usize].tick(now).map(|r| (*e, r)))
                .collect()
        };
        for (event, report) in due {
            let what = event.what();
            match report {
                Report::Ongoing { count, lasted } => {
                    tracing::warn!(count, lasted_s = lasted.as_secs(), "{what}: still going")
                }
                Report::Ended { count, lasted } => tracing::info!(
                    count,
                    lasted_s = lasted.as_secs_f64(),
                    "{what}: the burst is over"
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_has_a_burst_and_the_snapshot_reads_every_counter() {
        let s = SyslogCounters::new();
        for e in Event::ALL {
            s.note(e, &"detail");
            s.note(e, &"detail");
        }
        s.tick();
        bump(&s.counters().datagrams);
        bump(&s.counters().ignored);
        let snap = s.snapshot();
        assert_eq!((snap.messages(), snap.outcomes()), (1, 1));
        assert_eq!(snap.over_cap, 0, "noting logs; the caller counts");
    }
}
