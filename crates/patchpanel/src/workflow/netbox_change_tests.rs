use super::*;
use serde_json::{json, Value};

/// An interface as NetBox 4.7 answers it, with `extra` fields merged in.
fn iface(extra: Value) -> Interface {
    let mut v = json!({
        "id": 2, "name": "GigabitEthernet1/0/2", "display": "GigabitEthernet1/0/2",
        "device": {"id": 1, "name": "c9300"}, "enabled": true, "mtu": null,
        "description": "Testing the description for Webhook!", "mode": null,
        "untagged_vlan": null, "tagged_vlans": [], "mgmt_only": false, "tags": [],
        "custom_fields": {"change_ticket_number": "1234"},
        "last_updated": "2023-05-30T12:06:26.042767Z",
    });
    if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
    serde_json::from_value(v).unwrap()
}

fn vlan_ref(id: u64, vid: u16) -> Value {
    json!({"id": id, "vid": vid, "name": format!("v{vid}")})
}

/// The simulator's VLANs: 10→1, 20→2, 100→3 at `lab`; 100 at `other` → 6; global 999 → 7.
fn facts() -> Vec<VlanFact> {
    let f = |id, vid, site: Option<&str>| VlanFact {
        id,
        vid,
        name: None,
        site: site.map(str::to_owned),
    };
    vec![
        f(1, 10, Some("lab")),
        f(2, 20, Some("lab")),
        f(3, 100, Some("lab")),
        f(6, 100, Some("other")),
        f(7, 999, None),
    ]
}

const NONE: &[String] = &[];

fn ctx(protected: &[String]) -> Context<'_> {
    Context {
        device: "c9300",
        site: Some("lab"),
        profile: Profile::Iosxe,
        protected,
        protected_tag: "patchpanel-protected",
    }
}

fn ok(i: &Interface) -> InterfaceChange {
    plan(i, "1234", &facts(), &ctx(NONE))
        .unwrap_or_else(|p| panic!("{p:?}"))
        .change
}

fn problems(i: &Interface, protected: &[String]) -> Vec<String> {
    plan(i, "1234", &facts(), &ctx(protected))
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn seed_003_edit_tags_the_description_and_removes_the_mtu() {
    let c = ok(&iface(json!({})));
    assert_eq!(c.device, "c9300");
    assert_eq!(c.interface, "GigabitEthernet1/0/2");
    assert_eq!(
        c.description,
        Some(Edit::Set(
            "Testing the description for Webhook! ##ticket:1234##".into()
        ))
    );
    assert_eq!(c.enabled, Some(true));
    assert_eq!(c.mtu, Some(Edit::Remove));
    assert_eq!(c.mode, None, "no mode in NetBox: L2 is left alone");
    assert_eq!(c.ipv4, None, "W2 never pushes addresses");
    assert_eq!(
        c.reason,
        ChangeReason::Ticket {
            number: "1234".into()
        }
    );
}

#[test]
fn an_existing_tag_is_replaced_so_reapplying_never_stacks_tags() {
    let once = ok(&iface(json!({"description": "printer ##ticket:1111##"})));
    assert_eq!(
        once.description,
        Some(Edit::Set("printer ##ticket:1234##".into()))
    );
    // What the device shows after the push, read back into NetBox and pushed again: unchanged.
    let Some(Edit::Set(text)) = once.description else {
        unreachable!()
    };
    let twice = ok(&iface(json!({ "description": text.clone() })));
    assert_eq!(twice.description, Some(Edit::Set(text)));
}

#[test]
fn an_empty_description_becomes_the_tag_alone() {
    for d in [json!(""), json!(null), json!("   ")] {
        let c = ok(&iface(json!({ "description": d })));
        assert_eq!(c.description, Some(Edit::Set("##ticket:1234##".into())));
    }
}

#[test]
fn enabled_and_mtu_follow_netbox() {
    let c = ok(&iface(json!({"enabled": false, "mtu": 9000})));
    assert_eq!(c.enabled, Some(false));
    assert_eq!(c.mtu, Some(Edit::Set(9000)));
}

#[test]
fn mtu_out_of_range_is_a_problem_naming_the_limits() {
    for mtu in [1000, 9199, 65536, 70000] {
        let p = problems(&iface(json!({ "mtu": mtu })), NONE);
        assert_eq!(
            p,
            vec![format!(
                "mtu: MTU {mtu} is out of range for IOS-XE devices (1500–9198)"
            )]
        );
    }
    // The ietf profile has other limits.
    let i = iface(json!({"mtu": 1000}));
    let c = Context {
        profile: Profile::Ietf,
        ..ctx(NONE)
    };
    assert!(plan(&i, "1234", &facts(), &c).is_ok());
}

#[test]
fn access_uses_the_untagged_vlan() {
    let c = ok(&iface(
        json!({"mode": {"value": "access", "label": "Access"},
                             "untagged_vlan": vlan_ref(3, 100)}),
    ));
    assert_eq!(c.mode, Some(ModeChange::Access { vlan: 100 }));
    let p = problems(&iface(json!({"mode": "access"})), NONE);
    assert_eq!(
        p,
        vec!["mode: access mode needs an untagged VLAN: set one in NetBox"]
    );
}

#[test]
fn tagged_is_a_trunk_with_the_tagged_vlans_and_the_untagged_as_native() {
    let i = iface(
        json!({"mode": {"value": "tagged"}, "untagged_vlan": vlan_ref(1, 10),
                         "tagged_vlans": [vlan_ref(3, 100), vlan_ref(2, 20)]}),
    );
    assert_eq!(vlan_ids(&i), vec![1, 2, 3]);
    let c = ok(&i);
    let Some(ModeChange::Trunk { native, allowed }) = c.mode else {
        panic!("{:?}", c.mode)
    };
    assert_eq!(native, Some(10));
    assert!(allowed.same_set(&VlanList::new("20,100")), "{allowed}");
    // No untagged VLAN: the native VLAN is left as it is.
    let c = ok(&iface(
        json!({"mode": "tagged", "tagged_vlans": [vlan_ref(2, 20)]}),
    ));
    assert!(matches!(
        c.mode,
        Some(ModeChange::Trunk { native: None, .. })
    ));
    let p = problems(&iface(json!({"mode": "tagged"})), NONE);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("tagged mode without tagged VLANs"), "{p:?}");
}

#[test]
fn tagged_all_allows_every_vlan() {
    let i = iface(
        json!({"mode": {"value": "tagged-all"}, "untagged_vlan": vlan_ref(2, 20),
                         "tagged_vlans": [vlan_ref(7, 999)]}),
    );
    assert_eq!(vlan_ids(&i), vec![2], "tagged VLANs are irrelevant here");
    let c = ok(&i);
    let Some(ModeChange::Trunk { native, allowed }) = c.mode else {
        panic!("{:?}", c.mode)
    };
    assert_eq!(native, Some(20));
    assert!(allowed.same_set(&VlanList::new("1-4094")));
}

#[test]
fn other_modes_are_problems() {
    for m in ["q-in-q", "trunk", "<b>x</b>"] {
        let p = problems(&iface(json!({ "mode": m })), NONE);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("mode: NetBox mode `"), "{p:?}");
        assert!(p[0].contains("use access, tagged or tagged-all"), "{p:?}");
    }
    assert_eq!(ok(&iface(json!({"mode": ""}))).mode, None);
}

#[test]
fn vlans_must_be_defined_at_the_device_site() {
    let global = iface(json!({"mode": "access", "untagged_vlan": vlan_ref(7, 999)}));
    assert_eq!(
        problems(&global, NONE),
        vec!["mode: VLAN 999 is not defined at site lab: add it to the site in NetBox or pick one of the site's VLANs"]
    );
    let other_site = iface(json!({"mode": "tagged", "untagged_vlan": vlan_ref(6, 100),
                                  "tagged_vlans": [vlan_ref(7, 999), vlan_ref(1, 10)]}));
    let p = problems(&other_site, NONE);
    assert_eq!(p.len(), 2, "every bad VLAN is listed: {p:?}");
    assert!(
        p[0].contains("VLAN 100 is not defined at site lab"),
        "{p:?}"
    );
    assert!(
        p[1].contains("VLAN 999 is not defined at site lab"),
        "{p:?}"
    );
    // A VLAN NetBox no longer has, and a device without a site.
    let gone = iface(json!({"mode": "access", "untagged_vlan": vlan_ref(42, 42)}));
    assert!(problems(&gone, NONE)[0].contains("VLAN id 42 cannot be found in NetBox"));
    let i = iface(json!({"mode": "access", "untagged_vlan": vlan_ref(1, 10)}));
    let c = Context {
        site: None,
        ..ctx(NONE)
    };
    let p = plan(&i, "1234", &facts(), &c).unwrap_err();
    assert!(p[0].message.contains("has no site in NetBox"), "{p:?}");
}

#[test]
fn protection_names_the_rule() {
    let uplink = iface(json!({"name": "GigabitEthernet1/0/1"}));
    let p = problems(&uplink, &["Gi1/0/1".to_owned()]);
    assert_eq!(
        p,
        vec!["interface: GigabitEthernet1/0/1 is protected on c9300 by PATCHPANEL_PROTECTED; the bot does not change it"]
    );
    let tagged = iface(json!({"tags": [{"id": 3, "slug": "patchpanel-protected", "name": "P"}]}));
    let p = problems(&tagged, NONE);
    assert_eq!(p.len(), 1);
    assert!(
        p[0].contains("carries the NetBox tag `patchpanel-protected`"),
        "{p:?}"
    );
    let mgmt = iface(json!({"name": "Vlan1", "mgmt_only": true, "description": "management"}));
    let p = problems(&mgmt, NONE);
    assert_eq!(
        p,
        vec!["interface: Vlan1 is a management interface (mgmt_only in NetBox); the bot does not change it"]
    );
    // All three at once, each named; other tags protect nothing.
    let all = iface(json!({"name": "GigabitEthernet1/0/1", "mgmt_only": true,
                           "tags": [{"slug": "PatchPanel-Protected"}]}));
    assert_eq!(
        problems(&all, &["GigabitEthernet1/0/1".to_owned()]).len(),
        3
    );
    assert!(ok(&iface(json!({"tags": [{"slug": "uplink"}]})))
        .description
        .is_some());
}

#[test]
fn every_problem_is_listed_at_once() {
    let i = iface(
        json!({"mtu": 100, "mode": "access", "untagged_vlan": vlan_ref(7, 999),
                         "mgmt_only": true, "description": "x\u{7}y"}),
    );
    let fields: Vec<Field> = plan(&i, "1234", &facts(), &ctx(NONE))
        .unwrap_err()
        .iter()
        .map(|p| p.field)
        .collect();
    for f in [
        Field::Interface,
        Field::Mtu,
        Field::Mode,
        Field::Description,
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
}

#[test]
fn a_bad_ticket_number_is_a_problem() {
    let i = iface(json!({}));
    for t in ["12##34", "has space"] {
        let p = plan(&i, t, &facts(), &ctx(NONE)).unwrap_err();
        assert!(p.iter().any(|p| p.field == Field::Reason), "{t}: {p:?}");
    }
}

#[test]
fn a_description_too_long_with_its_tag_is_a_problem() {
    let i = iface(json!({ "description": "d".repeat(230) }));
    let p = problems(&i, NONE);
    assert_eq!(p.len(), 1);
    assert!(p[0].starts_with("description:"), "{p:?}");
}

#[test]
fn a_newline_in_the_ticket_number_is_the_ticket_numbers_problem_not_the_descriptions() {
    let i = iface(json!({ "description": "printer" }));
    let p = plan(&i, "CHG-1\nrm -rf /", &facts(), &ctx(NONE)).unwrap_err();
    assert_eq!(p.len(), 1, "one problem, named once: {p:?}");
    assert_eq!(p[0].field, Field::Reason);
    assert!(
        p[0].message
            .starts_with("the ticket number contains a line break at character 6"),
        "{p:?}"
    );
    assert!(!p.iter().any(|p| p.field == Field::Description), "{p:?}");
}

#[test]
fn ticket_numbers_are_one_bounded_word_of_visible_characters() {
    assert_eq!(ticket_problem("CHG-2026-0001"), None);
    assert_eq!(
        ticket_problem("  1234  "),
        None,
        "blanks around are trimmed"
    );
    assert_eq!(ticket_problem(&"T".repeat(TICKET_MAX)), None);
    for (ticket, words) in [
        ("", "is empty"),
        ("   ", "is empty"),
        ("CHG-1\r\nX", "a line break at character 6"),
        ("a\tb", "a tab at character 2"),
        ("a\u{1b}[31m", "control character U+001B at character 2"),
        ("CHG\u{202E}1", "invisible character U+202E at character 4"),
        ("CHG 1", "a space at character 4"),
        ("CHG#1", "`#`"),
    ] {
        let why = ticket_problem(ticket).unwrap_or_else(|| panic!("{ticket:?} accepted"));
        assert!(why.starts_with("the ticket number"), "{why}");
        assert!(why.contains(words), "{ticket:?}: {why}");
    }
    let long = ticket_problem("CHG-2026-0000000000000000000000000000000").unwrap_or_default();
    assert!(long.contains("40 characters long; at most 32"), "{long}");
}

#[test]
fn the_long_ticket_reproduction_reports_every_field_and_blames_each_correctly() {
    // The reproduction: a 40-character ticket, MTU 9999, 200 × D.
    let i = iface(json!({ "description": "D".repeat(200), "mtu": 9999 }));
    let p = plan(
        &i,
        "CHG-2026-0000000000000000000000000000000",
        &facts(),
        &ctx(NONE),
    )
    .unwrap_err();
    let fields: Vec<Field> = p.iter().map(|p| p.field).collect();
    assert!(fields.contains(&Field::Reason), "{p:?}");
    assert!(fields.contains(&Field::Mtu), "{p:?}");
    assert_eq!(
        fields.iter().filter(|f| **f == Field::Reason).count(),
        1,
        "the ticket is reported once: {p:?}"
    );
}

#[test]
fn a_longest_ticket_leaves_room_for_a_long_description() {
    let ticket = "T".repeat(TICKET_MAX);
    let tag = crate::device::change::ticket_tag(&ticket);
    let room = 200 - tag.chars().count() - 1;
    assert!(room >= 150, "{room}");
    let i = iface(json!({ "description": "d".repeat(room) }));
    let c = plan(&i, &ticket, &facts(), &ctx(NONE)).unwrap_or_else(|p| panic!("{p:?}"));
    assert!(matches!(c.change.description, Some(Edit::Set(d)) if d.chars().count() == 200));
}

/// The description check of the plan names the position in NetBox's own description (where the
/// person fixes it), once, for every character that can disguise text.
#[test]
fn a_disguising_character_in_the_netbox_description_is_a_problem_with_its_position() {
    for c in ('\u{200B}'..='\u{2070}')
        .chain(['\u{FEFF}'])
        .filter(|c| crate::text_safety::is_disguising(*c))
    {
        let i = iface(json!({ "description": format!("Printer{c}3F") }));
        let p = problems(&i, NONE);
        assert_eq!(
            p,
            vec![format!(
                "description: character 8 is U+{:04X} {}, which can disguise text; remove it from the description in NetBox",
                u32::from(c),
                crate::text_safety::name(c).unwrap()
            )],
            "U+{:04X}",
            u32::from(c)
        );
    }
}
