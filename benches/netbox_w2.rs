//! Workflow W2: time from a NetBox edit carrying a ticket (the PATCH answered) to the bot's first Webex
//! message about it, with NETBOX_POLL_SECONDS=1, against the NetBox, Webex and device simulators and
//! the real bot (`app::run`). Also the time to the last message of the round (configured on the
//! switch), and the same with the webhook fast path (NetBox's signed webhook sent right after the
//! edit, the poll interval an hour). Prints figures; asserts nothing about time.
//!
//! Run: `cargo bench --bench netbox_w2`

#[path = "../tests/device_sim_fixture/mod.rs"]
mod device_sim_fixture;
#[path = "../tests/netbox_w2/mod.rs"]
mod netbox_w2;
#[path = "../tests/reads/mod.rs"]
mod reads;
#[path = "../tests/tcp_proxy/mod.rs"]
mod tcp_proxy;

use netbox_w2::{Backend, Person, World};
use patchpanel_sim::netbox::{start, NetboxSimConfig};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const EDITS: usize = 15;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench());
}

async fn bench() {
    let shutdown = CancellationToken::new();
    let sim = start(NetboxSimConfig::default(), shutdown.clone())
        .await
        .expect("NetBox simulator");
    let backend = Backend {
        url: sim.base_url.clone(),
        person_auth: "Token 0123456789abcdef0123456789abcdef01234567".into(),
        bot_token: "0123456789abcdef0123456789abcdef01234567".into(),
    };
    let person = Person::new(&backend);

    let world = World::start(&backend, 1.0).await;
    let bot = world.start_bot();
    world.wait_cursor(0).await;
    let (mut first, mut last) = rounds(&world, &person, 10, None).await;
    bot.stop().await;
    report(
        "poll: edit → first Webex message",
        "NETBOX_POLL_SECONDS=1",
        &mut first,
    );
    report(
        "poll: edit → configured message (round done)",
        "NETBOX_POLL_SECONDS=1",
        &mut last,
    );

    let world = World::start(&backend, 3600.0).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let bot = world.start_bot_with(&[
        ("NETBOX_WEBHOOK_LISTEN", format!("127.0.0.1:{port}")),
        ("NETBOX_WEBHOOK_SECRET", SECRET.to_owned()),
    ]);
    world.wait_cursor(0).await;
    let (mut first, mut last) = rounds(&world, &person, 10 + EDITS, Some(port)).await;
    bot.stop().await;
    shutdown.cancel();
    report(
        "webhook: edit → first Webex message",
        "poll 1 h, signed webhook",
        &mut first,
    );
    report(
        "webhook: edit → configured message (round done)",
        "poll 1 h, signed webhook",
        &mut last,
    );
}

const SECRET: &str = "bench-secret";

/// `EDITS` ticketed edits on consecutive ports from `GigabitEthernet1/0/<first_port>`; with
/// `webhook`, NetBox's signed webhook is posted to that port right after each edit.
async fn rounds(
    world: &World,
    person: &Person,
    first_port: usize,
    webhook: Option<u16>,
) -> (Vec<Duration>, Vec<Duration>) {
    let http = reqwest::Client::new();
    let mut messages = world.webex.subscribe();
    let mut first = Vec::with_capacity(EDITS);
    let mut last = Vec::with_capacity(EDITS);
    let mut seen = world.bot_messages().len();
    for i in 0..EDITS {
        let name = format!("GigabitEthernet1/0/{}", first_port + i);
        let id = person.interface_id(&name).await;
        // Start the next edit at a random phase of the poll interval, as a person would.
        tokio::time::sleep(Duration::from_millis(fastrand::u64(0..1000))).await;
        while messages.try_recv().is_ok() {}
        let edited_iface = person
            .edit(
                id,
                json!({"description": format!("bench {i}"),
                       "custom_fields": {"change_ticket_number": format!("CHG-{}", 5000 + first_port + i)}}),
            )
            .await;
        let edited = Instant::now();
        if let Some(port) = webhook {
            let body = serde_json::to_vec(&json!({
                "event": "updated", "timestamp": "2026-11-27 12:00:00+00:00",
                "object_type": "dcim.interface", "request": {"id": "bench", "user": "admin"},
                "data": edited_iface, "snapshots": {"prechange": null, "postchange": null}
            }))
            .expect("json");
            let signature = netbox_w2::hook_signature(SECRET, &body);
            let answer = http
                .post(format!("http://127.0.0.1:{port}/netbox"))
                .header("Content-Type", "application/json")
                .header("X-Hook-Signature", signature)
                .body(body)
                .send()
                .await
                .expect("webhook");
            assert_eq!(answer.status(), 200);
        }
        let _ = tokio::time::timeout(Duration::from_secs(30), messages.recv())
            .await
            .expect("a first message within 30 s");
        first.push(edited.elapsed());
        seen = world.wait_messages(seen + 3).await.len();
        last.push(edited.elapsed());
        netbox_w2::wait_cleared(person, id).await;
        if webhook.is_none() {
            // With an hour-long interval the poller passes the bot's own clearing record only at
            // the next wake-up, so this is for the polling rounds alone.
            world.wait_cursor(person.latest_change_id().await).await;
        }
    }
    (first, last)
}

fn report(what: &str, how: &str, samples: &mut [Duration]) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what} ({how}, {} edits): min {:.1} ms, median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        samples.len(),
        ms(samples[0]),
        ms(pick(0.5)),
        ms(pick(0.9)),
        ms(samples[samples.len() - 1])
    );
}
