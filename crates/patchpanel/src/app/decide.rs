//! The pure core of the bot's chat side: one inbound event → the [`Action`] to take. Authorization
//! first (text and card submits alike), then the command grammar or the card's inputs; no IO.

use crate::approval;
use crate::command::{self, Command};
use crate::iface::InterfaceName;
use crate::inbound::Inbound;
use crate::policy::AllowList;

/// What the bot does with one inbound event, decided without IO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Refuse: the sender is not allowed (logged, answered with [`REFUSAL`](super::REFUSAL) once per person per
    /// [`REFUSAL_WINDOW`](super::REFUSAL_WINDOW)).
    Refuse,
    /// Answer with fixed markdown.
    Answer(String),
    ReadVrfs {
        device: String,
    },
    ReadInterface {
        device: String,
        interface: InterfaceName,
    },
    /// Approve or decline a ticket-driven change (a command, or a card press with what the card
    /// carried); judged by `approval::judge` like every decision.
    Decide {
        change: String,
        decision: approval::Decision,
        card: Option<CardKeys>,
    },
    /// `status <id>`.
    Status {
        change: String,
    },
    /// `changes [device [n]]`: the configuration-change record.
    Changes {
        device: Option<String>,
        number: Option<u32>,
    },
}

/// What an approval card's press carried besides the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardKeys {
    pub room_id: String,
    pub plan_hash: approval::PlanHash,
    pub nonce: String,
}

/// A card press → the decision it asks for, or what is wrong with it.
fn card_action(c: &crate::inbound::CardSubmit) -> Action {
    let pressed = match crate::cards::Decision::from_inputs(&c.inputs) {
        Ok(p) => p,
        Err(e) => return Action::Answer(format!("⚠️ {e}")),
    };
    let Some(plan_hash) = approval::PlanHash::parse(&pressed.plan_hash) else {
        return Action::Answer("⚠️ card press: the plan hash is malformed".to_owned());
    };
    let decision = match pressed.decision {
        crate::cards::Decision::Approve => approval::Decision::Approve,
        crate::cards::Decision::Decline => approval::Decision::Decline {
            reason: pressed.reason,
        },
    };
    Action::Decide {
        change: pressed.change_id,
        decision,
        card: Some(CardKeys {
            room_id: c.room_id.clone(),
            plan_hash,
            nonce: pressed.nonce,
        }),
    }
}

/// The pure core of the bot: authorization first (text and card submits alike), then the command.
pub fn decide(event: &Inbound, allowed: &AllowList) -> Action {
    if !allowed.permits(&event.sender().email) {
        return Action::Refuse;
    }
    let text = match event {
        Inbound::CardSubmit(c) => return card_action(c),
        Inbound::Message(m) => &m.text,
    };
    match command::parse(text) {
        Err(e) => Action::Answer(e.to_string()),
        Ok(Command::Help { topic }) => Action::Answer(command::help(topic.as_deref())),
        Ok(Command::Vrf { device }) => Action::ReadVrfs { device },
        Ok(Command::ShowInterface { device, interface }) => {
            Action::ReadInterface { device, interface }
        }
        Ok(Command::Approve { id }) => Action::Decide {
            change: id,
            decision: approval::Decision::Approve,
            card: None,
        },
        Ok(Command::Decline { id, reason }) => Action::Decide {
            change: id,
            decision: approval::Decision::Decline { reason },
            card: None,
        },
        Ok(Command::Status { id }) => Action::Status { change: id },
        Ok(Command::Changes { device, number }) => Action::Changes { device, number },
    }
}

/// Where the reply to an event goes: the same room, in the same thread.
pub fn reply_target(event: &Inbound) -> (String, Option<String>) {
    match event {
        Inbound::Message(m) => (m.room_id.clone(), Some(m.reply_parent_id.clone())),
        // Not under the card: a decided card is deleted (its outcome takes its place), and a
        // reply cannot hang under a deleted message.
        Inbound::CardSubmit(c) => (c.room_id.clone(), None),
    }
}
