//! The NETCONF client against a misbehaving device (the simulator's fault switches), one test per
//! failure mode: a stalled reply times out (no hang), garbage framing is a framing error, and a 100 MB
//! reply stops at the reply bound without buffering it. After each, the session refuses further use.

mod device_sim_fixture;

use device_sim_fixture::SimDevice;
use patchpanel::device::netconf::{ConnectOptions, Datastore, NetconfError, NetconfSession};
use patchpanel_sim::device::Fault;
use std::time::Duration;

/// Connects, arms `fault`, runs one get-config and then a keepalive on the same session.
async fn after(f: &SimDevice, fault: Fault, opts: ConnectOptions) -> (NetconfError, NetconfError) {
    let mut session = tokio::task::spawn_blocking(move || NetconfSession::connect(&opts).unwrap())
        .await
        .unwrap();
    f.sim.inject(fault).unwrap();
    tokio::task::spawn_blocking(move || {
        let first = session.get_config(Datastore::Running, None).unwrap_err();
        let second = session.keepalive().unwrap_err();
        session.close();
        (first, second)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_reply_times_out() {
    let f = SimDevice::start().await;
    let mut opts = f.options();
    opts.rpc_timeout = Duration::from_millis(700);
    let (first, second) = after(&f, Fault::StallNextReply, opts).await;
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
    let f = SimDevice::start().await;
    let (first, second) = after(&f, Fault::GarbageFraming, f.options()).await;
    assert!(matches!(first, NetconfError::Framing(_)), "{first:?}");
    assert!(
        matches!(second, NetconfError::SessionClosed { .. }),
        "{second:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_reply_stops_at_the_bound() {
    let f = SimDevice::start().await;
    let mut opts = f.options();
    opts.max_reply_bytes = 4 * 1024 * 1024;
    let huge = Fault::HugeReply {
        bytes: 100 * 1024 * 1024,
    };
    let (first, second) = after(&f, huge, opts).await;
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
