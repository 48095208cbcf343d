//! The configuration-change notifier.

pub mod diff;
pub mod snapshot;
