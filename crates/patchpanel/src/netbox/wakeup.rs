//! The poller's wake-up: "read the change log now", coalesced. Any number of wakes while one is
//! pending count as that one, so at most one poll runs and one waits, however many webhooks arrive.
//! A wake that arrives while a poll runs must still lead to one more poll (that poll's request may
//! have left before the change was committed); everything beyond that one is redundant.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

/// Cheap to clone; every clone wakes the same poller.
#[derive(Debug, Clone, Default)]
pub struct Wakeup {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    pending: AtomicBool,
    notify: Notify,
    wakes: AtomicU64,
    coalesced: AtomicU64,
}

/// What [`Wakeup`] has seen so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WakeCounts {
    /// Every call of [`Wakeup::wake`].
    pub wakes: u64,
    /// Wakes that found one already pending and were folded into it.
    pub coalesced: u64,
}

impl Wakeup {
    pub fn new() -> Self {
        Wakeup::default()
    }

    /// Asks for one poll. `true` when this made a poll pending; `false` when one already was (this
    /// wake is folded into it).
    pub fn wake(&self) -> bool {
        self.inner.wakes.fetch_add(1, Ordering::Relaxed);
        if self.inner.pending.swap(true, Ordering::AcqRel) {
            self.inner.coalesced.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        self.inner.notify.notify_one();
        true
    }

    /// Takes the pending wake, if there is one, without waiting.
    pub fn take(&self) -> bool {
        self.inner.pending.swap(false, Ordering::AcqRel)
    }

    /// Resolves once a wake is pending, and takes it. Cancel-safe: the wake is taken only in the
    /// poll that resolves, so a `select!` that picks another branch loses nothing.
    pub async fn woken(&self) {
        loop {
            let notified = self.inner.notify.notified();
            tokio::pin!(notified);
            // Registered before checking, so a wake between the check and the await is not missed.
            notified.as_mut().enable();
            if self.take() {
                return;
            }
            notified.await;
        }
    }

    pub fn counts(&self) -> WakeCounts {
        WakeCounts {
            wakes: self.inner.wakes.load(Ordering::Relaxed),
            coalesced: self.inner.coalesced.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;
    use std::time::Duration;

    /// A poller's loop in miniature: wait for a wake, then "poll" for `took`.
    fn poller(w: Wakeup, took: Duration) -> (Arc<AtomicU32>, tokio::task::JoinHandle<()>) {
        let polls = Arc::new(AtomicU32::new(0));
        let counted = polls.clone();
        let task = tokio::spawn(async move {
            loop {
                w.woken().await;
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(took).await;
            }
        });
        (polls, task)
    }

    #[tokio::test(start_paused = true)]
    async fn a_storm_of_wakes_during_a_poll_costs_one_more_poll() {
        let w = Wakeup::new();
        let (polls, task) = poller(w.clone(), Duration::from_millis(100));
        assert!(w.wake());
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(polls.load(Ordering::SeqCst), 1, "the first wake polls");
        // 4,000 wakes while that poll runs: one is pending, the rest fold into it.
        let made_pending = (0..4_000).filter(|_| w.wake()).count();
        assert_eq!(made_pending, 1);
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(polls.load(Ordering::SeqCst), 2, "one more poll, not 4,000");
        assert_eq!(
            w.counts(),
            WakeCounts {
                wakes: 4_001,
                coalesced: 3_999
            }
        );
        // Idle again: the next wake polls once more.
        w.wake();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(polls.load(Ordering::SeqCst), 3);
        task.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn steady_wakes_cost_one_poll_per_poll_duration_not_one_per_wake() {
        // One wake every 10 ms for a second while each poll takes 100 ms: at most one poll runs
        // and one is pending, so the polls are back to back but never more than time allows.
        let w = Wakeup::new();
        let (polls, task) = poller(w.clone(), Duration::from_millis(100));
        for _ in 0..100 {
            w.wake();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let n = polls.load(Ordering::SeqCst);
        assert!((10..=11).contains(&n), "{n} polls for 100 wakes over 1 s");
        task.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn a_wake_is_not_lost_when_waiting_is_abandoned() {
        let w = Wakeup::new();
        // A select! that picks its timer drops the `woken()` future before the wake arrives…
        tokio::select! {
            _ = w.woken() => panic!("nothing woke it"),
            _ = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
        w.wake();
        // …and one that picks another ready branch while a wake is pending leaves it pending.
        tokio::select! {
            biased;
            _ = std::future::ready(()) => {}
            _ = w.woken() => panic!("the ready branch comes first"),
        }
        tokio::time::timeout(Duration::from_millis(1), w.woken())
            .await
            .expect("the wake is still pending");
        assert!(!w.take(), "taken once");
    }
}
