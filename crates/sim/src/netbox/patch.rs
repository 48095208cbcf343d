//! Write validation as NetBox does it: field errors first (all of them at once, keyed by field),
//! then the model's cross-field rules. Pure: takes the database and the body, returns the new
//! object or the 400 body.

use crate::refusal::Refusal;
use std::net::IpAddr;

use serde_json::{Map, Value};

use super::model::{Interface, IpAddress, Netbox, TAG_PROTECTED, TICKET_FIELD};

/// A NetBox 400 body: `{"field": ["message", …]}` (custom fields use a plain string per field).
pub type FieldErrors = Map<String, Value>;

const MODES: [&str; 4] = ["access", "tagged", "tagged-all", "q-in-q"];
const IP_STATUSES: [&str; 6] = [
    "active",
    "reserved",
    "deprecated",
    "dhcp",
    "slaac",
    "offline",
];

fn push(errs: &mut FieldErrors, field: &str, msg: String) {
    let entry = errs
        .entry(field.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = entry {
        list.push(Value::String(msg));
    }
}

fn body_object(body: &Value) -> Result<&Map<String, Value>, FieldErrors> {
    body.as_object().ok_or_else(|| {
        let kind = match body {
            Value::Array(_) => "list",
            Value::String(_) => "str",
            Value::Number(_) => "int",
            Value::Bool(_) => "bool",
            _ => "NoneType",
        };
        let mut e = FieldErrors::new();
        push(
            &mut e,
            "non_field_errors",
            format!("Invalid data. Expected a dictionary, but got {kind}."),
        );
        e
    })
}

/// The column NetBox stores `changelog_message` in (`varchar(200)`).
pub const CHANGELOG_MESSAGE_COLUMN: usize = 200;

/// What PostgreSQL says when a value does not fit its `varchar(200)` column.
pub const VALUE_TOO_LONG: &str = "value too long for type character varying(200)";

/// The `changelog_message` a write carries (write-only; `""` when absent). Its length is not
/// validated here: NetBox 4.7.3 does not either, and the database refuses a longer one when the
/// change record is saved (a 500, see `fits_column`).
pub fn changelog_message(body: &Value) -> Result<String, FieldErrors> {
    match body.get("changelog_message") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => {
            let mut e = FieldErrors::new();
            push(&mut e, "changelog_message", "Not a valid string.".into());
            Err(e)
        }
    }
}

/// Whether a `changelog_message` fits its database column (NetBox counts characters).
pub fn fits_column(message: &str) -> bool {
    message.chars().count() <= CHANGELOG_MESSAGE_COLUMN
}

/// Whether a PATCH body clears `change_ticket_number` (sets it to null or empty).
pub fn clears_ticket(body: &Value) -> bool {
    body.get("custom_fields")
        .and_then(|cf| cf.get(TICKET_FIELD))
        .is_some_and(|v| v.is_null() || v.as_str() == Some(""))
}

/// Resolves a tag given as an id or as a `{"name"|"slug": …}` lookup (only the seeded tag exists).
fn tag_ref(v: &Value) -> Result<u64, Refusal> {
    let (id, name, slug) = TAG_PROTECTED;
    let found = match v {
        Value::Number(n) => n.as_u64() == Some(id),
        Value::Object(q) => {
            !q.is_empty()
                && q.iter().all(|(k, v)| match k.as_str() {
                    "name" => v.as_str() == Some(name),
                    "slug" => v.as_str() == Some(slug),
                    "id" => v.as_u64() == Some(id),
                    _ => false,
                })
        }
        _ => false,
    };
    if found {
        Ok(id)
    } else {
        Err(Refusal(format!(
            "Related object not found using the provided attributes: {v}"
        )))
    }
}

/// Resolves a related VLAN given as an id or as a `{"vid", "site": {"slug"}}` lookup.
fn vlan_ref(nb: &Netbox, v: &Value) -> Result<u64, Refusal> {
    match v {
        Value::Number(n) => {
            let id = n
                .as_u64()
                .ok_or_else(|| Refusal(format!("Invalid pk \"{n}\" - object does not exist.")))?;
            nb.vlan(id)
                .map(|v| v.id)
                .ok_or_else(|| Refusal(format!("Invalid pk \"{id}\" - object does not exist.")))
        }
        Value::Object(q) => {
            let vid = q.get("vid").and_then(Value::as_u64);
            let slug = q
                .get("site")
                .and_then(|s| s.get("slug"))
                .and_then(Value::as_str);
            let hits: Vec<u64> = nb
                .vlans
                .iter()
                .filter(|v| vid.map_or(true, |x| u64::from(v.vid) == x))
                .filter(|v| {
                    q.get("name")
                        .and_then(Value::as_str)
                        .map_or(true, |n| v.name == n)
                })
                .filter(|v| {
                    slug.map_or(true, |s| {
                        v.site
                            .and_then(|id| nb.site(id))
                            .is_some_and(|site| site.slug == s)
                    })
                })
                .map(|v| v.id)
                .collect();
            match hits.as_slice() {
                [one] => Ok(*one),
                [] => Err(Refusal(format!(
                    "Related object not found using the provided attributes: {}",
                    Value::Object(q.clone())
                ))),
                _ => Err(Refusal(format!(
                    "Multiple objects match the provided attributes: {}",
                    Value::Object(q.clone())
                ))),
            }
        }
        Value::String(_) => Err("Incorrect type. Expected pk value, received str.".into()),
        _ => Err("Incorrect type. Expected pk value.".into()),
    }
}

/// Applies a PATCH body to an interface. Unknown and read-only keys are ignored, as DRF does.
pub fn apply_interface(
    nb: &Netbox,
    cur: &Interface,
    body: &Value,
) -> Result<Interface, FieldErrors> {
    let obj = body_object(body)?;
    let mut errs = FieldErrors::new();
    let mut new = cur.clone();
    if let Some(v) = obj.get("description") {
        match v {
            Value::String(s) if s.chars().count() <= 200 => new.description = s.clone(),
            Value::String(_) => push(
                &mut errs,
                "description",
                "Ensure this field has no more than 200 characters.".into(),
            ),
            Value::Null => push(
                &mut errs,
                "description",
                "This field may not be null.".into(),
            ),
            _ => push(&mut errs, "description", "Not a valid string.".into()),
        }
    }
    if let Some(v) = obj.get("enabled") {
        match v {
            Value::Bool(b) => new.enabled = *b,
            _ => push(&mut errs, "enabled", "Must be a valid boolean.".into()),
        }
    }
    if let Some(v) = obj.get("mtu") {
        match v {
            Value::Null => new.mtu = None,
            Value::Number(n) => match n.as_i64() {
                Some(x) if x < 1 => push(
                    &mut errs,
                    "mtu",
                    "Ensure this value is greater than or equal to 1.".into(),
                ),
                Some(x) if x > 65536 => push(
                    &mut errs,
                    "mtu",
                    "Ensure this value is less than or equal to 65536.".into(),
                ),
                Some(x) => new.mtu = u32::try_from(x).ok(),
                None => push(&mut errs, "mtu", "A valid integer is required.".into()),
            },
            _ => push(&mut errs, "mtu", "A valid integer is required.".into()),
        }
    }
    if let Some(v) = obj.get("mode") {
        match v {
            Value::Null => new.mode = None,
            Value::String(s) if s.is_empty() => new.mode = None,
            Value::String(s) if MODES.contains(&s.as_str()) => new.mode = Some(s.clone()),
            other => {
                let shown = other
                    .as_str()
                    .map_or_else(|| other.to_string(), str::to_owned);
                push(
                    &mut errs,
                    "mode",
                    format!("\"{shown}\" is not a valid choice."),
                );
            }
        }
    }
    if let Some(v) = obj.get("untagged_vlan") {
        match v {
            Value::Null => new.untagged_vlan = None,
            v => match vlan_ref(nb, v) {
                Ok(id) => new.untagged_vlan = Some(id),
                Err(m) => push(&mut errs, "untagged_vlan", m.0),
            },
        }
    }
    if let Some(v) = obj.get("tagged_vlans") {
        match v {
            Value::Array(items) => {
                let mut ids = Vec::new();
                for item in items {
                    match vlan_ref(nb, item) {
                        Ok(id) if !ids.contains(&id) => ids.push(id),
                        Ok(_) => {}
                        Err(m) => push(&mut errs, "tagged_vlans", m.0),
                    }
                }
                new.tagged_vlans = ids;
            }
            Value::Null => push(
                &mut errs,
                "tagged_vlans",
                "This field may not be null.".into(),
            ),
            _ => push(
                &mut errs,
                "tagged_vlans",
                "Expected a list of items but got type \"dict\".".into(),
            ),
        }
    }
    if let Some(v) = obj.get("tags") {
        match v {
            Value::Array(items) => {
                let mut ids = Vec::new();
                for item in items {
                    match tag_ref(item) {
                        Ok(id) if !ids.contains(&id) => ids.push(id),
                        Ok(_) => {}
                        Err(m) => push(&mut errs, "tags", m.0),
                    }
                }
                new.tags = ids;
            }
            _ => push(
                &mut errs,
                "tags",
                "Expected a list of items but got type \"dict\".".into(),
            ),
        }
    }
    if let Some(v) = obj.get("custom_fields") {
        match v {
            Value::Object(cf) => {
                let mut cf_errs = Map::new();
                for (k, val) in cf {
                    if k != TICKET_FIELD {
                        cf_errs.insert(
                            k.clone(),
                            Value::String(format!(
                                "Custom field '{k}' does not exist for this object type."
                            )),
                        );
                    } else if val.is_string() || val.is_null() {
                        // Only the named custom field is touched; an empty text clears it.
                        let stored = match val {
                            Value::String(s) if s.is_empty() => Value::Null,
                            other => other.clone(),
                        };
                        new.custom_fields.insert(k.clone(), stored);
                    } else {
                        cf_errs.insert(k.clone(), Value::String("Value must be a string.".into()));
                    }
                }
                if !cf_errs.is_empty() {
                    errs.insert("custom_fields".into(), Value::Object(cf_errs));
                }
            }
            _ => push(
                &mut errs,
                "custom_fields",
                "Invalid data. Expected a dictionary.".into(),
            ),
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    check_required(nb, &new)?;
    check_l2(nb, &new)?;
    Ok(new)
}

/// A required custom field left empty fails the model's validation, for any write of the object
/// (what NetBox 4.7.3 answers, under `__all__`).
fn check_required(nb: &Netbox, i: &Interface) -> Result<(), FieldErrors> {
    let empty = i
        .custom_fields
        .get(TICKET_FIELD)
        .map_or(true, |v| v.is_null() || v.as_str() == Some(""));
    if nb.ticket_required && empty {
        let mut errs = FieldErrors::new();
        push(
            &mut errs,
            "__all__",
            format!(
                "Invalid value for custom field '{TICKET_FIELD}': Required field cannot be empty."
            ),
        );
        return Err(errs);
    }
    Ok(())
}

/// The model's cross-field rules on the merged interface (`Interface.clean()`).
fn check_l2(nb: &Netbox, i: &Interface) -> Result<(), FieldErrors> {
    let mut errs = FieldErrors::new();
    let dev_site = nb.device(i.device).map(|d| d.site);
    let foreign = |id: u64| {
        nb.vlan(id)
            .filter(|v| v.site.is_some() && v.site != dev_site)
            .map(|v| format!("{} ({})", v.name, v.vid))
    };
    if i.mode.is_none() && i.untagged_vlan.is_some() {
        push(
            &mut errs,
            "untagged_vlan",
            "Interface mode does not support untagged vlan".into(),
        );
    }
    if i.mode.as_deref() != Some("tagged") && !i.tagged_vlans.is_empty() {
        push(
            &mut errs,
            "tagged_vlans",
            "Interface mode does not support tagged vlans".into(),
        );
    }
    if let Some(shown) = i.untagged_vlan.and_then(foreign) {
        push(&mut errs, "untagged_vlan", format!(
            "The untagged VLAN ({shown}) must belong to the same site as the interface's parent device, or it must be global."
        ));
    }
    for shown in i.tagged_vlans.iter().filter_map(|id| foreign(*id)) {
        push(&mut errs, "tagged_vlans", format!(
            "The tagged VLAN ({shown}) must belong to the same site as the interface's parent device, or it must be global."
        ));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

/// `(host, prefix length)` of `a.b.c.d/len`; a missing mask is a host route.
pub fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (host, len) = match s.split_once('/') {
        Some((h, l)) => (h, Some(l)),
        None => (s, None),
    };
    let ip: IpAddr = host.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => l.parse::<u8>().ok().filter(|l| *l <= max)?,
        None => max,
    };
    Some((ip, len))
}

/// Applies a POST (when `cur` is `None`) or PATCH body to an IP address.
pub fn apply_ip(
    nb: &Netbox,
    cur: Option<&IpAddress>,
    body: &Value,
) -> Result<IpAddress, FieldErrors> {
    let obj = body_object(body)?;
    let mut errs = FieldErrors::new();
    let mut new = cur.cloned().unwrap_or(IpAddress {
        id: 0,
        address: String::new(),
        status: "active".into(),
        interface: None,
        description: String::new(),
        dns_name: String::new(),
        created: String::new(),
        last_updated: String::new(),
    });
    match obj.get("address") {
        Some(Value::String(s)) => match parse_cidr(s) {
            Some((ip, len)) => new.address = format!("{ip}/{len}"),
            None => push(
                &mut errs,
                "address",
                "Enter a valid IPv4 or IPv6 address with optional mask.".into(),
            ),
        },
        Some(_) => push(&mut errs, "address", "Not a valid string.".into()),
        None if cur.is_none() => push(&mut errs, "address", "This field is required.".into()),
        None => {}
    }
    if let Some(v) = obj.get("status") {
        match v.as_str() {
            Some(s) if IP_STATUSES.contains(&s) => new.status = s.to_owned(),
            _ => {
                let shown = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                push(
                    &mut errs,
                    "status",
                    format!("\"{shown}\" is not a valid choice."),
                );
            }
        }
    }
    for (key, field) in [
        ("description", &mut new.description),
        ("dns_name", &mut new.dns_name),
    ] {
        if let Some(v) = obj.get(key) {
            match v.as_str() {
                Some(s) if s.chars().count() <= 255 => *field = s.to_owned(),
                _ => push(&mut errs, key, "Not a valid string.".into()),
            }
        }
    }
    let kind = obj.get("assigned_object_type");
    if let Some(k) = kind {
        if !(k.is_null() || k.as_str() == Some("dcim.interface")) {
            push(
                &mut errs,
                "assigned_object_type",
                format!("Invalid content type: {k}"),
            );
        }
    }
    if let Some(v) = obj.get("assigned_object_id") {
        match v {
            Value::Null => new.interface = None,
            Value::Number(n) => match n.as_u64().and_then(|id| nb.interface(id)) {
                Some(i) => new.interface = Some(i.id),
                None => push(
                    &mut errs,
                    "assigned_object_id",
                    format!("Related object not found using the provided numeric ID: {n}"),
                ),
            },
            _ => push(
                &mut errs,
                "assigned_object_id",
                "A valid integer is required.".into(),
            ),
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let host = parse_cidr(&new.address).map(|(ip, _)| ip);
    let dup = nb
        .ips
        .iter()
        .any(|o| o.id != new.id && parse_cidr(&o.address).map(|(ip, _)| ip) == host);
    if dup {
        push(
            &mut errs,
            "address",
            format!(
                "Duplicate IP address found in global table: {}",
                new.address
            ),
        );
        return Err(errs);
    }
    Ok(new)
}

#[cfg(test)]
#[path = "patch_tests.rs"]
mod tests;
