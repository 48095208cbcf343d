//! The NETCONF session pool: bounded concurrency across devices, reuse of idle sessions (with a
//! keepalive before reuse), and fan-out of one operation to many devices.
//!
//! Sessions are blocking (`ssh2`), so every use runs on `spawn_blocking`; the pool itself only holds
//! idle sessions and the permits that bound how many operations are in flight at once.

use super::netconf::{ConnectOptions, NetconfError, NetconfSession};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Limits of the pool.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Operations in flight at once, across all devices.
    pub max_in_flight: usize,
    /// Idle sessions kept per device (endpoint and user).
    pub max_idle_per_device: usize,
    /// An idle session older than this is closed instead of reused.
    pub idle_ttl: Duration,
    /// An idle session older than this is probed with a keepalive before reuse.
    pub keepalive_after: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_in_flight: 32,
            max_idle_per_device: 2,
            idle_ttl: Duration::from_secs(300),
            keepalive_after: Duration::from_secs(30),
        }
    }
}

/// Which idle sessions can serve a request: the same device, reached at the same endpoint as the
/// same user (an inventory edit that moves a device never reuses a session to the old address).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PoolKey {
    device: String,
    host: String,
    port: u16,
    username: String,
}

impl PoolKey {
    fn of(device: &str, opts: &ConnectOptions) -> Self {
        PoolKey {
            device: device.to_ascii_lowercase(),
            host: opts.host.to_ascii_lowercase(),
            port: opts.port,
            username: opts.username.clone(),
        }
    }
}

struct Idle {
    session: NetconfSession,
    since: Instant,
}

struct Inner {
    config: PoolConfig,
    permits: Arc<Semaphore>,
    idle: Mutex<HashMap<PoolKey, Vec<Idle>>>,
}

/// One device's answer in a fan-out: its name, then getting a session (outer) and the operation (inner).
pub type DeviceResult<T, E> = (String, Result<Result<T, E>, NetconfError>);

/// A cheap-to-clone handle to the pool.
#[derive(Clone)]
pub struct SessionPool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SessionPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionPool")
            .field("config", &self.inner.config)
            .field("idle", &self.idle_count())
            .finish()
    }
}

impl SessionPool {
    pub fn new(config: PoolConfig) -> Self {
        let permits = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
        SessionPool {
            inner: Arc::new(Inner {
                config,
                permits,
                idle: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Idle sessions held right now (all devices).
    pub fn idle_count(&self) -> usize {
        self.inner
            .idle
            .lock()
            .map(|m| m.values().map(Vec::len).sum())
            .unwrap_or(0)
    }

    /// Runs `op` on a session to `device` at `opts`: an idle one when there is a fresh enough one
    /// (probed with a keepalive when it has been idle a while), otherwise a new connection. At most
    /// `max_in_flight` operations run at once. The outer error is about getting a session; the inner
    /// result is `op`'s own. The session goes back to the pool unless the operation broke it (an
    /// rpc-error leaves it usable; a timeout or a framing error does not).
    pub async fn run<T, E, F>(
        &self,
        device: &str,
        opts: ConnectOptions,
        op: F,
    ) -> Result<Result<T, E>, NetconfError>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: FnOnce(&mut NetconfSession) -> Result<T, E> + Send + 'static,
    {
        let _permit = self
            .inner
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| NetconfError::Protocol("the session pool is closed".into()))?;
        let key = PoolKey::of(device, &opts);
        let (reusable, expired) = self.take_idle(&key);
        close_in_background(expired);
        let keepalive_after = self.inner.config.keepalive_after;
        let outcome = tokio::task::spawn_blocking(move || {
            // A reused session honours this caller's RPC bound, not the one it was opened with.
            let reusable = reusable.map(|mut idle| {
                idle.session.set_rpc_timeout(opts.rpc_timeout);
                idle
            });
            let mut session = match reusable {
                Some(idle) if idle.since.elapsed() < keepalive_after => idle.session,
                Some(mut idle) => match idle.session.keepalive() {
                    Ok(()) => idle.session,
                    Err(e) => {
                        tracing::debug!(error = %e, "pooled NETCONF session failed its keepalive; reconnecting");
                        idle.session.close();
                        match NetconfSession::connect(&opts) {
                            Ok(s) => s,
                            Err(e) => return (Err(e), None),
                        }
                    }
                },
                None => match NetconfSession::connect(&opts) {
                    Ok(s) => s,
                    Err(e) => return (Err(e), None),
                },
            };
            let result = op(&mut session);
            if session.is_usable() {
                (Ok(result), Some(session))
            } else {
                session.close();
                (Ok(result), None)
            }
        })
        .await;
        match outcome {
            Ok((result, session)) => {
                if let Some(session) = session {
                    self.give_back(key, session);
                }
                result
            }
            Err(join) => Err(NetconfError::Protocol(format!(
                "the NETCONF worker failed: {join}"
            ))),
        }
    }

    /// Runs `op` on every device, at most `max_in_flight` at once, and returns each device's result
    /// in the order given.
    pub async fn fan_out<T, E, F>(
        &self,
        targets: Vec<(String, ConnectOptions)>,
        op: F,
    ) -> Vec<DeviceResult<T, E>>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: Fn(&mut NetconfSession) -> Result<T, E> + Clone + Send + Sync + 'static,
    {
        let mut set = JoinSet::new();
        let n = targets.len();
        for (index, (name, opts)) in targets.into_iter().enumerate() {
            let pool = self.clone();
            let op = op.clone();
            set.spawn(async move {
                let result = pool.run(&name, opts, move |s| op(s)).await;
                (index, name, result)
            });
        }
        let mut results: Vec<Option<DeviceResult<T, E>>> = (0..n).map(|_| None).collect();
        while let Some(joined) = set.join_next().await {
            if let Ok((index, name, result)) = joined {
                if let Some(slot) = results.get_mut(index) {
                    *slot = Some((name, result));
                }
            }
        }
        results.into_iter().flatten().collect()
    }

    /// Closes every idle session (on shutdown).
    pub async fn close_all(&self) {
        let all: Vec<NetconfSession> = match self.inner.idle.lock() {
            Ok(mut map) => map
                .drain()
                .flat_map(|(_, v)| v.into_iter().map(|i| i.session))
                .collect(),
            Err(_) => Vec::new(),
        };
        let _ =
            tokio::task::spawn_blocking(move || all.into_iter().for_each(NetconfSession::close))
                .await;
    }

    /// The newest idle session for `key`, and every session (of any device) idle past the TTL — the
    /// sweep happens on use, so the pool needs no background task of its own.
    fn take_idle(&self, key: &PoolKey) -> (Option<Idle>, Vec<NetconfSession>) {
        let ttl = self.inner.config.idle_ttl;
        let Ok(mut map) = self.inner.idle.lock() else {
            return (None, Vec::new());
        };
        let mut expired = Vec::new();
        for list in map.values_mut() {
            let (fresh, old): (Vec<Idle>, Vec<Idle>) =
                list.drain(..).partition(|i| i.since.elapsed() < ttl);
            *list = fresh;
            expired.extend(old.into_iter().map(|i| i.session));
        }
        let reusable = map.get_mut(key).and_then(Vec::pop);
        map.retain(|_, list| !list.is_empty());
        (reusable, expired)
    }

    fn give_back(&self, key: PoolKey, session: NetconfSession) {
        let max = self.inner.config.max_idle_per_device;
        let surplus = match self.inner.idle.lock() {
            Ok(mut map) => {
                let list = map.entry(key).or_default();
                if list.len() < max {
                    list.push(Idle {
                        session,
                        since: Instant::now(),
                    });
                    None
                } else {
                    Some(session)
                }
            }
            Err(_) => Some(session),
        };
        close_in_background(surplus.into_iter().collect());
    }
}

/// Closing sends `<close-session/>` over the network: never on an async worker.
fn close_in_background(sessions: Vec<NetconfSession>) {
    if sessions.is_empty() {
        return;
    }
    drop(tokio::task::spawn_blocking(move || {
        sessions.into_iter().for_each(NetconfSession::close)
    }));
}
