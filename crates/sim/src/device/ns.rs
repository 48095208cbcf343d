//! The XML namespaces the simulated switch speaks (one place, so the modules that build and check
//! XML depend on it rather than on each other).

pub const NS_YANG_LIBRARY: &str = "urn:ietf:params:xml:ns:yang:ietf-yang-library";
pub const NS_WITH_DEFAULTS: &str = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults";
/// RFC 5277's `notifications` module (the `create-subscription` rpc).
pub const NS_NOTIFICATION: &str = "urn:ietf:params:xml:ns:netconf:notification:1.0";
pub const NS_BASE: &str = "urn:ietf:params:xml:ns:netconf:base:1.0";
pub const NS_CISCO_IA: &str = "http://cisco.com/yang/cisco-ia";
pub const NS_NATIVE: &str = "http://cisco.com/ns/yang/Cisco-IOS-XE-native";
pub const NS_SWITCH: &str = "http://cisco.com/ns/yang/Cisco-IOS-XE-switch";
pub const NS_ETHERNET: &str = "http://cisco.com/ns/yang/Cisco-IOS-XE-ethernet";
pub const NS_IF: &str = "urn:ietf:params:xml:ns:yang:ietf-interfaces";
pub const NS_IP: &str = "urn:ietf:params:xml:ns:yang:ietf-ip";
pub const NS_IANAIFT: &str = "urn:ietf:params:xml:ns:yang:iana-if-type";
/// RFC 6470 `ietf-netconf-notifications` (`netconf-config-change`).
pub const NS_NC_NOTIFICATIONS: &str = "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications";
