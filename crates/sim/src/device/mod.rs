//! The device simulator: one in-memory IOS-XE-native datastore served over RESTCONF (HTTP) and NETCONF (SSH)
//!.
//!
//! INTERFACE (stable): `start(DeviceSimConfig, CancellationToken) -> Result<RunningDeviceSim, DeviceSimError>`.
//! `start` returns once both listeners are bound; every task it spawns stops on the token, and
//! [`RunningDeviceSim::stopped`] waits for them. The seeded data is [`model::seed_c9300`].
//! Added: [`start_with`] takes [`DeviceSimOptions`] (datastore mode: candidate-capable or running-only);
//! [`RunningDeviceSim::inject`] / [`RunningDeviceSim::reset`] / [`RunningDeviceSim::state`] are the Rust
//! side of the `/_sim` control API on the RESTCONF listener.
//!
//! Layout: `model` (typed datastore + seed), `render_xml` / `render_json` (serialisers), `xmltree`
//! (generic XML tree), `filter` (RFC 6241 subtree filter), `xpath` (the XPath subset, as subtree
//! filters), `edit` (RFC 6241 edit operations over trees), `native_edit` and `native_parse` (typed
//! edit, the native model's value checks), `platform` (what the switch refuses on top of the model),
//! `error` (rpc-error / RFC 8040 error shape), `library` (the implemented modules: hello and
//! `ietf-yang-library`), `state` (datastores, locks, confirmed commit, subscriptions; pure), `store`
//! (the shared device + commit timer), `faults`, `framing` (RFC 6242, sans IO), `netconf` (session,
//! sans IO), `rpc` (operations), `ssh` (russh server IO), `restconf` (axum, reads and writes),
//! `json_xml` (RFC 7951 JSON to trees), `control` (`/_sim`).
//!
//! What the simulator implements of what it advertises (IOS-XE 17's hello, as Cisco publishes it in
//! github.com/YangModels/yang `vendor/cisco/xe/*/capability-cat9300.xml`):
//! * `:xpath` — absolute paths of child steps with `[leaf='value']` predicates (`and`) and unions;
//!   other XPath is answered `operation-not-supported`, a malformed expression or an undeclared
//!   prefix `bad-attribute` (`xpath`).
//! * `:with-defaults` — `basic-mode=explicit` and no other mode: the configuration is reported as set
//!   (by the seed or a client), no default added; `<with-defaults>explicit</…>` is accepted, other
//!   modes are `invalid-value`.
//! * `:notification` + `:interleave` — `create-subscription` on the `NETCONF` stream, once per
//!   session, without replay (a start or stop time is refused); the simulator generates no events,
//!   so a subscription stays silent; the session answers rpcs meanwhile.
//! * `:yang-library:1.0` — `<get>` serves `/modules-state` (RFC 7895) with the `module-set-id` of
//!   the capability, from the same list as the hello's module capabilities (`library`).
//!
//! Known differences from the real servers (the conformance tests run one body against netconfd and
//! this simulator; `tests/netconf_conformance/target.rs` `Facts` holds the ones they meet):
//! * Value checks are the native model's (description `length "0..200"`, mtu `range "64..18000"`,
//!   VLANs 1–4094). A Catalyst 9300 refuses an MTU outside 1500–9198 when it applies the
//!   configuration; so does the simulator (`platform`: `operation-failed` at the commit, or at the edit
//!   on running). Which words IOS-XE uses there is not verified; the tag is ConfD's.
//! * Range and length violations carry `error-app-tag` `not-in-range` (RFC 7950 §15 defines none for
//!   them; it is yuma123 netconfd's), error-type `application` (ConfD's; netconfd says `protocol`),
//!   `error-info` `bad-element` (netconfd sends `bad-value`).
//! * An error about a payload element has its `error-path` rooted in the request
//!   (`/nc:rpc/nc:edit-config/nc:config/…`, RFC 6241 §4.3, as netconfd); one found in a datastore
//!   at a commit is rooted in the data (`/ios:native/…`). RESTCONF paths are RFC 8040 data paths.
//! * A lock on a candidate holding the session's own edit is granted (netconfd refuses it);
//!   unlocking another session's lock is `lock-denied` (netconfd: `in-use`); a wrong persist-id is
//!   `invalid-value` (netconfd: `operation-failed`).
//! * `<validate>` never changes the candidate (yuma123 2.13 drops it, tests/netconf/README.md).
//! * Not advertised, not implemented: `:url`, `:startup`, `:partial-lock`, `:replay`,
//!   `:with-operational-defaults`, `:yang-library:1.1`; RESTCONF serves no `ietf-yang-library`.

pub mod control;
pub mod edit;
pub mod error;
pub mod faults;
pub mod filter;
pub mod framing;
pub mod json_xml;
pub mod library;
pub mod model;
pub mod native_edit;
pub mod native_parse;
pub mod netconf;
pub mod ns;
pub mod platform;
pub mod render_json;
pub mod render_xml;
pub mod restconf;
pub mod rpc;
pub mod ssh;
pub mod state;
pub mod store;
pub mod xmltree;
pub mod xpath;

pub use faults::Fault;
pub use state::DatastoreMode;

use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[derive(Debug, Clone)]
pub struct DeviceSimConfig {
    /// RESTCONF over plain HTTP.
    pub restconf_listen: SocketAddr,
    /// NETCONF over SSH (subsystem `netconf`).
    pub netconf_listen: SocketAddr,
    /// Hostname the device reports (`c9300`).
    pub hostname: String,
    /// Credentials the simulator accepts for RESTCONF basic auth and NETCONF password auth;
    /// `None` accepts any (like every simulator without `--token`).
    pub credentials: Option<(String, patchpanel_common::secret::Secret)>,
    /// SSH host key file (OpenSSH private key). Created when missing, so a restarted simulator keeps
    /// its identity; `None` generates an ephemeral key.
    pub host_key_path: Option<std::path::PathBuf>,
    /// Offer NETCONF base:1.1 (chunked framing) in the hello, as IOS-XE does; `false` advertises
    /// base:1.0 only, like an old device, so sessions use end-of-message framing.
    pub base_1_1: bool,
}

/// Behaviour beyond the wire endpoints (kept out of [`DeviceSimConfig`] so its users need not change).
#[derive(Debug, Clone, Default)]
pub struct DeviceSimOptions {
    /// Candidate-capable (default) or running-only, which decides the advertised capabilities and so the
    /// apply path a client takes.
    pub mode: DatastoreMode,
}

#[derive(Debug, Clone)]
pub struct RunningDeviceSim {
    /// e.g. `http://127.0.0.1:PORT/restconf`
    pub restconf_url: String,
    pub netconf_addr: SocketAddr,
    /// The SSH host public key in OpenSSH form (`ssh-ed25519 AAAA…`), for a known_hosts line.
    pub host_key_openssh: String,
    /// The bound RESTCONF address (useful when `restconf_listen` had port 0).
    pub restconf_addr: SocketAddr,
    tasks: TaskTracker,
    store: Datastore,
}

impl RunningDeviceSim {
    /// A known_hosts line for the NETCONF endpoint (`[127.0.0.1]:PORT ssh-ed25519 AAAA…`).
    pub fn known_hosts_line(&self) -> String {
        format!(
            "[{}]:{} {}",
            self.netconf_addr.ip(),
            self.netconf_addr.port(),
            self.host_key_openssh
        )
    }

    /// Switch a fault on (see [`Fault`]); `Err` names what is wrong with it.
    pub fn inject(&self, fault: Fault) -> Result<(), error::YangError> {
        self.store.inject(fault)
    }

    /// Every fault off.
    pub fn clear_faults(&self) {
        // Clear has no invalid argument.
        let _ = self.store.inject(Fault::Clear);
    }

    /// Back to the seed: datastores, locks, pending confirmed commit, counters, faults.
    pub fn reset(&self) {
        self.store.reset();
    }

    /// Sessions, locks, pending confirmed commit, counters (saves, commits, rollbacks…), faults.
    pub fn state(&self) -> SimState {
        self.store.snapshot()
    }

    /// A copy of the running configuration.
    pub fn running_config(&self) -> model::NativeConfig {
        self.store.read(Clone::clone)
    }

    /// Resolves once every task of the simulator has ended (after the shutdown token was cancelled).
    pub async fn stopped(&self) {
        self.tasks.wait().await;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeviceSimError {
    /// A listen address could not be bound: pick another port.
    #[error("device simulator: cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// The SSH host key file could not be read, parsed or written: fix or remove the file.
    #[error("device simulator: host key {path}: {reason}")]
    HostKey { path: String, reason: String },
    #[error("device simulator: {0}")]
    Other(String),
}

pub use store::{Datastore, SimState};

pub async fn start(
    cfg: DeviceSimConfig,
    shutdown: CancellationToken,
) -> Result<RunningDeviceSim, DeviceSimError> {
    start_with(cfg, DeviceSimOptions::default(), shutdown).await
}

/// [`start`] with [`DeviceSimOptions`].
pub async fn start_with(
    cfg: DeviceSimConfig,
    options: DeviceSimOptions,
    shutdown: CancellationToken,
) -> Result<RunningDeviceSim, DeviceSimError> {
    let tasks = TaskTracker::new();
    let store = Datastore::new(
        model::seed_c9300(&cfg.hostname),
        options.mode,
        shutdown.clone(),
        tasks.clone(),
    );

    let host_key = ssh::load_or_create_host_key(cfg.host_key_path.as_deref())?;
    let host_key_openssh = ssh::public_openssh(&host_key)?;

    let restconf_listener = tokio::net::TcpListener::bind(cfg.restconf_listen)
        .await
        .map_err(|source| DeviceSimError::Bind {
            addr: cfg.restconf_listen,
            source,
        })?;
    let netconf_listener = tokio::net::TcpListener::bind(cfg.netconf_listen)
        .await
        .map_err(|source| DeviceSimError::Bind {
            addr: cfg.netconf_listen,
            source,
        })?;
    let restconf_addr = local_addr(&restconf_listener, cfg.restconf_listen)?;
    let netconf_addr = local_addr(&netconf_listener, cfg.netconf_listen)?;

    let rest_state = RestState {
        store: store.clone(),
        credentials: cfg.credentials.clone(),
    };
    tasks.spawn(restconf::serve(
        restconf_listener,
        rest_state,
        shutdown.clone(),
    ));

    let shared = Arc::new(
        ssh::SshShared::new(
            store.clone(),
            cfg.credentials.clone(),
            shutdown.clone(),
            tasks.clone(),
        )
        .with_base_1_1(cfg.base_1_1),
    );
    tasks.spawn(ssh::serve(
        netconf_listener,
        ssh::server_config(host_key, cfg.credentials.is_some()),
        shared,
    ));
    tasks.close();

    tracing::info!(
        restconf = %restconf_addr,
        netconf = %netconf_addr,
        hostname = %cfg.hostname,
        "device simulator listening"
    );
    Ok(RunningDeviceSim {
        restconf_url: format!("http://{restconf_addr}/restconf"),
        netconf_addr,
        host_key_openssh,
        restconf_addr,
        tasks,
        store,
    })
}

fn local_addr(
    listener: &tokio::net::TcpListener,
    requested: SocketAddr,
) -> Result<SocketAddr, DeviceSimError> {
    listener
        .local_addr()
        .map_err(|source| DeviceSimError::Bind {
            addr: requested,
            source,
        })
}

/// What the RESTCONF server and its `/_sim` control routes share (here, so neither module
/// depends on the other for it).
#[derive(Debug, Clone)]
pub struct RestState {
    pub store: Datastore,
    pub credentials: Option<(String, patchpanel_common::secret::Secret)>,
}
