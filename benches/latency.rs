//! The bot's own latency, from the simulator writing a message event to the Mercury socket until it
//! receives the bot's `POST /messages` reply — device reads excluded (the command answers without one).
//! The simulator and the bot run in this process on loopback; messages arrive at a fixed rate.
//!
//! Run: `cargo bench --bench latency` (optionally `-- RATE COUNT`, default 200/s × 2000).
//! Target: median under 2 ms at 200 messages/s.

use patchpanel::config::{Settings, DEVICE_NAME};
use patchpanel::device::DeviceSettings;
use patchpanel::policy::AllowList;
use patchpanel::secret::Secret;
use patchpanel::webex::WebexConfig;
use patchpanel_sim::webex::{self, WebexSimConfig};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const COMMAND: &str = "status 42";

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let rate: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(200);
    let count: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench(rate, count));
}

async fn bench(rate: u64, count: usize) {
    let shutdown = CancellationToken::new();
    let sim = webex::start(WebexSimConfig::default(), shutdown.clone())
        .await
        .expect("simulator");
    let settings = Settings {
        webex: WebexConfig {
            api_url: sim.api_url(),
            u2c_url: sim.u2c_url(),
            token: Secret::new("bench"),
            device_name: DEVICE_NAME.to_owned(),
        },
        allowed: AllowList::parse("@example.com").expect("allow list"),
        notify: None,
        db_path: std::env::temp_dir().join("patchpanel-bench.db"),
        inventory: None,
        devices: DeviceSettings::default(),
        netbox: None,
        netbox_sync: Default::default(),
        approvals: Default::default(),
        syslog_listen: None,
        zammad: None,
    };
    let bot = tokio::spawn(patchpanel::app::run(settings, shutdown.child_token()));
    let http = reqwest::Client::new();
    let base = sim.base_url.clone();
    wait_connected(&http, &base).await;

    // Warm-up: connections, allocator, caches.
    send(&http, &base, 50, 100).await;
    wait_replies(&http, &base, 50).await;

    let started = Instant::now();
    send(&http, &base, count, rate).await;
    let sending = started.elapsed();
    wait_replies(&http, &base, 50 + count).await;

    let timings: Value = http
        .get(format!("{base}/_sim/timings"))
        .send()
        .await
        .expect("timings")
        .json()
        .await
        .expect("json");
    let mut micros = extract_micros(&timings);
    // Only the measured run (the warm-up replies come first).
    if micros.len() > count {
        micros.drain(..micros.len() - count);
    }
    micros.sort_unstable();
    let pct = |p: f64| micros[((micros.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0;
    println!(
        "socket frame → reply request, {} messages at {}/s (achieved {:.0}/s): median {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms (target: median < 2 ms)",
        micros.len(),
        rate,
        count as f64 / sending.as_secs_f64(),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0),
    );
    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(5), bot).await;
}

async fn send(http: &reqwest::Client, base: &str, count: usize, rate: u64) {
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut pending = Vec::with_capacity(count);
    for i in 0..count {
        tick.tick().await;
        let http = http.clone();
        let url = format!("{base}/_sim/say");
        let from = format!("engineer{}@example.com", i % 8);
        pending.push(tokio::spawn(async move {
            http.post(url)
                .json(&json!({"from": from, "text": COMMAND, "room": "direct", "mention": false}))
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false)
        }));
    }
    for p in pending {
        assert!(p.await.unwrap_or(false), "say failed");
    }
}

async fn wait_connected(http: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let state: Value = http
            .get(format!("{base}/_sim/state"))
            .send()
            .await
            .expect("state")
            .json()
            .await
            .expect("json");
        if connected(&state) > 0 {
            return;
        }
        assert!(Instant::now() < deadline, "bot never connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_replies(http: &reqwest::Client, base: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let timings: Value = http
            .get(format!("{base}/_sim/timings"))
            .send()
            .await
            .expect("timings")
            .json()
            .await
            .expect("json");
        if extract_micros(&timings).len() >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "replies missing: {} of {n}",
            extract_micros(&timings).len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn connected(state: &Value) -> u64 {
    state["sockets"].as_u64().unwrap_or(0)
}

fn extract_micros(timings: &Value) -> Vec<u64> {
    let items = match timings {
        Value::Array(items) => items.clone(),
        other => other["timings"]
            .as_array()
            .or(other["items"].as_array())
            .cloned()
            .unwrap_or_default(),
    };
    items
        .iter()
        .filter_map(|t| {
            t.as_u64()
                .or_else(|| t["micros"].as_u64())
                .or_else(|| t["latencyMicros"].as_u64())
        })
        .collect()
}
