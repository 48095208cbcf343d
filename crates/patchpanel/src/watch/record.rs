//! What the notifier records about one configuration change (stored as JSON beside its number, and
//! as the body of its audit entry) and how it is judged: planned (the bot's own W2/W3 change on
//! that device and interface, named by its ticket) or unplanned. Pure.

use super::queue::Pending;
use serde::{Deserialize, Serialize};

/// Most diff lines kept in a record (the whole diff of any sane change; a wholesale replacement
/// of a large configuration is cut, with the count).
pub const MAX_STORED_LINES: usize = 5_000;

/// Who, as the signals said.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct By {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
}

/// Planned or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// Every changed interface is one the bot itself changed since the last snapshot, and nothing
    /// else changed.
    Planned { reasons: Vec<String> },
    /// Something changed that the bot did not do. `also_planned`: own changes in the same diff.
    Unplanned { also_planned: Vec<String> },
}

impl Verdict {
    pub fn is_planned(&self) -> bool {
        matches!(self, Verdict::Planned { .. })
    }
}

/// One change seen on a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRecord {
    pub device: String,
    /// When the configuration was read and found changed (Unix ms).
    pub seen_at_ms: i64,
    /// When the first signal for it arrived (Unix ms).
    pub first_signal_ms: i64,
    /// How the bot learned of it (`syslog`, `netconf notification`, `periodic check`, …).
    pub vias: Vec<String>,
    /// How many signals were merged into it.
    pub signals: u32,
    pub by: By,
    pub verdict: Verdict,
    /// One line (`Gi1/0/7 description; + vlan 30`).
    pub summary: String,
    /// The diff, one line per change, plain text (escaped when shown).
    pub diff: Vec<String>,
    /// Diff lines beyond [`MAX_STORED_LINES`].
    pub diff_left_out: usize,
    /// Interfaces the change touched (full names).
    pub interfaces: Vec<String>,
    /// NetBox's intent vs the device for touched interfaces, one line per difference; empty when
    /// they agree or NetBox is not configured.
    #[serde(default)]
    pub drift: Vec<String>,
    /// Why drift could not be checked (NetBox down, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_note: Option<String>,
}

/// An own change the notifier may attribute a diff to: the interface and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Own {
    pub interface: String,
    /// `ticket 42`.
    pub reason: String,
}

/// Planned when every touched interface has an own change and nothing but interfaces changed.
/// `other_sections`: sections of the diff that are not interfaces.
pub fn judge(interfaces: &[String], other_sections: usize, own: &[Own]) -> Verdict {
    let covered = |i: &String| own.iter().any(|o| o.interface.eq_ignore_ascii_case(i));
    let mut reasons: Vec<String> = Vec::new();
    for o in own {
        if interfaces
            .iter()
            .any(|i| i.eq_ignore_ascii_case(&o.interface))
            && !reasons.contains(&o.reason)
        {
            reasons.push(o.reason.clone());
        }
    }
    if other_sections == 0 && !interfaces.is_empty() && interfaces.iter().all(covered) {
        Verdict::Planned { reasons }
    } else {
        Verdict::Unplanned {
            also_planned: reasons,
        }
    }
}

/// `by` from what the signals said.
pub fn by_of(p: &Pending) -> By {
    By {
        user: p.by.user.clone(),
        source_host: p.by.source_host.clone(),
        line: p.by.line.clone(),
    }
}

/// The vias' words, in their fixed order.
pub fn vias_of(p: &Pending) -> Vec<String> {
    p.vias.iter().map(|v| v.as_str().to_owned()).collect()
}

/// The reason an own change carries, from a W2/W3 audit entry's body (`ticket` field).
pub fn reason_from_audit(kind: &str, body: &serde_json::Value) -> String {
    let ticket = match body.get("ticket") {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let via = if kind == "w3-change" {
        "Zammad"
    } else {
        "NetBox"
    };
    match ticket {
        Some(t) => format!("ticket {t}"),
        None => format!("a {via} change"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(i: &str, r: &str) -> Own {
        Own {
            interface: i.into(),
            reason: r.into(),
        }
    }

    #[test]
    fn an_own_change_on_every_touched_interface_is_planned() {
        let v = judge(
            &["GigabitEthernet1/0/5".into()],
            0,
            &[own("gigabitethernet1/0/5", "ticket 42")],
        );
        assert_eq!(
            v,
            Verdict::Planned {
                reasons: vec!["ticket 42".into()]
            }
        );
    }

    #[test]
    fn anything_beyond_the_own_changes_is_unplanned() {
        let owns = [own("GigabitEthernet1/0/5", "ticket 42")];
        let two = ["GigabitEthernet1/0/5".into(), "GigabitEthernet1/0/7".into()];
        assert_eq!(
            judge(&two, 0, &owns),
            Verdict::Unplanned {
                also_planned: vec!["ticket 42".into()]
            }
        );
        assert!(!judge(&["GigabitEthernet1/0/5".into()], 1, &owns).is_planned());
        assert!(!judge(&[], 1, &[]).is_planned());
        assert!(!judge(&["GigabitEthernet1/0/7".into()], 0, &owns).is_planned());
    }

    #[test]
    fn audit_bodies_name_their_ticket() {
        let b = serde_json::json!({"ticket": "42"});
        assert_eq!(reason_from_audit("w2-change", &b), "ticket 42");
        let b = serde_json::json!({"ticket": 7});
        assert_eq!(reason_from_audit("w3-change", &b), "ticket 7");
        assert_eq!(
            reason_from_audit("w3-change", &serde_json::json!({})),
            "a Zammad change"
        );
    }
}
