use super::*;
use crate::device::tree;

fn native(body: &str) -> Snapshot {
    let xml = format!(
        r#"<data><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><hostname>sw1</hostname>{body}</native></data>"#
    );
    Snapshot::from_tree(&tree::from_xml(xml.as_bytes()).unwrap()).unwrap()
}

fn gi(n: &str, leaves: &str) -> String {
    format!("<interface><GigabitEthernet><name>{n}</name>{leaves}</GigabitEthernet></interface>")
}

fn vlan(id: u32, name: &str) -> String {
    format!(
        r#"<vlan><vlan-list xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-vlan"><id>{id}</id><name>{name}</name></vlan-list></vlan>"#
    )
}

fn rendered(old: &Snapshot, new: &Snapshot) -> Vec<String> {
    let r = ConfigDiff::between(old, new).render(100);
    assert_eq!(r.left_out, 0);
    r.lines
}

#[test]
fn a_description_changed() {
    let old = native(&gi("1/0/3", "<description>a</description><mtu>9000</mtu>"));
    let new = native(&gi("1/0/3", "<mtu>9000</mtu><description>b</description>"));
    let d = ConfigDiff::between(&old, &new);
    assert_eq!(
        d.sections(),
        [SectionDiff {
            name: "interface GigabitEthernet1/0/3".into(),
            kind: SectionKind::Changed,
            leaves: vec![LeafChange::Changed {
                path: "description".into(),
                old: Some("a".into()),
                new: Some("b".into()),
            }],
        }]
    );
    assert_eq!(
        d.render(10).lines,
        ["interface GigabitEthernet1/0/3: description \"a\" → \"b\""]
    );
    assert_eq!(d.summary(), "Gi1/0/3 description");
    assert_eq!(d.interfaces(), ["GigabitEthernet1/0/3"]);
}

#[test]
fn shutdown_added_and_removed_and_a_leaf_removed() {
    let up = native(&gi("1/0/3", "<mtu>9000</mtu>"));
    let down = native(&gi("1/0/3", "<shutdown/>"));
    assert_eq!(
        rendered(&up, &down),
        [
            "interface GigabitEthernet1/0/3: - mtu 9000",
            "interface GigabitEthernet1/0/3: + shutdown",
        ]
    );
    assert_eq!(
        rendered(&down, &up),
        [
            "interface GigabitEthernet1/0/3: + mtu 9000",
            "interface GigabitEthernet1/0/3: - shutdown",
        ]
    );
    assert_eq!(
        ConfigDiff::between(&up, &down).summary(),
        "Gi1/0/3 mtu,shutdown"
    );
}

#[test]
fn a_vlan_added_and_removed() {
    let without = native(&vlan(10, "USERS"));
    let with = native(&format!("{}{}", vlan(10, "USERS"), vlan(30, "GUEST")));
    let added = ConfigDiff::between(&without, &with);
    assert_eq!(added.render(10).lines, ["+ vlan 30 name GUEST"]);
    assert_eq!(added.sections()[0].kind, SectionKind::Added);
    assert_eq!(added.summary(), "+ vlan 30");
    assert!(added.interfaces().is_empty());
    let removed = ConfigDiff::between(&with, &without);
    assert_eq!(removed.render(10).lines, ["- vlan 30 name GUEST"]);
    assert_eq!(removed.summary(), "- vlan 30");
}

#[test]
fn a_section_with_several_leaves_added_shows_them() {
    let old = native("");
    let new = native(
        "<interface><Loopback><name>5</name><description>router id</description>\
         <ip><address><primary><address>10.9.9.9</address><mask>255.255.255.255</mask></primary></address></ip>\
         </Loopback><Loopback><name>6</name></Loopback></interface>",
    );
    assert_eq!(
        rendered(&old, &new),
        [
            "+ interface Loopback5",
            "    description \"router id\"",
            "    ip/address/primary/address 10.9.9.9",
            "    ip/address/primary/mask 255.255.255.255",
            "+ interface Loopback6",
        ]
    );
    assert_eq!(
        ConfigDiff::between(&new, &old).render(2),
        Rendered {
            lines: vec![
                "- interface Loopback5".into(),
                "    description \"router id\"".into()
            ],
            left_out: 3,
        }
    );
}

#[test]
fn order_and_namespace_prefixes_give_no_diff() {
    let a = native(&format!(
        "{}{}",
        gi("1/0/1", "<description>x</description><mtu>1600</mtu>"),
        vlan(10, "A")
    ));
    let xml = r#"<nc:data xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
        <n:native xmlns:n="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
        <n:vlan><v:vlan-list xmlns:v="http://cisco.com/ns/yang/Cisco-IOS-XE-vlan"><v:name>A</v:name><v:id>10</v:id></v:vlan-list></n:vlan>
        <n:interface><n:GigabitEthernet><n:mtu>1600</n:mtu><n:description>x</n:description><n:name>1/0/1</n:name></n:GigabitEthernet></n:interface>
        <n:hostname>sw1</n:hostname></n:native></nc:data>"#;
    let b = Snapshot::from_tree(&tree::from_xml(xml.as_bytes()).unwrap()).unwrap();
    let d = ConfigDiff::between(&a, &b);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(d.summary(), "");
    assert_eq!(
        d.render(5),
        Rendered {
            lines: vec![],
            left_out: 0
        }
    );
}

#[test]
fn hostile_values_are_rendered_on_one_line_and_visible() {
    let old = native(&gi("1/0/3", "<description>a</description>"));
    let mut tree = tree::from_xml(
        br#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><hostname>sw1</hostname>
        <interface><GigabitEthernet><name>1/0/3</name><description>x</description></GigabitEthernet></interface></native>"#,
    )
    .unwrap();
    let hostile = "ok\n+ interface Gi1/0/9 \"quoted\" \u{202E}gnp.exe\u{1b}[31m";
    tree.children[1].children[0].children[1].text = Some(hostile.into());
    let new = Snapshot::from_tree(&tree).unwrap();
    let back = Snapshot::from_text(&new.to_text()).unwrap();
    assert_eq!(back, new, "stored losslessly");
    let d = ConfigDiff::between(&old, &back);
    assert_eq!(
        d.sections()[0].leaves,
        [LeafChange::Changed {
            path: "description".into(),
            old: Some("a".into()),
            new: Some(hostile.into()),
        }]
    );
    let lines = d.render(10).lines;
    assert_eq!(
        lines,
        [
            r#"interface GigabitEthernet1/0/3: description "a" → "ok\n+ interface Gi1/0/9 \"quoted\" <U+202E>gnp.exe\u{1b}[31m""#
        ]
    );
    assert!(lines[0]
        .chars()
        .all(|c| !c.is_control() && !text_safety::is_disguising(c)));
    // A bare value that needs no quotes stays bare; one with a space is quoted.
    assert_eq!(value_word(&Some("9000".into())), "9000");
    assert_eq!(value_word(&Some("a b".into())), "\"a b\"");
    assert_eq!(value_word(&Some(String::new())), "\"\"");
    assert_eq!(shown("a\u{2028}b\u{200B}"), "a\\u{2028}b<U+200B>");
}

#[test]
fn interfaces_names_every_changed_interface_once() {
    let old = native(&format!(
        "{}{}",
        gi("1/0/3", "<description>a</description>"),
        gi("1/0/7", "<mtu>1500</mtu>")
    ));
    let new = native(&format!(
        "{}{}{}{}",
        gi("1/0/3", "<description>b</description><shutdown/>"),
        gi("1/0/8", ""),
        "<interface><TenGigabitEthernet><name>1/1/1</name><mtu>9000</mtu></TenGigabitEthernet></interface>",
        vlan(30, "GUEST")
    ));
    let d = ConfigDiff::between(&old, &new);
    assert_eq!(
        d.interfaces(),
        [
            "GigabitEthernet1/0/3",
            "GigabitEthernet1/0/7",
            "GigabitEthernet1/0/8",
            "TenGigabitEthernet1/1/1"
        ]
    );
    assert_eq!(
        d.summary(),
        "Gi1/0/3 description,shutdown; - Gi1/0/7; + Gi1/0/8; + Te1/1/1; + vlan 30"
    );
}

#[test]
fn the_summary_is_bounded() {
    let body: String = (1..=48)
        .map(|i| gi(&format!("1/0/{i}"), "<description>a</description>"))
        .collect();
    let old = native(&body);
    let new = native(&body.replace(">a<", ">b<"));
    let d = ConfigDiff::between(&old, &new);
    let s = d.summary();
    assert!(s.chars().count() <= MAX_SUMMARY_CHARS, "{s}");
    assert!(
        s.starts_with("Gi1/0/1 description; Gi1/0/10 description; "),
        "{s}"
    );
    assert!(s.ends_with(" more"), "{s}");
    let r = d.render(10);
    assert_eq!((r.lines.len(), r.left_out), (10, 38));
    let long = native(&gi(&"9".repeat(500), "<mtu>1</mtu>"));
    let s = ConfigDiff::between(&native(""), &long).summary();
    assert!(s.chars().count() <= MAX_SUMMARY_SECTION + 2, "{s}");
}

#[test]
fn one_change_seen_through_two_models_is_told_once() {
    let both = |d: &str| {
        let xml = format!(
            r#"<data><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/3</name><description>{d}</description></GigabitEthernet></interface></native>
            <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>GigabitEthernet1/0/3</name><description>{d}</description></interface></interfaces></data>"#
        );
        Snapshot::from_tree(&tree::from_xml(xml.as_bytes()).unwrap()).unwrap()
    };
    assert_eq!(
        rendered(&both("a"), &both("b")),
        ["interface GigabitEthernet1/0/3: description \"a\" → \"b\""]
    );
    assert_eq!(
        rendered(&both("a"), &native("")),
        [
            "+ hostname sw1",
            "- interface GigabitEthernet1/0/3 description a"
        ]
    );
}

#[test]
fn leaf_lists_and_the_hostname() {
    let old =
        native("<ip><name-server>10.0.0.1</name-server><name-server>10.0.0.2</name-server></ip>");
    let new = native("<ip><name-server>10.0.0.3</name-server></ip>")
        .to_text()
        .replace("=sw1", "=sw2");
    let new = Snapshot::from_text(&new).unwrap();
    assert_eq!(
        rendered(&old, &new),
        [
            "hostname: \"sw1\" → \"sw2\"",
            "ip: - name-server 10.0.0.1",
            "ip: - name-server 10.0.0.2",
            "ip: + name-server 10.0.0.3",
        ]
    );
}

#[test]
fn the_diff_is_the_set_difference_whatever_the_edit_script() {
    // Interleaved additions and removals across many sections, checked against a brute force.
    let body = |keep: fn(u32) -> bool| -> String {
        (1..=60)
            .filter(|i| keep(*i))
            .map(|i| gi(&format!("1/0/{i}"), &format!("<mtu>{}</mtu>", 1500 + i % 7)))
            .collect()
    };
    let old = native(&body(|i| i % 3 != 0));
    let new = native(&body(|i| i % 5 != 0));
    let d = ConfigDiff::between(&old, &new);
    let gone: Vec<&Line> = old
        .lines()
        .iter()
        .filter(|l| !new.lines().contains(l))
        .collect();
    let came: Vec<&Line> = new
        .lines()
        .iter()
        .filter(|l| !old.lines().contains(l))
        .collect();
    let removed = d
        .sections()
        .iter()
        .filter(|s| s.kind == SectionKind::Removed)
        .count();
    let added = d
        .sections()
        .iter()
        .filter(|s| s.kind == SectionKind::Added)
        .count();
    assert_eq!((removed, added), (gone.len(), came.len()));
    assert_eq!(removed + added, d.sections().len());
    assert!(gone
        .iter()
        .all(|l| d.sections().iter().any(|s| s.name == l.section)));
}

#[test]
fn the_diff_round_trips_through_json() {
    let old = native(&format!("{}{}", gi("1/0/3", "<shutdown/>"), vlan(10, "A")));
    let new = native(&format!(
        "{}{}",
        gi("1/0/3", "<mtu>9000</mtu>"),
        vlan(30, "B")
    ));
    let d = ConfigDiff::between(&old, &new);
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.contains(r#""kind":"added""#), "{json}");
    assert!(
        json.contains(r#""change":"removed","path":"shutdown","value":null"#),
        "{json}"
    );
    let back: ConfigDiff = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
}
