//! The NetBox client against `patchpanel sim netbox` over HTTP: the shared body (also run against a
//! real NetBox), plus the simulator's fault: NetBox down answers 503 and the client says so.

mod netbox_shared;

use patchpanel::device::Inventory;
use patchpanel::directory::{DeviceDirectory, ResolveError, Source};
use patchpanel::netbox::{NetboxClient, NetboxConfig, NetboxError};
use patchpanel::secret::Secret;
use patchpanel_sim::netbox::{start, NetboxSimConfig};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inventory_against_the_simulator() {
    let shutdown = CancellationToken::new();
    let _guard = shutdown.clone().drop_guard();
    let sim = start(NetboxSimConfig::default(), shutdown).await.unwrap();
    let client =
        NetboxClient::new(&NetboxConfig::new(sim.base_url.clone(), Secret::new(TOKEN))).unwrap();
    netbox_shared::inventory_conformance(&client, "GigabitEthernet1/0/3").await;

    // NetBox down: a read still finds a device the file has, and says why NetBox was not used;
    // a change (`resolve`) does not go ahead on half the information.
    let file =
        Inventory::from_toml_str("[[device]]\nname = \"c9300\"\nhost = \"127.0.0.1\"\n").unwrap();
    let dir = DeviceDirectory::new(Some(file), Some(client.clone()));
    sim.set_down(true);
    let found = dir.lookup("c9300").await.expect("the file answers");
    assert_eq!(found.resolved.source, Source::File);
    assert!(
        matches!(found.netbox_error, Some(NetboxError::Unavailable { .. })),
        "{:?}",
        found.netbox_error
    );
    let e = dir.resolve("c9300").await.unwrap_err();
    assert!(e.is_transient(), "{e:?}");
    let e = dir.lookup("c9300-spare").await.unwrap_err();
    assert!(matches!(e, ResolveError::Netbox(_)), "{e:?}");
}
