//! Mercury frames as values: classifying inbound envelopes and building the outbound control frames.
//!
//! Pure: no IO, so every frame shape (including hostile ones) is unit-tested here.

use super::wire::{AckFrame, Activity, AuthData, AuthFrame, Envelope, PingFrame};
use crate::text_safety::excerpt;

/// What an inbound frame means to the socket loop.
#[derive(Debug, Clone)]
pub enum FrameKind {
    /// Answer to our app-level ping; `id` must match the ping's.
    Pong { id: Option<String> },
    /// The server node is draining: reconnect now.
    Shutdown,
    /// Top-level `type:"error"` (authorization failed).
    Error,
    /// `mercury.buffer_state` / `mercury.registration_status`: the socket is authorized.
    Ready,
    /// A `conversation.activity` event.
    Activity(Box<Activity>),
    /// Anything else (KMS, typing, other control types); acked and dropped.
    Ignored { what: String },
}

/// A classified inbound frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The top-level `id` to acknowledge, when present.
    pub ack_id: Option<String>,
    pub kind: FrameKind,
    pub sequence_number: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("frame is not JSON: {0}")]
    NotJson(String),
}

/// Parses and classifies one Text or Binary frame payload.
pub fn classify(payload: &[u8]) -> Result<Frame, FrameError> {
    let env: Envelope =
        serde_json::from_slice(payload).map_err(|e| FrameError::NotJson(e.to_string()))?;
    let ack_id = env.id.clone().filter(|id| !id.is_empty());
    let sequence_number = env.sequence_number;
    let kind = match env.kind.as_deref() {
        Some("pong") => FrameKind::Pong { id: env.id },
        Some("shutdown") => FrameKind::Shutdown,
        Some("error") => FrameKind::Error,
        Some(other) => FrameKind::Ignored {
            what: format!("type:{}", excerpt(other, 40)),
        },
        None => {
            let data = env.data.unwrap_or_default();
            match data.event_type.as_deref() {
                Some("mercury.buffer_state") | Some("mercury.registration_status") => {
                    FrameKind::Ready
                }
                Some("conversation.activity") => match data.activity {
                    Some(a) => FrameKind::Activity(Box::new(a)),
                    None => FrameKind::Ignored {
                        what: "conversation.activity without activity".to_owned(),
                    },
                },
                Some(other) => FrameKind::Ignored {
                    what: excerpt(other, 60),
                },
                None => FrameKind::Ignored {
                    what: "no eventType".to_owned(),
                },
            }
        }
    };
    Ok(Frame {
        ack_id,
        kind,
        sequence_number,
    })
}

/// A log-safe excerpt of a raw payload. Never used on frames we send (the auth frame has the token).
pub fn payload_excerpt(payload: &[u8]) -> String {
    excerpt(
        &String::from_utf8_lossy(&payload[..payload.len().min(400)]),
        120,
    )
}

pub fn auth_frame(id: &str, token: &str) -> String {
    let bearer = format!("Bearer {token}");
    to_json(&AuthFrame {
        id,
        kind: "authorization",
        data: AuthData { token: &bearer },
    })
}

pub fn ping_frame(id: &str) -> String {
    to_json(&PingFrame { id, kind: "ping" })
}

pub fn ack_frame(message_id: &str) -> String {
    to_json(&AckFrame {
        kind: "ack",
        message_id,
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    // These structs hold only strings, so serialization cannot fail; fall back to an empty object
    // rather than panic.
    serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn classifies_control_frames() {
        let f = classify(br#"{"type":"pong","id":"p1","wsWriteTimestamp":1}"#).unwrap();
        assert!(matches!(f.kind, FrameKind::Pong { id: Some(ref i) } if i == "p1"));
        assert_eq!(f.ack_id.as_deref(), Some("p1"));
        assert!(matches!(
            classify(br#"{"type":"shutdown","id":"s"}"#).unwrap().kind,
            FrameKind::Shutdown
        ));
        assert!(matches!(
            classify(br#"{"type":"error","data":{"reason":"x"}}"#)
                .unwrap()
                .kind,
            FrameKind::Error
        ));
        assert!(matches!(
            classify(br#"{"type":"weird"}"#).unwrap().kind,
            FrameKind::Ignored { .. }
        ));
    }

    #[test]
    fn classifies_readiness_and_events() {
        for et in ["mercury.buffer_state", "mercury.registration_status"] {
            let raw = format!(r#"{{"id":"e","data":{{"eventType":"{et}"}}}}"#);
            assert!(matches!(
                classify(raw.as_bytes()).unwrap().kind,
                FrameKind::Ready
            ));
        }
        let f = classify(
            br#"{"id":"e2","sequenceNumber":7,"data":{"eventType":"conversation.activity",
                 "activity":{"id":"a","verb":"post"}}}"#,
        )
        .unwrap();
        assert_eq!(f.sequence_number, Some(7));
        match f.kind {
            FrameKind::Activity(a) => assert_eq!(a.id.as_deref(), Some("a")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(br#"{"id":"k","data":{"eventType":"encryption.kms_message"}}"#)
                .unwrap()
                .kind,
            FrameKind::Ignored { .. }
        ));
        assert!(matches!(
            classify(br#"{"data":{"eventType":"conversation.activity"}}"#)
                .unwrap()
                .kind,
            FrameKind::Ignored { .. }
        ));
        assert!(matches!(
            classify(b"{}").unwrap().kind,
            FrameKind::Ignored { .. }
        ));
    }

    #[test]
    fn empty_ids_are_not_acked() {
        let f = classify(br#"{"id":"","data":{"eventType":"x"}}"#).unwrap();
        assert!(f.ack_id.is_none());
    }

    #[test]
    fn malformed_frames_are_errors() {
        for bad in [
            &b""[..],
            b"not json",
            b"[1,2]",
            b"{\"id\":",
            b"\xff\xfe",
            b"{\"data\":5}",
            b"null",
        ] {
            assert!(classify(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn outbound_frames_have_the_spec_shape() {
        let a: Value = serde_json::from_str(&auth_frame("u1", "tok\"en")).unwrap();
        assert_eq!(a["id"], "u1");
        assert_eq!(a["type"], "authorization");
        assert_eq!(a["data"]["token"], "Bearer tok\"en");
        let p: Value = serde_json::from_str(&ping_frame("u2")).unwrap();
        assert_eq!(p, serde_json::json!({"id":"u2","type":"ping"}));
        let k: Value = serde_json::from_str(&ack_frame("e1")).unwrap();
        assert_eq!(k, serde_json::json!({"type":"ack","messageId":"e1"}));
    }

    #[test]
    fn excerpts_are_short_and_safe() {
        assert_eq!(excerpt("a\nb", 10), "a b");
        assert_eq!(excerpt("ééééé", 2), "éé…");
        let long = vec![b'x'; 10_000];
        assert!(payload_excerpt(&long).chars().count() <= 121);
        assert_eq!(payload_excerpt(b"\xff"), "\u{fffd}");
    }
}
