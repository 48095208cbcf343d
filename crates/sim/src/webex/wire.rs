//! The REST JSON shapes the simulator answers with (people, rooms, memberships, messages, attachment
//! actions, errors) and the timestamp format, built from the model in `state`.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use patchpanel_common::ids::{self, HydraKind};

use super::state::{cluster_of, Action, Chat, Message, Person, Room, RoomKind, ORG_UUID};

/// Where the conversation service lives on the simulator's host (activities and the device
/// registration point at it).
pub const CONVERSATION_BASE_PATH: &str = "/conversation/api/v1";

/// Milliseconds since the Unix epoch (Mercury `timestamp` fields).
pub fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis()
        .try_into()
        .unwrap_or(u64::MAX)
}

/// `2024-05-01T12:34:56.789Z`, the form every Webex timestamp has.
pub fn iso8601(t: SystemTime) -> String {
    let d = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let secs = d.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

pub fn org_rest_id() -> String {
    ids::encode("us", HydraKind::Organization, ORG_UUID)
}

/// The Webex error body (`{"message","errors":[{"description"}],"trackingId"}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub message: String,
    pub errors: Vec<ErrorItem>,
    pub tracking_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorItem {
    pub description: String,
}

impl ErrorBody {
    pub fn new(message: &str, tracking_id: &str) -> Self {
        ErrorBody {
            message: message.to_owned(),
            errors: vec![ErrorItem {
                description: message.to_owned(),
            }],
            tracking_id: tracking_id.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonDto {
    pub id: String,
    pub emails: Vec<String>,
    pub display_name: String,
    pub nick_name: String,
    pub first_name: String,
    pub last_name: String,
    pub org_id: String,
    pub created: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    /// Webex requires an icon when a bot is created, so a bot always has one; people may have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
}

/// Where a person's avatar is served (`GET /avatars/{uuid}~1600`, no token, like Webex's CDN).
pub fn avatar_url(base_url: &str, person_uuid: &str) -> String {
    format!("{base_url}/avatars/{person_uuid}~1600")
}

/// A person as `/v1/people` answers; `base_url` is where the simulator serves avatars.
pub fn person_dto(p: &Person, base_url: &str) -> PersonDto {
    PersonDto {
        avatar: p.is_bot.then(|| avatar_url(base_url, &p.uuid)),
        id: p.rest_id(),
        emails: vec![p.email.clone()],
        display_name: p.display_name.clone(),
        nick_name: p.display_name.clone(),
        first_name: p.display_name.clone(),
        last_name: String::new(),
        org_id: org_rest_id(),
        created: iso8601(p.created),
        kind: if p.is_bot { "bot" } else { "person" }.to_owned(),
        status: "active".to_owned(),
    }
}

fn room_type(kind: RoomKind) -> &'static str {
    match kind {
        RoomKind::Direct => "direct",
        RoomKind::Group => "group",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomDto {
    pub id: String,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub is_locked: bool,
    pub last_activity: String,
    pub creator_id: String,
    pub created: String,
}

pub fn room_dto(r: &Room) -> RoomDto {
    RoomDto {
        id: r.rest_id.clone(),
        title: r.title.clone(),
        kind: room_type(r.kind).to_owned(),
        is_locked: false,
        last_activity: iso8601(r.last_activity),
        creator_id: Chat::bot_rest_id(),
        created: iso8601(r.created),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipDto {
    pub id: String,
    pub room_id: String,
    pub person_id: String,
    pub person_email: String,
    pub person_display_name: String,
    pub person_org_id: String,
    pub is_moderator: bool,
    pub is_monitor: bool,
    pub created: String,
}

pub fn membership_dto(r: &Room, p: &Person) -> MembershipDto {
    MembershipDto {
        id: ids::encode(
            &r.cluster,
            HydraKind::Membership,
            &format!("{}:{}", p.uuid, r.uuid),
        ),
        room_id: r.rest_id.clone(),
        person_id: p.rest_id(),
        person_email: p.email.clone(),
        person_display_name: p.display_name.clone(),
        person_org_id: org_rest_id(),
        is_moderator: false,
        is_monitor: false,
        created: iso8601(r.created),
    }
}

/// A message as `GET /v1/messages/{id}` returns it (also the item of `GET /_sim/messages`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageDto {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    pub room_id: String,
    pub room_type: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Value>>,
    pub person_id: String,
    pub person_email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentioned_people: Option<Vec<String>>,
    pub created: String,
}

pub fn message_dto(chat: &Chat, m: &Message) -> MessageDto {
    let room = chat.room(&m.room_uuid);
    let author = chat.person(&m.author_uuid);
    let rest_person = |uuid: &str| ids::encode("us", HydraKind::People, uuid);
    MessageDto {
        id: m.rest_id.clone(),
        parent_id: m
            .parent_uuid
            .as_deref()
            .and_then(|p| chat.message(p))
            .map(|p| p.rest_id.clone()),
        room_id: room.map(|r| r.rest_id.clone()).unwrap_or_default(),
        room_type: room_type(chat.room_kind(m)).to_owned(),
        text: m.text.clone(),
        markdown: m.markdown.clone(),
        html: m.html.clone(),
        files: (!m.files.is_empty()).then(|| m.files.clone()),
        attachments: (!m.attachments.is_empty()).then(|| m.attachments.clone()),
        person_id: rest_person(&m.author_uuid),
        person_email: author.map(|a| a.email.clone()).unwrap_or_default(),
        mentioned_people: (!m.mentioned.is_empty())
            .then(|| m.mentioned.iter().map(|u| rest_person(u)).collect()),
        created: iso8601(m.created),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionDto {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub message_id: String,
    pub inputs: Value,
    pub person_id: String,
    pub room_id: String,
    pub created: String,
}

pub fn action_dto(chat: &Chat, a: &Action) -> ActionDto {
    ActionDto {
        id: a.rest_id.clone(),
        kind: "submit".to_owned(),
        // The card message lives in the action's space, so its id carries the same cluster.
        message_id: ids::encode(&cluster_of(&a.rest_id), HydraKind::Message, &a.message_uuid),
        inputs: a.inputs.clone(),
        person_id: ids::encode("us", HydraKind::People, &a.author_uuid),
        room_id: chat
            .room(&a.room_uuid)
            .map(|r| r.rest_id.clone())
            .unwrap_or_default(),
        created: iso8601(a.created),
    }
}

/// `{"items":[…]}`, the list shape of every REST collection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Items<T> {
    pub items: Vec<T>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webex::state::{Say, BOT_UUID};

    #[test]
    fn iso8601_formats_known_instants() {
        assert_eq!(iso8601(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_483_464_168_638);
        assert_eq!(iso8601(t), "2017-01-03T17:22:48.638Z");
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(iso8601(leap), "2000-02-29T00:00:00.000Z");
        assert_eq!(epoch_ms(t), 1_483_464_168_638);
    }

    #[test]
    fn message_dto_has_the_rest_shape() {
        let mut chat = Chat::new(SystemTime::UNIX_EPOCH);
        let m = chat
            .say(
                Say {
                    from: "a@x.org".into(),
                    text: "hi".into(),
                    room: "ops".into(),
                    mention: true,
                    parent_id: None,
                    as_bot: false,
                },
                SystemTime::UNIX_EPOCH,
            )
            .unwrap()
            .clone();
        let v = serde_json::to_value(message_dto(&chat, &m)).unwrap();
        assert_eq!(v["roomType"], "group");
        assert_eq!(v["personEmail"], "a@x.org");
        assert_eq!(
            v["mentionedPeople"][0],
            ids::encode("us", HydraKind::People, BOT_UUID)
        );
        assert!(v.get("parentId").is_none());
        assert!(v.get("attachments").is_none());
        assert_eq!(ids::decode(v["id"].as_str().unwrap()).unwrap().uuid, m.uuid);
        let e = serde_json::to_value(ErrorBody::new("nope", "T1")).unwrap();
        assert_eq!(e["errors"][0]["description"], "nope");
        assert_eq!(e["trackingId"], "T1");
    }
}
