//! The NETCONF session pool against the device simulator over the real wire: idle sessions are
//! reused (same NETCONF session id), a broken session is never handed out again, keepalive before
//! reuse, the in-flight bound holds, and fan-out returns every device's answer in order. Also the
//! chat reads (`DeviceReader`) going through the pool.

#[path = "reads/mod.rs"]
mod reads;

use patchpanel::device::netconf::{ConnectOptions, Datastore, Filter, NetconfSession};
use patchpanel::device::pool::{PoolConfig, SessionPool};
use patchpanel::device::{DeviceReader, DeviceSettings};
use patchpanel::secret::Secret;
use patchpanel_sim::device::Fault;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod device_sim_fixture;
use device_sim_fixture::{SimDevice, PASSWORD, USER};

async fn sim() -> SimDevice {
    SimDevice::start().await
}

/// The NETCONF session id of whichever session the pool hands out, after one cheap RPC.
fn session_id(s: &mut NetconfSession) -> Result<Option<u32>, String> {
    s.keepalive().map_err(|e| e.to_string())?;
    Ok(s.session_id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sessions_are_reused_and_broken_ones_are_not() {
    let s = sim().await;
    let pool = SessionPool::new(PoolConfig::default());
    let first = pool
        .run("c9300", s.options(), session_id)
        .await
        .unwrap()
        .unwrap();
    let second = pool
        .run("c9300", s.options(), session_id)
        .await
        .unwrap()
        .unwrap();
    assert!(first.is_some());
    assert_eq!(first, second, "the idle session was reused");
    assert_eq!(pool.idle_count(), 1);
    assert_eq!(
        s.sim.state().sessions.len(),
        1,
        "one SSH/NETCONF session on the device"
    );

    // The device garbles the next reply: that session is broken and must be dropped.
    s.sim.inject(Fault::GarbageFraming).unwrap();
    let broken = pool.run("c9300", s.options(), session_id).await.unwrap();
    assert!(broken.is_err(), "garbage framing fails the operation");
    assert_eq!(
        pool.idle_count(),
        0,
        "a broken session does not go back to the pool"
    );
    let third = pool
        .run("c9300", s.options(), session_id)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(third, first, "a new session after the broken one");
    pool.close_all().await;
    assert_eq!(pool.idle_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_is_probed_before_reuse() {
    let s = sim().await;
    let pool = SessionPool::new(PoolConfig {
        keepalive_after: Duration::ZERO,
        ..PoolConfig::default()
    });
    let first = pool
        .run("c9300", s.options(), session_id)
        .await
        .unwrap()
        .unwrap();
    let again = pool
        .run("c9300", s.options(), session_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        first, again,
        "the probe succeeded, so the session was reused"
    );

    // The idle session dies silently (the device stops answering it): the probe before reuse finds
    // out, and the operation runs on a fresh session instead of failing.
    s.sim.inject(Fault::StallNextReply).unwrap();
    let mut quick = s.options();
    quick.rpc_timeout = Duration::from_millis(500);
    let fresh = pool.run("c9300", quick, session_id).await.unwrap().unwrap();
    assert_ne!(
        fresh, first,
        "the stalled session was replaced after its keepalive failed"
    );

    // A session whose TTL has passed is closed rather than reused.
    let pool = SessionPool::new(PoolConfig {
        idle_ttl: Duration::ZERO,
        ..PoolConfig::default()
    });
    let a = pool
        .run("c9300", s.options(), session_id)
        .await
        .unwrap()
        .unwrap();
    let b = pool
        .run("c9300", s.options(), session_id)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(a, b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_max_in_flight_operations_run_at_once() {
    let s = sim().await;
    let pool = SessionPool::new(PoolConfig {
        max_in_flight: 3,
        ..PoolConfig::default()
    });
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let targets: Vec<(String, ConnectOptions)> =
        (0..12).map(|i| (format!("dev{i}"), s.options())).collect();
    let (r, p) = (running.clone(), peak.clone());
    let results = pool
        .fan_out(targets, move |session| {
            let now = r.fetch_add(1, Ordering::SeqCst) + 1;
            p.fetch_max(now, Ordering::SeqCst);
            let reply = session.get_config(Datastore::Running, Some(&Filter::empty()));
            // Hold the slot a little so operations overlap whenever the bound allows it.
            std::thread::sleep(Duration::from_millis(30));
            r.fetch_sub(1, Ordering::SeqCst);
            reply.map(|_| ()).map_err(|e| e.to_string())
        })
        .await;
    assert_eq!(results.len(), 12);
    for (i, (name, result)) in results.iter().enumerate() {
        assert_eq!(
            name,
            &format!("dev{i}"),
            "results come back in the order given"
        );
        assert!(matches!(result, Ok(Ok(()))), "{name}: {result:?}");
    }
    let peak = peak.load(Ordering::SeqCst);
    assert!(peak <= 3, "peak {peak} exceeds the bound");
    assert!(peak >= 2, "operations did overlap (peak {peak})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_reads_go_through_the_pool() {
    let s = sim().await;
    let reader = DeviceReader::new(s.netconf_inventory("c9300-nc"), s.settings()).unwrap();
    let vrfs = reads::vrfs(&reader, "c9300-nc")
        .await
        .map(|a| patchpanel::render::vrfs(&a))
        .unwrap();
    assert!(vrfs.contains("BLUE"), "{vrfs}");
    let iface = reads::interface(&reader, "c9300-nc", "GigabitEthernet1/0/2")
        .await
        .map(|a| patchpanel::render::interface(&a))
        .unwrap();
    assert!(iface.contains("Floor 2 printer"), "{iface}");
    assert_eq!(
        reader.pool().idle_count(),
        1,
        "both reads used one pooled session"
    );
    assert_eq!(s.sim.state().sessions.len(), 1);
    // A read of a missing interface is a device answer, not a broken session.
    let missing = reads::interface(&reader, "c9300-nc", "GigabitEthernet1/0/49")
        .await
        .map(|a| patchpanel::render::interface(&a))
        .unwrap_err();
    assert!(missing.to_string().contains("no interface"), "{missing}");
    assert_eq!(reader.pool().idle_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_host_keys_are_learned_only_when_the_setting_allows_it() {
    let s = sim().await;
    let inventory = || s.netconf_inventory("c9300-nc");
    let empty = tempfile::NamedTempFile::new().unwrap();
    let settings = |accept| DeviceSettings {
        username: Some(USER.into()),
        password: Some(Secret::new(PASSWORD)),
        known_hosts: Some(empty.path().to_path_buf()),
        accept_new_host_keys: accept,
        ..DeviceSettings::default()
    };
    // Default: an unknown key is refused, naming the fingerprint.
    let strict = DeviceReader::new(inventory(), settings(false)).unwrap();
    let e = reads::vrfs(&strict, "c9300-nc")
        .await
        .map(|a| patchpanel::render::vrfs(&a))
        .unwrap_err()
        .to_string();
    assert!(e.contains("SHA256:"), "{e}");
    assert_eq!(std::fs::read_to_string(empty.path()).unwrap(), "");
    // Opted in: the key is learned once and written down; later reads check against it.
    let learning = DeviceReader::new(inventory(), settings(true)).unwrap();
    assert!(reads::vrfs(&learning, "c9300-nc")
        .await
        .map(|a| patchpanel::render::vrfs(&a))
        .unwrap()
        .contains("BLUE"));
    let learned = std::fs::read_to_string(empty.path()).unwrap();
    let key = s.sim.host_key_openssh.split_whitespace().nth(1).unwrap();
    assert!(learned.contains(key), "{learned}");
    assert!(reads::vrfs(&strict, "c9300-nc")
        .await
        .map(|a| patchpanel::render::vrfs(&a))
        .unwrap()
        .contains("BLUE"));
}
