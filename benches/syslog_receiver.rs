//! Syslog lines per second the receiver (`watch::syslog_receiver`) takes, and that its memory
//! stays flat while it does. In process, release build, on loopback: one sender blasts half
//! `%SYS-5-CONFIG_I` lines (three devices) and half noise as fast as it can, from one UDP socket,
//! then over one TCP connection by line and by octet count; the receiver's counters say how many
//! it processed, /proc/net/udp how many the kernel dropped because the receiver was behind, and
//! /proc/self/status the peak RSS (VmHWM) before and after.
//!
//! Run: `cargo bench --bench syslog_receiver` (optional: seconds per phase, default 3).

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use patchpanel::watch::addresses::AddressBook;
use patchpanel::watch::queue::SignalQueue;
use patchpanel::watch::syslog_receiver::{SyslogCounters, SyslogReceiver};
use tokio_util::sync::CancellationToken;

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with(field))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn kernel_drops(port: u16) -> u64 {
    let table = std::fs::read_to_string("/proc/net/udp").unwrap_or_default();
    let local = format!("0100007F:{port:04X}");
    table
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some(local.as_str()))
        .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
        .sum()
}

/// 1,000 lines: even ones a configuration change for sw1..sw3, odd ones noise.
fn lines() -> Vec<Vec<u8>> {
    (0..1000)
        .map(|i| {
            if i % 2 == 0 {
                format!("<189>1 2026-12-04T07:30:01Z sw{} - - - - %SYS-5-CONFIG_I: Configured from console by user{i} on vty0 (10.1.1.1)", i / 2 % 3 + 1).into_bytes()
            } else {
                format!("<190>{i}: *Dec  4 07:30:01.123: %LINK-3-UPDOWN: Interface GigabitEthernet1/0/{}, changed state to up", i % 48 + 1).into_bytes()
            }
        })
        .collect()
}

fn report(what: &str, sent: u64, processed: u64, secs: f64, extra: &str) {
    println!(
        "{what:<28} sent {:>9.0}/s  processed {:>9.0}/s  ({processed} in {secs:.2} s){extra}  VmHWM {:.1} MB",
        sent as f64 / secs,
        processed as f64 / secs,
        status_kb("VmHWM:") as f64 / 1024.0
    );
}

/// Waits until the receiver has taken what it will of `expected` (or stopped moving).
fn settle(expected: impl Fn() -> bool) {
    let until = Instant::now() + Duration::from_secs(5);
    while !expected() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn udp_phase(addr: SocketAddr, stats: &SyslogCounters, secs: Duration, lines: &[Vec<u8>]) {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let before = stats.snapshot().datagrams;
    let drops_before = kernel_drops(addr.port());
    let began = Instant::now();
    let mut sent = 0u64;
    while began.elapsed() < secs {
        for line in lines {
            if sock.send_to(line, addr).is_ok() {
                sent += 1;
            }
        }
    }
    let sending = began.elapsed().as_secs_f64();
    settle(|| {
        stats.snapshot().datagrams - before + kernel_drops(addr.port()) - drops_before >= sent
    });
    let processed = stats.snapshot().datagrams - before;
    let drops = kernel_drops(addr.port()) - drops_before;
    report(
        "UDP, one sender",
        sent,
        processed,
        sending,
        &format!("  kernel drops {drops}"),
    );
}

fn tcp_phase(
    what: &str,
    addr: SocketAddr,
    stats: &SyslogCounters,
    secs: Duration,
    lines: &[Vec<u8>],
    octets: bool,
) {
    let mut wire = Vec::new();
    for line in lines {
        if octets {
            wire.extend_from_slice(format!("{} ", line.len()).as_bytes());
            wire.extend_from_slice(line);
        } else {
            wire.extend_from_slice(line);
            wire.push(b'\n');
        }
    }
    let before = stats.snapshot().frames;
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    let began = Instant::now();
    let mut sent = 0u64;
    while began.elapsed() < secs {
        conn.write_all(&wire).unwrap();
        sent += lines.len() as u64;
    }
    drop(conn);
    settle(|| stats.snapshot().frames - before >= sent);
    // TCP loses nothing: the sender is held back by the receiver's window, so the rate is the
    // receiver's.
    let secs = began.elapsed().as_secs_f64();
    report(what, sent, stats.snapshot().frames - before, secs, "");
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let secs = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<u64>().ok())
        .unwrap_or(3);
    let phase = Duration::from_secs(secs);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let queue = Arc::new(SignalQueue::new(64));
    let book = Arc::new(AddressBook::new());
    book.replace(
        ["sw1", "sw2", "sw3"]
            .iter()
            .map(|d| ("127.0.0.1".parse().unwrap(), d.to_string())),
    );
    let shutdown = CancellationToken::new();
    let bound = rt
        .block_on(SyslogReceiver::bind("127.0.0.1:0".parse().unwrap()))
        .unwrap();
    let addr = bound.local_addr();
    let stats = bound.stats();
    let task = rt.spawn(bound.run(queue.clone(), book, shutdown.clone()));
    std::thread::sleep(Duration::from_millis(100));
    let hwm_before = status_kb("VmHWM:");
    println!(
        "syslog receiver on {addr}, {secs} s per phase; VmHWM before {:.1} MB",
        hwm_before as f64 / 1024.0
    );
    let lines = lines();
    udp_phase(addr, &stats, phase, &lines);
    tcp_phase(
        "TCP, one connection, lines",
        addr,
        &stats,
        phase,
        &lines,
        false,
    );
    tcp_phase("TCP, octet counting", addr, &stats, phase, &lines, true);
    udp_phase(addr, &stats, phase, &lines);
    let s = stats.snapshot();
    println!(
        "queue: {} entries after {} configuration changes ({} signals, {} refused); every message counted once: {}",
        queue.len(),
        s.config_changes,
        s.signals,
        s.queue_full,
        s.outcomes() == s.messages()
    );
    println!(
        "VmHWM before {:.1} MB, after {:.1} MB (growth {:.1} MB); VmRSS now {:.1} MB",
        hwm_before as f64 / 1024.0,
        status_kb("VmHWM:") as f64 / 1024.0,
        (status_kb("VmHWM:").saturating_sub(hwm_before)) as f64 / 1024.0,
        status_kb("VmRSS:") as f64 / 1024.0
    );
    shutdown.cancel();
    rt.block_on(task).unwrap();
}
