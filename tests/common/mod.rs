//! Shared harness for end-to-end tests: the real `patchpanel` binary as separate processes (the Webex
//! simulator, the device simulator, the bot), driven through the simulator's control API.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BOT_EMAIL: &str = "patchpanel@webex.bot";
pub const TOKEN: &str = "e2e-bot-token";

/// A child process killed when dropped.
pub struct Proc {
    pub child: Child,
    pub stdout_lines: Vec<String>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_patchpanel"))
}

/// Starts a simulator and reads its stdout until `want` lines were printed.
fn spawn_sim(args: &[&str], want: usize, dir: &std::path::Path) -> Proc {
    let mut child = bin()
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn simulator");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut lines = Vec::new();
    while lines.len() < want {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("read simulator stdout") == 0 {
            panic!("simulator exited early; printed {lines:?}");
        }
        lines.push(line.trim().to_owned());
    }
    // Keep draining so the child never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
            sink.clear();
        }
    });
    Proc {
        child,
        stdout_lines: lines,
    }
}

pub struct WebexSim {
    pub proc: Proc,
    pub base: String,
}

impl WebexSim {
    pub fn start(dir: &std::path::Path) -> WebexSim {
        Self::start_with(dir, &[])
    }

    /// The simulator with an org homed on `cluster` (`patchpanel sim webex --cluster …`).
    pub fn start_on_cluster(dir: &std::path::Path, cluster: &str) -> WebexSim {
        Self::start_with(dir, &["--cluster", cluster])
    }

    fn start_with(dir: &std::path::Path, extra: &[&str]) -> WebexSim {
        let mut args = vec!["sim", "webex", "--listen", "127.0.0.1:0", "--token", TOKEN];
        args.extend_from_slice(extra);
        let proc = spawn_sim(&args, 3, dir);
        let base = proc.stdout_lines[0]
            .rsplit(' ')
            .next()
            .expect("address")
            .trim_end_matches('/')
            .to_owned();
        WebexSim { proc, base }
    }

    pub fn api_url(&self) -> String {
        format!("{}/v1", self.base)
    }

    pub fn u2c_url(&self) -> String {
        format!("{}/u2c/api/v1", self.base)
    }
}

pub struct DeviceSim {
    pub proc: Proc,
    pub restconf_url: String,
    pub netconf_port: u16,
    pub known_hosts_line: String,
}

impl DeviceSim {
    pub fn start(dir: &std::path::Path) -> DeviceSim {
        let proc = spawn_sim(
            &[
                "sim",
                "device",
                "--listen",
                "127.0.0.1:0",
                "--netconf-listen",
                "127.0.0.1:0",
                "--username",
                "admin",
                "--password",
                "e2e-pass",
            ],
            3,
            dir,
        );
        let value = |prefix: &str| -> String {
            proc.stdout_lines
                .iter()
                .find_map(|l| l.strip_prefix(prefix))
                .unwrap_or_else(|| panic!("no `{prefix}` in {:?}", proc.stdout_lines))
                .trim()
                .to_owned()
        };
        let restconf_url = value("device simulator RESTCONF ");
        let netconf: std::net::SocketAddr = value("device simulator NETCONF ")
            .parse()
            .expect("netconf addr");
        let known_hosts_line = value("known_hosts ");
        DeviceSim {
            restconf_url,
            netconf_port: netconf.port(),
            known_hosts_line,
            proc,
        }
    }
}

/// Starts `patchpanel run` against the simulators with `extra` environment.
pub fn start_bot(dir: &std::path::Path, webex: &WebexSim, extra: &[(&str, String)]) -> Proc {
    Proc {
        child: bot_command(dir, webex, extra).spawn().expect("spawn bot"),
        stdout_lines: Vec::new(),
    }
}

/// The `patchpanel run` command [`start_bot`] spawns, for a test that changes more (its log, its
/// limits) before spawning it.
pub fn bot_command(dir: &std::path::Path, webex: &WebexSim, extra: &[(&str, String)]) -> Command {
    let mut cmd = bin();
    cmd.arg("run")
        .current_dir(dir)
        .env_remove("PATCHPANEL_INVENTORY")
        .env("RUST_LOG", "info")
        .env("WEBEX_BOT_TOKEN", TOKEN)
        .env("WEBEX_API_URL", webex.api_url())
        .env("WEBEX_U2C_URL", webex.u2c_url())
        .env(
            "PATCHPANEL_ALLOWED",
            "engineer@example.com, @ops.example.com",
        )
        .env("PATCHPANEL_DB", dir.join("patchpanel.db"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

/// The device files a bot needs to read the device simulator.
pub fn device_env(dir: &std::path::Path, device: &DeviceSim) -> Vec<(&'static str, String)> {
    let inventory = dir.join("inventory.toml");
    let doc = format!(
        "[[device]]\nname = \"c9300\"\nhost = \"127.0.0.1\"\nrestconf_url = \"{}\"\n\n[[device]]\nname = \"c9300-nc\"\nhost = \"127.0.0.1\"\nnetconf_port = {}\n",
        device.restconf_url, device.netconf_port
    );
    std::fs::write(&inventory, doc).expect("inventory");
    let known_hosts = dir.join("known_hosts");
    std::fs::write(&known_hosts, format!("{}\n", device.known_hosts_line)).expect("known_hosts");
    vec![
        ("PATCHPANEL_INVENTORY", inventory.display().to_string()),
        ("DEVICE_KNOWN_HOSTS", known_hosts.display().to_string()),
        ("DEVICE_USERNAME", "admin".to_owned()),
        ("DEVICE_PASSWORD", "e2e-pass".to_owned()),
    ]
}

/// The simulator's control API.
pub struct Control {
    http: reqwest::Client,
    base: String,
    /// The bot's store (`PATCHPANEL_DB` of `start_bot`): it says when the bot is done with an event.
    store: std::path::PathBuf,
}

impl Control {
    /// `bot_dir`: the folder the bot was started in (its store lives there).
    pub fn new(sim: &WebexSim, bot_dir: &std::path::Path) -> Control {
        Control {
            http: reqwest::Client::new(),
            base: sim.base.clone(),
            store: bot_dir.join("patchpanel.db"),
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("control post");
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path} answered {status}: {body}");
        body
    }

    pub async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("control get")
            .json()
            .await
            .expect("json")
    }

    pub async fn say(&self, from: &str, text: &str, room: &str, mention: bool) -> String {
        let v = self
            .post(
                "/_sim/say",
                json!({"from": from, "text": text, "room": room, "mention": mention}),
            )
            .await;
        v["messageId"].as_str().expect("messageId").to_owned()
    }

    /// A person presses a submit button of card message `message_id`; returns the action id.
    pub async fn press(&self, from: &str, message_id: &str, inputs: Value) -> String {
        let v = self
            .post(
                "/_sim/press",
                json!({"from": from, "messageId": message_id, "inputs": inputs}),
            )
            .await;
        v["actionId"].as_str().expect("actionId").to_owned()
    }

    /// Posts a card with the bot's token through the simulator's REST API (as an earlier run of the
    /// bot would have) to `room_id`; returns the REST message.
    pub async fn post_card_as_bot(&self, room_id: &str) -> Value {
        let card = json!({"contentType": "application/vnd.microsoft.card.adaptive",
                          "content": {"type": "AdaptiveCard", "version": "1.3", "body": [],
                                      "actions": [{"type": "Action.Submit", "title": "Approve",
                                                   "data": {"choice": "approve"}}]}});
        let resp = self
            .http
            .post(format!("{}/v1/messages", self.base))
            .bearer_auth(TOKEN)
            .json(&json!({"roomId": room_id, "text": "Approve?", "attachments": [card]}))
            .send()
            .await
            .expect("post card");
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(
            status.is_success(),
            "POST /v1/messages answered {status}: {body}"
        );
        body
    }

    pub async fn say_as_bot(&self, from: &str, text: &str) -> String {
        let v = self
            .post("/_sim/say", json!({"from": from, "text": text, "room": "direct", "mention": false, "asBot": true}))
            .await;
        v["messageId"].as_str().expect("messageId").to_owned()
    }

    pub async fn messages(&self) -> Vec<Value> {
        match self.get("/_sim/messages").await {
            Value::Array(items) => items,
            other => other["items"].as_array().cloned().unwrap_or_default(),
        }
    }

    pub async fn message(&self, id: &str) -> Value {
        self.messages()
            .await
            .into_iter()
            .find(|m| m["id"] == id)
            .expect("message exists")
    }

    /// The bot's replies in the thread of message `id`.
    pub async fn replies_to(&self, id: &str) -> Vec<Value> {
        self.messages()
            .await
            .into_iter()
            .filter(|m| m["personEmail"] == BOT_EMAIL && m["parentId"] == id)
            .collect()
    }

    /// Waits until the bot's socket is connected (per `/_sim/state`).
    pub async fn wait_connected(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if connected(&self.get("/_sim/state").await) > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the bot never connected: {}", self.get("/_sim/state").await);
    }

    /// Every reply to message `id` once the bot is done with it: the bot's store records how it
    /// finished with each event (after its answer was posted), so the count is final when read, with
    /// no settle time.
    pub async fn await_replies(&self, id: &str) -> Vec<Value> {
        self.await_replies_for(id, id).await
    }

    /// Every reply in the thread of message `thread` once the bot is done with the event `event`
    /// (a message id, or a card press's attachment-action id).
    pub async fn await_replies_for(&self, thread: &str, event_id: &str) -> Vec<Value> {
        let id = thread;
        let event = patchpanel::webex::ids::decode(event_id)
            .unwrap_or_else(|| panic!("{event_id} is not a Webex id"))
            .uuid;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(outcome) = self.event_outcome(&event).await {
                let replies = self.replies_to(id).await;
                assert!(
                    !replies.is_empty() || !outcome.starts_with("answered"),
                    "the bot says {outcome:?} for {id}, but no reply is there"
                );
                return replies;
            }
            assert!(
                Instant::now() < deadline,
                "the bot never finished with {id}; messages: {:#?}",
                self.messages().await
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The one answer to the card press `event_id` in `room`: not threaded (the card it answers
    /// may be deleted as the decision is carried out), so the bot's unthreaded, card-less message
    /// in the room, once the bot is done with the event.
    pub async fn only_room_reply_for(&self, room: &str, event_id: &str) -> Value {
        let event = patchpanel::webex::ids::decode(event_id)
            .unwrap_or_else(|| panic!("{event_id} is not a Webex id"))
            .uuid;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(outcome) = self.event_outcome(&event).await {
                let mut replies: Vec<Value> = self
                    .messages()
                    .await
                    .into_iter()
                    .filter(|m| {
                        m["personEmail"] == BOT_EMAIL
                            && m["roomId"] == room
                            && m.get("parentId").map_or(true, Value::is_null)
                            && m.get("attachments").map_or(true, Value::is_null)
                    })
                    .collect();
                assert_eq!(replies.len(), 1, "{outcome}: {replies:#?}");
                return replies.remove(0);
            }
            assert!(
                Instant::now() < deadline,
                "the bot never finished with {event_id}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// How the bot finished with event `uuid`, once it has (read from its store, which it keeps
    /// open; SQLite's WAL lets this process read alongside).
    async fn event_outcome(&self, uuid: &str) -> Option<String> {
        if !self.store.exists() {
            return None;
        }
        let store = patchpanel::store::Store::open(&self.store).ok()?;
        store
            .event_outcome(patchpanel::app::SEEN_SOURCE, uuid)
            .await
            .ok()
            .flatten()
            .flatten()
    }
}

impl Control {
    /// The one reply to `id` (once the bot is done with it): fails when there is none or more than one.
    pub async fn only_reply(&self, id: &str) -> Value {
        self.only_reply_for(id, id).await
    }

    /// The one reply in the thread of `thread` to the event `event_id` (a card press, say).
    pub async fn only_reply_for(&self, thread: &str, event_id: &str) -> Value {
        let mut replies = self.await_replies_for(thread, event_id).await;
        assert_eq!(
            replies.len(),
            1,
            "exactly one reply to {event_id}: {replies:#?}"
        );
        replies.remove(0)
    }
}

fn connected(state: &Value) -> u64 {
    state["sockets"].as_u64().unwrap_or(0)
}

pub fn reply_text(m: &Value) -> String {
    m["markdown"]
        .as_str()
        .or(m["text"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// `patchpanel sim netbox` as a process, with its `/_sim` control API.
pub struct NetboxSim {
    pub proc: Proc,
    /// `http://127.0.0.1:<port>` (NETBOX_URL).
    pub base: String,
    pub token: String,
}

impl NetboxSim {
    pub fn start(dir: &std::path::Path) -> NetboxSim {
        let token = "0123456789abcdef0123456789abcdef01234567".to_owned();
        let proc = spawn_sim(
            &[
                "sim",
                "netbox",
                "--listen",
                "127.0.0.1:0",
                "--token",
                &token,
            ],
            2,
            dir,
        );
        let base = proc
            .stdout_lines
            .iter()
            .find_map(|l| l.strip_prefix("NETBOX_URL="))
            .unwrap_or_else(|| panic!("no NETBOX_URL in {:?}", proc.stdout_lines))
            .trim()
            .to_owned();
        NetboxSim { proc, base, token }
    }

    /// NETBOX_URL and NETBOX_TOKEN for the bot.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("NETBOX_URL", self.base.clone()),
            ("NETBOX_TOKEN", self.token.clone()),
        ]
    }

    /// `POST /_sim/<path>`; fails the test unless it succeeds.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        let resp = reqwest::Client::new()
            .post(format!("{}/_sim/{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("netbox control post");
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(
            status.is_success(),
            "/_sim/{path} answered {status}: {body}"
        );
        body
    }
}
