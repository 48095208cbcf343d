//! The NetBox change-log poller (docs/netbox.md §7, §8, §11): reads `dcim.interface` change
//! records after a persisted cursor, turns the ones a person made with a ticket number into
//! [`Candidate`]s for workflow W2, and sweeps every interface still carrying a ticket number as the
//! safety net. One HTTP request per idle poll; the cursor moves only after the handler finished, so
//! a crash neither loses nor repeats work (the seen set absorbs the overlap re-read).
//!
//! One candidate never holds up the others: one the handler cannot finish now while NetBox answers
//! is parked in the store (with its attempts and next attempt time), the cursor and the sweep move
//! past it, and it is offered again on its own backoff until its retry budget is spent (`parking`).
//! When NetBox as a whole is down, nothing is parked and no budget is spent: the poller backs off.
//!
//! Pure decisions (what to offer, how far the cursor moves, backoff, outage logging) live in
//! `plan` and `retry`; this file and `parking` are the loop and its IO.

mod config;
mod parking;
mod plan;
mod retry;

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::wakeup::Wakeup;
use super::{Candidate, CandidateSource, Handled, NetboxClient, NetboxError};
use crate::backoff::Backoff;
use crate::store::{Store, StoreError};
use plan::{FailureKind, Health, Plan};
use retry::RetryPolicy;

pub use config::{PollerConfig, PollerStats};

/// The store cursor: the highest change-record id handled.
pub const CURSOR: &str = "netbox.changelog";
/// The change-log head at the first start; records up to it are history and never offered.
pub const FLOOR: &str = "netbox.changelog.floor";
/// The store's count of sweeps completed since the bot started (operators see that the safety net ran;
/// tests know the start round is over without waiting for NetBox to fall quiet).
pub const SWEEPS: &str = "netbox.sweeps";
/// The store's seen-set source for change-record ids.
pub const SEEN_SOURCE: &str = "netbox";

/// First wait after a failure; doubles up to `max_backoff`.
const BACKOFF_BASE: Duration = Duration::from_secs(1);
/// Shortest wait between two scheduled reads.
const MIN_WAIT: Duration = Duration::from_millis(10);

#[derive(Debug, thiserror::Error)]
pub enum PollerError {
    /// The store cannot be read or written at start: fix PATCHPANEL_DB, then restart.
    #[error("the NetBox poller cannot start: {0}")]
    Store(#[from] StoreError),
}

/// The change-log poller. `run` consumes it; take `waker()` and `stats()` first.
pub struct Poller {
    client: NetboxClient,
    store: Store,
    cfg: PollerConfig,
    waker: Wakeup,
    stats: watch::Sender<PollerStats>,
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

/// How one poll or sweep ended.
enum Step {
    /// Done; nothing more waiting.
    Idle,
    /// A full page: read again at once.
    More,
    /// The handler found something every candidate needs unavailable.
    Retry(String),
    Netbox(NetboxError),
    Store(StoreError),
    /// Shutdown was requested.
    Stopped,
}

impl Poller {
    pub fn new(client: NetboxClient, store: Store, cfg: PollerConfig) -> Self {
        let (stats, _) = watch::channel(PollerStats::default());
        Poller {
            client,
            store,
            cfg,
            waker: Wakeup::new(),
            stats,
        }
    }

    /// `wake()` makes the poller read the change log now (the webhook receiver's call); wakes are
    /// coalesced (at most one poll running and one pending). A wake while the poller backs off
    /// from a failure waits for the backoff.
    pub fn waker(&self) -> Wakeup {
        self.waker.clone()
    }

    /// A live view of [`PollerStats`].
    pub fn stats(&self) -> watch::Receiver<PollerStats> {
        self.stats.subscribe()
    }

    /// Polls and sweeps until `shutdown`, handing candidates to `handle` one at a time. Returns
    /// `Ok` promptly on shutdown (a candidate being handled is finished first); `Err` only when the
    /// store cannot be used at start. NetBox failures never end it: it backs off and retries.
    pub async fn run<F, Fut>(
        self,
        handle: F,
        shutdown: CancellationToken,
    ) -> Result<(), PollerError>
    where
        F: FnMut(Candidate) -> Fut + Send,
        Fut: Future<Output = Handled> + Send,
    {
        let span = tracing::info_span!("netbox_poller");
        self.run_inner(handle, shutdown).instrument(span).await
    }

    async fn run_inner<F, Fut>(
        self,
        mut handle: F,
        shutdown: CancellationToken,
    ) -> Result<(), PollerError>
    where
        F: FnMut(Candidate) -> Fut + Send,
        Fut: Future<Output = Handled> + Send,
    {
        let limit = u16::try_from(self.cfg.page_limit.clamp(1, 1000)).unwrap_or(1000);
        let mut run = Run {
            overlap: plan::effective_overlap(self.cfg.overlap, limit),
            limit,
            cursor: 0,
            floor: 0,
            health: Health::Up,
            retry: RetryPolicy::new(
                self.cfg.retry_budget,
                self.cfg.retry_base,
                self.cfg.retry_max,
            ),
            next_retry: None,
            poller: &self,
        };
        let mut start_backoff = Backoff::new(BACKOFF_BASE, self.cfg.max_backoff);
        loop {
            match run.start_cursor(&shutdown).await {
                Ok(Some((cursor, floor))) => {
                    run.cursor = cursor;
                    run.floor = floor;
                    break;
                }
                Ok(None) => return Ok(()),
                Err(StartError::Store(e)) => return Err(PollerError::Store(e)),
                Err(StartError::Netbox(e)) => {
                    let delay = run.failed(&e, &mut start_backoff);
                    tokio::select! {
                        _ = shutdown.cancelled() => return Ok(()),
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
        tracing::info!(
            cursor = run.cursor,
            interval_s = self.cfg.interval.as_secs_f64(),
            sweep_interval_s = self.cfg.sweep_interval.as_secs_f64(),
            "netbox poller started"
        );
        self.stats.send_modify(|s| {
            s.cursor = run.cursor;
            s.netbox_up = true;
        });

        let mut poll_backoff = Backoff::new(BACKOFF_BASE, self.cfg.max_backoff);
        let mut sweep_backoff = Backoff::new(BACKOFF_BASE, self.cfg.max_backoff);
        let mut retry_backoff = Backoff::new(BACKOFF_BASE, self.cfg.max_backoff);
        if let Err(e) = run.schedule_retries().await {
            return Err(PollerError::Store(e));
        }
        // On every start: the change log first (so a restart handles what it missed as changes),
        // then the sweep for whatever the log cannot show.
        let mut next_poll = Instant::now();
        let mut next_sweep = Instant::now();
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            let now = Instant::now();
            if next_poll <= now {
                let step = run.poll(&mut handle, &shutdown).await;
                let now = Instant::now();
                next_poll = match step {
                    Step::Stopped => return Ok(()),
                    Step::More => {
                        poll_backoff.reset();
                        now
                    }
                    Step::Idle => {
                        poll_backoff.reset();
                        after(now, self.cfg.interval)
                    }
                    other => after(now, run.setback(other, "change log", &mut poll_backoff)),
                };
                continue;
            }
            if next_sweep <= now {
                let step = run.sweep(&mut handle, &shutdown).await;
                let now = Instant::now();
                next_sweep = match step {
                    Step::Stopped => return Ok(()),
                    Step::Idle | Step::More => {
                        sweep_backoff.reset();
                        after(now, self.cfg.sweep_interval)
                    }
                    other => after(now, run.setback(other, "sweep", &mut sweep_backoff)),
                };
                continue;
            }
            if run.next_retry.is_some_and(|t| t <= now) {
                let step = run.retry_parked(&mut handle, &shutdown).await;
                let now = Instant::now();
                match step {
                    Step::Stopped => return Ok(()),
                    Step::Idle | Step::More => retry_backoff.reset(),
                    other => {
                        let wait = run.setback(other, "parked retries", &mut retry_backoff);
                        run.next_retry = Some(after(now, wait));
                    }
                }
                continue;
            }
            let wake = run.next_retry.map_or(next_poll.min(next_sweep), |r| {
                r.min(next_poll).min(next_sweep)
            });
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Ok(()),
                _ = self.waker.woken() => {
                    if !poll_backoff.is_failing() {
                        next_poll = Instant::now();
                    }
                }
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
    }
}

/// `now + d` without overflow, and never sooner than `MIN_WAIT` (a zero interval must not spin).
fn after(now: Instant, d: Duration) -> Instant {
    let d = d.max(MIN_WAIT);
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(365 * 86_400)))
        .unwrap_or(now)
}

enum StartError {
    Store(StoreError),
    Netbox(NetboxError),
}

/// The loop's state between steps.
struct Run<'a> {
    poller: &'a Poller,
    overlap: u64,
    limit: u16,
    cursor: u64,
    floor: u64,
    health: Health,
    retry: RetryPolicy,
    /// When the soonest parked candidate is due (`None`: nothing parked).
    next_retry: Option<Instant>,
}

impl Run<'_> {
    /// The stored cursor and floor; on a first start both become the change log's head (no history
    /// replay). `None`: shutdown.
    async fn start_cursor(
        &mut self,
        shutdown: &CancellationToken,
    ) -> Result<Option<(u64, u64)>, StartError> {
        let store = &self.poller.store;
        if let Some(cursor) = store.cursor(CURSOR).await.map_err(StartError::Store)? {
            let floor = store
                .cursor(FLOOR)
                .await
                .map_err(StartError::Store)?
                .unwrap_or(0);
            return Ok(Some((cursor, floor)));
        }
        let head = tokio::select! {
            _ = shutdown.cancelled() => return Ok(None),
            head = self.poller.client.latest_object_change_id() => head.map_err(StartError::Netbox)?,
        };
        self.netbox_ok();
        let head = head.unwrap_or(0);
        // The floor first: a crash in between leaves no cursor, and the next start redoes both.
        store
            .set_cursor(FLOOR, head)
            .await
            .map_err(StartError::Store)?;
        store
            .set_cursor(CURSOR, head)
            .await
            .map_err(StartError::Store)?;
        tracing::info!(
            cursor = head,
            "first start: reading the NetBox change log from its current head (no history replay)"
        );
        Ok(Some((head, head)))
    }

    /// One change-log request and the handling of what it brought.
    async fn poll<F, Fut>(&mut self, handle: &mut F, shutdown: &CancellationToken) -> Step
    where
        F: FnMut(Candidate) -> Fut + Send,
        Fut: Future<Output = Handled> + Send,
    {
        let p = self.poller;
        let after = plan::query_after(self.cursor, self.overlap);
        let records = tokio::select! {
            _ = shutdown.cancelled() => return Step::Stopped,
            r = p.client.object_changes_after(after, self.limit) => match r {
                Ok(r) => r,
                Err(e) => return Step::Netbox(e),
            },
        };
        self.netbox_ok();
        let step = self.handle_page(&records, handle, shutdown).await;
        p.stats.send_modify(|s| s.polls += 1);
        step
    }

    /// Offers a page's candidates in order, moving the cursor after each one handled.
    async fn handle_page<F, Fut>(
        &mut self,
        records: &[super::ObjectChange],
        handle: &mut F,
        shutdown: &CancellationToken,
    ) -> Step
    where
        F: FnMut(Candidate) -> Fut + Send,
        Fut: Future<Output = Handled> + Send,
    {
        let p = self.poller;
        let start_cursor = self.cursor;
        let ids: Vec<u64> = records
            .iter()
            .map(|r| r.id)
            .filter(|id| *id > self.floor)
            .collect();
        let seen: HashSet<u64> = if ids.is_empty() {
            HashSet::new()
        } else {
            match p.store.seen(SEEN_SOURCE, &ids).await {
                Ok(s) => s.into_iter().collect(),
                Err(e) => return Step::Store(e),
            }
        };
        let plan = Plan::new(records, &seen, self.floor, super::OWN_CHANGE_PREFIX);
        for (id, why) in &plan.skipped {
            tracing::debug!(change_id = id, reason = ?why, "change record skipped");
        }
        let parked = if plan.candidates.is_empty() {
            Default::default()
        } else {
            match self.parked_attempts().await {
                Ok(p) => p,
                Err(e) => return Step::Store(e),
            }
        };
        let mut done = 0;
        let mut outcome = Step::Idle;
        for (k, c) in plan.candidates.iter().enumerate() {
            if shutdown.is_cancelled() {
                outcome = Step::Stopped;
                break;
            }
            let candidate = Candidate {
                interface_id: c.interface_id,
                ticket: c.ticket.clone(),
                source: CandidateSource::ChangeLog {
                    change_id: c.change_id,
                },
            };
            let span = tracing::info_span!(
                "candidate",
                change_id = c.change_id,
                interface_id = c.interface_id,
                ticket = %c.ticket,
            );
            tracing::info!(parent: &span, records = c.record_ids.len(), "interface changed with a ticket number");
            let failed_before = parked.get(&c.interface_id).copied();
            let answer = handle(candidate.clone()).instrument(span.clone()).await;
            // Parked counts as handled here: the store holds it now, and it is retried on its own.
            if let Err(step) = self
                .settle(&candidate, failed_before, answer, shutdown)
                .instrument(span)
                .await
            {
                outcome = step;
                break;
            }
            let keep_from = plan::query_after(self.cursor, self.overlap);
            for id in &c.record_ids {
                if let Err(e) = p.store.mark_seen(SEEN_SOURCE, *id, keep_from).await {
                    return Step::Store(e);
                }
            }
            done = k + 1;
            if let Err(e) = self.advance(plan.cursor_after(done, self.cursor)).await {
                return Step::Store(e);
            }
        }
        if let Err(e) = self.advance(plan.cursor_after(done, self.cursor)).await {
            return Step::Store(e);
        }
        match outcome {
            Step::Idle
                if plan::poll_again(records.len(), self.limit, start_cursor, self.cursor) =>
            {
                Step::More
            }
            other => other,
        }
    }

    /// Persists a higher cursor.
    async fn advance(&mut self, to: u64) -> Result<(), StoreError> {
        if to <= self.cursor {
            return Ok(());
        }
        self.poller.store.set_cursor(CURSOR, to).await?;
        self.cursor = to;
        self.poller.stats.send_modify(|s| s.cursor = to);
        Ok(())
    }

    /// Every interface still carrying a ticket number, offered one by one.
    async fn sweep<F, Fut>(&mut self, handle: &mut F, shutdown: &CancellationToken) -> Step
    where
        F: FnMut(Candidate) -> Fut + Send,
        Fut: Future<Output = Handled> + Send,
    {
        let p = self.poller;
        let interfaces = tokio::select! {
            _ = shutdown.cancelled() => return Step::Stopped,
            r = p.client.interfaces_with_ticket() => match r {
                Ok(r) => r,
                Err(e) => return Step::Netbox(e),
            },
        };
        self.netbox_ok();
        tracing::debug!(
            interfaces = interfaces.len(),
            "sweep: interfaces carrying a ticket number"
        );
        let parked = match self.parked_attempts().await {
            Ok(p) => p,
            Err(e) => return Step::Store(e),
        };
        for iface in &interfaces {
            if shutdown.is_cancelled() {
                return Step::Stopped;
            }
            let Some(ticket) = iface.change_ticket_number() else {
                continue;
            };
            let span = tracing::info_span!("candidate", interface_id = iface.id, ticket = %ticket);
            if parked.contains_key(&iface.id) {
                tracing::debug!(parent: &span, "sweep: parked, retried on its own schedule");
                continue;
            }
            tracing::info!(parent: &span, "sweep: interface still carries a ticket number");
            let candidate = Candidate {
                interface_id: iface.id,
                ticket: ticket.to_owned(),
                source: CandidateSource::Sweep,
            };
            let answer = handle(candidate.clone()).instrument(span.clone()).await;
            if let Err(step) = self
                .settle(&candidate, None, answer, shutdown)
                .instrument(span)
                .await
            {
                return step;
            }
        }
        p.stats.send_modify(|s| s.sweeps += 1);
        let sweeps = p.stats.borrow().sweeps;
        if let Err(e) = p.store.set_cursor(SWEEPS, sweeps).await {
            tracing::warn!(error = %e, "the sweep count could not be stored");
        }
        Step::Idle
    }

    fn netbox_ok(&mut self) {
        if let Some(down_for) = self.health.succeeded(std::time::Instant::now()) {
            tracing::info!(
                down_for_s = down_for.as_secs(),
                "NetBox answers again; polling resumes"
            );
            self.poller.stats.send_modify(|s| s.netbox_up = true);
        }
    }

    /// Logs a NetBox failure once per outage and returns the wait before the next attempt.
    fn failed(&mut self, e: &NetboxError, backoff: &mut Backoff) -> Duration {
        let kind = FailureKind::of(e);
        let retry_after = match e {
            NetboxError::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        };
        let delay = backoff.next_delay_at_least(fastrand::f64(), retry_after);
        if self.health.failed(kind, std::time::Instant::now()) {
            let max_s = self.poller.cfg.max_backoff.as_secs_f64();
            match kind {
                FailureKind::Unavailable => tracing::warn!(
                    error = %e, max_backoff_s = max_s,
                    "NetBox is unavailable; retrying with backoff (nothing is lost meanwhile)"
                ),
                FailureKind::Auth => tracing::error!(
                    error = %e, max_backoff_s = max_s,
                    "NetBox refuses the bot's token: fix NETBOX_TOKEN; retrying with backoff"
                ),
                FailureKind::Other => tracing::error!(
                    error = %e, max_backoff_s = max_s,
                    "NetBox answered something the poller cannot use; retrying with backoff"
                ),
            }
        }
        self.poller.stats.send_modify(|s| {
            s.failures += 1;
            s.netbox_up = false;
        });
        delay
    }

    /// The wait after a failed or deferred step.
    fn setback(&mut self, step: Step, what: &'static str, backoff: &mut Backoff) -> Duration {
        match step {
            Step::Netbox(e) => self.failed(&e, backoff),
            Step::Retry(reason) => {
                let delay = backoff.next_delay(fastrand::f64());
                tracing::info!(
                    what,
                    %reason,
                    retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "the handler cannot work now (a dependency is down); the cursor stays before it"
                );
                delay
            }
            Step::Store(e) => {
                let delay = backoff.next_delay(fastrand::f64());
                tracing::error!(what, error = %e, "the store failed; retrying with backoff");
                delay
            }
            Step::Idle | Step::More | Step::Stopped => Duration::ZERO,
        }
    }
}
