//! A card press, checked (pure): `Decision::from_inputs` turns the inputs of an `Action.Submit`
//! (the card's `Input.*` values merged with the button's `data`, as `webex::dispatch` delivers them
//! in `CardSubmit::inputs`, every value a string) into a [`CardDecision`], or says exactly what is
//! wrong. Every press of every card goes through here before the app looks at it, so a forged or
//! stale submit is refused by shape before any lookup: ids, hash and nonce are checked for form,
//! unknown keys are refused, the free-text reason is bounded.

use std::collections::BTreeMap;

use crate::text_safety::excerpt;

/// The `patchpanel` value of an approval card's buttons.
pub const APPROVAL_KIND: &str = "approval";
/// The `Input.Text` `maxLength` of the reason; a longer one did not come from our card.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest change id (`[A-Za-z0-9._:-]`).
pub const MAX_CHANGE_ID_LEN: usize = 64;
/// A plan hash is a SHA-256, lowercase hex.
pub const PLAN_HASH_LEN: usize = 64;
/// Nonce length bounds (URL-safe base64 alphabet): at least 96 bits of randomness.
pub const MIN_NONCE_LEN: usize = 16;
pub const MAX_NONCE_LEN: usize = 64;

/// What the person pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Decline,
}

/// A checked approval-card press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardDecision {
    pub decision: Decision,
    pub change_id: String,
    pub plan_hash: String,
    pub nonce: String,
    /// The `reason` input, trimmed; `None` when left empty.
    pub reason: Option<String>,
}

/// Why a press was refused. Values from the press are shown as bounded excerpts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// No `patchpanel` key: not a card of this bot (or a card from before cards were versioned).
    #[error("card press: not a patchpanel card (no \"patchpanel\" field)")]
    NotOurs,
    #[error("card press: unknown patchpanel card kind {0:?}")]
    UnknownKind(String),
    #[error("card press: the {0:?} field is missing")]
    Missing(&'static str),
    #[error("card press: unknown decision {0:?} (approve or decline)")]
    UnknownDecision(String),
    #[error("card press: {field} {value:?} is malformed: {why}")]
    Malformed {
        field: &'static str,
        value: String,
        why: &'static str,
    },
    #[error("card press: unexpected field {0:?}")]
    Unexpected(String),
    #[error("card press: the reason is {chars} characters, more than {MAX_REASON_CHARS}")]
    ReasonTooLong { chars: usize },
}

impl Decision {
    /// Checks every field of an approval card's press. Keys: `patchpanel` (= `approval`),
    /// `decision`, `change`, `plan`, `nonce` (the button's data) and `reason` (the input; absent
    /// when a client sends no empty inputs). Anything else is refused.
    pub fn from_inputs(inputs: &BTreeMap<String, String>) -> Result<CardDecision, SubmitError> {
        let kind = inputs.get("patchpanel").ok_or(SubmitError::NotOurs)?;
        if kind != APPROVAL_KIND {
            return Err(SubmitError::UnknownKind(excerpt(kind, 40)));
        }
        if let Some(k) = inputs.keys().find(|k| {
            !matches!(
                k.as_str(),
                "patchpanel" | "decision" | "change" | "plan" | "nonce" | "reason"
            )
        }) {
            return Err(SubmitError::Unexpected(excerpt(k, 40)));
        }
        let get = |k: &'static str| inputs.get(k).ok_or(SubmitError::Missing(k));
        let decision = match get("decision")?.as_str() {
            "approve" => Decision::Approve,
            "decline" => Decision::Decline,
            other => return Err(SubmitError::UnknownDecision(excerpt(other, 40))),
        };
        let change_id = checked("change", get("change")?, check_change_id)?;
        let plan_hash = checked("plan", get("plan")?, check_plan_hash)?;
        let nonce = checked("nonce", get("nonce")?, check_nonce)?;
        let reason = match inputs.get("reason").map(|r| r.trim()) {
            None | Some("") => None,
            Some(r) => {
                let chars = r.chars().count();
                if chars > MAX_REASON_CHARS {
                    return Err(SubmitError::ReasonTooLong { chars });
                }
                Some(r.to_owned())
            }
        };
        Ok(CardDecision {
            decision,
            change_id,
            plan_hash,
            nonce,
            reason,
        })
    }
}

fn checked(
    field: &'static str,
    value: &str,
    check: fn(&str) -> Result<(), &'static str>,
) -> Result<String, SubmitError> {
    check(value).map_err(|why| SubmitError::Malformed {
        field,
        value: excerpt(value, 80),
        why,
    })?;
    Ok(value.to_owned())
}

/// A change id: 1–64 of `A-Z a-z 0-9 . _ : -`.
pub fn check_change_id(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("empty");
    }
    if s.len() > MAX_CHANGE_ID_LEN {
        return Err("longer than 64 characters");
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
    {
        return Err("only letters, digits and . _ : - are allowed");
    }
    Ok(())
}

/// A plan hash: 64 lowercase hex digits (SHA-256).
pub fn check_plan_hash(s: &str) -> Result<(), &'static str> {
    if s.len() != PLAN_HASH_LEN {
        return Err("not 64 hex digits");
    }
    if !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err("only lowercase hex digits are allowed");
    }
    Ok(())
}

/// A nonce: 16–64 characters of the URL-safe base64 alphabet (`A-Z a-z 0-9 - _`).
pub fn check_nonce(s: &str) -> Result<(), &'static str> {
    if s.len() < MIN_NONCE_LEN || s.len() > MAX_NONCE_LEN {
        return Err("not 16 to 64 characters");
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
    {
        return Err("only letters, digits, - and _ are allowed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = "9f2c1e7a5b3d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60";
    const NONCE: &str = "q3Zt8W1xYp0LmN4vB7sK2a";

    fn press(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut m: BTreeMap<String, String> = [
            ("patchpanel", "approval"),
            ("decision", "approve"),
            ("change", "15016-1"),
            ("plan", PLAN),
            ("nonce", NONCE),
            ("reason", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            if v.is_empty() && *k != "reason" {
                m.remove(*k);
            } else {
                m.insert(k.to_string(), v.to_string());
            }
        }
        m
    }

    #[test]
    fn accepts_a_well_formed_press() {
        let d = Decision::from_inputs(&press(&[])).unwrap();
        assert_eq!(
            d,
            CardDecision {
                decision: Decision::Approve,
                change_id: "15016-1".into(),
                plan_hash: PLAN.into(),
                nonce: NONCE.into(),
                reason: None,
            }
        );
        let d = Decision::from_inputs(&press(&[
            ("decision", "decline"),
            ("reason", "  not in the window \n"),
        ]))
        .unwrap();
        assert_eq!(d.decision, Decision::Decline);
        assert_eq!(d.reason.as_deref(), Some("not in the window"));
        // A client that leaves out empty inputs.
        let mut m = press(&[]);
        m.remove("reason");
        assert_eq!(Decision::from_inputs(&m).unwrap().reason, None);
    }

    #[test]
    fn refuses_every_malformed_field_with_its_name() {
        let e = |pairs: &[(&str, &str)]| Decision::from_inputs(&press(pairs)).unwrap_err();
        assert_eq!(e(&[("patchpanel", "")]), SubmitError::NotOurs);
        assert_eq!(
            e(&[("patchpanel", "poll")]),
            SubmitError::UnknownKind("poll".into())
        );
        assert_eq!(e(&[("decision", "")]), SubmitError::Missing("decision"));
        assert_eq!(
            e(&[("decision", "Approve")]),
            SubmitError::UnknownDecision("Approve".into())
        );
        assert_eq!(e(&[("change", "")]), SubmitError::Missing("change"));
        assert_eq!(e(&[("plan", "")]), SubmitError::Missing("plan"));
        assert_eq!(e(&[("nonce", "")]), SubmitError::Missing("nonce"));
        for (field, bad) in [
            ("change", "a b"),
            ("change", &"x".repeat(65)),
            ("change", "15016/1"),
            ("plan", &PLAN[..63]),
            ("plan", &PLAN.to_uppercase()),
            ("plan", &format!("{}g", &PLAN[..63])),
            ("nonce", "short"),
            ("nonce", &"n".repeat(65)),
            ("nonce", "q3Zt8W1xYp0LmN4vB7sK2a=="),
        ] {
            assert!(
                matches!(e(&[(field, bad)]), SubmitError::Malformed { field: f, .. } if f == field),
                "{field} {bad}"
            );
        }
        assert_eq!(
            e(&[("extra", "1")]),
            SubmitError::Unexpected("extra".into())
        );
        assert_eq!(
            e(&[("reason", &"r".repeat(501))]),
            SubmitError::ReasonTooLong { chars: 501 }
        );
        assert!(Decision::from_inputs(&press(&[("reason", &"é".repeat(500))])).is_ok());
    }

    #[test]
    fn errors_show_bounded_neutral_excerpts() {
        let long = format!("{}\u{202E}", "k".repeat(300));
        let e = Decision::from_inputs(&press(&[("patchpanel", &long)])).unwrap_err();
        let text = e.to_string();
        assert!(text.len() < 120, "{text}");
        assert!(!text.contains('\u{202E}'));
    }
}
