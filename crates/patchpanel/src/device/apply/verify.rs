//! Read-back verification: does the interface as the device now reports it carry EVERY value the
//! change intended? Pure; one sentence per mismatch.

use crate::device::change::{mask_prefix, Edit, ModeChange, ValidChange, VlanList};
use crate::device::model::{InterfaceConfig, PortMode};

fn shown(v: &Option<String>) -> String {
    match v {
        Some(s) => format!("`{}`", s.chars().take(80).collect::<String>()),
        None => "unset".into(),
    }
}

pub fn verify(change: &ValidChange, after: &InterfaceConfig) -> Vec<String> {
    let mut out = Vec::new();
    match &change.description {
        Some(Edit::Set(t)) if after.description.as_deref() != Some(t) => out.push(format!(
            "description is {}, expected {}",
            shown(&after.description),
            shown(&Some(t.clone()))
        )),
        Some(Edit::Remove) if after.description.is_some() => out.push(format!(
            "description is {}, expected none",
            shown(&after.description)
        )),
        _ => {}
    }
    match change.enabled {
        // ietf-interfaces may leave `enabled` (default true) out of get-config.
        Some(true) if after.shutdown == Some(true) => {
            out.push("the interface is shut down, expected enabled".into())
        }
        Some(false) if after.shutdown != Some(true) => {
            out.push("the interface is enabled, expected shut down".into())
        }
        _ => {}
    }
    match &change.mtu {
        Some(Edit::Set(m)) if after.mtu != Some(u32::from(*m)) => out.push(format!(
            "MTU is {}, expected {m}",
            after
                .mtu
                .map(|m| m.to_string())
                .unwrap_or_else(|| "unset".into())
        )),
        Some(Edit::Remove) if after.mtu.is_some() => out.push(format!(
            "MTU is {}, expected unset",
            after.mtu.unwrap_or_default()
        )),
        _ => {}
    }
    if let Some(mode) = &change.mode {
        if let Some(why) = mode_mismatch(mode, &after.mode) {
            out.push(why);
        }
    }
    match &change.ipv4 {
        Some(Edit::Set(net)) => {
            let want = net.address.to_string();
            let found = after
                .ipv4
                .iter()
                .any(|a| a.address == want && mask_prefix(&a.mask).ok() == Some(net.prefix));
            if !found {
                out.push(format!("IPv4 address {net} is not configured"));
            }
        }
        Some(Edit::Remove) if !after.ipv4.is_empty() => {
            out.push("IPv4 addresses are still configured, expected none".into())
        }
        _ => {}
    }
    out
}

fn mode_mismatch(want: &ModeChange, got: &Option<PortMode>) -> Option<String> {
    match (want, got) {
        (ModeChange::Access { vlan }, Some(PortMode::Access { vlan: Some(v) })) if v == vlan => {
            None
        }
        (ModeChange::Access { vlan }, _) => Some(format!(
            "the port is {}, expected access VLAN {vlan}",
            describe(got)
        )),
        (
            ModeChange::Trunk { native, allowed },
            Some(PortMode::Trunk {
                allowed: a,
                native: n,
            }),
        ) => {
            let got_list = VlanList::new(a.as_deref().unwrap_or("all"));
            if !got_list.same_set(allowed) {
                Some(format!("trunk allows VLANs {got_list}, expected {allowed}"))
            } else if native.is_some() && native != n {
                Some(format!(
                    "trunk native VLAN is {}, expected {}",
                    n.map(|v| v.to_string()).unwrap_or_else(|| "unset".into()),
                    native.map(|v| v.to_string()).unwrap_or_default()
                ))
            } else {
                None
            }
        }
        (ModeChange::Trunk { .. }, _) => {
            Some(format!("the port is {}, expected trunk", describe(got)))
        }
        (ModeChange::Routed, Some(PortMode::Routed)) => None,
        (ModeChange::Routed, _) => Some(format!("the port is {}, expected routed", describe(got))),
    }
}

fn describe(m: &Option<PortMode>) -> String {
    match m {
        None => "not a switchport or routed port as far as the device says".into(),
        Some(PortMode::Access { vlan: Some(v) }) => format!("access VLAN {v}"),
        Some(PortMode::Access { vlan: None }) => "access".into(),
        Some(PortMode::Trunk { .. }) => "trunk".into(),
        Some(PortMode::Routed) => "routed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::change::{validate, ChangeReason, InterfaceChange, Ipv4Change, Rules};
    use crate::device::inventory::Profile;
    use crate::device::model::Ipv4;

    fn valid(f: impl FnOnce(&mut InterfaceChange)) -> ValidChange {
        let mut c = InterfaceChange {
            device: "d".into(),
            interface: "Gi1/0/2".into(),
            description: None,
            enabled: None,
            mtu: None,
            mode: None,
            ipv4: None,
            reason: ChangeReason::Ticket { number: "1".into() },
        };
        f(&mut c);
        validate(
            &c,
            &Rules {
                profile: Profile::Iosxe,
                protected: &[],
            },
        )
        .unwrap()
    }

    #[test]
    fn every_intended_value_is_checked() {
        let c = valid(|c| {
            c.description = Some(Edit::Set("x".into()));
            c.enabled = Some(true);
            c.mtu = Some(Edit::Set(9000));
            c.mode = Some(ModeChange::Trunk {
                native: Some(99),
                allowed: VlanList::new("10,20"),
            });
        });
        let good = InterfaceConfig {
            description: Some("x".into()),
            shutdown: Some(false),
            mtu: Some(9000),
            mode: Some(PortMode::Trunk {
                allowed: Some("10, 20".into()),
                native: Some(99),
            }),
            ..InterfaceConfig::default()
        };
        assert_eq!(verify(&c, &good), Vec::<String>::new());
        let bad = InterfaceConfig {
            description: Some("y".into()),
            shutdown: Some(true),
            mtu: None,
            mode: Some(PortMode::Trunk {
                allowed: Some("10".into()),
                native: Some(99),
            }),
            ..InterfaceConfig::default()
        };
        assert_eq!(
            verify(&c, &bad),
            vec![
                "description is `y`, expected `x`",
                "the interface is shut down, expected enabled",
                "MTU is unset, expected 9000",
                "trunk allows VLANs 10, expected 10,20",
            ]
        );
    }

    #[test]
    fn removals_addresses_and_ietf_defaults() {
        let c = valid(|c| {
            c.description = Some(Edit::Remove);
            c.enabled = Some(true);
            c.mode = Some(ModeChange::Routed);
            c.ipv4 = Some(Edit::Set(Ipv4Change {
                address: "192.0.2.1".into(),
                mask: "24".into(),
            }));
        });
        let after = InterfaceConfig {
            shutdown: None,
            mode: Some(PortMode::Routed),
            ipv4: vec![Ipv4 {
                address: "192.0.2.1".into(),
                mask: "255.255.255.0".into(),
            }],
            ..InterfaceConfig::default()
        };
        assert!(verify(&c, &after).is_empty());
        let wrong_mask = InterfaceConfig {
            ipv4: vec![Ipv4 {
                address: "192.0.2.1".into(),
                mask: "/25".into(),
            }],
            description: Some("left".into()),
            mode: Some(PortMode::Access { vlan: Some(1) }),
            ..after
        };
        assert_eq!(
            verify(&c, &wrong_mask),
            vec![
                "description is `left`, expected none",
                "the port is access VLAN 1, expected routed",
                "IPv4 address 192.0.2.1/24 is not configured",
            ]
        );
    }
}
