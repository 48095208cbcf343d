//! The poller's sweep against a real NetBox 4.7.3 (the test rig of `tests/netbox/`): 5,000 interfaces
//! carrying a ticket number on one device, listed the way the poller lists them
//! (`NetboxClient::interfaces_with_ticket`: `cf_change_ticket_number__empty=false`, pages of 1,000,
//! `fields=`), plus HTTP requests per idle change-log poll as NetBox sees them (its change log is read
//! with one request). Needs what `scripts/test` installs (PostgreSQL, Redis, the NetBox venv) and root
//! or passwordless sudo.
//!
//! Run: `cargo bench --bench netbox_sweep_real` (optionally `-- COUNT`, default 5000). Prints figures.

#[path = "../tests/netbox_rig/mod.rs"]
mod netbox_rig;

use patchpanel::netbox::{NetboxClient, NetboxConfig};
use patchpanel::secret::Secret;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const BATCH: usize = 500;
const RUNS: usize = 5;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let count: usize = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .find_map(|a| a.parse().ok())
        .unwrap_or(5000);
    let rig = netbox_rig::NetboxRig::start();
    println!(
        "real NetBox 4.7.3 rig up in {:.1} s",
        rig.startup.as_secs_f64()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench(&rig, count));
}

async fn call(
    http: &reqwest::Client,
    rig: &netbox_rig::NetboxRig,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let mut req = http
        .request(method.clone(), rig.api(path))
        .header("Authorization", &rig.auth_v1)
        .header("Accept", "application/json");
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).expect("json")
}

async fn bench(rig: &netbox_rig::NetboxRig, count: usize) {
    let http = reqwest::Client::new();
    // A second device beside c9300 (same type, role and site) holds the bulk interfaces.
    let c9300 = call(
        &http,
        rig,
        reqwest::Method::GET,
        "/api/dcim/devices/?name=c9300",
        None,
    )
    .await;
    let c9300 = &c9300["results"][0];
    let device = call(
        &http,
        rig,
        reqwest::Method::POST,
        "/api/dcim/devices/",
        Some(
            json!({"name": "sweep-bench", "device_type": c9300["device_type"]["id"],
                    "role": c9300["role"]["id"], "site": c9300["site"]["id"]}),
        ),
    )
    .await;
    let device_id = device["id"].as_u64().expect("device id");
    let started = Instant::now();
    for first in (0..count).step_by(BATCH) {
        let batch: Vec<Value> = (first..(first + BATCH).min(count))
            .map(|n| {
                json!({"device": device_id, "name": format!("GigabitEthernet{}/0/{}", 1 + n / 48, 1 + n % 48),
                       "type": "1000base-t",
                       "custom_fields": {"change_ticket_number": format!("CHG-{n}")}})
            })
            .collect();
        call(
            &http,
            rig,
            reqwest::Method::POST,
            "/api/dcim/interfaces/",
            Some(Value::Array(batch)),
        )
        .await;
    }
    println!(
        "seeded {count} interfaces carrying a ticket in {:.1} s (bulk POSTs of {BATCH})",
        started.elapsed().as_secs_f64()
    );

    let client = NetboxClient::new(&NetboxConfig::new(
        rig.url.clone(),
        Secret::new(rig.auth_v2.clone()),
    ))
    .expect("client");
    let mut times = Vec::with_capacity(RUNS);
    let mut found = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        found = client.interfaces_with_ticket().await.expect("sweep").len();
        times.push(t.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "sweep over {found} interfaces with a ticket (real NetBox, pages of 1,000, {} requests each): min {:.0} ms, median {:.0} ms, max {:.0} ms ({RUNS} runs)",
        found.div_ceil(1000).max(1),
        ms(times[0]),
        ms(times[RUNS / 2]),
        ms(times[RUNS - 1])
    );

    let mut polls = Vec::with_capacity(20);
    let head = client
        .latest_object_change_id()
        .await
        .expect("head")
        .unwrap_or(0);
    for _ in 0..20 {
        let t = Instant::now();
        let changes = client.object_changes_after(head, 200).await.expect("poll");
        assert!(changes.is_empty());
        polls.push(t.elapsed());
    }
    polls.sort();
    println!(
        "idle change-log poll (one request) on the real NetBox: median {:.1} ms, max {:.1} ms (20 polls)",
        ms(polls[10]),
        ms(polls[19])
    );
}
