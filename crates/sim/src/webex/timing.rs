//! Reply latency for the benchmark (`GET /_sim/timings`): when the frame announcing a person's message
//! was written to a socket, and when the bot's reply in that thread arrived.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// One answered message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    /// REST id of the person's message.
    pub message_id: String,
    /// REST id of the bot's reply.
    pub reply_id: String,
    pub micros: u64,
}

#[derive(Debug)]
struct Written {
    root: String,
    room: String,
    rest_id: String,
    at: Instant,
}

/// Where the bot's reply went: a thread (its `parentId`) or, unthreaded, a room.
#[derive(Debug, Clone, Copy)]
pub enum ReplyIn<'a> {
    Thread(&'a str),
    Room(&'a str),
}

#[derive(Debug, Default)]
pub struct Timings {
    written: HashMap<String, Written>,
    /// Written, unanswered message UUIDs in write order.
    order: Vec<String>,
    answered: HashSet<String>,
    done: Vec<Timing>,
}

impl Timings {
    /// The first write of the frame announcing `message` (a person's message in thread `root` of `room`).
    pub fn written(&mut self, message: &str, rest_id: &str, root: &str, room: &str, at: Instant) {
        if self.answered.contains(message) || self.written.contains_key(message) {
            return;
        }
        self.written.insert(
            message.to_owned(),
            Written {
                root: root.to_owned(),
                room: room.to_owned(),
                rest_id: rest_id.to_owned(),
                at,
            },
        );
        self.order.push(message.to_owned());
    }

    /// The bot replied: answers the newest written, unanswered message of that thread (or room).
    pub fn replied(&mut self, within: ReplyIn<'_>, reply_id: &str, at: Instant) {
        let found = self.order.iter().rposition(|m| {
            self.written.get(m).is_some_and(|w| match within {
                ReplyIn::Thread(root) => w.root == root,
                ReplyIn::Room(room) => w.room == room,
            })
        });
        let Some(i) = found else { return };
        let msg = self.order.remove(i);
        if let Some(w) = self.written.remove(&msg) {
            let micros = at.saturating_duration_since(w.at).as_micros();
            self.done.push(Timing {
                message_id: w.rest_id,
                reply_id: reply_id.to_owned(),
                micros: u64::try_from(micros).unwrap_or(u64::MAX),
            });
        }
        self.answered.insert(msg);
    }

    pub fn all(&self) -> &[Timing] {
        &self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn first_reply_in_the_thread_answers_the_newest_message() {
        let t0 = Instant::now();
        let mut t = Timings::default();
        t.written("m1", "M1", "m1", "r", t0);
        t.written("m1", "M1", "m1", "r", t0 + Duration::from_secs(9));
        t.replied(ReplyIn::Thread("other"), "y", t0);
        assert!(t.all().is_empty());
        t.replied(ReplyIn::Thread("m1"), "R1", t0 + Duration::from_micros(250));
        t.replied(ReplyIn::Thread("m1"), "R2", t0 + Duration::from_micros(900));
        assert_eq!(
            t.all(),
            &[Timing {
                message_id: "M1".into(),
                reply_id: "R1".into(),
                micros: 250
            }]
        );
        // A replayed frame of an answered message does not start a new measurement.
        t.written("m1", "M1", "m1", "r", t0);
        t.replied(ReplyIn::Thread("m1"), "R3", t0);
        assert_eq!(t.all().len(), 1);
        // An unthreaded reply answers by room.
        t.written("m2", "M2", "m2", "r", t0);
        t.replied(ReplyIn::Room("r"), "R4", t0 + Duration::from_micros(5));
        assert_eq!(t.all()[1].message_id, "M2");
    }
}
