//! The `/api` routes and handlers: lookups with NetBox's filters (unknown query parameters are
//! ignored, as NetBox does) and the writes.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{json, Value};

use super::http::{
    any_of, base, detail, guard, invalid, not_found, page, page_of, parse_body, parse_id, truthy,
    with_etag, write_error, Caller, Params,
};
use super::model::{TICKET_FIELD, TICKET_FIELD_ID};
use super::patch::{parse_cidr, FieldErrors};
use super::{render, Shared, NETBOX_VERSION};

pub fn routes(shared: Arc<Shared>) -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/", get(api_root))
        .route("/api/status/", get(status))
        .route("/api/dcim/sites/", get(sites))
        .route("/api/dcim/devices/", get(devices))
        .route("/api/dcim/devices/{id}/", get(device))
        .route("/api/dcim/interfaces/", get(interfaces))
        .route(
            "/api/dcim/interfaces/{id}/",
            get(interface).patch(patch_interface),
        )
        .route("/api/ipam/vlans/", get(vlans))
        .route("/api/ipam/vlans/{id}/", get(vlan))
        .route("/api/ipam/ip-addresses/", get(ips).post(create_ip))
        .route("/api/ipam/ip-addresses/{id}/", get(ip).patch(patch_ip))
        .route("/api/extras/custom-fields/", get(custom_fields))
        .route(
            "/api/extras/custom-fields/{id}/",
            get(custom_field).patch(patch_custom_field),
        )
        .route("/api/core/object-changes/", get(object_changes))
        .route("/api/core/object-changes/{id}/", get(object_change))
        .layer(axum::middleware::from_fn_with_state(shared, guard))
}

type Sh = State<Arc<Shared>>;

async fn api_root(State(sh): Sh, headers: HeaderMap) -> Response {
    let b = base(&sh, &headers);
    let apps = [
        "circuits",
        "core",
        "dcim",
        "extras",
        "ipam",
        "plugins",
        "status",
        "tenancy",
        "users",
        "virtualization",
        "vpn",
        "wireless",
    ];
    let map: serde_json::Map<String, Value> = apps
        .iter()
        .map(|a| ((*a).to_owned(), json!(format!("{b}/api/{a}/"))))
        .collect();
    Json(Value::Object(map)).into_response()
}

async fn status() -> Response {
    Json(json!({
        "django-version": "5.2.8", "installed-apps": {}, "netbox-version": NETBOX_VERSION,
        "netbox-full-version": NETBOX_VERSION, "plugins": {}, "python-version": "3.12.1",
        "rq-workers-running": 1,
    }))
    .into_response()
}

async fn sites(State(sh): Sh, headers: HeaderMap, req: Request) -> Response {
    let (b, p) = (base(&sh, &headers), Params::parse(req.uri().query()));
    let inner = sh.lock();
    let slugs = p.all("slug");
    let items = inner
        .nb
        .sites
        .iter()
        .filter(|s| any_of(&slugs, &s.slug.as_str()))
        .map(|s| render::site_brief(&inner.nb, &b, s.id))
        .collect();
    page(&b, req.uri().path(), &p, items)
}

async fn devices(State(sh): Sh, headers: HeaderMap, req: Request) -> Response {
    let (b, p) = (base(&sh, &headers), Params::parse(req.uri().query()));
    let mut errs = FieldErrors::new();
    let ids = p.ints("id", &mut errs);
    let site_ids = p.ints("site_id", &mut errs);
    if !errs.is_empty() {
        return invalid(errs);
    }
    let (names, names_ie, sites) = (p.all("name"), p.all("name__ie"), p.all("site"));
    let inner = sh.lock();
    let nb = &inner.nb;
    let items = nb
        .devices
        .iter()
        .filter(|d| any_of(&ids, &d.id) && any_of(&names, &d.name.as_str()))
        .filter(|d| names_ie.is_empty() || names_ie.iter().any(|n| n.eq_ignore_ascii_case(&d.name)))
        .filter(|d| any_of(&site_ids, &d.site))
        .filter(|d| {
            sites.is_empty()
                || nb
                    .site(d.site)
                    .is_some_and(|s| sites.contains(&s.slug.as_str()))
        })
        .map(|d| {
            if p.brief() {
                render::device_brief(nb, &b, d.id)
            } else {
                render::device(nb, &b, d.id)
            }
        })
        .collect();
    page(&b, req.uri().path(), &p, items)
}

async fn device(State(sh): Sh, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let b = base(&sh, &headers);
    let inner = sh.lock();
    match parse_id(&id).filter(|id| inner.nb.device(*id).is_some()) {
        Some(id) => Json(render::device(&inner.nb, &b, id)).into_response(),
        None => not_found(),
    }
}

async fn interfaces(State(sh): Sh, headers: HeaderMap, req: Request) -> Response {
    let (b, p) = (base(&sh, &headers), Params::parse(req.uri().query()));
    let mut errs = FieldErrors::new();
    let ids = p.ints("id", &mut errs);
    let device_ids = p.ints("device_id", &mut errs);
    if !errs.is_empty() {
        return invalid(errs);
    }
    let names = p.all("name");
    let device_names = p.all("device");
    let tickets = p.all("cf_change_ticket_number");
    let empty = p.first("cf_change_ticket_number__empty").and_then(truthy);
    let inner = sh.lock();
    let nb = &inner.nb;
    let items: Vec<u64> = nb
        .interfaces
        .iter()
        .filter(|i| any_of(&ids, &i.id) && any_of(&device_ids, &i.device))
        .filter(|i| any_of(&names, &i.name.as_str()))
        .filter(|i| {
            device_names.is_empty()
                || nb
                    .device(i.device)
                    .is_some_and(|d| device_names.contains(&d.name.as_str()))
        })
        .filter(|i| {
            let t = i
                .custom_fields
                .get(TICKET_FIELD)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty());
            let exact = tickets.is_empty() || t.is_some_and(|t| tickets.contains(&t));
            exact && empty.map_or(true, |want_empty| t.is_none() == want_empty)
        })
        .map(|i| i.id)
        .collect();
    page_of(&b, req.uri().path(), &p, items, |id| {
        if p.brief() {
            render::interface_brief(nb, &b, id)
        } else {
            render::interface(nb, &b, id)
        }
    })
}

async fn interface(State(sh): Sh, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let b = base(&sh, &headers);
    let inner = sh.lock();
    let Some(i) = parse_id(&id).and_then(|id| inner.nb.interface(id)) else {
        return not_found();
    };
    let tag = super::etag(&i.last_updated);
    with_etag(
        Json(render::interface(&inner.nb, &b, i.id)).into_response(),
        &tag,
    )
}

async fn patch_interface(
    State(sh): Sh,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return not_found();
    };
    let body = match parse_body(&body) {
        Ok(v) => v,
        Err(msg) => return detail(StatusCode::BAD_REQUEST, &msg),
    };
    let if_match = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok());
    let b = base(&sh, &headers);
    if let Err(e) = sh.api_write_fault(id, &body) {
        return write_error(e);
    }
    match sh.patch_interface(id, &body, if_match, &caller.user, &b) {
        Ok((v, tag)) => with_etag(Json(v).into_response(), &tag),
        Err(e) => write_error(e),
    }
}

async fn vlans(State(sh): Sh, headers: HeaderMap, req: Request) -> Response {
    let (b, p) = (base(&sh, &headers), Params::parse(req.uri().query()));
    let mut errs = FieldErrors::new();
    let ids = p.ints("id", &mut errs);
    let vids = p.ints("vid", &mut errs);
    let site_ids = p.ints("site_id", &mut errs);
    let on_device = p.ints("available_on_device", &mut errs);
    if !errs.is_empty() {
        return invalid(errs);
    }
    let (slugs, names) = (p.all("site"), p.all("name"));
    let inner = sh.lock();
    let nb = &inner.nb;
    let device_sites: Vec<u64> = on_device
        .iter()
        .filter_map(|d| nb.device(*d))
        .map(|d| d.site)
        .collect();
    let items = nb
        .vlans
        .iter()
        .filter(|v| any_of(&ids, &v.id) && any_of(&vids, &u64::from(v.vid)))
        .filter(|v| any_of(&names, &v.name.as_str()))
        .filter(|v| site_ids.is_empty() || v.site.is_some_and(|s| site_ids.contains(&s)))
        .filter(|v| {
            slugs.is_empty()
                || v.site
                    .and_then(|s| nb.site(s))
                    .is_some_and(|s| slugs.contains(&s.slug.as_str()))
        })
        .filter(|v| on_device.is_empty() || v.site.map_or(true, |s| device_sites.contains(&s)))
        .map(|v| {
            if p.brief() {
                render::vlan_brief(nb, &b, v.id)
            } else {
                render::vlan(nb, &b, v)
            }
        })
        .collect();
    page(&b, req.uri().path(), &p, items)
}

async fn vlan(State(sh): Sh, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let b = base(&sh, &headers);
    let inner = sh.lock();
    match parse_id(&id).and_then(|id| inner.nb.vlan(id)) {
        Some(v) => Json(render::vlan(&inner.nb, &b, v)).into_response(),
        None => not_found(),
    }
}

async fn ips(State(sh): Sh, headers: HeaderMap, req: Request) -> Response {
    let (b, p) = (base(&sh, &headers), Params::parse(req.uri().query()));
    let mut errs = FieldErrors::new();
    let ids = p.ints("id", &mut errs);
    let mut ifaces = p.ints("interface_id", &mut errs);
    ifaces.extend(p.ints("assigned_object_id", &mut errs));
    let device_ids = p.ints("device_id", &mut errs);
    if !errs.is_empty() {
        return invalid(errs);
    }
    let addresses = p.all("address");
    let inner = sh.lock();
    let nb = &inner.nb;
    let items = nb
        .ips
        .iter()
        .filter(|ip| any_of(&ids, &ip.id))
        .filter(|ip| ifaces.is_empty() || ip.interface.is_some_and(|i| ifaces.contains(&i)))
        .filter(|ip| {
            device_ids.is_empty()
                || ip
                    .interface
                    .and_then(|i| nb.interface(i))
                    .is_some_and(|i| device_ids.contains(&i.device))
        })
        .filter(|ip| {
            addresses.is_empty() || addresses.iter().any(|a| address_matches(a, &ip.address))
        })
        .map(|ip| {
            if p.brief() {
                render::ip_brief(nb, &b, ip.id)
            } else {
                render::ip(nb, &b, ip)
            }
        })
        .collect();
    page(&b, req.uri().path(), &p, items)
}

/// `address=10.1.2.3/24` is exact; without a mask it matches the host under any mask.
fn address_matches(filter: &str, stored: &str) -> bool {
    let (Some((fip, flen)), Some((sip, slen))) = (parse_cidr(filter), parse_cidr(stored)) else {
        return false;
    };
    fip == sip && (!filter.contains('/') || flen == slen)
}

async fn ip(State(sh): Sh, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let b = base(&sh, &headers);
    let inner = sh.lock();
    match parse_id(&id).and_then(|id| inner.nb.ip(id)) {
        Some(ip) => Json(render::ip(&inner.nb, &b, ip)).into_response(),
        None => not_found(),
    }
}

async fn create_ip(
    State(sh): Sh,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body) {
        Ok(v) => v,
        Err(msg) => return detail(StatusCode::BAD_REQUEST, &msg),
    };
    match sh.write_ip(None, &body, &caller.user, &base(&sh, &headers)) {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(e) => write_error(e),
    }
}

async fn patch_ip(
    State(sh): Sh,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return not_found();
    };
    let body = match parse_body(&body) {
        Ok(v) => v,
        Err(msg) => return detail(StatusCode::BAD_REQUEST, &msg),
    };
    match sh.write_ip(Some(id), &body, &caller.user, &base(&sh, &headers)) {
        Ok(v) => Json(v).into_response(),
        Err(e) => write_error(e),
    }
}

async fn custom_fields(State(sh): Sh, headers: HeaderMap, req: Request) -> Response {
    let (b, p) = (base(&sh, &headers), Params::parse(req.uri().query()));
    let names = p.all("name");
    let required = sh.lock().nb.ticket_required;
    let items = render::custom_fields(&b, required)
        .into_iter()
        .filter(|cf| names.is_empty() || cf["name"].as_str().is_some_and(|n| names.contains(&n)))
        .collect();
    page(&b, req.uri().path(), &p, items)
}

async fn custom_field(State(sh): Sh, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let required = sh.lock().nb.ticket_required;
    let found = parse_id(&id).and_then(|id| {
        render::custom_fields(&base(&sh, &headers), required)
            .into_iter()
            .find(|cf| cf["id"] == id)
    });
    match found {
        Some(cf) => Json(cf).into_response(),
        None => not_found(),
    }
}

/// Only `required` of `change_ticket_number` can be changed (what the tests need of NetBox's
/// custom-field editing); other keys are ignored.
async fn patch_custom_field(
    State(sh): Sh,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return not_found();
    };
    let body = match parse_body(&body) {
        Ok(v) => v,
        Err(msg) => return detail(StatusCode::BAD_REQUEST, &msg),
    };
    if id != TICKET_FIELD_ID {
        return detail(
            StatusCode::BAD_REQUEST,
            "the simulator only changes `required` of custom field 1 (change_ticket_number)",
        );
    }
    match body.get("required") {
        None => {}
        Some(Value::Bool(b)) => sh.lock().nb.ticket_required = *b,
        Some(_) => {
            let mut errs = FieldErrors::new();
            errs.insert("required".into(), json!(["Must be a valid boolean."]));
            return invalid(errs);
        }
    }
    custom_field(State(sh), headers, Path(id.to_string())).await
}

async fn object_changes(State(sh): Sh, headers: HeaderMap, req: Request) -> Response {
    let (b, p) = (base(&sh, &headers), Params::parse(req.uri().query()));
    let mut errs = FieldErrors::new();
    let ids = p.ints("id", &mut errs);
    let gt = p.ints("id__gt", &mut errs).into_iter().max();
    let gte = p.ints("id__gte", &mut errs).into_iter().max();
    let lt = p.ints("id__lt", &mut errs).into_iter().min();
    let object_ids = p.ints("changed_object_id", &mut errs);
    let user_ids = p.ints("user_id", &mut errs);
    if !errs.is_empty() {
        return invalid(errs);
    }
    let types = p.all("changed_object_type");
    let actions = p.all("action");
    let mut users = p.all("user");
    users.extend(p.all("user_name"));
    let request_ids = p.all("request_id");
    let inner = sh.lock();
    let nb = &inner.nb;
    let mut hits: Vec<_> = nb
        .changes
        .iter()
        .filter(|c| any_of(&ids, &c.id) && any_of(&object_ids, &c.object_id))
        .filter(|c| gt.map_or(true, |g| c.id > g) && gte.map_or(true, |g| c.id >= g))
        .filter(|c| lt.map_or(true, |l| c.id < l))
        .filter(|c| any_of(&types, &c.object_type) && any_of(&actions, &c.action.value()))
        .filter(|c| any_of(&users, &c.user_name.as_str()) && any_of(&user_ids, &c.user_id))
        .filter(|c| any_of(&request_ids, &c.request_id.as_str()))
        .collect();
    // Default ordering is newest first (`-time`); ids and times grow together here.
    match p.first("ordering") {
        Some("id" | "time") => hits.sort_by_key(|c| c.id),
        _ => hits.sort_by_key(|c| std::cmp::Reverse(c.id)),
    }
    let items = hits
        .into_iter()
        .map(|c| render::object_change(nb, &b, c))
        .collect();
    page(&b, req.uri().path(), &p, items)
}

async fn object_change(State(sh): Sh, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let b = base(&sh, &headers);
    let inner = sh.lock();
    match parse_id(&id).and_then(|id| inner.nb.changes.iter().find(|c| c.id == id)) {
        Some(c) => Json(render::object_change(&inner.nb, &b, c)).into_response(),
        None => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_filter_with_and_without_mask() {
        assert!(address_matches("192.0.2.10", "192.0.2.10/24"));
        assert!(address_matches("192.0.2.10/24", "192.0.2.10/24"));
        assert!(!address_matches("192.0.2.10/25", "192.0.2.10/24"));
        assert!(!address_matches("bogus", "192.0.2.10/24"));
    }

    #[test]
    fn params_keep_repeats_and_decode() {
        let p = Params::parse(Some(
            "changed_object_type=dcim.interface&changed_object_type=ipam.ipaddress&name=Gi%2F1",
        ));
        assert_eq!(p.all("changed_object_type").len(), 2);
        assert_eq!(p.first("name"), Some("Gi/1"));
    }
}
