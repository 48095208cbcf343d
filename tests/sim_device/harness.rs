//! Shared setup for the simulator's edit and fault tests: a simulator per test in a chosen datastore
//! mode, NETCONF sessions over the real wire (ssh2), rpc builders and a bounded poll.
// Each test binary that includes this module uses a different part of it.
#![allow(dead_code)]

use super::nc_client::{ssh_session, Nc};
use patchpanel_sim::device::{
    start_with, DatastoreMode, DeviceSimConfig, DeviceSimOptions, RunningDeviceSim,
};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

pub struct Sim {
    pub running: RunningDeviceSim,
    pub shutdown: CancellationToken,
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn sim(mode: DatastoreMode) -> Sim {
    let shutdown = CancellationToken::new();
    let cfg = DeviceSimConfig {
        restconf_listen: "127.0.0.1:0".parse().unwrap(),
        netconf_listen: "127.0.0.1:0".parse().unwrap(),
        hostname: "c9300".into(),
        credentials: None,
        host_key_path: None,
        base_1_1: true,
    };
    let running = start_with(
        cfg,
        DeviceSimOptions {
            mode,
            ..Default::default()
        },
        shutdown.clone(),
    )
    .await
    .unwrap();
    Sim { running, shutdown }
}

/// A NETCONF session after the hello exchange (chunked framing when `offer_11`).
pub fn session(addr: SocketAddr, offer_11: bool) -> (Nc, String) {
    let sess = ssh_session(addr);
    sess.userauth_password("netops", "any").unwrap();
    let mut nc = Nc::open(sess);
    let hello = nc.hello(offer_11);
    (nc, hello)
}

pub fn session_id(hello: &str) -> u32 {
    let start = hello.find("<session-id>").unwrap() + "<session-id>".len();
    let end = hello[start..].find('<').unwrap() + start;
    hello[start..end].parse().unwrap()
}

pub fn rpc(id: u32, op: &str) -> String {
    format!(r#"<rpc message-id="{id}" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">{op}</rpc>"#)
}

pub const NATIVE: &str = "http://cisco.com/ns/yang/Cisco-IOS-XE-native";
pub const SWITCH: &str = "http://cisco.com/ns/yang/Cisco-IOS-XE-switch";

/// `<edit-config>` of one GigabitEthernet entry.
pub fn edit_gi(target: &str, options: &str, name: &str, inner: &str) -> String {
    format!(
        r#"<edit-config><target><{target}/></target>{options}<config><native xmlns="{NATIVE}"><interface><GigabitEthernet><name>{name}</name>{inner}</GigabitEthernet></interface></native></config></edit-config>"#
    )
}

/// `<get-config>` of one GigabitEthernet entry.
pub fn get_gi(source: &str, name: &str) -> String {
    format!(
        r#"<get-config><source><{source}/></source><filter type="subtree"><native xmlns="{NATIVE}"><interface><GigabitEthernet><name>{name}</name></GigabitEthernet></interface></native></filter></get-config>"#
    )
}

pub fn ok(reply: &str) -> bool {
    reply.contains("<ok/>") && !reply.contains("<rpc-error>")
}

/// The text of the first `<tag>` in `xml`.
pub fn text_of<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find('<')? + start;
    Some(&xml[start..end])
}

/// Poll `cond` every 50 ms for at most 20 s; the result of the last check.
pub fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The description of GigabitEthernet `name` in the simulator's running config.
pub fn running_description(sim: &RunningDeviceSim, name: &str) -> Option<String> {
    sim.running_config()
        .interfaces
        .iter()
        .find(|i| {
            i.kind == patchpanel_sim::device::model::IfKind::GigabitEthernet && i.name == name
        })
        .and_then(|i| i.description.clone())
}
