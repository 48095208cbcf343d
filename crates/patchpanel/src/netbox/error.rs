//! `NetboxError`: every way a NetBox call fails, each variant saying what a person should do next.
//! Pure mapping from (status, headers, body) to a variant lives here so it is unit-tested.

use crate::text_safety::excerpt;
use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// One field's validation messages from a NetBox `400` body (`{"mtu": ["Ensure ..."]}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field name; nested errors are joined with dots (`custom_fields.nope`).
    pub field: String,
    pub messages: Vec<String>,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.messages.join("; "))
    }
}

fn join_fields(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, thiserror::Error)]
pub enum NetboxError {
    /// NETBOX_URL / NETBOX_TOKEN cannot be used as given.
    #[error("NetBox configuration: {0}")]
    Config(String),
    /// NetBox did not accept the token (it answers 403, not 401, for missing or bad tokens).
    #[error("NetBox refused the token ({detail}): check NETBOX_TOKEN (v1 `Token <40 chars>` or v2 `Bearer nbt_<key>.<secret>`), its expiry and allowed IPs")]
    Unauthorized { detail: String },
    /// The token is valid but lacks a permission (read-only token, object permissions).
    #[error("NetBox forbids {what} ({detail}): give the bot's token write permission for it")]
    Forbidden { what: String, detail: String },
    #[error("NetBox has no {what}")]
    NotFound { what: String },
    /// More than one object matched where exactly one is required; a human must pick.
    #[error("{what} is ambiguous in NetBox: {}", candidates.join(", "))]
    Ambiguous {
        what: String,
        candidates: Vec<String>,
    },
    /// NetBox rejected the values we sent (`400` with field errors).
    #[error("NetBox rejected {what}: {}", join_fields(field_errors))]
    Invalid {
        what: String,
        field_errors: Vec<FieldError>,
    },
    /// `If-Match` failed: somebody changed the object since we read it. Re-read and retry.
    #[error("{what} was changed in NetBox since it was read: re-read it and retry")]
    PreconditionFailed { what: String },
    /// NetBox is down, overloaded, locked or unreachable; try again later.
    #[error("NetBox is unavailable ({detail}){}", retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    Unavailable {
        retry_after: Option<Duration>,
        /// The HTTP status NetBox answered; `None`: no answer (connection, timeout, transport).
        status: Option<u16>,
        detail: String,
    },
    /// NetBox answered something we cannot use (wrong shape, HTML, too big). Check NETBOX_URL.
    #[error("NetBox answered {what} with something unusable ({detail}): check NETBOX_URL points at NetBox's API")]
    InvalidResponse { what: String, detail: String },
}

impl NetboxError {
    /// Asking again unchanged may succeed: NetBox unreachable or timing out, or answering 408, 423
    /// (locked), 429 or 5xx. Everything else needs a person (fix the value, the token, the setting)
    /// and is permanent for the item it happened to.
    pub fn is_transient(&self) -> bool {
        matches!(self, NetboxError::Unavailable { .. })
    }

    /// NetBox as a whole cannot be used now, so no single item is to blame (and none should spend
    /// its retry budget on it): no connection or a timeout, 502/503/504 (down, restarting, in
    /// maintenance), 429 (the bot's token is throttled), a refused token or an unusable setting.
    pub fn is_outage(&self) -> bool {
        match self {
            NetboxError::Unavailable { status, .. } => {
                matches!(status, None | Some(429 | 502 | 503 | 504))
            }
            NetboxError::Unauthorized { .. } | NetboxError::Config(_) => true,
            _ => false,
        }
    }
}

/// `{"detail": "..."}` of a NetBox/DRF error body, or `exception: error` of the body NetBox gives
/// an unhandled server error, if that is what the body is.
pub(crate) fn detail_of(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    if let Some(d) = v.get("detail").and_then(Value::as_str) {
        return Some(excerpt(d, 300));
    }
    let error = v.get("error").and_then(Value::as_str)?;
    let exception = v
        .get("exception")
        .and_then(Value::as_str)
        .unwrap_or("error");
    Some(excerpt(&format!("{exception}: {error}"), 300))
}

/// Field errors of a DRF `400` body. Lists of strings, nested objects (`custom_fields`) and the
/// per-index lists of bulk writes are all flattened into `field: messages`.
pub(crate) fn field_errors_of(body: &[u8]) -> Vec<FieldError> {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    collect_field_errors("", &v, &mut out, 0);
    out.truncate(50);
    out
}

fn collect_field_errors(prefix: &str, v: &Value, out: &mut Vec<FieldError>, depth: usize) {
    if depth > 8 || out.len() >= 50 {
        return;
    }
    let name = |k: &str| {
        if prefix.is_empty() {
            excerpt(k, 80)
        } else {
            format!("{prefix}.{}", excerpt(k, 80))
        }
    };
    match v {
        Value::Object(map) => {
            for (k, inner) in map {
                match inner {
                    Value::String(s) => out.push(FieldError {
                        field: name(k),
                        messages: vec![excerpt(s, 300)],
                    }),
                    Value::Array(items) if items.iter().all(Value::is_string) => {
                        out.push(FieldError {
                            field: name(k),
                            messages: items
                                .iter()
                                .filter_map(Value::as_str)
                                .take(10)
                                .map(|s| excerpt(s, 300))
                                .collect(),
                        })
                    }
                    other => collect_field_errors(&name(k), other, out, depth + 1),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate().take(50) {
                let p = if prefix.is_empty() {
                    format!("[{i}]")
                } else {
                    format!("{prefix}[{i}]")
                };
                if let Value::String(s) = item {
                    out.push(FieldError {
                        field: if prefix.is_empty() {
                            "request".into()
                        } else {
                            prefix.to_owned()
                        },
                        messages: vec![excerpt(s, 300)],
                    });
                } else {
                    collect_field_errors(&p, item, out, depth + 1);
                }
            }
        }
        Value::String(s) => out.push(FieldError {
            field: if prefix.is_empty() {
                "request".into()
            } else {
                prefix.to_owned()
            },
            messages: vec![excerpt(s, 300)],
        }),
        _ => {}
    }
}

/// The database's words when a NetBox 500 body reports a `DataError` (a value the column cannot hold).
fn database_refused(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    if v.get("exception").and_then(Value::as_str) != Some("DataError") {
        return None;
    }
    Some(
        v.get("error")
            .and_then(Value::as_str)
            .map(|e| excerpt(e, 200))
            .unwrap_or_else(|| "DataError".into()),
    )
}

/// 403 texts that mean "the token itself is missing or bad" rather than "not allowed to".
fn is_credential_problem(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    [
        "credentials were not provided",
        "invalid token",
        // NetBox 4.7 names the token version ("Invalid v1 token", "Invalid v2 token").
        "invalid v1 token",
        "invalid v2 token",
        "token expired",
        "could not parse key",
        "not permitted from",
        "authentication",
    ]
    .iter()
    .any(|p| d.contains(p))
        && !d.contains("do not have permission")
}

/// Maps a non-success answer to an error. `what` names the object or action for the message.
pub(crate) fn map_status(
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
    what: &str,
) -> NetboxError {
    let detail = detail_of(body);
    let text = || {
        detail
            .clone()
            .unwrap_or_else(|| excerpt(&String::from_utf8_lossy(&body[..body.len().min(300)]), 200))
    };
    match status {
        401 => NetboxError::Unauthorized { detail: text() },
        403 => {
            let d = text();
            if is_credential_problem(&d) {
                NetboxError::Unauthorized { detail: d }
            } else {
                NetboxError::Forbidden {
                    what: what.to_owned(),
                    detail: d,
                }
            }
        }
        404 => NetboxError::NotFound {
            what: what.to_owned(),
        },
        400 => {
            let mut field_errors = field_errors_of(body);
            if field_errors.is_empty() {
                field_errors.push(FieldError {
                    field: "request".into(),
                    messages: vec![text()],
                });
            }
            NetboxError::Invalid {
                what: what.to_owned(),
                field_errors,
            }
        }
        412 => NetboxError::PreconditionFailed {
            what: what.to_owned(),
        },
        // NetBox stores some values (e.g. `changelog_message`) without checking their length first:
        // the database refuses them with a 500 that says `DataError`. Sending the same again fails
        // the same way, so it is the value's fault, not an outage.
        500 if database_refused(body).is_some() => NetboxError::Invalid {
            what: what.to_owned(),
            field_errors: vec![FieldError {
                field: "request".into(),
                messages: vec![format!(
                    "NetBox's database refused a value: {}",
                    database_refused(body).unwrap_or_default()
                )],
            }],
        },
        408 | 423 | 429 | 500..=599 => NetboxError::Unavailable {
            retry_after,
            status: Some(status),
            detail: format!("HTTP {status}: {}", text()),
        },
        _ => NetboxError::InvalidResponse {
            what: what.to_owned(),
            detail: format!("HTTP {status}: {}", text()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_bad_tokens_are_unauthorized_even_as_403() {
        for body in [
            r#"{"detail":"Authentication credentials were not provided."}"#,
            r#"{"detail":"Invalid v2 token"}"#,
            // What a real NetBox 4.7.3 answers to a wrong 40-hex token (regression).
            r#"{"detail":"Invalid v1 token"}"#,
            r#"{"detail":"Invalid token"}"#,
        ] {
            let e = map_status(403, None, body.as_bytes(), "device c9300");
            assert!(
                matches!(e, NetboxError::Unauthorized { .. }),
                "{body}: {e:?}"
            );
            assert!(e.to_string().contains("NETBOX_TOKEN"));
        }
    }

    #[test]
    fn read_only_token_is_forbidden_naming_the_action() {
        let body = br#"{"detail":"You do not have permission to perform this action."}"#;
        let e = map_status(403, None, body, "changing interface 3");
        match &e {
            NetboxError::Forbidden { what, detail } => {
                assert_eq!(what, "changing interface 3");
                assert!(detail.contains("permission"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn field_errors_are_flattened_including_custom_fields() {
        let body = br#"{"tagged_vlans":["Invalid pk \"999\" - object does not exist."],
            "custom_fields":{"nope":"Custom field 'nope' does not exist for this object type."}}"#;
        let e = map_status(400, None, body, "the interface change");
        let NetboxError::Invalid { field_errors, .. } = &e else {
            panic!("{e:?}")
        };
        assert!(field_errors
            .iter()
            .any(|f| f.field == "tagged_vlans" && f.messages[0].contains("999")));
        assert!(field_errors
            .iter()
            .any(|f| f.field == "custom_fields.nope" && f.messages[0].contains("does not exist")));
        assert!(e.to_string().contains("tagged_vlans"));
    }

    #[test]
    fn bulk_per_index_errors_and_non_json_bodies_do_not_panic() {
        let e = map_status(400, None, br#"[{},{"mtu":["too big"]}]"#, "bulk");
        let NetboxError::Invalid { field_errors, .. } = e else {
            panic!()
        };
        assert_eq!(field_errors[0].field, "[1].mtu");
        let e = map_status(400, None, b"<html>\x00\xff</html>", "x");
        assert!(matches!(e, NetboxError::Invalid { .. }));
        let deep = "[".repeat(5000) + &"]".repeat(5000);
        let _ = map_status(400, None, deep.as_bytes(), "deep");
    }

    #[test]
    fn precondition_and_unavailable_carry_what_to_do() {
        let e = map_status(
            412,
            None,
            br#"{"detail":"Precondition failed."}"#,
            "interface 3",
        );
        assert!(matches!(e, NetboxError::PreconditionFailed { .. }));
        assert!(e.to_string().contains("re-read"));
        let e = map_status(503, Some(Duration::from_secs(7)), b"busy", "status");
        let NetboxError::Unavailable { retry_after, .. } = &e else {
            panic!()
        };
        assert_eq!(*retry_after, Some(Duration::from_secs(7)));
        assert!(e.to_string().contains("retry after 7s"));
    }

    fn unavailable(status: Option<u16>) -> NetboxError {
        NetboxError::Unavailable {
            retry_after: None,
            status,
            detail: "x".into(),
        }
    }

    #[test]
    fn transient_errors_are_the_ones_worth_asking_again() {
        for status in [408, 423, 429, 500, 502, 503, 504] {
            let e = map_status(status, None, b"busy", "interface 3");
            assert!(e.is_transient(), "{status}: {e:?}");
        }
        assert!(unavailable(None).is_transient(), "no connection");
        for status in [400, 401, 403, 404, 405, 409, 412, 415, 422] {
            let e = map_status(status, None, b"{}", "interface 3");
            assert!(!e.is_transient(), "{status}: {e:?}");
        }
    }

    #[test]
    fn an_outage_is_netbox_as_a_whole_not_one_item() {
        assert!(unavailable(None).is_outage(), "cannot connect, timeout");
        for status in [429, 502, 503, 504] {
            assert!(unavailable(Some(status)).is_outage(), "{status}");
        }
        assert!(NetboxError::Unauthorized { detail: "x".into() }.is_outage());
        assert!(NetboxError::Config("x".into()).is_outage());
        for item in [
            unavailable(Some(500)),
            unavailable(Some(408)),
            unavailable(Some(423)),
            map_status(400, None, br#"{"description":["too long"]}"#, "x"),
            map_status(
                403,
                None,
                br#"{"detail":"You do not have permission"}"#,
                "x",
            ),
        ] {
            assert!(!item.is_outage(), "{item:?}");
        }
    }

    #[test]
    fn a_database_refusal_is_permanent_and_says_so() {
        // What NetBox 4.7.3 answers to a `changelog_message` longer than its varchar(200).
        let body = br#"{"error": "value too long for type character varying(200)", "exception": "DataError", "netbox_version": "4.7.3", "python_version": "3.12.1"}"#;
        let e = map_status(500, None, body, "the change of interface id 3");
        assert!(!e.is_transient(), "{e:?}");
        let NetboxError::Invalid { field_errors, .. } = &e else {
            panic!("{e:?}")
        };
        assert!(
            field_errors[0].messages[0].contains("value too long"),
            "{e}"
        );
        let other = br#"{"error": "boom", "exception": "OperationalError"}"#;
        let e = map_status(500, None, other, "x");
        assert!(e.is_transient());
        assert!(
            e.to_string().contains("HTTP 500: OperationalError: boom"),
            "{e}"
        );
    }
}
