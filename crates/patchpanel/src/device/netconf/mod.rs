//! The NETCONF client (RFC 6241 over RFC 6242 SSH), in layers, each with its own error type:
//! `transport` (ssh2: connect, host key, auth, `netconf` subsystem; `TransportError`) →
//! `framing` (sans-IO EOM and chunked codec; `FramingError`) → `session` (hello, capabilities,
//! message-ids, deadlines, reply bound; `SessionError`) → `ops` (typed RPCs, capability checks;
//! `OperationError`), with XML built in `rpc` and parsed in `reply` (RFC 5277 notifications in
//! `notification`). `NetconfError` combines them into variants that say what to do.
//!
//! Everything here is blocking (libssh2): call it only from `tokio::task::spawn_blocking` or a
//! dedicated thread, never on an async worker.

pub mod capabilities;
pub mod error;
pub mod framing;
pub mod notification;
pub mod ops;
pub mod options;
pub mod reply;
pub mod rpc;
pub mod rpc_error;
pub mod session;
pub mod transport;

pub use capabilities::{Capabilities, Module};
pub use error::{NetconfError, OperationError};
pub use framing::{Decoder, Framing, FramingError};
pub use notification::{Notification, NotificationError, ReceiveError};
pub use ops::DataReply;
pub use options::{ConnectOptions, HostKeyPolicy};
pub use reply::RpcError;
pub use rpc::{
    CommitOptions, ConfigPayload, Datastore, DefaultOperation, EditOptions, ErrorOption, Filter,
    TestOption,
};
pub use session::{NetconfSession, SessionError, SessionOptions};
pub use transport::{SshTransport, Transport, TransportError};
