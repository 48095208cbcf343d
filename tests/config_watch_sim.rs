//! The configuration-change notifier end to end against the simulated c9300 (NETCONF subscription
//! and syslog), the Webex simulator and the bot in this process (`tests/config_watch/`): a console
//! change reported once as unplanned with its diff, a lost signal caught by the safety net, a
//! dropped subscription, a restart, ten signals for one change, forged and hostile syslog, a flood.

mod config_watch;
mod device_sim_fixture;

use config_watch::{Rig, WAIT};
use patchpanel::store::{Store, Verified};
use patchpanel_sim::device::faults::Fault;
use patchpanel_sim::webex::SayRequest;
use serde_json::json;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

const CONFIG_I: &str =
    "<189>42: *Dec  4 08:21:07.123: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.1.1.1)";

/// A syslog sender on `ip` (the simulated switch is 127.0.0.1 in the devices file).
fn sender(ip: [u8; 4]) -> UdpSocket {
    UdpSocket::bind((std::net::Ipv4Addr::from(ip), 0)).unwrap()
}

async fn syslog_port(rig: &Rig) -> u16 {
    let store = Store::open(&rig.db_path()).unwrap();
    let port = store.cursor(patchpanel::watch::SYSLOG_PORT).await.unwrap();
    u16::try_from(port.unwrap()).unwrap()
}

/// Says `text` in eng@'s 1:1 room and waits for the bot's answer to it.
async fn ask(rig: &Rig, text: &str) -> String {
    let asked = rig
        .webex
        .say(SayRequest {
            from: "eng@example.com".into(),
            text: text.into(),
            room: "direct".into(),
            mention: false,
            parent_id: None,
            as_bot: false,
        })
        .unwrap();
    let bot = rig.webex.bot_person_id();
    let start = Instant::now();
    loop {
        if let Some(m) = rig
            .webex
            .messages()
            .into_iter()
            .find(|m| m.person_id == bot && m.parent_id.as_deref() == Some(asked.id.as_str()))
        {
            return m.markdown.unwrap_or(m.text);
        }
        assert!(start.elapsed() < WAIT, "no answer to `{text}`");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_change_is_reported_once_as_unplanned_with_its_diff() {
    let rig = Rig::start().await;
    let bot = rig.start_watching(&[]).await;
    assert!(rig.reports().is_empty(), "the baseline is silent");

    rig.console(json!({
        "interface": "Gi1/0/7", "set": {"description": "rogue"},
        "user": "admin", "line": "vty0", "from": "10.1.1.1"
    }));
    let reports = rig.wait_reports(1).await;
    let report = &reports[0];
    assert!(
        report.starts_with("⚠️ **Unplanned configuration change** on **c9300** (change 1)"),
        "{report}"
    );
    assert!(
        report.contains("by **admin** from 10.1.1.1 on vty0"),
        "{report}"
    );
    assert!(
        report.contains("interface GigabitEthernet1/0/7"),
        "{report}"
    );
    assert!(report.contains("rogue"), "{report}");

    // Syslog and the notification said the same change: one report, then the barrier's.
    let all = rig.barrier(9000, 1).await;
    assert_eq!(all.len(), 2, "{all:#?}");

    let list = ask(&rig, "changes c9300").await;
    assert!(list.contains("**c9300** #1"), "{list}");
    assert!(list.contains("**c9300** #2"), "{list}");
    assert!(list.contains("unplanned"), "{list}");
    let one = ask(&rig, "changes c9300 1").await;
    assert!(one.contains("rogue"), "{one}");
    assert!(one.contains("by **admin**"), "{one}");
    let missing = ask(&rig, "changes c9300 7").await;
    assert!(missing.contains("There is no change 7"), "{missing}");

    // Both are in the tamper-evident record, and the chain holds.
    let store = Store::open(&rig.db_path()).unwrap();
    let kinds: Vec<String> = store
        .audit_entries()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["config-change", "config-change"]);
    assert!(matches!(
        store.audit_verify().await.unwrap(),
        Verified::Intact { entries: 2 }
    ));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_signal_is_caught_by_the_safety_net() {
    let rig = Rig::start().await;
    let bot = rig
        .start_watching(&[("PATCHPANEL_CONFIG_POLL_SECONDS", "1".into())])
        .await;
    // Neither syslog nor a notification: only the periodic check can see it.
    rig.console(json!({"interface": "Gi1/0/8", "set": {"shutdown": true}, "silent": true}));
    let reports = rig.wait_reports(1).await;
    assert!(
        reports[0].contains("seen by periodic check"),
        "{reports:#?}"
    );
    assert!(reports[0].contains("GigabitEthernet1/0/8"), "{reports:#?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_subscription_is_resubscribed_and_the_change_meanwhile_is_not_missed() {
    let rig = Rig::start().await;
    let bot = rig.start_watching(&[]).await;
    // Wait until the bot's subscription is up, then lose it and the syslog, and change the switch
    // while nobody listens.
    rig.wait_subscribed().await;
    rig.device.sim.inject(Fault::MuteSyslog).unwrap();
    rig.device.sim.inject(Fault::DropSubscriptions).unwrap();
    rig.console(json!({"interface": "Gi1/0/9", "set": {"description": "while unsubscribed"}}));
    let reports = rig.wait_reports(1).await;
    assert!(reports[0].contains("while unsubscribed"), "{reports:#?}");
    // The subscription is back: the next change arrives as a notification.
    rig.device.sim.clear_faults();
    rig.wait_subscribed().await;
    let all = rig.barrier(9100, 1).await;
    assert_eq!(all.len(), 2, "{all:#?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_repeats_no_report_and_misses_no_change() {
    let rig = Rig::start().await;
    let bot = rig.start_watching(&[]).await;
    rig.console(json!({"interface": "Gi1/0/10", "set": {"description": "before"}}));
    rig.wait_reports(1).await;
    bot.stop().await;

    // Changed while the bot is down.
    rig.console(json!({"interface": "Gi1/0/10", "set": {"description": "while down"}}));
    let bot = rig.start_watching(&[]).await;
    let reports = rig.wait_reports(2).await;
    assert!(reports[1].contains("while down"), "{reports:#?}");
    assert!(reports[1].contains("check at start"), "{reports:#?}");
    let all = rig.barrier(8200, 2).await;
    assert_eq!(all.len(), 3, "nothing repeated: {all:#?}");
    assert_eq!(rig.changes().await.len(), 3);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_signals_for_one_change_are_one_report() {
    let rig = Rig::start().await;
    let bot = rig.start_watching(&[]).await;
    let port = syslog_port(&rig).await;
    rig.console(json!({"interface": "Gi1/0/11", "set": {"mtu": 2000}, "silent": true}));
    let s = sender([127, 0, 0, 1]);
    for _ in 0..10 {
        s.send_to(CONFIG_I.as_bytes(), ("127.0.0.1", port)).unwrap();
    }
    let reports = rig.wait_reports(1).await;
    assert!(reports[0].contains("GigabitEthernet1/0/11"), "{reports:#?}");
    let all = rig.barrier(8300, 1).await;
    assert_eq!(all.len(), 2, "{all:#?}");
    let first = rig.changes().await.pop().unwrap();
    let record: serde_json::Value = serde_json::from_str(&first.record).unwrap();
    assert_eq!(record["signals"], 10, "{record}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_malformed_and_stray_syslog_reports_nothing() {
    let rig = Rig::start().await;
    let bot = rig.start_watching(&[]).await;
    let port = syslog_port(&rig).await;
    let from_switch = sender([127, 0, 0, 1]);
    // A forged CONFIG_I: the switch's configuration did not change.
    from_switch
        .send_to(CONFIG_I.as_bytes(), ("127.0.0.1", port))
        .unwrap();
    // Malformed, oversized, not a configuration event.
    for bad in [
        b"no priority at all".to_vec(),
        b"<999>bad priority".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x01],
        [b"<189>".to_vec(), vec![b'x'; 9_000]].concat(),
        b"<189>43: *Dec  4 08:21:08.000: %LINK-3-UPDOWN: Interface Gi1/0/3, changed state to up"
            .to_vec(),
    ] {
        from_switch.send_to(&bad, ("127.0.0.1", port)).unwrap();
    }
    // A CONFIG_I from an address no managed device has.
    sender([127, 0, 0, 2])
        .send_to(CONFIG_I.as_bytes(), ("127.0.0.1", port))
        .unwrap();
    let all = rig.barrier(8400, 0).await;
    assert_eq!(all.len(), 1, "only the barrier is reported: {all:#?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_syslog_flood_does_not_starve_the_chat_and_loses_no_change() {
    let rig = Rig::start().await;
    let bot = rig.start_watching(&[]).await;
    let port = syslog_port(&rig).await;
    let flood = std::thread::spawn(move || {
        let s = sender([127, 0, 0, 1]);
        let noise =
            "<189>44: *Dec  4 08:21:09.000: %LINK-3-UPDOWN: Interface Gi1/0/3, changed state to up";
        let start = Instant::now();
        for i in 0..10_000u32 {
            let line = if i % 2 == 0 { CONFIG_I } else { noise };
            let _ = s.send_to(line.as_bytes(), ("127.0.0.1", port));
            // 10,000 lines spread over about a second.
            if i % 100 == 99 {
                let due = Duration::from_millis(u64::from(i / 10));
                if let Some(rest) = due.checked_sub(start.elapsed()) {
                    std::thread::sleep(rest);
                }
            }
        }
    });
    // The chat answers during the flood.
    let help = ask(&rig, "help").await;
    assert!(help.contains("changes"), "{help}");
    // A real change during the flood is reported, once.
    rig.console(json!({"interface": "Gi1/0/12", "set": {"description": "during the flood"}}));
    flood.join().unwrap();
    let reports = rig.wait_reports(1).await;
    assert!(reports[0].contains("during the flood"), "{reports:#?}");
    let all = rig.barrier(8500, 1).await;
    assert_eq!(all.len(), 2, "{all:#?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_of_an_unknown_module_is_ignored_and_the_subscription_stays() {
    let rig = Rig::start().await;
    let bot = rig.start_watching(&[]).await;
    let session = rig.wait_subscribed().await;
    let sent = rig.device.sim.state().signals.notifications_sent;
    rig.device.sim.notify_foreign("Gi1/0/3");
    let start = Instant::now();
    while rig.device.sim.state().signals.notifications_sent == sent {
        assert!(
            start.elapsed() < WAIT,
            "the foreign notification was never sent"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Nothing reported for it, and the same subscription carries the next change.
    let all = rig.barrier(8600, 0).await;
    assert_eq!(all.len(), 1, "only the barrier: {all:#?}");
    assert!(all[0].contains("netconf notification"), "{all:#?}");
    assert_eq!(
        rig.device.sim.state().signals.subscribed_sessions,
        [session],
        "not resubscribed"
    );
    bot.stop().await;
}
