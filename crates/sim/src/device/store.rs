//! The one device both protocols serve: the pure [`DeviceState`] behind a mutex (held for one operation,
//! never across an await), the pending wire faults, and the confirmed-commit timer — a tracked tokio
//! task that rolls running back when it fires and stops on shutdown or when disarmed.

use super::config_diff::{self, Edit};
use super::console::ConsoleChange;
use super::edit::{Op, Scope};
use super::error::YangError;
use super::faults::{Fault, WireFaults, IGNORABLE_LEAVES};
use super::model::NativeConfig;
use super::native_edit::{self, ErrorOption, ValueQuirks};
use super::platform;
use super::signals::{Origin, SignalCounters, Signals};
use super::state::{Counters, DatastoreMode, DeviceState, Effect, Target};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[derive(Debug, Clone)]
pub struct Datastore(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    state: Mutex<DeviceState>,
    wire: Mutex<WireFaults>,
    timer: Mutex<Option<CancellationToken>>,
    seed: NativeConfig,
    shutdown: CancellationToken,
    tasks: TaskTracker,
    signals: Signals,
}

/// Everything `/_sim/state` and [`super::RunningDeviceSim::state`] show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimState {
    pub mode: DatastoreMode,
    pub hostname: String,
    /// Live NETCONF session ids.
    pub sessions: Vec<u32>,
    /// Datastore name → holding session id (phantom holders included).
    pub locks: BTreeMap<String, u32>,
    pub candidate_dirty: bool,
    /// Running differs from what the last save-config stored.
    pub unsaved_changes: bool,
    pub confirmed_commit: Option<PendingView>,
    pub counters: Counters,
    pub wire_faults: WireFaults,
    pub truncate_description: Option<usize>,
    pub ignored_leaves: Vec<String>,
    /// Notifications, syslog, subscribers, mute switches.
    pub signals: SignalCounters,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingView {
    pub owner: u32,
    pub persist: Option<String>,
    pub timeout_secs: u32,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves the value consistent before anything can panic, so a poisoned lock
    // still guards valid data.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Datastore {
    pub fn new(
        seed: NativeConfig,
        mode: DatastoreMode,
        shutdown: CancellationToken,
        tasks: TaskTracker,
    ) -> Self {
        Datastore(Arc::new(Inner {
            state: Mutex::new(DeviceState::new(seed.clone(), mode)),
            wire: Mutex::new(WireFaults::default()),
            timer: Mutex::new(None),
            seed,
            signals: Signals::new(shutdown.clone(), tasks.clone()),
            shutdown,
            tasks,
        }))
    }

    /// Where changes of running are announced (notifications, syslog).
    pub fn signals(&self) -> &Signals {
        &self.0.signals
    }

    /// Read the running configuration.
    pub fn read<T>(&self, f: impl FnOnce(&NativeConfig) -> T) -> T {
        f(&lock(&self.0.state).running)
    }

    pub fn inspect<T>(&self, f: impl FnOnce(&DeviceState) -> T) -> T {
        f(&lock(&self.0.state))
    }

    /// Change the state; the effects it returns (timer) are carried out after the lock is released.
    /// A change of running here is the device's own (a confirmed commit rolled back).
    pub fn update<T>(&self, f: impl FnOnce(&mut DeviceState) -> (T, Vec<Effect>)) -> T {
        self.update_by(Origin::Server, f)
    }

    /// [`Datastore::update`] on behalf of `origin`, which a change of running is announced as.
    pub fn update_by<T>(
        &self,
        origin: Origin,
        f: impl FnOnce(&mut DeviceState) -> (T, Vec<Effect>),
    ) -> T {
        self.update_inner(origin, f).0
    }

    /// Also returns what changed in running. The signals go out after the lock is released, with
    /// the edit list computed outside it too.
    fn update_inner<T>(
        &self,
        origin: Origin,
        f: impl FnOnce(&mut DeviceState) -> (T, Vec<Effect>),
    ) -> (T, Vec<Edit>) {
        let (out, effects, change) = {
            let mut state = lock(&self.0.state);
            let before = state.running.clone();
            let (out, effects) = f(&mut state);
            let change = (state.running != before).then(|| (before, state.running.clone()));
            (out, effects, change)
        };
        self.run(effects);
        let Some((before, after)) = change else {
            return (out, Vec::new());
        };
        let edits = config_diff::edits(&before, &after);
        self.0.signals.config_changed(&origin, &edits);
        (out, edits)
    }

    /// A change typed at the CLI: the native model's value checks and the switch's own refusals
    /// (as for a NETCONF edit of running, without the NETCONF fault quirks, which model the
    /// programmatic interface), then running; announced unless the change is silent.
    pub fn console(&self, change: &ConsoleChange) -> Result<Vec<Edit>, Vec<YangError>> {
        let exists = self.read(|c| c.interface(change.kind, &change.name).is_some());
        if !exists {
            return Err(vec![YangError::application(
                "data-missing",
                format!("no interface {} on this switch", change.full_name()),
            )]);
        }
        let origin = if change.silent {
            Origin::Silent
        } else {
            Origin::Console {
                user: change.user.clone(),
                line: change.line.clone(),
                from: change.from.clone(),
            }
        };
        let scope = Scope::default().enter(&change.config);
        let (result, edits) = self.update_inner(origin, |s| {
            let outcome = native_edit::apply(
                &s.running,
                &change.config,
                &scope,
                Op::Merge,
                ErrorOption::RollbackOnError,
                &ValueQuirks::default(),
            );
            if !outcome.errors.is_empty() {
                return (Err(outcome.errors), Vec::new());
            }
            let refused = platform::refusals(&s.running, &outcome.config);
            if !refused.is_empty() {
                return (Err(refused), Vec::new());
            }
            s.console_write(outcome.config);
            (Ok(()), Vec::new())
        });
        result.map(|()| edits)
    }

    fn run(&self, effects: Vec<Effect>) {
        for effect in effects {
            let previous = lock(&self.0.timer).take();
            if let Some(token) = previous {
                token.cancel();
            }
            let Effect::ArmConfirm { generation, after } = effect else {
                continue;
            };
            let token = self.0.shutdown.child_token();
            *lock(&self.0.timer) = Some(token.clone());
            let store = self.clone();
            let timer = async move {
                tokio::select! {
                    _ = token.cancelled() => {}
                    _ = tokio::time::sleep(after) => {
                        let rolled_back = store.update(|s| (s.confirm_timeout(generation), Vec::new()));
                        if rolled_back {
                            tracing::info!(generation, "confirmed commit not confirmed in time; running rolled back");
                        }
                    }
                }
            };
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => {
                    self.0.tasks.spawn_on(timer, &rt);
                }
                Err(_) => tracing::warn!("no runtime for the confirmed-commit timer"),
            }
        }
    }

    pub fn session_started(&self, session: u32) {
        self.update(|s| {
            s.session_started(session);
            ((), Vec::new())
        });
    }

    pub fn session_ended(&self, session: u32) {
        self.0.signals.forget(session);
        self.update(|s| ((), s.session_ended(session)));
    }

    pub fn is_active(&self, session: u32) -> bool {
        self.inspect(|s| s.is_active(session))
    }

    fn default_lock_target(&self, datastore: Option<&str>) -> Result<Target, YangError> {
        match datastore {
            None => Ok(if self.inspect(|s| s.mode().candidate()) {
                Target::Candidate
            } else {
                Target::Running
            }),
            Some(name) => Target::parse(name)
                .filter(|t| *t != Target::Startup)
                .ok_or_else(|| {
                    YangError::protocol("invalid-value", format!("no datastore {name:?}"))
                }),
        }
    }

    /// Switch a fault on (or everything off with [`Fault::Clear`]).
    pub fn inject(&self, fault: Fault) -> Result<(), YangError> {
        match fault {
            Fault::DropAfterCommit => lock(&self.0.wire).drop_after_commit = true,
            Fault::StallNextReply => lock(&self.0.wire).stall_next_reply = true,
            Fault::StallNextEdit => lock(&self.0.wire).stall_next_edit = true,
            Fault::GarbageFraming => lock(&self.0.wire).garbage_framing = true,
            Fault::HugeReply { bytes } => lock(&self.0.wire).huge_reply = Some(bytes),
            Fault::PhantomLock {
                datastore,
                session_id,
            } => {
                let target = self.default_lock_target(datastore.as_deref())?;
                if self.inspect(|s| s.is_active(session_id)) {
                    return Err(YangError::protocol(
                        "invalid-value",
                        format!("session {session_id} is a live session, not a phantom"),
                    ));
                }
                if target == Target::Candidate && !self.inspect(|s| s.mode().candidate()) {
                    return Err(YangError::protocol(
                        "invalid-value",
                        "this device has no candidate datastore",
                    ));
                }
                self.update(|s| {
                    s.set_phantom_lock(target, Some(session_id));
                    ((), Vec::new())
                });
            }
            Fault::ReleasePhantomLock { datastore } => {
                let target = self.default_lock_target(datastore.as_deref())?;
                self.update(|s| {
                    let phantom = s.lock_holder(target).is_some_and(|h| !s.is_active(h));
                    if phantom {
                        s.set_phantom_lock(target, None);
                    }
                    ((), Vec::new())
                });
            }
            Fault::TruncateDescription { max_len } => self.update(|s| {
                s.quirks.truncate_description = Some(max_len);
                ((), Vec::new())
            }),
            Fault::IgnoreLeaf { leaf } => {
                if !IGNORABLE_LEAVES.contains(&leaf.as_str()) {
                    return Err(YangError::protocol(
                        "invalid-value",
                        format!("leaf {leaf:?} cannot be ignored; one of {IGNORABLE_LEAVES:?}"),
                    ));
                }
                self.update(|s| {
                    if !s.quirks.ignore.contains(&leaf) {
                        s.quirks.ignore.push(leaf);
                    }
                    ((), Vec::new())
                });
            }
            Fault::DropSubscriptions => {
                let dropped = self.0.signals.drop_subscriptions();
                self.update(|s| {
                    for session in dropped {
                        s.unsubscribe(session);
                    }
                    ((), Vec::new())
                });
            }
            Fault::MuteNotifications => self.0.signals.mute_notifications(true),
            Fault::MuteSyslog => self.0.signals.mute_syslog(true),
            Fault::Clear => {
                self.0.signals.mute_notifications(false);
                self.0.signals.mute_syslog(false);
                *lock(&self.0.wire) = WireFaults::default();
                self.update(|s| {
                    s.quirks = Default::default();
                    let phantoms: Vec<Target> = s
                        .locks()
                        .iter()
                        .filter(|(_, h)| !s.is_active(*h))
                        .map(|(t, _)| *t)
                        .collect();
                    for t in phantoms {
                        s.set_phantom_lock(t, None);
                    }
                    ((), Vec::new())
                });
            }
        }
        Ok(())
    }

    pub fn take_stall(&self) -> bool {
        std::mem::take(&mut lock(&self.0.wire).stall_next_reply)
    }

    /// Whether the stall-next-edit fault waits for `is_edit`; taken (one-shot) only by an edit.
    pub fn take_stall_edit(&self, is_edit: bool) -> bool {
        let mut wire = lock(&self.0.wire);
        is_edit && std::mem::take(&mut wire.stall_next_edit)
    }

    pub fn take_garbage(&self) -> bool {
        std::mem::take(&mut lock(&self.0.wire).garbage_framing)
    }

    pub fn take_huge(&self) -> Option<u64> {
        lock(&self.0.wire).huge_reply.take()
    }

    pub fn take_drop_after_commit(&self) -> bool {
        std::mem::take(&mut lock(&self.0.wire).drop_after_commit)
    }

    /// Back to the seed: datastores, locks, pending commit, counters and faults. Sessions stay open.
    pub fn reset(&self) {
        *lock(&self.0.wire) = WireFaults::default();
        self.0.signals.mute_notifications(false);
        self.0.signals.mute_syslog(false);
        let seed = self.0.seed.clone();
        // A reset is the simulator's, not a configuration change anyone made: no signal.
        self.update_by(Origin::Silent, |s| ((), s.reset(seed)));
    }

    pub fn snapshot(&self) -> SimState {
        let wire = lock(&self.0.wire).clone();
        self.inspect(|s| SimState {
            mode: s.mode(),
            hostname: s.running.hostname.clone(),
            sessions: s.sessions().collect(),
            locks: s
                .locks()
                .iter()
                .map(|(t, h)| (t.name().to_owned(), *h))
                .collect(),
            candidate_dirty: s.candidate_dirty(),
            unsaved_changes: s.running != s.startup,
            confirmed_commit: s.pending().map(|p| PendingView {
                owner: p.owner,
                persist: p.persist.clone(),
                timeout_secs: p.timeout_secs,
            }),
            counters: s.counters,
            wire_faults: wire,
            truncate_description: s.quirks.truncate_description,
            ignored_leaves: s.quirks.ignore.clone(),
            signals: self.0.signals.counters(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::model::seed_c9300;
    use crate::device::state::CommitRequest;

    fn store() -> Datastore {
        Datastore::new(
            seed_c9300("c9300"),
            DatastoreMode::CandidateAndRunning,
            CancellationToken::new(),
            TaskTracker::new(),
        )
    }

    #[test]
    fn faults_switch_on_and_off() {
        let s = store();
        s.inject(Fault::StallNextReply).unwrap();
        assert!(s.snapshot().wire_faults.stall_next_reply);
        assert!(s.take_stall());
        assert!(!s.take_stall(), "one-shot");
        s.inject(Fault::PhantomLock {
            datastore: None,
            session_id: 0,
        })
        .unwrap();
        assert_eq!(s.snapshot().locks.get("candidate"), Some(&0));
        s.inject(Fault::IgnoreLeaf { leaf: "mtu".into() }).unwrap();
        assert!(s
            .inject(Fault::IgnoreLeaf {
                leaf: "hostname".into()
            })
            .is_err());
        s.inject(Fault::HugeReply { bytes: 10 }).unwrap();
        s.inject(Fault::Clear).unwrap();
        let st = s.snapshot();
        assert!(st.locks.is_empty() && st.ignored_leaves.is_empty());
        assert_eq!(st.wire_faults, WireFaults::default());
        s.session_started(3);
        assert!(s
            .inject(Fault::PhantomLock {
                datastore: Some("running".into()),
                session_id: 3
            })
            .is_err());
        assert!(s
            .inject(Fault::PhantomLock {
                datastore: Some("startup".into()),
                session_id: 0
            })
            .is_err());
    }

    /// Virtual time: the 1 s confirm timeout passes as soon as everything else waits.
    #[tokio::test(start_paused = true)]
    async fn the_timer_rolls_back_and_disarming_stops_it() {
        let s = store();
        s.session_started(1);
        let commit = |s: &Datastore| {
            s.update(|st| {
                let c = CommitRequest {
                    confirmed: true,
                    confirm_timeout: Some(1),
                    ..Default::default()
                };
                match st.commit(1, &c) {
                    Ok(fx) => ((), fx),
                    Err(_) => ((), Vec::new()),
                }
            })
        };
        commit(&s);
        assert!(s.snapshot().confirmed_commit.is_some());
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        while s.snapshot().confirmed_commit.is_some() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let st = s.snapshot();
        assert!(st.confirmed_commit.is_none());
        assert_eq!(st.counters.rollbacks, 1);

        commit(&s);
        let armed = lock(&s.0.timer).clone().unwrap();
        s.update(|st| {
            (
                (),
                st.commit(1, &CommitRequest::default()).unwrap_or_default(),
            )
        });
        assert!(
            armed.is_cancelled(),
            "the confirming commit stops the timer"
        );
        assert!(lock(&s.0.timer).is_none());
        assert_eq!(s.snapshot().counters.confirmations, 1);
    }
}
