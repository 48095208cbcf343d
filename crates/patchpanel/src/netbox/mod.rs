//! Everything that knows NetBox JSON (docs/netbox.md, NetBox 3.5–4.7): the REST client,
//! its wire shapes, the `Authorization` rule and the error mapping. The rest of the bot sees typed
//! values (`Device`, `Interface`, `ObjectChange`, …) and `NetboxError`.
//!
//! Interface (others code against it):
//! * `NetboxClient::new(&NetboxConfig)`; `status()`; `device_by_name(name, site)`, `device(id)`;
//!   `interface_by_name(device_id, name)`, `interfaces(device_id)`, `interface(id)` → `Fetched`
//!   (value + ETag); `vlan_for_device(device_id, vid)`, `vlan(id)` (with its site); `patch_interface(&Fetched, &InterfaceUpdate)`,
//!   `patch_interface_body(id, &body, if_match)`, `clear_ticket_number(id, expected, last_updated, message)` (guarded);
//!   `ip_addresses_on_interface`, `ip_addresses_by_address`, `create_ip_address`,
//!   `assign_ip_address`; `object_changes_after(cursor, limit)`, `latest_object_change_id()`;
//!   `interfaces_with_ticket()` (the sweep: every interface whose `change_ticket_number` is set,
//!   filtered client-side too), `ticket_field_filter_logic()` (`None`: no such custom field).
//! * `poller::Poller::new(client, store, PollerConfig::new(interval, sweep_interval))`; `waker()`
//!   (`Wakeup`: `wake()` = poll now, coalesced: at most one poll running and one pending), `stats()` (`watch::Receiver<PollerStats>`),
//!   `run(handle, shutdown) -> Result<(), PollerError>` with `handle: FnMut(Candidate) -> Future<Output
//!   = Handled>`; store cursor `poller::CURSOR`. Candidates come from the change log (a person's
//!   ticketed edit, collapsed per interface), the periodic sweep and the retries of parked ones: a
//!   candidate answered `RetryLater` is parked and retried on its own backoff (`PollerConfig::
//!   retry_budget` attempts, the last flagged), `Unavailable` makes the poller back off.
//! * `limits::bounded(text, max)` fits a text to a field (`CHANGELOG_MESSAGE_MAX`, `DESCRIPTION_MAX`);
//!   the write paths apply it themselves. `NetboxError::is_transient()` / `is_outage()` classify failures.
//! * `wire::WebhookBody` parses a webhook body of any version (the receiver checks the signature first).
//! * `webhook::start(listen, secret, wake, shutdown) -> Result<RunningWebhook, WebhookError>`: the
//!   optional receiver behind the hardened `crate::listener`; checks `X-Hook-Signature`, then wakes
//!   the poller on `dcim.interface` events, once per distinct body (a replay is acknowledged, no-op).

/// Every change-log message the bot writes to NetBox starts with this (colon included), and the poller
/// skips exactly the records that do: the bot's own writes never trigger W2, while a person's message
/// such as "patchpanel rollout" still does.
pub const OWN_CHANGE_PREFIX: &str = "patchpanel:";

mod auth;
pub mod candidate;
mod changelog;
mod client;
mod error;
mod ipam;
pub mod limits;
mod paging;
pub mod poller;
mod sweep;
mod update;
pub mod version;
pub mod wakeup;
pub mod webhook;
pub mod wire;
mod write;

use std::time::Duration;

pub use auth::{authorization, TokenKind};
pub use candidate::{Candidate, CandidateSource, Handled};
pub use client::{ClearOutcome, Fetched, NetboxClient, NetboxStatus};
pub use error::{FieldError, NetboxError};
pub use poller::{Poller, PollerConfig, PollerError, PollerStats};
pub use update::{InterfaceUpdate, L2Update};
pub use version::ChangeLogApi;
pub use wakeup::{WakeCounts, Wakeup};
pub use wire::{
    ChangeAction, Device, Interface, IpAddress, MgmtAddress, ObjectChange, Snapshot, Tag, Vlan,
    WebhookBody,
};

use crate::secret::Secret;

/// How to reach NetBox.
#[derive(Debug, Clone)]
pub struct NetboxConfig {
    /// NETBOX_URL, e.g. `https://netbox.example.com` (a trailing `/api` is tolerated).
    pub url: String,
    /// NETBOX_TOKEN: the bare v1/v2 token or the whole header value (`Bearer nbt_…`).
    pub token: Secret,
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Largest response body accepted.
    pub max_body: usize,
}

impl NetboxConfig {
    pub fn new(url: impl Into<String>, token: Secret) -> Self {
        NetboxConfig {
            url: url.into(),
            token,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(20),
            max_body: 8 * 1024 * 1024,
        }
    }
}
