//! The attacks on the bot's listener, end to end: `patchpanel run` as its own process (so its RSS
//! and descriptors can be read from `/proc`) beside `patchpanel sim webex|netbox|device`, with the
//! NetBox webhook receiver on.
//!
//! * 20,000 connections that each send only a request line, while `vrf c9300` in chat and a NetBox
//!   edit with a ticket number still work; the bot's RSS and open descriptors are measured before,
//!   during and after, and printed.
//! * The same signed webhook body 4,000 times: the NetBox requests it causes are counted on the
//!   simulator and printed.
//!
//! Every loop is bounded in count and time; only 127.0.0.1 is a target.

mod common;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha512;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const HOOK_SECRET: &str = "flood-hook-s3cret";
/// The listener's default connection cap (`ListenerConfig::default().max_connections`).
const CAP: usize = 128;
/// Descriptors the bot may hold beyond its idle count during the flood: the cap plus a margin.
const FD_MARGIN: usize = 32;
/// The bot runs with the file limit the attack exhausted.
const BOT_NOFILE: u64 = 1024;
/// Connections the attack makes (at least; it goes on until the checks are done).
const FLOOD: u64 = 20_000;
/// Hard bounds of the flood.
const FLOOD_MAX: u64 = 40_000;
const FLOOD_MAX_TIME: Duration = Duration::from_secs(40);
/// Connections the client holds for the whole flood (they fill the bot's slots until its header
/// timeout frees them), and the window of the others (the oldest is dropped as a new one opens).
const LONG_HELD: usize = CAP + 64;
const WINDOW: usize = 1000;
/// RSS after the flood must be within this of the RSS before it.
const RSS_SLACK_KB: u64 = 30 * 1024;
const WAIT: Duration = Duration::from_secs(60);

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha512>::new_from_slice(HOOK_SECRET.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Raises this process's soft descriptor limit to `want` (within the hard limit).
fn raise_own_nofile(want: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a local struct.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        if lim.rlim_cur < want {
            lim.rlim_cur = want.min(lim.rlim_max);
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
        }
    }
}

/// `line` without ANSI colour sequences (`ESC [ … m`).
fn plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

struct Bot {
    proc: Proc,
    pid: u32,
    log: std::path::PathBuf,
    /// Set by `wait_listening` from the bot's log (it binds port 0).
    hook: Option<SocketAddr>,
}

impl Bot {
    /// `patchpanel run` with the webhook receiver on, its log in `dir/bot.log`, and the descriptor
    /// limit lowered to [`BOT_NOFILE`].
    fn start(dir: &Path, webex: &WebexSim, extra: Vec<(&'static str, String)>) -> Bot {
        // Port 0: the bot takes a free port itself and logs it (a port picked here and released
        // could be taken by another process before the bot binds it).
        let mut env = extra;
        env.push(("NETBOX_WEBHOOK_LISTEN", "127.0.0.1:0".to_owned()));
        env.push(("NETBOX_WEBHOOK_SECRET", HOOK_SECRET.to_owned()));
        env.push(("PATCHPANEL_NOTIFY", "engineer@example.com".to_owned()));
        let log = dir.join("bot.log");
        let mut cmd = bot_command(dir, webex, &env);
        cmd.stderr(Stdio::from(std::fs::File::create(&log).unwrap()));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                let mut lim = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
                    lim.rlim_cur = lim.rlim_cur.min(BOT_NOFILE);
                    libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn bot");
        let pid = child.id();
        Bot {
            proc: Proc {
                child,
                stdout_lines: Vec::new(),
            },
            pid,
            log,
            hook: None,
        }
    }

    fn alive(&mut self) -> bool {
        matches!(self.proc.child.try_wait(), Ok(None))
    }

    fn rss_kb(&self) -> u64 {
        rss_kb(self.pid)
    }

    fn fds(&self) -> usize {
        fds(self.pid)
    }

    /// The bot's log so far, without terminal colours.
    fn log_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(plain)
            .collect()
    }

    /// Waits until the bot logs where its webhook receiver listens and it accepts connections.
    async fn wait_listening(&mut self) {
        let start = Instant::now();
        let hook = loop {
            let found = self.log_lines().iter().find_map(|l| {
                let rest = l.split("webhook receiver listening").nth(1)?;
                let addr = rest.split("addr=").nth(1)?.split_whitespace().next()?;
                addr.parse::<SocketAddr>().ok()
            });
            if let Some(addr) = found {
                break addr;
            }
            assert!(
                self.alive(),
                "the bot stopped before listening:\n{}",
                self.log_lines().join("\n")
            );
            assert!(
                start.elapsed() < WAIT,
                "the webhook receiver never listened"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        };
        while TcpStream::connect(hook).await.is_err() {
            assert!(
                start.elapsed() < WAIT,
                "the webhook receiver never listened"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.hook = Some(hook);
    }

    /// Where the webhook receiver listens (after [`Bot::wait_listening`]).
    fn hook(&self) -> SocketAddr {
        self.hook.expect("wait_listening first")
    }

    async fn post_hook(&self, http: &reqwest::Client, body: &[u8]) -> (u16, Value) {
        let resp = http
            .post(format!("http://{}/netbox", self.hook()))
            .header("Content-Type", "application/json")
            .header("X-Hook-Signature", sign(body))
            .body(body.to_vec())
            .send()
            .await
            .expect("webhook post");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

/// What NetBox 4.7 sends for an interface edit (the receiver never acts on its content).
fn hook_body(request_id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "event": "updated", "timestamp": "2026-11-27 12:00:00+00:00",
        "object_type": "dcim.interface", "request": {"id": request_id, "user": "admin"},
        "data": {"id": 5, "name": "GigabitEthernet1/0/5"},
        "snapshots": {"prechange": null, "postchange": null}
    }))
    .unwrap()
}

async fn netbox_requests(netbox: &NetboxSim) -> u64 {
    let state: Value = reqwest::get(format!("{}/_sim/state", netbox.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    state["requests"].as_u64().expect("requests counter")
}

/// Waits until the bot has not asked NetBox anything for `quiet`; returns the request count.
async fn netbox_settled(netbox: &NetboxSim, quiet: Duration) -> u64 {
    let start = Instant::now();
    let mut last = (netbox_requests(netbox).await, Instant::now());
    while last.1.elapsed() < quiet {
        assert!(start.elapsed() < WAIT, "NetBox never went quiet");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = netbox_requests(netbox).await;
        if now != last.0 {
            last = (now, Instant::now());
        }
    }
    last.0
}

/// A person edits `interface` in NetBox with `ticket`; waits for the bot's report that the switch
/// was configured.
async fn netbox_edit_reaches_the_switch(
    netbox: &NetboxSim,
    control: &Control,
    interface: &str,
    ticket: &str,
) {
    netbox
        .control(
            "edit",
            json!({"device": "c9300", "interface": interface,
                   "fields": {"description": format!("edited for {ticket}"),
                              "custom_fields": {"change_ticket_number": ticket}}}),
        )
        .await;
    let want = format!("Device configured for ticket **{ticket}**");
    let start = Instant::now();
    loop {
        let messages = control.messages().await;
        if messages
            .iter()
            .any(|m| m["personEmail"] == BOT_EMAIL && reply_text(m).contains(&want))
        {
            return;
        }
        assert!(
            start.elapsed() < WAIT,
            "no `{want}` from the bot: {messages:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn vrf_answers(control: &Control) {
    let id = control
        .say("engineer@example.com", "vrf c9300", "direct", false)
        .await;
    let text = reply_text(&control.only_reply(&id).await);
    assert!(text.contains("BLUE") && text.contains("65000:1"), "{text}");
}

#[derive(Debug, Default)]
struct Flood {
    opened: AtomicU64,
    failed: AtomicU64,
    /// The checks are done: the flood may end once it has made [`FLOOD`] connections.
    checks_done: AtomicBool,
    /// It ended at a hard bound rather than after the checks.
    hit_bound: AtomicBool,
    finished: AtomicBool,
}

/// Connects, sends a request line, and never sends more. Paced at about 2,000 connections a
/// second; holds the first [`LONG_HELD`] for the whole flood and a sliding [`WINDOW`] of the rest.
async fn flood(addr: SocketAddr, f: Arc<Flood>) {
    let started = Instant::now();
    let mut long = Vec::with_capacity(LONG_HELD);
    let mut window = VecDeque::with_capacity(WINDOW + 1);
    loop {
        let opened = f.opened.load(Ordering::Relaxed);
        if opened >= FLOOD && f.checks_done.load(Ordering::Relaxed) {
            break;
        }
        if opened >= FLOOD_MAX || started.elapsed() >= FLOOD_MAX_TIME {
            f.hit_bound.store(true, Ordering::Relaxed);
            break;
        }
        match tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addr)).await {
            Ok(Ok(mut s)) => {
                // Over the cap the bot has already closed it; a failed write is part of the game.
                let _ = s.write_all(b"POST /netbox HTTP/1.1\r\n").await;
                if long.len() < LONG_HELD {
                    long.push(s);
                } else {
                    window.push_back(s);
                    if window.len() > WINDOW {
                        window.pop_front();
                    }
                }
                f.opened.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                f.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
        if f.opened.load(Ordering::Relaxed) % 20 == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    drop(long);
    drop(window);
    f.finished.store(true, Ordering::Relaxed);
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_slow_connections_do_not_exhaust_the_bot() {
    raise_own_nofile((LONG_HELD + WINDOW + 512) as u64);
    let dir = tempfile::tempdir().unwrap();
    let webex = WebexSim::start(dir.path());
    let device = DeviceSim::start(dir.path());
    let netbox = NetboxSim::start(dir.path());
    let mut env = device_env(dir.path(), &device);
    env.extend(netbox.env());
    env.push(("NETBOX_POLL_SECONDS", "1".to_owned()));
    let mut bot = Bot::start(dir.path(), &webex, env);
    let control = Control::new(&webex, dir.path());
    control.wait_connected().await;
    bot.wait_listening().await;

    // Warm up every path the checks use, so the baseline includes what they allocate.
    vrf_answers(&control).await;
    netbox_edit_reaches_the_switch(&netbox, &control, "GigabitEthernet1/0/4", "CHG-8001").await;
    let (rss_before, fds_before) = (bot.rss_kb(), bot.fds());
    let log_before = bot.log_lines().len();

    let f = Arc::new(Flood::default());
    let attack = tokio::spawn(flood(bot.hook(), f.clone()));
    // Sample the bot while the flood runs.
    let pid = bot.pid;
    let sampler_flood = f.clone();
    let sampler = tokio::spawn(async move {
        let (mut max_fds, mut max_rss) = (0, 0);
        let start = Instant::now();
        while !sampler_flood.finished.load(Ordering::Relaxed) && start.elapsed() < WAIT {
            max_fds = max_fds.max(fds(pid));
            max_rss = max_rss.max(rss_kb(pid));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (max_fds, max_rss)
    });

    // Once the flood is well under way, the bot must still answer in chat and act on NetBox.
    let start = Instant::now();
    while f.opened.load(Ordering::Relaxed) < 2_000 {
        assert!(start.elapsed() < WAIT, "the flood did not get going: {f:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let checks_began_at = f.opened.load(Ordering::Relaxed);
    tokio::join!(
        vrf_answers(&control),
        netbox_edit_reaches_the_switch(&netbox, &control, "GigabitEthernet1/0/5", "CHG-8002"),
    );
    let checks_done_at = f.opened.load(Ordering::Relaxed);
    f.checks_done.store(true, Ordering::Relaxed);
    tokio::time::timeout(WAIT, attack)
        .await
        .expect("the flood ends")
        .unwrap();
    let (max_fds, max_rss) = sampler.await.unwrap();
    assert!(bot.alive(), "the bot survived");

    // The attacker has gone: the bot's descriptors return to their idle count.
    let start = Instant::now();
    while bot.fds() > fds_before + 2 {
        assert!(
            start.elapsed() < WAIT,
            "descriptors stay at {} (idle {fds_before})",
            bot.fds()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rss_after = bot.rss_kb();
    let fds_after = bot.fds();
    // The refusals were logged once when they began; their summary, with the count, follows once
    // the burst has been quiet for a few seconds.
    let start = Instant::now();
    while !bot
        .log_lines()
        .iter()
        .any(|l| l.contains("at its connection cap: the burst is over"))
    {
        assert!(
            start.elapsed() < WAIT,
            "no summary of the refused connections"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let flood_log: Vec<String> = bot.log_lines().split_off(log_before);
    let listener_lines: Vec<&String> = flood_log
        .iter()
        .filter(|l| l.contains("netbox webhook"))
        .collect();
    eprintln!(
        "flood: {} connections opened ({} failed to connect); the checks ran from connection {} to {}",
        f.opened.load(Ordering::Relaxed),
        f.failed.load(Ordering::Relaxed),
        checks_began_at,
        checks_done_at,
    );
    eprintln!(
        "bot RSS: before {:.1} MB, during (peak) {:.1} MB, after {:.1} MB",
        mb(rss_before),
        mb(max_rss),
        mb(rss_after)
    );
    eprintln!(
        "bot open descriptors: before {fds_before}, during (peak) {max_fds}, after {fds_after} (limit {BOT_NOFILE}, cap {CAP})"
    );
    eprintln!(
        "bot log lines written during the flood: {} ({} from the listener):",
        flood_log.len(),
        listener_lines.len()
    );
    for l in &listener_lines {
        eprintln!("  {l}");
    }

    assert!(
        !f.hit_bound.load(Ordering::Relaxed),
        "the checks finished while the flood ran"
    );
    assert!(
        max_fds <= fds_before + CAP + FD_MARGIN,
        "descriptors peaked at {max_fds} (idle {fds_before}, cap {CAP})"
    );
    assert!(
        rss_after < rss_before + RSS_SLACK_KB,
        "RSS after the flood {rss_after} kB, before {rss_before} kB"
    );
    assert!(
        !bot.log_lines()
            .iter()
            .any(|l| l.contains("Too many open files")),
        "the bot never ran out of descriptors"
    );
    // One line per burst of each kind (plus its summary), not one per connection.
    assert!(
        listener_lines.len() <= 20,
        "{} listener lines for {} connections",
        listener_lines.len(),
        f.opened.load(Ordering::Relaxed)
    );
    // And the receiver serves again.
    let (status, answer) = bot
        .post_hook(&reqwest::Client::new(), &hook_body("after-the-flood"))
        .await;
    assert_eq!(
        (status, answer["woken"].as_bool()),
        (200, Some(true)),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_signed_webhook_costs_at_most_one_poll() {
    let dir = tempfile::tempdir().unwrap();
    let webex = WebexSim::start(dir.path());
    let netbox = NetboxSim::start(dir.path());
    let mut env = netbox.env();
    // Only a wake-up makes the poller read after its first round.
    env.push(("NETBOX_POLL_SECONDS", "3600".to_owned()));
    env.push(("NETBOX_SWEEP_SECONDS", "3600".to_owned()));
    let mut bot = Bot::start(dir.path(), &webex, env);
    Control::new(&webex, dir.path()).wait_connected().await;
    bot.wait_listening().await;

    // The idle baseline: what the bot asks NetBox for over as long as the storm takes, unprovoked.
    let quiet = Duration::from_secs(1);
    let settled = netbox_settled(&netbox, quiet).await;
    let http = reqwest::Client::new();
    let body = hook_body("5a6eb2fc-replayed");
    let storm_start = Instant::now();
    let (mut woken, mut replays, mut limited) = (0u32, 0u32, 0u32);
    for _ in 0..4_000 {
        let (status, answer) = bot.post_hook(&http, &body).await;
        match (status, answer["woken"].as_bool()) {
            (200, Some(true)) => woken += 1,
            (200, Some(false)) if answer["replay"] == true => replays += 1,
            (429, _) => limited += 1,
            other => panic!("unexpected answer {other:?}: {answer}"),
        }
    }
    let storm_took = storm_start.elapsed();
    let after = netbox_settled(&netbox, quiet).await;
    let caused = after - settled;
    // The same stretch again without a storm: the idle baseline.
    tokio::time::sleep(storm_took).await;
    let baseline = netbox_settled(&netbox, quiet).await - after;
    assert!(bot.alive());
    eprintln!(
        "replay storm: 4,000 copies of one signed body in {:.1} s: {woken} woke the poller, \
         {replays} acknowledged as replays, {limited} answered 429; NetBox requests caused: \
         {caused} (idle baseline over the same time: {baseline}; one idle poll is one request)",
        storm_took.as_secs_f64()
    );
    assert_eq!(woken, 1, "only the first copy wakes the poller");
    assert!(
        caused <= baseline + 1,
        "{caused} NetBox requests for one replayed body (baseline {baseline})"
    );
}
