//! What the Mercury loop does after a socket ends (docs/webex.md §2.5) and how long it waits first.
//!
//! Pure: the close-code table and the backoff are values and functions, unit-tested here.

/// How a socket session ended, as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEnd {
    /// The WebSocket upgrade was answered with this HTTP status.
    Handshake(u16),
    /// The server (or the network) closed the socket; `code` is `None` for an abnormal drop.
    Closed { code: Option<u16>, reason: String },
    /// We gave up on the socket: silent, pong missing or mismatched, ready timeout, IO error.
    Dead(String),
    /// The server sent `type:"shutdown"`.
    ServerShutdown,
    /// A top-level `type:"error"` frame before the socket was ready (authorization failed).
    AuthError,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Reconnect after the backoff delay.
    Reconnect,
    /// Reconnect without waiting.
    ReconnectNow,
    /// The registration is gone: POST a new device, then reconnect.
    NewDevice,
    /// The token is refused: stop with `TokenRejected`.
    StopTokenRejected,
    /// Another connection took over this registration: stop with `Replaced`.
    StopReplaced,
}

/// The close-code policy. Deliberately biased to reconnecting: a bot should stay connected unless
/// continuing is known to be futile (bad token) or harmful (two instances evicting each other).
pub fn decide(end: &SessionEnd) -> Action {
    match end {
        SessionEnd::Handshake(404) => Action::NewDevice,
        SessionEnd::Handshake(_) => Action::Reconnect,
        SessionEnd::Closed {
            code: Some(4401), ..
        } => Action::StopTokenRejected,
        SessionEnd::Closed {
            code: Some(4000),
            reason,
        } if reason.trim().eq_ignore_ascii_case("replaced") => Action::StopReplaced,
        // "Refresh your Mercury registration".
        SessionEnd::Closed {
            code: Some(4404), ..
        } => Action::NewDevice,
        SessionEnd::Closed { .. } | SessionEnd::Dead(_) => Action::Reconnect,
        SessionEnd::ServerShutdown => Action::ReconnectNow,
        SessionEnd::AuthError => Action::StopTokenRejected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(code: u16, reason: &str) -> SessionEnd {
        SessionEnd::Closed {
            code: Some(code),
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn close_code_table() {
        let table: Vec<(SessionEnd, Action)> = vec![
            (SessionEnd::Handshake(404), Action::NewDevice),
            (SessionEnd::Handshake(502), Action::Reconnect),
            (SessionEnd::Handshake(401), Action::Reconnect),
            (closed(4401, ""), Action::StopTokenRejected),
            (closed(4000, "replaced"), Action::StopReplaced),
            (closed(4000, "Replaced "), Action::StopReplaced),
            (closed(4000, "other"), Action::Reconnect),
            (closed(4404, ""), Action::NewDevice),
            (closed(1000, "idle"), Action::Reconnect),
            (closed(1000, "done"), Action::Reconnect),
            (closed(1001, ""), Action::Reconnect),
            (closed(1006, ""), Action::Reconnect),
            (closed(1011, ""), Action::Reconnect),
            (closed(3050, "pong not received"), Action::Reconnect),
            (closed(4400, ""), Action::Reconnect),
            (closed(4403, ""), Action::Reconnect),
            (
                SessionEnd::Closed {
                    code: None,
                    reason: String::new(),
                },
                Action::Reconnect,
            ),
            (SessionEnd::Dead("silent".into()), Action::Reconnect),
            (SessionEnd::ServerShutdown, Action::ReconnectNow),
            (SessionEnd::AuthError, Action::StopTokenRejected),
        ];
        for (end, want) in table {
            assert_eq!(decide(&end), want, "{end:?}");
        }
    }
}
