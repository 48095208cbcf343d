//! Value limits, held to the model both servers share (Cisco's native model ranges, mirrored by the
//! mock YANG): a value outside a range or length is refused alike, error-app-tag and request-rooted
//! error-path included; an MTU the model allows but a Catalyst 9300 does not take is refused by the
//! simulator when the switch would apply it, and committed by netconfd, which has only the model.

use crate::checks::{baseline, merge, one_error, running};
use crate::payload::{read, Set};
use crate::target::Target;
use patchpanel::device::netconf::{CommitOptions, Datastore};

const CANDIDATE: Datastore = Datastore::Candidate;

/// A value outside its type's range (`mtu`, `uint16 { range "64..18000" }` in the native model and
/// the mock) or length (`description`, `length "0..200"`) is refused alike: error-tag, severity,
/// app tag and the error-path rooted in the request (RFC 6241 §4.3: a payload element is associated
/// with the error). The session stays usable and nothing reaches the candidate.
pub fn out_of_range_mtu_is_an_rpc_error(t: &Target) {
    let f = &t.facts;
    let mut s = t.connect();
    let name = "1/0/3";
    let long = "x".repeat(201);
    let cases = [
        (
            "mtu",
            Set {
                mtu: Some("63"),
                ..Set::default()
            },
        ),
        (
            "mtu",
            Set {
                mtu: Some("18001"),
                ..Set::default()
            },
        ),
        (
            "description",
            Set {
                description: Some(&long),
                ..Set::default()
            },
        ),
    ];
    for (leaf, set) in cases {
        let e = merge(&mut s, name, &set).unwrap_err();
        assert!(!e.outcome_unknown());
        let err = one_error(&e);
        assert_eq!(err.error_tag, "invalid-value", "{}: {err:?}", f.name);
        assert_eq!(err.error_severity, "error");
        // RFC 7950 names no app tag for a range or length; yuma123's is `not-in-range`.
        assert_eq!(
            err.error_app_tag.as_deref(),
            Some("not-in-range"),
            "{}: {err:?}",
            f.name
        );
        assert_eq!(
            err.error_path.as_deref(),
            Some(&*format!(
                "/nc:rpc/nc:edit-config/nc:config/ios:native/ios:interface/ios:GigabitEthernet[ios:name='{name}']/ios:{leaf}"
            )),
            "{}: {err:?}",
            f.name
        );
        // Difference: netconfd reports error-type `protocol` (error-info bad-value / error-number);
        // the simulator, like IOS-XE's ConfD, `application` (error-info bad-element). Both are RFC 6241
        // Appendix A types for invalid-value.
        assert!(
            ["protocol", "application"].contains(&err.error_type.as_str()),
            "{err:?}"
        );
        assert!(err.error_message.is_some());
        let text = e.to_string();
        assert!(
            text.contains("invalid-value") && text.contains(leaf),
            "{text}"
        );
    }
    // At the limits, both take the value.
    merge(
        &mut s,
        name,
        &Set {
            mtu: Some("64"),
            description: Some(&long[1..]),
            ..Set::default()
        },
    )
    .unwrap_or_else(|e| panic!("{}: {e}", f.name));
    s.discard_changes().unwrap();
    assert!(s.is_usable());
    let candidate = read(&mut s, CANDIDATE, name).unwrap();
    assert!(
        candidate.and_then(|i| i.mtu).as_deref() != Some("63"),
        "nothing of the refused edit is in the candidate"
    );
    s.close();
}

/// An MTU the model allows but a Catalyst 9300 port does not take (1000). netconfd has only the
/// model and commits it; the simulator, like the switch, refuses the candidate when it is applied:
/// `operation-failed` at the commit, the path in the datastore (no payload element is involved),
/// running unchanged and the candidate kept for the client to fix or discard.
pub fn mtu_the_switch_refuses_fails_the_commit(t: &Target) {
    let f = &t.facts;
    let mut s = t.connect();
    let name = "1/0/13";
    baseline(&mut s, name, "platform range");
    merge(
        &mut s,
        name,
        &Set {
            mtu: Some("1000"),
            ..Set::default()
        },
    )
    .unwrap_or_else(|e| panic!("{}: the model takes 1000: {e}", f.name));
    let committed = s.commit(&CommitOptions::default());
    match &f.platform_mtu {
        None => {
            committed.unwrap();
            assert_eq!(running(&mut s, name).unwrap().mtu.as_deref(), Some("1000"));
        }
        Some(range) => {
            assert!(!range.contains(&1000));
            let e = committed.unwrap_err();
            let err = one_error(&e);
            assert_eq!(
                (err.error_type.as_str(), err.error_tag.as_str()),
                ("application", "operation-failed"),
                "{err:?}"
            );
            assert_eq!(
                err.error_path.as_deref(),
                Some(&*format!(
                    "/ios:native/ios:interface/ios:GigabitEthernet[ios:name='{name}']/ios:mtu"
                )),
                "{err:?}"
            );
            assert!(
                err.error_message
                    .as_deref()
                    .is_some_and(|m| m.contains("mtu 1000")),
                "{err:?}"
            );
            assert_eq!(running(&mut s, name).unwrap().mtu, None);
            let candidate = read(&mut s, CANDIDATE, name).unwrap().unwrap();
            assert_eq!(
                candidate.mtu.as_deref(),
                Some("1000"),
                "the candidate is kept"
            );
            s.discard_changes().unwrap();
        }
    }
    s.close();
}
