//! REST, U2C and WDM from the client side (docs/webex.md §1, §5): identities, catalog, devices,
//! message validation, tokens.

use super::*;
use patchpanel::webex::ids::HydraKind;
use patchpanel_sim::webex::BOT_UUID;

#[tokio::test]
async fn people_me_and_catalog() {
    let s = sim().await;
    let r = s.get("/v1/people/me").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("trackingid"));
    let me: Value = r.json().await.unwrap();
    let id = ids::decode(me["id"].as_str().unwrap()).unwrap();
    assert_eq!(id.kind, HydraKind::People);
    assert_eq!(id.uuid, BOT_UUID);
    assert_eq!(me["emails"], json!(["patchpanel@webex.bot"]));
    assert_eq!(me["displayName"], "patchpanel");
    assert_eq!(me["type"], "bot");
    assert_eq!(s.sim.bot_person_id(), me["id"]);

    let r = s.get("/u2c/api/v1/catalog?format=hostmap").await;
    assert_eq!(r.status(), 200);
    let cat: Value = r.json().await.unwrap();
    assert_eq!(
        cat["serviceLinks"]["wdm"],
        format!("{}/wdm/api/v1", s.sim.base_url)
    );
    let host = s.sim.base_url.trim_start_matches("http://");
    assert_eq!(
        cat["hostCatalog"][host][0]["id"],
        "urn:TEAM:us-east-2_a:conversation"
    );
    // Everything answers in the Webex error shape, even unknown paths.
    let r = s.get("/v1/nope").await;
    assert_eq!(r.status(), 404);
    let e: Value = r.json().await.unwrap();
    assert!(e["errors"][0]["description"].is_string() && e["trackingId"].is_string());
}

#[tokio::test]
async fn device_lifecycle_and_expiry() {
    let s = sim().await;
    let dev = s.device("pp").await;
    let url = dev["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/wdm/api/v1/devices/", s.sim.base_url)));
    let wsu = dev["webSocketUrl"].as_str().unwrap();
    assert!(wsu.starts_with("ws://") && wsu.contains("/mercury/v1/apps/wx2/registrations/"));
    assert!(wsu.ends_with("/messages"));
    assert_eq!(dev["name"], "pp");
    assert!(dev["modificationTime"].is_string());

    let list: Value = s.get("/wdm/api/v1/devices").await.json().await.unwrap();
    assert_eq!(list["devices"].as_array().unwrap().len(), 1);
    assert_eq!(list["devices"][0]["url"], url.as_str());

    let put = s
        .http
        .put(&url)
        .bearer_auth(TOKEN)
        .json(&dev)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let put: Value = put.json().await.unwrap();
    assert_eq!(put["webSocketUrl"], dev["webSocketUrl"]);

    s.control("/_sim/expire-devices", json!({})).await;
    let put = s
        .http
        .put(&url)
        .bearer_auth(TOKEN)
        .json(&dev)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 404);
    let err = tokio_tungstenite::connect_async(ws_url(&dev, true))
        .await
        .unwrap_err();
    assert_eq!(upgrade_status(err), 404);
    let list: Value = s.get("/wdm/api/v1/devices").await.json().await.unwrap();
    assert!(list["devices"].as_array().unwrap().is_empty());

    let dev = s.device("pp").await;
    let url = dev["url"].as_str().unwrap();
    let del = s.http.delete(url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(del.status(), 204);
    let del = s.http.delete(url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(del.status(), 404);
    s.device("a").await;
    s.device("b").await;
    let all = s
        .http
        .delete(s.url("/wdm/api/v1/devices"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(all.status(), 204);
    let list: Value = s.get("/wdm/api/v1/devices").await.json().await.unwrap();
    assert!(list["devices"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn excessive_device_registrations() {
    let cfg = WebexSimConfig {
        device_limit: 2,
        ..WebexSimConfig::default()
    };
    let s = sim_with(cfg).await;
    s.device("a").await;
    s.device("b").await;
    let r = s.post("/wdm/api/v1/devices", json!({"name": "c"})).await;
    assert_eq!(r.status(), 403);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["message"], "User has excessive device registrations");
    assert_eq!(
        e["errors"][0]["description"],
        "User has excessive device registrations"
    );
}

#[tokio::test]
async fn bot_posts_are_echoed_and_validated() {
    let s = sim().await;
    let (_dev, mut ws) = s.connected().await;
    let root = s.say("engineer@example.com", "help", "direct", false).await;
    let (env, _) = next_activity(&mut ws).await;
    ack(&mut ws, &env).await;
    let root_msg: Value = s
        .get(&format!("/v1/messages/{root}"))
        .await
        .json()
        .await
        .unwrap();
    let room = root_msg["roomId"].as_str().unwrap();

    let r = s
        .post(
            "/v1/messages",
            json!({"roomId": room, "parentId": root, "markdown": "**ok**", "text": "ok"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let reply: Value = r.json().await.unwrap();
    assert_eq!(reply["parentId"], root.as_str());
    assert_eq!(reply["personEmail"], "patchpanel@webex.bot");
    assert_eq!(reply["markdown"], "**ok**");
    // The bot hears itself (the self-filter has something to do).
    let (_env, act) = next_activity(&mut ws).await;
    assert_eq!(act["id"], uuid_of(reply["id"].as_str().unwrap()));
    assert_eq!(act["actor"]["id"], BOT_UUID);
    assert_eq!(act["parent"]["id"], uuid_of(&root));
    assert_eq!(act["parent"]["type"], "reply");

    let timings: Value = s.get("/_sim/timings").await.json().await.unwrap();
    assert_eq!(timings["timings"][0]["messageId"], root.as_str());
    assert_eq!(timings["timings"][0]["replyId"], reply["id"]);
    assert!(timings["timings"][0]["micros"].is_u64());

    let r = s
        .post(
            "/v1/messages",
            json!({"roomId": room, "text": "x".repeat(7440)}),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().contains_key("trackingid"));
    let e: Value = r.json().await.unwrap();
    assert!(
        e["message"].is_string()
            && e["errors"][0]["description"].is_string()
            && e["trackingId"].is_string()
    );
    assert_eq!(
        s.post(
            "/v1/messages",
            json!({"roomId": room, "text": "x".repeat(7439)})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        s.post(
            "/v1/messages",
            json!({"roomId": room, "markdown": "é".repeat(3720)})
        )
        .await
        .status(),
        400
    );
    assert_eq!(
        s.post(
            "/v1/messages",
            json!({"roomId": room, "parentId": reply["id"], "text": "r"})
        )
        .await
        .status(),
        400
    );
    assert_eq!(
        s.post(
            "/v1/messages",
            json!({"roomId": room, "toPersonEmail": "a@b.c", "text": "r"})
        )
        .await
        .status(),
        400
    );
    assert_eq!(
        s.post("/v1/messages", json!({"text": "r"})).await.status(),
        400
    );
    let card = json!({"contentType": "application/vnd.microsoft.card.adaptive", "content": {"type": "AdaptiveCard"}});
    assert_eq!(
        s.post(
            "/v1/messages",
            json!({"roomId": room, "text": "c", "attachments": [card, card]})
        )
        .await
        .status(),
        400
    );
    let r = s
        .http
        .post(s.url("/v1/messages"))
        .bearer_auth(TOKEN)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // The bot may delete its own messages, not the people's.
    let del = s
        .http
        .delete(s.url(&format!("/v1/messages/{}", reply["id"].as_str().unwrap())))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);
    let del = s
        .http
        .delete(s.url(&format!("/v1/messages/{root}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 403);
    let all: Value = s.get("/_sim/messages").await.json().await.unwrap();
    assert!(all["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["id"] != reply["id"]));
}

#[tokio::test]
async fn token_is_required_when_configured() {
    let cfg = WebexSimConfig {
        token: Some(TOKEN.to_owned()),
        ..WebexSimConfig::default()
    };
    let s = sim_with(cfg).await;
    for path in [
        "/v1/people/me",
        "/u2c/api/v1/catalog?format=hostmap",
        "/wdm/api/v1/devices",
    ] {
        let none = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(none.status(), 401, "{path}");
        let e: Value = none.json().await.unwrap();
        assert!(e["trackingId"].is_string());
        let wrong = s
            .http
            .get(s.url(path))
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path}");
        assert_eq!(s.get(path).await.status(), 200, "{path}");
    }
    let dev = s.device("pp").await;
    let mut ws = connect(&ws_url(&dev, true)).await;
    auth(&mut ws, "wrong").await;
    assert_eq!(close_code(&mut ws).await.0, 4401);
    connect_ready(&ws_url(&dev, true)).await;
    // The control API stays open.
    let r = s.http.get(s.url("/_sim/state")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
