//! The REST representations NetBox 4.7 answers: full objects, nested brief objects
//! (`{id, url, display, name, …}`) and change-log records. `base` is `http://host` of the request,
//! because NetBox builds absolute `url`s from the Host header.

use serde_json::{json, Value};

use super::model::{
    IpAddress, Netbox, ObjectChange, Vlan, NETCONF_PORT_FIELD, PROFILE_FIELD, TICKET_FIELD,
    TICKET_FIELD_ID,
};

fn family(address: &str) -> Value {
    if address.contains(':') {
        json!({"value": 6, "label": "IPv6"})
    } else {
        json!({"value": 4, "label": "IPv4"})
    }
}

fn simple(base: &str, path: &str, id: u64, name: &str, slug: &str) -> Value {
    json!({"id": id, "url": format!("{base}/api/{path}/{id}/"), "display": name,
           "name": name, "slug": slug, "description": ""})
}

pub fn site_brief(nb: &Netbox, base: &str, id: u64) -> Value {
    nb.site(id).map_or(Value::Null, |s| {
        simple(base, "dcim/sites", s.id, &s.name, &s.slug)
    })
}

pub fn device_brief(nb: &Netbox, base: &str, id: u64) -> Value {
    nb.device(id).map_or(Value::Null, |d| {
        json!({"id": d.id, "url": format!("{base}/api/dcim/devices/{}/", d.id),
               "display": d.name, "name": d.name, "description": ""})
    })
}

pub fn vlan_brief(nb: &Netbox, base: &str, id: u64) -> Value {
    nb.vlan(id).map_or(Value::Null, |v| {
        json!({"id": v.id, "url": format!("{base}/api/ipam/vlans/{}/", v.id),
               "display": format!("{} ({})", v.name, v.vid), "vid": v.vid, "name": v.name,
               "description": ""})
    })
}

pub fn interface_brief(nb: &Netbox, base: &str, id: u64) -> Value {
    nb.interface(id).map_or(Value::Null, |i| {
        json!({"id": i.id, "url": format!("{base}/api/dcim/interfaces/{}/", i.id),
               "display": i.name, "device": device_brief(nb, base, i.device), "name": i.name,
               "description": i.description, "cable": null, "_occupied": false})
    })
}

pub fn ip_brief(nb: &Netbox, base: &str, id: u64) -> Value {
    nb.ip(id).map_or(Value::Null, |ip| {
        json!({"id": ip.id, "url": format!("{base}/api/ipam/ip-addresses/{}/", ip.id),
               "display": ip.address, "family": family(&ip.address), "address": ip.address,
               "dns_name": ip.dns_name, "description": ip.description})
    })
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "1000base-t" => "1000BASE-T (1GE)",
        "virtual" => "Virtual",
        _ => "Other",
    }
}

fn mode_label(mode: &str) -> &'static str {
    match mode {
        "access" => "Access",
        "tagged" => "Tagged",
        "tagged-all" => "Tagged (All)",
        "q-in-q" => "Q-in-Q (802.1ad)",
        _ => "",
    }
}

pub fn interface(nb: &Netbox, base: &str, id: u64) -> Value {
    let Some(i) = nb.interface(id) else {
        return Value::Null;
    };
    let mode = i
        .mode
        .as_deref()
        .map_or(Value::Null, |m| json!({"value": m, "label": mode_label(m)}));
    let tagged: Vec<Value> = i
        .tagged_vlans
        .iter()
        .map(|v| vlan_brief(nb, base, *v))
        .collect();
    let head = json!({
        "id": i.id, "url": format!("{base}/api/dcim/interfaces/{}/", i.id), "display": i.name,
        "device": device_brief(nb, base, i.device), "vdcs": [], "module": null, "name": i.name,
        "label": "", "type": {"value": i.kind, "label": kind_label(&i.kind)},
        "enabled": i.enabled, "parent": null, "bridge": null, "lag": null, "mtu": i.mtu,
    });
    let rest = json!({
        "mac_address": null, "primary_mac_address": null, "mac_addresses": [], "speed": null,
        "duplex": null, "wwn": null, "mgmt_only": i.mgmt_only, "description": i.description,
        "mode": mode, "rf_role": null, "rf_channel": null, "poe_mode": null, "poe_type": null,
        "rf_channel_frequency": null, "rf_channel_width": null, "tx_power": null,
    });
    let l2 = json!({
        "untagged_vlan": i.untagged_vlan.map_or(Value::Null, |v| vlan_brief(nb, base, v)),
        "tagged_vlans": tagged, "qinq_svlan": null, "vlan_translation_policy": null,
        "mark_connected": false, "cable": null, "cable_end": "", "wireless_link": null,
        "link_peers": [], "link_peers_type": null, "wireless_lans": [], "vrf": null,
        "l2vpn_termination": null, "connected_endpoints": null,
        "connected_endpoints_type": null, "connected_endpoints_reachable": null, "owner": null,
        "tags": tags(base, &i.tags), "custom_fields": i.custom_fields, "created": i.created,
        "last_updated": i.last_updated, "count_ipaddresses": nb.ip_count(i.id),
        "count_fhrp_groups": 0, "_occupied": false,
    });
    merge(merge(head, rest), l2)
}

/// `a` with `b`'s keys added (json! literals this wide exceed the macro recursion limit).
fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

pub fn device(nb: &Netbox, base: &str, id: u64) -> Value {
    let Some(d) = nb.device(id) else {
        return Value::Null;
    };
    let ip4 = d
        .primary_ip4
        .map_or(Value::Null, |ip| ip_brief(nb, base, ip));
    let mut device_type = simple(base, "dcim/device-types", 1, "C9300-48P", "c9300-48p");
    device_type["model"] = json!("C9300-48P");
    device_type["manufacturer"] = simple(base, "dcim/manufacturers", 1, "Cisco", "cisco");
    let head = json!({
        "id": d.id, "url": format!("{base}/api/dcim/devices/{}/", d.id), "display": d.name,
        "name": d.name, "device_type": device_type,
        "role": simple(base, "dcim/device-roles", 1, "Access switch", "access-switch"),
        "tenant": null,
        "platform": d.platform.map_or(Value::Null, |p| {
            simple(base, "dcim/platforms", p, "Cisco IOS XE", "cisco-ios-xe")
        }),
        "serial": "", "asset_tag": null, "site": site_brief(nb, base, d.site), "location": null,
        "rack": null, "position": null, "face": null, "latitude": null, "longitude": null,
    });
    let rest = json!({
        "parent_device": null, "status": {"value": "active", "label": "Active"},
        "airflow": null, "primary_ip": ip4, "primary_ip4": ip4, "primary_ip6": null,
        "oob_ip": null, "cluster": null, "virtual_chassis": null, "vc_position": null,
        "vc_priority": null, "description": "", "comments": "", "config_template": null,
        "config_context": {}, "local_context_data": null, "tags": [],
        "custom_fields": d.custom_fields,
        "created": d.created, "last_updated": d.last_updated,
        "interface_count": nb.interfaces.iter().filter(|i| i.device == d.id).count(),
    });
    merge(head, rest)
}

pub fn vlan(nb: &Netbox, base: &str, v: &Vlan) -> Value {
    json!({
        "id": v.id, "url": format!("{base}/api/ipam/vlans/{}/", v.id),
        "display": format!("{} ({})", v.name, v.vid),
        "site": v.site.map_or(Value::Null, |s| site_brief(nb, base, s)), "group": null,
        "vid": v.vid, "name": v.name, "tenant": null,
        "status": {"value": "active", "label": "Active"}, "role": null, "description": "",
        "qinq_role": null, "qinq_svlan": null, "comments": "", "l2vpn_termination": null,
        "tags": [], "custom_fields": {}, "prefix_count": 0,
    })
}

pub fn ip(nb: &Netbox, base: &str, ip: &IpAddress) -> Value {
    let status_label = {
        let mut c = ip.status.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect::<String>())
            .unwrap_or_default()
    };
    json!({
        "id": ip.id, "url": format!("{base}/api/ipam/ip-addresses/{}/", ip.id),
        "display": ip.address, "family": family(&ip.address), "address": ip.address,
        "vrf": null, "tenant": null, "status": {"value": ip.status, "label": status_label},
        "role": null, "assigned_object_type": ip.interface.map(|_| "dcim.interface"),
        "assigned_object_id": ip.interface,
        "assigned_object": ip.interface.map_or(Value::Null, |i| interface_brief(nb, base, i)),
        "nat_inside": null, "nat_outside": [], "dns_name": ip.dns_name,
        "description": ip.description, "comments": "", "tags": [], "custom_fields": {},
        "created": ip.created, "last_updated": ip.last_updated,
    })
}

/// The custom fields as seeded: id 1 `change_ticket_number` (text, interfaces), 2
/// `patchpanel_profile` (text, devices), 3 `netconf_port` (integer, devices).
/// The custom fields; `ticket_required` is the `required` flag of `change_ticket_number`.
pub fn custom_fields(base: &str, ticket_required: bool) -> Vec<Value> {
    let mut ticket = custom_field(
        base,
        TICKET_FIELD_ID,
        TICKET_FIELD,
        "Change ticket number",
        "text",
        "dcim.interface",
        "exact",
    );
    ticket["required"] = Value::Bool(ticket_required);
    vec![
        ticket,
        custom_field(
            base,
            2,
            PROFILE_FIELD,
            "patchpanel profile",
            "text",
            "dcim.device",
            "loose",
        ),
        custom_field(
            base,
            3,
            NETCONF_PORT_FIELD,
            "NETCONF port",
            "integer",
            "dcim.device",
            "loose",
        ),
    ]
}

fn custom_field(
    base: &str,
    id: u64,
    name: &str,
    label: &str,
    kind: &str,
    object_type: &str,
    filter_logic: &str,
) -> Value {
    let (kind_label, data_type) = match kind {
        "integer" => ("Integer", "integer"),
        _ => ("Text", "string"),
    };
    let filter_label = match filter_logic {
        "exact" => "Exact",
        _ => "Loose",
    };
    json!({
        "id": id, "url": format!("{base}/api/extras/custom-fields/{id}/"),
        "display": label, "object_types": [object_type],
        "type": {"value": kind, "label": kind_label}, "related_object_type": null,
        "data_type": data_type, "name": name,
        "label": label, "group_name": "", "description": "",
        "required": false, "unique": false, "search_weight": 1000,
        "filter_logic": {"value": filter_logic, "label": filter_label},
        "ui_visible": {"value": "always", "label": "Always"},
        "ui_editable": {"value": "yes", "label": "Yes"}, "is_cloneable": false,
        "default": null, "related_object_filter": null, "weight": 100,
        "validation_minimum": null, "validation_maximum": null, "validation_regex": "",
        "choice_set": null, "comments": "", "tags": [],
    })
}

pub fn object_change(nb: &Netbox, base: &str, c: &ObjectChange) -> Value {
    let changed = match c.object_type {
        "dcim.interface" => interface_brief(nb, base, c.object_id),
        "ipam.ipaddress" => ip_brief(nb, base, c.object_id),
        _ => Value::Null,
    };
    json!({
        "id": c.id, "url": format!("{base}/api/core/object-changes/{}/", c.id),
        "display": format!("{} {} by {}", c.object_repr, c.action.label().to_lowercase(), c.user_name),
        "time": c.time,
        "user": {"id": c.user_id, "url": format!("{base}/api/users/users/{}/", c.user_id),
                 "display": c.user_name, "username": c.user_name},
        "user_name": c.user_name, "request_id": c.request_id,
        "action": {"value": c.action.value(), "label": c.action.label()},
        "changed_object_type": c.object_type, "changed_object_id": c.object_id,
        "changed_object": changed, "object_repr": c.object_repr, "message": c.message,
        "prechange_data": c.prechange, "postchange_data": c.postchange,
    })
}

/// Everything, for `GET /_sim/state`.
pub fn state(nb: &Netbox, base: &str) -> Value {
    json!({
        "sites": nb.sites.iter().map(|s| site_brief(nb, base, s.id)).collect::<Vec<_>>(),
        "devices": nb.devices.iter().map(|d| device(nb, base, d.id)).collect::<Vec<_>>(),
        "interfaces": nb.interfaces.iter().map(|i| interface(nb, base, i.id)).collect::<Vec<_>>(),
        "vlans": nb.vlans.iter().map(|v| vlan(nb, base, v)).collect::<Vec<_>>(),
        "ip_addresses": nb.ips.iter().map(|i| ip(nb, base, i)).collect::<Vec<_>>(),
        "custom_fields": custom_fields(base, nb.ticket_required),
        "object_changes": nb.changes.iter().map(|c| object_change(nb, base, c)).collect::<Vec<_>>(),
    })
}

/// Nested tags as NetBox renders them on an object.
fn tags(base: &str, ids: &[u64]) -> Value {
    let (id, name, slug) = super::model::TAG_PROTECTED;
    Value::Array(
        ids.iter()
            .filter(|t| **t == id)
            .map(|_| {
                json!({"id": id, "url": format!("{base}/api/extras/tags/{id}/"), "display": name,
                       "name": name, "slug": slug, "color": "9e9e9e"})
            })
            .collect(),
    )
}
