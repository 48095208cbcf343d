//! Webex JSON shapes (Mercury envelopes, activities, REST objects, U2C/WDM), deserialized leniently.
//!
//! Every field is optional or defaulted: the server adds and omits fields freely (docs/webex.md
//! §1.3, §3), so the code that needs a field checks for it and reports a clear error instead of
//! panicking.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One inbound Mercury frame (docs/webex.md §3.1).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Envelope {
    pub id: Option<String>,
    /// Control frames only: `pong`, `shutdown`, `error`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub data: Option<EnvelopeData>,
    #[serde(rename = "sequenceNumber")]
    pub sequence_number: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EnvelopeData {
    #[serde(rename = "eventType")]
    pub event_type: Option<String>,
    pub activity: Option<Activity>,
}

/// `data.activity` of a `conversation.activity` event (docs/webex.md §3.2).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Activity {
    pub id: Option<String>,
    pub verb: Option<String>,
    pub actor: Option<Actor>,
    pub target: Option<Target>,
    pub parent: Option<Parent>,
    pub published: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Actor {
    pub id: Option<String>,
    #[serde(rename = "entryUUID")]
    pub entry_uuid: Option<String>,
    #[serde(rename = "emailAddress")]
    pub email_address: Option<String>,
    #[serde(rename = "entryEmail")]
    pub entry_email: Option<String>,
    #[serde(rename = "displayName")]
    pub display_name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Target {
    pub id: Option<String>,
    pub url: Option<String>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Parent {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// `GET /people/me` and `GET /people/{id}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Person {
    pub id: Option<String>,
    pub emails: Vec<String>,
    #[serde(rename = "displayName")]
    pub display_name: Option<String>,
}

/// `GET /messages/{id}` and the answer of `POST /messages`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Message {
    pub id: Option<String>,
    #[serde(rename = "parentId")]
    pub parent_id: Option<String>,
    #[serde(rename = "roomId")]
    pub room_id: Option<String>,
    #[serde(rename = "roomType")]
    pub room_type: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
    #[serde(rename = "personId")]
    pub person_id: Option<String>,
    #[serde(rename = "personEmail")]
    pub person_email: Option<String>,
}

/// `GET /attachment/actions/{id}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AttachmentAction {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(rename = "messageId")]
    pub message_id: Option<String>,
    pub inputs: Option<Map<String, Value>>,
    #[serde(rename = "personId")]
    pub person_id: Option<String>,
    #[serde(rename = "roomId")]
    pub room_id: Option<String>,
}

/// What the conversation service answers for `…/messages/{uuid}` or `…/attachment/actions/{uuid}`;
/// only the hydra `id` is read (the answer is not a documented API).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConversationObject {
    pub id: Option<String>,
}

/// The body of `POST /messages`: to a room (optionally in a thread) or to a person by email;
/// exactly one of `roomId` / `toPersonEmail` is sent.
#[derive(Debug, Clone, Serialize)]
pub struct NewMessage<'a> {
    #[serde(rename = "roomId", skip_serializing_if = "Option::is_none")]
    pub room_id: Option<&'a str>,
    #[serde(rename = "toPersonEmail", skip_serializing_if = "Option::is_none")]
    pub to_person_email: Option<&'a str>,
    #[serde(rename = "parentId", skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<&'a str>,
    pub markdown: &'a str,
}

/// The body of `POST /messages` with a card: the fallback `markdown` beside one Adaptive Card
/// attachment (docs/webex.md §5); exactly one of `roomId` / `toPersonEmail`.
#[derive(Debug, Clone, Serialize)]
pub struct NewCardMessage<'a> {
    #[serde(rename = "roomId", skip_serializing_if = "Option::is_none")]
    pub room_id: Option<&'a str>,
    #[serde(rename = "toPersonEmail", skip_serializing_if = "Option::is_none")]
    pub to_person_email: Option<&'a str>,
    pub markdown: &'a str,
    pub attachments: [CardAttachment<'a>; 1],
}

/// `{"contentType": "application/vnd.microsoft.card.adaptive", "content": {…}}`.
#[derive(Debug, Clone, Serialize)]
pub struct CardAttachment<'a> {
    #[serde(rename = "contentType")]
    pub content_type: &'static str,
    pub content: &'a Value,
}

/// The error body WDM and REST share (docs/webex.md §1.3).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    pub message: Option<String>,
    #[serde(rename = "trackingId")]
    pub tracking_id: Option<String>,
    pub errors: Vec<ErrorItem>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ErrorItem {
    pub description: Option<String>,
}

/// `GET {u2c}/catalog?format=hostmap`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Catalog {
    #[serde(rename = "serviceLinks")]
    pub service_links: HashMap<String, Value>,
    #[serde(rename = "hostCatalog")]
    pub host_catalog: HashMap<String, Vec<CatalogHost>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CatalogHost {
    pub host: Option<String>,
    pub id: Option<String>,
}

/// `GET {wdm}/devices`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DeviceList {
    pub devices: Vec<Device>,
}

/// A WDM device DTO (docs/webex.md §1.3).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Device {
    pub url: Option<String>,
    #[serde(rename = "webSocketUrl")]
    pub web_socket_url: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "modificationTime")]
    pub modification_time: Option<String>,
}

/// The body of `POST {wdm}/devices` and `PUT {device.url}`.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceRequest<'a> {
    #[serde(rename = "deviceName")]
    pub device_name: &'a str,
    #[serde(rename = "deviceType")]
    pub device_type: &'a str,
    #[serde(rename = "localizedModel")]
    pub localized_model: &'a str,
    pub model: &'a str,
    pub name: &'a str,
    #[serde(rename = "systemName")]
    pub system_name: &'a str,
    #[serde(rename = "systemVersion")]
    pub system_version: &'a str,
}

/// Outbound control frames (authorization, ping, ack), built with serde.
#[derive(Debug, Clone, Serialize)]
pub struct AuthFrame<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub data: AuthData<'a>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthData<'a> {
    pub token: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct PingFrame<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct AckFrame<'a> {
    #[serde(rename = "type")]
    pub kind: &'a str,
    #[serde(rename = "messageId")]
    pub message_id: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENVELOPE: &str = r#"{
      "id": "env-1",
      "data": { "eventType": "conversation.activity", "activity": {
        "id": "3f977de0-d1d9-11e6-869c-1154edc7a0cf",
        "objectType": "activity",
        "url": "https://conv-a.wbx2.com/conversation/api/v1/activities/3f977de0",
        "published": "2017-01-03T17:22:48.638Z",
        "verb": "post",
        "actor": { "id": "p-uuid", "objectType": "person", "displayName": "Ricky T",
                   "orgId": "o", "emailAddress": "ricky@example.com",
                   "entryUUID": "p-uuid", "entryEmail": "ricky@example.com", "type": "PERSON" },
        "object": { "objectType": "comment", "displayName": "JWE", "content": "JWE",
                    "mentions": { "items": [ { "id": "bot", "objectType": "person" } ] } },
        "target": { "id": "space", "objectType": "conversation",
                    "url": "https://conv-a.wbx2.com/conversation/api/v1/conversations/space",
                    "tags": ["ONE_ON_ONE"], "participants": {"items": []} },
        "parent": { "id": "root", "type": "reply", "actorId": "a", "published": "x" },
        "encryptionKeyUrl": "https://encryption-a.wbx2.com/k",
        "vectorCounters": { "sourceDC": "x", "counters": { } }
      } },
      "timestamp": 1712345678901, "trackingId": "t", "sequenceNumber": 42,
      "filterMessage": false, "alertType": "none", "headers": {}, "wsWriteTimestamp": 1
    }"#;

    #[test]
    fn parses_the_spec_envelope() {
        let env: Envelope = serde_json::from_str(ENVELOPE).unwrap();
        assert_eq!(env.id.as_deref(), Some("env-1"));
        assert_eq!(env.sequence_number, Some(42));
        let data = env.data.unwrap();
        assert_eq!(data.event_type.as_deref(), Some("conversation.activity"));
        let a = data.activity.unwrap();
        assert_eq!(a.verb.as_deref(), Some("post"));
        let actor = a.actor.unwrap();
        assert_eq!(actor.entry_uuid.as_deref(), Some("p-uuid"));
        assert_eq!(actor.kind.as_deref(), Some("PERSON"));
        assert_eq!(actor.email_address.as_deref(), Some("ricky@example.com"));
        assert_eq!(a.target.unwrap().tags, vec!["ONE_ON_ONE".to_owned()]);
        assert_eq!(a.parent.unwrap().id.as_deref(), Some("root"));
    }

    #[test]
    fn missing_fields_are_none_not_errors() {
        let env: Envelope = serde_json::from_str(r#"{"data":{"activity":{}}}"#).unwrap();
        assert!(env.id.is_none());
        let a = env.data.unwrap().activity.unwrap();
        assert!(a.id.is_none() && a.verb.is_none() && a.actor.is_none());
        let m: Message = serde_json::from_str("{}").unwrap();
        assert!(m.id.is_none() && m.room_id.is_none());
    }

    #[test]
    fn parses_a_rest_message_and_an_attachment_action() {
        let m: Message = serde_json::from_str(
            r#"{"id":"M","roomId":"R","roomType":"group","text":"Bot hi","html":"<p>x</p>",
                "personId":"P","personEmail":"a@b.c","created":"2020","mentionedPeople":["B"]}"#,
        )
        .unwrap();
        assert_eq!(m.room_type.as_deref(), Some("group"));
        assert!(m.parent_id.is_none());
        let a: AttachmentAction = serde_json::from_str(
            r#"{"id":"A","type":"submit","messageId":"M","inputs":{"x":"1","n":2},
                "personId":"P","roomId":"R","created":"2020"}"#,
        )
        .unwrap();
        assert_eq!(a.inputs.unwrap().len(), 2);
    }

    #[test]
    fn parses_catalog_and_devices_leniently() {
        let c: Catalog = serde_json::from_str(
            r#"{"serviceLinks":{"wdm":"https://wdm-r.wbx2.com/wdm/api/v1","x":1},
                "hostCatalog":{"conv-r.wbx2.com":[{"host":"conv-r.wbx2.com","ttl":-1,"priority":5,
                "id":"urn:TEAM:eu-central-1_k:conversation"}]},"format":"hostmap"}"#,
        )
        .unwrap();
        assert_eq!(c.host_catalog["conv-r.wbx2.com"].len(), 1);
        let d: DeviceList =
            serde_json::from_str(r#"{"devices":[{"url":"u","name":"n"}]}"#).unwrap();
        assert_eq!(d.devices[0].name.as_deref(), Some("n"));
        let none: DeviceList = serde_json::from_str("{}").unwrap();
        assert!(none.devices.is_empty());
    }

    #[test]
    fn wrong_types_are_errors_not_panics() {
        assert!(serde_json::from_str::<Envelope>(r#"{"id": 5}"#).is_err());
        assert!(serde_json::from_str::<Envelope>("[1,2]").is_err());
    }
}
