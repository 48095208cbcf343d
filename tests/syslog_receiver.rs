//! The syslog receiver (`patchpanel::watch::syslog_receiver`) over real loopback sockets: real
//! syslog from util-linux `logger` over UDP and TCP (RFC 3164 and RFC 5424, TCP by line and by
//! octet count) becomes a signal for the device with who, where and from where; raw sockets bring
//! what `logger` never sends (garbage, 9 KB datagrams, an octet count of 10^12, a stranger's
//! address, frames that never end, too many connections, a flood of 10,000 datagrams). Each test
//! binds its own receiver on 127.0.0.1:0. `logger` missing is a failure, not a skip: scripts/test
//! installs it (Debian's bsdutils).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use patchpanel::watch::addresses::AddressBook;
use patchpanel::watch::queue::{Pending, SignalQueue};
use patchpanel::watch::signal::Via;
use patchpanel::watch::syslog_receiver::{
    SyslogConfig, SyslogCounters, SyslogReceiver, SyslogStats,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio_util::sync::CancellationToken;

/// Long enough that only a hang reaches it.
const BOUND: Duration = Duration::from_secs(30);
const CONFIG_I: &str = "%SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.1.1.1)";

struct Rx {
    addr: SocketAddr,
    stats: SyslogCounters,
    queue: Arc<SignalQueue>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

/// A receiver whose address book has `devices` at 127.0.0.1 (127.0.0.2 is a stranger).
async fn start(config: SyslogConfig, devices: &[&str], capacity: usize) -> Rx {
    let bound = SyslogReceiver::bind_with("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let addr = bound.local_addr();
    let stats = bound.stats();
    let queue = Arc::new(SignalQueue::new(capacity));
    let book = Arc::new(AddressBook::new());
    book.replace(
        devices
            .iter()
            .map(|d| ("127.0.0.1".parse().unwrap(), d.to_string())),
    );
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(bound.run(queue.clone(), book, shutdown.clone()));
    Rx {
        addr,
        stats,
        queue,
        shutdown,
        task,
    }
}

impl Rx {
    /// Waits (bounded) until the counters satisfy `pred`.
    async fn until(&self, what: &str, pred: impl Fn(&SyslogStats) -> bool) -> SyslogStats {
        let start = Instant::now();
        loop {
            let s = self.stats.snapshot();
            if pred(&s) {
                return s;
            }
            assert!(start.elapsed() < BOUND, "waited for {what}: {s:?}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits (bounded) for the next device entry in the queue, and releases the device at once
    /// (the test plays the watcher, whose check of it is over).
    async fn next(&self) -> Pending {
        let p = tokio::time::timeout(BOUND, self.queue.next())
            .await
            .unwrap_or_else(|_| panic!("no signal: {:?}", self.stats.snapshot()));
        self.queue.done(&p.device);
        p
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(BOUND, self.task)
            .await
            .expect("the receiver stops")
            .unwrap();
    }
}

/// Runs util-linux `logger` against `addr` with `args` and `CONFIG_I` as the message.
async fn logger(addr: SocketAddr, args: &[&str]) {
    let out = tokio::process::Command::new("logger")
        .args(["-n", &addr.ip().to_string(), "-P", &addr.port().to_string()])
        .args(["--socket-errors=on"])
        .args(args)
        .arg(CONFIG_I)
        .output()
        .await
        .unwrap_or_else(|e| {
            panic!("util-linux `logger` is needed (Debian: apt-get install bsdutils; scripts/test installs it): {e}")
        });
    assert!(
        out.status.success(),
        "logger {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn assert_config_i(p: &Pending, device: &str) {
    assert_eq!(p.device, device);
    assert_eq!(p.vias.iter().copied().collect::<Vec<_>>(), [Via::Syslog]);
    assert_eq!(p.by.user.as_deref(), Some("admin"));
    assert_eq!(p.by.line.as_deref(), Some("vty0"));
    assert_eq!(p.by.source_host.as_deref(), Some("10.1.1.1"));
}

#[tokio::test]
async fn logger_over_udp_and_tcp_in_both_formats_signals_the_device() {
    let rx = start(SyslogConfig::default(), &["c9300"], 8).await;
    let cases: [&[&str]; 6] = [
        &["-d", "--rfc3164"],
        &["-d", "--rfc5424"],
        &["-T", "--rfc3164"],
        &["-T", "--rfc5424"],
        &["-T", "--rfc3164", "--octet-count"],
        &["-T", "--rfc5424", "--octet-count"],
    ];
    for (i, args) in cases.iter().enumerate() {
        logger(rx.addr, args).await;
        let p = rx.next().await;
        assert_config_i(&p, "c9300");
        let s = rx.stats.snapshot();
        assert_eq!(s.config_changes, i as u64 + 1, "{args:?}: {s:?}");
    }
    let s = rx
        .until("logger's connections closed", |s| s.open_connections == 0)
        .await;
    assert_eq!((s.datagrams, s.frames, s.connections), (2, 4, 4), "{s:?}");
    assert_eq!(s.outcomes(), s.messages());
    assert_eq!(
        s.malformed + s.oversized + s.ignored + s.unknown_sender,
        0,
        "{s:?}"
    );
    rx.stop().await;
}

#[tokio::test]
async fn garbage_oversized_strangers_and_noise_are_counted_and_signal_nothing() {
    let rx = start(SyslogConfig::default(), &["c9300"], 8).await;
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let stranger = UdpSocket::bind("127.0.0.2:0").await.unwrap();
    let config_i = format!("<189>42: *Dec  4 07:30:01.123: {CONFIG_I}");
    udp.send_to(b"hello, not syslog", rx.addr).await.unwrap();
    udp.send_to(&[b'<', b'1', b'>', 0xff, 0xfe], rx.addr)
        .await
        .unwrap();
    let mut big = config_i.clone().into_bytes();
    big.resize(9 * 1024, b'x');
    udp.send_to(&big, rx.addr).await.unwrap();
    udp.send_to(
        b"<190>%LINK-3-UPDOWN: Interface GigabitEthernet1/0/2, changed state to up",
        rx.addr,
    )
    .await
    .unwrap();
    stranger
        .send_to(config_i.as_bytes(), rx.addr)
        .await
        .unwrap();
    let s = rx.until("five datagrams", |s| s.datagrams == 5).await;
    assert_eq!(
        (
            s.malformed,
            s.oversized,
            s.ignored,
            s.unknown_sender,
            s.config_changes
        ),
        (2, 1, 1, 1, 0),
        "{s:?}"
    );
    assert!(rx.queue.is_empty());

    // TCP: an octet count of 10^12 ends the connection before anything of it is buffered.
    let mut tcp = TcpStream::connect(rx.addr).await.unwrap();
    tcp.write_all(b"1000000000000 <13>").await.unwrap();
    assert_closed(&mut tcp).await;
    // A line of 9 KB without its end: the same.
    let mut tcp = TcpStream::connect(rx.addr).await.unwrap();
    let _ = tcp.write_all(&big).await;
    assert_closed(&mut tcp).await;
    // Noise and garbage lines on one connection are counted, the connection stays.
    let mut tcp = TcpStream::connect(rx.addr).await.unwrap();
    tcp.write_all(b"<190>%LINK-5-CHANGED: x\n<13>hello\nno pri\n")
        .await
        .unwrap();
    let s = rx.until("five frames", |s| s.frames == 5).await;
    assert_eq!((s.oversized, s.broken_streams), (3, 2), "{s:?}");
    assert_eq!((s.ignored, s.malformed), (3, 3), "{s:?}");
    assert_eq!(s.outcomes(), s.messages(), "{s:?}");
    // …and a change on it still arrives.
    tcp.write_all(format!("{config_i}\n").as_bytes())
        .await
        .unwrap();
    assert_config_i(&rx.next().await, "c9300");
    rx.stop().await;
}

/// The server closed the connection: EOF or a reset, within the bound.
async fn assert_closed(tcp: &mut TcpStream) {
    let mut buf = [0u8; 64];
    match tokio::time::timeout(BOUND, tcp.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => {}
        Ok(Ok(n)) => panic!("the receiver wrote {n} bytes"),
        Err(_) => panic!("the connection stayed open"),
    }
}

#[tokio::test]
async fn unfinished_frames_and_silent_peers_are_dropped_after_their_timeouts() {
    let config = SyslogConfig {
        frame: Duration::from_millis(400),
        idle: Duration::from_secs(60),
        ..SyslogConfig::default()
    };
    let rx = start(config, &["c9300"], 8).await;
    // Slow-loris: a byte every 50 ms of a frame that never ends is closed by the frame timeout,
    // though bytes keep moving.
    let mut slow = TcpStream::connect(rx.addr).await.unwrap();
    let began = Instant::now();
    let mut closed = false;
    for b in b"<13>".iter().chain([b'x'; 400].iter()) {
        if slow.write_all(&[*b]).await.is_err() {
            closed = true;
            break;
        }
        let s = rx.stats.snapshot();
        if s.timeouts == 1 {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(closed, "{:?}", rx.stats.snapshot());
    assert_closed(&mut slow).await;
    assert!(began.elapsed() >= Duration::from_millis(400));
    rx.until("the connection gone", |s| s.open_connections == 0)
        .await;
    rx.stop().await;

    // A peer that sends nothing at all is closed by the idle timeout; a finished frame renews it.
    let config = SyslogConfig {
        frame: Duration::from_secs(60),
        idle: Duration::from_millis(300),
        ..SyslogConfig::default()
    };
    let rx = start(config, &["c9300"], 8).await;
    let mut silent = TcpStream::connect(rx.addr).await.unwrap();
    let mut chatty = TcpStream::connect(rx.addr).await.unwrap();
    for _ in 0..6 {
        chatty
            .write_all(b"<190>%LINK-5-CHANGED: x\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_closed(&mut silent).await;
    let s = rx.stats.snapshot();
    assert_eq!(
        (s.timeouts, s.ignored),
        (1, 6),
        "only the silent one: {s:?}"
    );
    assert_closed(&mut chatty).await;
    rx.until("both closed", |s| {
        s.timeouts == 2 && s.open_connections == 0
    })
    .await;
    rx.stop().await;
}

#[tokio::test]
async fn over_the_connection_cap_a_connection_is_accepted_and_closed() {
    let config = SyslogConfig {
        max_connections: 16,
        ..SyslogConfig::default()
    };
    let rx = start(config, &["c9300"], 8).await;
    let mut held = Vec::new();
    for _ in 0..16 {
        held.push(TcpStream::connect(rx.addr).await.unwrap());
    }
    rx.until("16 open", |s| s.open_connections == 16).await;
    let mut refused = Vec::new();
    for _ in 0..300 {
        refused.push(TcpStream::connect(rx.addr).await.unwrap());
    }
    for t in &mut refused {
        assert_closed(t).await;
    }
    let s = rx.until("300 over the cap", |s| s.over_cap == 300).await;
    assert_eq!((s.connections, s.open_connections), (16, 16), "{s:?}");
    // The connections inside the cap still work.
    let line = format!("<189>1 2026-12-04T07:30:01Z c9300 - - - - {CONFIG_I}\n");
    held[7].write_all(line.as_bytes()).await.unwrap();
    assert_config_i(&rx.next().await, "c9300");
    // A slot freed is a slot for the next peer.
    drop(held.pop());
    rx.until("15 open", |s| s.open_connections == 15).await;
    let mut next = TcpStream::connect(rx.addr).await.unwrap();
    next.write_all(line.as_bytes()).await.unwrap();
    rx.next().await;
    assert_eq!(rx.stats.snapshot().over_cap, 300);
    rx.stop().await;
}

/// The receive-queue drops the kernel counted for the UDP socket on 127.0.0.1:`port`
/// (/proc/net/udp's last column).
fn kernel_drops(port: u16) -> u64 {
    let table = std::fs::read_to_string("/proc/net/udp").unwrap();
    let local = format!("0100007F:{port:04X}");
    table
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some(local.as_str()))
        .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_ten_thousand_datagrams_is_three_queue_entries_and_every_one_counted() {
    const SENT: u64 = 10_000;
    let rx = start(SyslogConfig::default(), &["sw1", "sw2", "sw3"], 64).await;
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let lines: Vec<Vec<u8>> = (0..SENT)
        .map(|i| {
            if i % 2 == 0 {
                format!(
                    "<189>1 2026-12-04T07:30:01Z sw{} - - - - %SYS-5-CONFIG_I: Configured from console by user{i} on vty0 (10.1.1.1)",
                    i / 2 % 3 + 1
                )
                .into_bytes()
            } else {
                format!("<190>{i}: *Dec  4 07:30:01.123: %LINK-3-UPDOWN: Interface GigabitEthernet1/0/{}, changed state to up", i % 48 + 1).into_bytes()
            }
        })
        .collect();
    // About a second: 100 datagrams every 10 ms.
    let began = Instant::now();
    for (i, chunk) in lines.chunks(100).enumerate() {
        for line in chunk {
            udp.send_to(line, rx.addr).await.unwrap();
        }
        let due = began + Duration::from_millis(10 * (i as u64 + 1));
        tokio::time::sleep_until(due.into()).await;
    }
    let s = rx
        .until("every datagram received or dropped by the kernel", |s| {
            s.datagrams + kernel_drops(rx.addr.port()) == SENT
        })
        .await;
    let drops = kernel_drops(rx.addr.port());
    println!(
        "flood: {SENT} datagrams sent in {:?}; received {}, dropped by the kernel {drops}; {s:?}",
        began.elapsed(),
        s.datagrams
    );
    assert_eq!(s.outcomes(), s.messages(), "each counted once: {s:?}");
    assert_eq!(s.config_changes + s.ignored, s.datagrams, "{s:?}");
    assert_eq!((s.malformed, s.oversized, s.unknown_sender), (0, 0, 0));
    assert_eq!(s.signals, s.config_changes, "one device each: {s:?}");
    assert_eq!(s.queue_full, 0);
    assert!(s.config_changes > 0 && s.ignored > 0, "{s:?}");
    // 5,000 changes for three devices are at most three entries: nothing is kept per message.
    assert!(rx.queue.len() <= 3, "{}", rx.queue.len());
    let mut merged = 0;
    while let Some(p) = rx.queue.try_next() {
        assert!(["sw1", "sw2", "sw3"].contains(&p.device.as_str()));
        assert!(p.by.user.as_deref().is_some_and(|u| u.starts_with("user")));
        merged += u64::from(p.signals);
    }
    assert_eq!(
        merged, s.signals,
        "every signal merged into its device's entry"
    );
    rx.stop().await;
}
