//! The client against the Webex simulator on either cluster: every event must resolve to the REST
//! object with the right clustered id, whether the catalog tells the cluster or only the conversation
//! service can.

use super::*;
use patchpanel::secret::Secret;
use patchpanel::webex::ids;
use patchpanel::webex::WebexConfig;
use patchpanel_sim::webex::{self as wxsim, RunningWebexSim, SayRequest, WebexSimConfig};
use tokio_util::sync::DropGuard;

const EU: &str = "urn:TEAM:eu-central-1_k";

struct SimBot {
    sim: RunningWebexSim,
    bot: Bot,
    _stop: DropGuard,
}

async fn sim_bot(cfg: WebexSimConfig) -> SimBot {
    let stop = CancellationToken::new();
    let sim = wxsim::start(cfg, stop.clone()).await.unwrap();
    let cfg = WebexConfig {
        api_url: sim.api_url(),
        u2c_url: sim.u2c_url(),
        token: Secret::new("sim-token"),
        device_name: "patchpanel-clusters".to_owned(),
    };
    let rest = WebexRest::new(&cfg).unwrap();
    let identity = rest.me().await.unwrap();
    let (tx, rx) = mpsc::channel(16);
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(listen_with_timings(
        cfg,
        rest.clone(),
        identity,
        tx,
        shutdown.clone(),
        timings(),
    ));
    let bot = Bot {
        rest,
        rx,
        shutdown,
        handle,
    };
    wait_connected(&sim).await;
    SimBot {
        sim,
        bot,
        _stop: stop.drop_guard(),
    }
}

/// Until the simulator has an authorized socket (events before that would wait in its buffer anyway,
/// but a test that knows the bot is listening reads better).
async fn wait_connected(sim: &RunningWebexSim) {
    let http = reqwest::Client::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let state: Value = http
            .get(format!("{}/_sim/state", sim.base_url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if state["sockets"].as_u64().unwrap_or(0) > 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never connected: {state}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn say(from: &str, text: &str, room: &str, mention: bool) -> SayRequest {
    SayRequest {
        from: from.to_owned(),
        text: text.to_owned(),
        room: room.to_owned(),
        mention,
        parent_id: None,
        as_bot: false,
    }
}

fn cluster(id: &str) -> String {
    ids::decode(id).unwrap().cluster
}

/// A message and a card press on `cfg`'s simulator reach the bot with the simulator's own ids.
async fn message_and_card_press(cfg: WebexSimConfig, want_cluster: &str) {
    let mut s = sim_bot(cfg).await;
    assert_eq!(s.sim.hydra_cluster(), want_cluster);
    let asked = s
        .sim
        .say(say("alice@example.com", "vrf c9300", "netops", true))
        .unwrap();
    let m = s.bot.next().await;
    let m = message_of(&m);
    assert_eq!(m.message_id, asked.id);
    assert_eq!(m.room_id, asked.room_id);
    assert_eq!(cluster(&m.message_id), want_cluster);
    assert_eq!(m.text, "vrf c9300");

    // The bot's card (its own echo is ignored), then a person presses it.
    let card = json!({"contentType": "application/vnd.microsoft.card.adaptive",
                      "content": {"type": "AdaptiveCard", "version": "1.3", "body": []}});
    let http = reqwest::Client::new();
    let posted: Value = http
        .post(format!("{}/messages", s.sim.api_url()))
        .bearer_auth("sim-token")
        .json(&json!({"roomId": asked.room_id, "parentId": asked.id, "text": "ok?", "attachments": [card]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let card_id = posted["id"].as_str().unwrap();
    let action = s
        .sim
        .press("alice@example.com", card_id, json!({"choice": "approve"}))
        .unwrap();
    match s.bot.next().await {
        Inbound::CardSubmit(c) => {
            assert_eq!(c.action_id, action.id);
            assert_eq!(cluster(&c.action_id), want_cluster);
            assert_eq!(c.card_message_id, card_id);
            assert_eq!(c.room_id, asked.room_id);
            assert_eq!(c.sender.email, "alice@example.com");
            assert_eq!(c.inputs["choice"], "approve");
        }
        other => panic!("expected the card press, got {other:?}"),
    }
    let (res, rest) = s.bot.stop().await;
    assert!(res.is_ok(), "{res:?}");
    assert!(rest.is_empty(), "nothing else arrived: {rest:?}");
}

#[tokio::test]
async fn events_resolve_on_the_default_cluster() {
    message_and_card_press(WebexSimConfig::default(), "us").await;
}

#[tokio::test]
async fn events_resolve_on_a_non_default_cluster() {
    message_and_card_press(WebexSimConfig::default().with_cluster("eu-central-1_k"), EU).await;
}

#[tokio::test]
async fn a_space_homed_on_another_cluster_resolves_through_the_conversation_service() {
    // The catalog puts the host in `us`, so the id built from it is a 404; the conversation service
    // named by the activity knows the space's cluster.
    let mut s = sim_bot(WebexSimConfig::default()).await;
    let room = ids::encode(
        EU,
        patchpanel::webex::ids::HydraKind::Room,
        &uuid::Uuid::new_v4().to_string(),
    );
    let asked = s
        .sim
        .say(say("alice@example.com", "help", &room, true))
        .unwrap();
    let m = s.bot.next().await;
    let m = message_of(&m);
    assert_eq!(m.message_id, asked.id);
    assert_eq!(cluster(&m.message_id), EU);
    assert_eq!(m.room_id, room);
    let (res, _) = s.bot.stop().await;
    assert!(res.is_ok(), "{res:?}");
}
