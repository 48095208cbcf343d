use super::*;

fn ticket() -> ChangeReason {
    ChangeReason::Ticket {
        number: "1234".into(),
    }
}

fn base() -> InterfaceChange {
    InterfaceChange {
        device: "c9300".into(),
        interface: "Gi1/0/2".into(),
        description: Some(Edit::Set("uplink".into())),
        enabled: None,
        mtu: None,
        mode: None,
        ipv4: None,
        reason: ticket(),
    }
}

const IOS: Rules<'static> = Rules {
    profile: Profile::Iosxe,
    protected: &[],
};
const IETF: Rules<'static> = Rules {
    profile: Profile::Ietf,
    protected: &[],
};

fn problems(c: &InterfaceChange, r: &Rules<'_>) -> Vec<(Field, String)> {
    validate(c, r)
        .unwrap_err()
        .0
        .into_iter()
        .map(|p| (p.field, p.message))
        .collect()
}

fn one(c: &InterfaceChange, r: &Rules<'_>) -> (Field, String) {
    let mut p = problems(c, r);
    assert_eq!(p.len(), 1, "{p:?}");
    p.remove(0)
}

#[test]
fn a_good_change_is_canonicalized() {
    let c = InterfaceChange {
        description: Some(Edit::Set("  uplink to core  ".into())),
        enabled: Some(true),
        mtu: Some(Edit::Set(9000)),
        mode: Some(ModeChange::Trunk {
            native: Some(99),
            allowed: VlanList::new("30-40, 20,10"),
        }),
        ..base()
    };
    let v = validate(&c, &IOS).unwrap();
    assert_eq!(v.interface.as_str(), "GigabitEthernet1/0/2");
    assert_eq!(v.interface.native(), Some(("GigabitEthernet", "1/0/2")));
    assert_eq!(v.description, Some(Edit::Set("uplink to core".into())));
    assert_eq!(
        v.mode,
        Some(ModeChange::Trunk {
            native: Some(99),
            allowed: VlanList::new("10,20,30-40")
        })
    );
}

#[test]
fn interface_names_per_profile() {
    let c = InterfaceChange {
        interface: "Gi1/0/2</name><shutdown/>".into(),
        ..base()
    };
    let (f, m) = one(&c, &IOS);
    assert_eq!(f, Field::Interface);
    assert!(
        m.starts_with("`Gi1/0/2</name><shutdown/>` is not an IOS-XE interface"),
        "{m}"
    );
    let c = InterfaceChange {
        interface: "ge-0/0/0".into(),
        ..base()
    };
    assert_eq!(one(&c, &IOS).0, Field::Interface);
    let v = validate(&c, &IETF).unwrap();
    assert_eq!(v.interface.as_str(), "ge-0/0/0");
    let c = InterfaceChange {
        interface: "eth 0; reload".into(),
        ..base()
    };
    assert_eq!(one(&c, &IETF).0, Field::Interface);
}

#[test]
fn protected_interfaces_are_refused_in_any_spelling() {
    let protected = vec!["GigabitEthernet1/0/1".to_string(), "gi 0/0".to_string()];
    let rules = Rules {
        profile: Profile::Iosxe,
        protected: &protected,
    };
    for name in ["Gi1/0/1", "gigabitethernet1/0/1", "GigabitEthernet0/0"] {
        let c = InterfaceChange {
            interface: name.into(),
            ..base()
        };
        let (f, m) = one(&c, &rules);
        assert_eq!(f, Field::Interface);
        assert!(
            m.ends_with("is protected; the bot does not change it"),
            "{m}"
        );
    }
    assert!(validate(&base(), &rules).is_ok());
}

#[test]
fn vlans_are_checked() {
    let c = InterfaceChange {
        mode: Some(ModeChange::Access { vlan: 0 }),
        ..base()
    };
    assert_eq!(
        one(&c, &IOS),
        (Field::Mode, "access VLAN 0 is out of range (1–4094)".into())
    );
    let c = InterfaceChange {
        mode: Some(ModeChange::Trunk {
            native: Some(4095),
            allowed: VlanList::new("10,5000"),
        }),
        ..base()
    };
    assert_eq!(
        problems(&c, &IOS),
        vec![
            (
                Field::Mode,
                "native VLAN 4095 is out of range (1–4094)".to_string()
            ),
            (
                Field::Mode,
                "allowed VLANs: VLAN 5000 in `5000` is out of range (1–4094)".to_string()
            ),
        ]
    );
    let c = InterfaceChange {
        mode: Some(ModeChange::Access { vlan: 10 }),
        ..base()
    };
    assert_eq!(one(&c, &IETF).0, Field::Mode);
}

#[test]
fn mtu_range_depends_on_the_profile() {
    let with = |m| InterfaceChange {
        mtu: Some(Edit::Set(m)),
        ..base()
    };
    assert!(validate(&with(1500), &IOS).is_ok());
    assert!(validate(&with(9198), &IOS).is_ok());
    assert_eq!(
        one(&with(1499), &IOS),
        (
            Field::Mtu,
            "MTU 1499 is out of range for IOS-XE devices (1500–9198)".into()
        )
    );
    // Inside the native model's 64..18000, outside what a Catalyst 9300 port takes.
    assert_eq!(one(&with(9199), &IOS).0, Field::Mtu);
    assert_eq!(one(&with(9216), &IOS).0, Field::Mtu);
    assert!(validate(&with(576), &IETF).is_ok());
    assert_eq!(
        one(&with(67), &IETF).1,
        "MTU 67 is out of range for ietf-interfaces devices (68–65535)"
    );
    let remove = InterfaceChange {
        mtu: Some(Edit::Remove),
        ..base()
    };
    assert!(validate(&remove, &IOS).is_ok());
}

#[test]
fn descriptions_are_bounded_and_printable() {
    let with = |d: &str| InterfaceChange {
        description: Some(Edit::Set(d.into())),
        ..base()
    };
    // The native model's `length "0..200"`, counted in characters.
    assert!(validate(&with(&"é".repeat(200)), &IOS).is_ok());
    assert_eq!(
        one(&with(&"x".repeat(201)), &IOS),
        (
            Field::Description,
            "the description is 201 characters long; the limit is 200 (including any ticket tag)"
                .into()
        )
    );
    assert_eq!(one(&with(&"x".repeat(201)), &IETF).0, Field::Description);
    assert_eq!(
        one(&with("bell\u{7}here"), &IOS).1,
        "the description contains the control character U+0007 at position 5; only printable characters are allowed"
    );
    assert_eq!(one(&with("a\nb"), &IOS).0, Field::Description);
    assert_eq!(one(&with("   "), &IOS).0, Field::Description);
    // Markup and the framing marker are just text: escaping happens when XML is written.
    assert!(validate(&with("a < b & c ]]>]]> ✓"), &IOS).is_ok());
}

#[test]
fn ipv4_addresses_and_masks() {
    let with = |a: &str, m: &str| InterfaceChange {
        ipv4: Some(Edit::Set(Ipv4Change {
            address: a.into(),
            mask: m.into(),
        })),
        ..base()
    };
    let v = validate(&with("192.0.2.1", "255.255.255.0"), &IOS).unwrap();
    assert_eq!(
        v.ipv4,
        Some(Edit::Set(Ipv4Net {
            address: "192.0.2.1".parse().unwrap(),
            prefix: 24
        }))
    );
    assert!(validate(&with("192.0.2.1", "/24"), &IOS).is_ok());
    assert!(validate(&with("192.0.2.0", "31"), &IOS).is_ok());
    assert!(validate(&with("192.0.2.7", "/32"), &IOS).is_ok());
    let cases = [
        (("192.0.2.256", "24"), "`192.0.2.256` is not an IPv4 address"),
        (
            ("192.0.2.1", "255.0.255.0"),
            "the netmask 255.0.255.0 is not contiguous (ones must be followed only by zeros)",
        ),
        (("192.0.2.1", "/33"), "the prefix length `/33` is not 0–32"),
        (
            ("192.0.2.1", "banana"),
            "`banana` is not a netmask (write 255.255.255.0 or /24)",
        ),
        (
            ("192.0.2.0", "255.255.255.0"),
            "192.0.2.0 is the network address of 192.0.2.0/24; use a host address",
        ),
        (
            ("192.0.2.3", "/30"),
            "192.0.2.3 is the broadcast address of 192.0.2.0/30; use a host address",
        ),
        (
            ("224.0.0.5", "/24"),
            "224.0.0.5 cannot be an interface address (unspecified, loopback, multicast or reserved)",
        ),
    ];
    for ((a, m), want) in cases {
        assert_eq!(one(&with(a, m), &IOS), (Field::Ipv4, want.to_string()));
    }
    let mut both = with("192.0.2.1", "24");
    both.mode = Some(ModeChange::Access { vlan: 10 });
    assert_eq!(one(&both, &IOS).0, Field::Ipv4);
}

#[test]
fn a_reason_is_required() {
    let c = InterfaceChange {
        reason: ChangeReason::Ticket { number: " ".into() },
        ..base()
    };
    assert_eq!(one(&c, &IOS).0, Field::Reason);
    let c = InterfaceChange {
        reason: ChangeReason::Approval {
            id: "a1".into(),
            approved_by: String::new(),
        },
        ..base()
    };
    assert_eq!(one(&c, &IOS).0, Field::Reason);
}

#[test]
fn every_problem_is_reported_at_once() {
    let c = InterfaceChange {
        device: " ".into(),
        interface: "Xx1/0/2".into(),
        description: Some(Edit::Set("x\u{0}".into())),
        enabled: Some(false),
        mtu: Some(Edit::Set(100)),
        mode: Some(ModeChange::Access { vlan: 4095 }),
        ipv4: Some(Edit::Set(Ipv4Change {
            address: "10.0.0.1".into(),
            mask: "255.255.0.255".into(),
        })),
        reason: ChangeReason::Ticket {
            number: String::new(),
        },
    };
    let fields: Vec<Field> = problems(&c, &IOS).into_iter().map(|p| p.0).collect();
    assert_eq!(
        fields,
        vec![
            Field::Device,
            Field::Interface,
            Field::Description,
            Field::Mtu,
            Field::Mode,
            Field::Ipv4,
            Field::Ipv4,
            Field::Reason
        ]
    );
    let err = validate(&c, &IOS).unwrap_err().to_string();
    assert!(
        err.starts_with("the change is not valid: device: no device named; interface: "),
        "{err}"
    );
}

#[test]
fn an_empty_change_is_refused() {
    let c = InterfaceChange {
        description: None,
        ..base()
    };
    assert_eq!(
        one(&c, &IOS),
        (Field::Change, "the change sets nothing".into())
    );
}

#[test]
fn ticket_tags_as_in_seed_003() {
    assert_eq!(
        ticket_tagged("Webhook function completed!", "1234"),
        "Webhook function completed! ##ticket:1234##"
    );
    assert_eq!(
        ticket_tagged("Webhook function completed! ##ticket:99##", "1234"),
        "Webhook function completed! ##ticket:1234##"
    );
    assert_eq!(ticket_tagged("", "7"), "##ticket:7##");
    assert_eq!(ticket_of("x ##ticket:15016##"), Some("15016"));
    assert_eq!(ticket_of("x ##ticket:1"), None);
    assert_eq!(ticket_of("none"), None);
    let tagged = ticket_tagged("a  b", "1");
    assert_eq!(ticket_tagged(&tagged, "1"), tagged);
}

#[test]
fn masks_as_prefixes() {
    assert_eq!(mask_prefix("255.255.255.0"), Ok(24));
    assert_eq!(mask_prefix("255.255.255.255"), Ok(32));
    assert_eq!(mask_prefix("0.0.0.0"), Ok(0));
    assert_eq!(mask_prefix("/8"), Ok(8));
    assert_eq!(mask_prefix("8"), Ok(8));
    assert!(mask_prefix("255.255.255.1").is_err());
    assert!(mask_prefix("").is_err());
    let net = Ipv4Net {
        address: "10.1.2.3".parse().unwrap(),
        prefix: 20,
    };
    assert_eq!(net.mask().to_string(), "255.255.240.0");
    assert_eq!(net.to_string(), "10.1.2.3/20");
}

/// The ticket tag counts toward the model's 200 characters.
#[test]
fn the_ticket_tag_counts_toward_the_description_limit() {
    let tagged = ticket_tagged(&"d".repeat(200 - " ##ticket:1234##".len()), "1234");
    assert_eq!(tagged.chars().count(), 200);
    let c = InterfaceChange {
        description: Some(Edit::Set(tagged.clone())),
        ..base()
    };
    assert!(validate(&c, &IOS).is_ok());
    let c = InterfaceChange {
        description: Some(Edit::Set(format!("d{tagged}"))),
        ..base()
    };
    assert_eq!(
        one(&c, &IOS).1,
        "the description is 201 characters long; the limit is 200 (including any ticket tag)"
    );
}

const DISGUISING: &[char] = &[
    '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}',
    '\u{202D}', '\u{202E}', '\u{2060}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{FEFF}',
];

/// Each listed character is refused in a description written to a device, with its position and
/// name, whatever the profile.
#[test]
fn each_disguising_character_is_refused_with_its_position() {
    for &c in DISGUISING {
        for rules in [&IOS, &IETF] {
            let change = InterfaceChange {
                description: Some(Edit::Set(format!("uplink{c}x"))),
                ..base()
            };
            let (field, message) = one(&change, rules);
            assert_eq!(field, Field::Description);
            assert_eq!(
                message,
                format!(
                    "character 7 is U+{:04X} {}, which can disguise text; remove it",
                    u32::from(c),
                    crate::text_safety::name(c).unwrap()
                )
            );
        }
    }
}

#[test]
fn rlo_in_a_description_is_refused_naming_the_position() {
    let change = InterfaceChange {
        description: Some(Edit::Set("  printer\u{202E}3F".into())),
        ..base()
    };
    let err = validate(&change, &IOS).unwrap_err();
    // Positions count the text as written to the device (trimmed), from 1.
    assert_eq!(
        err.to_string(),
        "the change is not valid: description: character 8 is U+202E RIGHT-TO-LEFT OVERRIDE, which can disguise text; remove it"
    );
}

/// A disguising character in the ticket number is the ticket's fault, not the description's, even
/// though the number is written into the description's tag.
#[test]
fn a_disguising_ticket_number_is_reported_as_the_reason() {
    let number = "CHG\u{202E}1".to_owned();
    let change = InterfaceChange {
        description: Some(Edit::Set(ticket_tagged("uplink", &number))),
        reason: ChangeReason::Ticket { number },
        ..base()
    };
    let (field, message) = one(&change, &IOS);
    assert_eq!(field, Field::Reason);
    assert!(message.contains("character 4 is U+202E"), "{message}");
    let ietf_name = InterfaceChange {
        interface: "eth\u{200B}0".into(),
        ..base()
    };
    let (field, message) = one(&ietf_name, &IETF);
    assert_eq!(field, Field::Interface);
    assert!(
        message.starts_with("character 4 is U+200B ZERO WIDTH SPACE"),
        "{message}"
    );
}
