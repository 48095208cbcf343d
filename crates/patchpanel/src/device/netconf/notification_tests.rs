//! Unit tests of the notification parser. The netconfd messages are verbatim captures from yuma123
//! netconfd 2.13 (tests/netconf/ rig, 2026-12-04; docs/netconf.md §3); the yuma-system and hostile
//! ones are written from the modules' YANG.

use super::*;

/// Session 4 committed a candidate that deleted one interface and added another.
const CONFIG_CHANGE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0">
  <eventTime>2026-12-04T08:37:19Z</eventTime>
  <netconf-config-change xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-notifications">
    <changed-by>
      <username>ncp18830</username>
      <session-id>4</session-id>
      <source-host>127.0.0.1</source-host>
    </changed-by>
    <edit>
      <target
        xmlns:ios="http://cisco.com/ns/yang/Cisco-IOS-XE-native">/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/10']</target>
      <operation>delete</operation>
    </edit>
    <edit>
      <target
        xmlns:ios="http://cisco.com/ns/yang/Cisco-IOS-XE-native">/ios:native/ios:interface</target>
      <operation>replace</operation>
    </edit>
  </netconf-config-change>
</notification>"#;

const SESSION_START: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0">
  <eventTime>2026-12-04T08:37:17Z</eventTime>
  <netconf-session-start xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-notifications">
    <username>ncp18830</username>
    <session-id>4</session-id>
    <source-host>127.0.0.1</source-host>
  </netconf-session-start>
</notification>"#;

const CONFIRMED_START: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0">
  <eventTime>2026-12-04T08:37:21Z</eventTime>
  <netconf-confirmed-commit xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-notifications">
    <username>ncp18830</username>
    <session-id>4</session-id>
    <source-host>127.0.0.1</source-host>
    <confirm-event>start</confirm-event>
  </netconf-confirmed-commit>
</notification>"#;

/// The rollback of an unconfirmed commit: netconfd sends this and no config change.
const CONFIRMED_TIMEOUT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0">
  <eventTime>2026-12-04T08:37:23Z</eventTime>
  <netconf-confirmed-commit xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-notifications">
    <confirm-event>timeout</confirm-event>
  </netconf-confirmed-commit>
</notification>"#;

fn parse(s: &str) -> Notification {
    parse_notification(s.as_bytes()).unwrap()
}

fn change(n: Notification) -> ConfigChange {
    match n.event {
        Event::ConfigChange(c) => c,
        other => panic!("not a config change: {other:?}"),
    }
}

#[test]
fn netconfd_config_change_with_who_and_edits() {
    let n = parse(CONFIG_CHANGE);
    assert_eq!(n.event_time, "2026-12-04T08:37:19Z");
    let c = change(n);
    assert_eq!(
        c.changed_by,
        ChangedBy::Session(SessionInfo {
            username: Some("ncp18830".into()),
            session_id: Some(4),
            source_host: Some("127.0.0.1".into()),
        })
    );
    assert_eq!(c.datastore, "running");
    assert_eq!(c.edits.len(), 2);
    assert_eq!(
        c.edits[0].target,
        "/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/10']"
    );
    assert_eq!(
        c.edits[0].path(),
        "/native/interface/GigabitEthernet[name='1/0/10']"
    );
    assert_eq!(c.edits[0].operation.as_deref(), Some("delete"));
    assert_eq!(c.edits[1].path(), "/native/interface");
    assert_eq!(c.edits[1].operation.as_deref(), Some("replace"));
    assert_eq!(c.edits_left_out, 0);
}

#[test]
fn other_rfc_6470_events_are_named() {
    assert_eq!(
        parse(SESSION_START).event,
        Event::Other {
            namespace: NETCONF_NOTIFICATIONS_NS.into(),
            name: "netconf-session-start".into()
        }
    );
    let start = parse(CONFIRMED_START);
    let Event::ConfirmedCommit(c) = start.event else {
        panic!("{start:?}")
    };
    assert_eq!(c.confirm_event, "start");
    assert!(!c.rolled_back());
    assert_eq!(c.by.and_then(|b| b.session_id), Some(4));
    let timeout = parse(CONFIRMED_TIMEOUT);
    let Event::ConfirmedCommit(c) = timeout.event else {
        panic!("{timeout:?}")
    };
    assert!(c.rolled_back());
    assert_eq!(c.by, None);
}

#[test]
fn server_changes_startup_and_prefixed_names() {
    let n = parse(
        r#"<n:notification xmlns:n="urn:ietf:params:xml:ns:netconf:notification:1.0">
             <n:eventTime>2026-01-01T00:00:00+01:00</n:eventTime>
             <x:sequence-id xmlns:x="http://yuma123.org/ns/yuma123-system">7</x:sequence-id>
             <c:netconf-config-change xmlns:c="urn:ietf:params:xml:ns:yang:ietf-netconf-notifications">
               <c:changed-by><c:server/></c:changed-by>
               <c:datastore>startup</c:datastore>
             </c:netconf-config-change>
           </n:notification>"#,
    );
    let c = change(n);
    assert_eq!(c.changed_by, ChangedBy::Server);
    assert_eq!(c.datastore, "startup");
    assert!(c.edits.is_empty());
}

/// yuma's pre-RFC 6470 event (module yuma-system, 2009-12-27) is a config change too.
#[test]
fn yuma_system_config_change() {
    let c = change(parse(
        r#"<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0">
             <eventTime>2012-01-01T00:00:00Z</eventTime>
             <sysConfigChange xmlns="http://netconfcentral.org/ns/yuma-system">
               <userName>admin</userName><sessionId>12</sessionId><remoteHost>10.1.1.1</remoteHost>
               <edit><target xmlns:if="urn:ietf:params:xml:ns:yang:ietf-interfaces">/if:interfaces/if:interface[if:name='eth0']</target>
                     <operation>merge</operation></edit>
             </sysConfigChange>
             <sequence-id xmlns="http://netconfcentral.org/ns/yuma-system">3</sequence-id>
           </notification>"#,
    ));
    let ChangedBy::Session(s) = c.changed_by else {
        panic!("no session")
    };
    assert_eq!(s.username.as_deref(), Some("admin"));
    assert_eq!(s.session_id, Some(12));
    assert_eq!(s.source_host.as_deref(), Some("10.1.1.1"));
    assert_eq!(c.edits[0].path(), "/interfaces/interface[name='eth0']");
}

/// The same local name in another namespace is not a config change.
#[test]
fn names_are_compared_with_their_namespace() {
    let n = parse(
        r#"<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0">
             <eventTime>t</eventTime>
             <netconf-config-change xmlns="urn:example:vendor"><changed-by><server/></changed-by></netconf-config-change>
           </notification>"#,
    );
    assert_eq!(
        n.event,
        Event::Other {
            namespace: "urn:example:vendor".into(),
            name: "netconf-config-change".into()
        }
    );
}

/// Which error a case expects.
type Check = fn(&NotificationError) -> bool;

#[test]
fn malformed_notifications_are_typed_errors() {
    let cases: [(&str, Check); 6] = [
        ("<notification", |e| {
            matches!(e, NotificationError::Malformed(_))
        }),
        (
            r#"<!DOCTYPE x [<!ENTITY a "b">]><notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"/>"#,
            |e| matches!(e, NotificationError::Malformed(_)),
        ),
        (
            r#"<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><ok/></rpc-reply>"#,
            |e| matches!(e, NotificationError::NotANotification { .. }),
        ),
        (
            r#"<notification xmlns="urn:other"><eventTime>t</eventTime><x/></notification>"#,
            |e| matches!(e, NotificationError::NotANotification { .. }),
        ),
        (
            r#"<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><x xmlns="urn:y"/></notification>"#,
            |e| *e == NotificationError::NoEventTime,
        ),
        (
            r#"<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><eventTime>t</eventTime></notification>"#,
            |e| *e == NotificationError::NoEvent,
        ),
    ];
    for (xml, check) in cases {
        let e = parse_notification(xml.as_bytes()).unwrap_err();
        assert!(check(&e), "{xml}: {e:?}");
    }
    let deep = format!(
        "<notification xmlns=\"{NOTIFICATION_NS}\"><eventTime>t</eventTime>{}{}</notification>",
        "<a>".repeat(500),
        "</a>".repeat(500)
    );
    assert!(matches!(
        parse_notification(deep.as_bytes()),
        Err(NotificationError::Malformed(_))
    ));
}

#[test]
fn edits_and_fields_are_bounded() {
    let edits: String = (0..MAX_EDITS + 3)
        .map(|i| format!("<edit><target>/a{i}</target></edit>"))
        .collect();
    let xml = format!(
        "<notification xmlns=\"{NOTIFICATION_NS}\"><eventTime>t</eventTime>\
         <netconf-config-change xmlns=\"{NETCONF_NOTIFICATIONS_NS}\">\
         <changed-by><username>{}</username><session-id>not-a-number</session-id></changed-by>{edits}\
         </netconf-config-change></notification>",
        "u".repeat(5000)
    );
    let c = change(parse(&xml));
    assert_eq!(c.edits.len(), MAX_EDITS);
    assert_eq!(c.edits_left_out, 3);
    assert_eq!(c.edits[0].operation, None);
    let ChangedBy::Session(s) = c.changed_by else {
        panic!("no session")
    };
    assert_eq!(s.username.map(|u| u.chars().count()), Some(1025));
    assert_eq!(
        s.session_id, None,
        "a bad session-id is left out, not fatal"
    );
}
