//! `DeviceReader`: looks the device up, picks the protocol (RESTCONF when `restconf_url` is set, else
//! NETCONF), runs the read (NETCONF on a blocking thread), and renders the answer.

use super::error::DeviceError;
use super::inventory::{Device, Inventory};
use super::model::{Answer, InterfaceName, InterfaceView, Protocol, Vrf};
use super::netconf::{ConnectOptions, NetconfSession};
use super::netconf_read;
use super::pool::{PoolConfig, SessionPool};
use super::restconf::Restconf;
use super::tree::Node;
use super::DeviceSettings;
use std::sync::Arc;
use std::time::Duration;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone)]
pub struct DeviceReader {
    inventory: Arc<Inventory>,
    settings: Arc<DeviceSettings>,
    restconf: Restconf,
    timeout: Duration,
    pool: SessionPool,
}

/// How to reach one device.
enum Route<'a> {
    Restconf(&'a str),
    Netconf,
}

impl DeviceReader {
    pub fn new(inventory: Inventory, settings: DeviceSettings) -> Result<Self, DeviceError> {
        let restconf = Restconf::new(&settings, DEFAULT_TIMEOUT)?;
        Ok(DeviceReader {
            inventory: Arc::new(inventory),
            settings: Arc::new(settings),
            restconf,
            timeout: DEFAULT_TIMEOUT,
            pool: SessionPool::new(PoolConfig::default()),
        })
    }

    /// Replaces the NETCONF session pool (limits for a large fan-out, say).
    pub fn with_pool(mut self, config: PoolConfig) -> Self {
        self.pool = SessionPool::new(config);
        self
    }

    /// Sets the bound for each RESTCONF request and each NETCONF connect/operation.
    pub fn with_timeout(mut self, timeout: Duration) -> Result<Self, DeviceError> {
        self.restconf = Restconf::new(&self.settings, timeout)?;
        self.timeout = timeout;
        Ok(self)
    }

    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    fn route<'a>(&self, device: &'a Device) -> Route<'a> {
        match &device.restconf_url {
            Some(url) => Route::Restconf(url),
            None => Route::Netconf,
        }
    }

    fn connect_options(&self, device: &Device) -> Result<ConnectOptions, DeviceError> {
        if self
            .settings
            .username
            .as_deref()
            .filter(|u| !u.is_empty())
            .is_none()
            && self.settings.known_hosts.is_some()
        {
            return Err(DeviceError::Config(
                "DEVICE_USERNAME is not set; NETCONF needs a username".into(),
            ));
        }
        Ok(crate::device::connect::connect_options(
            device,
            &self.settings,
            self.timeout,
        ))
    }

    /// Runs a read on a pooled NETCONF session (reused across commands; bounded in flight).
    async fn pooled<T: Send + 'static>(
        &self,
        device: &Device,
        opts: ConnectOptions,
        read: impl FnOnce(&mut NetconfSession, &str) -> Result<T, DeviceError> + Send + 'static,
    ) -> Result<T, DeviceError> {
        let address = opts.address();
        let in_op = address.clone();
        self.pool
            .run(&device.name, opts, move |s| read(s, &in_op))
            .await
            .map_err(|e| DeviceError::from_netconf(&device.name, &address, e))?
    }

    /// The pool NETCONF reads use (shared by clones of this reader).
    pub fn pool(&self) -> &SessionPool {
        &self.pool
    }

    /// The VRFs of a device (resolved by the `DeviceDirectory`, as the chat does).
    pub async fn vrfs_on(&self, dev: &Device) -> Result<Answer<Vec<Vrf>>, DeviceError> {
        let dev = dev.clone();
        let (protocol, data) = match self.route(&dev) {
            Route::Restconf(url) => (Protocol::Restconf, self.restconf.vrfs(&dev, url).await?),
            Route::Netconf => {
                let opts = self.connect_options(&dev)?;
                let d = dev.clone();
                let data = self
                    .pooled(&dev, opts, move |s, address| {
                        netconf_read::read_vrfs(&d, address, s)
                    })
                    .await?;
                (Protocol::Netconf, data)
            }
        };
        tracing::info!(device = %dev.name, %protocol, vrfs = data.len(), "read VRFs");
        Ok(Answer {
            device: dev.name,
            protocol,
            data,
        })
    }

    /// The device's configuration as the configuration-change notifier snapshots it (the whole
    /// native model, or `interfaces` for the ietf profile), as one data tree.
    pub async fn running_config_on(&self, dev: &Device) -> Result<Answer<Node>, DeviceError> {
        let (protocol, data) = match self.route(dev) {
            Route::Restconf(url) => (
                Protocol::Restconf,
                self.restconf.running_config(dev, url).await?,
            ),
            Route::Netconf => {
                let opts = self.connect_options(dev)?;
                let d = dev.clone();
                let data = self
                    .pooled(dev, opts, move |s, address| {
                        netconf_read::read_running_config(&d, address, s)
                    })
                    .await?;
                (Protocol::Netconf, data)
            }
        };
        tracing::debug!(device = %dev.name, %protocol, "read the running configuration");
        Ok(Answer {
            device: dev.name.clone(),
            protocol,
            data,
        })
    }

    /// One interface of a device (resolved by the `DeviceDirectory`, as the chat does).
    pub async fn interface_on(
        &self,
        dev: &Device,
        name: &InterfaceName,
    ) -> Result<Answer<InterfaceView>, DeviceError> {
        let dev = dev.clone();
        let (protocol, data) = match self.route(&dev) {
            Route::Restconf(url) => (
                Protocol::Restconf,
                self.restconf.interface(&dev, url, name).await?,
            ),
            Route::Netconf => {
                let opts = self.connect_options(&dev)?;
                let d = dev.clone();
                let n = name.clone();
                let data = self
                    .pooled(&dev, opts, move |s, address| {
                        netconf_read::read_interface(&d, address, s, &n)
                    })
                    .await?;
                (Protocol::Netconf, data)
            }
        };
        tracing::info!(device = %dev.name, %protocol, interface = %name, "read interface");
        Ok(Answer {
            device: dev.name,
            protocol,
            data,
        })
    }
}
