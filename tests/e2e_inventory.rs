//! End to end with NetBox as the inventory: `patchpanel sim webex`, `sim device`, `sim netbox` and
//! `patchpanel run` (NETBOX_URL/NETBOX_TOKEN set, plus a devices file that points c9300 at the device
//! simulator) as separate processes. `show iface` answers with the device's table and NetBox's intent
//! beside it, marking what differs; with NetBox down it still answers from the device.

mod common;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_iface_shows_netbox_intent_beside_the_device() {
    let dir = tempfile::tempdir().expect("tempdir");
    let webex = WebexSim::start(dir.path());
    let device = DeviceSim::start(dir.path());
    let netbox = NetboxSim::start(dir.path());
    let mut env = device_env(dir.path(), &device);
    env.extend(netbox.env());
    let _bot = start_bot(dir.path(), &webex, &env);
    let control = Control::new(&webex, dir.path());
    control.wait_connected().await;

    // A person sets the intent in NetBox: a new description and MTU, access VLAN 10 (NetBox id 1).
    netbox
        .control(
            "edit",
            json!({"device": "c9300", "interface": "GigabitEthernet1/0/2",
                   "fields": {"description": "Floor 3 printer", "mtu": 9000,
                              "mode": "access", "untagged_vlan": 1}}),
        )
        .await;
    let ask = |text: &'static str| {
        let control = &control;
        async move {
            let id = control
                .say("engineer@example.com", text, "direct", false)
                .await;
            reply_text(&control.only_reply(&id).await)
        }
    };

    let text = ask("show iface c9300 gi1/0/2").await;
    // The device's own table first (read over RESTCONF as the devices file says) …
    assert!(
        text.contains("GigabitEthernet1/0/2 (via RESTCONF)"),
        "{text}"
    );
    assert!(text.contains("| Description | Floor 2 printer |"), "{text}");
    // … then NetBox's values beside the device's, the differences marked.
    let intent = &text[text.find("NetBox intent vs device").expect("intent table")..];
    assert!(intent.contains("2 fields differ"), "{intent}");
    for row in [
        "| Description | Floor 3 printer | Floor 2 printer | ≠ |",
        "| MTU | 9000 | default | ≠ |",
        "| Admin state | enabled | enabled |  |",
        "| Mode | access | access |  |",
        "| VLANs | access 10 | access 10 |  |",
    ] {
        assert!(intent.contains(row), "missing {row} in\n{text}");
    }

    // An interface NetBox does not have (NetBox lists no loopbacks): only the device's answer.
    let text = ask("show iface c9300 lo0").await;
    assert!(text.contains("router-id"), "{text}");
    assert!(!text.contains("NetBox"), "{text}");

    // A device NetBox knows but cannot say how to reach.
    let text = ask("vrf c9300-spare").await;
    assert!(
        text.contains("c9300-spare") && text.contains("no primary IPv4"),
        "{text}"
    );

    // NetBox down: the device part still comes, with one line saying why NetBox is missing.
    netbox.control("down", json!({"seconds": 3600})).await;
    let text = ask("show iface c9300 gi1/0/2").await;
    assert!(text.contains("| Description | Floor 2 printer |"), "{text}");
    assert!(!text.contains("NetBox intent vs device"), "{text}");
    let notes: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("NetBox could not be read"))
        .collect();
    assert_eq!(notes.len(), 1, "{text}");
    assert!(notes[0].contains("unavailable"), "{text}");
}

/// Issue 8 §3: a description already on the switch (and the intent in NetBox) carrying a
/// right-to-left override. `show iface` over both protocols shows the character as `<U+202E>`; no
/// message the bot posts carries it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rlo_in_device_description_is_neutralized_in_chat() {
    let dir = tempfile::tempdir().expect("tempdir");
    let webex = WebexSim::start(dir.path());
    let device = DeviceSim::start(dir.path());
    let netbox = NetboxSim::start(dir.path());
    let mut env = device_env(dir.path(), &device);
    env.extend(netbox.env());
    let _bot = start_bot(dir.path(), &webex, &env);
    let control = Control::new(&webex, dir.path());
    control.wait_connected().await;

    // Someone configured the switch by hand; displayed, the description reads "uplink gi1/0/1".
    let on_switch = "uplink \u{202E}1/0/1ig";
    let patch = reqwest::Client::new()
        .patch(format!(
            "{}/data/Cisco-IOS-XE-native:native/interface/GigabitEthernet=1%2F0%2F2",
            device.restconf_url
        ))
        .basic_auth("admin", Some("e2e-pass"))
        .header("Content-Type", "application/yang-data+json")
        .body(
            json!({"Cisco-IOS-XE-native:GigabitEthernet": [{"name": "1/0/2", "description": on_switch}]})
                .to_string(),
        )
        .send()
        .await
        .expect("PATCH the switch");
    assert_eq!(patch.status().as_u16(), 204, "the switch takes any string");
    netbox
        .control(
            "edit",
            json!({"device": "c9300", "interface": "GigabitEthernet1/0/2",
                   "fields": {"description": "printer \u{2066}3F\u{2069}"}}),
        )
        .await;

    for (device, via) in [("c9300", "RESTCONF"), ("c9300-nc", "NETCONF")] {
        let id = control
            .say(
                "engineer@example.com",
                &format!("show iface {device} gi1/0/2"),
                "direct",
                false,
            )
            .await;
        let text = reply_text(&control.only_reply(&id).await);
        assert!(text.contains(&format!("(via {via})")), "{text}");
        assert!(
            text.contains("| Description | uplink &lt;U+202E&gt;1/0/1ig |"),
            "{text}"
        );
        if device == "c9300" {
            assert!(
                text.contains("printer &lt;U+2066&gt;3F&lt;U+2069&gt;"),
                "NetBox's intent is neutralized too: {text}"
            );
        }
    }
    for m in control.messages().await {
        let posted = reply_text(&m);
        assert!(
            !posted.chars().any(patchpanel::text_safety::is_disguising),
            "a message carries the character itself: {posted:?}"
        );
    }
}
