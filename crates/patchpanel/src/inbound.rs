//! The closed set of events the core handles, free of any wire format (no Webex JSON here).

use std::collections::BTreeMap;

/// Whether a chat room is a 1:1 conversation with the bot or a group space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomKind {
    Direct,
    Group,
}

/// Who sent an event, as verified by the chat service (REST person id and email).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// REST (hydra) person id.
    pub person_id: String,
    pub email: String,
}

/// A text message addressed to the bot, with the bot's @mention already removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// The event id the chat service delivered (activity UUID); used for de-duplication and tracing.
    pub event_id: String,
    /// REST (hydra) message id.
    pub message_id: String,
    pub room_id: String,
    pub room_kind: RoomKind,
    /// The thread root to reply under: the message's own parent when it is already in a thread,
    /// otherwise the message itself.
    pub reply_parent_id: String,
    pub sender: Sender,
    /// The command text (mention stripped, not yet parsed).
    pub text: String,
}

/// An Adaptive Card `Action.Submit` press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSubmit {
    pub event_id: String,
    /// REST (hydra) attachment-action id.
    pub action_id: String,
    /// The message that carried the card.
    pub card_message_id: String,
    pub room_id: String,
    pub sender: Sender,
    /// The card's inputs merged with the submit action's data, as strings.
    pub inputs: BTreeMap<String, String>,
}

/// Every inbound event passes the same authorization before anything else happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    Message(ChatMessage),
    CardSubmit(CardSubmit),
}

impl Inbound {
    pub fn sender(&self) -> &Sender {
        match self {
            Inbound::Message(m) => &m.sender,
            Inbound::CardSubmit(c) => &c.sender,
        }
    }

    pub fn event_id(&self) -> &str {
        match self {
            Inbound::Message(m) => &m.event_id,
            Inbound::CardSubmit(c) => &c.event_id,
        }
    }
}

/// A reply the bot posts: markdown into a room, in a thread when `parent_id` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub room_id: String,
    pub parent_id: Option<String>,
    pub markdown: String,
}
