//! `ZammadError`: every way a Zammad call fails, each variant saying what a person should do next.
//! The pure mapping from (status, `Retry-After`, body) to a variant lives here so it is unit-tested.
//!
//! Zammad answers errors as `{"error": "...", "error_human": "..."}` (docs/zammad.md §1): 401 when
//! the token is not accepted (`Can't find User for Token`, `Not authorized (token expired)!`), 403
//! when the user may not do it (`Not authorized`) but also for `API token access disabled!`,
//! `Authentication required` (no credentials it could read) and `Maintenance mode enabled!`, which
//! are told apart by their text; 404 for a missing record; 422 for a value it refused. No text of
//! ours ever contains the token.

use std::time::Duration;

use serde_json::Value;

use crate::text_safety::excerpt;

/// How much of Zammad's own words an error quotes.
const QUOTE_MAX: usize = 300;

#[derive(Debug, thiserror::Error)]
pub enum ZammadError {
    /// ZAMMAD_URL / ZAMMAD_TOKEN cannot be used as given.
    #[error("Zammad configuration: {0}")]
    Config(String),
    /// 401: Zammad did not accept the token.
    #[error("Zammad refused the token ({detail}): check ZAMMAD_TOKEN (the user's access token, or `Bearer <OAuth2 token>`), that it has not expired and that its user is active")]
    Unauthorized { detail: String },
    /// 403 `API token access disabled!`: an admin setting, not the token.
    #[error("Zammad has API token access switched off: an admin must enable \"API Token Access\" (Settings > System > API)")]
    TokenAccessDisabled,
    /// 403 otherwise: the token's user lacks a permission.
    #[error("Zammad forbids {what} ({detail}): give the bot's user the ticket.agent permission (Agent role) with change access to the ticket's group")]
    Forbidden { what: String, detail: String },
    #[error("Zammad has no {what}")]
    NotFound { what: String },
    /// 422: Zammad refused a value we sent; its words are quoted.
    #[error("Zammad refused {what}: {detail}")]
    Invalid { what: String, detail: String },
    /// Ticket states the workflow needs are missing or inactive (docs/zammad.md §4).
    #[error("{}", missing_states_message(.missing, .inactive))]
    MissingStates {
        missing: Vec<String>,
        inactive: Vec<String>,
    },
    /// No answer, a timeout, 408, 423, 429, 5xx or maintenance mode: try again later.
    #[error("Zammad is unavailable ({detail}){}", retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    Unavailable {
        retry_after: Option<Duration>,
        /// The HTTP status Zammad answered; `None`: no answer (connection, timeout, transport).
        status: Option<u16>,
        detail: String,
    },
    /// An answer that is not the JSON expected (HTML, another shape, too big). Check ZAMMAD_URL.
    #[error("Zammad answered {what} with something unusable ({detail}): check ZAMMAD_URL points at Zammad (its API is under /api/v1)")]
    InvalidResponse { what: String, detail: String },
}

impl ZammadError {
    /// Asking again unchanged may succeed: Zammad unreachable or timing out, answering 408, 423,
    /// 429 or 5xx, or in maintenance mode. Everything else needs a person.
    pub fn is_transient(&self) -> bool {
        matches!(self, ZammadError::Unavailable { .. })
    }

    /// Zammad as a whole cannot be used now, so no single ticket is to blame: no connection, a
    /// timeout, 429, 502/503/504, maintenance mode, a refused token, token access switched off or
    /// an unusable setting.
    pub fn is_outage(&self) -> bool {
        match self {
            ZammadError::Unavailable { status, .. } => {
                matches!(status, None | Some(403 | 429 | 502 | 503 | 504))
            }
            ZammadError::Unauthorized { .. }
            | ZammadError::TokenAccessDisabled
            | ZammadError::Config(_)
            | ZammadError::MissingStates { .. } => true,
            _ => false,
        }
    }
}

impl ZammadError {
    /// The same error with every occurrence of `secret` replaced by `***`: the client passes each
    /// error through this with its token, so even a proxy that echoes the request's headers in its
    /// error page cannot put the token into a message. Secrets shorter than 4 characters are left
    /// (they would only mangle the text).
    pub(crate) fn redacted(self, secret: &str) -> Self {
        if secret.chars().count() < 4 {
            return self;
        }
        let r = |s: String| s.replace(secret, "***");
        match self {
            ZammadError::Config(s) => ZammadError::Config(r(s)),
            ZammadError::Unauthorized { detail } => ZammadError::Unauthorized { detail: r(detail) },
            ZammadError::Forbidden { what, detail } => ZammadError::Forbidden {
                what: r(what),
                detail: r(detail),
            },
            ZammadError::NotFound { what } => ZammadError::NotFound { what: r(what) },
            ZammadError::Invalid { what, detail } => ZammadError::Invalid {
                what: r(what),
                detail: r(detail),
            },
            ZammadError::Unavailable {
                retry_after,
                status,
                detail,
            } => ZammadError::Unavailable {
                retry_after,
                status,
                detail: r(detail),
            },
            ZammadError::InvalidResponse { what, detail } => ZammadError::InvalidResponse {
                what: r(what),
                detail: r(detail),
            },
            other @ (ZammadError::TokenAccessDisabled | ZammadError::MissingStates { .. }) => other,
        }
    }
}

/// What the state type of each workflow state must be, for the message.
fn state_type(name: &str) -> &'static str {
    match name {
        "new" => "new",
        "closed" | "denied" => "closed",
        _ => "open",
    }
}

fn missing_states_message(missing: &[String], inactive: &[String]) -> String {
    let list = |names: &[String]| {
        names
            .iter()
            .map(|n| format!("`{}` (type {})", excerpt(n, 60), state_type(n)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!(
            "Zammad lacks the ticket state(s) {}: an admin creates each under Settings > Ticket > States, or with POST /api/v1/ticket_states {{\"name\": \"<name>\", \"state_type_id\": <id of that type>, \"active\": true}} (see docs/zammad.md §4)",
            list(missing)
        ));
    }
    if !inactive.is_empty() {
        parts.push(format!(
            "the ticket state(s) {} are inactive in Zammad: activate them",
            list(inactive)
        ));
    }
    parts.join("; ")
}

/// Zammad's own words from an error body: `error_human`, else `error`, excerpted.
pub(crate) fn zammad_words(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let pick = |key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| excerpt(s, QUOTE_MAX))
    };
    pick("error_human").or_else(|| pick("error"))
}

/// The body as text, for an answer that is not Zammad's error JSON (an HTML page, a proxy's text).
fn raw_text(body: &[u8]) -> String {
    let head = &body[..body.len().min(QUOTE_MAX * 4)];
    let text = excerpt(String::from_utf8_lossy(head).trim(), 200);
    if text.is_empty() {
        "empty body".to_owned()
    } else {
        text
    }
}

/// Maps a non-success answer to an error. `what` names the object or action for the message.
pub(crate) fn map_status(
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
    what: &str,
) -> ZammadError {
    let words = zammad_words(body);
    let detail = || words.clone().unwrap_or_else(|| raw_text(body));
    let lower = words.as_deref().unwrap_or("").to_ascii_lowercase();
    match status {
        401 => ZammadError::Unauthorized { detail: detail() },
        403 if lower.contains("api token access disabled") => ZammadError::TokenAccessDisabled,
        403 if lower.contains("maintenance mode") => ZammadError::Unavailable {
            retry_after,
            status: Some(status),
            detail: format!("HTTP 403: {}", detail()),
        },
        // No credentials Zammad could read (a header it does not understand).
        403 if lower.contains("authentication required") => {
            ZammadError::Unauthorized { detail: detail() }
        }
        403 => ZammadError::Forbidden {
            what: what.to_owned(),
            detail: detail(),
        },
        404 => ZammadError::NotFound {
            what: what.to_owned(),
        },
        422 => ZammadError::Invalid {
            what: what.to_owned(),
            detail: detail(),
        },
        408 | 423 | 429 | 500..=599 => ZammadError::Unavailable {
            retry_after,
            status: Some(status),
            detail: format!("HTTP {status}: {}", detail()),
        },
        _ => ZammadError::InvalidResponse {
            what: what.to_owned(),
            detail: format!("HTTP {status}: {}", detail()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(error: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({"error": error, "error_human": error})).unwrap()
    }

    #[test]
    fn a_refused_token_names_the_setting_not_the_token() {
        for text in [
            "Can't find User for Token",
            "Not authorized (token expired)!",
        ] {
            let e = map_status(401, None, &body(text), "the bot's own user");
            assert!(matches!(e, ZammadError::Unauthorized { .. }), "{e:?}");
            let shown = e.to_string();
            assert!(
                shown.contains("ZAMMAD_TOKEN") && shown.contains(text),
                "{shown}"
            );
            assert!(e.is_outage() && !e.is_transient());
        }
        let e = map_status(403, None, &body("Authentication required"), "x");
        assert!(matches!(e, ZammadError::Unauthorized { .. }), "{e:?}");
    }

    #[test]
    fn forbidden_says_which_permission_and_group() {
        let e = map_status(403, None, &body("Not authorized"), "updating ticket 12");
        let shown = e.to_string();
        assert!(matches!(e, ZammadError::Forbidden { .. }));
        assert!(shown.contains("updating ticket 12"), "{shown}");
        assert!(
            shown.contains("ticket.agent") && shown.contains("group"),
            "{shown}"
        );
        assert!(!e.is_outage() && !e.is_transient());
    }

    #[test]
    fn special_403s_are_told_apart_by_their_text() {
        let e = map_status(403, None, &body("API token access disabled!"), "x");
        assert!(matches!(e, ZammadError::TokenAccessDisabled));
        assert!(e.to_string().contains("API Token Access") && e.is_outage());
        let e = map_status(403, None, &body("Maintenance mode enabled!"), "x");
        assert!(e.is_transient() && e.is_outage(), "{e:?}");
    }

    #[test]
    fn a_refused_value_quotes_zammad_excerpted() {
        let b = br#"{"error":"No lookup value found for 'state': \"pendng approval\"","error_human":"No lookup value found for 'state': \"pendng approval\""}"#;
        let e = map_status(422, None, b, "the update of ticket 12");
        assert_eq!(
            e.to_string(),
            "Zammad refused the update of ticket 12: No lookup value found for 'state': \"pendng approval\""
        );
        assert!(!e.is_transient());
        // error only, and a hostile one: bounded, one line, nothing disguised.
        let long = format!("{}\n\u{202E}{}", "x".repeat(1000), "y".repeat(1000));
        let b = serde_json::to_vec(&serde_json::json!({ "error": long })).unwrap();
        let shown = map_status(422, None, &b, "x").to_string();
        assert!(shown.chars().count() < 400, "{}", shown.len());
        assert!(!shown.contains('\n') && !shown.contains('\u{202E}'));
    }

    #[test]
    fn transient_answers_carry_retry_after() {
        for status in [408, 423, 429, 500, 502, 503, 504] {
            let e = map_status(status, None, b"<html>busy</html>", "the search");
            assert!(e.is_transient(), "{status}");
        }
        let e = map_status(503, Some(Duration::from_secs(30)), b"", "the search");
        assert!(e.to_string().contains("retry after 30s"), "{e}");
        assert!(e.is_outage());
        let e = map_status(
            500,
            None,
            &body("Error ID abc: Please contact your administrator."),
            "x",
        );
        assert!(
            e.is_transient() && !e.is_outage(),
            "one ticket's 500 is not an outage"
        );
        assert!(e.to_string().contains("Error ID abc"));
    }

    #[test]
    fn other_answers_are_unusable_with_an_excerpt() {
        let e = map_status(302, None, b"<html><body>moved</body></html>", "ticket 4");
        assert!(matches!(e, ZammadError::InvalidResponse { .. }));
        assert!(e.to_string().contains("ZAMMAD_URL") && e.to_string().contains("moved"));
        let e = map_status(
            404,
            None,
            &body("Couldn't find Ticket with 'id'=99"),
            "ticket 99",
        );
        assert_eq!(e.to_string(), "Zammad has no ticket 99");
        let _ = map_status(422, None, &[0xff, 0xfe, 0x00], "x");
        let e = map_status(418, None, b"", "x");
        assert!(e.to_string().contains("empty body"), "{e}");
    }

    #[test]
    fn no_message_contains_the_token_even_when_an_answer_echoes_it() {
        let token = "s3cr3t-zammad-token";
        let echo = format!("Authorization: Token token={token}");
        let bodies = [
            serde_json::to_vec(&serde_json::json!({"error": echo})).unwrap(),
            echo.clone().into_bytes(),
        ];
        for status in [302, 401, 403, 404, 422, 429, 500, 503] {
            for body in &bodies {
                let e = map_status(status, None, body, "x").redacted(token);
                let shown = format!("{e} {e:?}");
                assert!(!shown.contains(token), "{status}: {shown}");
            }
        }
        let e = ZammadError::Config(format!("bad {token}")).redacted(token);
        assert_eq!(e.to_string(), "Zammad configuration: bad ***");
        let e = ZammadError::Config("abc".into()).redacted("ab");
        assert_eq!(
            e.to_string(),
            "Zammad configuration: abc",
            "short secrets are left"
        );
    }

    #[test]
    fn missing_states_are_named_together_with_how_to_create_them() {
        let e = ZammadError::MissingStates {
            missing: vec!["pending approval".into(), "denied".into()],
            inactive: vec!["attention required".into()],
        };
        let shown = e.to_string();
        assert!(shown.contains("`pending approval` (type open)"), "{shown}");
        assert!(shown.contains("`denied` (type closed)"), "{shown}");
        assert!(shown.contains("POST /api/v1/ticket_states"), "{shown}");
        assert!(
            shown.contains("`attention required` (type open) are inactive"),
            "{shown}"
        );
        assert!(e.is_outage());
    }
}
