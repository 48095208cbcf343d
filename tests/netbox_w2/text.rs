//! Issue 8 §3 on W2, one body for a real NetBox and the simulator: a NetBox description carrying a
//! character that can disguise text (here the right-to-left override) never reaches the switch. The
//! bot says which character and where, every message it posts shows the character visibly instead
//! of carrying it, and the ticket number is cleared as after any other refusal.

use crate::netbox_w2::{wait_cleared, Backend, Person, World};
use patchpanel::text_safety::is_disguising;
use serde_json::json;

/// Tests of one binary that edit the same real NetBox take turns: every bot polls the whole change
/// log, so two worlds running at once would each see the other's edits. (The simulator binary
/// starts one NetBox per test and has no use for it.)
#[allow(dead_code)]
pub static ONE_WORLD_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub async fn rlo_in_netbox_description_is_refused_before_the_device(backend: &Backend) {
    let person = Person::new(backend);
    let world = World::start(backend, 0.2).await;
    let bot = world.start_bot();
    world.wait_cursor(0).await;

    let name = "GigabitEthernet1/0/12";
    let id = person.interface_id(name).await;
    let before = world.device_interface(name).await;
    // Displayed, this reads "Printer floor 3F": the override reverses what follows it.
    let description = "Printer\u{202E}F3 roolf";
    let saved = person
        .edit(
            id,
            json!({"description": description,
                   "custom_fields": {"change_ticket_number": "CHG-3001"}}),
        )
        .await;
    // NetBox itself stores the character as given: the bot is the one that must refuse it.
    assert_eq!(saved["description"], description, "{saved}");

    let all = world.wait_messages(2).await;
    wait_cleared(&person, id).await;
    let text = all.join("\n---\n");
    assert!(all[1].contains("is not valid; nothing was sent"), "{text}");
    assert!(
        text.contains(
            "character 8 is U+202E RIGHT-TO-LEFT OVERRIDE, which can disguise text; remove it from the description in NetBox"
        ),
        "{text}"
    );
    assert!(text.contains("CHG-3001"), "{text}");
    assert!(
        !text.chars().any(is_disguising),
        "a posted message carries the character itself: {text:?}"
    );
    assert_eq!(
        world.device_interface(name).await,
        before,
        "the switch is untouched"
    );
    bot.stop().await;
}
