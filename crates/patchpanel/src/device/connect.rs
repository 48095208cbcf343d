//! How the device layer reaches a device over NETCONF: its inventory entry and the settings made
//! into the `netconf` layer's `ConnectOptions` (kept here so `netconf/` knows nothing of the
//! inventory).

use super::inventory::Device;
use super::netconf::options::NETCONF_PORT;
use super::netconf::{ConnectOptions, HostKeyPolicy};
use super::DeviceSettings;
use std::time::Duration;

/// How to open a NETCONF session to an inventory device: its host and NETCONF port (else the settings' default, else 830),
/// the settings' credentials and known_hosts, and `timeout` for both connect and each RPC.
pub fn connect_options(
    device: &Device,
    settings: &DeviceSettings,
    timeout: Duration,
) -> ConnectOptions {
    let port = device.netconf_port_or(settings.default_netconf_port);
    ConnectOptions {
        password: settings.password.clone(),
        ssh_key: settings.ssh_key.clone(),
        known_hosts: settings.known_hosts.clone(),
        host_key_policy: if settings.accept_new_host_keys {
            HostKeyPolicy::AcceptNew
        } else {
            HostKeyPolicy::Strict
        },
        connect_timeout: timeout,
        rpc_timeout: timeout,
        ..ConnectOptions::new(
            device.host.clone(),
            if port == 0 { NETCONF_PORT } else { port },
            settings.username.clone().unwrap_or_default(),
        )
    }
}
