//! The YANG modules the simulator implements, in one list: the hello advertises each as a module
//! capability (RFC 6241 §8.1 URI form) and `<get>` serves them as RFC 7895 `ietf-yang-library`
//! `modules-state`, whose `module-set-id` the `:yang-library:1.0` capability carries (RFC 7950
//! §5.6.4). Pure.

pub use super::ns::{NS_NOTIFICATION, NS_WITH_DEFAULTS, NS_YANG_LIBRARY};

use super::ns::{
    NS_CISCO_IA, NS_ETHERNET, NS_IANAIFT, NS_IF, NS_IP, NS_NATIVE, NS_NC_NOTIFICATIONS, NS_SWITCH,
};
use super::xmltree::Element;

/// One implemented module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Module {
    pub name: &'static str,
    pub namespace: &'static str,
    pub revision: &'static str,
}

const fn module(name: &'static str, namespace: &'static str, revision: &'static str) -> Module {
    Module {
        name,
        namespace,
        revision,
    }
}

/// Every module the simulator serves data or operations of.
pub const MODULES: &[Module] = &[
    module("Cisco-IOS-XE-native", NS_NATIVE, "2024-03-01"),
    module("Cisco-IOS-XE-switch", NS_SWITCH, "2024-03-01"),
    module("Cisco-IOS-XE-ethernet", NS_ETHERNET, "2024-03-01"),
    module("ietf-interfaces", NS_IF, "2014-05-08"),
    module("ietf-ip", NS_IP, "2014-06-16"),
    module("iana-if-type", NS_IANAIFT, "2014-05-08"),
    module("cisco-ia", NS_CISCO_IA, "2023-03-01"),
    module("ietf-netconf-with-defaults", NS_WITH_DEFAULTS, "2011-06-01"),
    module("ietf-yang-library", NS_YANG_LIBRARY, "2016-06-21"),
    module("notifications", NS_NOTIFICATION, "2008-07-14"),
    module(
        "ietf-netconf-notifications",
        NS_NC_NOTIFICATIONS,
        "2012-02-06",
    ),
];

/// `namespace?module=NAME&revision=DATE` for each module, in list order.
pub fn module_capabilities() -> Vec<String> {
    MODULES
        .iter()
        .map(|m| format!("{}?module={}&revision={}", m.namespace, m.name, m.revision))
        .collect()
}

/// Identifies this module set (it changes whenever the list does): FNV-1a over the list, in hex.
pub fn module_set_id() -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for m in MODULES {
        for b in [m.name, m.namespace, m.revision].join("\u{0}").bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The `:yang-library:1.0` capability.
pub fn yang_library_capability() -> String {
    format!(
        "urn:ietf:params:netconf:capability:yang-library:1.0?revision=2016-06-21&module-set-id={}",
        module_set_id()
    )
}

/// `/modules-state` (state data: served by `<get>`, never by `<get-config>`).
pub fn modules_state() -> Element {
    let leaf = |name: &str, text: &str| Element::leaf(NS_YANG_LIBRARY, name, text);
    Element::new(NS_YANG_LIBRARY, "modules-state")
        .with_child(leaf("module-set-id", &module_set_id()))
        .with_children(
            MODULES
                .iter()
                .map(|m| {
                    Element::new(NS_YANG_LIBRARY, "module")
                        .with_child(leaf("name", m.name))
                        .with_child(leaf("revision", m.revision))
                        .with_child(leaf("namespace", m.namespace))
                        .with_child(leaf("conformance-type", "implement"))
                })
                .collect(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hello_and_the_library_list_the_same_modules() {
        let caps = module_capabilities();
        let state = modules_state();
        let listed: Vec<String> = state
            .children
            .iter()
            .filter(|m| m.name == "module")
            .map(|m| {
                let text = |n: &str| m.child(NS_YANG_LIBRARY, n).unwrap().text.clone();
                format!(
                    "{}?module={}&revision={}",
                    text("namespace"),
                    text("name"),
                    text("revision")
                )
            })
            .collect();
        assert_eq!(caps, listed);
        assert!(caps.contains(
            &"http://cisco.com/ns/yang/Cisco-IOS-XE-native?module=Cisco-IOS-XE-native&revision=2024-03-01"
                .to_owned()
        ));
        let id = state.child(NS_YANG_LIBRARY, "module-set-id").unwrap();
        assert_eq!(id.text, module_set_id());
        assert!(yang_library_capability().ends_with(&format!("module-set-id={}", id.text)));
        assert_eq!(module_set_id().len(), 16);
    }
}
