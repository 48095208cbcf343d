//! The one queue between the change signals and the watcher: bounded by the number of devices, not
//! by the number of signals. A signal for a device already waiting is merged into its entry (who,
//! edits, how many), so ten signals for one change are one check and a flood of syslog lines for one
//! switch costs one map entry. `push` never blocks and never awaits, so the syslog receiver and the
//! NETCONF subscription threads (blocking ssh2) can call it directly.

use super::signal::{ChangedBy, Signal, Via};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Mutex;
use tokio::sync::Notify;

/// Most configuration paths remembered per waiting device (the rest are counted).
pub const MAX_EDITS: usize = 64;

/// What the watcher takes off the queue: every signal for one device since it was last taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub device: String,
    /// The first signal's arrival (Unix ms).
    pub first_at_ms: i64,
    /// The last signal's arrival (Unix ms).
    pub last_at_ms: i64,
    pub vias: BTreeSet<Via>,
    /// How many signals were merged into this entry.
    pub signals: u32,
    /// The most specific attribution seen: the latest signal that named a user.
    pub by: ChangedBy,
    pub edits: Vec<String>,
    /// Paths beyond [`MAX_EDITS`], counted.
    pub edits_left_out: usize,
}

impl Pending {
    fn from_signal(s: Signal) -> Pending {
        let mut p = Pending {
            device: s.device,
            first_at_ms: s.at_ms,
            last_at_ms: s.at_ms,
            vias: BTreeSet::from([s.via]),
            signals: 1,
            by: ChangedBy::default(),
            edits: Vec::new(),
            edits_left_out: 0,
        };
        p.take_details(s.by, s.edits);
        p
    }

    /// Folds a later entry for the same device into this one.
    pub fn absorb(&mut self, later: Pending) {
        self.signals = self.signals.saturating_add(later.signals);
        self.first_at_ms = self.first_at_ms.min(later.first_at_ms);
        self.last_at_ms = self.last_at_ms.max(later.last_at_ms);
        self.vias.extend(later.vias);
        self.edits_left_out += later.edits_left_out;
        self.take_details(later.by, later.edits);
    }

    fn merge(&mut self, s: Signal) {
        self.signals = self.signals.saturating_add(1);
        self.first_at_ms = self.first_at_ms.min(s.at_ms);
        self.last_at_ms = self.last_at_ms.max(s.at_ms);
        self.vias.insert(s.via);
        self.take_details(s.by, s.edits);
    }

    fn take_details(&mut self, by: ChangedBy, edits: Vec<String>) {
        // A signal that names a user is more specific than one that does not; between two that
        // do, the later one describes the later change.
        if by.user.is_some() || self.by.is_empty() {
            let ChangedBy {
                user,
                source_host,
                line,
            } = by;
            self.by.user = user.or(self.by.user.take());
            self.by.source_host = source_host.or(self.by.source_host.take());
            self.by.line = line.or(self.by.line.take());
        }
        for e in edits {
            if self.edits.contains(&e) {
                continue;
            }
            if self.edits.len() < MAX_EDITS {
                self.edits.push(e);
            } else {
                self.edits_left_out += 1;
            }
        }
    }
}

/// What [`SignalQueue::push`] did with a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// A new entry for the device.
    Queued,
    /// Merged into the device's waiting entry.
    Merged,
    /// The queue holds `capacity` devices already and this one is not among them: dropped. The
    /// safety-net poll still checks the device.
    Full,
}

#[derive(Debug, Default)]
struct Inner {
    order: VecDeque<String>,
    waiting: HashMap<String, Pending>,
}

/// Bounded, coalescing, multi-producer single-consumer.
#[derive(Debug)]
pub struct SignalQueue {
    inner: Mutex<Inner>,
    ready: Notify,
    capacity: usize,
}

impl SignalQueue {
    /// At most `capacity` devices waiting at once (at least 1).
    pub fn new(capacity: usize) -> SignalQueue {
        SignalQueue {
            inner: Mutex::new(Inner::default()),
            ready: Notify::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn push(&self, signal: Signal) -> Pushed {
        let pushed = {
            let mut inner = match self.inner.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            if let Some(p) = inner.waiting.get_mut(&signal.device) {
                p.merge(signal);
                Pushed::Merged
            } else if inner.waiting.len() >= self.capacity {
                Pushed::Full
            } else {
                inner.order.push_back(signal.device.clone());
                inner
                    .waiting
                    .insert(signal.device.clone(), Pending::from_signal(signal));
                Pushed::Queued
            }
        };
        if pushed == Pushed::Queued {
            self.ready.notify_one();
        }
        pushed
    }

    /// The oldest waiting device's entry, if any, without waiting.
    pub fn try_next(&self) -> Option<Pending> {
        let mut inner = match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        while let Some(device) = inner.order.pop_front() {
            if let Some(p) = inner.waiting.remove(&device) {
                return Some(p);
            }
        }
        None
    }

    /// Takes `device`'s waiting entry, if any (the watcher merges what arrived while it settled).
    pub fn take(&self, device: &str) -> Option<Pending> {
        let mut inner = match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let p = inner.waiting.remove(device)?;
        inner.order.retain(|d| d != device);
        Some(p)
    }

    /// Waits for the oldest waiting device's entry. Cancel-safe: nothing is taken until it returns.
    pub async fn next(&self) -> Pending {
        loop {
            let notified = self.ready.notified();
            if let Some(p) = self.try_next() {
                return p;
            }
            notified.await;
        }
    }

    /// Devices waiting now.
    pub fn len(&self) -> usize {
        match self.inner.lock() {
            Ok(g) => g.waiting.len(),
            Err(poisoned) => poisoned.into_inner().waiting.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(device: &str, via: Via, at: i64) -> Signal {
        Signal::new(device, via, at)
    }

    #[test]
    fn signals_for_one_device_are_one_entry() {
        let q = SignalQueue::new(8);
        assert_eq!(q.push(sig("a", Via::Syslog, 1)), Pushed::Queued);
        for i in 0..9 {
            assert_eq!(q.push(sig("a", Via::Notification, 2 + i)), Pushed::Merged);
        }
        assert_eq!(q.len(), 1);
        let p = q.try_next().expect("one entry");
        assert_eq!(p.signals, 10);
        assert_eq!((p.first_at_ms, p.last_at_ms), (1, 10));
        assert_eq!(
            p.vias.into_iter().collect::<Vec<_>>(),
            [Via::Syslog, Via::Notification]
        );
        assert!(q.try_next().is_none());
    }

    #[test]
    fn devices_come_out_in_arrival_order_and_the_bound_holds() {
        let q = SignalQueue::new(2);
        q.push(sig("b", Via::Poll, 1));
        q.push(sig("a", Via::Poll, 2));
        assert_eq!(q.push(sig("c", Via::Syslog, 3)), Pushed::Full);
        assert_eq!(q.push(sig("a", Via::Syslog, 4)), Pushed::Merged);
        assert_eq!(q.try_next().map(|p| p.device), Some("b".into()));
        assert_eq!(q.push(sig("c", Via::Syslog, 5)), Pushed::Queued);
        assert_eq!(q.try_next().map(|p| p.device), Some("a".into()));
        assert_eq!(q.try_next().map(|p| p.device), Some("c".into()));
    }

    #[test]
    fn the_signal_that_names_a_user_wins_and_edits_are_bounded() {
        let q = SignalQueue::new(4);
        let mut s = sig("a", Via::Syslog, 1);
        s.by.user = Some("admin".into());
        s.by.source_host = Some("10.1.1.1".into());
        s.by.line = Some("vty0".into());
        q.push(s);
        q.push(sig("a", Via::Poll, 2));
        let mut n = sig("a", Via::Notification, 3);
        n.edits = (0..MAX_EDITS + 5).map(|i| format!("/p{i}")).collect();
        n.edits.push("/p0".into());
        q.push(n);
        let p = q.try_next().expect("entry");
        assert_eq!(p.by.user.as_deref(), Some("admin"));
        assert_eq!(p.by.line.as_deref(), Some("vty0"));
        assert_eq!(p.edits.len(), MAX_EDITS);
        assert_eq!(p.edits_left_out, 5);
    }

    #[test]
    fn take_merges_what_arrived_while_settling() {
        let q = SignalQueue::new(4);
        q.push(sig("a", Via::Poll, 1));
        q.push(sig("b", Via::Poll, 2));
        let mut first = q.try_next().expect("a");
        let mut later = sig("a", Via::Syslog, 5);
        later.by.user = Some("admin".into());
        q.push(later);
        first.absorb(q.take("a").expect("later a"));
        assert_eq!(first.signals, 2);
        assert_eq!(first.by.user.as_deref(), Some("admin"));
        assert!(q.take("a").is_none());
        assert_eq!(q.try_next().map(|p| p.device), Some("b".into()));
    }

    #[tokio::test]
    async fn next_waits_for_a_push() {
        let q = std::sync::Arc::new(SignalQueue::new(4));
        let q2 = q.clone();
        let waiter = tokio::spawn(async move { q2.next().await });
        tokio::task::yield_now().await;
        q.push(sig("x", Via::Syslog, 1));
        let p = waiter.await.expect("joined");
        assert_eq!(p.device, "x");
    }
}
