//! Posting rules of the simulated org as pure transitions: where a message goes, what `POST /messages`
//! refuses (sizes, threads, attachments), how a person's mention renders, card presses, deletion, and
//! which messages a bot may read or receive.

use std::time::SystemTime;

use serde_json::Value;

use patchpanel_common::ids::{self, HydraKind};

use super::{
    check_size, escape_html, new_uuid, parse_id, Action, Chat, ChatError, Destination, Message,
    NewMessage, RoomKind, Say, BOT_EMAIL, BOT_NAME, BOT_UUID, CARD_CONTENT_TYPE, MAX_SAY_BYTES,
    MAX_TEXT_BYTES,
};

impl Chat {
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
        self.post_limited(new, now, MAX_TEXT_BYTES)
    }

    fn post_limited(
        &mut self,
        new: NewMessage,
        now: SystemTime,
        limit: usize,
    ) -> Result<&Message, ChatError> {
        check_size("text", &new.text, limit)?;
        check_size("markdown", &new.markdown, limit)?;
        check_size("html", &new.html, limit)?;
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
        let rest_id = ids::encode(self.room_cluster(&room_uuid), HydraKind::Message, &uuid);
        self.message_index.insert(uuid.clone(), self.messages.len());
        self.messages.push(Message {
            rest_id,
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
        // A message that is only the bot's mention is valid Webex (and the bot must cope with it).
        if say.text.trim().is_empty() && !say.mention {
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
                format!("{BOT_NAME} {}", say.text).trim_end().to_owned(),
                Some(html),
                vec![BOT_UUID.to_owned()],
            )
        } else {
            (say.text, None, Vec::new())
        };
        self.post_limited(
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
            MAX_SAY_BYTES,
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
        let rest_id = ids::encode(
            self.room_cluster(&room_uuid),
            HydraKind::AttachmentAction,
            &uuid,
        );
        self.actions.insert(
            uuid.clone(),
            Action {
                rest_id,
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
