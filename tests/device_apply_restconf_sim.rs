//! `Applier::apply` over RESTCONF (PATCH `application/yang-data+json`) against the device simulator:
//! the same validation, verification and outcomes as NETCONF — applied and read back; a value the
//! device refuses is Rejected with the device's words; a device that silently ignores a value is
//! restored from the snapshot (RolledBack) and left as it was.

use patchpanel::device::apply::{Applier, Outcome};
use patchpanel::device::change::{ChangeReason, Edit, InterfaceChange};
use patchpanel::device::{DeviceReader, DeviceSettings, Inventory};
use patchpanel::secret::Secret;
use patchpanel::sim::device::{start, DeviceSimConfig, Fault, RunningDeviceSim};
use tokio_util::sync::CancellationToken;

const USER: &str = "netops";
const PASSWORD: &str = "rc-s3cret";

struct Fixture {
    sim: RunningDeviceSim,
    _shutdown: tokio_util::sync::DropGuard,
}

async fn fixture() -> Fixture {
    let shutdown = CancellationToken::new();
    let sim = start(
        DeviceSimConfig {
            restconf_listen: "127.0.0.1:0".parse().unwrap(),
            netconf_listen: "127.0.0.1:0".parse().unwrap(),
            hostname: "c9300".into(),
            credentials: Some((USER.into(), Secret::new(PASSWORD))),
            host_key_path: None,
            base_1_1: true,
        },
        shutdown.clone(),
    )
    .await
    .unwrap();
    Fixture {
        sim,
        _shutdown: shutdown.drop_guard(),
    }
}

impl Fixture {
    fn inventory(&self) -> Inventory {
        Inventory::from_toml_str(&format!(
            "[[device]]\nname = \"c9300\"\nhost = \"127.0.0.1\"\nrestconf_url = \"{}\"\nprofile = \"iosxe\"\n",
            self.sim.restconf_url
        ))
        .unwrap()
    }

    fn settings() -> DeviceSettings {
        DeviceSettings {
            username: Some(USER.into()),
            password: Some(Secret::new(PASSWORD)),
            ..DeviceSettings::default()
        }
    }

    fn applier(&self) -> Applier {
        Applier::new(self.inventory(), Self::settings()).unwrap()
    }

    async fn config(&self) -> patchpanel::device::InterfaceConfig {
        DeviceReader::new(self.inventory(), Self::settings())
            .unwrap()
            .interface("c9300", "GigabitEthernet1/0/2")
            .await
            .unwrap()
            .data
            .config
    }
}

fn change(description: &str, mtu: u16) -> InterfaceChange {
    InterfaceChange {
        device: "c9300".into(),
        interface: "Gi1/0/2".into(),
        description: Some(Edit::Set(description.into())),
        enabled: None,
        mtu: Some(Edit::Set(mtu)),
        mode: None,
        ipv4: None,
        reason: ChangeReason::Ticket {
            number: "1234".into(),
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_is_applied_and_verified() {
    let f = fixture().await;
    let hostile = "printer <b>&amp; ]]>]]> “Zürich” ##ticket:1234##";
    let r = f
        .applier()
        .apply(&change(hostile, 9000), &[])
        .await
        .unwrap();
    assert!(
        matches!(r.outcome, Outcome::Applied { .. }),
        "{:?} after {:?}",
        r.outcome,
        r.steps
    );
    let now = f.config().await;
    assert_eq!(
        now.description.as_deref(),
        Some(hostile),
        "the description round-trips exactly"
    );
    assert_eq!(now.mtu, Some(9000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silently_ignored_value_is_rolled_back() {
    let f = fixture().await;
    let before = f.config().await;
    f.sim
        .inject(Fault::IgnoreLeaf { leaf: "mtu".into() })
        .unwrap();
    let r = f
        .applier()
        .apply(&change("new text ##ticket:1234##", 9000), &[])
        .await
        .unwrap();
    assert!(
        matches!(r.outcome, Outcome::RolledBack { .. }),
        "{:?} after {:?}",
        r.outcome,
        r.steps
    );
    let after = f.config().await;
    assert_eq!(
        after.description, before.description,
        "the snapshot was restored"
    );
    assert_eq!(after.mtu, before.mtu);
}
