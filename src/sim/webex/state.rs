//! The simulated org as plain values: people, rooms, messages and card actions, with every chat rule
//! (destinations, size limits, threads, which messages a bot may read or receive) as pure transitions.

use std::collections::HashMap;
use std::time::SystemTime;

use serde_json::Value;

use crate::webex::ids::{self, HydraKind};

/// The simulated bot identity (answered by `GET /people/me` for every accepted token).
pub const BOT_UUID: &str = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
pub const BOT_EMAIL: &str = "patchpanel@webex.bot";
pub const BOT_NAME: &str = "patchpanel";
/// The one organisation every simulated person belongs to.
pub const ORG_UUID: &str = "0e8a7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
/// `text`, `markdown` and `html` are each limited to this many bytes (developer.webex.com).
pub const MAX_TEXT_BYTES: usize = 7439;
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

fn check_size(field: &str, value: &Option<String>) -> Result<(), ChatError> {
    match value {
        Some(v) if v.len() > MAX_TEXT_BYTES => Err(ChatError::BadRequest(format!(
            "{field} exceeds the maximum length of {MAX_TEXT_BYTES} bytes"
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
    pub fn new(now: SystemTime) -> Self {
        let mut chat = Chat {
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
        parse_id(id, HydraKind::Room).and_then(|u| self.rooms.get(&u))
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
            rest_id: ids::encode("us", HydraKind::Room, &uuid),
            uuid,
            kind: RoomKind::Direct,
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
            return Ok(self.insert_room(Room {
                rest_id: ids::encode(&h.cluster, HydraKind::Room, &h.uuid),
                uuid: h.uuid,
                kind: RoomKind::Group,
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
            rest_id: ids::encode("us", HydraKind::Room, &uuid),
            uuid,
            kind: RoomKind::Group,
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
        parse_id(id, HydraKind::Message).and_then(|u| self.message(&u))
    }

    /// Every live message, oldest first.
    pub fn messages(&self) -> impl DoubleEndedIterator<Item = &Message> {
        self.messages.iter().filter(|m| !m.deleted)
    }

    pub fn action_by_rest_id(&self, id: &str) -> Option<&Action> {
        parse_id(id, HydraKind::AttachmentAction).and_then(|u| self.actions.get(&u))
    }

    fn resolve_destination(
        &mut self,
        author_uuid: &str,
        dest: &Destination,
        now: SystemTime,
    ) -> Result<String, ChatError> {
        let peer = match dest {
            Destination::RoomId(id) => {
                let room = self
                    .room_by_rest_id(id)
                    .ok_or_else(|| ChatError::NotFound(format!("Could not find room {id}")))?;
                return Ok(room.uuid.clone());
            }
            Destination::PersonId(id) => parse_id(id, HydraKind::People)
                .filter(|u| self.people.contains_key(u))
                .ok_or_else(|| ChatError::NotFound(format!("Could not find person {id}")))?,
            Destination::PersonEmail(email) => self.ensure_person(email, false, now)?,
        };
        if peer == author_uuid {
            return Err(ChatError::BadRequest(
                "Cannot send a direct message to yourself".into(),
            ));
        }
        // A direct room is between the bot and one other person, whichever side posts.
        let person = if author_uuid == BOT_UUID {
            peer
        } else if peer == BOT_UUID {
            author_uuid.to_owned()
        } else {
            return Err(ChatError::BadRequest(
                "the simulator only has direct rooms with the bot".into(),
            ));
        };
        Ok(self.direct_room(&person, now))
    }

    /// Posts a message after checking it as `POST /v1/messages` does.
    pub fn post(&mut self, new: NewMessage, now: SystemTime) -> Result<&Message, ChatError> {
        check_size("text", &new.text)?;
        check_size("markdown", &new.markdown)?;
        check_size("html", &new.html)?;
        if new.attachments.len() > 1 {
            return Err(ChatError::BadRequest(
                "Only one attachment is allowed per message".into(),
            ));
        }
        if new.files.len() > 1 {
            return Err(ChatError::BadRequest(
                "Only one file is allowed per message".into(),
            ));
        }
        for a in &new.attachments {
            let ok = a.get("contentType").and_then(Value::as_str) == Some(CARD_CONTENT_TYPE)
                && a.get("content").is_some_and(Value::is_object);
            if !ok {
                return Err(ChatError::BadRequest(format!(
                    "attachments must be {{\"contentType\":\"{CARD_CONTENT_TYPE}\",\"content\":{{...}}}}"
                )));
            }
        }
        let empty = |s: &Option<String>| s.as_deref().unwrap_or("").is_empty();
        if empty(&new.text)
            && empty(&new.markdown)
            && empty(&new.html)
            && new.files.is_empty()
            && new.attachments.is_empty()
        {
            return Err(ChatError::BadRequest(
                "One of text, markdown, html, files or attachments is required".into(),
            ));
        }
        if !self.people.contains_key(&new.author_uuid) {
            return Err(ChatError::NotFound("unknown author".into()));
        }
        let room_uuid = self.resolve_destination(&new.author_uuid, &new.destination, now)?;
        let parent_uuid = match &new.parent_id {
            None => None,
            Some(pid) => {
                let parent = self
                    .message_by_rest_id(pid)
                    .ok_or_else(|| ChatError::NotFound(format!("Could not find parent {pid}")))?;
                if parent.room_uuid != room_uuid {
                    return Err(ChatError::BadRequest(
                        "parentId is a message of another room".into(),
                    ));
                }
                if parent.parent_uuid.is_some() {
                    return Err(ChatError::BadRequest(
                        "parentId must be the root of a thread; replying to a reply is not allowed"
                            .into(),
                    ));
                }
                Some(parent.uuid.clone())
            }
        };
        self.add_member(&room_uuid, &new.author_uuid);
        if let Some(room) = self.rooms.get_mut(&room_uuid) {
            room.last_activity = now;
        }
        let text = new
            .text
            .filter(|t| !t.is_empty())
            .or_else(|| new.markdown.clone())
            .unwrap_or_default();
        let uuid = new_uuid();
        self.message_index.insert(uuid.clone(), self.messages.len());
        self.messages.push(Message {
            rest_id: ids::encode("us", HydraKind::Message, &uuid),
            uuid,
            room_uuid,
            parent_uuid,
            author_uuid: new.author_uuid,
            text,
            markdown: new.markdown,
            html: new.html,
            files: new.files,
            attachments: new.attachments,
            mentioned: new.mentioned,
            created: now,
            deleted: false,
        });
        self.messages
            .last()
            .ok_or_else(|| ChatError::NotFound("message".into()))
    }

    /// A person (or a second bot) posts, as a Webex client would: a mention renders as a
    /// `<spark-mention>` in `html` and as the bot's name at the start of `text`.
    pub fn say(&mut self, say: Say, now: SystemTime) -> Result<&Message, ChatError> {
        if say.from.eq_ignore_ascii_case(BOT_EMAIL) {
            return Err(ChatError::BadRequest(
                "the simulated bot posts through POST /v1/messages".into(),
            ));
        }
        if say.text.trim().is_empty() {
            return Err(ChatError::BadRequest("text must not be empty".into()));
        }
        let author = self.ensure_person(&say.from, say.as_bot, now)?;
        let room_uuid = if say.room == "direct" {
            self.direct_room(&author, now)
        } else {
            self.group_room(&say.room, now)?
        };
        let room_rest = self
            .rooms
            .get(&room_uuid)
            .map(|r| r.rest_id.clone())
            .unwrap_or_default();
        let (text, html, mentioned) = if say.mention {
            let html = format!(
                "<p><spark-mention data-object-type=\"person\" data-object-id=\"{}\">{BOT_NAME}</spark-mention> {}</p>",
                Self::bot_rest_id(),
                escape_html(&say.text)
            );
            (
                format!("{BOT_NAME} {}", say.text),
                Some(html),
                vec![BOT_UUID.to_owned()],
            )
        } else {
            (say.text, None, Vec::new())
        };
        self.post(
            NewMessage {
                author_uuid: author,
                destination: Destination::RoomId(room_rest),
                parent_id: say.parent_id,
                text: Some(text),
                markdown: None,
                html,
                files: Vec::new(),
                attachments: Vec::new(),
                mentioned,
            },
            now,
        )
    }

    /// A person presses a submit button of a card message.
    pub fn press(
        &mut self,
        from: &str,
        message_id: &str,
        inputs: Value,
        now: SystemTime,
    ) -> Result<&Action, ChatError> {
        let (message_uuid, room_uuid) = {
            let m = self.message_by_rest_id(message_id).ok_or_else(|| {
                ChatError::NotFound(format!("Could not find message {message_id}"))
            })?;
            if m.attachments.is_empty() {
                return Err(ChatError::BadRequest(
                    "that message has no card to press".into(),
                ));
            }
            (m.uuid.clone(), m.room_uuid.clone())
        };
        if !inputs.is_object() {
            return Err(ChatError::BadRequest("inputs must be an object".into()));
        }
        let author = self.ensure_person(from, false, now)?;
        self.add_member(&room_uuid, &author);
        let uuid = new_uuid();
        self.actions.insert(
            uuid.clone(),
            Action {
                rest_id: ids::encode("us", HydraKind::AttachmentAction, &uuid),
                uuid: uuid.clone(),
                message_uuid,
                author_uuid: author,
                room_uuid,
                inputs,
                created: now,
            },
        );
        self.actions
            .get(&uuid)
            .ok_or_else(|| ChatError::NotFound("action".into()))
    }

    /// Deletes a message; only its author may.
    pub fn delete(&mut self, requester: &str, message_id: &str) -> Result<Message, ChatError> {
        let uuid = self
            .message_by_rest_id(message_id)
            .map(|m| m.uuid.clone())
            .ok_or_else(|| ChatError::NotFound(format!("Could not find message {message_id}")))?;
        let i = *self
            .message_index
            .get(&uuid)
            .ok_or_else(|| ChatError::NotFound(format!("Could not find message {message_id}")))?;
        let m = self
            .messages
            .get_mut(i)
            .ok_or_else(|| ChatError::NotFound(format!("Could not find message {message_id}")))?;
        if m.author_uuid != requester {
            return Err(ChatError::Forbidden(
                "Only the author of a message can delete it".into(),
            ));
        }
        m.deleted = true;
        Ok(m.clone())
    }

    pub fn room_kind(&self, msg: &Message) -> RoomKind {
        self.rooms
            .get(&msg.room_uuid)
            .map(|r| r.kind)
            .unwrap_or(RoomKind::Group)
    }

    /// Whether the bot may `GET` this message: in group rooms only its own and those mentioning it.
    pub fn readable_by_bot(&self, msg: &Message) -> bool {
        self.room_kind(msg) == RoomKind::Direct
            || msg.author_uuid == BOT_UUID
            || msg.mentioned.iter().any(|m| m == BOT_UUID)
    }

    /// Whether Webex sends this message's activity to the bot's sockets (same rule as reading).
    pub fn delivered_to_bot(&self, msg: &Message) -> bool {
        self.readable_by_bot(msg)
    }

    /// `GET /messages?roomId=…`: newest first. Group rooms require `mentionedPeople=me`.
    pub fn list(
        &self,
        room_id: &str,
        mentioned_me: bool,
        parent_id: Option<&str>,
        max: usize,
    ) -> Result<Vec<&Message>, ChatError> {
        let room = self
            .room_by_rest_id(room_id)
            .ok_or_else(|| ChatError::NotFound(format!("Could not find room {room_id}")))?;
        if room.kind == RoomKind::Group && !mentioned_me {
            return Err(ChatError::Forbidden(
                "Bots must filter group space messages with mentionedPeople=me".into(),
            ));
        }
        let parent = match parent_id {
            Some(p) => Some(
                parse_id(p, HydraKind::Message)
                    .ok_or_else(|| ChatError::BadRequest(format!("Invalid parentId {p}")))?,
            ),
            None => None,
        };
        Ok(self
            .messages()
            .rev()
            .filter(|m| m.room_uuid == room.uuid)
            .filter(|m| !mentioned_me || m.mentioned.iter().any(|x| x == BOT_UUID))
            .filter(|m| parent.is_none() || m.parent_uuid == parent)
            .take(max)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH
    }

    fn say(from: &str, text: &str, room: &str, mention: bool) -> Say {
        Say {
            from: from.into(),
            text: text.into(),
            room: room.into(),
            mention,
            parent_id: None,
            as_bot: false,
        }
    }

    fn bot_post(dest: Destination, text: &str, parent: Option<String>) -> NewMessage {
        NewMessage {
            author_uuid: BOT_UUID.into(),
            destination: dest,
            parent_id: parent,
            text: Some(text.into()),
            markdown: None,
            html: None,
            files: vec![],
            attachments: vec![],
            mentioned: vec![],
        }
    }

    #[test]
    fn direct_say_creates_person_room_and_membership() {
        let mut c = Chat::new(now());
        let m = c
            .say(say("eng@example.com", "help", "direct", false), now())
            .unwrap()
            .clone();
        let p = c.person_by_email("ENG@example.com").unwrap();
        assert_eq!(p.display_name, "eng");
        assert!(!p.is_bot);
        let room = c.room(&m.room_uuid).unwrap();
        assert_eq!(room.kind, RoomKind::Direct);
        assert_eq!(room.members, vec![BOT_UUID.to_string(), p.uuid.clone()]);
        assert_eq!(m.text, "help");
        assert!(m.html.is_none());
        assert!(c.delivered_to_bot(&m));
        // Same sender, same direct room.
        let m2 = c
            .say(say("eng@example.com", "x", "direct", false), now())
            .unwrap();
        assert_eq!(m2.room_uuid, m.room_uuid);
    }

    #[test]
    fn mention_renders_html_and_text() {
        let mut c = Chat::new(now());
        let m = c
            .say(say("a@x.org", "vrf <c9300>", "ops", true), now())
            .unwrap();
        assert_eq!(m.text, "patchpanel vrf <c9300>");
        let html = m.html.as_deref().unwrap();
        assert!(html.contains(&format!(
            "<spark-mention data-object-type=\"person\" data-object-id=\"{}\">patchpanel</spark-mention> vrf &lt;c9300&gt;",
            Chat::bot_rest_id()
        )));
        assert_eq!(m.mentioned, vec![BOT_UUID.to_string()]);
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

    #[test]
    fn group_message_without_mention_is_hidden_from_the_bot() {
        let mut c = Chat::new(now());
        let m = c
            .say(say("a@x.org", "chatter", "ops", false), now())
            .unwrap()
            .clone();
        assert!(!c.readable_by_bot(&m));
        assert!(!c.delivered_to_bot(&m));
        let room = c.room(&m.room_uuid).unwrap().rest_id.clone();
        assert!(matches!(
            c.list(&room, false, None, 10),
            Err(ChatError::Forbidden(_))
        ));
        assert!(c.list(&room, true, None, 10).unwrap().is_empty());
    }

    #[test]
    fn post_validates_like_webex() {
        let mut c = Chat::new(now());
        let m = c
            .say(say("a@x.org", "hi", "direct", false), now())
            .unwrap()
            .clone();
        let room = c.room(&m.room_uuid).unwrap().rest_id.clone();
        let big = "x".repeat(MAX_TEXT_BYTES + 1);
        let err = c.post(
            bot_post(Destination::RoomId(room.clone()), &big, None),
            now(),
        );
        assert!(matches!(err, Err(ChatError::BadRequest(_))));
        let ok = "x".repeat(MAX_TEXT_BYTES);
        let reply = c
            .post(
                bot_post(
                    Destination::RoomId(room.clone()),
                    &ok,
                    Some(m.rest_id.clone()),
                ),
                now(),
            )
            .unwrap()
            .clone();
        assert_eq!(reply.parent_uuid.as_deref(), Some(m.uuid.as_str()));
        let err = c.post(
            bot_post(Destination::RoomId(room.clone()), "r", Some(reply.rest_id)),
            now(),
        );
        assert!(matches!(err, Err(ChatError::BadRequest(_))));
        let mut two = bot_post(Destination::RoomId(room.clone()), "t", None);
        let card = serde_json::json!({"contentType": CARD_CONTENT_TYPE, "content": {"type": "AdaptiveCard"}});
        two.attachments = vec![card.clone(), card];
        assert!(matches!(c.post(two, now()), Err(ChatError::BadRequest(_))));
        let mut empty = bot_post(Destination::RoomId(room), "", None);
        empty.text = None;
        assert!(matches!(
            c.post(empty, now()),
            Err(ChatError::BadRequest(_))
        ));
        let unknown = ids::encode("us", HydraKind::Room, "nope");
        assert!(matches!(
            c.post(bot_post(Destination::RoomId(unknown), "t", None), now()),
            Err(ChatError::NotFound(_))
        ));
    }

    #[test]
    fn post_to_person_email_uses_the_direct_room() {
        let mut c = Chat::new(now());
        let m = c
            .post(
                bot_post(Destination::PersonEmail("n@x.org".into()), "hello", None),
                now(),
            )
            .unwrap()
            .clone();
        let p = c.person_by_email("n@x.org").unwrap().uuid.clone();
        assert_eq!(c.direct_room(&p, now()), m.room_uuid);
        let err = c.post(
            bot_post(Destination::PersonEmail(BOT_EMAIL.into()), "me", None),
            now(),
        );
        assert!(matches!(err, Err(ChatError::BadRequest(_))));
    }

    #[test]
    fn press_requires_a_card_and_delete_requires_the_author() {
        let mut c = Chat::new(now());
        let m = c
            .say(say("a@x.org", "hi", "direct", false), now())
            .unwrap()
            .clone();
        assert!(matches!(
            c.press("a@x.org", &m.rest_id, serde_json::json!({}), now()),
            Err(ChatError::BadRequest(_))
        ));
        let mut card = bot_post(Destination::PersonEmail("a@x.org".into()), "card", None);
        card.attachments =
            vec![serde_json::json!({"contentType": CARD_CONTENT_TYPE, "content": {}})];
        let card = c.post(card, now()).unwrap().clone();
        let act = c
            .press(
                "b@x.org",
                &card.rest_id,
                serde_json::json!({"ok": 1}),
                now(),
            )
            .unwrap()
            .clone();
        assert_eq!(act.message_uuid, card.uuid);
        assert_eq!(c.action_by_rest_id(&act.rest_id).unwrap().inputs["ok"], 1);
        assert!(matches!(
            c.delete(BOT_UUID, &m.rest_id),
            Err(ChatError::Forbidden(_))
        ));
        c.delete(BOT_UUID, &card.rest_id).unwrap();
        assert!(c.message(&card.uuid).is_none());
        assert!(matches!(
            c.delete(BOT_UUID, &card.rest_id),
            Err(ChatError::NotFound(_))
        ));
    }

    #[test]
    fn as_bot_marks_the_sender_as_a_bot_and_bad_input_is_rejected() {
        let mut c = Chat::new(now());
        let mut s = say("other@webex.bot", "hi", "direct", false);
        s.as_bot = true;
        c.say(s, now()).unwrap();
        assert!(c.person_by_email("other@webex.bot").unwrap().is_bot);
        assert!(c.say(say(BOT_EMAIL, "x", "direct", false), now()).is_err());
        assert!(c
            .say(say("no-at-sign", "x", "direct", false), now())
            .is_err());
        assert!(c
            .say(say("a@x.org", "   ", "direct", false), now())
            .is_err());
        assert!(c
            .say(say("a\u{0}@x.org", "x", "direct", false), now())
            .is_err());
    }
}
