//! The NETCONF client (`DeviceReader` → `device::netconf`, ssh2 on `spawn_blocking`) against the device
//! simulator's NETCONF server (russh): the two were written apart, so this is where a misreading of
//! RFC 6242 on either side shows up. Also checks that RESTCONF and NETCONF read the same facts.

#[path = "reads/mod.rs"]
mod reads;

use patchpanel::device::netconf::framing::Framing;
use patchpanel::device::netconf::{ConnectOptions, NetconfSession};
use patchpanel::device::{
    DeviceError, DeviceReader, DeviceSettings, Inventory, PortMode, Protocol,
};
use patchpanel::secret::Secret;
use patchpanel_sim::device::{ssh, start, DeviceSimConfig, RunningDeviceSim};
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const USER: &str = "netops";
const PASSWORD: &str = "nc-s3cret";
/// A safety net so a regression fails instead of hanging; happy paths take milliseconds.
const TIMEOUT: Duration = Duration::from_secs(10);

struct Fixture {
    sim: RunningDeviceSim,
    shutdown: CancellationToken,
    dir: tempfile::TempDir,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Fixture {
    async fn start(base_1_1: bool) -> Fixture {
        let shutdown = CancellationToken::new();
        let sim = start(
            DeviceSimConfig {
                restconf_listen: "127.0.0.1:0".parse().unwrap(),
                netconf_listen: "127.0.0.1:0".parse().unwrap(),
                hostname: "c9300".into(),
                credentials: Some((USER.into(), Secret::new(PASSWORD))),
                host_key_path: None,
                base_1_1,
            },
            shutdown.clone(),
        )
        .await
        .unwrap();
        Fixture {
            sim,
            shutdown,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn known_hosts(&self, contents: &str) -> PathBuf {
        let path = self
            .dir
            .path()
            .join(format!("known_hosts-{}", fastrand::u64(..)));
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn trusted(&self) -> PathBuf {
        self.known_hosts(&format!("{}\n", self.sim.known_hosts_line()))
    }

    /// `c9300-nc` over NETCONF and `c9300-rc` over RESTCONF, both the same simulator.
    fn inventory(&self) -> Inventory {
        Inventory::from_toml_str(&format!(
            "[[device]]\nname = \"c9300-nc\"\nhost = \"127.0.0.1\"\nnetconf_port = {}\n\n\
             [[device]]\nname = \"c9300-rc\"\nhost = \"127.0.0.1\"\nrestconf_url = \"{}\"\n",
            self.sim.netconf_addr.port(),
            self.sim.restconf_url
        ))
        .unwrap()
    }

    fn reader_with(&self, password: &str, known_hosts: PathBuf) -> DeviceReader {
        let settings = DeviceSettings {
            username: Some(USER.into()),
            password: Some(Secret::new(password)),
            known_hosts: Some(known_hosts),
            ..DeviceSettings::default()
        };
        DeviceReader::new(self.inventory(), settings)
            .unwrap()
            .with_timeout(TIMEOUT)
            .unwrap()
    }

    fn reader(&self) -> DeviceReader {
        self.reader_with(PASSWORD, self.trusted())
    }

    /// A raw client session, to see what the hello exchange negotiated.
    async fn session_framing(&self) -> (Framing, Option<String>) {
        let addr = self.sim.netconf_addr;
        let opts = ConnectOptions {
            password: Some(Secret::new(PASSWORD)),
            known_hosts: Some(self.trusted()),
            connect_timeout: TIMEOUT,
            rpc_timeout: TIMEOUT,
            ..ConnectOptions::new(addr.ip().to_string(), addr.port(), USER)
        };
        tokio::task::spawn_blocking(move || {
            let session = NetconfSession::connect(&opts).unwrap();
            let out = (
                session.framing(),
                session.session_id().map(|id| id.to_string()),
            );
            session.close();
            out
        })
        .await
        .unwrap()
    }
}

fn sim_fingerprint(sim: &RunningDeviceSim) -> String {
    // Computed independently of the client (ssh-key, not libssh2).
    russh::keys::PublicKey::from_openssh(&sim.host_key_openssh)
        .unwrap()
        .fingerprint(russh::keys::HashAlg::Sha256)
        .to_string()
}

/// Regression: the client sends its hello first (RFC 6242 lets both sides send at once), and the
/// simulator's hello arrives together with the subsystem reply. The client used to call
/// `Write::flush` after writing, which on an ssh2 channel is `libssh2_channel_flush_ex`: it discarded
/// the server hello already buffered, and every session waited for it until the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_hello_buffered_before_our_hello_is_not_discarded() {
    let f = Fixture::start(true).await;
    let (framing, session_id) = f.session_framing().await;
    assert_eq!(framing, Framing::Chunked);
    assert!(session_id.is_some(), "the server hello was not read");
    // Several sessions in a row, each with a hello exchange, several RPCs and close-session.
    let reader = f.reader();
    for _ in 0..3 {
        let vrfs = reads::vrfs(&reader, "c9300-nc").await.unwrap();
        assert_eq!(vrfs.protocol, Protocol::Netconf);
        assert_eq!(vrfs.data.len(), 4);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vrfs_over_netconf() {
    let f = Fixture::start(true).await;
    let md = reads::vrfs(&f.reader(), "c9300-nc")
        .await
        .map(|a| patchpanel::render::vrfs(&a))
        .unwrap();
    assert!(md.contains("**c9300-nc**"), "{md}");
    assert!(md.contains("via NETCONF"), "{md}");
    assert!(md.contains("4 VRFs"), "{md}");
    assert!(
        md.contains("| BLUE | 65000:1 | 65000:1 | 65000:1 | ipv4 | Blue tenant |"),
        "{md}"
    );
    for name in ["RED", "GUEST", "Mgmt-vrf"] {
        assert!(md.contains(&format!("| {name} |")), "{md}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interface_over_netconf() {
    let f = Fixture::start(true).await;
    let reader = f.reader();
    let md = reads::interface(&reader, "c9300-nc", "GigabitEthernet1/0/2")
        .await
        .map(|a| patchpanel::render::interface(&a))
        .unwrap();
    assert!(md.contains("GigabitEthernet1/0/2"), "{md}");
    assert!(md.contains("via NETCONF"), "{md}");
    assert!(md.contains("Floor 2 printer"), "{md}");
    assert!(md.contains("access, VLAN 10"), "{md}");

    let view = reads::interface(&reader, "c9300-nc", "Gi1/0/2")
        .await
        .unwrap()
        .data;
    assert_eq!(view.config.description.as_deref(), Some("Floor 2 printer"));
    assert_eq!(view.config.mode, Some(PortMode::Access { vlan: Some(10) }));
    let state = view.state.expect("interface state over <get>");
    assert!(state.oper_status.is_some(), "{state:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_interface_is_named() {
    let f = Fixture::start(true).await;
    let e = reads::interface(&f.reader(), "c9300-nc", "GigabitEthernet1/0/49")
        .await
        .map(|a| patchpanel::render::interface(&a))
        .unwrap_err()
        .device();
    assert!(
        matches!(&e, DeviceError::NoSuchInterface { device, interface }
            if device == "c9300-nc" && interface == "GigabitEthernet1/0/49"),
        "{e:?}"
    );
    assert!(e.to_string().contains("no interface"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_host_key_is_refused_with_host_and_fingerprint() {
    let f = Fixture::start(true).await;
    let other = ssh::public_openssh(&ssh::load_or_create_host_key(None).unwrap()).unwrap();
    let addr = f.sim.netconf_addr;
    let kh = f.known_hosts(&format!("[{}]:{} {other}\n", addr.ip(), addr.port()));
    let e = reads::vrfs(&f.reader_with(PASSWORD, kh), "c9300-nc")
        .await
        .unwrap_err()
        .device();
    let expected = sim_fingerprint(&f.sim);
    assert!(expected.starts_with("SHA256:"), "{expected}");
    match &e {
        DeviceError::HostKeyMismatch {
            device,
            address,
            fingerprint,
        } => {
            assert_eq!(device, "c9300-nc");
            assert_eq!(address, &format!("127.0.0.1:{}", addr.port()));
            assert_eq!(fingerprint, &expected);
        }
        other => panic!("expected HostKeyMismatch, got {other:?}"),
    }
    let text = e.to_string();
    assert!(
        text.contains(&format!("127.0.0.1:{}", addr.port())),
        "{text}"
    );
    assert!(text.contains(&expected), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_host_is_refused() {
    let f = Fixture::start(true).await;
    let e = reads::vrfs(&f.reader_with(PASSWORD, f.known_hosts("")), "c9300-nc")
        .await
        .unwrap_err()
        .device();
    match &e {
        DeviceError::HostKeyUnknown {
            address,
            fingerprint,
            ..
        } => {
            assert_eq!(address, &format!("127.0.0.1:{}", f.sim.netconf_addr.port()));
            assert_eq!(fingerprint, &sim_fingerprint(&f.sim));
        }
        other => panic!("expected HostKeyUnknown, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_auth_failed_without_the_secret() {
    let f = Fixture::start(true).await;
    let e = reads::vrfs(&f.reader_with("not-the-password", f.trusted()), "c9300-nc")
        .await
        .unwrap_err()
        .device();
    assert!(
        matches!(
            &e,
            DeviceError::AuthFailed {
                protocol: Protocol::Netconf,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(!format!("{e} {e:?}").contains("not-the-password"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_framings_work() {
    for (base_1_1, framing) in [(true, Framing::Chunked), (false, Framing::EndOfMessage)] {
        let f = Fixture::start(base_1_1).await;
        assert_eq!(f.session_framing().await.0, framing);
        let reader = f.reader();
        let vrfs = reads::vrfs(&reader, "c9300-nc").await.unwrap();
        let names: Vec<&str> = vrfs.data.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names.len(), 4, "{framing:?}: {names:?}");
        assert!(names.contains(&"BLUE"), "{framing:?}: {names:?}");
        let md = reads::interface(&reader, "c9300-nc", "GigabitEthernet1/0/2")
            .await
            .map(|a| patchpanel::render::interface(&a))
            .unwrap();
        assert!(md.contains("Floor 2 printer"), "{framing:?}: {md}");
        assert!(md.contains("access, VLAN 10"), "{framing:?}: {md}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restconf_and_netconf_read_the_same_facts() {
    let f = Fixture::start(true).await;
    let reader = f.reader();
    let rc = reads::vrfs(&reader, "c9300-rc").await.unwrap();
    let nc = reads::vrfs(&reader, "c9300-nc").await.unwrap();
    assert_eq!(rc.protocol, Protocol::Restconf);
    assert_eq!(nc.protocol, Protocol::Netconf);
    let sorted = |mut v: Vec<patchpanel::device::Vrf>| {
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    };
    assert_eq!(sorted(rc.data), sorted(nc.data));

    for iface in [
        "GigabitEthernet1/0/2",
        "GigabitEthernet1/0/3",
        "GigabitEthernet0/0",
    ] {
        let rc = reads::interface(&reader, "c9300-rc", iface).await.unwrap();
        let nc = reads::interface(&reader, "c9300-nc", iface).await.unwrap();
        assert_eq!(rc.data, nc.data, "{iface}");
    }
}
