//! The NetBox poller's shared test body (run against the simulator in `tests/netbox_poller.rs` and
//! against a real NetBox 4.7.3 in `tests/netbox_poller_real.rs`), and the harness both use: a poller
//! on a store file in a temp dir, its candidates into a channel, driven through the waker (the
//! interval is an hour, so nothing happens unless a test asks).
#![allow(dead_code)]

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use patchpanel::netbox::{
    Candidate, CandidateSource, ClearOutcome, Handled, InterfaceUpdate, NetboxClient, Poller,
    PollerConfig, PollerError, PollerStats, Wakeup,
};
use patchpanel::store::Store;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a test waits for anything before failing (generous: the real NetBox on 2 busy cores).
pub const WAIT: Duration = Duration::from_secs(60);

/// An hour: the poller only polls when woken.
pub const LONG: Duration = Duration::from_secs(3600);

/// The config the tests use: polls only on wake-up, sweeps only at start, short backoff and
/// retries of parked candidates.
pub fn test_config() -> PollerConfig {
    let mut cfg = PollerConfig::new(LONG, LONG);
    cfg.max_backoff = Duration::from_millis(200);
    cfg.retry_base = Duration::from_millis(20);
    cfg.retry_max = Duration::from_millis(100);
    cfg
}

/// A poller running on its own task.
pub struct Running {
    pub candidates: mpsc::Receiver<Candidate>,
    pub stats: watch::Receiver<PollerStats>,
    pub waker: Wakeup,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), PollerError>>,
}

impl Running {
    /// Starts a poller whose handler reports each candidate on `candidates`, then answers with
    /// whatever `answer` (given the candidate) resolves to.
    pub fn start<F, Fut>(
        client: &NetboxClient,
        store_path: &Path,
        cfg: PollerConfig,
        mut answer: F,
    ) -> Running
    where
        F: FnMut(Candidate) -> Fut + Send + 'static,
        Fut: Future<Output = Handled> + Send + 'static,
    {
        let store = Store::open(store_path).expect("store");
        let poller = Poller::new(client.clone(), store, cfg);
        let (tx, candidates) = mpsc::channel(64);
        let stats = poller.stats();
        let waker = poller.waker();
        let shutdown = CancellationToken::new();
        let handle = move |c: Candidate| {
            let tx = tx.clone();
            let reply = answer(c.clone());
            async move {
                tx.send(c).await.expect("test receiver alive");
                reply.await
            }
        };
        let task = tokio::spawn(poller.run(handle, shutdown.clone()));
        Running {
            candidates,
            stats,
            waker,
            shutdown,
            task,
        }
    }

    /// Starts a poller whose handler acts like W2: reports the candidate, then clears the ticket
    /// number as the bot (its own change-log message), and is done.
    pub fn start_w2(client: &NetboxClient, store_path: &Path) -> Running {
        let bot = client.clone();
        Running::start(client, store_path, test_config(), move |c: Candidate| {
            let bot = bot.clone();
            async move {
                let msg = format!("patchpanel: pushed, ticket {} done", c.ticket);
                match bot
                    .clear_ticket_number(c.interface_id, &c.ticket, None, &msg)
                    .await
                {
                    Ok(
                        ClearOutcome::Cleared
                        | ClearOutcome::TicketChanged { .. }
                        | ClearOutcome::EditedSince
                        | ClearOutcome::Deleted,
                    ) => Handled::Done,
                    Err(e) if e.is_outage() => Handled::Unavailable {
                        reason: e.to_string(),
                    },
                    Err(e) => Handled::RetryLater {
                        reason: e.to_string(),
                    },
                }
            }
        })
    }

    /// Waits until the stats satisfy `pred`.
    pub async fn wait_for(&mut self, what: &str, pred: impl FnMut(&PollerStats) -> bool) {
        let waited = tokio::time::timeout(WAIT, self.stats.wait_for(pred))
            .await
            .map(|r| r.map(|_| ()));
        match waited {
            Ok(Ok(())) => {}
            Ok(Err(_)) => panic!("the poller ended while waiting for {what}"),
            Err(_) => panic!(
                "timed out waiting for {what}; stats {:?}",
                *self.stats.borrow()
            ),
        }
    }

    /// Waits for the first round of a start: one change-log read and one sweep.
    pub async fn started(&mut self) {
        self.wait_for("the first poll and sweep", |s| {
            s.polls >= 1 && s.sweeps >= 1
        })
        .await;
    }

    /// Wakes the poller and waits until it has read the change log once more (and handled what it
    /// found: the stats move before handling, so wait for an idle poller too).
    pub async fn poll_now(&mut self) -> PollerStats {
        let before = self.stats.borrow().polls;
        self.waker.wake();
        self.wait_for("a woken poll", |s| s.polls > before).await;
        self.stats.borrow().clone()
    }

    /// The next candidate.
    pub async fn next(&mut self) -> Candidate {
        match tokio::time::timeout(WAIT, self.candidates.recv()).await {
            Ok(Some(c)) => c,
            Ok(None) => panic!("the poller ended"),
            Err(_) => panic!(
                "no candidate within {WAIT:?}; stats {:?}",
                *self.stats.borrow()
            ),
        }
    }

    /// No candidate is waiting.
    pub fn assert_quiet(&mut self) {
        if let Ok(c) = self.candidates.try_recv() {
            panic!("unexpected candidate {c:?}");
        }
    }

    /// Requests shutdown without waiting for it.
    pub fn cancel(&self) {
        self.shutdown.cancel();
    }

    /// Requests shutdown and expects `Ok` promptly.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let ended = tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the poller stops promptly")
            .expect("the poller task did not panic");
        ended.expect("the poller ends with Ok");
    }
}

/// A person sets the ticket number (a changelog message that is not the bot's).
pub async fn person_sets_ticket(client: &NetboxClient, interface_id: u64, ticket: &str) {
    let current = client
        .interface(interface_id)
        .await
        .expect("read interface");
    let update =
        InterfaceUpdate::new(format!("edited in the UI for {ticket}")).ticket_number(Some(ticket));
    client
        .patch_interface(&current, &update)
        .await
        .expect("person's edit");
}

/// The poller against a NetBox: a ticket set before the first start comes from the sweep, not the
/// replayed change log; a person's ticketed edit gives exactly one candidate; the bot's own clear
/// and the overlap re-read give none; a restart between two edits handles each once.
pub async fn poller_conformance(client: &NetboxClient, interface: &str, dir: &Path) {
    let device = client.device_by_name("c9300", None).await.expect("device");
    let iface = client
        .interface_by_name(device.id, interface)
        .await
        .expect("interface")
        .id;
    let db = dir.join("patchpanel.db");
    assert_eq!(
        client
            .ticket_field_filter_logic()
            .await
            .expect("custom field"),
        Some("exact".to_owned())
    );

    // Set before the first start: the change log is read from its head (no replay), the sweep
    // finds the ticket.
    person_sets_ticket(client, iface, "CHG-3000").await;
    let mut p = Running::start_w2(client, &db);
    p.started().await;
    let c = p.next().await;
    assert_eq!(
        c,
        Candidate {
            interface_id: iface,
            ticket: "CHG-3000".into(),
            source: CandidateSource::Sweep
        }
    );
    p.poll_now().await;
    p.assert_quiet();

    person_sets_ticket(client, iface, "CHG-3001").await;
    p.poll_now().await;
    let c = p.next().await;
    assert_eq!(c.interface_id, iface);
    assert_eq!(c.ticket, "CHG-3001");
    assert!(
        matches!(c.source, CandidateSource::ChangeLog { .. }),
        "{c:?}"
    );
    // The handler cleared the ticket as the bot: that record and the overlap re-read of the edit
    // offer nothing.
    let stats = p.poll_now().await;
    p.poll_now().await;
    p.assert_quiet();
    assert!(stats.cursor > 0);
    assert_eq!(
        client
            .interface(iface)
            .await
            .unwrap()
            .value
            .change_ticket_number(),
        None
    );
    p.stop().await;

    // Stopped between two edits: the second is handled once, the first not again.
    person_sets_ticket(client, iface, "CHG-3002").await;
    let mut p = Running::start_w2(client, &db);
    p.started().await;
    let c = p.next().await;
    assert_eq!((c.interface_id, c.ticket.as_str()), (iface, "CHG-3002"));
    assert!(
        matches!(c.source, CandidateSource::ChangeLog { .. }),
        "{c:?}"
    );
    p.poll_now().await;
    p.assert_quiet();
    p.stop().await;
}
