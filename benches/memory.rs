//! Resident memory of an idle, connected bot: `patchpanel sim webex` and `patchpanel run` as processes
//! (release build), the bot connected and idle for a few seconds; reads VmRSS / VmHWM from /proc.
//!
//! Run: `cargo bench --bench memory`. Target: under 25 MB.

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

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_patchpanel");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sim = Command::new(bin)
        .args(["sim", "webex", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn sim");
    let mut first = String::new();
    BufReader::new(sim.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("sim address");
    let sim = Kill(sim);
    let base = first.trim().rsplit(' ').next().expect("address").to_owned();

    let bot = Command::new(bin)
        .arg("run")
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .env("WEBEX_BOT_TOKEN", "bench-token")
        .env("WEBEX_API_URL", format!("{base}/v1"))
        .env("WEBEX_U2C_URL", format!("{base}/u2c/api/v1"))
        .env("PATCHPANEL_ALLOWED", "@example.com")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn bot");
    let bot = Kill(bot);
    let pid = bot.0.id();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let state: serde_json::Value = http
                .get(format!("{base}/_sim/state"))
                .send()
                .await
                .expect("state")
                .json()
                .await
                .expect("json");
            if state["sockets"].as_u64().unwrap_or(0) > 0 {
                break;
            }
            assert!(Instant::now() < deadline, "bot never connected: {state}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    std::thread::sleep(Duration::from_secs(5));
    let rss = status_kb(pid, "VmRSS:").unwrap_or(0);
    let hwm = status_kb(pid, "VmHWM:").unwrap_or(0);
    println!(
        "idle connected bot: VmRSS {:.1} MB, peak VmHWM {:.1} MB (target < 25 MB)",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    drop(bot);
    drop(sim);
}
