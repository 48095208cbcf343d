//! The NETCONF apply procedure over one open session (blocking; see `apply` for the steps). Written
//! against `ops::NetconfOps` so every branch (rejection, verification mismatch, lost connection,
//! running-only devices) is unit-tested with a scripted session.

use super::ops::{render_errors, CommitRequest, EditOpts, NcFailure, NetconfOps, Store};
use super::verify::verify;
use super::{ApplyError, ApplyOptions, ApplyReport, Outcome};
use crate::device::change::ValidChange;
use crate::device::diff::{diff, project, Diff};
use crate::device::inventory::{Device, Profile};
use crate::device::model::{InterfaceConfig, Protocol};
use crate::device::profile::{self, EditContext, RemoveOp, Snapshot, CISCO_IA_NS};
use crate::device::DeviceError;

pub(super) struct Input<'a> {
    pub device: &'a Device,
    pub change: &'a ValidChange,
    pub options: &'a ApplyOptions,
    /// The confirmed commit's persist token (random per change).
    pub persist_id: &'a str,
}

type Step = (Outcome, Option<InterfaceConfig>);

struct Flow<'a> {
    ops: &'a mut dyn NetconfOps,
    input: &'a Input<'a>,
    valid: ValidChange,
    filter: Vec<u8>,
    steps: Vec<String>,
    warnings: Vec<String>,
    /// The session broke: no further operation is attempted.
    dead: bool,
}

pub(super) fn run(ops: &mut dyn NetconfOps, input: &Input<'_>) -> Result<ApplyReport, ApplyError> {
    let caps = ops.caps().clone();
    let profile = profile::choose(input.device.profile, &caps.uris);
    let valid = input.change.for_profile(profile)?.into_owned();
    let dev = input.device.name.clone();
    let filter = profile::read_filter(profile, &valid.interface)
        .map_err(|e| DeviceError::Other(format!("{dev}: {e}")))?;
    let mut flow = Flow {
        ops,
        input,
        valid,
        filter,
        steps: Vec::new(),
        warnings: Vec::new(),
        dead: false,
    };
    let before = match flow.read() {
        Ok(Some(s)) => s,
        Ok(None) => {
            return Err(ApplyError::Device(DeviceError::NoSuchInterface {
                device: dev,
                interface: flow.valid.interface.to_string(),
            }))
        }
        Err(e) => return Err(flow.pre_write(e, "reading the interface")),
    };
    let attempted = diff(&before.config, &project(&before.config, &flow.valid));
    let remove = if caps.base_1_1 {
        RemoveOp::Remove
    } else {
        RemoveOp::Delete
    };
    let payload = profile::edit_config(
        &flow.valid,
        &EditContext {
            before: &before,
            remove,
        },
    )
    .map_err(|e| DeviceError::Other(format!("{dev}: {e}")))?;

    let (outcome, after) = if attempted.is_empty() {
        flow.steps
            .push("nothing to write: the interface already has these values".into());
        (
            Outcome::Applied {
                diff: attempted.clone(),
            },
            Some(before.config.clone()),
        )
    } else if caps.candidate {
        flow.candidate(&before, &payload, &attempted)?
    } else if caps.writable_running {
        flow.running(&before, &payload, &attempted)?
    } else {
        return Err(ApplyError::Device(DeviceError::Unsupported {
            device: dev,
            what: "the device offers neither :candidate nor :writable-running, so it cannot be configured over NETCONF".into(),
        }));
    };
    Ok(ApplyReport {
        device: dev,
        interface: flow.valid.interface.to_string(),
        protocol: Protocol::Netconf,
        profile,
        reason: flow.valid.reason.clone(),
        before: before.config,
        after,
        outcome,
        warnings: flow.warnings,
        steps: flow.steps,
    })
}

impl Flow<'_> {
    fn op<T>(
        &mut self,
        step: &str,
        f: impl FnOnce(&mut dyn NetconfOps) -> Result<T, NcFailure>,
    ) -> Result<T, NcFailure> {
        if self.dead {
            return Err(NcFailure::ConnectionLost {
                during: step.to_string(),
            });
        }
        self.steps.push(step.to_string());
        let r = f(&mut *self.ops);
        if let Err(e) = &r {
            tracing::debug!(device = %self.input.device.name, step, error = %e, "NETCONF step failed");
            // The client closes the session after a lost connection or a missed deadline.
            if matches!(
                e,
                NcFailure::ConnectionLost { .. } | NcFailure::Timeout { .. }
            ) {
                self.dead = true;
            }
        }
        r
    }

    fn read(&mut self) -> Result<Option<Snapshot>, NcFailure> {
        let filter = self.filter.clone();
        let data = self.op("get-config running", |o| {
            o.get_config(Store::Running, &filter)
        })?;
        profile::parse_data(self.valid.profile, &self.valid.interface, &data)
            .map_err(|e| NcFailure::Other(e.to_string()))
    }

    fn confirm_secs(&self) -> u32 {
        u32::try_from(self.input.options.confirm_timeout.as_secs())
            .unwrap_or(u32::MAX)
            .max(1)
    }

    /// A failure before anything reached running: the device is unchanged.
    fn pre_write(&self, e: NcFailure, during: &str) -> ApplyError {
        let device = self.input.device.name.clone();
        match e {
            NcFailure::LockDenied { held_by } => ApplyError::Busy { device, held_by },
            NcFailure::Rejected(errors)
                if errors
                    .iter()
                    .any(|r| r.tag.as_deref() == Some("lock-denied")) =>
            {
                ApplyError::Busy {
                    device,
                    held_by: None,
                }
            }
            NcFailure::Rejected(errors) => ApplyError::Device(DeviceError::Rpc { device, errors }),
            NcFailure::Unsupported(what) => {
                ApplyError::Device(DeviceError::Unsupported { device, what })
            }
            other => ApplyError::Interrupted {
                device,
                detail: format!("{during}: {other}"),
            },
        }
    }

    fn unlock(&mut self, store: Store) {
        if self.dead {
            return; // the session is gone, and its locks with it
        }
        if let Err(e) = self.op(&format!("unlock {}", store.word()), |o| o.unlock(store)) {
            self.warnings.push(format!(
                "unlocking the {} datastore failed: {e}",
                store.word()
            ));
        }
    }

    fn discard(&mut self) {
        if let Err(e) = self.op("discard-changes", |o| o.discard_changes()) {
            self.warnings
                .push(format!("discarding the candidate failed: {e}"));
        }
    }

    fn save(&mut self) {
        let cisco =
            self.valid.profile == Profile::Iosxe || self.ops.caps().has_namespace(CISCO_IA_NS);
        if cisco {
            if let Err(e) = self.op("save-config", |o| o.save_config()) {
                self.warnings.push(format!(
                    "the change is in running-config but was not saved to startup-config: {e}"
                ));
            }
        } else if self.ops.caps().startup {
            self.warnings.push(
                "the device keeps a separate startup datastore; the change was not copied to it"
                    .into(),
            );
        }
    }

    fn candidate(
        &mut self,
        before: &Snapshot,
        payload: &[u8],
        attempted: &Diff,
    ) -> Result<Step, ApplyError> {
        self.op("lock candidate", |o| o.lock(Store::Candidate))
            .map_err(|e| self.pre_write(e, "lock candidate"))?;
        let mut locked_running = false;
        if self.input.options.lock_running {
            if let Err(e) = self.op("lock running", |o| o.lock(Store::Running)) {
                self.unlock(Store::Candidate);
                return Err(self.pre_write(e, "lock running"));
            }
            locked_running = true;
        }
        let result = self.candidate_locked(before, payload, attempted);
        if locked_running {
            self.unlock(Store::Running);
        }
        self.unlock(Store::Candidate);
        result
    }

    fn candidate_locked(
        &mut self,
        before: &Snapshot,
        payload: &[u8],
        attempted: &Diff,
    ) -> Result<Step, ApplyError> {
        let rejected = |errors: Vec<_>| {
            (
                Outcome::Rejected {
                    device_words: render_errors(&errors),
                    diff_attempted: attempted.clone(),
                },
                Some(before.config.clone()),
            )
        };
        if let Err(e) = self.op("discard-changes", |o| o.discard_changes()) {
            return Err(self.pre_write(e, "discard-changes"));
        }
        match self.op("edit-config candidate", |o| {
            o.edit_config(Store::Candidate, payload, EditOpts::default())
        }) {
            Ok(()) => {}
            Err(NcFailure::Rejected(errors)) => {
                self.discard();
                return Ok(rejected(errors));
            }
            Err(e) => return Err(self.pre_write(e, "edit-config candidate")),
        }
        if self.input.options.validate_before_commit && self.ops.caps().validate {
            match self.op("validate candidate", |o| o.validate(Store::Candidate)) {
                Ok(()) => {}
                Err(NcFailure::Rejected(errors)) => {
                    self.discard();
                    return Ok(rejected(errors));
                }
                Err(e) => return Err(self.pre_write(e, "validate candidate")),
            }
        }
        let confirmed = self.ops.caps().confirmed_commit_1_1;
        let persist = self.input.persist_id.to_string();
        let request = if confirmed {
            CommitRequest::Confirmed {
                timeout_secs: self.confirm_secs(),
                persist: persist.clone(),
            }
        } else {
            CommitRequest::Plain
        };
        let step = if confirmed {
            "commit (confirmed)"
        } else {
            "commit"
        };
        match self.op(step, |o| o.commit(&request)) {
            Ok(()) => {}
            Err(NcFailure::Rejected(errors)) => {
                self.discard();
                return Ok(rejected(errors));
            }
            Err(e) => {
                return Ok((
                    self.unknown(attempted, &format!("{step}: {e}"), confirmed),
                    None,
                ))
            }
        }
        // Running has changed from here on.
        let after = match self.read() {
            Ok(Some(s)) => s,
            Ok(None) => {
                return Ok(self.undo_candidate(
                    before,
                    confirmed,
                    "verification failed: the interface is missing from running-config".into(),
                    attempted,
                ))
            }
            Err(e) => {
                return Ok((
                    self.unknown(
                        attempted,
                        &format!("the change was committed but could not be read back ({e})"),
                        confirmed,
                    ),
                    None,
                ))
            }
        };
        let mismatches = verify(&self.valid, &after.config);
        if !mismatches.is_empty() {
            return Ok(self.undo_candidate(
                before,
                confirmed,
                format!("verification failed: {}", mismatches.join("; ")),
                attempted,
            ));
        }
        if confirmed {
            let confirm = CommitRequest::Confirm {
                persist_id: persist,
            };
            match self.op("commit (confirming)", |o| o.commit(&confirm)) {
                Ok(()) => {}
                Err(NcFailure::Rejected(errors)) => {
                    return Ok(self.undo_candidate(
                        before,
                        true,
                        format!(
                            "the confirming commit was refused: {}",
                            render_errors(&errors)
                        ),
                        attempted,
                    ))
                }
                Err(e) => {
                    return Ok((
                        self.unknown(
                            attempted,
                            &format!("the confirming commit got no answer ({e})"),
                            true,
                        ),
                        Some(after.config),
                    ))
                }
            }
        }
        self.save();
        Ok((
            Outcome::Applied {
                diff: diff(&before.config, &after.config),
            },
            Some(after.config),
        ))
    }

    fn unknown(&self, attempted: &Diff, what: &str, confirmed: bool) -> Outcome {
        let detail = if confirmed {
            format!(
                "{what}; if the commit reached the device it was never confirmed, so the device rolls it back by itself within {} s",
                self.confirm_secs()
            )
        } else {
            format!("{what}; the change may or may not be in running-config")
        };
        Outcome::OutcomeUnknown {
            detail,
            diff_attempted: attempted.clone(),
        }
    }

    /// Takes a committed change back: cancel-commit under a confirmed commit, else the snapshot is
    /// put back through the candidate. Then checks running equals the snapshot again.
    fn undo_candidate(
        &mut self,
        before: &Snapshot,
        confirmed: bool,
        reason: String,
        attempted: &Diff,
    ) -> Step {
        if confirmed {
            let persist = self.input.persist_id.to_string();
            if let Err(e) = self.op("cancel-commit", |o| o.cancel_commit(&persist)) {
                let what = format!("{reason}; cancel-commit failed ({e})");
                return (self.unknown(attempted, &what, true), None);
            }
            self.discard();
        } else {
            let restored = profile::restore_config(self.valid.profile, before)
                .map_err(|e| NcFailure::Other(e.to_string()))
                .and_then(|payload| {
                    self.op("edit-config candidate (restore snapshot)", |o| {
                        o.edit_config(Store::Candidate, &payload, EditOpts::default())
                    })
                })
                .and_then(|()| {
                    self.op("commit (restore snapshot)", |o| {
                        o.commit(&CommitRequest::Plain)
                    })
                });
            if let Err(e) = restored {
                if !self.dead {
                    self.discard();
                }
                let what = format!("{reason}; restoring the snapshot failed ({e})");
                return (self.unknown(attempted, &what, false), None);
            }
        }
        self.check_restored(before, reason, attempted)
    }

    fn check_restored(&mut self, before: &Snapshot, reason: String, attempted: &Diff) -> Step {
        match self.read() {
            Ok(Some(now)) => {
                let left = diff(&before.config, &now.config);
                if left.is_empty() {
                    (
                        Outcome::RolledBack {
                            reason,
                            diff_attempted: attempted.clone(),
                        },
                        Some(now.config),
                    )
                } else {
                    let differs: Vec<String> =
                        left.changes.iter().map(ToString::to_string).collect();
                    (
                        Outcome::OutcomeUnknown {
                            detail: format!(
                                "{reason}; after the rollback the interface still differs from before ({})",
                                differs.join("; ")
                            ),
                            diff_attempted: attempted.clone(),
                        },
                        Some(now.config),
                    )
                }
            }
            Ok(None) => (
                Outcome::OutcomeUnknown {
                    detail: format!("{reason}; after the rollback the interface is missing"),
                    diff_attempted: attempted.clone(),
                },
                None,
            ),
            Err(e) => (
                Outcome::OutcomeUnknown {
                    detail: format!("{reason}; the rollback could not be checked ({e})"),
                    diff_attempted: attempted.clone(),
                },
                None,
            ),
        }
    }

    fn running(
        &mut self,
        before: &Snapshot,
        payload: &[u8],
        attempted: &Diff,
    ) -> Result<Step, ApplyError> {
        self.op("lock running", |o| o.lock(Store::Running))
            .map_err(|e| self.pre_write(e, "lock running"))?;
        let result = self.running_locked(before, payload, attempted);
        self.unlock(Store::Running);
        Ok(result)
    }

    fn running_locked(&mut self, before: &Snapshot, payload: &[u8], attempted: &Diff) -> Step {
        let opts = EditOpts {
            rollback_on_error: self.ops.caps().rollback_on_error,
        };
        match self.op("edit-config running", |o| {
            o.edit_config(Store::Running, payload, opts)
        }) {
            Ok(()) => {}
            Err(NcFailure::Rejected(errors)) => {
                let words = render_errors(&errors);
                let rejected = |now: InterfaceConfig| {
                    (
                        Outcome::Rejected {
                            device_words: words.clone(),
                            diff_attempted: attempted.clone(),
                        },
                        Some(now),
                    )
                };
                if opts.rollback_on_error {
                    return rejected(before.config.clone());
                }
                // stop-on-error may have kept the part of the edit before the error.
                return match self.read() {
                    Ok(Some(now)) if diff(&before.config, &now.config).is_empty() => {
                        rejected(now.config)
                    }
                    _ => self.restore_running(
                        before,
                        format!("the device refused part of the change: {words}"),
                        attempted,
                    ),
                };
            }
            Err(e) => {
                return (
                    self.unknown(attempted, &format!("edit-config running: {e}"), false),
                    None,
                )
            }
        }
        let after = match self.read() {
            Ok(Some(s)) => s,
            Ok(None) => {
                return self.restore_running(
                    before,
                    "verification failed: the interface is missing from running-config".into(),
                    attempted,
                )
            }
            Err(e) => {
                return (
                    self.unknown(
                        attempted,
                        &format!("the change was written but could not be read back ({e})"),
                        false,
                    ),
                    None,
                )
            }
        };
        let mismatches = verify(&self.valid, &after.config);
        if !mismatches.is_empty() {
            return self.restore_running(
                before,
                format!("verification failed: {}", mismatches.join("; ")),
                attempted,
            );
        }
        self.save();
        (
            Outcome::Applied {
                diff: diff(&before.config, &after.config),
            },
            Some(after.config),
        )
    }

    /// Replaces the interface entry in running with the snapshot, then checks it.
    fn restore_running(&mut self, before: &Snapshot, reason: String, attempted: &Diff) -> Step {
        let opts = EditOpts {
            rollback_on_error: self.ops.caps().rollback_on_error,
        };
        let restored = profile::restore_config(self.valid.profile, before)
            .map_err(|e| NcFailure::Other(e.to_string()))
            .and_then(|payload| {
                self.op("edit-config running (restore snapshot)", |o| {
                    o.edit_config(Store::Running, &payload, opts)
                })
            });
        if let Err(e) = restored {
            let what = format!("{reason}; restoring the snapshot failed ({e})");
            return (self.unknown(attempted, &what, false), None);
        }
        self.check_restored(before, reason, attempted)
    }
}
