//! The NetBox poller against a real NetBox 4.7.3 (the rig of `tests/netbox/`): the same test body
//! the simulator passes (`tests/netbox_poller.rs`).

mod netbox_poller_shared;
mod netbox_rig;

use patchpanel::netbox::{NetboxClient, NetboxConfig};
use patchpanel::secret::Secret;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poller_against_a_real_netbox() {
    let rig = netbox_rig::NetboxRig::shared();
    let client = NetboxClient::new(&NetboxConfig::new(
        rig.url.clone(),
        Secret::new(rig.auth_v2.clone()),
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    netbox_poller_shared::poller_conformance(&client, "GigabitEthernet1/0/5", dir.path()).await;
}
