//! The `/api/v1` handlers the bot uses (docs/zammad.md §2–§4): `users/me`, `ticket_states`,
//! tickets (show, list, update, search) and a ticket's articles. Query parameters and a JSON body
//! merge into one set of params, as in Rails.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{json, Map, Value};

use super::http::{self, Caller};
use super::model::{truthy, Refused};
use super::{render, search, Shared};

/// `GET /api/v1/tickets` answers at most this many per page.
const INDEX_MAX: i64 = 100;

pub fn routes(shared: Arc<Shared>) -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/v1/users/me", get(me))
        .route("/api/v1/ticket_states", get(states))
        .route("/api/v1/tickets", get(index))
        .route("/api/v1/tickets/search", get(search_get).post(search_post))
        .route("/api/v1/tickets/{id}", get(show).put(update))
        .route("/api/v1/ticket_articles/by_ticket/{id}", get(articles))
        .layer(axum::middleware::from_fn_with_state(shared, http::guard))
}

fn params(query: Option<&str>, body: Map<String, Value>) -> Map<String, Value> {
    let mut p = search::rails_params(&http::query_pairs(query));
    p.extend(body);
    p
}

fn expand(p: &Map<String, Value>) -> bool {
    p.get("expand").and_then(truthy).unwrap_or(false)
}

fn ticket_id(raw: &str) -> Result<u64, Refused> {
    raw.parse().map_err(|_| Refused::NotFound(raw.to_owned()))
}

async fn me(State(sh): State<Arc<Shared>>, Extension(c): Extension<Caller>) -> Response {
    let inner = sh.lock();
    match inner.z.user(c.user) {
        Some(u) => Json(render::user(u)).into_response(),
        None => http::refused(Refused::Internal("the token's user is gone".into()), c),
    }
}

async fn states(State(sh): State<Arc<Shared>>) -> Response {
    let inner = sh.lock();
    let list: Vec<Value> = inner.z.states.iter().map(render::state).collect();
    Json(list).into_response()
}

async fn show(
    State(sh): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q.as_deref(), Map::new());
    let id = match ticket_id(&id) {
        Ok(id) => id,
        Err(e) => return http::refused(e, c),
    };
    let inner = sh.lock();
    let Some(t) = inner.z.tickets.get(&id) else {
        return http::refused(Refused::NotFound(id.to_string()), c);
    };
    // Zammad finds the ticket first, then asks the policy.
    if !c.agent {
        return http::not_authorized();
    }
    if expand(&p) {
        Json(render::ticket_expanded(&inner.z, t)).into_response()
    } else {
        Json(render::ticket(t)).into_response()
    }
}

async fn index(
    State(sh): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    RawQuery(q): RawQuery,
) -> Response {
    if !c.agent {
        return http::not_authorized();
    }
    let p = params(q.as_deref(), Map::new());
    let num = |k: &str| {
        p.get(k)
            .and_then(Value::as_str)
            .and_then(|s| s.trim().parse::<i64>().ok())
    };
    let limit = num("per_page")
        .or_else(|| num("limit"))
        .unwrap_or(INDEX_MAX)
        .clamp(0, INDEX_MAX);
    let page = num("page").unwrap_or(1).max(1);
    let skip = usize::try_from((page - 1).saturating_mul(limit)).unwrap_or(usize::MAX);
    let take = usize::try_from(limit).unwrap_or(0);
    let inner = sh.lock();
    let list: Vec<Value> = inner
        .z
        .tickets
        .values()
        .skip(skip)
        .take(take)
        .map(|t| {
            if expand(&p) {
                render::ticket_expanded(&inner.z, t)
            } else {
                render::ticket(t)
            }
        })
        .collect();
    Json(list).into_response()
}

async fn update(
    State(sh): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let b = match http::json_object(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let p = params(q.as_deref(), b);
    let id = match ticket_id(&id) {
        Ok(id) => id,
        Err(e) => return http::refused(e, c),
    };
    if !c.agent {
        let known = sh.lock().z.tickets.contains_key(&id);
        return if known {
            http::not_authorized()
        } else {
            http::refused(Refused::NotFound(id.to_string()), c)
        };
    }
    match sh.write(|z, now| z.update(id, &p, c.user, now)) {
        Ok(_) => {
            let inner = sh.lock();
            match inner.z.tickets.get(&id) {
                Some(t) if expand(&p) => Json(render::ticket_expanded(&inner.z, t)).into_response(),
                Some(t) => Json(render::ticket_with_ids(t)).into_response(),
                None => http::refused(Refused::NotFound(id.to_string()), c),
            }
        }
        Err(e) => http::refused(e, c),
    }
}

async fn articles(
    State(sh): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let id = match ticket_id(&id) {
        Ok(id) => id,
        Err(e) => return http::refused(e, c),
    };
    let inner = sh.lock();
    let Some(t) = inner.z.tickets.get(&id) else {
        return http::refused(Refused::NotFound(id.to_string()), c);
    };
    if !c.agent {
        return http::not_authorized();
    }
    let list: Vec<Value> = t
        .article_ids
        .iter()
        .filter_map(|a| inner.z.articles.get(a))
        .map(|a| render::article(&inner.z, a))
        .collect();
    Json(list).into_response()
}

async fn search_get(
    State(sh): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    RawQuery(q): RawQuery,
) -> Response {
    run_search(&sh, c, params(q.as_deref(), Map::new()))
}

async fn search_post(
    State(sh): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    match http::json_object(&body) {
        Ok(b) => run_search(&sh, c, params(q.as_deref(), b)),
        Err(r) => *r,
    }
}

fn run_search(sh: &Shared, c: Caller, p: Map<String, Value>) -> Response {
    if !c.agent {
        return http::not_authorized();
    }
    let s = match search::parse(&p, c.user) {
        Ok(s) => s,
        Err(e) => return http::refused(e, c),
    };
    let inner = sh.lock();
    let ids = match search::run(&inner.z, &s) {
        Ok(ids) => ids,
        Err(e) => return http::refused(e, c),
    };
    let tickets: Vec<_> = ids
        .iter()
        .filter_map(|id| inner.z.tickets.get(id))
        .collect();
    if s.expand {
        let list: Vec<Value> = tickets
            .iter()
            .map(|t| render::ticket_expanded(&inner.z, t))
            .collect();
        return Json(list).into_response();
    }
    Json(json!({
        "tickets": ids,
        // Zammad counts the page it answers, not every match.
        "tickets_count": ids.len(),
        "assets": render::assets(&inner.z, &tickets),
    }))
    .into_response()
}
