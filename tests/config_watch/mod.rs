//! The configuration-change notifier end to end, the rig: the bot (`app::run`, in this process)
//! watches a simulated c9300 reached over NETCONF (so it keeps a notification subscription), the
//! simulator sends its syslog to the bot's receiver (bound on port 0; the bot records the port in
//! the store), and reports go to the Webex simulator. A person changes the switch at its console
//! (`RunningDeviceSim::console`, what `POST /_sim/cli` does), behind the bot's back.
//!
//! Waiting is done on observable facts (the reports posted, the store's snapshot and changes).
//! "Nothing more was reported" is proved with a barrier: a second, known change is made and its
//! report awaited; reports are posted in the order changes are stored, so a duplicate or a stray
//! report of the first would be there before the second's.
#![allow(dead_code)]

use crate::device_sim_fixture::{SimDevice, PASSWORD};
use patchpanel::config::Settings;
use patchpanel::store::{ConfigChangeRow, Store};
use patchpanel_sim::device::console::CliRequest;
use patchpanel_sim::device::{SyslogTarget, SyslogTransport};
use patchpanel_sim::webex::{self, RunningWebexSim, WebexSimConfig};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const NOTIFY: &str = "netops@example.com";
pub const CHANGES: &str = "changes@example.com";
pub const WAIT: Duration = Duration::from_secs(60);

/// The bot running in this process.
pub struct RunningBot {
    pub shutdown: CancellationToken,
    pub task: JoinHandle<Result<(), patchpanel::app::AppError>>,
}

impl RunningBot {
    /// Stops the bot and waits until it has (its subscriptions joined, its store closed).
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(30), self.task).await;
    }
}

pub struct Rig {
    pub webex: RunningWebexSim,
    pub device: SimDevice,
    pub dir: tempfile::TempDir,
    _webex_stop: tokio_util::sync::DropGuard,
}

impl Rig {
    /// The switch reached over NETCONF (the bot subscribes to its notifications).
    pub async fn start() -> Rig {
        Rig::start_over(false).await
    }

    /// The switch reached over RESTCONF: no subscription, syslog (and the poll) only.
    pub async fn start_restconf() -> Rig {
        Rig::start_over(true).await
    }

    async fn start_over(restconf: bool) -> Rig {
        let stop = CancellationToken::new();
        let webex = webex::start(WebexSimConfig::default(), stop.clone())
            .await
            .unwrap();
        let device = SimDevice::start().await;
        let dir = tempfile::tempdir().unwrap();
        let reach = if restconf {
            format!("restconf_url = \"{}\"", device.sim.restconf_url)
        } else {
            format!("netconf_port = {}", device.sim.netconf_addr.port())
        };
        std::fs::write(
            dir.path().join("devices.toml"),
            format!(
                "[[device]]\nname = \"c9300\"\nhost = \"127.0.0.1\"\n{reach}\nprofile = \"iosxe\"\n"
            ),
        )
        .unwrap();
        Rig {
            webex,
            device,
            dir,
            _webex_stop: stop.drop_guard(),
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("patchpanel.db")
    }

    /// The settings (poll an hour: only signals trigger checks), with variables added or replaced.
    pub fn settings_with(&self, extra: &[(&'static str, String)]) -> Settings {
        let mut env: HashMap<&str, String> = HashMap::new();
        env.insert("WEBEX_BOT_TOKEN", "watch-test".into());
        env.insert("WEBEX_API_URL", self.webex.api_url());
        env.insert("WEBEX_U2C_URL", self.webex.u2c_url());
        env.insert("PATCHPANEL_ALLOWED", "@example.com".into());
        env.insert("PATCHPANEL_NOTIFY", NOTIFY.into());
        env.insert("PATCHPANEL_CHANGES_ROOM", CHANGES.into());
        env.insert("PATCHPANEL_DB", self.db_path().display().to_string());
        env.insert(
            "PATCHPANEL_INVENTORY",
            self.dir.path().join("devices.toml").display().to_string(),
        );
        let dev = self.device.settings();
        env.insert("DEVICE_USERNAME", dev.username.clone().unwrap());
        env.insert("DEVICE_PASSWORD", PASSWORD.to_owned());
        env.insert(
            "DEVICE_KNOWN_HOSTS",
            dev.known_hosts.unwrap().display().to_string(),
        );
        env.insert("PATCHPANEL_SYSLOG_LISTEN", "127.0.0.1:0".into());
        env.insert("PATCHPANEL_CONFIG_POLL_SECONDS", "3600".into());
        env.extend(extra.iter().cloned());
        Settings::from_lookup(|k| env.get(k).cloned()).unwrap()
    }

    pub fn start_bot(&self, extra: &[(&'static str, String)]) -> RunningBot {
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(patchpanel::app::run(
            self.settings_with(extra),
            shutdown.clone(),
        ));
        RunningBot { shutdown, task }
    }

    /// Starts the bot, points the switch's syslog at it and waits for the baseline.
    pub async fn start_watching(&self, extra: &[(&'static str, String)]) -> RunningBot {
        // A port recorded by an earlier run of the bot is not this run's.
        if let Some(store) = self.store().await {
            store
                .set_cursor(patchpanel::watch::SYSLOG_PORT, 0)
                .await
                .unwrap();
        }
        let bot = self.start_bot(extra);
        let port = self.wait_syslog_port(&bot).await;
        self.device.sim.set_syslog(Some(SyslogTarget {
            addr: ([127, 0, 0, 1], port).into(),
            transport: SyslogTransport::Udp,
        }));
        self.wait_baseline().await;
        bot
    }

    /// Waits until a NETCONF session is subscribed to the switch's notifications; answers its id.
    pub async fn wait_subscribed(&self) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(s) = self.device.sim.state().signals.subscribed_sessions.first() {
                return *s;
            }
            assert!(start.elapsed() < WAIT, "the bot never subscribed");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The port the bot's syslog receiver bound (recorded in the store).
    pub async fn wait_syslog_port(&self, bot: &RunningBot) -> u16 {
        let start = Instant::now();
        loop {
            assert!(
                !bot.task.is_finished(),
                "the bot stopped before binding syslog"
            );
            if let Some(p) = self
                .stored(patchpanel::watch::SYSLOG_PORT)
                .await
                .filter(|p| *p != 0)
            {
                return u16::try_from(p).unwrap();
            }
            assert!(
                start.elapsed() < WAIT,
                "the bot never bound its syslog receiver"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    async fn store(&self) -> Option<Store> {
        if !self.db_path().exists() {
            return None;
        }
        Store::open(&self.db_path()).ok()
    }

    async fn stored(&self, name: &str) -> Option<u64> {
        self.store().await?.cursor(name).await.ok().flatten()
    }

    /// Waits until the bot stored its first snapshot of c9300.
    pub async fn wait_baseline(&self) {
        let start = Instant::now();
        loop {
            if let Some(store) = self.store().await {
                if store.config_snapshot("c9300").await.unwrap().is_some() {
                    return;
                }
            }
            assert!(start.elapsed() < WAIT, "no baseline of c9300 was stored");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// A person at the switch's console.
    pub fn console(&self, body: Value) {
        let request: CliRequest = serde_json::from_value(body).unwrap();
        self.device.sim.console(request).unwrap();
    }

    /// Every configuration-change report the bot posted, oldest first.
    pub fn reports(&self) -> Vec<String> {
        let bot = self.webex.bot_person_id();
        self.webex
            .messages()
            .into_iter()
            .filter(|m| m.person_id == bot)
            .map(|m| m.markdown.clone().unwrap_or_else(|| m.text.clone()))
            .filter(|t| patchpanel::watch::messages::is_report(t))
            .collect()
    }

    /// Waits until at least `n` reports were posted; returns them all.
    pub async fn wait_reports(&self, n: usize) -> Vec<String> {
        let start = Instant::now();
        loop {
            let all = self.reports();
            if all.len() >= n {
                return all;
            }
            assert!(
                start.elapsed() < WAIT,
                "waited {WAIT:?} for {n} reports, have {}: {all:#?}",
                all.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The changes the store recorded for c9300, newest first.
    pub async fn changes(&self) -> Vec<ConfigChangeRow> {
        match self.store().await {
            Some(s) => s.config_changes(Some("c9300"), 100).await.unwrap(),
            None => Vec::new(),
        }
    }

    /// The barrier: a known change (`mtu` of Gi1/0/20), its report awaited; answers all reports.
    pub async fn barrier(&self, mtu: u32, reports_before: usize) -> Vec<String> {
        self.console(serde_json::json!({
            "interface": "Gi1/0/20", "set": {"mtu": mtu}, "user": "barrier"
        }));
        let all = self.wait_reports(reports_before + 1).await;
        let last = all.last().unwrap();
        assert!(
            last.contains("**barrier**"),
            "the last report is the barrier's: {all:#?}"
        );
        all
    }
}
