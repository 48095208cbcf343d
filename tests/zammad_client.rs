//! The Zammad client against `patchpanel sim zammad` (in process): the bot's identity and states,
//! the condition search, a state change with its internal note in one call, and Zammad's refusals
//! (401, 403, 422) turned into errors that say what to fix and never carry the token.

use patchpanel::secret::Secret;
use patchpanel::zammad::{
    CandidateQuery, StateIds, TicketUpdate, ZammadClient, ZammadConfig, ZammadError,
    REQUIRED_STATES,
};
use patchpanel_sim::zammad::{start, RunningZammadSim, ZammadSimConfig};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "bot-s3cret-token";

async fn sim() -> (RunningZammadSim, tokio_util::sync::DropGuard) {
    let stop = CancellationToken::new();
    let sim = start(
        ZammadSimConfig {
            token: Some(TOKEN.into()),
            ..ZammadSimConfig::default()
        },
        stop.clone(),
    )
    .await
    .unwrap();
    (sim, stop.drop_guard())
}

fn client(sim: &RunningZammadSim, token: &str) -> ZammadClient {
    ZammadClient::new(&ZammadConfig::new(sim.base_url.clone(), Secret::new(token))).unwrap()
}

fn network_ticket(sim: &RunningZammadSim, kind: &str, state: &str) -> u64 {
    sim.create_ticket(json!({
        "title": "change",
        "customer": "network-team@local.lab",
        "ticket_type": kind,
        "state": state,
        "network_device_name": "c9300",
        "network_interface_name": "GigabitEthernet1/0/5",
        "network_interface_mtu": 2000,
    }))
    .unwrap()
    .0
}

#[tokio::test]
async fn identity_states_and_the_condition_search() {
    let (sim, _stop) = sim().await;
    let z = client(&sim, TOKEN);
    let me = z.me().await.unwrap();
    assert_eq!(me.login.as_deref(), Some("patchpanel"));
    let states = StateIds::resolve(&z.states().await.unwrap(), &REQUIRED_STATES).unwrap();
    let wanted: Vec<u64> = ["new", "open"]
        .iter()
        .filter_map(|s| states.get(s))
        .collect();
    assert_eq!(wanted.len(), 2);

    let open = network_ticket(&sim, "network_change", "open");
    let new = network_ticket(&sim, "network_change", "new");
    network_ticket(&sim, "other", "open");
    network_ticket(&sim, "network_change", "closed");
    let found = z
        .candidates(&CandidateQuery {
            field: "ticket_type",
            value: "network_change",
            state_ids: &wanted,
            updated_after: None,
        })
        .await
        .unwrap();
    let ids: Vec<u64> = found.tickets.iter().filter_map(|t| t.id).collect();
    assert_eq!(
        ids,
        vec![open, new],
        "oldest update first, only network changes waiting"
    );
    assert!(!found.truncated);
    let t = &found.tickets[0];
    assert_eq!(t.network_interface_mtu, json!(2000));
    assert_eq!(t.state.as_deref(), Some("open"));
}

#[tokio::test]
async fn a_state_and_an_internal_note_in_one_call() {
    let (sim, _stop) = sim().await;
    let z = client(&sim, TOKEN);
    let id = network_ticket(&sim, "network_change", "open");
    let after = z
        .update(
            id,
            &TicketUpdate {
                state: Some("pending approval".into()),
                note: Some("Your change request has been received and is pending approval.".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(after.state.as_deref(), Some("pending approval"));
    let articles = z.articles(id).await.unwrap();
    let note = articles.last().unwrap();
    assert_eq!(note.kind.as_deref(), Some("note"));
    assert_eq!(note.internal, Some(true));
    assert!(note.body.as_deref().unwrap().contains("pending approval"));
    assert_eq!(note.created_by_id, z.me().await.unwrap().id);
}

#[tokio::test]
async fn refusals_say_what_to_fix_and_never_carry_the_token() {
    let (sim, _stop) = sim().await;
    let id = network_ticket(&sim, "network_change", "open");

    let wrong = client(&sim, "wrong-s3cret-value");
    let e = wrong.me().await.unwrap_err();
    assert!(matches!(e, ZammadError::Unauthorized { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("ZAMMAD_TOKEN"), "{text}");
    assert!(!text.contains("wrong-s3cret-value") && !format!("{e:?}").contains("wrong-s3cret"));

    sim.add_token("customer-token", "network-team@local.lab", false)
        .unwrap();
    let customer = client(&sim, "customer-token");
    let e = customer.ticket(id).await.unwrap_err();
    assert!(matches!(e, ZammadError::Forbidden { .. }), "{e:?}");
    assert!(e.to_string().contains("ticket.agent"), "{e}");

    let z = client(&sim, TOKEN);
    let e = z
        .update(
            id,
            &TicketUpdate {
                state: Some("pendng approval".into()),
                note: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ZammadError::Invalid { .. }), "{e:?}");
    assert!(
        e.to_string().contains("pendng approval"),
        "Zammad's words are quoted: {e}"
    );
    assert!(!e.is_transient());
    let e = z.ticket(99_999).await.unwrap_err();
    assert!(matches!(e, ZammadError::NotFound { .. }), "{e:?}");
}
