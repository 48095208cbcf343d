//! NETCONF failure paths against loopback listeners that are not NETCONF servers: the client must
//! fail with a clear error and never hang. (Happy paths run against the device simulator, see the
//! sim-based tests.)

#[path = "reads/mod.rs"]
mod reads;

use patchpanel::device::{DeviceError, DeviceReader, DeviceSettings, Inventory, Protocol};
use patchpanel::secret::Secret;
use std::io::Write;
use std::net::TcpListener;
use std::time::Duration;

fn reader(port: u16, known_hosts: Option<std::path::PathBuf>) -> DeviceReader {
    let inv = Inventory::from_toml_str(&format!(
        "[[device]]\nname = \"sw1\"\nhost = \"127.0.0.1\"\nnetconf_port = {port}\n"
    ))
    .unwrap();
    let settings = DeviceSettings {
        username: Some("admin".into()),
        password: Some(Secret::new("pw-never-shown")),
        known_hosts,
        ..DeviceSettings::default()
    };
    DeviceReader::new(inv, settings)
        .unwrap()
        .with_timeout(Duration::from_secs(1))
        .unwrap()
}

/// Guard against a hang turning into a stuck test run; the bound is generous and not asserted.
async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("device read hung")
}

fn known_hosts_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let p = dir.path().join("known_hosts");
    std::fs::write(&p, "").unwrap();
    p
}

#[tokio::test]
async fn without_known_hosts_nothing_is_contacted() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let e = bounded(reads::vrfs(&reader(port, None), "sw1"))
        .await
        .unwrap_err()
        .device();
    assert!(matches!(e, DeviceError::KnownHostsMissing { .. }), "{e:?}");
    assert!(e.to_string().contains("DEVICE_KNOWN_HOSTS"), "{e}");
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
    assert!(listener.accept().is_err(), "a connection was made");
}

#[tokio::test]
async fn a_non_ssh_server_is_a_clear_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let e = bounded(reads::interface(
        &reader(port, Some(known_hosts_file(&dir))),
        "sw1",
        "Gi1/0/2",
    ))
    .await
    .unwrap_err()
    .device();
    let _ = server.join();
    assert!(
        matches!(
            e,
            DeviceError::Protocol {
                protocol: Protocol::Netconf,
                ..
            }
        ),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains("sw1") && text.contains("SSH handshake"),
        "{text}"
    );
    assert!(text.contains("is this an SSH/NETCONF port?"), "{text}");
    assert!(!text.contains("pw-never-shown"));
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        // Accept and say nothing until the client has given up.
        let conn = listener.accept();
        let _ = rx.recv();
        drop(conn);
    });
    let dir = tempfile::tempdir().unwrap();
    let e = bounded(reads::vrfs(
        &reader(port, Some(known_hosts_file(&dir))),
        "sw1",
    ))
    .await
    .unwrap_err()
    .device();
    let _ = tx.send(());
    let _ = server.join();
    assert!(
        matches!(
            e,
            DeviceError::Timeout {
                protocol: Protocol::Netconf,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let e = bounded(reads::vrfs(
        &reader(port, Some(known_hosts_file(&dir))),
        "sw1",
    ))
    .await
    .unwrap_err()
    .device();
    assert!(matches!(e, DeviceError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
}
