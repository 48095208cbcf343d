//! What the switch tells the world when its running configuration changes: an RFC 6470
//! `netconf-config-change` notification to every subscribed NETCONF session and syslog messages to
//! the configured target. The hub keeps who each NETCONF session is, the subscribers' queues
//! (delivered by `subscriber`), the syslog queue (sent by `syslog_send`), the mute switches and the
//! counters `/_sim/state` shows. Nothing here blocks the device: every queue is bounded and a full
//! one drops and counts.

use super::clock;
use super::config_diff::Edit;
use super::notification::{self, ChangedBy};
use super::syslog_line;
use super::syslog_send::{self, SyslogCounters, SyslogTarget};
use serde::Serialize;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Notifications one subscriber may have waiting; more are dropped (and counted).
pub const SUBSCRIBER_QUEUE: usize = 256;

/// Who changed running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A NETCONF session (its user and address are known from its login).
    Netconf {
        session: u32,
    },
    Restconf {
        user: String,
        host: Option<IpAddr>,
    },
    /// Someone at the CLI; `from` is `None` on the serial console line.
    Console {
        user: String,
        line: String,
        from: Option<String>,
    },
    /// The device itself (a confirmed commit rolled back).
    Server,
    /// No signal at all (a reset of the simulator, a console change marked silent).
    Silent,
}

/// A subscriber's queue of notification documents (unframed) and its drop switch.
#[derive(Debug)]
pub struct Subscription {
    pub rx: mpsc::Receiver<Arc<[u8]>>,
    /// Cancelled by the `drop-subscriptions` fault: close the session's connection.
    pub drop: CancellationToken,
    /// Counted by the deliverer once a notification is written to the channel.
    pub sent: Arc<AtomicU64>,
}

#[derive(Debug)]
struct Subscriber {
    tx: mpsc::Sender<Arc<[u8]>>,
    drop: CancellationToken,
}

#[derive(Debug)]
struct Sink {
    tx: mpsc::Sender<String>,
    stop: CancellationToken,
    target: SyslogTarget,
}

/// The counters and switches `/_sim/state` shows under `signals`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignalCounters {
    pub notifications_sent: u64,
    pub notifications_dropped: u64,
    pub subscribed_sessions: Vec<u32>,
    /// `udp://127.0.0.1:5514`, or `None` when syslog is off.
    pub syslog_target: Option<String>,
    pub syslog_sent: u64,
    pub syslog_dropped: u64,
    pub mute_notifications: bool,
    pub mute_syslog: bool,
}

#[derive(Debug)]
pub struct Signals {
    shutdown: CancellationToken,
    tasks: TaskTracker,
    /// The device's address, which syslog is sent from.
    bind_ip: Mutex<Option<IpAddr>>,
    /// NETCONF session id → (user, peer address).
    identities: Mutex<HashMap<u32, (String, IpAddr)>>,
    subscribers: Mutex<HashMap<u32, Subscriber>>,
    syslog: Mutex<Option<Sink>>,
    mute_notifications: AtomicBool,
    mute_syslog: AtomicBool,
    /// IOS's running message number (the `42:` after the PRI).
    sequence: AtomicU64,
    /// dmiauthd's transaction ids.
    transaction: AtomicU64,
    notifications_sent: Arc<AtomicU64>,
    notifications_dropped: AtomicU64,
    syslog_counters: Arc<SyslogCounters>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each critical section is a single map or option operation; a poisoned lock still holds valid data.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Signals {
    pub fn new(shutdown: CancellationToken, tasks: TaskTracker) -> Self {
        Signals {
            shutdown,
            tasks,
            bind_ip: Mutex::new(None),
            identities: Mutex::new(HashMap::new()),
            subscribers: Mutex::new(HashMap::new()),
            syslog: Mutex::new(None),
            mute_notifications: AtomicBool::new(false),
            mute_syslog: AtomicBool::new(false),
            sequence: AtomicU64::new(1),
            transaction: AtomicU64::new(2000),
            notifications_sent: Arc::new(AtomicU64::new(0)),
            notifications_dropped: AtomicU64::new(0),
            syslog_counters: Arc::new(SyslogCounters::default()),
        }
    }

    /// The address the device's listeners are bound to; syslog leaves from it.
    pub fn set_bind_ip(&self, ip: IpAddr) {
        *lock(&self.bind_ip) = Some(ip);
    }

    /// A NETCONF session logged in as `user` from `host`.
    pub fn identify(&self, session: u32, user: &str, host: IpAddr) {
        lock(&self.identities).insert(session, (user.to_owned(), host));
    }

    /// A session ended: forget it and stop its deliveries.
    pub fn forget(&self, session: u32) {
        lock(&self.identities).remove(&session);
        lock(&self.subscribers).remove(&session);
    }

    pub fn has_subscriber(&self, session: u32) -> bool {
        lock(&self.subscribers).contains_key(&session)
    }

    /// Register `session` as a subscriber; its deliverer takes the returned queue.
    pub fn subscribe(&self, session: u32) -> Subscription {
        let (tx, rx) = mpsc::channel(SUBSCRIBER_QUEUE);
        let drop = self.shutdown.child_token();
        lock(&self.subscribers).insert(
            session,
            Subscriber {
                tx,
                drop: drop.clone(),
            },
        );
        Subscription {
            rx,
            drop,
            sent: self.notifications_sent.clone(),
        }
    }

    /// The `drop-subscriptions` fault: every subscriber's connection is closed now; returns their ids.
    pub fn drop_subscriptions(&self) -> Vec<u32> {
        let dropped: Vec<(u32, Subscriber)> = lock(&self.subscribers).drain().collect();
        for (_, s) in &dropped {
            s.drop.cancel();
        }
        dropped.into_iter().map(|(id, _)| id).collect()
    }

    pub fn mute_notifications(&self, on: bool) {
        self.mute_notifications.store(on, Ordering::Relaxed);
    }

    pub fn mute_syslog(&self, on: bool) {
        self.mute_syslog.store(on, Ordering::Relaxed);
    }

    /// Send syslog to `target` from now on (replacing any earlier target), or stop with `None`.
    pub fn set_syslog(&self, target: Option<SyslogTarget>) {
        let previous = lock(&self.syslog).take();
        if let Some(p) = previous {
            p.stop.cancel();
        }
        let Some(target) = target else {
            return;
        };
        let (tx, rx) = mpsc::channel(syslog_send::QUEUE);
        let stop = self.shutdown.child_token();
        let bind_ip = *lock(&self.bind_ip);
        let task = syslog_send::run(
            target,
            bind_ip,
            rx,
            self.syslog_counters.clone(),
            stop.clone(),
        );
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                self.tasks.spawn_on(task, &rt);
            }
            Err(_) => {
                tracing::warn!("no runtime for the syslog sender; syslog stays off");
                return;
            }
        }
        tracing::info!(%target, "device simulator: syslog on");
        *lock(&self.syslog) = Some(Sink { tx, stop, target });
    }

    pub fn counters(&self) -> SignalCounters {
        let mut subscribed: Vec<u32> = lock(&self.subscribers).keys().copied().collect();
        subscribed.sort_unstable();
        SignalCounters {
            notifications_sent: self.notifications_sent.load(Ordering::Relaxed),
            notifications_dropped: self.notifications_dropped.load(Ordering::Relaxed),
            subscribed_sessions: subscribed,
            syslog_target: lock(&self.syslog).as_ref().map(|s| s.target.to_string()),
            syslog_sent: self.syslog_counters.sent.load(Ordering::Relaxed),
            syslog_dropped: self.syslog_counters.dropped.load(Ordering::Relaxed),
            mute_notifications: self.mute_notifications.load(Ordering::Relaxed),
            mute_syslog: self.mute_syslog.load(Ordering::Relaxed),
        }
    }

    /// Running changed by `origin` with these `edits`: notify the subscribers, log to syslog.
    pub fn config_changed(&self, origin: &Origin, edits: &[Edit]) {
        if *origin == Origin::Silent {
            return;
        }
        let now = clock::now_ms();
        if !self.mute_notifications.load(Ordering::Relaxed) {
            self.notify(now, &self.changed_by(origin), edits);
        }
        if !self.mute_syslog.load(Ordering::Relaxed) {
            for text in self.syslog_texts(origin) {
                self.log(now, &text);
            }
        }
    }

    fn user_of(&self, session: u32) -> (String, Option<IpAddr>) {
        match lock(&self.identities).get(&session) {
            Some((user, host)) => (user.clone(), Some(*host)),
            None => ("admin".to_owned(), None),
        }
    }

    fn changed_by(&self, origin: &Origin) -> ChangedBy {
        match origin {
            Origin::Netconf { session } => {
                let (username, host) = self.user_of(*session);
                ChangedBy::User {
                    username,
                    session_id: *session,
                    source_host: host.map(|h| h.to_string()),
                }
            }
            Origin::Restconf { user, host } => ChangedBy::User {
                username: user.clone(),
                session_id: 0,
                source_host: host.map(|h| h.to_string()),
            },
            Origin::Console { user, from, .. } => ChangedBy::User {
                username: user.clone(),
                session_id: 0,
                source_host: from.clone(),
            },
            Origin::Server | Origin::Silent => ChangedBy::Server,
        }
    }

    /// The message texts IOS-XE logs for a change by `origin` (`syslog_line`).
    fn syslog_texts(&self, origin: &Origin) -> Vec<String> {
        let programmatic = |user: &str| {
            let transaction = self.transaction.fetch_add(1, Ordering::Relaxed);
            vec![
                syslog_line::config_p(user, 100_000 + transaction),
                syslog_line::dmi_config_i(user, transaction),
            ]
        };
        match origin {
            Origin::Console { user, line, from } => {
                vec![syslog_line::console_config_i(user, line, from.as_deref())]
            }
            Origin::Netconf { session } => programmatic(&self.user_of(*session).0),
            Origin::Restconf { user, .. } => programmatic(user),
            // What IOS-XE logs when a confirmed commit times out is not verified; dmiauthd applies
            // the rollback, so its message is used with the system as the user.
            Origin::Server => vec![syslog_line::dmi_config_i(
                "system",
                self.transaction.fetch_add(1, Ordering::Relaxed),
            )],
            Origin::Silent => Vec::new(),
        }
    }

    /// Sends every subscriber an event of a module no client knows ([`notification::foreign`]).
    pub fn notify_foreign(&self, interface: &str) {
        let doc = notification::foreign(clock::now_ms(), interface).to_document();
        self.send(doc.into());
    }

    fn notify(&self, now: i64, by: &ChangedBy, edits: &[Edit]) {
        let doc: Arc<[u8]> = notification::config_change(now, by, edits)
            .to_document()
            .into();
        self.send(doc);
    }

    fn send(&self, doc: Arc<[u8]>) {
        let subscribers = lock(&self.subscribers);
        for (session, s) in subscribers.iter() {
            if s.tx.try_send(doc.clone()).is_err() {
                self.notifications_dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    session,
                    "notification dropped: the subscriber's queue is full"
                );
            }
        }
    }

    fn log(&self, now: i64, text: &str) {
        let sink = lock(&self.syslog);
        let Some(sink) = sink.as_ref() else {
            return;
        };
        let seq = self.sequence.fetch_add(1, Ordering::Relaxed);
        if sink
            .tx
            .try_send(syslog_line::rfc3164(seq, now, text))
            .is_err()
        {
            self.syslog_counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}
