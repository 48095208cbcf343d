//! What the NetBox poller costs NetBox, on the in-process simulator: HTTP requests per idle poll
//! (target 1), and one sweep over 5,000 interfaces carrying a ticket number (time and requests),
//! both the listing alone and the poller's whole sweep handing each to a handler.
//!
//! Run: `cargo bench --bench netbox_poll` (optionally `-- COUNT`, default 5000). Prints figures;
//! asserts nothing about time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use patchpanel::netbox::{Handled, NetboxClient, NetboxConfig, Poller, PollerConfig};
use patchpanel::secret::Secret;
use patchpanel::store::Store;
use patchpanel_sim::netbox::{self, NetboxSimConfig};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const IDLE_POLLS: u64 = 20;
const LONG: Duration = Duration::from_secs(3600);
const WAIT: Duration = Duration::from_secs(120);

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let count: usize = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .find_map(|a| a.parse().ok())
        .unwrap_or(5000);
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench(count));
}

async fn bench(count: usize) {
    let shutdown = CancellationToken::new();
    let sim = netbox::start(NetboxSimConfig::default(), shutdown.clone())
        .await
        .expect("simulator");
    let client = NetboxClient::new(&NetboxConfig::new(
        sim.base_url.clone(),
        Secret::new("0123456789abcdef0123456789abcdef01234567"),
    ))
    .expect("client");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bench.db");

    // Idle polls: the poller is woken and reads an unchanged change log.
    let handled = Arc::new(AtomicU64::new(0));
    let ((mut stats, waker), stop) = spawn_poller(&client, &db, handled, shutdown.child_token());
    wait(&mut stats, |s| s.polls >= 1 && s.sweeps >= 1).await;
    let before = sim.requests();
    let began = Instant::now();
    for _ in 0..IDLE_POLLS {
        let polls = stats.borrow().polls;
        waker.wake();
        wait(&mut stats, |s| s.polls > polls).await;
    }
    let idle_time = began.elapsed();
    let idle_requests = sim.requests() - before;
    println!(
        "idle poll: {:.2} HTTP requests per poll (target 1), {:.2} ms each ({IDLE_POLLS} polls)",
        idle_requests as f64 / IDLE_POLLS as f64,
        idle_time.as_secs_f64() * 1000.0 / IDLE_POLLS as f64
    );
    stop.cancel();

    // The sweep over `count` interfaces carrying a ticket number, seeded over the control API.
    let seeded: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/_sim/seed-interfaces", sim.base_url))
        .json(&json!({"device": "c9300", "count": count, "ticket": "CHG-BENCH"}))
        .send()
        .await
        .expect("seed")
        .json()
        .await
        .expect("seed answer");
    println!("seeded: {seeded}");

    let before = sim.requests();
    let began = Instant::now();
    let listed = client
        .interfaces_with_ticket()
        .await
        .expect("sweep listing");
    println!(
        "sweep listing: {} interfaces in {:.1} ms, {} HTTP requests",
        listed.len(),
        began.elapsed().as_secs_f64() * 1000.0,
        sim.requests() - before
    );

    // The poller's whole start round (one poll, the sweep handing each interface to a handler).
    let handled = Arc::new(AtomicU64::new(0));
    let before = sim.requests();
    let began = Instant::now();
    let ((mut stats, _), stop) =
        spawn_poller(&client, &db, handled.clone(), shutdown.child_token());
    wait(&mut stats, |s| s.sweeps >= 1).await;
    println!(
        "poller start round (1 poll + sweep): {} candidates handled in {:.1} ms, {} HTTP requests",
        handled.load(Ordering::Relaxed),
        began.elapsed().as_secs_f64() * 1000.0,
        sim.requests() - before
    );
    stop.cancel();
    shutdown.cancel();
}

type Started = (
    (
        tokio::sync::watch::Receiver<patchpanel::netbox::PollerStats>,
        patchpanel::netbox::Wakeup,
    ),
    CancellationToken,
);

fn spawn_poller(
    client: &NetboxClient,
    db: &std::path::Path,
    handled: Arc<AtomicU64>,
    stop: CancellationToken,
) -> Started {
    let store = Store::open(db).expect("store");
    let poller = Poller::new(client.clone(), store, PollerConfig::new(LONG, LONG));
    let stats = poller.stats();
    let waker = poller.waker();
    let handle = move |_| {
        handled.fetch_add(1, Ordering::Relaxed);
        async { Handled::Done }
    };
    tokio::spawn(poller.run(handle, stop.clone()));
    ((stats, waker), stop)
}

async fn wait(
    stats: &mut tokio::sync::watch::Receiver<patchpanel::netbox::PollerStats>,
    pred: impl FnMut(&patchpanel::netbox::PollerStats) -> bool,
) {
    tokio::time::timeout(WAIT, stats.wait_for(pred))
        .await
        .expect("the poller within the timeout")
        .expect("the poller is running");
}
