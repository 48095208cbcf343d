//! Workflow W2 end to end, one body for a real NetBox and the simulator: the bot (`app::run`, in this
//! process) polls NetBox through a TCP proxy that can play "NetBox is down", pushes to a simulated
//! c9300 over NETCONF and reports to the Webex simulator. A "person" edits NetBox over its REST API.
//!
//! Waiting is done on observable facts (the bot's messages, NetBox's ticket field, the poller's cursor
//! in the store), never on sleeps; "nothing more happened" is asserted once the poller's persisted
//! cursor has passed every change record, including the bot's own clearing write.
#![allow(dead_code)]

mod stall;

use crate::device_sim_fixture::SimDevice;
use crate::tcp_proxy::TcpProxy;
use patchpanel::config::Settings;
use patchpanel::device::DeviceReader;
use patchpanel::store::Store;
use patchpanel_sim::webex::{self, RunningWebexSim, WebexSimConfig};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const NOTIFY: &str = "netops@example.com";
const WAIT: Duration = Duration::from_secs(90);

/// Where NetBox is and how a person and the bot authenticate to it.
pub struct Backend {
    /// NetBox's base URL (no `/api`), e.g. `http://127.0.0.1:8001`.
    pub url: String,
    /// `Authorization` header value for the person's edits.
    pub person_auth: String,
    /// NETBOX_TOKEN for the bot.
    pub bot_token: String,
}

/// A person at NetBox's REST API.
pub struct Person {
    http: reqwest::Client,
    url: String,
    auth: String,
}

impl Person {
    pub fn new(backend: &Backend) -> Person {
        Person {
            http: reqwest::Client::new(),
            url: backend.url.trim_end_matches('/').to_owned(),
            auth: backend.person_auth.clone(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.url))
            .header("Authorization", &self.auth)
            .header("Accept", "application/json");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    pub async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// An admin makes the ticket custom field required (or not): NetBox then refuses every
    /// interface write that leaves it empty, the bot's clears included.
    pub async fn set_ticket_required(&self, required: bool) {
        let page = self
            .get("/api/extras/custom-fields/?name=change_ticket_number")
            .await;
        let id = page["results"][0]["id"].as_u64().unwrap();
        let cf = self
            .call(
                reqwest::Method::PATCH,
                &format!("/api/extras/custom-fields/{id}/"),
                Some(json!({ "required": required })),
            )
            .await;
        assert_eq!(cf["required"], required, "{cf}");
    }

    /// The id of c9300's interface `name`.
    pub async fn interface_id(&self, name: &str) -> u64 {
        let page = self
            .get(&format!(
                "/api/dcim/interfaces/?device=c9300&name={}",
                name.replace('/', "%2F")
            ))
            .await;
        assert_eq!(page["count"], 1, "{page}");
        page["results"][0]["id"].as_u64().unwrap()
    }

    pub async fn interface(&self, id: u64) -> Value {
        self.get(&format!("/api/dcim/interfaces/{id}/")).await
    }

    /// A person's edit in NetBox (as the UI would save it).
    pub async fn edit(&self, id: u64, body: Value) -> Value {
        self.call(
            reqwest::Method::PATCH,
            &format!("/api/dcim/interfaces/{id}/"),
            Some(body),
        )
        .await
    }

    pub async fn ticket(&self, id: u64) -> Option<String> {
        self.interface(id).await["custom_fields"]["change_ticket_number"]
            .as_str()
            .map(str::to_owned)
    }

    /// The id of the newest change record (0 when there is none).
    pub async fn latest_change_id(&self) -> u64 {
        let page = self
            .get("/api/core/object-changes/?ordering=-id&limit=1")
            .await;
        page["results"][0]["id"].as_u64().unwrap_or(0)
    }

    /// The id of the one VLAN with this VID and no site (a global VLAN).
    pub async fn global_vlan_id(&self, vid: u16) -> u64 {
        let page = self.get(&format!("/api/ipam/vlans/?vid={vid}")).await;
        let globals: Vec<&Value> = page["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["site"].is_null())
            .collect();
        assert_eq!(globals.len(), 1, "one global VLAN {vid}: {page}");
        globals[0]["id"].as_u64().unwrap()
    }
}

/// Everything around the bot: Webex simulator, simulated switch, proxy to NetBox, scratch folder.
pub struct World {
    pub webex: RunningWebexSim,
    pub device: SimDevice,
    pub proxy: TcpProxy,
    pub dir: tempfile::TempDir,
    pub backend_token: String,
    pub poll_seconds: f64,
    _webex_stop: tokio_util::sync::DropGuard,
}

impl World {
    pub async fn start(backend: &Backend, poll_seconds: f64) -> World {
        let stop = CancellationToken::new();
        let webex = webex::start(WebexSimConfig::default(), stop.clone())
            .await
            .unwrap();
        let device = SimDevice::start().await;
        let target = reqwest::Url::parse(&backend.url).unwrap();
        let target = format!(
            "{}:{}",
            target.host_str().unwrap(),
            target.port_or_known_default().unwrap()
        )
        .parse()
        .unwrap();
        let proxy = TcpProxy::start(target).await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("devices.toml"),
            format!(
                "[[device]]\nname = \"c9300\"\nhost = \"127.0.0.1\"\nnetconf_port = {}\nprofile = \"iosxe\"\n",
                device.sim.netconf_addr.port()
            ),
        )
        .unwrap();
        World {
            webex,
            device,
            proxy,
            dir,
            backend_token: backend.bot_token.clone(),
            poll_seconds,
            _webex_stop: stop.drop_guard(),
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("patchpanel.db")
    }

    pub fn settings(&self) -> Settings {
        self.settings_with(&[])
    }

    /// The settings with some variables added or replaced.
    pub fn settings_with(&self, extra: &[(&'static str, String)]) -> Settings {
        let mut env: HashMap<&str, String> = HashMap::new();
        env.insert("WEBEX_BOT_TOKEN", "w2-test".into());
        env.insert("WEBEX_API_URL", self.webex.api_url());
        env.insert("WEBEX_U2C_URL", self.webex.u2c_url());
        env.insert("PATCHPANEL_ALLOWED", "@example.com".into());
        env.insert("PATCHPANEL_NOTIFY", NOTIFY.into());
        env.insert("PATCHPANEL_DB", self.db_path().display().to_string());
        env.insert(
            "PATCHPANEL_INVENTORY",
            self.dir.path().join("devices.toml").display().to_string(),
        );
        let dev = self.device.settings();
        env.insert("DEVICE_USERNAME", dev.username.clone().unwrap());
        env.insert(
            "DEVICE_PASSWORD",
            crate::device_sim_fixture::PASSWORD.to_owned(),
        );
        env.insert(
            "DEVICE_KNOWN_HOSTS",
            dev.known_hosts.unwrap().display().to_string(),
        );
        env.insert("NETBOX_URL", self.proxy.url());
        env.insert("NETBOX_TOKEN", self.backend_token.clone());
        env.insert("NETBOX_POLL_SECONDS", self.poll_seconds.to_string());
        env.insert("PATCHPANEL_PROTECTED", "c9300:GigabitEthernet1/0/1".into());
        env.extend(extra.iter().cloned());
        Settings::from_lookup(|k| env.get(k).cloned()).unwrap()
    }

    pub fn start_bot(&self) -> RunningBot {
        self.start_bot_with(&[])
    }

    pub fn start_bot_with(&self, extra: &[(&'static str, String)]) -> RunningBot {
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(patchpanel::app::run(
            self.settings_with(extra),
            shutdown.clone(),
        ));
        RunningBot { shutdown, task }
    }

    /// Every workflow message the bot posted (oldest first): in W2 they are all notifications. The
    /// configuration-change reports of the switch's changes (which go to the same room when
    /// PATCHPANEL_CHANGES_ROOM is unset) are [`Self::change_reports`].
    pub fn bot_messages(&self) -> Vec<String> {
        self.all_bot_messages()
            .into_iter()
            .filter(|t| !patchpanel::watch::messages::is_report(t))
            .collect()
    }

    /// Waits until the configuration-change notifier stored its first snapshot of c9300 (its
    /// silent baseline: a change after it is reported).
    pub async fn wait_baseline(&self) {
        let start = Instant::now();
        loop {
            if self.db_path().exists() {
                let store = Store::open(&self.db_path()).unwrap();
                if store.config_snapshot("c9300").await.unwrap().is_some() {
                    return;
                }
            }
            assert!(start.elapsed() < WAIT, "no baseline of c9300");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits for the first configuration-change report; answers it.
    pub async fn wait_change_report(&self) -> String {
        let start = Instant::now();
        loop {
            if let Some(r) = self.change_reports().into_iter().next() {
                return r;
            }
            assert!(start.elapsed() < WAIT, "no configuration-change report");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The configuration-change reports (oldest first).
    pub fn change_reports(&self) -> Vec<String> {
        self.all_bot_messages()
            .into_iter()
            .filter(|t| patchpanel::watch::messages::is_report(t))
            .collect()
    }

    fn all_bot_messages(&self) -> Vec<String> {
        let bot = self.webex.bot_person_id();
        self.webex
            .messages()
            .into_iter()
            .filter(|m| m.person_id == bot)
            .map(|m| m.markdown.clone().unwrap_or_else(|| m.text.clone()))
            .collect()
    }

    /// Waits until the bot has posted at least `n` messages; returns them all.
    pub async fn wait_messages(&self, n: usize) -> Vec<String> {
        let start = Instant::now();
        loop {
            let all = self.bot_messages();
            if all.len() >= n {
                return all;
            }
            assert!(
                start.elapsed() < WAIT,
                "waited {WAIT:?} for {n} messages, have {}: {all:#?}",
                all.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until the poller has finished `n` sweeps since the bot started (its start round is one
    /// change-log read, then a sweep).
    pub async fn wait_sweeps(&self, n: u64) {
        let start = Instant::now();
        while stored(&self.db_path(), patchpanel::netbox::poller::SWEEPS)
            .await
            .unwrap_or(0)
            < n
        {
            assert!(
                start.elapsed() < WAIT,
                "the poller never finished {n} sweeps"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until the poller's persisted cursor has reached `change_id`.
    pub async fn wait_cursor(&self, change_id: u64) {
        let start = Instant::now();
        loop {
            if let Some(c) = cursor(&self.db_path()).await {
                if c >= change_id {
                    return;
                }
            }
            assert!(
                start.elapsed() < WAIT,
                "the poller's cursor never reached {change_id} (now {:?})",
                cursor(&self.db_path()).await
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The switch's configuration of `interface`, read over NETCONF like the bot does.
    pub async fn device_interface(&self, interface: &str) -> patchpanel::device::InterfaceConfig {
        let reader = DeviceReader::new(
            self.device.netconf_inventory("c9300"),
            self.device.settings(),
        )
        .unwrap();
        let answer = crate::reads::interface(&reader, "c9300", interface)
            .await
            .unwrap();
        reader.pool().close_all().await;
        answer.data.config
    }
}

async fn cursor(db: &Path) -> Option<u64> {
    stored(db, patchpanel::netbox::poller::CURSOR).await
}

async fn stored(db: &Path, name: &str) -> Option<u64> {
    if !db.exists() {
        return None;
    }
    let store = Store::open(db).ok()?;
    store.cursor(name).await.ok().flatten()
}

pub struct RunningBot {
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), patchpanel::app::AppError>>,
}

impl RunningBot {
    /// Waits until the bot's NetBox webhook receiver listens, and answers its port (read from the
    /// store, so `NETBOX_WEBHOOK_LISTEN=127.0.0.1:0` needs no port guessed in advance). A bot that
    /// stopped meanwhile fails the test with its error.
    pub async fn wait_webhook_port(&self, db: &Path) -> u16 {
        self.wait_stored_port(db, patchpanel::netbox::webhook::LISTEN_PORT)
            .await
    }

    /// Waits until the store names the port a receiver of the bot listens on (`key`).
    pub async fn wait_stored_port(&self, db: &Path, key: &str) -> u16 {
        let start = Instant::now();
        loop {
            if let Some(port) = stored(db, key).await {
                return u16::try_from(port).expect("a port");
            }
            assert!(
                !self.task.is_finished(),
                "the bot stopped before its webhook receiver listened"
            );
            assert!(
                start.elapsed() < WAIT,
                "the webhook receiver never listened"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until the bot stops by itself (a start-up error), and answers its error.
    pub async fn failed(self) -> patchpanel::app::AppError {
        let result = tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the bot stops by itself")
            .expect("the bot task did not panic");
        match result {
            Err(e) => e,
            Ok(()) => panic!("the bot stopped without an error"),
        }
    }

    /// Orderly shutdown; the bot must stop cleanly.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let result = tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("the bot stops within 30 s")
            .expect("the bot task did not panic");
        result.expect("the bot stopped without an error");
    }
}

/// `X-Hook-Signature` as NetBox computes it: hex HMAC-SHA512 of the body keyed with the secret.
pub fn hook_signature(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha512>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Waits until NetBox shows no ticket number on `id`.
pub async fn wait_cleared(person: &Person, id: u64) {
    let start = Instant::now();
    while let Some(t) = person.ticket(id).await {
        assert!(
            start.elapsed() < WAIT,
            "ticket {t} on interface {id} was never cleared"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Lets the poller pass every change record so far, then checks the bot said exactly `n` things.
async fn settle_and_count(world: &World, person: &Person, n: usize) -> Vec<String> {
    world.wait_cursor(person.latest_change_id().await).await;
    let all = world.bot_messages();
    assert_eq!(all.len(), n, "exactly {n} messages: {all:#?}");
    all
}

fn round(all: &[String], from: usize) -> String {
    all[from..].join("\n---\n")
}

/// The whole of W2 as the issue states it, in order, against one NetBox.
pub async fn w2_conformance(backend: &Backend) {
    let person = Person::new(backend);
    let world = World::start(backend, 0.2).await;
    let bot = world.start_bot();
    // The poller starts at NetBox's head: wait until it has recorded it, so the first edit is news.
    world.wait_cursor(0).await;

    // 1. An edit with a ticket: configured with the tagged description, ticket cleared, one round.
    let gi2 = person.interface_id("GigabitEthernet1/0/2").await;
    person
        .edit(
            gi2,
            json!({"description": "Printer floor 2 <&>", "mtu": 9000, "enabled": true,
                   "custom_fields": {"change_ticket_number": "CHG-1001"}}),
        )
        .await;
    let all = world.wait_messages(3).await;
    wait_cleared(&person, gi2).await;
    let all_after = settle_and_count(&world, &person, all.len()).await;
    assert_eq!(
        all_after.len(),
        3,
        "received, valid, configured: {all_after:#?}"
    );
    let text = round(&all_after, 0);
    assert!(all_after[0].contains("received"), "{text}");
    assert!(all_after[1].contains("configuring the device"), "{text}");
    assert!(all_after[2].contains("Device configured"), "{text}");
    assert!(all_after[2].contains("applied and verified"), "{text}");
    assert!(text.contains("CHG-1001"), "{text}");
    assert!(text.contains("GigabitEthernet1/0/2"), "{text}");
    let cfg = world.device_interface("GigabitEthernet1/0/2").await;
    assert_eq!(
        cfg.description.as_deref(),
        Some("Printer floor 2 <&> ##ticket:CHG-1001##")
    );
    assert_eq!(cfg.mtu, Some(9000));
    assert_ne!(cfg.shutdown, Some(true));

    // 2. An edit without a ticket: nothing at all.
    let gi3 = person.interface_id("GigabitEthernet1/0/3").await;
    let before3 = world.device_interface("GigabitEthernet1/0/3").await;
    person
        .edit(gi3, json!({"description": "no ticket, no push"}))
        .await;
    settle_and_count(&world, &person, 3).await;
    assert_eq!(
        world.device_interface("GigabitEthernet1/0/3").await,
        before3
    );

    // 3. Invalid values: a clear message, no device change, ticket cleared.
    let mut seen = 3;
    let gi4 = person.interface_id("GigabitEthernet1/0/4").await;
    let global999 = person.global_vlan_id(999).await;
    let gi5 = person.interface_id("GigabitEthernet1/0/5").await;
    let gi1 = person.interface_id("GigabitEthernet1/0/1").await;
    let gi11 = person.interface_id("GigabitEthernet1/0/11").await;
    let cases: [(u64, &str, Value, &[&str]); 4] = [
        (
            gi4,
            "GigabitEthernet1/0/4",
            json!({"mtu": 1400, "custom_fields": {"change_ticket_number": "CHG-1002"}}),
            &["CHG-1002", "mtu", "1500"],
        ),
        (
            gi5,
            "GigabitEthernet1/0/5",
            json!({"mode": "access", "untagged_vlan": global999,
                   "custom_fields": {"change_ticket_number": "CHG-1003"}}),
            &["CHG-1003", "999", "site"],
        ),
        (
            gi1,
            "GigabitEthernet1/0/1",
            json!({"description": "uplink, hands off",
                   "custom_fields": {"change_ticket_number": "CHG-1004"}}),
            &["CHG-1004", "protected", "by patchpanel"],
        ),
        (
            gi11,
            "GigabitEthernet1/0/11",
            json!({"description": "tagged hands-off", "tags": [{"slug": "patchpanel-protected"}],
                   "custom_fields": {"change_ticket_number": "CHG-1008"}}),
            &["CHG-1008", "protected", "carries the netbox tag"],
        ),
    ];
    for (id, name, body, words) in cases {
        let before = world.device_interface(name).await;
        person.edit(id, body).await;
        world.wait_messages(seen + 2).await;
        wait_cleared(&person, id).await;
        let all = settle_and_count(&world, &person, seen + 2).await;
        let text = round(&all, seen).to_lowercase();
        assert!(
            all[seen + 1].contains("is not valid; nothing was sent"),
            "{text}"
        );
        for w in words {
            assert!(
                text.contains(&w.to_lowercase()),
                "{name}: `{w}` missing in {text}"
            );
        }
        assert_eq!(
            world.device_interface(name).await,
            before,
            "{name} unchanged"
        );
        seen += 2;
    }

    // 4. NetBox down for a while: the edit made meanwhile is handled once when it is back.
    let gi6 = person.interface_id("GigabitEthernet1/0/6").await;
    world.proxy.set_down(true);
    person
        .edit(
            gi6,
            json!({"description": "edited while the bot could not reach NetBox",
                   "custom_fields": {"change_ticket_number": "CHG-1005"}}),
        )
        .await;
    let start = Instant::now();
    while world.proxy.refused() < 3 {
        assert!(
            start.elapsed() < WAIT,
            "the bot stopped trying to reach NetBox"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        world.bot_messages().len(),
        seen,
        "nothing while NetBox is down"
    );
    world.proxy.set_down(false);
    world.wait_messages(seen + 3).await;
    wait_cleared(&person, gi6).await;
    settle_and_count(&world, &person, seen + 3).await;
    assert_eq!(
        world
            .device_interface("GigabitEthernet1/0/6")
            .await
            .description
            .as_deref(),
        Some("edited while the bot could not reach NetBox ##ticket:CHG-1005##")
    );
    seen += 3;

    // 5. The bot restarted between two edits: both handled, once each.
    bot.stop().await;
    let gi7 = person.interface_id("GigabitEthernet1/0/7").await;
    let gi8 = person.interface_id("GigabitEthernet1/0/8").await;
    person
        .edit(
            gi7,
            json!({"description": "first while stopped",
                   "custom_fields": {"change_ticket_number": "CHG-1006"}}),
        )
        .await;
    person
        .edit(
            gi8,
            json!({"description": "second while stopped",
                   "custom_fields": {"change_ticket_number": "CHG-1007"}}),
        )
        .await;
    let bot = world.start_bot();
    world.wait_messages(seen + 6).await;
    wait_cleared(&person, gi7).await;
    wait_cleared(&person, gi8).await;
    let all = settle_and_count(&world, &person, seen + 6).await;
    let text = round(&all, seen);
    assert_eq!(
        text.matches("CHG-1006").count(),
        text.matches("CHG-1007").count()
    );
    for (name, want) in [
        (
            "GigabitEthernet1/0/7",
            "first while stopped ##ticket:CHG-1006##",
        ),
        (
            "GigabitEthernet1/0/8",
            "second while stopped ##ticket:CHG-1007##",
        ),
    ] {
        assert_eq!(
            world.device_interface(name).await.description.as_deref(),
            Some(want)
        );
    }
    seen += 6;

    // 6. One bad record never stalls the queue.
    seen = stall::long_ticket_number_does_not_stall_the_queue(&world, &person, seen).await;
    seen = stall::a_newline_in_the_ticket_number_is_reported_as_the_ticket_number(
        &world, &person, seen,
    )
    .await;
    stall::a_netbox_refusing_every_clear_ends_each_job_and_the_queue_moves_on(
        &world, &person, seen,
    )
    .await;
    bot.stop().await;
}
