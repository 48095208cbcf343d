//! The RFC 6470 `netconf-config-change` event in its RFC 5277 `<notification>` envelope, pure and
//! built as an element tree (so `xmltree` escapes every value): who changed the configuration
//! (`changed-by`: the server itself, or a user with session id and source host), the datastore,
//! and one `<edit>` per changed node (`config_diff`), each target declaring the prefixes it uses.

use super::clock;
use super::config_diff::{Edit, PREFIXES};
use super::ns::{NS_NC_NOTIFICATIONS, NS_NOTIFICATION};
use super::xmltree::Element;

/// RFC 6470 `changed-by`: a choice of `server` or the session parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangedBy {
    /// The server changed it on its own (a confirmed commit rolled back).
    Server,
    User {
        username: String,
        /// Non-zero for a NETCONF session; 0 for the CLI and RESTCONF (RFC 6470 §2.1 allows 0 for a
        /// session that is not NETCONF).
        session_id: u32,
        source_host: Option<String>,
    },
}

fn leaf(name: &str, text: impl Into<String>) -> Element {
    Element::leaf(NS_NC_NOTIFICATIONS, name, text)
}

fn changed_by(by: &ChangedBy) -> Element {
    let e = Element::new(NS_NC_NOTIFICATIONS, "changed-by");
    match by {
        ChangedBy::Server => e.with_child(Element::new(NS_NC_NOTIFICATIONS, "server")),
        ChangedBy::User {
            username,
            session_id,
            source_host,
        } => {
            let mut e = e
                .with_child(leaf("username", username.as_str()))
                .with_child(leaf("session-id", session_id.to_string()));
            if let Some(host) = source_host {
                e.push(leaf("source-host", host.as_str()));
            }
            e
        }
    }
}

fn edit(e: &Edit) -> Element {
    let mut target = leaf("target", e.target.as_str());
    for (prefix, ns) in PREFIXES {
        if e.target.contains(&format!("/{prefix}:")) {
            target
                .attrs
                .push((format!("xmlns:{prefix}"), (*ns).to_owned()));
        }
    }
    Element::new(NS_NC_NOTIFICATIONS, "edit")
        .with_child(target)
        .with_child(leaf("operation", e.operation.name()))
}

/// `<notification>` with `eventTime` at `event_ms` and a `netconf-config-change` of `running`.
pub fn config_change(event_ms: i64, by: &ChangedBy, edits: &[Edit]) -> Element {
    let change = Element::new(NS_NC_NOTIFICATIONS, "netconf-config-change")
        .with_child(changed_by(by))
        .with_child(leaf("datastore", "running"))
        .with_children(edits.iter().map(edit).collect());
    Element::new(NS_NOTIFICATION, "notification")
        .with_child(Element::leaf(
            NS_NOTIFICATION,
            "eventTime",
            clock::rfc3339(event_ms),
        ))
        .with_child(change)
}

/// The namespace of [`foreign`]'s event: a module no client is expected to know.
pub const FOREIGN_NS: &str = "urn:example:patchpanel-sim:link-events";

/// A `<notification>` of a module the clients do not know (a link event, say): what a switch
/// sends for the many event streams a configuration watcher must count and ignore.
pub fn foreign(event_ms: i64, interface: &str) -> Element {
    Element::new(NS_NOTIFICATION, "notification")
        .with_child(Element::leaf(
            NS_NOTIFICATION,
            "eventTime",
            clock::rfc3339(event_ms),
        ))
        .with_child(
            Element::new(FOREIGN_NS, "link-down").with_child(Element::leaf(
                FOREIGN_NS,
                "interface",
                interface,
            )),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::config_diff::EditOp;

    const T: i64 = 1_796_372_467_123;

    #[test]
    fn a_foreign_event_is_in_its_own_namespace() {
        let xml = String::from_utf8(foreign(T, "Gi1/0/3").to_document()).unwrap();
        assert!(
            xml.contains(&format!("<link-down xmlns=\"{FOREIGN_NS}\">")),
            "{xml}"
        );
        assert!(xml.contains("<interface>Gi1/0/3</interface>"), "{xml}");
        assert!(xml.contains("<eventTime>"), "{xml}");
        assert!(!xml.contains("netconf-config-change"), "{xml}");
    }

    #[test]
    fn a_console_change_as_rfc_6470_writes_it() {
        let by = ChangedBy::User {
            username: "admin".into(),
            session_id: 0,
            source_host: Some("10.1.1.1".into()),
        };
        let edits = [Edit {
            target:
                "/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/7']/ios:description"
                    .into(),
            operation: EditOp::Replace,
        }];
        let xml = String::from_utf8(config_change(T, &by, &edits).to_document()).unwrap();
        assert_eq!(
            xml,
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                r#"<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><eventTime>2026-12-04T08:21:07.123Z</eventTime>"#,
                r#"<netconf-config-change xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-notifications">"#,
                r#"<changed-by><username>admin</username><session-id>0</session-id><source-host>10.1.1.1</source-host></changed-by>"#,
                r#"<datastore>running</datastore>"#,
                r#"<edit><target xmlns:ios="http://cisco.com/ns/yang/Cisco-IOS-XE-native">/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/7']/ios:description</target><operation>replace</operation></edit>"#,
                r#"</netconf-config-change></notification>"#
            )
        );
        // And it parses back, prefixes resolvable.
        let back = Element::parse(xml.as_bytes()).unwrap();
        let target = back
            .child(NS_NC_NOTIFICATIONS, "netconf-config-change")
            .and_then(|c| c.child(NS_NC_NOTIFICATIONS, "edit"))
            .and_then(|e| e.child(NS_NC_NOTIFICATIONS, "target"))
            .unwrap();
        assert_eq!(
            target.attr("xmlns:ios"),
            Some("http://cisco.com/ns/yang/Cisco-IOS-XE-native")
        );
    }

    #[test]
    fn the_server_and_several_namespaces() {
        let edits = [Edit {
            target: "/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/2']/ios:switchport-config/ios:switchport/ios-sw:access/ios-sw:vlan/ios-sw:vlan".into(),
            operation: EditOp::Replace,
        }];
        let xml =
            String::from_utf8(config_change(T, &ChangedBy::Server, &edits).to_document()).unwrap();
        assert!(xml.contains("<changed-by><server/></changed-by>"), "{xml}");
        assert!(xml.contains(r#"xmlns:ios-sw="http://cisco.com/ns/yang/Cisco-IOS-XE-switch""#));
        assert!(!xml.contains("xmlns:ios-eth"));
    }

    #[test]
    fn values_are_escaped() {
        let by = ChangedBy::User {
            username: "<eve&>".into(),
            session_id: 5,
            source_host: None,
        };
        let xml = String::from_utf8(config_change(T, &by, &[]).to_document()).unwrap();
        assert!(
            xml.contains(
                "<username>&lt;eve&amp;&gt;</username><session-id>5</session-id></changed-by>"
            ),
            "{xml}"
        );
    }
}
