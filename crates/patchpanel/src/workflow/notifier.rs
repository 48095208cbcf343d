//! `Notifier`: where workflow messages go (`PATCHPANEL_NOTIFY`: a person's email or a room id).
//! Unset, the workflows still run and their messages are only logged. A failure to send is logged
//! and never stops a workflow.

use std::time::Duration;

use crate::webex::WebexRest;

/// Upper bound of one message's send, retries included: a slow or rate-limited Webex delays a
/// workflow by at most this much.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct Notifier {
    to: Option<(WebexRest, String)>,
}

impl Notifier {
    /// Messages go to `target` (an email → a 1:1 message; otherwise a room id) through `rest`.
    /// Without either, messages are only logged, and this warns once (build one per process).
    pub fn new(rest: Option<WebexRest>, target: Option<String>) -> Self {
        let target = target
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        match (rest, target) {
            (Some(rest), Some(target)) => Notifier {
                to: Some((rest, target)),
            },
            (_, target) => {
                tracing::warn!(
                    notify_set = target.is_some(),
                    "PATCHPANEL_NOTIFY is not set (or Webex is not configured): workflow messages are only logged"
                );
                Notifier { to: None }
            }
        }
    }

    /// Posts `markdown` (or logs it when no target is set). Never fails: a send error or a send
    /// slower than [`SEND_TIMEOUT`] is logged.
    pub async fn send(&self, markdown: &str) {
        let Some((rest, target)) = &self.to else {
            tracing::info!(message = %markdown, "workflow message (no PATCHPANEL_NOTIFY)");
            return;
        };
        match tokio::time::timeout(SEND_TIMEOUT, rest.notify(target, markdown)).await {
            Ok(Ok(ids)) => tracing::debug!(parts = ids.len(), "workflow message sent"),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, message = %markdown, "workflow message not sent")
            }
            Err(_) => {
                tracing::warn!(message = %markdown, "workflow message not sent: Webex took too long")
            }
        }
    }
}
