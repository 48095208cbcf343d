use super::*;

/// The change record of docs/netbox.md §8 (seen live on 4.7.3), with snapshots filled in.
const CHANGE_47: &str = r#"{"id": 24, "time": "2026-11-23T15:53:10.1Z", "user": {"id": 1, "username": "admin"},
 "user_name": "admin", "request_id": "5a6eb2fc-0000", "action": {"value": "update", "label": "Updated"},
 "changed_object_type": "dcim.interface", "changed_object_id": 3,
 "changed_object": {"id": 3, "name": "GigabitEthernet1/0/3", "device": {"id": 1, "name": "c9300"}},
 "object_repr": "GigabitEthernet1/0/3", "message": "chatops-bot: pushed to c9300, CHG-1001 done",
 "prechange_data": {"custom_fields": {"change_ticket_number": "CHG-1001"}, "mtu": 9000, "mode": "tagged",
    "untagged_vlan": 1, "tagged_vlans": [2, 3], "enabled": true, "description": "printer-3F"},
 "postchange_data": {"custom_fields": {"change_ticket_number": null}, "mtu": 9000, "mode": "",
    "untagged_vlan": null, "tagged_vlans": [], "enabled": false, "description": ""}}"#;

#[test]
fn object_change_of_47_parses_with_typed_accessors() {
    let c: ObjectChange = serde_json::from_str(CHANGE_47).unwrap();
    assert_eq!(c.id, 24);
    assert_eq!(c.action, ChangeAction::Update);
    assert_eq!(c.changed_object_type, "dcim.interface");
    assert_eq!(c.changed_object_id, 3);
    assert_eq!(c.user_name.as_deref(), Some("admin"));
    assert!(c.message.unwrap().starts_with("chatops-bot:"));
    let pre = c.prechange_data.unwrap();
    assert_eq!(pre.change_ticket_number(), Some("CHG-1001"));
    assert_eq!(pre.mtu(), Some(9000));
    assert_eq!(pre.mode(), Some("tagged"));
    assert_eq!(pre.untagged_vlan(), Some(1));
    assert_eq!(pre.tagged_vlans(), vec![2, 3]);
    assert_eq!(pre.enabled(), Some(true));
    assert_eq!(pre.description(), Some("printer-3F"));
    let post = c.postchange_data.unwrap();
    assert_eq!(post.change_ticket_number(), None);
    assert_eq!(post.mode(), None);
    assert_eq!(post.untagged_vlan(), None);
    assert!(post.tagged_vlans().is_empty());
}

#[test]
fn object_change_of_3x_create_and_delete_parse() {
    // 3.x: no message; create has no prechange, delete no postchange; odd types are tolerated.
    let create = r#"{"id": 5, "time": "2023-05-29T14:42:55Z", "user_name": "developer",
        "request_id": null, "action": {"value": "create"}, "changed_object_type": "dcim.interface",
        "changed_object_id": 9, "prechange_data": null, "postchange_data": {"mtu": "nonsense"}}"#;
    let c: ObjectChange = serde_json::from_str(create).unwrap();
    assert_eq!(c.action, ChangeAction::Create);
    assert!(c.prechange_data.is_none());
    assert_eq!(c.postchange_data.unwrap().mtu(), None);
    assert!(c.message.is_none());
    let delete = r#"{"id": 6, "action": "delete", "changed_object_type": {"app_label": "dcim", "model": "interface"},
        "changed_object_id": 9, "postchange_data": null}"#;
    let c: ObjectChange = serde_json::from_str(delete).unwrap();
    assert_eq!(c.action, ChangeAction::Delete);
    assert_eq!(c.changed_object_type, "dcim.interface");
}

/// A real NetBox 3.5 webhook body (docs/netbox.md §9) (ticket 1234 set on GigabitEthernet1/0/2), as JSON.
const WEBHOOK_35: &str = r#"{"event": "updated", "timestamp": "2023-05-30 12:06:26.073235+00:00",
 "model": "interface", "username": "developer", "request_id": "a44aecb7-48c1-4159-856a-982d272cc522",
 "data": {"id": 3, "url": "/api/dcim/interfaces/3/", "display": "GigabitEthernet1/0/2",
   "device": {"id": 1, "url": "/api/dcim/devices/1/", "display": "c9300", "name": "c9300"},
   "vdcs": [], "module": null, "name": "GigabitEthernet1/0/2", "label": "",
   "type": {"value": "1000base-t", "label": "1000BASE-T (1GE)"}, "enabled": true, "parent": null,
   "mtu": null, "mgmt_only": false, "description": "Webhook function completed!", "mode": null,
   "untagged_vlan": null, "tagged_vlans": [], "tags": [],
   "custom_fields": {"change_ticket_number": "1234"}, "created": "2023-05-27T14:53:43.715118Z",
   "last_updated": "2023-05-30T12:06:26.042767Z", "count_ipaddresses": 1, "count_fhrp_groups": 0,
   "_occupied": false},
 "snapshots": {
   "prechange": {"created": "2023-05-27T14:53:43.715Z", "last_updated": "2023-05-30T12:04:31.607Z",
     "device": 1, "name": "GigabitEthernet1/0/2", "description": "Webhook function completed!",
     "enabled": true, "mtu": null, "mode": "tagged", "type": "1000base-t", "untagged_vlan": null,
     "tagged_vlans": [], "custom_fields": {"change_ticket_number": null}, "tags": []},
   "postchange": {"created": "2023-05-27T14:53:43.715Z", "last_updated": "2023-05-30T12:06:26.042Z",
     "device": 1, "name": "GigabitEthernet1/0/2", "description": "Webhook function completed!",
     "enabled": true, "mtu": null, "mode": "", "type": "1000base-t", "untagged_vlan": null,
     "tagged_vlans": [], "custom_fields": {"change_ticket_number": "1234"}, "tags": []}}}"#;

#[test]
fn seed_003_webhook_body_parses_into_shared_structs() {
    let w: WebhookBody = serde_json::from_str(WEBHOOK_35).unwrap();
    assert_eq!(w.event.as_deref(), Some("updated"));
    assert_eq!(w.object_type().as_deref(), Some("dcim.interface"));
    assert_eq!(w.user().as_deref(), Some("developer"));
    assert_eq!(
        w.request_id().as_deref(),
        Some("a44aecb7-48c1-4159-856a-982d272cc522")
    );
    let i = w.interface().unwrap();
    assert_eq!(i.id, 3);
    assert_eq!(i.name, "GigabitEthernet1/0/2");
    assert_eq!(
        i.device.as_ref().and_then(|d| d.name.as_deref()),
        Some("c9300")
    );
    assert_eq!(i.change_ticket_number(), Some("1234"));
    assert_eq!(i.mode, None);
    assert_eq!(i.mtu, None);
    assert_eq!(i.kind.as_deref(), Some("1000base-t"));
    let s = w.snapshots.unwrap();
    assert_eq!(s.prechange.unwrap().mode(), Some("tagged"));
    let post = s.postchange.unwrap();
    assert_eq!(post.change_ticket_number(), Some("1234"));
    assert_eq!(post.mode(), None);
}

#[test]
fn webhook_of_47_reads_user_and_request_from_request_object() {
    let body = r#"{"event": "updated", "timestamp": "2026-11-23T15:53:10Z", "object_type": "dcim.interface",
        "request": {"id": "5a6eb2fc", "path": "/api/dcim/interfaces/3/", "method": "PATCH", "user": "admin"},
        "data": {"id": 3, "name": "Gi", "mode": {"value": "access", "label": "Access"},
                 "untagged_vlan": {"id": 7, "vid": 100, "name": "users"},
                 "tagged_vlans": [], "custom_fields": {"change_ticket_number": "  "}},
        "snapshots": {"prechange": null, "postchange": {}}}"#;
    let w: WebhookBody = serde_json::from_str(body).unwrap();
    assert_eq!(w.object_type().as_deref(), Some("dcim.interface"));
    assert_eq!(w.user().as_deref(), Some("admin"));
    assert_eq!(w.request_id().as_deref(), Some("5a6eb2fc"));
    let i = w.interface().unwrap();
    assert_eq!(i.mode.as_deref(), Some("access"));
    assert_eq!(i.untagged_vlan.as_ref().map(|v| v.vid), Some(100));
    assert_eq!(
        i.change_ticket_number(),
        None,
        "blank ticket numbers are no ticket"
    );
}

#[test]
fn device_mgmt_address_strips_prefix_or_uses_dns_or_is_none() {
    let d: Device = serde_json::from_str(
        r#"{"id": 1, "name": "c9300", "status": {"value": "active"}, "site": {"id": 1, "slug": "lab"},
            "device_role": {"id": 1, "slug": "access-switch"},
            "primary_ip4": {"id": 1, "address": "192.0.2.10/24", "dns_name": "c9300.lab.example"}}"#,
    )
    .unwrap();
    assert_eq!(
        d.mgmt_address(),
        Some(MgmtAddress::Ip([192, 0, 2, 10].into()))
    );
    assert_eq!(d.role.unwrap().slug.as_deref(), Some("access-switch"));
    let d: Device = serde_json::from_str(
        r#"{"id": 1, "primary_ip4": {"id": 1, "address": "garbage", "dns_name": "sw.example"}}"#,
    )
    .unwrap();
    assert_eq!(
        d.mgmt_address(),
        Some(MgmtAddress::Dns("sw.example".into()))
    );
    let d: Device = serde_json::from_str(r#"{"id": 1, "primary_ip4": null}"#).unwrap();
    assert_eq!(d.mgmt_address(), None);
}

#[test]
fn patch_body_writes_the_l2_triple_and_message() {
    let b = InterfacePatchBody {
        mode: Some(String::new()),
        untagged_vlan: Some(None),
        tagged_vlans: Some(vec![]),
        mtu: None,
        changelog_message: "chatops-bot: x".into(),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&b).unwrap(),
        serde_json::json!({"mode": "", "untagged_vlan": null, "tagged_vlans": [],
                           "changelog_message": "chatops-bot: x"})
    );
}

#[test]
fn hostile_shapes_do_not_panic() {
    for s in [
        "null",
        "[]",
        "{}",
        r#"{"id": -1}"#,
        r#"{"id": 1, "custom_fields": [1]}"#,
    ] {
        let _ = serde_json::from_str::<Interface>(s);
        let _ = serde_json::from_str::<ObjectChange>(s);
        let _ = serde_json::from_str::<WebhookBody>(s);
    }
}

#[test]
fn interface_tags_are_read_leniently() {
    let i: Interface = serde_json::from_str(
        r#"{"id": 3, "tags": [{"id": 1, "name": "Protected", "slug": "patchpanel-protected", "color": "f44336"},
                              {"id": 2}, 7, {"slug": "uplink"}]}"#,
    )
    .unwrap();
    assert_eq!(i.tags.len(), 2);
    assert_eq!(i.tags[0].name.as_deref(), Some("Protected"));
    assert!(i.has_tag("Patchpanel-Protected"));
    assert!(i.has_tag("uplink"));
    assert!(!i.has_tag(""));
    for tags in ["null", "\"x\"", "{}"] {
        let i: Interface =
            serde_json::from_str(&format!(r#"{{"id": 3, "tags": {tags}}}"#)).unwrap();
        assert!(i.tags.is_empty());
    }
}

#[test]
fn custom_fields_are_read_by_their_names_each_on_its_own() {
    // The constants are what `check` and the sweep filter name; the typed shapes must read the same keys.
    let d: Device = serde_json::from_value(serde_json::json!({"id": 1, "custom_fields": {
        PROFILE_FIELD: " IETF ", NETCONF_PORT_FIELD: "8300", "other": {"x": 1}}}))
    .unwrap();
    assert_eq!(d.profile_field().as_deref(), Some("ietf"));
    assert_eq!(d.netconf_port_field(), Some(8300));
    // One field of an unexpected type leaves the other readable.
    let d: Device = serde_json::from_value(serde_json::json!({"id": 1, "custom_fields": {
        PROFILE_FIELD: 7, NETCONF_PORT_FIELD: 830}}))
    .unwrap();
    assert_eq!(
        (d.profile_field(), d.netconf_port_field()),
        (None, Some(830))
    );
    for port in [
        serde_json::json!(0),
        serde_json::json!(70000),
        serde_json::json!(-1),
        serde_json::json!("x"),
        serde_json::json!([830]),
    ] {
        let d: Device = serde_json::from_value(
            serde_json::json!({"id": 1, "custom_fields": {NETCONF_PORT_FIELD: port}}),
        )
        .unwrap();
        assert_eq!(d.netconf_port_field(), None);
    }
    let i: Interface = serde_json::from_value(
        serde_json::json!({"id": 3, "custom_fields": {TICKET_FIELD: " CHG-9 ", "other": 1}}),
    )
    .unwrap();
    assert_eq!(i.change_ticket_number(), Some("CHG-9"));
    let i: Interface =
        serde_json::from_value(serde_json::json!({"id": 3, "custom_fields": {TICKET_FIELD: 12}}))
            .unwrap();
    assert_eq!(i.change_ticket_number(), None);
}
