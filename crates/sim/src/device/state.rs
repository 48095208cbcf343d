//! The device's datastores and their rules as pure state transitions: running, candidate and the saved
//! startup copy; per-datastore locks (with phantom holders for fault injection); edit-config with
//! test-option and error-option; commit, confirmed commit (RFC 6241 §8.4, 1.1: persist / persist-id),
//! cancel-commit, discard-changes, validate, save-config; and what happens when a session ends. Time is
//! not read here: a confirmed commit returns [`Effect::ArmConfirm`] and the IO side calls
//! [`DeviceState::confirm_timeout`] when it fires.

use super::edit::{Op, Scope};
use super::error::YangError;
use super::model::NativeConfig;
use super::native_edit::{self, ErrorOption, ValueQuirks};
use super::platform;
use super::xmltree::Element;
use std::collections::BTreeSet;
use std::time::Duration;

/// RFC 6241 §8.4.5.1: the default confirm-timeout.
pub const DEFAULT_CONFIRM_TIMEOUT: u32 = 600;

/// Which datastores the device offers, i.e. which apply path a client must take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatastoreMode {
    /// `netconf-yang feature candidate-datastore`: candidate, confirmed commit and writable running.
    #[default]
    CandidateAndRunning,
    /// Candidate only (like netconfd `--target=candidate`): running is written by commit alone.
    CandidateOnly,
    /// No candidate (an IOS-XE setup without the feature): edits go straight to running.
    RunningOnly,
}

impl DatastoreMode {
    pub fn candidate(self) -> bool {
        !matches!(self, DatastoreMode::RunningOnly)
    }

    pub fn writable_running(self) -> bool {
        !matches!(self, DatastoreMode::CandidateOnly)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Running,
    Candidate,
    Startup,
}

impl Target {
    pub fn parse(name: &str) -> Option<Target> {
        match name {
            "running" => Some(Target::Running),
            "candidate" => Some(Target::Candidate),
            "startup" => Some(Target::Startup),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Target::Running => "running",
            Target::Candidate => "candidate",
            Target::Startup => "startup",
        }
    }
}

/// Who asks: a NETCONF session, or RESTCONF (which never holds locks and writes running).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Session(u32),
    Restconf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TestOption {
    #[default]
    TestThenSet,
    Set,
    TestOnly,
}

impl TestOption {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "test-then-set" => Some(Self::TestThenSet),
            "set" => Some(Self::Set),
            "test-only" => Some(Self::TestOnly),
            _ => None,
        }
    }
}

/// What the IO side must do for the confirmed-commit timer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// (Re)start the timer: after `after`, call `confirm_timeout(generation)`.
    ArmConfirm { generation: u64, after: Duration },
    /// Stop the timer.
    DisarmConfirm,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitRequest {
    pub confirmed: bool,
    pub confirm_timeout: Option<u32>,
    pub persist: Option<String>,
    pub persist_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingConfirm {
    /// Running as it was before the first confirmed commit.
    pub rollback: NativeConfig,
    pub owner: u32,
    pub persist: Option<String>,
    pub generation: u64,
    pub timeout_secs: u32,
}

/// Things the tests and `/_sim/state` count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counters {
    pub edits: u64,
    pub commits: u64,
    pub confirmed_commits: u64,
    pub confirmations: u64,
    pub rollbacks: u64,
    pub cancelled_commits: u64,
    pub discards: u64,
    pub saves: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceState {
    mode: DatastoreMode,
    pub running: NativeConfig,
    candidate: NativeConfig,
    pub startup: NativeConfig,
    /// The session whose edits are in the candidate (until commit or discard).
    candidate_editor: Option<u32>,
    /// Lock holders per datastore; a holder that is no live session is a phantom (fault injection).
    locks: Vec<(Target, u32)>,
    sessions: BTreeSet<u32>,
    /// Sessions with an event subscription (RFC 5277).
    subscriptions: BTreeSet<u32>,
    pending: Option<PendingConfirm>,
    next_generation: u64,
    pub counters: Counters,
    pub quirks: ValueQuirks,
}

fn in_use(target: Target, holder: u32) -> YangError {
    YangError::protocol(
        "in-use",
        format!(
            "the {} datastore is locked by session {holder}",
            target.name()
        ),
    )
    .with_info("session-id", holder.to_string())
}

fn no_candidate() -> YangError {
    YangError::protocol(
        "operation-not-supported",
        "this device has no candidate datastore (:candidate is not advertised)",
    )
}

impl DeviceState {
    pub fn new(seed: NativeConfig, mode: DatastoreMode) -> Self {
        DeviceState {
            mode,
            candidate: seed.clone(),
            startup: seed.clone(),
            running: seed,
            candidate_editor: None,
            locks: Vec::new(),
            sessions: BTreeSet::new(),
            subscriptions: BTreeSet::new(),
            pending: None,
            next_generation: 1,
            counters: Counters::default(),
            quirks: ValueQuirks::default(),
        }
    }

    pub fn mode(&self) -> DatastoreMode {
        self.mode
    }

    pub fn pending(&self) -> Option<&PendingConfirm> {
        self.pending.as_ref()
    }

    pub fn locks(&self) -> &[(Target, u32)] {
        &self.locks
    }

    pub fn lock_holder(&self, target: Target) -> Option<u32> {
        self.locks.iter().find(|(t, _)| *t == target).map(|l| l.1)
    }

    pub fn sessions(&self) -> impl Iterator<Item = u32> + '_ {
        self.sessions.iter().copied()
    }

    pub fn is_active(&self, session: u32) -> bool {
        self.sessions.contains(&session)
    }

    /// An event subscription for `session`; `in-use` when it has one (as netconfd answers).
    pub fn subscribe(&mut self, session: u32) -> Result<(), YangError> {
        if self.subscriptions.insert(session) {
            Ok(())
        } else {
            Err(YangError::protocol(
                "in-use",
                "this session already has an event subscription",
            ))
        }
    }

    pub fn is_subscribed(&self, session: u32) -> bool {
        self.subscriptions.contains(&session)
    }

    /// The subscription ends (the `drop-subscriptions` fault closes its session).
    pub fn unsubscribe(&mut self, session: u32) {
        self.subscriptions.remove(&session);
    }

    pub fn candidate_dirty(&self) -> bool {
        self.mode.candidate() && self.candidate != self.running
    }

    /// A datastore the device has, or `invalid-value` naming it.
    fn check_target(&self, target: Target) -> Result<(), YangError> {
        match target {
            Target::Candidate if !self.mode.candidate() => Err(YangError::protocol(
                "invalid-value",
                "this device has no candidate datastore",
            )
            .with_info("bad-element", "candidate")),
            Target::Startup => Err(YangError::protocol(
                "invalid-value",
                "this device has no startup datastore; use cisco-ia:save-config",
            )
            .with_info("bad-element", "startup")),
            _ => Ok(()),
        }
    }

    /// `in-use` when someone other than `who` holds `target`.
    fn check_not_locked_by_other(&self, who: Who, target: Target) -> Result<(), YangError> {
        match (self.lock_holder(target), who) {
            (Some(h), Who::Session(me)) if h == me => Ok(()),
            (Some(h), _) => Err(in_use(target, h)),
            (None, _) => Ok(()),
        }
    }

    pub fn session_started(&mut self, session: u32) {
        self.sessions.insert(session);
    }

    pub fn get(&self, source: Target) -> Result<&NativeConfig, YangError> {
        self.check_target(source)?;
        Ok(match source {
            Target::Candidate => &self.candidate,
            _ => &self.running,
        })
    }

    /// Running changed outside a commit: a candidate nobody edited follows it.
    fn running_changed(&mut self, before: &NativeConfig) {
        if self.candidate == *before {
            self.candidate = self.running.clone();
        }
    }

    /// `<edit-config>`, and RESTCONF writes (`Who::Restconf`, target running).
    #[allow(clippy::too_many_arguments)]
    pub fn edit(
        &mut self,
        who: Who,
        target: Target,
        config: &Element,
        scope: &Scope,
        default_op: Op,
        test_option: TestOption,
        error_option: ErrorOption,
    ) -> Result<(), Vec<YangError>> {
        self.check_target(target).map_err(|e| vec![e])?;
        if target == Target::Running && !self.mode.writable_running() && who != Who::Restconf {
            return Err(vec![YangError::protocol(
                "operation-not-supported",
                "running is not writable on this device (:writable-running is not advertised); edit the candidate",
            )]);
        }
        self.check_not_locked_by_other(who, target)
            .map_err(|e| vec![e])?;
        let base = match target {
            Target::Candidate => &self.candidate,
            _ => &self.running,
        };
        let outcome =
            native_edit::apply(base, config, scope, default_op, error_option, &self.quirks);
        if test_option == TestOption::TestOnly {
            return if outcome.errors.is_empty() {
                Ok(())
            } else {
                Err(outcome.errors)
            };
        }
        self.counters.edits += 1;
        if target == Target::Running {
            // Running is applied to the switch at once: a refusal leaves it as it was.
            let refused = platform::refusals(&self.running, &outcome.config);
            if !refused.is_empty() {
                return Err(refused);
            }
        }
        match target {
            Target::Candidate => {
                if outcome.config != self.candidate {
                    if let Who::Session(s) = who {
                        self.candidate_editor = Some(s);
                    }
                }
                self.candidate = outcome.config;
            }
            _ => {
                let before = std::mem::replace(&mut self.running, outcome.config);
                self.running_changed(&before);
            }
        }
        if outcome.errors.is_empty() {
            Ok(())
        } else {
            Err(outcome.errors)
        }
    }

    /// A change made at the CLI, already checked: running takes it as it is, whatever NETCONF locks
    /// are held (the simulator does not model IOS's configuration lock between the CLI and NETCONF).
    pub fn console_write(&mut self, config: NativeConfig) {
        let before = std::mem::replace(&mut self.running, config);
        self.running_changed(&before);
    }

    pub fn lock(&mut self, session: u32, target: Target) -> Result<(), YangError> {
        self.check_target(target)?;
        if let Some(h) = self.lock_holder(target) {
            return Err(YangError::protocol(
                "lock-denied",
                format!("the {} datastore is already locked", target.name()),
            )
            .with_info("session-id", h.to_string()));
        }
        if target == Target::Candidate && self.candidate_dirty() {
            // RFC 6241 §7.5: no lock on a candidate holding someone else's uncommitted changes.
            let editor = self.candidate_editor.unwrap_or(0);
            if editor != session {
                return Err(YangError::protocol(
                    "lock-denied",
                    "the candidate holds uncommitted changes of another session",
                )
                .with_info("session-id", editor.to_string()));
            }
        }
        self.locks.push((target, session));
        Ok(())
    }

    pub fn unlock(&mut self, session: u32, target: Target) -> Result<(), YangError> {
        self.check_target(target)?;
        match self.lock_holder(target) {
            Some(h) if h == session => {
                self.locks.retain(|(t, _)| *t != target);
                Ok(())
            }
            Some(h) => Err(YangError::protocol(
                "lock-denied",
                format!(
                    "the {} datastore is locked by another session",
                    target.name()
                ),
            )
            .with_info("session-id", h.to_string())),
            None => Err(YangError::protocol(
                "operation-failed",
                format!("the {} datastore is not locked", target.name()),
            )),
        }
    }

    /// A lock held by nobody real (fault injection), or its release.
    pub fn set_phantom_lock(&mut self, target: Target, holder: Option<u32>) {
        self.locks.retain(|(t, _)| *t != target);
        if let Some(h) = holder {
            self.locks.push((target, h));
        }
    }

    pub fn validate(&self, source: Target) -> Result<(), YangError> {
        // Every stored value was checked when it was written, so a datastore is always valid;
        // notably validate has no side effect on the candidate (unlike yuma123 2.13,
        // docs/netconf.md §5.6 quirk 3).
        self.check_target(source)
    }

    pub fn discard_changes(&mut self, who: Who) -> Result<(), YangError> {
        if !self.mode.candidate() {
            return Err(no_candidate());
        }
        self.check_not_locked_by_other(who, Target::Candidate)?;
        self.candidate = self.running.clone();
        self.candidate_editor = None;
        self.counters.discards += 1;
        Ok(())
    }

    pub fn commit(&mut self, session: u32, req: &CommitRequest) -> Result<Vec<Effect>, YangError> {
        if !self.mode.candidate() {
            return Err(no_candidate());
        }
        let who = Who::Session(session);
        self.check_not_locked_by_other(who, Target::Running)?;
        self.check_not_locked_by_other(who, Target::Candidate)?;
        if let Some(p) = &self.pending {
            self.check_may_confirm(p, session, req.persist_id.as_deref())?;
        } else if req.persist_id.is_some() {
            return Err(YangError::protocol(
                "invalid-value",
                "persist-id given but no confirmed commit is pending",
            )
            .with_info("bad-element", "persist-id"));
        }
        // The switch applies the candidate now and may refuse it; the candidate stays as it is.
        if let Some(refused) = platform::refusals(&self.running, &self.candidate)
            .into_iter()
            .next()
        {
            return Err(refused);
        }
        let mut effects = Vec::new();
        if req.confirmed {
            let timeout = req
                .confirm_timeout
                .unwrap_or(DEFAULT_CONFIRM_TIMEOUT)
                .max(1);
            let generation = self.next_generation;
            self.next_generation += 1;
            let rollback = match self.pending.take() {
                Some(p) => p.rollback,
                None => self.running.clone(),
            };
            self.pending = Some(PendingConfirm {
                rollback,
                owner: session,
                persist: req.persist.clone(),
                generation,
                timeout_secs: timeout,
            });
            self.counters.confirmed_commits += 1;
            effects.push(Effect::ArmConfirm {
                generation,
                after: Duration::from_secs(u64::from(timeout)),
            });
        } else if self.pending.take().is_some() {
            self.counters.confirmations += 1;
            effects.push(Effect::DisarmConfirm);
        }
        self.running = self.candidate.clone();
        self.candidate_editor = None;
        self.counters.commits += 1;
        Ok(effects)
    }

    /// A follow-up or confirming commit / cancel-commit must come from the owner (no persist) or carry
    /// the persist token.
    fn check_may_confirm(
        &self,
        p: &PendingConfirm,
        session: u32,
        persist_id: Option<&str>,
    ) -> Result<(), YangError> {
        match (&p.persist, persist_id) {
            (Some(token), Some(given)) if token == given => Ok(()),
            (Some(_), _) => Err(YangError::protocol(
                "invalid-value",
                "a confirmed commit with persist is pending; give its persist-id",
            )
            .with_info("bad-element", "persist-id")),
            (None, Some(_)) => Err(YangError::protocol(
                "invalid-value",
                "the pending confirmed commit has no persist token",
            )
            .with_info("bad-element", "persist-id")),
            (None, None) if p.owner == session => Ok(()),
            (None, None) => Err(YangError::protocol(
                "in-use",
                format!(
                    "a confirmed commit of session {} is pending; only it can confirm or cancel",
                    p.owner
                ),
            )
            .with_info("session-id", p.owner.to_string())),
        }
    }

    fn roll_back(&mut self) {
        if let Some(p) = self.pending.take() {
            self.running = p.rollback;
            // The candidate is reset as well: its content was what got rolled back.
            self.candidate = self.running.clone();
            self.candidate_editor = None;
            self.counters.rollbacks += 1;
        }
    }

    pub fn cancel_commit(
        &mut self,
        session: u32,
        persist_id: Option<&str>,
    ) -> Result<Vec<Effect>, YangError> {
        if !self.mode.candidate() {
            return Err(no_candidate());
        }
        let Some(p) = &self.pending else {
            return Err(YangError::protocol(
                "operation-failed",
                "no confirmed commit is pending",
            ));
        };
        self.check_may_confirm(p, session, persist_id)?;
        self.roll_back();
        self.counters.cancelled_commits += 1;
        Ok(vec![Effect::DisarmConfirm])
    }

    /// The timer of `generation` fired; `true` when running was rolled back.
    pub fn confirm_timeout(&mut self, generation: u64) -> bool {
        if self.pending.as_ref().map(|p| p.generation) == Some(generation) {
            self.roll_back();
            true
        } else {
            false
        }
    }

    pub fn save_config(&mut self) {
        self.startup = self.running.clone();
        self.counters.saves += 1;
    }

    /// A session ended (close, kill, lost transport): its locks go, a candidate it locked is discarded,
    /// and its non-persisted confirmed commit is rolled back.
    pub fn session_ended(&mut self, session: u32) -> Vec<Effect> {
        self.subscriptions.remove(&session);
        if !self.sessions.remove(&session) {
            return Vec::new();
        }
        if self.lock_holder(Target::Candidate) == Some(session) {
            self.candidate = self.running.clone();
            self.candidate_editor = None;
        }
        self.locks.retain(|(_, h)| *h != session);
        let rollback = self
            .pending
            .as_ref()
            .is_some_and(|p| p.persist.is_none() && p.owner == session);
        if rollback {
            self.roll_back();
            return vec![Effect::DisarmConfirm];
        }
        Vec::new()
    }

    /// Back to `seed`: no locks (phantoms included), nothing pending, counters zero. Live sessions stay.
    pub fn reset(&mut self, seed: NativeConfig) -> Vec<Effect> {
        let sessions = std::mem::take(&mut self.sessions);
        let subscriptions = std::mem::take(&mut self.subscriptions);
        *self = DeviceState::new(seed, self.mode);
        self.sessions = sessions;
        self.subscriptions = subscriptions;
        vec![Effect::DisarmConfirm]
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
