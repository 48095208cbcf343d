//! Fault switches: what a misbehaving device does to a client, set through
//! [`super::RunningDeviceSim::inject`] or `POST /_sim/fault {"kind": …}`. Wire faults are one-shot and
//! hit the next NETCONF reply (or commit); lock and value faults stay until cleared or reset; the
//! signal faults drop the subscribed sessions now, or mute notifications / syslog until cleared.

use serde::{Deserialize, Serialize};

/// Default size of a `huge-reply`: 100 MiB, past the client's 64 MiB reply bound.
pub const DEFAULT_HUGE_BYTES: u64 = 100 * 1024 * 1024;

fn default_huge() -> u64 {
    DEFAULT_HUGE_BYTES
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fault {
    /// The next `<commit>` (or `<edit-config>` on running) is applied, then the SSH connection drops
    /// before the reply: the client cannot know the outcome.
    DropAfterCommit,
    /// The next NETCONF rpc is swallowed and that session never answers again.
    StallNextReply,
    /// The next `<edit-config>` is swallowed (nothing is written) and that session never answers
    /// again: a device that hangs in the middle of a change, while reads still work.
    StallNextEdit,
    /// The next NETCONF reply is replaced by bytes that break the framing (or are no XML under EOM).
    GarbageFraming,
    /// The next NETCONF reply is a well-formed `<rpc-reply>` of `bytes` bytes, streamed in chunks under
    /// SSH flow control (never held in memory); that session answers nothing afterwards.
    HugeReply {
        #[serde(default = "default_huge")]
        bytes: u64,
    },
    /// A lock held by a session that is not there (`session-id` 0 is the CLI), so `<lock>` gets
    /// `lock-denied`. `datastore` defaults to the candidate when the device has one, else running.
    PhantomLock {
        #[serde(default)]
        datastore: Option<String>,
        #[serde(default, rename = "sessionId")]
        session_id: u32,
    },
    /// Release phantom locks.
    ReleasePhantomLock {
        #[serde(default)]
        datastore: Option<String>,
    },
    /// Descriptions are silently cut to `maxLen` characters when written.
    TruncateDescription {
        #[serde(rename = "maxLen")]
        max_len: usize,
    },
    /// Writes of this leaf are silently ignored: `description`, `mtu`, `shutdown`, `vlan`, `ip`.
    IgnoreLeaf { leaf: String },
    /// Close the connection of every session subscribed to notifications, now (once): the client
    /// must notice and subscribe again.
    DropSubscriptions,
    /// Generate no notifications until cleared (changes still happen and syslog still goes out).
    MuteNotifications,
    /// Send no syslog until cleared.
    MuteSyslog,
    /// Every fault off (phantom locks released, value quirks gone, pending wire faults dropped,
    /// notifications and syslog unmuted).
    Clear,
}

/// The one-shot wire faults waiting for their moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireFaults {
    pub drop_after_commit: bool,
    pub stall_next_reply: bool,
    pub stall_next_edit: bool,
    pub garbage_framing: bool,
    pub huge_reply: Option<u64>,
}

pub const IGNORABLE_LEAVES: &[&str] = &["description", "mtu", "shutdown", "vlan", "ip"];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn faults_parse_from_the_control_api_shape() {
        let f: Fault = serde_json::from_value(json!({"kind": "huge-reply"})).unwrap();
        assert_eq!(
            f,
            Fault::HugeReply {
                bytes: DEFAULT_HUGE_BYTES
            }
        );
        let f: Fault =
            serde_json::from_value(json!({"kind": "phantom-lock", "sessionId": 7})).unwrap();
        assert_eq!(
            f,
            Fault::PhantomLock {
                datastore: None,
                session_id: 7
            }
        );
        let f: Fault =
            serde_json::from_value(json!({"kind": "truncate-description", "maxLen": 10})).unwrap();
        assert_eq!(f, Fault::TruncateDescription { max_len: 10 });
        assert!(serde_json::from_value::<Fault>(json!({"kind": "nope"})).is_err());
        assert!(serde_json::from_value::<Fault>(
            json!({"kind": "ignore-leaf", "leaf": "mtu", "x": 1})
        )
        .is_err());
        assert_eq!(
            serde_json::to_value(Fault::DropAfterCommit).unwrap(),
            json!({"kind": "drop-after-commit"})
        );
        for (kind, fault) in [
            ("drop-subscriptions", Fault::DropSubscriptions),
            ("mute-notifications", Fault::MuteNotifications),
            ("mute-syslog", Fault::MuteSyslog),
        ] {
            assert_eq!(
                serde_json::from_value::<Fault>(json!({ "kind": kind })).unwrap(),
                fault
            );
        }
    }
}
