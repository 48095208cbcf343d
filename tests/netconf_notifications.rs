//! NETCONF notifications (issue 11) against the real yuma123 netconfd of `tests/netconf/`: the
//! client's create-subscription and next_notification, and `watch::subscription::Subscriptions`
//! turning config changes into signals, resubscribing after its session is killed (the change made
//! meanwhile found by the check signal) and stopping promptly. Every test starts its own peer (own
//! port, user and scratch folder), so the tests run in parallel. What netconfd sends is recorded in
//! docs/netconf.md §3. The session's queue bound and a malformed notification, which no real server
//! sends on demand, run against the scripted server of `netconf_client_session/fake.rs`.

#[allow(dead_code)]
#[path = "netconf_client_session/fake.rs"]
mod fake;
mod netconf_peer;

use netconf_peer::NetconfPeer;
use patchpanel::device::connect::connect_options;
use patchpanel::device::netconf::notification::{
    ChangedBy, Event, Notification, NETCONF_NOTIFICATIONS_NS,
};
use patchpanel::device::netconf::rpc::NETCONF_STREAM;
use patchpanel::device::netconf::session::MAX_QUEUED_NOTIFICATIONS;
use patchpanel::device::netconf::{
    CommitOptions, ConfigPayload, ConnectOptions, Datastore, EditOptions, NetconfError,
    NetconfSession, NotificationError, ReceiveError,
};
use patchpanel::device::{Device, DeviceSettings};
use patchpanel::secret::Secret;
use patchpanel::watch::queue::{Pending, SignalQueue};
use patchpanel::watch::signal::Via;
use patchpanel::watch::subscription::{SubscriptionConfig, SubscriptionState, Subscriptions};
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event as XmlEvent};
use quick_xml::Writer;
use std::sync::Arc;
use std::time::{Duration, Instant};

const NATIVE_NS: &str = "http://cisco.com/ns/yang/Cisco-IOS-XE-native";
const TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on every wait; never an assertion of speed.
const WAIT: Duration = Duration::from_secs(20);

/// One peer and how the bot reaches it.
struct Rig {
    peer: NetconfPeer,
    settings: DeviceSettings,
    device: Device,
    _dir: tempfile::TempDir,
}

impl Rig {
    fn start() -> Rig {
        let peer = NetconfPeer::start();
        let dir = tempfile::tempdir().unwrap();
        // The peer's own known_hosts line, copied as an operator would install it.
        let known_hosts = dir.path().join("known_hosts");
        std::fs::copy(&peer.known_hosts, &known_hosts).unwrap();
        let settings = DeviceSettings {
            username: Some(peer.username.clone()),
            password: Some(Secret::new(peer.password.clone())),
            known_hosts: Some(known_hosts),
            ..DeviceSettings::default()
        };
        let device = Device {
            name: "sw1".into(),
            host: peer.host.clone(),
            netconf_port: Some(peer.port),
            restconf_url: None,
            profile: None,
        };
        Rig {
            peer,
            settings,
            device,
            _dir: dir,
        }
    }

    fn opts(&self) -> ConnectOptions {
        connect_options(&self.device, &self.settings, TIMEOUT)
    }

    fn session(&self) -> NetconfSession {
        NetconfSession::connect(&self.opts()).unwrap()
    }

    fn subscriptions(&self, queue: &Arc<SignalQueue>) -> Subscriptions {
        let mut subs = Subscriptions::new(
            self.settings.clone(),
            SubscriptionConfig::default(),
            Arc::clone(queue),
        );
        subs.set_devices(vec![("sw1".into(), self.device.clone())])
            .unwrap();
        subs
    }
}

/// `<native><interface><GigabitEthernet><name>…</name><description>…</description>…`, written
/// with the XML writer as the bot's profiles write payloads.
fn description(interface: &str, text: &str) -> ConfigPayload {
    let mut w = Writer::new(Vec::new());
    let mut native = BytesStart::new("native");
    native.push_attribute(("xmlns", NATIVE_NS));
    w.write_event(XmlEvent::Start(native)).unwrap();
    for name in ["interface", "GigabitEthernet"] {
        w.write_event(XmlEvent::Start(BytesStart::new(name)))
            .unwrap();
    }
    for (leaf, value) in [("name", interface), ("description", text)] {
        w.write_event(XmlEvent::Start(BytesStart::new(leaf)))
            .unwrap();
        w.write_event(XmlEvent::Text(BytesText::new(value)))
            .unwrap();
        w.write_event(XmlEvent::End(BytesEnd::new(leaf))).unwrap();
    }
    for name in ["GigabitEthernet", "interface", "native"] {
        w.write_event(XmlEvent::End(BytesEnd::new(name))).unwrap();
    }
    ConfigPayload::from_xml(w.into_inner())
}

/// Edits the candidate and commits it from `s`.
fn change(s: &mut NetconfSession, interface: &str, text: &str) {
    s.edit_config(
        Datastore::Candidate,
        &description(interface, text),
        &EditOptions::default(),
    )
    .unwrap();
    s.commit(&CommitOptions::default()).unwrap();
}

fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let until = Instant::now() + WAIT;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < until, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The next notification on `s` whose event `keep` accepts (others are collected in `skipped`).
fn next_matching(
    s: &mut NetconfSession,
    skipped: &mut Vec<Event>,
    keep: impl Fn(&Event) -> bool,
) -> Notification {
    let until = Instant::now() + WAIT;
    loop {
        let n = s
            .next_notification(Instant::now() + Duration::from_millis(500))
            .unwrap();
        match n {
            Some(n) if keep(&n.event) => return n,
            Some(n) => skipped.push(n.event),
            None => assert!(Instant::now() < until, "no notification came"),
        }
    }
}

fn is_change(e: &Event) -> bool {
    matches!(e, Event::ConfigChange(_))
}

fn subscribed_session(subs: &Subscriptions) -> u32 {
    let stats = subs.stats();
    wait_for("the subscription", || match stats.state("sw1") {
        Some(SubscriptionState::Subscribed {
            session_id: Some(id),
            ..
        }) => Some(id),
        _ => None,
    })
}

fn next_pending(queue: &SignalQueue, what: &str, want: impl Fn(&Pending) -> bool) -> Pending {
    // Each entry taken is released at once: these tests look at signals, not at checks.
    wait_for(what, || {
        let p = queue.try_next()?;
        queue.done(&p.device);
        Some(p).filter(|p| want(p))
    })
}

#[test]
fn a_subscribed_session_receives_the_config_change_with_who_and_what() {
    let rig = Rig::start();
    let mut sub = rig.session();
    assert!(sub.capabilities().notification() && sub.capabilities().interleave());
    sub.keepalive().unwrap();
    sub.create_subscription(NETCONF_STREAM).unwrap();
    assert!(sub.is_subscribed());

    // A quiet subscription: the deadline passes, the session stays usable.
    let quiet = sub
        .next_notification(Instant::now() + Duration::from_millis(300))
        .unwrap();
    assert_eq!(quiet, None);
    assert!(sub.is_usable());

    let mut editor = rig.session();
    let editor_id = editor.session_id().unwrap();
    change(&mut editor, "1/0/10", "first");
    let mut skipped = Vec::new();
    let n = next_matching(&mut sub, &mut skipped, is_change);
    assert!(!n.event_time.is_empty());
    let Event::ConfigChange(c) = n.event else {
        unreachable!()
    };
    let ChangedBy::Session(by) = c.changed_by else {
        panic!("changed by the server?")
    };
    assert_eq!(by.username.as_deref(), Some(rig.peer.username.as_str()));
    assert_eq!(by.session_id, Some(editor_id));
    assert_eq!(by.source_host.as_deref(), Some("127.0.0.1"));
    assert_eq!(c.datastore, "running");
    // The first commit creates the whole native tree: netconfd names its top node.
    let edits: Vec<(String, Option<String>)> = c
        .edits
        .iter()
        .map(|e| (e.path(), e.operation.clone()))
        .collect();
    assert_eq!(edits, [("/native".to_string(), Some("create".to_string()))]);
    // The editor's session start came first: an RFC 6470 event that is no config change.
    assert!(
        skipped.contains(&Event::Other {
            namespace: NETCONF_NOTIFICATIONS_NS.into(),
            name: "netconf-session-start".into()
        }),
        "{skipped:?}"
    );

    // Interleave: a notification arriving while the subscriber's own rpc waits is kept for later.
    change(&mut editor, "1/0/10", "second");
    std::thread::sleep(Duration::from_millis(300));
    sub.keepalive().unwrap();
    let queued = sub
        .next_notification(Instant::now())
        .unwrap()
        .expect("the notification read during the keepalive was queued");
    let Event::ConfigChange(c) = queued.event else {
        panic!("{queued:?}")
    };
    assert_eq!(
        c.edits[0].path(),
        "/native/interface/GigabitEthernet[name='1/0/10']/description"
    );
    assert_eq!(sub.dropped_notifications(), 0);
    editor.close();
    sub.close();
}

#[test]
fn subscriptions_signal_the_change_count_other_events_and_stop_promptly() {
    let rig = Rig::start();
    let queue = Arc::new(SignalQueue::new(16));
    let subs = rig.subscriptions(&queue);
    let stats = subs.stats();
    subscribed_session(&subs);
    // Every subscribe is followed by a check.
    let check = next_pending(&queue, "the check after subscribing", |_| true);
    assert_eq!(
        check.vias.iter().copied().collect::<Vec<_>>(),
        [Via::Resubscribed]
    );

    let mut editor = rig.session();
    let editor_id = editor.session_id().unwrap();
    change(&mut editor, "1/0/11", "watched");
    let p = next_pending(&queue, "the change signal", |p| {
        p.vias.contains(&Via::Notification)
    });
    assert_eq!(p.device, "sw1");
    assert_eq!(p.by.user.as_deref(), Some(rig.peer.username.as_str()));
    assert_eq!(p.by.source_host.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        p.by.line.as_deref(),
        Some(format!("NETCONF session {editor_id}").as_str())
    );
    assert_eq!(p.edits, ["/native"]);
    editor.close();

    let s = wait_for("the editor's session end counted", || {
        let s = stats.snapshot();
        (s.other_events >= 2).then_some(s)
    });
    // netconf-session-start and -end of the editor: counted, no signal.
    assert_eq!(s.config_changes, 1);
    assert_eq!((s.malformed, s.resubscriptions, s.drops), (0, 0, 0));
    assert_eq!(s.subscribes, 1);
    assert!(queue.is_empty(), "other events pushed a signal");

    let started = Instant::now();
    subs.shutdown();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "shutdown took {:?}",
        started.elapsed()
    );
    assert_eq!(stats.state("sw1"), Some(SubscriptionState::Stopped));
}

#[test]
fn a_killed_subscription_is_resubscribed_and_the_change_made_meanwhile_is_checked() {
    let rig = Rig::start();
    let queue = Arc::new(SignalQueue::new(16));
    let subs = rig.subscriptions(&queue);
    let stats = subs.stats();
    let first = subscribed_session(&subs);
    next_pending(&queue, "the first check", |_| true);

    // Kill the subscription's session, then change the device before the thread (backing off
    // at least half a second) is back: no notification for this change reaches anyone.
    let mut admin = rig.session();
    admin.kill_session(first).unwrap();
    change(&mut admin, "1/0/12", "while nobody listened");
    let admin_id = admin.session_id().unwrap();

    let second = wait_for("the resubscription", || match stats.state("sw1") {
        Some(SubscriptionState::Subscribed {
            session_id: Some(id),
            ..
        }) if id != first => Some(id),
        _ => None,
    });
    assert_ne!(second, first);
    let check = next_pending(&queue, "the check after resubscribing", |_| true);
    assert!(check.vias.contains(&Via::Resubscribed), "{check:?}");
    let s = stats.snapshot();
    assert_eq!((s.drops, s.resubscriptions, s.subscribes), (1, 1, 2));
    assert_eq!(
        s.config_changes, 0,
        "the change made meanwhile was notified?"
    );

    // The new subscription delivers the next change as a notification.
    change(&mut admin, "1/0/12", "heard");
    let p = next_pending(&queue, "the change after resubscribing", |p| {
        p.vias.contains(&Via::Notification)
    });
    assert_eq!(
        p.by.line.as_deref(),
        Some(format!("NETCONF session {admin_id}").as_str())
    );
    admin.close();
    subs.shutdown();
}

/// `<notification>` text from the scripted server: netconfd's session start, numbered.
fn scripted_notification(i: usize) -> String {
    format!(
        "<notification xmlns=\"urn:ietf:params:xml:ns:netconf:notification:1.0\">\
         <eventTime>2026-12-04T08:37:{:02}Z</eventTime>\
         <netconf-session-start xmlns=\"{NETCONF_NOTIFICATIONS_NS}\"><session-id>{i}</session-id>\
         </netconf-session-start></notification>",
        i % 60
    )
}

#[test]
fn the_queue_during_an_rpc_is_bounded_and_a_bad_notification_leaves_the_session_usable() {
    let mut caps = fake::all_caps();
    caps.push(format!("{}notification:1.0", fake::C));
    caps.push(format!("{}interleave:1.0", fake::C));
    let mut keepalives = 0;
    let (mut s, _) = fake::open_with(&caps, 1 << 20, move |rpc, id| {
        let reply = format!(
            "<rpc-reply message-id=\"{id}\" xmlns=\"{}\"><data/></rpc-reply>",
            fake::BASE_NS
        );
        if rpc.children[0].name == "create-subscription" {
            return fake::Answer::Body("<ok/>".into());
        }
        keepalives += 1;
        let before_reply: Vec<String> = match keepalives {
            // More than the queue holds arrive while the keepalive waits.
            1 => (0..MAX_QUEUED_NOTIFICATIONS + 6)
                .map(scripted_notification)
                .collect(),
            _ => vec![format!(
                "<notification xmlns=\"urn:ietf:params:xml:ns:netconf:notification:1.0\"><x xmlns=\"urn:y\"/></notification>"
            )],
        };
        fake::Answer::RawMany(before_reply.into_iter().chain([reply]).collect())
    });
    // Not subscribed yet: nothing is kept, and a device without :notification is refused.
    let (mut plain, _) = fake::open(|_, _| fake::Answer::Silence);
    assert_eq!(
        plain.create_subscription(NETCONF_STREAM),
        Err(NetconfError::Unsupported(
            "event notifications (:notification)"
        ))
    );
    s.create_subscription(NETCONF_STREAM).unwrap();
    // The scripted server has nothing to say: the deadline passes, the session stays usable.
    assert_eq!(s.next_notification(Instant::now()), Ok(None));
    s.keepalive().unwrap();
    assert_eq!(s.dropped_notifications(), 6);
    for i in 0..MAX_QUEUED_NOTIFICATIONS {
        let n = s.next_notification(Instant::now()).unwrap().unwrap();
        assert!(
            matches!(n.event, Event::Other { ref name, .. } if name == "netconf-session-start"),
            "{i}: {n:?}"
        );
    }
    assert_eq!(s.next_notification(Instant::now()), Ok(None));
    s.keepalive().unwrap();
    assert_eq!(
        s.next_notification(Instant::now()),
        Err(ReceiveError::Notification(NotificationError::NoEventTime))
    );
    assert!(s.is_usable());
    s.keepalive().unwrap();
}

/// The whole notifier against the real server: the watcher (its baseline, the subscription's
/// signal, the read, the snapshot and the diff of netconfd's own XML, the store) records a change
/// made from another session as unplanned, with the server's user and the path that changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_records_a_change_made_on_the_real_server_with_its_diff() {
    use patchpanel::device::apply::own::OwnChanges;
    use patchpanel::device::apply::DeviceLocks;
    use patchpanel::device::{DeviceReader, Inventory};
    use patchpanel::directory::DeviceDirectory;
    use patchpanel::store::Store;
    use patchpanel::watch::watcher::{Watcher, WatcherParts};
    use std::sync::Mutex;
    use tokio_util::sync::CancellationToken;
    use tokio_util::task::TaskTracker;

    let rig = tokio::task::spawn_blocking(Rig::start).await.unwrap();
    let inventory = Inventory::from_toml_str(&format!(
        "[[device]]\nname = \"sw1\"\nhost = \"{}\"\nnetconf_port = {}\nprofile = \"iosxe\"\n",
        rig.peer.host, rig.peer.port
    ))
    .unwrap();
    let store = Store::open_in_memory().unwrap();
    let watcher = Watcher::new(WatcherParts {
        store: store.clone(),
        directory: DeviceDirectory::new(Some(inventory), None),
        reader: DeviceReader::new(Inventory::default(), rig.settings.clone()).unwrap(),
        locks: DeviceLocks::default(),
        own: OwnChanges::default(),
        rest: None,
        room: None,
        poll_interval: Duration::from_secs(3600),
    });
    let subs = Arc::new(Mutex::new(Some(Subscriptions::new(
        rig.settings.clone(),
        SubscriptionConfig::default(),
        watcher.queue(),
    ))));
    let follow = Arc::clone(&subs);
    let tracker = TaskTracker::new();
    let stop = CancellationToken::new();
    watcher.start(&tracker, stop.clone(), move |devices| {
        let wanted = devices
            .iter()
            .map(|d| (d.name.clone(), d.clone()))
            .collect();
        if let Some(s) = follow.lock().unwrap().as_mut() {
            s.set_devices(wanted).unwrap();
        }
    });
    let until = Instant::now() + WAIT;
    while store.config_snapshot("sw1").await.unwrap().is_none() {
        assert!(Instant::now() < until, "no baseline");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stats = subs.lock().unwrap().as_ref().unwrap().stats();
    while !matches!(
        stats.state("sw1"),
        Some(SubscriptionState::Subscribed { .. })
    ) {
        assert!(Instant::now() < until, "never subscribed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let editor_rig_opts = rig.opts();
    tokio::task::spawn_blocking(move || {
        let mut editor = NetconfSession::connect(&editor_rig_opts).unwrap();
        change(&mut editor, "1/0/10", "rogue on the real server");
        editor.close();
    })
    .await
    .unwrap();

    let row = loop {
        if let Some(r) = store.config_changes(Some("sw1"), 10).await.unwrap().pop() {
            break r;
        }
        assert!(
            Instant::now() < until + WAIT,
            "the change was never recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let record: serde_json::Value = serde_json::from_str(&row.record).unwrap();
    assert_eq!(row.n, 1);
    assert_eq!(record["verdict"]["kind"], "unplanned", "{record}");
    assert_eq!(record["by"]["user"], rig.peer.username.as_str(), "{record}");
    let diff = record["diff"].to_string();
    assert!(diff.contains("GigabitEthernet1/0/10"), "{record}");
    assert!(diff.contains("rogue on the real server"), "{record}");
    assert!(
        record["vias"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "netconf notification"),
        "{record}"
    );
    assert_eq!(record["interfaces"][0], "GigabitEthernet1/0/10", "{record}");

    stop.cancel();
    tracker.close();
    tracker.wait().await;
    let s = subs.lock().unwrap().take();
    if let Some(s) = s {
        s.stop().await;
    }
}
