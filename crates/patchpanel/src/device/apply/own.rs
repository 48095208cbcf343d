//! The bot's own device changes as they happen, for the configuration-change notifier: which device
//! and interface, for which reason, started and finished when. Every change through the `Applier`
//! is registered here before it reaches the device, so a notification that arrives mid-change is
//! already attributable; the notifier takes the device's lock before it reads, so it reads after the
//! change is over. The durable record of the same changes is the audit log (W2, W3), which covers a
//! restart; this registry covers the seconds before those entries are written. Bounded, newest kept.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Changes remembered (the notifier only asks about the last minutes).
pub const REMEMBERED: usize = 1024;

/// One change the bot made or is making.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnChange {
    pub device: String,
    /// The interface as the change named it (`GigabitEthernet1/0/7`).
    pub interface: String,
    /// Why (`ticket 42`, `approval … by …`).
    pub reason: String,
    pub started_ms: i64,
    pub finished_ms: Option<i64>,
}

type Hook = Arc<dyn Fn(&str) + Send + Sync>;

/// Shared by clones of the `Applier`.
#[derive(Clone, Default)]
pub struct OwnChanges {
    changes: Arc<Mutex<VecDeque<OwnChange>>>,
    /// Called with the device's name when a change finishes (the notifier checks the device).
    on_finish: Arc<Mutex<Option<Hook>>>,
}

impl std::fmt::Debug for OwnChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnChanges").finish_non_exhaustive()
    }
}

impl OwnChanges {
    /// Registers a change about to reach the device; the guard marks it finished when dropped.
    pub fn begin(&self, device: &str, interface: &str, reason: &str, now_ms: i64) -> Finishing {
        let mut changes = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        if changes.len() >= REMEMBERED {
            changes.pop_front();
        }
        changes.push_back(OwnChange {
            device: device.to_owned(),
            interface: interface.to_owned(),
            reason: reason.to_owned(),
            started_ms: now_ms,
            finished_ms: None,
        });
        Finishing {
            owner: self.clone(),
            device: device.to_owned(),
            started_ms: now_ms,
        }
    }

    /// Changes to `device` that started at or after `since_ms`, or are still running.
    pub fn on_device_since(&self, device: &str, since_ms: i64) -> Vec<OwnChange> {
        let changes = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        changes
            .iter()
            .filter(|c| c.device.eq_ignore_ascii_case(device))
            .filter(|c| c.started_ms >= since_ms || c.finished_ms.is_none())
            .cloned()
            .collect()
    }

    /// Sets what runs when a change finishes (once, at start-up).
    pub fn set_on_finish(&self, hook: impl Fn(&str) + Send + Sync + 'static) {
        *self.on_finish.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(hook));
    }

    fn finish(&self, device: &str, started_ms: i64, now_ms: i64) {
        {
            let mut changes = self.changes.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(c) = changes.iter_mut().rev().find(|c| {
                c.device == device && c.started_ms == started_ms && c.finished_ms.is_none()
            }) {
                c.finished_ms = Some(now_ms);
            }
        }
        let hook = self
            .on_finish
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(hook) = hook {
            hook(device);
        }
    }
}

/// Marks its change finished when dropped (on every path out of the apply, errors included).
#[must_use]
pub struct Finishing {
    owner: OwnChanges,
    device: String,
    started_ms: i64,
}

impl Drop for Finishing {
    fn drop(&mut self) {
        self.owner
            .finish(&self.device, self.started_ms, crate::clock::now_ms());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_change_is_visible_while_running_and_after() {
        let own = OwnChanges::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        own.set_on_finish(move |d| {
            assert_eq!(d, "c9300");
            c.fetch_add(1, Ordering::SeqCst);
        });
        let guard = own.begin("c9300", "GigabitEthernet1/0/7", "ticket 42", 100);
        let running = own.on_device_since("C9300", 1_000);
        assert_eq!(
            running.len(),
            1,
            "a running change is reported whatever the time"
        );
        drop(guard);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(own.on_device_since("c9300", 1_000).is_empty());
        let found = own.on_device_since("c9300", 100);
        assert_eq!(found[0].reason, "ticket 42");
        assert!(found[0].finished_ms.is_some());
        assert!(own.on_device_since("other", 0).is_empty());
    }

    #[test]
    fn it_is_bounded() {
        let own = OwnChanges::default();
        for i in 0..(REMEMBERED as i64 + 10) {
            drop(own.begin("d", "i", "r", i));
        }
        assert_eq!(own.on_device_since("d", 0).len(), REMEMBERED);
    }
}
