//! Parking: what the poller does with the handler's answer for one candidate, and the retries of the
//! candidates it parked. A candidate the handler cannot finish while NetBox as a whole answers is
//! written to the store (interface, ticket, attempts, next attempt time) before the cursor moves past
//! it, so nothing is lost; it is offered again on its own backoff (`retry::RetryPolicy`), with its
//! last attempt flagged so the handler ends the job instead of asking again.

use std::collections::HashMap;
use std::future::Future;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::retry::{self, AfterFailure};
use super::{Run, Step, SEEN_SOURCE};
use crate::netbox::{Candidate, CandidateSource, Handled};
use crate::store::{Parked, StoreError};

/// Most parked candidates read at once (each is one interface; more than this means NetBox rejects
/// nearly everything, and the rest wait for the next round).
const MAX_PARKED: usize = 1000;

// Wall-clock milliseconds: a parked candidate's schedule survives a restart.
use crate::clock::now_ms;

impl Run<'_> {
    /// Parked interfaces and their failed attempts.
    pub(super) async fn parked_attempts(&self) -> Result<HashMap<u64, u32>, StoreError> {
        let parked = self.poller.store.parked(SEEN_SOURCE, MAX_PARKED).await?;
        Ok(parked.into_iter().map(|p| (p.item, p.attempts)).collect())
    }

    /// Acts on the handler's answer for `c` (`failed_before`: its failed attempts when it was
    /// parked). `Ok`: the poller may move past it (handled, or parked); `Err`: stop with this step.
    pub(super) async fn settle(
        &mut self,
        c: &Candidate,
        failed_before: Option<u32>,
        answer: Handled,
        shutdown: &CancellationToken,
    ) -> Result<(), Step> {
        let store = &self.poller.store;
        let reason = match answer {
            Handled::Done => {
                if failed_before.is_some() {
                    store
                        .unpark(SEEN_SOURCE, c.interface_id)
                        .await
                        .map_err(Step::Store)?;
                    self.schedule_retries().await.map_err(Step::Store)?;
                }
                return Ok(());
            }
            Handled::Unavailable { reason } => return Err(Step::Retry(reason)),
            Handled::RetryLater { reason } => reason,
        };
        // Only this candidate's fault if NetBox as a whole still answers; otherwise it is an
        // outage, which costs no candidate any of its budget.
        let probe = tokio::select! {
            _ = shutdown.cancelled() => return Err(Step::Stopped),
            r = self.poller.client.latest_object_change_id() => r,
        };
        if let Err(e) = probe {
            return Err(Step::Netbox(e));
        }
        let failed = failed_before.unwrap_or(0).saturating_add(1);
        match self.retry.after_failure(failed, fastrand::f64()) {
            AfterFailure::GiveUp => {
                tracing::error!(
                    attempts = failed,
                    %reason,
                    "retry budget spent and the handler did not end the job; no more attempts"
                );
                store
                    .unpark(SEEN_SOURCE, c.interface_id)
                    .await
                    .map_err(Step::Store)?;
                self.poller.stats.send_modify(|s| s.given_up += 1);
            }
            AfterFailure::RetryIn(wait) => {
                tracing::warn!(
                    attempts = failed,
                    budget = self.retry.budget,
                    retry_in_s = wait.as_secs_f64(),
                    %reason,
                    "this change cannot be finished now; parked, the others go on"
                );
                store
                    .park(&Parked {
                        source: SEEN_SOURCE.to_owned(),
                        item: c.interface_id,
                        ticket: c.ticket.clone(),
                        attempts: failed,
                        next_at_ms: retry::at(now_ms(), wait),
                        reason: reason.chars().take(500).collect(),
                    })
                    .await
                    .map_err(Step::Store)?;
            }
        }
        self.schedule_retries().await.map_err(Step::Store)?;
        Ok(())
    }

    /// Offers every parked candidate that is due, soonest first.
    pub(super) async fn retry_parked<F, Fut>(
        &mut self,
        handle: &mut F,
        shutdown: &CancellationToken,
    ) -> Step
    where
        F: FnMut(Candidate) -> Fut + Send,
        Fut: Future<Output = Handled> + Send,
    {
        let parked = match self.poller.store.parked(SEEN_SOURCE, MAX_PARKED).await {
            Ok(p) => p,
            Err(e) => return Step::Store(e),
        };
        let (due, _) = retry::due(&parked, now_ms());
        for p in due {
            if shutdown.is_cancelled() {
                return Step::Stopped;
            }
            let (attempt, last) = self.retry.next_attempt(p.attempts);
            let candidate = Candidate {
                interface_id: p.item,
                ticket: p.ticket.clone(),
                source: CandidateSource::Retry { attempt, last },
            };
            let span = tracing::info_span!(
                "candidate",
                interface_id = p.item,
                ticket = %p.ticket,
                attempt,
            );
            tracing::info!(parent: &span, last, "retrying a parked change");
            let answer = handle(candidate.clone()).instrument(span.clone()).await;
            if let Err(step) = self
                .settle(&candidate, Some(p.attempts), answer, shutdown)
                .instrument(span)
                .await
            {
                return step;
            }
        }
        if let Err(e) = self.schedule_retries().await {
            return Step::Store(e);
        }
        Step::Idle
    }

    /// Sets when the soonest parked candidate is due (and the `parked` count) from the store.
    pub(super) async fn schedule_retries(&mut self) -> Result<(), StoreError> {
        let parked = self.poller.store.parked(SEEN_SOURCE, MAX_PARKED).await?;
        let now = now_ms();
        let soonest = parked.iter().map(|p| p.next_at_ms).min();
        self.next_retry =
            soonest.map(|at| super::after(Instant::now(), retry::wait_until(at, now)));
        let count = u64::try_from(parked.len()).unwrap_or(u64::MAX);
        self.poller.stats.send_modify(|s| s.parked = count);
        Ok(())
    }
}
