//! The pure state of the simulated Zammad: users, groups, priorities, ticket states, the custom
//! attributes' schema, tickets and their articles, the ticket counter and the clock that makes
//! every version's `updated_at` unique. Writes are in `write.rs`. No IO, no JSON rendering.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

pub const ADMIN_ROLE: (u64, &str) = (1, "Admin");
pub const AGENT_ROLE: (u64, &str) = (2, "Agent");
pub const CUSTOMER_ROLE: (u64, &str) = (3, "Customer");

#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub login: String,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub active: bool,
    pub verified: bool,
    pub roles: Vec<(u64, &'static str)>,
    pub organization_id: Option<u64>,
    pub created_by_id: u64,
    pub updated_by_id: u64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl User {
    pub fn fullname(&self) -> String {
        format!("{} {}", self.firstname, self.lastname)
            .trim()
            .to_owned()
    }
    pub fn is_agent(&self) -> bool {
        self.roles.contains(&AGENT_ROLE)
    }
    pub fn is_admin(&self) -> bool {
        self.roles.contains(&ADMIN_ROLE)
    }
}

#[derive(Debug, Clone)]
pub struct Organization {
    pub id: u64,
    pub name: String,
    pub shared: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: u64,
    pub name: String,
    pub user_ids: Vec<u64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct Priority {
    pub id: u64,
    pub name: String,
    pub default_create: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct State {
    pub id: u64,
    pub name: String,
    pub state_type_id: u64,
    pub active: bool,
    pub ignore_escalation: bool,
    pub next_state_id: Option<u64>,
    pub default_create: bool,
    pub default_follow_up: bool,
    pub created_by_id: u64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// How an object-manager attribute stores its value.
#[derive(Debug, Clone, Copy)]
pub enum AttrKind {
    Text { max: usize },
    Integer { min: i64, max: i64 },
    Boolean,
    Select(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy)]
pub struct AttrDef {
    pub name: &'static str,
    pub kind: AttrKind,
}

/// The custom ticket attributes (docs/zammad.md §2), as an admin created them in the seed's
/// instance. Text limits are the object manager's default `maxlength`.
pub const ATTRIBUTES: &[AttrDef] = &[
    AttrDef {
        name: "network_device_name",
        kind: AttrKind::Text { max: 120 },
    },
    AttrDef {
        name: "network_interface_name",
        kind: AttrKind::Text { max: 120 },
    },
    AttrDef {
        name: "network_interface_description",
        kind: AttrKind::Text { max: 240 },
    },
    AttrDef {
        name: "network_interface_enabled",
        kind: AttrKind::Boolean,
    },
    AttrDef {
        name: "network_interface_mtu",
        kind: AttrKind::Integer {
            min: 0,
            max: 999_999_999,
        },
    },
    AttrDef {
        name: "network_interface_ip4_address",
        kind: AttrKind::Text { max: 120 },
    },
    AttrDef {
        name: "network_switchport_mode_and_vlan",
        kind: AttrKind::Text { max: 120 },
    },
    AttrDef {
        name: "ticket_type",
        kind: AttrKind::Select(&["network_change", "other"]),
    },
];

#[derive(Debug, Clone, Default)]
pub struct Ticket {
    pub id: u64,
    pub number: String,
    pub title: String,
    pub group_id: u64,
    pub state_id: u64,
    pub priority_id: u64,
    pub owner_id: u64,
    pub customer_id: u64,
    pub organization_id: Option<u64>,
    pub created_by_id: u64,
    pub updated_by_id: u64,
    pub created_at: i64,
    pub updated_at: i64,
    pub create_article_type_id: u64,
    pub create_article_sender_id: u64,
    pub last_contact_at: Option<i64>,
    pub last_contact_customer_at: Option<i64>,
    pub last_contact_agent_at: Option<i64>,
    pub close_at: Option<i64>,
    pub last_close_at: Option<i64>,
    /// The custom attributes, every one present (`null` when unset), stored typed.
    pub attributes: Map<String, Value>,
    pub article_ids: Vec<u64>,
}

/// One cell of the `tickets` table, as the SQL selector compares it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Time(Option<i64>),
}

impl Ticket {
    /// The column `name` of this ticket's row; `None` when the table has no such column.
    pub fn column(&self, name: &str) -> Option<Cell> {
        let id = |v: u64| Cell::Int(i64::try_from(v).ok());
        let text = |s: &str| Cell::Text(Some(s.to_owned()));
        Some(match name {
            "id" => id(self.id),
            "number" => text(&self.number),
            "title" => text(&self.title),
            "group_id" => id(self.group_id),
            "state_id" => id(self.state_id),
            "priority_id" => id(self.priority_id),
            "owner_id" => id(self.owner_id),
            "customer_id" => id(self.customer_id),
            "organization_id" => Cell::Int(self.organization_id.and_then(|v| v.try_into().ok())),
            "created_by_id" => id(self.created_by_id),
            "updated_by_id" => id(self.updated_by_id),
            "create_article_type_id" => id(self.create_article_type_id),
            "create_article_sender_id" => id(self.create_article_sender_id),
            "article_count" => Cell::Int(i64::try_from(self.article_ids.len()).ok()),
            "created_at" => Cell::Time(Some(self.created_at)),
            "updated_at" => Cell::Time(Some(self.updated_at)),
            "last_contact_at" => Cell::Time(self.last_contact_at),
            "close_at" => Cell::Time(self.close_at),
            "pending_time" => Cell::Time(None),
            other => {
                let def = ATTRIBUTES.iter().find(|a| a.name == other)?;
                let v = self.attributes.get(other).unwrap_or(&Value::Null);
                match def.kind {
                    AttrKind::Integer { .. } => Cell::Int(v.as_i64()),
                    AttrKind::Boolean => Cell::Bool(v.as_bool()),
                    AttrKind::Text { .. } | AttrKind::Select(_) => {
                        Cell::Text(v.as_str().map(str::to_owned))
                    }
                }
            }
        })
    }
}

#[derive(Debug, Clone)]
pub struct Article {
    pub id: u64,
    pub ticket_id: u64,
    pub type_id: u64,
    pub sender_id: u64,
    pub from: String,
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    pub content_type: String,
    pub internal: bool,
    pub created_by_id: u64,
    pub created_at: i64,
}

/// Why Zammad refuses a write, in the classes its error handler answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    /// `Exceptions::UnprocessableEntity` and failed validations: 422, the words shown to everyone.
    Unprocessable(String),
    /// A database error (`ActiveRecord::StatementInvalid`): 422, the words shown only to admins.
    Statement(String),
    /// Anything else Rails raises: 500, the words shown only to admins.
    Internal(String),
    /// `ActiveRecord::RecordNotFound`: 404.
    NotFound(String),
}

/// What one write did, for the webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub ticket_id: u64,
    pub article_id: Option<u64>,
    /// False when the write changed nothing (Zammad then neither touches nor triggers).
    pub changed: bool,
    pub created: bool,
}

#[derive(Debug, Clone)]
pub struct Zammad {
    pub users: Vec<User>,
    pub organizations: Vec<Organization>,
    pub groups: Vec<Group>,
    pub priorities: Vec<Priority>,
    pub states: Vec<State>,
    pub tickets: BTreeMap<u64, Ticket>,
    pub articles: BTreeMap<u64, Article>,
    pub(crate) next_number: u64,
    pub(crate) last_ms: i64,
}

/// Ruby's `inspect` of a JSON value, as Zammad quotes a value it could not look up.
pub fn inspect(v: &Value) -> String {
    match v {
        Value::Null => "nil".into(),
        other => other.to_string(),
    }
}

impl Zammad {
    /// A timestamp later than every one handed out before, so `(id, updated_at)` names one
    /// version even when two writes land in the same millisecond.
    pub fn tick(&mut self, now: i64) -> i64 {
        self.last_ms = now.max(self.last_ms.saturating_add(1));
        self.last_ms
    }

    /// The next ticket number (Zammad's increment generator: a string of digits).
    pub fn next_number(&mut self) -> String {
        let n = self.next_number;
        self.next_number += 1;
        n.to_string()
    }

    pub fn user(&self, id: u64) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }
    /// By login or email, as Zammad looks users up.
    pub fn user_by_name(&self, name: &str) -> Option<&User> {
        let n = name.trim().to_lowercase();
        self.users
            .iter()
            .find(|u| u.login.to_lowercase() == n)
            .or_else(|| self.users.iter().find(|u| u.email.to_lowercase() == n))
    }
    pub fn state(&self, id: u64) -> Option<&State> {
        self.states.iter().find(|s| s.id == id)
    }
    pub fn group(&self, id: u64) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }
    pub fn priority(&self, id: u64) -> Option<&Priority> {
        self.priorities.iter().find(|p| p.id == id)
    }
    pub fn organization(&self, id: u64) -> Option<&Organization> {
        self.organizations.iter().find(|o| o.id == id)
    }
    pub fn ticket_by_number(&self, number: &str) -> Option<&Ticket> {
        self.tickets.values().find(|t| t.number == number)
    }
}

/// What `POST /_sim/tickets` asks for.
#[derive(Debug, Clone, Default)]
pub struct NewTicket {
    pub title: String,
    /// Login or email.
    pub customer: String,
    pub group: String,
    pub state: String,
    /// The agent who filled in the form; the customer when `None`.
    pub created_by: Option<String>,
    /// Custom attributes by name (`ticket_type`, `network_*`).
    pub attributes: Map<String, Value>,
    pub body: String,
}
/// An id as Rails casts it: a number or a string of digits.
pub fn as_id(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A boolean as Rails casts it.
pub fn truthy(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.trim().to_lowercase().as_str() {
            "true" | "t" | "1" | "yes" | "on" => Some(true),
            "false" | "f" | "0" | "no" | "off" => Some(false),
            _ => None,
        },
        _ => None,
    }
}
