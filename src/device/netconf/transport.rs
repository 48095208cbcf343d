//! Blocking NETCONF-over-SSH session on `ssh2` (libssh2). Call only from a dedicated thread
//! (`tokio::task::spawn_blocking`). Order of trust: TCP connect (timeout) → SSH handshake → host key
//! checked against known_hosts (fail closed) → only then authenticate → `netconf` subsystem → hellos.
//! Every blocking call is bounded by the session timeout, every read by a deadline and a size cap.

use super::framing::{encode, Decoder, Framing};
use super::rpc::{self, Filter, Operation, Reply, ReplyError, ServerHello};
use crate::device::error::DeviceError;
use crate::device::inventory::Device;
use crate::device::model::Protocol;
use crate::secret::Secret;
use base64::Engine as _;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Largest NETCONF message accepted from a device.
pub const MAX_REPLY: usize = 32 * 1024 * 1024;
const LIBSSH2_ERROR_TIMEOUT: i32 = -9;
const LIBSSH2_ERROR_AUTHENTICATION_FAILED: i32 = -18;
const LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED: i32 = -19;

#[derive(Debug, Clone)]
pub struct SshConfig {
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub key: Option<PathBuf>,
    pub known_hosts: Option<PathBuf>,
    /// Bound for connect, each blocking SSH call, and each whole reply.
    pub timeout: Duration,
    pub max_reply: usize,
}

/// OpenSSH-style fingerprint of a raw SHA-256 host key hash: `SHA256:<base64 without padding>`.
pub fn fingerprint_sha256(hash: &[u8]) -> String {
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(hash)
    )
}

pub struct Session {
    device: String,
    ssh: ssh2::Session,
    channel: ssh2::Channel,
    decoder: Decoder,
    framing: Framing,
    next_id: u64,
    timeout: Duration,
    /// Set after a transport failure: the stream is out of sync, so no further request is sent.
    broken: bool,
    pub hello: ServerHello,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("device", &self.device)
            .field("framing", &self.framing)
            .finish_non_exhaustive()
    }
}

fn proto(device: &str, reason: impl Into<String>) -> DeviceError {
    DeviceError::Protocol {
        device: device.to_string(),
        protocol: Protocol::Netconf,
        reason: reason.into(),
    }
}

impl Session {
    pub fn connect(device: &Device, port: u16, cfg: &SshConfig) -> Result<Session, DeviceError> {
        let dev = device.name.as_str();
        let host = device.host.as_str();
        let address = format!("{host}:{port}");
        let known_hosts =
            cfg.known_hosts
                .as_ref()
                .ok_or_else(|| DeviceError::KnownHostsMissing {
                    device: dev.to_string(),
                    address: address.clone(),
                })?;
        if host.contains('\0') {
            return Err(DeviceError::Config(format!("device {dev}: invalid host")));
        }
        let timeout_secs = cfg.timeout.as_secs().max(1);
        let timeout_err = || DeviceError::Timeout {
            device: dev.to_string(),
            protocol: Protocol::Netconf,
            seconds: timeout_secs,
        };
        let unreachable = |reason: String| DeviceError::Unreachable {
            device: dev.to_string(),
            address: address.clone(),
            reason,
        };

        let addrs: Vec<_> = (host, port)
            .to_socket_addrs()
            .map_err(|e| unreachable(format!("cannot resolve {host}: {e}")))?
            .collect();
        let mut last = String::from("no address");
        let mut tcp = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, cfg.timeout) {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                    last = "connect timed out".into()
                }
                Err(e) => last = e.to_string(),
            }
        }
        let tcp = tcp.ok_or_else(|| unreachable(last))?;
        // Backstop for libssh2's own timeout: no socket read/write can block longer than this.
        let _ = tcp.set_read_timeout(Some(cfg.timeout));
        let _ = tcp.set_write_timeout(Some(cfg.timeout));
        let _ = tcp.set_nodelay(true);

        let mut ssh = ssh2::Session::new()
            .map_err(|e| proto(dev, format!("cannot start SSH: {}", e.message())))?;
        ssh.set_tcp_stream(tcp);
        ssh.set_timeout(u32::try_from(cfg.timeout.as_millis()).unwrap_or(u32::MAX));
        ssh.handshake().map_err(|e| {
            if e.code() == ssh2::ErrorCode::Session(LIBSSH2_ERROR_TIMEOUT) {
                timeout_err()
            } else {
                proto(
                    dev,
                    format!(
                        "SSH handshake with {address} failed ({}); is this an SSH/NETCONF port?",
                        e.message()
                    ),
                )
            }
        })?;

        check_host_key(&ssh, dev, host, port, known_hosts)?;
        authenticate(&ssh, dev, cfg).map_err(|e| match e {
            AuthError::Timeout => timeout_err(),
            AuthError::Device(d) => d,
        })?;

        let mut channel = ssh.channel_session().map_err(|e| {
            if e.code() == ssh2::ErrorCode::Session(LIBSSH2_ERROR_TIMEOUT) {
                timeout_err()
            } else {
                proto(dev, format!("cannot open an SSH channel: {}", e.message()))
            }
        })?;
        channel.subsystem("netconf").map_err(|e| {
            proto(
                dev,
                format!(
                    "the device refused the `netconf` SSH subsystem ({}); is NETCONF enabled (netconf-yang)?",
                    e.message()
                ),
            )
        })?;

        let mut session = Session {
            device: dev.to_string(),
            ssh,
            channel,
            decoder: Decoder::new(cfg.max_reply),
            framing: Framing::EndOfMessage,
            next_id: 1,
            timeout: cfg.timeout,
            broken: false,
            hello: ServerHello {
                capabilities: Vec::new(),
                session_id: None,
            },
        };
        // Our hello first (always end-of-message framed), then the server's; only then pick framing.
        session.write_raw(&encode(Framing::EndOfMessage, &rpc::client_hello()))?;
        let hello = session.read_message()?;
        session.hello =
            rpc::parse_hello(&hello).map_err(|e| proto(dev, format!("bad server hello: {e}")))?;
        session.framing = if session.hello.supports_1_1() {
            Framing::Chunked
        } else {
            Framing::EndOfMessage
        };
        session.decoder.set_framing(session.framing);
        tracing::debug!(device = dev, framing = ?session.framing, session_id = ?session.hello.session_id, "netconf session up");
        Ok(session)
    }

    pub fn framing(&self) -> Framing {
        self.framing
    }

    fn fail(&mut self, e: DeviceError) -> DeviceError {
        self.broken = true;
        e
    }

    fn io_error(&mut self, what: &str, e: std::io::Error) -> DeviceError {
        let err = if matches!(
            e.kind(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
        ) {
            DeviceError::Timeout {
                device: self.device.clone(),
                protocol: Protocol::Netconf,
                seconds: self.timeout.as_secs().max(1),
            }
        } else {
            proto(&self.device, format!("{what} failed: {e}"))
        };
        self.fail(err)
    }

    /// Never call `Write::flush` on the channel: in ssh2 it is `libssh2_channel_flush_ex`, which
    /// *discards* incoming data already received but not yet read (and refunds the window). Servers
    /// send their hello as soon as the subsystem starts, so a flush after our hello threw theirs away
    /// and the session waited for it until the timeout. A blocking `write` has sent the packet on return.
    fn write_raw(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        if let Err(e) = self.channel.write_all(bytes) {
            return Err(self.io_error("sending", e));
        }
        Ok(())
    }

    fn read_message(&mut self) -> Result<Vec<u8>, DeviceError> {
        let deadline = Instant::now() + self.timeout;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match self.decoder.next_message() {
                Ok(Some(m)) => return Ok(m),
                Ok(None) => {}
                Err(e) => {
                    let err = proto(&self.device, format!("framing: {e}"));
                    return Err(self.fail(err));
                }
            }
            if Instant::now() >= deadline {
                let err = DeviceError::Timeout {
                    device: self.device.clone(),
                    protocol: Protocol::Netconf,
                    seconds: self.timeout.as_secs().max(1),
                };
                return Err(self.fail(err));
            }
            match self.channel.read(&mut buf) {
                Ok(0) => {
                    let err = proto(&self.device, "the device closed the NETCONF session");
                    return Err(self.fail(err));
                }
                Ok(n) => self.decoder.push(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_error("reading", e)),
            }
        }
    }

    /// One read RPC; `<rpc-error>`s become `DeviceError::Rpc`.
    pub fn read(&mut self, op: Operation, filter: &Filter) -> Result<Reply, DeviceError> {
        if self.broken {
            return Err(proto(&self.device, "session is no longer usable"));
        }
        let id = self.next_id.to_string();
        self.next_id += 1;
        let msg = rpc::read_rpc(&id, op, filter);
        self.write_raw(&encode(self.framing, &msg))?;
        let reply = self.read_message()?;
        rpc::parse_reply(&reply, &id).map_err(|e| match e {
            ReplyError::Rpc(errors) => DeviceError::Rpc {
                device: self.device.clone(),
                errors,
            },
            other => {
                self.broken = true;
                proto(&self.device, other.to_string())
            }
        })
    }

    /// `<close-session/>` then disconnect; best effort (errors are logged, never returned).
    pub fn close(mut self) {
        if !self.broken {
            let id = self.next_id.to_string();
            let msg = rpc::close_session(&id);
            let framed = encode(self.framing, &msg);
            let result = self.write_raw(&framed).and_then(|()| self.read_message());
            if let Err(e) = result {
                tracing::debug!(device = %self.device, error = %e, "close-session");
            }
        }
        let _ = self.channel.send_eof();
        let _ = self.channel.close();
        let _ = self.ssh.disconnect(None, "bye", None);
    }
}

/// Fails closed unless the presented host key matches a known_hosts entry for host (and port).
fn check_host_key(
    ssh: &ssh2::Session,
    dev: &str,
    host: &str,
    port: u16,
    path: &std::path::Path,
) -> Result<(), DeviceError> {
    let address = format!("{host}:{port}");
    let fingerprint = ssh
        .host_key_hash(ssh2::HashType::Sha256)
        .map(fingerprint_sha256)
        .unwrap_or_else(|| "SHA256:(unavailable)".into());
    let (key, _kind) = ssh.host_key().ok_or_else(|| DeviceError::HostKeyUnknown {
        device: dev.to_string(),
        address: address.clone(),
        fingerprint: fingerprint.clone(),
    })?;
    let unreadable = |reason: String| DeviceError::KnownHostsUnreadable {
        path: path.display().to_string(),
        reason,
    };
    if !path.is_file() {
        return Err(unreadable("no such file".into()));
    }
    let mut kh = ssh
        .known_hosts()
        .map_err(|e| unreadable(e.message().to_string()))?;
    kh.read_file(path, ssh2::KnownHostFileKind::OpenSSH)
        .map_err(|e| unreadable(e.message().to_string()))?;
    match kh.check_port(host, port, key) {
        ssh2::CheckResult::Match => Ok(()),
        ssh2::CheckResult::Mismatch => {
            tracing::warn!(device = dev, address = %address, fingerprint = %fingerprint, "SSH host key mismatch");
            Err(DeviceError::HostKeyMismatch {
                device: dev.to_string(),
                address,
                fingerprint,
            })
        }
        ssh2::CheckResult::NotFound | ssh2::CheckResult::Failure => {
            Err(DeviceError::HostKeyUnknown {
                device: dev.to_string(),
                address,
                fingerprint,
            })
        }
    }
}

enum AuthError {
    Timeout,
    Device(DeviceError),
}

fn authenticate(ssh: &ssh2::Session, dev: &str, cfg: &SshConfig) -> Result<(), AuthError> {
    let failed = |reason: &str| {
        AuthError::Device(DeviceError::AuthFailed {
            device: dev.to_string(),
            protocol: Protocol::Netconf,
            reason: reason.to_string(),
        })
    };
    let user = cfg
        .username
        .as_deref()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            AuthError::Device(DeviceError::Config(
                "DEVICE_USERNAME is not set; NETCONF needs a username".into(),
            ))
        })?;
    let classify = |e: &ssh2::Error| -> Option<AuthError> {
        match e.code() {
            ssh2::ErrorCode::Session(LIBSSH2_ERROR_TIMEOUT) => Some(AuthError::Timeout),
            ssh2::ErrorCode::Session(
                LIBSSH2_ERROR_AUTHENTICATION_FAILED | LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED,
            ) => None,
            _ => None,
        }
    };
    let mut tried = false;
    if let Some(key) = &cfg.key {
        tried = true;
        match ssh.userauth_pubkey_file(user, None, key, None) {
            Ok(()) if ssh.authenticated() => return Ok(()),
            Ok(()) => {}
            Err(e) => {
                if let Some(t) = classify(&e) {
                    return Err(t);
                }
                tracing::debug!(
                    device = dev,
                    error = e.message(),
                    "SSH key authentication failed"
                );
            }
        }
    }
    if let Some(pw) = &cfg.password {
        tried = true;
        match ssh.userauth_password(user, pw.expose()) {
            Ok(()) if ssh.authenticated() => return Ok(()),
            Ok(()) => {}
            Err(e) => {
                if let Some(t) = classify(&e) {
                    return Err(t);
                }
            }
        }
    }
    if !tried {
        return Err(failed("no password or SSH key configured"));
    }
    Err(failed("the device rejected the credentials"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_openssh_style() {
        // sha256 of nothing, as OpenSSH would print it
        let h = [
            0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f,
            0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b,
            0x78, 0x52, 0xb8, 0x55,
        ];
        assert_eq!(
            fingerprint_sha256(&h),
            "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
        );
    }
}
