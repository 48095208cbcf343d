//! The Webex layer's one error type; each variant says what the caller should do.

use std::time::Duration;

/// Errors of the Webex client. Never carries the token.
#[derive(Debug, thiserror::Error)]
pub enum WebexError {
    /// HTTP 401, close code 4401 or an `error` frame at socket authorization: the token is invalid
    /// (bots' tokens do not expire, so it was regenerated or revoked). Stop and alert; do not retry.
    #[error("webex: the bot token was rejected; put a valid token in WEBEX_BOT_TOKEN and restart")]
    TokenRejected,
    /// Close 4000 "replaced": another process connected with this device registration. Stop; run one
    /// bot instance per token (two instances would evict each other forever).
    #[error(
        "webex: another instance took over this bot's connection (close 4000 \"replaced\"); \
         run a single instance per bot token"
    )]
    Replaced,
    /// Still rate limited (429/423) after the retry budget: try again after `after`.
    #[error("webex: rate limited; retry after {after:?}")]
    RetryAfter { after: Duration },
    /// 404: the object does not exist or the bot may not see it. Do not retry.
    #[error("webex: not found: {what} (trackingId {tracking_id})")]
    NotFound { what: String, tracking_id: String },
    /// 403: the bot is not allowed to do this. Do not retry.
    #[error("webex: forbidden: {message} (trackingId {tracking_id})")]
    Forbidden {
        message: String,
        tracking_id: String,
    },
    /// Any other 4xx: the request is wrong. Do not retry; `message` is Webex's explanation.
    #[error("webex: request rejected ({status}): {message} (trackingId {tracking_id})")]
    BadRequest {
        status: u16,
        message: String,
        tracking_id: String,
    },
    /// 5xx or network failure after retries: transient, try again later.
    #[error("webex: service unavailable: {detail}")]
    Unavailable { detail: String },
    /// A response without a field we need, or not JSON. Log it; the event or call is skipped.
    #[error("webex: unexpected response from {what}: {detail}")]
    InvalidResponse { what: String, detail: String },
    /// A message the bot refused to send because Webex would refuse it for its size (a card
    /// message over the budget, docs/webex.md §10). Do not retry the same message.
    #[error("webex: the message is {bytes} bytes, over the {limit}-byte limit; not sent")]
    TooLarge { bytes: usize, limit: usize },
    /// Bad configuration (an unparsable URL, a token that cannot be a header). Fix the settings.
    #[error("webex: configuration: {0}")]
    Config(String),
}

impl WebexError {
    /// True when the whole Webex client should stop rather than retry.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            WebexError::TokenRejected | WebexError::Replaced | WebexError::Config(_)
        )
    }
}
