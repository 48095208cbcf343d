//! NetBox's intent for one interface beside what the device has (pure): the typed [`Intent`] (built
//! outside `device/` from NetBox's record), the row-by-row comparison and its markdown table.
//!
//! Comparison rules, so a table full of `≠` means a real difference and not a spelling one:
//! * description: the `##ticket:N##` tag the bot adds on the device is ignored, as is surrounding
//!   whitespace; empty and absent are the same.
//! * MTU: absent means the default, 1500.
//! * mode/VLANs: NetBox's empty mode means "no 802.1Q intent", which matches a routed port or an
//!   access port in the default VLAN 1. NetBox `tagged` is a trunk with that list, `tagged-all` a
//!   trunk allowing all VLANs; VLAN lists compare as sets (`10-11` = `10,11`) with the native VLAN
//!   counted as allowed on both sides.
//! * A value the device does not report cannot be compared: marked `?`, never `≠`.

use super::change::VlanList;
use super::model::{InterfaceConfig, PortMode};

/// What NetBox says an interface should be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Intent {
    /// `None` when NetBox's description is empty.
    pub description: Option<String>,
    pub enabled: bool,
    pub mtu: Option<u32>,
    pub mode: IntentMode,
}

/// NetBox's 802.1Q mode, with the VLAN ids (VIDs, not NetBox object ids).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum IntentMode {
    /// No 802.1Q mode set in NetBox.
    #[default]
    Unset,
    Access {
        untagged: Option<u16>,
    },
    /// `tagged`: a trunk carrying `tagged`, `untagged` as the native VLAN.
    Tagged {
        untagged: Option<u16>,
        tagged: Vec<u16>,
    },
    /// `tagged-all`: a trunk carrying every VLAN.
    TaggedAll {
        untagged: Option<u16>,
    },
    /// A mode a switch port cannot express (`q-in-q`, or one newer than this bot).
    Other(String),
}

/// How one row compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Same,
    Differs,
    /// The device did not report this value.
    Unknown,
}

impl Verdict {
    pub fn mark(self) -> &'static str {
        match self {
            Verdict::Same => "",
            Verdict::Differs => "≠",
            Verdict::Unknown => "?",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub field: &'static str,
    /// Display text, not yet escaped.
    pub netbox: String,
    pub device: String,
    pub verdict: Verdict,
}

const DEFAULT_MTU: u32 = 1500;
const DEFAULT_VLAN: u16 = 1;
const NONE: &str = "—";

/// The device's description without the bot's `##ticket:N##` tags, trimmed.
pub fn strip_ticket_tag(description: &str) -> String {
    let mut out = String::with_capacity(description.len());
    let mut rest = description;
    while let Some(start) = rest.find("##ticket:") {
        let after = &rest[start + "##ticket:".len()..];
        match after.find("##") {
            Some(end) => {
                out.push_str(&rest[..start]);
                rest = &after[end + 2..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One row per field: description, enabled, MTU, mode, VLANs.
pub fn compare(intent: &Intent, device: &InterfaceConfig) -> Vec<Row> {
    vec![
        description_row(intent, device),
        enabled_row(intent, device),
        mtu_row(intent, device),
        mode_row(intent, device),
        vlans_row(intent, device),
    ]
}

fn description_row(intent: &Intent, device: &InterfaceConfig) -> Row {
    let nb = intent
        .description
        .as_deref()
        .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let dev_raw = device.description.clone().unwrap_or_default();
    let dev = strip_ticket_tag(&dev_raw);
    let shown = |s: &str| {
        if s.trim().is_empty() {
            NONE.to_owned()
        } else {
            s.trim().to_owned()
        }
    };
    Row {
        field: "Description",
        netbox: shown(intent.description.as_deref().unwrap_or_default()),
        device: shown(&dev_raw),
        verdict: if nb == dev {
            Verdict::Same
        } else {
            Verdict::Differs
        },
    }
}

fn yes_no(b: bool) -> String {
    if b { "enabled" } else { "shutdown" }.to_owned()
}

fn enabled_row(intent: &Intent, device: &InterfaceConfig) -> Row {
    let (shown, verdict) = match device.shutdown {
        None => ("unknown".to_owned(), Verdict::Unknown),
        Some(shutdown) => (yes_no(!shutdown), same(intent.enabled != shutdown)),
    };
    Row {
        field: "Admin state",
        netbox: yes_no(intent.enabled),
        device: shown,
        verdict,
    }
}

fn same(equal: bool) -> Verdict {
    if equal {
        Verdict::Same
    } else {
        Verdict::Differs
    }
}

fn mtu_row(intent: &Intent, device: &InterfaceConfig) -> Row {
    let shown = |m: Option<u32>| m.map_or_else(|| "default".to_owned(), |m| m.to_string());
    Row {
        field: "MTU",
        netbox: shown(intent.mtu),
        device: shown(device.mtu),
        verdict: same(intent.mtu.unwrap_or(DEFAULT_MTU) == device.mtu.unwrap_or(DEFAULT_MTU)),
    }
}

/// The shape of a port, for the mode row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Access,
    Trunk,
    Routed,
}

fn mode_row(intent: &Intent, device: &InterfaceConfig) -> Row {
    let netbox = match &intent.mode {
        IntentMode::Unset => "not set (left alone)".to_owned(),
        IntentMode::Access { .. } => "access".to_owned(),
        IntentMode::Tagged { .. } => "tagged (trunk)".to_owned(),
        IntentMode::TaggedAll { .. } => "tagged-all (trunk)".to_owned(),
        IntentMode::Other(m) => m.clone(),
    };
    let Some(mode) = &device.mode else {
        return Row {
            field: "Mode",
            netbox,
            device: "unknown".to_owned(),
            verdict: Verdict::Unknown,
        };
    };
    let dev_shape = match mode {
        PortMode::Access { .. } => Shape::Access,
        PortMode::Trunk { .. } => Shape::Trunk,
        PortMode::Routed => Shape::Routed,
    };
    let verdict = match &intent.mode {
        // No L2 intent in NetBox: W2 leaves the port's mode and VLANs as they are, so any is fine.
        IntentMode::Unset => Verdict::Same,
        IntentMode::Access { .. } => same(dev_shape == Shape::Access),
        IntentMode::Tagged { .. } | IntentMode::TaggedAll { .. } => same(dev_shape == Shape::Trunk),
        IntentMode::Other(_) => Verdict::Differs,
    };
    Row {
        field: "Mode",
        netbox,
        device: match dev_shape {
            Shape::Access => "access",
            Shape::Trunk => "trunk",
            Shape::Routed => "routed",
        }
        .to_owned(),
        verdict,
    }
}

/// Untagged/native VLAN and the set of VLANs carried (`None` = all), normalized.
#[derive(Debug, PartialEq, Eq)]
struct Vlans {
    untagged: u16,
    /// Inclusive ranges including the untagged VLAN; `None` for a list that cannot be read.
    carried: Option<Vec<(u16, u16)>>,
}

fn carried(list: &str, native: u16) -> Option<Vec<(u16, u16)>> {
    VlanList::new(format!("{list},{native}")).ranges().ok()
}

fn join_vids(vids: &[u16]) -> String {
    vids.iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn vlans_row(intent: &Intent, device: &InterfaceConfig) -> Row {
    let all = "1-4094";
    let (netbox, want) = match &intent.mode {
        IntentMode::Unset => (NONE.to_owned(), Some(None)),
        IntentMode::Access { untagged } => {
            let v = untagged.unwrap_or(DEFAULT_VLAN);
            (
                untagged.map_or("default (1)".to_owned(), |v| format!("access {v}")),
                Some(Some(Vlans {
                    untagged: v,
                    carried: carried(&v.to_string(), v),
                })),
            )
        }
        IntentMode::Tagged { untagged, tagged } => {
            let native = untagged.unwrap_or(DEFAULT_VLAN);
            let list = if tagged.is_empty() {
                native.to_string()
            } else {
                join_vids(tagged)
            };
            (
                format!(
                    "native {}, tagged {}",
                    untagged.map_or("1 (default)".to_owned(), |v| v.to_string()),
                    if tagged.is_empty() {
                        NONE.to_owned()
                    } else {
                        join_vids(tagged)
                    }
                ),
                Some(Some(Vlans {
                    untagged: native,
                    carried: carried(&list, native),
                })),
            )
        }
        IntentMode::TaggedAll { untagged } => {
            let native = untagged.unwrap_or(DEFAULT_VLAN);
            (
                format!(
                    "native {}, tagged all",
                    untagged.map_or("1 (default)".to_owned(), |v| v.to_string())
                ),
                Some(Some(Vlans {
                    untagged: native,
                    carried: carried(all, native),
                })),
            )
        }
        IntentMode::Other(_) => (NONE.to_owned(), None),
    };
    let Some(mode) = &device.mode else {
        return Row {
            field: "VLANs",
            netbox,
            device: "unknown".to_owned(),
            verdict: Verdict::Unknown,
        };
    };
    let (shown, have) = match mode {
        PortMode::Routed => (NONE.to_owned(), None),
        PortMode::Access { vlan } => {
            let v = vlan.unwrap_or(DEFAULT_VLAN);
            (
                vlan.map_or("default (1)".to_owned(), |v| format!("access {v}")),
                Some(Vlans {
                    untagged: v,
                    carried: carried(&v.to_string(), v),
                }),
            )
        }
        PortMode::Trunk { allowed, native } => {
            let n = native.unwrap_or(DEFAULT_VLAN);
            (
                format!(
                    "native {}, allowed {}",
                    native.map_or("1 (default)".to_owned(), |v| v.to_string()),
                    allowed.as_deref().unwrap_or("all")
                ),
                Some(Vlans {
                    untagged: n,
                    carried: carried(allowed.as_deref().unwrap_or(all), n),
                }),
            )
        }
    };
    let verdict = match (want, have) {
        // NetBox has no L2 intent: W2 leaves the VLANs as they are.
        (Some(None), _) => Verdict::Same,
        (Some(Some(w)), Some(h)) => same(w.carried.is_some() && w == h),
        (Some(Some(_)), None) | (None, _) => Verdict::Differs,
    };
    Row {
        field: "VLANs",
        netbox,
        device: shown,
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(
        description: Option<&str>,
        shutdown: Option<bool>,
        mtu: Option<u32>,
    ) -> InterfaceConfig {
        InterfaceConfig {
            name: "GigabitEthernet1/0/2".into(),
            description: description.map(str::to_owned),
            shutdown,
            mode: Some(PortMode::Access { vlan: None }),
            mtu,
            ..InterfaceConfig::default()
        }
    }

    fn intent(description: Option<&str>, enabled: bool, mtu: Option<u32>) -> Intent {
        Intent {
            description: description.map(str::to_owned),
            enabled,
            mtu,
            mode: IntentMode::Unset,
        }
    }

    fn verdicts(rows: &[Row]) -> Vec<(&'static str, Verdict)> {
        rows.iter().map(|r| (r.field, r.verdict)).collect()
    }

    #[test]
    fn ticket_tags_are_stripped() {
        assert_eq!(strip_ticket_tag("uplink ##ticket:1234##"), "uplink");
        assert_eq!(strip_ticket_tag("##ticket:1##a  ##ticket:2## b"), "a b");
        assert_eq!(strip_ticket_tag("open ##ticket:12"), "open ##ticket:12");
        assert_eq!(strip_ticket_tag("##ticket:##"), "");
        assert_eq!(strip_ticket_tag("ünï ##ticket:9## code"), "ünï code");
    }

    #[test]
    fn in_sync_ignores_the_ticket_tag_and_defaults() {
        let rows = compare(
            &intent(Some("printer"), true, None),
            &device(Some("printer ##ticket:1234##"), Some(false), Some(1500)),
        );
        assert!(rows.iter().all(|r| r.verdict == Verdict::Same), "{rows:?}");
    }

    #[test]
    fn differences_are_marked_and_counted() {
        let rows = compare(
            &intent(Some("new desc"), false, Some(9000)),
            &device(Some("old desc"), Some(false), None),
        );
        assert_eq!(
            verdicts(&rows),
            vec![
                ("Description", Verdict::Differs),
                ("Admin state", Verdict::Differs),
                ("MTU", Verdict::Differs),
                ("Mode", Verdict::Same),
                ("VLANs", Verdict::Same),
            ]
        );
    }

    #[test]
    fn unknown_device_values_are_not_differences() {
        let mut d = device(None, None, None);
        d.mode = None;
        let rows = compare(&intent(None, true, None), &d);
        assert_eq!(rows[1].verdict, Verdict::Unknown);
        assert_eq!(rows[3].verdict, Verdict::Unknown);
        assert_eq!(rows[4].verdict, Verdict::Unknown);
    }

    #[test]
    fn l2_modes_compare_as_sets() {
        let trunk = |allowed: Option<&str>, native: Option<u16>| InterfaceConfig {
            mode: Some(PortMode::Trunk {
                allowed: allowed.map(str::to_owned),
                native,
            }),
            ..InterfaceConfig::default()
        };
        let tagged = |untagged, tagged: &[u16]| Intent {
            mode: IntentMode::Tagged {
                untagged,
                tagged: tagged.to_vec(),
            },
            enabled: true,
            ..Intent::default()
        };
        let v = |i: &Intent, d: &InterfaceConfig| {
            let rows = compare(i, d);
            (rows[3].verdict, rows[4].verdict)
        };
        use Verdict::*;
        assert_eq!(
            v(
                &tagged(Some(99), &[10, 11, 20]),
                &trunk(Some("10-11,20,99"), Some(99))
            ),
            (Same, Same)
        );
        assert_eq!(
            v(
                &tagged(Some(99), &[10, 11, 20]),
                &trunk(Some("10-11,20"), Some(99))
            ),
            (Same, Same)
        );
        assert_eq!(
            v(&tagged(None, &[10]), &trunk(Some("10,30"), None)),
            (Same, Differs)
        );
        assert_eq!(
            v(&tagged(Some(5), &[10]), &trunk(Some("10"), None)),
            (Same, Differs)
        );
        let all = Intent {
            mode: IntentMode::TaggedAll { untagged: None },
            enabled: true,
            ..Intent::default()
        };
        assert_eq!(v(&all, &trunk(None, None)), (Same, Same));
        assert_eq!(v(&all, &trunk(Some("1-4094"), None)), (Same, Same));
        assert_eq!(v(&all, &trunk(Some("10"), None)), (Same, Differs));

        let access = |vlan: Option<u16>| InterfaceConfig {
            mode: Some(PortMode::Access { vlan }),
            ..InterfaceConfig::default()
        };
        let want_access = |untagged| Intent {
            mode: IntentMode::Access { untagged },
            enabled: true,
            ..Intent::default()
        };
        assert_eq!(v(&want_access(Some(10)), &access(Some(10))), (Same, Same));
        assert_eq!(
            v(&want_access(Some(10)), &access(Some(20))),
            (Same, Differs)
        );
        assert_eq!(v(&want_access(None), &access(None)), (Same, Same));
        assert_eq!(
            v(&want_access(Some(10)), &trunk(None, Some(10))),
            (Differs, Differs)
        );
        // No L2 intent in NetBox: W2 leaves mode and VLANs alone, so whatever the device has matches.
        let unset = intent(None, true, None);
        assert_eq!(v(&unset, &access(None)), (Same, Same));
        assert_eq!(v(&unset, &access(Some(1))), (Same, Same));
        assert_eq!(v(&unset, &access(Some(10))), (Same, Same));
        let routed = InterfaceConfig {
            mode: Some(PortMode::Routed),
            ..InterfaceConfig::default()
        };
        assert_eq!(v(&unset, &routed), (Same, Same));
        assert_eq!(v(&unset, &trunk(None, None)), (Same, Same));
        let qinq = Intent {
            mode: IntentMode::Other("q-in-q".into()),
            enabled: true,
            ..Intent::default()
        };
        assert_eq!(v(&qinq, &access(None)), (Differs, Differs));
        // A device list that cannot be read never compares equal.
        assert_eq!(
            v(&tagged(None, &[10]), &trunk(Some("10;x"), None)).1,
            Differs
        );
    }
}
