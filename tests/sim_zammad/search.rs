//! The condition search over HTTP: `POST` with a JSON body and `GET` with Rails' nested query
//! parameters, sorting, paging, the expanded and asset shapes, and a `field:value` query that
//! finds nothing without Elasticsearch.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::sim;

fn ids(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn condition_by_type_and_state_ids() {
    let s = sim().await;
    let a = s.file(json!({})).await; // open, network_change
    let b = s.file(json!({"state": "new"})).await;
    let c = s.file(json!({"ticket_type": "other"})).await;
    let d = s.file(json!({"state": "pending approval"})).await;
    let body = json!({
        "condition": {
            "ticket.ticket_type": {"operator": "is", "value": ["network_change"]},
            "ticket.state_id": {"operator": "is", "value": ["1", "2"]},
        },
        "sort_by": "updated_at", "order_by": "asc", "limit": 100, "expand": true,
    });
    let (st, v) = s.post("/api/v1/tickets/search", body).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(ids(&v), vec![a, b]);
    assert_eq!(v[0]["state"], "open", "expanded: names");
    // Not expanded: ids, the page's count and assets.
    let (_, v) = s
        .post(
            "/api/v1/tickets/search",
            json!({"condition": {"ticket_state.name": {"operator": "is not", "value": ["new"]}},
                   "sort_by": "id", "order_by": "desc"}),
        )
        .await;
    assert_eq!(v["tickets"], json!([d, c, a]));
    assert_eq!(v["tickets_count"], 3);
    assert_eq!(v["assets"]["Ticket"][a.to_string()]["number"], "15001");
    assert!(v["assets"]["Ticket"][a.to_string()].get("state").is_none());
    assert_eq!(v["assets"]["User"]["5"]["login"], "network-team@local.lab");
    // The same through GET with nested params.
    let (st, v) = s
        .get("/api/v1/tickets/search?condition[ticket.state_id][operator]=is&condition[ticket.state_id][value][]=8&expand=true")
        .await;
    assert_eq!(st, 200);
    assert_eq!(ids(&v), vec![d]);
}

#[tokio::test]
async fn updated_at_after_is_inclusive_and_numbers_match() {
    let s = sim().await;
    let a = s.file(json!({})).await;
    let b = s.file(json!({})).await;
    let (_, tb) = s.get(&format!("/api/v1/tickets/{b}")).await;
    let (_, v) = s
        .post(
            "/api/v1/tickets/search",
            json!({"condition": {"ticket.updated_at": {"operator": "after (absolute)", "value": tb["updated_at"]}},
                   "expand": true}),
        )
        .await;
    assert_eq!(ids(&v), vec![b], "the boundary version is included");
    let (_, v) = s
        .post(
            "/api/v1/tickets/search",
            json!({"condition": {"ticket.number": {"operator": "is", "value": "15001"}}, "expand": "true"}),
        )
        .await;
    assert_eq!(ids(&v), vec![a]);
}

#[tokio::test]
async fn paging_defaults_and_caps() {
    let s = sim().await;
    for i in 0..7 {
        s.file(json!({"title": format!("t{i}")})).await;
    }
    let page = |p: u32| {
        json!({"condition": {"ticket.ticket_type": {"operator": "is", "value": "network_change"}},
               "sort_by": "id", "order_by": "asc", "per_page": 3, "page": p, "expand": true})
    };
    let (_, p1) = s.post("/api/v1/tickets/search", page(1)).await;
    let (_, p3) = s.post("/api/v1/tickets/search", page(3)).await;
    assert_eq!(ids(&p1), vec![1, 2, 3]);
    assert_eq!(ids(&p3), vec![7], "a short page is the last");
    let (_, all) = s
        .post("/api/v1/tickets/search", json!({"limit": 10_000}))
        .await;
    assert_eq!(all["tickets"].as_array().unwrap().len(), 7);
    let (_, newest) = s
        .post("/api/v1/tickets/search", json!({"expand": true}))
        .await;
    assert_eq!(ids(&newest)[0], 7, "default order: updated_at desc");
}

#[tokio::test]
async fn field_query_without_elasticsearch_finds_nothing() {
    let s = sim().await;
    s.file(json!({})).await;
    let (st, v) = s
        .get("/api/v1/tickets/search?query=ticket_type:network_change&expand=true")
        .await;
    assert_eq!(st, 200);
    assert_eq!(v, json!([]));
    let (_, v) = s
        .get("/api/v1/tickets/search?query=Network%20Change&expand=true")
        .await;
    assert_eq!(ids(&v), vec![1], "plain text matches the title");
}

#[tokio::test]
async fn bad_conditions_answer_as_zammad() {
    let s = sim().await;
    s.file(json!({})).await;
    let (st, v) = s
        .post(
            "/api/v1/tickets/search",
            json!({"condition": {"ticket.state.name": {"operator": "is", "value": "open"}}}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["error"].as_str().unwrap().starts_with("Error ID "), "{v}");
    let (st, _) = s
        .post(
            "/api/v1/tickets/search",
            json!({"condition": {"ticket.state_id": {"operator": "equals", "value": "1"}}}),
        )
        .await;
    assert_eq!(st, StatusCode::INTERNAL_SERVER_ERROR);
    // An empty value list invalidates the whole condition: everything matches.
    let (st, v) = s
        .post(
            "/api/v1/tickets/search",
            json!({"condition": {"ticket.ticket_type": {"operator": "is", "value": ["other"]},
                                 "ticket.state_id": {"operator": "is", "value": []}},
                   "expand": true}),
        )
        .await;
    assert_eq!((st, ids(&v)), (StatusCode::OK, vec![1]));
}

#[tokio::test]
async fn pages_are_capped_at_200_for_search_and_100_for_the_list() {
    let s = sim().await;
    for i in 0..205 {
        s.sim
            .create_ticket(json!({"title": format!("t{i}"), "customer": "network-team@local.lab"}))
            .unwrap();
    }
    let (_, v) = s
        .post("/api/v1/tickets/search", json!({"per_page": 500}))
        .await;
    assert_eq!(v["tickets"].as_array().unwrap().len(), 200);
    assert_eq!(v["tickets_count"], 200);
    let (_, v) = s.post("/api/v1/tickets/search", json!({})).await;
    assert_eq!(v["tickets"].as_array().unwrap().len(), 50, "default 50");
    let (_, v) = s.get("/api/v1/tickets?per_page=500").await;
    assert_eq!(v.as_array().unwrap().len(), 100);
    let (_, v) = s.get("/api/v1/tickets?per_page=100&page=3").await;
    assert_eq!(ids(&v), (201..=205).collect::<Vec<u64>>());
}
