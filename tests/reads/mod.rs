//! Device reads as the chat makes them: the device resolved by the `DeviceDirectory` (here from the
//! devices file), the interface name read once into an `InterfaceName`, then `DeviceReader::vrfs_on`
//! / `interface_on` — the calls `app` makes, so the tests exercise the production path.
#![allow(dead_code)]

use patchpanel::device::{Answer, Device, DeviceError, DeviceReader, InterfaceView, Vrf};
use patchpanel::directory::{DeviceDirectory, ResolveError};
use patchpanel::iface::{InterfaceName, InterfaceNameError};

/// Why a read did not answer, by the step that refused.
#[derive(Debug)]
pub enum ReadError {
    /// The directory does not know the device.
    Resolve(ResolveError),
    /// The interface name was refused before any request.
    Name(InterfaceNameError),
    /// The device (or the way to it) failed.
    Device(DeviceError),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Resolve(e) => e.fmt(f),
            ReadError::Name(e) => e.fmt(f),
            ReadError::Device(e) => e.fmt(f),
        }
    }
}

impl ReadError {
    /// The device's error; a test failure for the other steps.
    pub fn device(self) -> DeviceError {
        match self {
            ReadError::Device(e) => e,
            other => panic!("expected a device error, got {other:?}"),
        }
    }
}

async fn resolve(reader: &DeviceReader, device: &str) -> Result<Device, ReadError> {
    DeviceDirectory::new(Some(reader.inventory().clone()), None)
        .lookup(device)
        .await
        .map(|found| found.resolved.device)
        .map_err(ReadError::Resolve)
}

pub async fn vrfs(reader: &DeviceReader, device: &str) -> Result<Answer<Vec<Vrf>>, ReadError> {
    let dev = resolve(reader, device).await?;
    reader.vrfs_on(&dev).await.map_err(ReadError::Device)
}

pub async fn interface(
    reader: &DeviceReader,
    device: &str,
    interface: &str,
) -> Result<Answer<InterfaceView>, ReadError> {
    let dev = resolve(reader, device).await?;
    let name = InterfaceName::parse(interface).map_err(ReadError::Name)?;
    reader
        .interface_on(&dev, &name)
        .await
        .map_err(ReadError::Device)
}
