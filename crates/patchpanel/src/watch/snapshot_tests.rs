use super::*;
use crate::device::tree;

/// A `<get-config>` reply shaped like the simulator's seed (native 17.x layout, with the
/// ietf-interfaces view beside it) plus a VLAN list as a real Catalyst has it.
const REPLY: &str = r#"<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="7">
<data>
  <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
    <hostname>c9300</hostname>
    <vlan>
      <vlan-list xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-vlan"><id>10</id><name>USERS</name></vlan-list>
    </vlan>
    <vrf>
      <definition>
        <name>BLUE</name>
        <rd>65000:1</rd>
        <address-family><ipv4><route-target><export-route-target>
          <without-stitching><asn-ip>65000:1</asn-ip></without-stitching>
        </export-route-target></route-target></ipv4></address-family>
      </definition>
    </vrf>
    <interface>
      <GigabitEthernet>
        <name>1/0/3</name>
        <description>uplink</description>
        <mtu>9000</mtu>
        <switchport-config xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-switch">
          <switchport><mode><access/></mode><access><vlan><vlan>10</vlan></vlan></access></switchport>
        </switchport-config>
      </GigabitEthernet>
      <GigabitEthernet><name>1/0/4</name><shutdown/></GigabitEthernet>
      <Loopback><name>0</name></Loopback>
    </interface>
  </native>
  <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces">
    <interface>
      <name>GigabitEthernet1/0/3</name>
      <description>uplink</description>
      <enabled>true</enabled>
      <ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">
        <address><ip>10.0.0.1</ip><prefix-length>24</prefix-length></address>
      </ipv4>
    </interface>
  </interfaces>
</data>
</rpc-reply>"#;

fn snap(xml: &str) -> Snapshot {
    Snapshot::from_tree(&tree::from_xml(xml.as_bytes()).unwrap()).unwrap()
}

fn shown(s: &Snapshot) -> Vec<String> {
    s.lines()
        .iter()
        .map(|l| match &l.value {
            Some(v) => format!("{} | {} = {v} | {}", l.section, l.path, l.model),
            None => format!("{} | {} | {}", l.section, l.path, l.model),
        })
        .collect()
}

#[test]
fn native_and_ietf_trees_become_sections() {
    let s = snap(REPLY);
    assert_eq!(
        shown(&s),
        [
            "hostname |  = c9300 | native",
            "interface GigabitEthernet1/0/3 | description = uplink | interfaces",
            "interface GigabitEthernet1/0/3 | description = uplink | native",
            "interface GigabitEthernet1/0/3 | enabled = true | interfaces",
            "interface GigabitEthernet1/0/3 | ipv4/address[ip=10.0.0.1]/prefix-length = 24 | interfaces",
            "interface GigabitEthernet1/0/3 | mtu = 9000 | native",
            "interface GigabitEthernet1/0/3 | switchport-config/switchport/access/vlan/vlan = 10 | native",
            "interface GigabitEthernet1/0/3 | switchport-config/switchport/mode/access | native",
            "interface GigabitEthernet1/0/4 | shutdown | native",
            "interface Loopback0 |  | native",
            "vlan 10 | name = USERS | native",
            "vrf definition BLUE | address-family/ipv4/route-target/export-route-target/without-stitching[asn-ip=65000:1] | native",
            "vrf definition BLUE | rd = 65000:1 | native",
        ]
    );
    assert_eq!(s.len(), 13);
    assert!(s.has_section("vlan 10"));
    assert!(!s.has_section("vlan 1"));
}

#[test]
fn a_native_root_alone_and_its_json_give_the_same_snapshot() {
    let xml = snap(
        r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><hostname>sw1</hostname>
        <interface><GigabitEthernet><name>1/0/1</name><mtu>9000</mtu><shutdown/></GigabitEthernet></interface>
        </native>"#,
    );
    let json: serde_json::Value = serde_json::from_str(
        r#"{"Cisco-IOS-XE-native:native": {"hostname": "sw1", "interface": {"GigabitEthernet":
            [{"name": "1/0/1", "mtu": 9000, "shutdown": [null]}]}}}"#,
    )
    .unwrap();
    let from_json = Snapshot::from_tree(&tree::from_json(&json)).unwrap();
    assert_eq!(xml, from_json);
    assert_eq!(xml.digest(), from_json.digest());
}

#[test]
fn sibling_order_and_namespace_prefixes_change_nothing() {
    let a = snap(
        r#"<data><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
        <hostname>sw1</hostname>
        <interface><GigabitEthernet><name>1/0/1</name><description>a</description><mtu>1600</mtu></GigabitEthernet>
        <GigabitEthernet><name>1/0/2</name><shutdown/></GigabitEthernet></interface>
        <ip><name-server><addr>10.0.0.1</addr></name-server><name-server><addr>10.0.0.2</addr></name-server></ip>
        </native></data>"#,
    );
    let b = snap(
        r#"<nc:data xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"><ios:native xmlns:ios="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
        <ios:ip><ios:name-server><ios:addr>10.0.0.2</ios:addr></ios:name-server><ios:name-server><ios:addr>10.0.0.1</ios:addr></ios:name-server></ios:ip>
        <ios:interface><ios:GigabitEthernet><ios:shutdown/><ios:name>1/0/2</ios:name></ios:GigabitEthernet>
        <ios:GigabitEthernet><ios:mtu>1600</ios:mtu><ios:name>1/0/1</ios:name><ios:description>a</ios:description></ios:GigabitEthernet></ios:interface>
        <ios:hostname>sw1</ios:hostname>
        </ios:native></nc:data>"#,
    );
    assert_eq!(a, b);
    assert_eq!(a.to_text(), b.to_text());
    // Unkeyed repeated containers are numbered by their content, not their place.
    assert!(shown(&a).contains(&"ip | name-server[#1]/addr = 10.0.0.1 | native".to_string()));
}

#[test]
fn anything_else_falls_back_to_generic_sections() {
    let s = snap(
        r#"<data>
        <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
          <ip><routing/><domain><lookup>false</lookup></domain></ip>
          <router><bgp xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-bgp"><id>65000</id><bgp><log-neighbor-changes/></bgp></bgp></router>
          <username><name>admin</name><privilege>15</privilege></username>
          <vlan><configuration><id>30</id><foo>x</foo></configuration></vlan>
        </native>
        <system xmlns="http://openconfig.net/yang/system"><config><hostname>sw1</hostname></config></system>
        </data>"#,
    );
    assert_eq!(
        shown(&s),
        [
            "ip | domain/lookup = false | native",
            "ip | routing | native",
            "router bgp 65000 | bgp/log-neighbor-changes | native",
            "system config | hostname = sw1 | system",
            "username admin | privilege = 15 | native",
            "vlan configuration 30 | foo = x | native",
        ]
    );
}

const TRICKY: &[&str] = &[
    "line one\nline two",
    "say \"hi\"",
    "tab\there\\back",
    "evil\u{202E}txt.exe",
    "\u{1}\u{7f}\r",
    "",
    "para\u{2028}sep",
    "x=y\t-",
    "naïve ✓",
];

fn tricky() -> Snapshot {
    let mut root = Node::new("native");
    for (i, v) in TRICKY.iter().enumerate() {
        let mut e = Node::new("GigabitEthernet");
        e.children.push(leaf("name", &format!("1/0/{i}")));
        e.children.push(leaf("description", v));
        root.children.push(e);
    }
    root.children.push(Node::new("service"));
    let mut iface = Node::new("interface");
    std::mem::swap(&mut iface.children, &mut root.children);
    root.children.push(iface);
    Snapshot::from_tree(&root).unwrap()
}

fn leaf(name: &str, text: &str) -> Node {
    Node {
        text: Some(text.to_string()),
        ..Node::new(name)
    }
}

#[test]
fn any_value_round_trips_through_the_text_form() {
    let s = tricky();
    let text = s.to_text();
    assert!(text.starts_with("patchpanel-snapshot 1\n"));
    assert_eq!(text.lines().count(), s.len() + 1, "one text line per line");
    assert!(text.contains("\tdescription\t=line one\\nline two\n"));
    assert!(text.contains("=\\x01\\x7F\\r\n"));
    let back = Snapshot::from_text(&text).unwrap();
    assert_eq!(back, s);
    assert_eq!(back.to_text(), text);
    assert_eq!(back.digest(), s.digest());
    let values: Vec<&str> = back
        .lines()
        .iter()
        .filter_map(|l| l.value.as_deref())
        .collect();
    for v in TRICKY {
        assert!(values.contains(v), "{v:?}");
    }
    // The empty container and the empty string are different lines.
    assert!(back
        .lines()
        .iter()
        .any(|l| l.path == "service" && l.value.is_none()));
}

#[test]
fn corrupt_text_is_a_typed_error() {
    let good = tricky().to_text();
    let bad = [
        ("", 1),
        ("patchpanel-snapshot 1", 1),
        ("patchpanel-snapshot 2\n", 1),
        ("patchpanel-snapshot 1\na\tb\tc\n", 2),
        ("patchpanel-snapshot 1\na\tb\tc\t-\te\n", 2),
        ("patchpanel-snapshot 1\na\tb\tc\tx\n", 2),
        ("patchpanel-snapshot 1\na\tb\tc\t-x\n", 2),
        ("patchpanel-snapshot 1\na\tb\tc\t=\\q\n", 2),
        ("patchpanel-snapshot 1\na\tb\tc\t=\\\n", 2),
        ("patchpanel-snapshot 1\na\tb\tc\t=\\x0A\n", 2),
        ("patchpanel-snapshot 1\na\tb\tc\t=\\x41\n", 2),
        ("patchpanel-snapshot 1\na\tb\tc\t=\\x1b\n", 2),
        ("patchpanel-snapshot 1\na\tb\tc\t=\\x1\n", 2),
        ("patchpanel-snapshot 1\na\tb\tc\t-\n\n", 3),
        ("patchpanel-snapshot 1\na\tb\tc\t=x\r\n", 2),
        ("patchpanel-snapshot 1\na\u{1}\tb\tc\t-\n", 2),
        ("patchpanel-snapshot 1\na\tb\tc\t-\na\ta\tc\t-\n", 3),
    ];
    for (text, line) in bad {
        match Snapshot::from_text(text) {
            Err(SnapshotError::Corrupt { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
            other => panic!("{text:?}: {other:?}"),
        }
    }
    assert!(Snapshot::from_text("patchpanel-snapshot 1\na\tb\tc\t=\\x1B\n").is_ok());
    // Every cut of a good text is refused or read, never a panic.
    for (i, _) in good.char_indices() {
        let _ = Snapshot::from_text(&good[..i]);
        let _ = Snapshot::from_text(&good[i..]);
    }
}

#[test]
fn digests_name_the_content() {
    let a = snap(REPLY);
    let d = a.digest();
    assert_eq!(d.len(), 64);
    assert!(d
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(d, snap(REPLY).digest());
    assert_ne!(d, snap(&REPLY.replace("uplink", "uplink2")).digest());
    assert_eq!(
        Snapshot::default().to_text(),
        "patchpanel-snapshot 1\n",
        "the empty snapshot"
    );
    assert_eq!(
        Snapshot::from_text("patchpanel-snapshot 1\n").unwrap(),
        Snapshot::default()
    );
}

#[test]
fn oversized_configurations_are_refused() {
    let mut many = Node::new("native");
    many.children = (0..=MAX_LINES).map(|_| leaf("x", "1")).collect();
    assert_eq!(
        Snapshot::from_tree(&many),
        Err(SnapshotError::TooManyLines { limit: MAX_LINES })
    );
    let mut big = Node::new("native");
    big.children
        .push(leaf("banner", &"x".repeat(MAX_BYTES + 1)));
    assert_eq!(
        Snapshot::from_tree(&big),
        Err(SnapshotError::TooLarge { limit: MAX_BYTES })
    );
    // A long prefix shared by many leaves is counted per line, before it is built.
    let mut wide = Node::new("w".repeat(1024));
    wide.children = (0..40_000).map(|_| leaf(&"y".repeat(1000), "1")).collect();
    let mut deep = Node::new("native");
    let mut top = Node::new("a");
    top.children.push(wide);
    deep.children.push(top);
    assert_eq!(
        Snapshot::from_tree(&deep),
        Err(SnapshotError::TooLarge { limit: MAX_BYTES })
    );
    let mut chain = leaf("leaf", "1");
    for _ in 0..MAX_DEPTH + 2 {
        let mut up = Node::new("c");
        up.children.push(chain);
        chain = up;
    }
    let mut root = Node::new("native");
    root.children.push(chain);
    assert_eq!(
        Snapshot::from_tree(&root),
        Err(SnapshotError::TooDeep { limit: MAX_DEPTH })
    );
}
