//! Webex: REST, U2C/WDM device registration, the Mercury socket, hydra ids (owned by the webex work).
//!
//! INTERFACE (stable; the app depends on it):
//! * `WebexConfig { api_url, u2c_url, token: Secret, device_name }`
//! * `WebexRest::new(&WebexConfig) -> Result<WebexRest, WebexError>`; `WebexRest: Clone`
//! * `WebexRest::me(&self) -> Result<BotIdentity, WebexError>`
//! * `WebexRest::send_reply(&self, &Reply) -> Result<Vec<String>, WebexError>` — splits long markdown on
//!   line boundaries (≤ 7,439 bytes each), honours 429/423 Retry-After, retries 5xx; returns message ids.
//! * `listen(cfg, rest, identity, tx: mpsc::Sender<Inbound>, shutdown: CancellationToken)
//!    -> Result<(), WebexError>` — the whole Mercury lifecycle; Ok(()) on shutdown, Err on a fatal stop.

pub mod ids;

use crate::inbound::{Inbound, Reply};
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
    pub person_id: String,
    pub person_uuid: String,
    pub display_name: String,
    pub email: String,
}

#[derive(Debug, thiserror::Error)]
pub enum WebexError {
    #[error("webex: {0}")]
    Other(String),
}

#[derive(Debug, Clone)]
pub struct WebexRest {}

impl WebexRest {
    pub fn new(_cfg: &WebexConfig) -> Result<Self, WebexError> {
        todo!("webex")
    }
    pub async fn me(&self) -> Result<BotIdentity, WebexError> {
        todo!("webex")
    }
    pub async fn send_reply(&self, _reply: &Reply) -> Result<Vec<String>, WebexError> {
        todo!("webex")
    }
}

pub async fn listen(
    _cfg: WebexConfig,
    _rest: WebexRest,
    _identity: BotIdentity,
    _tx: mpsc::Sender<Inbound>,
    _shutdown: CancellationToken,
) -> Result<(), WebexError> {
    todo!("webex")
}
