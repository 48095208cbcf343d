//! Pure parts of finding candidate tickets and naming states (docs/zammad.md §3, §4): the body of
//! the SQL condition search, the checks of what goes into it, and `StateIds`, the workflow's ticket
//! states resolved by name at start-up.
//!
//! Only the **condition** search is used: the `query` search needs Elasticsearch, and without it
//! Zammad matches the query as text and answers field syntax with nothing (200, empty).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::error::ZammadError;
use super::wire::TicketState;
use crate::text_safety::excerpt;

/// A new ticket: the condition search looks here (with `open`).
pub const STATE_NEW: &str = "new";
pub const STATE_OPEN: &str = "open";
/// The workflow's own states, created by an admin (type open, open, closed).
pub const STATE_PENDING_APPROVAL: &str = "pending approval";
pub const STATE_ATTENTION_REQUIRED: &str = "attention required";
pub const STATE_DENIED: &str = "denied";
pub const STATE_CLOSED: &str = "closed";
/// Every state the workflow uses; all must exist and be active.
pub const REQUIRED_STATES: [&str; 6] = [
    STATE_NEW,
    STATE_OPEN,
    STATE_PENDING_APPROVAL,
    STATE_ATTENTION_REQUIRED,
    STATE_DENIED,
    STATE_CLOSED,
];

/// Tickets per search page (Zammad caps a search page at 200).
pub const PER_PAGE: u32 = 100;

/// The workflow's ticket states by name → id, every required one present and active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateIds(BTreeMap<String, u64>);

impl StateIds {
    /// The ids of the `required` names among Zammad's `states`, or one error naming every one that
    /// is missing or inactive, and how to create it. Names match exactly (Zammad resolves a state
    /// name in an update the same way).
    pub fn resolve(states: &[TicketState], required: &[&str]) -> Result<StateIds, ZammadError> {
        let mut ids = BTreeMap::new();
        let (mut missing, mut inactive) = (Vec::new(), Vec::new());
        for &name in required {
            let found = states
                .iter()
                .filter(|s| s.name.as_deref().map(str::trim) == Some(name))
                .find_map(|s| s.id.map(|id| (id, s.active != Some(false))));
            match found {
                Some((id, true)) => {
                    ids.insert(name.to_owned(), id);
                }
                Some((_, false)) => inactive.push(name.to_owned()),
                None => missing.push(name.to_owned()),
            }
        }
        if missing.is_empty() && inactive.is_empty() {
            Ok(StateIds(ids))
        } else {
            Err(ZammadError::MissingStates { missing, inactive })
        }
    }

    /// The id of a state resolved by [`StateIds::resolve`].
    pub fn get(&self, name: &str) -> Option<u64> {
        self.0.get(name).copied()
    }

    /// `new 1, open 2, …` for `patchpanel check` and the start-up log.
    pub fn summary(&self) -> String {
        self.0
            .iter()
            .map(|(name, id)| format!("{name} {id}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The change field (ZAMMAD_CHANGE_FIELD) as it goes into a condition key (`ticket.<field>`): an
/// attribute name, lowercase letters, digits and `_`, at most 64 characters.
pub fn check_field(field: &str) -> Result<(), String> {
    let ok = !field.is_empty()
        && field.len() <= 64
        && field.starts_with(|c: char| c.is_ascii_lowercase())
        && field
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a Zammad attribute name (lowercase letters, digits and `_`, e.g. `ticket_type` or `type`)",
            excerpt(field, 64)
        ))
    }
}

/// A time as Zammad writes it (`2023-05-30T14:03:49.004Z`): only digits and `-:.TZ+`, at most 40
/// characters, so a value read from a ticket goes back into a condition unchanged and nothing else
/// does.
pub fn check_timestamp(ts: &str) -> Result<(), String> {
    let ok = ts.len() >= 10
        && ts.len() <= 40
        && ts.starts_with(|c: char| c.is_ascii_digit())
        && ts
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | ':' | '.' | 'T' | 'Z' | '+'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a Zammad time such as 2023-05-30T14:03:49.004Z",
            excerpt(ts, 40)
        ))
    }
}

/// What the candidate search asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateQuery<'a> {
    /// ZAMMAD_CHANGE_FIELD, e.g. `ticket_type`.
    pub field: &'a str,
    /// ZAMMAD_CHANGE_VALUE, e.g. `network_change`.
    pub value: &'a str,
    /// The states a candidate is in (`new`, `open`; from [`StateIds`]).
    pub state_ids: &'a [u64],
    /// Only tickets updated after this time (a ticket's `updated_at`, passed back as read).
    pub updated_after: Option<&'a str>,
}

impl CandidateQuery<'_> {
    /// Checks what goes into the condition (the field name, the time); the value is data.
    pub fn check(&self) -> Result<(), ZammadError> {
        check_field(self.field)
            .map_err(|e| ZammadError::Config(format!("ZAMMAD_CHANGE_FIELD: {e}")))?;
        if self.value.trim().is_empty() {
            return Err(ZammadError::Config("ZAMMAD_CHANGE_VALUE is empty".into()));
        }
        if self.state_ids.is_empty() {
            return Err(ZammadError::Config(
                "the candidate search needs at least one state".into(),
            ));
        }
        if let Some(ts) = self.updated_after {
            check_timestamp(ts).map_err(|e| ZammadError::Config(format!("updated_after: {e}")))?;
        }
        Ok(())
    }

    /// The JSON body of `POST /api/v1/tickets/search` for page `page` (1-based), oldest update first,
    /// expanded tickets (docs/zammad.md §3).
    pub fn body(&self, page: u32) -> Value {
        let mut condition = Map::new();
        condition.insert(
            format!("ticket.{}", self.field),
            json!({"operator": "is", "value": [self.value]}),
        );
        let states: Vec<String> = self.state_ids.iter().map(u64::to_string).collect();
        condition.insert(
            "ticket.state_id".into(),
            json!({"operator": "is", "value": states}),
        );
        if let Some(ts) = self.updated_after {
            condition.insert(
                "ticket.updated_at".into(),
                json!({"operator": "after (absolute)", "value": ts}),
            );
        }
        json!({
            "condition": condition,
            "sort_by": "updated_at",
            "order_by": "asc",
            "expand": true,
            "page": page,
            "per_page": PER_PAGE,
            "limit": PER_PAGE,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(id: u64, name: &str, active: Option<bool>) -> TicketState {
        TicketState {
            id: Some(id),
            name: Some(name.into()),
            state_type_id: Some(1),
            active,
        }
    }

    fn defaults() -> Vec<TicketState> {
        vec![
            state(1, "new", Some(true)),
            state(2, "open", Some(true)),
            state(3, "pending reminder", Some(true)),
            state(4, "closed", Some(true)),
            state(6, "removed", Some(false)),
        ]
    }

    #[test]
    fn every_missing_state_is_named_at_once() {
        let e = StateIds::resolve(&defaults(), &REQUIRED_STATES).unwrap_err();
        let ZammadError::MissingStates { missing, inactive } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(
            missing,
            &["pending approval", "attention required", "denied"]
        );
        assert!(inactive.is_empty());
        assert!(e.to_string().contains("POST /api/v1/ticket_states"));
    }

    #[test]
    fn states_resolve_by_exact_name_and_must_be_active() {
        let mut states = defaults();
        states.push(state(8, "pending approval", None));
        states.push(state(9, "attention required", Some(true)));
        states.push(state(10, "denied", Some(false)));
        states.push(state(11, "Denied", Some(true)));
        let e = StateIds::resolve(&states, &REQUIRED_STATES).unwrap_err();
        let ZammadError::MissingStates { missing, inactive } = &e else {
            panic!("{e:?}")
        };
        assert!(missing.is_empty(), "{missing:?}");
        assert_eq!(inactive, &["denied"]);
        states.retain(|s| s.id != Some(10));
        states.push(state(12, "denied", Some(true)));
        let ids = StateIds::resolve(&states, &REQUIRED_STATES).unwrap();
        assert_eq!(
            ids.get(STATE_PENDING_APPROVAL),
            Some(8),
            "absent `active` is active"
        );
        assert_eq!(ids.get(STATE_DENIED), Some(12));
        assert_eq!(ids.get("removed"), None);
        assert_eq!(
            ids.summary(),
            "attention required 9, closed 4, denied 12, new 1, open 2, pending approval 8"
        );
    }

    #[test]
    fn the_search_body_is_a_condition_search_oldest_first() {
        let q = CandidateQuery {
            field: "ticket_type",
            value: "network_change",
            state_ids: &[1, 2],
            updated_after: None,
        };
        q.check().unwrap();
        assert_eq!(
            q.body(1),
            json!({
                "condition": {
                    "ticket.ticket_type": {"operator": "is", "value": ["network_change"]},
                    "ticket.state_id": {"operator": "is", "value": ["1", "2"]}
                },
                "sort_by": "updated_at", "order_by": "asc", "expand": true,
                "page": 1, "per_page": 100, "limit": 100
            })
        );
        assert!(
            q.body(1).get("query").is_none(),
            "never the Elasticsearch query syntax"
        );
        let q = CandidateQuery {
            updated_after: Some("2023-05-30T14:03:49.004Z"),
            ..q
        };
        q.check().unwrap();
        assert_eq!(
            q.body(3)["condition"]["ticket.updated_at"],
            json!({"operator": "after (absolute)", "value": "2023-05-30T14:03:49.004Z"})
        );
        assert_eq!(q.body(3)["page"], json!(3));
    }

    #[test]
    fn what_goes_into_the_condition_is_checked() {
        let ok = CandidateQuery {
            field: "type",
            value: "network change",
            state_ids: &[1],
            updated_after: None,
        };
        ok.check().unwrap();
        for field in [
            "",
            "Type",
            "ticket.type",
            "a b",
            "x\"}",
            &"a".repeat(65),
            "1st",
        ] {
            let q = CandidateQuery {
                field,
                ..ok.clone()
            };
            assert!(q.check().is_err(), "{field:?}");
        }
        for ts in [
            "yesterday",
            "2023-05-30 14:03",
            "2023-05-30T14:03:49Z\"",
            "",
        ] {
            let q = CandidateQuery {
                updated_after: Some(ts),
                ..ok.clone()
            };
            assert!(q.check().is_err(), "{ts:?}");
        }
        assert!(CandidateQuery {
            value: " ",
            ..ok.clone()
        }
        .check()
        .is_err());
        assert!(CandidateQuery {
            state_ids: &[],
            ..ok
        }
        .check()
        .is_err());
    }
}
