//! The NetBox client against `patchpanel sim netbox` over HTTP: the shared body (also run against a
//! real NetBox), plus the simulator's fault: NetBox down answers 503 and the client says so.

mod netbox_shared;

use patchpanel::netbox::{NetboxClient, NetboxConfig, NetboxError};
use patchpanel::secret::Secret;
use patchpanel::sim::netbox::{start, NetboxSimConfig};
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_against_the_simulator() {
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
    let client =
        NetboxClient::new(&NetboxConfig::new(sim.base_url.clone(), Secret::new(TOKEN))).unwrap();
    netbox_shared::client_conformance(&client, "GigabitEthernet1/0/2").await;

    let wrong = NetboxClient::new(&NetboxConfig::new(
        sim.base_url.clone(),
        Secret::new("ffffffffffffffffffffffffffffffffffffffff"),
    ))
    .unwrap();
    let e = wrong.device_by_name("c9300", None).await.unwrap_err();
    assert!(matches!(e, NetboxError::Unauthorized { .. }), "{e:?}");
    assert!(
        !e.to_string().contains("ffffffff"),
        "the token never shows: {e}"
    );

    sim.set_down(true);
    let e = client.status().await.unwrap_err();
    assert!(matches!(e, NetboxError::Unavailable { .. }), "{e:?}");
}
