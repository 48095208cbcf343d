//! The NETCONF-over-SSH edge (RFC 6242) on russh: host key persistence, password / public-key auth, the
//! `netconf` subsystem pumping bytes through a sans-IO [`netconf::Session`], session ends reported to the
//! device (locks, confirmed-commit rollback), `kill-session` across connections, and the wire faults
//! that need IO: dropping the connection and streaming a huge reply under SSH flow control.

use super::framing::Framing;
use super::netconf::{HugeReply, Session};
use super::subscriber;
use super::{Datastore, DeviceSimError};
use patchpanel_common::secret::Secret;
use russh::keys::ssh_key::rand_core::OsRng;
use russh::keys::ssh_key::LineEnding;
use russh::keys::{Algorithm, PrivateKey, PublicKey};
use russh::server::{Auth, Handle, Handler, Msg, Session as SshSession};
use russh::{Channel, ChannelId, ChannelWriteHalf, CryptoVec, MethodKind, MethodSet};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
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
    /// Live sessions by id, so `kill-session` can close a channel of another connection.
    live: Mutex<HashMap<u32, (Handle, ChannelId)>>,
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
            live: Mutex::new(HashMap::new()),
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
                    user: String::new(),
                    opened: HashMap::new(),
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
    /// The user the connection authenticated as (named in notifications and syslog).
    user: String,
    /// Session channels opened but not yet bound to a subsystem (bounded), with their write halves.
    opened: HashMap<ChannelId, ChannelWriteHalf<Msg>>,
    sessions: HashMap<ChannelId, (Session, ChannelWriteHalf<Msg>)>,
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
        if ok {
            user.clone_into(&mut self.user);
        }
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
        if decision == Auth::Accept {
            user.clone_into(&mut self.user);
        }
        tracing::debug!(peer = %self.peer, user, ok = (decision == Auth::Accept), "netconf publickey auth");
        Ok(decision)
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        _session: &mut SshSession,
    ) -> Result<bool, Self::Error> {
        // Only the write half is kept (to stream huge replies under flow control); the read half is
        // dropped, so incoming data reaches `data()` below and never queues in the channel. Bound the
        // channels one client can hold open.
        if self.opened.len() + self.sessions.len() >= 16 {
            return Ok(false);
        }
        let (_read, write) = channel.split();
        self.opened.insert(write.id(), write);
        Ok(true)
    }

    async fn subsystem_request(
        &mut self,
        id: ChannelId,
        name: &str,
        session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        let writer = match self.opened.remove(&id) {
            Some(w) if name == "netconf" => w,
            other => {
                if let Some(w) = other {
                    self.opened.insert(id, w);
                }
                tracing::debug!(peer = %self.peer, subsystem = name, "subsystem refused");
                session.channel_failure(id)?;
                return Ok(());
            }
        };
        session.channel_success(id)?;
        let session_id = self.shared.next_session_id.fetch_add(1, Ordering::Relaxed);
        let mode = self.shared.store.inspect(|s| s.mode());
        let (nc, hello) = Session::start(session_id, self.shared.base_1_1, mode);
        tracing::debug!(peer = %self.peer, session_id, "netconf session started");
        session.data(id, CryptoVec::from(hello))?;
        self.shared.store.session_started(session_id);
        self.shared
            .store
            .signals()
            .identify(session_id, &self.user, self.peer.ip());
        lock_live(&self.shared.live).insert(session_id, (session.handle(), id));
        self.sessions.insert(id, (nc, writer));
        Ok(())
    }

    async fn data(
        &mut self,
        id: ChannelId,
        data: &[u8],
        session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        let Some((nc, writer)) = self.sessions.get_mut(&id) else {
            return Ok(());
        };
        let session_id = nc.session_id();
        let out = nc.on_bytes(data, &self.shared.store);
        let framing = nc.framing();
        let huge_writer = out.huge.as_ref().map(|_| Box::pin(writer.make_writer()));
        if out.drop_connection {
            tracing::info!(peer = %self.peer, session_id, "fault: dropping the connection after a commit");
            // Ending the handler with an error drops the TCP connection without another byte; Drop
            // reports the sessions as lost.
            return Err(russh::Error::Disconnect);
        }
        for bytes in out.send {
            session.data(id, CryptoVec::from(bytes))?;
        }
        for killed in out.kill {
            self.kill(killed);
        }
        if let (Some(huge), Some(w)) = (out.huge, huge_writer) {
            tracing::info!(peer = %self.peer, session_id, bytes = huge.filler, "fault: streaming a huge reply");
            let shutdown = self.shared.shutdown.clone();
            self.shared.tasks.spawn(stream_huge(w, huge, shutdown));
        }
        if let Some(error) = &out.error {
            tracing::info!(peer = %self.peer, session_id, error, "netconf session dropped");
        }
        // A create-subscription was just answered: deliveries start after its reply (queued above).
        let signals = self.shared.store.signals();
        if !out.close
            && !signals.has_subscriber(session_id)
            && self.shared.store.inspect(|s| s.is_subscribed(session_id))
        {
            let sub = signals.subscribe(session_id);
            let shutdown = self.shared.shutdown.clone();
            self.shared.tasks.spawn(subscriber::deliver(
                session.handle(),
                id,
                framing,
                sub,
                shutdown,
            ));
        }
        if out.close {
            tracing::debug!(peer = %self.peer, session_id, "netconf session ended");
            self.end(id);
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
        let known = self.end(id) | self.opened.remove(&id).is_some();
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
        self.end(id);
        self.opened.remove(&id);
        Ok(())
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // The connection is gone (client left, fault, shutdown): its sessions are lost.
        let ids: Vec<ChannelId> = self.sessions.keys().copied().collect();
        for id in ids {
            self.end(id);
        }
    }
}

fn lock_live(
    m: &Mutex<HashMap<u32, (Handle, ChannelId)>>,
) -> std::sync::MutexGuard<'_, HashMap<u32, (Handle, ChannelId)>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Write a huge reply in framed pieces through the channel writer, which waits for the client's SSH
/// window, so memory stays bounded by the window however large the reply.
async fn stream_huge<W>(mut w: W, huge: HugeReply, shutdown: CancellationToken)
where
    W: tokio::io::AsyncWrite + Unpin + Send,
{
    use tokio::io::AsyncWriteExt;
    const PIECE: usize = 64 * 1024;
    let filler = vec![b'x'; PIECE];
    let frame = |data: &[u8]| -> Vec<u8> {
        match huge.framing {
            Framing::Chunked => {
                let mut v = format!("\n#{}\n", data.len()).into_bytes();
                v.extend_from_slice(data);
                v
            }
            Framing::Eom => data.to_vec(),
        }
    };
    let stream = async {
        w.write_all(&frame(&huge.head)).await?;
        let mut left = huge.filler;
        while left > 0 {
            let n = usize::try_from(left).unwrap_or(PIECE).min(PIECE);
            w.write_all(&frame(&filler[..n])).await?;
            left -= n as u64;
        }
        w.write_all(&frame(&huge.tail)).await?;
        let end: &[u8] = match huge.framing {
            Framing::Chunked => b"\n##\n",
            Framing::Eom => b"]]>]]>",
        };
        w.write_all(end).await?;
        w.flush().await
    };
    let result = tokio::select! {
        _ = shutdown.cancelled() => Ok(()),
        r = stream => r,
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "huge reply stream ended early");
    }
}

impl Connection {
    /// End the NETCONF session on channel `id`; `true` if there was one.
    fn end(&mut self, id: ChannelId) -> bool {
        let Some((nc, _)) = self.sessions.remove(&id) else {
            return false;
        };
        lock_live(&self.shared.live).remove(&nc.session_id());
        self.shared.store.session_ended(nc.session_id());
        true
    }

    /// `kill-session` ended `session_id` in the device; close its channel wherever it is.
    fn kill(&self, session_id: u32) {
        let Some((handle, channel)) = lock_live(&self.shared.live).remove(&session_id) else {
            return;
        };
        tracing::info!(peer = %self.peer, session_id, "netconf session killed");
        self.shared.tasks.spawn(async move {
            let _ = handle.eof(channel).await;
            let _ = handle.close(channel).await;
        });
    }

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
