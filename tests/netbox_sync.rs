//! Workflow W2 through `NetboxSync::handle`, with in-process simulators: NetBox (the source of
//! truth a person edits), the Catalyst 9300 over NETCONF (reached through a devices file that
//! points NetBox's `c9300` at it) and Webex (where the messages go, PATCHPANEL_NOTIFY = an email).

mod device_sim_fixture;

use device_sim_fixture::SimDevice;
use patchpanel::config::{NetboxSyncSettings, ProtectedInterfaces};
use patchpanel::device::apply::Applier;
use patchpanel::devices::DeviceDirectory;
use patchpanel::netbox::{Candidate, CandidateSource, Handled, NetboxClient, NetboxConfig};
use patchpanel::secret::Secret;
use patchpanel::sim::device::model::IfKind;
use patchpanel::sim::netbox::{self as nbsim, NetboxSimConfig, RunningNetboxSim};
use patchpanel::sim::webex::{self as wxsim, RunningWebexSim, SayRequest, WebexSimConfig};
use patchpanel::store::Store;
use patchpanel::webex::{WebexConfig, WebexRest};
use patchpanel::workflow::messages::escape;
use patchpanel::workflow::{NetboxSync, Notifier, JOB_KIND};
use serde_json::{json, Value};
use tokio_util::sync::{CancellationToken, DropGuard};

const ENGINEER: &str = "engineer@example.com";
const NB_TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";
const READ_ONLY_TOKEN: &str = "fedcba9876543210fedcba9876543210fedcba98";

struct Rig {
    netbox: RunningNetboxSim,
    webex: RunningWebexSim,
    device: SimDevice,
    store: Store,
    sync: NetboxSync,
    _shutdown: DropGuard,
}

fn client(nb: &RunningNetboxSim, token: &str) -> NetboxClient {
    NetboxClient::new(&NetboxConfig::new(nb.base_url.clone(), Secret::new(token))).unwrap()
}

impl Rig {
    async fn start(protected: &str) -> Rig {
        let shutdown = CancellationToken::new();
        let netbox = nbsim::start(NetboxSimConfig::default(), shutdown.clone())
            .await
            .unwrap();
        let webex = wxsim::start(WebexSimConfig::default(), shutdown.clone())
            .await
            .unwrap();
        let device = SimDevice::start().await;
        let store = Store::open_in_memory().unwrap();
        let mut rig = Rig {
            sync: NetboxSync::new(
                client(&netbox, NB_TOKEN),
                DeviceDirectory::default(),
                Applier::new(Default::default(), device.settings()).unwrap(),
                store.clone(),
                Notifier::new(None, None),
                NetboxSyncSettings::default(),
            ),
            netbox,
            webex,
            device,
            store,
            _shutdown: shutdown.drop_guard(),
        };
        rig.sync = rig.handler(NB_TOKEN, protected);
        rig
    }

    /// A handler like the app builds it, talking to NetBox with `token`.
    fn handler(&self, token: &str, protected: &str) -> NetboxSync {
        let nb = client(&self.netbox, token);
        let inventory = self.device.netconf_inventory("c9300");
        let rest = WebexRest::new(&WebexConfig {
            api_url: self.webex.api_url(),
            u2c_url: self.webex.u2c_url(),
            token: Secret::new("bot-token"),
            device_name: "patchpanel-test".into(),
        })
        .unwrap();
        NetboxSync::new(
            nb.clone(),
            DeviceDirectory::new(Some(inventory.clone()), Some(nb)),
            Applier::new(inventory, self.device.settings()).unwrap(),
            self.store.clone(),
            Notifier::new(Some(rest), Some(ENGINEER.into())),
            NetboxSyncSettings {
                protected: ProtectedInterfaces::parse(protected).unwrap(),
                ..NetboxSyncSettings::default()
            },
        )
    }

    /// A person edits an interface in NetBox; returns the candidate the poller would offer.
    fn edit(&self, interface: &str, fields: Value) -> Candidate {
        let after = self
            .netbox
            .edit_interface("c9300", interface, fields, "alice")
            .unwrap();
        let change_id = self.netbox.object_changes().last().unwrap()["id"]
            .as_u64()
            .unwrap();
        Candidate {
            interface_id: after["id"].as_u64().unwrap(),
            ticket: after["custom_fields"]["change_ticket_number"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            source: CandidateSource::ChangeLog { change_id },
        }
    }

    fn ticket(&self, interface: &str) -> Value {
        self.netbox.interface("c9300", interface).unwrap()["custom_fields"]["change_ticket_number"]
            .clone()
    }

    /// The running configuration of a GigabitEthernet port (`1/0/2`) on the simulated switch.
    fn port(&self, number: &str) -> patchpanel::sim::device::model::Interface {
        self.device
            .sim
            .running_config()
            .interfaces
            .into_iter()
            .find(|i| i.kind == IfKind::GigabitEthernet && i.name == number)
            .unwrap()
    }

    /// Every message the bot sent, as markdown, oldest first.
    fn messages(&self) -> Vec<String> {
        self.webex
            .messages()
            .into_iter()
            .map(|m| m.markdown.unwrap_or(m.text))
            .collect()
    }
}

fn assert_messages(got: &[String], starts: &[&str]) {
    assert_eq!(got.len(), starts.len(), "{got:#?}");
    for (m, s) in got.iter().zip(starts) {
        assert!(m.starts_with(s), "expected {s:?}, got {m:?}");
    }
}

#[tokio::test]
async fn a_ticketed_edit_reaches_the_switch_and_the_ticket_is_cleared() {
    let rig = Rig::start("").await;
    let c = rig.edit(
        "GigabitEthernet1/0/2",
        json!({"description": "Floor 2 printer", "mtu": null, "enabled": true,
               "mode": "access", "untagged_vlan": 2, "tagged_vlans": [],
               "custom_fields": {"change_ticket_number": "1234"}}),
    );
    assert_eq!(rig.sync.handle(c.clone()).await, Handled::Done);

    let port = rig.port("1/0/2");
    assert_eq!(
        port.description.as_deref(),
        Some("Floor 2 printer ##ticket:1234##")
    );
    assert!(!port.shutdown);
    assert_eq!(port.mtu, None);
    assert_eq!(rig.ticket("GigabitEthernet1/0/2"), Value::Null);

    let msgs = rig.messages();
    assert_messages(
        &msgs,
        &[
            "📥 NetBox change received",
            "✅ Valid data received",
            "🟢 Device configured for ticket **1234**",
        ],
    );
    assert!(msgs[0].contains("edited by alice"), "{}", msgs[0]);
    assert!(msgs[1].contains("access port in VLAN 20"), "{}", msgs[1]);
    assert!(
        rig.webex
            .messages()
            .iter()
            .all(|m| m.person_email == wxsim::BOT_EMAIL && m.room_type == "direct"),
        "1:1 messages to PATCHPANEL_NOTIFY"
    );

    // The clear is the bot's own, recognizable write, and the job is recorded as done.
    let last = rig.netbox.object_changes().last().unwrap().clone();
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .starts_with("patchpanel: ticket 1234 applied"),
        "{last}"
    );
    assert_eq!(
        last["postchange_data"]["custom_fields"]["change_ticket_number"],
        Value::Null
    );
    let jobs = rig.store.jobs(JOB_KIND, 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, "done");
    assert!(jobs[0].detail.contains("ticket cleared"), "{:?}", jobs[0]);

    // The same candidate again (a replayed change record, the sweep): handled once.
    assert_eq!(rig.sync.handle(c).await, Handled::Done);
    assert_eq!(rig.messages().len(), 3);
    assert_eq!(rig.store.jobs(JOB_KIND, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_edit_without_a_ticket_does_nothing() {
    let rig = Rig::start("").await;
    let before = rig.port("1/0/3");
    let c = rig.edit("GigabitEthernet1/0/3", json!({"description": "no ticket"}));
    assert_eq!(rig.sync.handle(c).await, Handled::Done);
    assert_eq!(rig.port("1/0/3"), before);
    assert!(rig.messages().is_empty());
    assert!(rig.store.jobs(JOB_KIND, 10).await.unwrap().is_empty());
}

/// An invalid edit: reported with its reasons, the switch untouched, the ticket cleared.
async fn refused(rig: &Rig, interface: &str, fields: Value, reason: &str) {
    let port = interface.trim_start_matches("GigabitEthernet").to_owned();
    let before = rig.device.sim.running_config();
    let c = rig.edit(interface, fields);
    assert_eq!(rig.sync.handle(c).await, Handled::Done);
    assert_eq!(
        rig.device.sim.running_config(),
        before,
        "{port}: device unchanged"
    );
    let msgs = rig.messages();
    let ours = &msgs[msgs.len() - 2..];
    assert_messages(
        ours,
        &["📥 NetBox change received", "❌ The NetBox change of"],
    );
    // The reason as shown: markdown-escaped.
    assert!(ours[1].contains(&escape(reason)), "{}", ours[1]);
    assert!(ours[1].ends_with("Fix it in NetBox and set the ticket number again."));
    assert_eq!(rig.ticket(interface), Value::Null);
}

#[tokio::test]
async fn invalid_edits_are_refused_with_their_reasons() {
    let rig = Rig::start("c9300:Gi1/0/1").await;
    refused(
        &rig,
        "GigabitEthernet1/0/4",
        json!({"mtu": 100, "custom_fields": {"change_ticket_number": "2001"}}),
        "MTU 100 is out of range for IOS-XE devices (1500–9198)",
    )
    .await;
    refused(
        &rig,
        "GigabitEthernet1/0/5",
        json!({"mode": "access", "untagged_vlan": 7, "tagged_vlans": [],
               "custom_fields": {"change_ticket_number": "2002"}}),
        "VLAN 999 is not defined at site lab: add it to the site in NetBox or pick one of the site's VLANs",
    )
    .await;
    refused(
        &rig,
        "GigabitEthernet1/0/1",
        json!({"description": "uplink", "custom_fields": {"change_ticket_number": "2003"}}),
        "protected on c9300 by PATCHPANEL_PROTECTED",
    )
    .await;
    refused(
        &rig,
        "Vlan1",
        json!({"description": "mgmt", "custom_fields": {"change_ticket_number": "2004"}}),
        "Vlan1 is a management interface (mgmt_only in NetBox)",
    )
    .await;
    let jobs = rig.store.jobs(JOB_KIND, 10).await.unwrap();
    assert_eq!(jobs.len(), 4);
    assert!(jobs
        .iter()
        .all(|j| j.state == "done" && j.detail.starts_with("not valid")));
}

#[tokio::test]
async fn netbox_down_means_retry_later_and_nothing_is_lost() {
    let rig = Rig::start("").await;
    let c = rig.edit(
        "GigabitEthernet1/0/6",
        json!({"description": "cam", "custom_fields": {"change_ticket_number": "3001"}}),
    );
    let before = rig.port("1/0/6");
    rig.netbox.set_down(true);
    assert!(matches!(
        rig.sync.handle(c.clone()).await,
        Handled::RetryLater { .. }
    ));
    assert_eq!(rig.port("1/0/6"), before);
    assert!(rig.messages().is_empty());

    rig.netbox.set_down(false);
    assert_eq!(rig.sync.handle(c).await, Handled::Done);
    assert_eq!(
        rig.port("1/0/6").description.as_deref(),
        Some("cam ##ticket:3001##")
    );
    assert_eq!(rig.ticket("GigabitEthernet1/0/6"), Value::Null);
    assert_eq!(rig.messages().len(), 3);
}

#[tokio::test]
async fn a_failed_clear_is_retried_alone() {
    let rig = Rig::start("").await;
    // A read-only token: everything works until the clear, which NetBox forbids.
    rig.netbox.add_token(READ_ONLY_TOKEN, "bot", false);
    let read_only = rig.handler(READ_ONLY_TOKEN, "");
    let c = rig.edit(
        "GigabitEthernet1/0/7",
        json!({"description": "ap", "custom_fields": {"change_ticket_number": "4001"}}),
    );
    assert!(matches!(
        read_only.handle(c.clone()).await,
        Handled::RetryLater { .. }
    ));
    assert_eq!(
        rig.port("1/0/7").description.as_deref(),
        Some("ap ##ticket:4001##")
    );
    assert_eq!(rig.ticket("GigabitEthernet1/0/7"), json!("4001"));
    assert_eq!(rig.messages().len(), 3);
    assert_eq!(
        rig.store.jobs(JOB_KIND, 1).await.unwrap()[0].state,
        "applied"
    );

    // Offered again with a token that may write: only the clear runs, no second round of messages.
    let changes = rig.netbox.object_changes().len();
    assert_eq!(rig.sync.handle(c).await, Handled::Done);
    assert_eq!(rig.ticket("GigabitEthernet1/0/7"), Value::Null);
    assert_eq!(rig.messages().len(), 3);
    assert_eq!(rig.netbox.object_changes().len(), changes + 1);
    assert_eq!(rig.store.jobs(JOB_KIND, 1).await.unwrap()[0].state, "done");
}

#[tokio::test]
async fn edits_are_pushed_as_they_are_when_handled() {
    let rig = Rig::start("").await;
    let first = rig.edit(
        "GigabitEthernet1/0/8",
        json!({"description": "one", "custom_fields": {"change_ticket_number": "5001"}}),
    );
    // Before the bot gets to it, the person edits again (the form keeps the ticket).
    let second = rig.edit("GigabitEthernet1/0/8", json!({"description": "two"}));
    assert_eq!(rig.sync.handle(first).await, Handled::Done);
    assert_eq!(rig.sync.handle(second).await, Handled::Done);
    // Both candidates re-read the live interface: one round, with the latest state.
    assert_eq!(
        rig.port("1/0/8").description.as_deref(),
        Some("two ##ticket:5001##")
    );
    assert_eq!(rig.messages().len(), 3);
    assert_eq!(rig.ticket("GigabitEthernet1/0/8"), Value::Null);

    // The clear fails (read-only token) and the person edits again, keeping the ticket: the new
    // state is a new round, pushed and then cleared; nothing is lost.
    rig.netbox.add_token(READ_ONLY_TOKEN, "bot", false);
    let read_only = rig.handler(READ_ONLY_TOKEN, "");
    let third = rig.edit(
        "GigabitEthernet1/0/8",
        json!({"description": "three", "custom_fields": {"change_ticket_number": "5002"}}),
    );
    assert!(matches!(
        read_only.handle(third.clone()).await,
        Handled::RetryLater { .. }
    ));
    let fourth = rig.edit("GigabitEthernet1/0/8", json!({"description": "four"}));
    assert_eq!(rig.sync.handle(third).await, Handled::Done);
    assert_eq!(rig.sync.handle(fourth).await, Handled::Done);
    assert_eq!(
        rig.port("1/0/8").description.as_deref(),
        Some("four ##ticket:5002##")
    );
    assert_eq!(rig.ticket("GigabitEthernet1/0/8"), Value::Null);
    assert_eq!(rig.messages().len(), 9);
    let jobs = rig.store.jobs(JOB_KIND, 10).await.unwrap();
    assert_eq!(jobs.len(), 3, "{jobs:#?}");
}

#[tokio::test]
async fn notify_posts_to_a_room_and_splits_long_text() {
    let rig = Rig::start("").await;
    let asked = rig
        .webex
        .say(SayRequest {
            from: ENGINEER.into(),
            text: "hello".into(),
            room: "netops-space".into(),
            mention: true,
            parent_id: None,
            as_bot: false,
        })
        .unwrap();
    let rest = WebexRest::new(&WebexConfig {
        api_url: rig.webex.api_url(),
        u2c_url: rig.webex.u2c_url(),
        token: Secret::new("bot-token"),
        device_name: "patchpanel-test".into(),
    })
    .unwrap();
    let long = (0..600)
        .map(|n| format!("- line {n} of a long report"))
        .collect::<Vec<_>>()
        .join("\n");
    let ids = rest.notify(&asked.room_id, &long).await.unwrap();
    assert!(ids.len() > 1, "{ids:?}");
    let posted: Vec<_> = rig
        .webex
        .messages()
        .into_iter()
        .filter(|m| ids.contains(&m.id))
        .collect();
    assert_eq!(posted.len(), ids.len());
    assert!(posted.iter().all(|m| m.room_id == asked.room_id));
    assert!(rest.notify("  ", "x").await.is_err());
}

/// The bot stopped in the middle of an apply (its job says `applying`, so "received" and
/// "configuring" were already sent): the next offer applies again (idempotent, and a lost
/// confirmed commit has rolled back by itself) and only reports the outcome.
#[tokio::test]
async fn a_job_interrupted_while_applying_resumes_without_repeating_its_messages() {
    let rig = Rig::start("").await;
    let c = rig.edit(
        "GigabitEthernet1/0/6",
        json!({"description": "resumed", "custom_fields": {"change_ticket_number": "CHG-77"}}),
    );
    let iface = rig
        .netbox
        .interface("c9300", "GigabitEthernet1/0/6")
        .unwrap();
    let key = patchpanel::workflow::netbox_sync::job_key(
        c.interface_id,
        "CHG-77",
        iface["last_updated"].as_str().unwrap(),
    );
    rig.store
        .put_job(&key, JOB_KIND, "applying", "")
        .await
        .unwrap();

    assert_eq!(rig.sync.handle(c).await, Handled::Done);
    assert_messages(
        &rig.messages(),
        &["🟢 Device configured for ticket **CHG-77**"],
    );
    assert_eq!(
        rig.port("1/0/6").description.as_deref(),
        Some("resumed ##ticket:CHG-77##")
    );
    assert_eq!(rig.ticket("GigabitEthernet1/0/6"), Value::Null);
    assert_eq!(rig.store.job(&key).await.unwrap().unwrap().state, "done");
}
