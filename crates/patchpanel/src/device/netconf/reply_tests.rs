//! Unit tests of reply parsing: real servers' rpc-error samples, data extraction, hellos, refusals.

use super::*;
use crate::device::tree::from_xml;

fn reply(bytes: &[u8]) -> ParsedReply {
    match parse_message(bytes).unwrap() {
        Incoming::Reply(r) => r,
        other => panic!("{other:?}"),
    }
}

/// Real yuma123 output (docs/netconf.md §1.5) for a delete of a missing leaf.
const YUMA_DATA_MISSING: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rpc-reply message-id="7" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
<rpc-error>
  <error-type>application</error-type>
  <error-tag>data-missing</error-tag>
  <error-severity>error</error-severity>
  <error-app-tag>data-incomplete</error-app-tag>
  <error-path>/nc:rpc/nc:edit-config/nc:config/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/2']/ios:shutdown</error-path>
  <error-message xml:lang="en">data missing</error-message>
  <error-info><error-number xmlns="http://netconfcentral.org/ns/yuma-ncx">272</error-number></error-info>
</rpc-error>
</rpc-reply>"#;

#[test]
fn rpc_error_with_every_field() {
    let r = reply(YUMA_DATA_MISSING.as_bytes());
    assert_eq!(r.message_id.as_deref(), Some("7"));
    assert!(!r.ok && r.data.is_none());
    assert_eq!(r.errors.len(), 1);
    let e = &r.errors[0];
    assert_eq!(e.error_type, "application");
    assert_eq!(e.error_tag, "data-missing");
    assert_eq!(e.error_severity, "error");
    assert!(!e.is_warning());
    assert_eq!(e.error_app_tag.as_deref(), Some("data-incomplete"));
    assert_eq!(
        e.error_path.as_deref(),
        Some("/nc:rpc/nc:edit-config/nc:config/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/2']/ios:shutdown")
    );
    assert_eq!(e.error_message.as_deref(), Some("data missing"));
    assert_eq!(e.error_message_lang.as_deref(), Some("en"));
    assert_eq!(
        e.error_info,
        vec![("error-number".to_string(), "272".to_string())]
    );
    assert_eq!(
        e.readable_path().as_deref(),
        Some("/native/interface/GigabitEthernet[name='1/0/2']/shutdown")
    );
    assert_eq!(
        e.to_string(),
        "data missing (data-missing at /native/interface/GigabitEthernet[name='1/0/2']/shutdown, data-incomplete)"
    );
}

#[test]
fn the_mtu_sentence_from_the_brief() {
    let r = reply(br#"<rpc-reply message-id="3" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><rpc-error>
<error-type>protocol</error-type><error-tag>invalid-value</error-tag><error-severity>error</error-severity>
<error-path>/nc:rpc/nc:edit-config/nc:config/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/2']/ios:mtu</error-path>
<error-message xml:lang="en">mtu 100 is not in range</error-message></rpc-error></rpc-reply>"#);
    let e = crate::device::netconf::NetconfError::Rpc(r.errors);
    assert_eq!(
        e.to_string(),
        "the device rejected the change: mtu 100 is not in range (invalid-value at /native/interface/GigabitEthernet[name='1/0/2']/mtu)"
    );
}

#[test]
fn unknown_element_and_lock_denied() {
    let r = reply(br#"<nc:rpc-reply xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="4"><nc:rpc-error>
<nc:error-type>rpc</nc:error-type><nc:error-tag>unknown-element</nc:error-tag><nc:error-severity>error</nc:error-severity>
<nc:error-info><nc:bad-element>frobnicate</nc:bad-element></nc:error-info></nc:rpc-error></nc:rpc-reply>"#);
    let e = &r.errors[0];
    assert_eq!(e.bad_element(), Some("frobnicate"));
    assert_eq!(
        e.to_string(),
        "the device does not know the element <frobnicate> (unknown-element)"
    );
    let r = reply(br#"<rpc-reply message-id="5" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><rpc-error>
<error-type>protocol</error-type><error-tag>lock-denied</error-tag><error-severity>error</error-severity>
<error-message>lock failed, lock is already held</error-message>
<error-info><session-id>1</session-id></error-info></rpc-error></rpc-reply>"#);
    assert_eq!(r.errors[0].session_id(), Some(1));
    assert_eq!(r.errors[0].info("session-id"), Some("1"));
    assert_eq!(
        r.errors[0].to_string(),
        "lock failed, lock is already held (lock-denied)"
    );
}

#[test]
fn warnings_errors_and_ok() {
    let r = reply(br#"<rpc-reply message-id="8" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
<rpc-error><error-type>application</error-type><error-tag>operation-failed</error-tag><error-severity>warning</error-severity>
<error-message>interface is down</error-message></rpc-error></rpc-reply>"#);
    assert!(!r.ok);
    assert!(r.errors[0].is_warning());
    let r = reply(br#"<rpc-reply message-id="8" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><ok/></rpc-reply>"#);
    assert!(r.ok && r.errors.is_empty() && r.data.is_none());
    // An error without severity counts as an error; an empty one is still an error.
    let r = reply(br#"<rpc-reply message-id="8" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><rpc-error><error-tag>x</error-tag></rpc-error><rpc-error/></rpc-reply>"#);
    assert_eq!(r.errors.len(), 2);
    assert!(r.errors.iter().all(|e| e.error_severity == "error"));
    // IOS-XE answers save-config with output, not <ok/>.
    let r = reply(br#"<rpc-reply message-id="9" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><result xmlns="http://cisco.com/yang/cisco-ia">Save running-config successful</result></rpc-reply>"#);
    assert_eq!(r.other, vec!["result".to_string()]);
}

#[test]
fn data_becomes_a_standalone_document() {
    // Prefixes declared on <rpc-reply> and used inside <data> must still resolve.
    let r = reply(r#"<?xml version="1.0"?>
<nc:rpc-reply xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:ios="http://cisco.com/ns/yang/Cisco-IOS-XE-native" message-id="2" extra="&quot;x&quot;">
  <nc:data><ios:native><ios:interface><ios:GigabitEthernet>
    <ios:name>1/0/2</ios:name><ios:description>a &lt; b &amp; ]]&gt;]]&gt; 🚀</ios:description><ios:shutdown/>
  </ios:GigabitEthernet></ios:interface></ios:native></nc:data></nc:rpc-reply>"#.as_bytes());
    let xml = r.data.unwrap();
    let tree = from_xml(&xml).unwrap();
    assert_eq!(tree.name, "data");
    assert_eq!(tree.ns.as_deref(), Some(BASE_NS));
    let gi = tree
        .path(&["native", "interface", "GigabitEthernet"])
        .unwrap();
    assert_eq!(
        gi.ns.as_deref(),
        Some("http://cisco.com/ns/yang/Cisco-IOS-XE-native")
    );
    assert_eq!(
        gi.text_at(&["description"]).as_deref(),
        Some("a < b & ]]>]]> 🚀")
    );
    assert!(gi.has(&["shutdown"]));
    // Empty data, and default-namespace data.
    let r = reply(br#"<rpc-reply message-id="2" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><data/></rpc-reply>"#);
    let t = from_xml(&r.data.unwrap()).unwrap();
    assert!(t.children.is_empty() && t.ns.as_deref() == Some(BASE_NS));
    let r = reply(br#"<rpc-reply message-id="2" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><data><native xmlns="urn:n"><hostname>sw1</hostname></native><x/></data></rpc-reply>"#);
    let t = from_xml(&r.data.unwrap()).unwrap();
    assert_eq!(t.text_at(&["native", "hostname"]).as_deref(), Some("sw1"));
    assert_eq!(t.child("x").unwrap().ns.as_deref(), Some(BASE_NS));
}

#[test]
fn not_replies() {
    assert_eq!(
        parse_message(br#"<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><eventTime>2024-01-01T00:00:00Z</eventTime></notification>"#),
        Ok(Incoming::Notification)
    );
    for bad in [
        &br#"<rpc-reply message-id="1"><ok/></rpc-reply>"#[..],
        br#"<rpc-reply xmlns="urn:other" message-id="1"><ok/></rpc-reply>"#,
        br#"<!DOCTYPE x [<!ENTITY a "b">]><rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1"><ok/></rpc-reply>"#,
        br#"<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1"><ok/>"#,
        br#"<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1"><ok/></rpc-reply><rpc-reply/>"#,
        br#"<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1"><data><a></b></data></rpc-reply>"#,
        b"",
        b"\xff\xfe",
        b"just text",
    ] {
        assert!(parse_message(bad).is_err(), "{}", String::from_utf8_lossy(bad));
    }
    let r = reply(br#"<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><rpc-error><error-tag>malformed-message</error-tag></rpc-error></rpc-reply>"#);
    assert_eq!(r.message_id, None);
}

#[test]
fn server_hello_with_prefixes_modules_and_session_id() {
    let hello = br#"<?xml version="1.0" encoding="UTF-8"?>
<nc:hello xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"><nc:capabilities>
<nc:capability>urn:ietf:params:netconf:base:1.0</nc:capability>
<nc:capability> urn:ietf:params:netconf:base:1.1 </nc:capability>
<nc:capability>urn:ietf:params:netconf:capability:candidate:1.0</nc:capability>
<nc:capability>http://cisco.com/ns/yang/Cisco-IOS-XE-native?module=Cisco-IOS-XE-native&amp;revision=2021-03-01</nc:capability>
</nc:capabilities><nc:session-id>42</nc:session-id></nc:hello>"#;
    let h = parse_hello(hello).unwrap();
    assert!(h.capabilities.base_1_1() && h.capabilities.candidate());
    assert_eq!(h.session_id, Some(42));
    let m = h.capabilities.module("Cisco-IOS-XE-native").unwrap();
    assert_eq!(m.revision.as_deref(), Some("2021-03-01"));
    assert!(parse_hello(b"<hello xmlns=\"urn:other\"/>").is_err());
    assert!(parse_hello(format!("<hello xmlns=\"{BASE_NS}\"/>").as_bytes()).is_err());
    assert!(parse_hello(format!("<hello xmlns=\"{BASE_NS}\"><capabilities><capability>x</capability></capabilities><session-id>abc</session-id></hello>").as_bytes()).unwrap().session_id.is_none());
}

#[test]
fn readable_paths() {
    assert_eq!(
        readable_path("/if:interfaces/if:interface[if:name=\"a:b/c\"]/if:mtu"),
        "/interfaces/interface[name=\"a:b/c\"]/mtu"
    );
    assert_eq!(readable_path("/nc:rpc/nc:lock"), "/lock");
    assert_eq!(readable_path("/nc:rpc/nc:edit-config/nc:target"), "/target");
    assert_eq!(readable_path("/native/mtu"), "/native/mtu");
    assert_eq!(readable_path(""), "");
}

#[test]
fn error_fields_are_bounded() {
    let long = "x".repeat(10_000);
    let xml = format!("<rpc-reply message-id=\"1\" xmlns=\"{BASE_NS}\"><rpc-error><error-message>{long}</error-message></rpc-error></rpc-reply>");
    let r = reply(xml.as_bytes());
    assert!(r.errors[0].error_message.as_ref().unwrap().chars().count() <= MAX_FIELD + 1);
    let many = format!(
        "<rpc-reply message-id=\"1\" xmlns=\"{BASE_NS}\">{}</rpc-reply>",
        "<rpc-error/>".repeat(500)
    );
    assert_eq!(reply(many.as_bytes()).errors.len(), MAX_ERRORS);
}
