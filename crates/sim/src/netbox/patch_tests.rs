use super::*;
use serde_json::json;

fn nb() -> Netbox {
    Netbox::seeded(1)
}

#[test]
fn field_errors_are_collected_together() {
    let nb = nb();
    let e = apply_interface(
        &nb,
        &nb.interfaces[0],
        &json!({"mtu": 70000, "mode": "trunk", "untagged_vlan": 999}),
    )
    .unwrap_err();
    assert_eq!(
        e["mtu"],
        json!(["Ensure this value is less than or equal to 65536."])
    );
    assert_eq!(e["mode"], json!(["\"trunk\" is not a valid choice."]));
    assert_eq!(
        e["untagged_vlan"],
        json!(["Invalid pk \"999\" - object does not exist."])
    );
}

#[test]
fn l2_triple_rules() {
    let nb = nb();
    let i = &nb.interfaces[0];
    let trunk = apply_interface(
        &nb,
        i,
        &json!({"mode": "tagged", "untagged_vlan": 1, "tagged_vlans": [2, 3]}),
    )
    .unwrap();
    let e = apply_interface(&nb, &trunk, &json!({"mode": "access"})).unwrap_err();
    assert_eq!(
        e["tagged_vlans"],
        json!(["Interface mode does not support tagged vlans"])
    );
    let e = apply_interface(&nb, &trunk, &json!({"mode": null, "tagged_vlans": []})).unwrap_err();
    assert_eq!(
        e["untagged_vlan"],
        json!(["Interface mode does not support untagged vlan"])
    );
    let e = apply_interface(&nb, i, &json!({"mode": "access", "untagged_vlan": 6})).unwrap_err();
    assert!(e["untagged_vlan"][0]
        .as_str()
        .unwrap()
        .starts_with("The untagged VLAN (other-users (100))"));
    let clear = apply_interface(
        &nb,
        &trunk,
        &json!({"mode": "", "untagged_vlan": null, "tagged_vlans": []}),
    )
    .unwrap();
    assert_eq!(clear.mode, None);
}

#[test]
fn a_required_ticket_field_refuses_every_write_that_leaves_it_empty() {
    let mut nb = nb();
    let with = apply_interface(
        &nb,
        &nb.interfaces[0],
        &json!({"custom_fields": {"change_ticket_number": "CHG-1"}}),
    )
    .unwrap();
    nb.ticket_required = true;
    let e = apply_interface(
        &nb,
        &with,
        &json!({"custom_fields": {"change_ticket_number": null}}),
    )
    .unwrap_err();
    assert_eq!(
        e["__all__"],
        json!(["Invalid value for custom field 'change_ticket_number': Required field cannot be empty."])
    );
    assert!(apply_interface(&nb, &with, &json!({"description": "x"})).is_ok());
    assert!(
        apply_interface(&nb, &nb.interfaces[1], &json!({"description": "x"})).is_err(),
        "an interface without a ticket cannot be saved at all (as in NetBox)"
    );
    assert!(clears_ticket(
        &json!({"custom_fields": {"change_ticket_number": null}})
    ));
    assert!(clears_ticket(
        &json!({"custom_fields": {"change_ticket_number": ""}})
    ));
    assert!(!clears_ticket(
        &json!({"custom_fields": {"change_ticket_number": "CHG"}})
    ));
    assert!(!clears_ticket(&json!({"description": "x"})));
}

#[test]
fn changelog_message_length_is_left_to_the_database() {
    let long = "x".repeat(201);
    assert_eq!(
        changelog_message(&json!({"changelog_message": long})).unwrap(),
        long
    );
    assert!(!fits_column(&long));
    assert!(fits_column(&"é".repeat(200)), "characters, not bytes");
    assert!(changelog_message(&json!({"changelog_message": 7})).is_err());
}

#[test]
fn custom_fields_touch_only_the_named_field() {
    let nb = nb();
    let i = apply_interface(
        &nb,
        &nb.interfaces[0],
        &json!({"custom_fields": {"change_ticket_number": "CHG-1"}}),
    )
    .unwrap();
    assert_eq!(i.custom_fields[TICKET_FIELD], "CHG-1");
    let e = apply_interface(&nb, &i, &json!({"custom_fields": {"nope": 1}})).unwrap_err();
    assert_eq!(
        e["custom_fields"]["nope"],
        "Custom field 'nope' does not exist for this object type."
    );
    let e = apply_interface(&nb, &i, &json!([1])).unwrap_err();
    assert!(e.contains_key("non_field_errors"));
}

#[test]
fn ip_rules() {
    let nb = nb();
    let e = apply_ip(&nb, None, &json!({"address": "192.0.2.10/25"})).unwrap_err();
    assert_eq!(
        e["address"],
        json!(["Duplicate IP address found in global table: 192.0.2.10/25"])
    );
    assert!(apply_ip(&nb, None, &json!({"address": "nope"})).is_err());
    let ip = apply_ip(&nb, None, &json!({"address": "10.1.2.3/24", "assigned_object_type": "dcim.interface", "assigned_object_id": 3})).unwrap();
    assert_eq!(ip.interface, Some(3));
}
