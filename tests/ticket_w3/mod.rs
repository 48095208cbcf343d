//! W3's rig, shared by the end-to-end tests (`tests/ticket_w3_sim.rs`) and the benchmark
//! (`benches/ticket_w3.rs`): the Zammad, Webex, NetBox and device simulators and the real bot, with
//! what a person does (create a ticket, press a card) and what the tests read back.

#![allow(dead_code)]

use crate::netbox_w2::{self, Backend, World};
use patchpanel_sim::netbox::{start as start_netbox, NetboxSimConfig};
use patchpanel_sim::zammad::{start as start_zammad, RunningZammadSim, ZammadSimConfig};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

pub const NETBOX_TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";
pub const APPROVER: &str = "approver@example.com";
pub const REQUESTER: &str = "network-team@local.lab";
pub const WAIT: Duration = Duration::from_secs(60);

pub struct Rig {
    pub world: World,
    pub zammad: RunningZammadSim,
    pub netbox_url: String,
    pub backend: Backend,
    _netbox: Option<patchpanel_sim::netbox::RunningNetboxSim>,
    _stop: tokio_util::sync::DropGuard,
}

impl Rig {
    /// Against the NetBox simulator.
    pub async fn start() -> Rig {
        let stop = CancellationToken::new();
        let netbox = start_netbox(
            NetboxSimConfig {
                token: Some(NETBOX_TOKEN.into()),
                ..NetboxSimConfig::default()
            },
            stop.clone(),
        )
        .await
        .unwrap();
        let backend = Backend {
            url: netbox.base_url.clone(),
            person_auth: format!("Token {NETBOX_TOKEN}"),
            bot_token: NETBOX_TOKEN.into(),
        };
        Rig::start_with(backend, Some(netbox), stop).await
    }

    /// Against `backend` (a real NetBox, say); `netbox` is kept running while the rig lives.
    pub async fn start_with(
        backend: Backend,
        netbox: Option<patchpanel_sim::netbox::RunningNetboxSim>,
        stop: CancellationToken,
    ) -> Rig {
        let world = World::start(&backend, 3600.0).await;
        let zammad = start_zammad(ZammadSimConfig::default(), stop.clone())
            .await
            .unwrap();
        Rig {
            world,
            zammad,
            netbox_url: backend.url.clone(),
            backend,
            _netbox: netbox,
            _stop: stop.drop_guard(),
        }
    }

    pub fn backend(&self) -> Backend {
        Backend {
            url: self.backend.url.clone(),
            person_auth: self.backend.person_auth.clone(),
            bot_token: self.backend.bot_token.clone(),
        }
    }

    pub fn start_bot(&self) -> netbox_w2::RunningBot {
        self.start_bot_with(&[])
    }

    pub fn start_bot_with(&self, extra: &[(&'static str, String)]) -> netbox_w2::RunningBot {
        let mut env = vec![
            ("PATCHPANEL_ALLOWED", "@example.com, @local.lab".to_owned()),
            ("ZAMMAD_URL", self.zammad.base_url.clone()),
            ("ZAMMAD_TOKEN", "bot-token".into()),
            ("ZAMMAD_POLL_SECONDS", "0.2".into()),
            (
                "PATCHPANEL_APPROVERS",
                format!("{APPROVER}, second@example.com, {REQUESTER}"),
            ),
        ];
        env.extend_from_slice(extra);
        self.world.start_bot_with(&env)
    }

    /// A ticket as the Zammad UI creates it (seed 004's attributes).
    pub fn ticket(&self, attributes: Value) -> (u64, String) {
        let mut body = json!({
            "title": "Network Change Request: Update Device Interface",
            "customer": REQUESTER,
            "ticket_type": "network_change",
            "network_device_name": "c9300",
            "network_interface_name": "GigabitEthernet1/0/5",
            "network_interface_description": "Configured from the ticket system!",
            "network_interface_enabled": true,
            "network_interface_mtu": 2000,
            "network_interface_ip4_address": "",
            "network_switchport_mode_and_vlan": "access:100:",
        });
        for (k, v) in attributes.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.zammad.create_ticket(body).unwrap()
    }

    pub fn state_of(&self, id: u64) -> String {
        self.zammad.ticket(id).unwrap()["state"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn wait_state(&self, id: u64, state: &str) {
        let start = Instant::now();
        while self.state_of(id) != state {
            assert!(
                start.elapsed() < WAIT,
                "ticket {id} is {:?}, not {state:?}; notes: {:#?}",
                self.state_of(id),
                self.notes(id)
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub fn notes(&self, id: u64) -> Vec<String> {
        self.zammad
            .articles(id)
            .iter()
            .filter(|a| a["type"] == "note")
            .map(|a| a["body"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// The bot's live card messages (the approval cards, and the outcome cards replacing them).
    pub fn cards(&self) -> Vec<(String, Value)> {
        let bot = self.world.webex.bot_person_id();
        self.world
            .webex
            .messages()
            .into_iter()
            .filter(|m| m.person_id == bot)
            .filter_map(|m| {
                let content = m.attachments.as_ref()?.first()?["content"].clone();
                Some((m.id.clone(), content))
            })
            .collect()
    }

    pub async fn wait_approval_card(&self) -> (String, Value) {
        let start = Instant::now();
        loop {
            if let Some(card) = self
                .cards()
                .into_iter()
                .find(|(_, c)| c["actions"].as_array().is_some_and(|a| !a.is_empty()))
            {
                return card;
            }
            assert!(start.elapsed() < WAIT, "no approval card was posted");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub fn press(&self, who: &str, card: &(String, Value), button: usize, reason: &str) {
        let mut inputs = card.1["actions"][button]["data"].clone();
        inputs["reason"] = json!(reason);
        self.world.webex.press(who, &card.0, inputs).unwrap();
    }

    pub async fn netbox_interface(&self, name: &str) -> Value {
        let http = reqwest::Client::new();
        let page: Value = http
            .get(format!(
                "{}/api/dcim/interfaces/?device=c9300&name={name}",
                self.netbox_url
            ))
            .header("Authorization", self.backend.person_auth.clone())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        page["results"][0].clone()
    }

    /// The bot's messages without a card (answers and notifications), oldest first.
    pub fn answers(&self) -> Vec<String> {
        let bot = self.world.webex.bot_person_id();
        self.world
            .webex
            .messages()
            .into_iter()
            .filter(|m| m.person_id == bot && m.attachments.is_none())
            .map(|m| m.markdown.unwrap_or(m.text))
            // The switch's configuration-change reports share the notification room.
            .filter(|t| !patchpanel::watch::messages::is_report(t))
            .collect()
    }

    pub async fn wait_answer(&self, says: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(a) = self.answers().into_iter().find(|a| a.contains(says)) {
                return a;
            }
            assert!(
                start.elapsed() < WAIT,
                "the bot never said {says:?}: {:#?}",
                self.answers()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// The approval flow of seed 004 on `rig`, for the simulator and a real NetBox alike: a ticket for
/// `interface` → its card → Approve → NetBox and the switch changed, the ticket closed.
pub async fn approve_conformance(rig: &Rig, interface: &str) {
    let bot = rig.start_bot();
    let (id, number) = rig.ticket(json!({"network_interface_name": interface}));
    rig.wait_state(id, "pending approval").await;
    let card = rig.wait_approval_card().await;
    let text = card.1.to_string();
    assert!(text.contains(&number), "{text}");
    assert!(text.contains(interface), "{text}");
    assert!(
        text.contains("2000"),
        "the card shows the MTU after: {text}"
    );
    assert!(
        rig.notes(id)[0].contains("pending approval"),
        "{:?}",
        rig.notes(id)
    );

    rig.press(APPROVER, &card, 0, "");
    rig.wait_state(id, "closed").await;

    let device = rig.world.device_interface(interface).await;
    assert_eq!(
        device.description.as_deref(),
        Some(format!("Configured from the ticket system! ##ticket:{number}##").as_str())
    );
    assert_eq!(device.mtu, Some(2000));
    let nb = rig.netbox_interface(interface).await;
    assert_eq!(nb["mtu"], 2000, "{nb}");
    assert_eq!(
        nb["description"], "Configured from the ticket system!",
        "{nb}"
    );
    assert_eq!(nb["mode"]["value"], "access", "{nb}");
    assert_eq!(nb["untagged_vlan"]["vid"], 100, "{nb}");
    let notes = rig.notes(id);
    assert!(
        notes.last().unwrap().contains("applied and verified"),
        "{notes:#?}"
    );
    // The approval card is gone; its outcome took its place.
    let cards = rig.cards();
    assert!(cards.iter().all(|(m, _)| *m != card.0), "{cards:#?}");
    assert!(
        cards
            .iter()
            .any(|(_, c)| c.to_string().contains("Approved")),
        "{cards:#?}"
    );
    rig.wait_answer("Approve has been recorded").await;
    bot.stop().await;
    // The change is in the tamper-evident record, and the chain holds.
    let store = patchpanel::store::Store::open(&rig.world.db_path()).unwrap();
    let entries = store.audit_entries().await.unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.kind == "w3-change" && e.body["ticket"] == json!(number)),
        "{entries:#?}"
    );
    assert!(matches!(
        store.audit_verify().await.unwrap(),
        patchpanel::store::Verified::Intact { .. }
    ));
}
