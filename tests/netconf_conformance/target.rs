//! The two servers the conformance checks run against, behind one `Target`: the real yuma123 netconfd
//! (`NetconfPeer`, mock IOS-XE YANG) and the device simulator (its own tokio runtime, so every check is
//! plain blocking code, like production's `spawn_blocking` workers). Each test starts its own server.
//! `Facts` holds what legitimately differs between them; everything else must be the same.

use crate::netconf_peer::NetconfPeer;
use patchpanel::device::netconf::{ConnectOptions, NetconfError, NetconfSession};
use patchpanel::secret::Secret;
use patchpanel_sim::device::{start, DeviceSimConfig, RunningDeviceSim};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// A safety net so a regression fails instead of hanging; exchanges take milliseconds.
pub const TIMEOUT: Duration = Duration::from_secs(10);
const SIM_USER: &str = "netops";
const SIM_PASSWORD: &str = "nc-s3cret";

/// What differs between the two servers by design (each difference is explained where it is used).
#[derive(Debug, Clone)]
pub struct Facts {
    /// `netconfd` or `sim`, for messages.
    pub name: &'static str,
    /// base:1.1 in the server hello.
    pub base_1_1: bool,
    /// The MTU the switch itself takes, narrower than the model's `64..18000`: the simulator, like a
    /// Catalyst 9300, refuses the rest when the configuration is applied; netconfd has only the model.
    pub platform_mtu: Option<std::ops::RangeInclusive<u16>>,
    /// Revision of the advertised Cisco-IOS-XE-native module (the mock's 2000-01-01 marks it fake).
    pub native_revision: &'static str,
    /// `:writable-running` in the hello: netconfd runs `--target=candidate`; the simulator's default
    /// mode is IOS-XE's (candidate and writable running).
    pub writable_running: bool,
    /// How often to poll running while waiting for a confirmed commit to time out. netconfd checks
    /// its confirm timer only after ~1 s without any rpc (tests/netconf/README.md, quirk 3), so it is
    /// polled slowly; the simulator's timer is independent of traffic.
    pub rollback_poll: Duration,
    /// Whether a session may lock a candidate holding its own uncommitted edit. RFC 6241 §7.5 says a
    /// lock MUST NOT be granted on a modified candidate; netconfd applies that to every session
    /// (`resource-denied`, even after a no-op edit), the simulator only to other sessions.
    pub lock_own_dirty_candidate: bool,
    /// netconfd leaves a first rpc that reached it in the same read as the client hello unanswered
    /// (README quirk 2), so the client's probe is needed; the simulator answers it at once.
    pub stalls_coalesced_first_rpc: bool,
}

/// Owns the server: dropping the peer stops it; the simulator stops on its token.
enum Server {
    Peer {
        _peer: NetconfPeer,
    },
    Sim {
        sim: RunningDeviceSim,
        shutdown: CancellationToken,
    },
}

/// One running server and how to reach it.
pub struct Target {
    pub opts: ConnectOptions,
    pub facts: Facts,
    /// Host, port and credentials for an inventory entry (`apply`).
    pub username: String,
    pub password: String,
    pub known_hosts: PathBuf,
    server: Server,
    /// Runs the simulator's tasks, and async APIs (`Applier`) for either server.
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Server::Sim { shutdown, .. } = &self.server {
            shutdown.cancel();
        }
    }
}

impl Target {
    /// A fresh netconfd; base:1.0 only (`--protocols=netconf1.0`) when `base_1_1` is false.
    pub fn netconfd(base_1_1: bool) -> Target {
        let peer = if base_1_1 {
            NetconfPeer::start()
        } else {
            NetconfPeer::start_base_1_0_only()
        };
        let dir = tempfile::tempdir().unwrap();
        // The peer's own known_hosts line, copied as an operator would install it.
        let known_hosts = dir.path().join("known_hosts");
        std::fs::copy(&peer.known_hosts, &known_hosts).unwrap();
        let opts = options(
            &peer.host,
            peer.port,
            &peer.username,
            &peer.password,
            &known_hosts,
        );
        Target {
            opts,
            facts: Facts {
                name: "netconfd",
                base_1_1,
                platform_mtu: None,
                native_revision: "2000-01-01",
                writable_running: false,
                rollback_poll: Duration::from_millis(1500),
                lock_own_dirty_candidate: false,
                stalls_coalesced_first_rpc: true,
            },
            username: peer.username.clone(),
            password: peer.password.clone(),
            known_hosts,
            server: Server::Peer { _peer: peer },
            runtime: runtime(),
            _dir: dir,
        }
    }

    /// A fresh simulator (default mode: candidate and running); base:1.0 only when `base_1_1` is false.
    pub fn sim(base_1_1: bool) -> Target {
        let runtime = runtime();
        let shutdown = CancellationToken::new();
        let sim = runtime
            .block_on(start(
                DeviceSimConfig {
                    restconf_listen: "127.0.0.1:0".parse().unwrap(),
                    netconf_listen: "127.0.0.1:0".parse().unwrap(),
                    hostname: "c9300".into(),
                    credentials: Some((SIM_USER.into(), Secret::new(SIM_PASSWORD))),
                    host_key_path: None,
                    base_1_1,
                },
                shutdown.clone(),
            ))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let known_hosts = dir.path().join("known_hosts");
        std::fs::write(&known_hosts, format!("{}\n", sim.known_hosts_line())).unwrap();
        let addr = sim.netconf_addr;
        let opts = options(
            &addr.ip().to_string(),
            addr.port(),
            SIM_USER,
            SIM_PASSWORD,
            &known_hosts,
        );
        Target {
            opts,
            facts: Facts {
                name: "sim",
                base_1_1,
                platform_mtu: Some(patchpanel_sim::device::platform::PORT_MTU),
                native_revision: "2024-03-01",
                writable_running: true,
                rollback_poll: Duration::from_millis(200),
                lock_own_dirty_candidate: true,
                stalls_coalesced_first_rpc: false,
            },
            username: SIM_USER.into(),
            password: SIM_PASSWORD.into(),
            known_hosts,
            server: Server::Sim { sim, shutdown },
            runtime,
            _dir: dir,
        }
    }

    pub fn connect(&self) -> NetconfSession {
        self.try_connect()
            .unwrap_or_else(|e| panic!("{}: connect: {e}", self.facts.name))
    }

    pub fn try_connect(&self) -> Result<NetconfSession, NetconfError> {
        NetconfSession::connect(&self.opts)
    }

    pub fn host(&self) -> &str {
        &self.opts.host
    }

    pub fn port(&self) -> u16 {
        self.opts.port
    }

    /// Runs an async API (e.g. `Applier::apply`) on the target's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// The simulator itself (for its state), when this is one.
    pub fn as_sim(&self) -> Option<&RunningDeviceSim> {
        match &self.server {
            Server::Sim { sim, .. } => Some(sim),
            Server::Peer { .. } => None,
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn options(
    host: &str,
    port: u16,
    user: &str,
    password: &str,
    known_hosts: &std::path::Path,
) -> ConnectOptions {
    ConnectOptions {
        password: Some(Secret::new(password)),
        known_hosts: Some(known_hosts.to_path_buf()),
        connect_timeout: TIMEOUT,
        rpc_timeout: TIMEOUT,
        ..ConnectOptions::new(host, port, user)
    }
}

/// Calls `probe` every `every` until it returns `Some`, or `limit` passes (then `None`). The wait is
/// a bound, never an assertion: callers assert on what the probe saw.
pub fn poll<T>(
    every: Duration,
    limit: Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = probe() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(every);
    }
}
