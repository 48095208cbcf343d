//! Unit tests of the subscriptions that need no server: signals built from events, and threads
//! started, replaced and stopped.

use super::*;
use crate::device::netconf::notification::Edit;

#[test]
fn a_config_change_becomes_a_signal_with_who_and_paths() {
    let s = config_change_signal(
        "sw1",
        ConfigChange {
            changed_by: NcChangedBy::Session(SessionInfo {
                username: Some("admin".into()),
                session_id: Some(12),
                source_host: Some("10.1.1.1".into()),
            }),
            datastore: "running".into(),
            edits: vec![Edit {
                target: "/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/2']".into(),
                operation: Some("merge".into()),
            }],
            edits_left_out: 0,
        },
    );
    assert_eq!((s.device.as_str(), s.via), ("sw1", Via::Notification));
    assert_eq!(s.by.user.as_deref(), Some("admin"));
    assert_eq!(s.by.source_host.as_deref(), Some("10.1.1.1"));
    assert_eq!(s.by.line.as_deref(), Some("NETCONF session 12"));
    assert_eq!(s.edits, ["/native/interface/GigabitEthernet[name='1/0/2']"]);
    let server = config_change_signal(
        "sw1",
        ConfigChange {
            changed_by: NcChangedBy::Server,
            datastore: "running".into(),
            edits: Vec::new(),
            edits_left_out: 0,
        },
    );
    assert_eq!(server.by.user, None);
    assert!(server.by.line.is_some_and(|l| l.contains("device itself")));
}

#[test]
fn a_rollback_names_the_cause() {
    let s = rollback_signal(
        "sw1",
        ConfirmedCommit {
            confirm_event: "timeout".into(),
            by: None,
        },
    );
    assert_eq!(
        s.by.line.as_deref(),
        Some("the device itself (confirmed commit timeout)")
    );
    let cancel = rollback_signal(
        "sw1",
        ConfirmedCommit {
            confirm_event: "cancel".into(),
            by: Some(SessionInfo {
                username: Some("bob".into()),
                session_id: Some(0),
                source_host: None,
            }),
        },
    );
    assert_eq!(cancel.by.user.as_deref(), Some("bob"));
    // Session 0 is outside NETCONF: no line (the syslog message of the change names it).
    assert_eq!(cancel.by.line, None);
}

#[test]
fn devices_are_started_replaced_and_stopped_without_blocking() {
    let queue = Arc::new(SignalQueue::new(8));
    let config = SubscriptionConfig {
        timeout: Duration::from_millis(200),
        backoff_base: Duration::from_millis(50),
        backoff_max: Duration::from_millis(100),
        ..SubscriptionConfig::default()
    };
    // No known_hosts: every connect is refused before any traffic, so the threads back off.
    let mut subs = Subscriptions::new(DeviceSettings::default(), config, queue);
    let dev = |host: &str| Device {
        name: "x".into(),
        host: host.into(),
        netconf_port: Some(1),
        restconf_url: None,
        profile: None,
    };
    subs.set_devices(vec![
        ("a".into(), dev("127.0.0.1")),
        ("b".into(), dev("127.0.0.1")),
    ])
    .unwrap();
    assert_eq!(subs.devices(), ["a", "b"]);
    subs.set_devices(vec![("a".into(), dev("127.0.0.2"))])
        .unwrap();
    assert_eq!(subs.devices(), ["a"]);
    let stats = subs.stats();
    assert!(stats.state("b").is_none(), "a removed device has no state");
    let started = Instant::now();
    subs.shutdown();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(stats.state("a"), Some(SubscriptionState::Stopped));
    assert_eq!(stats.snapshot().subscribes, 0);
}
