//! The W2 handler's test rig: in-process simulators of NetBox (the source of truth a person edits),
//! the Catalyst 9300 over NETCONF (reached through a devices file that points NetBox's `c9300` at
//! it) and Webex (where the messages go, PATCHPANEL_NOTIFY = an email), and a `NetboxSync` on them.
#![allow(dead_code)]

use crate::device_sim_fixture::SimDevice;
use patchpanel::config::{NetboxSyncSettings, ProtectedInterfaces};
use patchpanel::device::apply::Applier;
use patchpanel::directory::DeviceDirectory;
use patchpanel::netbox::{Candidate, CandidateSource, NetboxClient, NetboxConfig};
use patchpanel::secret::Secret;
use patchpanel::store::Store;
use patchpanel::webex::{WebexConfig, WebexRest};
use patchpanel::workflow::{NetboxSync, Notifier};
use patchpanel_sim::device::model::IfKind;
use patchpanel_sim::netbox::{self as nbsim, NetboxSimConfig, RunningNetboxSim};
use patchpanel_sim::webex::{self as wxsim, RunningWebexSim, WebexSimConfig};
use serde_json::Value;
use tokio_util::sync::{CancellationToken, DropGuard};

pub const ENGINEER: &str = "engineer@example.com";
pub const NB_TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";
pub const READ_ONLY_TOKEN: &str = "fedcba9876543210fedcba9876543210fedcba98";

pub struct Rig {
    pub netbox: RunningNetboxSim,
    pub webex: RunningWebexSim,
    pub device: SimDevice,
    pub store: Store,
    pub sync: NetboxSync,
    _shutdown: DropGuard,
}

pub fn client(nb: &RunningNetboxSim, token: &str) -> NetboxClient {
    NetboxClient::new(&NetboxConfig::new(nb.base_url.clone(), Secret::new(token))).unwrap()
}

impl Rig {
    pub async fn start(protected: &str) -> Rig {
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
    pub fn handler(&self, token: &str, protected: &str) -> NetboxSync {
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
    pub fn edit(&self, interface: &str, fields: Value) -> Candidate {
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

    pub fn ticket(&self, interface: &str) -> Value {
        self.netbox.interface("c9300", interface).unwrap()["custom_fields"]["change_ticket_number"]
            .clone()
    }

    /// The running configuration of a GigabitEthernet port (`1/0/2`) on the simulated switch.
    pub fn port(&self, number: &str) -> patchpanel_sim::device::model::Interface {
        self.device
            .sim
            .running_config()
            .interfaces
            .into_iter()
            .find(|i| i.kind == IfKind::GigabitEthernet && i.name == number)
            .unwrap()
    }

    /// Every message the bot sent, as markdown, oldest first.
    pub fn messages(&self) -> Vec<String> {
        self.webex
            .messages()
            .into_iter()
            .map(|m| m.markdown.unwrap_or(m.text))
            .collect()
    }
}

pub fn assert_messages(got: &[String], starts: &[&str]) {
    assert_eq!(got.len(), starts.len(), "{got:#?}");
    for (m, s) in got.iter().zip(starts) {
        assert!(m.starts_with(s), "expected {s:?}, got {m:?}");
    }
}
