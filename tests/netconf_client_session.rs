//! The session and operations layers of the NETCONF client against a scripted in-memory server (a
//! `Transport` implementation): request XML per operation, message-id matching, rpc-error / warning /
//! lock-denied handling, capability checks, deadlines, the reply bound (a 100 MB hostile reply) and
//! poisoning. No sockets, no timing: "no reply" is the transport reporting its deadline passed.

#[path = "netconf_client_session/fake.rs"]
mod fake;

use fake::{all_caps, open, open_with, options, Answer, Fake, Log, BASE_NS, C};
use patchpanel::device::netconf::framing::Framing;
use patchpanel::device::netconf::{
    CommitOptions, ConfigPayload, Datastore, DefaultOperation, EditOptions, ErrorOption, Filter,
    NetconfError, NetconfSession, TestOption,
};
use patchpanel::device::tree::Node;
use std::sync::{Arc, Mutex};

fn ok() -> Answer {
    Answer::Body("<ok/>".into())
}

/// The operation element of the n-th rpc the server got.
fn op(log: &Arc<Mutex<Log>>, n: usize) -> Node {
    log.lock().unwrap().rpcs[n].children[0].clone()
}

fn names(n: &Node) -> Vec<&str> {
    n.children.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn hello_capabilities_and_framing() {
    let (s, log) = open(|_, _| ok());
    assert_eq!(s.session_id(), Some(17));
    assert_eq!(s.framing(), Framing::Chunked);
    let c = s.capabilities();
    assert!(c.candidate() && c.confirmed_commit_1_1() && c.validate_1_1());
    assert_eq!(
        c.module("cisco-ia").unwrap().revision.as_deref(),
        Some("2000-01-01")
    );
    let hello = log.lock().unwrap().client_hello.clone().unwrap();
    assert!(!hello.contains("session-id"), "{hello}");

    // A base:1.0-only server, or a client that does not offer 1.1, stays end-of-message.
    let old = vec!["urn:ietf:params:netconf:base:1.0".to_string()];
    let (s, _) = open_with(&old, 1 << 20, |_, _| ok());
    assert_eq!(s.framing(), Framing::EndOfMessage);
    let (fake, _) = Fake::new(
        &[
            "urn:ietf:params:netconf:base:1.0",
            "urn:ietf:params:netconf:base:1.1",
        ],
        Box::new(|_, _| ok()),
    );
    let mut o = options(1 << 20);
    o.offer_base_1_1 = false;
    let s = NetconfSession::over(Box::new(fake), &o).unwrap();
    assert_eq!(s.framing(), Framing::EndOfMessage);

    // A 1.1-only server with a 1.0-only client has nothing in common.
    let (fake, log) = Fake::new(&["urn:ietf:params:netconf:base:1.1"], Box::new(|_, _| ok()));
    let e = NetconfSession::over(Box::new(fake), &o).unwrap_err();
    assert!(matches!(e, NetconfError::Protocol(_)), "{e:?}");
    assert!(log.lock().unwrap().closed);
}

/// The hello goes out alone, and the first rpc only after the server hello was read.
#[test]
fn hello_is_never_coalesced_with_the_first_rpc() {
    let (mut s, log) = open(|_, _| Answer::Body("<data/>".into()));
    s.get(None).unwrap();
    let calls = log.lock().unwrap().calls.clone();
    assert!(calls[0].starts_with("write"), "{calls:?}");
    let hello_len = log.lock().unwrap().client_hello.as_ref().unwrap().len() + 6;
    assert_eq!(calls[0], format!("write {hello_len}"));
    let second_write = calls
        .iter()
        .skip(1)
        .position(|c| c.starts_with("write"))
        .unwrap()
        + 1;
    assert!(
        calls[1..second_write].iter().any(|c| c == "read"),
        "{calls:?}"
    );
}

#[test]
fn get_config_with_filter_and_message_ids() {
    let (mut s, log) = open(|rpc, _| {
        let op = &rpc.children[0];
        assert_eq!(op.name, "get-config");
        Answer::Body(
            "<data><native xmlns=\"http://cisco.com/ns/yang/Cisco-IOS-XE-native\"><hostname>c9300</hostname></native></data>".into(),
        )
    });
    let filter = Filter::subtree(
        &b"<native xmlns=\"http://cisco.com/ns/yang/Cisco-IOS-XE-native\"><hostname/></native>"[..],
    );
    for _ in 0..3 {
        let d = s.get_config(Datastore::Running, Some(&filter)).unwrap();
        let tree = d.tree().unwrap();
        assert_eq!(
            tree.text_at(&["native", "hostname"]).as_deref(),
            Some("c9300")
        );
    }
    let l = log.lock().unwrap();
    let ids: Vec<&str> = l
        .rpcs
        .iter()
        .map(|r| r.attr("message-id").unwrap())
        .collect();
    assert_eq!(ids, ["1", "2", "3"]);
    let gc = &l.rpcs[0].children[0];
    assert_eq!(names(gc), ["source", "filter"]);
    assert_eq!(gc.child("source").unwrap().children[0].name, "running");
    let f = gc.child("filter").unwrap();
    assert_eq!(
        f.children[0].ns.as_deref(),
        Some("http://cisco.com/ns/yang/Cisco-IOS-XE-native")
    );
}

#[test]
fn a_reply_with_another_message_id_poisons_the_session() {
    let (mut s, log) = open(|_, _| {
        Answer::Raw(format!(
            "<rpc-reply message-id=\"99\" xmlns=\"{BASE_NS}\"><ok/></rpc-reply>"
        ))
    });
    let e = s.lock(Datastore::Candidate).unwrap_err();
    assert!(
        matches!(&e, NetconfError::Protocol(m) if m.contains("99")),
        "{e:?}"
    );
    assert!(!s.is_usable());
    assert!(log.lock().unwrap().closed);
    let again = s.unlock(Datastore::Candidate).unwrap_err();
    assert!(
        matches!(again, NetconfError::SessionClosed { .. }),
        "{again:?}"
    );
    assert_eq!(
        log.lock().unwrap().rpcs.len(),
        1,
        "nothing sent after poisoning"
    );
}

#[test]
fn notifications_before_the_reply_are_skipped() {
    let (mut s, _) = open(|_, id| {
        Answer::RawMany(vec![
            "<notification xmlns=\"urn:ietf:params:xml:ns:netconf:notification:1.0\"><eventTime>2024-01-01T00:00:00Z</eventTime></notification>".into(),
            format!("<rpc-reply message-id=\"{id}\" xmlns=\"{BASE_NS}\"><ok/></rpc-reply>"),
        ])
    });
    s.discard_changes().unwrap();
    assert!(s.is_usable());
}

#[test]
fn rpc_errors_lock_denied_and_warnings() {
    let (mut s, _) = open(|rpc, _| {
        match rpc.children[0].name.as_str() {
        "edit-config" => Answer::Body(r#"<rpc-error><error-type>protocol</error-type><error-tag>invalid-value</error-tag><error-severity>error</error-severity>
<error-path xmlns:ios="http://cisco.com/ns/yang/Cisco-IOS-XE-native">/nc:rpc/nc:edit-config/nc:config/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/2']/ios:mtu</error-path>
<error-message xml:lang="en">mtu 100 is not in range</error-message></rpc-error>"#.into()),
        "lock" => Answer::Body("<rpc-error><error-type>protocol</error-type><error-tag>lock-denied</error-tag><error-severity>error</error-severity><error-info><session-id>1</session-id></error-info></rpc-error>".into()),
        "unlock" => Answer::Body("<rpc-error><error-type>protocol</error-type><error-tag>lock-denied</error-tag><error-severity>error</error-severity><error-info><session-id>0</session-id></error-info></rpc-error>".into()),
        "commit" => Answer::Body("<rpc-error><error-type>application</error-type><error-tag>operation-failed</error-tag><error-severity>warning</error-severity><error-message>commit took long</error-message></rpc-error>".into()),
        _ => ok(),
    }
    });
    let e = s
        .edit_config(
            Datastore::Candidate,
            &ConfigPayload::from_xml(&b"<a xmlns=\"urn:a\"/>"[..]),
            &EditOptions::default(),
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the device rejected the change: mtu 100 is not in range (invalid-value at /native/interface/GigabitEthernet[name='1/0/2']/mtu)"
    );
    assert_eq!(e.rpc_errors().len(), 1);
    assert!(!e.outcome_unknown());
    assert!(s.is_usable(), "an rpc-error does not end the session");

    let e = s.lock(Datastore::Candidate).unwrap_err();
    assert_eq!(
        e,
        NetconfError::LockDenied {
            held_by_session: Some(1)
        }
    );
    assert_eq!(
        e.to_string(),
        "the datastore is locked by NETCONF session 1"
    );
    let e = s.unlock(Datastore::Candidate).unwrap_err();
    assert!(e.to_string().contains("non-NETCONF"), "{e}");

    // Warnings only, no <ok/>: success (RFC 6241 §4.3), the warning is kept.
    s.commit(&CommitOptions::default()).unwrap();
    assert_eq!(s.warnings().len(), 1);
    assert_eq!(
        s.warnings()[0].error_message.as_deref(),
        Some("commit took long")
    );
    s.discard_changes().unwrap();
    assert!(s.warnings().is_empty());
}

#[test]
fn no_reply_in_time_is_a_timeout_and_outcome_unknown_for_changes() {
    let (mut s, log) = open(|rpc, _| match rpc.children[0].name.as_str() {
        "commit" => Answer::Silence,
        _ => ok(),
    });
    let e = s.commit(&CommitOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            NetconfError::Timeout {
                operation: "commit",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.outcome_unknown());
    assert!(e.to_string().contains("UNKNOWN"), "{e}");
    assert!(!s.is_usable() && log.lock().unwrap().closed);

    let (mut s, _) = open(|_, _| Answer::Silence);
    let e = s.get(None).unwrap_err();
    assert!(
        matches!(
            e,
            NetconfError::Timeout {
                operation: "get",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(!e.outcome_unknown());
}

#[test]
fn a_lost_connection_during_commit_says_outcome_unknown() {
    let (mut s, _) = open(|_, _| Answer::Hangup);
    let e = s
        .commit(&CommitOptions::confirmed_persistent(120, "t1"))
        .unwrap_err();
    assert_eq!(e, NetconfError::ConnectionLost { during: "commit" });
    assert!(e.outcome_unknown());
    assert!(
        e.to_string()
            .contains("whether the change was applied is UNKNOWN"),
        "{e}"
    );
}

/// A hostile 100 MB reply against a 1 MiB bound: refused once the bound is passed, after reading
/// little more than the bound, and the session is closed.
#[test]
fn a_100_mb_reply_is_refused_at_the_bound() {
    let (mut s, log) = open_with(&all_caps(), 1 << 20, |_, _| Answer::Endless);
    let e = s.get(None).unwrap_err();
    assert_eq!(e, NetconfError::ReplyTooLarge { limit: 1 << 20 });
    let l = log.lock().unwrap();
    assert!(l.served < (1 << 20) + 128 * 1024, "read {} bytes", l.served);
    assert!(l.closed);
    drop(l);
    assert!(matches!(
        s.keepalive(),
        Err(NetconfError::SessionClosed { .. })
    ));
}

#[test]
fn missing_capabilities_are_unsupported_and_nothing_is_sent() {
    let base = |extra: &[&str]| {
        let mut v = vec!["urn:ietf:params:netconf:base:1.0".to_string()];
        v.extend(extra.iter().map(|c| format!("{C}{c}")));
        v
    };
    let payload = ConfigPayload::from_xml(&b"<a xmlns=\"urn:a\"/>"[..]);
    let (mut s, log) = open_with(&base(&[]), 1 << 20, |_, _| ok());
    let unsupported = |r: Result<_, NetconfError>| match r {
        Err(NetconfError::Unsupported(what)) => what,
        other => panic!("expected Unsupported, got {other:?}"),
    };
    assert!(unsupported(s.lock(Datastore::Candidate)).contains(":candidate"));
    assert!(unsupported(s.commit(&CommitOptions::default())).contains(":candidate"));
    assert!(unsupported(s.discard_changes()).contains(":candidate"));
    assert!(unsupported(s.get_config(Datastore::Startup, None).map(|_| ())).contains(":startup"));
    assert!(
        unsupported(s.edit_config(Datastore::Running, &payload, &EditOptions::default()))
            .contains(":writable-running")
    );
    assert!(unsupported(s.validate(Datastore::Running)).contains(":validate"));
    assert!(unsupported(s.cancel_commit(None)).contains("1.1"));
    assert!(unsupported(s.save_config()).contains("cisco-ia"));
    assert!(unsupported(s.get(Some(&Filter::xpath("/a"))).map(|_| ())).contains(":xpath"));
    assert!(log.lock().unwrap().rpcs.is_empty());

    let (mut s, log) = open_with(
        &base(&[
            "candidate:1.0",
            "confirmed-commit:1.0",
            "validate:1.0",
            "writable-running:1.0",
        ]),
        1 << 20,
        |_, _| ok(),
    );
    assert!(
        unsupported(s.commit(&CommitOptions::confirmed_persistent(60, "x")))
            .contains("confirmed-commit:1.1")
    );
    assert!(unsupported(s.commit(&CommitOptions::confirming("x"))).contains("confirmed-commit:1.1"));
    let test_only = EditOptions {
        test_option: Some(TestOption::TestOnly),
        ..EditOptions::default()
    };
    assert!(
        unsupported(s.edit_config(Datastore::Candidate, &payload, &test_only))
            .contains("validate:1.1")
    );
    let rollback = EditOptions {
        error_option: Some(ErrorOption::RollbackOnError),
        ..EditOptions::default()
    };
    assert!(
        unsupported(s.edit_config(Datastore::Running, &payload, &rollback))
            .contains("rollback-on-error")
    );
    assert!(log.lock().unwrap().rpcs.is_empty());
    // What 1.0 does support goes through.
    s.commit(&CommitOptions {
        confirmed: true,
        confirm_timeout: Some(30),
        ..CommitOptions::default()
    })
    .unwrap();
    s.edit_config(Datastore::Running, &payload, &EditOptions::default())
        .unwrap();
    assert_eq!(log.lock().unwrap().rpcs.len(), 2);
}

#[test]
fn invalid_requests_are_refused_before_sending() {
    let (mut s, log) = open(|_, _| ok());
    let bad = [
        CommitOptions {
            confirm_timeout: Some(5),
            ..CommitOptions::default()
        },
        CommitOptions {
            persist: Some("p".into()),
            ..CommitOptions::default()
        },
        CommitOptions {
            confirmed: true,
            confirm_timeout: Some(0),
            ..CommitOptions::default()
        },
        CommitOptions::confirming(""),
    ];
    for c in &bad {
        assert!(
            matches!(s.commit(c), Err(NetconfError::InvalidRequest(_))),
            "{c:?}"
        );
    }
    let e = s
        .edit_config(
            Datastore::Candidate,
            &ConfigPayload::from_xml(&b"<a>"[..]),
            &EditOptions::default(),
        )
        .unwrap_err();
    assert!(
        matches!(&e, NetconfError::InvalidRequest(m) if m.contains("not closed")),
        "{e:?}"
    );
    assert!(matches!(
        s.edit_config(
            Datastore::Startup,
            &ConfigPayload::from_xml(&b"<a/>"[..]),
            &EditOptions::default()
        ),
        Err(NetconfError::InvalidRequest(_))
    ));
    assert!(log.lock().unwrap().rpcs.is_empty());
    assert!(s.is_usable());
    s.keepalive().unwrap();
    let l = log.lock().unwrap();
    assert_eq!(
        l.rpcs[0].attr("message-id"),
        Some("1"),
        "refused requests use no message-id"
    );
}

/// The bot's change transaction (docs/netconf.md §1.9) as the server sees it.
#[test]
fn a_confirmed_commit_transaction_sends_rfc_6241_requests() {
    let (mut s, log) = open(|rpc, _| {
        match rpc.children[0].name.as_str() {
        "save-config" => Answer::Body("<result xmlns=\"http://cisco.com/yang/cisco-ia\">Save running-config successful</result>".into()),
        "get-config" => Answer::Body("<data/>".into()),
        _ => ok(),
    }
    });
    let description = "uplink <core> & \"more\" ]]>]]> 🚀";
    let mut w = quick_xml::Writer::new(Vec::new());
    use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
    let mut native = BytesStart::new("native");
    native.push_attribute(("xmlns", "http://cisco.com/ns/yang/Cisco-IOS-XE-native"));
    w.write_event(Event::Start(native)).unwrap();
    w.write_event(Event::Start(BytesStart::new("description")))
        .unwrap();
    w.write_event(Event::Text(BytesText::new(description)))
        .unwrap();
    w.write_event(Event::End(BytesEnd::new("description")))
        .unwrap();
    let mut shut = BytesStart::new("shutdown");
    shut.push_attribute(("nc:operation", "remove"));
    w.write_event(Event::Empty(shut)).unwrap();
    w.write_event(Event::End(BytesEnd::new("native"))).unwrap();
    let payload = ConfigPayload::from_xml(w.into_inner());

    s.lock(Datastore::Candidate).unwrap();
    s.discard_changes().unwrap();
    let opts = EditOptions {
        default_operation: Some(DefaultOperation::Merge),
        test_option: Some(TestOption::TestThenSet),
        error_option: Some(ErrorOption::RollbackOnError),
    };
    s.edit_config(Datastore::Candidate, &payload, &opts)
        .unwrap();
    s.validate(Datastore::Candidate).unwrap();
    s.commit(&CommitOptions::confirmed_persistent(120, "chatops-7f3a"))
        .unwrap();
    s.get_config(Datastore::Running, None).unwrap();
    s.commit(&CommitOptions::confirming("chatops-7f3a"))
        .unwrap();
    s.cancel_commit(Some("chatops-7f3a")).unwrap();
    s.unlock(Datastore::Candidate).unwrap();
    s.save_config().unwrap();
    s.kill_session(5).unwrap();
    s.keepalive().unwrap();
    s.close();

    let ops: Vec<String> = log
        .lock()
        .unwrap()
        .rpcs
        .iter()
        .map(|r| r.children[0].name.clone())
        .collect();
    assert_eq!(
        ops,
        [
            "lock",
            "discard-changes",
            "edit-config",
            "validate",
            "commit",
            "get-config",
            "commit",
            "cancel-commit",
            "unlock",
            "save-config",
            "kill-session",
            "get-config",
            "close-session"
        ]
    );
    assert_eq!(
        op(&log, 0).child("target").unwrap().children[0].name,
        "candidate"
    );
    let edit = op(&log, 2);
    assert_eq!(
        names(&edit),
        [
            "target",
            "default-operation",
            "test-option",
            "error-option",
            "config"
        ]
    );
    assert_eq!(
        edit.text_at(&["default-operation"]).as_deref(),
        Some("merge")
    );
    assert_eq!(
        edit.text_at(&["error-option"]).as_deref(),
        Some("rollback-on-error")
    );
    let native = edit.path(&["config", "native"]).unwrap();
    assert_eq!(
        native.text_at(&["description"]).as_deref(),
        Some(description)
    );
    assert_eq!(names(native), ["description", "shutdown"]);
    let confirmed = op(&log, 4);
    assert_eq!(
        names(&confirmed),
        ["confirmed", "confirm-timeout", "persist"]
    );
    assert_eq!(
        confirmed.text_at(&["confirm-timeout"]).as_deref(),
        Some("120")
    );
    assert_eq!(
        confirmed.text_at(&["persist"]).as_deref(),
        Some("chatops-7f3a")
    );
    let confirming = op(&log, 6);
    assert_eq!(names(&confirming), ["persist-id"]);
    assert_eq!(
        op(&log, 7).text_at(&["persist-id"]).as_deref(),
        Some("chatops-7f3a")
    );
    let save = op(&log, 9);
    assert_eq!(save.ns.as_deref(), Some("http://cisco.com/yang/cisco-ia"));
    assert_eq!(op(&log, 10).text_at(&["session-id"]).as_deref(), Some("5"));
    let keepalive = op(&log, 11);
    assert!(keepalive.child("filter").unwrap().children.is_empty());
    assert!(log.lock().unwrap().closed);
}

#[test]
fn close_after_poisoning_sends_nothing() {
    let (mut s, log) = open(|_, _| Answer::Raw("garbage".into()));
    let e = s.get(None).unwrap_err();
    assert!(matches!(e, NetconfError::Protocol(_)), "{e:?}");
    s.close();
    let l = log.lock().unwrap();
    assert_eq!(l.rpcs.len(), 1);
    assert!(l.closed);
}
