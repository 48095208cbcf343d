//! The hardened listener (`patchpanel::listener`) over real loopback sockets, one case each: a
//! connection that never completes its request head, one on which nothing moves, one over the
//! cap, keep-alive for well-behaved clients, and shutdown. Limits are set far apart (a timeout that
//! must not fire is a minute), so each test shows which one closed the connection; the counters
//! say so too. The clock is virtual (`start_paused`): the listener's timers pass as soon as every
//! task waits, and the bounds are on the same clock, so a wrong timer still fails the test.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::routing::{get, post};
use axum::Router;
use patchpanel::listener::{serve, Counts, Events, ListenerConfig, RunningListener};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// Long enough that only a hang reaches it; every expected close comes far sooner.
const BOUND: Duration = Duration::from_secs(20);
/// A limit that must not be what closes a connection in a test.
const NEVER: Duration = Duration::from_secs(60);

fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "ok" }))
        // `Bytes` waits for the whole body with no deadline of its own: the idle timeout must end it.
        .route(
            "/echo",
            post(|body: Bytes| async move { body.len().to_string() }),
        )
}

struct Fixture {
    running: RunningListener,
    shutdown: CancellationToken,
}

async fn listen(config: ListenerConfig) -> Fixture {
    listen_to(config, app()).await
}

async fn listen_to(config: ListenerConfig, router: Router) -> Fixture {
    let shutdown = CancellationToken::new();
    let running = serve(
        "127.0.0.1:0".parse().unwrap(),
        router,
        config,
        Events::new("test listener"),
        shutdown.clone(),
    )
    .await
    .unwrap();
    Fixture { running, shutdown }
}

impl Fixture {
    fn addr(&self) -> SocketAddr {
        self.running.addr
    }

    /// Waits (bounded) until the counters satisfy `pred`.
    async fn until(&self, what: &str, pred: impl Fn(&Counts) -> bool) -> Counts {
        let start = std::time::Instant::now();
        loop {
            let c = self.running.counts();
            if pred(&c) {
                return c;
            }
            assert!(start.elapsed() < BOUND, "waited for {what}: {c:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Reads until the peer closes (EOF or reset); `false` if it is still open after `BOUND`.
async fn closed_by_peer(sock: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    let read_all = async {
        loop {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(BOUND, read_all).await.is_ok()
}

async fn get_ok(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(BOUND, s.read_to_string(&mut answer))
        .await
        .expect("answered")
        .unwrap();
    answer
}

#[tokio::test(start_paused = true)]
async fn a_connection_that_sends_only_a_request_line_is_closed_after_the_header_read_timeout() {
    let f = listen(ListenerConfig {
        header_read: Duration::from_millis(300),
        idle: NEVER,
        ..ListenerConfig::default()
    })
    .await;
    // Only a request line, as in the flood that exhausted the bot.
    let mut line_only = TcpStream::connect(f.addr()).await.unwrap();
    line_only
        .write_all(b"POST /netbox HTTP/1.1\r\n")
        .await
        .unwrap();
    // Nothing at all.
    let mut silent = TcpStream::connect(f.addr()).await.unwrap();
    // A slow head: a byte every 50 ms keeps bytes moving, but the head is never complete in time.
    let mut slow = TcpStream::connect(f.addr()).await.unwrap();
    let dribble = async {
        for b in
            b"GET / HTTP/1.1\r\nHost: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                .iter()
        {
            if slow.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        closed_by_peer(&mut slow).await
    };
    // A kept-alive connection that asks nothing after its first answer: hyper's header timer
    // runs while it waits for the next request head too.
    let mut kept = TcpStream::connect(f.addr()).await.unwrap();
    kept.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (a, b, c, d) = tokio::join!(
        closed_by_peer(&mut line_only),
        closed_by_peer(&mut silent),
        dribble,
        closed_by_peer(&mut kept),
    );
    assert!(
        a && b && c && d,
        "line only {a}, silent {b}, slow {c}, kept alive {d}"
    );
    let counts = f
        .until("four header timeouts", |c| {
            c.header_timeouts == 4 && c.open == 0
        })
        .await;
    assert_eq!(counts.idle_timeouts, 0, "{counts:?}");
    // The listener still serves.
    assert!(get_ok(f.addr()).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test(start_paused = true)]
async fn a_connection_on_which_nothing_moves_is_closed_after_the_idle_timeout() {
    let f = listen(ListenerConfig {
        header_read: NEVER,
        idle: Duration::from_millis(300),
        ..ListenerConfig::default()
    })
    .await;
    // A complete head promising a body that never comes: the header timer is done, the handler
    // waits, and nothing moves.
    let mut stalled = TcpStream::connect(f.addr()).await.unwrap();
    stalled
        .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":")
        .await
        .unwrap();
    assert!(closed_by_peer(&mut stalled).await);
    let counts = f
        .until("an idle timeout", |c| c.idle_timeouts == 1 && c.open == 0)
        .await;
    assert_eq!(counts.header_timeouts, 0, "{counts:?}");
    // A body that arrives is answered.
    let mut s = TcpStream::connect(f.addr()).await.unwrap();
    s.write_all(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    )
    .await
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("\r\n\r\n5"),
        "{answer}"
    );
}

#[tokio::test(start_paused = true)]
async fn over_the_cap_a_new_connection_is_refused_at_once() {
    let f = listen(ListenerConfig {
        header_read: NEVER,
        idle: NEVER,
        max_connections: 2,
        ..ListenerConfig::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(f.addr()).await.unwrap();
        s.write_all(b"POST /netbox HTTP/1.1\r\n").await.unwrap();
        held.push(s);
    }
    f.until("both slots taken", |c| c.open == 2).await;
    // The third is accepted and closed at once: long before any timeout (a minute) could free a
    // slot, so it was not queued.
    let mut third = TcpStream::connect(f.addr()).await.unwrap();
    assert!(closed_by_peer(&mut third).await, "refused, not queued");
    let counts = f.until("one refusal", |c| c.over_cap == 1).await;
    assert_eq!((counts.accepted, counts.open), (2, 2), "{counts:?}");
    // A slot freed by a client that leaves is taken by the next one.
    held.pop();
    f.until("a slot free", |c| c.open == 1).await;
    assert!(get_ok(f.addr()).await.starts_with("HTTP/1.1 200"));
    assert_eq!(f.running.counts().over_cap, 1);
}

#[tokio::test(start_paused = true)]
async fn a_well_behaved_client_keeps_its_connection_alive() {
    let f = listen(ListenerConfig::default()).await;
    let mut s = TcpStream::connect(f.addr()).await.unwrap();
    for i in 0..5 {
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        while !answer.ends_with(b"\r\n\r\nok") {
            let n = tokio::time::timeout(BOUND, s.read(&mut buf))
                .await
                .expect("answered")
                .unwrap();
            assert!(n > 0, "request {i}: closed after {answer:?}");
            answer.extend_from_slice(&buf[..n]);
        }
        assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
    }
    let counts = f.running.counts();
    assert_eq!((counts.accepted, counts.open), (1, 1), "{counts:?}");
    assert_eq!(counts.rate_limited + counts.over_cap, 0, "{counts:?}");
}

#[tokio::test(start_paused = true)]
async fn shutdown_ends_every_connection_and_the_listener() {
    let f = listen(ListenerConfig {
        header_read: NEVER,
        idle: NEVER,
        ..ListenerConfig::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(f.addr()).await.unwrap();
        s.write_all(b"POST /netbox HTTP/1.1\r\n").await.unwrap();
        held.push(s);
    }
    f.until("three open", |c| c.open == 3).await;
    f.shutdown.cancel();
    tokio::time::timeout(BOUND, f.running.stopped())
        .await
        .expect("stopped");
    for s in &mut held {
        assert!(closed_by_peer(s).await);
    }
    assert_eq!(f.running.counts().open, 0);
    assert!(
        TcpStream::connect(f.addr()).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test(start_paused = true)]
async fn on_shutdown_a_request_in_flight_finishes_and_an_idle_connection_ends_at_once() {
    use std::sync::Arc;
    use tokio::sync::{oneshot, Mutex, Notify};
    let (started_tx, started) = oneshot::channel::<()>();
    let started_tx = Arc::new(Mutex::new(Some(started_tx)));
    let release = Arc::new(Notify::new());
    let gate = release.clone();
    let router = Router::new().route(
        "/slow",
        get(move || {
            let (started_tx, gate) = (started_tx.clone(), gate.clone());
            async move {
                if let Some(tx) = started_tx.lock().await.take() {
                    let _ = tx.send(());
                }
                gate.notified().await;
                "finished"
            }
        }),
    );
    let f = listen_to(
        ListenerConfig {
            header_read: NEVER,
            idle: NEVER,
            shutdown_grace: NEVER,
            ..ListenerConfig::default()
        },
        router,
    )
    .await;
    let mut idle = TcpStream::connect(f.addr()).await.unwrap();
    let mut busy = TcpStream::connect(f.addr()).await.unwrap();
    busy.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    started.await.unwrap();
    f.until("both open", |c| c.open == 2).await;
    f.shutdown.cancel();
    // The idle one ends at once, although the grace is a minute.
    assert!(closed_by_peer(&mut idle).await);
    f.until("the idle one closed", |c| c.open == 1).await;
    release.notify_one();
    let mut answer = String::new();
    tokio::time::timeout(BOUND, busy.read_to_string(&mut answer))
        .await
        .expect("answered, then closed")
        .unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("finished"),
        "{answer}"
    );
    tokio::time::timeout(BOUND, f.running.stopped())
        .await
        .expect("stopped");
}
