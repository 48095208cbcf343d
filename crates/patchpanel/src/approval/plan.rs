//! The plan an approver approves: every field the change will touch, before → after, on the device
//! and in NetBox, and its hash. A card carries the hash of the plan it showed; a press is honoured
//! only while the hash of a freshly computed plan is the same, so nobody approves something other
//! than what they saw.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// Where a row's values live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The switch's running configuration, read live.
    Device,
    /// NetBox's record of the interface (the source of truth, updated first).
    Netbox,
}

impl Side {
    pub fn word(self) -> &'static str {
        match self {
            Side::Device => "device",
            Side::Netbox => "NetBox",
        }
    }
}

/// One field the change touches. `None` means unset (rendered as "(none)").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRow {
    pub side: Side,
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl fmt::Display for PlanRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = |s: &Option<String>| s.clone().unwrap_or_else(|| "(none)".into());
        write!(
            f,
            "{} {}: {} → {}",
            self.side.word(),
            self.field,
            v(&self.before),
            v(&self.after)
        )
    }
}

/// What applying the change will do, computed from the ticket's request and what the device and
/// NetBox hold now. Rows keep the order they were computed in (the hash depends on it, and the
/// computation is deterministic).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub device: String,
    pub interface: String,
    pub rows: Vec<PlanRow>,
}

/// The hex SHA-256 of a plan's canonical JSON (64 characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PlanHash(String);

/// Length of a [`PlanHash`] in hex characters.
pub const PLAN_HASH_LEN: usize = 64;

impl PlanHash {
    /// A hash as received (a card's submit data); `None` unless it has the shape of one.
    pub fn parse(text: &str) -> Option<PlanHash> {
        (text.len() == PLAN_HASH_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| PlanHash(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PlanHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Plan {
    /// Whether applying would change nothing (every row's before equals its after).
    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(|r| r.before == r.after)
    }

    /// The plan's hash. The device name is compared case-insensitively elsewhere, so it is hashed
    /// lower-cased; everything else as it is.
    pub fn hash(&self) -> PlanHash {
        let canonical = CanonicalPlan {
            device: self.device.to_ascii_lowercase(),
            interface: &self.interface,
            rows: &self.rows,
        };
        let mut hasher = Sha256::new();
        // Serializing plain structs of strings cannot fail; an empty input would still hash, so a
        // failure could only make two plans look alike, never panic.
        hasher.update(serde_json::to_vec(&canonical).unwrap_or_default());
        let digest = hasher.finalize();
        let mut hex = String::with_capacity(PLAN_HASH_LEN);
        for byte in digest.iter() {
            hex.push_str(&format!("{byte:02x}"));
        }
        PlanHash(hex)
    }

    /// The rows that differ between this plan and `newer`, as lines for a chat message or a ticket
    /// note ("what changed since the card was sent").
    pub fn changed_rows<'a>(&self, newer: &'a Plan) -> Vec<&'a PlanRow> {
        newer
            .rows
            .iter()
            .filter(|row| !self.rows.contains(row))
            .collect()
    }
}

#[derive(Serialize)]
struct CanonicalPlan<'a> {
    device: String,
    interface: &'a str,
    rows: &'a [PlanRow],
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(mtu_before: &str) -> Plan {
        Plan {
            device: "c9300".into(),
            interface: "GigabitEthernet1/0/5".into(),
            rows: vec![
                PlanRow {
                    side: Side::Netbox,
                    field: "mtu".into(),
                    before: None,
                    after: Some("2000".into()),
                },
                PlanRow {
                    side: Side::Device,
                    field: "mtu".into(),
                    before: Some(mtu_before.into()),
                    after: Some("2000".into()),
                },
            ],
        }
    }

    #[test]
    fn the_hash_follows_every_value_and_nothing_else() {
        assert_eq!(plan("1500").hash(), plan("1500").hash());
        assert_ne!(plan("1500").hash(), plan("9000").hash());
        let mut upper = plan("1500");
        upper.device = "C9300".into();
        assert_eq!(
            upper.hash(),
            plan("1500").hash(),
            "device names are case-blind"
        );
        let mut other_port = plan("1500");
        other_port.interface = "GigabitEthernet1/0/6".into();
        assert_ne!(other_port.hash(), plan("1500").hash());
        let mut swapped = plan("1500");
        swapped.rows.reverse();
        assert_ne!(
            swapped.hash(),
            plan("1500").hash(),
            "row order is part of the plan"
        );
    }

    #[test]
    fn a_hash_is_parsed_only_in_its_own_shape() {
        let h = plan("1500").hash();
        assert_eq!(h.as_str().len(), PLAN_HASH_LEN);
        assert_eq!(PlanHash::parse(h.as_str()), Some(h.clone()));
        assert_eq!(PlanHash::parse(&h.as_str().to_uppercase()), None);
        assert_eq!(PlanHash::parse(&h.as_str()[1..]), None);
        assert_eq!(PlanHash::parse("zz"), None);
        assert_eq!(PlanHash::parse(&"g".repeat(PLAN_HASH_LEN)), None);
    }

    #[test]
    fn changed_rows_are_those_the_card_did_not_show() {
        let old = plan("1500");
        let new = plan("9000");
        let rows = old.changed_rows(&new);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].to_string(), "device mtu: 9000 → 2000");
        assert!(old.changed_rows(&old.clone()).is_empty());
    }

    #[test]
    fn a_plan_with_nothing_to_do_is_empty() {
        let mut p = plan("2000");
        assert!(!p.is_empty());
        p.rows.retain(|r| r.side == Side::Device);
        assert!(p.is_empty());
    }
}
