//! Injected failures (`POST /_sim/fail`): the next N requests whose path starts with a prefix (and,
//! when given, with that method) get a given status (with `Retry-After` when asked), including
//! WebSocket upgrades; and the switches of `POST /_sim/options` (pings left unanswered, activities
//! whose actor carries no email address).

/// How the simulated Webex behaves on its sockets until told otherwise; both on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Options {
    /// Application pings get a pong (off: a socket that went silent without closing).
    pub pongs: bool,
    /// Activity actors carry `emailAddress`/`entryEmail` (off: as some card actions arrive, so a
    /// client has to ask `/v1/people` for the email).
    pub actor_email: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            pongs: true,
            actor_email: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailRule {
    pub prefix: String,
    pub status: u16,
    pub remaining: u32,
    pub retry_after: Option<u64>,
    /// Only requests with this method (e.g. `POST`, so a failing `POST /v1/messages` leaves
    /// `GET /v1/messages/{id}` alone); any method when `None`.
    pub method: Option<String>,
}

/// What an injected failure answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Injected {
    pub status: u16,
    pub retry_after: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Vec<FailRule>,
}

impl Faults {
    pub fn add(&mut self, rule: FailRule) {
        if rule.remaining > 0 {
            self.rules.push(rule);
        }
    }

    /// Consumes one failure for `method` `path` (the oldest matching rule first).
    pub fn take(&mut self, method: &str, path: &str) -> Option<Injected> {
        let i = self.rules.iter().position(|r| {
            path.starts_with(&r.prefix)
                && r.method
                    .as_deref()
                    .map_or(true, |m| m.eq_ignore_ascii_case(method))
        })?;
        let rule = self.rules.get_mut(i)?;
        rule.remaining = rule.remaining.saturating_sub(1);
        let hit = Injected {
            status: rule.status,
            retry_after: rule.retry_after,
        };
        if rule.remaining == 0 {
            self.rules.remove(i);
        }
        Some(hit)
    }

    pub fn pending(&self) -> &[FailRule] {
        &self.rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_per_prefix() {
        let mut f = Faults::default();
        f.add(FailRule {
            prefix: "/v1/messages".into(),
            status: 429,
            remaining: 2,
            retry_after: Some(3),
            method: None,
        });
        f.add(FailRule {
            prefix: "/wdm".into(),
            status: 500,
            remaining: 0,
            retry_after: None,
            method: None,
        });
        assert_eq!(f.take("POST", "/wdm/api/v1/devices"), None);
        assert_eq!(f.take("GET", "/v1/people/me"), None);
        let hit = Injected {
            status: 429,
            retry_after: Some(3),
        };
        assert_eq!(f.take("POST", "/v1/messages"), Some(hit));
        assert_eq!(f.take("GET", "/v1/messages/abc"), Some(hit));
        assert_eq!(f.take("POST", "/v1/messages"), None);
        assert!(f.pending().is_empty());
    }

    #[test]
    fn a_rule_with_a_method_leaves_other_methods_alone() {
        let mut f = Faults::default();
        f.add(FailRule {
            prefix: "/v1/messages".into(),
            status: 429,
            remaining: 1,
            retry_after: None,
            method: Some("POST".into()),
        });
        assert_eq!(f.take("GET", "/v1/messages/abc"), None);
        assert_eq!(f.take("post", "/v1/messages").map(|h| h.status), Some(429));
        assert!(f.pending().is_empty());
    }
}
