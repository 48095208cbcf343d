//! The wire shapes against the real webhook delivery of seed 004 and against odd shapes.

use super::*;
use serde_json::json;

pub(crate) const SEED: &str = include_str!("fixtures/seed_webhook.json");

fn seed() -> WebhookBody {
    serde_json::from_str(SEED).unwrap()
}

#[test]
fn the_seed_webhook_reads_with_nested_users() {
    let body = seed();
    let t = body.ticket.unwrap();
    assert_eq!(t.id, Some(4));
    assert_eq!(t.number.as_deref(), Some("15004"));
    assert_eq!(
        t.title.as_deref(),
        Some("Network Change Request: Update Device Interface")
    );
    assert_eq!(t.state.as_deref(), Some("open"));
    assert_eq!(t.state_id, Some(2));
    assert_eq!(t.customer_id, Some(4));
    let customer = t.customer.clone().unwrap();
    assert_eq!(customer.id, Some(4));
    assert_eq!(customer.name(), Some("network-team@local.lab"));
    assert_eq!(t.created_by_id, Some(3));
    assert_eq!(
        t.created_by.clone().unwrap().login.as_deref(),
        Some("developer")
    );
    assert_eq!(t.updated_by_id, Some(3));
    assert_eq!(
        t.updated_by.clone().unwrap().email.as_deref(),
        Some("developer@local.lab")
    );
    assert_eq!(t.updated_at.as_deref(), Some("2023-05-30T14:03:49.004Z"));
    assert_eq!(t.network_device_name, json!("c9300"));
    assert_eq!(t.network_interface_name, json!("GigabitEthernet1/0/2"));
    assert_eq!(t.network_interface_description, json!(""));
    assert_eq!(t.network_interface_enabled, json!(true));
    assert_eq!(t.network_interface_mtu, json!(1500));
    assert_eq!(t.network_interface_ip4_address, json!(""));
    assert_eq!(t.network_switchport_mode_and_vlan, json!("::"));
    assert!(t.is_change("ticket_type", "network_change"));
    assert!(!t.is_change("ticket_type", "incident"));
    assert!(
        !t.is_change("type", "network_change"),
        "`type` is null in the seed"
    );
    for name in NETWORK_ATTRIBUTES {
        assert!(!t.network_attribute(name).is_null(), "{name}");
    }
    let article = body.article.unwrap();
    assert_eq!(article.id, Some(248));
    assert_eq!(article.ticket_id, Some(4));
    assert_eq!(article.kind.as_deref(), Some("phone"));
    assert_eq!(article.internal, Some(false));
    assert_eq!(article.content_type.as_deref(), Some("text/html"));
    assert_eq!(article.created_by.unwrap().id, Some(3));
}

#[test]
fn an_expanded_rest_ticket_names_users_by_login() {
    let t: Ticket = serde_json::from_value(json!({
        "id": 7, "number": "31001", "state": "new", "state_id": 1,
        "customer": "nicole.braun@zammad.org", "customer_id": 2,
        "created_by": "agent1", "updated_by": "-",
        "ticket_type": "network_change"
    }))
    .unwrap();
    assert_eq!(
        t.customer.clone().unwrap().name(),
        Some("nicole.braun@zammad.org")
    );
    assert_eq!(
        t.created_by.clone().unwrap().login.as_deref(),
        Some("agent1")
    );
    assert!(
        t.network_device_name.is_null(),
        "absent attributes are null"
    );
    assert!(t.is_change("ticket_type", "network_change"));
}

#[test]
fn wrong_types_never_make_a_ticket_unreadable() {
    let t: Ticket = serde_json::from_value(json!({
        "id": "12", "number": 15012, "title": ["x"], "state": {"name": "open"},
        "state_id": -1, "customer": 5, "created_by": [], "updated_at": 17,
        "updated_by_id": "nope",
        "network_device_name": {"a": 1},
        "network_interface_mtu": [1500],
        "network_interface_enabled": "maybe"
    }))
    .unwrap();
    assert_eq!(t.id, Some(12), "digits in a string are an id");
    assert_eq!(t.number.as_deref(), Some("15012"), "a number becomes text");
    assert_eq!(t.title, None);
    assert_eq!(t.state, None);
    assert_eq!(t.state_id, None);
    assert_eq!(t.customer, None);
    assert_eq!(t.created_by, None);
    assert_eq!(t.updated_at, None);
    assert_eq!(t.updated_by_id, None);
    assert_eq!(
        t.network_device_name,
        json!({"a": 1}),
        "kept raw for request"
    );
    assert_eq!(t.network_interface_mtu, json!([1500]));
    let empty: Ticket = serde_json::from_value(json!({})).unwrap();
    assert_eq!(empty, Ticket::default());
}

#[test]
fn multi_select_change_fields_match_by_membership() {
    let t: Ticket =
        serde_json::from_value(json!({"type": ["incident", "network change"]})).unwrap();
    assert!(t.is_change("type", "network change"));
    assert!(!t.is_change("type", "network"));
    let t: Ticket = serde_json::from_value(json!({"type": null})).unwrap();
    assert!(!t.is_change("type", "network change"));
}

#[test]
fn states_users_and_webhook_bodies_tolerate_odd_shapes() {
    let states: Vec<TicketState> = serde_json::from_value(json!([
        {"id": 1, "name": "new", "state_type_id": 1, "active": true, "note": null},
        {"id": "2", "name": "open"},
        {"name": 3, "active": "yes"}
    ]))
    .unwrap();
    assert_eq!(states[1].id, Some(2));
    assert_eq!(states[1].active, None);
    assert_eq!(states[2].name, None);
    let me: User = serde_json::from_value(json!({
        "id": 9, "login": "patchpanel", "email": "bot@example.com",
        "firstname": "Patch", "lastname": "Panel", "roles": ["Agent"]
    }))
    .unwrap();
    assert_eq!(me.display(), "Patch Panel (patchpanel)");
    let owner: User =
        serde_json::from_value(json!({"id": 1, "login": "-", "firstname": "-", "lastname": ""}))
            .unwrap();
    assert_eq!(owner.display(), "-");
    let body: WebhookBody =
        serde_json::from_value(json!({"ticket": {"id": 12}, "article": {}})).unwrap();
    assert_eq!(body.ticket.unwrap().id, Some(12));
    assert_eq!(body.article, None);
    let body: WebhookBody = serde_json::from_value(json!({"ticket": "x", "article": [1]})).unwrap();
    assert_eq!(body, WebhookBody::default());
}
