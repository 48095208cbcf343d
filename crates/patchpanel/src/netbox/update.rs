//! `InterfaceUpdate`: an interface change as the bot states it (VIDs, not NetBox ids), always
//! carrying a changelog message. The client resolves VIDs and builds the wire body.

use serde_json::{Map, Value};

use super::wire::TICKET_FIELD;

/// The L2 triple (`mode`, `untagged_vlan`, `tagged_vlans`), always written together because
/// NetBox rejects a lone `mode` change on a port with VLANs (docs/netbox.md §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum L2Update {
    /// `mode: ""`, no VLANs.
    Clear,
    Access {
        vlan: u16,
    },
    /// NetBox `tagged` (a trunk with an allowed list).
    Tagged {
        native: Option<u16>,
        allowed: Vec<u16>,
    },
    TaggedAll {
        native: Option<u16>,
    },
}

/// What to change on an interface; `None` fields are left as they are.
#[derive(Debug, Clone, PartialEq)]
pub struct InterfaceUpdate {
    pub description: Option<String>,
    pub enabled: Option<bool>,
    /// `Some(None)` clears the MTU.
    pub mtu: Option<Option<u32>>,
    pub l2: Option<L2Update>,
    /// Only the named custom fields are touched; `null` clears one.
    pub custom_fields: Map<String, Value>,
    changelog_message: String,
}

impl InterfaceUpdate {
    /// Every write says why (`changelog_message`, 4.4+): it documents the change and lets the
    /// poller recognise the bot's own writes.
    pub fn new(changelog_message: impl Into<String>) -> Self {
        InterfaceUpdate {
            description: None,
            enabled: None,
            mtu: None,
            l2: None,
            custom_fields: Map::new(),
            changelog_message: changelog_message.into(),
        }
    }

    pub fn changelog_message(&self) -> &str {
        &self.changelog_message
    }

    /// Sets (`Some`) or clears (`None`) `change_ticket_number`.
    pub fn ticket_number(mut self, ticket: Option<&str>) -> Self {
        self.custom_fields.insert(
            TICKET_FIELD.to_owned(),
            ticket.map_or(Value::Null, |t| Value::String(t.to_owned())),
        );
        self
    }
}
