//! RESTCONF writes (RFC 8040 §4.5–4.7) on the interface lists: PATCH (merge), PUT (replace; 201 when it
//! created the entry, else 204) and DELETE, with `application/yang-data+json` bodies. The write becomes
//! the same edit a NETCONF `<edit-config>` on running makes (rollback-on-error), so both protocols accept
//! and refuse the same values with the same error tags; errors come back as RFC 8040 error bodies.
//! Also `POST /restconf/operations/cisco-ia:save-config`.

use super::{resolve, Segment, YANG_JSON};
use crate::device::edit::{Op, Scope};
use crate::device::error::{ns_of_module, restconf_errors, YangError};
use crate::device::json_xml;
use crate::device::model::{IfKind, NS_IF, NS_NATIVE};
use crate::device::native_edit::ErrorOption;
use crate::device::ns::NS_BASE;
use crate::device::render_json;
use crate::device::signals::Origin;
use crate::device::state::{Target, TestOption, Who};
use crate::device::xmltree::Element;
use crate::device::Datastore;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

fn yang_json(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(YANG_JSON))],
        bytes,
    )
        .into_response()
}

fn errors(errors: &[YangError]) -> Response {
    let status = errors
        .first()
        .map(YangError::http_status)
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::BAD_REQUEST);
    yang_json(status, &restconf_errors(errors))
}

fn one(status: StatusCode, err: YangError) -> Response {
    yang_json(status, &restconf_errors(&[err]))
}

fn not_found() -> Response {
    one(
        StatusCode::NOT_FOUND,
        YangError::application("invalid-value", "uri keypath not found"),
    )
}

/// Whether the request body is JSON (`application/yang-data+json`, or plain `application/json`).
fn json_body(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|m| m == YANG_JSON || m == "application/json")
}

/// The namespace of every segment (module prefixes are inherited).
fn namespaces(segments: &[Segment]) -> Option<Vec<&'static str>> {
    let mut current: Option<&'static str> = None;
    segments
        .iter()
        .map(|s| {
            if let Some(m) = &s.module {
                current = Some(ns_of_module(m)?);
            }
            current
        })
        .collect()
}

/// Writes are allowed under one interface entry: `Cisco-IOS-XE-native:native/interface/{Type}={name}`
/// or `ietf-interfaces:interfaces/interface={name}`, and below.
fn writable(segments: &[Segment], ns: &[&str]) -> bool {
    let is = |i: usize, n: &str, name: &str| {
        segments.get(i).is_some_and(|s| s.name == name) && ns.get(i) == Some(&n)
    };
    let one_key = |i: usize| {
        segments
            .get(i)
            .and_then(|s| s.keys.as_ref())
            .is_some_and(|k| k.len() == 1)
    };
    let native_entry = is(0, NS_NATIVE, "native")
        && is(1, NS_NATIVE, "interface")
        && segments.get(2).is_some_and(|s| {
            IfKind::ALL.iter().any(|k| k.list_name() == s.name) && ns.get(2) == Some(&NS_NATIVE)
        })
        && one_key(2);
    let ietf_entry = is(0, NS_IF, "interfaces") && is(1, NS_IF, "interface") && one_key(1);
    let keyless_below = |from: usize| segments.iter().skip(from).all(|s| s.keys.is_none());
    (native_entry && keyless_below(3)) || (ietf_entry && keyless_below(2))
}

/// The element for a path step, with its key leaf.
fn step_element(seg: &Segment, ns: &str) -> Element {
    let mut e = Element::new(ns, &seg.name);
    if let Some(k) = seg.keys.as_ref().and_then(|k| k.first()) {
        e.push(Element::leaf(ns, "name", k.clone()));
    }
    e
}

fn bad_body(message: impl Into<String>) -> Response {
    one(
        StatusCode::BAD_REQUEST,
        YangError::protocol("invalid-value", message),
    )
}

/// PATCH, PUT or DELETE on `/restconf/data/{path}`.
pub fn write(
    store: &Datastore,
    origin: Origin,
    method: &Method,
    headers: &HeaderMap,
    segments: &[Segment],
    body: &[u8],
) -> Response {
    let Some(ns) = namespaces(segments) else {
        return not_found();
    };
    if !writable(segments, &ns) {
        let mut resp = one(
            StatusCode::METHOD_NOT_ALLOWED,
            YangError::protocol(
                "operation-not-supported",
                "this simulator writes only interface entries (native or ietf-interfaces)",
            ),
        );
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    let (Some(last), Some(last_ns)) = (segments.last(), ns.last().copied()) else {
        return not_found();
    };
    let exists = store.read(|cfg| resolve(&render_json::datastore(cfg), segments).is_some());
    let op = match *method {
        Method::PATCH => "merge",
        Method::PUT => "replace",
        _ => "delete",
    };
    if !exists && *method != Method::PUT {
        return not_found();
    }

    let mut targets = if *method == Method::DELETE {
        vec![step_element(last, last_ns)]
    } else {
        if !json_body(headers) {
            return one(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                YangError::protocol("invalid-value", "send application/yang-data+json"),
            );
        }
        let value: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                return one(
                    StatusCode::BAD_REQUEST,
                    YangError::protocol("malformed-message", format!("body is not JSON: {e}")),
                )
            }
        };
        let Some((name, inner)) = value
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.iter().next())
        else {
            return bad_body("the body must be one object member naming the target resource");
        };
        let local = name.rsplit_once(':').map_or(name.as_str(), |(_, l)| l);
        let module_ok = match name.split_once(':') {
            Some((m, _)) => ns_of_module(m) == Some(last_ns),
            None => false,
        };
        if local != last.name || !module_ok {
            return bad_body(format!(
                "body member {name:?} does not match the target resource {}",
                last.name
            ));
        }
        let mut es = match json_xml::member(name, inner, None) {
            Ok(es) => es,
            Err(e) => return errors(&[e]),
        };
        if let Some(key) = last.keys.as_ref().and_then(|k| k.first()) {
            if es.len() != 1 {
                return bad_body("a list entry resource takes exactly one entry");
            }
            let entry = &mut es[0];
            match entry.child(last_ns, "name").map(|n| n.text.clone()) {
                Some(k) if k == *key => {}
                Some(k) => {
                    return bad_body(format!(
                        "key {k:?} in the body does not match {key:?} in the URI"
                    ))
                }
                None => entry
                    .children
                    .insert(0, Element::leaf(last_ns, "name", key.clone())),
            }
        }
        es
    };
    for t in &mut targets {
        t.attrs.push(("xmlns:nc".into(), NS_BASE.into()));
        t.attrs.push(("nc:operation".into(), op.into()));
    }

    // Wrap the target in its ancestors, innermost first.
    let mut children = targets;
    for (seg, ns) in segments.iter().zip(&ns).rev().skip(1) {
        let mut e = step_element(seg, ns);
        e.children.extend(children);
        children = vec![e];
    }
    let config = Element::new(NS_BASE, "config").with_children(children);
    let scope = Scope::default().enter(&config);
    let result = store.update_by(origin, |s| {
        let r = s.edit(
            Who::Restconf,
            Target::Running,
            &config,
            &scope,
            Op::Merge,
            TestOption::TestThenSet,
            ErrorOption::RollbackOnError,
        );
        (r, Vec::new())
    });
    match result {
        Ok(()) if *method == Method::PUT && !exists => StatusCode::CREATED.into_response(),
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(errs) => errors(&errs),
    }
}

/// `POST /restconf/operations/{op}`: only `cisco-ia:save-config`.
pub fn operation(store: &Datastore, method: &Method, op: &str) -> Response {
    if op != "cisco-ia:save-config" {
        return not_found();
    }
    if *method != Method::POST {
        let mut resp = one(
            StatusCode::METHOD_NOT_ALLOWED,
            YangError::protocol("operation-not-supported", "operations take POST"),
        );
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return resp;
    }
    store.update(|s| {
        s.save_config();
        ((), Vec::new())
    });
    yang_json(
        StatusCode::OK,
        &json!({"cisco-ia:output": {"result": "Save running-config successful"}}),
    )
}
