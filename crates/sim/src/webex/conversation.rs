//! The conversation service: the base URL the U2C catalog (`serviceLinks.conversation`), every device
//! (`services.conversationServiceUrl`) and every activity (`target.url`) point at. Clients that do not
//! build hydra ids themselves ask it, by the activity's raw UUID, for the message or attachment action
//! an event names and read the clustered REST id from the answer (what `webex_bot` does). It answers the
//! same REST objects as `/v1`, with the same visibility rules: the same handlers serve both.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::rest::{action_response, message_response};
use super::wire::CONVERSATION_BASE_PATH as BASE_PATH;
use super::Shared;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(&format!("{BASE_PATH}/messages/{{id}}"), get(message))
        .route(
            &format!("{BASE_PATH}/attachment/actions/{{id}}"),
            get(action),
        )
}

async fn message(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    message_response(&shared, &id)
}

async fn action(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    action_response(&shared, &id)
}
