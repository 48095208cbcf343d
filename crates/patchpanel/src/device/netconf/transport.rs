//! Transport layer: the byte stream under NETCONF. [`Transport`] is what the session needs (write,
//! read with a deadline, close); [`SshTransport`] is the real one over blocking `ssh2` (libssh2):
//! TCP connect with a timeout, handshake, host-key check *before* authentication, password or key
//! authentication, and the `netconf` subsystem (RFC 6242).
//!
//! Everything here blocks: call it only from `tokio::task::spawn_blocking` or a dedicated thread,
//! never from an async worker.

use super::options::{ConnectOptions, HostKeyPolicy};
use base64::Engine as _;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::{Duration, Instant};

const LIBSSH2_ERROR_TIMEOUT: i32 = -9;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("cannot reach {address}: {reason}")]
    Unreachable { address: String, reason: String },
    #[error("no known_hosts file configured")]
    KnownHostsMissing,
    #[error("cannot use known_hosts file {path}: {reason}")]
    KnownHostsUnreadable { path: String, reason: String },
    #[error("SSH host key of {host}:{port} is not in known_hosts ({fingerprint})")]
    HostKeyUnknown {
        host: String,
        port: u16,
        fingerprint: String,
    },
    #[error("SSH host key of {host}:{port} differs from known_hosts ({fingerprint})")]
    HostKeyMismatch {
        host: String,
        port: u16,
        fingerprint: String,
    },
    #[error("SSH authentication as {user} failed: {reason}")]
    AuthFailed { user: String, reason: String },
    /// Not an SSH server, or no common algorithms.
    #[error("SSH handshake with {address} failed ({reason}); is this an SSH/NETCONF port?")]
    Handshake { address: String, reason: String },
    #[error("the device refused the `netconf` SSH subsystem ({reason}); is NETCONF enabled (netconf-yang)?")]
    Subsystem { reason: String },
    #[error("timed out during {during} after {after:?}")]
    Timeout {
        during: &'static str,
        after: Duration,
    },
    /// The peer closed the channel.
    #[error("the device closed the session during {during}")]
    Closed { during: &'static str },
    #[error("I/O error during {during}: {reason}")]
    Io {
        during: &'static str,
        reason: String,
    },
}

/// The byte stream a NETCONF session runs over. Implementations block; `deadline` bounds each call.
pub trait Transport: Send {
    fn write_all(
        &mut self,
        bytes: &[u8],
        deadline: Instant,
        during: &'static str,
    ) -> Result<(), TransportError>;
    /// Reads at least one byte; end of stream is `TransportError::Closed`.
    fn read(
        &mut self,
        buf: &mut [u8],
        deadline: Instant,
        during: &'static str,
    ) -> Result<usize, TransportError>;
    /// Best effort: tell the peer we are done and drop the connection.
    fn close(&mut self);
}

/// OpenSSH-style fingerprint of a raw SHA-256 host key hash: `SHA256:<base64 without padding>`.
pub fn fingerprint_sha256(hash: &[u8]) -> String {
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(hash)
    )
}

/// NETCONF over SSH with `ssh2`. Blocking; see the module docs.
pub struct SshTransport {
    ssh: ssh2::Session,
    channel: ssh2::Channel,
    address: String,
    closed: bool,
}

impl std::fmt::Debug for SshTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshTransport")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

fn remaining_ms(deadline: Instant) -> Option<u32> {
    let left = deadline.checked_duration_since(Instant::now())?;
    if left.is_zero() {
        return None;
    }
    Some(u32::try_from(left.as_millis()).unwrap_or(u32::MAX).max(1))
}

fn is_timeout(e: &ssh2::Error) -> bool {
    e.code() == ssh2::ErrorCode::Session(LIBSSH2_ERROR_TIMEOUT)
}

impl SshTransport {
    /// Connects, checks the host key, authenticates and starts the `netconf` subsystem, all within
    /// `opts.connect_timeout`. Refuses before any network traffic when no known_hosts is configured.
    pub fn connect(opts: &ConnectOptions) -> Result<SshTransport, TransportError> {
        let known_hosts = opts
            .known_hosts
            .as_deref()
            .ok_or(TransportError::KnownHostsMissing)?;
        let address = opts.address();
        let unreachable = |reason: String| TransportError::Unreachable {
            address: address.clone(),
            reason,
        };
        if opts.host.is_empty() || opts.host.contains('\0') {
            return Err(unreachable("invalid host name".into()));
        }
        let started = Instant::now();
        let deadline = started + opts.connect_timeout;
        let timeout = |during: &'static str| TransportError::Timeout {
            during,
            after: opts.connect_timeout,
        };

        let addrs: Vec<_> = (opts.host.as_str(), opts.port)
            .to_socket_addrs()
            .map_err(|e| unreachable(format!("cannot resolve {}: {e}", opts.host)))?
            .collect();
        let mut last = String::from("no address");
        let mut tcp = None;
        for a in addrs {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return Err(timeout("connect"));
            };
            match TcpStream::connect_timeout(&a, left.max(Duration::from_millis(1))) {
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
        // Backstop under libssh2's own timeout: no socket call blocks longer than this.
        let backstop = opts.connect_timeout.max(opts.rpc_timeout);
        let _ = tcp.set_read_timeout(Some(backstop));
        let _ = tcp.set_write_timeout(Some(backstop));
        let _ = tcp.set_nodelay(true);

        let mut ssh = ssh2::Session::new().map_err(|e| TransportError::Io {
            during: "connect",
            reason: format!("cannot start SSH: {}", e.message()),
        })?;
        ssh.set_tcp_stream(tcp);
        let set_deadline = |ssh: &ssh2::Session, during| -> Result<(), TransportError> {
            let ms = remaining_ms(deadline).ok_or_else(|| timeout(during))?;
            ssh.set_timeout(ms);
            Ok(())
        };
        set_deadline(&ssh, "SSH handshake")?;
        ssh.handshake().map_err(|e| {
            if is_timeout(&e) {
                timeout("SSH handshake")
            } else {
                TransportError::Handshake {
                    address: address.clone(),
                    reason: e.message().to_string(),
                }
            }
        })?;

        check_host_key(&ssh, opts, known_hosts)?;
        set_deadline(&ssh, "authentication")?;
        authenticate(&ssh, opts)?;

        set_deadline(&ssh, "opening the NETCONF channel")?;
        let mut channel = ssh.channel_session().map_err(|e| {
            if is_timeout(&e) {
                timeout("opening the NETCONF channel")
            } else {
                TransportError::Io {
                    during: "opening the NETCONF channel",
                    reason: e.message().to_string(),
                }
            }
        })?;
        channel.subsystem("netconf").map_err(|e| {
            if is_timeout(&e) {
                timeout("opening the NETCONF channel")
            } else {
                TransportError::Subsystem {
                    reason: e.message().to_string(),
                }
            }
        })?;
        tracing::debug!(address = %address, elapsed_ms = started.elapsed().as_millis() as u64, "SSH transport up");
        Ok(SshTransport {
            ssh,
            channel,
            address,
            closed: false,
        })
    }

    fn io_error(e: std::io::Error, during: &'static str) -> TransportError {
        match e.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                TransportError::Timeout {
                    during,
                    after: Duration::ZERO,
                }
            }
            std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::BrokenPipe
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted => TransportError::Closed { during },
            _ => TransportError::Io {
                during,
                reason: e.to_string(),
            },
        }
    }
}

impl Transport for SshTransport {
    /// Never `flush()` the channel: in ssh2 that is `libssh2_channel_flush_ex`, which *discards*
    /// received but unread data (we lost the server hello to it once). A blocking write has handed
    /// the bytes to the socket when it returns.
    fn write_all(
        &mut self,
        bytes: &[u8],
        deadline: Instant,
        during: &'static str,
    ) -> Result<(), TransportError> {
        let ms = remaining_ms(deadline).ok_or(TransportError::Timeout {
            during,
            after: Duration::ZERO,
        })?;
        self.ssh.set_timeout(ms);
        self.channel
            .write_all(bytes)
            .map_err(|e| Self::io_error(e, during))
    }

    fn read(
        &mut self,
        buf: &mut [u8],
        deadline: Instant,
        during: &'static str,
    ) -> Result<usize, TransportError> {
        loop {
            let ms = remaining_ms(deadline).ok_or(TransportError::Timeout {
                during,
                after: Duration::ZERO,
            })?;
            self.ssh.set_timeout(ms);
            match self.channel.read(buf) {
                Ok(0) => return Err(TransportError::Closed { during }),
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Self::io_error(e, during)),
            }
        }
    }

    fn close(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        // Short bound: a dead peer must not hold the worker thread.
        self.ssh.set_timeout(2_000);
        let _ = self.channel.send_eof();
        let _ = self.channel.close();
        let _ = self.ssh.disconnect(None, "closing NETCONF session", None);
    }
}

impl Drop for SshTransport {
    fn drop(&mut self) {
        self.close();
    }
}

/// The OpenSSH name of a host key type, for a known_hosts line.
fn key_type_name(kind: ssh2::HostKeyType) -> Option<&'static str> {
    Some(match kind {
        ssh2::HostKeyType::Rsa => "ssh-rsa",
        ssh2::HostKeyType::Dss => "ssh-dss",
        ssh2::HostKeyType::Ecdsa256 => "ecdsa-sha2-nistp256",
        ssh2::HostKeyType::Ecdsa384 => "ecdsa-sha2-nistp384",
        ssh2::HostKeyType::Ecdsa521 => "ecdsa-sha2-nistp521",
        ssh2::HostKeyType::Ed25519 => "ssh-ed25519",
        ssh2::HostKeyType::Unknown => return None,
    })
}

/// The host field of a known_hosts line: `host` on port 22, else `[host]:port`.
pub fn known_hosts_pattern(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// Whether a plain (unhashed) known_hosts line names this host (with or without the port).
fn names_host(line: &str, host: &str, port: u16) -> bool {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return false;
    }
    let mut fields = line.split_whitespace();
    let mut first = fields.next().unwrap_or("");
    if first.starts_with('@') {
        first = fields.next().unwrap_or("");
    }
    let with_port = known_hosts_pattern(host, port);
    first
        .split(',')
        .any(|h| h == with_port || h == host || h == format!("[{host}]:{port}"))
}

/// Checks the server's key against known_hosts before any credential is sent.
fn check_host_key(
    ssh: &ssh2::Session,
    opts: &ConnectOptions,
    path: &Path,
) -> Result<(), TransportError> {
    let (host, port) = (opts.host.as_str(), opts.port);
    let fingerprint = ssh
        .host_key_hash(ssh2::HashType::Sha256)
        .map(fingerprint_sha256)
        .unwrap_or_else(|| "SHA256:(unavailable)".into());
    let unknown = || TransportError::HostKeyUnknown {
        host: host.to_string(),
        port,
        fingerprint: fingerprint.clone(),
    };
    let mismatch = || TransportError::HostKeyMismatch {
        host: host.to_string(),
        port,
        fingerprint: fingerprint.clone(),
    };
    let (key, kind) = ssh.host_key().ok_or_else(unknown)?;
    let unreadable = |reason: String| TransportError::KnownHostsUnreadable {
        path: path.display().to_string(),
        reason,
    };
    let exists = path.is_file();
    if !exists && opts.host_key_policy == HostKeyPolicy::Strict {
        return Err(unreadable("no such file".into()));
    }
    let mut kh = ssh
        .known_hosts()
        .map_err(|e| unreadable(e.message().to_string()))?;
    if exists {
        kh.read_file(path, ssh2::KnownHostFileKind::OpenSSH)
            .map_err(|e| unreadable(e.message().to_string()))?;
    }
    match kh.check_port(host, port, key) {
        ssh2::CheckResult::Match => Ok(()),
        ssh2::CheckResult::Mismatch => {
            tracing::warn!(host, port, fingerprint = %fingerprint, "SSH host key MISMATCH: refusing");
            Err(mismatch())
        }
        ssh2::CheckResult::NotFound | ssh2::CheckResult::Failure => match opts.host_key_policy {
            HostKeyPolicy::Strict => Err(unknown()),
            HostKeyPolicy::AcceptNew => {
                let text = if exists {
                    std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?
                } else {
                    String::new()
                };
                // A key of another type already on file for this host is a changed key, not a new one.
                if text.lines().any(|l| names_host(l, host, port)) {
                    tracing::warn!(host, port, fingerprint = %fingerprint, "SSH host key differs from the one on file (other key type): refusing");
                    return Err(mismatch());
                }
                let type_name = key_type_name(kind).ok_or_else(unknown)?;
                let line = format!(
                    "{} {type_name} {}\n",
                    known_hosts_pattern(host, port),
                    base64::engine::general_purpose::STANDARD.encode(key)
                );
                append_line(path, &text, &line).map_err(|e| unreadable(e.to_string()))?;
                tracing::warn!(host, port, fingerprint = %fingerprint, known_hosts = %path.display(),
                    "accepted a NEW SSH host key on first use (HostKeyPolicy::AcceptNew) and added it to known_hosts");
                Ok(())
            }
        },
    }
}

fn append_line(path: &Path, existing: &str, line: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    if !existing.is_empty() && !existing.ends_with('\n') {
        f.write_all(b"\n")?;
    }
    f.write_all(line.as_bytes())
}

fn authenticate(ssh: &ssh2::Session, opts: &ConnectOptions) -> Result<(), TransportError> {
    let user = opts.username.as_str();
    let failed = |reason: &str| TransportError::AuthFailed {
        user: user.to_string(),
        reason: reason.to_string(),
    };
    if user.is_empty() {
        return Err(failed("no username configured"));
    }
    let timeout = || TransportError::Timeout {
        during: "authentication",
        after: opts.connect_timeout,
    };
    let mut tried = false;
    if let Some(key) = &opts.ssh_key {
        tried = true;
        match ssh.userauth_pubkey_file(user, None, key, None) {
            Ok(()) if ssh.authenticated() => return Ok(()),
            Ok(()) => {}
            Err(e) if is_timeout(&e) => return Err(timeout()),
            Err(e) => {
                tracing::debug!(user, error = e.message(), "SSH key authentication failed")
            }
        }
    }
    if let Some(pw) = &opts.password {
        tried = true;
        match ssh.userauth_password(user, pw.expose()) {
            Ok(()) if ssh.authenticated() => return Ok(()),
            Ok(()) => {}
            Err(e) if is_timeout(&e) => return Err(timeout()),
            Err(_) => {}
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

    #[test]
    fn known_hosts_lines_name_hosts() {
        assert_eq!(known_hosts_pattern("10.0.0.5", 830), "[10.0.0.5]:830");
        assert_eq!(known_hosts_pattern("sw1", 22), "sw1");
        assert!(names_host("[10.0.0.5]:830 ssh-rsa AAAA", "10.0.0.5", 830));
        assert!(names_host("a,10.0.0.5 ssh-rsa AAAA", "10.0.0.5", 830));
        assert!(names_host(
            "@cert-authority [10.0.0.5]:830 ssh-rsa AAAA",
            "10.0.0.5",
            830
        ));
        assert!(!names_host("[10.0.0.5]:831 ssh-rsa AAAA", "10.0.0.5", 830));
        assert!(!names_host("# [10.0.0.5]:830 ssh-rsa", "10.0.0.5", 830));
        assert!(!names_host("10.0.0.50 ssh-rsa AAAA", "10.0.0.5", 830));
    }
}
