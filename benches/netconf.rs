//! NETCONF round trips and fan-out, measured with the project's client (`release` build):
//!
//! 1. connect + hello + get-config + close against the local real server (yuma123 `netconfd` behind
//!    a private `sshd`, `tests/netconf/peer.sh`; needs root and the packages `scripts/test` installs),
//!    median of N; then the same get-config through a pooled session.
//! 2. get-config fanned out to 200 simulated devices with 32 in flight: wall time, and the peak
//!    resident memory of this (client) process. The devices are `patchpanel sim device` processes,
//!    so their memory is not counted here.
//!
//! Run: `cargo bench --bench netconf` (optionally `-- ITERATIONS DEVICES`).

#[path = "../tests/netconf_peer/mod.rs"]
mod netconf_peer;

use patchpanel::device::netconf::{ConnectOptions, Datastore, Filter, NetconfSession};
use patchpanel::device::pool::{PoolConfig, SessionPool};
use patchpanel::secret::Secret;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NATIVE_VRFS: &str =
    r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface/></native>"#;

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let iterations: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(20);
    let devices: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        real_server(iterations).await;
        fan_out(devices).await;
    });
}

async fn real_server(iterations: usize) {
    let peer = netconf_peer::NetconfPeer::start();
    let opts = ConnectOptions {
        password: Some(Secret::new(peer.password.clone())),
        known_hosts: Some(peer.known_hosts.clone()),
        ..ConnectOptions::new(peer.host.clone(), peer.port, peer.username.clone())
    };
    let filter = Filter::subtree(NATIVE_VRFS);
    let mut fresh = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let opts = opts.clone();
        let filter = filter.clone();
        let took = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let mut s = NetconfSession::connect(&opts).expect("connect");
            s.get_config(Datastore::Running, Some(&filter))
                .expect("get-config");
            s.close();
            started.elapsed()
        })
        .await
        .expect("worker");
        fresh.push(took);
    }
    let pool = SessionPool::new(PoolConfig::default());
    let mut pooled = Vec::with_capacity(iterations);
    for _ in 0..iterations + 1 {
        let filter = filter.clone();
        let started = Instant::now();
        pool.run("peer", opts.clone(), move |s| {
            s.get_config(Datastore::Running, Some(&filter)).map(|_| ())
        })
        .await
        .expect("session")
        .expect("get-config");
        pooled.push(started.elapsed());
    }
    pooled.remove(0); // the first one connects
    println!(
        "real netconfd: connect + hello + get-config + close median {} (min {}, max {}), pooled get-config median {} ({} runs each)",
        ms(median(fresh.clone())),
        ms(*fresh.iter().min().expect("runs")),
        ms(*fresh.iter().max().expect("runs")),
        ms(median(pooled)),
        iterations
    );
    pool.close_all().await;
}

async fn fan_out(devices: usize) {
    const SIMS: usize = 4;
    let bin = env!("CARGO_BIN_EXE_patchpanel");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sims = Vec::new();
    let mut endpoints = Vec::new();
    let mut known_hosts = String::new();
    for _ in 0..SIMS {
        let mut child = Command::new(bin)
            .args([
                "sim",
                "device",
                "--listen",
                "127.0.0.1:0",
                "--netconf-listen",
                "127.0.0.1:0",
                "--username",
                "bench",
                "--password",
                "bench-pw",
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn device simulator");
        let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
        let mut port = 0;
        for _ in 0..3 {
            let mut line = String::new();
            reader.read_line(&mut line).expect("simulator output");
            if let Some(addr) = line.trim().strip_prefix("device simulator NETCONF ") {
                port = addr
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .expect("port");
            }
            if let Some(kh) = line.trim().strip_prefix("known_hosts ") {
                known_hosts.push_str(kh);
                known_hosts.push('\n');
            }
        }
        endpoints.push(port);
        sims.push((Kill(child), reader));
    }
    let kh_path = dir.path().join("known_hosts");
    std::fs::write(&kh_path, known_hosts).expect("known_hosts");
    let targets: Vec<(String, ConnectOptions)> = (0..devices)
        .map(|i| {
            let opts = ConnectOptions {
                password: Some(Secret::new("bench-pw")),
                known_hosts: Some(kh_path.clone()),
                ..ConnectOptions::new("127.0.0.1", endpoints[i % SIMS], "bench")
            };
            (format!("sw{i:03}"), opts)
        })
        .collect();
    let pool = SessionPool::new(PoolConfig {
        max_in_flight: 32,
        ..PoolConfig::default()
    });
    let filter = Filter::subtree(NATIVE_VRFS);
    let before = peak_rss_mb();
    let started = Instant::now();
    let results = pool
        .fan_out(targets, move |s| {
            s.get_config(Datastore::Running, Some(&filter))
                .map(|r| r.xml.len())
        })
        .await;
    let wall = started.elapsed();
    let ok = results
        .iter()
        .filter(|(_, r)| matches!(r, Ok(Ok(_))))
        .count();
    let bytes: usize = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok().and_then(|r| r.as_ref().ok()))
        .sum();
    println!(
        "fan-out get-config to {devices} simulated devices, 32 in flight: wall {} ({ok} ok, {:.1} MB of replies), peak RSS {:.1} MB (before {:.1} MB) (target < 3 s)",
        ms(wall),
        bytes as f64 / 1e6,
        peak_rss_mb(),
        before
    );
    for (name, r) in results
        .iter()
        .filter(|(_, r)| !matches!(r, Ok(Ok(_))))
        .take(3)
    {
        println!("  failed: {name}: {r:?}");
    }
    pool.close_all().await;
    drop(sims);
}
