use serde_json::{json, Map, Value};

use super::*;
use crate::zammad::model::{NewTicket, Zammad};

const T0: i64 = 1_700_000_000_000;

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Three tickets: 1 open network change, 2 new network change, 3 open other.
fn world() -> Zammad {
    let mut z = crate::zammad::seed::zammad(T0);
    for (title, state, kind) in [
        ("Change Gi1/0/3", "open", "network_change"),
        ("Change Gi1/0/4", "new", "network_change"),
        ("Printer jam", "open", "other"),
    ] {
        let mut attributes = Map::new();
        attributes.insert("ticket_type".into(), json!(kind));
        attributes.insert("network_interface_mtu".into(), json!("9000"));
        z.create(
            NewTicket {
                title: title.into(),
                customer: "network-team@local.lab".into(),
                group: "NetDevOps".into(),
                state: state.into(),
                created_by: None,
                attributes,
                body: format!("please {title}"),
            },
            T0,
        )
        .unwrap();
    }
    z
}

fn ids(z: &Zammad, params: Value) -> Result<Vec<u64>, Refused> {
    let s = parse(&obj(params), 2)?;
    run(z, &s)
}

#[test]
fn is_matches_type_and_state_ids_given_as_strings() {
    let z = world();
    let got = ids(
        &z,
        json!({"condition": {
            "ticket.ticket_type": {"operator": "is", "value": ["network_change"]},
            "ticket.state_id": {"operator": "is", "value": ["1", "2"]},
        }, "sort_by": "id", "order_by": "asc"}),
    );
    assert_eq!(got, Ok(vec![1, 2]));
    let open_only = ids(
        &z,
        json!({"condition": {"ticket.state_id": {"operator": "is", "value": "2"}}, "sort_by": "id", "order_by": "asc"}),
    );
    assert_eq!(open_only, Ok(vec![1, 3]));
}

#[test]
fn is_not_and_state_names_through_the_state_table() {
    let z = world();
    let not_new = ids(
        &z,
        json!({"condition": {"ticket_state.name": {"operator": "is not", "value": ["new"]}}, "sort_by": "id", "order_by": "asc"}),
    );
    assert_eq!(not_new, Ok(vec![1, 3]));
    // `ticket.state.name` reads as the column `tickets.state`, which does not exist.
    let wrong = ids(
        &z,
        json!({"condition": {"ticket.state.name": {"operator": "is", "value": ["new"]}}}),
    );
    assert!(matches!(wrong, Err(Refused::Statement(m)) if m.contains("tickets.state")));
}

#[test]
fn an_empty_value_list_drops_the_whole_condition() {
    let z = world();
    let got = ids(
        &z,
        json!({"condition": {
            "ticket.ticket_type": {"operator": "is", "value": ["other"]},
            "ticket.state_id": {"operator": "is", "value": []},
        }}),
    );
    assert_eq!(got.map(|v| v.len()), Ok(3));
}

#[test]
fn a_name_without_a_table_is_ignored_and_an_unknown_operator_fails() {
    let z = world();
    let got = ids(
        &z,
        json!({"condition": {"state_id": {"operator": "is", "value": ["9"]}}}),
    );
    assert_eq!(got.map(|v| v.len()), Ok(3));
    let bad = ids(
        &z,
        json!({"condition": {"ticket.state_id": {"operator": "equals", "value": ["1"]}}}),
    );
    assert!(matches!(bad, Err(Refused::Internal(_))));
    let cast = ids(
        &z,
        json!({"condition": {"ticket.state_id": {"operator": "is", "value": ["open"]}}}),
    );
    assert!(matches!(cast, Err(Refused::Statement(_))));
}

#[test]
fn after_absolute_is_inclusive_and_blank_matches_null() {
    let mut z = world();
    let at = z.tickets.get(&2).map(|t| t.updated_at).unwrap();
    let got = ids(
        &z,
        json!({"condition": {"ticket.updated_at": {"operator": "after (absolute)", "value": time::iso(at)}}, "sort_by": "id", "order_by": "asc"}),
    );
    assert_eq!(got, Ok(vec![2, 3]));
    let before = ids(
        &z,
        json!({"condition": {"ticket.updated_at": {"operator": "before (absolute)", "value": time::iso(at)}}, "sort_by": "id", "order_by": "asc"}),
    );
    assert_eq!(before, Ok(vec![1, 2]));
    z.tickets
        .get_mut(&3)
        .unwrap()
        .attributes
        .insert("network_device_name".into(), json!("c9300"));
    let unset = ids(
        &z,
        json!({"condition": {"ticket.network_device_name": {"operator": "is", "value": [""]}}, "sort_by": "id", "order_by": "asc"}),
    );
    assert_eq!(unset, Ok(vec![1, 2]));
    let typed = ids(
        &z,
        json!({"condition": {"ticket.network_interface_mtu": {"operator": "is", "value": 9000}}}),
    );
    assert_eq!(typed.map(|v| v.len()), Ok(3));
}

#[test]
fn default_order_is_newest_first_and_the_page_is_capped() {
    let z = world();
    assert_eq!(ids(&z, json!({})), Ok(vec![3, 2, 1]));
    assert_eq!(ids(&z, json!({"per_page": "2", "page": "2"})), Ok(vec![1]));
    let s = parse(&obj(json!({"limit": 5000})), 2).unwrap();
    assert_eq!(s.limit, MAX_LIMIT);
    let s = parse(&obj(json!({})), 2).unwrap();
    assert_eq!(s.limit, DEFAULT_LIMIT);
    // An unknown sort column falls back to the default order.
    assert_eq!(
        ids(&z, json!({"sort_by": "nope", "order_by": "asc"})),
        Ok(vec![3, 2, 1])
    );
}

#[test]
fn query_is_plain_text_without_elasticsearch() {
    let z = world();
    assert_eq!(ids(&z, json!({"query": "printer"})), Ok(vec![3]));
    assert_eq!(ids(&z, json!({"query": "15002"})), Ok(vec![2]));
    assert_eq!(
        ids(&z, json!({"query": "ticket_type:network_change"})),
        Ok(vec![])
    );
    assert_eq!(ids(&z, json!({"query": "please*"})).map(|v| v.len()), Ok(3));
}

#[test]
fn rails_nested_params() {
    let pairs: Vec<(String, String)> = [
        ("condition[ticket.state_id][operator]", "is"),
        ("condition[ticket.state_id][value][]", "1"),
        ("condition[ticket.state_id][value][]", "2"),
        ("expand", "true"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let p = rails_params(&pairs);
    assert_eq!(
        Value::Object(p),
        json!({"condition": {"ticket.state_id": {"operator": "is", "value": ["1", "2"]}}, "expand": "true"})
    );
}

#[test]
fn numbers_count_up_from_15001_and_updated_at_never_repeats() {
    let mut z = world();
    let numbers: Vec<&str> = z.tickets.values().map(|t| t.number.as_str()).collect();
    assert_eq!(numbers, vec!["15001", "15002", "15003"]);
    let a = z.tick(T0);
    let b = z.tick(T0);
    let c = z.tick(T0 - 1000);
    assert!(a < b && b < c);
}
