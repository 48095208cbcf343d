//! The REST side: rate limits and server errors retried (in virtual time: the client's waits are
//! its own timers), client errors reported with what Webex said, long replies split, disguising
//! characters never posted.

use super::*;

/// A group space to post into (Alice's message in it, to reply to).
fn space(s: &Sim, name: &str) -> MessageDto {
    s.say("vrf c9300", name)
}

#[tokio::test(start_paused = true)]
async fn rate_limited_reply_is_delayed_then_delivered_once() {
    let s = Sim::start().await;
    let room = space(&s, "netops").room_id;
    s.control(
        "/_sim/fail",
        json!({"method": "POST", "path": "/v1/messages", "status": 429, "times": 1, "retryAfter": 1}),
    )
    .await;
    let mark = s.mark();
    let started = tokio::time::Instant::now();
    let ids = s
        .rest()
        .send_reply(&Reply {
            room_id: room.clone(),
            parent_id: None,
            markdown: "hello".into(),
        })
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After kept"
    );
    let attempts: Vec<u16> = s
        .requests(mark, "POST", "/v1/messages")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(attempts, vec![429, 200]);
    let posted = s.bot_posts();
    assert_eq!(posted.len(), 1);
    assert_eq!(ids, vec![posted[0].id.clone()]);
    assert_eq!(
        (
            &posted[0].room_id,
            &posted[0].parent_id,
            &posted[0].markdown
        ),
        (&room, &None, &Some("hello".into()))
    );
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried_and_client_errors_are_reported() {
    let s = Sim::start().await;
    let asked = space(&s, "netops");
    let elsewhere = space(&s, "lab");
    s.fail("POST", "/v1/messages", 503, 2).await;
    let rest = WebexRest::with_retry_policy(
        &s.config(),
        patchpanel::webex::RetryPolicy {
            server_error_base: Duration::from_millis(5),
            ..Default::default()
        },
    )
    .unwrap();
    let reply = Reply {
        room_id: asked.room_id.clone(),
        parent_id: None,
        markdown: "hi".into(),
    };
    let mark = s.mark();
    let ids = rest.send_reply(&reply).await.unwrap();
    assert_eq!(ids, vec![s.bot_posts()[0].id.clone()]);
    assert_eq!(s.requests(mark, "POST", "/v1/messages").len(), 3);

    // A reply threaded under a message of another space: Webex refuses it with a 400.
    let wrong = Reply {
        parent_id: Some(elsewhere.id.clone()),
        ..reply
    };
    match rest.send_reply(&wrong).await {
        Err(WebexError::BadRequest {
            status,
            message,
            tracking_id,
        }) => {
            assert_eq!(status, 400);
            assert!(message.contains("another room"), "{message}");
            let answered = s.requests(mark, "POST", "/v1/messages").pop().unwrap();
            assert_eq!(answered.status, 400);
            assert_eq!(tracking_id, answered.tracking_id);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        s.requests(mark, "POST", "/v1/messages").len(),
        4,
        "4xx is not retried"
    );
}

#[tokio::test]
async fn long_reply_is_split_into_ordered_parts() {
    let s = Sim::start().await;
    let asked = space(&s, "netops");
    let line = format!("{}\n", "ä".repeat(49)); // 99 bytes
    let ids = s
        .rest()
        .send_reply(&Reply {
            room_id: asked.room_id.clone(),
            parent_id: Some(asked.id.clone()),
            markdown: line.repeat(150),
        })
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let posted = s.bot_posts();
    let posted_ids: Vec<String> = posted.iter().map(|p| p.id.clone()).collect();
    assert_eq!(posted_ids, ids);
    let joined: String = posted
        .iter()
        .map(|p| p.markdown.as_deref().unwrap())
        .collect();
    assert_eq!(joined, line.repeat(150));
    assert!(posted.iter().all(|p| {
        p.markdown.as_deref().unwrap().len() <= 7439 && p.parent_id.as_ref() == Some(&asked.id)
    }));
}

#[tokio::test]
async fn rest_errors_tell_the_caller_what_to_do() {
    let s = Sim::start().await;
    let mark = s.mark();
    match s.rest().get_message("nope").await {
        Err(WebexError::NotFound { tracking_id, .. }) => {
            let answered = s.requests(mark, "GET", "/v1/messages/nope").pop().unwrap();
            assert_eq!(answered.status, 404);
            assert_eq!(tracking_id, answered.tracking_id);
        }
        other => panic!("{other:?}"),
    }
    // Unreachable server: a retryable error, not a panic.
    let mut cfg = s.config();
    cfg.api_url = "http://127.0.0.1:9/v1".into();
    let dead = WebexRest::with_retry_policy(
        &cfg,
        patchpanel::webex::RetryPolicy {
            max_attempts: 2,
            server_error_base: Duration::from_millis(1),
            ..Default::default()
        },
    )
    .unwrap();
    let err = dead.me().await.unwrap_err();
    assert!(matches!(err, WebexError::Unavailable { .. }), "{err:?}");
    assert!(!err.to_string().contains(TOKEN));
}

/// Issue 8 §3, the last line of defence: whatever built the markdown, a character that can disguise
/// text never leaves the bot; it is posted in its visible form.
#[tokio::test]
async fn disguising_characters_are_never_posted() {
    let s = Sim::start().await;
    let room = space(&s, "netops").room_id;
    let room2 = space(&s, "lab").room_id;
    let rest = s.rest();
    rest.send_reply(&Reply {
        room_id: room.clone(),
        parent_id: None,
        markdown: "uplink \u{202E}1/0/1ig\u{200B}".into(),
    })
    .await
    .unwrap();
    rest.notify(&room2, "ticket \u{2066}CHG-1\u{2069}")
        .await
        .unwrap();
    let posted: Vec<(String, Option<String>)> = s
        .bot_posts()
        .into_iter()
        .map(|p| (p.room_id, p.markdown))
        .collect();
    assert_eq!(
        posted,
        vec![
            (
                room,
                Some("uplink &lt;U+202E&gt;1/0/1ig&lt;U+200B&gt;".into())
            ),
            (
                room2,
                Some("ticket &lt;U+2066&gt;CHG-1&lt;U+2069&gt;".into())
            ),
        ]
    );
}
