//! The little the bot (`patchpanel`) and the simulators (`patchpanel-sim`) share: the Webex id format
//! both sides must agree on, and the wrapper that keeps credentials out of logs. Nothing else may be
//! shared, so that each side's reading of a wire format is checked against the other's.

pub mod ids;
pub mod secret;
