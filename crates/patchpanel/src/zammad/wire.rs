//! Lenient serde shapes of the Zammad JSON the bot reads (docs/zammad.md §2–§5). Every field is
//! optional: `null`, absence and a wrong type all read as `None`, so one odd field never makes a
//! ticket unreadable. The seven network attributes are kept as raw `serde_json::Value`s; what they
//! mean is decided by `zammad::request`, which reports a bad one by name.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// `null`, absent or a wrong type all read as `None`.
fn lenient<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    d: D,
) -> Result<Option<T>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(v.and_then(|v| serde_json::from_value(v).ok()))
}

/// An id: a JSON number, or a string of digits (Zammad sends both in places).
fn id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A text: a string, or a number written as one (`"number": 15004` from a custom payload).
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// A user as a relation of a ticket or an article: with `expand=true` the REST API gives the login
/// as a string (`"customer": "network-team@local.lab"`), a webhook gives the whole user object
/// (docs/zammad.md §5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserRef {
    pub id: Option<u64>,
    pub login: Option<String>,
    pub email: Option<String>,
}

impl UserRef {
    /// The login, else the email: how people know the user.
    pub fn name(&self) -> Option<&str> {
        self.login
            .as_deref()
            .or(self.email.as_deref())
            .filter(|s| !s.trim().is_empty())
    }
}

fn user_ref<'de, D: Deserializer<'de>>(d: D) -> Result<Option<UserRef>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(UserRef {
            login: Some(s),
            ..UserRef::default()
        }),
        Some(v @ Value::Object(_)) => serde_json::from_value::<User>(v).ok().map(|u| UserRef {
            id: u.id,
            login: u.login,
            email: u.email,
        }),
        _ => None,
    })
}

/// A Zammad user (`GET /api/v1/users/me`, or nested in a webhook body).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct User {
    #[serde(default, deserialize_with = "id")]
    pub id: Option<u64>,
    #[serde(default, deserialize_with = "lenient")]
    pub login: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub firstname: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub lastname: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub active: Option<bool>,
}

impl User {
    /// `NetDevOps Developer (developer)`, or what there is of it.
    pub fn display(&self) -> String {
        let name = [self.firstname.as_deref(), self.lastname.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "-")
            .collect::<Vec<_>>()
            .join(" ");
        let who = self
            .login
            .as_deref()
            .or(self.email.as_deref())
            .unwrap_or("?");
        if name.is_empty() {
            who.to_owned()
        } else {
            format!("{name} ({who})")
        }
    }
}

/// One entry of `GET /api/v1/ticket_states`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct TicketState {
    #[serde(default, deserialize_with = "id")]
    pub id: Option<u64>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "id")]
    pub state_type_id: Option<u64>,
    /// Absent reads as active (older answers leave it out).
    #[serde(default, deserialize_with = "lenient")]
    pub active: Option<bool>,
}

/// The seven custom attributes of a network-change ticket (docs/zammad.md §2), in this order.
pub const NETWORK_ATTRIBUTES: [&str; 7] = [
    "network_device_name",
    "network_interface_name",
    "network_interface_description",
    "network_interface_enabled",
    "network_interface_mtu",
    "network_interface_ip4_address",
    "network_switchport_mode_and_vlan",
];

/// A ticket as `GET /api/v1/tickets/{id}?expand=true`, the condition search with `expand` and a
/// webhook give it. Relations are ids (`state_id`, `customer_id`, …); with `expand` Zammad adds
/// names (`state`, and `customer`/`created_by`/`updated_by` as a login or, in a webhook, an object).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Ticket {
    #[serde(default, deserialize_with = "id")]
    pub id: Option<u64>,
    /// What people see and talk about (`"15004"`); the API wants `id`.
    #[serde(default, deserialize_with = "text")]
    pub number: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub title: Option<String>,
    /// The state's name (expanded tickets and webhooks only).
    #[serde(default, deserialize_with = "lenient")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "id")]
    pub state_id: Option<u64>,
    #[serde(default, deserialize_with = "id")]
    pub customer_id: Option<u64>,
    #[serde(default, deserialize_with = "user_ref")]
    pub customer: Option<UserRef>,
    #[serde(default, deserialize_with = "id")]
    pub created_by_id: Option<u64>,
    #[serde(default, deserialize_with = "user_ref")]
    pub created_by: Option<UserRef>,
    /// UTC ISO-8601 with milliseconds (`2023-05-30T14:03:49.004Z`), kept as Zammad wrote it.
    #[serde(default, deserialize_with = "lenient")]
    pub updated_at: Option<String>,
    #[serde(default, deserialize_with = "id")]
    pub updated_by_id: Option<u64>,
    #[serde(default, deserialize_with = "user_ref")]
    pub updated_by: Option<UserRef>,
    #[serde(default)]
    pub network_device_name: Value,
    #[serde(default)]
    pub network_interface_name: Value,
    #[serde(default)]
    pub network_interface_description: Value,
    #[serde(default)]
    pub network_interface_enabled: Value,
    #[serde(default)]
    pub network_interface_mtu: Value,
    #[serde(default)]
    pub network_interface_ip4_address: Value,
    #[serde(default)]
    pub network_switchport_mode_and_vlan: Value,
    /// Every other key (custom attributes included, such as the change field `ticket_type`).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Ticket {
    /// The raw value of one of the seven network attributes (`Null` for any other name).
    pub fn network_attribute(&self, name: &str) -> &Value {
        match name {
            "network_device_name" => &self.network_device_name,
            "network_interface_name" => &self.network_interface_name,
            "network_interface_description" => &self.network_interface_description,
            "network_interface_enabled" => &self.network_interface_enabled,
            "network_interface_mtu" => &self.network_interface_mtu,
            "network_interface_ip4_address" => &self.network_interface_ip4_address,
            "network_switchport_mode_and_vlan" => &self.network_switchport_mode_and_vlan,
            _ => &Value::Null,
        }
    }

    /// The raw value of another attribute, such as the configured change field (`ZAMMAD_CHANGE_FIELD`).
    pub fn attribute(&self, name: &str) -> Option<&Value> {
        self.other.get(name).filter(|v| !v.is_null())
    }

    /// Whether the ticket's `field` holds `value` (a select's value, a text, or a multi-select
    /// list containing it): how the bot tells a network-change ticket from any other.
    pub fn is_change(&self, field: &str, value: &str) -> bool {
        let is = |v: &Value| v.as_str().is_some_and(|s| s.trim() == value.trim());
        match self.attribute(field) {
            Some(Value::Array(items)) => items.iter().any(is),
            Some(v) => is(v),
            None => false,
        }
    }
}

/// A ticket article (`GET /api/v1/ticket_articles/by_ticket/{id}`, or a webhook's `article`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Article {
    #[serde(default, deserialize_with = "id")]
    pub id: Option<u64>,
    #[serde(default, deserialize_with = "id")]
    pub ticket_id: Option<u64>,
    /// `note`, `email`, `phone`, … (expanded; `type_id` otherwise).
    #[serde(default, rename = "type", deserialize_with = "lenient")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub sender: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub internal: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    pub subject: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub body: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub content_type: Option<String>,
    #[serde(default, deserialize_with = "id")]
    pub created_by_id: Option<u64>,
    #[serde(default, deserialize_with = "user_ref")]
    pub created_by: Option<UserRef>,
    #[serde(default, deserialize_with = "lenient")]
    pub created_at: Option<String>,
}

/// The default body of a Zammad webhook: `{"ticket": {...}, "article": {...}}`; `article` is `{}`
/// when no article triggered it (docs/zammad.md §5). The receiver checks the signature first.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct WebhookBody {
    #[serde(default, deserialize_with = "lenient")]
    pub ticket: Option<Ticket>,
    #[serde(default, deserialize_with = "article")]
    pub article: Option<Article>,
}

/// `{}` (no article) reads as `None`.
fn article<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Article>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::Object(m)) if m.is_empty() => None,
        Some(v @ Value::Object(_)) => serde_json::from_value(v).ok(),
        _ => None,
    })
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
