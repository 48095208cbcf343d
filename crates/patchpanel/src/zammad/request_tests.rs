//! `change_request`: the seed ticket, every attribute malformed in turn, every unset form, and
//! adversarial text.

use super::*;
use crate::device::change::{validate, Rules};
use crate::device::Profile;
use serde_json::json;

/// A valid ticket: every attribute set.
fn full() -> Value {
    json!({
        "id": 12, "number": "15016",
        "network_device_name": "c9300",
        "network_interface_name": "GigabitEthernet1/0/5",
        "network_interface_description": "Configured from the ticket system!",
        "network_interface_enabled": true,
        "network_interface_mtu": 2000,
        "network_interface_ip4_address": "",
        "network_switchport_mode_and_vlan": "access:100:"
    })
}

fn with(base: Value, key: &str, value: Value) -> Ticket {
    let mut v = base;
    v[key] = value;
    serde_json::from_value(v).unwrap()
}

fn parse(key: &str, value: Value) -> Result<InterfaceChange, AttributeProblems> {
    change_request(&with(full(), key, value))
}

/// The one problem of a ticket whose `key` is `value`: it must name that attribute.
fn problem(key: &str, value: Value) -> String {
    let AttributeProblems(problems) = parse(key, value.clone()).unwrap_err();
    assert_eq!(problems.len(), 1, "{key} = {value}: {problems:?}");
    let p = &problems[0];
    assert_eq!(p.attribute.map(Attribute::name), Some(key), "{p:?}");
    assert!(!p.to_string().contains('\n'), "one line: {p}");
    p.to_string()
}

#[test]
fn the_seed_ticket_asks_for_enabled_and_mtu_on_gi1_0_2() {
    let body: super::super::wire::WebhookBody =
        serde_json::from_str(include_str!("fixtures/seed_webhook.json")).unwrap();
    let change = change_request(&body.ticket.unwrap()).unwrap();
    assert_eq!(
        change,
        InterfaceChange {
            device: "c9300".into(),
            interface: "GigabitEthernet1/0/2".into(),
            description: None,
            enabled: Some(true),
            mtu: Some(Edit::Set(1500)),
            mode: None,
            ipv4: None,
            reason: ChangeReason::Ticket {
                number: "15004".into()
            },
        }
    );
    let rules = Rules {
        profile: Profile::Iosxe,
        protected: &[],
    };
    let valid = validate(&change, &rules).unwrap();
    assert_eq!(valid.interface.as_str(), "GigabitEthernet1/0/2");
}

#[test]
fn a_full_ticket_reads_every_attribute() {
    let mut v = full();
    v["network_interface_ip4_address"] = json!("10.1.2.3/24");
    v["network_switchport_mode_and_vlan"] = json!("::");
    let change = change_request(&serde_json::from_value(v).unwrap()).unwrap();
    assert_eq!(
        change.description,
        Some(Edit::Set(
            "Configured from the ticket system! ##ticket:15016##".into()
        ))
    );
    assert_eq!(change.mtu, Some(Edit::Set(2000)));
    assert_eq!(
        change.ipv4,
        Some(Edit::Set(Ipv4Change {
            address: "10.1.2.3".into(),
            mask: "24".into()
        }))
    );
    assert_eq!(
        change.reason,
        ChangeReason::Ticket {
            number: "15016".into()
        }
    );
}

#[test]
fn every_unset_form_leaves_the_value_alone() {
    for unset in [json!(null), json!(""), json!("   ")] {
        for key in [
            "network_interface_description",
            "network_interface_enabled",
            "network_interface_mtu",
            "network_interface_ip4_address",
            "network_switchport_mode_and_vlan",
        ] {
            let c = parse(key, unset.clone()).unwrap();
            match key {
                "network_interface_description" => assert_eq!(c.description, None),
                "network_interface_enabled" => assert_eq!(c.enabled, None),
                "network_interface_mtu" => assert_eq!(c.mtu, None),
                "network_interface_ip4_address" => assert_eq!(c.ipv4, None),
                _ => assert_eq!(c.mode, None),
            }
        }
    }
    for unset in ["::", " : : "] {
        assert_eq!(
            parse("network_switchport_mode_and_vlan", json!(unset))
                .unwrap()
                .mode,
            None
        );
    }
    let mut absent = full();
    absent
        .as_object_mut()
        .unwrap()
        .remove("network_interface_mtu");
    let c = change_request(&serde_json::from_value(absent).unwrap()).unwrap();
    assert_eq!(c.mtu, None, "an absent attribute is unset too");
}

#[test]
fn device_and_interface_are_required_and_read_in_any_spelling() {
    for unset in [json!(null), json!(""), json!("  ")] {
        assert!(problem("network_device_name", unset.clone()).contains("is not set"));
        assert!(problem("network_interface_name", unset).contains("is not set"));
    }
    for name in ["Gi1/0/5", "GigabitEthernet1/0/5", " gi1/0/5 ", "gi 1/0/5"] {
        let c = parse("network_interface_name", json!(name)).unwrap();
        assert_eq!(c.interface, name.trim(), "passed on as written");
        let valid = validate(
            &c,
            &Rules {
                profile: Profile::Iosxe,
                protected: &[],
            },
        )
        .unwrap();
        assert_eq!(valid.interface.as_str(), "GigabitEthernet1/0/5");
    }
    assert_eq!(
        parse("network_device_name", json!(" core-sw1.lab "))
            .unwrap()
            .device,
        "core-sw1.lab"
    );
    let p = problem("network_interface_name", json!("Gi1//5"));
    assert!(p.contains("\"Gi1//5\" is not an interface name"), "{p}");
    let p = problem("network_device_name", json!("c9300; reload"));
    assert!(p.contains("\"c9300; reload\" is not a device name"), "{p}");
    assert!(problem("network_device_name", json!("x".repeat(64))).contains("at most 63"));
}

#[test]
fn enabled_reads_booleans_and_words() {
    for (v, want) in [
        (json!(true), true),
        (json!(false), false),
        (json!("true"), true),
        (json!("False"), false),
        (json!("yes"), true),
        (json!(" no "), false),
    ] {
        assert_eq!(
            parse("network_interface_enabled", v.clone())
                .unwrap()
                .enabled,
            Some(want),
            "{v}"
        );
    }
    for bad in [json!("maybe"), json!(1), json!("1"), json!(["yes"])] {
        let p = problem("network_interface_enabled", bad.clone());
        assert!(p.contains("is not yes or no"), "{bad}: {p}");
    }
}

#[test]
fn mtu_reads_numbers_and_numeric_strings_only() {
    for (v, want) in [
        (json!(9000), 9000),
        (json!("9000"), 9000),
        (json!(" 1500 "), 1500),
        (json!(0), 0),
    ] {
        assert_eq!(
            parse("network_interface_mtu", v.clone()).unwrap().mtu,
            Some(Edit::Set(want)),
            "{v}"
        );
    }
    for (bad, says) in [
        (json!("12a"), "\"12a\" is not a whole number"),
        (json!(1.5), "1.5 is not a whole number"),
        (json!("1.5"), "is not a whole number"),
        (json!("+9000"), "is not a whole number"),
        (json!(-1), "-1 is negative"),
        (json!("-9000"), "is negative"),
        (json!(70000), "70000 is far too large"),
        (json!("99999999999999999999999"), "far too large"),
        (json!(true), "true is not a whole number"),
        (json!({"mtu": 9000}), "is not a whole number"),
    ] {
        let p = problem("network_interface_mtu", bad.clone());
        assert!(p.contains(says), "{bad}: {p}");
        assert!(p.contains("such as 9000"), "says how to fix: {p}");
    }
}

#[test]
fn ipv4_takes_a_prefix_length_or_a_dotted_mask() {
    let ip = |v: &str| parse("network_interface_ip4_address", json!(v)).map(|c| c.ipv4);
    assert_eq!(
        ip("10.1.2.3/255.255.255.0").unwrap(),
        Some(Edit::Set(Ipv4Change {
            address: "10.1.2.3".into(),
            mask: "255.255.255.0".into()
        }))
    );
    assert_eq!(
        ip(" 10.1.2.3 / 24 ").unwrap(),
        Some(Edit::Set(Ipv4Change {
            address: "10.1.2.3".into(),
            mask: "24".into()
        }))
    );
    for (bad, says) in [
        ("10.1.2.3", "has no prefix length"),
        ("10.1.2/24", "does not start with an IPv4 address"),
        ("10.1.2.300/24", "does not start with an IPv4 address"),
        ("10.1.2.3/33", "10.1.2.3/33"),
        ("10.1.2.3/255.0.255.0", "255.0.255.0"),
        ("10.1.2.3/24/8", "10.1.2.3/24/8"),
    ] {
        let p = problem("network_interface_ip4_address", json!(bad));
        assert!(
            p.contains(says) && p.contains("10.1.2.3/24 or"),
            "{bad}: {p}"
        );
    }
}

#[test]
fn the_mode_string_reads_access_and_trunk() {
    let mode = |v: &str| parse("network_switchport_mode_and_vlan", json!(v)).map(|c| c.mode);
    assert_eq!(
        mode("access:100:").unwrap(),
        Some(ModeChange::Access { vlan: 100 })
    );
    assert_eq!(
        mode(" Access : 100 : ").unwrap(),
        Some(ModeChange::Access { vlan: 100 })
    );
    assert_eq!(
        mode("trunk:1:100,200").unwrap(),
        Some(ModeChange::Trunk {
            native: Some(1),
            allowed: VlanList::new("100,200")
        })
    );
    assert_eq!(
        mode("tagged:1:100-110,200").unwrap(),
        Some(ModeChange::Trunk {
            native: Some(1),
            allowed: VlanList::new("100-110,200")
        })
    );
    assert_eq!(
        mode("trunk::100,200").unwrap(),
        Some(ModeChange::Trunk {
            native: None,
            allowed: VlanList::new("100,200")
        }),
        "an empty untagged part keeps the native VLAN"
    );
}

#[test]
fn every_malformed_mode_is_a_problem_that_shows_the_form() {
    for (bad, says) in [
        ("access", "not three parts"),
        ("access:100", "not three parts"),
        ("trunk:1:100:200", "not three parts"),
        ("access::", "access VLAN is missing"),
        ("access:abc:", "access VLAN `abc` is not a number"),
        ("access:0:", "access VLAN 0 is out of range"),
        ("access:4095:", "access VLAN 4095 is out of range"),
        ("access:99999999:", "access VLAN `99999999` is not a number"),
        ("access:100:200", "carries no tagged VLANs"),
        ("trunk:1:", "needs its tagged VLANs"),
        ("trunk:0:100", "native VLAN 0 is out of range"),
        ("trunk:1:100,5000", "VLAN 5000"),
        ("trunk:1:200-100", "reversed"),
        (":100:", "names no mode"),
        ("routed:1:", "`routed` is not a mode"),
    ] {
        let p = problem("network_switchport_mode_and_vlan", json!(bad));
        assert!(p.contains(says), "{bad}: {p}");
        assert!(p.contains(&format!("{:?}", bad)), "quotes the value: {p}");
    }
    let AttributeProblems(both) =
        parse("network_switchport_mode_and_vlan", json!("access:0:5")).unwrap_err();
    assert_eq!(both.len(), 2, "every problem of the mode at once: {both:?}");
}

#[test]
fn a_ticket_that_asks_nothing_or_has_no_number_says_so() {
    let nothing = json!({
        "number": "1", "network_device_name": "c9300", "network_interface_name": "Gi1/0/1",
        "network_switchport_mode_and_vlan": "::"
    });
    let e = change_request(&serde_json::from_value(nothing).unwrap()).unwrap_err();
    assert_eq!(e.0.len(), 1);
    assert_eq!(e.0[0].attribute, None);
    assert!(
        e.to_string()
            .starts_with("ticket: the ticket asks for no change"),
        "{e}"
    );
    for number in [json!(null), json!(""), json!([1])] {
        assert!(problem("number", number).contains("has no number"));
    }
}

#[test]
fn every_problem_is_reported_at_once_in_attribute_order() {
    let t: Ticket = serde_json::from_value(json!({
        "number": "15020",
        "network_device_name": {"name": "c9300"},
        "network_interface_name": ["Gi1/0/1"],
        "network_interface_description": 42,
        "network_interface_enabled": "perhaps",
        "network_interface_mtu": "12a",
        "network_interface_ip4_address": "10.0.0.1",
        "network_switchport_mode_and_vlan": "access:abc:"
    }))
    .unwrap();
    let e = change_request(&t).unwrap_err();
    let names: Vec<_> =
        e.0.iter()
            .filter_map(|p| p.attribute.map(Attribute::name))
            .collect();
    assert_eq!(names, super::super::wire::NETWORK_ATTRIBUTES);
    let shown = e.to_string();
    assert_eq!(shown.lines().count(), 7, "{shown}");
    assert!(
        shown.contains("network_device_name: {\"name\":\"c9300\"} is an object, not text"),
        "{shown}"
    );
    assert!(
        shown.contains("network_interface_name: [\"Gi1/0/1\"] is a list, not text"),
        "{shown}"
    );
    assert!(
        shown.contains("network_interface_description: 42 is a number, not text"),
        "{shown}"
    );
}

#[test]
fn adversarial_text_is_quoted_bounded_escaped_and_undisguised() {
    let long = "A".repeat(100_000);
    for key in [
        "network_device_name",
        "network_interface_name",
        "network_interface_mtu",
        "network_interface_ip4_address",
        "network_switchport_mode_and_vlan",
    ] {
        let p = problem(key, json!(long));
        assert!(
            p.chars().count() < 400,
            "{key}: {} chars",
            p.chars().count()
        );
        assert!(p.contains('…'), "cut: {p}");
    }
    let sneaky = "c9300\u{202E}lanigiro";
    let p = problem("network_device_name", json!(sneaky));
    assert!(
        p.contains("<U+202E>") && p.contains("RIGHT-TO-LEFT OVERRIDE"),
        "{p}"
    );
    assert!(!p.contains('\u{202E}'));
    let p = problem("network_interface_name", json!("Gi1/0/5\u{200B}"));
    assert!(p.contains("<U+200B>") && !p.contains('\u{200B}'), "{p}");
    let p = problem(
        "network_switchport_mode_and_vlan",
        json!("ac\ncess\u{2066}:\"`\\:"),
    );
    assert!(!p.contains('\n') && !p.contains('\u{2066}'), "{p}");
    assert!(
        p.contains("\\\"") && p.contains("\\\\"),
        "quotes and backslashes escaped: {p}"
    );
    // The description goes on as given (with the ticket tag); `validate` refuses what a device
    // must not get.
    let c = parse("network_interface_description", json!("a\u{202E}b\nc")).unwrap();
    let why = validate(
        &c,
        &Rules {
            profile: Profile::Iosxe,
            protected: &[],
        },
    )
    .unwrap_err();
    assert!(why.to_string().contains("description"), "{why}");
    let c = parse("network_interface_description", json!(long)).unwrap();
    let why = validate(
        &c,
        &Rules {
            profile: Profile::Iosxe,
            protected: &[],
        },
    )
    .unwrap_err();
    assert!(
        why.to_string().contains("1000"),
        "the length is named: {why}"
    );
}
