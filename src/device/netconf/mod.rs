//! NETCONF over SSH (RFC 6241/6242): sans-IO `framing`, XML building/parsing in `rpc`, and the blocking
//! `ssh2` session in `transport` (run only on `spawn_blocking` threads).

pub mod framing;
pub mod rpc;
pub mod transport;
