//! The shared test bodies: each takes a `Target` and runs the same requests with the project's NETCONF
//! client, asserting what both servers must do alike. Where netconfd (mock YANG) and the simulator
//! (modelled on IOS-XE) legitimately differ, the body branches on `Facts` and says why.

use crate::payload::{edit, iface_filter, iface_in, read, seed_003, Iface, Set, NATIVE_NS};
use crate::target::{poll, Target};
use patchpanel::device::netconf::framing::Framing;
use patchpanel::device::netconf::{
    CommitOptions, Datastore, EditOptions, NetconfError, NetconfSession, RpcError,
};
use std::time::Duration;

/// Markup, the base:1.0 end-of-message marker and non-ASCII: must round-trip byte for byte.
pub const TRICKY: &str = "uplink <core> & \"C9300\" ]]>]]> — café ✓ 日本";

const CANDIDATE: Datastore = Datastore::Candidate;
const RUNNING: Datastore = Datastore::Running;

pub fn merge(s: &mut NetconfSession, name: &str, set: &Set<'_>) -> Result<(), NetconfError> {
    s.edit_config(CANDIDATE, &edit(name, set), &EditOptions::default())
}

pub fn commit(s: &mut NetconfSession) {
    s.commit(&CommitOptions::default()).unwrap();
}

pub fn running(s: &mut NetconfSession, name: &str) -> Option<Iface> {
    read(s, RUNNING, name).unwrap()
}

fn description(s: &mut NetconfSession, name: &str) -> Option<String> {
    running(s, name).and_then(|i| i.description)
}

/// Commits a known starting point for `name` (netconfd starts empty, the simulator is seeded).
pub fn baseline(s: &mut NetconfSession, name: &str, description: &str) {
    merge(
        s,
        name,
        &Set {
            description: Some(description),
            ..Set::default()
        },
    )
    .unwrap();
    commit(s);
    assert_eq!(self::description(s, name).as_deref(), Some(description));
}

/// The single `<rpc-error>` of a refused request.
pub fn one_error(e: &NetconfError) -> &RpcError {
    let errors = e.rpc_errors();
    assert_eq!(errors.len(), 1, "{e:?}");
    &errors[0]
}

pub fn hello_and_capabilities(t: &Target) {
    let f = &t.facts;
    let s = t.connect();
    let expected = if f.base_1_1 {
        Framing::Chunked
    } else {
        Framing::EndOfMessage
    };
    assert_eq!(s.framing(), expected, "{}", f.name);
    assert!(
        s.session_id().is_some_and(|id| id > 0),
        "{:?}",
        s.session_id()
    );
    let c = s.capabilities();
    assert!(c.base_1_0());
    assert_eq!(c.base_1_1(), f.base_1_1, "{:?}", c.uris());
    assert!(c.candidate(), "{:?}", c.uris());
    assert!(c.confirmed_commit() && c.validate(), "{:?}", c.uris());
    let has_1_1 = f.base_1_1;
    assert_eq!(c.confirmed_commit_1_1(), has_1_1, "{:?}", c.uris());
    assert_eq!(c.validate_1_1(), has_1_1, "{:?}", c.uris());
    assert!(c.rollback_on_error(), "{:?}", c.uris());
    assert_eq!(c.writable_running(), f.writable_running, "{:?}", c.uris());
    let native = c.module("Cisco-IOS-XE-native").expect("the native module");
    assert_eq!(native.namespace, NATIVE_NS);
    assert_eq!(native.revision.as_deref(), Some(f.native_revision));
    assert!(c.module("Cisco-IOS-XE-switch").is_some(), "{:?}", c.uris());
    assert!(c.has_namespace("http://cisco.com/yang/cisco-ia"));
    assert!(c.module("ietf-interfaces").is_some());
    s.close();
}

pub fn get_config_with_subtree_filter(t: &Target) {
    let mut s = t.connect();
    for (name, d) in [("1/0/7", "seven"), ("1/0/8", "eight")] {
        merge(
            &mut s,
            name,
            &Set {
                description: Some(d),
                mtu: Some("1600"),
                ..Set::default()
            },
        )
        .unwrap();
    }
    commit(&mut s);
    // A content-match on the key selects that entry alone, whole.
    let data = s.get_config(RUNNING, Some(&iface_filter("1/0/7"))).unwrap();
    let tree = data.tree().unwrap();
    let list = tree.path(&["native", "interface"]).unwrap();
    let names: Vec<_> = list
        .children
        .iter()
        .map(|g| (g.name.as_str(), g.text_at(&["name"])))
        .collect();
    assert_eq!(names, [("GigabitEthernet", Some("1/0/7".to_string()))]);
    let gi = iface_in(&data, "1/0/7").unwrap();
    assert_eq!(gi.description.as_deref(), Some("seven"));
    assert_eq!(gi.mtu.as_deref(), Some("1600"));
    // Content match + selection: the key and the selected leaf, nothing else.
    let selective = patchpanel::device::netconf::Filter::subtree(format!(
        "<native xmlns=\"{NATIVE_NS}\"><interface><GigabitEthernet><name>1/0/8</name>\
         <description/></GigabitEthernet></interface></native>"
    ));
    let tree = s
        .get_config(RUNNING, Some(&selective))
        .unwrap()
        .tree()
        .unwrap();
    let gi = tree
        .path(&["native", "interface", "GigabitEthernet"])
        .unwrap();
    let leaves: Vec<_> = gi.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(leaves, ["name", "description"]);
    assert_eq!(gi.text_at(&["description"]).as_deref(), Some("eight"));
    // <get> (config and state) honours the same filter.
    let data = s.get(Some(&iface_filter("1/0/8"))).unwrap();
    assert_eq!(
        iface_in(&data, "1/0/8").unwrap().description.as_deref(),
        Some("eight")
    );
    // An empty filter selects nothing (the keepalive relies on it).
    let empty = s
        .get_config(RUNNING, Some(&patchpanel::device::netconf::Filter::empty()))
        .unwrap();
    assert!(empty.tree().unwrap().children.is_empty(), "{empty:?}");
    s.keepalive().unwrap();
    s.close();
}

/// Candidate edit of description (with `TRICKY`), mtu and access VLAN; nothing in running until the
/// commit; then exactly what was sent.
pub fn edit_commit_and_read_back(t: &Target) {
    let mut s = t.connect();
    let name = "1/0/2";
    let want = Set {
        description: Some(TRICKY),
        mtu: Some("9000"),
        shutdown: false,
        access_vlan: Some("20"),
    };
    merge(&mut s, name, &want).unwrap();
    let candidate = read(&mut s, CANDIDATE, name).unwrap().unwrap();
    assert_eq!(candidate.description.as_deref(), Some(TRICKY));
    let before = running(&mut s, name);
    assert_ne!(
        before.and_then(|i| i.description).as_deref(),
        Some(TRICKY),
        "the edit stays in the candidate until the commit"
    );
    commit(&mut s);
    let now = running(&mut s, name).expect("the committed interface");
    assert_eq!(
        now,
        Iface {
            description: Some(TRICKY.into()),
            shutdown: false,
            mtu: Some("9000".into()),
            mode_access: true,
            access_vlan: Some("20".into()),
        },
        "{}",
        t.facts.name
    );
    s.close();
}

/// The NetBox workflow's payload (from the original NetBox-driven lab): `nc:operation="remove"` of present leaves deletes them,
/// and of absent leaves is a no-op, never `data-missing`.
pub fn remove_operation(t: &Target) {
    let mut s = t.connect();
    let name = "1/0/4";
    merge(
        &mut s,
        name,
        &Set {
            description: Some("before"),
            mtu: Some("9000"),
            shutdown: true,
            access_vlan: Some("30"),
        },
    )
    .unwrap();
    commit(&mut s);
    let before = running(&mut s, name).unwrap();
    assert!(before.shutdown && before.mtu.as_deref() == Some("9000"));
    let text = "Webhook function completed! ##ticket:1234##";
    if !t.facts.base_1_1 {
        // `remove` is a base:1.1 operation: netconfd refuses it in a base:1.0 session (the apply
        // procedure sends `delete` of present leaves there instead), and nothing changes.
        let e = s
            .edit_config(CANDIDATE, &seed_003(name, text), &EditOptions::default())
            .unwrap_err();
        assert_eq!(one_error(&e).error_tag, "unknown-element", "{e:?}");
        s.discard_changes().unwrap();
        assert_eq!(running(&mut s, name), Some(before));
        s.close();
        return;
    }
    for round in 0..2 {
        s.edit_config(CANDIDATE, &seed_003(name, text), &EditOptions::default())
            .unwrap_or_else(|e| panic!("{} round {round}: {e}", t.facts.name));
        commit(&mut s);
        let now = running(&mut s, name).unwrap();
        assert_eq!(
            now,
            Iface {
                description: Some(text.into()),
                shutdown: false,
                mtu: None,
                mode_access: true,
                access_vlan: Some("30".into()),
            },
            "{} round {round}",
            t.facts.name
        );
    }
    s.close();
}

pub fn lock_and_lock_denied(t: &Target) {
    let mut a = t.connect();
    let mut b = t.connect();
    let holder = a.session_id().unwrap();
    assert_ne!(Some(holder), b.session_id());
    a.lock(CANDIDATE).unwrap();
    assert_eq!(
        b.lock(CANDIDATE).unwrap_err(),
        NetconfError::LockDenied {
            held_by_session: Some(holder)
        }
    );
    // The lock keeps other sessions out of the candidate. Both say `in-use`; error-type differs
    // (netconfd `application` for edit-config, the simulator `protocol`).
    let e = merge(
        &mut b,
        "1/0/5",
        &Set {
            description: Some("b"),
            ..Set::default()
        },
    )
    .unwrap_err();
    assert_eq!(one_error(&e).error_tag, "in-use", "{e:?}");
    for e in [
        b.commit(&CommitOptions::default()).unwrap_err(),
        b.discard_changes().unwrap_err(),
    ] {
        let err = one_error(&e);
        assert_eq!(
            (err.error_tag.as_str(), err.error_type.as_str()),
            ("in-use", "protocol")
        );
    }
    // Unlocking someone else's lock fails. Difference: netconfd says `in-use`, the simulator
    // `lock-denied` naming the holder (RFC 6241 §7.6 names no tag).
    match b.unlock(CANDIDATE).unwrap_err() {
        NetconfError::LockDenied { held_by_session } => {
            assert_eq!(held_by_session, Some(holder))
        }
        e => assert_eq!(one_error(&e).error_tag, "in-use", "{e:?}"),
    }
    a.unlock(CANDIDATE).unwrap();
    // Unlocking what is not locked: the same on both.
    let e = a.unlock(CANDIDATE).unwrap_err();
    let err = one_error(&e);
    assert_eq!(
        (err.error_tag.as_str(), err.error_type.as_str()),
        ("operation-failed", "protocol")
    );
    b.lock(CANDIDATE).unwrap();
    b.unlock(CANDIDATE).unwrap();
    a.close();
    b.close();
}

/// RFC 6241 §7.5: no lock on a candidate that holds uncommitted changes.
pub fn lock_on_a_modified_candidate(t: &Target) {
    let mut a = t.connect();
    let mut b = t.connect();
    merge(
        &mut a,
        "1/0/6",
        &Set {
            description: Some("uncommitted"),
            ..Set::default()
        },
    )
    .unwrap();
    // Another session never gets it. netconfd: `resource-denied` "discard-changes needed"; the
    // simulator: `lock-denied` naming the session whose changes they are.
    let e = b.lock(CANDIDATE).unwrap_err();
    match &e {
        NetconfError::LockDenied { held_by_session } => {
            assert_eq!(*held_by_session, a.session_id())
        }
        e => assert_eq!(one_error(e).error_tag, "resource-denied", "{e:?}"),
    }
    // The session that made the changes: netconfd refuses it too, the simulator grants it.
    let own = a.lock(CANDIDATE);
    assert_eq!(own.is_ok(), t.facts.lock_own_dirty_candidate, "{own:?}");
    if own.is_ok() {
        a.unlock(CANDIDATE).unwrap();
    }
    // After discard-changes anyone may lock it.
    a.discard_changes().unwrap();
    b.lock(CANDIDATE).unwrap();
    b.unlock(CANDIDATE).unwrap();
    a.close();
    b.close();
}

/// validate, then discard-changes resets the candidate to running. (No commit after validate:
/// netconfd 2.13 drops the candidate on validate → commit, docs/netconf.md §5.6 quirk 3.)
pub fn validate_and_discard_changes(t: &Target) {
    let mut s = t.connect();
    let name = "1/0/9";
    baseline(&mut s, name, "committed");
    merge(
        &mut s,
        name,
        &Set {
            description: Some("draft"),
            ..Set::default()
        },
    )
    .unwrap();
    s.validate(CANDIDATE).unwrap();
    s.validate(RUNNING).unwrap();
    let draft = read(&mut s, CANDIDATE, name).unwrap().unwrap();
    assert_eq!(draft.description.as_deref(), Some("draft"));
    s.discard_changes().unwrap();
    let reset = read(&mut s, CANDIDATE, name).unwrap().unwrap();
    assert_eq!(reset.description.as_deref(), Some("committed"));
    assert_eq!(description(&mut s, name).as_deref(), Some("committed"));
    s.close();
}

/// A persistent confirmed commit survives its session and is confirmed from another one with the
/// persist-id; afterwards nothing is pending.
pub fn confirmed_commit_with_persist(t: &Target) {
    let name = "1/0/10";
    let token = format!("conformance-{:x}", fastrand::u64(..));
    let mut a = t.connect();
    baseline(&mut a, name, "baseline");
    merge(
        &mut a,
        name,
        &Set {
            description: Some("trial"),
            ..Set::default()
        },
    )
    .unwrap();
    a.commit(&CommitOptions::confirmed_persistent(120, token.clone()))
        .unwrap();
    assert_eq!(description(&mut a, name).as_deref(), Some("trial"));
    a.close();

    let mut b = t.connect();
    assert_eq!(
        description(&mut b, name).as_deref(),
        Some("trial"),
        "a persistent confirmed commit outlives its session"
    );
    // A wrong persist-id confirms nothing. Difference: the simulator answers `invalid-value`
    // (RFC 6241 §8.4.5.1), netconfd `operation-failed`.
    let e = b
        .commit(&CommitOptions::confirming("not-the-token"))
        .unwrap_err();
    let tag = one_error(&e).error_tag.as_str();
    assert!(
        ["invalid-value", "operation-failed"].contains(&tag),
        "{e:?}"
    );
    b.commit(&CommitOptions::confirming(token.clone())).unwrap();
    assert_eq!(description(&mut b, name).as_deref(), Some("trial"));
    // Nothing is pending any more: cancelling is refused alike on both.
    let e = b.cancel_commit(Some(&token)).unwrap_err();
    let err = one_error(&e);
    assert_eq!(
        (err.error_tag.as_str(), err.error_type.as_str()),
        ("operation-failed", "protocol")
    );
    b.close();
}

/// An unconfirmed confirmed commit rolls back by itself once its timeout passes (session kept open).
pub fn confirmed_commit_times_out(t: &Target) {
    let name = "1/0/11";
    let mut s = t.connect();
    baseline(&mut s, name, "baseline");
    merge(
        &mut s,
        name,
        &Set {
            description: Some("unconfirmed"),
            ..Set::default()
        },
    )
    .unwrap();
    s.commit(&CommitOptions {
        confirmed: true,
        confirm_timeout: Some(2),
        ..CommitOptions::default()
    })
    .unwrap();
    assert_eq!(description(&mut s, name).as_deref(), Some("unconfirmed"));
    // Bounded, and slow enough for netconfd's idle-only timer (Facts::rollback_poll).
    let reverted = poll(t.facts.rollback_poll, Duration::from_secs(30), || {
        (description(&mut s, name).as_deref() == Some("baseline")).then_some(())
    });
    assert!(
        reverted.is_some(),
        "{}: running kept the unconfirmed change",
        t.facts.name
    );
    s.close();
}

/// cancel-commit rolls back at once: in the same session, and from another session with the
/// persist-id.
pub fn cancel_commit(t: &Target) {
    let name = "1/0/12";
    let mut a = t.connect();
    baseline(&mut a, name, "baseline");
    let trial = Set {
        description: Some("trial"),
        ..Set::default()
    };
    merge(&mut a, name, &trial).unwrap();
    a.commit(&CommitOptions {
        confirmed: true,
        confirm_timeout: Some(120),
        ..CommitOptions::default()
    })
    .unwrap();
    assert_eq!(description(&mut a, name).as_deref(), Some("trial"));
    a.cancel_commit(None).unwrap();
    assert_eq!(description(&mut a, name).as_deref(), Some("baseline"));

    let token = format!("cancel-{:x}", fastrand::u64(..));
    merge(&mut a, name, &trial).unwrap();
    a.commit(&CommitOptions::confirmed_persistent(120, token.clone()))
        .unwrap();
    let mut b = t.connect();
    assert_eq!(description(&mut b, name).as_deref(), Some("trial"));
    b.cancel_commit(Some(&token)).unwrap();
    assert_eq!(description(&mut b, name).as_deref(), Some("baseline"));
    a.close();
    b.close();
}

/// IOS-XE's save-config (cisco-ia). netconfd's mock module answers `<ok/>` and does nothing; the
/// simulator copies running to startup.
pub fn save_config(t: &Target) {
    let mut s = t.connect();
    baseline(&mut s, "1/0/13", "saved");
    s.save_config().unwrap();
    if let Some(sim) = t.as_sim() {
        assert!(!sim.state().unsaved_changes);
    }
    s.close();
}

/// close-session ends the session and releases its locks; kill-session ends another one.
pub fn close_and_kill_session(t: &Target) {
    let mut a = t.connect();
    let mut b = t.connect();
    a.lock(CANDIDATE).unwrap();
    a.close();
    // The server releases the lock as the session ends: bounded wait for that, then it is b's.
    let got = poll(Duration::from_millis(50), Duration::from_secs(5), || {
        b.lock(CANDIDATE).ok()
    });
    assert!(
        got.is_some(),
        "{}: the closed session's lock stayed",
        t.facts.name
    );

    let mut c = t.connect();
    assert!(matches!(
        c.lock(CANDIDATE),
        Err(NetconfError::LockDenied { .. })
    ));
    c.kill_session(b.session_id().unwrap()).unwrap();
    assert!(b.keepalive().is_err(), "the killed session is gone");
    let got = poll(Duration::from_millis(50), Duration::from_secs(5), || {
        c.lock(CANDIDATE).ok()
    });
    assert!(
        got.is_some(),
        "{}: the killed session's lock stayed",
        t.facts.name
    );
    // Killing oneself or a session that does not exist: invalid-value/protocol on both.
    for id in [c.session_id().unwrap(), 999_999] {
        let e = c.kill_session(id).unwrap_err();
        let err = one_error(&e);
        assert_eq!(
            (err.error_tag.as_str(), err.error_type.as_str()),
            ("invalid-value", "protocol")
        );
    }
    c.unlock(CANDIDATE).unwrap();
    c.close();
    // A new session works after all that.
    t.connect().keepalive().unwrap();
}
