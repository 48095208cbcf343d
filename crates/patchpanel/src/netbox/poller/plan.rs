//! The poller's pure core: which change records of a page become candidates, how far the cursor may
//! move after some of them were handled, the backoff schedule and the up/down bookkeeping that keeps
//! the log to one line per outage. No IO, no clock reads (callers pass instants and random numbers).

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use crate::netbox::{ChangeAction, NetboxError, ObjectChange};

/// Why a change record is not offered to the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// At or below the id the poller started from on its first run: history is not replayed.
    BeforeStart,
    /// Already handled (re-read through the overlap window).
    Seen,
    /// The bot's own write (its `changelog_message` prefix): clearing the ticket must not loop.
    OwnWrite,
    /// The interface is gone.
    Delete,
    /// The change left no ticket number on the interface.
    NoTicket,
    /// Not an interface change (the type filter should have excluded it).
    NotInterface,
}

/// What one record means: the ticket it carries, or why it is skipped.
pub fn classify<'a>(
    rec: &'a ObjectChange,
    seen: &HashSet<u64>,
    floor: u64,
    own_prefix: &str,
) -> Result<&'a str, Skip> {
    if rec.id <= floor {
        return Err(Skip::BeforeStart);
    }
    if seen.contains(&rec.id) {
        return Err(Skip::Seen);
    }
    if rec.changed_object_type != "dcim.interface" {
        return Err(Skip::NotInterface);
    }
    if is_own(rec.message.as_deref(), own_prefix) {
        return Err(Skip::OwnWrite);
    }
    if rec.action == ChangeAction::Delete {
        return Err(Skip::Delete);
    }
    rec.postchange_data
        .as_ref()
        .and_then(|s| s.change_ticket_number())
        .ok_or(Skip::NoTicket)
}

/// `message` starts with `prefix`, ignoring ASCII case and leading blanks. An empty prefix matches
/// nothing (it would otherwise swallow every change).
pub fn is_own(message: Option<&str>, prefix: &str) -> bool {
    let prefix = prefix.trim();
    if prefix.is_empty() {
        return false;
    }
    let Some(msg) = message.map(str::trim_start) else {
        return false;
    };
    msg.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// One interface to offer: every record of the page for it collapsed into one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub interface_id: u64,
    /// The ticket of the newest record.
    pub ticket: String,
    /// The newest record's id.
    pub change_id: u64,
    /// Every record collapsed into this candidate, oldest first.
    pub record_ids: Vec<u64>,
}

/// A page of the change log turned into candidates, in the order of their first record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub candidates: Vec<Planned>,
    /// Every record of the page in id order, with the candidate it feeds (`None`: skipped).
    slots: Vec<(u64, Option<usize>)>,
    pub skipped: Vec<(u64, Skip)>,
}

impl Plan {
    pub fn new(records: &[ObjectChange], seen: &HashSet<u64>, floor: u64, own: &str) -> Plan {
        let mut sorted: Vec<&ObjectChange> = records.iter().collect();
        sorted.sort_by_key(|r| r.id);
        sorted.dedup_by_key(|r| r.id);
        let mut plan = Plan::default();
        let mut by_interface: BTreeMap<u64, usize> = BTreeMap::new();
        for rec in sorted {
            match classify(rec, seen, floor, own) {
                Err(why) => {
                    plan.skipped.push((rec.id, why));
                    plan.slots.push((rec.id, None));
                }
                Ok(ticket) => {
                    let iface = rec.changed_object_id;
                    let idx = *by_interface.entry(iface).or_insert_with(|| {
                        plan.candidates.push(Planned {
                            interface_id: iface,
                            ticket: String::new(),
                            change_id: 0,
                            record_ids: Vec::new(),
                        });
                        plan.candidates.len() - 1
                    });
                    if let Some(c) = plan.candidates.get_mut(idx) {
                        c.ticket = ticket.to_owned();
                        c.change_id = rec.id;
                        c.record_ids.push(rec.id);
                    }
                    plan.slots.push((rec.id, Some(idx)));
                }
            }
        }
        plan
    }

    /// The cursor once the first `done` candidates are handled: the highest id such that every
    /// record of the page up to it is skipped or handled. Never below `current`.
    pub fn cursor_after(&self, done: usize, current: u64) -> u64 {
        self.slots
            .iter()
            .take_while(|(_, c)| c.map_or(true, |c| c < done))
            .map(|(id, _)| *id)
            .last()
            .map_or(current, |id| id.max(current))
    }
}

/// The `id__gt` of the next request: the cursor minus the overlap window, which re-reads records
/// committed late with lower ids (docs/netbox.md §8 point 5).
pub fn query_after(cursor: u64, overlap: u64) -> u64 {
    cursor.saturating_sub(overlap)
}

/// The overlap actually used: less than half a page, so a page of re-read records always leaves
/// room for new ones.
pub fn effective_overlap(overlap: u64, page_limit: u16) -> u64 {
    overlap.min(u64::from(page_limit / 2))
}

/// A full page that moved the cursor means more records may wait: read again at once.
pub fn poll_again(page_len: usize, limit: u16, old_cursor: u64, new_cursor: u64) -> bool {
    page_len >= usize::from(limit) && new_cursor > old_cursor
}

/// How a NetBox failure is reported and handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Down, timing out, 5xx: wait and retry.
    Unavailable,
    /// The token is refused (NetBox answers 403 for that): retry, but a person must fix NETBOX_TOKEN.
    Auth,
    /// Anything else NetBox answered that the poller cannot use.
    Other,
}

impl FailureKind {
    pub fn of(e: &NetboxError) -> FailureKind {
        match e {
            NetboxError::Unavailable { .. } => FailureKind::Unavailable,
            NetboxError::Unauthorized { .. } | NetboxError::Forbidden { .. } => FailureKind::Auth,
            _ => FailureKind::Other,
        }
    }
}

/// Whether NetBox currently works for the poller, so that an outage logs once when it starts and
/// once when it ends, not once per attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Up,
    Down { kind: FailureKind, since: Instant },
}

impl Health {
    /// Records a failure; `true` when it should be logged (NetBox was up, or fails differently now).
    pub fn failed(&mut self, kind: FailureKind, now: Instant) -> bool {
        match *self {
            Health::Down { kind: k, .. } if k == kind => false,
            Health::Down { since, .. } => {
                *self = Health::Down { kind, since };
                true
            }
            Health::Up => {
                *self = Health::Down { kind, since: now };
                true
            }
        }
    }

    /// Records a success; how long NetBox was failing when it just came back.
    pub fn succeeded(&mut self, now: Instant) -> Option<Duration> {
        match std::mem::replace(self, Health::Up) {
            Health::Up => None,
            Health::Down { since, .. } => Some(now.saturating_duration_since(since)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const OWN: &str = crate::netbox::OWN_CHANGE_PREFIX;

    fn rec(id: u64, iface: u64, ticket: Option<&str>, message: &str) -> ObjectChange {
        serde_json::from_value(json!({
            "id": id, "action": {"value": "update"}, "changed_object_type": "dcim.interface",
            "changed_object_id": iface, "message": message,
            "prechange_data": {"custom_fields": {"change_ticket_number": null}},
            "postchange_data": {"custom_fields": {"change_ticket_number": ticket}},
        }))
        .unwrap()
    }

    fn none() -> HashSet<u64> {
        HashSet::new()
    }

    #[test]
    fn own_writes_deletes_and_empty_tickets_are_skipped() {
        let mut delete = rec(5, 3, Some("CHG-1"), "");
        delete.action = ChangeAction::Delete;
        let mut other_type = rec(6, 3, Some("CHG-1"), "");
        other_type.changed_object_type = "ipam.ipaddress".into();
        let recs = vec![
            rec(1, 3, Some("CHG-1"), "PatchPanel: pushed CHG-1"),
            rec(2, 3, None, "engineer"),
            rec(3, 3, Some("   "), ""),
            rec(4, 4, Some("CHG-2"), "  patchpanel: cleared"),
            delete,
            other_type,
        ];
        let plan = Plan::new(&recs, &none(), 0, OWN);
        assert!(plan.candidates.is_empty());
        assert_eq!(
            plan.skipped,
            vec![
                (1, Skip::OwnWrite),
                (2, Skip::NoTicket),
                (3, Skip::NoTicket),
                (4, Skip::OwnWrite),
                (5, Skip::Delete),
                (6, Skip::NotInterface),
            ]
        );
        // Everything skipped: the cursor moves past the whole page.
        assert_eq!(plan.cursor_after(0, 0), 6);
    }

    #[test]
    fn a_person_whose_message_merely_mentions_the_bot_is_not_skipped() {
        assert!(!is_own(Some("fixed what patchpanel did"), OWN));
        assert!(!is_own(None, OWN));
        assert!(!is_own(Some("anything"), ""));
        assert!(is_own(Some("PATCHPANEL: x"), OWN));
        assert!(!is_own(Some("patch"), OWN));
        // Regression: the prefix once lacked its colon, so a person's message was taken for the bot's.
        assert!(!is_own(Some("patchpanel rollout"), OWN));
        assert!(!is_own(Some("patchpanel"), OWN));
        assert!(!is_own(Some("ü"), OWN), "non-ASCII never panics");
    }

    #[test]
    fn records_of_one_interface_collapse_into_one_candidate() {
        let recs = vec![
            rec(10, 1, Some("CHG-1"), "ui"),
            rec(11, 2, Some("CHG-9"), "ui"),
            rec(12, 1, None, "patchpanel: cleared"),
            rec(13, 1, Some("CHG-2"), "ui"),
        ];
        let plan = Plan::new(&recs, &none(), 0, OWN);
        assert_eq!(
            plan.candidates,
            vec![
                Planned {
                    interface_id: 1,
                    ticket: "CHG-2".into(),
                    change_id: 13,
                    record_ids: vec![10, 13],
                },
                Planned {
                    interface_id: 2,
                    ticket: "CHG-9".into(),
                    change_id: 11,
                    record_ids: vec![11],
                },
            ]
        );
    }

    #[test]
    fn seen_and_pre_start_records_are_skipped() {
        let recs = vec![
            rec(3, 1, Some("CHG-0"), "ui"),
            rec(8, 1, Some("CHG-1"), "ui"),
            rec(9, 2, Some("CHG-2"), "ui"),
        ];
        let seen: HashSet<u64> = [8].into();
        let plan = Plan::new(&recs, &seen, 5, OWN);
        assert_eq!(plan.skipped, vec![(3, Skip::BeforeStart), (8, Skip::Seen)]);
        assert_eq!(plan.candidates.len(), 1);
        assert_eq!(plan.candidates[0].change_id, 9);
    }

    #[test]
    fn cursor_moves_only_over_handled_or_skipped_records() {
        // Out of order and duplicated, as an overlap re-read may deliver them.
        let recs = vec![
            rec(14, 1, Some("CHG-1"), "ui"),
            rec(10, 1, Some("CHG-1"), "ui"),
            rec(12, 2, Some("CHG-2"), "ui"),
            rec(11, 3, None, "ui"),
            rec(15, 4, None, "patchpanel: x"),
            rec(12, 2, Some("CHG-2"), "ui"),
        ];
        let plan = Plan::new(&recs, &none(), 0, OWN);
        assert_eq!(plan.candidates.len(), 2);
        // Nothing handled: not even the skipped 11 (10 comes first and is pending).
        assert_eq!(plan.cursor_after(0, 7), 7);
        // Interface 1 (10 and 14) handled: 11 skipped, 12 pending → 11.
        assert_eq!(plan.cursor_after(1, 7), 11);
        // Both handled: the whole page, including the trailing own write.
        assert_eq!(plan.cursor_after(2, 7), 15);
        // Never backwards.
        assert_eq!(plan.cursor_after(2, 100), 100);
        assert_eq!(Plan::default().cursor_after(0, 42), 42);
    }

    #[test]
    fn overlap_window_and_full_pages() {
        assert_eq!(query_after(100, 50), 50);
        assert_eq!(query_after(10, 50), 0);
        assert_eq!(effective_overlap(50, 200), 50);
        assert_eq!(effective_overlap(500, 200), 100);
        assert!(poll_again(200, 200, 10, 210));
        assert!(!poll_again(199, 200, 10, 209));
        assert!(
            !poll_again(200, 200, 10, 10),
            "a full page that did not move the cursor (a retry) must not spin"
        );
    }

    #[test]
    fn an_outage_is_reported_once_and_its_end_once() {
        let t0 = Instant::now();
        let mut h = Health::Up;
        assert!(h.failed(FailureKind::Unavailable, t0));
        assert!(!h.failed(FailureKind::Unavailable, t0 + Duration::from_secs(1)));
        assert!(
            h.failed(FailureKind::Auth, t0 + Duration::from_secs(2)),
            "a different failure is news"
        );
        assert!(matches!(
            h,
            Health::Down {
                kind: FailureKind::Auth,
                ..
            }
        ));
        assert_eq!(
            h.succeeded(t0 + Duration::from_secs(9)),
            Some(Duration::from_secs(9))
        );
        assert_eq!(h.succeeded(t0 + Duration::from_secs(10)), None);
        assert_eq!(h, Health::Up);
    }

    #[test]
    fn failures_are_classified_for_the_log() {
        let down = NetboxError::Unavailable {
            retry_after: None,
            status: None,
            detail: "x".into(),
        };
        let auth = NetboxError::Unauthorized { detail: "x".into() };
        let odd = NetboxError::InvalidResponse {
            what: "x".into(),
            detail: "y".into(),
        };
        assert_eq!(FailureKind::of(&down), FailureKind::Unavailable);
        assert_eq!(FailureKind::of(&auth), FailureKind::Auth);
        assert_eq!(FailureKind::of(&odd), FailureKind::Other);
    }
}
