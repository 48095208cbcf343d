//! The Mercury socket from the client side (docs/webex.md §2, §3): upgrade, authorization,
//! buffer_state, ping/pong, frame types, activities, acks and redelivery, replacement.

use super::*;
use patchpanel::webex::ids::HydraKind;
use patchpanel_sim::webex::BOT_UUID;

#[tokio::test]
async fn upgrade_of_unknown_registration_is_404() {
    let s = sim().await;
    let host = s.sim.base_url.trim_start_matches("http://");
    let url = format!(
        "ws://{host}/mercury/v1/apps/wx2/registrations/{}/messages",
        uuid::Uuid::new_v4()
    );
    let err = tokio_tungstenite::connect_async(url).await.unwrap_err();
    assert_eq!(upgrade_status(err), 404);
}

#[tokio::test]
async fn auth_frame_buffer_state_ping_and_binary_frames() {
    let s = sim().await;
    let dev = s.device("pp").await;
    // Without outboundWireFormat=text every frame is binary.
    let mut ws = connect(&ws_url(&dev, false)).await;
    auth(&mut ws, TOKEN).await;
    let first = next_msg(&mut ws).await;
    let Message::Binary(b) = first else {
        panic!("expected binary, got {first:?}")
    };
    let env: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(env["data"]["eventType"], "mercury.buffer_state");
    for k in [
        "id",
        "timestamp",
        "trackingId",
        "sequenceNumber",
        "filterMessage",
        "alertType",
        "headers",
        "wsWriteTimestamp",
    ] {
        assert!(env.get(k).is_some(), "envelope lacks {k}");
    }
    let seq = env["sequenceNumber"].as_u64().unwrap();
    send(&mut ws, json!({"id": "p-1", "type": "ping"})).await;
    let pong = next_json(&mut ws).await;
    assert_eq!(pong["type"], "pong");
    assert_eq!(pong["id"], "p-1");
    assert_eq!(pong["sequenceNumber"].as_u64().unwrap(), seq + 1);

    // Text mode when asked.
    let mut ws = connect(&ws_url(&dev, true)).await;
    auth(&mut ws, TOKEN).await;
    assert!(matches!(next_msg(&mut ws).await, Message::Text(_)));
}

/// The authorization deadline passes in virtual time (it is shorter than the frame wait `WAIT`,
/// on the same clock).
#[tokio::test(start_paused = true)]
async fn missing_auth_frame_closes_with_1008() {
    let cfg = WebexSimConfig {
        auth_timeout: Duration::from_secs(5),
        ..WebexSimConfig::default()
    };
    let s = sim_with(cfg).await;
    let dev = s.device("pp").await;
    let mut ws = connect(&ws_url(&dev, true)).await;
    let (code, reason) = close_code(&mut ws).await;
    assert_eq!(code, 1008);
    assert!(reason.contains("authentication did not happen"));
    // A first frame that is not an authorization fails too.
    let mut ws = connect(&ws_url(&dev, true)).await;
    send(&mut ws, json!({"id": "1", "type": "ping"})).await;
    assert_eq!(close_code(&mut ws).await.0, 1008);
}

#[tokio::test]
async fn say_direct_delivers_a_post_activity_readable_over_rest() {
    let s = sim().await;
    let (_dev, mut ws) = s.connected().await;
    let mut sub = s.sim.subscribe();
    let id = s
        .say("engineer@example.com", "vrf c9300", "direct", false)
        .await;
    let (env, act) = next_activity(&mut ws).await;
    assert!(env["sequenceNumber"].as_u64().unwrap() >= 2);
    assert_eq!(act["verb"], "post");
    assert_eq!(act["id"], uuid_of(&id));
    assert_eq!(act["actor"]["type"], "PERSON");
    assert_eq!(act["actor"]["emailAddress"], "engineer@example.com");
    assert_eq!(act["actor"]["entryEmail"], "engineer@example.com");
    assert_eq!(act["actor"]["displayName"], "engineer");
    assert_eq!(act["actor"]["id"], act["actor"]["entryUUID"]);
    assert_eq!(act["object"]["objectType"], "comment");
    assert!(
        !act.to_string().contains("vrf c9300"),
        "plaintext on the socket"
    );
    assert_eq!(act["target"]["tags"], json!(["ONE_ON_ONE"]));
    let room_uuid = act["target"]["id"].as_str().unwrap();
    assert_eq!(
        act["target"]["url"],
        format!(
            "{}/conversation/api/v1/conversations/{room_uuid}",
            s.sim.base_url
        )
    );
    assert!(act["encryptionKeyUrl"].is_string() && act["published"].is_string());

    let hydra = ids::encode("us", HydraKind::Message, act["id"].as_str().unwrap());
    let m: Value = s
        .get(&format!("/v1/messages/{hydra}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["id"], id.as_str());
    assert_eq!(m["text"], "vrf c9300");
    assert_eq!(m["roomType"], "direct");
    assert_eq!(m["personEmail"], "engineer@example.com");
    assert_eq!(uuid_of(m["roomId"].as_str().unwrap()), room_uuid);
    assert_eq!(sub.recv().await.unwrap().id, id);

    let mem: Value = s
        .get(&format!(
            "/v1/memberships?roomId={}&personEmail=engineer@example.com",
            m["roomId"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mem["items"].as_array().unwrap().len(), 1);
    assert_eq!(mem["items"][0]["personEmail"], "engineer@example.com");
    let room: Value = s
        .get(&format!("/v1/rooms/{}", m["roomId"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(room["type"], "direct");
    let person: Value = s
        .get(&format!("/v1/people/{}", m["personId"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(person["type"], "person");
}

#[tokio::test]
async fn group_mentions_and_undelivered_chatter() {
    let s = sim().await;
    let (_dev, mut ws) = s.connected().await;
    let quiet = s.say("a@example.com", "lunch?", "netops", false).await;
    let loud = s
        .say("a@example.com", "show iface c9300 Gi1/0/2", "netops", true)
        .await;
    // The unmentioned group message never reaches the bot: the first event is the mention.
    let (_env, act) = next_activity(&mut ws).await;
    assert_eq!(act["id"], uuid_of(&loud));
    assert!(act["target"]["tags"].as_array().unwrap().is_empty());
    assert_eq!(act["object"]["mentions"]["items"][0]["id"], BOT_UUID);

    let m: Value = s
        .get(&format!("/v1/messages/{loud}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["roomType"], "group");
    assert!(m["text"].as_str().unwrap().starts_with("patchpanel "));
    let bot_id = s.sim.bot_person_id();
    let mention = format!(
        "<spark-mention data-object-type=\"person\" data-object-id=\"{bot_id}\">patchpanel</spark-mention> show iface"
    );
    assert!(
        m["html"].as_str().unwrap().contains(&mention),
        "{}",
        m["html"]
    );
    assert_eq!(m["mentionedPeople"], json!([bot_id]));
    let r = s.get(&format!("/v1/messages/{quiet}")).await;
    assert_eq!(r.status(), 403);

    let room = m["roomId"].as_str().unwrap();
    assert_eq!(
        s.get(&format!("/v1/messages?roomId={room}")).await.status(),
        403
    );
    let list: Value = s
        .get(&format!(
            "/v1/messages?roomId={room}&mentionedPeople=me&max=10"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["id"], loud.as_str());
    let members: Value = s
        .get(&format!("/v1/memberships?roomId={room}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(members["items"].as_array().unwrap().len(), 2);
    let rooms: Value = s.get("/v1/rooms").await.json().await.unwrap();
    assert_eq!(rooms["items"][0]["title"], "netops");

    // A second bot is a non-PERSON actor and a `bot` person.
    s.control(
        "/_sim/say",
        json!({"from": "other@webex.bot", "text": "hi", "room": "direct", "mention": false, "asBot": true}),
    )
    .await;
    let (_env, act) = next_activity(&mut ws).await;
    assert_ne!(act["actor"]["type"], "PERSON");
    let who: Value = s
        .get(&format!(
            "/v1/people/{}",
            ids::encode(
                "us",
                HydraKind::People,
                act["actor"]["id"].as_str().unwrap()
            )
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(who["type"], "bot");
}

#[tokio::test]
async fn card_press_delivers_card_action_and_rest_action() {
    let s = sim().await;
    let (_dev, mut ws) = s.connected().await;
    let card = json!({"contentType": "application/vnd.microsoft.card.adaptive",
                      "content": {"type": "AdaptiveCard", "version": "1.3", "body": []}});
    let r = s
        .post("/v1/messages", json!({"toPersonEmail": "approver@example.com", "text": "approve?", "attachments": [card]}))
        .await;
    assert_eq!(r.status(), 200);
    let msg: Value = r.json().await.unwrap();
    let (echo, _) = next_activity(&mut ws).await;
    ack(&mut ws, &echo).await;

    let all: Value = s.get("/_sim/messages").await.json().await.unwrap();
    assert_eq!(
        all["items"][0]["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(all["items"][0]["roomType"], "direct");

    let pressed = s
        .control("/_sim/press", json!({"from": "approver@example.com", "messageId": msg["id"], "inputs": {"action": "approve"}}))
        .await;
    let action_id = pressed["actionId"].as_str().unwrap();
    let (_env, act) = next_activity(&mut ws).await;
    assert_eq!(act["verb"], "cardAction");
    assert_eq!(act["id"], uuid_of(action_id));
    assert_eq!(act["parent"]["id"], uuid_of(msg["id"].as_str().unwrap()));
    assert_eq!(act["object"]["objectType"], "submit");
    assert!(!act.to_string().contains("approve\""));
    let hydra = ids::encode(
        "us",
        HydraKind::AttachmentAction,
        act["id"].as_str().unwrap(),
    );
    let a: Value = s
        .get(&format!("/v1/attachment/actions/{hydra}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["type"], "submit");
    assert_eq!(a["messageId"], msg["id"]);
    assert_eq!(a["inputs"], json!({"action": "approve"}));
    assert_eq!(a["roomId"], msg["roomId"]);
    // Pressing something that is not a card is refused.
    let r = s
        .post(
            "/_sim/press",
            json!({"from": "x@example.com", "messageId": "nope", "inputs": {}}),
        )
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn unacked_frames_are_redelivered_to_the_same_registration() {
    let s = sim().await;
    let (dev, mut ws) = s.connected().await;
    let id = s.say("engineer@example.com", "one", "direct", false).await;
    let (env, _) = next_activity(&mut ws).await;
    let state: Value = s.get("/_sim/state").await.json().await.unwrap();
    assert_eq!(state["devices"][0]["unacked"], 1);
    assert_eq!(state["devices"][0]["sockets"], 1);
    ws.close(None).await.unwrap();

    let mut ws = connect_ready(&ws_url(&dev, true)).await;
    let (again, act) = next_activity(&mut ws).await;
    assert_eq!(again["id"], env["id"]);
    assert_eq!(act["id"], uuid_of(&id));
    ack(&mut ws, &again).await;
    // The ack is processed before the next frame is read, so a ping round-trip orders it.
    send(&mut ws, json!({"id": "sync", "type": "ping"})).await;
    assert_eq!(next_json(&mut ws).await["type"], "pong");
    ws.close(None).await.unwrap();

    let mut ws = connect_ready(&ws_url(&dev, true)).await;
    let two = s.say("engineer@example.com", "two", "direct", false).await;
    let (_env, act) = next_activity(&mut ws).await;
    assert_eq!(act["id"], uuid_of(&two), "acked frame was redelivered");

    // A duplicate delivery: same activity, new envelope.
    let replay = s.control("/_sim/replay", json!({"messageId": two})).await;
    let (env, act) = next_activity(&mut ws).await;
    assert_eq!(env["id"], replay["envelopeId"]);
    assert_eq!(act["id"], uuid_of(&two));
}

#[tokio::test]
async fn a_second_socket_replaces_the_first() {
    let s = sim().await;
    let (dev, mut first) = s.connected().await;
    let mut second = connect_ready(&ws_url(&dev, true)).await;
    assert_eq!(close_code(&mut first).await, (4000, "replaced".to_owned()));
    let id = s.say("engineer@example.com", "hi", "direct", false).await;
    let (_env, act) = next_activity(&mut second).await;
    assert_eq!(act["id"], uuid_of(&id));
}
