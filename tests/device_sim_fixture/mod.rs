//! One simulated Catalyst 9300 for a test: the device simulator on 127.0.0.1 ports with credentials,
//! a known_hosts file that trusts it, and the options / inventory / settings to reach it. Stops when
//! dropped. Use from a test file with `mod device_sim_fixture;`.
#![allow(dead_code)]

use patchpanel::device::netconf::ConnectOptions;
use patchpanel::device::{DeviceSettings, Inventory};
use patchpanel::secret::Secret;
use patchpanel_sim::device::{
    start_with, DatastoreMode, DeviceSimConfig, DeviceSimOptions, RunningDeviceSim,
};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub const USER: &str = "netops";
pub const PASSWORD: &str = "fixture-s3cret";

pub struct SimDevice {
    pub sim: RunningDeviceSim,
    pub known_hosts: tempfile::NamedTempFile,
    _shutdown: tokio_util::sync::DropGuard,
}

impl SimDevice {
    /// A candidate-capable device offering base:1.1.
    pub async fn start() -> SimDevice {
        SimDevice::start_in(DatastoreMode::default()).await
    }

    pub async fn start_in(mode: DatastoreMode) -> SimDevice {
        let shutdown = CancellationToken::new();
        let sim = start_with(
            DeviceSimConfig {
                restconf_listen: "127.0.0.1:0".parse().unwrap(),
                netconf_listen: "127.0.0.1:0".parse().unwrap(),
                hostname: "c9300".into(),
                credentials: Some((USER.into(), Secret::new(PASSWORD))),
                host_key_path: None,
                base_1_1: true,
            },
            DeviceSimOptions {
                mode,
                ..Default::default()
            },
            shutdown.clone(),
        )
        .await
        .unwrap();
        let known_hosts = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(known_hosts.path(), format!("{}\n", sim.known_hosts_line())).unwrap();
        SimDevice {
            sim,
            known_hosts,
            _shutdown: shutdown.drop_guard(),
        }
    }

    /// NETCONF connect options that trust this device (10 s bounds: a safety net, not a wait).
    pub fn options(&self) -> ConnectOptions {
        let addr = self.sim.netconf_addr;
        ConnectOptions {
            password: Some(Secret::new(PASSWORD)),
            known_hosts: Some(self.known_hosts.path().to_path_buf()),
            connect_timeout: Duration::from_secs(10),
            rpc_timeout: Duration::from_secs(10),
            ..ConnectOptions::new(addr.ip().to_string(), addr.port(), USER)
        }
    }

    /// An inventory with this device as `name`, over NETCONF.
    pub fn netconf_inventory(&self, name: &str) -> Inventory {
        Inventory::from_toml_str(&format!(
            "[[device]]\nname = \"{name}\"\nhost = \"127.0.0.1\"\nnetconf_port = {}\n",
            self.sim.netconf_addr.port()
        ))
        .unwrap()
    }

    /// An inventory with this device as `name`, over RESTCONF (IOS-XE profile).
    pub fn restconf_inventory(&self, name: &str) -> Inventory {
        Inventory::from_toml_str(&format!(
            "[[device]]\nname = \"{name}\"\nhost = \"127.0.0.1\"\nrestconf_url = \"{}\"\nprofile = \"iosxe\"\n",
            self.sim.restconf_url
        ))
        .unwrap()
    }

    /// Device settings with the credentials and the trusting known_hosts file.
    pub fn settings(&self) -> DeviceSettings {
        DeviceSettings {
            username: Some(USER.into()),
            password: Some(Secret::new(PASSWORD)),
            known_hosts: Some(self.known_hosts.path().to_path_buf()),
            ..DeviceSettings::default()
        }
    }
}
