//! The Webex simulator: REST, U2C, WDM, the Mercury socket and the `/_sim` control API (owned by the webex-sim work).
//!
//! INTERFACE (stable): `start(WebexSimConfig, CancellationToken) -> Result<RunningWebexSim, SimError>`;
//! `RunningWebexSim { base_url }` with `api_url()` = `{base}/v1`, `u2c_url()` = `{base}/u2c/api/v1`.

use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct WebexSimConfig {
    pub listen: SocketAddr,
    /// When set, every request must carry this bearer token (401 otherwise), as the real service does.
    pub token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RunningWebexSim {
    pub base_url: String,
}

impl RunningWebexSim {
    pub fn api_url(&self) -> String {
        format!("{}/v1", self.base_url)
    }
    pub fn u2c_url(&self) -> String {
        format!("{}/u2c/api/v1", self.base_url)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("simulator: {0}")]
    Other(String),
}

pub async fn start(
    _cfg: WebexSimConfig,
    _shutdown: CancellationToken,
) -> Result<RunningWebexSim, SimError> {
    todo!("webex sim")
}
