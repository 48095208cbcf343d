//! `netconf::NetconfSession` (`device::netconf`) as `ops::NetconfOps`, and the connector
//! that opens it from an inventory device. Only error mapping and option translation live here.

use super::ops::{
    CommitRequest, DeviceCaps, EditOpts, NcFailure, NetconfConnector, NetconfOps, Store,
};
use crate::device::inventory::Device;
use crate::device::netconf::{
    CommitOptions, ConfigPayload, Datastore, EditOptions, ErrorOption, Filter, NetconfError,
    NetconfSession, RpcError,
};
use crate::device::{DeviceError, DeviceSettings, RpcErrorInfo};
use std::time::Duration;

pub(super) struct SessionConnector;

impl NetconfConnector for SessionConnector {
    fn connect(
        &self,
        device: &Device,
        settings: &DeviceSettings,
        timeout: Duration,
    ) -> Result<Box<dyn NetconfOps>, DeviceError> {
        let opts = crate::device::connect::connect_options(device, settings, timeout);
        let session = NetconfSession::connect(&opts)
            .map_err(|e| DeviceError::from_netconf(&device.name, &opts.address(), e))?;
        let c = session.capabilities();
        let caps = DeviceCaps {
            uris: c.uris().to_vec(),
            base_1_1: c.base_1_1(),
            candidate: c.candidate(),
            confirmed_commit_1_1: c.confirmed_commit_1_1(),
            validate: c.validate(),
            rollback_on_error: c.rollback_on_error(),
            writable_running: c.writable_running(),
            startup: c.startup(),
        };
        Ok(Box::new(Adapter { session, caps }))
    }
}

struct Adapter {
    session: NetconfSession,
    caps: DeviceCaps,
}

fn datastore(s: Store) -> Datastore {
    match s {
        Store::Running => Datastore::Running,
        Store::Candidate => Datastore::Candidate,
    }
}

fn info(e: &RpcError) -> RpcErrorInfo {
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    RpcErrorInfo {
        error_type: nonempty(&e.error_type),
        tag: nonempty(&e.error_tag),
        severity: nonempty(&e.error_severity),
        app_tag: e.error_app_tag.clone(),
        path: e.readable_path().or_else(|| e.error_path.clone()),
        message: e.error_message.clone(),
        info: (!e.error_info.is_empty()).then(|| {
            e.error_info
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        }),
    }
}

fn failure(e: NetconfError) -> NcFailure {
    match e {
        NetconfError::Rpc(errors) => {
            let errors: Vec<&RpcError> = errors.iter().filter(|r| !r.is_warning()).collect();
            match errors.iter().find(|r| r.error_tag == "lock-denied") {
                Some(r) => NcFailure::LockDenied {
                    held_by: r.session_id(),
                },
                None => NcFailure::Rejected(errors.into_iter().map(info).collect()),
            }
        }
        NetconfError::LockDenied { held_by_session } => NcFailure::LockDenied {
            held_by: held_by_session,
        },
        NetconfError::ConnectionLost { during } => NcFailure::ConnectionLost {
            during: during.to_string(),
        },
        NetconfError::SessionClosed { reason } => NcFailure::ConnectionLost { during: reason },
        NetconfError::Timeout { operation, .. } => NcFailure::Timeout {
            during: operation.to_string(),
        },
        NetconfError::Unsupported(what) => NcFailure::Unsupported(what.to_string()),
        other => NcFailure::Other(other.to_string()),
    }
}

impl NetconfOps for Adapter {
    fn caps(&self) -> &DeviceCaps {
        &self.caps
    }

    fn get_config(&mut self, source: Store, filter: &[u8]) -> Result<Vec<u8>, NcFailure> {
        self.session
            .get_config(datastore(source), Some(&Filter::subtree(filter.to_vec())))
            .map(|d| d.xml)
            .map_err(failure)
    }

    fn edit_config(
        &mut self,
        target: Store,
        config: &[u8],
        opts: EditOpts,
    ) -> Result<(), NcFailure> {
        let options = EditOptions {
            error_option: opts
                .rollback_on_error
                .then_some(ErrorOption::RollbackOnError),
            ..EditOptions::default()
        };
        self.session
            .edit_config(
                datastore(target),
                &ConfigPayload::from_xml(config.to_vec()),
                &options,
            )
            .map_err(failure)
    }

    fn lock(&mut self, target: Store) -> Result<(), NcFailure> {
        self.session.lock(datastore(target)).map_err(failure)
    }

    fn unlock(&mut self, target: Store) -> Result<(), NcFailure> {
        self.session.unlock(datastore(target)).map_err(failure)
    }

    fn validate(&mut self, source: Store) -> Result<(), NcFailure> {
        self.session.validate(datastore(source)).map_err(failure)
    }

    fn commit(&mut self, request: &CommitRequest) -> Result<(), NcFailure> {
        let opts = match request {
            CommitRequest::Plain => CommitOptions::default(),
            CommitRequest::Confirmed {
                timeout_secs,
                persist,
            } => CommitOptions::confirmed_persistent(*timeout_secs, persist.clone()),
            CommitRequest::Confirm { persist_id } => CommitOptions::confirming(persist_id.clone()),
        };
        self.session.commit(&opts).map_err(failure)
    }

    fn cancel_commit(&mut self, persist_id: &str) -> Result<(), NcFailure> {
        self.session
            .cancel_commit(Some(persist_id))
            .map_err(failure)
    }

    fn discard_changes(&mut self) -> Result<(), NcFailure> {
        self.session.discard_changes().map_err(failure)
    }

    fn save_config(&mut self) -> Result<(), NcFailure> {
        self.session.save_config().map_err(failure)
    }

    fn close(self: Box<Self>) {
        self.session.close();
    }
}
