//! Before/after of one interface's configuration: which fields differ, (rendered as markdown by
//! `crate::render`), plus the projection of a change onto a
//! config ("what it would look like"), used for the diff a change attempted.

use super::change::{mask_prefix, Edit, ModeChange, ValidChange};
use super::inventory::Profile;
use super::model::{InterfaceConfig, Ipv4, PortMode};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// `description`, `enabled`, `mtu`, `mode`, `ipv4`, `vrf`.
    pub field: &'static str,
    /// Rendered value; `None` when unset.
    pub before: Option<String>,
    pub after: Option<String>,
}

impl fmt::Display for FieldChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = |s: &Option<String>| s.clone().unwrap_or_else(|| "(none)".into());
        write!(
            f,
            "{}: {} -> {}",
            self.field,
            v(&self.before),
            v(&self.after)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    pub before: InterfaceConfig,
    pub after: InterfaceConfig,
    pub changes: Vec<FieldChange>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

pub fn diff(before: &InterfaceConfig, after: &InterfaceConfig) -> Diff {
    let mut changes = Vec::new();
    let mut field = |name: &'static str, b: Option<String>, a: Option<String>| {
        if b != a {
            changes.push(FieldChange {
                field: name,
                before: b,
                after: a,
            });
        }
    };
    field(
        "description",
        before.description.clone(),
        after.description.clone(),
    );
    field("enabled", enabled(before), enabled(after));
    field(
        "mtu",
        before.mtu.map(|m| m.to_string()),
        after.mtu.map(|m| m.to_string()),
    );
    field(
        "mode",
        before.mode.as_ref().map(mode),
        after.mode.as_ref().map(mode),
    );
    field("ipv4", addresses(&before.ipv4), addresses(&after.ipv4));
    field("vrf", before.vrf.clone(), after.vrf.clone());
    Diff {
        before: before.clone(),
        after: after.clone(),
        changes,
    }
}

fn enabled(c: &InterfaceConfig) -> Option<String> {
    c.shutdown
        .map(|s| if s { "no (shutdown)" } else { "yes" }.to_string())
}

fn mode(m: &PortMode) -> String {
    match m {
        PortMode::Access { vlan: Some(v) } => format!("access, VLAN {v}"),
        PortMode::Access { vlan: None } => "access".into(),
        PortMode::Trunk { allowed, native } => {
            let mut s = format!("trunk, allowed {}", allowed.as_deref().unwrap_or("all"));
            if let Some(n) = native {
                s.push_str(&format!(", native {n}"));
            }
            s
        }
        PortMode::Routed => "routed".into(),
    }
}

/// `192.0.2.1/24` whatever mask spelling the device used.
pub fn address_text(a: &Ipv4) -> String {
    if a.mask.is_empty() {
        return a.address.clone();
    }
    match mask_prefix(&a.mask) {
        Ok(p) => format!("{}/{p}", a.address),
        Err(_) => format!("{} {}", a.address, a.mask),
    }
}

fn addresses(v: &[Ipv4]) -> Option<String> {
    (!v.is_empty()).then(|| v.iter().map(address_text).collect::<Vec<_>>().join(", "))
}

/// The config `before` would have once `change` is applied (what the device should read back).
pub fn project(before: &InterfaceConfig, change: &ValidChange) -> InterfaceConfig {
    let mut c = before.clone();
    match &change.description {
        Some(Edit::Set(t)) => c.description = Some(t.clone()),
        Some(Edit::Remove) => c.description = None,
        None => {}
    }
    if let Some(e) = change.enabled {
        c.shutdown = Some(!e);
    }
    match &change.mtu {
        Some(Edit::Set(m)) => c.mtu = Some(u32::from(*m)),
        Some(Edit::Remove) => c.mtu = None,
        None => {}
    }
    match &change.mode {
        Some(ModeChange::Access { vlan }) => c.mode = Some(PortMode::Access { vlan: Some(*vlan) }),
        Some(ModeChange::Trunk { native, allowed }) => {
            let old_native = match &before.mode {
                Some(PortMode::Trunk { native, .. }) => *native,
                _ => None,
            };
            c.mode = Some(PortMode::Trunk {
                allowed: Some(allowed.as_str().to_string()),
                native: native.or(old_native),
            });
        }
        Some(ModeChange::Routed) => c.mode = Some(PortMode::Routed),
        None => {}
    }
    match &change.ipv4 {
        Some(Edit::Set(net)) => {
            let new = match change.profile {
                Profile::Iosxe => Ipv4 {
                    address: net.address.to_string(),
                    mask: net.mask().to_string(),
                },
                Profile::Ietf => Ipv4 {
                    address: net.address.to_string(),
                    mask: format!("/{}", net.prefix),
                },
            };
            let secondaries: Vec<Ipv4> = match change.profile {
                Profile::Iosxe => before.ipv4.iter().skip(1).cloned().collect(),
                Profile::Ietf => Vec::new(),
            };
            c.ipv4 = std::iter::once(new).chain(secondaries).collect();
            if change.profile == Profile::Iosxe && c.mode.is_none() {
                c.mode = Some(PortMode::Routed);
            }
        }
        Some(Edit::Remove) => c.ipv4.clear(),
        None => {}
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::change::{validate, ChangeReason, InterfaceChange, Rules, VlanList};

    fn cfg() -> InterfaceConfig {
        InterfaceConfig {
            name: "GigabitEthernet1/0/2".into(),
            description: Some("old | *desc*".into()),
            shutdown: Some(true),
            mode: Some(PortMode::Access { vlan: Some(10) }),
            ipv4: vec![],
            mtu: None,
            vrf: None,
        }
    }

    #[test]
    fn only_changed_fields_are_listed_and_escaped() {
        let before = cfg();
        let after = InterfaceConfig {
            description: Some("new <b>".into()),
            shutdown: Some(false),
            mtu: Some(9000),
            mode: Some(PortMode::Trunk {
                allowed: Some("10,20".into()),
                native: Some(99),
            }),
            ..cfg()
        };
        let d = diff(&before, &after);
        assert_eq!(
            crate::render::diff_lines(&d),
            vec![
                "- **description**: old \\| \\*desc\\* → new &lt;b&gt;",
                "- **enabled**: no (shutdown) → yes",
                "- **mtu**: — → 9000",
                "- **mode**: access, VLAN 10 → trunk, allowed 10,20, native 99",
            ]
        );
        assert_eq!(d.changes[2].to_string(), "mtu: (none) -> 9000");
        let same = diff(&before, &before);
        assert!(same.is_empty());
        assert_eq!(crate::render::diff_lines(&same), vec!["- no change"]);
    }

    #[test]
    fn addresses_compare_by_meaning_in_text() {
        let a = InterfaceConfig {
            ipv4: vec![Ipv4 {
                address: "192.0.2.1".into(),
                mask: "255.255.255.0".into(),
            }],
            ..cfg()
        };
        let b = InterfaceConfig {
            ipv4: vec![Ipv4 {
                address: "192.0.2.1".into(),
                mask: "/24".into(),
            }],
            ..cfg()
        };
        assert!(diff(&a, &b).is_empty());
        assert_eq!(address_text(&b.ipv4[0]), "192.0.2.1/24");
    }

    #[test]
    fn projection_applies_each_edit() {
        let c = validate(
            &InterfaceChange {
                device: "d".into(),
                interface: "Gi1/0/2".into(),
                description: Some(Edit::Remove),
                enabled: Some(true),
                mtu: Some(Edit::Set(9000)),
                mode: Some(ModeChange::Trunk {
                    native: None,
                    allowed: VlanList::new("20,10"),
                }),
                ipv4: None,
                reason: ChangeReason::Ticket { number: "1".into() },
            },
            &Rules {
                profile: Profile::Iosxe,
                protected: &[],
            },
        )
        .unwrap();
        let p = project(&cfg(), &c);
        assert_eq!(p.description, None);
        assert_eq!(p.shutdown, Some(false));
        assert_eq!(p.mtu, Some(9000));
        assert_eq!(
            p.mode,
            Some(PortMode::Trunk {
                allowed: Some("10,20".into()),
                native: None
            })
        );
        assert_eq!(diff(&cfg(), &p).changes.len(), 4);
    }
}
