//! The NetBox poller against the in-process NetBox simulator: the shared body (also run against a
//! real NetBox), then what only the simulator can show: history not replayed, collapsing, retry,
//! an outage, the cost of an idle poll, the waker, and shutdown during a handler.

mod netbox_poller_shared;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use netbox_poller_shared::{test_config, Running, WAIT};
use patchpanel::netbox::poller::CURSOR;
use patchpanel::netbox::{Candidate, CandidateSource, Handled, NetboxClient, NetboxConfig};
use patchpanel::secret::Secret;
use patchpanel::store::Store;
use patchpanel_sim::netbox::{start, NetboxSimConfig, RunningNetboxSim};
use serde_json::json;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

struct Fixture {
    sim: RunningNetboxSim,
    client: NetboxClient,
    dir: tempfile::TempDir,
    _shutdown: tokio_util::sync::DropGuard,
}

impl Fixture {
    async fn new() -> Fixture {
        let shutdown = CancellationToken::new();
        let sim = start(NetboxSimConfig::default(), shutdown.clone())
            .await
            .unwrap();
        let client = NetboxClient::new(&NetboxConfig::new(
            sim.base_url.clone(),
            Secret::new("0123456789abcdef0123456789abcdef01234567"),
        ))
        .unwrap();
        Fixture {
            sim,
            client,
            dir: tempfile::tempdir().unwrap(),
            _shutdown: shutdown.drop_guard(),
        }
    }

    fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("patchpanel.db")
    }

    /// A poller whose handler only reports (tickets stay set).
    fn poller(&self) -> Running {
        Running::start(&self.client, &self.db(), test_config(), |_| async {
            Handled::Done
        })
    }

    /// A person edits `GigabitEthernet1/0/<n>` in the UI.
    fn edit(&self, n: u64, fields: serde_json::Value) {
        self.sim
            .edit_interface(
                "c9300",
                &format!("GigabitEthernet1/0/{n}"),
                fields,
                "engineer",
            )
            .unwrap();
    }

    fn set_ticket(&self, n: u64, ticket: &str) {
        self.edit(
            n,
            json!({"custom_fields": {"change_ticket_number": ticket}}),
        );
    }

    fn last_change_id(&self) -> u64 {
        self.sim
            .object_changes()
            .last()
            .and_then(|c| c["id"].as_u64())
            .unwrap_or(0)
    }
}

fn from_log(c: &Candidate) -> u64 {
    match c.source {
        CandidateSource::ChangeLog { change_id } => change_id,
        _ => panic!("expected a change-log candidate: {c:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_body_on_the_simulator() {
    let f = Fixture::new().await;
    netbox_poller_shared::poller_conformance(&f.client, "GigabitEthernet1/0/5", f.dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_begins_at_the_head_and_replays_no_history() {
    let f = Fixture::new().await;
    // History: a ticket set and cleared again by a person.
    f.set_ticket(7, "CHG-OLD");
    f.edit(7, json!({"custom_fields": {"change_ticket_number": null}}));
    let head = f.last_change_id();
    assert_eq!(head, 2);

    let mut p = f.poller();
    p.started().await;
    p.assert_quiet();
    assert_eq!(p.stats.borrow().cursor, head);
    let store = Store::open(&f.db()).unwrap();
    assert_eq!(store.cursor(CURSOR).await.unwrap(), Some(head));

    f.set_ticket(8, "CHG-NEW");
    p.poll_now().await;
    let c = p.next().await;
    assert_eq!((c.interface_id, c.ticket.as_str()), (8, "CHG-NEW"));
    assert_eq!(from_log(&c), f.last_change_id());
    p.poll_now().await;
    p.assert_quiet();
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_of_one_interface_collapse_and_own_writes_are_skipped() {
    let f = Fixture::new().await;
    let mut p = f.poller();
    p.started().await;

    f.set_ticket(9, "CHG-1");
    f.edit(9, json!({"description": "printer"}));
    f.set_ticket(9, "CHG-2");
    let newest = f.last_change_id();
    // The bot's own write (any case of its prefix) on another interface.
    f.client
        .patch_interface(
            &f.client.interface(10).await.unwrap(),
            &patchpanel::netbox::InterfaceUpdate::new("PatchPanel: pushed")
                .ticket_number(Some("CHG-9")),
        )
        .await
        .unwrap();

    let stats = p.poll_now().await;
    let c = p.next().await;
    assert_eq!((c.interface_id, c.ticket.as_str()), (9, "CHG-2"));
    assert_eq!(from_log(&c), newest);
    p.assert_quiet();
    assert_eq!(stats.cursor, f.last_change_id(), "the own write is passed");
    p.stop().await;
}

/// Something every candidate needs is down (the store, NetBox): the cursor stays, the same
/// candidate comes again first, and no budget is spent (it is not parked).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_offers_the_same_candidate_again_first() {
    let f = Fixture::new().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let mut p = Running::start(&f.client, &f.db(), test_config(), move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            if n == 0 {
                Handled::Unavailable {
                    reason: "store busy".into(),
                }
            } else {
                Handled::Done
            }
        }
    });
    p.started().await;
    let before = p.stats.borrow().cursor;

    f.set_ticket(11, "CHG-11");
    f.set_ticket(12, "CHG-12");
    p.waker.wake();
    let first = p.next().await;
    assert_eq!(first.interface_id, 11);
    // Offered again after the backoff (the waker is not needed), then the rest of the batch.
    let again = p.next().await;
    assert_eq!(again, first);
    let next = p.next().await;
    assert_eq!(next.interface_id, 12);
    p.wait_for("the cursor past both", |s| s.cursor > before + 1)
        .await;
    p.poll_now().await;
    p.assert_quiet();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(p.stats.borrow().parked, 0);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_made_while_netbox_is_down_is_handled_once_it_is_back() {
    let f = Fixture::new().await;
    let mut p = f.poller();
    p.started().await;

    f.sim.set_down(true);
    f.set_ticket(13, "CHG-13");
    p.waker.wake();
    p.wait_for("a few failed attempts", |s| s.failures >= 3 && !s.netbox_up)
        .await;
    p.assert_quiet();
    let cursor = p.stats.borrow().cursor;
    assert!(cursor < f.last_change_id(), "the cursor is untouched");

    f.sim.set_down(false);
    let c = p.next().await;
    assert_eq!((c.interface_id, c.ticket.as_str()), (13, "CHG-13"));
    p.wait_for("NetBox up again", |s| s.netbox_up).await;
    p.poll_now().await;
    p.assert_quiet();
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_poll_costs_exactly_one_request_and_the_waker_polls_at_once() {
    let f = Fixture::new().await;
    let mut p = f.poller();
    p.started().await;
    for _ in 0..3 {
        let before = f.sim.requests();
        p.poll_now().await;
        assert_eq!(f.sim.requests() - before, 1);
    }
    // The interval is an hour: only the waker can make this poll happen.
    f.set_ticket(14, "CHG-14");
    p.waker.wake();
    assert_eq!(p.next().await.interface_id, 14);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_candidate_being_handled() {
    let f = Fixture::new().await;
    let release = Arc::new(Notify::new());
    let gate = release.clone();
    let mut p = Running::start(&f.client, &f.db(), test_config(), move |_| {
        let gate = gate.clone();
        async move {
            gate.notified().await;
            Handled::Done
        }
    });
    p.started().await;
    f.set_ticket(15, "CHG-15");
    let change = f.last_change_id();
    p.waker.wake();
    let c = p.next().await;
    assert_eq!(from_log(&c), change);

    // Shut down while the handler is still working, then let it finish.
    p.cancel();
    let stopping = tokio::spawn(p.stop());
    release.notify_one();
    tokio::time::timeout(WAIT, stopping)
        .await
        .expect("stops once the handler is done")
        .unwrap();
    let store = Store::open(&f.db()).unwrap();
    assert_eq!(
        store.cursor(CURSOR).await.unwrap(),
        Some(change),
        "the finished candidate was recorded before stopping"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_lists_only_interfaces_carrying_a_ticket() {
    let f = Fixture::new().await;
    let ids = f.sim.seed_interfaces("c9300", 1500, None).unwrap();
    assert_eq!(ids.len(), 1500);
    let ticketed = f.sim.seed_interfaces("c9300", 1200, Some("CHG-B")).unwrap();
    f.set_ticket(3, "CHG-3");
    let found = f.client.interfaces_with_ticket().await.unwrap();
    let mut got: Vec<u64> = found.iter().map(|i| i.id).collect();
    got.sort_unstable();
    let mut want = ticketed.clone();
    want.insert(0, 3);
    assert_eq!(got, want, "two pages of 1000, nothing else");
    assert_eq!(f.sim.state()["requests"], json!(f.sim.requests()));
    assert_eq!(
        f.client.ticket_field_filter_logic().await.unwrap(),
        Some("exact".into())
    );
}

/// A candidate the handler cannot finish while NetBox answers is parked: the next edit goes first,
/// the cursor passes both, and the parked one comes back on its own as a retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_candidate_is_parked_and_the_next_edit_goes_first() {
    let f = Fixture::new().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let mut p = Running::start(&f.client, &f.db(), test_config(), move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            if n == 0 {
                Handled::RetryLater {
                    reason: "HTTP 500 for this interface".into(),
                }
            } else {
                Handled::Done
            }
        }
    });
    p.started().await;
    f.set_ticket(16, "CHG-16");
    f.set_ticket(17, "CHG-17");
    let head = f.last_change_id();
    p.waker.wake();
    assert_eq!(p.next().await.interface_id, 16);
    assert_eq!(
        p.next().await.interface_id,
        17,
        "the next edit is not held up"
    );
    let again = p.next().await;
    assert_eq!(
        (again.interface_id, again.source),
        (
            16,
            CandidateSource::Retry {
                attempt: 2,
                last: false
            }
        )
    );
    assert_eq!(again.ticket, "CHG-16");
    p.wait_for("nothing parked", |s| s.parked == 0 && s.cursor >= head)
        .await;
    p.poll_now().await;
    p.assert_quiet();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    p.stop().await;
}

/// Ten edits, the sixth stuck for good: the other nine are offered once each and in order; the
/// stuck one gets its budget of attempts, the last flagged, and is then forgotten (the handler
/// ends its job on the last attempt, as W2 does).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_candidate_among_ten_gets_its_budget_and_the_other_nine_once_each() {
    let f = Fixture::new().await;
    let mut cfg = test_config();
    cfg.retry_budget = 3;
    let mut p = Running::start(&f.client, &f.db(), cfg, |c: Candidate| async move {
        if c.interface_id == 25 && !c.is_last_attempt() {
            Handled::RetryLater {
                reason: "HTTP 500 for this interface".into(),
            }
        } else {
            Handled::Done
        }
    });
    p.started().await;
    for n in 20..30 {
        f.set_ticket(n, &format!("CHG-{n}"));
    }
    let head = f.last_change_id();
    p.waker.wake();
    let mut offers = Vec::new();
    while offers.len() < 12 {
        offers.push(p.next().await);
    }
    let first_round: Vec<u64> = offers[..10].iter().map(|c| c.interface_id).collect();
    assert_eq!(
        first_round,
        (20..30).collect::<Vec<_>>(),
        "in order, none held up"
    );
    assert!(offers[..10]
        .iter()
        .all(|c| matches!(c.source, CandidateSource::ChangeLog { .. })));
    assert_eq!(
        offers[10..]
            .iter()
            .map(|c| (c.interface_id, c.source))
            .collect::<Vec<_>>(),
        vec![
            (
                25,
                CandidateSource::Retry {
                    attempt: 2,
                    last: false
                }
            ),
            (
                25,
                CandidateSource::Retry {
                    attempt: 3,
                    last: true
                }
            ),
        ]
    );
    p.wait_for("done with all", |s| s.parked == 0 && s.cursor >= head)
        .await;
    p.poll_now().await;
    p.assert_quiet();
    p.stop().await;
}

/// When NetBox itself is down as the handler fails, that is an outage, not the candidate's fault:
/// nothing is parked, no attempt is counted, and the candidate comes again from the change log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_costs_no_candidate_its_budget() {
    let f = Fixture::new().await;
    let sim = f.sim.clone();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let mut p = Running::start(&f.client, &f.db(), test_config(), move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let sim = sim.clone();
        async move {
            if n == 0 {
                // NetBox goes down while this candidate is being handled.
                sim.set_down(true);
                Handled::RetryLater {
                    reason: "HTTP 500".into(),
                }
            } else {
                Handled::Done
            }
        }
    });
    p.started().await;
    f.set_ticket(18, "CHG-18");
    p.waker.wake();
    let first = p.next().await;
    p.wait_for("the outage noticed", |s| !s.netbox_up).await;
    assert_eq!(
        p.stats.borrow().parked,
        0,
        "nothing parked during an outage"
    );
    f.sim.set_down(false);
    let again = p.next().await;
    assert_eq!(
        again, first,
        "offered again from the change log, not as a retry"
    );
    p.wait_for("NetBox up", |s| s.netbox_up && s.parked == 0)
        .await;
    p.poll_now().await;
    p.assert_quiet();
    p.stop().await;
}

/// The sweep does not stop at an interface it cannot finish: it parks it and goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_goes_on_past_a_stuck_interface() {
    let f = Fixture::new().await;
    f.set_ticket(30, "CHG-30");
    f.set_ticket(31, "CHG-31");
    let mut p = Running::start(
        &f.client,
        &f.db(),
        test_config(),
        |c: Candidate| async move {
            if c.interface_id == 30 && c.source == CandidateSource::Sweep {
                Handled::RetryLater {
                    reason: "HTTP 500 for this interface".into(),
                }
            } else {
                Handled::Done
            }
        },
    );
    let first = p.next().await;
    let second = p.next().await;
    assert_eq!(
        (first.interface_id, first.source),
        (30, CandidateSource::Sweep)
    );
    assert_eq!(
        (second.interface_id, second.source),
        (31, CandidateSource::Sweep),
        "the sweep went on"
    );
    let retry = p.next().await;
    assert_eq!(
        (retry.interface_id, retry.source),
        (
            30,
            CandidateSource::Retry {
                attempt: 2,
                last: false
            }
        )
    );
    p.wait_for("nothing parked", |s| s.parked == 0 && s.sweeps >= 1)
        .await;
    p.stop().await;
}
