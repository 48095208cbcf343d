//! Authentication as Zammad answers it: 403 without a credential, 401 for an unknown token (Token
//! and Bearer worded apart), the configured and added tokens, and a token without `ticket.agent`.

use reqwest::StatusCode;
use serde_json::json;

use super::{sim, sim_with};
use patchpanel_sim::zammad::ZammadSimConfig;

#[tokio::test]
async fn authentication_answers_as_zammad() {
    let s = sim_with(ZammadSimConfig {
        token: Some("bot-token".into()),
        ..ZammadSimConfig::default()
    })
    .await;
    let me = "/api/v1/users/me";
    let (st, v) = s.call(reqwest::Method::GET, me, None, None).await;
    assert_eq!(st, 403);
    assert_eq!(
        v,
        json!({"error": "Authentication required", "error_human": "Authentication required"})
    );
    let wrong = Some("Token token=nope");
    let (st, v) = s.call(reqwest::Method::GET, me, wrong, None).await;
    assert_eq!(st, 401);
    assert_eq!(
        v,
        json!({"error": "Can't find User for Token", "error_human": "Can't find User for Token"})
    );
    assert!(!v.to_string().contains("nope"), "no token in the error");
    let (st, v) = s
        .call(reqwest::Method::GET, me, Some("Bearer nope"), None)
        .await;
    assert_eq!(
        (st, &v["error"]),
        (
            StatusCode::UNAUTHORIZED,
            &json!("The provided token is invalid.")
        )
    );
    for good in [
        "Token token=bot-token",
        "Token token=\"bot-token\"",
        "Bearer bot-token",
    ] {
        let (st, v) = s.call(reqwest::Method::GET, me, Some(good), None).await;
        assert_eq!(st, 200, "{good}");
        assert_eq!(
            (v["id"].clone(), v["login"].clone(), v["email"].clone()),
            (
                json!(2),
                json!("patchpanel"),
                json!("patchpanel@example.com")
            )
        );
    }
    // A token without ticket.agent reads itself but no ticket.
    let (st, _) = s
        .call(
            reqwest::Method::POST,
            "/_sim/token",
            None,
            Some(json!({"token": "cust", "user": "network-team@local.lab", "agent": false})),
        )
        .await;
    assert_eq!(st, 200);
    let id = s.file(json!({})).await;
    let cust = Some("Token token=cust");
    let (st, v) = s.call(reqwest::Method::GET, me, cust, None).await;
    assert_eq!(
        (st, &v["login"]),
        (StatusCode::OK, &json!("network-team@local.lab"))
    );
    let (st, v) = s
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/tickets/{id}"),
            cust,
            None,
        )
        .await;
    assert_eq!(st, 403);
    assert_eq!(
        v,
        json!({"error": "Not authorized", "error_human": "Not authorized"})
    );
    let (st, _) = s
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/tickets/{id}"),
            cust,
            Some(json!({"state": "closed"})),
        )
        .await;
    assert_eq!(st, 403);
    let (st, _) = s
        .call(reqwest::Method::GET, "/api/v1/tickets/999", cust, None)
        .await;
    assert_eq!(st, 404, "the ticket is looked up before the policy");
}

#[tokio::test]
async fn any_token_is_the_bot_without_token_option() {
    let s = sim().await;
    let (st, v) = s
        .call(
            reqwest::Method::GET,
            "/api/v1/users/me",
            Some("Token token=whatever"),
            None,
        )
        .await;
    assert_eq!((st, &v["id"]), (StatusCode::OK, &json!(2)));
    let (st, _) = s
        .call(
            reqwest::Method::GET,
            "/api/v1/users/me",
            Some("Token token="),
            None,
        )
        .await;
    assert_eq!(st, 403, "a blank token is no credential");
}
