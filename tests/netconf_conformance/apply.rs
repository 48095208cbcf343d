//! The apply procedure (`Applier::apply`, candidate path) end to end against a target: an inventory
//! entry and device settings pointing at it (password auth, known_hosts from the server's own line),
//! the interface seeded with the client first (netconfd starts empty), and every result read back
//! with the client independently of the applier.

use crate::checks::{commit, merge, running};
use crate::payload::NATIVE_NS;
use crate::payload::{Iface, Set};
use crate::target::Target;
use patchpanel::device::apply::{Applier, ApplyError, ApplyReport, Outcome};
use patchpanel::device::change::{ticket_tagged, ChangeReason, Edit, InterfaceChange, ModeChange};
use patchpanel::device::netconf::{ConfigPayload, Datastore, EditOptions, Filter};
use patchpanel::device::{DeviceSettings, Inventory, Protocol};
use patchpanel::secret::Secret;

fn applier(t: &Target) -> Applier {
    let inventory = Inventory::from_toml_str(&format!(
        "[[device]]\nname = \"c9300\"\nhost = \"{}\"\nnetconf_port = {}\nprofile = \"iosxe\"\n",
        t.host(),
        t.port()
    ))
    .unwrap();
    let settings = DeviceSettings {
        username: Some(t.username.clone()),
        password: Some(Secret::new(t.password.clone())),
        known_hosts: Some(t.known_hosts.clone()),
        ..DeviceSettings::default()
    };
    Applier::new(inventory, settings).unwrap()
}

fn change(interface: &str) -> InterfaceChange {
    InterfaceChange {
        device: "c9300".into(),
        interface: interface.into(),
        description: None,
        enabled: None,
        mtu: None,
        mode: None,
        ipv4: None,
        reason: ChangeReason::Ticket {
            number: "1234".into(),
        },
    }
}

/// `Gi1/0/<n>`: shut, mtu 1500, access VLAN 10, description "old".
fn seed(t: &Target, n: &str) -> Iface {
    let mut s = t.connect();
    merge(
        &mut s,
        n,
        &Set {
            description: Some("old"),
            mtu: Some("1500"),
            shutdown: true,
            access_vlan: Some("10"),
        },
    )
    .unwrap();
    commit(&mut s);
    let now = running(&mut s, n).unwrap();
    s.close();
    now
}

fn read_back(t: &Target, n: &str) -> Iface {
    let mut s = t.connect();
    let now = running(&mut s, n).unwrap();
    s.close();
    now
}

fn fields(r: &ApplyReport) -> Vec<(&'static str, Option<String>, Option<String>)> {
    r.outcome
        .diff()
        .changes
        .iter()
        .map(|c| (c.field, c.before.clone(), c.after.clone()))
        .collect()
}

/// A ticketed change: edit → confirmed commit → verify → confirming commit → save-config.
/// (`enabled: true` removes `shutdown`: `remove` under base:1.1, `delete` under base:1.0.)
pub fn ticket_change_is_applied(t: &Target) {
    seed(t, "1/0/20");
    let text = ticket_tagged("to core <&> ]]>]]> ✓", "1234");
    let c = InterfaceChange {
        description: Some(Edit::Set(text.clone())),
        enabled: Some(true),
        mtu: Some(Edit::Set(9000)),
        mode: Some(ModeChange::Access { vlan: 20 }),
        ..change("Gi1/0/20")
    };
    let r = t.block_on(applier(t).apply(&c, &[])).unwrap();
    assert_eq!(r.protocol, Protocol::Netconf);
    assert_eq!(r.interface, "GigabitEthernet1/0/20");
    assert!(
        matches!(r.outcome, Outcome::Applied { .. }),
        "{}: {:?} after {:?}",
        t.facts.name,
        r.outcome,
        r.steps
    );
    assert_eq!(
        fields(&r),
        [
            ("description", Some("old".into()), Some(text.clone())),
            ("enabled", Some("no (shutdown)".into()), Some("yes".into())),
            ("mtu", Some("1500".into()), Some("9000".into())),
            (
                "mode",
                Some("access, VLAN 10".into()),
                Some("access, VLAN 20".into())
            ),
        ],
        "{}",
        t.facts.name
    );
    // A confirmed commit needs `:confirmed-commit:1.1` (persist); without it, one plain commit.
    let confirmed = t.facts.base_1_1;
    let commits: &[&str] = if confirmed {
        &["commit (confirmed)", "commit (confirming)"]
    } else {
        &["commit"]
    };
    let order: Vec<&str> = ["lock candidate", "discard-changes", "edit-config candidate"]
        .into_iter()
        .chain(commits.iter().copied())
        .chain(["save-config", "unlock candidate"])
        .collect();
    let at: Vec<usize> = order
        .iter()
        .map(|step| {
            r.steps
                .iter()
                .position(|s| s == step)
                .unwrap_or_else(|| panic!("{step} missing from {:?}", r.steps))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{:?}", r.steps);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert!(patchpanel::render::apply_report(&r).contains("applied and verified (ticket 1234)"));
    assert_eq!(
        read_back(t, "1/0/20"),
        Iface {
            description: Some(text),
            shutdown: false,
            mtu: Some("9000".into()),
            mode_access: true,
            access_vlan: Some("20".into()),
        }
    );
}

/// A change the bot's rules allow but the device refuses: the switchport mode of an SVI. The
/// simulator (like IOS-XE) has no switchport on a `Vlan` interface; the mock YANG has no `Vlan` list
/// at all. Either way the change is `Rejected` with the device's words, nothing changed and the
/// candidate discarded. (Values the model bounds, description length and MTU, are the bot's own
/// limits too: `model_limits_are_the_bots`.)
pub fn device_only_refusal(t: &Target) {
    // netconfd starts empty: give it the SVI the simulator is seeded with.
    let mut s = t.connect();
    s.edit_config(
        Datastore::Candidate,
        &ConfigPayload::from_xml(format!(
            "<native xmlns=\"{NATIVE_NS}\"><interface><Vlan><name>10</name>\
             <description>Users</description></Vlan></interface></native>"
        )),
        &EditOptions::default(),
    )
    .unwrap();
    commit(&mut s);
    s.close();
    let before = svi_description(t);
    assert_eq!(before.as_deref(), Some("Users"));

    let c = InterfaceChange {
        description: Some(Edit::Set("svi".into())),
        mode: Some(ModeChange::Access { vlan: 20 }),
        ..change("Vlan10")
    };
    let r = t.block_on(applier(t).apply(&c, &[])).unwrap();
    let Outcome::Rejected {
        device_words,
        diff_attempted,
    } = &r.outcome
    else {
        panic!("{}: {:?} after {:?}", t.facts.name, r.outcome, r.steps)
    };
    assert!(
        device_words.contains("unknown-element") && device_words.contains("switchport"),
        "{}: {device_words}",
        t.facts.name
    );
    assert_eq!(diff_attempted.changes.len(), 2);
    assert!(
        r.steps.iter().any(|s| s == "discard-changes"),
        "{:?}",
        r.steps
    );
    assert!(
        !r.steps.iter().any(|s| s.starts_with("commit")),
        "{:?}",
        r.steps
    );
    assert_eq!(svi_description(t), before);
    // netconfd refuses a lock on a modified candidate: getting one proves the edit was discarded.
    let mut s = t.connect();
    s.lock(Datastore::Candidate).unwrap();
    s.unlock(Datastore::Candidate).unwrap();
    s.close();
}

fn svi_description(t: &Target) -> Option<String> {
    let mut s = t.connect();
    let data = s
        .get_config(
            Datastore::Running,
            Some(&Filter::subtree(format!(
                "<native xmlns=\"{NATIVE_NS}\"><interface><Vlan><name>10</name>\
                 <description/></Vlan></interface></native>"
            ))),
        )
        .unwrap();
    s.close();
    data.tree()
        .unwrap()
        .text_at(&["native", "interface", "Vlan", "description"])
}

/// The bot's IOS-XE limits are the model's: a description of exactly 200 characters (the ticket
/// tag included) is written and read back as sent by both servers; 201 is refused by the bot
/// before it connects, naming the limit.
pub fn model_limits_are_the_bots(t: &Target) {
    seed(t, "1/0/21");
    let text = ticket_tagged(&"d".repeat(200 - " ##ticket:1234##".len()), "1234");
    assert_eq!(text.chars().count(), 200);
    let c = InterfaceChange {
        description: Some(Edit::Set(text.clone())),
        ..change("Gi1/0/21")
    };
    let r = t.block_on(applier(t).apply(&c, &[])).unwrap();
    assert!(
        matches!(r.outcome, Outcome::Applied { .. }),
        "{}: {:?}",
        t.facts.name,
        r.outcome
    );
    assert_eq!(read_back(t, "1/0/21").description, Some(text.clone()));
    let c = InterfaceChange {
        description: Some(Edit::Set(format!("d{text}"))),
        ..change("Gi1/0/21")
    };
    match t.block_on(applier(t).apply(&c, &[])) {
        Err(ApplyError::Invalid(inv)) => assert!(
            inv.to_string()
                .contains("201 characters long; the limit is 200"),
            "{inv}"
        ),
        other => panic!("{}: {other:?}", t.facts.name),
    }
}

/// Another session holds the candidate lock: `Busy`, naming it, and nothing is written.
pub fn locked_elsewhere_is_busy(t: &Target) {
    let before = seed(t, "1/0/22");
    let mut holder = t.connect();
    holder.lock(Datastore::Candidate).unwrap();
    let c = InterfaceChange {
        description: Some(Edit::Set("while locked".into())),
        ..change("Gi1/0/22")
    };
    match t.block_on(applier(t).apply(&c, &[])) {
        Err(ApplyError::Busy { device, held_by }) => {
            assert_eq!(device, "c9300");
            assert_eq!(held_by, holder.session_id());
        }
        other => panic!("{}: {other:?}", t.facts.name),
    }
    assert_eq!(read_back(t, "1/0/22"), before);
    holder.unlock(Datastore::Candidate).unwrap();
    holder.close();
}
