//! Resident memory of `patchpanel run` holding 1,000 changes pending approval: the Webex, Zammad
//! and device simulators and the bot as separate processes (release build); 1,000 network-change
//! tickets are created in Zammad, the bot validates each against the device, posts its card and
//! moves the ticket to `pending approval`; then VmRSS / VmHWM of the bot are read from /proc.
//!
//! Run: `cargo bench --bench approval_memory` (CHANGES=N for another count). Target: under 40 MB.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Starts `patchpanel sim …` and returns it with the lines it printed until `until` matched.
fn sim(bin: &str, args: &[&str], until: &str) -> (Kill, Vec<String>) {
    let mut child = Command::new(bin)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn simulator");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).expect("read") > 0,
            "{args:?} ended"
        );
        let done = line.contains(until);
        lines.push(line.trim().to_owned());
        if done {
            break;
        }
    }
    // Keep draining so the simulator never blocks on a full pipe.
    std::thread::spawn(move || for _ in out.lines() {});
    (Kill(child), lines)
}

fn last_word(lines: &[String], containing: &str) -> String {
    lines
        .iter()
        .find(|l| l.contains(containing))
        .and_then(|l| l.rsplit(' ').next())
        .expect("the simulator printed it")
        .to_owned()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let changes: usize = std::env::var("CHANGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let bin = env!("CARGO_BIN_EXE_patchpanel");
    let dir = tempfile::tempdir().expect("tempdir");
    let (_webex, w) = sim(bin, &["sim", "webex", "--listen", "127.0.0.1:0"], "");
    let webex = last_word(&w, "http");
    let known_hosts = dir.path().join("known_hosts");
    let (_device, d) = sim(
        bin,
        &[
            "sim",
            "device",
            "--listen",
            "127.0.0.1:0",
            "--netconf-listen",
            "127.0.0.1:0",
            "--known-hosts-out",
            known_hosts.to_str().expect("path"),
        ],
        "known_hosts",
    );
    let netconf = last_word(&d, "NETCONF");
    let port = netconf.rsplit(':').next().expect("port");
    let (_zammad, z) = sim(
        bin,
        &["sim", "zammad", "--listen", "127.0.0.1:0"],
        "ZAMMAD_URL=",
    );
    let zammad = z
        .iter()
        .find_map(|l| l.strip_prefix("ZAMMAD_URL="))
        .expect("ZAMMAD_URL")
        .to_owned();
    let inventory = dir.path().join("devices.toml");
    std::fs::write(
        &inventory,
        format!("[[device]]\nname = \"c9300\"\nhost = \"127.0.0.1\"\nnetconf_port = {port}\nprofile = \"iosxe\"\n"),
    )
    .expect("devices file");

    let bot = Command::new(bin)
        .arg("run")
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .env("WEBEX_BOT_TOKEN", "bench-token")
        .env("WEBEX_API_URL", format!("{webex}/v1"))
        .env("WEBEX_U2C_URL", format!("{webex}/u2c/api/v1"))
        .env("PATCHPANEL_ALLOWED", "@example.com")
        .env("PATCHPANEL_APPROVERS", "approver@example.com")
        .env("PATCHPANEL_INVENTORY", &inventory)
        .env("DEVICE_USERNAME", "admin")
        .env("DEVICE_PASSWORD", "bench")
        .env("DEVICE_KNOWN_HOSTS", &known_hosts)
        .env("ZAMMAD_URL", &zammad)
        .env("ZAMMAD_TOKEN", "bench")
        .env("ZAMMAD_POLL_SECONDS", "1")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn bot");
    let bot = Kill(bot);
    let pid = bot.0.id();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    rt.block_on(async {
        let http = reqwest::Client::new();
        for n in 0..changes {
            http.post(format!("{zammad}/_sim/tickets"))
                .json(&serde_json::json!({
                    "title": format!("change {n}"),
                    "customer": "network-team@local.lab",
                    "ticket_type": "network_change",
                    "network_device_name": "c9300",
                    "network_interface_name": format!("GigabitEthernet1/0/{}", 2 + n % 46),
                    "network_interface_mtu": 1600 + (n % 400),
                }))
                .send()
                .await
                .expect("ticket")
                .error_for_status()
                .expect("ticket created");
        }
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let state: serde_json::Value = http
                .get(format!("{zammad}/_sim/state"))
                .send()
                .await
                .expect("state")
                .json()
                .await
                .expect("json");
            let pending = state["tickets"]
                .as_array()
                .map(|t| {
                    t.iter()
                        .filter(|t| t["state"] == "pending approval")
                        .count()
                })
                .unwrap_or(0);
            if pending >= changes {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "only {pending} of {changes} changes are pending"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let took = started.elapsed();
    std::thread::sleep(Duration::from_secs(3));
    let rss = status_kb(pid, "VmRSS:").unwrap_or(0);
    let hwm = status_kb(pid, "VmHWM:").unwrap_or(0);
    println!(
        "approval_memory: {changes} changes pending approval (reached in {:.1} s): VmRSS {:.1} MB, peak VmHWM {:.1} MB (target < 40 MB)",
        took.as_secs_f64(),
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
}
