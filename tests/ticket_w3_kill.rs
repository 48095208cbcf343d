//! The bot killed (SIGKILL) in the middle of applying an approved change, as processes: the Webex,
//! Zammad and device simulators and `patchpanel run`. The switch hangs on the change's
//! `<edit-config>` (the simulator's `stall-next-edit`), the bot is killed there and started again:
//! it does not apply the change a second time; it reads the switch, finds the change not there and
//! the ticket asks a person to look.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(60);
const APPROVER: &str = "approver@example.com";

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `patchpanel sim …` with the lines it printed until one contained `until`.
fn sim(args: &[&str], until: &str) -> (Kill, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_patchpanel"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "{args:?} ended");
        let done = line.contains(until);
        lines.push(line.trim().to_owned());
        if done {
            break;
        }
    }
    std::thread::spawn(move || for _ in out.lines() {});
    (Kill(child), lines)
}

fn last_word(lines: &[String], containing: &str) -> String {
    lines
        .iter()
        .find(|l| l.contains(containing))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap()
        .to_owned()
}

fn bot(dir: &Path, env: &[(&str, String)]) -> Kill {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("bot.log"))
        .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_patchpanel"));
    cmd.arg("run")
        .current_dir(dir)
        .env_clear()
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::from(log));
    for (k, v) in env {
        cmd.env(k, v);
    }
    Kill(cmd.spawn().unwrap())
}

async fn get(url: &str) -> Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

async fn post(url: &str, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    resp.json().await.unwrap_or(Value::Null)
}

/// Polls `probe` every 25 ms until it answers `Some`, for at most [`WAIT`].
async fn until<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    dir: &Path,
    mut probe: impl FnMut() -> F,
) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(
            start.elapsed() < WAIT,
            "{what} never happened; bot log:\n{}",
            std::fs::read_to_string(dir.join("bot.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_killed_in_the_middle_of_a_change_never_applies_it_twice() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (_webex, w) = sim(&["sim", "webex", "--listen", "127.0.0.1:0"], "");
    let webex = last_word(&w, "http");
    let known_hosts = dir.join("known_hosts");
    let (_device, d) = sim(
        &[
            "sim",
            "device",
            "--listen",
            "127.0.0.1:0",
            "--netconf-listen",
            "127.0.0.1:0",
            "--known-hosts-out",
            known_hosts.to_str().unwrap(),
        ],
        "known_hosts",
    );
    let restconf = last_word(&d, "RESTCONF");
    let device_control = restconf.trim_end_matches("/restconf").to_owned();
    let netconf = last_word(&d, "NETCONF");
    let (_zammad, z) = sim(&["sim", "zammad", "--listen", "127.0.0.1:0"], "ZAMMAD_URL=");
    let zammad = z
        .iter()
        .find_map(|l| l.strip_prefix("ZAMMAD_URL="))
        .unwrap()
        .to_owned();
    std::fs::write(
        dir.join("devices.toml"),
        format!(
            "[[device]]\nname = \"c9300\"\nhost = \"127.0.0.1\"\nnetconf_port = {}\nprofile = \"iosxe\"\n",
            netconf.rsplit(':').next().unwrap()
        ),
    )
    .unwrap();
    let env = vec![
        ("WEBEX_BOT_TOKEN", "kill-test".to_owned()),
        ("WEBEX_API_URL", format!("{webex}/v1")),
        ("WEBEX_U2C_URL", format!("{webex}/u2c/api/v1")),
        ("PATCHPANEL_ALLOWED", "@example.com".to_owned()),
        ("PATCHPANEL_APPROVERS", APPROVER.to_owned()),
        (
            "PATCHPANEL_DB",
            dir.join("patchpanel.db").display().to_string(),
        ),
        (
            "PATCHPANEL_INVENTORY",
            dir.join("devices.toml").display().to_string(),
        ),
        ("DEVICE_USERNAME", "admin".to_owned()),
        ("DEVICE_PASSWORD", "any".to_owned()),
        ("DEVICE_KNOWN_HOSTS", known_hosts.display().to_string()),
        ("ZAMMAD_URL", zammad.clone()),
        ("ZAMMAD_TOKEN", "kill-test".to_owned()),
        ("ZAMMAD_POLL_SECONDS", "0.2".to_owned()),
    ];
    let mut first = bot(dir, &env);

    let ticket = post(
        &format!("{zammad}/_sim/tickets"),
        json!({
            "title": "Network Change Request",
            "customer": "network-team@local.lab",
            "ticket_type": "network_change",
            "network_device_name": "c9300",
            "network_interface_name": "GigabitEthernet1/0/5",
            "network_interface_mtu": 2000,
        }),
    )
    .await;
    let id = ticket["id"].as_u64().unwrap();
    let card: Value = until("the approval card", dir, || async {
        let all = get(&format!("{webex}/_sim/messages")).await;
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["attachments"].is_array())
            .cloned()
    })
    .await;
    let mtu_url = format!(
        "{restconf}/data/Cisco-IOS-XE-native:native/interface/GigabitEthernet=1%2F0%2F5/mtu"
    );
    let mtu = || async {
        let v: Value = reqwest::Client::new()
            .get(&mtu_url)
            .basic_auth("admin", Some("any"))
            .header("Accept", "application/yang-data+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or(Value::Null);
        v.to_string()
    };
    let mtu_before = mtu().await;
    assert!(
        mtu_before.contains("mtu"),
        "the switch's MTU is read: {mtu_before}"
    );

    // The switch will hang on the change; Approve.
    post(
        &format!("{device_control}/_sim/fault"),
        json!({"kind": "stall-next-edit"}),
    )
    .await;
    let mut inputs = card["attachments"][0]["content"]["actions"][0]["data"].clone();
    inputs["reason"] = json!("");
    post(
        &format!("{webex}/_sim/press"),
        json!({"from": APPROVER, "messageId": card["id"], "inputs": inputs}),
    )
    .await;
    // The edit reached the switch (the one-shot fault is taken): the bot is in the middle of it.
    until("the change reaching the switch", dir, || async {
        let s = get(&format!("{device_control}/_sim/state")).await;
        (s["wireFaults"]["stallNextEdit"] == json!(false)).then_some(())
    })
    .await;
    first.0.kill().unwrap();
    first.0.wait().unwrap();

    let _second = bot(dir, &env);
    let state = until("the ticket asking for attention", dir, || async {
        let t = get(&format!("{zammad}/_sim/state")).await;
        let ticket = t["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == json!(id))
            .cloned()
            .unwrap();
        (ticket["state"] == "attention required").then_some(t)
    })
    .await;
    let notes: Vec<&str> = state["articles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["ticket_id"] == json!(id) && a["type"] == "note")
        .filter_map(|a| a["body"].as_str())
        .collect();
    let last = notes.last().unwrap();
    assert!(
        last.contains("not applied again") && last.contains("must check the device"),
        "{notes:#?}"
    );
    assert_eq!(mtu().await, mtu_before, "the switch was not changed");
}
