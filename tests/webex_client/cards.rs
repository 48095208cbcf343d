//! Card messages against the simulator: the approval card goes out with its attachment (to a
//! person and to a room, retried like any post), a press on it reaches the bot as a `CardSubmit`
//! that `cards::Decision::from_inputs` accepts, and deleting it removes it (twice is fine).

use patchpanel::cards::{self, Card, Decision};
use patchpanel::webex::{CARD_CONTENT_TYPE, MAX_CARD_MESSAGE_BYTES};

use super::*;

fn approval() -> cards::ApprovalCard {
    match cards::examples().into_iter().next().map(|e| e.card) {
        Some(Card::Approval(a)) => a,
        other => panic!("the first example is the approval card: {other:?}"),
    }
}

/// What a Webex client sends when `button` of `card` is pressed: the card's inputs merged with the
/// button's `data` (docs/webex.md §3.5).
fn pressed(card: &Value, button: usize, reason: &str) -> Value {
    let mut inputs = card["actions"][button]["data"].clone();
    inputs["reason"] = json!(reason);
    inputs
}

#[tokio::test]
async fn an_approval_card_is_posted_pressed_and_deleted() {
    let s = Sim::start().await;
    let mut bot = Bot::start(&s, timings()).await;
    s.socket(1).await;
    let a = approval();
    let card = a.render().unwrap();
    let fallback = a.fallback_text();

    let sent = bot.rest.send_card(ALICE, &fallback, &card).await.unwrap();
    let id = sent.id.clone();
    let posted = s.bot_posts();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].id, id);
    assert_eq!(
        posted[0].room_id, sent.room_id,
        "the 1:1 room comes back with the post"
    );
    assert_eq!(posted[0].room_type, "direct");
    assert_eq!(posted[0].markdown.as_deref(), Some(fallback.as_str()));
    let attachments = posted[0].attachments.clone().unwrap_or_default();
    assert_eq!(
        attachments,
        vec![json!({"contentType": CARD_CONTENT_TYPE, "content": card})]
    );

    // Alice declines, with a reason; the bot's dispatch turns it into a CardSubmit.
    let action = s
        .sim
        .press(ALICE, &id, pressed(&card, 1, "Outside the change window"))
        .unwrap();
    let submit = match bot.next().await {
        Inbound::CardSubmit(c) => c,
        other => panic!("expected the card press, got {other:?}"),
    };
    assert_eq!(submit.action_id, action.id);
    assert_eq!(submit.card_message_id, id);
    assert_eq!(submit.sender.email, ALICE);
    let decision = Decision::from_inputs(&submit.inputs).unwrap();
    assert_eq!(decision.decision, Decision::Decline);
    assert_eq!(decision.change_id, a.change_id);
    assert_eq!(decision.plan_hash, a.submit.plan_hash);
    assert_eq!(decision.nonce, a.submit.nonce);
    assert_eq!(
        decision.reason.as_deref(),
        Some("Outside the change window")
    );

    // The card goes; a second delete (a retry after a lost answer) is still fine.
    let mark = s.mark();
    bot.rest.delete_message(&id).await.unwrap();
    assert!(s.sim.messages().iter().all(|m| m.id != id));
    bot.rest.delete_message(&id).await.unwrap();
    let deletes: Vec<u16> = s
        .requests(mark, "DELETE", "/v1/messages/")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(deletes, vec![204, 404]);

    // The outcome takes its place.
    let Some(Card::Outcome(o)) = cards::examples()
        .into_iter()
        .find(|e| e.name == "outcome-declined")
        .map(|e| e.card)
    else {
        panic!("the declined example")
    };
    let out = bot
        .rest
        .send_card(ALICE, &o.fallback_text(), &o.render().unwrap())
        .await
        .unwrap()
        .id;
    let left: Vec<String> = s.bot_posts().into_iter().map(|m| m.id).collect();
    assert_eq!(left, vec![out]);
    let (res, _) = bot.stop().await;
    assert!(res.is_ok(), "{res:?}");
}

#[tokio::test(start_paused = true)]
async fn a_card_post_is_retried_like_a_reply_and_reaches_a_room() {
    let s = Sim::start().await;
    let room = s.say("vrf c9300", "netops").room_id;
    s.fail("POST", "/v1/messages", 503, 1).await;
    let mark = s.mark();
    let a = approval();
    let id = s
        .rest()
        .send_card(&room, &a.fallback_text(), &a.render().unwrap())
        .await
        .unwrap()
        .id;
    let attempts: Vec<u16> = s
        .requests(mark, "POST", "/v1/messages")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(attempts, vec![503, 200]);
    let posted = s.bot_posts();
    assert_eq!(
        (posted.len(), &posted[0].id, &posted[0].room_id),
        (1, &id, &room)
    );
    assert!(posted[0].attachments.is_some());
}

#[tokio::test]
async fn oversized_or_textless_cards_are_not_sent() {
    let s = Sim::start().await;
    let mark = s.mark();
    let rest = s.rest();
    let huge = json!({"type": "AdaptiveCard", "version": "1.3",
                      "body": [{"type": "TextBlock", "text": "x".repeat(MAX_CARD_MESSAGE_BYTES)}]});
    let err = rest.send_card(ALICE, "fallback", &huge).await.unwrap_err();
    assert!(matches!(err, WebexError::TooLarge { .. }), "{err:?}");
    let card = approval().render().unwrap();
    let err = rest.send_card(ALICE, " ", &card).await.unwrap_err();
    assert!(matches!(err, WebexError::Config(_)), "{err:?}");
    let err = rest.send_card("  ", "text", &card).await.unwrap_err();
    assert!(matches!(err, WebexError::Config(_)), "{err:?}");
    assert!(s.requests(mark, "POST", "/v1/messages").is_empty());
}
