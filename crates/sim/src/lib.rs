//! Simulators of the systems the bot talks to, speaking the real wire protocols on loopback.
//! Used by `patchpanel sim …`, by `patchpanel demo`, and by the tests.

pub mod device;
pub mod netbox;
pub mod refusal;
pub mod webex;
pub mod zammad;
