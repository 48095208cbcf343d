//! Mercury frames: the envelope every server frame travels in (docs/webex.md §3.1) and the
//! `conversation.activity` payloads (docs/webex.md §3.2) for posts, card actions and deletions.
//! Content is never sent in clear: `object.displayName`/`content`/`inputs` are opaque JWE-looking
//! strings, as on real Webex.

use std::time::SystemTime;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use super::state::{Action, Chat, Message, Person, RoomKind, ORG_UUID};
use super::wire::CONVERSATION_BASE_PATH as BASE_PATH;
use super::wire::{epoch_ms, iso8601};

/// Actor `type` of a bot. Real Webex only documents `PERSON` for humans; clients must treat every
/// other value as a bot (docs/webex.md §4), so the exact string does not matter to a correct client.
pub const BOT_ACTOR_TYPE: &str = "BOT";

/// One server → client delivery. `sequenceNumber` and `wsWriteTimestamp` are per write, so they are
/// added by [`Envelope::frame`].
#[derive(Debug, Clone)]
pub struct Envelope {
    pub id: String,
    pub data: Value,
    pub timestamp: u64,
    pub tracking_id: String,
    pub alert_type: &'static str,
    /// The message this envelope announces (for `/_sim/timings`).
    pub message_uuid: Option<String>,
}

impl Envelope {
    pub fn new(data: Value, now: SystemTime, message_uuid: Option<String>) -> Self {
        Envelope {
            id: uuid::Uuid::new_v4().to_string(),
            data,
            timestamp: epoch_ms(now),
            tracking_id: format!("MERCURY_{}", uuid::Uuid::new_v4()),
            alert_type: "none",
            message_uuid,
        }
    }

    /// The JSON text written to the socket.
    pub fn frame(&self, sequence_number: u64, write_ms: u64) -> String {
        json!({
            "id": self.id,
            "data": self.data,
            "timestamp": self.timestamp,
            "trackingId": self.tracking_id,
            "sequenceNumber": sequence_number,
            "filterMessage": false,
            "alertType": self.alert_type,
            "headers": {},
            "wsWriteTimestamp": write_ms,
        })
        .to_string()
    }
}

/// The first event after a successful authorization frame: the client's readiness signal.
pub fn buffer_state(now: SystemTime) -> Envelope {
    Envelope::new(
        json!({
            "eventType": "mercury.buffer_state",
            "bufferState": {"conversation": "UNKNOWN", "locus": "UNKNOWN"},
        }),
        now,
        None,
    )
}

/// The answer to an application ping (same `id`).
pub fn pong(id: &Value, sequence_number: u64, write_ms: u64) -> String {
    json!({
        "id": id,
        "type": "pong",
        "sequenceNumber": sequence_number,
        "wsWriteTimestamp": write_ms,
    })
    .to_string()
}

/// Something shaped like a compact JWE (`header..iv.ciphertext.tag`) whose bytes are random, so no
/// client can take the content from the socket instead of REST.
pub fn fake_jwe(plain_len: usize) -> String {
    let header = json!({"alg": "dir", "enc": "A256GCM", "kid": format!("kms://kms-us.wbx2.com/keys/{}", uuid::Uuid::new_v4())});
    let random = |n: usize| -> Vec<u8> { (0..n).map(|_| fastrand::u8(..)).collect() };
    format!(
        "{}..{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(random(12)),
        URL_SAFE_NO_PAD.encode(random(plain_len.clamp(16, 16 * 1024))),
        URL_SAFE_NO_PAD.encode(random(16)),
    )
}

fn actor(p: Option<&Person>, uuid: &str) -> Value {
    let (email, name, is_bot) = p
        .map(|p| (p.email.as_str(), p.display_name.as_str(), p.is_bot))
        .unwrap_or(("", "", false));
    json!({
        "id": uuid,
        "objectType": "person",
        "displayName": name,
        "orgId": ORG_UUID,
        "emailAddress": email,
        "entryUUID": uuid,
        "entryEmail": email,
        "type": if is_bot { BOT_ACTOR_TYPE } else { "PERSON" },
    })
}

fn target(chat: &Chat, room_uuid: &str, host: &str) -> Value {
    let direct = chat.room(room_uuid).map(|r| r.kind) == Some(RoomKind::Direct);
    let tags: Vec<&str> = if direct { vec!["ONE_ON_ONE"] } else { vec![] };
    json!({
        "id": room_uuid,
        "objectType": "conversation",
        "url": format!("http://{host}{BASE_PATH}/conversations/{room_uuid}"),
        "tags": tags,
        "participants": {"items": []},
        "activities": {"items": []},
        "defaultActivityEncryptionKeyUrl": format!("kms://kms-us.wbx2.com/keys/{room_uuid}"),
        "kmsResourceObjectUrl": format!("kms://kms-us.wbx2.com/resources/{room_uuid}"),
    })
}

fn activity_base(id: &str, verb: &str, published: SystemTime, host: &str) -> Value {
    json!({
        "id": id,
        "objectType": "activity",
        "url": format!("http://{host}{BASE_PATH}/activities/{id}"),
        "published": iso8601(published),
        "verb": verb,
        "clientTempId": format!("tmp-{}", uuid::Uuid::new_v4()),
        "encryptionKeyUrl": format!("kms://kms-us.wbx2.com/keys/{}", uuid::Uuid::new_v4()),
    })
}

fn wrap(activity: Value) -> Value {
    json!({"eventType": "conversation.activity", "activity": activity})
}

/// `conversation.activity` / `post` for a new message (activity id = message UUID).
pub fn post_activity(chat: &Chat, m: &Message, host: &str) -> Value {
    let mut a = activity_base(&m.uuid, "post", m.created, host);
    let mut object = json!({
        "objectType": "comment",
        "displayName": fake_jwe(m.text.len()),
    });
    if let Some(html) = &m.html {
        object["content"] = Value::String(fake_jwe(html.len()));
    }
    if !m.mentioned.is_empty() {
        let items: Vec<Value> = m
            .mentioned
            .iter()
            .map(|u| json!({"id": u, "objectType": "person"}))
            .collect();
        object["mentions"] = json!({ "items": items });
    }
    a["actor"] = actor(chat.person(&m.author_uuid), &m.author_uuid);
    a["object"] = object;
    a["target"] = target(chat, &m.room_uuid, host);
    if let Some(parent) = m.parent_uuid.as_deref() {
        let root = chat.message(parent);
        a["parent"] = json!({
            "id": parent,
            "type": "reply",
            "actorId": root.map(|r| r.author_uuid.clone()).unwrap_or_default(),
            "published": root.map(|r| iso8601(r.created)).unwrap_or_default(),
        });
    }
    wrap(a)
}

/// `conversation.activity` / `cardAction` (activity id = attachment action UUID, parent = card message).
pub fn card_action_activity(chat: &Chat, act: &Action, host: &str) -> Value {
    let mut a = activity_base(&act.uuid, "cardAction", act.created, host);
    a["actor"] = actor(chat.person(&act.author_uuid), &act.author_uuid);
    a["object"] = json!({
        "objectType": "submit",
        "inputs": fake_jwe(act.inputs.to_string().len()),
    });
    a["target"] = target(chat, &act.room_uuid, host);
    a["parent"] = json!({"id": act.message_uuid, "type": "cardAction"});
    wrap(a)
}

/// `conversation.activity` / `delete` (the deleted message is `object.id`).
pub fn delete_activity(chat: &Chat, m: &Message, host: &str, now: SystemTime) -> Value {
    let id = uuid::Uuid::new_v4().to_string();
    let mut a = activity_base(&id, "delete", now, host);
    a["actor"] = actor(chat.person(&m.author_uuid), &m.author_uuid);
    a["object"] = json!({"id": m.uuid, "objectType": "activity"});
    a["target"] = target(chat, &m.room_uuid, host);
    wrap(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webex::state::{Say, BOT_UUID};

    fn say(chat: &mut Chat, room: &str, parent: Option<String>, as_bot: bool) -> Message {
        chat.say(
            Say {
                from: "eng@example.com".into(),
                text: "secret words".into(),
                room: room.into(),
                mention: true,
                parent_id: parent,
                as_bot,
            },
            SystemTime::now(),
        )
        .unwrap()
        .clone()
    }

    #[test]
    fn post_activity_has_the_spec_fields_and_no_plaintext() {
        let mut chat = Chat::new(SystemTime::now());
        let root = say(&mut chat, "direct", None, false);
        let reply = say(&mut chat, "direct", Some(root.rest_id.clone()), false);
        let data = post_activity(&chat, &reply, "127.0.0.1:9");
        assert_eq!(data["eventType"], "conversation.activity");
        let a = &data["activity"];
        assert_eq!(a["id"], reply.uuid);
        assert_eq!(a["verb"], "post");
        assert_eq!(a["actor"]["type"], "PERSON");
        assert_eq!(a["actor"]["emailAddress"], "eng@example.com");
        assert_eq!(a["actor"]["entryUUID"], reply.author_uuid);
        assert_eq!(a["object"]["objectType"], "comment");
        assert_eq!(a["object"]["mentions"]["items"][0]["id"], BOT_UUID);
        assert_eq!(a["target"]["id"], reply.room_uuid);
        assert_eq!(a["target"]["tags"][0], "ONE_ON_ONE");
        assert_eq!(
            a["target"]["url"],
            format!(
                "http://127.0.0.1:9/conversation/api/v1/conversations/{}",
                reply.room_uuid
            )
        );
        assert_eq!(a["parent"]["id"], root.uuid);
        assert_eq!(a["parent"]["type"], "reply");
        assert!(a["encryptionKeyUrl"].is_string());
        let text = data.to_string();
        assert!(!text.contains("secret"));
        assert_eq!(
            a["object"]["content"].as_str().unwrap().split('.').count(),
            5
        );
    }

    #[test]
    fn bot_actor_and_group_tags() {
        let mut chat = Chat::new(SystemTime::now());
        let m = say(&mut chat, "ops", None, true);
        let a = &post_activity(&chat, &m, "h")["activity"];
        assert_eq!(a["actor"]["type"], BOT_ACTOR_TYPE);
        assert_eq!(a["target"]["tags"].as_array().unwrap().len(), 0);
        assert!(a.get("parent").is_none());
    }

    #[test]
    fn envelope_frame_fields() {
        let env = buffer_state(SystemTime::now());
        let v: Value = serde_json::from_str(&env.frame(7, 42)).unwrap();
        for k in [
            "id",
            "data",
            "timestamp",
            "trackingId",
            "filterMessage",
            "alertType",
            "headers",
        ] {
            assert!(v.get(k).is_some(), "{k}");
        }
        assert_eq!(v["sequenceNumber"], 7);
        assert_eq!(v["wsWriteTimestamp"], 42);
        assert_eq!(v["data"]["eventType"], "mercury.buffer_state");
        let p: Value = serde_json::from_str(&pong(&json!("abc"), 1, 2)).unwrap();
        assert_eq!(p["type"], "pong");
        assert_eq!(p["id"], "abc");
    }
}
