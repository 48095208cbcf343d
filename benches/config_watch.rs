//! The configuration-change notifier: time from a change at the switch's console (the simulator's
//! `/_sim/cli`, returned) to the bot's report in Webex, by syslog alone (the switch reached over
//! RESTCONF: no subscription) and by NETCONF notification alone (the switch over NETCONF, its
//! syslog muted), against the device and Webex simulators and the real bot (`app::run`). The
//! figure includes the watcher's settle (`watch::watcher::SETTLE`), the configuration read and the
//! store. Prints figures; asserts nothing about time.
//!
//! Run: `cargo bench --bench config_watch`

#[path = "../tests/config_watch/mod.rs"]
mod config_watch;
#[path = "../tests/device_sim_fixture/mod.rs"]
mod device_sim_fixture;

use config_watch::Rig;
use patchpanel_sim::device::faults::Fault;
use serde_json::json;
use std::time::{Duration, Instant};

const CHANGES: usize = 15;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench());
}

async fn bench() {
    let rig = Rig::start_restconf().await;
    let bot = rig.start_watching(&[]).await;
    let mut syslog = rounds(&rig, "syslog").await;
    bot.stop().await;
    report(
        "console change → report, by syslog (RESTCONF device)",
        &mut syslog,
    );

    let rig = Rig::start().await;
    let bot = rig.start_watching(&[]).await;
    rig.device
        .sim
        .inject(Fault::MuteSyslog)
        .expect("mute syslog");
    rig.wait_subscribed().await;
    let mut notification = rounds(&rig, "netconf notification").await;
    bot.stop().await;
    report(
        "console change → report, by NETCONF notification (syslog muted)",
        &mut notification,
    );
}

async fn rounds(rig: &Rig, via: &str) -> Vec<Duration> {
    let mut times = Vec::with_capacity(CHANGES);
    let mut posted = rig.webex.subscribe();
    for i in 0..CHANGES {
        let start = Instant::now();
        rig.console(json!({"interface": "Gi1/0/7", "set": {"description": format!("bench {i}")}}));
        loop {
            let m = tokio::time::timeout(Duration::from_secs(30), posted.recv())
                .await
                .expect("a report within 30 s")
                .expect("the Webex simulator is up");
            let text = m.markdown.clone().unwrap_or(m.text.clone());
            if patchpanel::watch::messages::is_report(&text) {
                assert!(text.contains(&format!("bench {i}")), "{text}");
                assert!(text.contains(via), "seen by {via}: {text}");
                break;
            }
        }
        times.push(start.elapsed());
    }
    times
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: median {:.0} ms (min {:.0}, max {:.0}; {} changes)",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        times.len()
    );
}
