//! W3's effects, run in the order they were stored, one change at a time: ticket updates (each
//! note marked so a rerun after a restart does not add it twice), the approval cards and their
//! outcome, notifications, and the apply step (NetBox first, then the switch through the one
//! apply procedure). An effect that fails stays open and is retried by the next tick; the apply
//! step is never run twice: a change found `applying` after a restart is checked on the device
//! instead.

use super::ticket_change::{now_ms, Checked, TicketChanges, TicketError};
use super::ticket_plan::netbox_update;
use crate::approval::{self, ChangeId, ChangeRecord, ChangeState, Effect, Input, PlanRow, Side};
use crate::cards::{ApprovalCard, FieldRow, Outcome, OutcomeCard, SubmitData};
use crate::device::apply::Outcome as ApplyOutcome;
use crate::device::change::Edit;
use crate::netbox::OWN_CHANGE_PREFIX;
use crate::store::Committed;
use crate::zammad::TicketUpdate;

/// Marks a note as one effect's, so a rerun finds it already on the ticket.
fn note_marker(change: &ChangeId, effect_id: i64) -> String {
    format!("[patchpanel change {change}, step {effect_id}]")
}

fn rows_of(rows: &[PlanRow]) -> Vec<FieldRow> {
    rows.iter()
        .map(|r| FieldRow {
            field: format!("{} {}", r.side.word(), r.field),
            before: r.before.clone(),
            after: r.after.clone(),
        })
        .collect()
}

impl TicketChanges {
    /// Runs the open effects of one change until none is left or one fails (logged; the next
    /// tick retries it).
    pub async fn run_effects(&self, id: &ChangeId) {
        let lock = self.lock_of(id);
        let _held = lock.lock().await;
        loop {
            let open = match self.inner.store.open_effects_of(id).await {
                Ok(open) => open,
                Err(e) => {
                    tracing::warn!(change = %id, error = %e, "cannot read the change's effects");
                    return;
                }
            };
            let Some(next) = open.into_iter().next() else {
                return;
            };
            let result = self.run_one(id, next.id, &next.effect).await;
            let store = &self.inner.store;
            let recorded = match &result {
                Ok(()) => store.effect_done(next.id, now_ms()).await,
                Err(e) => store.effect_failed(next.id, &e.to_string()).await,
            };
            if let Err(e) = result {
                tracing::warn!(change = %id, effect = ?next.effect, attempts = next.attempts + 1, error = %e, "effect failed; retried later");
                self.effect_failed(id, next.attempts + 1);
                return;
            }
            if let Err(e) = recorded {
                tracing::warn!(change = %id, error = %e, "an effect's completion could not be recorded");
                return;
            }
        }
    }

    async fn record(&self, id: &ChangeId) -> Result<ChangeRecord, TicketError> {
        self.inner
            .store
            .change_record(id)
            .await?
            .ok_or_else(|| crate::store::StoreError::NoSuchChange(id.to_string()).into())
    }

    async fn commit(
        &self,
        record: &ChangeRecord,
        input: Input,
    ) -> Result<ChangeRecord, TicketError> {
        let t = approval::transition(record, input)?;
        match self.inner.store.commit_transition(&t, now_ms()).await? {
            Committed::Yes { .. } => {
                self.audit(&t.record).await;
                Ok(t.record)
            }
            Committed::Stale { current } => Ok(*current),
        }
    }

    /// A change that ended on the device (done, failed, outcome unknown) goes into the
    /// tamper-evident record; a failure to write it is logged, never fatal.
    async fn audit(&self, record: &ChangeRecord) {
        if !matches!(
            record.state,
            ChangeState::Done { .. }
                | ChangeState::Failed { .. }
                | ChangeState::OutcomeUnknown { .. }
        ) {
            return;
        }
        let Some(a) = &record.approval else { return };
        let body = serde_json::json!({
            "change": record.id.as_str(),
            "ticket": record.ticket.number,
            "requester": record.ticket.requester,
            "state": record.state,
            "plan": a.plan,
        });
        let subject = format!("{} {}", a.plan.device, a.plan.interface);
        if let Err(e) = self
            .inner
            .store
            .audit_append("w3-change", &subject, &body, now_ms())
            .await
        {
            tracing::error!(change = %record.id, error = %e, "the change could not be written to the audit record");
        }
    }

    async fn run_one(
        &self,
        id: &ChangeId,
        effect_id: i64,
        effect: &Effect,
    ) -> Result<(), TicketError> {
        let record = self.record(id).await?;
        match effect {
            Effect::UpdateTicket { state, note } => {
                self.note_ticket(&record, effect_id, Some(state.name()), note)
                    .await
            }
            Effect::NoteTicket { note } => self.note_ticket(&record, effect_id, None, note).await,
            Effect::Notify { markdown } => {
                self.inner.notifier.send(markdown).await;
                Ok(())
            }
            Effect::PostCards => self.post_cards(&record).await,
            Effect::ReplaceCards => self.replace_cards(&record).await,
            Effect::Apply => self.apply(record).await,
        }
    }

    async fn note_ticket(
        &self,
        record: &ChangeRecord,
        effect_id: i64,
        state: Option<&str>,
        note: &str,
    ) -> Result<(), TicketError> {
        let marker = note_marker(&record.id, effect_id);
        let zammad = &self.inner.zammad;
        let already = zammad
            .articles(record.ticket.id)
            .await?
            .iter()
            .any(|a| a.body.as_deref().is_some_and(|b| b.contains(&marker)));
        if already {
            return Ok(());
        }
        zammad
            .update(
                record.ticket.id,
                &TicketUpdate {
                    state: state.map(str::to_owned),
                    note: Some(format!("{note}\n\n{marker}")),
                },
            )
            .await?;
        Ok(())
    }

    /// Where cards go: the approvals room, or each approver listed by email (1:1).
    fn card_targets(&self) -> Vec<String> {
        let a = &self.inner.settings.approvals;
        match &a.room {
            Some(room) => vec![room.clone()],
            None => a
                .approvers
                .emails()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        }
    }

    async fn post_cards(&self, record: &ChangeRecord) -> Result<(), TicketError> {
        let Some(a) = &record.approval else {
            return Ok(());
        };
        if record.state != ChangeState::PendingApproval {
            return Ok(());
        }
        let card = ApprovalCard {
            change_id: record.id.to_string(),
            ticket_number: record.ticket.number.clone(),
            ticket_title: record.ticket.title.clone(),
            requester: record.ticket.requester.clone(),
            device: a.plan.device.clone(),
            interface: a.plan.interface.clone(),
            rows: rows_of(&a.plan.rows),
            expires_at: approval::when::utc_minute(a.expires_at_ms),
            submit: SubmitData {
                change_id: record.id.to_string(),
                plan_hash: a.hash.to_string(),
                nonce: a.nonce.clone(),
            },
        };
        let content = card.render().map_err(|e| {
            TicketError::Webex(crate::webex::WebexError::Config(format!(
                "the approval card cannot be made: {e}"
            )))
        })?;
        let fallback = card.fallback_text();
        let targets = self.card_targets();
        if targets.is_empty() {
            self.inner
                .notifier
                .send(&format!(
                    "⚠️ Change {} waits for approval, but no approver can be sent the card: set \
                     `PATCHPANEL_APPROVERS` (emails) or `PATCHPANEL_APPROVALS_ROOM`.",
                    record.id
                ))
                .await;
            return Ok(());
        }
        let mut cards = Vec::new();
        for target in targets {
            let posted = self
                .inner
                .webex
                .send_card(&target, &fallback, &content)
                .await?;
            cards.push(approval::CardRef {
                message_id: posted.id,
                room_id: posted.room_id,
            });
        }
        self.commit(record, Input::CardsPosted { cards }).await?;
        Ok(())
    }

    async fn replace_cards(&self, record: &ChangeRecord) -> Result<(), TicketError> {
        let Some(a) = &record.approval else {
            return Ok(());
        };
        if a.cards.is_empty() {
            return Ok(());
        }
        let outcome = match &record.state {
            ChangeState::Declined { by, reason } => Outcome::Declined {
                by: by.clone(),
                reason: reason.clone(),
            },
            ChangeState::Expired => Outcome::Expired,
            ChangeState::Approved { by } | ChangeState::Applying { by } => {
                Outcome::Approved { by: by.clone() }
            }
            ChangeState::PendingApproval => Outcome::Replaced,
            ChangeState::Done { .. } => Outcome::Applied { by: String::new() },
            ChangeState::Failed { detail } | ChangeState::OutcomeUnknown { detail } => {
                Outcome::Failed {
                    by: String::new(),
                    device_said: detail.clone(),
                }
            }
            ChangeState::Received | ChangeState::Invalid { .. } => return Ok(()),
        };
        let card = OutcomeCard {
            change_id: record.id.to_string(),
            ticket_number: record.ticket.number.clone(),
            ticket_title: record.ticket.title.clone(),
            device: a.plan.device.clone(),
            interface: a.plan.interface.clone(),
            rows: rows_of(&a.plan.rows),
            at: approval::when::utc_minute(now_ms()),
            outcome,
        };
        let content = card.render().map_err(|e| {
            TicketError::Webex(crate::webex::WebexError::Config(format!(
                "the outcome card cannot be made: {e}"
            )))
        })?;
        let fallback = card.fallback_text();
        let mut replaced = Vec::new();
        for c in &a.cards {
            self.inner.webex.delete_message(&c.message_id).await?;
            self.inner
                .webex
                .send_card(&c.room_id, &fallback, &content)
                .await?;
            replaced.push(c.message_id.clone());
        }
        self.commit(
            record,
            Input::CardsReplaced {
                message_ids: replaced,
            },
        )
        .await?;
        Ok(())
    }

    /// NetBox, then the device. Stored as `applying` before anything is touched; a change found
    /// `applying` here was interrupted, so the device is read instead of written.
    async fn apply(&self, record: ChangeRecord) -> Result<(), TicketError> {
        let record = match &record.state {
            ChangeState::Approved { .. } => self.commit(&record, Input::ApplyStarted).await?,
            ChangeState::Applying { .. } => return self.resume_interrupted(&record).await,
            _ => return Ok(()),
        };
        let Some(change) = Self::request_of(&record) else {
            self.commit(
                &record,
                Input::ApplyFailed {
                    detail: "the stored request cannot be read again".into(),
                },
            )
            .await?;
            return Ok(());
        };
        let checked = match self.check(&change).await {
            Ok(c) => c,
            Err(problems) => {
                self.commit(&record, Input::ApplyFailed { detail: problems })
                    .await?;
                return Ok(());
            }
        };
        let by = record.state.decided_by().unwrap_or_default().to_owned();
        self.inner
            .notifier
            .send(&format!(
                "Change {} approved by {}: updating NetBox, then configuring {} {}.",
                record.id,
                crate::text_safety::escape_markdown(&by),
                checked.resolved.device.name,
                checked.valid.interface
            ))
            .await;
        if let Err(detail) = self.update_netbox(&record, &checked).await {
            self.commit(&record, Input::ApplyFailed { detail }).await?;
            return Ok(());
        }
        let input = match self
            .inner
            .applier
            .apply_to(&checked.resolved.device, &checked.valid)
            .await
        {
            Ok(report) => match &report.outcome {
                ApplyOutcome::Applied { diff } => Input::Applied {
                    summary: diff
                        .changes
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n"),
                },
                ApplyOutcome::OutcomeUnknown { .. } => Input::ApplyUnknown {
                    detail: crate::render::apply_report(&report),
                },
                _ => Input::ApplyFailed {
                    detail: crate::render::apply_report(&report),
                },
            },
            Err(e) if e.may_have_changed() => Input::ApplyUnknown {
                detail: e.to_string(),
            },
            Err(e) => Input::ApplyFailed {
                detail: e.to_string(),
            },
        };
        self.commit(&record, input).await?;
        Ok(())
    }

    /// NetBox first (the source of truth): the interface's fields and VLANs, then the address.
    async fn update_netbox(&self, record: &ChangeRecord, checked: &Checked) -> Result<(), String> {
        let (Some(netbox), Some(device_id)) = (&self.inner.netbox, checked.resolved.netbox_id)
        else {
            return Ok(());
        };
        let message = format!(
            "{OWN_CHANGE_PREFIX} ticket {} (change {})",
            record.ticket.number, record.id
        );
        let name = checked.valid.interface.to_string();
        let iface = netbox
            .interface_by_name(device_id, &name)
            .await
            .map_err(|e| format!("NetBox, reading {name}: {e}"))?;
        let current = netbox
            .interface(iface.id)
            .await
            .map_err(|e| format!("NetBox, reading {name}: {e}"))?;
        let update = netbox_update(&checked.valid, &message);
        netbox
            .patch_interface(&current, &update)
            .await
            .map_err(|e| format!("NetBox, updating {name}: {e}"))?;
        if let Some(Edit::Set(net)) = &checked.valid.ipv4 {
            let address = format!("{}/{}", net.address, net.prefix);
            let found = netbox
                .ip_addresses_by_address(&address)
                .await
                .map_err(|e| format!("NetBox, looking up {address}: {e}"))?;
            match found.as_slice() {
                [] => {
                    netbox
                        .create_ip_address(&address, iface.id, &message)
                        .await
                        .map_err(|e| format!("NetBox, creating {address}: {e}"))?;
                }
                [one] if one.assigned_object_id == Some(iface.id) => {}
                [one] => {
                    netbox
                        .assign_ip_address(one.id, iface.id, &message)
                        .await
                        .map_err(|e| format!("NetBox, assigning {address}: {e}"))?;
                }
                _ => {
                    return Err(format!(
                        "NetBox holds {address} more than once: a person must say which to use"
                    ))
                }
            }
        }
        Ok(())
    }

    /// The bot stopped while applying: never write again; read the device and see whether it
    /// holds what the plan said it would.
    async fn resume_interrupted(&self, record: &ChangeRecord) -> Result<(), TicketError> {
        let Some(a) = &record.approval else {
            return Ok(());
        };
        let expected: Vec<&PlanRow> = a
            .plan
            .rows
            .iter()
            .filter(|r| r.side == Side::Device)
            .collect();
        let verdict = match Self::request_of(record) {
            None => None,
            Some(change) => match self.check(&change).await {
                // Applied already: what remains to do on the device is nothing.
                Ok(checked) => Some(
                    checked
                        .plan
                        .rows
                        .iter()
                        .filter(|r| r.side == Side::Device)
                        .all(|r| r.before == r.after)
                        && !expected.is_empty(),
                ),
                Err(_) => None,
            },
        };
        let input = match verdict {
            Some(true) => Input::Applied {
                summary: "the bot was restarted during the change; the device was read \
                          afterwards and holds every value of the plan"
                    .into(),
            },
            _ => Input::ApplyUnknown {
                detail: "the bot stopped while the change was being applied, and the device \
                         does not show the whole change: it was not applied again"
                    .into(),
            },
        };
        self.commit(record, input).await?;
        Ok(())
    }
}
