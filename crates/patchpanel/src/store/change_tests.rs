//! The change tables against real SQLite: one transaction per transition, the version check that
//! lets exactly one of two racing decisions through, the outbox, and survival across a reopen.

use crate::approval::{
    received, transition, CardRef, ChangeId, ChangeRecord, Decision, Effect, Input, Plan, PlanRow,
    Side, TicketRef, Transition,
};
use crate::store::{Committed, Store};

fn ticket(updated_at: &str) -> TicketRef {
    TicketRef {
        id: 16,
        number: "15016".into(),
        title: "Network Change Request".into(),
        requester: "network-team@local.lab".into(),
        updated_at: updated_at.into(),
    }
}

fn plan() -> Plan {
    Plan {
        device: "c9300".into(),
        interface: "GigabitEthernet1/0/5".into(),
        rows: vec![PlanRow {
            side: Side::Device,
            field: "mtu".into(),
            before: Some("1500".into()),
            after: Some("2000".into()),
        }],
    }
}

fn first(revision: u32, updated_at: &str) -> (ChangeRecord, Transition) {
    let r = received(
        ChangeId::for_ticket("15016", revision).unwrap(),
        ticket(updated_at),
        serde_json::json!({"mtu": 2000}),
    );
    let t = transition(
        &r,
        Input::Validated {
            plan: plan(),
            nonce: "n1".into(),
            expires_at_ms: 10_000,
        },
    )
    .unwrap();
    (r, t)
}

async fn stored_pending(store: &Store) -> ChangeRecord {
    let (r, t) = first(1, "2023-05-30T16:30:05.449Z");
    assert!(store.insert_change(&r, &t, 1).await.unwrap());
    let posted = transition(
        &t.record,
        Input::CardsPosted {
            cards: vec![CardRef {
                message_id: "m1".into(),
                room_id: "room".into(),
            }],
        },
    )
    .unwrap();
    assert!(matches!(
        store.commit_transition(&posted, 2).await.unwrap(),
        Committed::Yes { .. }
    ));
    posted.record
}

#[tokio::test]
async fn a_new_change_is_stored_with_its_history_effects_and_ticket_version() {
    let store = Store::open_in_memory().unwrap();
    let (r, t) = first(1, "2023-05-30T16:30:05.449Z");
    assert!(!store
        .ticket_handled(16, "2023-05-30T16:30:05.449Z")
        .await
        .unwrap());
    assert!(store.insert_change(&r, &t, 7).await.unwrap());
    assert!(
        !store.insert_change(&r, &t, 8).await.unwrap(),
        "a second insert of the same id writes nothing"
    );
    assert!(store
        .ticket_handled(16, "2023-05-30T16:30:05.449Z")
        .await
        .unwrap());
    assert!(!store
        .ticket_handled(16, "2023-05-30T16:31:00.000Z")
        .await
        .unwrap());
    assert_eq!(
        store.change_record(&r.id).await.unwrap(),
        Some(t.record.clone())
    );
    let history = store.change_history(&r.id).await.unwrap();
    let states: Vec<&str> = history.iter().map(|h| h.state.as_str()).collect();
    assert_eq!(states, ["received", "pending approval"]);
    let open = store.open_effects(10).await.unwrap();
    let effects: Vec<Effect> = open.iter().map(|e| e.effect.clone()).collect();
    assert_eq!(effects, t.effects);
    assert_eq!(store.change_count_for_ticket(16).await.unwrap(), 1);
    assert_eq!(store.changes_for_ticket(16).await.unwrap(), vec![t.record]);
}

#[tokio::test]
async fn of_two_racing_decisions_exactly_one_is_stored() {
    let store = Store::open_in_memory().unwrap();
    let pending = stored_pending(&store).await;
    let decide = |by: &str, decision: Decision| {
        transition(
            &pending,
            Input::Decided {
                by: by.into(),
                decision,
            },
        )
        .unwrap()
    };
    let a = decide("approver@example.com", Decision::Approve);
    let b = decide("second@example.com", Decision::Decline { reason: None });
    let (ra, rb) = tokio::join!(
        store.commit_transition(&a, 3),
        store.commit_transition(&b, 3)
    );
    let outcomes = [ra.unwrap(), rb.unwrap()];
    let winners = outcomes
        .iter()
        .filter(|c| matches!(c, Committed::Yes { .. }))
        .count();
    assert_eq!(winners, 1, "{outcomes:?}");
    let stored = store.change_record(&pending.id).await.unwrap().unwrap();
    for c in &outcomes {
        if let Committed::Stale { current } = c {
            assert_eq!(**current, stored, "the loser is shown the winner's record");
        }
    }
    let decided: Vec<_> = store
        .change_history(&pending.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|h| h.actor.is_some())
        .collect();
    assert_eq!(decided.len(), 1, "one decision in the history: {decided:?}");
    let applies = store
        .open_effects(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.effect == Effect::Apply)
        .count();
    assert!(applies <= 1);
}

#[tokio::test]
async fn effects_stay_open_until_done_and_count_their_failures() {
    let store = Store::open_in_memory().unwrap();
    stored_pending(&store).await;
    let open = store.open_effects(10).await.unwrap();
    assert_eq!(open.len(), 2);
    store
        .effect_failed(open[0].id, "Zammad answered 503")
        .await
        .unwrap();
    let again = store.open_effects(10).await.unwrap();
    assert_eq!(again[0].attempts, 1);
    store.effect_done(open[0].id, 5).await.unwrap();
    let rest = store.open_effects(10).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].effect, Effect::PostCards);
    let id = ChangeId::parse("15016").unwrap();
    assert_eq!(store.open_effects_of(&id).await.unwrap(), rest);
    let other = ChangeId::parse("15017").unwrap();
    assert!(store.open_effects_of(&other).await.unwrap().is_empty());
}

#[tokio::test]
async fn changes_are_found_by_state_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let id = {
        let store = Store::open(&path).unwrap();
        stored_pending(&store).await.id
    };
    let store = Store::open(&path).unwrap();
    let pending = store
        .changes_in_state(&["pending approval"], 10)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, id);
    assert_eq!(pending[0].approval.as_ref().unwrap().cards.len(), 1);
    assert!(store
        .changes_in_state(&["done"], 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.open_effects(10).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_transition_on_an_unknown_change_is_an_error() {
    let store = Store::open_in_memory().unwrap();
    let (_, t) = first(3, "x");
    let err = store.commit_transition(&t, 1).await.unwrap_err();
    assert_eq!(err.to_string(), "the store has no change 15016-3");
}

#[tokio::test]
async fn a_ticket_number_finds_its_newest_request() {
    let store = Store::open_in_memory().unwrap();
    let (r1, t1) = first(1, "v1");
    assert!(store.insert_change(&r1, &t1, 1).await.unwrap());
    let (r2, t2) = first(2, "v2");
    assert!(store.insert_change(&r2, &t2, 2).await.unwrap());
    let find = |text: &str| {
        let store = store.clone();
        let id = ChangeId::parse(text).unwrap();
        async move {
            store
                .find_change(&id)
                .await
                .unwrap()
                .map(|r| r.id.to_string())
        }
    };
    assert_eq!(find("15016").await.as_deref(), Some("15016-2"));
    assert_eq!(find("#15016-2").await.as_deref(), Some("15016-2"));
    assert_eq!(find("15016-1").await, None);
    assert_eq!(find("1501").await, None);
    assert_eq!(store.change_count_for_ticket(16).await.unwrap(), 2);
}
