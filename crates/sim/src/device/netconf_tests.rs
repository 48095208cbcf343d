//! Unit tests of the NETCONF session: hello and framing, rpc envelope and errors, wire faults.

mod basics {
    use super::super::*;
    use crate::device::model::seed_c9300;
    use tokio_util::sync::CancellationToken;
    use tokio_util::task::TaskTracker;

    fn store_in(mode: DatastoreMode) -> Datastore {
        let s = Datastore::new(
            seed_c9300("c9300"),
            mode,
            CancellationToken::new(),
            TaskTracker::new(),
        );
        for id in 1..=20 {
            s.session_started(id);
        }
        s
    }

    fn store() -> Datastore {
        store_in(DatastoreMode::default())
    }

    const HELLO_11: &str = r#"<?xml version="1.0" encoding="UTF-8"?><hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability><capability>urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>]]>]]>"#;
    const HELLO_10: &str = r#"<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>"#;

    fn reply_text(bytes: &[u8], cfg: &Datastore) -> String {
        String::from_utf8(handle_rpc(bytes, 1, cfg).xml).unwrap()
    }

    #[test]
    fn server_hello_lists_capabilities_escaped() {
        let hello = String::from_utf8(server_hello(42)).unwrap();
        assert!(hello.contains("<capability>urn:ietf:params:netconf:base:1.1</capability>"));
        assert!(hello.contains("?module=Cisco-IOS-XE-native&amp;revision="));
        assert!(hello.contains("<session-id>42</session-id>"));
        assert!(hello.contains(CAP_CANDIDATE) && hello.contains(CAP_CONFIRMED_COMMIT_11));
        assert!(hello.contains(CAP_WRITABLE_RUNNING) && hello.contains(CAP_ROLLBACK_ON_ERROR));
        assert!(hello.contains(CAP_VALIDATE_11));
        let running_only =
            String::from_utf8(server_hello_for(1, true, DatastoreMode::RunningOnly)).unwrap();
        assert!(!running_only.contains("candidate") && !running_only.contains("confirmed-commit"));
        assert!(running_only.contains(CAP_WRITABLE_RUNNING));
        let candidate_only =
            String::from_utf8(server_hello_for(1, true, DatastoreMode::CandidateOnly)).unwrap();
        assert!(
            candidate_only.contains(CAP_CANDIDATE) && !candidate_only.contains("writable-running")
        );
    }

    #[test]
    fn client_hello_rules() {
        let strip = |s: &str| s.trim_end_matches("]]>]]>").as_bytes().to_vec();
        assert_eq!(parse_client_hello(&strip(HELLO_11)), Ok(true));
        assert_eq!(parse_client_hello(&strip(HELLO_10)), Ok(false));
        assert_eq!(
            parse_client_hello(br#"<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities><session-id>4</session-id></hello>"#),
            Err(HelloError::HasSessionId)
        );
        assert_eq!(
            parse_client_hello(br#"<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities/></hello>"#),
            Err(HelloError::NoBase)
        );
        assert_eq!(parse_client_hello(b"<rpc/>"), Err(HelloError::NotHello));
        assert_eq!(parse_client_hello(b"<hello"), Err(HelloError::Malformed));
    }

    #[test]
    fn rpc_reply_echoes_every_rpc_attribute() {
        let cfg = store();
        let xml = reply_text(br#"<nc:rpc xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="urn:uuid:1" xmlns:ex="urn:ex" ex:user="ann &amp; bob"><nc:close-session/></nc:rpc>"#, &cfg);
        assert!(xml.contains(r#"<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="urn:uuid:1" xmlns:ex="urn:ex" ex:user="ann &amp; bob"><ok/></rpc-reply>"#), "{xml}");
        assert!(Element::parse(xml.as_bytes()).is_ok());
    }

    #[test]
    fn get_config_with_filter_and_errors() {
        let cfg = store();
        let xml = reply_text(br#"<rpc message-id="2" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/></source><filter type="subtree"><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name><description/></GigabitEthernet></interface></native></filter></get-config></rpc>"#, &cfg);
        assert!(xml.contains(r#"<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="2"><data><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name><description>Floor 2 printer</description></GigabitEthernet></interface></native></data></rpc-reply>"#), "{xml}");

        let unfiltered = reply_text(br#"<rpc message-id="3" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/></source></get-config></rpc>"#, &cfg);
        assert!(
            unfiltered.contains("<hostname>c9300</hostname>")
                && unfiltered
                    .contains("<interfaces xmlns=\"urn:ietf:params:xml:ns:yang:ietf-interfaces\">")
        );
        assert!(!unfiltered.contains("interfaces-state"));

        let get = reply_text(br#"<rpc message-id="4" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get><filter><interfaces-state xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>GigabitEthernet1/0/3</name><oper-status/></interface></interfaces-state></filter></get></rpc>"#, &cfg);
        assert!(get.contains("<interface><name>GigabitEthernet1/0/3</name><oper-status>down</oper-status></interface>"), "{get}");

        for (rpc, tag) in [
            (&br#"<rpc message-id="5" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><edit-config/></rpc>"#[..], "missing-element"),
            (br#"<rpc message-id="5" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><copy-config/></rpc>"#, "operation-not-supported"),
            (br#"<rpc message-id="5" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><startup/></source></get-config></rpc>"#, "invalid-value"),
            (br#"<rpc message-id="5" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config/></rpc>"#, "missing-element"),
            (br#"<rpc message-id="5" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get><filter type="xpath" select="/"/></get></rpc>"#, "operation-not-supported"),
            (br#"<rpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get/></rpc>"#, "missing-attribute"),
            (b"<rpc message-id=\"5\"><get>", "malformed-message"),
            (b"\x00\x01garbage", "malformed-message"),
        ] {
            let xml = reply_text(rpc, &cfg);
            assert!(xml.contains(&format!("<error-tag>{tag}</error-tag>")), "{xml}");
            assert!(xml.contains("<error-severity>error</error-severity>"));
            assert!(xml.contains("<error-message xml:lang=\"en\">"));
        }
    }

    #[test]
    fn session_negotiates_chunked_and_closes() {
        let cfg = store();
        let (mut s, hello) = Session::new(7);
        assert!(hello.ends_with(b"]]>]]>"));
        // Hello and the first chunked rpc arrive in one read.
        let rpc = br#"<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><close-session/></rpc>"#;
        let mut wire = HELLO_11.as_bytes().to_vec();
        wire.extend(framing::encode(Framing::Chunked, rpc, 10));
        let out = s.on_bytes(&wire, &cfg);
        assert!(out.close);
        assert_eq!(out.send.len(), 1);
        assert!(out.send[0].starts_with(b"\n#"));
        assert!(out.send[0].ends_with(b"\n##\n"));
        assert_eq!(s.on_bytes(b"more", &cfg).send.len(), 0);
    }

    #[test]
    fn base_1_0_only_server_stays_end_of_message() {
        let hello = String::from_utf8(server_hello_with(3, false)).unwrap();
        assert!(hello.contains("<capability>urn:ietf:params:netconf:base:1.0</capability>"));
        assert!(!hello.contains("base:1.1"), "{hello}");
        assert!(hello.contains("Cisco-IOS-XE-native"));

        let cfg = store();
        let (mut s, wire_hello) = Session::with_base_1_1(4, false);
        assert!(!String::from_utf8(wire_hello).unwrap().contains("base:1.1"));
        // The client offers 1.1, but only what both offer counts.
        assert_eq!(s.on_bytes(HELLO_11.as_bytes(), &cfg), Output::default());
        assert_eq!(s.framing(), Framing::Eom);
        let rpc = br#"<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><close-session/></rpc>]]>]]>"#;
        let out = s.on_bytes(rpc, &cfg);
        assert!(out.close);
        assert!(out.send[0].ends_with(b"]]>]]>"));
    }

    #[test]
    fn session_eom_and_garbage() {
        let cfg = store();
        let (mut s, _) = Session::new(8);
        assert_eq!(s.on_bytes(HELLO_10.as_bytes(), &cfg), Output::default());
        assert_eq!(s.framing(), Framing::Eom);
        let out = s.on_bytes(b"<<<not xml]]>]]>", &cfg);
        assert!(!out.close);
        assert!(out.send[0].ends_with(b"]]>]]>"));

        let (mut s, _) = Session::new(9);
        let out = s.on_bytes(b"garbage]]>]]>", &cfg);
        assert!(out.close && out.send.is_empty() && out.error.is_some());

        let (mut s, _) = Session::new(10);
        s.on_bytes(HELLO_11.as_bytes(), &cfg);
        let out = s.on_bytes(b"garbage", &cfg);
        assert!(out.close && out.error.is_some());
    }
}

mod faults {
    use super::super::*;
    use crate::device::faults::Fault;
    use crate::device::model::seed_c9300;
    use tokio_util::sync::CancellationToken;
    use tokio_util::task::TaskTracker;

    const HELLO_10: &str = r#"<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>"#;
    const GET: &[u8] = br#"<rpc message-id="m&quot;1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/></source><filter type="subtree"/></get-config></rpc>]]>]]>"#;

    fn established(id: u32) -> (Session, Datastore) {
        let store = Datastore::new(
            seed_c9300("c9300"),
            DatastoreMode::default(),
            CancellationToken::new(),
            TaskTracker::new(),
        );
        store.session_started(id);
        let (mut s, _) = Session::new(id);
        assert_eq!(s.on_bytes(HELLO_10.as_bytes(), &store), Output::default());
        (s, store)
    }

    #[test]
    fn stall_swallows_everything_after() {
        let (mut s, store) = established(1);
        store.inject(Fault::StallNextReply).unwrap();
        assert_eq!(s.on_bytes(GET, &store), Output::default());
        assert_eq!(s.on_bytes(GET, &store), Output::default());
    }

    #[test]
    fn stall_next_edit_lets_reads_through_and_swallows_the_edit() {
        let (mut s, store) = established(1);
        store.inject(Fault::StallNextEdit).unwrap();
        assert!(
            !s.on_bytes(GET, &store).send.is_empty(),
            "a read is answered"
        );
        let edit = br#"<rpc message-id="2" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><edit-config><target><candidate/></target><config><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><hostname>after</hostname></native></config></edit-config></rpc>]]>]]>"#;
        assert_eq!(s.on_bytes(edit, &store), Output::default());
        assert_eq!(
            s.on_bytes(GET, &store),
            Output::default(),
            "the session stays silent"
        );
        assert!(!store.snapshot().wire_faults.stall_next_edit, "one-shot");
        let (mut other, _) = Session::new(2);
        store.session_started(2);
        assert_eq!(
            other.on_bytes(HELLO_10.as_bytes(), &store),
            Output::default()
        );
        assert!(
            !other.on_bytes(GET, &store).send.is_empty(),
            "other sessions answer"
        );
    }

    #[test]
    fn garbage_then_normal_again() {
        let (mut s, store) = established(1);
        store.inject(Fault::GarbageFraming).unwrap();
        assert_eq!(s.on_bytes(GET, &store).send, vec![garbage(Framing::Eom)]);
        let next = s.on_bytes(GET, &store);
        assert!(next.send[0].ends_with(b"</rpc-reply>]]>]]>"));
    }

    #[test]
    fn huge_reply_parts_are_a_well_formed_reply() {
        let (mut s, store) = established(1);
        store.inject(Fault::HugeReply { bytes: 5 }).unwrap();
        let out = s.on_bytes(GET, &store);
        let huge = out.huge.unwrap();
        assert_eq!((huge.framing, huge.filler), (Framing::Eom, 5));
        let mut doc = huge.head.clone();
        doc.extend_from_slice(b"xxxxx");
        doc.extend_from_slice(&huge.tail);
        let parsed = Element::parse(&doc).unwrap();
        assert_eq!(parsed.attr("message-id"), Some("m\"1"));
        assert_eq!(parsed.children[0].children[0].text, "xxxxx");
        assert_eq!(
            s.on_bytes(GET, &store),
            Output::default(),
            "deaf afterwards"
        );
    }

    #[test]
    fn drop_after_commit_applies_then_drops() {
        let (mut s, store) = established(1);
        store.inject(Fault::DropAfterCommit).unwrap();
        // A read does not trigger it.
        assert_eq!(s.on_bytes(GET, &store).send.len(), 1);
        let edit = br#"<rpc message-id="2" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><edit-config><target><candidate/></target><config><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><hostname>after</hostname></native></config></edit-config></rpc>]]>]]>"#;
        assert!(s.on_bytes(edit, &store).send[0]
            .windows(4)
            .any(|w| w == b"<ok/"));
        let commit = br#"<rpc message-id="3" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><commit/></rpc>]]>]]>"#;
        let out = s.on_bytes(commit, &store);
        assert!(out.drop_connection && out.send.is_empty());
        assert_eq!(store.read(|c| c.hostname.clone()), "after");
    }

    #[test]
    fn a_killed_session_stops_answering() {
        let (mut s, store) = established(1);
        store.session_ended(1);
        let out = s.on_bytes(GET, &store);
        assert!(out.close && out.send.is_empty());
    }
}
