//! Workflows: what the bot does with work that arrives from its sources. Pure planning and message
//! rendering live beside the handler that runs the effects.
//!
//! INTERFACE (the app wires it):
//! * W2 — `NetboxSync::new(NetboxClient, DeviceDirectory, Applier, Store, Notifier,
//!   NetboxSyncSettings)`; `NetboxSync::handle(&self, Candidate) -> Handled` (call it sequentially;
//!   `Done`: move on; `RetryLater`: park this candidate and move on; `Unavailable`: back off, keep
//!   the cursor). `Notifier::new(Option<WebexRest>,
//!   PATCHPANEL_NOTIFY)`; `Notifier::send(&self, markdown)`.
//! * `netbox_change::{plan, vlan_ids, Context, VlanFact, Plan}` (pure) and `messages` (pure).

pub mod messages;
pub mod netbox_change;
pub mod netbox_sync;
pub mod notifier;
pub mod ticket_change;
mod ticket_effects;
pub mod ticket_messages;
pub mod ticket_plan;

pub use netbox_sync::{NetboxSync, JOB_KIND};
pub use notifier::Notifier;
