//! Device registration and the Mercury socket: reuse, replacement after 404 and 403, close codes,
//! drops, shutdown frames, silence, malformed frames, own activities, duplicates.

use std::collections::HashSet;

use base64::Engine as _;
use patchpanel::inbound::RoomKind;

use super::*;

#[tokio::test]
async fn happy_path_discovers_registers_acks_fetches_and_shuts_down() {
    let s = Sim::start().await;
    let old = s.device().await;
    let mark = s.mark();
    let mut bot = Bot::start(&s, timings()).await;

    // The listed device is reused (PUT, no new one), and the socket gets our query parameters.
    let sock = s.socket(1).await;
    let put = s.requests(mark, "PUT", "/wdm/api/v1/devices/");
    assert_eq!(put.len(), 1, "{put:?}");
    assert!(put[0].path.ends_with(&uuid_of_device(&old)), "{put:?}");
    assert!(s.requests(mark, "POST", "/wdm").is_empty());
    assert_eq!(sock.registration, registration_of(&old));
    // The simulator requires `Bearer test-token` in the authorization frame.
    assert!(sock.authorized);
    for p in [
        "outboundWireFormat=text",
        "bufferStates=true",
        "aliasHttpStatus=true",
    ] {
        assert!(sock.query.contains(p), "{}", sock.query);
    }

    let asked = s.say("vrf c9300", "netops");
    let m = bot.next().await;
    let m = message_of(&m);
    assert_eq!(m.event_id, uuid_of(&asked.id));
    assert_eq!(m.message_id, asked.id);
    assert_eq!(m.text, "vrf c9300");
    assert_eq!(m.room_kind, RoomKind::Group);
    assert_eq!(m.room_id, asked.room_id);
    assert_eq!(m.reply_parent_id, m.message_id);
    assert_eq!(m.sender.email, ALICE);
    // Every frame delivered was acked.
    let deadline = std::time::Instant::now() + WAIT;
    while s.unacked().await > 0 {
        assert!(std::time::Instant::now() < deadline, "frames left unacked");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    // A card press whose actor has no email: the sender comes from GET /people/{id}.
    let card = s.card(&asked).await;
    s.control("/_sim/options", json!({"actorEmail": false}))
        .await;
    let mark = s.mark();
    let action = s
        .sim
        .press(ALICE, &card, json!({"choice": "approve", "n": 2}))
        .unwrap();
    match bot.next().await {
        Inbound::CardSubmit(c) => {
            assert_eq!(c.action_id, action.id);
            assert_eq!(c.sender.email, ALICE);
            assert_eq!(c.inputs["choice"], "approve");
            assert_eq!(c.inputs["n"], "2");
            assert_eq!(c.card_message_id, card);
        }
        other => panic!("{other:?}"),
    }
    let people = s.requests(mark, "GET", "/v1/people/");
    assert_eq!(people.len(), 1, "{people:?}");

    let ids = bot
        .rest
        .send_reply(&Reply {
            room_id: asked.room_id.clone(),
            parent_id: Some(m.message_id.clone()),
            markdown: "**ok**".into(),
        })
        .await
        .unwrap();
    let posted = s.bot_posts();
    let last = posted.last().unwrap();
    assert_eq!(ids, vec![last.id.clone()]);
    assert_eq!(
        (&last.room_id, &last.parent_id, &last.markdown),
        (
            &asked.room_id,
            &Some(m.message_id.clone()),
            &Some("**ok**".into())
        )
    );
    assert!(last.html.is_none() && last.attachments.is_none());

    let (res, _) = bot.stop().await;
    assert!(res.is_ok(), "{res:?}");
    let log = s
        .until("the client's close frame", |l| {
            l.sockets[0].client_close.is_some()
        })
        .await;
    assert_eq!(log.sockets[0].client_close, Some(1000));
}

#[tokio::test]
async fn upgrade_404_registers_a_new_device() {
    let s = Sim::start().await;
    let stale = s.device().await;
    s.fail("GET", "/mercury", 404, 1).await;
    let mark = s.mark();
    let bot = Bot::start(&s, timings()).await;
    let sock = s.socket(1).await;
    let put = s.requests(mark, "PUT", "/wdm/api/v1/devices/");
    assert!(put[0].path.ends_with(&uuid_of_device(&stale)), "{put:?}");
    let post = s.requests(mark, "POST", "/wdm/api/v1/devices");
    assert_eq!(post.len(), 1, "{post:?}");
    let new: Vec<Value> = s
        .devices()
        .await
        .into_iter()
        .filter(|d| d["url"] != stale["url"])
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(sock.registration, registration_of(&new[0]));
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn excessive_registrations_delete_our_oldest_device_and_retry() {
    let s = Sim::start_with(WebexSimConfig {
        device_limit: 3,
        ..WebexSimConfig::default()
    })
    .await;
    let mut made = Vec::new();
    for _ in 0..3 {
        made.push(s.device().await);
        // Distinct modification times (milliseconds), so "oldest" means one device.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let made: Vec<String> = made.iter().map(uuid_of_device).collect();
    let [oldest, mid, newest] = <[String; 3]>::try_from(made).unwrap();
    s.fail("PUT", "/wdm/api/v1/devices/", 404, 1).await;
    let mark = s.mark();
    let bot = Bot::start(&s, timings()).await;
    let sock = s.socket(1).await;
    let deleted = s.requests(mark, "DELETE", "/wdm/api/v1/devices/");
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert!(deleted[0].path.ends_with(&oldest), "{deleted:?}");
    let posts: Vec<u16> = s
        .requests(mark, "POST", "/wdm/api/v1/devices")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        posts,
        vec![403, 200],
        "refused, then retried after the delete"
    );
    let devices = s.devices().await;
    let names: Vec<String> = devices.iter().map(uuid_of_device).collect();
    assert_eq!(names[..2], [mid, newest]);
    assert_eq!(names.len(), 3);
    assert_eq!(sock.registration, registration_of(&devices[2]));
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn close_4401_stops_with_token_rejected() {
    let s = Sim::start().await;
    let bot = Bot::start(&s, timings()).await;
    s.socket(1).await;
    let r = s
        .control(
            "/_sim/close",
            json!({"code": 4401, "reason": "not authorized"}),
        )
        .await;
    assert_eq!(r["sockets"], 1);
    let res = bot.finished().await;
    assert!(matches!(res, Err(WebexError::TokenRejected)), "{res:?}");
    assert_eq!(s.sim.log().sockets.len(), 1);
}

#[tokio::test]
async fn close_4000_replaced_stops_with_replaced() {
    let s = Sim::start().await;
    let bot = Bot::start(&s, timings()).await;
    s.socket(1).await;
    s.control("/_sim/close", json!({"code": 4000, "reason": "replaced"}))
        .await;
    let res = bot.finished().await;
    let err = res.unwrap_err();
    assert!(matches!(err, WebexError::Replaced), "{err:?}");
    assert!(err.to_string().contains("single instance"));
    assert!(!err.to_string().contains(TOKEN));
}

#[tokio::test]
async fn abnormal_drop_reconnects() {
    let s = Sim::start().await;
    let mut bot = Bot::start(&s, timings()).await;
    s.socket(1).await;
    s.control("/_sim/drop", json!({})).await;
    s.socket(2).await;
    // The new socket works.
    let asked = s.say("vrf c9300", "netops");
    assert_eq!(bot.next().await.event_id(), uuid_of(&asked.id));
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn server_shutdown_frame_reconnects() {
    let s = Sim::start().await;
    let bot = Bot::start(&s, timings()).await;
    s.socket(1).await;
    let shutdown = json!({"id": "sd-1", "type": "shutdown"}).to_string();
    s.control("/_sim/raw", json!({"text": shutdown})).await;
    s.until("ack of the shutdown frame", |l| {
        l.sockets[0].acks.iter().any(|a| a == "sd-1")
    })
    .await;
    s.socket(2).await;
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

/// Pings go unanswered; the pong deadline (virtual time, so the test waits for none of it) ends
/// the socket and the client reconnects.
#[tokio::test(start_paused = true)]
async fn silent_socket_reconnects() {
    let s = Sim::start().await;
    s.control("/_sim/options", json!({"pongs": false})).await;
    let t = MercuryTimings {
        ping_interval: Duration::from_secs(15),
        pong_timeout: Duration::from_secs(10),
        silence_timeout: Duration::from_secs(60),
        ..timings()
    };
    let bot = Bot::start(&s, t).await;
    s.socket(1).await;
    s.socket(2).await;
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn malformed_frames_are_skipped_without_reconnecting() {
    let s = Sim::start().await;
    let mut bot = Bot::start(&s, timings()).await;
    s.socket(1).await;
    let b64 = base64::engine::general_purpose::STANDARD.encode([0xffu8, 0xfe, 0x00]);
    for frame in [
        json!({"text": "not json {"}),
        json!({"binaryBase64": b64}),
        json!({"text": r#"{"id":5,"data":[]}"#}),
        json!({"text": r#"{"data":{"eventType":"conversation.activity","activity":{"verb":"post"}}}"#}),
    ] {
        s.control("/_sim/raw", frame).await;
    }
    let asked = s.say("vrf c9300", "netops");
    assert_eq!(bot.next().await.event_id(), uuid_of(&asked.id));
    assert_eq!(s.sim.log().sockets.len(), 1);
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn own_and_bot_activities_produce_no_inbound() {
    let s = Sim::start().await;
    // A message the bot wrote, before it listens (so the simulator never echoes it to the bot).
    let room = s.say("vrf c9300", "netops").room_id;
    let own = s.rest().notify(&room, "mine").await.unwrap().remove(0);
    let mut bot = Bot::start(&s, timings()).await;
    s.socket(1).await;
    let mark = s.mark();
    let bot_hydra = ids::encode("us", HydraKind::People, BOT_UUID);
    let other = || uuid::Uuid::new_v4().to_string();
    for frame in [
        activity(&s, "e1", &other(), BOT_UUID, "PERSON"),
        activity(&s, "e2", &other(), &bot_hydra, "PERSON"),
        activity(&s, "e3", &other(), "other-bot", "BOT"),
        // The socket event claims Alice, but REST says the bot wrote it.
        activity(&s, "e4", &uuid_of(&own), "alice-uuid", "PERSON"),
    ] {
        s.control("/_sim/raw", json!({"text": frame})).await;
    }
    let own_path = format!("/v1/messages/{own}");
    s.until("fetch of the bot's own message", |l| {
        l.requests[mark..].iter().any(|r| r.path == own_path)
    })
    .await;
    let ok = s.say("vrf c9300", "netops");
    assert_eq!(bot.next().await.event_id(), uuid_of(&ok.id));
    let (res, extra) = bot.stop().await;
    assert!(res.is_ok());
    assert!(extra.is_empty(), "{extra:?}");
    let gets: HashSet<String> = s
        .requests(mark, "GET", "/v1/messages/")
        .into_iter()
        .map(|r| r.path)
        .collect();
    let want: HashSet<String> = [&own, &ok.id]
        .iter()
        .map(|id| format!("/v1/messages/{id}"))
        .collect();
    assert_eq!(
        gets, want,
        "no REST call for activities filtered on the socket event"
    );
}

#[tokio::test]
async fn duplicate_activity_gives_one_inbound() {
    let s = Sim::start().await;
    let mut bot = Bot::start(&s, timings()).await;
    s.socket(1).await;
    let mark = s.mark();
    let dup = s.say("vrf c9300", "netops");
    let replayed = s
        .control("/_sim/replay", json!({"messageId": dup.id}))
        .await;
    let other = s.say("vrf c9300", "netops");
    let mut got = vec![
        bot.next().await.event_id().to_owned(),
        bot.next().await.event_id().to_owned(),
    ];
    got.sort();
    let mut want = vec![uuid_of(&dup.id), uuid_of(&other.id)];
    want.sort();
    assert_eq!(got, want);
    // Both deliveries were acked, even the duplicate.
    let again = replayed["envelopeId"].as_str().unwrap().to_owned();
    s.until("ack of the duplicate", |l| {
        l.sockets[0].acks.contains(&again)
    })
    .await;
    let (res, extra) = bot.stop().await;
    assert!(res.is_ok());
    assert!(extra.is_empty(), "{extra:?}");
    let dup_gets = s.requests(mark, "GET", &format!("/v1/messages/{}", dup.id));
    assert_eq!(dup_gets.len(), 1);
}
