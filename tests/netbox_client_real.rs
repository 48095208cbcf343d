//! The NetBox client against a real NetBox 4.7.3 (the rig of `tests/netbox/`): the same test body the
//! simulator passes (`tests/netbox_client_sim.rs`), so both answer the same calls the same way; and the
//! device directory's shared body (`inventory_conformance`).

mod netbox_rig;
mod netbox_shared;

use patchpanel::netbox::{NetboxClient, NetboxConfig, NetboxError, TokenKind};
use patchpanel::secret::Secret;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_against_a_real_netbox() {
    let rig = netbox_rig::NetboxRig::shared();
    // The whole header value (v2) as NETBOX_TOKEN may carry it.
    let client = NetboxClient::new(&NetboxConfig::new(
        rig.url.clone(),
        Secret::new(rig.auth_v2.clone()),
    ))
    .unwrap();
    assert_eq!(client.token_kind(), TokenKind::V2);
    netbox_shared::client_conformance(&client, "GigabitEthernet1/0/2").await;

    // The bare v1 token works too; a wrong one is refused without echoing it.
    let v1 = NetboxClient::new(&NetboxConfig::new(
        rig.url.clone(),
        Secret::new(rig.token_v1.clone()),
    ))
    .unwrap();
    assert_eq!(v1.token_kind(), TokenKind::V1);
    assert!(v1.device_by_name("c9300", None).await.is_ok());
    let wrong = NetboxClient::new(&NetboxConfig::new(
        rig.url.clone(),
        Secret::new("ffffffffffffffffffffffffffffffffffffffff"),
    ))
    .unwrap();
    let e = wrong.device_by_name("c9300", None).await.unwrap_err();
    assert!(matches!(e, NetboxError::Unauthorized { .. }), "{e:?}");
    assert!(!e.to_string().contains("ffffffff"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inventory_against_a_real_netbox() {
    let rig = netbox_rig::NetboxRig::shared();
    let client = NetboxClient::new(&NetboxConfig::new(
        rig.url.clone(),
        Secret::new(rig.token_v1.clone()),
    ))
    .unwrap();
    netbox_shared::inventory_conformance(&client, "GigabitEthernet1/0/3").await;
}
