//! Workflow W2: time from a NetBox edit carrying a ticket (the PATCH answered) to the bot's first Webex
//! message about it, with NETBOX_POLL_SECONDS=1, against the NetBox, Webex and device simulators and
//! the real bot (`app::run`). Also the time to the last message of the round (configured on the
//! switch). Prints figures; asserts nothing about time.
//!
//! Run: `cargo bench --bench netbox_w2`

#[path = "../tests/device_sim_fixture/mod.rs"]
mod device_sim_fixture;
#[path = "../tests/netbox_w2/mod.rs"]
mod netbox_w2;
#[path = "../tests/tcp_proxy/mod.rs"]
mod tcp_proxy;

use netbox_w2::{Backend, Person, World};
use patchpanel::sim::netbox::{start, NetboxSimConfig};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const EDITS: usize = 20;

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
    let mut messages = world.webex.subscribe();

    let mut first = Vec::with_capacity(EDITS);
    let mut last = Vec::with_capacity(EDITS);
    let mut seen = 0;
    for i in 0..EDITS {
        let name = format!("GigabitEthernet1/0/{}", 10 + i);
        let id = person.interface_id(&name).await;
        // Start the next edit at a random phase of the poll interval, as a person would.
        tokio::time::sleep(Duration::from_millis(fastrand::u64(0..1000))).await;
        while messages.try_recv().is_ok() {}
        person
            .edit(
                id,
                json!({"description": format!("bench {i}"),
                       "custom_fields": {"change_ticket_number": format!("CHG-{}", 5000 + i)}}),
            )
            .await;
        let edited = Instant::now();
        let _ = tokio::time::timeout(Duration::from_secs(30), messages.recv())
            .await
            .expect("a first message within 30 s");
        first.push(edited.elapsed());
        seen = world.wait_messages(seen + 3).await.len();
        last.push(edited.elapsed());
        world.wait_cursor(person.latest_change_id().await).await;
    }
    bot.stop().await;
    shutdown.cancel();

    report("edit → first Webex message", &mut first);
    report("edit → configured message (round done)", &mut last);
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what} (NETBOX_POLL_SECONDS=1, {} edits): min {:.0} ms, median {:.0} ms, p90 {:.0} ms, max {:.0} ms",
        samples.len(),
        ms(samples[0]),
        ms(pick(0.5)),
        ms(pick(0.9)),
        ms(samples[samples.len() - 1])
    );
}
