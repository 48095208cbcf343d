//! Webex: REST, U2C/WDM device registration, the Mercury socket, hydra ids.
//!
//! INTERFACE (stable; the app depends on it):
//! * `WebexConfig { api_url, u2c_url, token: Secret, device_name }`
//! * `WebexRest::new(&WebexConfig) -> Result<WebexRest, WebexError>`; `WebexRest: Clone`
//! * `WebexRest::me(&self) -> Result<BotIdentity, WebexError>`
//! * `WebexRest::send_reply(&self, &Reply) -> Result<Vec<String>, WebexError>` — splits long markdown on
//!   line boundaries (≤ 7,439 bytes each), honours 429/423 Retry-After up to a cap and retries 429s and
//!   5xx with backoff until a deadline (`RetryPolicy`); returns message ids.
//! * `listen(cfg, rest, identity, tx: mpsc::Sender<Inbound>, shutdown: CancellationToken)
//!    -> Result<(), WebexError>` — the whole Mercury lifecycle; Ok(()) on shutdown, Err on a fatal stop.
//!
//! Additions: `listen_with_timings(.., MercuryTimings)`, `WebexRest::{with_retry_policy, get_message,
//! get_attachment_action, get_person, stop_retrying_on}`, `WebexError::is_fatal`.
//! * `WebexRest::send_card(&self, target, fallback_markdown, card: &Value) -> Result<PostedCard, WebexError>`
//!   (one Adaptive Card to a room id or, when `target` has `@`, a person; same retries as
//!   `send_reply`; the message id) and `WebexRest::delete_message(&self, id) -> Result<(), WebexError>`
//!   (404: already gone, success) — `card_messages.rs`.
//!
//! Module map: `wire` (lenient serde shapes), `rest` (HTTP + retries), `device` (U2C, WDM), `mercury`
//! (the socket loop), `frames` (envelope classification), `policy` (close codes, backoff), `dispatch`
//! (activity → Inbound), `resolve` (activity UUID → REST object, across clusters), `mention`, `split`,
//! `dedupe`, `ids`, `card_messages` (posting and deleting card messages).

mod card_messages;
pub mod dedupe;
pub mod device;
pub mod dispatch;
mod error;
pub mod frames;
pub use patchpanel_common::ids;
pub mod mention;
pub mod mercury;
pub mod policy;
pub mod resolve;
pub mod rest;
pub mod split;
pub mod wire;

pub use card_messages::{PostedCard, CARD_CONTENT_TYPE, MAX_CARD_MESSAGE_BYTES};
pub use error::WebexError;
pub use mercury::MercuryTimings;
pub use rest::{RetryPolicy, WebexRest};

use crate::inbound::Inbound;
use crate::secret::Secret;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct WebexConfig {
    pub api_url: String,
    pub u2c_url: String,
    pub token: Secret,
    /// WDM device name; devices with this name are reused across restarts.
    pub device_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotIdentity {
    /// REST (hydra) person id.
    pub person_id: String,
    /// The UUID inside `person_id`, as Mercury events carry it.
    pub person_uuid: String,
    pub display_name: String,
    pub email: String,
}

/// Runs the Mercury lifecycle with the default timings (docs/webex.md §2).
pub async fn listen(
    cfg: WebexConfig,
    rest: WebexRest,
    identity: BotIdentity,
    tx: mpsc::Sender<Inbound>,
    shutdown: CancellationToken,
) -> Result<(), WebexError> {
    mercury::run(cfg, rest, identity, tx, shutdown, MercuryTimings::default()).await
}

/// [`listen`] with explicit keepalive/backoff intervals (tests shorten them).
pub async fn listen_with_timings(
    cfg: WebexConfig,
    rest: WebexRest,
    identity: BotIdentity,
    tx: mpsc::Sender<Inbound>,
    shutdown: CancellationToken,
    timings: MercuryTimings,
) -> Result<(), WebexError> {
    mercury::run(cfg, rest, identity, tx, shutdown, timings).await
}
