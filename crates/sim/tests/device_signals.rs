//! The device simulator's syslog on the wire: a console change (`POST /_sim/cli`) reaches a UDP
//! receiver as IOS-XE's `%SYS-5-CONFIG_I` line from the device's own address, a TCP receiver as
//! RFC 6587 octet-counted frames on a connection that is reopened when the receiver drops it; a
//! refused value changes nothing and signals nothing; silent changes and the mute fault send none.
// A test binary: its helpers fail the test by panicking, which clippy.toml allows only inside
// `#[test]` functions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use patchpanel_sim::device::{
    start_with, DeviceSimConfig, DeviceSimOptions, Fault, RunningDeviceSim, SyslogTarget,
    SyslogTransport,
};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio_util::sync::CancellationToken;

/// A safety net so a regression fails instead of hanging; happy paths take milliseconds.
const WAIT: Duration = Duration::from_secs(10);

async fn sim(ip: &str, syslog: Option<SyslogTarget>) -> (RunningDeviceSim, CancellationToken) {
    let shutdown = CancellationToken::new();
    let sim = start_with(
        DeviceSimConfig {
            restconf_listen: format!("{ip}:0").parse().unwrap(),
            netconf_listen: format!("{ip}:0").parse().unwrap(),
            hostname: "c9300".into(),
            credentials: None,
            host_key_path: None,
            base_1_1: true,
        },
        DeviceSimOptions {
            syslog,
            ..Default::default()
        },
        shutdown.clone(),
    )
    .await
    .unwrap();
    (sim, shutdown)
}

/// One HTTP/1.1 POST with a JSON body over a raw socket: (status, JSON answer).
async fn post(addr: SocketAddr, path: &str, body: &Value) -> (u16, Value) {
    let body = body.to_string();
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: sim\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8(raw).unwrap();
    let status = text[9..12].parse().unwrap();
    let (_, json) = text.split_once("\r\n\r\n").unwrap();
    (status, serde_json::from_str(json).unwrap_or(Value::Null))
}

async fn cli(sim: &RunningDeviceSim, body: Value) -> (u16, Value) {
    post(sim.restconf_addr, "/_sim/cli", &body).await
}

async fn datagram(udp: &UdpSocket) -> (String, SocketAddr) {
    let mut buf = [0u8; 2048];
    let (n, from) = tokio::time::timeout(WAIT, udp.recv_from(&mut buf))
        .await
        .expect("a syslog datagram")
        .unwrap();
    (String::from_utf8(buf[..n].to_vec()).unwrap(), from)
}

async fn nothing_within(udp: &UdpSocket, ms: u64) -> bool {
    let mut buf = [0u8; 2048];
    tokio::time::timeout(Duration::from_millis(ms), udp.recv_from(&mut buf))
        .await
        .is_err()
}

/// `<189>N: *Mon DD HH:MM:SS.mmm: ` and the rest.
fn strip_header(line: &str) -> &str {
    let rest = line.strip_prefix("<189>").expect("PRI 189");
    let (seq, rest) = rest.split_once(": ").unwrap();
    assert!(seq.parse::<u64>().is_ok(), "sequence number in {line}");
    let (stamp, text) = rest.split_at(20);
    let b = stamp.as_bytes();
    assert!(
        b[0] == b'*' && b[4] == b' ' && b[7] == b' ' && b[10] == b':' && b[16] == b'.',
        "timestamp {stamp:?}"
    );
    text.strip_prefix(": ").unwrap()
}

#[tokio::test]
async fn a_console_change_is_logged_over_udp_from_the_device_address() {
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let target = SyslogTarget {
        addr: udp.local_addr().unwrap(),
        transport: SyslogTransport::Udp,
    };
    let (sim, _stop) = sim("127.0.0.3", Some(target)).await;

    let (status, answer) = cli(
        &sim,
        json!({"interface":"Gi1/0/7","set":{"description":"rogue","mtu":9000}}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["interface"], "GigabitEthernet1/0/7");
    assert_eq!(answer["signalled"], true);
    assert_eq!(
        answer["changes"][0],
        json!({"target":"/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/7']/ios:description","operation":"create"})
    );
    let (line, from) = datagram(&udp).await;
    assert_eq!(
        from.ip().to_string(),
        "127.0.0.3",
        "sent from the device's address"
    );
    assert_eq!(
        strip_header(&line),
        "%SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.1.1.1)"
    );
    let gi7 = |sim: &RunningDeviceSim| {
        sim.running_config()
            .interfaces
            .into_iter()
            .find(|i| i.full_name() == "GigabitEthernet1/0/7")
            .unwrap()
    };
    assert_eq!(gi7(&sim).description.as_deref(), Some("rogue"));
    assert_eq!(gi7(&sim).mtu, Some(9000));

    // A value the model refuses: 400 naming it, nothing changed, nothing logged.
    let (status, answer) = cli(&sim, json!({"interface":"Gi1/0/7","set":{"mtu":20000}})).await;
    assert_eq!(status, 400);
    assert!(
        answer["error"].as_str().unwrap().contains("20000"),
        "{answer}"
    );
    assert_eq!(gi7(&sim).mtu, Some(9000));
    let (status, answer) = cli(&sim, json!({"interface":"Gi1/0/99","set":{"mtu":1500}})).await;
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("no interface"));
    assert!(nothing_within(&udp, 300).await);

    // Silent: the change happens, no signal (a lost message).
    let (status, answer) = cli(
        &sim,
        json!({"interface":"Gi1/0/7","set":{"shutdown":true},"silent":true}),
    )
    .await;
    assert_eq!((status, &answer["signalled"]), (200, &json!(false)));
    assert!(gi7(&sim).shutdown);
    assert!(nothing_within(&udp, 300).await);

    // Muted, then cleared; who and where as given.
    sim.inject(Fault::MuteSyslog).unwrap();
    cli(
        &sim,
        json!({"interface":"Gi1/0/7","set":{"shutdown":false}}),
    )
    .await;
    assert!(nothing_within(&udp, 300).await);
    sim.clear_faults();
    let (status, _) = cli(
        &sim,
        json!({"interface":"gig 1/0/7","set":{"access_vlan":30},"user":"eve","line":"vty3","from":"192.0.2.9"}),
    )
    .await;
    assert_eq!(status, 200);
    let (line, _) = datagram(&udp).await;
    assert_eq!(
        strip_header(&line),
        "%SYS-5-CONFIG_I: Configured from console by eve on vty3 (192.0.2.9)"
    );
    let state = sim.state();
    assert_eq!(state.signals.syslog_sent, 2);
    assert_eq!(state.signals.syslog_dropped, 0);
}

/// Read one RFC 6587 octet-counted frame.
async fn frame(s: &mut TcpStream) -> String {
    let mut len = Vec::new();
    loop {
        let b = tokio::time::timeout(WAIT, s.read_u8())
            .await
            .expect("a frame")
            .unwrap();
        if b == b' ' {
            break;
        }
        len.push(b);
    }
    let n: usize = String::from_utf8(len).unwrap().parse().unwrap();
    let mut msg = vec![0u8; n];
    tokio::time::timeout(WAIT, s.read_exact(&mut msg))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8(msg).unwrap()
}

#[tokio::test]
async fn tcp_is_octet_counted_on_one_connection_reopened_after_a_drop() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (sim, _stop) = sim("127.0.0.4", None).await;
    let (status, answer) = post(
        sim.restconf_addr,
        "/_sim/syslog",
        &json!({"target": listener.local_addr().unwrap().to_string(), "transport": "tcp"}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["syslogTarget"]
        .as_str()
        .unwrap()
        .starts_with("tcp://127.0.0.1:"));

    cli(
        &sim,
        json!({"interface":"Te1/1/2","set":{"description":"a"}}),
    )
    .await;
    let (mut conn, peer) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(peer.ip().to_string(), "127.0.0.4");
    assert!(frame(&mut conn)
        .await
        .ends_with("Configured from console by admin on vty0 (10.1.1.1)"));
    cli(
        &sim,
        json!({"interface":"Te1/1/2","set":{"description":"b"}}),
    )
    .await;
    assert!(frame(&mut conn).await.contains("%SYS-5-CONFIG_I"));

    // The receiver goes away; the next message comes on a new connection.
    drop(conn);
    tokio::time::sleep(Duration::from_millis(100)).await;
    cli(
        &sim,
        json!({"interface":"Te1/1/2","set":{"description":"c"},"line":"console"}),
    )
    .await;
    let (mut conn, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .unwrap()
        .unwrap();
    assert!(frame(&mut conn)
        .await
        .ends_with("%SYS-5-CONFIG_I: Configured from console by admin on console"));

    // Stopped: nothing more is sent.
    let (status, answer) = post(sim.restconf_addr, "/_sim/syslog", &json!({"target": null})).await;
    assert_eq!(status, 200);
    assert_eq!(answer["syslogTarget"], Value::Null);
    let (status, _) = post(sim.restconf_addr, "/_sim/syslog", &json!({})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn vlans_are_refused_with_a_reason() {
    let (sim, _stop) = sim("127.0.0.1", None).await;
    let (status, answer) = cli(&sim, json!({"vlan":{"id":30,"name":"GUEST"}})).await;
    assert_eq!(status, 400);
    assert!(answer["error"]
        .as_str()
        .unwrap()
        .contains("no VLAN database"));
}
