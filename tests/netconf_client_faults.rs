//! The NETCONF client against a misbehaving device (the simulator's fault switches), one test per
//! failure mode: a stalled reply times out (no hang), garbage framing is a framing error, and a 100 MB
//! reply stops at the reply bound without buffering it. After each, the session refuses further use.

use patchpanel::device::netconf::{ConnectOptions, Datastore, NetconfError, NetconfSession};
use patchpanel::secret::Secret;
use patchpanel::sim::device::{start, DeviceSimConfig, Fault, RunningDeviceSim};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const USER: &str = "netops";
const PASSWORD: &str = "faulty-s3cret";

struct Fixture {
    sim: RunningDeviceSim,
    _shutdown: tokio_util::sync::DropGuard,
    known_hosts: tempfile::NamedTempFile,
}

async fn fixture() -> Fixture {
    let shutdown = CancellationToken::new();
    let sim = start(
        DeviceSimConfig {
            restconf_listen: "127.0.0.1:0".parse().unwrap(),
            netconf_listen: "127.0.0.1:0".parse().unwrap(),
            hostname: "c9300".into(),
            credentials: Some((USER.into(), Secret::new(PASSWORD))),
            host_key_path: None,
            base_1_1: true,
        },
        shutdown.clone(),
    )
    .await
    .unwrap();
    let known_hosts = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(known_hosts.path(), format!("{}\n", sim.known_hosts_line())).unwrap();
    Fixture {
        sim,
        _shutdown: shutdown.drop_guard(),
        known_hosts,
    }
}

impl Fixture {
    fn options(&self) -> ConnectOptions {
        let addr = self.sim.netconf_addr;
        ConnectOptions {
            password: Some(Secret::new(PASSWORD)),
            known_hosts: Some(self.known_hosts.path().to_path_buf()),
            connect_timeout: Duration::from_secs(10),
            rpc_timeout: Duration::from_secs(10),
            ..ConnectOptions::new(addr.ip().to_string(), addr.port(), USER)
        }
    }

    /// Connects, arms `fault`, runs one get-config and then a keepalive on the same session.
    async fn after(&self, fault: Fault, opts: ConnectOptions) -> (NetconfError, NetconfError) {
        let mut session =
            tokio::task::spawn_blocking(move || NetconfSession::connect(&opts).unwrap())
                .await
                .unwrap();
        self.sim.inject(fault).unwrap();
        tokio::task::spawn_blocking(move || {
            let first = session.get_config(Datastore::Running, None).unwrap_err();
            let second = session.keepalive().unwrap_err();
            session.close();
            (first, second)
        })
        .await
        .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_reply_times_out() {
    let f = fixture().await;
    let mut opts = f.options();
    opts.rpc_timeout = Duration::from_millis(700);
    let (first, second) = f.after(Fault::StallNextReply, opts).await;
    assert!(matches!(first, NetconfError::Timeout { .. }), "{first:?}");
    assert!(
        matches!(second, NetconfError::SessionClosed { .. }),
        "{second:?}"
    );
    assert!(
        first.to_string().contains("0.7") || first.to_string().contains("700"),
        "{first}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_framing_is_a_framing_error() {
    let f = fixture().await;
    let (first, second) = f.after(Fault::GarbageFraming, f.options()).await;
    assert!(matches!(first, NetconfError::Framing(_)), "{first:?}");
    assert!(
        matches!(second, NetconfError::SessionClosed { .. }),
        "{second:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_reply_stops_at_the_bound() {
    let f = fixture().await;
    let mut opts = f.options();
    opts.max_reply_bytes = 4 * 1024 * 1024;
    let (first, second) = f
        .after(
            Fault::HugeReply {
                bytes: 100 * 1024 * 1024,
            },
            opts,
        )
        .await;
    assert_eq!(
        first,
        NetconfError::ReplyTooLarge {
            limit: 4 * 1024 * 1024
        }
    );
    assert!(
        matches!(second, NetconfError::SessionClosed { .. }),
        "{second:?}"
    );
}
