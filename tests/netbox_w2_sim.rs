//! Workflow W2 end to end against `patchpanel sim netbox`: the shared body (`tests/netbox_w2/`), which
//! the real NetBox passes too (`tests/netbox_w2_real.rs`).

mod device_sim_fixture;
mod netbox_w2;
#[path = "netbox_w2/text.rs"]
mod netbox_w2_text;
#[path = "reads/mod.rs"]
mod reads;
mod tcp_proxy;

use patchpanel_sim::netbox::{start, NetboxSimConfig};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";

/// A NetBox simulator requiring [`TOKEN`], and how the person and the bot reach it.
async fn simulated_netbox(
    shutdown: CancellationToken,
) -> (patchpanel_sim::netbox::RunningNetboxSim, netbox_w2::Backend) {
    let sim = start(
        NetboxSimConfig {
            token: Some(TOKEN.into()),
            ..NetboxSimConfig::default()
        },
        shutdown,
    )
    .await
    .unwrap();
    let backend = netbox_w2::Backend {
        url: sim.base_url.clone(),
        person_auth: format!("Token {TOKEN}"),
        bot_token: TOKEN.into(),
    };
    (sim, backend)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn w2_against_the_simulator() {
    let shutdown = CancellationToken::new();
    let _guard = shutdown.clone().drop_guard();
    let (_sim, backend) = simulated_netbox(shutdown).await;
    netbox_w2::w2_conformance(&backend).await;
}

/// The optional webhook receiver only wakes the poller: with an hour-long poll interval, a signed
/// webhook makes the edit reach the switch at once; an unsigned one is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_webhook_wakes_the_poller() {
    let shutdown = CancellationToken::new();
    let _guard = shutdown.clone().drop_guard();
    let (_sim, backend) = simulated_netbox(shutdown).await;
    let person = netbox_w2::Person::new(&backend);
    let world = netbox_w2::World::start(&backend, 3600.0).await;
    let secret = "hook-s3cret";
    // Port 0: the bot takes a free port itself (a port picked here and released could be taken by
    // another test before the bot binds it, and the bot would stop).
    let bot = world.start_bot_with(&[
        ("NETBOX_WEBHOOK_LISTEN", "127.0.0.1:0".to_owned()),
        ("NETBOX_WEBHOOK_SECRET", secret.to_owned()),
    ]);
    let port = bot.wait_webhook_port(&world.db_path()).await;
    world.wait_cursor(0).await;
    // The start round is a change-log read, then a sweep; once the store counts the sweep, with an
    // hour-long interval only a wake-up makes the poller read again.
    world.wait_sweeps(1).await;

    let gi9 = person.interface_id("GigabitEthernet1/0/9").await;
    let edited = person
        .edit(
            gi9,
            json!({"description": "woken by the webhook",
                   "custom_fields": {"change_ticket_number": "CHG-2001"}}),
        )
        .await;
    // What NetBox 4.7 would send for that edit (the receiver does not act on its content).
    let body = serde_json::to_vec(&json!({
        "event": "updated", "timestamp": "2026-11-27 12:00:00+00:00",
        "object_type": "dcim.interface", "request": {"id": "5a6eb2fc", "user": "admin"},
        "data": edited, "snapshots": {"prechange": null, "postchange": null}
    }))
    .unwrap();
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/netbox");
    let wait_up = std::time::Instant::now();
    let unsigned = loop {
        match http.post(&url).body(body.clone()).send().await {
            Ok(r) => break r,
            Err(e) => {
                assert!(
                    wait_up.elapsed().as_secs() < 30,
                    "receiver never listened: {e}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
        }
    };
    assert_eq!(unsigned.status(), 401);
    let signature = netbox_w2::hook_signature(secret, &body);
    let signed = http
        .post(&url)
        .header("Content-Type", "application/json")
        .header("X-Hook-Signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 200);
    let all = world.wait_messages(3).await;
    assert!(all[0].contains("CHG-2001"), "{all:#?}");
    assert_eq!(
        world
            .device_interface("GigabitEthernet1/0/9")
            .await
            .description
            .as_deref(),
        Some("woken by the webhook ##ticket:CHG-2001##")
    );
    bot.stop().await;
}

/// Ten edits, NetBox refusing for good the clear of the sixth (the simulator's `reject-clears`
/// fault): the other nine are applied and cleared once each, the sixth is applied and reported,
/// and the poller passes all ten.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_failure_in_the_middle_of_ten_edits_leaves_the_other_nine_applied_once_each() {
    let shutdown = CancellationToken::new();
    let _guard = shutdown.clone().drop_guard();
    let (sim, backend) = simulated_netbox(shutdown).await;
    let person = netbox_w2::Person::new(&backend);
    let world = netbox_w2::World::start(&backend, 0.2).await;
    let bot = world.start_bot();
    world.wait_cursor(0).await;

    let ports: Vec<u64> = (20..30).collect();
    let bad = person.interface_id("GigabitEthernet1/0/25").await;
    sim.reject_clears(Some(bad));
    let mut ids = Vec::new();
    for n in &ports {
        let id = person
            .interface_id(&format!("GigabitEthernet1/0/{n}"))
            .await;
        person
            .edit(
                id,
                json!({"description": format!("ten {n}"),
                       "custom_fields": {"change_ticket_number": format!("CHG-30{n}")}}),
            )
            .await;
        ids.push(id);
    }
    world.wait_messages(9 * 3 + 4).await;
    for (n, id) in ports.iter().zip(&ids) {
        if *id != bad {
            netbox_w2::wait_cleared(&person, *id).await;
        }
        assert_eq!(
            world
                .device_interface(&format!("GigabitEthernet1/0/{n}"))
                .await
                .description
                .as_deref(),
            Some(format!("ten {n} ##ticket:CHG-30{n}##").as_str())
        );
    }
    world.wait_cursor(person.latest_change_id().await).await;
    let all = world.bot_messages();
    assert_eq!(all.len(), 9 * 3 + 4, "{all:#?}");
    for n in &ports {
        let configured = format!("Device configured for ticket **CHG-30{n}**");
        assert_eq!(
            all.iter().filter(|m| m.contains(&configured)).count(),
            1,
            "CHG-30{n} applied once: {all:#?}"
        );
    }
    let refused: Vec<&String> = all
        .iter()
        .filter(|m| m.starts_with("⚠️ NetBox refused to clear"))
        .collect();
    assert_eq!(refused.len(), 1, "{all:#?}");
    assert!(
        refused[0].contains("(ticket **CHG-3025**)"),
        "{}",
        refused[0]
    );
    assert!(refused[0].contains("reject-clears"), "{}", refused[0]);
    assert_eq!(person.ticket(bad).await.as_deref(), Some("CHG-3025"));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rlo_in_netbox_description_is_refused_before_the_device() {
    let shutdown = CancellationToken::new();
    let _guard = shutdown.clone().drop_guard();
    let (_sim, backend) = simulated_netbox(shutdown).await;
    netbox_w2_text::rlo_in_netbox_description_is_refused_before_the_device(&backend).await;
}

/// The switch tells of W2's change too (its NETCONF notification, the bot's own "done"): the
/// configuration-change report names the NetBox ticket and calls the change planned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_w2_change_is_reported_by_the_notifier_as_planned_naming_its_ticket() {
    let shutdown = CancellationToken::new();
    let _guard = shutdown.clone().drop_guard();
    let (_sim, backend) = simulated_netbox(shutdown).await;
    let person = netbox_w2::Person::new(&backend);
    let world = netbox_w2::World::start(&backend, 0.2).await;
    let bot = world.start_bot();
    // The notifier's first sight of the switch is its silent baseline; the edit comes after it.
    world.wait_baseline().await;
    let gi9 = person.interface_id("GigabitEthernet1/0/9").await;
    person
        .edit(
            gi9,
            json!({"description": "planned by W2",
                   "custom_fields": {"change_ticket_number": "CHG-3001"}}),
        )
        .await;
    netbox_w2::wait_cleared(&person, gi9).await;
    let report = world.wait_change_report().await;
    assert!(
        report.starts_with("✅ **Configuration changed** on **c9300**"),
        "{report}"
    );
    assert!(report.contains("planned: ticket CHG-3001"), "{report}");
    assert!(report.contains("GigabitEthernet1/0/9"), "{report}");
    assert_eq!(
        world.change_reports().len(),
        1,
        "{:#?}",
        world.change_reports()
    );
    bot.stop().await;
}

/// NetBox down when the bot starts: the notifier watches the devices file's switches meanwhile
/// (their baseline is taken and a console change is reported), instead of nothing until the next
/// full round.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_netbox_down_at_start_the_notifier_watches_the_devices_file() {
    let shutdown = CancellationToken::new();
    let _guard = shutdown.clone().drop_guard();
    let (_sim, backend) = simulated_netbox(shutdown).await;
    let world = netbox_w2::World::start(&backend, 0.2).await;
    world.proxy.set_down(true);
    let bot = world.start_bot();
    world.wait_baseline().await;
    assert!(world.proxy.refused() > 0, "NetBox was asked while down");
    let request: patchpanel_sim::device::console::CliRequest = serde_json::from_value(json!({
        "interface": "Gi1/0/13", "set": {"description": "while NetBox is down"}
    }))
    .unwrap();
    world.device.sim.console(request).unwrap();
    let report = world.wait_change_report().await;
    assert!(report.contains("while NetBox is down"), "{report}");
    world.proxy.set_down(false);
    bot.stop().await;
}
