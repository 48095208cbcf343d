//! The `/api` edge: NetBox's authentication and permission answers, the 503 switch, pagination,
//! filters, and the handlers. Unknown query parameters are ignored, as NetBox does.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use reqwest::Url;
use serde_json::{json, Value};

use super::model::{Netbox, DEFAULT_USER, TICKET_FIELD};
use super::patch::{parse_cidr, FieldErrors};
use super::{render, Shared, WriteError, API_VERSION, NETBOX_VERSION};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 1000;
const NO_PERMISSION: &str = "You do not have permission to perform this action.";

/// Who the request acts as.
#[derive(Debug, Clone)]
pub struct Caller {
    user: String,
    write: bool,
}

fn detail(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({ "detail": msg }))).into_response()
}

fn not_found() -> Response {
    detail(StatusCode::NOT_FOUND, "Not found.")
}

fn invalid(errs: FieldErrors) -> Response {
    (StatusCode::BAD_REQUEST, Json(Value::Object(errs))).into_response()
}

fn write_error(e: WriteError) -> Response {
    match e {
        WriteError::NotFound => not_found(),
        WriteError::Invalid(errs) => invalid(errs),
        WriteError::Precondition => detail(StatusCode::PRECONDITION_FAILED, "Precondition failed."),
    }
}

fn forbidden(msg: &str) -> Response {
    detail(StatusCode::FORBIDDEN, msg)
}

/// `http://host` as the client addressed us (NetBox builds absolute URLs from the Host header).
fn base(shared: &Shared, headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| shared.base_url.clone(), |h| format!("http://{h}"))
}

/// Resolves the credential. NetBox answers 403 (not 401) for a missing or bad token.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Caller, &'static str> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let credential = header.map(|h| {
        h.strip_prefix("Token ")
            .or_else(|| h.strip_prefix("Bearer "))
            .unwrap_or(h)
            .trim()
    });
    let matches = |t: &str| header == Some(t) || credential == Some(t);
    let extra = shared
        .lock()
        .tokens
        .iter()
        .find(|t| matches(&t.token))
        .cloned();
    if let Some(t) = extra {
        return Ok(Caller {
            user: t.user,
            write: t.write,
        });
    }
    let admin = Caller {
        user: DEFAULT_USER.to_owned(),
        write: true,
    };
    let Some(expected) = shared.token.as_deref() else {
        return Ok(admin);
    };
    match (header, credential) {
        _ if matches(expected) => Ok(admin),
        (None, _) => Err("Authentication credentials were not provided."),
        (Some(h), Some(c)) if h.starts_with("Bearer ") && c.starts_with("nbt_") => {
            if c.contains('.') {
                Err("Invalid v2 token")
            } else {
                Err("Could not parse key from v2 token")
            }
        }
        _ => Err("Invalid token"),
    }
}

/// Runs before every `/api` route: the 503 switch, authentication, safe-method permission, and the
/// `API-Version` header.
async fn guard(State(shared): State<Arc<Shared>>, mut req: Request, next: Next) -> Response {
    if shared.is_down() {
        let mut resp = detail(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service temporarily unavailable.",
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return resp;
    }
    let caller = match authenticate(&shared, req.headers()) {
        Ok(c) => c,
        Err(msg) => return with_version(forbidden(msg)),
    };
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !caller.write {
        return with_version(forbidden(NO_PERMISSION));
    }
    req.extensions_mut().insert(caller);
    with_version(next.run(req).await)
}

fn with_version(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert("API-Version", HeaderValue::from_static(API_VERSION));
    resp
}

/// Unmatched paths. As seen live: a GET without the trailing slash is redirected (301), any other
/// method gets Django's HTML 404.
pub async fn fallback(req: Request) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api") && !path.ends_with('/') {
        if matches!(*req.method(), Method::GET | Method::HEAD) {
            let target = match req.uri().query() {
                Some(q) => format!("{path}/?{q}"),
                None => format!("{path}/"),
            };
            if let Ok(loc) = HeaderValue::from_str(&target) {
                return (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, loc)]).into_response();
            }
        }
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!DOCTYPE html><html><body><h1>Page Not Found</h1></body></html>",
        )
            .into_response();
    }
    not_found()
}

/// The query string as ordered pairs (repeatable keys allowed).
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: Option<&str>) -> Self {
        let pairs = query
            .and_then(|q| Url::parse(&format!("http://q/?{q}")).ok())
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        Params(pairs)
    }
    fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    fn first(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    /// Every value of `key` as an integer; a bad one is NetBox's 400 for that filter.
    fn ints(&self, key: &str, errs: &mut FieldErrors) -> Vec<u64> {
        let mut out = Vec::new();
        for v in self.all(key) {
            match v.trim().parse::<u64>() {
                Ok(n) => out.push(n),
                Err(_) => {
                    errs.insert(key.to_owned(), json!(["Enter a number."]));
                }
            }
        }
        out
    }
    fn brief(&self) -> bool {
        matches!(self.first("brief"), Some("1" | "true" | "True"))
    }
}

/// `values` empty means "no filter"; otherwise one of them must match.
fn any_of<T: PartialEq>(values: &[T], v: &T) -> bool {
    values.is_empty() || values.contains(v)
}

fn truthy(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "1" => Some(true),
        "false" | "False" | "0" => Some(false),
        _ => None,
    }
}

/// A `count/next/previous/results` page with NetBox's `limit`/`offset` rules.
fn page(base: &str, path: &str, params: &Params, items: Vec<Value>) -> Response {
    let limit = match params.first("limit").map(|l| l.trim().parse::<usize>()) {
        Some(Ok(0)) => MAX_LIMIT,
        Some(Ok(n)) => n.min(MAX_LIMIT),
        _ => DEFAULT_LIMIT,
    };
    let offset = params
        .first("offset")
        .and_then(|o| o.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let count = items.len();
    let link = |new_offset: usize| -> Value {
        let Ok(mut url) = Url::parse(&format!("{base}{path}")) else {
            return Value::Null;
        };
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in params
                .0
                .iter()
                .filter(|(k, _)| k != "limit" && k != "offset")
            {
                q.append_pair(k, v);
            }
            q.append_pair("limit", &limit.to_string());
            if new_offset > 0 {
                q.append_pair("offset", &new_offset.to_string());
            }
        }
        Value::String(url.to_string())
    };
    let next = if offset.saturating_add(limit) < count {
        link(offset + limit)
    } else {
        Value::Null
    };
    let previous = if offset > 0 {
        link(offset.saturating_sub(limit))
    } else {
        Value::Null
    };
    let results: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    Json(json!({"count": count, "next": next, "previous": previous, "results": results}))
        .into_response()
}

fn parse_id(raw: &str) -> Option<u64> {
    raw.parse().ok()
}

/// The body as JSON, or the message of NetBox's 400 `detail`.
fn parse_body(body: &Bytes) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("JSON parse error - {e}"))
}

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
        .route("/api/extras/custom-fields/{id}/", get(custom_field))
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

fn ticket_value(nb: &Netbox, id: u64) -> Option<String> {
    nb.interface(id)
        .and_then(|i| i.custom_fields.get(TICKET_FIELD))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
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
    let items = nb
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
            let t = ticket_value(nb, i.id);
            let exact = tickets.is_empty() || t.as_deref().is_some_and(|t| tickets.contains(&t));
            exact && empty.map_or(true, |want_empty| t.is_none() == want_empty)
        })
        .map(|i| {
            if p.brief() {
                render::interface_brief(nb, &b, i.id)
            } else {
                render::interface(nb, &b, i.id)
            }
        })
        .collect();
    page(&b, req.uri().path(), &p, items)
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

fn with_etag(mut resp: Response, tag: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(tag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
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
    let items = if any_of(&names, &TICKET_FIELD) {
        vec![render::custom_field(&b)]
    } else {
        Vec::new()
    };
    page(&b, req.uri().path(), &p, items)
}

async fn custom_field(State(sh): Sh, headers: HeaderMap, Path(id): Path<String>) -> Response {
    match parse_id(&id) {
        Some(1) => Json(render::custom_field(&base(&sh, &headers))).into_response(),
        _ => not_found(),
    }
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
