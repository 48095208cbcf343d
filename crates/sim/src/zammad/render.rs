//! Zammad's JSON shapes, from the pure state: a ticket as its row (`render json: ticket`, show and
//! list), with the has-many ids (`attributes_with_association_ids`: a `PUT`'s answer, assets),
//! expanded with names (`attributes_with_association_names`, `?expand=true`), and as the webhook's
//! default payload nests it (`TriggerWebhookJob::RecordPayload`: users, group, priority and
//! organization as objects, as in docs/zammad.md §5); articles, users, states, and the search's
//! `assets`.

use serde_json::{json, Map, Value};

use super::model::{
    Article, Group, Organization, Priority, State, Ticket, User, Zammad, ATTRIBUTES,
};
use super::seed;
use super::time::iso;

fn opt_time(t: Option<i64>) -> Value {
    t.map_or(Value::Null, |t| Value::String(iso(t)))
}

fn login(z: &Zammad, id: u64) -> Value {
    z.user(id)
        .map_or(Value::Null, |u| Value::String(u.login.clone()))
}

fn name_of(list: &[(u64, &str)], id: u64) -> Value {
    list.iter()
        .find(|(i, _)| *i == id)
        .map_or(Value::Null, |(_, n)| Value::String((*n).to_owned()))
}

/// `GET /api/v1/tickets/{id}` and the list (`render json: ticket`): the row's columns, relations
/// as ids, every custom attribute a top-level key.
pub fn ticket(t: &Ticket) -> Value {
    let mut m = Map::new();
    let fields = json!({
        "id": t.id,
        "group_id": t.group_id,
        "priority_id": t.priority_id,
        "state_id": t.state_id,
        "organization_id": t.organization_id,
        "number": t.number,
        "title": t.title,
        "owner_id": t.owner_id,
        "customer_id": t.customer_id,
        "note": null,
        "first_response_at": null,
        "first_response_escalation_at": null,
        "first_response_in_min": null,
        "first_response_diff_in_min": null,
        "close_at": opt_time(t.close_at),
        "close_escalation_at": null,
        "close_in_min": null,
        "close_diff_in_min": null,
        "update_escalation_at": null,
        "update_in_min": null,
        "update_diff_in_min": null,
        "last_close_at": opt_time(t.last_close_at),
        "last_contact_at": opt_time(t.last_contact_at),
        "last_contact_agent_at": opt_time(t.last_contact_agent_at),
        "last_contact_customer_at": opt_time(t.last_contact_customer_at),
        "last_owner_update_at": null,
        "create_article_type_id": t.create_article_type_id,
        "create_article_sender_id": t.create_article_sender_id,
        "article_count": t.article_ids.len(),
        "escalation_at": null,
        "pending_time": null,
        "type": null,
        "time_unit": null,
        "preferences": {},
        "updated_by_id": t.updated_by_id,
        "created_by_id": t.created_by_id,
        "created_at": iso(t.created_at),
        "updated_at": iso(t.updated_at),
    });
    if let Value::Object(f) = fields {
        m.extend(f);
    }
    for def in ATTRIBUTES {
        let v = t.attributes.get(def.name).cloned().unwrap_or(Value::Null);
        m.insert(def.name.to_owned(), v);
    }
    Value::Object(m)
}

/// `attributes_with_association_ids` (a `PUT`'s answer, search assets): the columns and the ids of
/// the has-many relations.
pub fn ticket_with_ids(t: &Ticket) -> Value {
    let mut v = ticket(t);
    if let Value::Object(m) = &mut v {
        m.insert("article_ids".into(), json!(t.article_ids));
        m.insert("ticket_time_accounting_ids".into(), json!([]));
    }
    v
}

/// `?expand=true`: the ids plus each relation by name (users by login).
pub fn ticket_expanded(z: &Zammad, t: &Ticket) -> Value {
    let mut v = ticket_with_ids(t);
    let names = json!({
        "state": z.state(t.state_id).map(|s| s.name.clone()),
        "group": z.group(t.group_id).map(|g| g.name.clone()),
        "priority": z.priority(t.priority_id).map(|p| p.name.clone()),
        "owner": login(z, t.owner_id),
        "customer": login(z, t.customer_id),
        "created_by": login(z, t.created_by_id),
        "updated_by": login(z, t.updated_by_id),
        "create_article_type": name_of(seed::ARTICLE_TYPES, t.create_article_type_id),
        "create_article_sender": name_of(seed::SENDERS, t.create_article_sender_id),
        "ticket_time_accounting": [],
    });
    if let (Value::Object(m), Value::Object(n)) = (&mut v, names) {
        m.extend(n);
        // Zammad leaves out a relation that points at nothing.
        if let Some(org) = t.organization_id.and_then(|o| z.organization(o)) {
            m.insert("organization".into(), Value::String(org.name.clone()));
        }
    }
    v
}

/// The webhook's `ticket`: the expanded ticket with users, group, priority and organization
/// nested as objects (`state` stays a name), as the seed's payload shows.
pub fn ticket_payload(z: &Zammad, t: &Ticket) -> Value {
    let mut v = ticket_expanded(z, t);
    if let Value::Object(m) = &mut v {
        for (key, id) in [
            ("owner", t.owner_id),
            ("customer", t.customer_id),
            ("created_by", t.created_by_id),
            ("updated_by", t.updated_by_id),
        ] {
            m.insert(
                key.into(),
                z.user(id).map_or(Value::Null, |u| user_payload(z, u)),
            );
        }
        m.insert(
            "group".into(),
            z.group(t.group_id).map_or(Value::Null, |g| group(z, g)),
        );
        m.insert(
            "priority".into(),
            z.priority(t.priority_id)
                .map_or(Value::Null, |p| priority(z, p)),
        );
        if let Some(o) = t.organization_id.and_then(|o| z.organization(o)) {
            m.insert("organization".into(), organization(z, o));
        }
    }
    v
}

fn user_fields(u: &User) -> Map<String, Value> {
    let v = json!({
        "id": u.id,
        "organization_id": u.organization_id,
        "login": u.login,
        "firstname": u.firstname,
        "lastname": u.lastname,
        "email": u.email,
        "image": null,
        "image_source": null,
        "web": "",
        "phone": "",
        "fax": "",
        "mobile": "",
        "department": null,
        "street": "",
        "zip": "",
        "city": "",
        "country": "",
        "address": null,
        "vip": false,
        "verified": u.verified,
        "active": u.active,
        "note": "",
        "source": null,
        "out_of_office": false,
        "out_of_office_start_at": null,
        "out_of_office_end_at": null,
        "out_of_office_replacement_id": null,
        "updated_by_id": u.updated_by_id,
        "created_by_id": u.created_by_id,
        "created_at": iso(u.created_at),
        "updated_at": iso(u.updated_at),
        "role_ids": u.roles.iter().map(|r| r.0).collect::<Vec<_>>(),
        "organization_ids": [],
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `GET /api/v1/users/me`.
pub fn user(u: &User) -> Value {
    let mut m = user_fields(u);
    m.insert("preferences".into(), json!({}));
    m.insert("last_login".into(), Value::Null);
    m.insert("login_failed".into(), json!(0));
    m.insert("group_ids".into(), json!({}));
    m.insert("authorization_ids".into(), json!([]));
    m.insert("karma_user_ids".into(), json!([]));
    Value::Object(m)
}

/// A user inside a webhook payload: names for its relations, no password, preferences or
/// group map (`USER_ATTRIBUTE_BLACKLIST`).
fn user_payload(z: &Zammad, u: &User) -> Value {
    let mut m = user_fields(u);
    m.insert("created_by".into(), login(z, u.created_by_id));
    m.insert("updated_by".into(), login(z, u.updated_by_id));
    m.insert(
        "roles".into(),
        json!(u.roles.iter().map(|r| r.1).collect::<Vec<_>>()),
    );
    m.insert("organizations".into(), json!([]));
    m.insert("overview_sorting_ids".into(), json!([]));
    m.insert("overview_sortings".into(), json!([]));
    if let Some(o) = u.organization_id.and_then(|o| z.organization(o)) {
        m.insert("organization".into(), Value::String(o.name.clone()));
    }
    Value::Object(m)
}

fn group(z: &Zammad, g: &Group) -> Value {
    json!({
        "id": g.id, "name": g.name, "active": true, "assignment_timeout": null,
        "email_address_id": null, "follow_up_assignment": true, "follow_up_possible": "yes",
        "note": null, "reopen_time_in_days": null, "shared_drafts": true, "signature_id": null,
        "created_at": iso(g.created_at), "updated_at": iso(g.updated_at),
        "created_by_id": seed::SYSTEM_USER, "created_by": login(z, seed::SYSTEM_USER),
        "updated_by_id": seed::SYSTEM_USER, "updated_by": login(z, seed::SYSTEM_USER),
        "user_ids": g.user_ids,
        "users": g.user_ids.iter().map(|id| login(z, *id)).collect::<Vec<_>>(),
    })
}

fn priority(z: &Zammad, p: &Priority) -> Value {
    json!({
        "id": p.id, "name": p.name, "active": true, "default_create": p.default_create,
        "note": null, "ui_color": null, "ui_icon": null,
        "created_at": iso(p.created_at), "updated_at": iso(p.updated_at),
        "created_by_id": seed::SYSTEM_USER, "created_by": login(z, seed::SYSTEM_USER),
        "updated_by_id": seed::SYSTEM_USER, "updated_by": login(z, seed::SYSTEM_USER),
    })
}

fn organization(z: &Zammad, o: &Organization) -> Value {
    let members: Vec<u64> = z
        .users
        .iter()
        .filter(|u| u.organization_id == Some(o.id))
        .map(|u| u.id)
        .collect();
    json!({
        "id": o.id, "name": o.name, "active": true, "shared": o.shared, "domain": "",
        "domain_assignment": false, "note": "", "secondary_member_ids": [],
        "created_at": iso(o.created_at), "updated_at": iso(o.updated_at),
        "created_by_id": seed::SYSTEM_USER, "created_by": login(z, seed::SYSTEM_USER),
        "updated_by_id": seed::SYSTEM_USER, "updated_by": login(z, seed::SYSTEM_USER),
        "member_ids": members,
        "members": members.iter().map(|id| login(z, *id)).collect::<Vec<_>>(),
    })
}

/// `GET /api/v1/ticket_states`: one state.
pub fn state(s: &State) -> Value {
    json!({
        "id": s.id, "name": s.name, "state_type_id": s.state_type_id,
        "next_state_id": s.next_state_id, "ignore_escalation": s.ignore_escalation,
        "default_create": s.default_create, "default_follow_up": s.default_follow_up,
        "note": null, "active": s.active,
        "updated_by_id": s.created_by_id, "created_by_id": s.created_by_id,
        "created_at": iso(s.created_at), "updated_at": iso(s.updated_at),
    })
}

fn article_fields(a: &Article) -> Map<String, Value> {
    let v = json!({
        "id": a.id, "ticket_id": a.ticket_id, "type_id": a.type_id, "sender_id": a.sender_id,
        "from": a.from, "to": a.to, "cc": null, "subject": a.subject, "reply_to": null,
        "message_id": null, "message_id_md5": null, "in_reply_to": null,
        "content_type": a.content_type, "references": null, "body": a.body,
        "internal": a.internal, "preferences": {}, "origin_by_id": null,
        "updated_by_id": a.created_by_id, "created_by_id": a.created_by_id,
        "created_at": iso(a.created_at), "updated_at": iso(a.created_at),
        "attachments": [],
        "type": name_of(seed::ARTICLE_TYPES, a.type_id),
        "sender": name_of(seed::SENDERS, a.sender_id),
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `GET /api/v1/ticket_articles/by_ticket/{id}`: one article with its type, sender and authors by
/// name (`index_by_ticket` renders `attributes_with_association_names` with or without `expand`).
pub fn article(z: &Zammad, a: &Article) -> Value {
    let mut m = article_fields(a);
    m.insert("created_by".into(), login(z, a.created_by_id));
    m.insert("updated_by".into(), login(z, a.created_by_id));
    Value::Object(m)
}

/// The webhook's `article`: authors as objects, with `accounted_time`.
pub fn article_payload(z: &Zammad, a: &Article) -> Value {
    let mut m = article_fields(a);
    let author = z
        .user(a.created_by_id)
        .map_or(Value::Null, |u| user_payload(z, u));
    m.insert("created_by".into(), author.clone());
    m.insert("updated_by".into(), author);
    m.insert("accounted_time".into(), json!(0.0));
    Value::Object(m)
}

/// The `assets` of a search answer: each ticket and the users it names, by model and id.
pub fn assets(z: &Zammad, tickets: &[&Ticket]) -> Value {
    let mut by_ticket = Map::new();
    let mut users = Map::new();
    for t in tickets {
        by_ticket.insert(t.id.to_string(), ticket_with_ids(t));
        for id in [t.owner_id, t.customer_id, t.created_by_id, t.updated_by_id] {
            if let Some(u) = z.user(id) {
                users.insert(id.to_string(), Value::Object(user_fields(u)));
            }
        }
    }
    json!({ "Ticket": by_ticket, "User": users })
}
