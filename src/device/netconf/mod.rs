//! NETCONF over SSH (RFC 6241/6242): sans-IO `framing`, XML building/parsing in `rpc`, and the blocking
//! `ssh2` session in `transport`. The read functions here are blocking: run them on `spawn_blocking`.

pub mod framing;
pub mod rpc;
pub mod transport;

use super::error::DeviceError;
use super::extract;
use super::inventory::{Device, Profile};
use super::model::{InterfaceName, InterfaceState, InterfaceView, Vrf};
use super::restconf::{no_vrf_model, not_native_name};
use super::tree::Node;
use rpc::{Filter, Operation, Reply, IETF_IF_NS, NATIVE_NS};
use transport::{Session, SshConfig};

/// The profile from the inventory, else from the modules the server hello advertises.
fn profile(device: &Device, session: &Session) -> Profile {
    device.profile.unwrap_or_else(|| {
        if !session.hello.has_module(NATIVE_NS) && session.hello.has_module(IETF_IF_NS) {
            Profile::Ietf
        } else {
            Profile::Iosxe
        }
    })
}

fn data(reply: Reply) -> Node {
    match reply {
        Reply::Data(d) => d,
        Reply::Ok => Node::new("data"),
    }
}

/// Runs `f` on a fresh session and always closes it (close-session is skipped if the stream broke).
fn with_session<T>(
    device: &Device,
    port: u16,
    cfg: &SshConfig,
    f: impl FnOnce(&mut Session) -> Result<T, DeviceError>,
) -> Result<T, DeviceError> {
    let mut session = Session::connect(device, port, cfg)?;
    let result = f(&mut session);
    session.close();
    result
}

pub fn read_vrfs(device: &Device, port: u16, cfg: &SshConfig) -> Result<Vec<Vrf>, DeviceError> {
    with_session(device, port, cfg, |s| {
        if profile(device, s) == Profile::Ietf {
            return Err(no_vrf_model(device));
        }
        let d = data(s.read(Operation::GetConfig, &Filter::NativeVrfs)?);
        let defs = d
            .children_named("native")
            .filter_map(|n| n.child("vrf"))
            .flat_map(|v| v.children_named("definition"));
        Ok(extract::native_vrfs(defs))
    })
}

pub fn read_interface(
    device: &Device,
    port: u16,
    cfg: &SshConfig,
    name: &InterfaceName,
) -> Result<InterfaceView, DeviceError> {
    let missing = || DeviceError::NoSuchInterface {
        device: device.name.clone(),
        interface: name.full.clone(),
    };
    with_session(device, port, cfg, |s| match profile(device, s) {
        Profile::Iosxe => {
            let (kind, number) = name.native.as_ref().ok_or_else(|| not_native_name(name))?;
            let filter = Filter::NativeInterface {
                kind: kind.clone(),
                number: number.clone(),
            };
            let d = data(s.read(Operation::GetConfig, &filter)?);
            let entries = d
                .children_named("native")
                .filter_map(|n| n.child("interface"))
                .flat_map(|i| i.children_named(kind));
            let entry = extract::find_entry(entries, number).ok_or_else(missing)?;
            let config = extract::native_interface(entry, &name.full);
            Ok(InterfaceView {
                config,
                state: state(s, &name.full),
            })
        }
        Profile::Ietf => {
            let filter = Filter::IetfInterface {
                name: name.full.clone(),
            };
            let d = data(s.read(Operation::GetConfig, &filter)?);
            let entries = d
                .children_named("interfaces")
                .flat_map(|i| i.children_named("interface"));
            let entry = extract::find_entry(entries, &name.full).ok_or_else(missing)?;
            let config = extract::ietf_interface(entry, &name.full);
            Ok(InterfaceView {
                config,
                state: state(s, &name.full),
            })
        }
    })
}

/// Best effort `<get>` of ietf-interfaces state; any failure means "unknown".
fn state(s: &mut Session, full: &str) -> Option<InterfaceState> {
    let filter = Filter::IetfInterfaceState {
        name: full.to_string(),
    };
    match s.read(Operation::Get, &filter) {
        Ok(reply) => {
            let d = data(reply);
            let entries = d
                .children_named("interfaces-state")
                .flat_map(|i| i.children_named("interface"));
            extract::find_entry(entries, full).and_then(extract::ietf_state)
        }
        Err(e) => {
            tracing::debug!(error = %e, "no interface state over NETCONF");
            None
        }
    }
}
