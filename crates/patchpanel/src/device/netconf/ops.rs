//! Operations layer: the typed RPCs of RFC 6241 (plus IOS-XE's save-config and RFC 5277's
//! create-subscription) on [`NetconfSession`]. Each checks the server's capabilities first
//! (`Unsupported` names the missing one), then sends the request through the session (deadline and reply bound included) and judges the reply: errors
//! become `Rpc` (or `LockDenied`), warnings are logged and kept in `NetconfSession::warnings`.

use super::capabilities::CISCO_IA_NS;
use super::error::{NetconfError, OperationError};
use super::reply::ParsedReply;
use super::rpc::{
    CommitOptions, ConfigPayload, Datastore, EditOptions, ErrorOption, Filter, Operation,
    TestOption, BASE_NS,
};
use super::session::NetconfSession;
use crate::device::tree::{from_xml, Node};

/// The `<data>` element of a get / get-config reply, as a standalone XML document (namespaces in
/// scope on the reply are declared on it). An empty result is `<data xmlns="…base:1.0"/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataReply {
    pub xml: Vec<u8>,
}

impl DataReply {
    /// Parses the data into the device layer's generic tree (root: `data`).
    pub fn tree(&self) -> Result<Node, crate::device::tree::XmlError> {
        from_xml(&self.xml)
    }

    fn empty() -> DataReply {
        DataReply {
            xml: format!("<data xmlns=\"{BASE_NS}\"/>").into_bytes(),
        }
    }
}

type OpResult<T> = Result<T, NetconfError>;

impl NetconfSession {
    fn need(&self, ok: bool, what: &'static str) -> Result<(), OperationError> {
        if ok {
            Ok(())
        } else {
            Err(OperationError::Unsupported(what))
        }
    }

    fn need_datastore(&self, ds: Datastore) -> Result<(), OperationError> {
        let c = self.capabilities();
        match ds {
            Datastore::Running => Ok(()),
            Datastore::Candidate => {
                self.need(c.candidate(), "the candidate datastore (:candidate)")
            }
            Datastore::Startup => self.need(c.startup(), "the startup datastore (:startup)"),
        }
    }

    fn need_filter(&self, filter: Option<&Filter>) -> Result<(), OperationError> {
        match filter {
            Some(f) if f.is_xpath() => {
                self.need(self.capabilities().xpath(), "XPath filters (:xpath)")
            }
            _ => Ok(()),
        }
    }

    /// Splits warnings from errors; errors fail the operation.
    fn judge(&mut self, operation: &'static str, mut reply: ParsedReply) -> OpResult<ParsedReply> {
        let (warnings, errors): (Vec<_>, Vec<_>) = std::mem::take(&mut reply.errors)
            .into_iter()
            .partition(|e| e.is_warning());
        for w in &warnings {
            tracing::warn!(operation, warning = %w, "the device answered with a warning");
        }
        self.set_warnings(warnings);
        if errors.is_empty() {
            return Ok(reply);
        }
        if let Some(lock) = errors.iter().find(|e| e.error_tag == "lock-denied") {
            return Err(NetconfError::LockDenied {
                held_by_session: lock.session_id(),
            });
        }
        Err(NetconfError::Rpc(errors))
    }

    /// Success is `<ok/>`, a warnings-only reply without `<ok/>` (RFC 6241 §4.3), or an RPC's
    /// output (IOS-XE answers save-config with `<result>`).
    fn expect_ok(&mut self, op: &Operation<'_>) -> OpResult<()> {
        let name = op.name();
        let reply = self.exchange(op)?;
        let reply = self.judge(name, reply)?;
        if !reply.ok && reply.other.is_empty() && self.warnings().is_empty() {
            tracing::debug!(operation = name, "reply without <ok/>; taken as success");
        }
        Ok(())
    }

    fn expect_data(&mut self, op: &Operation<'_>) -> OpResult<DataReply> {
        let reply = self.exchange(op)?;
        let reply = self.judge(op.name(), reply)?;
        Ok(reply
            .data
            .map(|xml| DataReply { xml })
            .unwrap_or_else(DataReply::empty))
    }

    /// `<get>`: configuration and state. Always filter on real devices (a full get can take minutes).
    pub fn get(&mut self, filter: Option<&Filter>) -> OpResult<DataReply> {
        self.need_filter(filter)?;
        self.expect_data(&Operation::Get { filter })
    }

    pub fn get_config(
        &mut self,
        source: Datastore,
        filter: Option<&Filter>,
    ) -> OpResult<DataReply> {
        self.need_datastore(source)?;
        self.need_filter(filter)?;
        self.expect_data(&Operation::GetConfig { source, filter })
    }

    /// `<edit-config>` of `target` (`candidate` needs `:candidate`, `running` `:writable-running`).
    pub fn edit_config(
        &mut self,
        target: Datastore,
        config: &ConfigPayload,
        options: &EditOptions,
    ) -> OpResult<()> {
        let c = self.capabilities();
        match target {
            Datastore::Candidate => self.need_datastore(target)?,
            Datastore::Running => self.need(
                c.writable_running(),
                "writing the running datastore (:writable-running)",
            )?,
            Datastore::Startup => {
                return Err(OperationError::Invalid(
                    "edit-config targets running or candidate, not startup".into(),
                )
                .into())
            }
        }
        match options.test_option {
            Some(TestOption::TestOnly) => {
                self.need(c.validate_1_1(), "test-option test-only (:validate:1.1)")?
            }
            Some(_) => self.need(c.validate(), "test-option (:validate)")?,
            None => {}
        }
        if options.error_option == Some(ErrorOption::RollbackOnError) {
            self.need(
                c.rollback_on_error(),
                "error-option rollback-on-error (:rollback-on-error)",
            )?;
        }
        self.expect_ok(&Operation::EditConfig {
            target,
            config,
            options,
        })
    }

    /// `<lock>`; another session's lock is `LockDenied { held_by_session }`.
    pub fn lock(&mut self, target: Datastore) -> OpResult<()> {
        self.need_datastore(target)?;
        self.expect_ok(&Operation::Lock(target))
    }

    pub fn unlock(&mut self, target: Datastore) -> OpResult<()> {
        self.need_datastore(target)?;
        self.expect_ok(&Operation::Unlock(target))
    }

    pub fn validate(&mut self, source: Datastore) -> OpResult<()> {
        self.need(self.capabilities().validate(), "<validate> (:validate)")?;
        self.need_datastore(source)?;
        self.expect_ok(&Operation::Validate(source))
    }

    /// `<commit>` of the candidate: plain, confirmed (`confirmed`, `confirm_timeout`), persistent
    /// (`persist`, needs `:confirmed-commit:1.1`), or confirming a persistent one (`persist_id`).
    /// A lost reply (`Timeout`/`ConnectionLost`) means the outcome is unknown: re-read running.
    pub fn commit(&mut self, opts: &CommitOptions) -> OpResult<()> {
        let c = self.capabilities();
        self.need(c.candidate(), "<commit> (:candidate)")?;
        let invalid =
            |why: &str| -> OpResult<()> { Err(OperationError::Invalid(why.to_string()).into()) };
        if !opts.confirmed && opts.confirm_timeout.is_some() {
            return invalid("confirm-timeout is only valid with a confirmed commit");
        }
        if !opts.confirmed && opts.persist.is_some() {
            return invalid("persist is only valid with a confirmed commit");
        }
        if opts.confirm_timeout == Some(0) {
            return invalid("confirm-timeout must be at least 1 second");
        }
        if opts.persist.as_deref() == Some("") || opts.persist_id.as_deref() == Some("") {
            return invalid("persist / persist-id must not be empty");
        }
        if opts.confirmed {
            self.need(c.confirmed_commit(), "confirmed commit (:confirmed-commit)")?;
        }
        if opts.persist.is_some() || opts.persist_id.is_some() {
            self.need(
                c.confirmed_commit_1_1(),
                "persist / persist-id (:confirmed-commit:1.1)",
            )?;
        }
        self.expect_ok(&Operation::Commit(opts))
    }

    /// `<cancel-commit>` of an ongoing confirmed commit (from another session: give its persist token).
    pub fn cancel_commit(&mut self, persist_id: Option<&str>) -> OpResult<()> {
        self.need(
            self.capabilities().confirmed_commit_1_1(),
            "<cancel-commit> (:confirmed-commit:1.1)",
        )?;
        if persist_id == Some("") {
            return Err(OperationError::Invalid("persist-id must not be empty".into()).into());
        }
        self.expect_ok(&Operation::CancelCommit { persist_id })
    }

    /// `<discard-changes>`: resets the candidate to running.
    pub fn discard_changes(&mut self) -> OpResult<()> {
        self.need(
            self.capabilities().candidate(),
            "<discard-changes> (:candidate)",
        )?;
        self.expect_ok(&Operation::DiscardChanges)
    }

    /// IOS-XE: copies running to startup with `<save-config xmlns="http://cisco.com/yang/cisco-ia"/>`.
    pub fn save_config(&mut self) -> OpResult<()> {
        self.need(
            self.capabilities().has_namespace(CISCO_IA_NS),
            "<save-config> (the cisco-ia module)",
        )?;
        self.expect_ok(&Operation::SaveConfig)
    }

    /// A cheap RPC that proves the session and the device are alive: `<get-config>` of running with
    /// an empty subtree filter (selects nothing).
    pub fn keepalive(&mut self) -> OpResult<()> {
        self.expect_data(&Operation::GetConfig {
            source: Datastore::Running,
            filter: Some(&Filter::empty()),
        })
        .map(|_| ())
    }

    /// RFC 5277 `<create-subscription>` on `stream` (`rpc::NETCONF_STREAM` carries RFC 6470's
    /// events). Needs `:notification`; afterwards [`NetconfSession::next_notification`] delivers the
    /// events. Further rpcs on the session need `:interleave` (RFC 5277 §6).
    pub fn create_subscription(&mut self, stream: &str) -> OpResult<()> {
        self.need(
            self.capabilities().notification(),
            "event notifications (:notification)",
        )?;
        self.expect_ok(&Operation::CreateSubscription { stream })?;
        self.set_subscribed();
        Ok(())
    }

    /// `<kill-session>`: ends another session and releases its locks.
    pub fn kill_session(&mut self, session_id: u32) -> OpResult<()> {
        self.expect_ok(&Operation::KillSession(session_id))
    }
}
