//! Workflow W3 against the Zammad, Webex, NetBox and device simulators and the real bot
//! (`app::run`): time from a ticket created in Zammad to its approval card in Webex, with
//! ZAMMAD_POLL_SECONDS=1 and with the webhook fast path (the trigger's signed webhook, the poll
//! interval an hour); and from Approve pressed to the ticket closed (NetBox and the switch changed
//! and verified on the way). Prints figures; asserts nothing about time.
//!
//! Run: `cargo bench --bench ticket_w3`

#[path = "../tests/device_sim_fixture/mod.rs"]
mod device_sim_fixture;
#[path = "../tests/netbox_w2/mod.rs"]
mod netbox_w2;
#[path = "../tests/reads/mod.rs"]
mod reads;
#[path = "../tests/tcp_proxy/mod.rs"]
mod tcp_proxy;
#[path = "../tests/ticket_w3/mod.rs"]
mod ticket_w3;

use serde_json::json;
use std::time::{Duration, Instant};
use ticket_w3::{Rig, APPROVER};

const ROUNDS: usize = 10;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench());
}

/// The interfaces the rounds change (one each, so every round plans a real change).
fn interface(round: usize) -> String {
    format!("GigabitEthernet1/0/{}", 10 + round)
}

async fn bench() {
    let rig = Rig::start().await;
    let bot = rig.start_bot_with(&[("ZAMMAD_POLL_SECONDS", "1".into())]);
    let mut to_card = Vec::new();
    let mut to_closed = Vec::new();
    for round in 0..ROUNDS {
        let (card_after, closed_after) = one(&rig, round).await;
        to_card.push(card_after);
        to_closed.push(closed_after);
    }
    bot.stop().await;
    report(
        "ticket created → approval card posted",
        "ZAMMAD_POLL_SECONDS=1",
        &mut to_card,
    );
    report(
        "Approve pressed → ticket closed",
        "NetBox + switch + verify",
        &mut to_closed,
    );

    let rig = Rig::start().await;
    let secret = "bench-hook-secret";
    let bot = rig.start_bot_with(&[
        ("ZAMMAD_POLL_SECONDS", "3600".into()),
        ("ZAMMAD_WEBHOOK_LISTEN", "127.0.0.1:0".into()),
        ("ZAMMAD_WEBHOOK_SECRET", secret.into()),
    ]);
    let port = bot
        .wait_stored_port(
            &rig.world.db_path(),
            patchpanel::zammad::webhook::LISTEN_PORT,
        )
        .await;
    rig.zammad.set_webhook(Some(
        patchpanel_sim::zammad::WebhookTarget::new(
            &format!("http://127.0.0.1:{port}/zammad"),
            Some(secret.into()),
            None,
        )
        .expect("webhook target"),
    ));
    let mut hooked = Vec::new();
    for round in 0..ROUNDS {
        hooked.push(one(&rig, round).await.0);
    }
    bot.stop().await;
    report(
        "ticket created → approval card posted",
        "webhook, poll 3600 s",
        &mut hooked,
    );
}

/// One ticket: created → card (elapsed), Approve → closed (elapsed).
async fn one(rig: &Rig, round: usize) -> (Duration, Duration) {
    let seen: Vec<String> = rig.cards().into_iter().map(|(m, _)| m).collect();
    let created = Instant::now();
    let (id, _) = rig.ticket(json!({"network_interface_name": interface(round)}));
    let card = loop {
        if let Some(c) = rig.cards().into_iter().find(|(m, c)| {
            !seen.contains(m) && c["actions"].as_array().is_some_and(|a| !a.is_empty())
        }) {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let card_after = created.elapsed();
    let pressed = Instant::now();
    rig.press(APPROVER, &card, 0, "");
    while rig.state_of(id) != "closed" {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    (card_after, pressed.elapsed())
}

fn report(what: &str, how: &str, samples: &mut [Duration]) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = samples[samples.len() / 2];
    println!(
        "ticket_w3: {what} ({how}): median {:.0} ms, min {:.0} ms, max {:.0} ms over {}",
        ms(median),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        samples.len()
    );
}
