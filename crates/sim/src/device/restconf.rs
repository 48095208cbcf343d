//! RESTCONF (RFC 8040) over plain HTTP on axum: `/.well-known/host-meta`, `/restconf`, GET on
//! `/restconf/data/…` resolved generically against the RFC 7951 JSON of the datastore, writes on interface
//! entries (`write`), `cisco-ia:save-config`, and the `/_sim` control API (`control`, no auth).
//! Basic auth when credentials are set; JSON only (`application/yang-data+json`).

pub mod write;

use super::render_json;
use super::signals::Origin;
use super::RestState;
use crate::refusal::Refusal;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use base64::Engine;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub const YANG_JSON: &str = "application/yang-data+json";

pub fn router(state: RestState) -> Router {
    Router::new()
        .route("/.well-known/host-meta", get(host_meta))
        .route("/restconf", any(root))
        .route("/restconf/data", any(data))
        .route("/restconf/data/", any(data))
        .route("/restconf/data/{*path}", any(data))
        .route("/restconf/operations/{*op}", any(operations))
        .merge(super::control::routes())
        .fallback(fallback)
        .with_state(state)
}

pub async fn serve(listener: TcpListener, state: RestState, shutdown: CancellationToken) {
    // The peer address is kept so a write can be attributed (notification `source-host`).
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "restconf server stopped with an error");
    }
}

/// One RFC 8040 §7.1 error body.
pub fn error_body(error_type: &str, tag: &str, path: Option<&str>, message: &str) -> Value {
    let mut error = json!({
        "error-type": error_type,
        "error-tag": tag,
        "error-message": message,
    });
    if let (Some(p), Some(obj)) = (path, error.as_object_mut()) {
        obj.insert("error-path".into(), json!(p));
    }
    json!({ "ietf-restconf:errors": { "error": [error] } })
}

fn yang_json(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(YANG_JSON))],
        bytes,
    )
        .into_response()
}

fn error(
    status: StatusCode,
    error_type: &str,
    tag: &str,
    path: Option<&str>,
    message: &str,
) -> Response {
    yang_json(status, &error_body(error_type, tag, path, message))
}

/// The `user:password` of a basic `Authorization` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(u, p)| (u.to_owned(), p.to_owned()))
        })
}

/// `None` when the request may proceed, else the 401.
fn check_auth(state: &RestState, headers: &HeaderMap) -> Option<Response> {
    let (user, password) = state.credentials.as_ref()?;
    let ok = basic_credentials(headers).is_some_and(|(u, p)| {
        super::ssh::same_secret(&u, user) & super::ssh::same_secret(&p, password.expose())
    });
    if ok {
        return None;
    }
    let mut resp = error(
        StatusCode::UNAUTHORIZED,
        "protocol",
        "access-denied",
        None,
        "authentication required",
    );
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"restconf\""),
    );
    Some(resp)
}

/// Whether the Accept header allows a JSON answer (absent means anything).
pub fn accepts_json(headers: &HeaderMap) -> bool {
    let values: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        return true;
    }
    values.iter().flat_map(|v| v.split(',')).any(|item| {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            let p = p.trim().replace(' ', "");
            p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
        });
        !refused
            && matches!(
                media.as_str(),
                YANG_JSON | "application/json" | "application/*" | "*/*"
            )
    })
}

fn not_acceptable() -> Response {
    error(
        StatusCode::NOT_ACCEPTABLE,
        "protocol",
        "invalid-value",
        None,
        "only application/yang-data+json is supported",
    )
}

fn read_only(method: &Method) -> Option<Response> {
    if method == Method::GET || method == Method::HEAD {
        return None;
    }
    let mut resp = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "protocol",
        "operation-not-supported",
        None,
        "this simulator serves GET only",
    );
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    Some(resp)
}

async fn host_meta() -> Response {
    use super::xmltree::Element;
    let xrd = Element::new("http://docs.oasis-open.org/ns/xri/xrd-1.0", "XRD").with_child(
        Element::new("http://docs.oasis-open.org/ns/xri/xrd-1.0", "Link")
            .with_attr("rel", "restconf")
            .with_attr("href", "/restconf"),
    );
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xrd+xml"),
        )],
        xrd.to_document(),
    )
        .into_response()
}

async fn root(State(state): State<RestState>, method: Method, headers: HeaderMap) -> Response {
    if let Some(r) = check_auth(&state, &headers).or_else(|| read_only(&method)) {
        return r;
    }
    if !accepts_json(&headers) {
        return not_acceptable();
    }
    yang_json(
        StatusCode::OK,
        &json!({"ietf-restconf:restconf": {
            "data": {}, "operations": {}, "yang-library-version": "2016-06-21"
        }}),
    )
}

async fn operations(
    State(state): State<RestState>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if let Some(r) = check_auth(&state, &headers) {
        return r;
    }
    let op = uri
        .path()
        .strip_prefix("/restconf/operations/")
        .unwrap_or("");
    write::operation(&state.store, &method, op)
}

fn is_write(method: &Method) -> bool {
    *method == Method::PATCH || *method == Method::PUT || *method == Method::DELETE
}

/// Who a write is made by: the basic-auth user (`admin` without one) from the peer's address.
fn writer(headers: &HeaderMap, extensions: &Extensions) -> Origin {
    let user = basic_credentials(headers)
        .map(|(u, _)| u)
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "admin".to_owned());
    let host = extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    Origin::Restconf { user, host }
}

async fn data(
    State(state): State<RestState>,
    method: Method,
    headers: HeaderMap,
    extensions: Extensions,
    uri: Uri,
    body: Bytes,
) -> Response {
    if let Some(r) = check_auth(&state, &headers) {
        return r;
    }
    if !accepts_json(&headers) {
        return not_acceptable();
    }
    let raw = uri
        .path()
        .strip_prefix("/restconf/data")
        .unwrap_or("")
        .trim_start_matches('/');
    if is_write(&method) && !raw.is_empty() {
        return match parse_path(raw) {
            Ok(segments) => {
                let origin = writer(&headers, &extensions);
                write::write(&state.store, origin, &method, &headers, &segments, &body)
            }
            Err(message) => error(
                StatusCode::BAD_REQUEST,
                "protocol",
                "invalid-value",
                Some(uri.path()),
                &message,
            ),
        };
    }
    if let Some(r) = read_only(&method) {
        return r;
    }
    let tree = state.store.read(render_json::datastore);
    if raw.is_empty() {
        return yang_json(StatusCode::OK, &tree);
    }
    let segments = match parse_path(raw) {
        Ok(s) => s,
        Err(message) => {
            return error(
                StatusCode::BAD_REQUEST,
                "protocol",
                "invalid-value",
                Some(uri.path()),
                &message,
            )
        }
    };
    match resolve(&tree, &segments) {
        Some(body) => yang_json(StatusCode::OK, &body),
        None => error(
            StatusCode::NOT_FOUND,
            "application",
            "invalid-value",
            Some(uri.path()),
            "uri keypath not found",
        ),
    }
}

async fn fallback(State(state): State<RestState>, headers: HeaderMap, uri: Uri) -> Response {
    if let Some(r) = check_auth(&state, &headers) {
        return r;
    }
    error(
        StatusCode::NOT_FOUND,
        "protocol",
        "invalid-value",
        Some(uri.path()),
        "no such resource",
    )
}

/// One `[module:]name[=key,…]` step of a data resource path, keys percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub module: Option<String>,
    pub name: String,
    pub keys: Option<Vec<String>>,
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Parse the path after `/restconf/data/`. The first step must name its module (RFC 8040 §3.5.3).
pub fn parse_path(raw: &str) -> Result<Vec<Segment>, Refusal> {
    let mut out = Vec::new();
    for (i, step) in raw.split('/').enumerate() {
        let (ident, keys) = match step.split_once('=') {
            Some((ident, keys)) => (
                ident,
                Some(
                    keys.split(',')
                        .map(|k| {
                            percent_decode(k).ok_or_else(|| format!("bad key encoding in {step:?}"))
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                ),
            ),
            None => (step, None),
        };
        let (module, name) = match ident.split_once(':') {
            Some((m, n)) => (Some(m.to_owned()), n),
            None => (None, ident),
        };
        if !is_identifier(name) || module.as_deref().is_some_and(|m| !is_identifier(m)) {
            return Err(Refusal(format!("bad path step {step:?}")));
        }
        if i == 0 && module.is_none() {
            return Err("the first path step needs a module prefix".into());
        }
        out.push(Segment {
            module,
            name: name.to_owned(),
            keys,
        });
    }
    Ok(out)
}

/// RFC 3986 percent-decoding into UTF-8; `None` on a bad escape or invalid UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The key leaves of the lists in the JSON tree.
fn list_keys(name: &str) -> &'static [&'static str] {
    match name {
        "without-stitching" => &["asn-ip"],
        _ => &["name"],
    }
}

fn key_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Walk the RFC 7951 tree; the answer is `{"module:name": value}`. A single list entry is an object for the
/// native model (as IOS-XE answers) and a one-element array for ietf-interfaces (as RFC 8040 servers do);
/// clients must accept both (docs/netconf.md §2.2).
pub fn resolve(tree: &Value, segments: &[Segment]) -> Option<Value> {
    let mut current = tree;
    let mut module: Option<&str> = None;
    let mut entry = false;
    for seg in segments {
        let seg_module = seg.module.as_deref().or(module)?;
        let member = if Some(seg_module) == module {
            seg.name.clone()
        } else {
            format!("{seg_module}:{}", seg.name)
        };
        let value = current.as_object()?.get(&member)?;
        module = Some(seg_module);
        match &seg.keys {
            Some(keys) => {
                let names = list_keys(&seg.name);
                if names.len() != keys.len() {
                    return None;
                }
                current = value.as_array()?.iter().find(|e| {
                    names
                        .iter()
                        .zip(keys)
                        .all(|(n, k)| e.get(*n).and_then(key_text).as_deref() == Some(k.as_str()))
                })?;
                entry = true;
            }
            None => {
                current = value;
                entry = false;
            }
        }
    }
    let module = module?;
    let last = segments.last()?;
    let name = format!("{module}:{}", last.name);
    let body = if entry && module == render_json::MOD_IF {
        Value::Array(vec![current.clone()])
    } else {
        current.clone()
    };
    Some(json!({ name: body }))
}

#[cfg(test)]
mod tests {
    use super::super::model::seed_c9300;
    use super::*;

    fn get(path: &str) -> Option<Value> {
        let tree = render_json::datastore(&seed_c9300("c9300"));
        resolve(&tree, &parse_path(path).ok()?)
    }

    #[test]
    fn paths_parse_and_decode() {
        let segs =
            parse_path("Cisco-IOS-XE-native:native/interface/GigabitEthernet=1%2F0%2F2").unwrap();
        assert_eq!(segs.len(), 3);
        assert_eq!(segs[0].module.as_deref(), Some("Cisco-IOS-XE-native"));
        assert_eq!(segs[2].keys, Some(vec!["1/0/2".to_owned()]));
        assert!(parse_path("native/hostname").is_err());
        assert!(parse_path("Cisco-IOS-XE-native:native/interface/GigabitEthernet=%zz").is_err());
        assert!(parse_path("Cisco-IOS-XE-native:native/<script>").is_err());
        assert!(parse_path("Cisco-IOS-XE-native:native//x").is_err());
        assert_eq!(percent_decode("a%20b%C3%A9"), Some("a bé".into()));
        assert_eq!(percent_decode("%"), None);
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn resolves_the_documented_resources() {
        assert_eq!(
            get("Cisco-IOS-XE-native:native/hostname"),
            Some(json!({"Cisco-IOS-XE-native:hostname": "c9300"}))
        );
        let defs = get("Cisco-IOS-XE-native:native/vrf/definition").unwrap();
        assert_eq!(
            defs["Cisco-IOS-XE-native:definition"]
                .as_array()
                .unwrap()
                .len(),
            4
        );
        let blue = get("Cisco-IOS-XE-native:native/vrf/definition=BLUE").unwrap();
        assert_eq!(
            blue["Cisco-IOS-XE-native:definition"]["rd"],
            json!("65000:1")
        );
        let gi = get("Cisco-IOS-XE-native:native/interface/GigabitEthernet=1%2F0%2F2").unwrap();
        assert_eq!(
            gi["Cisco-IOS-XE-native:GigabitEthernet"]["description"],
            json!("Floor 2 printer")
        );
        let v10 = get("Cisco-IOS-XE-native:native/interface/Vlan=10").unwrap();
        assert_eq!(v10["Cisco-IOS-XE-native:Vlan"]["name"], json!(10));
        let mode = get("Cisco-IOS-XE-native:native/interface/GigabitEthernet=1%2F0%2F2/switchport-config/switchport/Cisco-IOS-XE-switch:mode").unwrap();
        assert_eq!(mode, json!({"Cisco-IOS-XE-switch:mode": {"access": {}}}));
        let all = get("Cisco-IOS-XE-native:native/interface").unwrap();
        assert!(all["Cisco-IOS-XE-native:interface"]["TenGigabitEthernet"].is_array());
        let ietf = get("ietf-interfaces:interfaces/interface=GigabitEthernet1%2F0%2F5").unwrap();
        assert_eq!(
            ietf["ietf-interfaces:interface"][0]["ietf-ip:ipv4"]["address"][0]["prefix-length"],
            json!(30)
        );
        let state =
            get("ietf-interfaces:interfaces-state/interface=GigabitEthernet1%2F0%2F3").unwrap();
        assert_eq!(
            state["ietf-interfaces:interface"][0]["oper-status"],
            json!("down")
        );
        let leaf =
            get("ietf-interfaces:interfaces-state/interface=GigabitEthernet1%2F0%2F1/oper-status")
                .unwrap();
        assert_eq!(leaf, json!({"ietf-interfaces:oper-status": "up"}));
    }

    #[test]
    fn unknown_resources_resolve_to_nothing() {
        for path in [
            "Cisco-IOS-XE-native:native/vrf/definition=NOPE",
            "Cisco-IOS-XE-native:native/interface/GigabitEthernet=9%2F9%2F9",
            "Cisco-IOS-XE-native:native/nothing",
            "Other-module:native",
            "Cisco-IOS-XE-native:native/hostname/deeper",
            "Cisco-IOS-XE-native:native/interface/GigabitEthernet=1%2F0%2F2,extra",
            "Cisco-IOS-XE-native:native/hostname=1",
        ] {
            assert_eq!(get(path), None, "{path}");
        }
    }

    #[test]
    fn accept_header_rules() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
            m
        };
        assert!(accepts_json(&HeaderMap::new()));
        assert!(accepts_json(&h("application/yang-data+json")));
        assert!(accepts_json(&h("text/html, */*;q=0.8")));
        assert!(!accepts_json(&h("application/yang-data+xml")));
        assert!(!accepts_json(&h("application/yang-data+json;q=0")));
        assert!(!accepts_json(&h("text/html")));
    }
}
