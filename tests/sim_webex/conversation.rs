//! The simulator as third-party clients see it: the conversation service they resolve every event
//! through (the Python `webex_bot` way: `target.url` with `conversations/{space}` replaced by
//! `messages/{activity}` or `attachment/actions/{activity}`), the bot's avatar, and an org homed on a
//! non-default cluster.

use super::*;
use patchpanel::webex::ids::HydraKind;
use patchpanel_sim::webex::BOT_UUID;

const EU: &str = "urn:TEAM:eu-central-1_k";

/// What `webex_bot` builds from an activity: the conversation-service URL of its message or action.
fn conversation_url(activity: &Value, what: &str) -> String {
    let target_url = activity["target"]["url"].as_str().unwrap();
    let space = activity["target"]["id"].as_str().unwrap();
    target_url.replace(
        &format!("conversations/{space}"),
        &format!("{what}/{}", activity["id"].as_str().unwrap()),
    )
}

async fn get_url(s: &Sim, url: &str) -> reqwest::Response {
    s.http.get(url).bearer_auth(TOKEN).send().await.unwrap()
}

/// Posts a card as the bot to `email` and returns the REST message.
async fn post_card(s: &Sim, email: &str) -> Value {
    let card = json!({"contentType": "application/vnd.microsoft.card.adaptive",
                      "content": {"type": "AdaptiveCard", "version": "1.3", "body": []}});
    let r = s
        .post(
            "/v1/messages",
            json!({"toPersonEmail": email, "text": "approve?", "attachments": [card]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn conversation_service_resolves_activity_to_message() {
    let s = sim().await;
    let (dev, mut ws) = s.connected().await;
    let base = format!("{}/conversation/api/v1", s.sim.base_url);
    // Every place a client may learn the conversation service from names the same one.
    let cat: Value = s
        .get("/u2c/api/v1/catalog?format=hostmap")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cat["serviceLinks"]["conversation"], base.as_str());
    assert_eq!(dev["services"]["conversationServiceUrl"], base.as_str());

    let id = s.say("engineer@example.com", "help", "direct", false).await;
    let (env, act) = next_activity(&mut ws).await;
    ack(&mut ws, &env).await;
    assert!(act["target"]["url"].as_str().unwrap().starts_with(&base));
    let url = conversation_url(&act, "messages");
    let r = get_url(&s, &url).await;
    assert_eq!(r.status(), 200, "{url}");
    let via_conversation: Value = r.json().await.unwrap();
    let via_rest: Value = s
        .get(&format!("/v1/messages/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(via_conversation, via_rest);
    assert_eq!(via_conversation["id"], id.as_str());
    assert_eq!(via_conversation["text"], "help");

    // A card press resolves the same way, to the attachment action.
    let card = post_card(&s, "approver@example.com").await;
    let (echo, _) = next_activity(&mut ws).await;
    ack(&mut ws, &echo).await;
    let pressed = s
        .control(
            "/_sim/press",
            json!({"from": "approver@example.com", "messageId": card["id"], "inputs": {"ok": "yes"}}),
        )
        .await;
    let (_env, act) = next_activity(&mut ws).await;
    assert_eq!(act["verb"], "cardAction");
    let r = get_url(&s, &conversation_url(&act, "attachment/actions")).await;
    assert_eq!(r.status(), 200);
    let action: Value = r.json().await.unwrap();
    assert_eq!(action["id"], pressed["actionId"]);
    assert_eq!(action["messageId"], card["id"]);
    assert_eq!(action["inputs"], json!({"ok": "yes"}));
    let via_rest: Value = s
        .get(&format!(
            "/v1/attachment/actions/{}",
            pressed["actionId"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(action, via_rest);
}

#[tokio::test]
async fn conversation_service_hides_messages_the_bot_cannot_see() {
    let s = sim().await;
    let hidden = s.say("engineer@example.com", "chatter", "ops", false).await;
    let uuid = uuid_of(&hidden);
    let conv = format!("/conversation/api/v1/messages/{uuid}");
    let r = s.get(&conv).await;
    assert_eq!(r.status(), 403);
    let via_conversation: Value = r.json().await.unwrap();
    let r = s.get(&format!("/v1/messages/{hidden}")).await;
    assert_eq!(r.status(), 403);
    let via_rest: Value = r.json().await.unwrap();
    assert_eq!(via_conversation["message"], via_rest["message"]);

    // Unknown objects are 404 in the Webex error shape, for messages and actions alike.
    let unknown = uuid::Uuid::new_v4();
    for path in [
        format!("/conversation/api/v1/messages/{unknown}"),
        format!("/conversation/api/v1/attachment/actions/{unknown}"),
    ] {
        let r = s.get(&path).await;
        assert_eq!(r.status(), 404, "{path}");
        let e: Value = r.json().await.unwrap();
        assert!(e["trackingId"].is_string());
    }
    // The conversation service wants the token like the rest of the API.
    let cfg = WebexSimConfig {
        token: Some(TOKEN.to_owned()),
        ..WebexSimConfig::default()
    };
    let s = sim_with(cfg).await;
    let id = s.say("engineer@example.com", "help", "direct", false).await;
    let conv = s.url(&format!("/conversation/api/v1/messages/{}", uuid_of(&id)));
    let r = s.http.get(&conv).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = s.http.get(&conv).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(get_url(&s, &conv).await.status(), 200);
}

#[tokio::test]
async fn people_me_has_avatar() {
    let s = sim().await;
    let me: Value = s.get("/v1/people/me").await.json().await.unwrap();
    let avatar = me["avatar"].as_str().expect("a bot has an avatar");
    assert!(avatar.starts_with("http"), "{avatar}");
    let by_id: Value = s
        .get(&format!("/v1/people/{}", me["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_id["avatar"], avatar);
    // The URL serves an image, without a token (as Webex's avatar CDN does).
    let r = s.http.get(avatar).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let png = r.bytes().await.unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
}

#[tokio::test]
async fn org_on_a_non_default_cluster_has_clustered_ids() {
    let s = sim_with(WebexSimConfig::default().with_cluster("eu-central-1_k")).await;
    assert_eq!(s.sim.hydra_cluster(), EU);
    let cat: Value = s
        .get("/u2c/api/v1/catalog?format=hostmap")
        .await
        .json()
        .await
        .unwrap();
    let host = s.sim.base_url.trim_start_matches("http://");
    assert_eq!(
        cat["hostCatalog"][host][0]["id"],
        "urn:TEAM:eu-central-1_k:conversation"
    );
    let state: Value = s.get("/_sim/state").await.json().await.unwrap();
    assert_eq!(state["cluster"], "eu-central-1_k");

    let (_dev, mut ws) = s.connected().await;
    let id = s.say("engineer@example.com", "help", "direct", false).await;
    let h = ids::decode(&id).unwrap();
    assert_eq!((h.cluster.as_str(), h.kind), (EU, HydraKind::Message));
    let (env, act) = next_activity(&mut ws).await;
    ack(&mut ws, &env).await;

    // The id a client guessing `us` builds is unknown; the clustered one and the conversation
    // service both find the message.
    let guessed = ids::encode("us", HydraKind::Message, &h.uuid);
    assert_eq!(
        s.get(&format!("/v1/messages/{guessed}")).await.status(),
        404
    );
    let m: Value = s
        .get(&format!("/v1/messages/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        ids::decode(m["roomId"].as_str().unwrap()).unwrap().cluster,
        EU
    );
    // People and the org are always `us`.
    assert_eq!(
        ids::decode(m["personId"].as_str().unwrap())
            .unwrap()
            .cluster,
        "us"
    );
    let resolved: Value = get_url(&s, &conversation_url(&act, "messages"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resolved["id"], id.as_str());

    // Replies, memberships and card actions carry the cluster too.
    let r = s
        .post(
            "/v1/messages",
            json!({"roomId": m["roomId"], "parentId": id, "text": "ok"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let reply: Value = r.json().await.unwrap();
    assert_eq!(
        ids::decode(reply["id"].as_str().unwrap()).unwrap().cluster,
        EU
    );
    let guessed_room = ids::encode(
        "us",
        HydraKind::Room,
        &uuid_of(m["roomId"].as_str().unwrap()),
    );
    let r = s
        .post("/v1/messages", json!({"roomId": guessed_room, "text": "x"}))
        .await;
    assert_eq!(
        r.status(),
        404,
        "a room id with the wrong cluster is unknown"
    );
    let members: Value = s
        .get(&format!(
            "/v1/memberships?roomId={}",
            m["roomId"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    let membership = ids::decode(members["items"][0]["id"].as_str().unwrap()).unwrap();
    assert_eq!(membership.cluster, EU);
    let card = post_card(&s, "approver@example.com").await;
    let pressed = s
        .control(
            "/_sim/press",
            json!({"from": "approver@example.com", "messageId": card["id"], "inputs": {}}),
        )
        .await;
    let action_id = pressed["actionId"].as_str().unwrap();
    assert_eq!(ids::decode(action_id).unwrap().cluster, EU);
    let guessed = ids::encode("us", HydraKind::AttachmentAction, &uuid_of(action_id));
    assert_eq!(
        s.get(&format!("/v1/attachment/actions/{guessed}"))
            .await
            .status(),
        404
    );
    let action: Value = s
        .get(&format!("/v1/attachment/actions/{action_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(action["messageId"], card["id"]);
    let me: Value = s.get("/v1/people/me").await.json().await.unwrap();
    assert_eq!(
        ids::decode(me["id"].as_str().unwrap()).unwrap().uuid,
        BOT_UUID
    );
    assert_eq!(
        ids::decode(me["id"].as_str().unwrap()).unwrap().cluster,
        "us"
    );
}

#[tokio::test]
async fn a_space_named_by_an_id_of_another_cluster_keeps_that_cluster() {
    // A default-cluster org in a space homed in eu-central-1_k (a space of another org).
    let s = sim().await;
    let room = ids::encode(EU, HydraKind::Room, &uuid::Uuid::new_v4().to_string());
    let id = s.say("engineer@example.com", "help", &room, true).await;
    assert_eq!(ids::decode(&id).unwrap().cluster, EU);
    let m: Value = s
        .get(&format!("/v1/messages/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["roomId"], room.as_str());
    let guessed = ids::encode("us", HydraKind::Message, &uuid_of(&id));
    assert_eq!(
        s.get(&format!("/v1/messages/{guessed}")).await.status(),
        404
    );
}

#[tokio::test]
async fn a_bad_cluster_name_is_refused() {
    for bad in ["", "eu central", "urn:TEAM:eu-central-1_k", &"x".repeat(65)] {
        let err = webex::start(
            WebexSimConfig::default().with_cluster(bad),
            CancellationToken::new(),
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("cluster"), "{bad:?}: {err}");
    }
}
