//! patchpanel — a Webex ChatOps bot for network engineers.
//!
//! Sources (the Webex socket) turn the outside world into [`inbound::Inbound`] values; the pure core
//! (command grammar, authorization) decides; effects (Webex REST, device reads) run at the edges.
//! See `ARCHITECTURE.md` for the code map and the invariants.

pub mod app;
pub mod approval;
pub mod backoff;
pub mod cards;
pub mod check;
pub mod command;
pub mod config;
pub mod device;
pub mod directory;
pub mod iface;
pub mod inbound;
pub mod listener;
pub mod netbox;
pub mod policy;
pub mod render;
pub use patchpanel_common::secret;
pub mod store;
pub mod suggest;
pub mod syslog;
pub mod text_safety;
pub mod watch;
pub mod webex;
pub mod workflow;
pub mod zammad;
