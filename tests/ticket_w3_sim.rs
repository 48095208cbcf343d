//! Workflow W3 end to end through the simulators: a Zammad network-change ticket (`patchpanel sim
//! zammad`, in process) becomes an approval card in Webex (the Webex simulator), a press on it
//! updates NetBox (the NetBox simulator) and the switch (the device simulator over NETCONF), and
//! the ticket is closed; a decline denies it; a press by someone who is not an approver changes
//! nothing and the card still works for a real approver; an invalid ticket asks for attention.

mod device_sim_fixture;
mod netbox_w2;
#[path = "reads/mod.rs"]
mod reads;
mod tcp_proxy;
mod ticket_w3;

use patchpanel_sim::zammad::{start as start_zammad, ZammadSimConfig};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use ticket_w3::{Rig, APPROVER, REQUESTER, WAIT};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_ticket_changes_netbox_and_the_switch_and_is_closed() {
    let rig = Rig::start().await;
    ticket_w3::approve_conformance(&rig, "GigabitEthernet1/0/5").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decline_denies_the_ticket_and_nothing_changes() {
    let rig = Rig::start().await;
    let bot = rig.start_bot();
    let before = rig.world.device_interface("GigabitEthernet1/0/5").await;
    let (id, number) = rig.ticket(json!({}));
    let card = rig.wait_approval_card().await;
    rig.press(APPROVER, &card, 1, "change freeze");
    rig.wait_state(id, "denied").await;
    let notes = rig.notes(id);
    assert!(
        notes
            .last()
            .unwrap()
            .contains("declined by approver@example.com")
            && notes.last().unwrap().contains("change freeze"),
        "{notes:#?}"
    );
    assert_eq!(
        rig.world.device_interface("GigabitEthernet1/0/5").await,
        before
    );
    rig.wait_answer("Decline has been recorded").await;
    // The card is gone (its outcome took its place), and the command says who was first.
    let cards = rig.cards();
    assert!(cards.iter().all(|(m, _)| *m != card.0), "{cards:#?}");
    assert!(
        cards
            .iter()
            .any(|(_, c)| c.to_string().contains("Declined")),
        "{cards:#?}"
    );
    rig.world
        .webex
        .say(patchpanel_sim::webex::SayRequest {
            from: "second@example.com".into(),
            text: format!("approve {number}"),
            room: "direct".into(),
            mention: false,
            parent_id: None,
            as_bot: false,
        })
        .unwrap();
    rig.wait_answer("already declined by approver@example.com")
        .await;
    bot.stop().await;
    assert_eq!(rig.state_of(id), "denied");
    assert_eq!(
        rig.world.device_interface("GigabitEthernet1/0/5").await,
        before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_and_the_requester_cannot_approve_but_the_card_still_works() {
    let rig = Rig::start().await;
    // An approvals space, where everyone in it sees (and can press) the card.
    let room = rig
        .world
        .webex
        .say(patchpanel_sim::webex::SayRequest {
            from: "engineer@example.com".into(),
            text: "help".into(),
            room: "approvals".into(),
            mention: true,
            parent_id: None,
            as_bot: false,
        })
        .unwrap()
        .room_id;
    let bot = rig.start_bot_with(&[("PATCHPANEL_APPROVALS_ROOM", room.clone())]);
    let (id, _) = rig.ticket(json!({}));
    let card = rig.wait_approval_card().await;
    assert_eq!(
        rig.world
            .webex
            .messages()
            .into_iter()
            .find(|m| m.id == card.0)
            .unwrap()
            .room_id,
        room
    );
    rig.press("engineer@example.com", &card, 0, "");
    rig.wait_answer("you are not an approver").await;
    rig.press(REQUESTER, &card, 0, "");
    rig.wait_answer("someone else must approve it").await;
    assert_eq!(rig.state_of(id), "pending approval");
    rig.press(APPROVER, &card, 0, "");
    rig.wait_state(id, "closed").await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_ticket_asks_for_attention_with_every_reason() {
    let rig = Rig::start().await;
    let bot = rig.start_bot();
    let (id, _) = rig.ticket(json!({
        "network_interface_ip4_address": "10.1.2.300/24",
        "network_switchport_mode_and_vlan": "access::",
    }));
    rig.wait_state(id, "attention required").await;
    let notes = rig.notes(id);
    let note = notes.last().unwrap();
    assert!(note.contains("network_interface_ip4_address"), "{note}");
    assert!(note.contains("network_switchport_mode_and_vlan"), "{note}");
    assert!(rig.cards().is_empty(), "no card for an invalid ticket");
    bot.stop().await;
}

/// Notes on the ticket that say the change was applied.
fn applied_notes(rig: &Rig, id: u64) -> usize {
    rig.notes(id)
        .iter()
        .filter(|n| n.contains("applied and verified"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_approvers_at_once_and_a_double_press_apply_once() {
    let rig = Rig::start().await;
    let bot = rig.start_bot();
    let (id, _) = rig.ticket(json!({}));
    let card = rig.wait_approval_card().await;
    rig.press(APPROVER, &card, 0, "");
    rig.press("second@example.com", &card, 0, "");
    rig.press(APPROVER, &card, 0, "");
    rig.wait_state(id, "closed").await;
    rig.wait_answer("Approve has been recorded").await;
    // Every press was answered; the one that won is the only approval.
    let start = Instant::now();
    loop {
        let answers = rig.answers();
        let recorded = answers
            .iter()
            .filter(|a| a.contains("Approve has been recorded"))
            .count();
        let refused = answers
            .iter()
            .filter(|a| a.contains("already approved by"))
            .count();
        let gone = answers
            .iter()
            .filter(|a| a.contains("no change") || a.contains("not a patchpanel"))
            .count();
        if recorded + refused + gone >= 3 {
            assert_eq!(recorded, 1, "{answers:#?}");
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "not every press was answered: {answers:#?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(applied_notes(&rig, id), 1, "{:#?}", rig.notes(id));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_card_is_refused_with_the_new_diff_and_a_new_card_works() {
    let rig = Rig::start().await;
    let bot = rig.start_bot();
    let (id, _) = rig.ticket(json!({}));
    let old = rig.wait_approval_card().await;
    // Someone changes the interface in NetBox after the card was made.
    let person = netbox_w2::Person::new(&rig.backend());
    let gi5 = person.interface_id("GigabitEthernet1/0/5").await;
    person.edit(gi5, json!({"mtu": 9000})).await;
    rig.press(APPROVER, &old, 0, "");
    let told = rig.wait_answer("was **not** approved").await;
    assert!(
        told.contains("9000"),
        "the new diff names what changed: {told}"
    );
    assert_eq!(rig.state_of(id), "pending approval");
    // A new card replaced the old one; it carries the new plan and can be approved.
    let start = Instant::now();
    let new =
        loop {
            if let Some(c) = rig.cards().into_iter().find(|(m, c)| {
                *m != old.0 && c["actions"].as_array().is_some_and(|a| !a.is_empty())
            }) {
                break c;
            }
            assert!(start.elapsed() < WAIT, "no new card");
            tokio::time::sleep(Duration::from_millis(25)).await;
        };
    assert!(
        rig.cards().iter().all(|(m, _)| *m != old.0),
        "the old card is gone"
    );
    rig.press(APPROVER, &new, 0, "");
    rig.wait_state(id, "closed").await;
    assert_eq!(
        rig.netbox_interface("GigabitEthernet1/0/5").await["mtu"],
        2000
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_pending_across_a_restart_is_approved_with_the_old_card() {
    let rig = Rig::start().await;
    let bot = rig.start_bot();
    let (id, _) = rig.ticket(json!({}));
    let card = rig.wait_approval_card().await;
    bot.stop().await;
    let bot = rig.start_bot();
    rig.press(APPROVER, &card, 0, "");
    rig.wait_state(id, "closed").await;
    assert_eq!(applied_notes(&rig, id), 1);
    // The ticket was taken once: one "pending approval" note, one card.
    let pending = rig
        .notes(id)
        .iter()
        .filter(|n| n.contains("pending approval"))
        .count();
    assert_eq!(pending, 1, "{:#?}", rig.notes(id));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_nobody_decides_expires() {
    let rig = Rig::start().await;
    let bot = rig.start_bot_with(&[("PATCHPANEL_APPROVAL_TTL", "2s".into())]);
    let (id, _) = rig.ticket(json!({}));
    let card = rig.wait_approval_card().await;
    rig.wait_state(id, "attention required").await;
    assert!(
        rig.notes(id).last().unwrap().contains("expired"),
        "{:#?}",
        rig.notes(id)
    );
    let start = Instant::now();
    while rig.cards().iter().any(|(m, _)| *m == card.0) {
        assert!(start.elapsed() < WAIT, "the expired card stays");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(rig
        .cards()
        .iter()
        .any(|(_, c)| c.to_string().contains("Expired")));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_card_presses_change_nothing() {
    let rig = Rig::start().await;
    let bot = rig.start_bot();
    let (id, number) = rig.ticket(json!({}));
    let card = rig.wait_approval_card().await;
    let data = card.1["actions"][0]["data"].clone();
    let forge = |field: &str, value: &str| {
        let mut inputs = data.clone();
        inputs[field] = json!(value);
        inputs["reason"] = json!("");
        rig.world.webex.press(APPROVER, &card.0, inputs).unwrap();
    };
    forge("change", "99999");
    rig.wait_answer("There is no change 99999").await;
    forge("nonce", "AAAAAAAAAAAAAAAAAAAAAAAA");
    rig.wait_answer("it was not issued by the bot").await;
    forge("plan", &"0".repeat(64));
    let start = Instant::now();
    while rig
        .answers()
        .iter()
        .filter(|a| a.contains("it was not issued by the bot"))
        .count()
        < 2
    {
        assert!(start.elapsed() < WAIT, "{:#?}", rig.answers());
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(rig.state_of(id), "pending approval");
    // Typed instead of pressed, by an approver: the same policy, and it works.
    rig.world
        .webex
        .say(patchpanel_sim::webex::SayRequest {
            from: APPROVER.into(),
            text: format!("status {number}"),
            room: "direct".into(),
            mention: false,
            parent_id: None,
            as_bot: false,
        })
        .unwrap();
    rig.wait_answer("State: **pending approval**").await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_for_unknown_or_protected_interfaces_ask_for_attention() {
    let rig = Rig::start().await;
    let bot = rig.start_bot();
    let cases = [
        (
            json!({"network_device_name": "nosuchswitch"}),
            "nosuchswitch",
        ),
        (
            json!({"network_interface_name": "GigabitEthernet9/9/9"}),
            "GigabitEthernet9/9/9",
        ),
        // PATCHPANEL_PROTECTED of the rig: c9300:GigabitEthernet1/0/1.
        (json!({"network_interface_name": "Gi1/0/1"}), "protected"),
        (
            json!({"network_switchport_mode_and_vlan": "access:3999:"}),
            "VLAN 3999",
        ),
    ];
    let mut ids = Vec::new();
    for (attributes, _) in &cases {
        ids.push(rig.ticket(attributes.clone()).0);
    }
    for (id, (_, says)) in ids.iter().zip(&cases) {
        rig.wait_state(*id, "attention required").await;
        let notes = rig.notes(*id);
        assert!(
            notes.last().unwrap().contains(says),
            "ticket {id}: {notes:#?}"
        );
    }
    assert!(
        rig.cards().is_empty(),
        "no card for a change that cannot be made"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_press_from_a_room_the_card_was_not_sent_to_is_refused() {
    let rig = Rig::start().await;
    let room = rig
        .world
        .webex
        .say(patchpanel_sim::webex::SayRequest {
            from: APPROVER.into(),
            text: "help".into(),
            room: "approvals".into(),
            mention: true,
            parent_id: None,
            as_bot: false,
        })
        .unwrap()
        .room_id;
    let bot = rig.start_bot_with(&[("PATCHPANEL_APPROVALS_ROOM", room)]);
    let (id, _) = rig.ticket(json!({}));
    let card = rig.wait_approval_card().await;
    // A copy of the card, posted with the bot's token into the approver's 1:1 space (what a
    // forwarded card, or anyone holding the token, would produce): its press comes from a room
    // the bot never sent this change's card to.
    let copy: Value = reqwest::Client::new()
        .post(format!("{}/messages", rig.world.webex.api_url()))
        .bearer_auth("w2-test")
        .json(&json!({
            "toPersonEmail": APPROVER,
            "markdown": "a copy",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card.1}],
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let copied = (copy["id"].as_str().unwrap().to_owned(), card.1.clone());
    rig.press(APPROVER, &copied, 0, "");
    rig.wait_answer("was not sent to this room").await;
    assert_eq!(rig.state_of(id), "pending approval");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn w2_does_not_act_on_the_netbox_writes_of_w3() {
    let rig = Rig::start().await;
    let bot = rig.start_bot_with(&[("NETBOX_POLL_SECONDS", "0.2".into())]);
    let (id, _) = rig.ticket(json!({}));
    let card = rig.wait_approval_card().await;
    rig.press(APPROVER, &card, 0, "");
    rig.wait_state(id, "closed").await;
    let person = netbox_w2::Person::new(&rig.backend());
    rig.world.wait_cursor(person.latest_change_id().await).await;
    let w2: Vec<String> = rig
        .answers()
        .into_iter()
        .filter(|a| a.contains("NetBox change") || a.contains("from NetBox"))
        .collect();
    assert!(w2.is_empty(), "W2 spoke: {w2:#?}");
    bot.stop().await;
}

/// The bot killed while applying: the store says `applying` (stored before anything is touched)
/// with the apply step still open. On restart the bot does not apply again: it reads the device,
/// finds the change not there, and the ticket asks a person to look.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_killed_while_applying_never_applies_twice() {
    use patchpanel::approval::{transition, ChangeId, Decision, Input};
    use patchpanel::store::{Committed, Store};

    let rig = Rig::start().await;
    let bot = rig.start_bot();
    let (id, number) = rig.ticket(json!({}));
    rig.wait_approval_card().await;
    let before = rig.world.device_interface("GigabitEthernet1/0/5").await;
    bot.stop().await;

    // What the store holds when the process dies right after the approval and the `applying`
    // step were stored, before NetBox or the device was touched (the same calls the bot makes).
    {
        let store = Store::open(&rig.world.db_path()).unwrap();
        let change = ChangeId::parse(&number).unwrap();
        let pending = store.change_record(&change).await.unwrap().unwrap();
        for input in [
            Input::Decided {
                by: APPROVER.into(),
                decision: Decision::Approve,
            },
            Input::ApplyStarted,
        ] {
            let current = store.change_record(&change).await.unwrap().unwrap();
            let t = transition(&current, input).unwrap();
            assert!(matches!(
                store.commit_transition(&t, 1).await.unwrap(),
                Committed::Yes { .. }
            ));
        }
        assert_eq!(pending.state.word(), "pending approval");
    }

    let bot = rig.start_bot();
    rig.wait_state(id, "attention required").await;
    let notes = rig.notes(id);
    assert!(
        notes.last().unwrap().contains("must check the device")
            && notes.last().unwrap().contains("not applied again"),
        "{notes:#?}"
    );
    assert_eq!(
        rig.world.device_interface("GigabitEthernet1/0/5").await,
        before,
        "the device was not written"
    );
    assert!(rig.netbox_interface("GigabitEthernet1/0/5").await["mtu"].is_null());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_zammad_webhook_wakes_the_poller() {
    let rig = Rig::start().await;
    let secret = "zammad-hook-s3cret";
    let bot = rig.start_bot_with(&[
        ("ZAMMAD_POLL_SECONDS", "3600".into()),
        ("ZAMMAD_WEBHOOK_LISTEN", "127.0.0.1:0".into()),
        ("ZAMMAD_WEBHOOK_SECRET", secret.into()),
    ]);
    let port = bot
        .wait_stored_port(
            &rig.world.db_path(),
            patchpanel::zammad::webhook::LISTEN_PORT,
        )
        .await;
    rig.zammad.set_webhook(Some(
        patchpanel_sim::zammad::WebhookTarget::new(
            &format!("http://127.0.0.1:{port}/zammad"),
            Some(secret.into()),
            None,
        )
        .unwrap(),
    ));
    // The start's search (after the states and the bot's user) has run; with an hour until the
    // next one, only the trigger's webhook can bring the ticket in now.
    let start = Instant::now();
    while rig.zammad.requests() < 3 {
        assert!(start.elapsed() < WAIT, "the bot never searched");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let searches = rig.zammad.requests();
    let (id, _) = rig.ticket(json!({}));
    rig.wait_state(id, "pending approval").await;
    rig.wait_approval_card().await;
    assert!(rig.zammad.requests() > searches);
    assert!(
        rig.zammad
            .deliveries()
            .iter()
            .any(|d| d.to_string().contains("200")),
        "the bot took a delivery: {:#?}",
        rig.zammad.deliveries()
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_zammad_token_stops_the_start_with_a_clear_error() {
    let stop = CancellationToken::new();
    let _guard = stop.clone().drop_guard();
    let rig = Rig::start().await;
    let strict = start_zammad(
        ZammadSimConfig {
            token: Some("the-right-token".into()),
            ..ZammadSimConfig::default()
        },
        stop,
    )
    .await
    .unwrap();
    let bot = rig.world.start_bot_with(&[
        ("ZAMMAD_URL", strict.base_url.clone()),
        ("ZAMMAD_TOKEN", "a-wrong-s3cret".into()),
    ]);
    let e = bot.failed().await.to_string();
    assert!(e.contains("ZAMMAD_TOKEN"), "{e}");
    assert!(!e.contains("a-wrong-s3cret"), "{e}");
}

/// Each `network_*` attribute malformed in turn, as far as Zammad lets a form through (it keeps
/// booleans and integers typed; the bot's reading of strings there is unit-tested in
/// `zammad::request`): the ticket asks for attention naming that attribute, and nothing changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_malformed_attribute_is_named_and_nothing_changes() {
    let rig = Rig::start().await;
    let bot = rig.start_bot();
    let before = rig.world.device_interface("GigabitEthernet1/0/5").await;
    let cases = [
        (json!({"network_device_name": ""}), "network_device_name"),
        (
            json!({"network_interface_name": "Gx1/0/5"}),
            "`Gx1/0/5` is not an IOS-XE interface",
        ),
        (
            json!({"network_interface_description": "printer\u{202E}lanigiro"}),
            "description",
        ),
        (json!({"network_interface_mtu": 100}), "MTU"),
        (
            json!({"network_interface_ip4_address": "10.1.2.300/24"}),
            "network_interface_ip4_address",
        ),
        (
            json!({"network_switchport_mode_and_vlan": "trunk:x:100"}),
            "network_switchport_mode_and_vlan",
        ),
        (
            json!({"network_switchport_mode_and_vlan": "access:100"}),
            "network_switchport_mode_and_vlan",
        ),
    ];
    let mut ids = Vec::new();
    for (attributes, _) in &cases {
        ids.push(rig.ticket(attributes.clone()).0);
    }
    for (id, (attributes, says)) in ids.iter().zip(&cases) {
        rig.wait_state(*id, "attention required").await;
        let notes = rig.notes(*id);
        let note = notes.last().unwrap();
        assert!(note.contains(says), "{attributes}: {note}");
        assert!(
            !note.contains('\u{202E}'),
            "no disguising character reaches the ticket: {note}"
        );
    }
    assert!(rig.cards().is_empty());
    assert_eq!(
        rig.world.device_interface("GigabitEthernet1/0/5").await,
        before
    );
    bot.stop().await;
}

/// The switch takes the change but silently drops the MTU (the simulator's `ignore-leaf` fault):
/// the read-back catches it, and the ticket asks for attention with what the device did.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_the_device_does_not_keep_asks_for_attention() {
    let rig = Rig::start().await;
    let bot = rig.start_bot();
    let (id, _) = rig.ticket(json!({}));
    let card = rig.wait_approval_card().await;
    let fault = reqwest::Client::new()
        .post(format!(
            "http://{}/_sim/fault",
            rig.world.device.sim.restconf_addr
        ))
        .json(&json!({"kind": "ignore-leaf", "leaf": "mtu"}))
        .send()
        .await
        .unwrap();
    assert!(fault.status().is_success());
    rig.press(APPROVER, &card, 0, "");
    rig.wait_state(id, "attention required").await;
    let notes = rig.notes(id);
    let note = notes.last().unwrap();
    assert!(note.contains("could not be applied"), "{note}");
    assert!(
        note.to_lowercase().contains("mtu"),
        "the device's words: {note}"
    );
    rig.wait_answer("failed; the ticket needs attention").await;
    bot.stop().await;
}

/// An address on the ticket: NetBox gets it assigned to the interface (created, as none exists),
/// the switch gets it configured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_on_the_ticket_is_assigned_in_netbox_and_configured() {
    let rig = Rig::start().await;
    let bot = rig.start_bot();
    let (id, _) = rig.ticket(json!({
        "network_interface_name": "GigabitEthernet1/0/6",
        "network_interface_ip4_address": "10.9.9.1/24",
        "network_switchport_mode_and_vlan": "::",
    }));
    let card = rig.wait_approval_card().await;
    assert!(card.1.to_string().contains("10.9.9.1/24"), "{}", card.1);
    rig.press(APPROVER, &card, 0, "");
    rig.wait_state(id, "closed").await;
    let device = rig.world.device_interface("GigabitEthernet1/0/6").await;
    assert!(
        device.ipv4.iter().any(|a| a.address == "10.9.9.1"),
        "{device:?}"
    );
    let nb = rig.netbox_interface("GigabitEthernet1/0/6").await;
    let addresses: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/ipam/ip-addresses/?interface_id={}",
            rig.netbox_url, nb["id"]
        ))
        .header("Authorization", rig.backend.person_auth.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        addresses["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["address"] == "10.9.9.1/24"),
        "{addresses}"
    );
    bot.stop().await;
}
