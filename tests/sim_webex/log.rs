//! `GET /_sim/log` (what clients did: requests, sockets, acks, close codes) and `POST /_sim/options`
//! (pings left unanswered, actors without an email address).

use super::*;

async fn log(s: &Sim) -> Value {
    let r = s.http.get(s.url("/_sim/log")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn the_log_has_every_request_and_every_socket() {
    let s = sim().await;
    let r = s.get("/v1/messages/nope").await;
    assert_eq!(r.status(), 404);
    let tracking = r.headers()["trackingid"].to_str().unwrap().to_owned();
    s.control(
        "/_sim/fail",
        json!({"path": "/v1/people/me", "status": 503, "times": 1}),
    )
    .await;
    assert_eq!(s.get("/v1/people/me").await.status(), 503);

    let (dev, mut ws) = s.connected().await;
    let said = s.say("alice@example.com", "hi", "direct", false).await;
    let (env, act) = next_activity(&mut ws).await;
    assert_eq!(act["id"], uuid_of(&said));
    ack(&mut ws, &env).await;
    // The ack is handled before the next frame is read, so a ping round-trip orders it.
    send(&mut ws, json!({"id": "sync", "type": "ping"})).await;
    assert_eq!(next_json(&mut ws).await["type"], "pong");
    ws.close(None).await.unwrap();
    while let Some(Ok(_)) = ws.next().await {}

    let reg = dev["webSocketUrl"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .nth(1)
        .unwrap()
        .to_owned();
    let deadline = std::time::Instant::now() + WAIT;
    let l = loop {
        let l = log(&s).await;
        if l["sockets"][0]["open"] == false {
            break l;
        }
        assert!(std::time::Instant::now() < deadline, "{l}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    // `/_sim` requests are not in it; everything else is, as answered.
    let requests: Vec<(String, String, u64)> = l["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap().to_owned(),
                r["path"].as_str().unwrap().to_owned(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let upgrade = format!("/mercury/v1/apps/wx2/registrations/{reg}/messages");
    assert_eq!(
        requests,
        vec![
            ("GET".into(), "/v1/messages/nope".into(), 404),
            ("GET".into(), "/v1/people/me".into(), 503),
            ("POST".into(), "/wdm/api/v1/devices".into(), 200),
            ("GET".into(), upgrade, 101),
        ]
    );
    assert_eq!(l["requests"][0]["trackingId"], tracking);
    let sockets = l["sockets"].as_array().unwrap();
    assert_eq!(sockets.len(), 1);
    let sock = &sockets[0];
    assert_eq!(sock["id"], 1);
    assert_eq!(sock["registration"], reg);
    assert_eq!(
        sock["query"],
        "outboundWireFormat=text&bufferStates=true&aliasHttpStatus=true"
    );
    assert_eq!(sock["authorized"], true);
    assert_eq!(sock["acks"], json!([env["id"]]));
    assert_eq!(sock["clientClose"], 1005);
    assert_eq!(sock["open"], false);

    // A refused authorization is logged as such, and the in-process twin answers the same.
    let mut ws = connect(&ws_url(&dev, false)).await;
    auth(&mut ws, "").await;
    assert_eq!(close_code(&mut ws).await.0, 4401);
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let l = s.sim.log();
        if l.sockets.len() == 2 && !l.sockets[1].open {
            assert!(!l.sockets[1].authorized);
            assert_eq!(l.sockets[1].query, "");
            assert_eq!(serde_json::to_value(&l).unwrap()["sockets"][0], *sock);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{l:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn options_silence_pongs_and_take_emails_off_actors() {
    let s = sim().await;
    let (_dev, mut ws) = s.connected().await;
    let r = s.control("/_sim/options", json!({"pongs": false})).await;
    assert_eq!(r, json!({"pongs": false, "actorEmail": true}));
    send(&mut ws, json!({"id": "p-1", "type": "ping"})).await;
    // No pong: the next frame is the activity said after the ping.
    s.say("alice@example.com", "one", "direct", false).await;
    let (_, act) = next_activity(&mut ws).await;
    assert_eq!(act["actor"]["emailAddress"], "alice@example.com");
    assert_eq!(act["actor"]["entryEmail"], "alice@example.com");

    let r = s
        .control("/_sim/options", json!({"pongs": true, "actorEmail": false}))
        .await;
    assert_eq!(r, json!({"pongs": true, "actorEmail": false}));
    send(&mut ws, json!({"id": "p-2", "type": "ping"})).await;
    assert_eq!(next_json(&mut ws).await["id"], "p-2");
    s.say("alice@example.com", "two", "direct", false).await;
    let (_, act) = next_activity(&mut ws).await;
    assert!(act["actor"].get("emailAddress").is_none(), "{act}");
    assert!(act["actor"].get("entryEmail").is_none(), "{act}");
    assert_eq!(act["actor"]["type"], "PERSON");

    let r = s.post("/_sim/options", json!({"pong": false})).await;
    assert_eq!(r.status(), 400, "unknown switches are refused");
}
