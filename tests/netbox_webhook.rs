//! The NetBox webhook receiver over HTTP on an ephemeral port: every payload generation NetBox has
//! sent (3.5–4.3, 4.4, 4.5–4.6, 4.7; the 3.5 body is the seed's, `netbox_webhook/netbox-3.5.json`)
//! wakes the poller when signed; bad signatures, bodies and object types get their status and wake
//! nothing; a replayed body is acknowledged but wakes nothing.

use hmac::{Hmac, Mac};
use patchpanel::listener::ListenerConfig;
use patchpanel::netbox::webhook::{start, start_with, RunningWebhook, WebhookError, MAX_BODY};
use patchpanel::netbox::{WakeCounts, Wakeup};
use patchpanel::secret::Secret;
use serde_json::{json, Value};
use sha2::Sha512;
use tokio_util::sync::CancellationToken;

const SECRET: &str = "webhook-shared-secret";

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha512>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct Receiver {
    running: RunningWebhook,
    wake: Wakeup,
    http: reqwest::Client,
    _shutdown: tokio_util::sync::DropGuard,
}

async fn receiver() -> Receiver {
    receiver_with(ListenerConfig::default()).await
}

async fn receiver_with(limits: ListenerConfig) -> Receiver {
    let shutdown = CancellationToken::new();
    let wake = Wakeup::new();
    let running = start_with(
        "127.0.0.1:0".parse().unwrap(),
        Secret::new(SECRET),
        wake.clone(),
        limits,
        shutdown.clone(),
    )
    .await
    .expect("start");
    Receiver {
        running,
        wake,
        http: reqwest::Client::new(),
        _shutdown: shutdown.drop_guard(),
    }
}

impl Receiver {
    async fn post(&self, path: &str, body: Vec<u8>, signature: Option<String>) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("http://{}{path}", self.running.addr))
            .header("Content-Type", "application/json")
            .body(body);
        if let Some(sig) = signature {
            req = req.header("X-Hook-Signature", sig);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn signed(&self, body: &Value) -> (u16, Value) {
        let bytes = serde_json::to_vec(body).unwrap();
        let sig = sign(&bytes);
        self.post("/netbox", bytes, Some(sig)).await
    }

    /// Whether the poller was woken (and takes the wake). The receiver wakes before it answers,
    /// so by the time the reply is here the wake is pending.
    async fn woke(&self) -> bool {
        self.wake.take()
    }
}

/// The seed's 3.5–4.3 body (`model`, `username`, `request_id`).
fn v35() -> Value {
    serde_json::from_str(include_str!("netbox_webhook/netbox-3.5.json")).unwrap()
}

/// 4.4: `model` and `object_type` both.
fn v44() -> Value {
    let mut v = v35();
    v["object_type"] = json!("dcim.interface");
    v
}

/// 4.5–4.6: `object_type`, no `model`.
fn v45() -> Value {
    let mut v = v44();
    v.as_object_mut().unwrap().remove("model");
    v
}

/// 4.7: `request{…}` instead of `username`/`request_id`.
fn v47() -> Value {
    let mut v = v45();
    let o = v.as_object_mut().unwrap();
    o.remove("username");
    o.remove("request_id");
    o.insert(
        "request".into(),
        json!({"id": "5a6eb2fc-0000-4000-8000-000000000047", "path": "/api/dcim/interfaces/3/",
               "path_info": "/api/dcim/interfaces/3/", "method": "PATCH", "GET": {},
               "user": "developer"}),
    );
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_payload_generation_wakes_the_poller() {
    let r = receiver().await;
    for (name, body) in [
        ("3.5", v35()),
        ("4.4", v44()),
        ("4.5", v45()),
        ("4.7", v47()),
    ] {
        let (status, answer) = r.signed(&body).await;
        assert_eq!(status, 200, "{name}: {answer}");
        assert_eq!(answer["woken"], true, "{name}");
        assert!(r.woke().await, "{name} woke the poller");
    }
    // `/` is accepted too, and unknown keys are fine.
    let mut body = v47();
    body["something_new_in_5_0"] = json!({"x": [1, 2]});
    let bytes = serde_json::to_vec(&body).unwrap();
    let sig = sign(&bytes);
    let (status, _) = r.post("/", bytes, Some(sig)).await;
    assert_eq!(status, 200);
    assert!(r.woke().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_their_status_and_wake_nothing() {
    let r = receiver().await;
    let good = serde_json::to_vec(&v47()).unwrap();
    let other = serde_json::to_vec(&v35()).unwrap();
    let truncated = good[..good.len() / 2].to_vec();
    let non_interface = {
        let mut v = v47();
        v["object_type"] = json!("dcim.device");
        serde_json::to_vec(&v).unwrap()
    };
    let cases: Vec<(&str, Vec<u8>, Option<String>, u16)> = vec![
        ("wrong signature", good.clone(), Some("ab".repeat(64)), 401),
        ("missing header", good.clone(), None, 401),
        ("not hex", good.clone(), Some("not-a-signature".into()), 401),
        (
            "another body's signature",
            good.clone(),
            Some(sign(&other)),
            401,
        ),
        (
            "truncated body",
            truncated.clone(),
            Some(sign(&truncated)),
            400,
        ),
        (
            "non-JSON",
            b"event=updated".to_vec(),
            Some(sign(b"event=updated")),
            400,
        ),
        ("a JSON array", b"[1,2]".to_vec(), Some(sign(b"[1,2]")), 400),
        (
            "a device event",
            non_interface.clone(),
            Some(sign(&non_interface)),
            202,
        ),
    ];
    for (name, body, sig, want) in cases {
        let (status, answer) = r.post("/netbox", body, sig).await;
        assert_eq!(status, want, "{name}: {answer}");
        if status != 202 {
            let reason = answer["error"].as_str().unwrap_or_default();
            assert!(!reason.is_empty(), "{name}: a short reason");
            assert!(!reason.contains(SECRET), "{name}: {reason}");
        }
        assert!(!r.woke().await, "{name} must not wake the poller");
    }
    // Where a truncated body failed is in the answer.
    let (_, answer) = r
        .post("/netbox", truncated.clone(), Some(sign(&truncated)))
        .await;
    assert!(
        answer["error"]
            .as_str()
            .unwrap_or_default()
            .contains("column"),
        "{answer}"
    );
    // After all that, a good one still wakes it.
    let sig = sign(&good);
    assert_eq!(r.post("/netbox", good, Some(sig)).await.0, 200);
    assert!(r.woke().await);
}

/// Sends `head` and then `body` over a raw connection while reading the answer: a receiver that
/// refuses an oversized body answers before reading it all and then closes, so a client that only
/// reads after writing everything may see a broken pipe instead of the answer. Returns the status
/// line and headers.
async fn raw_exchange(addr: std::net::SocketAddr, head: String, body: Vec<Vec<u8>>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = sock.into_split();
    let reader = tokio::spawn(async move {
        let mut answer = Vec::new();
        let mut buf = [0u8; 512];
        while let Ok(n) = rd.read(&mut buf).await {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&answer).into_owned()
    });
    wr.write_all(head.as_bytes()).await.unwrap();
    // The receiver stops reading at its limit and answers; later writes may fail, which is fine.
    for part in body {
        if wr.write_all(&part).await.is_err() {
            break;
        }
    }
    reader.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enormous_body_is_refused_before_it_is_read() {
    let r = receiver().await;
    let mut enormous =
        b"{\"event\":\"updated\",\"object_type\":\"dcim.interface\",\"pad\":\"".to_vec();
    enormous.resize(2 * 1024 * 1024, b'x');
    enormous.extend_from_slice(b"\"}");
    assert!(enormous.len() > MAX_BODY);
    let head = format!(
        "POST /netbox HTTP/1.1\r\nHost: {}\r\nX-Hook-Signature: {}\r\nContent-Length: {}\r\nContent-Type: application/json\r\n\r\n",
        r.running.addr,
        sign(&enormous),
        enormous.len()
    );
    let parts = enormous.chunks(64 * 1024).map(<[u8]>::to_vec).collect();
    let text = raw_exchange(r.running.addr, head, parts).await;
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(!r.woke().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_without_length_is_cut_at_the_limit() {
    let r = receiver().await;
    let head = format!(
        "POST /netbox HTTP/1.1\r\nHost: {}\r\nX-Hook-Signature: {}\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n",
        r.running.addr,
        "00".repeat(64)
    );
    let chunk = vec![b' '; 64 * 1024];
    let mut parts: Vec<Vec<u8>> = (0..32)
        .map(|_| {
            [
                format!("{:x}\r\n", chunk.len()).into_bytes(),
                chunk.clone(),
                b"\r\n".to_vec(),
            ]
            .concat()
        })
        .collect();
    parts.push(b"0\r\n\r\n".to_vec());
    let text = raw_exchange(r.running.addr, head, parts).await;
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(!r.woke().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_refuses_an_empty_secret_and_stops_on_shutdown() {
    let e = start(
        "127.0.0.1:0".parse().unwrap(),
        Secret::new(""),
        Wakeup::new(),
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, WebhookError::EmptySecret), "{e:?}");

    let shutdown = CancellationToken::new();
    let running = start(
        "127.0.0.1:0".parse().unwrap(),
        Secret::new(SECRET),
        Wakeup::new(),
        shutdown.clone(),
    )
    .await
    .unwrap();
    let addr = running.addr;
    // Its port cannot be taken twice.
    let e = start(
        addr,
        Secret::new(SECRET),
        Wakeup::new(),
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, WebhookError::Bind { .. }), "{e:?}");
    shutdown.cancel();
    running.stopped().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// A captured signed webhook replayed 4,000 times (a storm that once cost 1,070 NetBox requests):
/// every copy is acknowledged, only the first wakes the poller. The rate limit is lifted here so
/// the replay guard alone is what is tested.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_webhook_replayed_4000_times_wakes_the_poller_once() {
    let r = receiver_with(ListenerConfig {
        per_second: 1_000_000,
        burst: 1_000_000,
        ..ListenerConfig::default()
    })
    .await;
    let body = serde_json::to_vec(&v47()).unwrap();
    let sig = sign(&body);
    let (mut woken, mut replays) = (0, 0);
    for _ in 0..4_000 {
        let (status, answer) = r.post("/netbox", body.clone(), Some(sig.clone())).await;
        assert_eq!(status, 200, "{answer}");
        match (answer["woken"].as_bool(), answer["replay"].as_bool()) {
            (Some(true), None) => woken += 1,
            (Some(false), Some(true)) => replays += 1,
            other => panic!("unexpected answer {other:?}: {answer}"),
        }
    }
    eprintln!("replay storm: {woken} woke the poller, {replays} acknowledged as replays");
    assert_eq!((woken, replays), (1, 3_999));
    assert_eq!(
        r.wake.counts(),
        WakeCounts {
            wakes: 1,
            coalesced: 0
        }
    );
    assert_eq!(r.running.counts().replays, 3_999);
    // Another body (NetBox's next event) still wakes it.
    let next = {
        let mut v = v47();
        v["request"]["id"] = json!("5a6eb2fc-0000-4000-8000-000000000048");
        serde_json::to_vec(&v).unwrap()
    };
    let sig = sign(&next);
    let (status, answer) = r.post("/netbox", next, Some(sig)).await;
    assert_eq!((status, answer["woken"].as_bool()), (200, Some(true)));
    assert_eq!(r.wake.counts().wakes, 2);
}

/// Requests over the listener's rate limit are answered 429 with `Retry-After` and never reach the
/// signature check or the poller.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_rate_limit_requests_get_429_and_wake_nothing() {
    let r = receiver_with(ListenerConfig {
        per_second: 1,
        burst: 2,
        ..ListenerConfig::default()
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let mut v = v47();
        v["request"]["id"] = json!(format!("rate-{i}"));
        let (status, _) = r.signed(&v).await;
        statuses.push(status);
    }
    // The burst passes; right after it the limit holds (a token takes a whole second to return).
    assert_eq!(&statuses[..3], &[200, 200, 429], "{statuses:?}");
    let admitted = statuses.iter().filter(|s| **s == 200).count() as u64;
    let limited = statuses.iter().filter(|s| **s == 429).count() as u64;
    assert_eq!(admitted + limited, 5, "{statuses:?}");
    assert_eq!(
        r.wake.counts().wakes,
        admitted,
        "only admitted requests woke it"
    );
    assert_eq!(r.running.counts().rate_limited, limited);
    // The answer says when to come back.
    let resp = r
        .http
        .post(format!("http://{}/netbox", r.running.addr))
        .body("{}")
        .send()
        .await
        .unwrap();
    if resp.status().as_u16() == 429 {
        let retry: u64 = resp.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&retry), "Retry-After {retry}");
    } else {
        // A whole second went by: the request reached the receiver, which refused it unsigned.
        assert_eq!(resp.status().as_u16(), 401);
    }
}
