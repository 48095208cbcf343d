//! The `/_sim` control API: socket faults, injected HTTP failures, reset, in-process helpers, shutdown.

use super::*;
use base64::Engine as _;
use patchpanel_sim::webex::SayRequest;

#[tokio::test]
async fn socket_faults_drop_close_and_raw() {
    let s = sim().await;
    let (_dev, mut ws) = s.connected().await;
    let r = s.control("/_sim/raw", json!({"text": "{not json"})).await;
    assert_eq!(r["sockets"], 1);
    assert!(matches!(next_msg(&mut ws).await, Message::Text(t) if t.as_str() == "{not json"));
    let b64 = base64::engine::general_purpose::STANDARD.encode([0xffu8, 0, 1]);
    s.control("/_sim/raw", json!({"binaryBase64": b64})).await;
    assert!(matches!(next_msg(&mut ws).await, Message::Binary(b) if b.as_ref() == [0xff, 0, 1]));

    s.control("/_sim/close", json!({"code": 4001, "reason": "shutdown"}))
        .await;
    assert_eq!(close_code(&mut ws).await, (4001, "shutdown".to_owned()));

    let (_dev, mut ws) = s.connected().await;
    let r = s.control("/_sim/drop", json!({})).await;
    assert_eq!(r["sockets"], 1);
    // An abnormal end: the stream errors or ends, but no close frame ever arrives.
    let end = tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("drop did not end the socket");
    assert!(!matches!(end, Some(Ok(Message::Close(_)))), "{end:?}");
}

#[tokio::test]
async fn injected_failures_with_retry_after() {
    let s = sim().await;
    let r = s
        .post(
            "/_sim/fail",
            json!({"path": "/v1/messages", "status": 429, "times": 1, "retryAfter": 2}),
        )
        .await;
    assert!(r.status().is_success());
    let r = s
        .post(
            "/v1/messages",
            json!({"toPersonEmail": "a@example.com", "text": "x"}),
        )
        .await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "2");
    assert!(r.headers().contains_key("trackingid"));
    let e: Value = r.json().await.unwrap();
    assert!(e["errors"][0]["description"].is_string());
    let r = s
        .post(
            "/v1/messages",
            json!({"toPersonEmail": "a@example.com", "text": "x"}),
        )
        .await;
    assert_eq!(r.status(), 200);

    let dev = s.device("pp").await;
    s.control(
        "/_sim/fail",
        json!({"path": "/mercury", "status": 503, "times": 1}),
    )
    .await;
    let err = tokio_tungstenite::connect_async(ws_url(&dev, true))
        .await
        .unwrap_err();
    assert_eq!(upgrade_status(err), 503);
    connect_ready(&ws_url(&dev, true)).await;

    s.control(
        "/_sim/fail",
        json!({"path": "/wdm", "status": 500, "times": 2}),
    )
    .await;
    assert_eq!(s.get("/wdm/api/v1/devices").await.status(), 500);
    assert_eq!(s.post("/wdm/api/v1/devices", json!({})).await.status(), 500);
    assert_eq!(s.get("/wdm/api/v1/devices").await.status(), 200);

    // With a method, only that method fails: the posts, not the reads under the same path.
    s.control(
        "/_sim/fail",
        json!({"path": "/v1/messages", "method": "POST", "status": 429, "times": 1}),
    )
    .await;
    assert_eq!(s.get("/v1/messages/nope").await.status(), 404);
    let post = json!({"toPersonEmail": "a@example.com", "text": "x"});
    assert_eq!(s.post("/v1/messages", post.clone()).await.status(), 429);
    assert_eq!(s.post("/v1/messages", post).await.status(), 200);
}

#[tokio::test]
async fn reset_forgets_everything_and_in_process_helpers_work() {
    let s = sim().await;
    let m = s
        .sim
        .say(SayRequest {
            from: "engineer@example.com".into(),
            text: "help".into(),
            room: "direct".into(),
            mention: false,
            parent_id: None,
            as_bot: false,
        })
        .unwrap();
    assert_eq!(s.sim.messages(), vec![m.clone()]);
    assert!(s.sim.press("a@example.com", &m.id, json!({})).is_err());
    s.device("pp").await;
    let r = s.post("/_sim/reset", json!({})).await;
    assert!(r.status().is_success());
    let state: Value = s.get("/_sim/state").await.json().await.unwrap();
    assert_eq!(state["messages"], 0);
    assert!(state["devices"].as_array().unwrap().is_empty());
    assert!(s.sim.messages().is_empty());
    // Bad control input is a 400, never a crash.
    let r = s
        .http
        .post(s.url("/_sim/say"))
        .body("\u{0}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = s
        .post("/_sim/say", json!({"from": "no-at", "text": "x"}))
        .await;
    assert_eq!(r.status(), 400);
    let r = s.post("/_sim/close", json!({"code": 1006})).await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn shutdown_closes_sockets_and_stops() {
    let stop = CancellationToken::new();
    let sim = webex::start(WebexSimConfig::default(), stop.clone())
        .await
        .unwrap();
    let s = Sim {
        sim: sim.clone(),
        http: reqwest::Client::new(),
        _stop: CancellationToken::new().drop_guard(),
    };
    let (_dev, mut ws) = s.connected().await;
    stop.cancel();
    assert_eq!(close_code(&mut ws).await, (1001, "going away".to_owned()));
    drop(ws);
    tokio::time::timeout(WAIT, sim.stopped())
        .await
        .expect("simulator did not stop");
    assert!(s.http.get(s.url("/_sim/state")).send().await.is_err());
}
