//! The Webex REST API under `/v1` that a ChatOps bot uses (docs/webex.md §5): people, messages,
//! attachment actions, memberships and rooms, always acting as the simulated bot.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::Value;

use patchpanel_common::ids::HydraKind;

use super::activity::{self, Envelope};
use super::http::{ok, parse_json, ApiError};
use super::state::{parse_id, Destination, NewMessage, BOT_UUID};
use super::wire::{self, Items};
use super::{mercury, Shared};

type Q = Query<HashMap<String, String>>;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1/people/me", get(people_me))
        .route("/v1/people", get(people_list))
        .route("/v1/people/{id}", get(person))
        .route("/v1/messages", get(list_messages).post(create_message))
        .route("/v1/messages/{id}", get(get_message).delete(delete_message))
        .route("/v1/attachment/actions", axum::routing::post(create_action))
        .route("/v1/attachment/actions/{id}", get(get_action))
        .route("/v1/memberships", get(memberships))
        .route("/v1/rooms", get(rooms))
        .route("/v1/rooms/{id}", get(room))
        .route("/avatars/{file}", get(avatar))
}

/// A 1×1 PNG: every simulated avatar looks the same.
const AVATAR_PNG: [u8; 69] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x90, 0xcd, 0x5f, 0x0a,
    0x00, 0x01, 0xde, 0x01, 0x32, 0x0e, 0x8d, 0xab, 0x37, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// `GET /avatars/{uuid}~1600`: the image behind a person's `avatar` URL.
async fn avatar(State(shared): State<Arc<Shared>>, Path(file): Path<String>) -> Response {
    let uuid = file.strip_suffix("~1600").unwrap_or(&file);
    let known = shared.lock().chat.person(uuid).is_some_and(|p| p.is_bot);
    if !known {
        return ApiError::not_found("The requested resource could not be found.").into_response();
    }
    (
        [(axum::http::header::CONTENT_TYPE, "image/png")],
        AVATAR_PNG.as_slice(),
    )
        .into_response()
}

fn param_max(q: &HashMap<String, String>) -> Result<usize, ApiError> {
    match q.get("max") {
        None => Ok(50),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| ApiError::bad_request("max must be a number between 1 and 1000")),
    }
}

async fn people_me(State(shared): State<Arc<Shared>>) -> Response {
    let inner = shared.lock();
    match inner.chat.person(BOT_UUID) {
        Some(p) => ok(wire::person_dto(p, &shared.base_url)),
        None => ApiError::not_found("bot missing").into_response(),
    }
}

async fn people_list(State(shared): State<Arc<Shared>>, Query(q): Q) -> Response {
    let Some(email) = q.get("email") else {
        return ApiError::bad_request("email, displayName or id is required").into_response();
    };
    let inner = shared.lock();
    let items = inner
        .chat
        .person_by_email(email)
        .map(|p| wire::person_dto(p, &shared.base_url))
        .into_iter()
        .collect();
    ok(Items { items })
}

async fn person(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let inner = shared.lock();
    match parse_id(&id, HydraKind::People).and_then(|u| inner.chat.person(&u)) {
        Some(p) => ok(wire::person_dto(p, &shared.base_url)),
        None => ApiError::not_found("Person not found.").into_response(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateMessage {
    room_id: Option<String>,
    to_person_id: Option<String>,
    to_person_email: Option<String>,
    parent_id: Option<String>,
    text: Option<String>,
    markdown: Option<String>,
    html: Option<String>,
    #[serde(default)]
    files: Vec<String>,
    #[serde(default)]
    attachments: Vec<Value>,
}

async fn create_message(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: CreateMessage = match parse_json(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let destination = match (req.room_id, req.to_person_id, req.to_person_email) {
        (Some(r), None, None) => Destination::RoomId(r),
        (None, Some(p), None) => Destination::PersonId(p),
        (None, None, Some(e)) => Destination::PersonEmail(e),
        _ => {
            return ApiError::bad_request(
                "Exactly one of roomId, toPersonId or toPersonEmail is required",
            )
            .into_response()
        }
    };
    let new = NewMessage {
        author_uuid: BOT_UUID.to_owned(),
        destination,
        parent_id: req.parent_id,
        text: req.text,
        markdown: req.markdown,
        html: req.html,
        files: req.files,
        attachments: req.attachments,
        mentioned: Vec::new(),
    };
    match shared.bot_post(new) {
        Ok(dto) => ok(dto),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn get_message(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    message_response(&shared, &id)
}

/// One message as the bot may see it: 404 when unknown (or named with another cluster), 403 when a
/// bot may not read it. The conversation service answers through this too.
pub(crate) fn message_response(shared: &Shared, id: &str) -> Response {
    let inner = shared.lock();
    let Some(m) = inner.chat.message_by_rest_id(id) else {
        return ApiError::not_found("The requested resource could not be found.").into_response();
    };
    if !inner.chat.readable_by_bot(m) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "Bots can only read group space messages that mention them.",
        )
        .into_response();
    }
    ok(wire::message_dto(&inner.chat, m))
}

async fn list_messages(State(shared): State<Arc<Shared>>, Query(q): Q) -> Response {
    let Some(room_id) = q.get("roomId") else {
        return ApiError::bad_request("roomId is required").into_response();
    };
    let max = match param_max(&q) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let mentioned_me = match q.get("mentionedPeople").map(String::as_str) {
        None => false,
        Some("me") => true,
        Some(other) => parse_id(other, HydraKind::People).as_deref() == Some(BOT_UUID),
    };
    let inner = shared.lock();
    match inner.chat.list(
        room_id,
        mentioned_me,
        q.get("parentId").map(String::as_str),
        max,
    ) {
        Ok(list) => ok(Items {
            items: list
                .into_iter()
                .map(|m| wire::message_dto(&inner.chat, m))
                .collect(),
        }),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn delete_message(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let mut inner = shared.lock();
    let inner = &mut *inner;
    match inner.chat.delete(BOT_UUID, &id) {
        Ok(m) => {
            let now = SystemTime::now();
            let data = activity::delete_activity(&inner.chat, &m, &shared.host, now);
            mercury::deliver(inner, Envelope::new(data, now, None));
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn get_action(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    action_response(&shared, &id)
}

/// One attachment action (also answered by the conversation service).
pub(crate) fn action_response(shared: &Shared, id: &str) -> Response {
    let inner = shared.lock();
    match inner.chat.action_by_rest_id(id) {
        Some(a) => ok(wire::action_dto(&inner.chat, a)),
        None => ApiError::not_found("The requested resource could not be found.").into_response(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateAction {
    #[serde(rename = "type")]
    kind: Option<String>,
    message_id: String,
    #[serde(default)]
    inputs: Option<Value>,
}

async fn create_action(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: CreateAction = match parse_json(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    if req.kind.as_deref().unwrap_or("submit") != "submit" {
        return ApiError::bad_request("type must be submit").into_response();
    }
    let mut inner = shared.lock();
    let inputs = req
        .inputs
        .unwrap_or_else(|| Value::Object(Default::default()));
    let email = inner
        .chat
        .person(BOT_UUID)
        .map(|p| p.email.clone())
        .unwrap_or_default();
    match inner
        .chat
        .press(&email, &req.message_id, inputs, SystemTime::now())
    {
        Ok(a) => {
            let a = a.clone();
            ok(wire::action_dto(&inner.chat, &a))
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn memberships(State(shared): State<Arc<Shared>>, Query(q): Q) -> Response {
    let inner = shared.lock();
    let rooms: Vec<_> = match q.get("roomId") {
        Some(id) => match inner.chat.room_by_rest_id(id) {
            Some(r) => vec![r],
            None => {
                return ApiError::not_found("The requested resource could not be found.")
                    .into_response()
            }
        },
        None => inner.chat.rooms().collect(),
    };
    let email = q.get("personEmail").map(|e| e.to_lowercase());
    let person_id = q
        .get("personId")
        .map(|p| parse_id(p, HydraKind::People).unwrap_or_default());
    let by_room = q.contains_key("roomId");
    let mut items = Vec::new();
    for room in rooms {
        for member in &room.members {
            let Some(p) = inner.chat.person(member) else {
                continue;
            };
            // Without roomId the list is the bot's own memberships, as for any token holder.
            let wanted = match (&email, &person_id) {
                (Some(e), _) => p.email.to_lowercase() == *e,
                (None, Some(id)) => p.uuid == *id,
                (None, None) => by_room || p.uuid == BOT_UUID,
            };
            if wanted {
                items.push(wire::membership_dto(room, p));
            }
        }
    }
    ok(Items { items })
}

async fn rooms(State(shared): State<Arc<Shared>>, Query(q): Q) -> Response {
    let max = match param_max(&q) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let kind = q.get("type").cloned();
    let inner = shared.lock();
    let mut list: Vec<_> = inner
        .chat
        .rooms()
        .map(wire::room_dto)
        .filter(|r| kind.as_deref().map_or(true, |k| r.kind == k))
        .collect();
    list.sort_by(|a, b| b.last_activity.cmp(&a.last_activity));
    list.truncate(max);
    ok(Items { items: list })
}

async fn room(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let inner = shared.lock();
    match inner.chat.room_by_rest_id(&id) {
        Some(r) => ok(wire::room_dto(r)),
        None => ApiError::not_found("The requested resource could not be found.").into_response(),
    }
}
