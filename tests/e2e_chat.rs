//! End to end over the real wire: `patchpanel sim webex`, `patchpanel sim device` and `patchpanel run`
//! as separate processes; the Webex simulator's control API plays the people in the chat.

mod common;

use common::*;
use patchpanel::webex::ids::{self, HydraKind};
use serde_json::json;
use std::time::Duration;

const EU: &str = "urn:TEAM:eu-central-1_k";

struct Setup {
    _dir: tempfile::TempDir,
    _webex: WebexSim,
    _bot: Proc,
    control: Control,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let webex = WebexSim::start(dir.path());
    let bot = start_bot(dir.path(), &webex, &[]);
    let control = Control::new(&webex, dir.path());
    control.wait_connected().await;
    Setup {
        _dir: dir,
        _webex: webex,
        _bot: bot,
        control,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_and_group_messages_each_get_one_reply_in_their_thread() {
    let s = setup().await;
    let direct = s
        .control
        .say("engineer@example.com", "help", "direct", false)
        .await;
    let reply = s.control.only_reply(&direct).await;
    let asked = s.control.message(&direct).await;
    assert_eq!(reply["roomId"], asked["roomId"]);
    assert!(
        reply_text(&reply).contains("vrf"),
        "help lists the commands"
    );

    let group = s
        .control
        .say("engineer@example.com", "help vrf", "netops-space", true)
        .await;
    let reply = s.control.only_reply(&group).await;
    let asked = s.control.message(&group).await;
    assert_eq!(reply["roomId"], asked["roomId"]);
    assert_eq!(
        reply["parentId"],
        group.as_str(),
        "the reply is threaded under the message"
    );

    // A reply inside an existing thread goes under the same thread root.
    let in_thread = s
        .control
        .post(
            "/_sim/say",
            json!({"from": "engineer@example.com", "text": "help", "room": "netops-space", "mention": true, "parentId": group}),
        )
        .await["messageId"]
        .as_str()
        .unwrap()
        .to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let in_root: Vec<_> = s.control.replies_to(&group).await;
        if in_root.len() == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no threaded reply for {in_thread}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_and_other_bots_messages_get_no_reply() {
    let s = setup().await;
    let from_bot = s.control.say_as_bot("otherbot@webex.bot", "help").await;
    // A person's message afterwards proves the bot is alive and has processed the earlier event.
    let person = s
        .control
        .say("engineer@example.com", "help", "direct", false)
        .await;
    s.control.only_reply(&person).await;
    assert!(s.control.replies_to(&from_bot).await.is_empty());
    // The bot's own replies come back over its socket (as on real Webex) and are not answered:
    // every bot message is a reply to a person's message, never to one of its own.
    let messages = s.control.messages().await;
    let bot_ids: Vec<_> = messages
        .iter()
        .filter(|m| m["personEmail"] == BOT_EMAIL)
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(bot_ids.len(), 1, "{messages:#?}");
    assert!(messages.iter().all(|m| !bot_ids.contains(&m["parentId"])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_gets_only_a_refusal() {
    let s = setup().await;
    let id = s
        .control
        .say("eve@elsewhere.example", "vrf c9300", "direct", false)
        .await;
    let reply = s.control.only_reply(&id).await;
    let text = reply_text(&reply);
    assert!(text.contains("not allowed"), "{text}");
    assert!(
        !text.contains("c9300"),
        "nothing about the device leaks to a stranger: {text}"
    );
    // A whole allowed domain works.
    let id = s
        .control
        .say("anyone@ops.example.com", "help", "direct", false)
        .await;
    assert!(!reply_text(&s.control.only_reply(&id).await).contains("not allowed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_drop_the_bot_reconnects_and_answers() {
    let s = setup().await;
    s.control.post("/_sim/drop", json!({})).await;
    // No waiting for the reconnect: a message Webex could not deliver stays unacknowledged and is
    // delivered again on the bot's next socket, so it must be answered once either way.
    let id = s
        .control
        .say("engineer@example.com", "help", "direct", false)
        .await;
    s.control.only_reply(&id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_on_reply_delays_it_and_it_is_delivered_once() {
    let s = setup().await;
    s.control
        .post(
            "/_sim/fail",
            json!({"path": "/v1/messages", "status": 429, "times": 1, "retryAfter": 1}),
        )
        .await;
    let started = std::time::Instant::now();
    let id = s
        .control
        .say("engineer@example.com", "help", "direct", false)
        .await;
    s.control.only_reply(&id).await;
    // The only way the reply exists is through a retry after the 429; the bot waited for it.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the bot honoured Retry-After"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_delivered_twice_is_answered_once() {
    let s = setup().await;
    let id = s
        .control
        .say("engineer@example.com", "help", "direct", false)
        .await;
    s.control
        .post("/_sim/replay", json!({"messageId": id}))
        .await;
    s.control
        .post("/_sim/replay", json!({"messageId": id}))
        .await;
    s.control.only_reply(&id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_reply_and_never_kills_the_bot() {
    let s = setup().await;
    let long = "vrf ".repeat(2_560); // 10 KB
                                     // A message that is only the bot's @mention: nothing left to parse.
    for only_mention in ["", "  \u{a0} "] {
        let id = s
            .control
            .say("engineer@example.com", only_mention, "netops-space", true)
            .await;
        let reply = s.control.only_reply(&id).await;
        assert!(
            reply_text(&reply).contains("help"),
            "{}",
            reply_text(&reply)
        );
    }

    let cases: Vec<(String, &str)> = vec![
        (long, "long"),
        ("vrf c9300 \u{7}\u{1b}[31m".to_owned(), "control"),
        ("show iface c9300 “Gi1/0/2".to_owned(), "quote"),
        ("décline #42 ✅ 👍🏽 עברית".to_owned(), ""),
    ];
    for (text, expect) in cases {
        let id = s
            .control
            .say("engineer@example.com", &text, "direct", false)
            .await;
        let reply = s.control.only_reply(&id).await;
        let answer = reply_text(&reply).to_lowercase();
        assert!(!answer.is_empty());
        assert!(answer.contains(expect), "input {text:?} → {answer}");
    }
    // A malformed socket frame is skipped; the bot keeps answering.
    s.control
        .post("/_sim/raw", json!({"text": "{not json"}))
        .await;
    s.control.post("/_sim/raw", json!({"text": "{\"id\":\"x\",\"data\":{\"eventType\":\"conversation.activity\",\"activity\":{\"verb\":\"post\"}}}"})).await;
    let id = s
        .control
        .say("engineer@example.com", "help", "direct", false)
        .await;
    s.control.only_reply(&id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vrf_and_show_iface_read_the_switch_over_restconf_and_netconf() {
    let dir = tempfile::tempdir().expect("tempdir");
    let webex = WebexSim::start(dir.path());
    let device = DeviceSim::start(dir.path());
    let env = device_env(dir.path(), &device);
    let _bot = start_bot(dir.path(), &webex, &env);
    let control = Control::new(&webex, dir.path());
    control.wait_connected().await;

    for (device_name, protocol) in [("c9300", "restconf"), ("c9300-nc", "netconf")] {
        let id = control
            .say(
                "engineer@example.com",
                &format!("vrf {device_name}"),
                "direct",
                false,
            )
            .await;
        let text = reply_text(&control.only_reply(&id).await);
        assert!(text.contains("BLUE") && text.contains("65000:1"), "{text}");
        assert!(
            text.to_lowercase().contains(protocol),
            "names the protocol: {text}"
        );

        let id = control
            .say(
                "engineer@example.com",
                &format!("show iface {device_name} gi1/0/2"),
                "direct",
                false,
            )
            .await;
        let text = reply_text(&control.only_reply(&id).await);
        assert!(text.contains("GigabitEthernet1/0/2"), "{text}");
        assert!(text.to_lowercase().contains(protocol), "{text}");
    }
    let id = control
        .say(
            "engineer@example.com",
            "show iface c9300 Gi9/9/9",
            "direct",
            false,
        )
        .await;
    let text = reply_text(&control.only_reply(&id).await);
    assert!(
        text.contains("GigabitEthernet9/9/9"),
        "names the missing interface: {text}"
    );
}

fn cluster_of(id: &serde_json::Value) -> String {
    ids::decode(id.as_str().expect("an id"))
        .expect("a hydra id")
        .cluster
}

/// The chat round trip against a simulated org homed on `cluster` (`None`: the default cluster): a
/// group and a direct message are each answered once in their thread, a card press is handled, and a
/// message in a space homed on the other cluster is answered as well.
async fn chat_round_trip(cluster: Option<&str>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let webex = match cluster {
        Some(c) => WebexSim::start_on_cluster(dir.path(), c),
        None => WebexSim::start(dir.path()),
    };
    let _bot = start_bot(dir.path(), &webex, &[]);
    let control = Control::new(&webex, dir.path());
    control.wait_connected().await;
    let (home, other) = match cluster {
        Some(_) => (EU, "us"),
        None => ("us", EU),
    };

    let group = control
        .say("engineer@example.com", "help vrf", "netops-space", true)
        .await;
    assert_eq!(cluster_of(&json!(group)), home);
    let reply = control.only_reply(&group).await;
    let asked = control.message(&group).await;
    assert_eq!(reply["roomId"], asked["roomId"]);
    assert_eq!(
        reply["parentId"],
        group.as_str(),
        "threaded under the message"
    );
    assert_eq!(cluster_of(&reply["id"]), home);
    assert!(reply_text(&reply).contains("vrf"), "{}", reply_text(&reply));

    let direct = control
        .say("engineer@example.com", "help", "direct", false)
        .await;
    let reply = control.only_reply(&direct).await;
    let asked = control.message(&direct).await;
    assert_eq!(reply["roomId"], asked["roomId"]);
    assert_eq!(reply["parentId"], direct.as_str());

    // A card press is fetched and handled (authorized like a message): this card is not one of
    // the bot's approval cards, and the answer, in the card's room, says so.
    let card = control
        .post_card_as_bot(asked["roomId"].as_str().expect("roomId"))
        .await;
    let card_id = card["id"].as_str().expect("card id").to_owned();
    let action = control
        .press(
            "engineer@example.com",
            &card_id,
            json!({"choice": "approve"}),
        )
        .await;
    assert_eq!(cluster_of(&json!(action)), home);
    let room = asked["roomId"].as_str().expect("roomId");
    let handled = control.only_room_reply_for(room, &action).await;
    assert!(
        reply_text(&handled).contains("not a patchpanel card"),
        "{}",
        reply_text(&handled)
    );

    // A space of another org, homed on the other cluster: the catalog's cluster is wrong for it.
    let foreign = ids::encode(other, HydraKind::Room, &uuid::Uuid::new_v4().to_string());
    let id = control
        .say("engineer@example.com", "help", &foreign, true)
        .await;
    assert_eq!(cluster_of(&json!(id)), other);
    let reply = control.only_reply(&id).await;
    assert_eq!(reply["roomId"], foreign.as_str());
    assert_eq!(reply["parentId"], id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_answers_on_the_default_cluster() {
    chat_round_trip(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_answers_on_a_non_default_cluster() {
    chat_round_trip(Some("eu-central-1_k")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_sending_five_messages_gets_one_refusal() {
    let s = setup().await;
    let mut asked = Vec::new();
    for _ in 0..5 {
        asked.push(
            s.control
                .say("eve@elsewhere.example", "vrf c9300", "direct", false)
                .await,
        );
    }
    // An allowed person's later message is answered: the five before it have been handled.
    let later = s
        .control
        .say("engineer@example.com", "help", "direct", false)
        .await;
    s.control.only_reply(&later).await;
    let mut refusals = Vec::new();
    for id in &asked {
        refusals.extend(s.control.replies_to(id).await);
    }
    assert_eq!(refusals.len(), 1, "one refusal: {refusals:#?}");
    assert!(reply_text(&refusals[0]).contains("not allowed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_event_after_a_restart_is_answered_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let webex = WebexSim::start(dir.path());
    let control = Control::new(&webex, dir.path());
    let first_run = start_bot(dir.path(), &webex, &[]);
    control.wait_connected().await;
    let asked = control
        .say("engineer@example.com", "help", "direct", false)
        .await;
    control.only_reply(&asked).await;
    // Killed like a crash; the second run uses the same PATCHPANEL_DB and WDM device.
    drop(first_run);
    let _second_run = start_bot(dir.path(), &webex, &[]);
    control.wait_connected().await;
    let fresh = control
        .say("engineer@example.com", "help vrf", "direct", false)
        .await;
    control.only_reply(&fresh).await;

    control
        .post("/_sim/replay", json!({"messageId": asked}))
        .await;
    // Answered after the replay was delivered (same socket, in order).
    let later = control
        .say("engineer@example.com", "help", "direct", false)
        .await;
    control.only_reply(&later).await;
    let replies = control.replies_to(&asked).await;
    assert_eq!(replies.len(), 1, "answered once: {replies:#?}");
}
