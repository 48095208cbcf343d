//! The NETCONF edge of the configuration-change notifier: one long-lived RFC 5277 subscription per
//! device that offers `:notification`, each on its own blocking thread (ssh2), turning RFC 6470
//! `netconf-config-change` events into [`Signal`]s on the [`SignalQueue`].
//!
//! Why a check signal after every (re)subscribe: a change made while no subscription was up sends
//! no notification anyone receives, so each successful subscribe pushes a `Via::Resubscribed` signal and the
//! watcher compares the device with its snapshot. A confirmed commit rolled back by the device
//! (`netconf-confirmed-commit` `timeout`/`cancel`) is a signal too: netconfd 2.13 sends no config
//! change for it (docs/netconf.md §3). A device without `:notification` is logged once and left to
//! syslog and the poll (`SubscriptionState::NotOffered`).
//!
//! Threads are owned: each has a stop flag checked at every wake-up (at most
//! [`SubscriptionConfig::wake`] apart) and is joined by [`Subscriptions::shutdown`]. Nothing here
//! blocks an async worker except `shutdown`, which says so (use [`Subscriptions::stop`] from async).

use super::queue::{Pushed, SignalQueue};
use super::signal::{now_ms, ChangedBy, Signal, Via};
use crate::backoff::Backoff;
use crate::device::connect::connect_options;
use crate::device::netconf::notification::{
    ChangedBy as NcChangedBy, ConfigChange, ConfirmedCommit, Event, SessionInfo,
};
use crate::device::netconf::rpc::NETCONF_STREAM;
use crate::device::netconf::{ConnectOptions, NetconfError, NetconfSession, ReceiveError};
use crate::device::{Device, DeviceSettings};
use stats::bump;
pub use stats::{StatsSnapshot, SubscriptionState, SubscriptionStats};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

mod stats;

/// Timings of every subscription thread.
#[derive(Debug, Clone)]
pub struct SubscriptionConfig {
    /// Bounds connect + hello and each rpc (create-subscription, keepalive, close).
    pub timeout: Duration,
    /// Longest a thread waits for a notification before checking its stop flag.
    pub wake: Duration,
    /// After this long without a message, a keepalive rpc proves the session alive (only with
    /// `:interleave`; RFC 5277 §6 allows no other rpc on a subscribed session).
    pub keepalive_after: Duration,
    /// First wait after a failed (re)subscribe, doubling up to `backoff_max` (jittered).
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// A subscription that lasted this long starts the next outage's backoff from `backoff_base`.
    pub stable_after: Duration,
}

impl Default for SubscriptionConfig {
    fn default() -> Self {
        SubscriptionConfig {
            timeout: Duration::from_secs(15),
            wake: Duration::from_secs(1),
            keepalive_after: Duration::from_secs(120),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
            stable_after: Duration::from_secs(60),
        }
    }
}

/// Why a subscription thread could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    /// The OS refused a thread: raise the process's thread limit or watch fewer devices; the device
    /// is left to syslog and the poll until the next `set_devices`.
    #[error("cannot start the NETCONF subscription thread for {device}: {reason}")]
    Spawn { device: String, reason: String },
}

struct Worker {
    device: Device,
    stop: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

impl Worker {
    fn signal_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.thread().unpark();
    }
}

/// Every device's subscription. Owns its threads; see the module docs.
pub struct Subscriptions {
    settings: Arc<DeviceSettings>,
    config: SubscriptionConfig,
    queue: Arc<SignalQueue>,
    stats: Arc<SubscriptionStats>,
    workers: HashMap<String, Worker>,
    /// Threads told to stop (device removed or changed), joined by `shutdown`.
    retiring: Vec<JoinHandle<()>>,
    next_generation: u64,
}

impl std::fmt::Debug for Subscriptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriptions")
            .field("devices", &self.workers.len())
            .field("retiring", &self.retiring.len())
            .finish_non_exhaustive()
    }
}

impl Subscriptions {
    /// No device yet; add them with [`Subscriptions::set_devices`]. Credentials and known_hosts
    /// come from `settings`, as for every NETCONF session of the bot.
    pub fn new(
        settings: DeviceSettings,
        config: SubscriptionConfig,
        queue: Arc<SignalQueue>,
    ) -> Subscriptions {
        Subscriptions {
            settings: Arc::new(settings),
            config,
            queue,
            stats: Arc::new(SubscriptionStats::default()),
            workers: HashMap::new(),
            retiring: Vec::new(),
            next_generation: 1,
        }
    }

    pub fn stats(&self) -> Arc<SubscriptionStats> {
        Arc::clone(&self.stats)
    }

    /// The devices subscribed to (or being tried), sorted.
    pub fn devices(&self) -> Vec<String> {
        let mut names: Vec<String> = self.workers.keys().cloned().collect();
        names.sort();
        names
    }

    /// Makes the set of subscriptions match `devices` (name → device, as the directory knows them):
    /// new devices get a thread, removed ones are told to stop, a device whose entry changed (host,
    /// port) is restarted. Never blocks: stopped threads are joined by `shutdown`. Devices with a
    /// RESTCONF URL are included too; they are subscribed over NETCONF like any other. Every device
    /// is attempted; the first thread that could not be started is returned.
    pub fn set_devices(&mut self, devices: Vec<(String, Device)>) -> Result<(), SubscriptionError> {
        self.retiring.retain(|h| !h.is_finished());
        let wanted: HashMap<String, Device> = devices.into_iter().collect();
        let gone: Vec<String> = self
            .workers
            .iter()
            .filter(|(name, w)| wanted.get(*name) != Some(&w.device))
            .map(|(name, _)| name.clone())
            .collect();
        for name in gone {
            if let Some(w) = self.workers.remove(&name) {
                w.signal_stop();
                self.retiring.push(w.handle);
                self.stats.lock_states().remove(&name);
            }
        }
        let mut first_error = None;
        let mut names: Vec<&String> = wanted.keys().collect();
        names.sort();
        for name in names {
            if self.workers.contains_key(name) {
                continue;
            }
            if let Some(device) = wanted.get(name) {
                if let Err(e) = self.start(name, device.clone()) {
                    tracing::error!(device = %name, error = %e, "NETCONF subscription not started");
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn start(&mut self, name: &str, device: Device) -> Result<(), SubscriptionError> {
        let generation = self.next_generation;
        self.next_generation += 1;
        self.stats.lock_states().insert(
            name.to_string(),
            (
                generation,
                SubscriptionState::Connecting { since_ms: now_ms() },
            ),
        );
        let stop = Arc::new(AtomicBool::new(false));
        let ctx = Ctx {
            name: name.to_string(),
            opts: connect_options(&device, &self.settings, self.config.timeout),
            config: self.config.clone(),
            queue: Arc::clone(&self.queue),
            stats: Arc::clone(&self.stats),
            stop: Arc::clone(&stop),
            generation,
        };
        let spawned = std::thread::Builder::new()
            .name(format!("netconf-sub {name}"))
            .spawn(move || ctx.run());
        match spawned {
            Ok(handle) => {
                self.workers.insert(
                    name.to_string(),
                    Worker {
                        device,
                        stop,
                        handle,
                    },
                );
                Ok(())
            }
            Err(e) => {
                self.stats.lock_states().remove(name);
                Err(SubscriptionError::Spawn {
                    device: name.to_string(),
                    reason: e.to_string(),
                })
            }
        }
    }

    /// Stops every subscription (closing each session) and joins the threads. Blocks for up to
    /// `wake` plus one bounded close-session: call it from a blocking context, or use `stop`.
    pub fn shutdown(mut self) {
        self.join_all();
    }

    /// [`Subscriptions::shutdown`] on a blocking thread, for async callers.
    pub async fn stop(self) {
        if let Err(e) = tokio::task::spawn_blocking(move || self.shutdown()).await {
            tracing::warn!(error = %e, "NETCONF subscriptions: shutdown task failed");
        }
    }

    fn join_all(&mut self) {
        for w in self.workers.values() {
            w.signal_stop();
        }
        let handles = self
            .workers
            .drain()
            .map(|(_, w)| w.handle)
            .chain(self.retiring.drain(..));
        for h in handles {
            if h.join().is_err() {
                tracing::error!("a NETCONF subscription thread panicked");
            }
        }
        for (_, state) in self.stats.lock_states().values_mut() {
            *state = SubscriptionState::Stopped;
        }
    }
}

/// Dropped without `shutdown`: the threads are told to stop and end on their own (not joined).
impl Drop for Subscriptions {
    fn drop(&mut self) {
        for w in self.workers.values() {
            w.signal_stop();
        }
    }
}

/// Everything one subscription thread needs.
struct Ctx {
    name: String,
    opts: ConnectOptions,
    config: SubscriptionConfig,
    queue: Arc<SignalQueue>,
    stats: Arc<SubscriptionStats>,
    stop: Arc<AtomicBool>,
    generation: u64,
}

/// Why a connect-and-subscribe attempt did not give a subscribed session.
enum Failure {
    NotOffered,
    Failed(NetconfError),
}

/// How a subscribed session ended.
enum Ended {
    Stopped,
    Dropped(String),
}

impl Ctx {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn set_state(&self, state: SubscriptionState) {
        self.stats.set_state(&self.name, self.generation, state);
    }

    /// Sleeps `d`, woken early by a stop; false when stopped.
    fn pause(&self, d: Duration) -> bool {
        let until = Instant::now() + d;
        while !self.stopped() {
            let Some(left) = until.checked_duration_since(Instant::now()) else {
                return true;
            };
            std::thread::park_timeout(left);
        }
        false
    }

    fn run(self) {
        let span = tracing::info_span!("netconf_subscription", device = %self.name);
        let _entered = span.enter();
        let mut backoff = Backoff::new(self.config.backoff_base, self.config.backoff_max);
        let mut ever_subscribed = false;
        // Since when the subscription has been down (None: up, or never tried); one log line each.
        let mut down_since: Option<Instant> = None;
        while !self.stopped() {
            match self.subscribe() {
                Ok(mut session) => {
                    bump(&self.stats.subscribes);
                    match down_since.take() {
                        Some(t) if ever_subscribed => {
                            bump(&self.stats.resubscriptions);
                            tracing::info!(down_ms = t.elapsed().as_millis() as u64, session_id = ?session.session_id(), "NETCONF subscription resumed");
                        }
                        _ => {
                            tracing::info!(session_id = ?session.session_id(), "NETCONF subscription up")
                        }
                    }
                    ever_subscribed = true;
                    self.set_state(SubscriptionState::Subscribed {
                        since_ms: now_ms(),
                        session_id: session.session_id(),
                    });
                    // Whatever changed while no subscription was up is found by comparing.
                    self.push(Signal::new(&self.name, Via::Resubscribed, now_ms()));
                    let up_at = Instant::now();
                    match self.receive(&mut session) {
                        Ended::Stopped => {
                            session.close();
                            return;
                        }
                        Ended::Dropped(reason) => {
                            bump(&self.stats.drops);
                            session.close();
                            tracing::warn!(reason = %reason, "NETCONF subscription dropped; resubscribing with backoff");
                            if up_at.elapsed() >= self.config.stable_after {
                                backoff.reset();
                            }
                            down_since = Some(Instant::now());
                            self.set_state(SubscriptionState::Reconnecting {
                                since_ms: now_ms(),
                                reason,
                            });
                        }
                    }
                }
                Err(Failure::NotOffered) => {
                    tracing::info!("the device does not offer NETCONF notifications (:notification); syslog and the periodic check cover it");
                    self.set_state(SubscriptionState::NotOffered);
                    return;
                }
                Err(Failure::Failed(e)) => {
                    if down_since.is_none() {
                        // The first failure of an outage that did not start with a drop.
                        tracing::warn!(error = %e, "cannot subscribe to NETCONF notifications; retrying with backoff");
                        down_since = Some(Instant::now());
                    } else {
                        tracing::debug!(error = %e, "resubscribe failed");
                    }
                    self.set_state(SubscriptionState::Reconnecting {
                        since_ms: now_ms(),
                        reason: e.to_string(),
                    });
                }
            }
            if !self.pause(backoff.next_delay(fastrand::f64())) {
                return;
            }
        }
    }

    /// Connects, checks `:notification`, proves the session with a keepalive (so the
    /// create-subscription never shares a read with the hello, docs/netconf.md §5.6 quirk 2) and
    /// subscribes to the NETCONF stream.
    fn subscribe(&self) -> Result<NetconfSession, Failure> {
        let mut session = NetconfSession::connect(&self.opts).map_err(Failure::Failed)?;
        if !session.capabilities().notification() {
            session.close();
            return Err(Failure::NotOffered);
        }
        let subscribed = session
            .keepalive()
            .and_then(|()| session.create_subscription(NETCONF_STREAM));
        match subscribed {
            Ok(()) => Ok(session),
            Err(e) => {
                session.close();
                Err(Failure::Failed(e))
            }
        }
    }

    fn receive(&self, session: &mut NetconfSession) -> Ended {
        let interleave = session.capabilities().interleave();
        let mut last_message = Instant::now();
        let mut lost_seen = session.dropped_notifications();
        loop {
            if self.stopped() {
                return Ended::Stopped;
            }
            match session.next_notification(Instant::now() + self.config.wake) {
                Ok(Some(n)) => {
                    last_message = Instant::now();
                    bump(&self.stats.notifications);
                    self.handle(n.event, &n.event_time);
                }
                Ok(None) => {
                    if interleave && last_message.elapsed() >= self.config.keepalive_after {
                        if let Err(e) = session.keepalive() {
                            return Ended::Dropped(format!("keepalive failed: {e}"));
                        }
                        last_message = Instant::now();
                    }
                }
                Err(ReceiveError::Notification(e)) => {
                    bump(&self.stats.notifications);
                    bump(&self.stats.malformed);
                    tracing::warn!(error = %e, "unreadable notification; checking the device");
                    // It may have been a config change: let the watcher compare.
                    self.push(Signal::new(&self.name, Via::Notification, now_ms()));
                }
                Err(ReceiveError::Session(e)) => return Ended::Dropped(e.to_string()),
            }
            let lost = session.dropped_notifications();
            if lost > lost_seen {
                self.stats
                    .notifications_lost
                    .fetch_add(lost - lost_seen, Ordering::Relaxed);
                lost_seen = lost;
                self.push(Signal::new(&self.name, Via::Resubscribed, now_ms()));
            }
        }
    }

    fn handle(&self, event: Event, event_time: &str) {
        match event {
            Event::ConfigChange(change) => {
                bump(&self.stats.config_changes);
                tracing::debug!(event_time, datastore = %change.datastore, edits = change.edits.len(), "config change notification");
                self.push(config_change_signal(&self.name, change));
            }
            Event::ConfirmedCommit(c) if c.rolled_back() => {
                bump(&self.stats.rollbacks);
                tracing::debug!(event_time, confirm_event = %c.confirm_event, "confirmed commit rolled back");
                self.push(rollback_signal(&self.name, c));
            }
            Event::ConfirmedCommit(_) => bump(&self.stats.other_events),
            Event::Other { namespace, name } => {
                bump(&self.stats.other_events);
                tracing::debug!(event_time, %namespace, %name, "notification ignored (not a config change)");
            }
        }
    }

    fn push(&self, signal: Signal) {
        if self.queue.push(signal) == Pushed::Full {
            bump(&self.stats.signals_dropped);
            tracing::debug!("signal queue full; the periodic check covers the device");
        }
    }
}

/// Who, from where and on which session, as the watcher's `ChangedBy` says it.
fn attribution(by: SessionInfo) -> ChangedBy {
    ChangedBy {
        user: by.username,
        source_host: by.source_host,
        // RFC 6470: session-id 0 is a change from outside NETCONF (the CLI, say), which names no
        // line; the syslog message of the same change does.
        line: by
            .session_id
            .filter(|id| *id != 0)
            .map(|id| format!("NETCONF session {id}")),
    }
}

/// A config change → a `Via::Notification` signal with who and the edited paths (prefixes dropped).
pub fn config_change_signal(device: &str, change: ConfigChange) -> Signal {
    let mut s = Signal::new(device, Via::Notification, now_ms());
    s.by = match change.changed_by {
        NcChangedBy::Server => ChangedBy {
            line: Some("the device itself (no session)".to_string()),
            ..ChangedBy::default()
        },
        NcChangedBy::Session(info) => attribution(info),
    };
    s.edits = change.edits.iter().map(|e| e.path()).collect();
    s
}

/// A rolled-back confirmed commit → a `Via::Notification` signal (who cancelled, if a session did).
pub fn rollback_signal(device: &str, c: ConfirmedCommit) -> Signal {
    let mut s = Signal::new(device, Via::Notification, now_ms());
    s.by = match c.by {
        Some(info) => attribution(info),
        None => ChangedBy {
            line: Some(format!(
                "the device itself (confirmed commit {})",
                c.confirm_event
            )),
            ..ChangedBy::default()
        },
    };
    s
}

#[cfg(test)]
#[path = "subscription/tests.rs"]
mod tests;
