//! The one queue between the change signals and the watcher: bounded by the number of devices, not
//! by the number of signals. A signal for a device already waiting is merged into its entry (who,
//! edits, how many), so ten signals for one change are one check and a flood of syslog lines for one
//! switch costs one map entry. `push` never blocks and never awaits, so the syslog receiver and the
//! NETCONF subscription threads (blocking ssh2) can call it directly.

use super::signal::{ChangedBy, Signal, Via};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
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
    /// How much to trust each part of `by` (user, source host, line): see [`trust`].
    by_trust: [u8; 3],
}

/// How far a signal's word on who changed the device is trusted: a NETCONF notification comes
/// from the device over an authenticated session; a syslog datagram can be forged by anyone who
/// can send UDP from the device's address; a poll says nothing. Between two of the same trust,
/// the later one describes the later change.
fn trust(via: Via) -> u8 {
    match via {
        Via::Notification => 2,
        Via::Syslog => 1,
        _ => 0,
    }
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
            by_trust: [0; 3],
        };
        p.take_by(s.by, [trust(s.via); 3]);
        p.take_edits(s.edits);
        p
    }

    /// Folds a later entry for the same device into this one.
    pub fn absorb(&mut self, later: Pending) {
        self.signals = self.signals.saturating_add(later.signals);
        self.first_at_ms = self.first_at_ms.min(later.first_at_ms);
        self.last_at_ms = self.last_at_ms.max(later.last_at_ms);
        self.vias.extend(later.vias);
        self.edits_left_out += later.edits_left_out;
        self.take_by(later.by, later.by_trust);
        self.take_edits(later.edits);
    }

    fn merge(&mut self, s: Signal) {
        self.signals = self.signals.saturating_add(1);
        self.first_at_ms = self.first_at_ms.min(s.at_ms);
        self.last_at_ms = self.last_at_ms.max(s.at_ms);
        self.vias.insert(s.via);
        self.take_by(s.by, [trust(s.via); 3]);
        self.take_edits(s.edits);
    }

    /// Each part of `by` from the most trusted signal that told it, the later on a tie: the
    /// syslog line and the notification of one change complete each other (one names the
    /// terminal line, the other the session), and a forged syslog line cannot outrank the
    /// device's own notification.
    fn take_by(&mut self, by: ChangedBy, trust: [u8; 3]) {
        let ChangedBy {
            user,
            source_host,
            line,
        } = by;
        for (i, (slot, value)) in [
            (&mut self.by.user, user),
            (&mut self.by.source_host, source_host),
            (&mut self.by.line, line),
        ]
        .into_iter()
        .enumerate()
        {
            if value.is_some() && (slot.is_none() || trust[i] >= self.by_trust[i]) {
                *slot = value;
                self.by_trust[i] = trust[i];
            }
        }
    }

    fn take_edits(&mut self, edits: Vec<String>) {
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
    /// Devices taken and not yet [`SignalQueue::done`]: their new signals wait, so one device is
    /// never checked twice at once.
    busy: HashSet<String>,
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

    /// The oldest waiting entry of a device not being checked, if any, without waiting; its
    /// device is busy until [`Self::done`].
    pub fn try_next(&self) -> Option<Pending> {
        let mut inner = match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let Inner {
            order,
            waiting,
            busy,
        } = &mut *inner;
        let at = order.iter().position(|d| !busy.contains(d))?;
        let device = order.remove(at)?;
        let p = waiting.remove(&device)?;
        busy.insert(device);
        Some(p)
    }

    /// The check of `device` is over: signals that arrived meanwhile can be taken.
    pub fn done(&self, device: &str) {
        let ready = {
            let mut inner = match self.inner.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            inner.busy.remove(device);
            inner.waiting.contains_key(device)
        };
        if ready {
            self.ready.notify_one();
        }
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
    fn signals_complete_each_others_attribution_and_edits_are_bounded() {
        let q = SignalQueue::new(4);
        q.push(sig("a", Via::Poll, 0));
        let mut forged = sig("a", Via::Syslog, 1);
        forged.by.user = Some("forger".into());
        q.push(forged);
        let mut n = sig("a", Via::Notification, 2);
        n.by.user = Some("admin".into());
        n.by.source_host = Some("10.1.1.1".into());
        q.push(n);
        let mut s = sig("a", Via::Syslog, 3);
        s.by.user = Some("someone".into());
        s.by.line = Some("vty0".into());
        q.push(s);
        let mut n = sig("a", Via::Notification, 3);
        n.edits = (0..MAX_EDITS + 5).map(|i| format!("/p{i}")).collect();
        n.edits.push("/p0".into());
        q.push(n);
        let p = q.try_next().expect("entry");
        assert_eq!(
            p.by.user.as_deref(),
            Some("admin"),
            "the notification outranks syslog"
        );
        assert_eq!(p.by.source_host.as_deref(), Some("10.1.1.1"));
        assert_eq!(p.by.line.as_deref(), Some("vty0"), "told by a later signal");
        assert_eq!(p.edits.len(), MAX_EDITS);
        assert_eq!(p.edits_left_out, 5);
    }

    #[test]
    fn a_busy_device_is_not_handed_out_twice() {
        let q = SignalQueue::new(4);
        q.push(sig("a", Via::Syslog, 1));
        let first = q.try_next().expect("a");
        q.push(sig("a", Via::Notification, 2));
        q.push(sig("b", Via::Poll, 3));
        assert_eq!(q.try_next().map(|p| p.device), Some("b".into()));
        assert!(q.try_next().is_none(), "a is still being checked");
        q.done(&first.device);
        assert_eq!(q.try_next().map(|p| p.signals), Some(1));
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
