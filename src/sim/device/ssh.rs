//! The NETCONF-over-SSH edge (RFC 6242) on russh: host key persistence, password / public-key auth, the
//! `netconf` subsystem, and one task per channel pumping bytes through a sans-IO [`netconf::Session`].

use super::netconf::Session;
use super::{Datastore, DeviceSimError};
use crate::secret::Secret;
use russh::keys::ssh_key::rand_core::OsRng;
use russh::keys::ssh_key::LineEnding;
use russh::keys::{Algorithm, PrivateKey, PublicKey};
use russh::server::{Auth, Handler, Msg, Session as SshSession};
use russh::{Channel, ChannelId, CryptoVec, MethodKind, MethodSet};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Concurrent SSH connections one simulator serves; more are refused at accept.
pub const MAX_CONNECTIONS: usize = 64;

/// Load the host key from `path`, or create it there (mode 0600) when missing; ephemeral without a path.
pub fn load_or_create_host_key(path: Option<&Path>) -> Result<PrivateKey, DeviceSimError> {
    let generate = || {
        PrivateKey::random(&mut OsRng, Algorithm::Ed25519)
            .map_err(|e| DeviceSimError::Other(format!("cannot generate a host key: {e}")))
    };
    let Some(path) = path else {
        return generate();
    };
    let err = |reason: String| DeviceSimError::HostKey {
        path: path.display().to_string(),
        reason,
    };
    if path.exists() {
        let pem = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        return PrivateKey::from_openssh(pem.as_bytes()).map_err(|e| err(e.to_string()));
    }
    let key = generate()?;
    let pem = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| err(e.to_string()))?;
    write_private(path, pem.as_bytes()).map_err(|e| err(e.to_string()))?;
    tracing::info!(path = %path.display(), "generated SSH host key");
    Ok(key)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// `ssh-ed25519 AAAA…` (algorithm and key only, no comment).
pub fn public_openssh(key: &PrivateKey) -> Result<String, DeviceSimError> {
    let line = key
        .public_key()
        .to_openssh()
        .map_err(|e| DeviceSimError::Other(format!("cannot encode the host key: {e}")))?;
    Ok(line
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" "))
}

pub fn server_config(host_key: PrivateKey, password_only: bool) -> Arc<russh::server::Config> {
    let methods: &[MethodKind] = if password_only {
        &[MethodKind::Password]
    } else {
        &[MethodKind::Password, MethodKind::PublicKey]
    };
    Arc::new(russh::server::Config {
        methods: MethodSet::from(methods),
        keys: vec![host_key],
        auth_rejection_time: Duration::from_millis(200),
        auth_rejection_time_initial: Some(Duration::ZERO),
        inactivity_timeout: Some(Duration::from_secs(600)),
        nodelay: true,
        ..Default::default()
    })
}

/// State shared by every SSH connection of one simulator.
#[derive(Debug)]
pub struct SshShared {
    store: Datastore,
    credentials: Option<(String, Secret)>,
    /// Offer base:1.1 (chunked framing) in the hello.
    base_1_1: bool,
    next_session_id: AtomicU32,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl SshShared {
    /// Offer base:1.1 (default) or base:1.0 only.
    pub fn with_base_1_1(mut self, base_1_1: bool) -> Self {
        self.base_1_1 = base_1_1;
        self
    }

    pub fn new(
        store: Datastore,
        credentials: Option<(String, Secret)>,
        shutdown: CancellationToken,
        tasks: TaskTracker,
    ) -> Self {
        SshShared {
            store,
            credentials,
            base_1_1: true,
            next_session_id: AtomicU32::new(1),
            shutdown,
            tasks,
        }
    }
}

/// Accept connections until shutdown; each connection runs in its own tracked task.
pub async fn serve(
    listener: TcpListener,
    config: Arc<russh::server::Config>,
    shared: Arc<SshShared>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let accepted = tokio::select! {
            _ = shared.shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((socket, peer)) => {
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    tracing::warn!(%peer, "too many netconf connections; refusing");
                    continue;
                };
                let handler = Connection {
                    shared: shared.clone(),
                    peer,
                    opened: HashSet::new(),
                    sessions: HashMap::new(),
                };
                let config = config.clone();
                shared.tasks.spawn(async move {
                    connection(socket, config, handler).await;
                    drop(slot);
                });
            }
            Err(e) => {
                // Typically EMFILE: back off instead of spinning.
                tracing::warn!(error = %e, "netconf accept failed");
                tokio::select! {
                    _ = shared.shutdown.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
        }
    }
    tracing::debug!("netconf listener stopped");
}

async fn connection(
    socket: tokio::net::TcpStream,
    config: Arc<russh::server::Config>,
    handler: Connection,
) {
    let peer = handler.peer;
    let shutdown = handler.shared.shutdown.clone();
    let running = tokio::select! {
        _ = shutdown.cancelled() => return,
        r = russh::server::run_stream(config, socket, handler) => r,
    };
    let session = match running {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!(%peer, error = %e, "ssh setup failed");
            return;
        }
    };
    let handle = session.handle();
    tokio::select! {
        result = session => {
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "ssh connection ended with an error");
            }
        }
        _ = shutdown.cancelled() => {
            let _ = handle
                .disconnect(russh::Disconnect::ByApplication, "shutting down".into(), "en".into())
                .await;
        }
    }
}

/// One SSH connection. NETCONF runs inside the handler callbacks rather than in a task per channel:
/// russh calls them in wire order, so every reply is queued before a later EOF is handled, and the
/// server's CHANNEL_CLOSE goes out while russh still knows the channel (russh 0.52 forgets a channel
/// before `channel_close` runs, so a close sent from a separate task after the client's close is lost
/// and libssh2 clients then wait for it until their timeout).
struct Connection {
    shared: Arc<SshShared>,
    peer: SocketAddr,
    /// Session channels opened but not yet bound to a subsystem (bounded).
    opened: HashSet<ChannelId>,
    sessions: HashMap<ChannelId, Session>,
}

/// Compare without an early exit on the first differing byte.
pub(crate) fn same_secret(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    let mut diff = u8::from(a.len() != b.len());
    for (i, x) in a.iter().enumerate() {
        diff |= x ^ b.get(i % b.len().max(1)).copied().unwrap_or(0);
    }
    diff == 0
}

impl Handler for Connection {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        let ok = match &self.shared.credentials {
            None => true,
            Some((u, p)) => same_secret(user, u) & same_secret(password, p.expose()),
        };
        tracing::debug!(peer = %self.peer, user, ok, "netconf password auth");
        Ok(if ok { Auth::Accept } else { Auth::reject() })
    }

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        _key: &PublicKey,
    ) -> Result<Auth, Self::Error> {
        Ok(self.publickey_decision())
    }

    async fn auth_publickey(&mut self, user: &str, _key: &PublicKey) -> Result<Auth, Self::Error> {
        let decision = self.publickey_decision();
        tracing::debug!(peer = %self.peer, user, ok = (decision == Auth::Accept), "netconf publickey auth");
        Ok(decision)
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        _session: &mut SshSession,
    ) -> Result<bool, Self::Error> {
        // The channel object is dropped: its data reaches `data()` below. Bound the channels one client
        // can hold open.
        if self.opened.len() + self.sessions.len() >= 16 {
            return Ok(false);
        }
        self.opened.insert(channel.id());
        Ok(true)
    }

    async fn subsystem_request(
        &mut self,
        id: ChannelId,
        name: &str,
        session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        if name != "netconf" || !self.opened.remove(&id) {
            tracing::debug!(peer = %self.peer, subsystem = name, "subsystem refused");
            session.channel_failure(id)?;
            return Ok(());
        }
        session.channel_success(id)?;
        let session_id = self.shared.next_session_id.fetch_add(1, Ordering::Relaxed);
        let (nc, hello) = Session::with_base_1_1(session_id, self.shared.base_1_1);
        tracing::debug!(peer = %self.peer, session_id, "netconf session started");
        session.data(id, CryptoVec::from(hello))?;
        self.sessions.insert(id, nc);
        Ok(())
    }

    async fn data(
        &mut self,
        id: ChannelId,
        data: &[u8],
        session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        let Some(nc) = self.sessions.get_mut(&id) else {
            return Ok(());
        };
        let out = self.shared.store.read(|cfg| nc.on_bytes(data, cfg));
        for bytes in out.send {
            session.data(id, CryptoVec::from(bytes))?;
        }
        if let Some(error) = &out.error {
            tracing::info!(peer = %self.peer, session_id = nc.session_id(), error, "netconf session dropped");
        }
        if out.close {
            tracing::debug!(peer = %self.peer, session_id = nc.session_id(), "netconf session ended");
            self.sessions.remove(&id);
            session.eof(id)?;
            session.close(id)?;
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        id: ChannelId,
        session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        // The client will send nothing more; every reply is already queued, so end the session.
        let known = self.sessions.remove(&id).is_some() | self.opened.remove(&id);
        if known {
            session.eof(id)?;
            session.close(id)?;
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        id: ChannelId,
        _session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        self.sessions.remove(&id);
        self.opened.remove(&id);
        Ok(())
    }
}

impl Connection {
    fn publickey_decision(&self) -> Auth {
        if self.shared.credentials.is_none() {
            Auth::Accept
        } else {
            Auth::reject()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_comparison() {
        assert!(same_secret("admin", "admin"));
        assert!(!same_secret("admin", "admin1"));
        assert!(!same_secret("", "x"));
        assert!(!same_secret("x", ""));
        assert!(same_secret("", ""));
        assert!(!same_secret("bdmin", "admin"));
    }

    #[test]
    fn host_key_is_created_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("host_key");
        let first = load_or_create_host_key(Some(&path)).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = load_or_create_host_key(Some(&path)).unwrap();
        assert_eq!(
            public_openssh(&first).unwrap(),
            public_openssh(&again).unwrap()
        );
        assert!(public_openssh(&first)
            .unwrap()
            .starts_with("ssh-ed25519 AAAA"));
        let ephemeral = load_or_create_host_key(None).unwrap();
        assert_ne!(
            public_openssh(&first).unwrap(),
            public_openssh(&ephemeral).unwrap()
        );

        std::fs::write(dir.path().join("bad"), "not a key").unwrap();
        assert!(matches!(
            load_or_create_host_key(Some(&dir.path().join("bad"))),
            Err(DeviceSimError::HostKey { .. })
        ));
    }
}
