//! The syslog receiver of the configuration-change notifier (`PATCHPANEL_SYSLOG_LISTEN`): UDP and
//! TCP on one address and port, RFC 3164 and RFC 5424, TCP framed by octet count or by line
//! (RFC 6587). Each message goes through `intake` (parsed, a configuration change recognised, the
//! sender turned into devices, a signal pushed to the `SignalQueue`); everything else is counted
//! (`SyslogStats`) and logged once per burst.
//!
//! Whatever peers do, the receiver holds: one datagram buffer; at most `max_connections` TCP
//! connections (more are accepted and closed at once), each with one read buffer and at most one
//! partial frame, closed when nothing arrives for `idle` or a frame begun is not finished within
//! `frame` (slow-loris); nothing per message. The UDP loop awaits nothing but its socket, so a
//! flood is taken as fast as it arrives and costs the bot one busy task, not its memory.
//! Syslog is unauthenticated: a forged message only makes the watcher read a device early.

mod intake;
mod stats;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::syslog::{Frame, Framer, MAX_MESSAGE};
use crate::watch::addresses::AddressBook;
use crate::watch::queue::SignalQueue;
use intake::Intake;
use stats::{bump, Event};

pub use stats::{SyslogCounters, SyslogStats};

/// How often due burst summaries are written.
const TICK: Duration = Duration::from_secs(1);
/// How long a loop rests after its socket failed (out of descriptors): no busy loop.
const ERROR_BACKOFF: Duration = Duration::from_millis(100);
/// Bytes read from a TCP connection at once.
const READ: usize = 8 * 1024;
/// Attempts at finding a port free for both UDP and TCP when bound to port 0.
const PORT_TRIES: usize = 8;
/// Longest timeout honoured (a day): longer ones would only overflow deadline arithmetic.
const LONGEST: Duration = Duration::from_secs(86_400);

/// The limits of the receiver. `Default` is what the bot uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogConfig {
    /// TCP connections served at once; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// A TCP connection on which nothing arrives for this long is closed. Devices keep their
    /// syslog connection open between messages and open a new one when it was closed, so this
    /// is generous; it only frees slots from peers that went away silently.
    pub idle: Duration,
    /// A frame begun must be finished within this (a peer sending a byte now and then to hold
    /// a slot is closed).
    pub frame: Duration,
}

impl Default for SyslogConfig {
    /// 256 connections, idle 5 minutes, a frame within 10 s.
    fn default() -> Self {
        SyslogConfig {
            max_connections: 256,
            idle: Duration::from_secs(300),
            frame: Duration::from_secs(10),
        }
    }
}

/// Which socket of the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyslogError {
    /// The address is taken (by either protocol) or not this machine's: choose another
    /// `PATCHPANEL_SYSLOG_LISTEN`, or stop what holds the port.
    #[error("cannot receive syslog over {transport} on {addr}: {source} (choose another PATCHPANEL_SYSLOG_LISTEN or free the port)")]
    Bind {
        addr: SocketAddr,
        transport: Transport,
        source: std::io::Error,
    },
    /// Port 0 was asked for, and each port the system gave TCP was taken for UDP: give a port.
    #[error("no port free for both UDP and TCP on {ip} after {tries} tries: give PATCHPANEL_SYSLOG_LISTEN a port")]
    NoCommonPort { ip: IpAddr, tries: usize },
}

/// The receiver's entry point.
#[derive(Debug)]
pub struct SyslogReceiver;

impl SyslogReceiver {
    /// Binds TCP and UDP on `addr` with the default limits.
    pub async fn bind(addr: SocketAddr) -> Result<Bound, SyslogError> {
        SyslogReceiver::bind_with(addr, SyslogConfig::default()).await
    }

    /// Binds TCP and UDP on `addr`. Port 0: one ephemeral port for both (TCP's, then UDP on it;
    /// another try when UDP has it taken).
    pub async fn bind_with(addr: SocketAddr, config: SyslogConfig) -> Result<Bound, SyslogError> {
        for _ in 0..PORT_TRIES {
            let tcp_err = |source| SyslogError::Bind {
                addr,
                transport: Transport::Tcp,
                source,
            };
            let tcp = TcpListener::bind(addr).await.map_err(tcp_err)?;
            let local = tcp.local_addr().map_err(tcp_err)?;
            match UdpSocket::bind(local).await {
                Ok(udp) => {
                    return Ok(Bound {
                        tcp,
                        udp,
                        addr: local,
                        config,
                        stats: SyslogCounters::new(),
                    })
                }
                Err(e) if addr.port() == 0 && e.kind() == std::io::ErrorKind::AddrInUse => continue,
                Err(source) => {
                    return Err(SyslogError::Bind {
                        addr: local,
                        transport: Transport::Udp,
                        source,
                    })
                }
            }
        }
        Err(SyslogError::NoCommonPort {
            ip: addr.ip(),
            tries: PORT_TRIES,
        })
    }
}

/// Both sockets bound, nothing received yet. [`Bound::run`] receives until shutdown.
#[derive(Debug)]
pub struct Bound {
    tcp: TcpListener,
    udp: UdpSocket,
    addr: SocketAddr,
    config: SyslogConfig,
    stats: SyslogCounters,
}

impl Bound {
    /// Where it listens, UDP and TCP alike (the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The receiver's counters, readable while it runs (`snapshot()`).
    pub fn stats(&self) -> SyslogCounters {
        self.stats.clone()
    }

    /// Receives until `shutdown` fires, then returns once every task of it (the UDP loop, the
    /// accept loop, each connection) has ended; the sockets are closed then. Spawn it on the
    /// owner's `TaskTracker`.
    pub async fn run(
        self,
        queue: Arc<SignalQueue>,
        book: Arc<AddressBook>,
        shutdown: CancellationToken,
    ) {
        let Bound {
            tcp,
            udp,
            addr,
            config,
            stats,
        } = self;
        tracing::info!(%addr, "receiving syslog over UDP and TCP");
        let intake = Arc::new(Intake::new(queue, book, stats.clone()));
        let tasks = TaskTracker::new();
        // Its own task, so a flood of datagrams runs beside the accept loop (and the bot), not
        // in turns with it.
        tasks.spawn(udp_loop(udp, intake.clone(), shutdown.clone()));
        tasks.spawn(ticker(stats.clone(), shutdown.clone()));
        let accept = Accept {
            listener: tcp,
            slots: Arc::new(Semaphore::new(config.max_connections.max(1))),
            intake,
            config,
            stop: shutdown,
            tasks: tasks.clone(),
        };
        accept.run().await;
        tasks.close();
        tasks.wait().await;
        stats.tick();
        tracing::info!(%addr, "syslog receiver stopped");
    }
}

async fn ticker(stats: SyslogCounters, stop: CancellationToken) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick() => stats.tick(),
        }
    }
}

/// Takes datagrams as they come. Per datagram it awaits only the socket: parsing, the address
/// book and the queue are synchronous and bounded.
async fn udp_loop(socket: UdpSocket, intake: Arc<Intake>, stop: CancellationToken) {
    // One byte more than taken: a datagram that fills it was longer (the kernel cuts the rest).
    let mut buf = vec![0u8; MAX_MESSAGE + 1];
    loop {
        let received = tokio::select! {
            biased;
            _ = stop.cancelled() => break,
            r = socket.recv_from(&mut buf) => r,
        };
        match received {
            Ok((n, peer)) => {
                intake.datagram(buf.get(..n).unwrap_or(&buf), peer.ip());
            }
            Err(e) => {
                bump(&intake.stats().counters().socket_errors);
                intake
                    .stats()
                    .note(Event::SocketError, &format_args!("UDP: {e}"));
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(ERROR_BACKOFF) => {}
                }
            }
        }
    }
}

struct Accept {
    listener: TcpListener,
    slots: Arc<Semaphore>,
    intake: Arc<Intake>,
    config: SyslogConfig,
    stop: CancellationToken,
    tasks: TaskTracker,
}

impl Accept {
    async fn run(self) {
        loop {
            let accepted = tokio::select! {
                biased;
                _ = self.stop.cancelled() => break,
                a = self.listener.accept() => a,
            };
            match accepted {
                Ok((stream, peer)) => self.admit(stream, peer),
                Err(e) => {
                    bump(&self.intake.stats().counters().socket_errors);
                    self.intake
                        .stats()
                        .note(Event::SocketError, &format_args!("TCP accept: {e}"));
                    tokio::select! {
                        _ = self.stop.cancelled() => break,
                        _ = tokio::time::sleep(ERROR_BACKOFF) => {}
                    }
                }
            }
        }
    }

    fn admit(&self, stream: TcpStream, peer: SocketAddr) {
        let stats = self.intake.stats();
        let Ok(permit) = self.slots.clone().try_acquire_owned() else {
            // Dropped here: closed at once, never queued.
            drop(stream);
            bump(&stats.counters().over_cap);
            stats.note(Event::OverCap, &peer);
            return;
        };
        bump(&stats.counters().connections);
        bump(&stats.counters().open_connections);
        let conn = Connection {
            stream,
            peer,
            intake: self.intake.clone(),
            idle: self.config.idle.min(LONGEST),
            frame: self.config.frame.min(LONGEST),
            stop: self.stop.clone(),
            _permit: permit,
        };
        self.tasks.spawn(conn.serve());
    }
}

/// One TCP peer: its slot, its framer and its deadlines.
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    intake: Arc<Intake>,
    idle: Duration,
    frame: Duration,
    stop: CancellationToken,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn serve(mut self) {
        let mut framer = Framer::new();
        let mut buf = vec![0u8; READ];
        let mut last = Instant::now();
        // When the frame now partly held began (the read that brought its first byte).
        let mut frame_began: Option<Instant> = None;
        let sender = self.peer.ip();
        loop {
            let deadline = match frame_began {
                Some(began) => (began + self.frame).min(last + self.idle),
                None => last + self.idle,
            };
            let read = tokio::select! {
                biased;
                _ = self.stop.cancelled() => return,
                _ = tokio::time::sleep_until(deadline) => {
                    let stats = self.intake.stats();
                    bump(&stats.counters().timeouts);
                    let what = if frame_began.is_some() { "a frame not finished in time" } else { "idle" };
                    stats.note(Event::Timeout, &format_args!("{}: {what}", self.peer));
                    return;
                }
                r = self.stream.read(&mut buf) => r,
            };
            let n = match read {
                Ok(0) => return,
                Ok(n) => n,
                Err(e) => {
                    tracing::debug!(peer = %self.peer, error = %e, "syslog connection ended");
                    return;
                }
            };
            last = Instant::now();
            let mut finished_one = false;
            for frame in framer.feed(buf.get(..n).unwrap_or(&buf)) {
                match frame {
                    Frame::Message(m) => {
                        finished_one = true;
                        self.intake.frame(&m, sender);
                    }
                    Frame::Broken(why) => {
                        self.intake.broken_frame(&why, sender);
                        return;
                    }
                }
            }
            frame_began = match (framer.partial(), frame_began) {
                (0, _) => None,
                // The partial frame began in this read, after the ones it finished.
                (_, _) if finished_one => Some(last),
                (_, began) => began.or(Some(last)),
            };
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.intake
            .stats()
            .counters()
            .open_connections
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn port_zero_is_one_port_for_both_and_a_taken_port_is_named() {
        let bound = SyslogReceiver::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let addr = bound.local_addr();
        assert_ne!(addr.port(), 0);
        assert_eq!(bound.udp.local_addr().unwrap(), addr);
        let e = SyslogReceiver::bind(addr).await.unwrap_err();
        assert!(
            matches!(e, SyslogError::Bind { addr: a, transport: Transport::Tcp, .. } if a == addr),
            "{e}"
        );
        assert!(e.to_string().contains("PATCHPANEL_SYSLOG_LISTEN"), "{e}");
        // UDP alone taken: named as UDP.
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let taken = udp.local_addr().unwrap();
        if let Err(e) = SyslogReceiver::bind(taken).await {
            assert!(
                matches!(
                    e,
                    SyslogError::Bind {
                        transport: Transport::Udp,
                        ..
                    }
                ),
                "{e}"
            );
        }
    }

    #[tokio::test]
    async fn run_ends_on_shutdown_with_its_sockets() {
        let bound = SyslogReceiver::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let addr = bound.local_addr();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(bound.run(
            Arc::new(SignalQueue::new(4)),
            Arc::new(AddressBook::new()),
            shutdown.clone(),
        ));
        let _open = TcpStream::connect(addr).await.unwrap();
        shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .unwrap()
            .unwrap();
        assert!(TcpStream::connect(addr).await.is_err(), "the port is free");
    }
}
