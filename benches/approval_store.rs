//! Store throughput of ticket-driven changes: transitions per second with their history line and
//! outbox effects, each committed in its own transaction onto the version it came from (the way the
//! workflow commits them), on a real SQLite file (WAL, synchronous=NORMAL, as `patchpanel run`).
//!
//! Run: `cargo bench --bench approval_store`. Prints changes/s and transitions/s for the whole life
//! of a change (received → pending approval → cards posted → approved → applying → done), and
//! effect completions/s.

use patchpanel::approval::{
    received, transition, CardRef, ChangeId, Decision, Input, Plan, PlanRow, Side, TicketRef,
};
use patchpanel::store::{Committed, Store};
use std::time::Instant;

fn plan() -> Plan {
    Plan {
        device: "c9300".into(),
        interface: "GigabitEthernet1/0/5".into(),
        rows: vec![
            PlanRow {
                side: Side::Netbox,
                field: "mtu".into(),
                before: None,
                after: Some("2000".into()),
            },
            PlanRow {
                side: Side::Device,
                field: "mtu".into(),
                before: Some("1500".into()),
                after: Some("2000".into()),
            },
        ],
    }
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let changes: u32 = std::env::var("CHANGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("bench.db")).expect("store");
    let started = Instant::now();
    let mut transitions = 0u64;
    for n in 0..changes {
        let number = format!("{}", 20_000 + n);
        let ticket = TicketRef {
            id: u64::from(n) + 1,
            number: number.clone(),
            title: "Network Change Request".into(),
            requester: "network-team@local.lab".into(),
            updated_at: format!("2026-12-04T07:00:00.{n:03}Z"),
        };
        let id = ChangeId::for_ticket(&number, 1).expect("id");
        let r = received(id, ticket, serde_json::json!({"mtu": 2000}));
        let mut t = transition(
            &r,
            Input::Validated {
                plan: plan(),
                nonce: format!("nonce-{n}"),
                expires_at_ms: i64::MAX,
            },
        )
        .expect("validated");
        assert!(store.insert_change(&r, &t, 1).await.expect("insert"));
        transitions += 2;
        let inputs = [
            Input::CardsPosted {
                cards: vec![CardRef {
                    message_id: format!("m{n}"),
                    room_id: "room".into(),
                }],
            },
            Input::Decided {
                by: "approver@example.com".into(),
                decision: Decision::Approve,
            },
            Input::ApplyStarted,
            Input::Applied {
                summary: "mtu: 1500 -> 2000".into(),
            },
        ];
        for input in inputs {
            t = transition(&t.record, input).expect("transition");
            match store.commit_transition(&t, 2).await.expect("commit") {
                Committed::Yes { .. } => transitions += 1,
                Committed::Stale { .. } => panic!("no one else writes"),
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let effects_started = Instant::now();
    let mut done = 0u64;
    loop {
        let open = store.open_effects(500).await.expect("open effects");
        if open.is_empty() {
            break;
        }
        for e in open {
            store.effect_done(e.id, 3).await.expect("done");
            done += 1;
        }
    }
    let effects_elapsed = effects_started.elapsed().as_secs_f64();
    println!(
        "approval_store: {changes} changes, {transitions} transitions in {elapsed:.2} s: {:.0} transitions/s ({:.0} changes/s, each with its history line and outbox effects in one transaction)",
        transitions as f64 / elapsed,
        f64::from(changes) / elapsed
    );
    println!(
        "approval_store: {done} outbox effects marked done in {effects_elapsed:.2} s: {:.0} effects/s",
        done as f64 / effects_elapsed
    );
}
