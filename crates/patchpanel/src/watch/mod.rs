//! The configuration-change notifier (issue 11): signals that a device may have changed (syslog,
//! NETCONF notifications, the safety-net poll), one coalescing queue, and the watcher that reads the
//! configuration, snapshots it, diffs it against the stored snapshot per configuration path,
//! attributes and reports the change.

pub mod addresses;
pub mod diff;
pub mod messages;
pub mod queue;
pub mod record;
pub mod signal;
pub mod snapshot;
pub mod subscription;
pub mod syslog_receiver;
pub mod watcher;

/// The store key where the bot records the port its syslog receiver bound (`PATCHPANEL_SYSLOG_LISTEN`
/// may ask for port 0).
pub const SYSLOG_PORT: &str = "watch.syslog_port";
