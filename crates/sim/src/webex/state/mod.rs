//! The simulated org as plain values: people, rooms, messages and card actions. This file holds the
//! types, people and rooms; `posting` holds the chat rules (destinations, size limits, threads, which
//! messages a bot may read or receive) as pure transitions.

mod posting;

use std::collections::HashMap;
use std::time::SystemTime;

use serde_json::Value;

use patchpanel_common::ids::{self, HydraKind};

/// The simulated bot identity (answered by `GET /people/me` for every accepted token).
pub const BOT_UUID: &str = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
pub const BOT_EMAIL: &str = "patchpanel@webex.bot";
pub const BOT_NAME: &str = "patchpanel";
/// The one organisation every simulated person belongs to.
pub const ORG_UUID: &str = "0e8a7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
/// `text`, `markdown` and `html` are each limited to this many bytes (developer.webex.com).
pub const MAX_TEXT_BYTES: usize = 7439;
/// What a person's client may post through `/_sim/say`. The documented 7,439-byte limit binds API
/// posts; a larger cap here lets tests hand the bot oversized input (10 KB) as hostile clients could.
pub const MAX_SAY_BYTES: usize = 64 * 1024;
const CARD_CONTENT_TYPE: &str = "application/vnd.microsoft.card.adaptive";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
}

#[derive(Debug, Clone)]
pub struct Person {
    pub uuid: String,
    pub email: String,
    pub display_name: String,
    pub is_bot: bool,
    pub created: SystemTime,
}

impl Person {
    pub fn rest_id(&self) -> String {
        ids::encode("us", HydraKind::People, &self.uuid)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomKind {
    Direct,
    Group,
}

#[derive(Debug, Clone)]
pub struct Room {
    pub uuid: String,
    pub rest_id: String,
    pub kind: RoomKind,
    /// Hydra cluster the space lives in (`us` or `urn:TEAM:<region>`); its messages' ids carry it.
    pub cluster: String,
    pub title: String,
    /// Person UUIDs, the bot first.
    pub members: Vec<String>,
    pub created: SystemTime,
    pub last_activity: SystemTime,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub uuid: String,
    pub rest_id: String,
    pub room_uuid: String,
    pub parent_uuid: Option<String>,
    pub author_uuid: String,
    pub text: String,
    pub markdown: Option<String>,
    pub html: Option<String>,
    pub files: Vec<String>,
    pub attachments: Vec<Value>,
    /// Person UUIDs.
    pub mentioned: Vec<String>,
    pub created: SystemTime,
    pub deleted: bool,
}

#[derive(Debug, Clone)]
pub struct Action {
    pub uuid: String,
    pub rest_id: String,
    pub message_uuid: String,
    pub author_uuid: String,
    pub room_uuid: String,
    pub inputs: Value,
    pub created: SystemTime,
}

/// Where a new message goes.
#[derive(Debug, Clone)]
pub enum Destination {
    RoomId(String),
    PersonId(String),
    PersonEmail(String),
}

/// A message as the REST API receives it, already deserialized.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub author_uuid: String,
    pub destination: Destination,
    pub parent_id: Option<String>,
    pub text: Option<String>,
    pub markdown: Option<String>,
    pub html: Option<String>,
    pub files: Vec<String>,
    pub attachments: Vec<Value>,
    pub mentioned: Vec<String>,
}

/// A person (or a second bot) posting, as the control API describes it.
#[derive(Debug, Clone)]
pub struct Say {
    pub from: String,
    pub text: String,
    /// `"direct"` or a room id / free-form room name.
    pub room: String,
    pub mention: bool,
    pub parent_id: Option<String>,
    pub as_bot: bool,
}

#[derive(Debug, Clone)]
pub struct Chat {
    /// Hydra cluster of the org: rooms the simulator creates live there.
    cluster: String,
    people: HashMap<String, Person>,
    by_email: HashMap<String, String>,
    rooms: HashMap<String, Room>,
    room_order: Vec<String>,
    aliases: HashMap<String, String>,
    direct: HashMap<String, String>,
    messages: Vec<Message>,
    message_index: HashMap<String, usize>,
    actions: HashMap<String, Action>,
}

/// The UUID named by a REST id of `kind`, or by a raw UUID (accepted like Webex accepts raw activity ids).
pub fn parse_id(id: &str, kind: HydraKind) -> Option<String> {
    match ids::decode(id) {
        Some(h) if h.kind == kind => Some(h.uuid),
        Some(_) => None,
        None => uuid::Uuid::parse_str(id).ok().map(|u| u.to_string()),
    }
}

/// The cluster part of a REST id (`us` for anything that is not one).
pub fn cluster_of(rest_id: &str) -> String {
    ids::decode(rest_id).map_or_else(|| "us".to_owned(), |h| h.cluster)
}

/// Whether `given` may name the object whose canonical id is `canonical`: a raw UUID always may, a
/// hydra id only with the object's own cluster. Webex answers 404 for an id built with the wrong
/// cluster, which is how a client that guesses the cluster finds out.
fn same_cluster(given: &str, canonical: &str) -> bool {
    match ids::decode(given) {
        Some(h) => h.cluster == cluster_of(canonical),
        None => true,
    }
}

fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn check_email(email: &str) -> Result<(), ChatError> {
    let ok = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty())
        && !email.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok {
        Ok(())
    } else {
        Err(ChatError::BadRequest(format!(
            "Invalid email address {email:?}"
        )))
    }
}

fn check_size(field: &str, value: &Option<String>, limit: usize) -> Result<(), ChatError> {
    match value {
        Some(v) if v.len() > limit => Err(ChatError::BadRequest(format!(
            "{field} exceeds the maximum length of {limit} bytes"
        ))),
        _ => Ok(()),
    }
}

/// Escapes text for the HTML body of a message.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl Chat {
    /// An org on the default cluster (`us`).
    #[cfg(test)]
    pub fn new(now: SystemTime) -> Self {
        Self::with_cluster(now, "us")
    }

    /// An org homed on `cluster` (a hydra cluster: `us` or `urn:TEAM:<region>`).
    pub fn with_cluster(now: SystemTime, cluster: &str) -> Self {
        let mut chat = Chat {
            cluster: cluster.to_owned(),
            people: HashMap::new(),
            by_email: HashMap::new(),
            rooms: HashMap::new(),
            room_order: Vec::new(),
            aliases: HashMap::new(),
            direct: HashMap::new(),
            messages: Vec::new(),
            message_index: HashMap::new(),
            actions: HashMap::new(),
        };
        chat.insert_person(Person {
            uuid: BOT_UUID.to_owned(),
            email: BOT_EMAIL.to_owned(),
            display_name: BOT_NAME.to_owned(),
            is_bot: true,
            created: now,
        });
        chat
    }

    fn insert_person(&mut self, p: Person) {
        self.by_email.insert(p.email.to_lowercase(), p.uuid.clone());
        self.people.insert(p.uuid.clone(), p);
    }

    pub fn bot_rest_id() -> String {
        ids::encode("us", HydraKind::People, BOT_UUID)
    }

    pub fn person(&self, uuid: &str) -> Option<&Person> {
        self.people.get(uuid)
    }

    pub fn people_count(&self) -> usize {
        self.people.len()
    }

    pub fn person_by_email(&self, email: &str) -> Option<&Person> {
        self.by_email
            .get(&email.to_lowercase())
            .and_then(|u| self.people.get(u))
    }

    /// The person with this email, created on first use (display name = the local part).
    pub fn ensure_person(
        &mut self,
        email: &str,
        as_bot: bool,
        now: SystemTime,
    ) -> Result<String, ChatError> {
        check_email(email)?;
        if let Some(uuid) = self.by_email.get(&email.to_lowercase()).cloned() {
            if as_bot {
                if let Some(p) = self.people.get_mut(&uuid) {
                    p.is_bot = true;
                }
            }
            return Ok(uuid);
        }
        let local = email.split('@').next().unwrap_or(email);
        let uuid = new_uuid();
        self.insert_person(Person {
            uuid: uuid.clone(),
            email: email.to_owned(),
            display_name: local.to_owned(),
            is_bot: as_bot,
            created: now,
        });
        Ok(uuid)
    }

    pub fn room(&self, uuid: &str) -> Option<&Room> {
        self.rooms.get(uuid)
    }

    /// Rooms in creation order.
    pub fn rooms(&self) -> impl Iterator<Item = &Room> {
        self.room_order.iter().filter_map(|u| self.rooms.get(u))
    }

    /// The room a REST `roomId` names.
    pub fn room_by_rest_id(&self, id: &str) -> Option<&Room> {
        parse_id(id, HydraKind::Room)
            .and_then(|u| self.rooms.get(&u))
            .filter(|r| same_cluster(id, &r.rest_id))
    }

    fn insert_room(&mut self, room: Room) -> String {
        let uuid = room.uuid.clone();
        self.room_order.push(uuid.clone());
        self.rooms.insert(uuid.clone(), room);
        uuid
    }

    /// The 1:1 room between this person and the bot.
    pub fn direct_room(&mut self, person_uuid: &str, now: SystemTime) -> String {
        if let Some(r) = self.direct.get(person_uuid) {
            return r.clone();
        }
        let title = self
            .people
            .get(person_uuid)
            .map(|p| p.display_name.clone())
            .unwrap_or_default();
        let uuid = new_uuid();
        self.direct.insert(person_uuid.to_owned(), uuid.clone());
        self.insert_room(Room {
            rest_id: ids::encode(&self.cluster, HydraKind::Room, &uuid),
            uuid,
            kind: RoomKind::Direct,
            cluster: self.cluster.clone(),
            title,
            members: vec![BOT_UUID.to_owned(), person_uuid.to_owned()],
            created: now,
            last_activity: now,
        })
    }

    /// A group room named by a hydra ROOM id (kept as given) or by any other string (a minted id is
    /// remembered for that string).
    pub fn group_room(&mut self, key: &str, now: SystemTime) -> Result<String, ChatError> {
        if key.is_empty() || key.len() > 1024 {
            return Err(ChatError::BadRequest(
                "room must be \"direct\" or a room id of at most 1024 bytes".into(),
            ));
        }
        if let Some(h) = ids::decode(key) {
            if h.kind != HydraKind::Room {
                return Err(ChatError::BadRequest(format!(
                    "{key} is a {} id, not a room id",
                    h.kind.as_str()
                )));
            }
            if let Some(room) = self.rooms.get(&h.uuid) {
                if room.kind == RoomKind::Direct {
                    return Err(ChatError::BadRequest(
                        "that id names a 1:1 room; use \"direct\"".into(),
                    ));
                }
                return Ok(h.uuid);
            }
            // A space named by its id keeps that id's cluster: a space homed elsewhere than the org.
            return Ok(self.insert_room(Room {
                rest_id: ids::encode(&h.cluster, HydraKind::Room, &h.uuid),
                uuid: h.uuid,
                kind: RoomKind::Group,
                cluster: h.cluster,
                title: "Space".into(),
                members: vec![BOT_UUID.to_owned()],
                created: now,
                last_activity: now,
            }));
        }
        if let Some(uuid) = self.aliases.get(key) {
            return Ok(uuid.clone());
        }
        let uuid = new_uuid();
        self.aliases.insert(key.to_owned(), uuid.clone());
        Ok(self.insert_room(Room {
            rest_id: ids::encode(&self.cluster, HydraKind::Room, &uuid),
            uuid,
            kind: RoomKind::Group,
            cluster: self.cluster.clone(),
            title: key.to_owned(),
            members: vec![BOT_UUID.to_owned()],
            created: now,
            last_activity: now,
        }))
    }

    fn add_member(&mut self, room_uuid: &str, person_uuid: &str) {
        if let Some(room) = self.rooms.get_mut(room_uuid) {
            if !room.members.iter().any(|m| m == person_uuid) {
                room.members.push(person_uuid.to_owned());
            }
        }
    }

    pub fn message(&self, uuid: &str) -> Option<&Message> {
        self.message_index
            .get(uuid)
            .and_then(|i| self.messages.get(*i))
            .filter(|m| !m.deleted)
    }

    /// The live message a REST id (or raw UUID) names.
    pub fn message_by_rest_id(&self, id: &str) -> Option<&Message> {
        parse_id(id, HydraKind::Message)
            .and_then(|u| self.message(&u))
            .filter(|m| same_cluster(id, &m.rest_id))
    }

    /// Every live message, oldest first.
    pub fn messages(&self) -> impl DoubleEndedIterator<Item = &Message> {
        self.messages.iter().filter(|m| !m.deleted)
    }

    pub fn action_by_rest_id(&self, id: &str) -> Option<&Action> {
        parse_id(id, HydraKind::AttachmentAction)
            .and_then(|u| self.actions.get(&u))
            .filter(|a| same_cluster(id, &a.rest_id))
    }

    /// The cluster of a room (the org's when the room is unknown).
    pub fn room_cluster(&self, room_uuid: &str) -> &str {
        self.rooms
            .get(room_uuid)
            .map_or(self.cluster.as_str(), |r| r.cluster.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH
    }

    #[test]
    fn group_rooms_by_alias_and_hydra_id() {
        let mut c = Chat::new(now());
        let a = c.group_room("ops", now()).unwrap();
        assert_eq!(c.group_room("ops", now()).unwrap(), a);
        let rid = ids::encode(
            "us",
            HydraKind::Room,
            "11111111-2222-4333-8444-555555555555",
        );
        let b = c.group_room(&rid, now()).unwrap();
        assert_eq!(b, "11111111-2222-4333-8444-555555555555");
        assert_eq!(c.room(&b).unwrap().rest_id, rid);
        let msg_id = ids::encode("us", HydraKind::Message, "x");
        assert!(matches!(
            c.group_room(&msg_id, now()),
            Err(ChatError::BadRequest(_))
        ));
    }
}
