//! W2's handler: one NetBox interface that may carry a change ticket → validated → pushed to the
//! switch by the one apply procedure → reported in Webex → ticket cleared in NetBox.
//!
//! The job record (`Store`, kind [`JOB_KIND`], key `netbox-interface:{id}:{ticket}:{last_updated}`)
//! is the outbox: each state is written before the effect it announces, so a retry or a restart
//! resumes where it stopped instead of repeating finished steps:
//! `received` → `invalid` | `applying` → `applied` | `not-applied` → `done`, or → `failed` when the
//! bot stops for good (NetBox refused the clear for a reason asking again will not fix, or the
//! candidate's retry budget is spent): reported in Webex, and a person takes over.
//! A job already `done` whose ticket is still set only retries the clear (no messages); a `failed`
//! job is left alone (setting the ticket again makes a new job).
//!
//! NetBox failures are sorted by [`NetboxError`]'s own classification: an outage (NetBox as a whole,
//! or the store) answers [`Handled::Unavailable`] so the poller backs off without blaming this
//! change; a transient failure of this change answers [`Handled::RetryLater`] (the poller parks it
//! and the others go on) — on its last attempt the job ends `failed` instead; anything else is
//! permanent: reported, naming the field NetBox named, and the job ends.

use tracing::Instrument;

use super::messages::{self, Subject};
use super::netbox_change::{plan, vlan_ids, Context, VlanFact};
use super::notifier::Notifier;
use crate::config::NetboxSyncSettings;
use crate::device::apply::{Applier, Outcome};
use crate::device::Profile;
use crate::directory::{DeviceDirectory, ResolveError};
use crate::netbox::limits::{bounded, CHANGELOG_MESSAGE_MAX};
use crate::netbox::{
    Candidate, CandidateSource, ClearOutcome, Handled, Interface, NetboxClient, NetboxError,
    OWN_CHANGE_PREFIX,
};
use crate::store::{JobState, Store, StoreError};

/// The store's job kind for W2.
pub const JOB_KIND: &str = "netbox-interface";

/// Longest ticket number quoted in a change-log message (the rest of the 200 says what happened).
const TICKET_IN_MESSAGE: usize = 40;

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

/// Why the handler stopped before finishing a change.
enum Stop {
    /// NetBox as a whole or the store cannot be used now: nothing here is this change's fault.
    Outage(String),
    /// This change cannot be finished now (NetBox answered, but failed for it): park it.
    Item(String),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Outage(format!("the store: {e}"))
    }
}

/// How a NetBox failure stops the handler; `None`: permanent (asking again will not help), the
/// caller reports it and ends the job.
fn stop_for(what: &str, e: &NetboxError) -> Option<Stop> {
    let reason = || format!("NetBox, {what}: {e}");
    if e.is_outage() {
        Some(Stop::Outage(reason()))
    } else if e.is_transient() {
        Some(Stop::Item(reason()))
    } else {
        None
    }
}

/// What the handler learned about the change before it stopped (for the give-up message).
#[derive(Debug, Default)]
struct Progress {
    key: Option<String>,
    device: Option<String>,
    interface: Option<String>,
    ticket: Option<String>,
    /// The outcome recorded so far (`invalid`, applied, …).
    outcome: Option<String>,
}

/// What the guarded clear did.
enum Cleared {
    /// Done, or nothing to do: in words for the job's detail.
    Finished(&'static str),
    /// NetBox refused it for a reason asking again will not fix.
    Refused(NetboxError),
}

/// `netbox-interface:{id}:{ticket}:{last_updated}`: one job per edit carrying a ticket.
pub fn job_key(interface_id: u64, ticket: &str, last_updated: &str) -> String {
    format!("{JOB_KIND}:{interface_id}:{ticket}:{last_updated}")
}

/// The subject of an interface's messages, its device named as the interface names it.
fn subject_of<'a>(iface: &'a Interface, ticket: &'a str) -> Subject<'a> {
    Subject {
        device: iface
            .device
            .as_ref()
            .and_then(|d| d.name.as_deref())
            .unwrap_or("(no device)"),
        interface: &iface.name,
        ticket,
    }
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

    /// Handles one candidate. `Done` whatever the change's outcome (invalid, not applied, applied,
    /// failed and reported, nothing to do); `RetryLater` when NetBox failed for this change only
    /// (never on its last attempt); `Unavailable` when NetBox or the store cannot be used at all.
    /// Nothing is lost either way: the job record says where to resume.
    pub async fn handle(&self, c: Candidate) -> Handled {
        let span = tracing::info_span!(
            "netbox_change",
            interface_id = c.interface_id,
            ticket = %c.ticket,
            source = ?c.source
        );
        let mut progress = Progress::default();
        match self.run(&c, &mut progress).instrument(span.clone()).await {
            Ok(()) => Handled::Done,
            Err(Stop::Outage(reason)) => {
                span.in_scope(
                    || tracing::warn!(%reason, "NetBox or the store is unavailable; retry later"),
                );
                Handled::Unavailable { reason }
            }
            Err(Stop::Item(reason)) if c.is_last_attempt() => {
                self.give_up(&c, &progress, &reason).instrument(span).await
            }
            Err(Stop::Item(reason)) => {
                span.in_scope(|| tracing::warn!(%reason, "change not finished now; retry later"));
                Handled::RetryLater { reason }
            }
        }
    }

    /// The retry budget is spent: the job ends `failed` (recorded first), and the person hears why.
    async fn give_up(&self, c: &Candidate, progress: &Progress, reason: &str) -> Handled {
        let attempts = match c.source {
            CandidateSource::Retry { attempt, .. } => attempt,
            _ => 1,
        };
        tracing::error!(attempts, %reason, "giving up on this change");
        if let Some(key) = &progress.key {
            let so_far = progress
                .outcome
                .as_deref()
                .unwrap_or(JobState::Received.as_str());
            let detail = format!("gave up after {attempts} attempts: {reason}");
            if let Err(e) = self
                .store
                .put_job(key, JOB_KIND, JobState::Failed, so_far, &detail)
                .await
            {
                return Handled::Unavailable {
                    reason: format!("the store: {e}"),
                };
            }
        }
        let interface = progress
            .interface
            .clone()
            .unwrap_or_else(|| format!("interface id {}", c.interface_id));
        let subject = Subject {
            device: progress.device.as_deref().unwrap_or("(device not read)"),
            interface: &interface,
            ticket: progress.ticket.as_deref().unwrap_or(&c.ticket),
        };
        self.notifier
            .send(&messages::gave_up(
                &subject,
                attempts,
                reason,
                progress.outcome.as_deref(),
            ))
            .await;
        Handled::Done
    }

    async fn run(&self, c: &Candidate, progress: &mut Progress) -> Result<(), Stop> {
        let id = c.interface_id;
        let iface = match self.netbox.interface(id).await {
            Ok(f) => f.value,
            Err(NetboxError::NotFound { .. }) => {
                tracing::info!("the interface no longer exists in NetBox; nothing to do");
                return Ok(());
            }
            Err(e) => {
                if let Some(stop) = stop_for("reading the interface", &e) {
                    return Err(stop);
                }
                tracing::warn!(error = %e, "NetBox refuses to show the interface; skipped");
                // Said once per edit, not on every sweep of an interface that stays unreadable.
                if c.source != CandidateSource::Sweep {
                    self.notifier
                        .send(&messages::unreadable(id, &c.ticket, &e))
                        .await;
                }
                return Ok(());
            }
        };
        let Some(ticket) = iface.change_ticket_number().map(str::to_owned) else {
            tracing::debug!("no ticket number on the interface now; nothing to do");
            return Ok(());
        };
        let last_updated = iface.last_updated.clone().unwrap_or_default();
        let key = job_key(id, &ticket, &last_updated);
        progress.key = Some(key.clone());
        progress.device = iface.device.as_ref().and_then(|d| d.name.clone());
        progress.interface = Some(iface.name.clone());
        progress.ticket = Some(ticket.clone());
        let job = self.store.job(&key).await?;
        let resumed = job.as_ref().map(|j| j.state);
        let outcome = job.as_ref().map(|j| j.outcome.clone()).unwrap_or_default();
        match resumed {
            Some(JobState::Done) => {
                // Handled before but the ticket is still set: the clear did not happen.
                progress.outcome = Some(outcome.clone());
                if let Cleared::Refused(e) =
                    self.clear(&iface, &ticket, &last_updated, &outcome).await?
                {
                    tracing::warn!(error = %e, "the ticket number of a finished job cannot be cleared");
                }
                return Ok(());
            }
            Some(JobState::Failed) => {
                tracing::debug!("the bot gave up on this edit before and said so; left alone");
                return Ok(());
            }
            Some(state @ (JobState::Invalid | JobState::Applied | JobState::NotApplied)) => {
                tracing::info!(
                    state = state.as_str(),
                    "resuming after the change was handled: clearing the ticket"
                );
                progress.outcome = Some(outcome.clone());
                return self
                    .finish(&key, &iface, &ticket, &last_updated, &outcome)
                    .await;
            }
            Some(state @ (JobState::Received | JobState::Applying)) => {
                tracing::info!(state = state.as_str(), "resuming an unfinished change")
            }
            None => {
                self.store
                    .put_job(&key, JOB_KIND, JobState::Received, "", "")
                    .await?
            }
        }

        let device_name = self.device_name(&iface).await?;
        progress.device.clone_from(&device_name);
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
        let announced = resumed == Some(JobState::Applying);
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
        progress.outcome = Some(detail.clone());
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
    ) -> Result<String, Stop> {
        let Some(name) = device_name else {
            return self
                .refuse(key, &subject, "the interface names no device in NetBox")
                .await;
        };
        let resolved = match self.devices.resolve(name).await {
            Ok(r) => r,
            Err(ResolveError::Netbox(e)) => match stop_for(&format!("resolving {name}"), &e) {
                Some(stop) => return Err(stop),
                None => return self.refuse(key, &subject, &e.to_string()).await,
            },
            Err(e) => return self.refuse(key, &subject, &e.to_string()).await,
        };
        let mut facts = Vec::new();
        for vlan_id in vlan_ids(iface) {
            match self.netbox.vlan(vlan_id).await {
                Ok(v) => facts.push(VlanFact::from(&v)),
                Err(e) => match stop_for("reading a VLAN", &e) {
                    Some(stop) => return Err(stop),
                    // The plan reports a VLAN it has no facts for.
                    None => tracing::warn!(vlan_id, error = %e, "VLAN not usable"),
                },
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
                self.store
                    .put_job(key, JOB_KIND, JobState::Invalid, &why, "")
                    .await?;
                return Ok(format!("not valid: {why}"));
            }
        };
        if !announced {
            self.notifier
                .send(&messages::configuring(&subject, &planned.valid))
                .await;
            self.store
                .put_job(key, JOB_KIND, JobState::Applying, "", "")
                .await?;
        }
        let (state, detail) = match self
            .applier
            .apply_to(&resolved.device, &planned.valid)
            .await
        {
            Ok(report) => {
                self.notifier
                    .send(&messages::finished(&subject, &report))
                    .await;
                let word = report.outcome.word();
                let changes = report.outcome.diff().changes.len();
                match report.outcome {
                    Outcome::Applied { .. } => {
                        (JobState::Applied, format!("{word} ({changes} changes)"))
                    }
                    _ => (JobState::NotApplied, format!("not applied: {word}")),
                }
            }
            Err(e) => {
                self.notifier.send(&messages::failed(&subject, &e)).await;
                if e.may_have_changed() {
                    (JobState::NotApplied, format!("outcome unknown: {e}"))
                } else {
                    (JobState::NotApplied, format!("not applied: {e}"))
                }
            }
        };
        self.store
            .put_job(key, JOB_KIND, state, &detail, "")
            .await?;
        // What the bot did to the device goes into the tamper-evident record (logged if it cannot).
        let body = serde_json::json!({"job": key, "ticket": ticket, "outcome": detail});
        let at_ms = crate::clock::now_ms();
        let subject = format!("{} {}", resolved.device.name, iface.name);
        if let Err(e) = self
            .store
            .audit_append("w2-change", &subject, &body, at_ms)
            .await
        {
            tracing::error!(error = %e, "the change could not be written to the audit record");
        }
        Ok(detail)
    }

    /// The device cannot be used (unknown, no address): reported like an invalid change.
    async fn refuse(&self, key: &str, subject: &Subject<'_>, why: &str) -> Result<String, Stop> {
        self.notifier
            .send(&messages::invalid_device(subject, why))
            .await;
        self.store
            .put_job(key, JOB_KIND, JobState::Invalid, why, "")
            .await?;
        Ok(format!("not valid: {why}"))
    }

    /// Clears the ticket (guarded) and records the job as done, or as failed (and says so) when
    /// NetBox refuses the clear for good.
    async fn finish(
        &self,
        key: &str,
        iface: &Interface,
        ticket: &str,
        last_updated: &str,
        detail: &str,
    ) -> Result<(), Stop> {
        match self.clear(iface, ticket, last_updated, detail).await? {
            Cleared::Finished(cleared) => {
                self.store
                    .put_job(key, JOB_KIND, JobState::Done, detail, cleared)
                    .await?;
            }
            Cleared::Refused(e) => {
                tracing::error!(error = %e, "NetBox refuses to clear the ticket number; a person must");
                let recorded = format!("ticket not cleared: {e}");
                self.store
                    .put_job(key, JOB_KIND, JobState::Failed, detail, &recorded)
                    .await?;
                self.notifier
                    .send(&messages::clear_refused(
                        &subject_of(iface, ticket),
                        detail,
                        &e,
                    ))
                    .await;
            }
        }
        Ok(())
    }

    /// Clears `change_ticket_number` only if the interface is still exactly as handled: same
    /// ticket and same `last_updated` (and `If-Match` with its ETag on 4.6+). A ticket set again
    /// meanwhile, or any other edit since, is left alone: that edit is the next job (the poller
    /// offers its change record), so it is never lost by our clear.
    async fn clear(
        &self,
        iface: &Interface,
        ticket: &str,
        last_updated: &str,
        outcome: &str,
    ) -> Result<Cleared, Stop> {
        let message = changelog_message(ticket, outcome);
        let cleared = self
            .netbox
            .clear_ticket_number(iface.id, ticket, Some(last_updated), &message)
            .await;
        match cleared {
            Ok(ClearOutcome::Cleared) => {
                tracing::info!("ticket number cleared in NetBox");
                Ok(Cleared::Finished("ticket cleared"))
            }
            Ok(ClearOutcome::TicketChanged { current }) => {
                tracing::info!(
                    current = current.as_deref().unwrap_or(""),
                    "the ticket number changed meanwhile; left alone"
                );
                Ok(Cleared::Finished("ticket changed meanwhile, left alone"))
            }
            Ok(ClearOutcome::EditedSince) => {
                tracing::info!(
                    "the interface was edited again meanwhile; its ticket is left for that edit"
                );
                Ok(Cleared::Finished(
                    "edited again meanwhile, ticket left for that edit",
                ))
            }
            Ok(ClearOutcome::Deleted) => Ok(Cleared::Finished("interface deleted")),
            Err(e) => match stop_for("clearing the ticket", &e) {
                Some(stop) => Err(stop),
                None => Ok(Cleared::Refused(e)),
            },
        }
    }

    /// The device's name: from the interface, else from NetBox by the device's id.
    async fn device_name(&self, iface: &Interface) -> Result<Option<String>, Stop> {
        let Some(dev) = &iface.device else {
            return Ok(None);
        };
        if let Some(name) = dev.name.as_deref().filter(|n| !n.trim().is_empty()) {
            return Ok(Some(name.to_owned()));
        }
        match self.netbox.device(dev.id).await {
            Ok(d) => Ok(d.name),
            Err(e) => match stop_for("reading the device", &e) {
                Some(stop) => Err(stop),
                None => Ok(None),
            },
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

/// `patchpanel: ticket N <outcome>`, one line within NetBox's 200 characters: the ticket is quoted
/// cleaned and bounded (it may be anything a person typed), so the outcome stays readable.
fn changelog_message(ticket: &str, outcome: &str) -> String {
    let ticket = bounded(ticket, TICKET_IN_MESSAGE);
    let outcome = bounded(outcome, CHANGELOG_MESSAGE_MAX);
    let outcome = if outcome.is_empty() {
        "handled"
    } else {
        outcome.as_str()
    };
    bounded(
        &format!("{OWN_CHANGE_PREFIX} ticket {ticket} {outcome}"),
        CHANGELOG_MESSAGE_MAX,
    )
}

#[cfg(test)]
#[path = "netbox_sync_tests.rs"]
mod tests;
