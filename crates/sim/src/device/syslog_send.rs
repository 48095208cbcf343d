//! The device's syslog client: one task per configured target takes messages from a small bounded
//! queue (the device never waits for it; the producer drops and counts when the queue is full) and
//! sends them from the device's own address, so the receiver sees the switch as the sender — over
//! UDP one datagram each (RFC 3164 as IOS sends it), over TCP octet-counted (RFC 6587) on one
//! connection, reopened when it fails.

use super::syslog_line::octet_counted;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Messages waiting for the sender; more are dropped (and counted).
pub const QUEUE: usize = 64;
/// How long one connect or one write may take before the message is given up.
const IO_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    #[default]
    Udp,
    /// RFC 6587 octet counting.
    Tcp,
}

/// Where the device sends its syslog (`logging host IP [transport tcp port N]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyslogTarget {
    pub addr: SocketAddr,
    pub transport: Transport,
}

impl std::fmt::Display for SyslogTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = match self.transport {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        };
        write!(f, "{t}://{}", self.addr)
    }
}

#[derive(Debug, Default)]
pub struct SyslogCounters {
    pub sent: AtomicU64,
    pub dropped: AtomicU64,
}

/// The local address to send from: the device's IP when it is of the target's family, else any.
fn local(bind_ip: Option<IpAddr>, target: SocketAddr) -> SocketAddr {
    let ip = match (bind_ip, target) {
        (Some(ip), t) if ip.is_ipv4() == t.is_ipv4() => ip,
        (_, SocketAddr::V4(_)) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        (_, SocketAddr::V6(_)) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    SocketAddr::new(ip, 0)
}

/// Send what arrives on `rx` to `target` until `stop` (or every sender is gone).
pub async fn run(
    target: SyslogTarget,
    bind_ip: Option<IpAddr>,
    mut rx: mpsc::Receiver<String>,
    counters: Arc<SyslogCounters>,
    stop: CancellationToken,
) {
    let from = local(bind_ip, target.addr);
    let mut link = match target.transport {
        Transport::Udp => match UdpSocket::bind(from).await {
            Ok(s) => Link::Udp(Some(s)),
            Err(e) => {
                tracing::warn!(%from, error = %e, "syslog: cannot bind the UDP socket; messages are dropped");
                Link::Udp(None)
            }
        },
        Transport::Tcp => Link::Tcp(None),
    };
    loop {
        let message = tokio::select! {
            biased;
            _ = stop.cancelled() => break,
            m = rx.recv() => match m {
                Some(m) => m,
                None => break,
            },
        };
        let sent = tokio::select! {
            _ = stop.cancelled() => break,
            ok = link.send(from, target.addr, message.as_bytes()) => ok,
        };
        let counter = if sent {
            &counters.sent
        } else {
            &counters.dropped
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

enum Link {
    Udp(Option<UdpSocket>),
    Tcp(Option<TcpStream>),
}

impl Link {
    async fn send(&mut self, from: SocketAddr, to: SocketAddr, message: &[u8]) -> bool {
        match self {
            Link::Udp(None) => false,
            Link::Udp(Some(s)) => match s.send_to(message, to).await {
                Ok(_) => true,
                Err(e) => {
                    tracing::debug!(%to, error = %e, "syslog: UDP send failed");
                    false
                }
            },
            Link::Tcp(stream) => {
                let framed = octet_counted(message);
                // A connection the receiver closed still accepts one write into the kernel buffer, so
                // look first: a readable EOF means it is gone. Then one fresh connection per failure.
                if stream.as_ref().is_some_and(peer_closed) {
                    *stream = None;
                }
                for _ in 0..2 {
                    if stream.is_none() {
                        *stream = connect(from, to).await;
                    }
                    let Some(s) = stream.as_mut() else {
                        return false;
                    };
                    match tokio::time::timeout(IO_TIMEOUT, s.write_all(&framed)).await {
                        Ok(Ok(())) => return true,
                        _ => *stream = None,
                    }
                }
                false
            }
        }
    }
}

fn peer_closed(s: &TcpStream) -> bool {
    let mut probe = [0u8; 64];
    match s.try_read(&mut probe) {
        Ok(0) => true,
        // A receiver has nothing to say on a syslog connection; whatever it sent is ignored.
        Ok(_) => false,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    }
}

async fn connect(from: SocketAddr, to: SocketAddr) -> Option<TcpStream> {
    let attempt = async {
        let socket = if to.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.bind(from)?;
        socket.connect(to).await
    };
    match tokio::time::timeout(IO_TIMEOUT, attempt).await {
        Ok(Ok(s)) => Some(s),
        Ok(Err(e)) => {
            tracing::debug!(%to, error = %e, "syslog: TCP connect failed");
            None
        }
        Err(_) => {
            tracing::debug!(%to, "syslog: TCP connect timed out");
            None
        }
    }
}
