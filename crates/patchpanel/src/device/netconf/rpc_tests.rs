//! Unit tests of request building: every operation's XML, fragment checks, a hostile description round trip.

use super::*;
use crate::device::tree::{from_xml, Node};
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

fn s(v: &[u8]) -> String {
    String::from_utf8(v.to_vec()).unwrap()
}

fn rpc(op: &Operation<'_>) -> String {
    s(&build_rpc(7, op).unwrap())
}

/// The body of `<rpc message-id="7" xmlns=base>…</rpc>` after the XML declaration.
fn body(op: &Operation<'_>) -> String {
    let x = rpc(op);
    let head = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rpc message-id=\"7\" xmlns=\"{BASE_NS}\">"
    );
    assert!(x.starts_with(&head), "{x}");
    assert!(x.ends_with("</rpc>"), "{x}");
    x[head.len()..x.len() - "</rpc>".len()].to_string()
}

/// An interface config built the way profiles build it: quick-xml writer, text escaped on write.
fn interface_config(description: &str) -> ConfigPayload {
    let mut w = Writer::new(Vec::new());
    let mut native = BytesStart::new("native");
    native.push_attribute(("xmlns", "http://cisco.com/ns/yang/Cisco-IOS-XE-native"));
    w.write_event(Event::Start(native)).unwrap();
    for name in ["interface", "GigabitEthernet"] {
        w.write_event(Event::Start(BytesStart::new(name))).unwrap();
    }
    for (leaf, text) in [("name", "1/0/2"), ("description", description)] {
        w.write_event(Event::Start(BytesStart::new(leaf))).unwrap();
        w.write_event(Event::Text(BytesText::new(text))).unwrap();
        w.write_event(Event::End(BytesEnd::new(leaf))).unwrap();
    }
    let mut shut = BytesStart::new("shutdown");
    shut.push_attribute(("nc:operation", "remove"));
    w.write_event(Event::Empty(shut)).unwrap();
    for name in ["GigabitEthernet", "interface", "native"] {
        w.write_event(Event::End(BytesEnd::new(name))).unwrap();
    }
    ConfigPayload::from_xml(w.into_inner())
}

#[test]
fn hello_offers_bases_without_session_id() {
    let h = s(&client_hello(true));
    assert_eq!(
        h,
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><hello xmlns=\"{BASE_NS}\"><capabilities><capability>{BASE_1_0}</capability><capability>{BASE_1_1}</capability></capabilities></hello>")
    );
    assert!(!s(&client_hello(false)).contains(BASE_1_1));
}

#[test]
fn read_operations() {
    let f = Filter::subtree(
        &b"<native xmlns=\"http://cisco.com/ns/yang/Cisco-IOS-XE-native\"><hostname/></native>"[..],
    );
    assert_eq!(
        body(&Operation::GetConfig { source: Datastore::Running, filter: Some(&f) }),
        format!("<get-config><source><running/></source><filter type=\"subtree\" xmlns:nc=\"{BASE_NS}\"><native xmlns=\"http://cisco.com/ns/yang/Cisco-IOS-XE-native\"><hostname/></native></filter></get-config>")
    );
    assert_eq!(body(&Operation::Get { filter: None }), "<get></get>");
    assert_eq!(
        body(&Operation::GetConfig {
            source: Datastore::Candidate,
            filter: Some(&Filter::empty())
        }),
        "<get-config><source><candidate/></source><filter type=\"subtree\"/></get-config>"
    );
    assert_eq!(
        body(&Operation::Get { filter: Some(&Filter::xpath("/a[b=\"x\" and c<'&']")) }),
        "<get><filter type=\"xpath\" select=\"/a[b=&quot;x&quot; and c&lt;&apos;&amp;&apos;]\"/></get>"
    );
}

#[test]
fn edit_config_with_every_option() {
    let config = ConfigPayload::from_xml(&b"<hostname xmlns=\"urn:x\">sw1</hostname>"[..]);
    let opts = EditOptions {
        default_operation: Some(DefaultOperation::None),
        test_option: Some(TestOption::TestOnly),
        error_option: Some(ErrorOption::RollbackOnError),
    };
    assert_eq!(
        body(&Operation::EditConfig { target: Datastore::Candidate, config: &config, options: &opts }),
        format!("<edit-config><target><candidate/></target><default-operation>none</default-operation><test-option>test-only</test-option><error-option>rollback-on-error</error-option><config xmlns:nc=\"{BASE_NS}\"><hostname xmlns=\"urn:x\">sw1</hostname></config></edit-config>")
    );
    let plain = EditOptions::default();
    assert_eq!(
        body(&Operation::EditConfig { target: Datastore::Running, config: &config, options: &plain }),
        format!("<edit-config><target><running/></target><config xmlns:nc=\"{BASE_NS}\"><hostname xmlns=\"urn:x\">sw1</hostname></config></edit-config>")
    );
    for (o, v) in [
        (DefaultOperation::Merge, "merge"),
        (DefaultOperation::Replace, "replace"),
    ] {
        let opts = EditOptions {
            default_operation: Some(o),
            ..EditOptions::default()
        };
        assert!(body(&Operation::EditConfig {
            target: Datastore::Running,
            config: &config,
            options: &opts
        })
        .contains(&format!("<default-operation>{v}</default-operation>")));
    }
    for (t, v) in [
        (TestOption::TestThenSet, "test-then-set"),
        (TestOption::Set, "set"),
    ] {
        let opts = EditOptions {
            test_option: Some(t),
            ..EditOptions::default()
        };
        assert!(body(&Operation::EditConfig {
            target: Datastore::Running,
            config: &config,
            options: &opts
        })
        .contains(&format!("<test-option>{v}</test-option>")));
    }
    for (e, v) in [
        (ErrorOption::StopOnError, "stop-on-error"),
        (ErrorOption::ContinueOnError, "continue-on-error"),
    ] {
        let opts = EditOptions {
            error_option: Some(e),
            ..EditOptions::default()
        };
        assert!(body(&Operation::EditConfig {
            target: Datastore::Running,
            config: &config,
            options: &opts
        })
        .contains(&format!("<error-option>{v}</error-option>")));
    }
}

#[test]
fn lock_commit_and_friends() {
    assert_eq!(
        body(&Operation::Lock(Datastore::Candidate)),
        "<lock><target><candidate/></target></lock>"
    );
    assert_eq!(
        body(&Operation::Unlock(Datastore::Running)),
        "<unlock><target><running/></target></unlock>"
    );
    assert_eq!(
        body(&Operation::Validate(Datastore::Candidate)),
        "<validate><source><candidate/></source></validate>"
    );
    assert_eq!(
        body(&Operation::Commit(&CommitOptions::default())),
        "<commit/>"
    );
    assert_eq!(
        body(&Operation::Commit(&CommitOptions::confirmed_persistent(120, "chatops-7f3a"))),
        "<commit><confirmed/><confirm-timeout>120</confirm-timeout><persist>chatops-7f3a</persist></commit>"
    );
    assert_eq!(
        body(&Operation::Commit(&CommitOptions {
            confirmed: true,
            ..CommitOptions::default()
        })),
        "<commit><confirmed/></commit>"
    );
    assert_eq!(
        body(&Operation::Commit(&CommitOptions::confirming(
            "chatops-7f3a"
        ))),
        "<commit><persist-id>chatops-7f3a</persist-id></commit>"
    );
    assert_eq!(
        body(&Operation::CancelCommit { persist_id: None }),
        "<cancel-commit/>"
    );
    assert_eq!(
        body(&Operation::CancelCommit {
            persist_id: Some("a<b")
        }),
        "<cancel-commit><persist-id>a&lt;b</persist-id></cancel-commit>"
    );
    assert_eq!(body(&Operation::DiscardChanges), "<discard-changes/>");
    assert_eq!(body(&Operation::CloseSession), "<close-session/>");
    assert_eq!(
        body(&Operation::SaveConfig),
        "<save-config xmlns=\"http://cisco.com/yang/cisco-ia\"/>"
    );
    assert_eq!(
        body(&Operation::KillSession(4)),
        "<kill-session><session-id>4</session-id></kill-session>"
    );
    assert!(Operation::Commit(&CommitOptions::default()).changes_device());
    assert!(!Operation::Get { filter: None }.changes_device());
}

/// RFC 5277 §2.1.1: `<create-subscription>` lives in the notification namespace (the stream name,
/// escaped, in the same namespace); it changes nothing on the device.
#[test]
fn create_subscription_is_in_the_notification_namespace() {
    let op = Operation::CreateSubscription {
        stream: NETCONF_STREAM,
    };
    assert_eq!(
        body(&op),
        "<create-subscription xmlns=\"urn:ietf:params:xml:ns:netconf:notification:1.0\">\
         <stream>NETCONF</stream></create-subscription>"
    );
    assert_eq!(op.name(), "create-subscription");
    assert!(!op.changes_device());
    let odd = body(&Operation::CreateSubscription { stream: "a<b" });
    assert!(odd.contains("<stream>a&lt;b</stream>"), "{odd}");
    let tree = from_xml(&build_rpc(3, &op).unwrap()).unwrap();
    let sub = tree.child("create-subscription").unwrap();
    assert_eq!(sub.ns.as_deref(), Some(NOTIFICATION_NS));
    assert_eq!(
        sub.path(&["stream"]).unwrap().ns.as_deref(),
        Some(NOTIFICATION_NS)
    );
}

/// A description with `<`, `&`, `]]>]]>`, quotes and unicode survives build → parse unchanged, and
/// the framed message carries no end-of-message marker.
#[test]
fn hostile_description_round_trips() {
    let evil =
        "a < b && c > d ]]>]]> \"q\" 'a' é 漢字 🚀 hi</description><shutdown/><description>pwned";
    let config = interface_config(evil);
    let xml = build_rpc(
        9,
        &Operation::EditConfig {
            target: Datastore::Candidate,
            config: &config,
            options: &EditOptions::default(),
        },
    )
    .unwrap();
    assert!(find_eom(&xml).is_none(), "{}", s(&xml));
    let root = from_xml(&xml).unwrap();
    assert_eq!(root.name, "rpc");
    assert_eq!(root.attr("message-id"), Some("9"));
    let gi: &Node = root
        .path(&[
            "edit-config",
            "config",
            "native",
            "interface",
            "GigabitEthernet",
        ])
        .unwrap();
    assert_eq!(gi.text_at(&["description"]).as_deref(), Some(evil));
    assert_eq!(
        gi.children_named("shutdown").count(),
        1,
        "injection created an element"
    );
    assert_eq!(gi.children.len(), 3);
    // Framed both ways, the decoder gives the same bytes back.
    for framing in [
        super::super::framing::Framing::EndOfMessage,
        super::super::framing::Framing::Chunked,
    ] {
        let wire = super::super::framing::encode(framing, &xml);
        let mut d = super::super::framing::Decoder::new(1 << 20);
        d.set_framing(framing);
        d.push(&wire);
        assert_eq!(d.next_message().unwrap().unwrap(), xml);
    }
}

#[test]
fn bad_fragments_are_refused_before_sending() {
    let cases: &[(&[u8], &str)] = &[
        (b"<a>", "not closed"),
        (b"</a>", "malformed"),
        (b"<a></b>", "malformed"),
        (b"<a/>text", "text outside"),
        (b"<!DOCTYPE x><a/>", "DOCTYPE"),
        (b"<?xml version=\"1.0\"?><a/>", "declaration"),
        (b"<?pi x?><a/>", "processing instruction"),
        (b"<a><!-- ]]>]]> --></a>", "end-of-message"),
        (b"<x:a/>", "unbound"),
        (b"<a y:b=\"1\"/>", "unbound"),
        (b"<a>\xff</a>", "UTF-8"),
        (b"<a>&bogus;</a>", "bad text"),
    ];
    for (frag, why) in cases {
        let e = build_rpc(
            1,
            &Operation::EditConfig {
                target: Datastore::Candidate,
                config: &ConfigPayload::from_xml(*frag),
                options: &EditOptions::default(),
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains(why), "{:?}: {e}", s(frag));
        assert!(build_rpc(
            1,
            &Operation::Get {
                filter: Some(&Filter::subtree(*frag))
            }
        )
        .is_err());
    }
    let deep = "<a>".repeat(300) + &"</a>".repeat(300);
    assert!(check_fragment(deep.as_bytes(), "x").is_err());
    // What is fine: several top-level elements, nc:operation, comments, CDATA, whitespace, empty.
    for ok in [
        &b""[..],
        b"  <a/>\n<b xmlns=\"urn:b\"><c nc:operation=\"delete\"/></b>",
        b"<a><!-- note --><![CDATA[x < y]]></a>",
        b"<p:a xmlns:p=\"urn:p\"><p:b/></p:a>",
    ] {
        check_fragment(ok, "x").unwrap();
    }
}

#[test]
fn datastore_names() {
    assert_eq!(Datastore::Running.to_string(), "running");
    assert_eq!(Datastore::Candidate.name(), "candidate");
    assert_eq!(Datastore::Startup.name(), "startup");
}
