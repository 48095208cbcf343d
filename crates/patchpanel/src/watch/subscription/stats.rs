//! What the subscriptions report: counters (atomics, read without locking) and each device's state,
//! updated by the subscription threads and read by whoever shows the notifier's health.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Where one device's subscription stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionState {
    /// The first connect is under way (since, Unix ms).
    Connecting { since_ms: i64 },
    /// Subscribed since `since_ms` on NETCONF session `session_id`.
    Subscribed {
        since_ms: i64,
        session_id: Option<u32>,
    },
    /// Down since `since_ms` (why), resubscribing with backoff; the poll covers the device meanwhile.
    Reconnecting { since_ms: i64, reason: String },
    /// The device does not offer `:notification`: syslog and the poll must cover it.
    NotOffered,
    /// Shut down.
    Stopped,
}

/// Counters over every subscription (atomics, read without locking) and each device's state.
#[derive(Debug, Default)]
pub struct SubscriptionStats {
    pub(super) notifications: AtomicU64,
    pub(super) config_changes: AtomicU64,
    pub(super) rollbacks: AtomicU64,
    pub(super) other_events: AtomicU64,
    pub(super) malformed: AtomicU64,
    pub(super) subscribes: AtomicU64,
    pub(super) resubscriptions: AtomicU64,
    pub(super) drops: AtomicU64,
    pub(super) notifications_lost: AtomicU64,
    pub(super) signals_dropped: AtomicU64,
    /// Device → (generation of its thread, state); a retired thread's late update is ignored.
    states: Mutex<BTreeMap<String, (u64, SubscriptionState)>>,
}

/// A copy of [`SubscriptionStats`] at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Every notification received (config changes, other events and malformed ones included).
    pub notifications: u64,
    pub config_changes: u64,
    /// Confirmed commits the device rolled back (`timeout`/`cancel`).
    pub rollbacks: u64,
    /// Events that are not a config change (session start/end, vendor events): counted, ignored.
    pub other_events: u64,
    pub malformed: u64,
    /// Successful subscribes, the first ones included.
    pub subscribes: u64,
    /// Successful subscribes after a drop or failure.
    pub resubscriptions: u64,
    /// Subscriptions that were up and went down.
    pub drops: u64,
    /// Notifications the session's queue had no room for (a check signal was pushed instead).
    pub notifications_lost: u64,
    /// Signals the full [`SignalQueue`] refused (the poll still checks those devices).
    pub signals_dropped: u64,
    pub states: BTreeMap<String, SubscriptionState>,
}

pub(super) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl SubscriptionStats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            notifications: get(&self.notifications),
            config_changes: get(&self.config_changes),
            rollbacks: get(&self.rollbacks),
            other_events: get(&self.other_events),
            malformed: get(&self.malformed),
            subscribes: get(&self.subscribes),
            resubscriptions: get(&self.resubscriptions),
            drops: get(&self.drops),
            notifications_lost: get(&self.notifications_lost),
            signals_dropped: get(&self.signals_dropped),
            states: self
                .lock_states()
                .iter()
                .map(|(k, (_, s))| (k.clone(), s.clone()))
                .collect(),
        }
    }

    /// One device's state, if it is subscribed to (or tried).
    pub fn state(&self, device: &str) -> Option<SubscriptionState> {
        self.lock_states().get(device).map(|(_, s)| s.clone())
    }

    pub(super) fn lock_states(
        &self,
    ) -> std::sync::MutexGuard<'_, BTreeMap<String, (u64, SubscriptionState)>> {
        match self.states.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Updates the state only if `generation` still owns the device's entry.
    pub(super) fn set_state(&self, device: &str, generation: u64, state: SubscriptionState) {
        if let Some(entry) = self.lock_states().get_mut(device) {
            if entry.0 == generation {
                entry.1 = state;
            }
        }
    }
}
