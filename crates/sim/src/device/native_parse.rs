//! Reading an edited element tree back into the typed model, with the value checks of the native
//! model: MTU 64–18000, VLANs 1–4094 (single and lists), description length 0–200, IPv4 address and
//! contiguous mask, references to VRFs that exist, and `unknown-element` for anything the model does
//! not have. Every error carries the path of the offending node; range and length violations carry
//! the app tag the real servers give.

use super::edit::{self, Schema};
use super::error::{PathStep, YangError};
use super::model::{
    IfKind, Interface, Ipv4Primary, NativeConfig, Switchport, NS_ETHERNET, NS_IP, NS_NATIVE,
    NS_SWITCH,
};
use super::render_xml;
use super::xmltree::Element;
use std::net::Ipv4Addr;

/// Cisco-IOS-XE-interfaces (`interface-common-grouping`): `leaf mtu { type uint16 { range
/// "64..18000"; } }` for every platform; a Catalyst 9300 takes less (`platform::PORT_MTU`).
pub const MTU_RANGE: std::ops::RangeInclusive<u16> = 64..=18000;
pub const VLAN_RANGE: std::ops::RangeInclusive<u16> = 1..=4094;
/// The same grouping: `leaf description { type string { length "0..200"; } }` since the module's
/// 2020-11-11 revision ("Updated interface description to 200 chars").
pub const DESCRIPTION_MAX: usize = 200;

/// The native model's list keys and mutually exclusive choices, for the edit engine.
pub const SCHEMA: Schema = Schema {
    keys: render_xml::list_keys,
    exclusive,
};

/// The cases of `switchport mode` exclude each other.
fn exclusive(parent: &Element, child: &Element) -> &'static [&'static str] {
    match (
        parent.ns.as_str(),
        parent.name.as_str(),
        child.name.as_str(),
    ) {
        (NS_SWITCH, "mode", "access") => &["trunk"],
        (NS_SWITCH, "mode", "trunk") => &["access"],
        _ => &[],
    }
}

/// `unknown-element`, or `unknown-namespace` for a namespace no served module has.
pub(super) fn unknown(e: &Element, parent: &[PathStep]) -> YangError {
    let mut path = parent.to_vec();
    path.push(PathStep::new(&e.ns, &e.name));
    if super::error::module_of(&e.ns).is_none() {
        return YangError::protocol("unknown-namespace", format!("unknown namespace {:?}", e.ns))
            .with_info("bad-element", &e.name)
            .with_info("bad-namespace", &e.ns);
    }
    YangError::application("unknown-element", format!("unknown element {}", e.name))
        .at(&path)
        .with_info("bad-element", &e.name)
}

/// `error-app-tag` of a value outside its type's `range` or `length`. RFC 7950 §15 names app tags
/// only for unique, min/max-elements, must, require-instance, a mandatory choice and insert; for a
/// range or length the model may give one (the `error-app-tag` substatement), and the native model
/// does not, so the tag is the server's own. yuma123 netconfd answers `not-in-range` for both (the
/// conformance tests compare), and so does the simulator.
pub const OUT_OF_RANGE: &str = "not-in-range";

pub(super) fn invalid(path: &[PathStep], value: &str, why: &str) -> YangError {
    let leaf = path.last().map(|p| p.name.clone()).unwrap_or_default();
    YangError::application("invalid-value", format!("{value:?} {why}"))
        .at(path)
        .with_info("bad-element", leaf)
}

/// A leaf's text; a leaf given children is an invalid value.
pub(super) fn leaf_text(e: &Element, path: &[PathStep]) -> Result<String, YangError> {
    if e.children.is_empty() {
        Ok(e.text.trim().to_owned())
    } else {
        Err(invalid(
            path,
            &e.name,
            "must be a leaf value, not a container",
        ))
    }
}

pub(super) fn with(path: &[PathStep], step: PathStep) -> Vec<PathStep> {
    let mut p = path.to_vec();
    p.push(step);
    p
}

pub(super) fn parse_u16(
    e: &Element,
    path: &[PathStep],
    range: std::ops::RangeInclusive<u16>,
) -> Result<u16, YangError> {
    let text = leaf_text(e, path)?;
    match text.parse::<u32>() {
        Ok(v) if v <= u32::from(u16::MAX) && range.contains(&(v as u16)) => Ok(v as u16),
        Ok(_) => Err(invalid(
            path,
            &text,
            &format!("is out of range {}..{}", range.start(), range.end()),
        )
        .with_app_tag(OUT_OF_RANGE)),
        Err(_) => Err(invalid(path, &text, "is not a valid integer")),
    }
}

pub(super) fn parse_bool(e: &Element, path: &[PathStep]) -> Result<bool, YangError> {
    match leaf_text(e, path)?.as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(invalid(path, other, "is not a boolean")),
    }
}

pub(super) fn parse_empty(e: &Element, path: &[PathStep]) -> Result<(), YangError> {
    if e.children.is_empty() && e.text.trim().is_empty() {
        Ok(())
    } else {
        Err(invalid(path, e.text.trim(), "must be empty (type empty)"))
    }
}

pub(super) fn parse_description(e: &Element, path: &[PathStep]) -> Result<String, YangError> {
    if !e.children.is_empty() {
        return Err(invalid(
            path,
            &e.name,
            "must be a leaf value, not a container",
        ));
    }
    // Keep inner spaces; surrounding whitespace is XML indentation.
    let d = e.text.trim().to_owned();
    if d.chars().count() > DESCRIPTION_MAX {
        return Err(YangError::application(
            "invalid-value",
            format!("description is longer than {DESCRIPTION_MAX} characters"),
        )
        .with_app_tag(OUT_OF_RANGE)
        .at(path)
        .with_info("bad-element", "description"));
    }
    Ok(d)
}

pub(super) fn parse_native_interface(
    kind: IfKind,
    name: &str,
    el: &Element,
    existing: Option<&Interface>,
    cfg: &NativeConfig,
    path: &[PathStep],
) -> Result<Interface, YangError> {
    let mut iface = Interface::blank(kind, name);
    iface.negotiation_auto = None;
    iface.link_up = existing.map(|i| i.link_up).unwrap_or(true);
    for c in &el.children {
        let p = with(path, PathStep::new(&c.ns, &c.name));
        match (c.ns.as_str(), c.name.as_str()) {
            (NS_NATIVE, "name") => {}
            (NS_NATIVE, "description") => iface.description = Some(parse_description(c, &p)?),
            (NS_NATIVE, "shutdown") => {
                parse_empty(c, &p)?;
                iface.shutdown = true;
            }
            (NS_NATIVE, "mtu") => iface.mtu = Some(parse_u16(c, &p, MTU_RANGE)?),
            (NS_NATIVE, "switchport-conf") if kind.is_physical() => {
                for s in &c.children {
                    let sp = with(&p, PathStep::new(&s.ns, &s.name));
                    if s.is(NS_NATIVE, "switchport") {
                        iface.routed = !parse_bool(s, &sp)?;
                    } else {
                        return Err(unknown(s, &p));
                    }
                }
            }
            (NS_NATIVE, "switchport-config") if kind.is_physical() => {
                for s in &c.children {
                    if s.is(NS_NATIVE, "switchport") {
                        iface.switchport =
                            parse_switchport(s, &with(&p, PathStep::new(NS_NATIVE, "switchport")))?;
                    } else {
                        return Err(unknown(s, &p));
                    }
                }
            }
            (NS_NATIVE, "vrf") => {
                for v in &c.children {
                    let vp = with(&p, PathStep::new(&v.ns, &v.name));
                    if !v.is(NS_NATIVE, "forwarding") {
                        return Err(unknown(v, &p));
                    }
                    let vrf = leaf_text(v, &vp)?;
                    if !cfg.vrfs.iter().any(|d| d.name == vrf) {
                        return Err(YangError::application(
                            "data-missing",
                            format!("illegal reference: vrf definition {vrf:?} does not exist"),
                        )
                        .with_app_tag("instance-required")
                        .at(&vp));
                    }
                    iface.vrf = Some(vrf);
                }
            }
            (NS_NATIVE, "ip") => iface.ipv4 = parse_native_ip(c, &p)?,
            (NS_ETHERNET, "negotiation") if kind.is_physical() => {
                for a in &c.children {
                    let ap = with(&p, PathStep::new(&a.ns, &a.name));
                    if !a.is(NS_ETHERNET, "auto") {
                        return Err(unknown(a, &p));
                    }
                    iface.negotiation_auto = Some(parse_bool(a, &ap)?);
                }
            }
            _ => return Err(unknown(c, path)),
        }
    }
    Ok(iface)
}

pub(super) fn parse_native_ip(
    ip: &Element,
    path: &[PathStep],
) -> Result<Option<Ipv4Primary>, YangError> {
    let mut out = None;
    for a in &ip.children {
        let ap = with(path, PathStep::new(&a.ns, &a.name));
        if !a.is(NS_NATIVE, "address") {
            return Err(unknown(a, path));
        }
        for pr in &a.children {
            let pp = with(&ap, PathStep::new(&pr.ns, &pr.name));
            if !pr.is(NS_NATIVE, "primary") {
                return Err(unknown(pr, &ap));
            }
            let (mut addr, mut mask) = (None, None);
            for l in &pr.children {
                let lp = with(&pp, PathStep::new(&l.ns, &l.name));
                match (l.ns.as_str(), l.name.as_str()) {
                    (NS_NATIVE, "address") => addr = Some(parse_ipv4(l, &lp)?),
                    (NS_NATIVE, "mask") => {
                        let m = parse_ipv4(l, &lp)?;
                        let bits = u32::from(m);
                        if bits.leading_ones() + bits.trailing_zeros() != 32 {
                            return Err(invalid(
                                &lp,
                                &m.to_string(),
                                "is not a contiguous netmask",
                            ));
                        }
                        mask = Some(m);
                    }
                    _ => return Err(unknown(l, &pp)),
                }
            }
            match (addr, mask) {
                (Some(address), Some(mask)) => out = Some(Ipv4Primary { address, mask }),
                (None, None) => {}
                _ => {
                    return Err(YangError::application(
                        "missing-element",
                        "a primary address needs both address and mask",
                    )
                    .at(&pp)
                    .with_info(
                        "bad-element",
                        if addr.is_none() { "address" } else { "mask" },
                    ))
                }
            }
        }
    }
    Ok(out)
}

pub(super) fn parse_ipv4(e: &Element, path: &[PathStep]) -> Result<Ipv4Addr, YangError> {
    let t = leaf_text(e, path)?;
    t.parse::<Ipv4Addr>()
        .map_err(|_| invalid(path, &t, "is not a valid IPv4 address"))
}

/// `10,20,30-40`, `all` or `none`, every VLAN in 1–4094 and ranges ascending.
pub fn valid_vlan_list(s: &str) -> bool {
    if s == "all" || s == "none" {
        return true;
    }
    let vlan = |t: &str| t.parse::<u16>().ok().filter(|v| VLAN_RANGE.contains(v));
    !s.is_empty()
        && s.split(',').all(|part| match part.split_once('-') {
            Some((a, b)) => matches!((vlan(a), vlan(b)), (Some(a), Some(b)) if a < b),
            None => vlan(part).is_some(),
        })
}

pub(super) fn parse_switchport(
    sw: &Element,
    path: &[PathStep],
) -> Result<Option<Switchport>, YangError> {
    let (mut mode, mut access, mut allowed, mut native) = (None::<&str>, None, None, None);
    for c in &sw.children {
        let p = with(path, PathStep::new(&c.ns, &c.name));
        match (c.ns.as_str(), c.name.as_str()) {
            (NS_SWITCH, "mode") => {
                for m in &c.children {
                    match (m.ns.as_str(), m.name.as_str()) {
                        (NS_SWITCH, "access") => mode = Some("access"),
                        (NS_SWITCH, "trunk") => mode = Some("trunk"),
                        _ => return Err(unknown(m, &p)),
                    }
                }
            }
            (NS_SWITCH, "access") => {
                for v in &c.children {
                    let vp = with(&p, PathStep::new(&v.ns, &v.name));
                    if !v.is(NS_SWITCH, "vlan") {
                        return Err(unknown(v, &p));
                    }
                    for l in &v.children {
                        let lp = with(&vp, PathStep::new(&l.ns, &l.name));
                        if !l.is(NS_SWITCH, "vlan") {
                            return Err(unknown(l, &vp));
                        }
                        access = Some(parse_u16(l, &lp, VLAN_RANGE)?);
                    }
                }
            }
            (NS_SWITCH, "trunk") => {
                for t in &c.children {
                    let tp = with(&p, PathStep::new(&t.ns, &t.name));
                    match (t.ns.as_str(), t.name.as_str()) {
                        (NS_SWITCH, "allowed") => {
                            for v in &t.children {
                                let vp = with(&tp, PathStep::new(&v.ns, &v.name));
                                if !v.is(NS_SWITCH, "vlan") {
                                    return Err(unknown(v, &tp));
                                }
                                for l in &v.children {
                                    let lp = with(&vp, PathStep::new(&l.ns, &l.name));
                                    if !l.is(NS_SWITCH, "vlans") {
                                        return Err(unknown(l, &vp));
                                    }
                                    let list = leaf_text(l, &lp)?;
                                    if !valid_vlan_list(&list) {
                                        return Err(invalid(
                                            &lp,
                                            &list,
                                            "is not a VLAN list in 1..4094",
                                        ));
                                    }
                                    allowed = Some(list);
                                }
                            }
                        }
                        (NS_SWITCH, "native") => {
                            for v in &t.children {
                                let vp = with(&tp, PathStep::new(&v.ns, &v.name));
                                if !v.is(NS_SWITCH, "vlan") {
                                    return Err(unknown(v, &tp));
                                }
                                for l in &v.children {
                                    let lp = with(&vp, PathStep::new(&l.ns, &l.name));
                                    if !l.is(NS_SWITCH, "vlan-id") {
                                        return Err(unknown(l, &vp));
                                    }
                                    native = Some(parse_u16(l, &lp, VLAN_RANGE)?);
                                }
                            }
                        }
                        _ => return Err(unknown(t, &p)),
                    }
                }
            }
            _ => return Err(unknown(c, path)),
        }
    }
    let trunk = || Switchport::Trunk {
        allowed_vlans: allowed.clone(),
        native_vlan: native,
    };
    Ok(match mode {
        Some("trunk") => Some(trunk()),
        Some(_) => Some(Switchport::Access { vlan: access }),
        None if access.is_some() => Some(Switchport::Access { vlan: access }),
        None if allowed.is_some() || native.is_some() => Some(trunk()),
        None => None,
    })
}

pub(super) fn parse_ietf_ipv4(
    v4: &Element,
    path: &[PathStep],
) -> Result<Option<Ipv4Primary>, YangError> {
    let mut out = None;
    for a in &v4.children {
        let ap = with(path, edit::step_of(a, &SCHEMA));
        if !a.is(NS_IP, "address") {
            return Err(unknown(a, path));
        }
        if out.is_some() {
            return Err(invalid(
                &ap,
                "address",
                "is a second address; this device takes one",
            ));
        }
        let (mut ip, mut mask) = (None, None);
        for l in &a.children {
            let lp = with(&ap, PathStep::new(&l.ns, &l.name));
            match (l.ns.as_str(), l.name.as_str()) {
                (NS_IP, "ip") => ip = Some(parse_ipv4(l, &lp)?),
                (NS_IP, "prefix-length") => {
                    let len = parse_u16(l, &lp, 0..=32)?;
                    mask = Some(Ipv4Addr::from(
                        u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0),
                    ));
                }
                (NS_IP, "netmask") => mask = Some(parse_ipv4(l, &lp)?),
                _ => return Err(unknown(l, &ap)),
            }
        }
        match (ip, mask) {
            (Some(address), Some(mask)) => out = Some(Ipv4Primary { address, mask }),
            _ => {
                return Err(YangError::application(
                    "missing-element",
                    "an address needs ip and prefix-length",
                )
                .at(&ap))
            }
        }
    }
    Ok(out)
}
