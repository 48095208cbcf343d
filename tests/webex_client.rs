//! The Webex client against a small fake Webex (REST, U2C, WDM, Mercury) on 127.0.0.1, one test per
//! failure mode; and against the Webex simulator on both clusters (`clusters`).

#[path = "webex_client/clusters.rs"]
mod clusters;
#[path = "webex_client/fake.rs"]
mod fake;

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use fake::*;
use patchpanel::inbound::{Inbound, Reply, RoomKind};
use patchpanel::webex::ids::{encode, HydraKind};
use patchpanel::webex::{listen_with_timings, BotIdentity, MercuryTimings, WebexError, WebexRest};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

fn timings() -> MercuryTimings {
    MercuryTimings {
        ready_timeout: Duration::from_secs(5),
        ping_interval: Duration::from_secs(60),
        pong_timeout: Duration::from_secs(30),
        silence_timeout: Duration::from_secs(120),
        backoff_initial: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
    }
}

struct Bot {
    rest: WebexRest,
    rx: mpsc::Receiver<Inbound>,
    shutdown: CancellationToken,
    handle: JoinHandle<Result<(), WebexError>>,
}

impl Bot {
    async fn start(fake: &Fake, timings: MercuryTimings) -> Bot {
        let cfg = fake.config();
        let rest = WebexRest::new(&cfg).unwrap();
        let identity: BotIdentity = rest.me().await.unwrap();
        assert_eq!(identity.person_uuid, BOT_UUID);
        let (tx, rx) = mpsc::channel(16);
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(listen_with_timings(
            cfg,
            rest.clone(),
            identity,
            tx,
            shutdown.clone(),
            timings,
        ));
        Bot {
            rest,
            rx,
            shutdown,
            handle,
        }
    }

    async fn next(&mut self) -> Inbound {
        tokio::time::timeout(Duration::from_secs(20), self.rx.recv())
            .await
            .expect("an inbound event in time")
            .expect("listener alive")
    }

    async fn stop(self) -> (Result<(), WebexError>, Vec<Inbound>) {
        self.shutdown.cancel();
        let Bot { mut rx, handle, .. } = self;
        let res = tokio::time::timeout(Duration::from_secs(20), handle)
            .await
            .expect("listener stops")
            .unwrap();
        let mut rest = Vec::new();
        while let Ok(i) = rx.try_recv() {
            rest.push(i);
        }
        (res, rest)
    }

    async fn finished(self) -> Result<(), WebexError> {
        tokio::time::timeout(Duration::from_secs(20), self.handle)
            .await
            .expect("listener stops by itself")
            .unwrap()
    }
}

fn activity(env_id: &str, act_id: &str, verb: &str, actor_uuid: &str, actor_type: &str) -> String {
    json!({
        "id": env_id,
        "data": {"eventType": "conversation.activity", "activity": {
            "id": act_id, "objectType": "activity", "verb": verb,
            "published": "2026-01-01T00:00:00.000Z",
            "actor": {"id": actor_uuid, "entryUUID": actor_uuid, "objectType": "person",
                      "type": actor_type, "displayName": "Alice"},
            "object": {"objectType": "comment", "displayName": "JWE"},
            "target": {"id": "room-uuid", "objectType": "conversation",
                       "url": "https://conv-eu.example/conversation/api/v1/conversations/room-uuid",
                       "tags": []},
            "parent": {"id": "card-msg-uuid", "type": "reply"}
        }},
        "sequenceNumber": 1
    })
    .to_string()
}

fn group_message(person_uuid: &str) -> Value {
    json!({
        "roomId": "ROOM", "roomType": "group",
        "text": "Patch Panel vrf c9300",
        "html": format!("<p><spark-mention data-object-type=\"person\" data-object-id=\"{}\">Patch Panel</spark-mention> vrf c9300</p>", bot_person_id()),
        "personId": encode("us", HydraKind::People, person_uuid),
        "personEmail": "alice@example.com",
        "created": "2026-01-01T00:00:00.000Z"
    })
}

fn message_of(i: &Inbound) -> &patchpanel::inbound::ChatMessage {
    match i {
        Inbound::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

#[tokio::test]
async fn happy_path_discovers_registers_acks_fetches_and_shuts_down() {
    let mut fake = Fake::start().await;
    fake.add_device("old", "2025-01-01T00:00:00.000Z");
    fake.add_message("act-1", group_message(ALICE_UUID));
    let action_id = encode(EU, HydraKind::AttachmentAction, "act-2");
    fake.st.actions.lock().unwrap().insert(
        action_id.clone(),
        json!({"id": action_id, "type": "submit", "inputs": {"choice": "approve", "n": 2},
               "personId": encode("us", HydraKind::People, ALICE_UUID), "roomId": "ROOM"}),
    );
    let mut bot = Bot::start(&fake, timings()).await;

    // The listed device is reused (PUT), and the socket gets our query parameters.
    fake.wait_for(
        "device refresh",
        |e| matches!(e, Ev::DevicePut(id) if id == "old"),
    )
    .await;
    match fake.wait_for("auth", |e| matches!(e, Ev::Auth(_))).await {
        Ev::Auth(t) => assert_eq!(t, format!("Bearer {TOKEN}")),
        _ => unreachable!(),
    }
    let query = fake.connected(1).await;
    assert!(query.starts_with("old?existing=1&"), "{query}");
    for p in [
        "outboundWireFormat=text",
        "bufferStates=true",
        "aliasHttpStatus=true",
    ] {
        assert!(query.contains(p), "{query}");
    }

    fake.send(Cmd::Text(activity(
        "env-1", "act-1", "post", ALICE_UUID, "PERSON",
    )));
    fake.wait_for("ack", |e| matches!(e, Ev::Ack(id) if id == "env-1"))
        .await;
    let m = bot.next().await;
    let m = message_of(&m);
    assert_eq!(m.event_id, "act-1");
    assert_eq!(m.message_id, encode(EU, HydraKind::Message, "act-1"));
    assert_eq!(m.text, "vrf c9300");
    assert_eq!(m.room_kind, RoomKind::Group);
    assert_eq!(m.room_id, "ROOM");
    assert_eq!(m.reply_parent_id, m.message_id);
    assert_eq!(m.sender.email, "alice@example.com");

    // A card press; the actor has no email, so the sender comes from GET /people/{id}.
    let card = activity("env-2", "act-2", "cardAction", ALICE_UUID, "PERSON");
    fake.send(Cmd::Binary(card.into_bytes()));
    match bot.next().await {
        Inbound::CardSubmit(c) => {
            assert_eq!(c.action_id, action_id);
            assert_eq!(c.sender.email, "carol@example.com");
            assert_eq!(c.inputs["choice"], "approve");
            assert_eq!(c.inputs["n"], "2");
            // The REST answer has no messageId: the card message is the activity's parent.
            assert_eq!(
                c.card_message_id,
                encode(EU, HydraKind::Message, "card-msg-uuid")
            );
        }
        other => panic!("{other:?}"),
    }

    let ids = bot
        .rest
        .send_reply(&Reply {
            room_id: "ROOM".into(),
            parent_id: Some(m.message_id.clone()),
            markdown: "**ok**".into(),
        })
        .await
        .unwrap();
    assert_eq!(ids, vec!["sent-0".to_owned()]);
    let posted = fake.st.posted.lock().unwrap().clone();
    assert_eq!(
        posted,
        vec![json!({"roomId": "ROOM", "parentId": m.message_id, "markdown": "**ok**"})]
    );

    let (res, _) = bot.stop().await;
    assert!(res.is_ok(), "{res:?}");
    match fake.wait_for("close", |e| matches!(e, Ev::Closed(_))).await {
        Ev::Closed(code) => assert_eq!(code, 1000),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn upgrade_404_registers_a_new_device() {
    let mut fake = Fake::start().await;
    fake.add_device("stale", "2025-01-01T00:00:00.000Z");
    fake.st.upgrade_404.store(1, Ordering::SeqCst);
    let bot = Bot::start(&fake, timings()).await;
    fake.wait_for("refresh of the listed device", |e| {
        matches!(e, Ev::DevicePut(_))
    })
    .await;
    fake.wait_for("a new device", |e| matches!(e, Ev::DevicePost))
        .await;
    let query = fake.connected(1).await;
    assert!(query.starts_with("new0?"), "{query}");
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn excessive_registrations_delete_our_oldest_device_and_retry() {
    let mut fake = Fake::start().await;
    fake.add_device("mid", "2025-02-01T00:00:00.000Z");
    fake.add_device("oldest", "2025-01-01T00:00:00.000Z");
    fake.add_device("newest", "2025-03-01T00:00:00.000Z");
    fake.st.put_404.store(true, Ordering::SeqCst);
    fake.st.device_post_403.store(1, Ordering::SeqCst);
    let bot = Bot::start(&fake, timings()).await;
    match fake
        .wait_for("a delete", |e| matches!(e, Ev::DeviceDelete(_)))
        .await
    {
        Ev::DeviceDelete(id) => assert_eq!(id, "oldest"),
        _ => unreachable!(),
    }
    fake.wait_for("the retried POST", |e| matches!(e, Ev::DevicePost))
        .await;
    let query = fake.connected(1).await;
    assert!(query.starts_with("new0?"), "{query}");
    let names: Vec<String> = fake
        .st
        .devices
        .lock()
        .unwrap()
        .iter()
        .map(|d| {
            d["url"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(names, vec!["mid", "newest", "new0"]);
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn close_4401_stops_with_token_rejected() {
    let mut fake = Fake::start().await;
    let bot = Bot::start(&fake, timings()).await;
    fake.connected(1).await;
    fake.send(Cmd::Close(4401, "not authorized"));
    let res = bot.finished().await;
    assert!(matches!(res, Err(WebexError::TokenRejected)), "{res:?}");
    assert_eq!(fake.st.ws_connects.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn close_4000_replaced_stops_with_replaced() {
    let mut fake = Fake::start().await;
    let bot = Bot::start(&fake, timings()).await;
    fake.connected(1).await;
    fake.send(Cmd::Close(4000, "replaced"));
    let res = bot.finished().await;
    let err = res.unwrap_err();
    assert!(matches!(err, WebexError::Replaced), "{err:?}");
    assert!(err.to_string().contains("single instance"));
    assert!(!err.to_string().contains(TOKEN));
}

#[tokio::test]
async fn abnormal_drop_reconnects() {
    let mut fake = Fake::start().await;
    fake.add_message("act-9", group_message(ALICE_UUID));
    let mut bot = Bot::start(&fake, timings()).await;
    fake.connected(1).await;
    fake.send(Cmd::Drop);
    fake.connected(2).await;
    // The new socket works.
    fake.send(Cmd::Text(activity(
        "env-9", "act-9", "post", ALICE_UUID, "PERSON",
    )));
    assert_eq!(bot.next().await.event_id(), "act-9");
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn server_shutdown_frame_reconnects() {
    let mut fake = Fake::start().await;
    let bot = Bot::start(&fake, timings()).await;
    fake.connected(1).await;
    fake.send(Cmd::Text(
        json!({"id": "sd-1", "type": "shutdown"}).to_string(),
    ));
    fake.wait_for(
        "ack of the shutdown frame",
        |e| matches!(e, Ev::Ack(id) if id == "sd-1"),
    )
    .await;
    fake.connected(2).await;
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn silent_socket_reconnects() {
    let mut fake = Fake::start().await;
    fake.st.silent.store(true, Ordering::SeqCst);
    let t = MercuryTimings {
        ping_interval: Duration::from_millis(50),
        pong_timeout: Duration::from_millis(200),
        silence_timeout: Duration::from_millis(400),
        ..timings()
    };
    let bot = Bot::start(&fake, t).await;
    fake.connected(1).await;
    fake.connected(2).await;
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn malformed_frames_are_skipped_without_reconnecting() {
    let mut fake = Fake::start().await;
    fake.add_message("act-5", group_message(ALICE_UUID));
    let mut bot = Bot::start(&fake, timings()).await;
    fake.connected(1).await;
    fake.send(Cmd::Text("not json {".into()));
    fake.send(Cmd::Binary(vec![0xff, 0xfe, 0x00]));
    fake.send(Cmd::Text(r#"{"id":5,"data":[]}"#.into()));
    fake.send(Cmd::Text(
        r#"{"data":{"eventType":"conversation.activity","activity":{"verb":"post"}}}"#.into(),
    ));
    fake.send(Cmd::Text(activity(
        "env-5", "act-5", "post", ALICE_UUID, "PERSON",
    )));
    assert_eq!(bot.next().await.event_id(), "act-5");
    assert_eq!(fake.st.ws_connects.load(Ordering::SeqCst), 1);
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn rate_limited_reply_is_delayed_then_delivered_once() {
    let fake = Fake::start().await;
    fake.st.post_429.store(1, Ordering::SeqCst);
    let rest = WebexRest::new(&fake.config()).unwrap();
    let ids = rest
        .send_reply(&Reply {
            room_id: "ROOM".into(),
            parent_id: None,
            markdown: "hello".into(),
        })
        .await
        .unwrap();
    assert_eq!(ids, vec!["sent-0".to_owned()]);
    assert_eq!(fake.st.post_attempts.load(Ordering::SeqCst), 2);
    assert_eq!(
        fake.st.posted.lock().unwrap().clone(),
        vec![json!({"roomId": "ROOM", "markdown": "hello"})]
    );
}

#[tokio::test]
async fn server_errors_are_retried_and_client_errors_are_reported() {
    let fake = Fake::start().await;
    fake.st.post_503.store(2, Ordering::SeqCst);
    let rest = WebexRest::with_retry_policy(
        &fake.config(),
        patchpanel::webex::RetryPolicy {
            server_error_base: Duration::from_millis(5),
            ..Default::default()
        },
    )
    .unwrap();
    let reply = Reply {
        room_id: "ROOM".into(),
        parent_id: None,
        markdown: "hi".into(),
    };
    assert_eq!(rest.send_reply(&reply).await.unwrap(), vec!["sent-0"]);
    assert_eq!(fake.st.post_attempts.load(Ordering::SeqCst), 3);

    fake.st.post_400.store(true, Ordering::SeqCst);
    match rest.send_reply(&reply).await {
        Err(WebexError::BadRequest {
            status,
            message,
            tracking_id,
        }) => {
            assert_eq!(status, 400);
            assert!(message.contains("room not found"), "{message}");
            assert_eq!(tracking_id, "hdr-t");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fake.st.post_attempts.load(Ordering::SeqCst),
        4,
        "4xx is not retried"
    );
}

#[tokio::test]
async fn long_reply_is_split_into_ordered_parts() {
    let fake = Fake::start().await;
    let rest = WebexRest::new(&fake.config()).unwrap();
    let line = format!("{}\n", "ä".repeat(49)); // 99 bytes
    let ids = rest
        .send_reply(&Reply {
            room_id: "ROOM".into(),
            parent_id: Some("P".into()),
            markdown: line.repeat(150),
        })
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let posted = fake.st.posted.lock().unwrap().clone();
    let joined: String = posted
        .iter()
        .map(|p| p["markdown"].as_str().unwrap())
        .collect();
    assert_eq!(joined, line.repeat(150));
    assert!(posted
        .iter()
        .all(|p| p["markdown"].as_str().unwrap().len() <= 7439 && p["parentId"] == "P"));
}

#[tokio::test]
async fn rest_errors_tell_the_caller_what_to_do() {
    let fake = Fake::start().await;
    let rest = WebexRest::new(&fake.config()).unwrap();
    match rest.get_message("nope").await {
        Err(WebexError::NotFound { tracking_id, .. }) => assert_eq!(tracking_id, "t404"),
        other => panic!("{other:?}"),
    }
    // Unreachable server: a retryable error, not a panic.
    let mut cfg = fake.config();
    cfg.api_url = "http://127.0.0.1:9/v1".into();
    let dead = WebexRest::with_retry_policy(
        &cfg,
        patchpanel::webex::RetryPolicy {
            max_attempts: 2,
            server_error_base: Duration::from_millis(1),
            ..Default::default()
        },
    )
    .unwrap();
    let err = dead.me().await.unwrap_err();
    assert!(matches!(err, WebexError::Unavailable { .. }), "{err:?}");
    assert!(!err.to_string().contains(TOKEN));
}

#[tokio::test]
async fn own_and_bot_activities_produce_no_inbound() {
    let mut fake = Fake::start().await;
    for (id, person) in [
        ("self-1", BOT_UUID),
        ("self-2", BOT_UUID),
        ("bot-1", "other-bot"),
        ("rest-self", BOT_UUID),
        ("ok-1", ALICE_UUID),
    ] {
        fake.add_message(id, group_message(person));
    }
    let mut bot = Bot::start(&fake, timings()).await;
    fake.connected(1).await;
    fake.send(Cmd::Text(activity(
        "e1", "self-1", "post", BOT_UUID, "PERSON",
    )));
    let hydra_self = activity("e2", "self-2", "post", &bot_person_id(), "PERSON");
    fake.send(Cmd::Text(hydra_self));
    fake.send(Cmd::Text(activity(
        "e3",
        "bot-1",
        "post",
        "other-bot",
        "BOT",
    )));
    // The socket event claims Alice, but REST says the bot wrote it.
    fake.send(Cmd::Text(activity(
        "e4",
        "rest-self",
        "post",
        ALICE_UUID,
        "PERSON",
    )));
    let rest_self = encode(EU, HydraKind::Message, "rest-self");
    fake.wait_for(
        "fetch of rest-self",
        |e| matches!(e, Ev::MessageGet(id) if *id == rest_self),
    )
    .await;
    fake.send(Cmd::Text(activity(
        "e5", "ok-1", "post", ALICE_UUID, "PERSON",
    )));
    assert_eq!(bot.next().await.event_id(), "ok-1");
    let (res, extra) = bot.stop().await;
    assert!(res.is_ok());
    assert!(extra.is_empty(), "{extra:?}");
    let gets: HashSet<String> = fake
        .st
        .message_gets
        .lock()
        .unwrap()
        .iter()
        .cloned()
        .collect();
    let want: HashSet<String> = ["rest-self", "ok-1"]
        .iter()
        .map(|a| encode(EU, HydraKind::Message, a))
        .collect();
    assert_eq!(
        gets, want,
        "no REST call for activities filtered on the socket event"
    );
}

#[tokio::test]
async fn duplicate_activity_gives_one_inbound() {
    let mut fake = Fake::start().await;
    fake.add_message("dup", group_message(ALICE_UUID));
    fake.add_message("other", group_message(ALICE_UUID));
    let mut bot = Bot::start(&fake, timings()).await;
    fake.connected(1).await;
    fake.send(Cmd::Text(activity(
        "e1", "dup", "post", ALICE_UUID, "PERSON",
    )));
    fake.send(Cmd::Text(activity(
        "e2", "dup", "post", ALICE_UUID, "PERSON",
    )));
    fake.send(Cmd::Text(activity(
        "e3", "other", "post", ALICE_UUID, "PERSON",
    )));
    let mut got = vec![
        bot.next().await.event_id().to_owned(),
        bot.next().await.event_id().to_owned(),
    ];
    got.sort();
    assert_eq!(got, vec!["dup", "other"]);
    // Both deliveries were acked, even the duplicate.
    fake.wait_for("ack e2", |e| matches!(e, Ev::Ack(id) if id == "e2"))
        .await;
    let (res, extra) = bot.stop().await;
    assert!(res.is_ok());
    assert!(extra.is_empty(), "{extra:?}");
    let dup_gets = fake
        .st
        .message_gets
        .lock()
        .unwrap()
        .iter()
        .filter(|id| **id == encode(EU, HydraKind::Message, "dup"))
        .count();
    assert_eq!(dup_gets, 1);
}

/// Issue 8 §3, the last line of defence: whatever built the markdown, a character that can disguise
/// text never leaves the bot; it is posted in its visible form.
#[tokio::test]
async fn disguising_characters_are_never_posted() {
    let fake = Fake::start().await;
    let rest = WebexRest::new(&fake.config()).unwrap();
    rest.send_reply(&Reply {
        room_id: "ROOM".into(),
        parent_id: None,
        markdown: "uplink \u{202E}1/0/1ig\u{200B}".into(),
    })
    .await
    .unwrap();
    rest.notify("ROOM2", "ticket \u{2066}CHG-1\u{2069}")
        .await
        .unwrap();
    assert_eq!(
        fake.st.posted.lock().unwrap().clone(),
        vec![
            json!({"roomId": "ROOM", "markdown": "uplink &lt;U+202E&gt;1/0/1ig&lt;U+200B&gt;"}),
            json!({"roomId": "ROOM2", "markdown": "ticket &lt;U+2066&gt;CHG-1&lt;U+2069&gt;"}),
        ]
    );
}
