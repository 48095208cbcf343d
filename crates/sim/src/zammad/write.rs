//! Writes to the state as Zammad performs them: `PUT /api/v1/tickets/{id}` (names to ids by
//! `association_name_to_id_convert`, attribute values cast to their column's type, the article
//! appended, nothing touched when nothing changed) and a ticket created in the UI. Pure.

use serde_json::{Map, Value};

use super::model::{
    as_id, inspect, truthy, Article, AttrDef, AttrKind, NewTicket, Refused, Ticket, User, Written,
    Zammad, ATTRIBUTES,
};
use super::seed;

/// The keys a ticket write accepts without storing them itself (`param_cleanup`, the query's
/// `expand`, the article handled apart).
const IGNORED_KEYS: &[&str] = &[
    "id",
    "number",
    "expand",
    "article",
    "created_at",
    "updated_at",
    "created_by_id",
    "updated_by_id",
    "created_by",
    "updated_by",
    "article_ids",
    "article_count",
];

impl Zammad {
    /// `association_name_to_id_convert`: a name given without its `_id` becomes the id, or a 422.
    fn lookup_name(&self, key: &str, value: &Value) -> Result<u64, Refused> {
        let missing = || {
            Refused::Unprocessable(format!(
                "No lookup value found for '{key}': {}",
                inspect(value)
            ))
        };
        let name = value.as_str();
        let found = match key {
            "owner" | "customer" => {
                let Some(name) = name else {
                    return Err(Refused::Unprocessable(format!(
                        "String is needed as ref value {} for '{key}'",
                        inspect(value)
                    )));
                };
                self.user_by_name(name).map(|u| u.id)
            }
            "state" => name.and_then(|n| self.states.iter().find(|s| s.name == n).map(|s| s.id)),
            "group" => name.and_then(|n| self.groups.iter().find(|g| g.name == n).map(|g| g.id)),
            "priority" => {
                name.and_then(|n| self.priorities.iter().find(|p| p.name == n).map(|p| p.id))
            }
            "organization" => name.and_then(|n| {
                self.organizations
                    .iter()
                    .find(|o| o.name == n)
                    .map(|o| o.id)
            }),
            _ => None,
        };
        found.ok_or_else(missing)
    }

    fn id_exists(&self, key: &str, id: u64) -> bool {
        match key {
            "state_id" => self.state(id).is_some(),
            "group_id" => self.group(id).is_some(),
            "priority_id" => self.priority(id).is_some(),
            "owner_id" | "customer_id" => self.user(id).is_some(),
            "organization_id" => self.organization(id).is_some(),
            _ => false,
        }
    }

    /// `PUT /api/v1/tickets/{id}` (and a person's edit): every field checked before anything is
    /// stored, then the ticket and its new article saved together.
    pub fn update(
        &mut self,
        id: u64,
        body: &Map<String, Value>,
        actor: u64,
        now: i64,
    ) -> Result<Written, Refused> {
        let old = self
            .tickets
            .get(&id)
            .cloned()
            .ok_or_else(|| Refused::NotFound(id.to_string()))?;
        let mut new = old.clone();
        for (key, value) in body {
            let key = key.as_str();
            if IGNORED_KEYS.contains(&key) {
                continue;
            }
            match key {
                "state" | "group" | "priority" | "owner" | "customer" | "organization" => {
                    // An `_id` given beside the name wins; the name is then not even looked up.
                    if !body.contains_key(&format!("{key}_id")) {
                        let id = self.lookup_name(key, value)?;
                        self.set_relation(&mut new, &format!("{key}_id"), Some(id));
                    }
                }
                "state_id" | "group_id" | "priority_id" | "owner_id" | "customer_id"
                | "organization_id" => {
                    let id = match value {
                        Value::Null if key == "organization_id" => None,
                        v => Some(as_id(v).ok_or_else(|| {
                            Refused::Statement(format!(
                                "PG::InvalidTextRepresentation: ERROR:  invalid input syntax for type bigint: {}",
                                inspect(v)
                            ))
                        })?),
                    };
                    if let Some(i) = id.filter(|i| !self.id_exists(key, *i)) {
                        return Err(Refused::Statement(format!(
                            "PG::ForeignKeyViolation: ERROR:  insert or update on table \"tickets\" violates foreign key constraint (Key ({key})=({i}) is not present)"
                        )));
                    }
                    self.set_relation(&mut new, key, id);
                }
                "title" => {
                    let title = match value {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    if title.trim().is_empty() {
                        return Err(Refused::Unprocessable("Title can't be blank".into()));
                    }
                    new.title = title;
                }
                other => match ATTRIBUTES.iter().find(|a| a.name == other) {
                    Some(def) => {
                        let v = coerce(def, value)?;
                        new.attributes.insert(other.to_owned(), v);
                    }
                    None => {
                        return Err(Refused::Internal(format!(
                            "unknown attribute '{other}' for Ticket."
                        )))
                    }
                },
            }
        }
        let article = match body.get("article") {
            None | Some(Value::Null) => None,
            Some(Value::Object(a)) if a.is_empty() => None,
            Some(Value::Object(a)) => Some(self.article_from(a, id, actor)?),
            Some(other) => {
                return Err(Refused::Internal(format!(
                    "undefined method `permit!' for {}",
                    inspect(other)
                )))
            }
        };
        let changed = !same(&old, &new);
        if !changed && article.is_none() {
            return Ok(Written {
                ticket_id: id,
                article_id: None,
                changed: false,
                created: false,
            });
        }
        let at = self.tick(now);
        new.updated_at = at;
        new.updated_by_id = actor;
        if new.state_id != old.state_id
            && self.state(new.state_id).map(|s| s.state_type_id) == Some(5)
        {
            new.close_at.get_or_insert(at);
            new.last_close_at = Some(at);
        }
        let article_id = article.map(|mut a| {
            a.created_at = at;
            if a.sender_id == seed::SENDER_AGENT && !a.internal {
                new.last_contact_agent_at = Some(at);
            }
            let aid = self.articles.keys().next_back().map_or(1, |k| k + 1);
            a.id = aid;
            new.article_ids.push(aid);
            self.articles.insert(aid, a);
            aid
        });
        self.tickets.insert(id, new);
        Ok(Written {
            ticket_id: id,
            article_id,
            changed: true,
            created: false,
        })
    }

    fn set_relation(&self, t: &mut Ticket, key: &str, id: Option<u64>) {
        match (key, id) {
            ("state_id", Some(i)) => t.state_id = i,
            ("group_id", Some(i)) => t.group_id = i,
            ("priority_id", Some(i)) => t.priority_id = i,
            ("owner_id", Some(i)) => t.owner_id = i,
            ("customer_id", Some(i)) => {
                t.customer_id = i;
                t.organization_id = self.user(i).and_then(|u| u.organization_id);
            }
            ("organization_id", o) => t.organization_id = o,
            _ => {}
        }
    }

    /// The article of a write (`article_create`): type by name, `note` when none is given; the
    /// sender follows the author's role.
    fn article_from(
        &self,
        a: &Map<String, Value>,
        ticket_id: u64,
        actor: u64,
    ) -> Result<Article, Refused> {
        let type_id = match (a.get("type_id").and_then(as_id), a.get("type")) {
            (Some(id), _) => id,
            (None, None | Some(Value::Null)) => seed::TYPE_NOTE,
            (None, Some(v)) => seed::ARTICLE_TYPES
                .iter()
                .find(|(_, n)| Some(*n) == v.as_str())
                .map(|(id, _)| *id)
                .ok_or_else(|| {
                    Refused::Unprocessable(format!(
                        "No lookup value found for 'type': {}",
                        inspect(v)
                    ))
                })?,
        };
        let text = |k: &str| match a.get(k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        };
        let author = self.user(actor);
        let sender_id = if author.is_some_and(User::is_agent) {
            seed::SENDER_AGENT
        } else {
            seed::SENDER_CUSTOMER
        };
        let internal = match a.get("internal") {
            Some(v) => truthy(v).ok_or_else(|| {
                Refused::Unprocessable(format!("Invalid value for 'internal': {}", inspect(v)))
            })?,
            None => false,
        };
        Ok(Article {
            id: 0,
            ticket_id,
            type_id,
            sender_id,
            from: author.map(User::fullname).unwrap_or_default(),
            to: text("to").unwrap_or_default(),
            subject: text("subject"),
            body: text("body").unwrap_or_default(),
            content_type: text("content_type").unwrap_or_else(|| "text/plain".into()),
            internal,
            created_by_id: actor,
            created_at: 0,
        })
    }

    /// A ticket as the Zammad UI creates it: the first article is a phone call from the customer.
    pub fn create(&mut self, new: NewTicket, now: i64) -> Result<Written, Refused> {
        let customer = self.user_by_name(&new.customer).cloned().ok_or_else(|| {
            Refused::Unprocessable(format!(
                "No lookup value found for 'customer': {}",
                inspect(&Value::String(new.customer.clone()))
            ))
        })?;
        let creator = match &new.created_by {
            Some(name) => self.user_by_name(name).cloned().ok_or_else(|| {
                Refused::Unprocessable(format!(
                    "No lookup value found for 'created_by': {}",
                    inspect(&Value::String(name.clone()))
                ))
            })?,
            None => customer.clone(),
        };
        let group_id = self.lookup_name("group", &Value::String(new.group.clone()))?;
        let state_id = self.lookup_name("state", &Value::String(new.state.clone()))?;
        if new.title.trim().is_empty() {
            return Err(Refused::Unprocessable("Title can't be blank".into()));
        }
        let mut attributes = Map::new();
        for def in ATTRIBUTES {
            let v = new.attributes.get(def.name).unwrap_or(&Value::Null);
            attributes.insert(def.name.to_owned(), coerce(def, v)?);
        }
        if let Some(k) = new
            .attributes
            .keys()
            .find(|k| !ATTRIBUTES.iter().any(|a| a.name == k.as_str()))
        {
            return Err(Refused::Internal(format!(
                "unknown attribute '{k}' for Ticket."
            )));
        }
        let at = self.tick(now);
        let id = self.tickets.keys().next_back().map_or(1, |k| k + 1);
        let aid = self.articles.keys().next_back().map_or(1, |k| k + 1);
        let group_name = self
            .group(group_id)
            .map(|g| g.name.clone())
            .unwrap_or_default();
        self.articles.insert(
            aid,
            Article {
                id: aid,
                ticket_id: id,
                type_id: seed::TYPE_PHONE,
                sender_id: seed::SENDER_CUSTOMER,
                from: creator.fullname(),
                to: group_name,
                subject: None,
                body: new.body,
                content_type: "text/html".into(),
                internal: false,
                created_by_id: creator.id,
                created_at: at,
            },
        );
        let number = self.next_number();
        let closed = self.state(state_id).map(|s| s.state_type_id) == Some(5);
        self.tickets.insert(
            id,
            Ticket {
                id,
                number,
                title: new.title,
                group_id,
                state_id,
                priority_id: seed::DEFAULT_PRIORITY,
                owner_id: seed::SYSTEM_USER,
                customer_id: customer.id,
                organization_id: customer.organization_id,
                created_by_id: creator.id,
                updated_by_id: creator.id,
                created_at: at,
                updated_at: at,
                create_article_type_id: seed::TYPE_PHONE,
                create_article_sender_id: seed::SENDER_CUSTOMER,
                last_contact_at: Some(at),
                last_contact_customer_at: Some(at),
                last_contact_agent_at: None,
                close_at: closed.then_some(at),
                last_close_at: closed.then_some(at),
                attributes,
                article_ids: vec![aid],
            },
        );
        Ok(Written {
            ticket_id: id,
            article_id: Some(aid),
            changed: true,
            created: true,
        })
    }
}

fn same(a: &Ticket, b: &Ticket) -> bool {
    a.title == b.title
        && a.group_id == b.group_id
        && a.state_id == b.state_id
        && a.priority_id == b.priority_id
        && a.owner_id == b.owner_id
        && a.customer_id == b.customer_id
        && a.organization_id == b.organization_id
        && a.attributes == b.attributes
}
/// An attribute's value as its column stores it: integers and booleans given as strings are cast
/// (docs/zammad.md §2), an empty string clears a number or boolean, anything else is a 422.
pub fn coerce(def: &AttrDef, v: &Value) -> Result<Value, Refused> {
    let bad = |why: &str| {
        Refused::Unprocessable(format!("Validation failed: {} {why}", humanize(def.name)))
    };
    if v.is_null() {
        return Ok(Value::Null);
    }
    match def.kind {
        AttrKind::Text { max } => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(_) | Value::Bool(_) => v.to_string(),
                _ => return Err(bad("is invalid")),
            };
            if s.chars().count() > max {
                return Err(bad(&format!("is too long (maximum is {max} characters)")));
            }
            Ok(Value::String(s))
        }
        AttrKind::Integer { min, max } => {
            let n = match v {
                Value::String(s) if s.trim().is_empty() => return Ok(Value::Null),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                Value::Number(n) => n.as_i64(),
                _ => None,
            };
            match n {
                Some(n) if (min..=max).contains(&n) => Ok(Value::from(n)),
                Some(_) => Err(bad(&format!("must be between {min} and {max}"))),
                None => Err(bad("is not a number")),
            }
        }
        AttrKind::Boolean => match v {
            Value::String(s) if s.trim().is_empty() => Ok(Value::Null),
            other => truthy(other)
                .map(Value::Bool)
                .ok_or_else(|| bad("is invalid")),
        },
        AttrKind::Select(options) => match v.as_str() {
            Some("") => Ok(Value::String(String::new())),
            Some(s) if options.contains(&s) => Ok(Value::String(s.to_owned())),
            _ => Err(bad("is not included in the list")),
        },
    }
}

/// `network_interface_mtu` → `Network interface mtu`, as Rails names an attribute in a message.
fn humanize(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const T0: i64 = 1_700_000_000_000;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn one_ticket() -> Zammad {
        let mut z = seed::zammad(T0);
        let attributes =
            obj(json!({"network_interface_mtu": "1500", "ticket_type": "network_change"}));
        z.create(
            NewTicket {
                title: "change".into(),
                customer: "network-team@local.lab".into(),
                group: seed::DEFAULT_GROUP.into(),
                state: "new".into(),
                created_by: Some("engineer".into()),
                attributes,
                body: String::new(),
            },
            T0,
        )
        .unwrap();
        z
    }

    #[test]
    fn attribute_values_are_cast_to_their_column() {
        let mtu = ATTRIBUTES
            .iter()
            .find(|a| a.name == "network_interface_mtu")
            .unwrap();
        assert_eq!(coerce(mtu, &json!(" 9000 ")), Ok(json!(9000)));
        assert_eq!(coerce(mtu, &json!("")), Ok(Value::Null));
        assert!(
            matches!(coerce(mtu, &json!("big")), Err(Refused::Unprocessable(m)) if m == "Validation failed: Network interface mtu is not a number")
        );
        let enabled = ATTRIBUTES
            .iter()
            .find(|a| a.name == "network_interface_enabled")
            .unwrap();
        assert_eq!(coerce(enabled, &json!("false")), Ok(json!(false)));
        assert_eq!(coerce(enabled, &json!(1)), Ok(json!(true)));
        let kind = ATTRIBUTES.iter().find(|a| a.name == "ticket_type").unwrap();
        assert!(coerce(kind, &json!("network change")).is_err());
    }

    #[test]
    fn a_write_that_changes_nothing_touches_nothing() {
        let mut z = one_ticket();
        let before = z.tickets[&1].updated_at;
        let w = z
            .update(
                1,
                &obj(json!({"state": "new", "network_interface_mtu": 1500})),
                2,
                T0,
            )
            .unwrap();
        assert!(!w.changed);
        assert_eq!(z.tickets[&1].updated_at, before);
        assert_eq!(z.tickets[&1].updated_by_id, 3);
        let w = z
            .update(1, &obj(json!({"article": {"body": "hi"}})), 2, T0)
            .unwrap();
        assert!(w.changed && w.article_id == Some(2));
        assert!(z.tickets[&1].updated_at > before);
        assert_eq!(z.articles[&2].type_id, seed::TYPE_NOTE, "note by default");
        assert_eq!(z.articles[&2].sender_id, seed::SENDER_AGENT);
    }

    #[test]
    fn lookups_and_refusals_leave_the_ticket_as_it_was() {
        let mut z = one_ticket();
        let before = z.tickets[&1].clone();
        let e = z.update(
            1,
            &obj(json!({"network_interface_mtu": 9000, "state": "nope"})),
            2,
            T0,
        );
        assert_eq!(
            e,
            Err(Refused::Unprocessable(
                "No lookup value found for 'state': \"nope\"".into()
            ))
        );
        assert!(matches!(
            z.update(1, &obj(json!({"colour": "red"})), 2, T0),
            Err(Refused::Internal(m)) if m == "unknown attribute 'colour' for Ticket."
        ));
        assert_eq!(z.tickets[&1].attributes, before.attributes);
        assert_eq!(
            z.update(7, &Map::new(), 2, T0),
            Err(Refused::NotFound("7".into()))
        );
        // A user relation by login or email; the customer brings its organization.
        z.update(1, &obj(json!({"owner": "approver@example.com"})), 2, T0)
            .unwrap();
        assert_eq!(z.tickets[&1].owner_id, 4);
    }
}
