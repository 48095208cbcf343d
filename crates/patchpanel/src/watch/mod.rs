//! The configuration-change notifier (issue 11): signals that a device may have changed (syslog,
//! NETCONF notifications, the safety-net poll), one coalescing queue, and the watcher that reads the
//! configuration, diffs it against the stored snapshot, attributes and reports the change.

pub mod addresses;
pub mod queue;
pub mod signal;
pub mod syslog_receiver;
