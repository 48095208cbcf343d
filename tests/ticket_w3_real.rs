//! Workflow W3's approval against a real NetBox 4.7.3 (the rig of `tests/netbox/`), with the
//! Zammad, Webex and device simulators: the same body the simulator passes
//! (`tests/ticket_w3_sim.rs`). The person reads with the v1 token; the bot uses the v2 header.

mod device_sim_fixture;
mod netbox_rig;
mod netbox_w2;
#[path = "reads/mod.rs"]
mod reads;
mod tcp_proxy;
mod ticket_w3;

use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_ticket_changes_a_real_netbox_and_the_switch() {
    let rig = netbox_rig::NetboxRig::shared();
    let backend = netbox_w2::Backend {
        url: rig.url.clone(),
        person_auth: rig.auth_v1.clone(),
        bot_token: rig.auth_v2.clone(),
    };
    let w3 = ticket_w3::Rig::start_with(backend, None, CancellationToken::new()).await;
    // An interface W2's conformance body does not touch.
    ticket_w3::approve_conformance(&w3, "GigabitEthernet1/0/20").await;
}
