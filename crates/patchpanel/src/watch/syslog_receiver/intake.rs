//! One message, whatever carried it: parsed, recognised, its sender turned into device names and a
//! signal pushed per device. Synchronous and bounded: nothing here waits (the address book and the
//! queue are in-memory maps behind short locks), so the UDP loop keeps up with a flood, and nothing
//! is remembered per message.

use std::net::IpAddr;
use std::sync::Arc;

use super::stats::{bump, Event, SyslogCounters};
use crate::syslog::{self, Malformed};
use crate::text_safety::excerpt;
use crate::watch::addresses::AddressBook;
use crate::watch::queue::{Pushed, SignalQueue};
use crate::watch::signal::{now_ms, ChangedBy, Signal, Via};

/// What became of one message (for tests; the counters say the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Taken {
    /// A configuration change: this many signals pushed (queued or merged), this many refused.
    Change {
        signals: usize,
        full: usize,
    },
    Ignored,
    Malformed,
    Oversized,
    UnknownSender,
}

/// Longest hostname quoted in a log line.
const LOGGED_HOSTNAME: usize = 64;

#[derive(Debug)]
pub(super) struct Intake {
    queue: Arc<SignalQueue>,
    book: Arc<AddressBook>,
    stats: SyslogCounters,
}

impl Intake {
    pub(super) fn new(
        queue: Arc<SignalQueue>,
        book: Arc<AddressBook>,
        stats: SyslogCounters,
    ) -> Intake {
        Intake { queue, book, stats }
    }

    pub(super) fn stats(&self) -> &SyslogCounters {
        &self.stats
    }

    /// A UDP datagram (at most `MAX_MESSAGE + 1` bytes of it: more means it was longer).
    pub(super) fn datagram(&self, bytes: &[u8], sender: IpAddr) -> Taken {
        bump(&self.stats.counters().datagrams);
        self.message(bytes, sender)
    }

    /// A frame cut from a TCP stream.
    pub(super) fn frame(&self, bytes: &[u8], sender: IpAddr) -> Taken {
        bump(&self.stats.counters().frames);
        self.message(bytes, sender)
    }

    /// A TCP frame that could not be cut: counted as one message, and the stream as broken (the
    /// caller closes it).
    pub(super) fn broken_frame(&self, why: &Malformed, sender: IpAddr) -> Taken {
        let c = self.stats.counters();
        bump(&c.frames);
        bump(&c.broken_streams);
        self.stats
            .note(Event::BrokenStream, &format_args!("{sender}: {why}"));
        self.refused(why, sender)
    }

    fn refused(&self, why: &Malformed, sender: IpAddr) -> Taken {
        let c = self.stats.counters();
        if let Malformed::TooLong(_) = why {
            bump(&c.oversized);
            self.stats
                .note(Event::Oversized, &format_args!("from {sender}: {why}"));
            Taken::Oversized
        } else {
            bump(&c.malformed);
            self.stats
                .note(Event::Malformed, &format_args!("from {sender}: {why}"));
            Taken::Malformed
        }
    }

    fn message(&self, bytes: &[u8], sender: IpAddr) -> Taken {
        let c = self.stats.counters();
        let message = match syslog::parse(bytes) {
            Ok(m) => m,
            Err(why) => return self.refused(&why, sender),
        };
        let Some(change) = syslog::config_changed(&message.text) else {
            bump(&c.ignored);
            return Taken::Ignored;
        };
        let devices = self.book.devices_at(sender, message.hostname.as_deref());
        if devices.is_empty() {
            bump(&c.unknown_sender);
            let host = message
                .hostname
                .as_deref()
                .map(|h| excerpt(h, LOGGED_HOSTNAME));
            self.stats.note(
                Event::UnknownSender,
                &format_args!(
                    "from {sender} (hostname {}); the address book knows the managed devices' addresses",
                    host.as_deref().unwrap_or("not given")
                ),
            );
            return Taken::UnknownSender;
        }
        bump(&c.config_changes);
        let at_ms = now_ms();
        let (mut signals, mut full) = (0, 0);
        for device in devices {
            let signal = Signal {
                device,
                via: Via::Syslog,
                at_ms,
                by: ChangedBy {
                    user: change.by.clone(),
                    source_host: change.from.clone(),
                    line: change.line.clone(),
                },
                edits: Vec::new(),
            };
            let name = signal.device.clone();
            match self.queue.push(signal) {
                Pushed::Queued | Pushed::Merged => {
                    bump(&c.signals);
                    signals += 1;
                }
                Pushed::Full => {
                    bump(&c.queue_full);
                    full += 1;
                    self.stats.note(
                        Event::QueueFull,
                        &format_args!("{name} (from {sender}): the periodic check will see it"),
                    );
                }
            }
        }
        Taken::Change { signals, full }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn intake(capacity: usize) -> (Intake, Arc<SignalQueue>) {
        let queue = Arc::new(SignalQueue::new(capacity));
        let book = Arc::new(AddressBook::new());
        book.replace([
            (ip("10.0.0.1"), "c9300".to_owned()),
            (ip("127.0.0.1"), "sw1".to_owned()),
            (ip("127.0.0.1"), "sw2".to_owned()),
        ]);
        (
            Intake::new(queue.clone(), book, SyslogCounters::new()),
            queue,
        )
    }

    const CONFIG_I: &[u8] =
        b"<189>42: *Dec  4 07:30:01.123: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.1.1.1)";

    #[test]
    fn a_change_from_a_known_address_is_a_signal_with_who_and_where() {
        let (i, q) = intake(8);
        assert_eq!(
            i.datagram(CONFIG_I, ip("10.0.0.1")),
            Taken::Change {
                signals: 1,
                full: 0
            }
        );
        let p = q.try_next().unwrap();
        assert_eq!(p.device, "c9300");
        assert_eq!(p.vias.into_iter().collect::<Vec<_>>(), [Via::Syslog]);
        assert_eq!(p.by.user.as_deref(), Some("admin"));
        assert_eq!(p.by.line.as_deref(), Some("vty0"));
        assert_eq!(p.by.source_host.as_deref(), Some("10.1.1.1"));
    }

    #[test]
    fn a_shared_address_signals_the_device_its_hostname_names_or_all() {
        let (i, q) = intake(8);
        let named = b"<13>1 2026-12-04T08:40:37Z sw2 root - - - %SYS-5-CONFIG_I: Configured from console by eve";
        assert_eq!(
            i.frame(named, ip("127.0.0.1")),
            Taken::Change {
                signals: 1,
                full: 0
            }
        );
        assert_eq!(q.try_next().map(|p| p.device).as_deref(), Some("sw2"));
        assert_eq!(
            i.frame(CONFIG_I, ip("127.0.0.1")),
            Taken::Change {
                signals: 2,
                full: 0
            }
        );
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn everything_else_is_counted_in_exactly_one_place() {
        let (i, q) = intake(1);
        assert_eq!(i.datagram(CONFIG_I, ip("10.9.9.9")), Taken::UnknownSender);
        assert_eq!(
            i.datagram(
                b"<190>%LINK-3-UPDOWN: Interface Gi1/0/2, changed state to up",
                ip("10.0.0.1")
            ),
            Taken::Ignored
        );
        assert_eq!(i.datagram(b"garbage", ip("10.0.0.1")), Taken::Malformed);
        let big = vec![b'<'; syslog::MAX_MESSAGE + 1];
        assert_eq!(i.datagram(&big, ip("10.0.0.1")), Taken::Oversized);
        assert_eq!(
            i.broken_frame(&Malformed::TooLong(1 << 40), ip("10.0.0.1")),
            Taken::Oversized
        );
        assert_eq!(
            i.broken_frame(&Malformed::BadOctetCount, ip("10.0.0.1")),
            Taken::Malformed
        );
        // Capacity 1: the second device does not fit.
        assert_eq!(
            i.datagram(CONFIG_I, ip("127.0.0.1")),
            Taken::Change {
                signals: 1,
                full: 1
            }
        );
        assert_eq!(q.len(), 1);
        let s = i.stats().snapshot();
        assert_eq!(s.messages(), 7);
        assert_eq!(s.outcomes(), 7, "{s:?}");
        assert_eq!(
            (
                s.unknown_sender,
                s.ignored,
                s.malformed,
                s.oversized,
                s.config_changes
            ),
            (1, 1, 2, 2, 1)
        );
        assert_eq!((s.signals, s.queue_full, s.broken_streams), (1, 1, 2));
    }
}
