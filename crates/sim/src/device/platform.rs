//! What the switch itself refuses although the YANG model allows it. Cisco's native model gives an
//! interface `mtu` the range `64..18000` for every IOS-XE platform (checked when a payload is read,
//! `native_parse`); a Catalyst 9300 port takes 1500–9198 bytes. On the real switch the model check
//! passes and the device refuses the configuration when it is applied: at `<commit>` with the
//! candidate datastore, at the edit itself on running (NETCONF with `:writable-running`, RESTCONF).
//! The refusal is one transaction: nothing of it is applied. Pure.

use super::error::{PathStep, YangError};
use super::model::{NativeConfig, NS_NATIVE};
use std::ops::RangeInclusive;

/// The MTU a Catalyst 9300 port or SVI takes (Cisco's Catalyst 9000 "Configuring System MTU").
pub const PORT_MTU: RangeInclusive<u16> = 1500..=9198;

/// The refusals for what `after` changes relative to `before` (what is already in running was
/// accepted when it was applied). IOS-XE (ConfD) reports a refused command as `operation-failed`
/// "inconsistent value: Device refused one or more commands"; the part after it says which.
pub fn refusals(before: &NativeConfig, after: &NativeConfig) -> Vec<YangError> {
    after
        .interfaces
        .iter()
        .filter_map(|i| {
            let mtu = i.mtu?;
            let old = before.interface(i.kind, &i.name).and_then(|o| o.mtu);
            if old == Some(mtu) || PORT_MTU.contains(&mtu) {
                return None;
            }
            Some(
                YangError::application(
                    "operation-failed",
                    format!(
                        "inconsistent value: Device refused one or more commands (interface {}{}: mtu {mtu}: this switch takes {}-{})",
                        i.kind.list_name(),
                        i.name,
                        PORT_MTU.start(),
                        PORT_MTU.end()
                    ),
                )
                .at(&[
                    PathStep::new(NS_NATIVE, "native"),
                    PathStep::new(NS_NATIVE, "interface"),
                    PathStep::entry(NS_NATIVE, i.kind.list_name(), "name", &i.name),
                    PathStep::new(NS_NATIVE, "mtu"),
                ])
                .with_info("bad-element", "mtu"),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::model::IfKind;

    fn with_mtu(mtu: Option<u16>) -> NativeConfig {
        let mut cfg = crate::device::model::seed_c9300("c9300");
        for i in cfg.interfaces.iter_mut() {
            if i.kind == IfKind::GigabitEthernet && i.name == "1/0/3" {
                i.mtu = mtu;
            }
        }
        cfg
    }

    #[test]
    fn a_port_mtu_outside_the_switch_range_is_refused_naming_it() {
        let before = with_mtu(None);
        for ok in [1500, 9000, 9198] {
            assert!(refusals(&before, &with_mtu(Some(ok))).is_empty(), "{ok}");
        }
        for bad in [64, 1499, 9199, 18000] {
            let e = refusals(&before, &with_mtu(Some(bad)));
            assert_eq!(e.len(), 1, "{bad}");
            assert_eq!(
                (e[0].error_type, e[0].tag),
                ("application", "operation-failed")
            );
            assert!(
                e[0].message.contains(&format!("mtu {bad}")),
                "{}",
                e[0].message
            );
            assert!(e[0].message.contains("1500-9198"), "{}", e[0].message);
            assert_eq!(
                e[0].json_path().as_deref(),
                Some("/Cisco-IOS-XE-native:native/interface/GigabitEthernet[name='1/0/3']/mtu")
            );
        }
        // Removing the MTU, or keeping one that is already there, is never refused.
        assert!(refusals(&with_mtu(Some(9198)), &with_mtu(None)).is_empty());
        assert!(refusals(&with_mtu(Some(64)), &with_mtu(Some(64))).is_empty());
    }
}
