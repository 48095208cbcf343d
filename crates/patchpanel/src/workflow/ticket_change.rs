//! W3's handler: a Zammad network-change ticket → a change record (validated against the device
//! and NetBox, with its plan) → an approval card → a decision → NetBox and the switch changed →
//! the ticket closed. The decisions are the pure core's (`crate::approval`); this file does the IO
//! around them: it reads the ticket, the device and NetBox, stores each transition with its
//! effects before running them (`ticket_effects.rs` runs them), and answers the people deciding.
//!
//! One change is worked on by one task at a time (a lock per change id); the store's version check
//! settles the rest, so two approvers pressing at once lead to one application.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tracing::Instrument;

use super::notifier::Notifier;
use super::ticket_messages as text;
use super::ticket_plan::{self, NetboxSide};
use crate::approval::{
    self, judge, Attempt, ChangeId, ChangeRecord, ChangeState, Decision, Input, Plan, TicketRef,
    Verdict, Via,
};
use crate::config::{ApprovalSettings, ProtectedInterfaces};
use crate::device::apply::Applier;
use crate::device::change::{validate, InterfaceChange, Rules, ValidChange};
use crate::device::{DeviceReader, Profile};
use crate::directory::{DeviceDirectory, Resolved};
use crate::iface::InterfaceName;
use crate::netbox::NetboxClient;
use crate::store::{Committed, Store, StoreError};
use crate::webex::WebexRest;
use crate::zammad::{change_request, Ticket, ZammadClient};

/// What W3 needs from the settings.
#[derive(Debug, Clone)]
pub struct TicketSettings {
    /// ZAMMAD_CHANGE_FIELD / ZAMMAD_CHANGE_VALUE: what marks a network-change ticket.
    pub change_field: String,
    pub change_value: String,
    pub approvals: ApprovalSettings,
    pub protected: ProtectedInterfaces,
    pub protected_tag: String,
}

/// Why W3 could not do something now (it is retried; nothing is lost: the store says where).
#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    #[error("the store: {0}")]
    Store(#[from] StoreError),
    #[error("Zammad: {0}")]
    Zammad(#[from] crate::zammad::ZammadError),
    #[error("Webex: {0}")]
    Webex(#[from] crate::webex::WebexError),
    #[error("NetBox: {0}")]
    Netbox(#[from] crate::netbox::NetboxError),
    #[error("{0}")]
    Transition(#[from] approval::NotNow),
}

/// The W3 handler. Cheap to clone.
#[derive(Clone)]
pub struct TicketChanges {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) zammad: ZammadClient,
    pub(super) netbox: Option<NetboxClient>,
    pub(super) devices: DeviceDirectory,
    pub(super) reader: DeviceReader,
    pub(super) applier: Applier,
    pub(super) store: Store,
    pub(super) webex: WebexRest,
    pub(super) notifier: Notifier,
    pub(super) settings: TicketSettings,
    /// The bot's own Zammad user: its updates are not new requests.
    pub(super) bot_user_id: Option<u64>,
    locks: Mutex<HashMap<ChangeId, Arc<tokio::sync::Mutex<()>>>>,
    /// When a change whose effect failed may be tried again (the tick skips it until then). In
    /// memory: after a restart every open effect is tried at once.
    retry_at: Mutex<HashMap<ChangeId, std::time::Instant>>,
}

/// The first retry of a failed effect waits about this long, doubling per failure up to
/// [`EFFECT_RETRY_MAX`].
pub const EFFECT_RETRY_BASE: std::time::Duration = std::time::Duration::from_secs(5);
pub const EFFECT_RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(300);

impl std::fmt::Debug for TicketChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketChanges").finish_non_exhaustive()
    }
}

pub(super) use crate::clock::now_ms;

/// A one-time value for a card: 128 random bits as hex.
fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// What a ticket asks for, once checked against the device and NetBox.
pub(super) struct Checked {
    pub(super) valid: ValidChange,
    pub(super) resolved: Resolved,
    pub(super) plan: Plan,
}

impl TicketChanges {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        zammad: ZammadClient,
        netbox: Option<NetboxClient>,
        devices: DeviceDirectory,
        reader: DeviceReader,
        applier: Applier,
        store: Store,
        webex: WebexRest,
        notifier: Notifier,
        settings: TicketSettings,
        bot_user_id: Option<u64>,
    ) -> Self {
        TicketChanges {
            inner: Arc::new(Inner {
                zammad,
                netbox,
                devices,
                reader,
                applier,
                store,
                webex,
                notifier,
                settings,
                bot_user_id,
                locks: Mutex::new(HashMap::new()),
                retry_at: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The lock of one change: one task works on it at a time.
    pub(super) fn lock_of(&self, id: &ChangeId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.inner.locks.lock().unwrap_or_else(|e| e.into_inner());
        // Finished changes' locks are dropped when nobody holds them, so the map stays small.
        locks.retain(|_, l| Arc::strong_count(l) > 1);
        locks.entry(id.clone()).or_default().clone()
    }

    /// Schedules the next try of a change whose effect failed for the `attempts`-th time.
    pub(super) fn effect_failed(&self, id: &ChangeId, attempts: u32) {
        let wait = crate::backoff::delay_after(
            EFFECT_RETRY_BASE,
            EFFECT_RETRY_MAX,
            attempts.saturating_sub(1),
            fastrand::f64(),
        );
        let mut at = self
            .inner
            .retry_at
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        at.insert(id.clone(), std::time::Instant::now() + wait);
    }

    /// Whether the tick may run a change's effects now (not waiting after a failure).
    fn may_retry(&self, id: &ChangeId) -> bool {
        let mut at = self
            .inner
            .retry_at
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match at.get(id) {
            Some(when) if *when > std::time::Instant::now() => false,
            Some(_) => {
                at.remove(id);
                true
            }
            None => true,
        }
    }

    /// Takes one ticket the poller found. `Ok(None)` when there is nothing to do (not a network
    /// change, this version already handled, the bot's own update); otherwise the new change's id.
    pub async fn handle_ticket(&self, ticket: &Ticket) -> Result<Option<ChangeId>, TicketError> {
        let s = &self.inner.settings;
        let (Some(id), Some(number), Some(updated_at)) = (
            ticket.id,
            ticket.number.as_deref(),
            ticket.updated_at.as_deref(),
        ) else {
            tracing::warn!("a ticket without id, number or updated_at; skipped");
            return Ok(None);
        };
        if !ticket.is_change(&s.change_field, &s.change_value) {
            return Ok(None);
        }
        let store = &self.inner.store;
        if store.ticket_handled(id, updated_at).await? {
            return Ok(None);
        }
        if self.inner.bot_user_id.is_some() && ticket.updated_by_id == self.inner.bot_user_id {
            store.mark_ticket_handled(id, updated_at, now_ms()).await?;
            return Ok(None);
        }
        let revision = store.change_count_for_ticket(id).await? + 1;
        let change_id = ChangeId::for_ticket(number, revision)
            .or_else(|| ChangeId::parse(&format!("t{id}-{revision}")))
            .ok_or_else(|| {
                StoreError::NoSuchChange(format!("ticket id {id} has no usable number"))
            })?;
        let span = tracing::info_span!("ticket_change", ticket = %number, change = %change_id);
        self.take_ticket(ticket, id, number, updated_at, change_id)
            .instrument(span)
            .await
    }

    /// The new change of one ticket version: read, checked, planned, stored with its first
    /// transition; then its effects run.
    async fn take_ticket(
        &self,
        ticket: &Ticket,
        id: u64,
        number: &str,
        updated_at: &str,
        change_id: ChangeId,
    ) -> Result<Option<ChangeId>, TicketError> {
        let s = &self.inner.settings;
        let store = &self.inner.store;
        let requester = ticket
            .customer
            .as_ref()
            .and_then(|c| c.email.as_deref().or(c.login.as_deref()))
            .or_else(|| {
                ticket
                    .created_by
                    .as_ref()
                    .and_then(|c| c.email.as_deref().or(c.login.as_deref()))
            })
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let tref = TicketRef {
            id,
            number: number.to_owned(),
            title: ticket.title.clone().unwrap_or_default(),
            requester,
            updated_at: updated_at.to_owned(),
        };
        let request = serde_json::to_value(RequestRecord::of(ticket)).unwrap_or_default();
        let record = approval::received(change_id.clone(), tref, request);
        let input = match change_request(ticket) {
            Err(problems) => Input::Refused {
                problems: problems.to_string(),
            },
            Ok(change) => match self.check(&change).await {
                Err(problems) => Input::Refused { problems },
                Ok(checked) => Input::Validated {
                    plan: checked.plan,
                    nonce: nonce(),
                    expires_at_ms: now_ms().saturating_add(
                        i64::try_from(s.approvals.ttl.as_millis()).unwrap_or(i64::MAX),
                    ),
                },
            },
        };
        let first = approval::transition(&record, input)?;
        if !store.insert_change(&record, &first, now_ms()).await? {
            return Ok(None);
        }
        tracing::info!(state = first.record.state.word(), "ticket received");
        self.run_effects(&change_id).await;
        Ok(Some(change_id))
    }

    /// The ticket's request, checked against everything the bot knows: the device exists and is
    /// reachable, the interface is not protected, the values are valid for the device, VLANs exist
    /// at its NetBox site; then the plan. `Err` holds every problem, one per line.
    pub(super) async fn check(&self, change: &InterfaceChange) -> Result<Checked, String> {
        let s = &self.inner.settings;
        let resolved = self
            .inner
            .devices
            .resolve(&change.device)
            .await
            .map_err(|e| e.to_string())?;
        let protected = s.protected.for_device(&resolved.device.name);
        let rules = Rules {
            profile: resolved.device.profile.unwrap_or(Profile::Iosxe),
            protected: &protected,
        };
        let mut change = change.clone();
        change.device.clone_from(&resolved.device.name);
        let valid = validate(&change, &rules).map_err(|e| e.to_string())?;
        let netbox_side = self
            .netbox_side(&resolved, &valid.interface, ticket_plan::l2_update(&valid))
            .await?;
        let device_now = self
            .inner
            .reader
            .interface_on(&resolved.device, &valid.interface)
            .await
            .map_err(|e| {
                format!(
                    "cannot read {} on {}: {e}",
                    valid.interface, resolved.device.name
                )
            })?
            .data
            .config;
        let plan = ticket_plan::plan(&valid, &device_now, netbox_side.as_ref());
        Ok(Checked {
            valid,
            resolved,
            plan,
        })
    }

    /// NetBox's side of the interface, when NetBox knows the device; its protection (the tag,
    /// management-only) and the VLANs at the site are checked here.
    async fn netbox_side(
        &self,
        resolved: &Resolved,
        interface: &InterfaceName,
        l2: Option<crate::netbox::L2Update>,
    ) -> Result<Option<NetboxSide>, String> {
        let (Some(netbox), Some(device_id)) = (&self.inner.netbox, resolved.netbox_id) else {
            return Ok(None);
        };
        let name = interface.to_string();
        let iface = netbox
            .interface_by_name(device_id, &name)
            .await
            .map_err(|e| format!("NetBox: {e}"))?;
        let tag = &self.inner.settings.protected_tag;
        if iface.tags.iter().any(|t| &t.slug == tag) {
            return Err(format!(
                "{name} on {} carries the NetBox tag `{tag}`: the bot never changes it",
                resolved.device.name
            ));
        }
        if iface.mgmt_only == Some(true) {
            return Err(format!(
                "{name} on {} is a management-only interface in NetBox: the bot never changes it",
                resolved.device.name
            ));
        }
        let mut missing = Vec::new();
        if let Some(l2) = &l2 {
            let vids: Vec<u16> = match l2 {
                crate::netbox::L2Update::Access { vlan } => vec![*vlan],
                crate::netbox::L2Update::Tagged { native, allowed } => {
                    native.iter().chain(allowed.iter()).copied().collect()
                }
                crate::netbox::L2Update::TaggedAll { native } => native.iter().copied().collect(),
                crate::netbox::L2Update::Clear => Vec::new(),
            };
            for vid in vids {
                match netbox.vlan_for_device(device_id, vid).await {
                    Ok(_) => {}
                    Err(crate::netbox::NetboxError::NotFound { .. }) => missing.push(format!(
                        "VLAN {vid} is not defined in NetBox where {} can use it (its site {}): \
                         create it there, or ask for another VLAN",
                        resolved.device.name,
                        resolved.site.as_deref().unwrap_or("(none)")
                    )),
                    Err(e) => missing.push(format!("NetBox, VLAN {vid}: {e}")),
                }
            }
        }
        if !missing.is_empty() {
            return Err(missing.join("\n"));
        }
        let addresses = netbox
            .ip_addresses_on_interface(iface.id)
            .await
            .map_err(|e| format!("NetBox: {e}"))?;
        Ok(Some(NetboxSide::from_netbox(&iface, &addresses)))
    }

    /// The stored request again (for a fresh plan, or to apply).
    pub(super) fn request_of(record: &ChangeRecord) -> Option<InterfaceChange> {
        let stored: RequestRecord = serde_json::from_value(record.request.clone()).ok()?;
        change_request(&stored.to_ticket()).ok()
    }

    /// One decision, from a card press or a command: judged, stored, answered. The effects run in
    /// the background (owned by `tasks`).
    pub async fn decide(
        &self,
        id_text: &str,
        by: &str,
        decision: Decision,
        card: Option<CardPress<'_>>,
        tasks: &tokio_util::task::TaskTracker,
    ) -> String {
        let Some(id) = ChangeId::parse(id_text) else {
            return text::unknown_change(id_text);
        };
        let record = match self.inner.store.find_change(&id).await {
            Ok(Some(r)) => r,
            Ok(None) => return text::unknown_change(id.as_str()),
            Err(e) => {
                return format!("⚠️ The decision could not be recorded now ({e}); try again.")
            }
        };
        let lock = self.lock_of(&record.id);
        let _held = lock.lock().await;
        // Read again under the lock: a decision that won meanwhile is seen here.
        let record = match self.inner.store.change_record(&record.id).await {
            Ok(Some(r)) => r,
            _ => record,
        };
        let policy = approval::ApprovalPolicy {
            approvers: self.inner.settings.approvals.approvers.clone(),
            allow_self_approval: self.inner.settings.approvals.allow_self_approval,
        };
        let via = match &card {
            Some(c) => Via::Card {
                room_id: c.room_id,
                plan_hash: c.plan_hash,
                nonce: c.nonce,
            },
            None => Via::Command,
        };
        let mut attempt = Attempt {
            by,
            decision: &decision,
            via,
            now_ms: now_ms(),
            fresh_plan: None,
        };
        let mut verdict = judge(&record, &attempt, &policy);
        let mut fresh: Option<Plan> = None;
        let fresh_hash;
        if verdict == Verdict::NeedsFreshPlan {
            match Self::request_of(&record) {
                None => {
                    return format!(
                    "⚠️ Change {}: its stored request cannot be read again; a person must look.",
                    record.id
                )
                }
                Some(change) => match self.check(&change).await {
                    Ok(checked) => fresh = Some(checked.plan),
                    Err(problems) => {
                        return format!("Change {} cannot be approved now:\n{problems}", record.id)
                    }
                },
            }
            fresh_hash = fresh.as_ref().map(Plan::hash);
            attempt.fresh_plan = fresh_hash.as_ref();
            verdict = judge(&record, &attempt, &policy);
        }
        let (input, reply) = match verdict {
            Verdict::Grant => (
                Input::Decided {
                    by: by.to_ascii_lowercase(),
                    decision: decision.clone(),
                },
                text::decided(&decision).to_owned(),
            ),
            Verdict::PlanChanged => {
                let Some(new) = fresh else {
                    return format!("⚠️ Change {}: no fresh plan", record.id);
                };
                let old = record
                    .approval
                    .as_ref()
                    .map(|a| a.plan.clone())
                    .unwrap_or_else(|| new.clone());
                let reply = text::plan_changed(record.id.as_str(), &old, &new);
                (
                    Input::Replanned {
                        plan: new,
                        nonce: nonce(),
                    },
                    reply,
                )
            }
            Verdict::Expired => (
                Input::Expire,
                format!(
                    "Change {} expired before this decision; nothing was changed.",
                    record.id
                ),
            ),
            Verdict::NeedsFreshPlan => {
                return format!("⚠️ Change {}: the plan could not be checked", record.id)
            }
            Verdict::Refuse(r) => return text::refused(record.id.as_str(), &r),
        };
        let t = match approval::transition(&record, input) {
            Ok(t) => t,
            Err(e) => return format!("⚠️ {e}"),
        };
        match self.inner.store.commit_transition(&t, now_ms()).await {
            Ok(Committed::Yes { .. }) => {}
            Ok(Committed::Stale { current }) => {
                // Someone else's decision was stored first: judge again against it.
                let v = judge(&current, &attempt, &policy);
                return match v {
                    Verdict::Refuse(r) => text::refused(current.id.as_str(), &r),
                    _ => format!("Change {} changed meanwhile; try again.", current.id),
                };
            }
            Err(e) => {
                return format!("⚠️ The decision could not be recorded now ({e}); try again.")
            }
        }
        tracing::info!(change = %t.record.id, state = t.record.state.word(), by, "decision stored");
        drop(_held);
        let this = self.clone();
        let change = t.record.id.clone();
        tasks.spawn(async move { this.run_effects(&change).await });
        reply
    }

    /// `status <id>`.
    pub async fn status(&self, id_text: &str) -> String {
        let Some(id) = ChangeId::parse(id_text) else {
            return text::unknown_change(id_text);
        };
        match self.inner.store.find_change(&id).await {
            Ok(Some(r)) => match self.inner.store.change_history(&r.id).await {
                Ok(h) => text::status(&r, &h),
                Err(e) => format!("⚠️ The store failed: {e}"),
            },
            Ok(None) => text::unknown_change(id.as_str()),
            Err(e) => format!("⚠️ The store failed: {e}"),
        }
    }

    /// Expires what waited too long and runs every effect still open (after a restart, or after a
    /// failure). Called periodically by the poller's loop.
    pub async fn tick(&self) -> Result<(), TicketError> {
        let now = now_ms();
        for record in self
            .inner
            .store
            .changes_in_state(&[ChangeState::PendingApproval.word()], 1000)
            .await?
        {
            let late = record
                .approval
                .as_ref()
                .is_some_and(|a| a.expires_at_ms <= now);
            if late {
                let lock = self.lock_of(&record.id);
                let _held = lock.lock().await;
                if let Ok(t) = approval::transition(&record, Input::Expire) {
                    if let Committed::Yes { .. } =
                        self.inner.store.commit_transition(&t, now).await?
                    {
                        tracing::info!(change = %record.id, "change expired");
                    }
                }
            }
        }
        let mut seen = Vec::new();
        for open in self.inner.store.open_effects(1000).await? {
            if !seen.contains(&open.change_id) {
                seen.push(open.change_id.clone());
            }
        }
        for id in seen {
            if self.may_retry(&id) {
                self.run_effects(&id).await;
            }
        }
        Ok(())
    }
}

/// What a card press carried, already parsed by `cards`.
#[derive(Debug, Clone, Copy)]
pub struct CardPress<'a> {
    pub room_id: &'a str,
    pub plan_hash: &'a approval::PlanHash,
    pub nonce: &'a str,
}

/// The ticket's request as stored with the change: the seven attributes as Zammad sent them and
/// the ticket number, so the same parse gives the same change at approval time.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct RequestRecord {
    number: String,
    attributes: serde_json::Map<String, serde_json::Value>,
}

impl RequestRecord {
    fn of(ticket: &Ticket) -> RequestRecord {
        let mut attributes = serde_json::Map::new();
        for name in crate::zammad::wire::NETWORK_ATTRIBUTES {
            attributes.insert(name.to_owned(), ticket.network_attribute(name).clone());
        }
        RequestRecord {
            number: ticket.number.clone().unwrap_or_default(),
            attributes,
        }
    }

    fn to_ticket(&self) -> Ticket {
        let mut map = self.attributes.clone();
        map.insert(
            "number".into(),
            serde_json::Value::String(self.number.clone()),
        );
        serde_json::from_value(serde_json::Value::Object(map)).unwrap_or_default()
    }
}
