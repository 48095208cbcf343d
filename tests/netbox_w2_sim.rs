//! Workflow W2 end to end against `patchpanel sim netbox`: the shared body (`tests/netbox_w2/`), which
//! the real NetBox passes too (`tests/netbox_w2_real.rs`).

mod device_sim_fixture;
mod netbox_w2;
mod tcp_proxy;

use patchpanel::sim::netbox::{start, NetboxSimConfig};
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn w2_against_the_simulator() {
    let shutdown = CancellationToken::new();
    let _guard = shutdown.clone().drop_guard();
    let sim = start(
        NetboxSimConfig {
            token: Some(TOKEN.into()),
            ..NetboxSimConfig::default()
        },
        shutdown,
    )
    .await
    .unwrap();
    netbox_w2::w2_conformance(&netbox_w2::Backend {
        url: sim.base_url.clone(),
        person_auth: format!("Token {TOKEN}"),
        bot_token: TOKEN.into(),
    })
    .await;
}
