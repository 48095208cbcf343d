//! W2's handler: one NetBox interface that may carry a change ticket → validated → pushed to the
//! switch by the one apply procedure → reported in Webex → ticket cleared in NetBox.
//!
//! The job record (`Store`, kind [`JOB_KIND`], key `netbox-interface:{id}:{ticket}:{last_updated}`)
//! is the outbox: each state is written before the effect it announces, so a retry or a restart
//! resumes where it stopped instead of repeating finished steps:
//! `received` → `invalid` | `applying` → `applied` | `failed` → `done`.
//! A job already `done` whose ticket is still set only retries the clear (no messages).

use tracing::Instrument;

use super::messages::{self, Subject};
use super::netbox_change::{plan, vlan_ids, Context, VlanFact};
use super::notifier::Notifier;
use crate::config::NetboxSyncSettings;
use crate::device::apply::{Applier, Outcome};
use crate::device::Profile;
use crate::devices::DeviceDirectory;
use crate::netbox::wire::{InterfacePatchBody, TICKET_FIELD};
use crate::netbox::{Candidate, CandidateSource, Handled, Interface, NetboxClient, NetboxError};
use crate::store::{Store, StoreError};

/// The store's job kind for W2.
pub const JOB_KIND: &str = "netbox-interface";

/// Every write the bot makes to NetBox starts with this, so the poller recognizes its own writes.
pub const CHANGELOG_PREFIX: &str = "patchpanel:";

const RECEIVED: &str = "received";
const INVALID: &str = "invalid";
const APPLYING: &str = "applying";
const APPLIED: &str = "applied";
const FAILED: &str = "failed";
const DONE: &str = "done";
/// Between the outcome and what the clear did in a `done` job's detail.
const CLEAR_SEPARATOR: &str = " | ";

/// The W2 handler. Cheap to clone (every part is a shared handle).
#[derive(Debug, Clone)]
pub struct NetboxSync {
    netbox: NetboxClient,
    devices: DeviceDirectory,
    applier: Applier,
    store: Store,
    notifier: Notifier,
    settings: NetboxSyncSettings,
}

/// Stop here and let the poller offer the candidate again later.
struct Retry(String);

impl From<StoreError> for Retry {
    fn from(e: StoreError) -> Self {
        Retry(format!("the store: {e}"))
    }
}

/// Errors worth retrying: NetBox down, or a token/permission/setting a person will fix.
fn retryable(e: &NetboxError) -> bool {
    matches!(
        e,
        NetboxError::Unavailable { .. }
            | NetboxError::Unauthorized { .. }
            | NetboxError::Forbidden { .. }
            | NetboxError::Config(_)
    )
}

fn netbox_retry(what: &str, e: &NetboxError) -> Retry {
    Retry(format!("NetBox, {what}: {e}"))
}

/// `netbox-interface:{id}:{ticket}:{last_updated}`: one job per edit carrying a ticket.
pub fn job_key(interface_id: u64, ticket: &str, last_updated: &str) -> String {
    format!("{JOB_KIND}:{interface_id}:{ticket}:{last_updated}")
}

impl NetboxSync {
    /// Builds the W2 handler from shared handles:
    /// * `netbox` — the NetBox client (the poller's clone is fine);
    /// * `devices` — `DeviceDirectory::new(devices_file, Some(netbox))`: NetBox gives the device's
    ///   site (VLANs are checked against it), the devices file may say how to reach it;
    /// * `applier` — the process's one `Applier` (its per-device locks are shared with chat);
    /// * `store` — the job records (outbox);
    /// * `notifier` — `Notifier::new(Some(webex_rest), settings.notify)`;
    /// * `settings` — `Settings::netbox_sync` (protected interfaces and tag).
    pub fn new(
        netbox: NetboxClient,
        devices: DeviceDirectory,
        applier: Applier,
        store: Store,
        notifier: Notifier,
        settings: NetboxSyncSettings,
    ) -> Self {
        NetboxSync {
            netbox,
            devices,
            applier,
            store,
            notifier,
            settings,
        }
    }

    /// Handles one candidate. `Done` whatever the change's outcome (invalid, failed, applied,
    /// nothing to do); `RetryLater` when NetBox or the store cannot be used now (nothing is lost:
    /// the job record says where to resume).
    pub async fn handle(&self, c: Candidate) -> Handled {
        let span = tracing::info_span!(
            "netbox_change",
            interface_id = c.interface_id,
            ticket = %c.ticket,
            source = ?c.source
        );
        match self.run(&c).instrument(span.clone()).await {
            Ok(()) => Handled::Done,
            Err(Retry(reason)) => {
                span.in_scope(|| tracing::warn!(%reason, "change not handled now; retry later"));
                Handled::RetryLater { reason }
            }
        }
    }

    async fn run(&self, c: &Candidate) -> Result<(), Retry> {
        let id = c.interface_id;
        let iface = match self.netbox.interface(id).await {
            Ok(f) => f.value,
            Err(NetboxError::NotFound { .. }) => {
                tracing::info!("the interface no longer exists in NetBox; nothing to do");
                return Ok(());
            }
            Err(e) if retryable(&e) => return Err(netbox_retry("reading the interface", &e)),
            Err(e) => {
                tracing::warn!(error = %e, "the interface cannot be read; skipped");
                return Ok(());
            }
        };
        let Some(ticket) = iface.change_ticket_number().map(str::to_owned) else {
            tracing::debug!("no ticket number on the interface now; nothing to do");
            return Ok(());
        };
        let last_updated = iface.last_updated.clone().unwrap_or_default();
        let key = job_key(id, &ticket, &last_updated);
        let job = self.store.job(&key).await?;
        let resumed = job.as_ref().map(|j| j.state.as_str());
        match resumed {
            Some(DONE) => {
                // Handled before but the ticket is still set: the clear did not happen.
                let detail = job.as_ref().map(|j| j.detail.clone()).unwrap_or_default();
                let outcome = detail.split(CLEAR_SEPARATOR).next().unwrap_or_default();
                self.clear(&iface, &ticket, &last_updated, outcome).await?;
                return Ok(());
            }
            Some(state @ (INVALID | APPLIED | FAILED)) => {
                let detail = job.as_ref().map(|j| j.detail.clone()).unwrap_or_default();
                tracing::info!(
                    state,
                    "resuming after the change was handled: clearing the ticket"
                );
                return self
                    .finish(&key, &iface, &ticket, &last_updated, &detail)
                    .await;
            }
            Some(state) => tracing::info!(state, "resuming an unfinished change"),
            None => self.store.put_job(&key, JOB_KIND, RECEIVED, "").await?,
        }

        let device_name = self.device_name(&iface).await?;
        let subject = Subject {
            device: device_name.as_deref().unwrap_or("(no device)"),
            interface: &iface.name,
            ticket: &ticket,
        };
        if resumed.is_none() {
            let by = self.edited_by(c).await;
            self.notifier
                .send(&messages::received(&subject, by.as_deref()))
                .await;
        }

        // A job found in `applying` already announced what it configures before the bot stopped.
        let announced = resumed == Some(APPLYING);
        let detail = self
            .push(
                &key,
                &iface,
                &ticket,
                device_name.as_deref(),
                subject,
                announced,
            )
            .await?;
        self.finish(&key, &iface, &ticket, &last_updated, &detail)
            .await
    }

    /// Resolve, plan, apply and report; returns the job's outcome in words (already recorded).
    async fn push(
        &self,
        key: &str,
        iface: &Interface,
        ticket: &str,
        device_name: Option<&str>,
        subject: Subject<'_>,
        announced: bool,
    ) -> Result<String, Retry> {
        let Some(name) = device_name else {
            return self
                .refuse(key, &subject, "the interface names no device in NetBox")
                .await;
        };
        let resolved = match self.devices.resolve(name).await {
            Ok(r) => r,
            Err(e) if e.is_transient() => return Err(Retry(format!("resolving {name}: {e}"))),
            Err(e) => return self.refuse(key, &subject, &e.to_string()).await,
        };
        let mut facts = Vec::new();
        for vlan_id in vlan_ids(iface) {
            match self.netbox.vlan(vlan_id).await {
                Ok(v) => facts.push(VlanFact::from(&v)),
                Err(e) if retryable(&e) => return Err(netbox_retry("reading a VLAN", &e)),
                // The plan reports a VLAN it has no facts for.
                Err(e) => tracing::warn!(vlan_id, error = %e, "VLAN not usable"),
            }
        }
        let protected = self.settings.protected.for_device(&resolved.device.name);
        let ctx = Context {
            device: &resolved.device.name,
            site: resolved.site.as_deref(),
            profile: resolved.device.profile.unwrap_or(Profile::Iosxe),
            protected: &protected,
            protected_tag: &self.settings.protected_tag,
        };
        let planned = match plan(iface, ticket, &facts, &ctx) {
            Ok(p) => p,
            Err(problems) => {
                self.notifier
                    .send(&messages::invalid(&subject, &problems))
                    .await;
                let why = problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                self.store.put_job(key, JOB_KIND, INVALID, &why).await?;
                return Ok(format!("not valid: {why}"));
            }
        };
        if !announced {
            self.notifier
                .send(&messages::configuring(&subject, &planned.valid))
                .await;
            self.store.put_job(key, JOB_KIND, APPLYING, "").await?;
        }
        let (state, detail) = match self
            .applier
            .apply_to(&resolved.device, &planned.change, &protected)
            .await
        {
            Ok(report) => {
                self.notifier
                    .send(&messages::finished(&subject, &report))
                    .await;
                let word = report.outcome.word();
                let changes = report.outcome.diff().changes.len();
                match report.outcome {
                    Outcome::Applied { .. } => (APPLIED, format!("{word} ({changes} changes)")),
                    _ => (FAILED, format!("not applied: {word}")),
                }
            }
            Err(e) => {
                self.notifier.send(&messages::failed(&subject, &e)).await;
                (FAILED, format!("not applied: {e}"))
            }
        };
        self.store.put_job(key, JOB_KIND, state, &detail).await?;
        Ok(detail)
    }

    /// The device cannot be used (unknown, no address): reported like an invalid change.
    async fn refuse(&self, key: &str, subject: &Subject<'_>, why: &str) -> Result<String, Retry> {
        self.notifier
            .send(&messages::invalid_device(subject, why))
            .await;
        self.store.put_job(key, JOB_KIND, INVALID, why).await?;
        Ok(format!("not valid: {why}"))
    }

    /// Clears the ticket (guarded) and records the job as done.
    async fn finish(
        &self,
        key: &str,
        iface: &Interface,
        ticket: &str,
        last_updated: &str,
        detail: &str,
    ) -> Result<(), Retry> {
        let cleared = self.clear(iface, ticket, last_updated, detail).await?;
        let detail = format!("{detail}{CLEAR_SEPARATOR}{cleared}");
        self.store.put_job(key, JOB_KIND, DONE, &detail).await?;
        Ok(())
    }

    /// Clears `change_ticket_number` only if the interface is still exactly as handled: same
    /// ticket and same `last_updated` (and `If-Match` with its ETag on 4.6+). A ticket set again
    /// meanwhile, or any other edit since, is left alone: that edit is the next job (the poller
    /// offers its change record), so it is never lost by our clear. Returns what happened, in words.
    async fn clear(
        &self,
        iface: &Interface,
        ticket: &str,
        last_updated: &str,
        outcome: &str,
    ) -> Result<&'static str, Retry> {
        let now = match self.netbox.interface(iface.id).await {
            Ok(f) => f,
            Err(NetboxError::NotFound { .. }) => return Ok("interface deleted"),
            Err(e) => return Err(netbox_retry("re-reading before the clear", &e)),
        };
        if now.value.change_ticket_number() != Some(ticket) {
            tracing::info!(
                current = now.value.change_ticket_number().unwrap_or(""),
                "the ticket number changed meanwhile; left alone"
            );
            return Ok("ticket changed meanwhile, left alone");
        }
        if now.value.last_updated.as_deref().unwrap_or_default() != last_updated {
            tracing::info!(
                "the interface was edited again meanwhile; its ticket is left for that edit"
            );
            return Ok("edited again meanwhile, ticket left for that edit");
        }
        let mut custom_fields = serde_json::Map::new();
        custom_fields.insert(TICKET_FIELD.to_owned(), serde_json::Value::Null);
        let body = InterfacePatchBody {
            custom_fields,
            changelog_message: changelog_message(ticket, outcome),
            ..Default::default()
        };
        match self
            .netbox
            .patch_interface_body(iface.id, &body, now.etag.as_deref())
            .await
        {
            Ok(_) => {
                tracing::info!("ticket number cleared in NetBox");
                Ok("ticket cleared")
            }
            Err(NetboxError::PreconditionFailed { .. }) => {
                tracing::info!(
                    "the interface was edited during the clear; its ticket is left for that edit"
                );
                Ok("edited again meanwhile, ticket left for that edit")
            }
            Err(NetboxError::NotFound { .. }) => Ok("interface deleted"),
            Err(e) => Err(netbox_retry("clearing the ticket", &e)),
        }
    }

    /// The device's name: from the interface, else from NetBox by the device's id.
    async fn device_name(&self, iface: &Interface) -> Result<Option<String>, Retry> {
        let Some(dev) = &iface.device else {
            return Ok(None);
        };
        if let Some(name) = dev.name.as_deref().filter(|n| !n.trim().is_empty()) {
            return Ok(Some(name.to_owned()));
        }
        match self.netbox.device(dev.id).await {
            Ok(d) => Ok(d.name),
            Err(e) if retryable(&e) => Err(netbox_retry("reading the device", &e)),
            Err(_) => Ok(None),
        }
    }

    /// Who set the ticket, when the candidate came from a change record (best effort).
    async fn edited_by(&self, c: &Candidate) -> Option<String> {
        let CandidateSource::ChangeLog { change_id } = c.source else {
            return None;
        };
        let page = self
            .netbox
            .object_changes_after(change_id.saturating_sub(1), 1)
            .await
            .ok()?;
        page.into_iter()
            .find(|r| r.id == change_id)
            .and_then(|r| r.user_name)
    }
}

/// `patchpanel: ticket N <outcome>`, bounded (the outcome may quote a device's words).
fn changelog_message(ticket: &str, outcome: &str) -> String {
    let outcome: String = outcome
        .chars()
        .take(160)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let outcome = if outcome.is_empty() {
        "handled".to_owned()
    } else {
        outcome
    };
    format!("{CHANGELOG_PREFIX} ticket {ticket} {outcome}")
}
