//! What a fresh simulator holds: the instance seed 004 describes (a Zammad 5.x with the network
//! change attributes, the `NetDevOps` group and the workflow's three admin-made states), with
//! Zammad's default ids for users, groups, priorities, article types and ticket states. Pure.

use std::collections::BTreeMap;

use super::model::{
    Group, Organization, Priority, State, User, Zammad, ADMIN_ROLE, AGENT_ROLE, CUSTOMER_ROLE,
};

/// The system user every default object is created by (`-`, id 1).
pub const SYSTEM_USER: u64 = 1;
/// The bot's API user: the default token acts as it.
pub const BOT_USER: u64 = 2;
/// The person `/_sim/edit` acts as when none is named.
pub const ENGINEER_USER: u64 = 3;
/// The group new tickets land in unless told otherwise.
pub const DEFAULT_GROUP: &str = "NetDevOps";
/// The state `/_sim/tickets` gives a new ticket unless told otherwise.
pub const DEFAULT_STATE: &str = "open";
/// The priority every new ticket gets (`default_create`).
pub const DEFAULT_PRIORITY: u64 = 2;
/// The value of `ticket_type` that marks a network change.
pub const NETWORK_CHANGE: &str = "network_change";
/// Ticket numbers count up from here, as in the seed's instance (`15004`, `15012`).
pub const FIRST_NUMBER: u64 = 15001;

/// Zammad's default article types (`ticket_article_types`), by id.
pub const ARTICLE_TYPES: &[(u64, &str)] = &[
    (1, "email"),
    (2, "sms"),
    (3, "chat"),
    (4, "fax"),
    (5, "phone"),
    (6, "twitter status"),
    (7, "twitter direct-message"),
    (8, "facebook feed post"),
    (9, "facebook feed comment"),
    (10, "note"),
    (11, "web"),
    (12, "telegram personal-message"),
];
pub const TYPE_PHONE: u64 = 5;
pub const TYPE_NOTE: u64 = 10;

/// Zammad's default article senders, by id.
pub const SENDERS: &[(u64, &str)] = &[(1, "Agent"), (2, "Customer"), (3, "System")];
pub const SENDER_AGENT: u64 = 1;
pub const SENDER_CUSTOMER: u64 = 2;

fn user(
    id: u64,
    login: &str,
    (firstname, lastname): (&str, &str),
    email: &str,
    roles: &[(u64, &'static str)],
    organization_id: Option<u64>,
    at: i64,
) -> User {
    User {
        id,
        login: login.to_owned(),
        firstname: firstname.to_owned(),
        lastname: lastname.to_owned(),
        email: email.to_owned(),
        active: id != SYSTEM_USER,
        verified: roles.iter().any(|r| r.1 != CUSTOMER_ROLE.1),
        roles: roles.to_vec(),
        organization_id,
        created_by_id: SYSTEM_USER,
        updated_by_id: SYSTEM_USER,
        created_at: at,
        updated_at: at,
    }
}

pub fn users(at: i64) -> Vec<User> {
    vec![
        user(1, "-", ("-", ""), "", &[], None, at),
        user(
            BOT_USER,
            "patchpanel",
            ("patchpanel", "Bot"),
            "patchpanel@example.com",
            &[AGENT_ROLE],
            None,
            at,
        ),
        user(
            ENGINEER_USER,
            "engineer",
            ("NetDevOps", "Engineer"),
            "engineer@example.com",
            &[ADMIN_ROLE, AGENT_ROLE],
            Some(2),
            at,
        ),
        user(
            4,
            "approver",
            ("Change", "Approver"),
            "approver@example.com",
            &[AGENT_ROLE],
            Some(2),
            at,
        ),
        user(
            5,
            "network-team@local.lab",
            ("Network", "Team"),
            "network-team@local.lab",
            &[CUSTOMER_ROLE],
            Some(2),
            at,
        ),
    ]
}

pub fn organizations(at: i64) -> Vec<Organization> {
    vec![
        Organization {
            id: 1,
            name: "Zammad Foundation".into(),
            shared: true,
            created_at: at,
            updated_at: at,
        },
        Organization {
            id: 2,
            name: "CLUS".into(),
            shared: true,
            created_at: at,
            updated_at: at,
        },
    ]
}

pub fn groups(at: i64) -> Vec<Group> {
    vec![
        Group {
            id: 1,
            name: "Users".into(),
            user_ids: vec![3, 4],
            created_at: at,
            updated_at: at,
        },
        Group {
            id: 2,
            name: DEFAULT_GROUP.into(),
            user_ids: vec![2, 3, 4],
            created_at: at,
            updated_at: at,
        },
    ]
}

pub fn priorities(at: i64) -> Vec<Priority> {
    [(1, "1 low"), (2, "2 normal"), (3, "3 high")]
        .into_iter()
        .map(|(id, name)| Priority {
            id,
            name: name.into(),
            default_create: id == DEFAULT_PRIORITY,
            created_at: at,
            updated_at: at,
        })
        .collect()
}

/// Zammad's default states with their ids and state types (`docs/zammad.md §4`), then the
/// workflow's: `pending approval` and `attention required` of type open, `denied` of type closed.
pub fn states(at: i64) -> Vec<State> {
    let rows: [(u64, &str, u64, bool, Option<u64>); 10] = [
        (1, "new", 1, true, None),
        (2, "open", 2, true, None),
        (3, "pending reminder", 3, true, None),
        (4, "closed", 5, true, None),
        (5, "merged", 6, true, None),
        (6, "removed", 7, false, None),
        (7, "pending close", 4, true, Some(4)),
        (8, "pending approval", 2, true, None),
        (9, "attention required", 2, true, None),
        (10, "denied", 5, true, None),
    ];
    rows.into_iter()
        .map(|(id, name, state_type_id, active, next_state_id)| State {
            id,
            name: name.into(),
            state_type_id,
            active,
            next_state_id,
            // Closed and merged states stop escalation, as do the workflow's waiting states.
            ignore_escalation: matches!(state_type_id, 3..=7) || id >= 8,
            default_create: id == 1,
            default_follow_up: id == 2,
            created_by_id: if id >= 8 { ENGINEER_USER } else { SYSTEM_USER },
            created_at: at,
            updated_at: at,
        })
        .collect()
}

/// A fresh instance: the seed, no tickets.
pub fn zammad(now: i64) -> Zammad {
    Zammad {
        users: users(now),
        organizations: organizations(now),
        groups: groups(now),
        priorities: priorities(now),
        states: states(now),
        tickets: BTreeMap::new(),
        articles: BTreeMap::new(),
        next_number: FIRST_NUMBER,
        last_ms: now,
    }
}
