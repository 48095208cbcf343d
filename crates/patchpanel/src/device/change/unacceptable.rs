//! Why a value of a change is refused: one variant per broken rule, each worded for the person who
//! wrote the value (what is wrong and how to fix it). The texts are what the chat and NetBox show.

use std::net::Ipv4Addr;

use super::vlan::{VLAN_MAX, VLAN_MAX_TEXT, VLAN_MIN};
use crate::iface::{InterfaceNameError, NameError};
use crate::text_safety::Disguise;

/// A refused value; collected into the change's [`super::Problem`] list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unacceptable {
    // The interface.
    #[error("{0}; remove it")]
    Disguised(Disguise),
    #[error("`{shown}` is not an IOS-XE interface: {why}")]
    NotIosxeInterface {
        shown: String,
        #[source]
        why: NameError,
    },
    #[error("`{shown}` is not a valid interface name: {why}")]
    NotInterfaceName {
        shown: String,
        #[source]
        why: InterfaceNameError,
    },

    // The description.
    #[error("the description is empty; remove it instead of setting it to nothing")]
    DescriptionEmpty,
    #[error(
        "the description contains the control character U+{code:04X} at position {position}; only printable characters are allowed"
    )]
    DescriptionControl { code: u32, position: usize },
    #[error(
        "the description is {chars} characters long; the limit is {max} (including any ticket tag)"
    )]
    DescriptionTooLong { chars: usize, max: usize },

    // The reason.
    #[error(
        "a ticket number is required (one word, at most 64 characters); no change is made without a recorded reason"
    )]
    NoTicket,
    #[error("a ticket number cannot contain `#`")]
    TicketHash,
    #[error("the ticket number: {0}; remove it")]
    TicketDisguised(Disguise),
    #[error("the approval: {0}; remove it")]
    ApprovalDisguised(Disguise),
    #[error(
        "an approval needs its id and the approver; no change is made without a recorded reason"
    )]
    ApprovalIncomplete,

    // VLANs (`role` is `access` or `native`; `item` is bounded and free of control characters).
    #[error("{role} VLAN {vlan} is out of range ({VLAN_MIN}–{VLAN_MAX})")]
    VlanOutOfRange { role: &'static str, vlan: u16 },
    #[error("the VLAN list is empty")]
    VlanListEmpty,
    #[error("the VLAN list is longer than {VLAN_MAX_TEXT} characters")]
    VlanListTooLong,
    #[error("the VLAN list has an empty item (two commas in a row?)")]
    VlanListEmptyItem,
    #[error("VLAN {vlan} in `{item}` is out of range ({VLAN_MIN}–{VLAN_MAX})")]
    VlanInListOutOfRange { vlan: u32, item: String },
    /// `first-last` with `first > last`; the fix is `last-first`.
    #[error("the range `{item}` is reversed (write {last}-{first})")]
    VlanRangeReversed { item: String, first: u32, last: u32 },
    #[error("`{item}` is not a VLAN or a range such as 30-40")]
    NotVlanOrRange { item: String },
    #[error("`{item}` is not a VLAN number")]
    NotVlanNumber { item: String },

    // IPv4 (`shown` is bounded and free of control characters).
    #[error("the prefix length `{shown}` is not 0–32")]
    PrefixLength { shown: String },
    #[error("`{shown}` is not a netmask (write 255.255.255.0 or /24)")]
    NotNetmask { shown: String },
    #[error("the netmask {0} is not contiguous (ones must be followed only by zeros)")]
    MaskNotContiguous(Ipv4Addr),
    #[error("`{shown}` is not an IPv4 address")]
    NotIpv4Address { shown: String },
    #[error("{0} cannot be an interface address (unspecified, loopback, multicast or reserved)")]
    NotForInterfaces(Ipv4Addr),
    #[error("a /0 mask cannot be used on an interface")]
    ZeroMask,
    #[error("{address} is the network address of {network}/{prefix}; use a host address")]
    NetworkAddress {
        address: Ipv4Addr,
        network: Ipv4Addr,
        prefix: u8,
    },
    #[error("{address} is the broadcast address of {network}/{prefix}; use a host address")]
    BroadcastAddress {
        address: Ipv4Addr,
        network: Ipv4Addr,
        prefix: u8,
    },
}
