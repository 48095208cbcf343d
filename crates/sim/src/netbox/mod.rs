//! The NetBox 4.7 simulator: the REST endpoints the bot uses (devices, interfaces, VLANs, IP
//! addresses, custom fields, the change log) with NetBox's JSON shapes, status codes and error
//! bodies, plus the `/_sim` control API.
//!
//! INTERFACE (stable): `start(NetboxSimConfig { listen, token }, CancellationToken)
//! -> Result<RunningNetboxSim, NetboxSimError>`; `RunningNetboxSim { base_url }` with `api_url()`,
//! `state()`, `reset()`, `edit_interface(device, interface, fields, user)`, `set_down(bool)`,
//! `down_for(Duration)`, `add_token(token, user, write_enabled)`, `interface(device, name)`,
//! `object_changes()`, `requests()` (API requests answered so far, `/_sim` excluded; also `requests`
//! in `GET /_sim/state`), `seed_interfaces(device, count, ticket)` (`POST /_sim/seed-interfaces`),
//! `reject_clears(Option<id>)`, `fail_clears(id, status)` (`POST /_sim/fault`),
//! `set_ticket_required(bool)` (also `PATCH
//! /api/extras/custom-fields/1/` as in NetBox).
//!
//! Write failures as NetBox 4.7.3 answers them: field validation 400s (description > 200, …), a
//! required custom field left empty (400 under `__all__`), and a `changelog_message` longer than its
//! `varchar(200)` column: not validated, so the database refuses it with a 500 `DataError` body and
//! nothing is written.
//!
//! Seeded ids: site `lab` 1 (`other` 2); device `c9300` 1 (platform 1 `cisco-ios-xe` "Cisco IOS
//! XE", primary IPv4 1 = `192.0.2.10/24` on `Vlan1`); device `c9300-spare` 2 at `lab` (no primary
//! IPv4, no platform, no interfaces); interfaces `GigabitEthernet1/0/N` = id N (1..=48), `Vlan1` = 49;
//! VLANs at `lab`: 10→1, 20→2, 100→3, 200→4, 300→5; VID 100 at `other` → 6; the global VLAN (no
//! site) 999 `GLOBAL999` → 7; custom fields
//! `change_ticket_number` 1 (text, dcim.interface, filter_logic exact), `patchpanel_profile` 2 (text,
//! dcim.device) and `netconf_port` 3 (integer, dcim.device), both empty on every device; tag `patchpanel-protected` 1 (on no interface); user `admin` 1.
//!
//! Layout: `model` (typed data, seed, change log) and `patch` (validation) are pure; `render` is
//! the JSON shapes; `http` (auth, 503, pagination, errors), `api` (handlers) and `control` are the
//! axum edges. State lives behind one mutex that is never held across an await.

mod api;
mod control;
mod http;
mod model;
mod patch;
mod render;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use model::{DEFAULT_USER, TICKET_FIELD};

use model::{Author, Netbox};
use patch::FieldErrors;

/// The version NetBox reports in `API-Version` and `/api/status/`.
pub const NETBOX_VERSION: &str = "4.7.3";
pub const API_VERSION: &str = "4.7";

#[derive(Debug, Clone)]
pub struct NetboxSimConfig {
    pub listen: SocketAddr,
    /// When set, `/api` requires this token (`Token T`, `Bearer T`, or the whole header value) and
    /// answers 403 like NetBox otherwise; when unset, any credential (or none) acts as `admin`.
    pub token: Option<String>,
}

impl Default for NetboxSimConfig {
    /// An ephemeral port on 127.0.0.1, no token.
    fn default() -> Self {
        NetboxSimConfig {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            token: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NetboxSimError {
    #[error("netbox simulator: cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// No such device or interface (the caller named something the seed does not have).
    #[error("netbox simulator: not found: {0}")]
    NotFound(String),
    /// The edit failed NetBox's validation; the text is the 400 body.
    #[error("netbox simulator rejected the edit: {0}")]
    Rejected(String),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Down {
    Up,
    Until(Instant),
    Forever,
}

#[derive(Debug, Clone)]
pub(crate) struct ExtraToken {
    pub token: String,
    pub user: String,
    pub write: bool,
}

pub(crate) struct Inner {
    pub nb: Netbox,
    pub down: Down,
    pub tokens: Vec<ExtraToken>,
    /// Fault `reject-clears`: API writes clearing this interface's ticket number answer this
    /// status (400: refused for good; 5xx: failing for now).
    pub reject_clears: Option<(u64, u16)>,
}

/// Everything the handlers share.
pub(crate) struct Shared {
    pub token: Option<String>,
    pub base_url: String,
    /// `/api` requests received (whatever the answer), for request-cost measurements.
    pub requests: AtomicU64,
    inner: Mutex<Inner>,
    tracker: TaskTracker,
}

/// Why a write was refused.
#[derive(Debug)]
pub(crate) enum WriteError {
    NotFound,
    Invalid(FieldErrors),
    /// `If-Match` named an older version.
    Precondition,
    /// The database refused a value NetBox did not validate (a 500 with PostgreSQL's words).
    Database(String),
    /// A fault's server error (status, words).
    Failing(u16, String),
}

pub(crate) fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

pub(crate) fn etag(last_updated: &str) -> String {
    format!("W/\"{last_updated}\"")
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means a handler panicked mid-update; the data is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_down(&self) -> bool {
        let mut inner = self.lock();
        match inner.down {
            Down::Up => false,
            Down::Forever => true,
            Down::Until(t) if Instant::now() < t => true,
            Down::Until(_) => {
                inner.down = Down::Up;
                false
            }
        }
    }

    pub fn set_down(&self, down: Down) {
        self.lock().down = down;
    }

    pub fn reset(&self) {
        let mut inner = self.lock();
        inner.nb = Netbox::seeded(now_micros());
        inner.down = Down::Up;
        inner.reject_clears = None;
    }

    /// The fault `reject-clears`, for API writes only (a person's UI edit passes).
    pub fn api_write_fault(&self, id: u64, body: &Value) -> Result<(), WriteError> {
        let status = match self.lock().reject_clears {
            Some((faulty, status)) if faulty == id && patch::clears_ticket(body) => status,
            _ => return Ok(()),
        };
        let why = format!(
            "Clearing the ticket number of interface {id} is refused (simulator fault reject-clears)."
        );
        if status == 400 {
            let mut errs = FieldErrors::new();
            errs.insert("__all__".into(), Value::Array(vec![Value::String(why)]));
            return Err(WriteError::Invalid(errs));
        }
        Err(WriteError::Failing(status, why))
    }

    /// PATCH of one interface: validation, optional `If-Match`, the change record. Returns the
    /// interface as the API renders it, and its new ETag.
    pub fn patch_interface(
        &self,
        id: u64,
        body: &Value,
        if_match: Option<&str>,
        user: &str,
        base: &str,
    ) -> Result<(Value, String), WriteError> {
        let message = patch::changelog_message(body).map_err(WriteError::Invalid)?;
        let mut inner = self.lock();
        let nb = &mut inner.nb;
        let cur = nb.interface(id).ok_or(WriteError::NotFound)?.clone();
        if let Some(tag) = if_match {
            let current = etag(&cur.last_updated);
            if tag.trim() != "*" && !tag.split(',').any(|t| t.trim() == current) {
                return Err(WriteError::Precondition);
            }
        }
        let new = patch::apply_interface(nb, &cur, body).map_err(WriteError::Invalid)?;
        if !patch::fits_column(&message) {
            return Err(WriteError::Database(patch::VALUE_TOO_LONG.into()));
        }
        let author = Author {
            user: user.to_owned(),
            request_id: uuid::Uuid::new_v4().to_string(),
            message,
        };
        nb.save_interface(new, &author, now_micros());
        let tag = nb
            .interface(id)
            .map(|i| etag(&i.last_updated))
            .unwrap_or_default();
        Ok((render::interface(nb, base, id), tag))
    }

    /// POST (`id` = `None`) or PATCH of an IP address.
    pub fn write_ip(
        &self,
        id: Option<u64>,
        body: &Value,
        user: &str,
        base: &str,
    ) -> Result<Value, WriteError> {
        let message = patch::changelog_message(body).map_err(WriteError::Invalid)?;
        let mut inner = self.lock();
        let nb = &mut inner.nb;
        let cur = match id {
            Some(id) => Some(nb.ip(id).ok_or(WriteError::NotFound)?.clone()),
            None => None,
        };
        let new = patch::apply_ip(nb, cur.as_ref(), body).map_err(WriteError::Invalid)?;
        if !patch::fits_column(&message) {
            return Err(WriteError::Database(patch::VALUE_TOO_LONG.into()));
        }
        let author = Author {
            user: user.to_owned(),
            request_id: uuid::Uuid::new_v4().to_string(),
            message,
        };
        let id = nb.save_ip(new, &author, now_micros());
        let ip = nb.ip(id).map(|ip| render::ip(nb, base, ip));
        ip.ok_or(WriteError::NotFound)
    }

    /// A person editing an interface in the UI (`POST /_sim/edit`).
    pub fn edit(
        &self,
        device: &str,
        interface: &str,
        fields: &Value,
        user: &str,
    ) -> Result<Value, NetboxSimError> {
        let id = self
            .lock()
            .nb
            .interface_by_name(device, interface)
            .map(|i| i.id)
            .ok_or_else(|| NetboxSimError::NotFound(format!("{device} {interface}")))?;
        match self.patch_interface(id, fields, None, user, &self.base_url) {
            Ok((v, _)) => Ok(v),
            Err(WriteError::Invalid(e)) => {
                Err(NetboxSimError::Rejected(Value::Object(e).to_string()))
            }
            Err(WriteError::Database(e) | WriteError::Failing(_, e)) => {
                Err(NetboxSimError::Rejected(e))
            }
            Err(WriteError::NotFound | WriteError::Precondition) => {
                Err(NetboxSimError::NotFound(format!("{device} {interface}")))
            }
        }
    }

    pub fn state(&self) -> Value {
        let inner = self.lock();
        let mut v = render::state(&inner.nb, &self.base_url);
        v["down"] = Value::Bool(!matches!(inner.down, Down::Up));
        v["reject_clears"] = inner.reject_clears.map_or(
            Value::Null,
            |(id, status)| serde_json::json!({"interface": id, "status": status}),
        );
        v["requests"] = Value::from(self.requests.load(Ordering::Relaxed));
        v
    }

    /// Bulk-adds interfaces (`POST /_sim/seed-interfaces`); their ids.
    pub fn seed_interfaces(
        &self,
        device: &str,
        count: usize,
        ticket: Option<&str>,
    ) -> Result<Vec<u64>, NetboxSimError> {
        self.lock()
            .nb
            .add_interfaces(device, count, ticket, now_micros())
            .ok_or_else(|| NetboxSimError::NotFound(format!("device {device}")))
    }
}

/// A running simulator. Cloning shares it.
#[derive(Clone)]
pub struct RunningNetboxSim {
    pub base_url: String,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RunningNetboxSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningNetboxSim")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl RunningNetboxSim {
    /// `{base_url}/api`.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.base_url)
    }
    /// The whole data set (what `GET /_sim/state` answers).
    pub fn state(&self) -> Value {
        self.shared.state()
    }
    /// Back to the seed (tokens added with `add_token` stay).
    pub fn reset(&self) {
        self.shared.reset();
    }
    /// A person edits an interface in the UI: validated like a PATCH, recorded as `user`.
    /// Returns the interface as the API shows it.
    pub fn edit_interface(
        &self,
        device: &str,
        interface: &str,
        fields: Value,
        user: &str,
    ) -> Result<Value, NetboxSimError> {
        self.shared.edit(device, interface, &fields, user)
    }
    /// Fault `reject-clears`: every API write that clears the ticket number of interface `id`
    /// answers 400 (`None` turns it off; a person's `edit_interface` is never refused by it).
    pub fn reject_clears(&self, id: Option<u64>) {
        self.shared.lock().reject_clears = id.map(|id| (id, 400));
    }
    /// Fault `reject-clears` with another status: 500 or 503 make the clear fail "for now".
    pub fn fail_clears(&self, id: u64, status: u16) {
        self.shared.lock().reject_clears = Some((id, status));
    }
    /// `PATCH /api/extras/custom-fields/1/ {"required": …}`: with `true`, every interface write that
    /// leaves `change_ticket_number` empty answers 400, as NetBox does.
    pub fn set_ticket_required(&self, required: bool) {
        self.shared.lock().nb.ticket_required = required;
    }
    /// `true`: every `/api` request answers 503 until `set_down(false)`.
    pub fn set_down(&self, down: bool) {
        self.shared
            .set_down(if down { Down::Forever } else { Down::Up });
    }
    /// 503 for a while (`POST /_sim/down`).
    pub fn down_for(&self, d: Duration) {
        let until = Instant::now()
            .checked_add(d)
            .map_or(Down::Forever, Down::Until);
        self.shared.set_down(until);
    }
    /// Another accepted token, acting as `user`; `write_enabled = false` makes it read-only
    /// (writes answer 403). Checked before the configured token, with or without `--token`.
    pub fn add_token(&self, token: &str, user: &str, write_enabled: bool) {
        self.shared.lock().tokens.push(ExtraToken {
            token: token.to_owned(),
            user: user.to_owned(),
            write: write_enabled,
        });
    }
    /// One interface as `GET /api/dcim/interfaces/{id}/` shows it.
    pub fn interface(&self, device: &str, name: &str) -> Option<Value> {
        let inner = self.shared.lock();
        let id = inner.nb.interface_by_name(device, name)?.id;
        Some(render::interface(&inner.nb, &self.base_url, id))
    }
    /// The change log, oldest first, as `/api/core/object-changes/` records.
    pub fn object_changes(&self) -> Vec<Value> {
        let inner = self.shared.lock();
        inner
            .nb
            .changes
            .iter()
            .map(|c| render::object_change(&inner.nb, &self.base_url, c))
            .collect()
    }
    /// `/api` requests received so far, whatever the answer (`/_sim` not counted).
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }
    /// Adds `count` interfaces to `device` (free `GigabitEthernet<m>/0/<n>` names), each carrying
    /// `ticket` when given, without change records (a bulk import). Returns their ids.
    pub fn seed_interfaces(
        &self,
        device: &str,
        count: usize,
        ticket: Option<&str>,
    ) -> Result<Vec<u64>, NetboxSimError> {
        self.shared.seed_interfaces(device, count, ticket)
    }
    /// Resolves once the server has stopped (after the shutdown token fires).
    pub async fn stopped(&self) {
        self.shared.tracker.close();
        self.shared.tracker.wait().await;
    }
}

fn reachable(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// Binds, starts serving, and returns once the listener accepts connections.
pub async fn start(
    cfg: NetboxSimConfig,
    shutdown: CancellationToken,
) -> Result<RunningNetboxSim, NetboxSimError> {
    let bind_err = |source| NetboxSimError::Bind {
        addr: cfg.listen,
        source,
    };
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(bind_err)?;
    let local = listener.local_addr().map_err(bind_err)?;
    let base_url = format!("http://{}", reachable(local));
    let shared = Arc::new(Shared {
        token: cfg.token.clone(),
        base_url: base_url.clone(),
        requests: AtomicU64::new(0),
        inner: Mutex::new(Inner {
            nb: Netbox::seeded(now_micros()),
            down: Down::Up,
            tokens: Vec::new(),
            reject_clears: None,
        }),
        tracker: TaskTracker::new(),
    });
    let app = api::routes(shared.clone())
        .merge(control::routes())
        .fallback(http::fallback)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            http::count_requests,
        ))
        .with_state(shared.clone());
    let stop = shutdown.clone();
    shared.tracker.spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "netbox simulator stopped with an error");
        }
    });
    tracing::info!(base_url = %base_url, "netbox simulator listening");
    Ok(RunningNetboxSim { base_url, shared })
}
