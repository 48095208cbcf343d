//! The one event every change signal ends in: "device X may have changed", with what the signal
//! itself said about who changed it, from where and what (syslog's `CONFIG_I`, RFC 6470's
//! `changed-by` and edit list). Free of wire formats: the receivers translate into it.

use std::fmt;

/// Where a signal came from. Ordered so a set of them prints the same way every time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Via {
    /// A syslog message (`%SYS-5-CONFIG_I` and its programmatic siblings).
    Syslog,
    /// A NETCONF `netconf-config-change` notification (RFC 6470).
    Notification,
    /// The periodic safety-net check (`PATCHPANEL_CONFIG_POLL_SECONDS`).
    Poll,
    /// The first check after the bot starts (a change while it was down).
    Startup,
    /// A NETCONF subscription was (re)established: a change made while it was down sent no
    /// notification anyone received.
    Resubscribed,
    /// The bot itself just changed the device (W2/W3): checked at once, reported as planned.
    OwnChange,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Syslog => "syslog",
            Via::Notification => "netconf notification",
            Via::Poll => "periodic check",
            Via::Startup => "check at start",
            Via::Resubscribed => "check after (re)subscribing",
            Via::OwnChange => "own change",
        }
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who made a change, as far as a signal says (every part optional: a poll says nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedBy {
    /// The user name (`admin`).
    pub user: Option<String>,
    /// The address they came from (`10.1.1.1`), as the device reported it.
    pub source_host: Option<String>,
    /// Where on the device: `console`, `vty0`, `NETCONF session 12`.
    pub line: Option<String>,
}

impl ChangedBy {
    pub fn is_empty(&self) -> bool {
        self.user.is_none() && self.source_host.is_none() && self.line.is_none()
    }
}

/// "This device may have changed." `device` is the name the directory knows it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    pub device: String,
    pub via: Via,
    /// When the signal arrived (Unix milliseconds).
    pub at_ms: i64,
    pub by: ChangedBy,
    /// The configuration paths the signal named (RFC 6470 `edit/target`), if any.
    pub edits: Vec<String>,
}

impl Signal {
    pub fn new(device: impl Into<String>, via: Via, at_ms: i64) -> Signal {
        Signal {
            device: device.into(),
            via,
            at_ms,
            by: ChangedBy::default(),
            edits: Vec::new(),
        }
    }
}

pub use crate::clock::now_ms;
