//! Applying one `InterfaceChange` to a device: the ONE procedure every workflow uses.
//!
//! `Applier::apply` validates (nothing is sent for an invalid change), takes the device's async lock (one
//! change in flight per device), snapshots the interface, writes, reads back, verifies every intended
//! value, and undoes the write when the device does not show it:
//! * NETCONF with `:candidate` — lock candidate (and running if `lock_running`) → discard-changes →
//!   edit-config candidate → validate (opt-in, see `ApplyOptions::validate_before_commit`) → confirmed
//!   commit with a persist id → read back running → confirming commit (or cancel-commit on a mismatch)
//!   → save-config → unlock.
//! * NETCONF running-only — lock running → edit-config running (rollback-on-error when offered) →
//!   read back → on a mismatch replace the interface entry with the snapshot.
//! * RESTCONF (devices without NETCONF) — PATCH (+ DELETEs) → read back → on a mismatch DELETE what
//!   the change created and PATCH the snapshot back (`restconf_flow`).
//!
//! The NETCONF session is blocking and runs on `spawn_blocking`. `Err(ApplyError)` means the device
//! was not changed; every `Ok(ApplyReport)` carries the before/after and an `Outcome`.

mod netconf_flow;
pub mod ops;
pub mod own;
pub mod restconf_flow;
mod session_adapter;
pub mod verify;

#[cfg(test)]
mod flow_tests;

use super::change::{validate, ChangeReason, InterfaceChange, Invalid, Rules, ValidChange};
use super::diff::Diff;
use super::inventory::{Device, Inventory, Profile};
use super::model::{InterfaceConfig, Protocol};
use super::{DeviceError, DeviceSettings};
use ops::NetconfConnector;
use own::OwnChanges;
use restconf_flow::RestconfWriter;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What happened to a change that reached the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Written, read back and verified (and confirmed / saved where the device has it).
    Applied { diff: Diff },
    /// The device refused it (rpc-error / RESTCONF error); it is unchanged.
    Rejected {
        device_words: String,
        diff_attempted: Diff,
    },
    /// Written but not as intended, so it was undone; the device is back to the snapshot.
    RolledBack {
        reason: String,
        diff_attempted: Diff,
    },
    /// The connection broke after the write was sent (or the undo failed): check the device. Under a
    /// confirmed commit the device rolls back by itself when the confirm timeout passes.
    OutcomeUnknown {
        detail: String,
        diff_attempted: Diff,
    },
}

impl Outcome {
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Applied { .. } => "applied",
            Outcome::Rejected { .. } => "rejected",
            Outcome::RolledBack { .. } => "rolled back",
            Outcome::OutcomeUnknown { .. } => "outcome unknown",
        }
    }

    pub fn diff(&self) -> &Diff {
        match self {
            Outcome::Applied { diff } => diff,
            Outcome::Rejected { diff_attempted, .. }
            | Outcome::RolledBack { diff_attempted, .. }
            | Outcome::OutcomeUnknown { diff_attempted, .. } => diff_attempted,
        }
    }
}

/// The record of one apply: for the chat answer, the ticket comment and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyReport {
    pub device: String,
    /// Full name (`GigabitEthernet1/0/2`).
    pub interface: String,
    pub protocol: Protocol,
    pub profile: Profile,
    pub reason: ChangeReason,
    /// The interface as read before anything was written.
    pub before: InterfaceConfig,
    /// The last read of the interface after writing; `None` when it could not be read.
    pub after: Option<InterfaceConfig>,
    pub outcome: Outcome,
    /// Things that went wrong without changing the outcome (e.g. save-config failed).
    pub warnings: Vec<String>,
    /// What was done, in order (`lock candidate`, `edit-config candidate`, ...).
    pub steps: Vec<String>,
}

/// The change was not made; the device is as it was.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Fix the change (every problem is listed).
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Unknown device, unreachable, authentication, unsupported, no such interface, ...
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// Another session holds the configuration lock: try again later.
    #[error("{device} is busy: its configuration is locked by {}", held_by.map(|s| format!("NETCONF session {s}")).unwrap_or_else(|| "another session".into()))]
    Busy {
        device: String,
        held_by: Option<u32>,
    },
    /// The session broke before anything was committed; nothing was changed. Try again.
    #[error("{device}: {detail}; nothing was committed")]
    Interrupted { device: String, detail: String },
    /// The apply worker itself stopped (a bug, or the runtime shutting down) at a point that is not
    /// known: the device may or may not have been changed. A confirmed commit, if one was sent, rolls
    /// back by itself. A person checks the device before trying again.
    #[error("{device}: the change stopped at an unknown point ({detail}); the device may or may not have been changed: check its configuration before trying again")]
    OutcomeUnknown { device: String, detail: String },
}

impl ApplyError {
    /// Whether the device may have been changed despite the error (a person must look).
    pub fn may_have_changed(&self) -> bool {
        matches!(self, ApplyError::OutcomeUnknown { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Confirm timeout of the confirmed commit: how long the device waits for the confirming
    /// commit before it rolls back by itself (also if the bot dies mid-change).
    pub confirm_timeout: Duration,
    /// Send `<validate>` before `<commit>` where `:validate` is offered. Off by default:
    /// edit-config's default test-option (test-then-set) already validates, the commit validates
    /// the candidate again, and yuma123 netconfd drops the candidate on validate→commit
    /// (docs/netconf.md §5.6 quirk 3). If it is on and a device drops the candidate, the read-back
    /// catches it and the change is rolled back.
    pub validate_before_commit: bool,
    /// Also lock running on the candidate path. Off by default: on IOS-XE that is a global lock
    /// that blocks CLI configuration too (docs/netconf.md §1.8).
    pub lock_running: bool,
    /// Per RESTCONF request and per NETCONF connect/operation.
    pub timeout: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            confirm_timeout: Duration::from_secs(60),
            validate_before_commit: false,
            lock_running: false,
            timeout: Duration::from_secs(15),
        }
    }
}

/// One async mutex per device name (case-insensitive): one change in flight per device.
#[derive(Debug, Clone, Default)]
pub struct DeviceLocks(Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>);

impl DeviceLocks {
    pub async fn lock(&self, device: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let m = {
            // A poisoned map still holds valid mutexes (inserts cannot half-happen).
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(device.to_ascii_lowercase())
                .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(())))
                .clone()
        };
        m.lock_owned().await
    }
}

/// Applies changes. Cheap to clone; clones share the per-device locks.
#[derive(Clone)]
pub struct Applier {
    inventory: Arc<Inventory>,
    settings: Arc<DeviceSettings>,
    restconf: RestconfWriter,
    connector: Arc<dyn NetconfConnector>,
    locks: DeviceLocks,
    options: ApplyOptions,
    own: OwnChanges,
}

impl std::fmt::Debug for Applier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Applier")
            .field("devices", &self.inventory.devices().len())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Applier {
    pub fn new(inventory: Inventory, settings: DeviceSettings) -> Result<Self, DeviceError> {
        let options = ApplyOptions::default();
        Ok(Applier {
            restconf: RestconfWriter::new(&settings, options.timeout)?,
            inventory: Arc::new(inventory),
            settings: Arc::new(settings),
            connector: default_connector(),
            locks: DeviceLocks::default(),
            options,
            own: OwnChanges::default(),
        })
    }

    pub fn with_options(mut self, options: ApplyOptions) -> Result<Self, DeviceError> {
        self.restconf = RestconfWriter::new(&self.settings, options.timeout)?;
        self.options = options;
        Ok(self)
    }

    /// Replaces how NETCONF sessions are opened (tests, alternative transports).
    pub fn with_connector(mut self, connector: Arc<dyn NetconfConnector>) -> Self {
        self.connector = connector;
        self
    }

    pub fn options(&self) -> &ApplyOptions {
        &self.options
    }

    /// The bot's own changes, as they happen (shared by clones).
    pub fn own_changes(&self) -> &OwnChanges {
        &self.own
    }

    /// The per-device locks changes hold (shared by clones): the configuration-change notifier
    /// takes a device's lock before reading it, so it never reads in the middle of a change.
    pub fn locks(&self) -> &DeviceLocks {
        &self.locks
    }

    /// Applies `change` to a device of the inventory, refusing any interface in `protected`: the
    /// change is validated here, once, for the device's profile (IOS-XE when the inventory does not
    /// say, as W2 does), then takes the one path every change takes ([`Applier::apply_to`]).
    pub async fn apply(
        &self,
        change: &InterfaceChange,
        protected: &[String],
    ) -> Result<ApplyReport, ApplyError> {
        let device = self.inventory.get(&change.device)?.clone();
        let rules = Rules {
            profile: device.profile.unwrap_or(Profile::Iosxe),
            protected,
        };
        let valid = validate(change, &rules)?;
        self.apply_to(&device, &valid).await
    }

    /// Applies a validated change to a device resolved elsewhere (NetBox, say); `change.device`
    /// must name it. See the module docs.
    pub async fn apply_to(
        &self,
        device: &Device,
        change: &ValidChange,
    ) -> Result<ApplyReport, ApplyError> {
        if !device.name.eq_ignore_ascii_case(&change.device) {
            return Err(ApplyError::Device(DeviceError::Config(format!(
                "the change is for `{}` but was given device `{}`",
                change.device, device.name
            ))));
        }
        let device = device.clone();
        // A profile the device is known to speak decides before connecting; otherwise the device
        // says which once connected, and the flow takes the change for it.
        let change = match device.profile {
            Some(profile) => change.for_profile(profile)?.into_owned(),
            None => change.clone(),
        };
        let _guard = self.locks.lock(&device.name).await;
        let _own = self.own.begin(
            &device.name,
            &change.interface.to_string(),
            &change.reason.to_string(),
            crate::clock::now_ms(),
        );
        tracing::info!(device = %device.name, interface = %change.interface, reason = %change.reason, "applying change");
        let report = if uses_netconf(&device) {
            self.apply_netconf(device, change.clone()).await
        } else {
            self.restconf.apply(&device, &change).await
        };
        match &report {
            Ok(r) => tracing::info!(
                device = %r.device,
                interface = %r.interface,
                protocol = %r.protocol,
                outcome = r.outcome.word(),
                changes = r.outcome.diff().changes.len(),
                "change finished"
            ),
            Err(e) => tracing::warn!(device = %change.device, error = %e, "change not made"),
        }
        report
    }

    async fn apply_netconf(
        &self,
        device: Device,
        change: ValidChange,
    ) -> Result<ApplyReport, ApplyError> {
        let connector = self.connector.clone();
        let settings = self.settings.clone();
        let options = self.options.clone();
        let persist = format!("patchpanel-{}", uuid::Uuid::new_v4().simple());
        let name = device.name.clone();
        tokio::task::spawn_blocking(move || {
            let mut session = connector.connect(&device, &settings, options.timeout)?;
            let input = netconf_flow::Input {
                device: &device,
                change: &change,
                options: &options,
                persist_id: &persist,
            };
            let result = netconf_flow::run(session.as_mut(), &input);
            session.close();
            result
        })
        .await
        .map_err(|e| {
            // Nothing in the flow panics by design; if the worker died anyway the device state is
            // not known, and the confirmed commit (if sent) rolls back by itself.
            ApplyError::OutcomeUnknown {
                device: name,
                detail: format!("the NETCONF worker stopped: {e}"),
            }
        })?
    }
}

/// NETCONF when the inventory gives a NETCONF port or no RESTCONF URL; RESTCONF only for devices
/// without NETCONF (NETCONF has the transaction: candidate, confirmed commit, locks).
pub fn uses_netconf(device: &Device) -> bool {
    device.netconf_port.is_some() || device.restconf_url.is_none()
}

fn default_connector() -> Arc<dyn NetconfConnector> {
    Arc::new(session_adapter::SessionConnector)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    #[tokio::test]
    async fn one_change_in_flight_per_device() {
        let locks = DeviceLocks::default();
        let held = locks.lock("c9300").await;
        // Same device in another spelling waits; another device does not.
        assert!(locks.lock("C9300").now_or_never().is_none());
        assert!(locks.lock("other").now_or_never().is_some());
        drop(held);
        assert!(locks.lock("c9300").now_or_never().is_some());
    }

    #[test]
    fn routes_prefer_netconf() {
        let d = |port: Option<u16>, url: Option<&str>| Device {
            name: "d".into(),
            host: "h".into(),
            netconf_port: port,
            restconf_url: url.map(str::to_string),
            profile: None,
        };
        assert!(uses_netconf(&d(None, None)));
        assert!(uses_netconf(&d(Some(830), Some("https://h/restconf"))));
        assert!(!uses_netconf(&d(None, Some("https://h/restconf"))));
    }
}
