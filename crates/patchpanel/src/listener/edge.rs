//! What every signed-webhook receiver behind the listener answers the same way: a JSON answer, a
//! refusal (counted, logged once per burst), a header as text, a body read within its bounds (or
//! the refusal that says why not), and the hex of a signature.

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::time::Duration;

use super::{read_body, BodyError, Event, Events};

pub fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

/// A refusal: counted, logged once per burst (a flood of bad requests must not flood the log).
pub fn refuse(events: &Events, status: StatusCode, reason: &str) -> Response {
    events.note(
        Event::Refused,
        &format_args!("{} {reason}", status.as_u16()),
    );
    answer(status, json!({ "error": reason }))
}

pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The body, at most `max` bytes within `within`; otherwise the refusal to send (413, 408, 400).
pub async fn body_or_refusal(
    events: &Events,
    body: Body,
    max: usize,
    within: Duration,
) -> Result<Vec<u8>, Response> {
    read_body(body, max, within).await.map_err(|e| {
        let status = match e {
            BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Slow => StatusCode::REQUEST_TIMEOUT,
            BodyError::Broken => StatusCode::BAD_REQUEST,
        };
        refuse(events, status, &e.to_string())
    })
}

/// Lower- or upper-case hex → bytes; `None` for odd lengths or other characters.
pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let bytes = s.as_bytes();
    if bytes.len() % 2 != 0 {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decodes_both_cases_and_rejects_junk() {
        assert_eq!(hex_decode("00ffAB"), Some(vec![0, 255, 171]));
        assert_eq!(hex_decode(""), Some(vec![]));
        for bad in ["0", "zz", "0g", "é1", "0x00"] {
            assert_eq!(hex_decode(bad), None, "{bad}");
        }
    }
}
