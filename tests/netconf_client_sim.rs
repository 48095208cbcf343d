//! `NetconfSession` (ssh2 on blocking threads) against the device simulator (russh): connect, hello,
//! capabilities, get / get-config with filters, keepalive, close, both framings, host-key policies
//! (strict, accept-new, mismatch), password and key authentication, an rpc-error for a value the
//! device refuses (and no request for a capability it lacks), and the reply bound.

use patchpanel::device::netconf::framing::Framing;
use patchpanel::device::netconf::{ConfigPayload, EditOptions};
use patchpanel::device::netconf::{
    ConnectOptions, Datastore, Filter, HostKeyPolicy, NetconfError, NetconfSession,
};
use patchpanel::secret::Secret;
use patchpanel_sim::device::{
    ssh, start_with, DatastoreMode, DeviceSimConfig, DeviceSimOptions, RunningDeviceSim,
};
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const USER: &str = "netops";
const PASSWORD: &str = "nc-s3cret";
const NATIVE: &str = "http://cisco.com/ns/yang/Cisco-IOS-XE-native";
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
    async fn start(base_1_1: bool, with_password: bool) -> Fixture {
        Fixture::start_in(base_1_1, with_password, DatastoreMode::default()).await
    }

    async fn start_in(base_1_1: bool, with_password: bool, mode: DatastoreMode) -> Fixture {
        let shutdown = CancellationToken::new();
        let sim = start_with(
            DeviceSimConfig {
                restconf_listen: "127.0.0.1:0".parse().unwrap(),
                netconf_listen: "127.0.0.1:0".parse().unwrap(),
                hostname: "c9300".into(),
                credentials: with_password.then(|| (USER.into(), Secret::new(PASSWORD))),
                host_key_path: None,
                base_1_1,
            },
            DeviceSimOptions {
                mode,
                ..Default::default()
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

    fn file(&self, contents: &str) -> PathBuf {
        let path = self
            .dir
            .path()
            .join(format!("known_hosts-{}", fastrand::u64(..)));
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn trusted(&self) -> PathBuf {
        self.file(&format!("{}\n", self.sim.known_hosts_line()))
    }

    fn options(&self, known_hosts: PathBuf) -> ConnectOptions {
        let addr = self.sim.netconf_addr;
        ConnectOptions {
            password: Some(Secret::new(PASSWORD)),
            known_hosts: Some(known_hosts),
            connect_timeout: TIMEOUT,
            rpc_timeout: TIMEOUT,
            ..ConnectOptions::new(addr.ip().to_string(), addr.port(), USER)
        }
    }

    fn fingerprint(&self) -> String {
        // Computed independently of the client (ssh-key, not libssh2).
        russh::keys::PublicKey::from_openssh(&self.sim.host_key_openssh)
            .unwrap()
            .fingerprint(russh::keys::HashAlg::Sha256)
            .to_string()
    }
}

/// Runs blocking client code on a blocking thread, as production does.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

async fn connect(opts: ConnectOptions) -> Result<NetconfSession, NetconfError> {
    blocking(move || NetconfSession::connect(&opts)).await
}

fn interface_filter(number: &str) -> Filter {
    use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
    let mut w = quick_xml::Writer::new(Vec::new());
    let mut native = BytesStart::new("native");
    native.push_attribute(("xmlns", NATIVE));
    w.write_event(Event::Start(native)).unwrap();
    for n in ["interface", "GigabitEthernet", "name"] {
        w.write_event(Event::Start(BytesStart::new(n))).unwrap();
    }
    w.write_event(Event::Text(BytesText::new(number))).unwrap();
    w.write_event(Event::End(BytesEnd::new("name"))).unwrap();
    w.write_event(Event::Empty(BytesStart::new("description")))
        .unwrap();
    for n in ["GigabitEthernet", "interface", "native"] {
        w.write_event(Event::End(BytesEnd::new(n))).unwrap();
    }
    Filter::subtree(w.into_inner())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_read_and_close_in_both_framings() {
    for (base_1_1, framing) in [(true, Framing::Chunked), (false, Framing::EndOfMessage)] {
        let f = Fixture::start(base_1_1, true).await;
        let opts = f.options(f.trusted());
        let out = blocking(move || {
            let mut s = NetconfSession::connect(&opts).unwrap();
            let framing = s.framing();
            let session_id = s.session_id();
            let caps = s.capabilities().clone();
            // get-config with a content-match + selection filter: key and description only.
            let d = s
                .get_config(Datastore::Running, Some(&interface_filter("1/0/2")))
                .unwrap()
                .tree()
                .unwrap();
            let gi = d.path(&["native", "interface", "GigabitEthernet"]).unwrap().clone();
            // get (config + state) of the VRF list, then a keepalive, several times in one session.
            let mut vrfs = 0;
            for _ in 0..3 {
                let vrf_filter = Filter::subtree(format!(
                    "<native xmlns=\"{NATIVE}\"><vrf><definition><name/></definition></vrf></native>"
                ));
                let v = s.get(Some(&vrf_filter)).unwrap().tree().unwrap();
                vrfs = v
                    .path(&["native", "vrf"])
                    .map(|n| n.children_named("definition").count())
                    .unwrap_or(0);
                s.keepalive().unwrap();
            }
            assert!(s.is_usable());
            s.close();
            (framing, session_id, caps, gi, vrfs)
        })
        .await;
        let (got_framing, session_id, caps, gi, vrfs) = out;
        assert_eq!(got_framing, framing);
        assert!(session_id.is_some());
        assert_eq!(caps.base_1_1(), base_1_1);
        assert!(caps.has_namespace(NATIVE));
        assert!(caps
            .module("Cisco-IOS-XE-native")
            .unwrap()
            .revision
            .is_some());
        assert!(
            caps.candidate(),
            "the simulator is candidate-capable by default"
        );
        assert_eq!(gi.text_at(&["name"]).as_deref(), Some("1/0/2"));
        assert_eq!(
            gi.text_at(&["description"]).as_deref(),
            Some("Floor 2 printer")
        );
        assert_eq!(
            gi.children.len(),
            2,
            "only the key and the selected leaf: {gi:?}"
        );
        assert_eq!(vrfs, 4);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_refusals_are_rpc_errors_and_missing_capabilities_send_nothing() {
    // A running-only device: no `:candidate` in its hello.
    let f = Fixture::start_in(true, true, DatastoreMode::RunningOnly).await;
    let opts = f.options(f.trusted());
    let (e, still_usable, unsupported) = blocking(move || {
        let mut s = NetconfSession::connect(&opts).unwrap();
        // The device checks the value and refuses it (the native model: mtu 64–18000).
        let bad_mtu = ConfigPayload::from_xml(
            r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name><mtu>20</mtu></GigabitEthernet></interface></native>"#,
        );
        let e = s
            .edit_config(Datastore::Running, &bad_mtu, &EditOptions::default())
            .unwrap_err();
        let still_usable = s.keepalive().is_ok();
        // The candidate is checked against the hello first: nothing is sent.
        let unsupported = s.lock(Datastore::Candidate).unwrap_err();
        s.close();
        (e, still_usable, unsupported)
    })
    .await;
    let errors = e.rpc_errors();
    assert_eq!(errors.len(), 1, "{e:?}");
    assert_eq!(errors[0].error_tag, "invalid-value");
    assert!(
        errors[0]
            .error_path
            .as_deref()
            .unwrap_or("")
            .contains("mtu"),
        "{:?}",
        errors[0]
    );
    let text = e.to_string();
    assert!(
        text.contains("invalid-value") && text.contains("mtu"),
        "{text}"
    );
    assert!(still_usable, "an rpc-error leaves the session usable");
    assert!(matches!(unsupported, NetconfError::Unsupported(w) if w.contains(":candidate")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_host_keys_fail_closed() {
    let f = Fixture::start(true, true).await;
    let port = f.sim.netconf_addr.port();
    // Unknown host.
    let e = connect(f.options(f.file(""))).await.unwrap_err();
    assert_eq!(
        e,
        NetconfError::HostKeyUnknown {
            host: "127.0.0.1".into(),
            port,
            fingerprint: f.fingerprint()
        }
    );
    let text = e.to_string();
    assert!(
        text.contains(&format!("127.0.0.1:{port}")) && text.contains(&f.fingerprint()),
        "{text}"
    );
    // No known_hosts at all: refused before connecting.
    let mut opts = f.options(f.trusted());
    opts.known_hosts = None;
    assert_eq!(
        connect(opts).await.unwrap_err(),
        NetconfError::KnownHostsMissing
    );
    // Strict with a missing file.
    let mut opts = f.options(f.dir.path().join("nope"));
    opts.host_key_policy = HostKeyPolicy::Strict;
    assert!(matches!(
        connect(opts).await.unwrap_err(),
        NetconfError::KnownHostsUnreadable { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_key_is_refused_even_with_accept_new() {
    let f = Fixture::start(true, true).await;
    let addr = f.sim.netconf_addr;
    let other = ssh::public_openssh(&ssh::load_or_create_host_key(None).unwrap()).unwrap();
    let line = format!("[{}]:{} {other}\n", addr.ip(), addr.port());
    for policy in [HostKeyPolicy::Strict, HostKeyPolicy::AcceptNew] {
        let kh = f.file(&line);
        let mut opts = f.options(kh.clone());
        opts.host_key_policy = policy;
        let e = connect(opts).await.unwrap_err();
        assert_eq!(
            e,
            NetconfError::HostKeyMismatch {
                host: "127.0.0.1".into(),
                port: addr.port(),
                fingerprint: f.fingerprint()
            },
            "{policy:?}"
        );
        assert!(e.to_string().contains("HOST KEY MISMATCH"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&kh).unwrap(),
            line,
            "known_hosts must not change"
        );
    }
    // A key of another type on file for this host is a change too, not a first use.
    let rsa_line = format!(
        "[{}]:{} ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDJ7nq0aVYfRkzlOGyTQYAxGSsmxOmvQ6ZvHMTP2Zd7rB9Qq9xK3vHq0fZ8b9yYw1nN3mJX3q2y4k1c7t7Xo0l0L8bG1jz2o1r2VbY0l4n1oq9Kx6pS5bJ3M0nZ3z2p6cQ8q1F8r0l5v5lJ2yX0m1n2o3p4q5r6s7t8u9v0w1x2y3z4A5B6C7D8E9F0G1H2I3J4K5L6M7N8O9P==\n",
        addr.ip(),
        addr.port()
    );
    let kh = f.file(&rsa_line);
    let mut opts = f.options(kh.clone());
    opts.host_key_policy = HostKeyPolicy::AcceptNew;
    let e = connect(opts).await.unwrap_err();
    assert!(matches!(e, NetconfError::HostKeyMismatch { .. }), "{e:?}");
    assert_eq!(std::fs::read_to_string(&kh).unwrap(), rsa_line);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_new_learns_an_unknown_key_once() {
    let f = Fixture::start(true, true).await;
    let kh = f.dir.path().join("learned_known_hosts");
    std::fs::write(&kh, "# comment without newline").unwrap();
    let mut opts = f.options(kh.clone());
    opts.host_key_policy = HostKeyPolicy::AcceptNew;
    let s = connect(opts.clone()).await.unwrap();
    blocking(move || s.close()).await;
    let text = std::fs::read_to_string(&kh).unwrap();
    let addr = f.sim.netconf_addr;
    let expected = format!(
        "[{}]:{} {}",
        addr.ip(),
        addr.port(),
        f.sim.host_key_openssh.trim()
    );
    assert_eq!(text, format!("# comment without newline\n{expected}\n"));
    // The learned entry now passes a strict check, and accept-new adds nothing more.
    opts.host_key_policy = HostKeyPolicy::Strict;
    let s = connect(opts.clone()).await.unwrap();
    blocking(move || s.close()).await;
    opts.host_key_policy = HostKeyPolicy::AcceptNew;
    let s = connect(opts).await.unwrap();
    blocking(move || s.close()).await;
    assert_eq!(std::fs::read_to_string(&kh).unwrap().lines().count(), 2);
    // A missing file is created under accept-new.
    let fresh = f.dir.path().join("sub-known_hosts");
    let mut opts = f.options(fresh.clone());
    opts.host_key_policy = HostKeyPolicy::AcceptNew;
    let s = connect(opts).await.unwrap();
    blocking(move || s.close()).await;
    assert_eq!(
        std::fs::read_to_string(&fresh).unwrap(),
        format!("{expected}\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication() {
    let f = Fixture::start(true, true).await;
    let mut opts = f.options(f.trusted());
    opts.password = Some(Secret::new("not-the-password"));
    let e = connect(opts.clone()).await.unwrap_err();
    assert!(
        matches!(&e, NetconfError::AuthFailed { user, .. } if user == USER),
        "{e:?}"
    );
    assert!(!format!("{e} {e:?}").contains("not-the-password"));
    opts.password = None;
    let e = connect(opts).await.unwrap_err();
    assert!(
        matches!(&e, NetconfError::AuthFailed { reason, .. } if reason.contains("no password or SSH key")),
        "{e:?}"
    );

    // Key authentication (this simulator accepts any key when it has no password configured).
    let f = Fixture::start(true, false).await;
    let key = ssh::load_or_create_host_key(None).unwrap();
    let key_path = f.dir.path().join("id_ed25519");
    std::fs::write(
        &key_path,
        key.to_openssh(russh::keys::ssh_key::LineEnding::LF)
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let mut opts = f.options(f.trusted());
    opts.password = None;
    opts.ssh_key = Some(key_path);
    let mut s = connect(opts).await.unwrap();
    let ok = blocking(move || {
        let r = s.keepalive();
        s.close();
        r
    })
    .await;
    ok.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_over_the_bound_closes_the_session() {
    let f = Fixture::start(true, true).await;
    let mut opts = f.options(f.trusted());
    // Room for the hello (~3 KB with IOS-XE 17's capabilities), not for the whole configuration.
    opts.max_reply_bytes = 6000;
    let (first, second) = blocking(move || {
        let mut s = NetconfSession::connect(&opts).unwrap();
        // The whole configuration is far larger than 6000 bytes.
        let first = s.get_config(Datastore::Running, None).unwrap_err();
        let second = s.keepalive().unwrap_err();
        s.close();
        (first, second)
    })
    .await;
    assert_eq!(first, NetconfError::ReplyTooLarge { limit: 6000 });
    assert!(
        matches!(second, NetconfError::SessionClosed { .. }),
        "{second:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_is_clean_and_many_sessions_run_in_parallel() {
    let f = Fixture::start(true, true).await;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let opts = f.options(f.trusted());
        tasks.push(tokio::task::spawn_blocking(move || {
            let mut s = NetconfSession::connect(&opts).unwrap();
            let id = s.session_id().unwrap();
            s.keepalive().unwrap();
            s.close();
            id
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4, "each session has its own id: {ids:?}");
}
