//! What the Mercury loop does after a socket ends (specs/webex.md §2.5) and how long it waits first.
//!
//! Pure: the close-code table and the backoff are values and functions, unit-tested here.

use std::time::Duration;

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

/// Exponential backoff with jitter: `initial`, `2·initial`, … capped at `max`; each delay is drawn
/// from [d/2, d] so that many bots restarted together do not reconnect in lockstep.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max: max.max(initial),
            attempt: 0,
        }
    }

    /// The ceiling for the current attempt (before jitter).
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(20)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }

    /// The next delay; `unit` in [0, 1) is the jitter draw (pass `fastrand::f64()`).
    pub fn next_delay(&mut self, unit: f64) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        jittered(ceiling, unit)
    }

    /// After a healthy connection the next failure starts from `initial` again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// A delay in [d/2, d] for `unit` in [0, 1].
pub fn jittered(d: Duration, unit: f64) -> Duration {
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.0
    };
    d.mul_f64(0.5 + 0.5 * unit)
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

    #[test]
    fn backoff_doubles_to_the_cap_within_jitter_bounds() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(32));
        let ceilings: Vec<u64> = (0..8)
            .map(|_| {
                let c = b.ceiling();
                let d = b.next_delay(fastrand::f64());
                assert!(d <= c && d >= c / 2, "{d:?} vs {c:?}");
                c.as_secs()
            })
            .collect();
        assert_eq!(ceilings, vec![1, 2, 4, 8, 16, 32, 32, 32]);
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_secs(1));
    }

    #[test]
    fn backoff_survives_many_attempts_and_odd_jitter() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(32));
        for _ in 0..10_000 {
            b.next_delay(0.5);
        }
        assert_eq!(b.ceiling(), Duration::from_secs(32));
        assert_eq!(b.next_delay(f64::NAN), Duration::from_secs(16));
        assert_eq!(b.next_delay(7.0), Duration::from_secs(32));
        assert_eq!(
            jittered(Duration::from_secs(2), 0.0),
            Duration::from_secs(1)
        );
    }
}
