//! The watcher: takes "device X may have changed" off the [`SignalQueue`], reads the device's
//! configuration (holding the device's change lock, so never in the middle of the bot's own
//! change), compares it with the stored snapshot and, when it differs, stores the change (with its
//! audit entry) before reporting it. The first sight of a device is a silent baseline; a signal for
//! a device whose configuration did not change (a forged `CONFIG_I`, a second signal for a change
//! already recorded) is counted and produces no message. Also owns the safety net: every
//! `poll_interval`, every managed device is checked, and the address book is refreshed.

use super::addresses::AddressBook;
use super::diff::ConfigDiff;
use super::messages;
use super::queue::{Pending, Pushed, SignalQueue};
use super::record::{self, ChangeRecord, Own, MAX_STORED_LINES};
use super::signal::{now_ms, Signal, Via};
use super::snapshot::Snapshot;
use crate::device::apply::own::OwnChanges;
use crate::device::apply::DeviceLocks;
use crate::device::intent::{compare, Verdict as RowVerdict};
use crate::device::{Device, DeviceReader};
use crate::directory::DeviceDirectory;
use crate::iface::InterfaceName;
use crate::store::{NewConfigChange, Store, StoredSnapshot};
use crate::webex::WebexRest;
use std::collections::HashSet;
use std::net::{IpAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn, Instrument};

/// Devices checked at once.
pub const PARALLEL_CHECKS: usize = 8;
/// Devices waiting in the queue at most (signals for a device already waiting are merged).
pub const QUEUE_DEVICES: usize = 10_000;
/// How long a check waits after the first signal before reading, so the signals of one change
/// (syslog, notification, the bot's own "done") become one check and one message.
pub const SETTLE: Duration = Duration::from_millis(300);
/// Interfaces compared with NetBox per change (each is a NetBox request and a device read).
pub const MAX_DRIFT_INTERFACES: usize = 8;
/// A report Webex did not take is tried again after this long.
pub const REDELIVER_EVERY: Duration = Duration::from_secs(30);
/// Bound of the comparison with NetBox for one change (NetBox requests and interface reads).
pub const DRIFT_TIMEOUT: Duration = Duration::from_secs(10);
/// How soon a failed device listing (NetBox down) is tried again.
pub const LIST_RETRY: Duration = Duration::from_secs(60);
/// Bound of one report's send (retries included).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// What the watcher counted (read by tests, benches and the logs).
#[derive(Debug, Default)]
pub struct WatchStats {
    pub checks: AtomicU64,
    pub baselines: AtomicU64,
    pub unchanged: AtomicU64,
    /// A syslog line or notification said "changed", and the configuration had not.
    pub signal_without_change: AtomicU64,
    pub changes: AtomicU64,
    pub read_failures: AtomicU64,
    pub reported: AtomicU64,
    pub report_failures: AtomicU64,
    pub queue_full: AtomicU64,
    pub polls: AtomicU64,
}

impl WatchStats {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Everything a check needs.
#[derive(Clone)]
pub struct Watcher {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    directory: DeviceDirectory,
    reader: DeviceReader,
    locks: DeviceLocks,
    own: OwnChanges,
    queue: Arc<SignalQueue>,
    book: Arc<AddressBook>,
    rest: Option<WebexRest>,
    room: Option<String>,
    poll_interval: Duration,
    settle: Duration,
    stats: Arc<WatchStats>,
    /// The managed devices as last listed (name → how to reach it).
    devices: Mutex<Vec<Device>>,
    /// One report delivery at a time (the outbox is read and marked in order).
    delivering: tokio::sync::Mutex<()>,
    /// Wakes the delivery loop.
    deliver_now: tokio::sync::Notify,
}

/// How the watcher is built.
pub struct WatcherParts {
    pub store: Store,
    pub directory: DeviceDirectory,
    pub reader: DeviceReader,
    /// The Applier's locks and own-change registry (fresh ones when nothing applies changes).
    pub locks: DeviceLocks,
    pub own: OwnChanges,
    pub rest: Option<WebexRest>,
    /// Where reports go (room id or email); `None`: logged only.
    pub room: Option<String>,
    pub poll_interval: Duration,
}

impl Watcher {
    pub fn new(parts: WatcherParts) -> Watcher {
        Watcher {
            inner: Arc::new(Inner {
                store: parts.store,
                directory: parts.directory,
                reader: parts.reader,
                locks: parts.locks,
                own: parts.own,
                queue: Arc::new(SignalQueue::new(QUEUE_DEVICES)),
                book: Arc::new(AddressBook::new()),
                rest: parts.rest,
                room: parts.room,
                poll_interval: parts.poll_interval,
                settle: SETTLE,
                stats: Arc::new(WatchStats::default()),
                devices: Mutex::new(Vec::new()),
                delivering: tokio::sync::Mutex::new(()),
                deliver_now: tokio::sync::Notify::new(),
            }),
        }
    }

    /// The queue every signal goes into.
    pub fn queue(&self) -> Arc<SignalQueue> {
        self.inner.queue.clone()
    }

    /// Sender address → devices, for the syslog receiver.
    pub fn address_book(&self) -> Arc<AddressBook> {
        self.inner.book.clone()
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn stats(&self) -> Arc<WatchStats> {
        self.inner.stats.clone()
    }

    /// The managed devices as last listed.
    pub fn devices(&self) -> Vec<Device> {
        self.inner
            .devices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Pushes a signal, counting one the queue had no room for.
    pub fn signal(&self, s: Signal) {
        if self.inner.queue.push(s) == Pushed::Full {
            bump(&self.inner.stats.queue_full);
        }
    }

    /// Starts the watcher's tasks on `tracker`: the safety net (which also lists the devices and
    /// checks each once at start), the check loop and the report delivery. `on_devices` runs after
    /// every listing (the NETCONF subscriptions follow the device set).
    pub fn start(
        &self,
        tracker: &TaskTracker,
        shutdown: CancellationToken,
        on_devices: impl Fn(&[Device]) + Send + Sync + 'static,
    ) {
        let w = self.clone();
        let stop = shutdown.clone();
        tracker.spawn(async move { w.poll_loop(stop, on_devices).await });
        let w = self.clone();
        let stop = shutdown.clone();
        let t = tracker.clone();
        tracker.spawn(async move { w.check_loop(&t, stop).await });
        let w = self.clone();
        tracker.spawn(async move { w.deliver_loop(shutdown).await });
    }

    async fn poll_loop(
        &self,
        shutdown: CancellationToken,
        on_devices: impl Fn(&[Device]) + Send + Sync + 'static,
    ) {
        // Devices checked at least once: a device first listed later (NetBox back after an
        // outage, a new switch) gets its check at once, the rest wait for the next full round.
        let mut checked: HashSet<String> = HashSet::new();
        let mut last_round: Option<tokio::time::Instant> = None;
        loop {
            let listed = self.refresh_devices(&on_devices).await;
            let now = now_ms();
            let round_due = match last_round {
                None => true,
                Some(at) => at.elapsed() >= self.inner.poll_interval,
            };
            for d in self.devices() {
                if checked.insert(d.name.to_ascii_lowercase()) {
                    self.signal(Signal::new(d.name, Via::Startup, now));
                } else if round_due {
                    self.signal(Signal::new(d.name, Via::Poll, now));
                }
            }
            if round_due {
                last_round = Some(tokio::time::Instant::now());
                bump(&self.inner.stats.polls);
            }
            // A failed listing is tried again soon, not a whole poll interval later.
            let wait = if listed {
                self.inner.poll_interval
            } else {
                self.inner.poll_interval.min(LIST_RETRY)
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Lists the managed devices; answers whether the listing succeeded. A failed listing keeps
    /// the last list, or, when there is none yet (NetBox down at start), takes the devices file's.
    async fn refresh_devices(&self, on_devices: &(impl Fn(&[Device]) + Send + Sync)) -> bool {
        let (devices, listed) = match self.inner.directory.managed().await {
            Ok(d) => (d, true),
            Err(e) => {
                let known = self.devices();
                if !known.is_empty() {
                    warn!(error = %e, "the managed devices could not be listed; keeping the last list");
                    return false;
                }
                warn!(error = %e, "the managed devices could not be listed; watching the devices file's meanwhile");
                (self.inner.directory.watched_in_file(), false)
            }
        };
        let hosts: Vec<(String, String)> = devices
            .iter()
            .map(|d| (d.host.clone(), d.name.clone()))
            .collect();
        // DNS names are resolved off the async workers.
        let entries = tokio::task::spawn_blocking(move || {
            let mut out: Vec<(IpAddr, String)> = Vec::new();
            for (host, name) in hosts {
                match host.parse::<IpAddr>() {
                    Ok(ip) => out.push((ip, name)),
                    Err(_) => match (host.as_str(), 0u16).to_socket_addrs() {
                        Ok(addrs) => out.extend(addrs.map(|a| (a.ip(), name.clone()))),
                        Err(e) => {
                            debug!(device = %name, host = %host, error = %e, "no address for syslog")
                        }
                    },
                }
            }
            out
        })
        .await
        .unwrap_or_default();
        self.inner.book.replace(entries);
        on_devices(&devices);
        debug!(devices = devices.len(), "managed devices listed");
        *self.inner.devices.lock().unwrap_or_else(|e| e.into_inner()) = devices;
        listed
    }

    async fn check_loop(&self, tracker: &TaskTracker, shutdown: CancellationToken) {
        let permits = Arc::new(Semaphore::new(PARALLEL_CHECKS));
        loop {
            let pending = tokio::select! {
                _ = shutdown.cancelled() => return,
                p = self.inner.queue.next() => p,
            };
            let permit = tokio::select! {
                _ = shutdown.cancelled() => return,
                p = permits.clone().acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => return,
                },
            };
            let w = self.clone();
            let stop = shutdown.clone();
            let span = tracing::info_span!("config_check", device = %pending.device);
            tracker.spawn(
                async move {
                    let device = pending.device.clone();
                    tokio::select! {
                        _ = stop.cancelled() => {}
                        _ = w.check(pending) => {}
                    }
                    w.inner.queue.done(&device);
                    drop(permit);
                }
                .instrument(span),
            );
        }
    }

    fn device_named(&self, name: &str) -> Option<Device> {
        self.inner
            .devices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
            .cloned()
    }

    /// One check of one device. Errors are logged and counted: the next signal or poll retries.
    pub async fn check(&self, mut pending: Pending) {
        let inner = &self.inner;
        tokio::time::sleep(inner.settle).await;
        // Only watched devices: the bot's own change to a `watch = false` device signals it too.
        let Some(device) = self.device_named(&pending.device) else {
            debug!(device = %pending.device, "a signal for a device that is not watched; ignored");
            return;
        };
        let lock = inner.locks.lock(&device.name).await;
        // Whatever arrived while settling or waiting for the lock is part of this check.
        if let Some(later) = inner.queue.take(&pending.device) {
            pending.absorb(later);
        }
        bump(&inner.stats.checks);
        let answer = match inner.reader.running_config_on(&device).await {
            Ok(a) => a,
            Err(e) => {
                bump(&inner.stats.read_failures);
                warn!(device = %device.name, error = %e, "the configuration could not be read; the next signal or check tries again");
                return;
            }
        };
        let snapshot = match Snapshot::from_tree(&answer.data) {
            Ok(s) => s,
            Err(e) => {
                bump(&inner.stats.read_failures);
                warn!(device = %device.name, error = %e, "the configuration could not be snapshotted");
                return;
            }
        };
        let (digest, body) = (snapshot.digest(), snapshot.to_text());
        let now = now_ms();
        let stored = match inner.store.config_snapshot(&device.name).await {
            Ok(s) => s,
            Err(e) => {
                warn!(device = %device.name, error = %e, "the store could not be read");
                return;
            }
        };
        let Some(stored) = stored else {
            match inner
                .store
                .config_baseline(&device.name, &digest, &body, now)
                .await
            {
                Ok(_) => {
                    bump(&inner.stats.baselines);
                    info!(device = %device.name, lines = snapshot.len(), "configuration baseline stored");
                }
                Err(e) => {
                    warn!(device = %device.name, error = %e, "the baseline could not be stored")
                }
            }
            return;
        };
        if stored.digest == digest {
            bump(&inner.stats.unchanged);
            if pending
                .vias
                .iter()
                .any(|v| matches!(v, Via::Syslog | Via::Notification))
            {
                bump(&inner.stats.signal_without_change);
                debug!(device = %device.name, signals = pending.signals, "signalled, but the configuration is unchanged");
            }
            return;
        }
        let old = match Snapshot::from_text(&stored.body) {
            Ok(o) => o,
            Err(e) => {
                warn!(device = %device.name, error = %e, "the stored snapshot is unreadable; taking the current configuration as the new baseline");
                Snapshot::default()
            }
        };
        let diff = ConfigDiff::between(&old, &snapshot);
        let mut record = self.record(&device, &pending, &stored, &diff, now).await;
        // What follows reads no configuration: the bot's own changes to the device may go on
        // while NetBox is asked (a slow NetBox must not hold up a change).
        drop(lock);
        if !record.verdict.is_planned() {
            match tokio::time::timeout(DRIFT_TIMEOUT, self.drift(&device, &record.interfaces)).await
            {
                Ok((drift, note)) => {
                    record.drift = drift;
                    record.drift_note = note;
                }
                Err(_) => {
                    record.drift_note = Some(format!(
                        "NetBox or the device did not answer within {} s",
                        DRIFT_TIMEOUT.as_secs()
                    ))
                }
            }
        }
        let record_json = match serde_json::to_string(&record) {
            Ok(j) => j,
            Err(e) => {
                warn!(device = %device.name, error = %e, "the change could not be encoded");
                return;
            }
        };
        let change = NewConfigChange {
            device: &device.name,
            from_digest: &stored.digest,
            digest: &digest,
            body: &body,
            at_ms: now,
            record: &record_json,
            audit: &record_json,
        };
        match inner.store.config_change_record(change).await {
            Ok(Some(n)) => {
                bump(&inner.stats.changes);
                info!(
                    device = %device.name,
                    n,
                    planned = record.verdict.is_planned(),
                    by = record.by.user.as_deref().unwrap_or("?"),
                    summary = %record.summary,
                    "configuration change recorded"
                );
                inner.deliver_now.notify_one();
            }
            Ok(None) => debug!(device = %device.name, "the snapshot moved on meanwhile"),
            Err(e) => warn!(device = %device.name, error = %e, "the change could not be stored"),
        }
    }

    async fn record(
        &self,
        device: &Device,
        pending: &Pending,
        stored: &StoredSnapshot,
        diff: &ConfigDiff,
        now: i64,
    ) -> ChangeRecord {
        let interfaces = diff.interfaces();
        let other_sections = diff.sections().len().saturating_sub(interfaces.len());
        let own = self.own_changes(&device.name, stored.taken_at_ms).await;
        let verdict = record::judge(&interfaces, other_sections, &own);
        let rendered = diff.render(MAX_STORED_LINES);
        ChangeRecord {
            device: device.name.clone(),
            seen_at_ms: now,
            first_signal_ms: pending.first_at_ms,
            vias: record::vias_of(pending),
            signals: pending.signals,
            by: record::by_of(pending),
            verdict,
            summary: diff.summary(),
            diff: rendered.lines,
            diff_left_out: rendered.left_out,
            interfaces,
            drift: Vec::new(),
            drift_note: None,
        }
    }

    /// The bot's own changes to the device since the last snapshot: live ones from the Applier,
    /// recorded ones from the audit log (which covers a restart in between).
    async fn own_changes(&self, device: &str, since_ms: i64) -> Vec<Own> {
        let mut own: Vec<Own> = self
            .inner
            .own
            .on_device_since(device, since_ms)
            .into_iter()
            .map(|c| Own {
                interface: c.interface,
                reason: c.reason,
            })
            .collect();
        match self.inner.store.own_changes_since(device, since_ms).await {
            Ok(entries) => own.extend(entries.into_iter().filter_map(|e| {
                let interface = e.subject.split_once(' ')?.1.to_owned();
                Some(Own {
                    interface,
                    reason: record::reason_from_audit(&e.kind, &e.body),
                })
            })),
            Err(e) => warn!(device, error = %e, "own changes could not be read from the audit log"),
        }
        own
    }

    /// NetBox's intent vs the device for the touched interfaces: one line per difference.
    async fn drift(&self, device: &Device, interfaces: &[String]) -> (Vec<String>, Option<String>) {
        let inner = &self.inner;
        if inner.directory.netbox().is_none() || interfaces.is_empty() {
            return (Vec::new(), None);
        }
        let resolved = match inner.directory.lookup(&device.name).await {
            Ok(l) => match l.netbox_error {
                Some(e) => return (Vec::new(), Some(e.to_string())),
                None => l.resolved,
            },
            Err(e) => return (Vec::new(), Some(e.to_string())),
        };
        let mut lines = Vec::new();
        for iface in interfaces.iter().take(MAX_DRIFT_INTERFACES) {
            let intent = match inner.directory.intent(&resolved, iface).await {
                Ok(Some(i)) => i,
                Ok(None) => continue,
                Err(e) => return (lines, Some(e.to_string())),
            };
            let Ok(name) = InterfaceName::parse(iface) else {
                continue;
            };
            let view = match inner.reader.interface_on(device, &name).await {
                Ok(v) => v.data,
                Err(e) => return (lines, Some(format!("the device could not be read: {e}"))),
            };
            for row in compare(&intent, &view.config) {
                if row.verdict == RowVerdict::Differs {
                    lines.push(format!(
                        "{iface} {}: NetBox {}, device {}",
                        row.field.to_lowercase(),
                        row.netbox,
                        row.device
                    ));
                }
            }
        }
        (lines, None)
    }

    async fn deliver_loop(&self, shutdown: CancellationToken) {
        loop {
            self.deliver().await;
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.inner.deliver_now.notified() => {}
                _ = tokio::time::sleep(REDELIVER_EVERY) => {}
            }
        }
    }

    /// Posts every stored change not yet reported, oldest first; one Webex refuses stays in the
    /// outbox for the next round.
    pub async fn deliver(&self) {
        let inner = &self.inner;
        let _one = inner.delivering.lock().await;
        let rows = match inner.store.config_changes_unnotified(100).await {
            Ok(r) => r,
            Err(e) => {
                warn!(error = %e, "unreported changes could not be read");
                return;
            }
        };
        for row in rows {
            let text = match serde_json::from_str::<ChangeRecord>(&row.record) {
                Ok(r) => messages::notification(row.n, &r),
                Err(e) => format!(
                    "⚠️ Configuration change {} on {} could not be shown ({e}); `changes {} {}`",
                    row.n, row.device, row.device, row.n
                ),
            };
            let sent = match (&inner.rest, &inner.room) {
                (Some(rest), Some(room)) => {
                    match tokio::time::timeout(SEND_TIMEOUT, rest.notify(room, &text)).await {
                        Ok(Ok(_)) => true,
                        Ok(Err(e)) => {
                            warn!(device = %row.device, n = row.n, error = %e, "change report not posted; retried later");
                            false
                        }
                        Err(_) => {
                            warn!(device = %row.device, n = row.n, "change report not posted: Webex took too long; retried later");
                            false
                        }
                    }
                }
                _ => {
                    info!(message = %text, "configuration change (no PATCHPANEL_CHANGES_ROOM or PATCHPANEL_NOTIFY)");
                    true
                }
            };
            if !sent {
                bump(&inner.stats.report_failures);
                return;
            }
            bump(&inner.stats.reported);
            if let Err(e) = inner.store.config_change_notified(&row.device, row.n).await {
                warn!(device = %row.device, n = row.n, error = %e, "a posted report could not be marked");
            }
        }
    }
}
