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
use patchpanel::sim::netbox::{start, NetboxSimConfig, RunningNetboxSim};
use patchpanel::store::Store;
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
        CandidateSource::Sweep => panic!("expected a change-log candidate: {c:?}"),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_later_offers_the_same_candidate_again() {
    let f = Fixture::new().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let mut p = Running::start(&f.client, &f.db(), test_config(), move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            if n == 0 {
                Handled::RetryLater {
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
