//! Workflow W2 end to end against a real NetBox 4.7.3 (the rig of `tests/netbox/`): the same body the
//! simulator passes (`tests/netbox_w2_sim.rs`). The person edits with the v1 token; the bot uses the
//! whole v2 header value, as NETBOX_TOKEN may carry it.

mod device_sim_fixture;
mod netbox_rig;
mod netbox_w2;
#[path = "netbox_w2/text.rs"]
mod netbox_w2_text;
#[path = "reads/mod.rs"]
mod reads;
mod tcp_proxy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn w2_against_a_real_netbox() {
    let _turn = netbox_w2_text::ONE_WORLD_AT_A_TIME.lock().await;
    let rig = netbox_rig::NetboxRig::shared();
    netbox_w2::w2_conformance(&netbox_w2::Backend {
        url: rig.url.clone(),
        person_auth: rig.auth_v1.clone(),
        bot_token: rig.auth_v2.clone(),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rlo_in_netbox_description_is_refused_before_the_device() {
    let _turn = netbox_w2_text::ONE_WORLD_AT_A_TIME.lock().await;
    let rig = netbox_rig::NetboxRig::shared();
    netbox_w2_text::rlo_in_netbox_description_is_refused_before_the_device(&netbox_w2::Backend {
        url: rig.url.clone(),
        person_auth: rig.auth_v1.clone(),
        bot_token: rig.auth_v2.clone(),
    })
    .await;
}
