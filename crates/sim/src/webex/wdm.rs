//! Service discovery (U2C catalog) and WDM device registration (docs/webex.md §1): list, create
//! (with the device limit), get, refresh (PUT), delete one, delete all.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use super::devices::{Device, DeviceBody, DeviceError};
use super::http::{ok, parse_json, ApiError};
use super::state::BOT_UUID;
use super::wire::iso8601;
use super::wire::CONVERSATION_BASE_PATH as BASE_PATH;
use super::Shared;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/u2c/api/v1/catalog", get(catalog))
        .route("/u2c/api/v1/limited/catalog", get(catalog))
        .route(
            "/wdm/api/v1/devices",
            get(list).post(create).delete(delete_all),
        )
        .route(
            "/wdm/api/v1/devices/{id}",
            get(get_one).put(refresh).delete(delete_one),
        )
}

async fn catalog(State(shared): State<Arc<Shared>>) -> Response {
    let base = &shared.base_url;
    let host_only = shared
        .host
        .rsplit_once(':')
        .map(|(h, _)| h.to_owned())
        .unwrap_or_else(|| shared.host.clone());
    // The org's conversation service is on this host, so the host belongs to the org's cluster.
    let cluster_id = format!("urn:TEAM:{}:conversation", shared.cluster);
    // Keyed by `host:port` and by the bare host, since clients differ in which one they look up.
    let mut hosts = Map::new();
    for key in [shared.host.clone(), host_only] {
        hosts.insert(
            key.clone(),
            json!([{"host": key, "ttl": -1, "priority": 5, "id": cluster_id}]),
        );
    }
    ok(json!({
        "serviceLinks": {
            "wdm": format!("{base}/wdm/api/v1"),
            "u2c": format!("{base}/u2c/api/v1"),
            "hydra": format!("{base}/v1"),
            "conversation": format!("{base}{BASE_PATH}"),
        },
        "hostCatalog": hosts,
        "format": "hostmap",
    }))
}

fn device_dto(shared: &Shared, d: &Device) -> Value {
    let base = &shared.base_url;
    let b = &d.body;
    let mut v = json!({
        "url": format!("{base}/wdm/api/v1/devices/{}", d.uuid),
        "webSocketUrl": format!(
            "ws://{}/mercury/v1/apps/wx2/registrations/{}/messages",
            shared.host, d.reg_uuid
        ),
        "userId": BOT_UUID,
        "name": d.name(),
        "deviceName": b.device_name.clone().unwrap_or_else(|| d.name().to_owned()),
        "deviceType": b.device_type.as_deref().unwrap_or("DESKTOP"),
        "model": b.model.as_deref().unwrap_or(""),
        "localizedModel": b.localized_model.as_deref().unwrap_or(""),
        "systemName": b.system_name.as_deref().unwrap_or(""),
        "systemVersion": b.system_version.as_deref().unwrap_or(""),
        "creationTime": iso8601(d.created),
        "modificationTime": iso8601(d.modified),
        "services": {
            "conversationServiceUrl": format!("{base}{BASE_PATH}"),
            "wdmServiceUrl": format!("{base}/wdm/api/v1"),
            "hydraServiceUrl": format!("{base}/v1"),
        },
        "features": {"developer": [], "entitlement": [], "user": []},
    });
    if let Some(ttl) = b.ttl {
        v["ttl"] = json!(ttl);
    }
    v
}

fn parse_body(body: &Bytes) -> Result<DeviceBody, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(DeviceBody::default());
    }
    parse_json(body)
}

async fn list(State(shared): State<Arc<Shared>>) -> Response {
    let inner = shared.lock();
    let devices: Vec<Value> = inner
        .devices
        .list()
        .iter()
        .map(|d| device_dto(&shared, d))
        .collect();
    ok(json!({ "devices": devices }))
}

async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let mut inner = shared.lock();
    match inner.devices.create(body, SystemTime::now()) {
        Ok(d) => {
            tracing::debug!(device = %d.uuid, name = d.name(), "device registered");
            ok(device_dto(&shared, d))
        }
        Err(e @ DeviceError::Excessive) => {
            ApiError::new(StatusCode::FORBIDDEN, e.to_string()).into_response()
        }
    }
}

async fn get_one(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let inner = shared.lock();
    match inner.devices.get(&id) {
        Some(d) => ok(device_dto(&shared, d)),
        None => ApiError::not_found("Device not found").into_response(),
    }
}

async fn refresh(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let mut inner = shared.lock();
    match inner.devices.refresh(&id, body, SystemTime::now()) {
        Some(d) => ok(device_dto(&shared, d)),
        None => ApiError::not_found("Device not found").into_response(),
    }
}

async fn delete_one(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    if shared.lock().devices.delete(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        ApiError::not_found("Device not found").into_response()
    }
}

async fn delete_all(State(shared): State<Arc<Shared>>) -> Response {
    shared.lock().devices.clear();
    StatusCode::NO_CONTENT.into_response()
}
