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
//! `json_xml` (RFC 7951 JSON to trees), `control` (`/_sim`); the change signals: `console` (a CLI
//! change, pure), `config_diff` (the edit list between two datastores), `notification` (RFC 6470
//! XML), `syslog_line` (IOS-XE's messages), `clock`, `signals` (the hub), `subscriber` (delivery to
//! one NETCONF session), `syslog_send` (UDP/TCP sender).
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
//!   session, without replay (a start or stop time is refused). Every change of running (a commit,
//!   edit-config on running, a RESTCONF write, a console change through `/_sim/cli`, a confirmed
//!   commit rolled back) sends each subscribed session an RFC 6470 `netconf-config-change`
//!   (`ietf-netconf-notifications`, advertised): `changed-by` the session's user, id and address
//!   (session-id 0 for RESTCONF and the CLI; `<server/>` for a rollback), datastore `running`, one
//!   `<edit>` per changed leaf or whole list entry (`config_diff`). A subscription's filter is
//!   checked but not applied. Notifications are framed whole and interleave with rpc replies;
//!   the session answers rpcs meanwhile. Faults: `drop-subscriptions`, `mute-notifications`.
//! * Syslog (not NETCONF, but the same event): with a target set (`DeviceSimOptions::syslog`,
//!   `POST /_sim/syslog`), each change of running is logged as IOS-XE does (`syslog_line`: RFC 3164,
//!   PRI 189, `%SYS-5-CONFIG_I` from the CLI, `%SYS-5-CONFIG_P` + `%DMI-5-CONFIG_I` from
//!   NETCONF/RESTCONF) over UDP or octet-counted TCP, sent from the listeners' IP; a bounded queue,
//!   drops counted. Fault: `mute-syslog`. A simulator reset and a `silent` console change signal
//!   nothing.
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

pub mod clock;
pub mod config_diff;
pub mod console;
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
pub mod notification;
pub mod ns;
pub mod platform;
pub mod render_json;
pub mod render_xml;
pub mod restconf;
pub mod rpc;
pub mod signals;
pub mod ssh;
pub mod state;
pub mod store;
pub mod subscriber;
pub mod syslog_line;
pub mod syslog_send;
pub mod xmltree;
pub mod xpath;

pub use faults::Fault;
pub use state::DatastoreMode;
pub use syslog_send::{SyslogTarget, Transport as SyslogTransport};

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
    /// Send syslog here from the start (as `POST /_sim/syslog` does later); `None`: no syslog.
    pub syslog: Option<SyslogTarget>,
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

    /// A change typed at the CLI (what `POST /_sim/cli` does): the edit list, or why it was refused.
    pub fn console(
        &self,
        request: console::CliRequest,
    ) -> Result<Vec<config_diff::Edit>, ConsoleError> {
        let change = console::plan(request).map_err(ConsoleError::Request)?;
        self.store.console(&change).map_err(ConsoleError::Refused)
    }

    /// Sends each subscribed session a notification of a module no client knows (a link-down
    /// event of `interface`): a watcher must count it and ignore it.
    pub fn notify_foreign(&self, interface: &str) {
        self.store.signals().notify_foreign(interface);
    }

    /// Send syslog to `target` from now on, or stop with `None` (what `POST /_sim/syslog` does).
    pub fn set_syslog(&self, target: Option<SyslogTarget>) {
        self.store.signals().set_syslog(target);
    }

    /// Resolves once every task of the simulator has ended (after the shutdown token was cancelled).
    pub async fn stopped(&self) {
        self.tasks.wait().await;
    }
}

/// Why a console change was not made.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The request itself is wrong (an unknown interface type, a missing field…).
    #[error("{0}")]
    Request(String),
    /// The switch refused the value (the same checks as a NETCONF edit).
    #[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
    Refused(Vec<error::YangError>),
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
    // Syslog leaves from the device's address, so a receiver serving several simulated devices on
    // different loopback addresses tells them apart by the sender, as it would real switches.
    store.signals().set_bind_ip(restconf_addr.ip());
    store.signals().set_syslog(options.syslog);

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
