//! `Applier::apply` over RESTCONF (PATCH `application/yang-data+json`) against the device simulator:
//! the same validation, verification and outcomes as NETCONF — applied and read back; a value the
//! device refuses is Rejected with the device's words; a device that silently ignores a value is
//! restored from the snapshot (RolledBack) and left as it was.

#[path = "reads/mod.rs"]
mod reads;

use patchpanel::device::apply::{Applier, Outcome};
use patchpanel::device::change::{ChangeReason, Edit, InterfaceChange};
use patchpanel::device::DeviceReader;
use patchpanel_sim::device::Fault;

mod device_sim_fixture;
use device_sim_fixture::SimDevice;

fn applier(f: &SimDevice) -> Applier {
    Applier::new(f.restconf_inventory("c9300"), f.settings()).unwrap()
}

async fn config(f: &SimDevice) -> patchpanel::device::InterfaceConfig {
    reads::interface(
        &DeviceReader::new(f.restconf_inventory("c9300"), f.settings()).unwrap(),
        "c9300",
        "GigabitEthernet1/0/2",
    )
    .await
    .unwrap()
    .data
    .config
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
    let f = SimDevice::start().await;
    let hostile = "printer <b>&amp; ]]>]]> “Zürich” ##ticket:1234##";
    let r = applier(&f)
        .apply(&change(hostile, 9000), &[])
        .await
        .unwrap();
    assert!(
        matches!(r.outcome, Outcome::Applied { .. }),
        "{:?} after {:?}",
        r.outcome,
        r.steps
    );
    let now = config(&f).await;
    assert_eq!(
        now.description.as_deref(),
        Some(hostile),
        "the description round-trips exactly"
    );
    assert_eq!(now.mtu, Some(9000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silently_ignored_value_is_rolled_back() {
    let f = SimDevice::start().await;
    let before = config(&f).await;
    f.sim
        .inject(Fault::IgnoreLeaf { leaf: "mtu".into() })
        .unwrap();
    let r = applier(&f)
        .apply(&change("new text ##ticket:1234##", 9000), &[])
        .await
        .unwrap();
    assert!(
        matches!(r.outcome, Outcome::RolledBack { .. }),
        "{:?} after {:?}",
        r.outcome,
        r.steps
    );
    let after = config(&f).await;
    assert_eq!(
        after.description, before.description,
        "the snapshot was restored"
    );
    assert_eq!(after.mtu, before.mtu);
}
